//! The static Phoenix lint of the app service: what would keep it from being replaced
//! freely. Each finding is a warning at its line (shown by `phoenix validate`, before a
//! run, and in the report); none stops the run, since phoenix plays the orchestrator and
//! the behaviour it measures is the judge.

use super::Compose;
use docker_compose_types as dct;

/// Why a bind mount defeats a phoenix server (also the mapping's refusal).
pub(super) const BIND_WHY: &str = "state on the host: a replacement on another host starts without it, and two replicas on one host share it by accident";

impl Compose<'_> {
    pub(super) fn warn(&self, out: &mut Vec<String>, path: &[&str], why: &str) {
        let (l, c) = super::locate(self.text, path);
        let file = self.file.display().to_string();
        out.push(format!(
            "{}:{l}:{c}: {}: {why}",
            crate::scenario::escape(&file),
            crate::scenario::escape(&path.join("."))
        ));
    }
}

/// The lint's warnings for the app service `name`; `shared` are the volumes its
/// `x-phoenix.shared` declares shared.
pub(super) fn lint(c: &Compose<'_>, name: &str, s: &dct::Service, shared: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for v in &s.volumes {
        let src = match v {
            dct::Volumes::Simple(t) => t.split_once(':').map(|(s, _)| s.to_string()),
            dct::Volumes::Advanced(a) if a._type == "volume" => a.source.clone(),
            dct::Volumes::Advanced(_) => None,
        };
        match src {
            Some(src) if src.starts_with(['.', '/', '~']) => c.warn(&mut out, &["services", name, "volumes"], &format!("bind mount of {src}: {BIND_WHY}")),
            Some(src) if !shared.contains(&src) => c.warn(
                &mut out,
                &["services", name, "volumes"],
                &format!("named volume \"{}\" is not declared shared (x-phoenix.shared): a volume is local to one host, so a replacement elsewhere starts without what was written to it; declare it shared only if production backs it with network storage", crate::scenario::escape(&src)),
            ),
            _ => {}
        }
    }
    if s.container_name.is_some() {
        c.warn(&mut out, &["services", name, "container_name"], "a fixed container name cannot be replicated: a second replica, or a replacement started before the old one is gone, clashes with it (phoenix names its replicas itself)");
    }
    let fixed_host_port = match &s.ports {
        dct::Ports::Short(l) => l.iter().any(|p| p.split(':').count() >= 2),
        dct::Ports::Long(l) => l.iter().any(|p| p.published.is_some()),
    };
    if fixed_host_port {
        c.warn(&mut out, &["services", name, "ports"], "publishes a fixed host port: two replicas on one host clash, and a replacement waits for the old one to free it (phoenix publishes its own ports on 127.0.0.1)");
    }
    if s.restart.as_deref() == Some("no") {
        c.warn(&mut out, &["services", name, "restart"], "restart: \"no\": a killed or crashed server stays down until someone acts (phoenix plays the orchestrator, so this run does not show it)");
    }
    if s.healthcheck.is_none() {
        c.warn(&mut out, &["services", name], "no healthcheck: an orchestrator cannot tell a started server from a ready one, and sends traffic to a replacement before it can serve (phoenix probes app.health itself)");
    }
    out
}
