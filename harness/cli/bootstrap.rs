//! What every way of running a scenario sets up the same way, in one place: the run's
//! time stamp and id, the backend the scenario names (connected, with what dead runs left
//! removed), the environment the record keeps (engine, host, images), the images made
//! ready, and — for the CLI — cancellation on SIGINT/SIGTERM with a bounded last-resort
//! cleanup. `phoenix run` (and so `phoenix nightly`, which runs it per scenario) and the
//! recovery bench go through it.

use crate::backend::docker::{connect, remove_labelled};
use crate::backend::{labels, Backend};
use crate::cli::exit::EXIT_RUNTIME;
use crate::record::Environment;
use crate::scenario::Scenario;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// When a run starts: `stamp` names folders and run ids (`20260101-120000`), `rfc3339` is
/// what the record keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub stamp: String,
    pub(crate) rfc3339: String,
}

impl Started {
    /// Now, in UTC.
    pub fn now() -> Started {
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!(
                "[year][month][day]-[hour][minute][second]"
            ))
            .unwrap_or_else(|_| "run".into());
        let rfc3339 = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Started { stamp, rfc3339 }
    }

    /// The run id: unique on this host (the pid tells concurrent runs apart), readable.
    pub fn run_id(&self, scenario: &str) -> String {
        format!("{}-{}-{scenario}", self.stamp, std::process::id())
    }
}

/// A backend ready to deploy, and what the record says about where the run ran.
pub struct Prepared {
    pub backend: Arc<dyn Backend>,
    /// Version, backend and engine, host, and the image ids the run uses.
    pub environment: Environment,
}

/// Connects the backend `scenario` names for run `run_id` (removing what dead runs left),
/// asks it what it is, and makes the images ready (built when missing, or always with
/// `rebuild`). The backend is returned only when all three worked.
pub async fn prepare(scenario: &Scenario, run_id: &str, rebuild: bool) -> crate::backend::Result<Prepared> {
    let backend = crate::execute::deployment::backend(scenario, run_id).await?;
    let (name, version) = backend.describe().await?;
    let mut images = crate::execute::deployment::images(scenario, rebuild); // none on the process backend
                                                                            // the platform floor's null replica, unless the scenario's own images include it
    if !images.is_empty() && !crate::execute::floor::keys(scenario).is_empty() {
        if let Some(null) = crate::execute::deployment::null_image() {
            if images.iter().all(|i| i.reference != null.reference) {
                images.push(null);
            }
        }
    }
    if !images.is_empty() {
        eprintln!("phoenix: preparing images for '{}'", scenario.name);
    }
    let images = backend.ensure_images(&images).await?;
    Ok(Prepared {
        backend,
        environment: Environment {
            phoenix_version: env!("CARGO_PKG_VERSION").into(),
            backend: name,
            engine_version: version,
            host: labels::host(),
            images,
        },
    })
}

/// How long an interrupted run may take to stop, tear down and write its report before
/// the process removes the run's objects by label and exits anyway.
pub(crate) const INTERRUPT_GRACE: Duration = Duration::from_secs(60);
/// Bound for the last-resort removal by label on a forced exit.
pub(crate) const FORCED_CLEANUP: Duration = Duration::from_secs(15);

/// Cancels `token` on SIGINT or SIGTERM; the run then stops, tears down and writes what it
/// measured. One signal is enough. A second signal, or the run not finishing within
/// [`INTERRUPT_GRACE`] of the first, removes every object of `run_id` by label (bounded)
/// and exits with status 1 at once.
pub(crate) fn cancel_on_signals(token: CancellationToken, run_id: String) {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut int, mut term) = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(i), Ok(t)) => (i, t),
        // the default actions stay: the process dies and `phoenix clean` reaps its objects
        _ => return,
    };
    tokio::spawn(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        eprintln!("phoenix: interrupted; removing this run's containers and writing what was measured");
        token.cancel();
        tokio::select! {
            _ = int.recv() => eprintln!("phoenix: interrupted again; removing this run's containers and exiting now"),
            _ = term.recv() => eprintln!("phoenix: terminated again; removing this run's containers and exiting now"),
            _ = tokio::time::sleep(INTERRUPT_GRACE) => eprintln!(
                "phoenix: the run did not stop within {} s of the signal; removing its containers and exiting",
                INTERRUPT_GRACE.as_secs()
            ),
        }
        crate::backend::process::kill_all(); // a process run's replicas and folders
        let label = format!("{}={run_id}", labels::RUN);
        let forced = async {
            if let Ok(docker) = connect().await {
                // a swarm run's services first (else swarm restarts their tasks); swarm
                // mode left if this process entered it
                crate::backend::swarm::forced_cleanup(&docker, &label).await;
                remove_labelled(&docker, &label).await;
            }
        };
        if tokio::time::timeout(FORCED_CLEANUP, forced).await.is_err() {
            eprintln!("warning: could not remove every object of run {run_id}; run `phoenix clean`");
        }
        std::process::exit(i32::from(EXIT_RUNTIME));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_id_carries_the_stamp_the_pid_and_the_scenario() {
        let s = Started::now();
        assert_eq!(s.stamp.len(), "20260101-120000".len(), "{}", s.stamp);
        assert!(s.rfc3339.starts_with(&s.stamp[..4]), "{s:?}");
        let id = s.run_id("kill-restart");
        assert_eq!(id, format!("{}-{}-kill-restart", s.stamp, std::process::id()));
    }

    #[tokio::test]
    async fn a_process_scenario_is_prepared_without_an_engine_or_images() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("bin")).unwrap();
        std::fs::write(tmp.path().join("bin/app"), "#!/bin/sh\n").unwrap();
        let path = tmp.path().join("p.toml");
        let text = "name = \"p\"\n[app]\nbackend = \"process\"\ncommand = [\"bin/app\"]\nhealth = { path = \"/health\" }\nenv = { PORT = \"{port}\" }\n[load]\nrate = 10\nduration = \"2s\"\nrequests = [{ path = \"/\" }]\n";
        std::fs::write(&path, text).unwrap();
        let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let p = prepare(&scenario, "bootstrap-test", false).await.unwrap();
        assert_eq!(p.environment.backend, "process");
        assert!(p.environment.images.is_empty());
        assert_eq!(p.environment.phoenix_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(p.environment.host, labels::host());
        p.backend.teardown().await.unwrap();
    }
}
