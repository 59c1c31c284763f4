//! Recovery time of the bundled demo as a criterion benchmark: one benchmark per recovery
//! path — SIGKILL then restart, SIGKILL then replace, SIGTERM (stop) then restart. Each
//! iteration is one fault and one recovery of a deployed replica; the measured time is the
//! time to healthy: from issuing the fault to the first healthy probe (a fresh connection
//! with a short timeout, every few milliseconds) after the orchestrator's reaction. It is
//! returned through `iter_custom`, so criterion's statistics, change detection and
//! `--save-baseline` / `--baseline` work on recovery time.
//!
//! The replica is deployed once (scenarios/kill-restart.toml, with a short start-up delay)
//! and always torn down, also when an iteration panics. Images are built when missing.
//!
//! Settings come from environment variables, since criterion rejects unknown arguments:
//! - `PHOENIX_BENCH_SAMPLES` (default 10, criterion's minimum): samples per benchmark;
//! - `PHOENIX_BENCH_STARTUP_DELAY_MS` (default 100): the demo's `STARTUP_DELAY_MS`;
//! - `PHOENIX_BENCH_MEASUREMENT_SECS` (default 5): criterion's measurement time per benchmark
//!   (each sample is at least one recovery, so a slow app takes longer than this);
//! - `PHOENIX_BENCH_WARMUP_SECS` (default 1): criterion's warm-up time per benchmark.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use phoenix_bench::backend::{Backend, Endpoint};
use phoenix_bench::cli::bootstrap;
use phoenix_bench::execute::deployment;
use phoenix_bench::probe::{probe_once, ProbeSpec};
use phoenix_bench::record::ProbeOutcome;
use phoenix_bench::scenario::Scenario;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// How often the recovery is probed.
const POLL: Duration = Duration::from_millis(5);
/// Timeout of one probe (a fresh connection each time).
const PROBE_TIMEOUT: Duration = Duration::from_millis(50);
/// SIGTERM to SIGKILL for the stop path (the demo drains and exits well before).
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Bound for seeing the replica down after the fault.
const DOWN_WITHIN: Duration = Duration::from_secs(10);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a valid value")),
        Err(_) => default,
    }
}

#[derive(Debug, Clone, Copy)]
enum RecoveryPath {
    KillRestart,
    KillReplace,
    StopRestart,
}

impl RecoveryPath {
    const ALL: [RecoveryPath; 3] = [
        RecoveryPath::KillRestart,
        RecoveryPath::KillReplace,
        RecoveryPath::StopRestart,
    ];

    fn name(self) -> &'static str {
        match self {
            RecoveryPath::KillRestart => "kill-restart",
            RecoveryPath::KillReplace => "kill-replace",
            RecoveryPath::StopRestart => "stop-restart",
        }
    }
}

/// A deployed replica and how to probe it.
struct Target {
    backend: Arc<dyn Backend>,
    replica: String,
    spec: ProbeSpec,
    start_timeout: Duration,
}

/// Tears the deployment down when dropped, whatever ended the benchmark (a panic too).
struct Teardown {
    runtime: tokio::runtime::Handle,
    backend: Arc<dyn Backend>,
}

impl Drop for Teardown {
    fn drop(&mut self) {
        let (rt, backend) = (self.runtime.clone(), self.backend.clone());
        // a thread of its own: `block_on` must not run on a runtime thread
        let done = std::thread::spawn(move || rt.block_on(backend.teardown())).join();
        match done {
            Ok(Ok(removed)) => eprintln!(
                "recovery bench: removed {} container(s), {} network(s)",
                removed.containers, removed.networks
            ),
            Ok(Err(e)) => eprintln!("recovery bench: teardown failed: {e}; run `phoenix clean`"),
            Err(_) => eprintln!("recovery bench: teardown panicked; run `phoenix clean`"),
        }
    }
}

/// Probes until `want(outcome)` holds, every [`POLL`], at most `within`; returns when the
/// matching probe completed.
async fn probe_until(spec: &ProbeSpec, within: Duration, want: impl Fn(ProbeOutcome) -> bool) -> Option<Instant> {
    let deadline = Instant::now() + within;
    loop {
        let outcome = probe_once(spec).await;
        let now = Instant::now();
        if want(outcome) {
            return Some(now);
        }
        if now >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One fault and recovery; returns the time to healthy.
async fn recover_once(t: &Target, path: RecoveryPath) -> Duration {
    // start from a healthy replica (not timed)
    probe_until(&t.spec, t.start_timeout, |o| o == ProbeOutcome::Healthy)
        .await
        .unwrap_or_else(|| panic!("{} is not healthy before the fault", t.replica));
    let fault = Instant::now();
    let hit = match path {
        RecoveryPath::KillRestart | RecoveryPath::KillReplace => t.backend.kill(&t.replica).await,
        RecoveryPath::StopRestart => t.backend.stop(&t.replica, STOP_GRACE).await,
    };
    hit.unwrap_or_else(|e| panic!("{}: fault failed: {e}", path.name()));
    // the orchestrator reacts once the replica is down (docker kill returns when the signal
    // is sent, not when the process is gone)
    probe_until(&t.spec, DOWN_WITHIN, |o| o != ProbeOutcome::Healthy)
        .await
        .unwrap_or_else(|| panic!("{}: {} still healthy after the fault", path.name(), t.replica));
    let acted = match path {
        RecoveryPath::KillRestart | RecoveryPath::StopRestart => t.backend.restart(&t.replica).await,
        RecoveryPath::KillReplace => t.backend.replace(&t.replica).await,
    };
    acted.unwrap_or_else(|e| panic!("{}: recovery action failed: {e}", path.name()));
    let healthy = probe_until(&t.spec, t.start_timeout, |o| o == ProbeOutcome::Healthy)
        .await
        .unwrap_or_else(|| {
            panic!(
                "{}: {} not healthy within {:?} of the fault",
                path.name(),
                t.replica,
                t.start_timeout
            )
        });
    healthy - fault
}

/// Loads the bundled scenario, builds its images if missing and deploys it.
async fn deploy(startup_delay_ms: u64) -> (Arc<dyn Backend>, Scenario, Vec<Endpoint>) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kill-restart.toml");
    let mut scenario = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    scenario
        .app
        .env
        .insert("STARTUP_DELAY_MS".into(), startup_delay_ms.to_string());
    let run_id = format!("bench-recovery-{}", std::process::id());
    // the setup `phoenix run` does: the scenario's backend, dead runs' leftovers removed,
    // images built when missing
    let backend = bootstrap::prepare(&scenario, &run_id, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .backend;
    let endpoints = match backend.deploy(&deployment::of(&scenario)).await {
        Ok(d) => d.replicas,
        Err(e) => {
            let _ = backend.teardown().await;
            panic!("deploying the demo failed: {e}");
        }
    };
    (backend, scenario, endpoints)
}

fn recovery(c: &mut Criterion) {
    let samples: usize = env_or("PHOENIX_BENCH_SAMPLES", 10);
    let startup_delay_ms: u64 = env_or("PHOENIX_BENCH_STARTUP_DELAY_MS", 100);
    let measurement: f64 = env_or("PHOENIX_BENCH_MEASUREMENT_SECS", 5.0);
    let warmup: f64 = env_or("PHOENIX_BENCH_WARMUP_SECS", 1.0);

    let runtime = Runtime::new().expect("a tokio runtime");
    let (backend, scenario, endpoints) = runtime.block_on(deploy(startup_delay_ms));
    let _teardown = Teardown {
        runtime: runtime.handle().clone(),
        backend: backend.clone(),
    };
    let endpoint = endpoints.first().expect("the scenario has a replica").clone();
    let target = Arc::new(Target {
        backend,
        replica: endpoint.replica.clone(),
        spec: ProbeSpec {
            replica: endpoint.replica.clone(),
            addr: endpoint.addr,
            path: scenario.app.health.path.clone(),
            status: scenario.app.health.status,
            interval: POLL,
            slow_interval: POLL,
            timeout: PROBE_TIMEOUT,
        },
        start_timeout: scenario.app.start_timeout,
    });

    let mut g = c.benchmark_group("recovery");
    // every iteration is a whole recovery: flat sampling (the same number of iterations
    // per sample) keeps a run to samples × ~1 iteration instead of criterion's linear ramp
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(samples)
        .measurement_time(Duration::from_secs_f64(measurement))
        .warm_up_time(Duration::from_secs_f64(warmup))
        // recovery through Docker jitters by a few percent: smaller changes are noise
        .noise_threshold(0.05);
    for path in RecoveryPath::ALL {
        g.bench_function(path.name(), |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let target = target.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += recover_once(&target, path).await;
                    }
                    total
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, recovery);
criterion_main!(benches);
