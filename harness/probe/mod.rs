//! Health probing on its own loop, independent of the load, and adaptive so that its
//! precision costs the app nothing while nothing is expected to change: fast (every
//! `interval`, 1 ms by default) from the start until the replica is first healthy and from
//! each fault until it is healthy again; slow (every `slow_interval`, 1 s by default)
//! otherwise. Every probe opens a fresh TCP connection (no pool, no client retry), sends
//! `GET <path>` and reads the status line, all within a short timeout. Samples keep their
//! raw instants; they become transitions on the trial clock once its origin is known.

use crate::clock::RunClock;
use crate::record::{ProbeLog, ProbeOutcome, ProbeTransition};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

pub mod healthy;
mod pace;
use pace::Pace;

/// Probes of one replica waiting for their answer at once, at most. Fast probes overlap
/// (a probe held up in Docker's proxy must not hide the next one's answer), but an app that
/// answers slower than the interval would otherwise get a new request every millisecond,
/// each abandoned at the timeout while the app still serves it: a slow health page was
/// never seen healthy, buried under up to `timeout / interval` probes. A tick that finds
/// this many waiting sends nothing.
pub(crate) const MAX_IN_FLIGHT: usize = 4;

/// What to probe and how often.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    pub replica: String,
    pub addr: SocketAddr,
    pub path: String,
    pub status: u16,
    /// Interval of fast probing: until first healthy, and from a fault until healthy.
    pub interval: Duration,
    /// Interval otherwise.
    pub slow_interval: Duration,
    pub timeout: Duration,
}

/// One probe's result with raw instants.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub sent: Instant,
    pub done: Instant,
    pub outcome: ProbeOutcome,
    /// Sent while probing fast.
    pub fast: bool,
}

/// State shared between a [`Prober`] and its loop.
struct Shared {
    /// When the loop started (its probing time, for the probe rate).
    started: Instant,
    samples: Mutex<Vec<Sample>>,
    pace: Mutex<Pace>,
    wake: Notify,
}

/// A running probe loop.
pub(crate) struct Prober {
    pub spec: ProbeSpec,
    shared: Arc<Shared>,
    /// Latest outcome, for waiting on health.
    pub state: watch::Receiver<Option<ProbeOutcome>>,
    task: tokio::task::JoinHandle<()>,
}

impl Prober {
    /// Starts probing until `cancel`: fast until the first healthy probe, `boot_cap` at most.
    pub fn start(spec: ProbeSpec, boot_cap: Duration, cancel: CancellationToken) -> Prober {
        let started = Instant::now();
        let shared = Arc::new(Shared {
            started,
            samples: Mutex::default(),
            pace: Mutex::new(Pace::booting(started, boot_cap)),
            wake: Notify::new(),
        });
        let (tx, rx) = watch::channel(None);
        let task = runtime().spawn(probe_loop(spec.clone(), shared.clone(), tx, cancel));
        Prober {
            spec,
            shared,
            state: rx,
            task,
        }
    }

    /// Probes fast from now (call it just before a fault) until the replica has been seen
    /// unhealthy and healthy again, `cap` at the most.
    pub(crate) fn boost(&self, cap: Duration) {
        self.shared
            .pace
            .lock()
            .expect("probe pace lock")
            .boost(Instant::now(), cap);
        self.shared.wake.notify_one();
    }

    /// Waits until the latest probe is healthy, at most `within`.
    pub(crate) async fn wait_healthy(&self, within: Duration) -> bool {
        let mut rx = self.state.clone();
        tokio::time::timeout(within, rx.wait_for(|o| *o == Some(ProbeOutcome::Healthy)))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Waits until the latest probe is healthy and was sent at or after `since`, at most
    /// `within`: after a fault, the fresh instance's health, not a late answer of the old one.
    pub(crate) async fn wait_healthy_since(&self, since: Instant, within: Duration) -> bool {
        let mut rx = self.state.clone();
        let shared = self.shared.clone();
        let fresh = move |o: &Option<ProbeOutcome>| {
            // samples are kept in the order they completed: among those completed since,
            // a healthy one sent since
            let samples = shared.samples.lock().expect("probe samples lock");
            *o == Some(ProbeOutcome::Healthy)
                && samples
                    .iter()
                    .rev()
                    .take_while(|s| s.done >= since)
                    .any(|s| s.outcome == ProbeOutcome::Healthy && s.sent >= since)
        };
        tokio::time::timeout(within, rx.wait_for(fresh))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// (probes that timed out, probes answered or failed) so far: a never-healthy app whose
    /// probes mostly timed out may only be slower than the probe's timeout.
    pub fn timeouts(&self) -> (usize, usize) {
        let samples = self.shared.samples.lock().expect("probe samples lock");
        let timed_out = samples.iter().filter(|s| s.outcome == ProbeOutcome::Timeout).count();
        (timed_out, samples.len())
    }

    /// Stops the loop (the caller cancels the token first) and returns the log.
    pub async fn finish(self, clock: &RunClock) -> ProbeLog {
        let _ = tokio::time::timeout(self.spec.timeout * 2, self.task).await;
        let samples = std::mem::take(&mut *self.shared.samples.lock().expect("probe samples lock"));
        let mut pace = self.shared.pace.lock().expect("probe pace lock");
        let ended = Instant::now();
        pace.end(ended);
        to_log(&self.spec, samples, &pace.spans, (self.shared.started, ended), clock)
    }
}

/// The probes' own runtime, on a thread of its own: time to healthy is read from the probes'
/// send and answer stamps, and on the run's runtime any other task (the load, the engine's
/// events and answers, the memory samples; slower still in a debug build) could hold them
/// up. Here only the OS scheduler can.
fn runtime() -> tokio::runtime::Handle {
    static PROBES: OnceLock<Option<tokio::runtime::Handle>> = OnceLock::new();
    let own = PROBES.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("phoenix-probe".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .ok()?;
        Some(handle)
    });
    // should the thread not start, the probes share the caller's runtime as before
    own.clone().unwrap_or_else(tokio::runtime::Handle::current)
}

/// Orders samples by send time and keeps only changes of outcome.
pub(crate) fn to_log(
    spec: &ProbeSpec,
    mut samples: Vec<Sample>,
    spans: &[(Instant, Instant)],
    probing: (Instant, Instant),
    clock: &RunClock,
) -> ProbeLog {
    samples.sort_by_key(|s| s.sent);
    // the first probe of each fast span is kept even if its outcome did not change: it is
    // what the probe saw right after a fault
    let firsts: Vec<usize> = spans
        .iter()
        .filter_map(|(start, _)| samples.iter().position(|s| s.sent >= *start))
        .collect();
    let mut transitions: Vec<ProbeTransition> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let done_us = clock.us_of(s.done);
        match transitions.last_mut() {
            Some(t) if t.outcome == s.outcome && !firsts.contains(&i) => {
                // probes overlap: a later-sent probe of the same outcome can finish first,
                // and that is when the harness learnt the outcome (and when a rolling
                // fault moved on)
                t.done_us = t.done_us.min(done_us);
            }
            _ => transitions.push(ProbeTransition {
                sent_us: clock.us_of(s.sent),
                done_us,
                outcome: s.outcome,
                prev_sent_us: i.checked_sub(1).map(|p| clock.us_of(samples[p].sent)),
            }),
        }
    }
    ProbeLog {
        replica: spec.replica.clone(),
        interval_us: spec.interval.as_micros() as i64,
        slow_interval_us: spec.slow_interval.as_micros() as i64,
        sent: samples.len() as u64,
        fast_sent: samples.iter().filter(|s| s.fast).count() as u64,
        fast_spans: spans.iter().map(|(a, b)| [clock.us_of(*a), clock.us_of(*b)]).collect(),
        probing_us: [clock.us_of(probing.0), clock.us_of(probing.1)],
        transitions,
    }
}

async fn probe_loop(
    spec: ProbeSpec,
    shared: Arc<Shared>,
    tx: watch::Sender<Option<ProbeOutcome>>,
    cancel: CancellationToken,
) {
    let tx = Arc::new(tx);
    // built once: every probe sends the same bytes
    let bytes = request(&spec);
    let probe = Arc::new((spec, bytes));
    // latest sample by send time wins the live state, whatever order probes finish in
    let latest_sent: Arc<Mutex<Option<Instant>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    let mut next = Instant::now();
    loop {
        let boosted = tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep_until(next.into()) => false,
            _ = shared.wake.notified() => true,
        };
        while tasks.try_join_next().is_some() {}
        let now = Instant::now();
        let fast = shared.pace.lock().expect("probe pace lock").is_fast(now);
        let interval = if fast { probe.0.interval } else { probe.0.slow_interval };
        // on the grid of the interval, without catching up missed ticks; a boost restarts it
        let base = if boosted { now } else { next };
        next = (base + interval).max(now);
        if tasks.len() >= MAX_IN_FLIGHT {
            continue;
        }
        let (one, shared, tx, latest_sent) = (probe.clone(), shared.clone(), tx.clone(), latest_sent.clone());
        tasks.spawn(async move {
            let sent = Instant::now();
            let outcome = timed(&one.0, &one.1).await;
            let sample = Sample {
                sent,
                done: Instant::now(),
                outcome,
                fast,
            };
            shared.pace.lock().expect("probe pace lock").observe(&sample);
            shared.samples.lock().expect("probe samples lock").push(sample);
            let mut latest = latest_sent.lock().expect("probe state lock");
            if latest.is_none_or(|l| sent >= l) {
                *latest = Some(sent);
                tx.send_replace(Some(outcome));
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// One probe: fresh connection, `GET path`, status line, bounded by the timeout.
pub async fn probe_once(spec: &ProbeSpec) -> ProbeOutcome {
    timed(spec, &request(spec)).await
}

async fn timed(spec: &ProbeSpec, request: &[u8]) -> ProbeOutcome {
    match tokio::time::timeout(spec.timeout, exchange(spec, request)).await {
        Err(_) => ProbeOutcome::Timeout,
        Ok(outcome) => outcome,
    }
}

/// The probe's request: `GET path`, no body, the connection closed after the answer.
fn request(spec: &ProbeSpec) -> Vec<u8> {
    // validation lets only visible ASCII through; should anything else arrive, it is
    // percent-encoded rather than written raw into the request line
    debug_assert!(
        crate::scenario::http::target_problem(&spec.path).is_none(),
        "an unvalidated health path reached the probe"
    );
    format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: phoenix-probe\r\n\r\n",
        crate::scenario::http::encode_target(&spec.path),
        spec.addr
    )
    .into_bytes()
}

async fn exchange(spec: &ProbeSpec, request: &[u8]) -> ProbeOutcome {
    let mut stream = match TcpStream::connect(spec.addr).await {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return ProbeOutcome::Refused,
        Err(_) => return ProbeOutcome::NoAnswer,
    };
    let _ = stream.set_nodelay(true);
    if stream.write_all(request).await.is_err() {
        return ProbeOutcome::NoAnswer;
    }
    let mut buf = [0u8; 64];
    let mut got = 0;
    // "HTTP/1.1 200" is 12 bytes
    while got < 12 {
        match stream.read(&mut buf[got..]).await {
            Ok(0) | Err(_) => return ProbeOutcome::NoAnswer,
            Ok(n) => got += n,
        }
    }
    match parse_status(&buf[..got]) {
        Some(s) if s == spec.status => ProbeOutcome::Healthy,
        Some(_) => ProbeOutcome::Unhealthy,
        None => ProbeOutcome::NoAnswer,
    }
}

/// Status code of an HTTP/1.x status line.
fn parse_status(head: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(head).ok()?;
    let mut parts = text.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/1."))?;
    parts.next()?.parse().ok()
}

/// A hint when most probes timed out: the app may answer, only slower than the timeout.
pub(crate) fn slow_hint(probers: &[Prober], timeout: Duration) -> String {
    let (timed_out, sent) = probers
        .iter()
        .map(Prober::timeouts)
        .fold((0, 0), |(t, n), (a, b)| (t + a, n + b));
    if sent == 0 || timed_out * 2 < sent {
        return String::new();
    }
    format!(
        "; {timed_out} of {sent} probes got no answer within app.health.timeout ({} ms): if the health page is slow to answer, raise it ([app.health] timeout, certify --health-timeout)",
        timeout.as_millis()
    )
}

#[cfg(test)]
mod tests;
