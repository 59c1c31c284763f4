//! `fault::apply` on the fake backend under tokio's paused clock: the order of the calls
//! and the time between them are exact, whatever the host is doing.

use super::fault::apply;
use super::run_tests::scenario;
use crate::backend::fake::{FakeBackend, Script};
use crate::backend::Deployment;
use crate::backend::Lifecycle;
use crate::clock::RunClock;
use crate::scenario::Fault;
use std::time::Duration;

/// The first fault of a scenario whose only fault is `table`.
fn fault(table: &str) -> Fault {
    scenario(1, "5s", table).faults.remove(0)
}

/// A fake with app-0 deployed.
async fn deployed(script: Script) -> FakeBackend {
    let fake = FakeBackend::new(&format!("fault-{}", std::process::id()), script);
    let d = Deployment {
        replicas: vec!["app-0".into()],
        ..super::run_tests::scenario_deployment()
    };
    fake.deploy(&d).await.expect("deploys");
    fake
}

#[tokio::test(start_paused = true)]
async fn the_action_follows_the_delay_counted_from_the_faults_return() {
    let fake = deployed(Script::default().slow("kill", Duration::from_millis(300))).await;
    let f = fault("[[fault]]\nat = \"1s\"\nkind = \"kill\"\nthen = \"restart\"\ndelay = \"2s\"\ntarget = \"app-0\"\n");
    let rec = apply(0, &f, &fake, &RunClock::start(), &|| {}).await;
    assert_eq!(rec.error, None);
    let calls = fake.calls();
    let (kill, restart) = (&calls[1], &calls[2]);
    assert_eq!((kill.op, restart.op), ("kill", "restart"));
    assert_eq!(kill.returned - kill.began, Duration::from_millis(300));
    assert_eq!(
        restart.began - kill.returned,
        Duration::from_secs(2),
        "the delay, exactly"
    );
    fake.teardown().await.expect("tears down");
}

#[tokio::test(start_paused = true)]
async fn a_failed_fault_is_recorded_and_its_action_never_issued() {
    let fake = deployed(Script::default().fail("stop")).await;
    let f = fault("[[fault]]\nat = \"1s\"\nkind = \"stop\"\nthen = \"replace\"\ntarget = \"app-0\"\n");
    let rec = apply(0, &f, &fake, &RunClock::start(), &|| {}).await;
    let e = rec.error.as_deref().expect("an error");
    assert!(e.contains("failed to stop 'app-0'"), "{e}");
    assert_eq!((rec.action_issued_us, rec.action_done_us), (None, None));
    assert_eq!(fake.ops(), ["deploy", "stop app-0"]);
}

#[tokio::test(start_paused = true)]
async fn the_platform_action_on_a_backend_without_a_platform_is_an_error_not_a_hang() {
    let fake = deployed(Script::default()).await;
    let mut f = fault("[[fault]]\nat = \"1s\"\nkind = \"kill\"\nthen = \"restart\"\ntarget = \"app-0\"\n");
    f.action = crate::scenario::Action::Platform;
    let rec = apply(0, &f, &fake, &RunClock::start(), &|| {}).await;
    let e = rec.error.as_deref().expect("an error");
    assert!(e.contains("no platform of its own"), "{e}");
    assert!(rec.action_done_us.is_some());
}

#[tokio::test(start_paused = true)]
async fn the_probes_are_boosted_before_the_fault_is_called() {
    let fake = deployed(Script::default().slow("kill", Duration::from_secs(1))).await;
    let f = fault("[[fault]]\nat = \"1s\"\nkind = \"kill\"\nthen = \"restart\"\ntarget = \"app-0\"\n");
    let boosted = std::sync::Mutex::new(None);
    let on_issued = || *boosted.lock().unwrap() = Some(tokio::time::Instant::now());
    apply(0, &f, &fake, &RunClock::start(), &on_issued).await;
    let at = boosted.lock().unwrap().expect("on_issued ran");
    assert!(at <= fake.calls()[1].began, "fast probing starts at or before the kill");
}
