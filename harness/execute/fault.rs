//! Applying a fault through the Backend, then playing the orchestrator: after the reaction
//! delay (or the fault's duration), restart, replace, unpause, reconnect or add the replica
//! — or, after a burn, rebuild the whole deployment. On a platform with its own update
//! (swarm) a replace is that update, and a stop then replace is the update alone: the
//! platform stops the old instance itself.

use crate::backend::{Backend, RebuiltService, ServiceAction, ServiceFault, ToxicSpec};
use crate::clock::RunClock;
use crate::record::{FaultRecord, ServiceBack};
use crate::scenario::{Action, Fault, FaultKind};

/// Grace period when a replica is scaled down.
const REMOVE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Carries out `fault` now and records every instant of it. `on_issued` runs right after
/// the fault instant is stamped, before the fault hits (the caller starts fast probing
/// there, so every probe of the recovery is sent at or after the fault instant).
pub async fn apply(
    index: usize,
    fault: &Fault,
    backend: &dyn Backend,
    clock: &RunClock,
    on_issued: &(dyn Fn() + Sync),
) -> FaultRecord {
    let mut rec = FaultRecord {
        index,
        kind: fault.kind,
        action: fault.action,
        target: fault.target.clone(),
        planned_us: fault.at.as_micros() as i64,
        issued_us: clock.now_us(),
        fault_done_us: None,
        action_issued_us: None,
        action_done_us: None,
        old_stopped_us: None,
        error: None,
        services: Vec::new(),
        verified_us: None,
        delay_us: fault.delay.as_micros() as i64,
        dependency: fault.dependency,
    };
    on_issued();
    if fault.dependency {
        on_service(fault, backend, clock, &mut rec).await;
        return rec;
    }
    // on a platform with its own update (swarm), `replace` is that update
    let updates = fault.action == Action::Replace && backend.updates();
    if updates && fault.kind == FaultKind::Stop {
        update_alone(fault, backend, clock, &mut rec).await;
        return rec;
    }
    let hit = match fault.kind {
        FaultKind::Kill => backend.kill(&fault.target).await,
        FaultKind::Stop => backend.stop(&fault.target, fault.grace).await,
        FaultKind::Pause => backend.pause(&fault.target).await,
        FaultKind::Disconnect => backend.disconnect(&fault.target).await,
        // scaling down is graceful, as an orchestrator would do it
        FaultKind::Remove => backend.remove(&fault.target, REMOVE_GRACE).await,
        // every container at once: the target is `all`
        FaultKind::Burn => backend.burn().await,
        // validation puts a network fault on a service (`on_service`)
        _ => Err(crate::backend::BackendError::Op {
            op: "inject",
            what: fault.target.clone(),
            reason: format!("a {} fault acts on the link to a service", fault.kind.as_str()),
        }),
    };
    rec.fault_done_us = Some(clock.now_us());
    if let Err(e) = hit {
        rec.error = Some(e.to_string());
        return rec;
    }
    if fault.action == Action::Platform {
        // the platform acts on its own (its restart delay is the fault's delay): the
        // action's instant is when it scheduled the replacement, by the engine's clock
        let replaced = backend.platform(&fault.target).await;
        rec.action_done_us = Some(clock.now_us());
        match replaced {
            Ok(unix_us) => rec.action_issued_us = Some(clock.from_unix_us(unix_us)),
            Err(e) => rec.error = Some(e.to_string()),
        }
        return rec;
    }
    tokio::time::sleep(fault.delay).await;
    rec.action_issued_us = Some(clock.now_us());
    let acted = act(fault, updates, backend, clock, &mut rec).await;
    rec.action_done_us = Some(clock.now_us());
    if let Err(e) = acted {
        rec.error = Some(e.to_string());
    }
    rec
}

/// A fault on a service: hit it, wait the delay (or the fault's duration), bring it back and
/// record when it was ready again.
async fn on_service(fault: &Fault, backend: &dyn Backend, clock: &RunClock, rec: &mut FaultRecord) {
    let (hit, action) = match service_calls(fault) {
        Some(calls) => calls,
        None => {
            // validation refuses these; a record says so rather than panic
            rec.error = Some(format!("a {} fault cannot target a service", fault.kind.as_str()));
            return;
        }
    };
    let hit = backend.fault_service(&fault.target, hit).await;
    rec.fault_done_us = Some(clock.now_us());
    if let Err(e) = hit {
        rec.error = Some(e.to_string());
        return;
    }
    tokio::time::sleep(fault.delay).await;
    rec.action_issued_us = Some(clock.now_us());
    let back = backend.recover_service(&fault.target, action).await;
    rec.action_done_us = Some(clock.now_us());
    match back {
        Ok(s) => rec.services = vec![service_back(s, clock)],
        Err(e) => rec.error = Some(e.to_string()),
    }
}

/// The backend's calls for a fault on a service, None for a kind a service cannot take.
fn service_calls(fault: &Fault) -> Option<(ServiceFault, ServiceAction)> {
    let hit = match (fault.kind, &fault.toxic) {
        (FaultKind::Kill, _) => ServiceFault::Kill,
        (FaultKind::Stop, _) => ServiceFault::Stop { grace: fault.grace },
        (FaultKind::Pause, _) => ServiceFault::Pause,
        (FaultKind::Disconnect, _) => ServiceFault::Disconnect,
        (kind, Some(t)) => ServiceFault::Toxic(ToxicSpec {
            kind: kind.toxic_type()?.into(),
            stream: t.stream.clone(),
            toxicity: t.toxicity,
            attributes: t.attributes.clone(),
        }),
        _ => return None,
    };
    let action = match fault.action {
        Action::Restart => ServiceAction::Restart,
        Action::Replace => ServiceAction::Replace,
        Action::Unpause => ServiceAction::Unpause,
        Action::Reconnect => ServiceAction::Reconnect,
        Action::Heal => ServiceAction::Heal,
        Action::Platform | Action::Add | Action::Rebuild => return None,
    };
    Some((hit, action))
}

fn service_back(s: RebuiltService, clock: &RunClock) -> ServiceBack {
    ServiceBack {
        name: s.name,
        ready_us: clock.from_unix_us(s.ready_unix_us),
        volumes: s.volumes,
        from_volume: s.volumes_kept,
    }
}

/// A stop then replace on a platform with its own update: one update, the platform stops
/// the old instance itself (after `grace`, SIGKILL) and schedules the new one; validation
/// refuses a delay.
async fn update_alone(fault: &Fault, backend: &dyn Backend, clock: &RunClock, rec: &mut FaultRecord) {
    let updated = backend.update(&fault.target, fault.grace).await;
    let done = clock.now_us();
    rec.fault_done_us = Some(done);
    rec.action_done_us = Some(done);
    match updated {
        Ok(u) => {
            rec.action_issued_us = Some(clock.from_unix_us(u.scheduled_us));
            rec.old_stopped_us = u.old_stopped_us.map(|us| clock.from_unix_us(us));
        }
        Err(e) => rec.error = Some(e.to_string()),
    }
}

/// The fault's action (`then`), recording what the platform said of it in `rec`.
async fn act(
    fault: &Fault,
    updates: bool,
    backend: &dyn Backend,
    clock: &RunClock,
    rec: &mut FaultRecord,
) -> crate::backend::Result<()> {
    match fault.action {
        Action::Restart => backend.restart(&fault.target).await,
        // the action's instant is when the platform scheduled the new instance
        Action::Replace if updates => backend.update(&fault.target, std::time::Duration::ZERO).await.map(|u| {
            rec.action_issued_us = Some(clock.from_unix_us(u.scheduled_us));
            rec.old_stopped_us = u.old_stopped_us.map(|us| clock.from_unix_us(us));
        }),
        Action::Replace => backend.replace(&fault.target).await,
        Action::Unpause => backend.unpause(&fault.target).await,
        Action::Reconnect => backend.reconnect(&fault.target).await,
        Action::Add => backend.add(&fault.target).await,
        // returned above: the platform acts alone
        Action::Platform => Ok(()),
        // a network fault is only ever on a service (`on_service`)
        Action::Heal => Ok(()),
        Action::Rebuild => backend.rebuild().await.map(|services| {
            rec.services = services.into_iter().map(|s| service_back(s, clock)).collect();
        }),
    }
}
