//! What `backend = "swarm"` refuses beyond a fault's own checks: services (not deployed
//! on swarm yet), and faults that disagree about who replaces a task. A slot's
//! restart policy is one for the whole run, so either the platform replaces every killed
//! or stopped task (`then = "platform"`, one `delay` for all) or the harness does.

use super::super::{Action, Fault, FaultKind};
use super::Validator;

const SWARM: &str = "backend = \"swarm\"";

impl Validator<'_> {
    pub(super) fn swarm_scenario(&mut self, services: usize, faults: &[(usize, Fault)]) {
        if services > 0 {
            self.problem(
                "service[0]",
                format!("services are not supported with {SWARM} yet"),
                Some("remove the [[service]] entries, or use backend = \"docker\"".into()),
            );
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
