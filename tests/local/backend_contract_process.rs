//! The backend contract (`tests/backend_contract/mod.rs`) against the process backend: the
//! demo app built natively (`cargo build -p phoenix-demo`) and run as local processes.
//! Nothing here touches Docker. What a run left is read from the kernel, not from the
//! backend: processes by the label variables in `/proc/<pid>/environ`, the process serving
//! an endpoint by its listening socket (`/proc/net/tcp` and `/proc/<pid>/fd`), and the
//! run's folder by its labels file. Then what only this backend promises: restart keeps
//! the working folder and replace starts in a fresh one, stop and pause are real signals,
//! and dropping the backend without a teardown still kills everything.

use crate::backend_contract;
use crate::common;

use backend_contract::{healthy, runtime, until, Engine};
use phoenix_bench::backend::process::{label_env, ProcessBackend, LABELS_FILE};
use phoenix_bench::backend::{labels, Backend, Deployed, Deployment, ProcessSpec};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// One test at a time: two cores, and timings matter.
static ONE: Mutex<()> = Mutex::new(());

fn one() -> MutexGuard<'static, ()> {
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

struct ProcessEngine {
    env: BTreeMap<String, String>,
}

impl ProcessEngine {
    fn new() -> ProcessEngine {
        ProcessEngine::with(&[])
    }

    fn with(extra: &[(&str, &str)]) -> ProcessEngine {
        // a short boot keeps the suite quick; the contract does not depend on it
        let mut env = BTreeMap::from([
            ("STARTUP_DELAY_MS".to_string(), "200".to_string()),
            ("LISTEN".to_string(), "127.0.0.1:{port}".to_string()),
            // uploads in the run's folder, not in the demo's default /var/lib folder
            ("UPLOADS".to_string(), "shared".to_string()),
            ("SHARED_DIR".to_string(), "../uploads".to_string()),
        ]);
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        ProcessEngine { env }
    }
}

/// Pids of live processes whose environment holds `var=value`.
fn processes_with(var: &str, value: &str) -> Vec<i32> {
    let want = format!("{var}={value}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc is readable").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(e.path().join("stat"))
            .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z')));
        if !zombie && env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// The environment of `pid` as a map.
fn environ(pid: i32) -> BTreeMap<String, String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// The pid listening on 127.0.0.1:`port`, found from the kernel's socket table.
fn listener(port: u16) -> Option<i32> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp is readable");
    // local_address is hex ip:port; state 0A is LISTEN; inode is the 10th column
    let inode = table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let local_port = u16::from_str_radix(f.get(1)?.rsplit_once(':')?.1, 16).ok()?;
        (local_port == port && *f.get(3)? == "0A").then(|| f.get(9).map(|s| s.to_string()))?
    })?;
    let socket = format!("socket:[{inode}]");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid = e.file_name().to_string_lossy().parse::<i32>().ok()?;
        let fds = std::fs::read_dir(e.path().join("fd")).ok()?;
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == socket))
            .then_some(pid)
    })
}

/// Run folders in the temporary folder whose labels file names `run_id`.
fn run_folders(run_id: &str) -> Vec<PathBuf> {
    let line = format!("{}={run_id}", labels::RUN);
    std::fs::read_dir(std::env::temp_dir())
        .expect("the temporary folder is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("phoenix-"))
        })
        .filter(|p| std::fs::read_to_string(p.join(LABELS_FILE)).is_ok_and(|t| t.lines().any(|l| l == line)))
        .collect()
}

/// Each endpoint's serving process, its working folder and that folder's run folder:
/// (what, labels found).
fn serving(deployed: &Deployed) -> Vec<(String, BTreeMap<String, String>, bool)> {
    let mut out = Vec::new();
    let mut roots = BTreeSet::new();
    for e in &deployed.replicas {
        let pid = listener(e.addr.port()).unwrap_or_else(|| panic!("no process listens on {}", e.addr));
        out.push((format!("process {pid} ({})", e.replica), environ(pid), true));
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).expect("its working folder");
        roots.insert(cwd.parent().expect("inside the run folder").to_path_buf());
        out.push((format!("folder {}", cwd.display()), BTreeMap::new(), false));
    }
    for root in roots {
        let text = std::fs::read_to_string(root.join(LABELS_FILE)).unwrap_or_default();
        let labels = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (label_env(k), v.to_string()))
            .collect();
        out.push((format!("run folder {}", root.display()), labels, false));
    }
    out
}

#[async_trait::async_trait]
impl Engine for ProcessEngine {
    async fn backend(&self, run_id: &str) -> Box<dyn Backend> {
        Box::new(ProcessBackend::new(run_id))
    }

    fn deployment(&self, replicas: &[&str]) -> Deployment {
        Deployment {
            image: String::new(),
            port: 0,
            env: self.env.clone(),
            volumes: Vec::new(),
            replicas: replicas.iter().map(|r| r.to_string()).collect(),
            services: Vec::new(),
            front: None,
            platform_delay: None,
            audit: true,
            process: Some(ProcessSpec {
                program: common::demo_binary(),
                args: Vec::new(),
            }),
        }
    }

    fn health_path(&self) -> &str {
        "/health"
    }

    async fn leftovers(&self, run_id: &str) -> Vec<String> {
        let procs = processes_with(&label_env(labels::RUN), run_id);
        let mut left: Vec<String> = procs.iter().map(|p| format!("process {p}")).collect();
        left.extend(run_folders(run_id).iter().map(|f| format!("folder {}", f.display())));
        left
    }

    async fn unlabelled(&self, run_id: &str, deployed: &Deployed) -> Vec<String> {
        let mut lacking = Vec::new();
        for (what, found, member) in serving(deployed) {
            // a working folder is marked by the run folder that holds it
            if what.starts_with("folder ") {
                continue;
            }
            let mut want = vec![
                (labels::RUN, Some(run_id.to_string())),
                (labels::OWNER, Some(labels::owner())),
                (labels::OWNER_ID, None),
            ];
            if member {
                want.extend([(labels::MEMBER, None), (labels::ROLE, None)]);
            }
            for (key, value) in want {
                let ok = match (found.get(&label_env(key)), value) {
                    (None, _) => false,
                    (Some(got), Some(v)) => *got == v,
                    (Some(got), None) => !got.is_empty(),
                };
                if !ok {
                    lacking.push(format!("{what}: {key}"));
                }
            }
        }
        lacking
    }

    async fn objects(&self, deployed: &Deployed) -> usize {
        let found = serving(deployed);
        let kinds: BTreeSet<&str> = found.iter().filter_map(|(w, ..)| w.split(' ').next()).collect();
        assert_eq!(
            kinds,
            BTreeSet::from(["process", "folder", "run"]),
            "the deployment's processes, their folders and the run folder are all found"
        );
        found.len()
    }

    async fn sweep(&self, run_id: &str) {
        for pid in processes_with(&label_env(labels::RUN), run_id) {
            // SAFETY: plain integers; only processes carrying this test run's label
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        for f in run_folders(run_id) {
            let _ = std::fs::remove_dir_all(f);
        }
    }
}

contract_tests!(ProcessEngine::new(), one());

/// Runs `test` on a fresh run id and sweeps after it, like the contract's tests.
fn isolated<F: std::future::Future<Output = ()>>(name: &str, engine: &ProcessEngine, test: impl FnOnce(String) -> F) {
    let _g = one();
    let run_id = backend_contract::run_id(name);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime().block_on(test(run_id.clone()))
    }));
    runtime().block_on(engine.sweep(&run_id));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A session of user `user` on `addr`: the `sid` cookie `POST /login` sets.
async fn login(addr: std::net::SocketAddr, user: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/login"))
        .form(&[("user", user)])
        .send()
        .await
        .expect("login answers");
    assert!(r.status().is_success(), "login: {}", r.status());
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    cookie.split(';').next().unwrap().to_string()
}

/// The status `GET /me` gives with `cookie`.
async fn me(addr: std::net::SocketAddr, cookie: &str) -> u16 {
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/me"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("/me answers");
    r.status().as_u16()
}

#[test]
fn restart_keeps_the_working_folder_and_replace_starts_in_a_fresh_empty_one() {
    // sessions as files in a folder relative to the working folder
    let engine = ProcessEngine::with(&[("SESSIONS", "file"), ("SESSION_DIR", "sessions")]);
    let e = &engine;
    isolated("folders", &engine, |run_id| async move {
        let d = backend_contract::deploy(e, &run_id, &["app-0"]).await;
        let a = d.endpoint("app-0").addr;
        let cookie = login(a, "ada").await;
        assert_eq!(me(a, &cookie).await, 200);
        let writes: Vec<String> = d.backend.logs().await.into_iter().flat_map(|l| l.writes).collect();
        assert!(
            writes.iter().any(|w| w.starts_with("sessions/")),
            "the session file is the instance's own write: {writes:?}"
        );
        d.backend.kill("app-0").await.unwrap();
        until(d.endpoint("app-0"), "/health", false, Duration::from_secs(5))
            .await
            .expect("down");
        d.backend.restart("app-0").await.unwrap();
        until(d.endpoint("app-0"), "/health", true, Duration::from_secs(30))
            .await
            .expect("up");
        assert_eq!(
            me(a, &cookie).await,
            200,
            "a restart in place keeps the folder and its session"
        );
        d.backend.kill("app-0").await.unwrap();
        d.backend.replace("app-0").await.unwrap();
        until(d.endpoint("app-0"), "/health", true, Duration::from_secs(30))
            .await
            .expect("up");
        assert_eq!(
            me(a, &cookie).await,
            401,
            "a replacement starts in a fresh, empty folder"
        );
        d.teardown().await;
    });
}

#[test]
fn stop_is_sigterm_and_pause_freezes_until_unpause() {
    let engine = ProcessEngine::new();
    let e = &engine;
    isolated("signals", &engine, |run_id| async move {
        let d = backend_contract::deploy(e, &run_id, &["app-0"]).await;
        let a = d.endpoint("app-0").clone();
        d.backend.pause("app-0").await.unwrap();
        assert!(
            !healthy(&a, "/health").await,
            "a paused (SIGSTOP) replica does not answer"
        );
        d.backend.unpause("app-0").await.unwrap();
        // the bound of the contract's recoveries: a loaded machine can take seconds
        let thawed = until(&a, "/health", true, Duration::from_secs(30))
            .await
            .expect("answers after SIGCONT");
        eprintln!("healthy {thawed:?} after SIGCONT");
        // the demo drains on SIGTERM and says so: a SIGKILL would leave no such line
        d.backend.stop("app-0", Duration::from_secs(10)).await.unwrap();
        assert!(!healthy(&a, "/health").await, "stopped");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let lines: Vec<String> = d
            .backend
            .logs()
            .await
            .into_iter()
            .flat_map(|l| l.lines)
            .map(|(_, l)| l)
            .collect();
        assert!(
            lines.iter().any(|l| l.starts_with("drained ")),
            "SIGTERM was handled: {lines:?}"
        );
        assert!(
            d.backend.disconnect("app-0").await.is_err(),
            "disconnect is refused, not faked"
        );
        d.teardown().await;
    });
}

#[test]
fn dropping_the_backend_without_a_teardown_kills_every_process_and_removes_its_folder() {
    let engine = ProcessEngine::new();
    let e = &engine;
    isolated("drop", &engine, |run_id| async move {
        let d = backend_contract::deploy(e, &run_id, &["app-0", "app-1"]).await;
        assert_eq!(e.leftovers(&run_id).await.len(), 3, "two processes and the run folder");
        // as on an error or a panic: the backend goes out of scope, no teardown is called
        drop(d);
        let mut left = e.leftovers(&run_id).await;
        for _ in 0..50 {
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            left = e.leftovers(&run_id).await;
        }
        assert!(left.is_empty(), "left after drop: {left:?}");
    });
}
