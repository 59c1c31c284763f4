//! What `backend = "swarm"` refuses beyond a fault's own checks: faults that disagree about
//! who replaces a task, an update order that cannot work, and a reaction delay inside a
//! service update. A slot's restart policy is one for the whole run, so either the
//! platform replaces every killed or stopped task (`then = "platform"`, one `delay` for
//! all) or the harness does. A stop then replace is one forced service update: Swarm stops
//! the old task and starts the new one, with no delay of the harness's in between.

use super::super::{Action, BackendKind, Fault, FaultKind};
use super::Validator;

const SWARM: &str = "backend = \"swarm\"";

impl Validator<'_> {
    /// `order` of a fault: the order of the swarm service update that replaces the task.
    pub(in super::super) fn update_order(
        &mut self,
        field: &str,
        order: &str,
        backend: BackendKind,
        action: Option<Action>,
    ) {
        if backend != BackendKind::Swarm || action != Some(Action::Replace) {
            self.problem(
                field,
                format!("only applies to then = \"replace\" with {SWARM} (the order of the service update)"),
                Some("remove `order`".into()),
            );
            return;
        }
        match order {
            "stop-first" => {}
            "start-first" => self.problem(
                field,
                "\"start-first\" cannot work here: each replica slot is published on a fixed host-mode port on this one node, and Swarm cannot start the new task on it while the old task holds it",
                Some("use order = \"stop-first\" (the default): the old task stops, then the new one starts".into()),
            ),
            other => self.problem(
                field,
                format!("unknown update order \"{other}\""),
                Some("use \"stop-first\"".into()),
            ),
        }
    }

    pub(super) fn swarm_scenario(&mut self, faults: &[(usize, Fault)]) {
        for (i, f) in faults {
            if f.kind == FaultKind::Stop && f.action == Action::Replace && !f.delay.is_zero() {
                self.problem(
                    &format!("fault[{i}].delay"),
                    format!(
                        "a stop then replace on {SWARM} is one service update: Swarm starts the new task as soon as the old one has stopped, so there is no reaction delay to wait"
                    ),
                    Some("remove `delay` (the stop's `grace` is the old task's stop grace period), or use kind = \"kill\" to wait between the kill and the update".into()),
                );
            }
        }
        let ended = |f: &Fault| matches!(f.kind, FaultKind::Kill | FaultKind::Stop);
        let Some((first, platform)) = faults.iter().find(|(_, f)| f.action == Action::Platform) else {
            return;
        };
        for (i, f) in faults.iter().filter(|(_, f)| ended(f)) {
            if f.action != Action::Platform {
                self.problem(
                    &format!("fault[{i}]"),
                    format!(
                        "ends with then = \"{}\" while fault[{first}] lets the platform replace the task",
                        f.action.as_str()
                    ),
                    Some("a run has one restart policy: give every kill and stop fault then = \"platform\", or none of them".into()),
                );
            } else if f.delay != platform.delay {
                self.problem(
                    &format!("fault[{i}].delay"),
                    format!(
                        "{:?} differs from fault[{first}]'s {:?}: with then = \"platform\" the delay is the service's restart delay",
                        f.delay, platform.delay
                    ),
                    Some("give every platform fault the same delay".into()),
                );
            }
        }
    }
}
