//! Validating `[[fault]]` entries: the kind, what ends it, its target and its timing.
//! A chaos loop stays one entry here; the plan expands it into single faults.

use super::duration::format_duration;
use super::error::did_you_mean;
use super::file::FaultFile;
use super::validate::{Validator, MAX_DURATION, MIN_BASELINE};
use super::{Action, App, BackendKind, Chaos, Fault, FaultKind, Load, ALL, RANDOM};
use std::time::Duration;

/// Most faults in one chaos loop.
pub(crate) const MAX_CHAOS_COUNT: i64 = 1000;
const CHAOS: &str = "chaos";

impl Validator<'_> {
    pub(super) fn fault(
        &mut self,
        i: usize,
        raw: FaultFile,
        app: &App,
        load: &Load,
        services: &[&str],
    ) -> Option<Fault> {
        let field = format!("fault[{i}]");
        let at = self.fault_at(&field, &raw.at, load);
        let chaos_loop = raw.kind == CHAOS;
        let kind_name = if chaos_loop {
            raw.fault.clone().unwrap_or_default()
        } else {
            raw.kind.clone()
        };
        let kind_field = if chaos_loop {
            format!("{field}.fault")
        } else {
            format!("{field}.kind")
        };
        let kind = self.fault_kind(&kind_name, &kind_field, chaos_loop && raw.fault.is_none(), chaos_loop);
        self.backend_support(&field, &kind_field, kind, &raw.target, app.backend, chaos_loop);
        if !chaos_loop {
            self.chaos_keys(&field, &raw);
        }
        let action = kind.and_then(|k| self.action(&field, k, raw.then.as_deref(), app.backend));
        if let Some(order) = raw.order.as_deref() {
            self.update_order(&format!("{field}.order"), order, app.backend, action);
        }
        let dependency = services.contains(&raw.target.as_str());
        if dependency {
            self.dependency(&field, &raw.target, kind, action, app.backend, chaos_loop);
        } else {
            self.target(&field, &raw.target, app, chaos_loop, services);
        }
        let toxic = self.toxic(&field, &raw, kind, dependency);
        let delay = self.delay(&field, &raw, kind, &kind_name);
        let grace = self.grace(&field, kind, raw.grace.as_deref());
        let chaos = chaos_loop.then(|| self.chaos(&field, &raw, at, load));
        Some(Fault {
            at,
            kind: kind?,
            action: action?,
            target: raw.target,
            delay,
            grace,
            chaos: chaos.flatten(),
            dependency,
            toxic,
        })
    }

    /// A fault on a `[[service]]`: the kinds and actions a dependency can take, on a backend
    /// that runs services and faults them (Docker).
    fn dependency(
        &mut self,
        field: &str,
        service: &str,
        kind: Option<FaultKind>,
        action: Option<Action>,
        backend: BackendKind,
        chaos_loop: bool,
    ) {
        let key = format!("{field}.target");
        if backend != BackendKind::Docker {
            self.problem(
                &key,
                format!(
                    "a fault on service \"{service}\" is not supported with backend = \"{}\"",
                    backend.as_str()
                ),
                Some("faults on services run on backend = \"docker\"; target a replica here".into()),
            );
            return;
        }
        if chaos_loop {
            self.problem(
                &key,
                format!("a chaos loop draws replicas, not service \"{service}\""),
                Some("schedule faults on a service one by one".into()),
            );
            return;
        }
        let kind_ok = kind.is_none_or(|k| {
            matches!(
                k,
                FaultKind::Kill | FaultKind::Stop | FaultKind::Pause | FaultKind::Disconnect
            ) || k.toxic_type().is_some()
        });
        if !kind_ok {
            let k = kind.map_or("", |k| k.as_str());
            self.problem(
                &format!("{field}.kind"),
                format!("a {k} fault cannot target service \"{service}\""),
                Some("a service takes kill, stop (then restart or replace), pause, disconnect, or a network fault on its link (latency, bandwidth, timeout, reset, slow_close, limit_data)".into()),
            );
        } else if action == Some(Action::Platform) {
            self.problem(
                &format!("{field}.then"),
                format!("service \"{service}\" has no orchestrator to bring it back"),
                Some("use then = \"restart\" (the same container) or \"replace\" (a fresh one from the image)".into()),
            );
        }
    }

    /// `at`: late enough for a baseline before it, early enough to fall within the load.
    fn fault_at(&mut self, field: &str, written: &str, load: &Load) -> Duration {
        let key = format!("{field}.at");
        let at = self.duration(&key, Some(written), MIN_BASELINE, Duration::ZERO, MAX_DURATION);
        if at < MIN_BASELINE {
            self.problem(
                &key,
                format!(
                    "{} leaves no baseline: the load must run at least {} before the first fault",
                    written,
                    format_duration(MIN_BASELINE)
                ),
                Some(format!(
                    "use at = \"{}\" or later; recovery is measured against the load before the fault",
                    format_duration(MIN_BASELINE)
                )),
            );
        } else if self.load_known && at >= load.duration {
            self.problem(
                &key,
                format!(
                    "{} is at or after the end of the load ({})",
                    written,
                    format_duration(load.duration)
                ),
                Some("schedule it earlier or make load.duration longer".into()),
            );
        }
        at
    }

    /// The fault's kind (a chaos loop's `fault`), or None after saying what kinds there are;
    /// `unnamed`: a chaos loop without `fault`.
    fn fault_kind(&mut self, kind_name: &str, kind_field: &str, unnamed: bool, chaos_loop: bool) -> Option<FaultKind> {
        let kind = FaultKind::parse(kind_name);
        if kind.is_none() {
            let all: Vec<&str> = FaultKind::NAMES
                .iter()
                .copied()
                .chain((!chaos_loop).then_some(CHAOS))
                .collect();
            let hint = match did_you_mean(kind_name, all.iter().copied()) {
                Some(s) => format!("did you mean \"{s}\"? kinds are {}", all.join(", ")),
                None => format!("use one of {}", all.join(", ")),
            };
            let message = if unnamed {
                "a chaos loop needs `fault`, the kind it injects".to_string()
            } else {
                format!("unknown fault kind \"{kind_name}\"")
            };
            self.problem(kind_field, message, Some(hint));
        }
        kind
    }

    /// Kinds a backend cannot inject: a disconnect on a process or Swarm, a burn anywhere
    /// but Docker (see [`Self::burn`]).
    fn backend_support(
        &mut self,
        field: &str,
        kind_field: &str,
        kind: Option<FaultKind>,
        target: &str,
        backend: BackendKind,
        chaos_loop: bool,
    ) {
        if kind == Some(FaultKind::Disconnect) && backend == BackendKind::Process {
            self.problem(
                kind_field,
                "a disconnect fault is not supported with backend = \"process\"",
                Some("a local process has no network of its own to cut: use kill, stop, pause or remove, or backend = \"docker\"".into()),
            );
        }
        if kind == Some(FaultKind::Disconnect) && backend == BackendKind::Swarm {
            self.problem(
                kind_field,
                "a disconnect fault is not supported with backend = \"swarm\"",
                Some("a task's host-mode port does not pass the overlay network, so cutting it off would not cut its clients off: use kill, stop, pause or remove, or backend = \"docker\"".into()),
            );
        }
        if kind == Some(FaultKind::Burn) {
            self.burn(field, kind_field, target, backend, chaos_loop);
        }
    }

    /// The chaos loop's own keys, refused on a single fault.
    fn chaos_keys(&mut self, field: &str, raw: &FaultFile) {
        for (key, present) in [
            ("fault", raw.fault.is_some()),
            ("every", raw.every.is_some()),
            ("count", raw.count.is_some()),
            ("seed", raw.seed.is_some()),
        ] {
            if present {
                self.problem(
                    &format!("{field}.{key}"),
                    "only applies to kind = \"chaos\"",
                    Some("remove it, or make this fault a chaos loop".into()),
                );
            }
        }
    }

    /// How long a lasting fault (pause, disconnect, remove) lasts (`for`, required), or
    /// the orchestrator's reaction delay of the others (`delay`).
    fn delay(&mut self, field: &str, raw: &FaultFile, kind: Option<FaultKind>, kind_name: &str) -> Duration {
        let lasting = kind.is_some_and(|k| k.lasts());
        if lasting {
            if raw.delay.is_some() {
                self.problem(
                    &format!("{field}.delay"),
                    "does not apply to a fault that lasts `for` a while",
                    Some("use `for = \"2s\"`: how long it lasts".into()),
                );
            }
            if raw.for_.is_none() {
                self.problem(
                    field,
                    format!("a {kind_name} fault needs `for`, how long it lasts"),
                    Some("add e.g. for = \"2s\"".into()),
                );
            }
            self.duration(
                &format!("{field}.for"),
                raw.for_.as_deref(),
                Duration::from_secs(1),
                Duration::from_millis(1),
                Duration::from_secs(600),
            )
        } else {
            if raw.for_.is_some() && kind.is_some() {
                self.problem(
                    &format!("{field}.for"),
                    format!("does not apply to kind = \"{kind_name}\""),
                    Some("use `delay` for the orchestrator's reaction delay".into()),
                );
            }
            self.duration(
                &format!("{field}.delay"),
                raw.delay.as_deref(),
                Duration::ZERO,
                Duration::ZERO,
                Duration::from_secs(600),
            )
        }
    }

    /// `grace`: how long a stop waits after SIGTERM; no other kind has one.
    fn grace(&mut self, field: &str, kind: Option<FaultKind>, grace: Option<&str>) -> Duration {
        match (kind, grace) {
            (Some(FaultKind::Stop), g) => self.duration(
                &format!("{field}.grace"),
                g,
                Duration::from_secs(10),
                Duration::ZERO,
                Duration::from_secs(600),
            ),
            (Some(k), Some(_)) => {
                self.problem(
                    &format!("{field}.grace"),
                    format!("only applies to kind = \"stop\" (a {} has no grace period)", k.as_str()),
                    Some("remove it, or use kind = \"stop\"".into()),
                );
                Duration::ZERO
            }
            _ => Duration::ZERO,
        }
    }

    fn action(&mut self, field: &str, kind: FaultKind, then: Option<&str>, backend: BackendKind) -> Option<Action> {
        let (default, choosable) = kind.default_action();
        match (then, choosable) {
            (None, _) => Some(default),
            (Some("restart"), true) => Some(Action::Restart),
            (Some("replace"), true) => Some(Action::Replace),
            (Some("platform"), true) if backend == BackendKind::Swarm => Some(Action::Platform),
            (Some("platform"), true) => {
                self.problem(
                    &format!("{field}.then"),
                    format!("\"platform\" needs an orchestrator, and backend = \"{}\" has none", backend.as_str()),
                    Some("use restart or replace (the harness acts), or backend = \"swarm\" (Swarm replaces the task by its restart policy)".into()),
                );
                None
            }
            (Some(other), true) => {
                let hint = match did_you_mean(other, ["restart", "replace", "platform"]) {
                    Some(s) => format!("did you mean \"{s}\"? use restart (same container) or replace (a fresh container from the image)"),
                    None => "use restart (same container) or replace (a fresh container from the image)".into(),
                };
                self.problem(
                    &format!("{field}.then"),
                    format!("unknown action \"{other}\""),
                    Some(hint),
                );
                None
            }
            (Some(t), false) if t == default.as_str() => Some(default),
            (Some(other), false) => {
                self.problem(
                    &format!("{field}.then"),
                    format!(
                        "a {} fault always ends with {}, not \"{other}\"",
                        kind.as_str(),
                        default.as_str()
                    ),
                    Some("remove `then`".into()),
                );
                None
            }
        }
    }

    /// A burn hits every container at once, on Docker only, and is never drawn by a chaos
    /// loop (it has no single target to draw).
    fn burn(&mut self, field: &str, kind_field: &str, target: &str, backend: BackendKind, chaos_loop: bool) {
        if backend != BackendKind::Docker {
            self.problem(
                kind_field,
                format!("a burn fault is not supported with backend = \"{}\"", backend.as_str()),
                Some(format!(
                    "a burn kills and rebuilds every container of the scenario, services and front included, which only the docker backend does; use backend = \"docker\", or a kill fault (the {} backend has {})",
                    backend.as_str(),
                    if backend == BackendKind::Process { "no services or front" } else { "no services yet" }
                )),
            );
        }
        if chaos_loop {
            self.problem(
                kind_field,
                "a chaos loop cannot burn",
                Some("schedule the burn as a fault of its own: kind = \"burn\", target = \"all\"".into()),
            );
        } else if target != ALL {
            self.problem(
                &format!("{field}.target"),
                format!("a burn hits every container of the scenario, not \"{target}\" alone"),
                Some("use target = \"all\"".into()),
            );
        }
    }

    fn target(&mut self, field: &str, target: &str, app: &App, chaos_loop: bool, services: &[&str]) {
        let ok = app.replicas.iter().any(|r| r == target) || target == ALL || (chaos_loop && target == RANDOM);
        if ok {
            return;
        }
        let mut names = app.replicas.join(", ");
        names.push_str(if chaos_loop {
            " (or \"random\": a replica drawn each time)"
        } else {
            " (or \"all\": each replica in turn)"
        });
        let hint = match did_you_mean(target, app.replicas.iter().map(String::as_str)) {
            Some(s) if target.starts_with("app-") => {
                format!(
                    "there are {} replica(s), named {names}; raise app.replicas or target e.g. \"{s}\"",
                    app.replicas.len()
                )
            }
            Some(s) => format!("did you mean \"{s}\"? replicas are named {names}"),
            None => format!("replicas are named {names}"),
        };
        let hint = match services.is_empty() {
            true => hint,
            false => format!("{hint}; services are named {}", services.join(", ")),
        };
        self.problem(
            &format!("{field}.target"),
            format!("no replica named \"{target}\""),
            Some(hint),
        );
    }

    fn chaos(&mut self, field: &str, raw: &FaultFile, at: Duration, load: &Load) -> Option<Chaos> {
        let every = match raw.every.as_deref() {
            Some(e) => self.duration(
                &format!("{field}.every"),
                Some(e),
                Duration::from_secs(1),
                Duration::from_millis(100),
                Duration::from_secs(3600),
            ),
            None => {
                self.problem(
                    field,
                    "a chaos loop needs `every`, the time between faults",
                    Some("add e.g. every = \"3s\"".into()),
                );
                return None;
            }
        };
        let count = self.int(&format!("{field}.count"), raw.count, 3, 1, MAX_CHAOS_COUNT) as u32;
        let seed = match raw.seed {
            Some(s) if s >= 0 => s as u64,
            Some(s) => {
                self.problem(
                    &format!("{field}.seed"),
                    format!("{s} is negative"),
                    Some("use a whole number from 0".into()),
                );
                0
            }
            None => 1,
        };
        let last = at + every * count.saturating_sub(1);
        if self.load_known && last >= load.duration {
            self.problem(
                &format!("{field}.count"),
                format!(
                    "the last of {count} faults every {} would fall at {}, after the load ends ({})",
                    format_duration(every),
                    format_duration(last),
                    format_duration(load.duration)
                ),
                Some("lower `count` or `every`, or make load.duration longer".into()),
            );
        }
        Some(Chaos { every, count, seed })
    }
}
