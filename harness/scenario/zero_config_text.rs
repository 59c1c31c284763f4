//! The default scenario as commented TOML text (`ZeroConfig::toml`), written a table at a
//! time: the header, `[app]`, `[load]`, the faults, `[certify]` and `[audit]`.

use super::super::duration::format_duration;
use super::{slots, ZeroConfig, AUDIT_SETTINGS, RATE};
use std::time::Duration;

/// A string as a TOML value, quoted and escaped.
fn q(s: &str) -> String {
    toml::Value::String(s.into()).to_string()
}

/// A line of TOML and its comment, aligned.
fn c(code: String, why: &str) -> String {
    format!("{code:<37} # {why}")
}

/// The text being written.
#[derive(Default)]
struct Text(String);

impl Text {
    fn line(&mut self, s: String) {
        self.0.push_str(&s);
        self.0.push('\n');
    }
}

impl ZeroConfig {
    /// The scenario as commented TOML text: R replicas under steady open-loop load, each
    /// killed then restarted, each killed then replaced, then a rolling replace; the audit on.
    pub fn toml(&self) -> String {
        let gap = self.gap();
        let r = self.replicas;
        let mut t = Text::default();
        t.line(format!(
            "# The default scenario of `phoenix certify` (phoenix-bench {}), as `phoenix init` writes it.",
            env!("CARGO_PKG_VERSION")
        ));
        t.line("# Edit it freely, check it with `phoenix validate FILE`, run it with `phoenix run FILE`.".into());
        t.line(format!("name = {}", q(&self.name())));
        let what = match &self.compose {
            Some(c) => format!("service {} of {}", c.service, c.file),
            None => self.image.clone(),
        };
        t.line(format!(
            "description = {}",
            q(&format!(
                "{r} replica(s) of {what} under steady load: each killed then restarted, each killed then replaced, then a rolling replace."
            ))
        ));
        t.line(c("require = \"resilient\"".into(), "lowest level that exits 0"));
        self.app_table(&mut t);
        t.line(String::new());
        t.line("[load]".into());
        t.line(c(
            format!("rate = {RATE}"),
            "requests per second, open loop, to the replicas in turn",
        ));
        t.line(format!("duration = {}", q(&format_duration(gap * slots(r)))));
        t.line("requests = [".into());
        for (m, p) in &self.requests {
            t.line(format!("  {{ method = {}, path = {} }},", q(m), q(p)));
        }
        t.line("]".into());
        self.fault_tables(&mut t, gap);
        t.line(String::new());
        t.line("[certify]".into());
        t.line(c(
            "time_to_healthy_target = \"5s\"".into(),
            "TTH p99 at or under it: resilient or better",
        ));
        t.line(String::new());
        t.line("[audit]".into());
        for (k, v, why) in AUDIT_SETTINGS {
            t.line(c(format!("{k} = {v}"), why));
        }
        t.0
    }

    /// `[app]` (the image, or the compose stack) and `[app.env]`.
    fn app_table(&self, t: &mut Text) {
        t.line(String::new());
        t.line("[app]".into());
        match &self.compose {
            Some(s) => {
                t.line(c(
                    format!("compose = {}", q(&s.file)),
                    "the stack: the service below is the app, every other one a dependency",
                ));
                t.line(c(
                    format!("service = {}", q(&s.service)),
                    "replicated, killed and loaded",
                ));
                if !s.env.is_empty() {
                    let names: Vec<String> = s.env.iter().map(|n| q(n)).collect();
                    t.line(c(
                        format!("compose_env = [{}]", names.join(", ")),
                        "the only environment variables the compose file may read",
                    ));
                }
            }
            None => t.line(c(
                format!("image = {}", q(&self.image)),
                "used if present locally, else pulled",
            )),
        }
        if let Some(port) = self.port {
            t.line(c(
                format!("port = {port}"),
                "the port the app listens on in its container",
            ));
        }
        t.line(c(
            format!("replicas = {}", self.replicas),
            "app-0, app-1, ...: each on a fixed 127.0.0.1 port",
        ));
        t.line(c(
            format!(
                "health = {{ path = {}, timeout = {} }}",
                q(&self.health),
                q(&format_duration(self.health_timeout))
            ),
            "probed until it answers 200; a probe waits up to timeout for it",
        ));
        if !self.env.is_empty() {
            t.line(String::new());
            t.line("[app.env]".into());
            for (k, v) in &self.env {
                t.line(format!("{k} = {}", q(v)));
            }
        }
    }

    /// The `[[fault]]`s, `gap` apart: each replica killed then restarted, each killed then
    /// replaced, then a rolling replace.
    fn fault_tables(&self, t: &mut Text, gap: Duration) {
        let mut at = gap;
        for (then, what) in [
            ("restart", "killed (SIGKILL) and started again in place"),
            (
                "replace",
                "killed and replaced by a fresh container from the image: the phoenix",
            ),
        ] {
            for i in 0..self.replicas {
                t.line(String::new());
                t.line(c("[[fault]]".into(), &format!("app-{i} {what}")));
                t.line(format!("at = {}", q(&format_duration(at))));
                t.line("kind = \"kill\"".into());
                t.line(format!("then = {}", q(then)));
                t.line(format!("target = \"app-{i}\""));
                at += gap;
            }
        }
        t.line(String::new());
        t.line(c(
            "[[fault]]".into(),
            "a rolling replace: every replica in turn, the next once the previous is healthy",
        ));
        t.line(format!("at = {}", q(&format_duration(at))));
        t.line("kind = \"kill\"".into());
        t.line("then = \"replace\"".into());
        t.line("target = \"all\"".into());
    }
}
