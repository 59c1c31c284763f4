//! Live progress on stderr while a run goes: phase, elapsed vs planned time, sent, ok,
//! failed and the current rate. Hidden when stderr is not a terminal (CI logs, cargo bench).

use crate::execute::Live;
use crate::scenario::plan::Plan;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running progress display; `finish` clears it.
pub struct Progress {
    bar: ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    pub fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

/// The line: a spinner, then the message `start` writes.
const TEMPLATE: &str = "{spinner} {msg}";

/// Starts the display.
pub fn start(live: Arc<Live>, plan: Plan) -> Progress {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    bar.set_draw_target(if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    bar.set_style(ProgressStyle::with_template(TEMPLATE).unwrap_or_else(|_| ProgressStyle::default_spinner()));
    let planned = plan.load_duration * plan.trials;
    let b = bar.clone();
    let task = tokio::spawn(async move {
        let start = Instant::now();
        let mut last = (Instant::now(), 0u64);
        loop {
            let (sent, ok, failed) = live.counters.snapshot();
            let dt = last.0.elapsed().as_secs_f64().max(1e-3);
            let rate = (sent.saturating_sub(last.1)) as f64 / dt;
            last = (Instant::now(), sent);
            let phase = live.phase.lock().map(|p| p.clone()).unwrap_or_default();
            b.set_message(format!(
                "{phase} · {:.0}/{:.0} s · sent {sent} ok {ok} failed {failed} · {rate:.0} req/s",
                start.elapsed().as_secs_f64(),
                planned.as_secs_f64()
            ));
            b.tick();
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    Progress { bar, task }
}

#[cfg(test)]
mod tests {
    /// `start` falls back to a bare spinner when the template does not parse, so a change
    /// of indicatif's template syntax would otherwise go unnoticed.
    #[test]
    fn the_progress_template_parses() {
        assert!(indicatif::ProgressStyle::with_template(super::TEMPLATE).is_ok());
    }
}
