//! Labels on everything a run creates: which run, which process on which host owns it,
//! and which replica or service it is. `phoenix clean` and the reaper read them back.
//!
//! A host name and a pid alone do not identify a process: a run inside a container
//! started with `--network host` (needed to reach the replicas' 127.0.0.1 ports) shares
//! the host's name but not its pid namespace, and pids are reused. So every object also
//! carries [`OWNER_ID`] — the kernel boot id, the pid namespace and the process start
//! time of its owner — and an owner is judged dead only when this process can see it
//! for certain: same host, same boot, same pid namespace, and no process with that pid
//! and start time.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Every container, network and volume carries this label with the run id.
pub const RUN: &str = "phoenix-bench.run";
/// `<host>:<pid>` of the process that created it.
pub const OWNER: &str = "phoenix-bench.owner";
/// `<boot id>/<pid namespace>/<start time>` of the process that created it.
pub const OWNER_ID: &str = "phoenix-bench.owner-id";
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

/// Where this process lives and when it started, as far as the kernel tells.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    boot: String,
    pid_ns: String,
    started: String,
}

impl Identity {
    fn parse(s: &str) -> Option<Identity> {
        let mut it = s.splitn(3, '/');
        let id = Identity {
            boot: it.next()?.to_string(),
            pid_ns: it.next()?.to_string(),
            started: it.next()?.to_string(),
        };
        (!id.boot.is_empty() && !id.pid_ns.is_empty() && !id.started.is_empty()).then_some(id)
    }

    fn render(&self) -> String {
        format!("{}/{}/{}", self.boot, self.pid_ns, self.started)
    }
}

fn boot_id() -> Option<String> {
    let b = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let b = b.trim();
    (!b.is_empty()).then(|| b.to_string())
}

fn pid_namespace() -> Option<String> {
    // `pid:[4026531836]`: keep the inode number
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let s = link.to_string_lossy();
    let inode = s.trim_start_matches("pid:[").trim_end_matches(']');
    (!inode.is_empty() && !inode.contains('/')).then(|| inode.to_string())
}

/// Start time of `pid` in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
fn start_time(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name (field 2) may hold spaces and parentheses: skip past the last ')'
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19).map(str::to_string)
}

fn identity() -> Option<&'static Identity> {
    static ID: OnceLock<Option<Identity>> = OnceLock::new();
    ID.get_or_init(|| {
        Some(Identity {
            boot: boot_id()?,
            pid_ns: pid_namespace()?,
            started: start_time("self")?,
        })
    })
    .as_ref()
}

/// Labels for an object of `run`.
pub(crate) fn for_run(run_id: &str) -> HashMap<String, String> {
    let mut l = HashMap::from([(RUN.to_string(), run_id.to_string()), (OWNER.to_string(), owner())]);
    if let Some(id) = identity() {
        l.insert(OWNER_ID.to_string(), id.render());
    }
    l
}

/// Labels for a member (replica or service) of `run`.
pub(crate) fn for_member(run_id: &str, member: &str, role: &str) -> HashMap<String, String> {
    let mut l = for_run(run_id);
    l.insert(MEMBER.into(), member.into());
    l.insert(ROLE.into(), role.into());
    l
}

/// Whether the owner recorded in an object's labels is certainly a process that is gone.
/// Anything this process cannot judge for sure counts as alive: owners on other hosts
/// (they may share the engine), in another pid namespace or boot of this host (a run in
/// a container, even one that shares the host's name), labels that do not parse, and
/// hosts without a readable `/proc`.
pub(crate) fn owner_is_dead(labels: &HashMap<String, String>) -> bool {
    let Some(owner) = labels.get(OWNER) else { return false };
    let Some((h, pid)) = owner.rsplit_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    if h != host() || pid == 0 || pid == std::process::id() {
        return false;
    }
    // without our own identity (no /proc) nothing can be judged
    let Some(me) = identity() else { return false };
    match labels.get(OWNER_ID) {
        Some(theirs) => {
            let Some(theirs) = Identity::parse(theirs) else {
                return false;
            };
            if theirs.boot != me.boot || theirs.pid_ns != me.pid_ns {
                return false;
            }
            // gone, or the pid now belongs to a process that started at another time
            match start_time(&pid.to_string()) {
                None => !std::path::Path::new(&format!("/proc/{pid}")).exists(),
                Some(started) => started != theirs.started,
            }
        }
        // without an owner id the pid may live in a namespace we cannot see: never judged
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(owner: &str, id: Option<&str>) -> HashMap<String, String> {
        let mut l = HashMap::from([(OWNER.to_string(), owner.to_string())]);
        if let Some(id) = id {
            l.insert(OWNER_ID.to_string(), id.to_string());
        }
        l
    }

    #[test]
    fn own_process_is_alive_and_a_missing_pid_is_dead() {
        assert!(!owner_is_dead(&for_run("r")));
        // pid_max is at most 2^22 on Linux
        let gone = format!("{}:{}", host(), 9_999_999);
        assert!(!owner_is_dead(&owned(&gone, None)), "no owner id: never judged dead");
        let me = identity().expect("/proc is readable here");
        assert!(owner_is_dead(&owned(&gone, Some(&me.render()))));
        assert!(!owner_is_dead(&owned("some-other-host:1", None)));
        assert!(!owner_is_dead(&owned("garbage", None)));
        assert!(!owner_is_dead(&HashMap::new()));
    }

    #[test]
    fn a_live_process_is_alive_and_a_reused_pid_is_dead() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id().to_string();
        let me = identity().unwrap();
        let started = start_time(&pid).unwrap();
        let owner = format!("{}:{pid}", host());
        let same = Identity {
            started: started.clone(),
            ..me.clone()
        };
        assert!(!owner_is_dead(&owned(&owner, Some(&same.render()))));
        assert!(!owner_is_dead(&owned(&owner, None)));
        // same pid, another start time: the pid was reused, the owner is gone
        let reused = Identity {
            started: format!("{started}0"),
            ..me.clone()
        };
        assert!(owner_is_dead(&owned(&owner, Some(&reused.render()))));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn owners_in_another_pid_namespace_or_boot_are_never_judged() {
        // same host name and a pid that does not exist here: still not ours to judge
        let gone = format!("{}:{}", host(), 9_999_999);
        let me = identity().unwrap();
        let other_ns = Identity {
            pid_ns: "1".into(),
            ..me.clone()
        };
        let other_boot = Identity {
            boot: "another-boot".into(),
            ..me.clone()
        };
        assert!(!owner_is_dead(&owned(&gone, Some(&other_ns.render()))));
        assert!(!owner_is_dead(&owned(&gone, Some(&other_boot.render()))));
        assert!(!owner_is_dead(&owned(&gone, Some("not an id"))));
    }
}
