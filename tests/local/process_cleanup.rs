//! `phoenix clean` and the process backend, with real processes: a `phoenix run` killed
//! with SIGKILL cannot tidy up; its replica dies with it (`PR_SET_PDEATHSIG`), but what
//! the replica started lives on, carrying the run's labels, and so does the run's folder.
//! `phoenix clean --dry-run` lists them and touches nothing; `phoenix clean` kills the
//! process and removes the folder; a live run is never listed. No engine is used: the
//! commands run with DOCKER_HOST pointing at nothing.

use crate::common;

use common::*;
use phoenix_bench::backend::labels;
use phoenix_bench::backend::process::label_env;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A replica whose program leaves a process behind: the background `sleep` is not the
/// replica, so the kernel does not kill it when the harness dies.
const APP: &str = "#!/bin/sh\nsleep 600 &\nexec sleep 600\n";

const SCENARIO: &str = r#"name = "leftover"
[app]
backend = "process"
command = ["bin/app"]
replicas = 1
health = { path = "/health" }
start_timeout = "60s"
env = { LISTEN = "127.0.0.1:{port}" }
[load]
rate = 10
duration = "5s"
requests = [{ path = "/" }]
[[fault]]
at = "1s"
kind = "kill"
target = "app-0"
"#;

/// Pids of live (not zombie) processes whose environment names `owner` as their run's owner.
fn owned_by(owner: &str) -> Vec<i32> {
    let want = format!("{}={owner}", label_env(labels::OWNER));
    let mut pids = Vec::new();
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = p.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let env = std::fs::read(p.path().join("environ")).unwrap_or_default();
        if env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()) && alive(pid) {
            pids.push(pid);
        }
    }
    pids
}

/// Running or sleeping: neither gone nor a zombie waiting for its parent.
fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // the state follows the command name, which ends with the last ')'
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    matches!(state, Some(s) if s != 'Z' && s != 'X')
}

/// Polls `f` every 50 ms for at most `bound`.
fn wait_until(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

fn clean(extra: &[&str], no_engine: &Path) -> (Option<i32>, String, String) {
    let o = phoenix()
        .arg("clean")
        .args(extra)
        .env("DOCKER_HOST", format!("unix://{}", no_engine.display()))
        .output()
        .expect("phoenix clean runs");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    eprintln!("--- phoenix clean {extra:?} ---\n{out}{err}");
    (o.status.code(), out, err)
}

/// Never leaves the phoenix process behind, whatever the test did.
struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_process_left_by_a_killed_run_is_found_and_killed_by_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let no_engine = tmp.path().join("no-docker.sock");
    std::fs::create_dir(tmp.path().join("bin")).unwrap();
    let app = tmp.path().join("bin/app");
    std::fs::write(&app, APP).unwrap();
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = tmp.path().join("leftover.toml");
    std::fs::write(&file, SCENARIO).unwrap();

    let child = phoenix()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(tmp.path().join("run"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("phoenix starts");
    let mut run = Killed(child);
    let owner = format!("{}:{}", labels::host(), run.0.id());
    // the replica and the process it left: both carry the run's labels
    assert!(
        wait_until(Duration::from_secs(30), || owned_by(&owner).len() >= 2),
        "the replica and its background process never ran: {:?}",
        owned_by(&owner)
    );

    // while the run lives, nothing of it is an orphan
    let (_, out, _) = clean(&["--dry-run"], &no_engine);
    assert!(!out.contains(&owner), "a live run was listed: {out}");

    run.0.kill().unwrap(); // SIGKILL: no handler, no teardown
    run.0.wait().unwrap(); // reaped: a zombie would still count as a live owner
    assert!(
        wait_until(Duration::from_secs(10), || owned_by(&owner).len() == 1),
        "the replica dies with the harness, its background process does not: {:?}",
        owned_by(&owner)
    );
    let left = owned_by(&owner);

    let (code, out, _) = clean(&["--dry-run"], &no_engine);
    assert_eq!(code, Some(1), "no engine to check is still an error: {out}");
    let line = out
        .lines()
        .find(|l| l.contains(&owner))
        .unwrap_or_else(|| panic!("the dead run is not listed: {out}"));
    assert!(line.starts_with("would remove process run "), "{line}");
    assert!(line.contains(&format!("1 process(es): {}", left[0])), "{line}");
    let folder = line
        .split("(folder ")
        .nth(1)
        .and_then(|r| r.split(", ").next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no folder named: {line}"));
    assert!(folder.is_dir(), "{}", folder.display());
    assert_eq!(owned_by(&owner), left, "--dry-run kills nothing");

    let (code, out, err) = clean(&[], &no_engine);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("removed 1 of 1 process run leftover(s)"), "{out}");
    assert!(err.contains("the process runs above were removed"), "{err}");
    assert!(
        wait_until(Duration::from_secs(5), || owned_by(&owner).is_empty()),
        "still running: {:?}",
        owned_by(&owner)
    );
    assert!(!folder.exists(), "{} is still there", folder.display());
    let (_, out, _) = clean(&["--dry-run"], &no_engine);
    assert!(!out.contains(&owner), "listed again after removal: {out}");
}
