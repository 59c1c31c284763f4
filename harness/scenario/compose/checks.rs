//! Values of a compose file checked as Compose would check them before running anything:
//! restart policies, `depends_on` conditions, port and `expose` syntax, durations,
//! `x-phoenix.shared`, and names with stray spaces. A value Compose would refuse, or one
//! phoenix would read differently from Compose, is refused at its line, never dropped or
//! trimmed.

use super::Compose;
use docker_compose_types as dct;
use std::time::Duration;

/// One port entry: its container port (a range for a dependency) and protocol.
pub(super) struct PortSpec {
    pub first: u16,
    pub last: u16,
    pub(crate) proto: String,
}

/// The hint of every port refusal.
pub(super) const PORT_HINT: &str =
    "write \"8080\", \"8080:8080\" or \"127.0.0.1:8080:8080\" (ports from 1 to 65535, protocol tcp, udp or sctp)";

/// Keys whose strings may start or end with a space (values passed as written).
const SPACED: &[&str] = &["environment", "command", "healthcheck", "ready_log", "build_command"];

/// The longest grace phoenix gives a stop (a fault's `grace`).
const MAX_GRACE: Duration = Duration::from_secs(600);

impl Compose<'_> {
    /// The checks of every service, app or dependency.
    pub(super) fn service_values(&mut self, name: &str, s: &dct::Service) {
        if let Some(r) = s.restart.as_deref().filter(|r| !restart_ok(r)) {
            self.value_problem(
                &["services", name, "restart"],
                format!("\"{r}\" is not a restart policy"),
                "write no, always, on-failure, on-failure:3 or unless-stopped",
            );
        }
        if let dct::DependsOnOptions::Conditional(m) = &s.depends_on {
            for (dep, c) in m {
                let known = ["service_started", "service_healthy", "service_completed_successfully"];
                if !known.contains(&c.condition.as_str()) {
                    self.value_problem(
                        &["services", name, "depends_on", dep, "condition"],
                        format!("\"{}\" is not a depends_on condition", c.condition),
                        "write service_started, service_healthy or service_completed_successfully",
                    );
                }
            }
        }
    }

    /// Every entry of `ports` and `expose`, checked; the valid ones with their key and index.
    pub(super) fn port_specs(&mut self, name: &str, s: &dct::Service) -> Vec<(&'static str, usize, String, PortSpec)> {
        let mut found = Vec::new();
        match &s.ports {
            dct::Ports::Short(l) => found.extend(
                l.iter()
                    .enumerate()
                    .map(|(i, p)| ("ports", i, p.clone(), short_port(p))),
            ),
            dct::Ports::Long(l) => found.extend(
                l.iter()
                    .enumerate()
                    .map(|(i, p)| ("ports", i, p.target.to_string(), long_port(p))),
            ),
        }
        found.extend(
            s.expose
                .iter()
                .enumerate()
                .map(|(i, e)| ("expose", i, e.clone(), expose(e))),
        );
        let mut out = Vec::new();
        for (key, i, shown, checked) in found {
            match checked {
                Ok(spec) => out.push((key, i, shown, spec)),
                Err(why) => {
                    let idx = i.to_string();
                    self.value_problem(&["services", name, key, &idx], format!("\"{shown}\": {why}"), PORT_HINT);
                }
            }
        }
        out
    }

    /// `stop_grace_period` as a fault's `grace`; None after refusing it.
    pub(super) fn grace(&mut self, name: &str, written: &str) -> Option<String> {
        let d = compose_duration(written).filter(|d| *d <= MAX_GRACE);
        if d.is_none() {
            self.value_problem(
                &["services", name, "stop_grace_period"],
                format!("\"{written}\" is not a duration from 0s to 600s"),
                "write a Compose duration, e.g. 10s, 1m30s or 500ms",
            );
        }
        d.map(crate::scenario::format_duration)
    }

    /// `x-phoenix.shared` names only volumes the file declares.
    pub(super) fn shared(&mut self, app: &str, shared: &[String], declared: &[String]) {
        for (i, v) in shared.iter().enumerate() {
            if !declared.contains(v) {
                let idx = i.to_string();
                self.value_problem(
                    &["services", app, "x-phoenix", "shared", &idx],
                    format!("\"{v}\" is not a volume declared under the top-level volumes:"),
                    format!("declare it (volumes: {{ {v}: {{}} }}) and mount it, or remove it from shared"),
                );
            }
        }
    }

    /// A string at `path` with a leading or trailing space, where Compose would pass it on
    /// as written (and phoenix or Docker would trim or misread it): refused.
    pub(super) fn spaces(&mut self, s: &str, path: &[String]) {
        let exempt = match path {
            [top, ..] if top.starts_with("x-") => true,
            [top, _, key, rest @ ..] if top == "services" => {
                SPACED.contains(&key.as_str()) || rest.first().is_some_and(|k| SPACED.contains(&k.as_str()))
            }
            _ => false,
        };
        if !exempt && s.trim() != s {
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            self.value_problem(
                &p,
                format!("\"{s}\" starts or ends with a space"),
                "remove the spaces around the value (inside the quotes)",
            );
        }
    }
}

fn restart_ok(r: &str) -> bool {
    matches!(r, "no" | "always" | "on-failure" | "unless-stopped")
        || r.strip_prefix("on-failure:")
            .is_some_and(|n| (1..=9).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `[[ip:][host]:]container[/proto]`, Compose's short syntax.
fn short_port(p: &str) -> Result<PortSpec, String> {
    let (rest, proto) = p.rsplit_once('/').unwrap_or((p, "tcp"));
    let proto = protocol(proto)?;
    let (host, container) = match rest.rsplit_once(':') {
        Some((h, c)) => (Some(h), c),
        None => (None, rest),
    };
    if let Some(h) = host {
        match h.rsplit_once(':') {
            // `127.0.0.1::80`: any free host port on that address
            Some((ip, hp)) => {
                host_ip(ip)?;
                if !hp.is_empty() {
                    range(hp, "host port")?;
                }
            }
            None => _ = range(h, "host port")?,
        }
    }
    let (first, last) = range(container, "container port")?;
    Ok(PortSpec { first, last, proto })
}

fn long_port(p: &dct::Port) -> Result<PortSpec, String> {
    let proto = protocol(p.protocol.as_deref().unwrap_or("tcp"))?;
    if p.target == 0 {
        return Err("target 0 is not a port".into());
    }
    match &p.published {
        Some(dct::PublishedPort::Single(0)) => return Err("published 0 is not a port".into()),
        Some(dct::PublishedPort::Range(r)) => _ = range(r, "published port")?,
        _ => {}
    }
    if let Some(ip) = &p.host_ip {
        host_ip(ip)?;
    }
    if let Some(m) = p.mode.as_deref().filter(|m| !matches!(*m, "host" | "ingress")) {
        return Err(format!("mode {m} is not host or ingress"));
    }
    Ok(PortSpec {
        first: p.target,
        last: p.target,
        proto,
    })
}

fn expose(e: &str) -> Result<PortSpec, String> {
    let (port, proto) = e.split_once('/').unwrap_or((e, "tcp"));
    let proto = protocol(proto)?;
    let (first, last) = range(port, "port")?;
    Ok(PortSpec { first, last, proto })
}

fn protocol(p: &str) -> Result<String, String> {
    match p {
        "tcp" | "udp" | "sctp" => Ok(p.into()),
        _ => Err(format!("protocol {p} is not tcp, udp or sctp")),
    }
}

fn host_ip(ip: &str) -> Result<(), String> {
    let bare = ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')).unwrap_or(ip);
    bare.parse::<std::net::IpAddr>()
        .map(|_| ())
        .map_err(|_| format!("host address {ip} is not an IP address"))
}

/// `N` or `N-M`, ports from 1 to 65535.
fn range(t: &str, what: &str) -> Result<(u16, u16), String> {
    let port = |n: &str| {
        n.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| n.parse::<u16>().ok())
            .flatten()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("{what} {n} is not a port from 1 to 65535"))
    };
    match t.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b)?);
            if a > b {
                return Err(format!("{what} range {t} runs backwards"));
            }
            Ok((a, b))
        }
        None => port(t).map(|p| (p, p)),
    }
}

/// A Compose duration (Go's syntax: `10s`, `1m30s`, `1.5s`, `500ms`; units ns, us, ms,
/// s, m, h), at most 64 bytes.
pub(super) fn compose_duration(t: &str) -> Option<Duration> {
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let (mut total, mut rest) = (0f64, t);
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, r) = rest.split_at(n);
        let u = r.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(r.len());
        let (unit, r) = r.split_at(u);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += num.parse::<f64>().ok()? * scale;
        rest = r;
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_durations_parse_as_compose_reads_them() {
        assert_eq!(compose_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(compose_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(compose_duration("0s"), Some(Duration::ZERO));
        for bad in ["", "10", "garbage", "10 s", " 10s", "-1s", "1..2s", "s", "1sm"] {
            assert_eq!(compose_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn short_ports_check_every_part() {
        for ok in [
            "80",
            "8080:80",
            "127.0.0.1:8080:80",
            "127.0.0.1::80",
            "[::1]:6001:6001",
            "3000-3005",
            "53:53/udp",
        ] {
            assert!(short_port(ok).is_ok(), "{ok}");
        }
        for bad in [
            "abc:80",
            "70000:80",
            ":80",
            "80:",
            "0",
            "+80",
            "9-3",
            "1.2.3:80:80",
            "80/icmp",
            "x:80:80",
        ] {
            assert!(short_port(bad).is_err(), "{bad}");
        }
    }
}
