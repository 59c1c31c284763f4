//! The read-only trial, run by `execute` after a trial's main load while the deployment
//! (services, volumes, network) is still up: one extra instance of the app with a
//! read-only root filesystem and a small tmpfs at /tmp gets the load's request mix for a
//! short, bounded time. What fails there needs a writable local disk — state a replaced
//! container would not have. A hint with its numbers, never a level cap.

use crate::backend::{Backend, Endpoint};
use crate::load::once;
use crate::probe::Prober;
use crate::record::{ReadOnlyRecord, READ_ONLY_EXCERPT_BYTES, READ_ONLY_OUTPUT_LINES};
use crate::scenario::{ReadOnlyTrial, Scenario, READ_ONLY_TMPFS_BYTES};
use tokio_util::sync::CancellationToken;

/// Starts the read-only instance, waits for its health (within `app.start_timeout`),
/// sends the mix at `trial.rate` for `trial.duration`, then removes the instance.
pub async fn run(
    backend: &dyn Backend,
    scenario: &Scenario,
    trial: &ReadOnlyTrial,
    cancel: &CancellationToken,
) -> ReadOnlyRecord {
    let mut rec = ReadOnlyRecord {
        duration_us: trial.duration.as_micros() as i64,
        rate: trial.rate,
        ..Default::default()
    };
    let endpoint = match backend.start_read_only(READ_ONLY_TMPFS_BYTES).await {
        Ok(e) => Some(e),
        Err(e) => {
            rec.error = Some(e.to_string());
            None
        }
    };
    if let Some(endpoint) = endpoint {
        rec.healthy = healthy(scenario, &endpoint, cancel).await;
        if rec.healthy {
            let answers = once::paced(
                &scenario.load.requests,
                endpoint.addr,
                trial.rate,
                trial.duration,
                scenario.load.timeout,
                READ_ONLY_EXCERPT_BYTES,
                cancel,
            )
            .await;
            for a in answers {
                rec.sent += 1;
                if a.outcome.is_ok() {
                    rec.ok += 1;
                } else {
                    let spec = &scenario.load.requests[a.kind];
                    let excerpt = String::from_utf8_lossy(&a.body);
                    rec.fail(&spec.method, &spec.path, a.status, a.outcome, &excerpt);
                }
            }
        }
    }
    let lines = backend.stop_read_only().await;
    let skip = lines.len().saturating_sub(READ_ONLY_OUTPUT_LINES);
    rec.output = lines.into_iter().skip(skip).map(|(_, l)| l).collect();
    rec
}

/// Probes the instance as the replicas are probed until it is healthy, at most
/// `app.start_timeout`.
async fn healthy(scenario: &Scenario, endpoint: &Endpoint, cancel: &CancellationToken) -> bool {
    let spec = crate::execute::probe_spec(scenario, endpoint);
    let stop = cancel.child_token();
    let prober = Prober::start(spec, scenario.app.start_timeout, stop.clone());
    let ok = tokio::select! {
        ok = prober.wait_healthy(scenario.app.start_timeout) => ok,
        _ = cancel.cancelled() => false,
    };
    stop.cancel();
    ok
}
