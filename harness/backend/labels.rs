//! Labels on everything a run creates: which run, which process on which host owns it,
//! and which replica or service it is. `phoenix clean` and the reaper read them back.

use std::collections::HashMap;

/// Every container, network and volume carries this label with the run id.
pub const RUN: &str = "phoenix-bench.run";
/// `<host>:<pid>` of the process that created it.
pub const OWNER: &str = "phoenix-bench.owner";
/// Replica or service name.
pub const MEMBER: &str = "phoenix-bench.member";
/// `app` or `service`.
pub const ROLE: &str = "phoenix-bench.role";

/// `<host>:<pid>` for this process.
pub fn owner() -> String {
    format!("{}:{}", host(), std::process::id())
}

/// This machine's host name.
pub fn host() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Labels for an object of `run`.
pub fn for_run(run_id: &str) -> HashMap<String, String> {
    HashMap::from([(RUN.to_string(), run_id.to_string()), (OWNER.to_string(), owner())])
}

/// Labels for a member (replica or service) of `run`.
pub fn for_member(run_id: &str, member: &str, role: &str) -> HashMap<String, String> {
    let mut l = for_run(run_id);
    l.insert(MEMBER.into(), member.into());
    l.insert(ROLE.into(), role.into());
    l
}

/// Whether the owner recorded in a label is a process that is gone: same host and no
/// such pid. Owners on other hosts are never judged dead (they may share the engine).
pub fn owner_is_dead(owner: &str) -> bool {
    let Some((h, pid)) = owner.rsplit_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    h == host() && pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_a_missing_pid_is_dead() {
        assert!(!owner_is_dead(&owner()));
        // pid_max is at most 2^22 on Linux
        assert!(owner_is_dead(&format!("{}:{}", host(), 9_999_999)));
        assert!(!owner_is_dead("some-other-host:1"));
        assert!(!owner_is_dead("garbage"));
    }
}
