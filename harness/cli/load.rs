//! `phoenix load`: the load engine alone against one loopback URL, with its own figures
//! (the same engine runs inside `phoenix run`).

use crate::analysis::stats::LatencySummary;
use crate::analysis::windows::add_ok_latency;
use crate::analysis::ClassCounts;
use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::clock::RunClock;
use crate::load::{run_load, LiveCounters, LoadConfig, Rate, Recorder, Slip};
use crate::record::{new_histogram, RequestLog};
use crate::scenario::{escape, RequestSpec};
use crate::scenario::{MAX_RATE, MAX_TOTAL_REQUESTS};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `phoenix load` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// http://127.0.0.1:PORT/PATH (loopback only: localhost, 127.0.0.1, [::1]).
    pub url: String,
    /// Requests per second (open loop), or `max` (closed loop over --connections).
    #[arg(long, value_parser = parse_rate)]
    pub rate: Rate,
    /// How long to send, e.g. 10s (at most 1h).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Most connections at once [default: open loop 1000, grown as needed; `max` 50].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: Option<u32>,
    /// Reuse connections (default: a fresh connection per request).
    #[arg(long)]
    pub keep_alive: bool,
    /// Per-request timeout.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The hint of every refused URL.
const URL_HINT: &str = "\n  hint: give http://127.0.0.1:PORT/PATH, e.g. http://127.0.0.1:8080/health";

/// Why `phoenix load`'s arguments were refused (bad input): a value clap refuses as it
/// parses (`--rate`, `--duration`, `--timeout`), or the URL and the plan, checked after.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("\"{}\" is not a rate: give requests per second (0 < R ≤ {MAX_RATE}) or `max`", escape(.0))]
    Rate(String),
    #[error("\"{}\": {source} (e.g. 10s, 500ms)", escape(value))]
    Duration {
        value: String,
        #[source]
        source: humantime::DurationError,
    },
    #[error("\"{}\" is out of range: from 1ms to 1h", escape(.0))]
    DurationRange(String),
    /// The URL, and what is wrong with it.
    #[error("URL \"{}\": {problem}", escape(url))]
    Url {
        url: String,
        #[source]
        problem: UrlProblem,
    },
    #[error("--rate {rate} for {duration:?} plans {planned:.3} requests, less than one: raise --rate or --duration")]
    FewerThanOne {
        rate: f64,
        duration: Duration,
        planned: f64,
    },
    #[error("--rate {rate} for {duration:?} plans {planned:.0} requests, over the limit of {MAX_TOTAL_REQUESTS}: lower --rate or --duration")]
    OverLimit {
        rate: f64,
        duration: Duration,
        planned: f64,
    },
}

/// What is wrong with a `phoenix load` URL (each with the hint).
#[derive(Debug, thiserror::Error)]
pub enum UrlProblem {
    #[error("contains whitespace or a control character{URL_HINT} (percent-encode them, %20)")]
    Unprintable,
    #[error("not a URL: {0}{URL_HINT}")]
    NotAUrl(#[source] url::ParseError),
    #[error("only http:// URLs (got {}://){URL_HINT}", escape(.0))]
    Scheme(String),
    #[error("the host must be a loopback address (127.0.0.1, [::1], localhost){URL_HINT}")]
    Host,
    #[error("load goes only to loopback addresses (127.0.0.1, [::1], localhost){URL_HINT}")]
    NotLoopback,
    #[error("port 0 is not a port one can connect to{URL_HINT}")]
    PortZero,
    #[error("a user, password or #fragment is never sent by the load{URL_HINT}")]
    Credentials,
    /// The path breaks the bound or the characters a scenario's request path has.
    #[error("its path {}{URL_HINT}", escape(.0))]
    Path(String),
}

/// `--rate`: a positive number of requests per second (at most [`MAX_RATE`], the bound a
/// scenario's `load.rate` has), or `max`.
pub(crate) fn parse_rate(s: &str) -> Result<Rate, LoadError> {
    if s == "max" {
        return Ok(Rate::Max);
    }
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= MAX_RATE => Ok(Rate::PerSecond(r)),
        _ => Err(LoadError::Rate(s.to_string())),
    }
}

/// Why `--rate` over `--duration` plans no request or more than a run may keep
/// ([`MAX_TOTAL_REQUESTS`], the scenario's bound).
pub(crate) fn plan_problem(rate: Rate, duration: Duration) -> Option<LoadError> {
    let Rate::PerSecond(r) = rate else { return None };
    let planned = r * duration.as_secs_f64();
    if planned < 1.0 {
        return Some(LoadError::FewerThanOne {
            rate: r,
            duration,
            planned,
        });
    }
    (planned > MAX_TOTAL_REQUESTS as f64).then_some(LoadError::OverLimit {
        rate: r,
        duration,
        planned,
    })
}

/// A duration such as `10s` or `500ms`, from 1 ms to 1 h (every load is bounded).
pub fn parse_duration(s: &str) -> Result<Duration, LoadError> {
    let d = humantime::parse_duration(s).map_err(|source| LoadError::Duration {
        value: s.to_string(),
        source,
    })?;
    if d < Duration::from_millis(1) || d > Duration::from_secs(3600) {
        return Err(LoadError::DurationRange(s.to_string()));
    }
    Ok(d)
}

/// The loopback socket address and the path (with query) of `url`. The URL parser drops
/// tabs and line breaks silently, so a URL holding any whitespace or control character is
/// refused before it is parsed: what is loaded is what was typed.
pub fn target(url: &str) -> Result<(SocketAddr, String), LoadError> {
    let refused = |problem| LoadError::Url {
        url: url.to_string(),
        problem,
    };
    if url.chars().any(char::is_whitespace) || escape(url) != url {
        return Err(refused(UrlProblem::Unprintable));
    }
    let u = reqwest::Url::parse(url).map_err(|e| refused(UrlProblem::NotAUrl(e)))?;
    if u.scheme() != "http" {
        return Err(refused(UrlProblem::Scheme(u.scheme().to_string())));
    }
    let ip: IpAddr = match u.host() {
        Some(url::Host::Domain("localhost")) => Ipv4Addr::LOCALHOST.into(),
        Some(url::Host::Ipv4(ip)) => ip.into(),
        Some(url::Host::Ipv6(ip)) => ip.into(),
        _ => return Err(refused(UrlProblem::Host)),
    };
    if !ip.is_loopback() {
        return Err(refused(UrlProblem::NotLoopback));
    }
    let port = u.port().unwrap_or(80);
    if port == 0 {
        return Err(refused(UrlProblem::PortZero));
    }
    if !u.username().is_empty() || u.password().is_some() || u.fragment().is_some() {
        return Err(refused(UrlProblem::Credentials));
    }
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path = format!("{path}?{q}");
    }
    // the bound and the characters a scenario's request path has
    if let Some(p) = crate::scenario::http::target_problem(&path) {
        return Err(refused(UrlProblem::Path(p)));
    }
    Ok((SocketAddr::new(ip, port), path))
}

/// What `--json` prints; the text output shows the same figures.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    pub failed_by_class: ClassCounts,
    /// ok per second of the load's duration.
    pub(crate) achieved_rate: f64,
    pub latency_ms: LatencySummary,
    pub slip_ms: SlipMs,
}

/// Schedule slip, ms.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SlipMs {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl LoadReport {
    pub fn of(log: &RequestLog, slip: Slip, duration: Duration) -> LoadReport {
        let mut hist = new_histogram();
        let ok = add_ok_latency(log, i64::MIN, i64::MAX, &mut hist);
        let mut by_class = ClassCounts::default();
        for (_, _, outcome, _) in log.raw().filter(|r| !r.2.is_ok()) {
            by_class.add(outcome);
        }
        let failed = by_class.total();
        let ms = |us: u64| us as f64 / 1000.0;
        LoadReport {
            sent: ok + failed,
            ok,
            failed,
            failed_by_class: by_class,
            achieved_rate: ok as f64 / duration.as_secs_f64(),
            latency_ms: LatencySummary::of(&hist),
            slip_ms: SlipMs {
                p50: ms(slip.p50_us),
                p99: ms(slip.p99_us),
                max: ms(slip.max_us),
            },
        }
    }

    fn text(&self) -> String {
        let c = &self.failed_by_class;
        let classes = [
            ("refused", c.refused),
            ("reset", c.reset),
            ("timeout", c.timeout),
            ("http_5xx", c.http_5xx),
            ("other", c.other),
            ("client_overload", c.client_overload),
        ]
        .map(|(k, v)| format!("{k} {v}"));
        let l = &self.latency_ms;
        format!(
            "sent {}  ok {}  failed {} ({})\nachieved {:.1} ok/s\nlatency ms  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}\nslip ms     p50 {:.3}  p99 {:.3}  max {:.3}\n",
            self.sent, self.ok, self.failed, classes.join(", "), self.achieved_rate,
            l.p50, l.p90, l.p99, l.p999, l.max, self.slip_ms.p50, self.slip_ms.p99, self.slip_ms.max
        )
    }
}

/// Runs `phoenix load`: the URL and the plan checked, the load put on, its figures printed.
pub async fn run(o: Options) -> Result<Exit, CommandError> {
    let checked = target(&o.url).and_then(|t| plan_problem(o.rate, o.duration).map_or(Ok(t), Err));
    let (addr, path) = checked.map_err(CommandError::Load)?;
    let connections = o
        .connections
        .map_or(if o.rate == Rate::Max { 50 } else { 1000 }, |c| c as usize);
    let cfg = LoadConfig {
        rate: o.rate,
        duration: o.duration,
        timeout: o.timeout,
        connections,
        keep_alive: o.keep_alive,
        requests: vec![RequestSpec::plain("GET", &path)],
    };
    if !o.json {
        let rate = match o.rate {
            Rate::PerSecond(r) => format!("open loop at {r}/s"),
            Rate::Max => "closed loop".into(),
        };
        let conn = if o.keep_alive { "kept-alive" } else { "fresh" };
        eprintln!(
            "phoenix load {addr}: {rate} for {:?}, {conn} connections, at most {connections}",
            o.duration
        );
    }
    let recorder = Recorder::windowed(Arc::new(LiveCounters::default()), Duration::from_millis(100), o.timeout);
    let log = run_load(
        cfg,
        vec![addr],
        RunClock::start(),
        recorder.clone(),
        CancellationToken::new(),
    )
    .await;
    let report = LoadReport::of(&log, recorder.slip(), o.duration);
    if o.json {
        println!("{}", serde_json::to_string(&report).expect("a report serialises"));
    } else {
        print!("{}", report.text());
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_targets() {
        assert_eq!(
            target("http://127.0.0.1:8080/x?y=1").unwrap(),
            ("127.0.0.1:8080".parse().unwrap(), "/x?y=1".into())
        );
        assert_eq!(
            target("http://localhost:81").unwrap().0,
            "127.0.0.1:81".parse().unwrap()
        );
        assert!(target("http://[::1]:81/").is_ok());
        for bad in [
            "http://10.0.0.1/",
            "http://example.com/",
            "https://127.0.0.1/",
            "127.0.0.1:80",
        ] {
            assert!(target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_url_with_a_line_break_control_or_port_zero_is_refused() {
        // the URL parser would drop the CR LF and load /healthx
        for bad in [
            "http://127.0.0.1:8080/health\r\nx",
            "http://127.0.0.1:8080/he\talth",
            "http://127.0.0.1:8080/a b",
            "http://127.0.0.1:8080/\u{1b}[2J",
            "http://127.0.0.1:8080/\u{202e}x",
            "http://127.0.0.1:0/",
            "http://u:p@127.0.0.1:8080/",
            &format!("http://127.0.0.1:8080/{}", "a".repeat(2048)),
            &format!("http://127.0.0.1:8080/{}", "a".repeat(70_000)),
        ] {
            let e = target(bad).unwrap_err().to_string();
            assert!(e.starts_with("URL \""), "{e}");
            assert!(e.contains("hint:"), "{e}");
            assert!(!e.chars().any(|c| c.is_control() && c != '\n'), "{e:?}");
        }
    }

    #[test]
    fn rates_and_durations_are_bounded() {
        assert_eq!(parse_rate("max").unwrap(), Rate::Max);
        assert_eq!(parse_rate("250.5").unwrap(), Rate::PerSecond(250.5));
        for bad in ["0", "-1", "NaN", "inf", "20001", "2000000", "fast"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        // fewer than one request planned, or more than a run keeps (20000/s for 1 h is 72 M)
        let ten = Duration::from_secs(10);
        assert!(plan_problem(Rate::PerSecond(1e-7), ten)
            .unwrap()
            .to_string()
            .contains("less than one"));
        let hour = Duration::from_secs(3600);
        assert!(plan_problem(Rate::PerSecond(20_000.0), hour)
            .unwrap()
            .to_string()
            .contains("over the limit"));
        assert!(plan_problem(Rate::PerSecond(200.0), ten).is_none());
        assert!(plan_problem(Rate::Max, hour).is_none());
        assert!(parse_duration("2h").is_err());
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    }
}
