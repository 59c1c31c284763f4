//! The execute stage on the fake backend (`backend::fake`): whole runs — the real probes,
//! the real load, the real schedule — against in-process replicas whose every lifecycle
//! step is scripted, so each run takes the scenario's few seconds and needs no Docker and
//! no process. Bounds here are on what the harness controls (when it issues a call, what
//! it records, what it tears down), with margins far above a busy host's timer noise.

use super::{run, run_to_end, Live};
use crate::backend::fake::{leftovers, FakeBackend, Script};
use crate::record::{AbortKind, RunRecord};
use crate::scenario::plan::Plan;
use crate::scenario::Scenario;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A scenario on the fake platform: `replicas` replicas, 100 requests/s for `load`, and
/// the given `[[fault]]` tables.
pub(super) fn scenario(replicas: u32, load: &str, faults: &str) -> Scenario {
    let text = format!(
        r#"name = "fake"
[app]
backend = "process"
command = ["../.ci/run"]
replicas = {replicas}
start_timeout = "5s"
health = {{ path = "/health", status = 200, interval = "1ms", slow_interval = "1s", timeout = "50ms" }}
[app.env]
LISTEN = "127.0.0.1:{{port}}"
[load]
rate = 100
duration = "{load}"
requests = [{{ method = "GET", path = "/" }}]
{faults}
[certify]
floor_cycles = 0
"#
    );
    // the fake runs nothing: any program inside the project passes validation
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fake.toml");
    Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"))
}

/// An empty deployment to fill in (the fake reads only its replicas and services).
pub(super) fn scenario_deployment() -> crate::backend::Deployment {
    super::deployment::of(&scenario(1, "2s", ""))
}

/// A kill of app-0 at `at`, then `then`.
pub(super) fn kill(at: &str, then: &str) -> String {
    format!("[[fault]]\nat = \"{at}\"\nkind = \"kill\"\nthen = \"{then}\"\ntarget = \"app-0\"\n")
}

/// A fresh record of `scenario` with `trials` trials.
fn record(run_id: &str, scenario: Scenario, trials: Option<u32>) -> RunRecord {
    let plan = Plan::new(&scenario, trials);
    RunRecord::new(run_id.into(), "2026-12-07T00:00:00Z".into(), scenario, plan)
}

/// Runs `record` on `fake` to the end; the record and the wall time it took.
async fn run_on(fake: &FakeBackend, mut record: RunRecord, cancel: &CancellationToken) -> (RunRecord, Duration) {
    let start = Instant::now();
    run(fake, &mut record, &Live::default(), cancel).await;
    (record, start.elapsed())
}

/// How late each fault of trial 0 was issued, ms.
fn lateness_ms(record: &RunRecord) -> Vec<f64> {
    let faults = &record.trials[0].faults;
    faults
        .iter()
        .map(|f| (f.issued_us - f.planned_us) as f64 / 1000.0)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_then_restart_is_carried_out_recorded_and_torn_down() {
    let fake = FakeBackend::new("exec-kill", Script::default().boot(Duration::from_millis(80)));
    let (record, took) = run_on(
        &fake,
        record("exec-kill", scenario(1, "2s", &kill("1s", "restart")), None),
        &CancellationToken::new(),
    )
    .await;
    assert!(record.complete && record.aborted.is_none(), "{:?}", record.aborted);
    assert_eq!(
        fake.ops(),
        ["watch", "deploy", "kill app-0", "restart app-0", "logs", "teardown"],
        "the calls, in order"
    );
    let t = &record.trials[0];
    assert_eq!((t.faults.len(), t.faults[0].error.as_deref()), (1, None));
    assert!(
        lateness_ms(&record)[0] >= 0.0,
        "never early: {:?}",
        lateness_ms(&record)
    );
    assert!(t.requests.sent() >= 150, "the load ran: {} sent", t.requests.sent());
    // the probes saw it down and back: time to healthy holds the scripted boot
    let analysis = crate::analysis::analyse(&record);
    let tth = analysis.faults[0].time_to_healthy_ms.expect("recovered");
    assert!((80.0..2000.0).contains(&tth), "TTH {tth} ms for an 80 ms boot");
    assert!(leftovers("exec-kill").is_empty(), "left {:?}", leftovers("exec-kill"));
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_backend_calls_do_not_push_later_faults_off_their_planned_instants() {
    // each fault takes 300 + 300 ms of engine calls and a 50 ms boot; planned 1 s apart, a
    // schedule counted from the previous fault's end would drift 650 ms a fault
    let script = Script::default()
        .slow("kill", Duration::from_millis(300))
        .slow("restart", Duration::from_millis(300));
    let fake = FakeBackend::new("exec-slow", script);
    let faults = [kill("1s", "restart"), kill("2s", "restart"), kill("3s", "restart")].concat();
    let (record, _) = run_on(
        &fake,
        record("exec-slow", scenario(1, "3500ms", &faults), None),
        &CancellationToken::new(),
    )
    .await;
    let late = lateness_ms(&record);
    assert_eq!(late.len(), 3);
    assert!(
        late.iter().all(|l| (0.0..200.0).contains(l)),
        "issued late by {late:?} ms"
    );
    let calls = fake.calls();
    let restart = calls.iter().find(|c| c.op == "restart").expect("a restart");
    let kill = calls.iter().find(|c| c.op == "kill").expect("a kill");
    assert!(
        restart.began >= kill.returned,
        "the action waits for the fault's call to return"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_planned_inside_an_overrunning_one_comes_right_after_it_and_says_how_late() {
    let script = Script::default()
        .slow("kill", Duration::from_millis(400))
        .slow("restart", Duration::from_millis(400));
    let fake = FakeBackend::new("exec-overrun", script);
    let faults = [kill("1s", "restart"), kill("1200ms", "restart")].concat();
    let (record, _) = run_on(
        &fake,
        record("exec-overrun", scenario(1, "3s", &faults), None),
        &CancellationToken::new(),
    )
    .await;
    let f = &record.trials[0].faults;
    assert_eq!(f.len(), 2, "neither is dropped");
    let late = lateness_ms(&record);
    assert!(
        late[1] >= 500.0,
        "the second waited for the first (800 ms of calls): {late:?}"
    );
    assert!(f[1].issued_us >= f[0].action_done_us.expect("done"), "{f:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_deployment_aborts_the_run_and_still_tears_down() {
    let fake = FakeBackend::new("exec-deploy", Script::default().fail("deploy"));
    let (record, _) = run_on(
        &fake,
        record("exec-deploy", scenario(2, "2s", ""), None),
        &CancellationToken::new(),
    )
    .await;
    let why = record.aborted.as_ref().expect("aborted");
    assert_eq!(why.kind, AbortKind::Runtime);
    assert!(why.reason.starts_with("deployment failed: "), "{}", why.reason);
    assert!(!record.complete);
    assert_eq!(
        fake.ops(),
        ["watch", "deploy", "teardown"],
        "no fault, no load after it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_past_its_deadline_is_cut_and_torn_down() {
    let fake = FakeBackend::new(
        "exec-deadline",
        Script::default().slow("restart", Duration::from_secs(3600)),
    );
    let mut r = record("exec-deadline", scenario(1, "2s", &kill("1s", "restart")), None);
    r.plan.trial_deadline = Duration::from_secs(3);
    let (record, took) = run_on(&fake, r, &CancellationToken::new()).await;
    let why = record.aborted.as_ref().expect("aborted");
    assert!(why.reason.contains("overran its deadline of 3 s"), "{}", why.reason);
    assert_eq!(fake.ops().last().map(String::as_str), Some("teardown"));
    assert!(leftovers("exec-deadline").is_empty());
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_mid_trial_keeps_what_was_measured_and_tears_down() {
    let fake = FakeBackend::new("exec-signal", Script::default());
    let cancel = CancellationToken::new();
    let fire = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        fire.cancel();
    });
    let (record, took) = run_on(&fake, record("exec-signal", scenario(1, "10s", ""), None), &cancel).await;
    assert_eq!(record.aborted.as_ref().map(|a| a.kind), Some(AbortKind::Interrupted));
    assert_eq!(record.trials.len(), 1, "the interrupted trial is kept");
    assert!(record.trials[0].requests.sent() > 0, "with its requests");
    assert_eq!(fake.ops().last().map(String::as_str), Some("teardown"));
    assert!(
        took < Duration::from_secs(6),
        "a 10 s load stopped at the signal: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_backend_call_is_a_crashed_run_that_still_tears_down() {
    let fake = Arc::new(FakeBackend::new("exec-panic", Script::default().panic("kill")));
    let r = record("exec-panic", scenario(1, "2s", &kill("1s", "restart")), None);
    let (record, teardown) = run_to_end(fake.clone(), r, Arc::new(Live::default()), CancellationToken::new()).await;
    assert!(teardown.is_ok());
    let why = record.aborted.as_ref().expect("aborted");
    assert!(why.reason.starts_with("the run crashed: "), "{}", why.reason);
    assert_eq!(fake.ops().last().map(String::as_str), Some("teardown"));
    assert!(leftovers("exec-panic").is_empty(), "left {:?}", leftovers("exec-panic"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_trial_deploys_fresh_and_is_torn_down() {
    let fake = FakeBackend::new("exec-trials", Script::default());
    let (record, _) = run_on(
        &fake,
        record("exec-trials", scenario(1, "1500ms", &kill("1s", "replace")), Some(3)),
        &CancellationToken::new(),
    )
    .await;
    assert!(record.complete, "{:?}", record.aborted);
    assert_eq!(record.trials.len(), 3);
    let ops = fake.ops();
    let count = |op: &str| ops.iter().filter(|o| *o == op).count();
    assert_eq!(
        (count("deploy"), count("replace app-0"), count("teardown")),
        (3, 3, 3),
        "{ops:?}"
    );
    for t in &record.trials {
        // the replaced instance's output is kept beside the fresh one's
        assert_eq!(
            t.logs.iter().filter(|l| l.replica == "app-0").count(),
            2,
            "trial {}",
            t.index
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chaos_loop_applies_exactly_the_plans_seeded_faults_in_order() {
    let chaos = "[[fault]]\nat = \"1s\"\nkind = \"chaos\"\nfault = \"kill\"\nthen = \"restart\"\n\
                 target = \"random\"\nevery = \"400ms\"\ncount = 4\nseed = 2026\n";
    let fake = FakeBackend::new("exec-chaos", Script::default());
    let r = record("exec-chaos", scenario(3, "3s", chaos), None);
    let planned: Vec<String> = r.plan.faults.iter().map(|f| format!("kill {}", f.target)).collect();
    assert_eq!(planned.len(), 4, "{planned:?}");
    let (record, _) = run_on(&fake, r, &CancellationToken::new()).await;
    let kills: Vec<String> = fake.ops().into_iter().filter(|o| o.starts_with("kill")).collect();
    assert_eq!(kills, planned, "the seeded targets, in the plan's order");
    let recorded: Vec<&str> = record.trials[0].faults.iter().map(|f| f.target.as_str()).collect();
    assert_eq!(recorded.len(), 4);
    assert!(
        lateness_ms(&record).iter().all(|l| (0.0..200.0).contains(l)),
        "{:?}",
        lateness_ms(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_holds_the_replica_for_its_duration_then_thaws_it() {
    let pause = "[[fault]]\nat = \"1s\"\nkind = \"pause\"\nfor = \"500ms\"\ntarget = \"app-0\"\n";
    let fake = FakeBackend::new("exec-pause", Script::default());
    let (record, _) = run_on(
        &fake,
        record("exec-pause", scenario(1, "2500ms", pause), None),
        &CancellationToken::new(),
    )
    .await;
    let calls = fake.calls();
    let (p, u) = (&calls[2], &calls[3]);
    assert_eq!((p.op, u.op), ("pause", "unpause"), "{:?}", fake.ops());
    let held = u.began - p.returned;
    assert!(held >= Duration::from_millis(500), "unpaused after {held:?}");
    // frozen, the replica answered nothing: its probes saw it unhealthy, then healthy again
    let analysis = crate::analysis::analyse(&record);
    let f = &analysis.faults[0];
    let tth = f
        .time_to_healthy_ms
        .unwrap_or_else(|| panic!("recovered: {f:?} {:?}", record.trials[0].probes));
    assert!(tth >= 500.0, "TTH {tth} ms spans the pause");
}

/// A docker scenario of two replicas and a Redis service (the fake runs neither) whose only
/// fault is a burn at 1 s.
fn burn_scenario() -> Scenario {
    let text = r#"name = "fake-burn"
[app]
image = "phoenix-demo:latest"
port = 8080
replicas = 2
start_timeout = "5s"
health = { path = "/health", status = 200, interval = "1ms", slow_interval = "1s", timeout = "50ms" }
[[service]]
name = "redis"
image = "phoenix/redis:bookworm"
[load]
rate = 100
duration = "3s"
requests = [{ method = "GET", path = "/" }]
[[fault]]
at = "1s"
kind = "burn"
target = "all"
[certify]
floor_cycles = 0
"#;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fake-burn.toml");
    Scenario::parse(&path, text).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burn_is_one_fault_on_everything_rebuilt_and_recovered_when_the_last_member_is() {
    let fake = FakeBackend::new(
        "exec-burn",
        Script::default().slow("rebuild", Duration::from_millis(300)),
    );
    let (record, _) = run_on(
        &fake,
        record("exec-burn", burn_scenario(), None),
        &CancellationToken::new(),
    )
    .await;
    assert!(record.complete, "{:?}", record.aborted);
    assert_eq!(
        fake.ops(),
        ["watch", "deploy", "burn all", "rebuild all", "logs", "teardown"]
    );
    let f = &record.trials[0].faults;
    assert_eq!(
        (f.len(), f[0].target.as_str()),
        (1, "all"),
        "one fault on all, not one per replica"
    );
    let back: Vec<&str> = f[0].services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(back, ["redis"], "the rebuilt services are recorded");
    // both replicas were probed back; the burn's recovery is the later of the two
    let analysis = crate::analysis::analyse(&record);
    let tth = analysis.faults[0].time_to_healthy_ms.expect("recovered");
    assert!(tth >= 300.0, "TTH {tth} ms holds the 300 ms rebuild");
    let logs = &record.trials[0].logs;
    assert_eq!(
        logs.len(),
        4,
        "each replica's burnt instance and its fresh one: {logs:?}"
    );
}
