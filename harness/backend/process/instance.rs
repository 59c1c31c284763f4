//! One instance of a replica: a working folder of its own and, while it runs, one OS
//! process leading its own process group. Its output is read line by line and stamped
//! with the wall clock; a waiter task reaps it and reports the exit.

use super::events::Events;
use super::registry;
use crate::backend::{BackendError, ProcessSpec, RawLifecycle, Result, PORT_PLACEHOLDER};
use crate::record::LifecycleKind;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Output lines kept per instance (the latest), like the Docker backend's log tail.
const KEEP_LINES: usize = 2000;
/// Longest line kept, in bytes; the rest of a longer line is dropped.
const MAX_LINE: usize = 8 * 1024;
/// Most files listed as an instance's own writes, and how deep they are looked for.
const MAX_WRITES: usize = 1000;
const MAX_DEPTH: usize = 16;

/// Wall clock now, µs since the epoch.
pub(super) fn unix_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// Output lines of an instance, shared with its reader tasks.
pub(super) type Lines = Arc<Mutex<VecDeque<(i64, String)>>>;

/// A running (or just ended) OS process of an instance.
pub(super) struct Proc {
    /// Its pid, which is also its process group id.
    pub(crate) pgid: i32,
    /// Becomes true once the process has been reaped.
    pub exited: watch::Receiver<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Proc {
    pub fn alive(&self) -> bool {
        !*self.exited.borrow()
    }

    /// Sends `signal` to the whole process group while its leader is not reaped (until
    /// then its pid, the group's id, cannot be reused); a leader already reaped is not
    /// signalled — its id may name someone else's group by now — and not an error.
    pub fn signal(&self, signal: i32) -> std::io::Result<()> {
        if !self.alive() {
            return Ok(());
        }
        signal_group(self.pgid, signal)
    }

    /// Its anonymous resident memory (`RssAnon` of /proc/<pid>/status: heap and stacks,
    /// no file pages), bytes; None once it has ended. The program's own process only, not
    /// its children.
    pub(crate) fn rss_anon(&self) -> Option<u64> {
        if !self.alive() {
            return None;
        }
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pgid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// Waits until the process has been reaped, at most `within`.
    pub async fn wait(&self, within: Duration) -> bool {
        let mut rx = self.exited.clone();
        let ended = tokio::time::timeout(within, rx.wait_for(|e| *e)).await;
        ended.is_ok_and(|r| r.is_ok())
    }

    /// Stops the reader and waiter tasks (after a teardown's kill).
    pub(crate) fn abort(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Most a paused replica may take to show every thread stopped (a busy host schedules the
/// stopped threads late; an idle one within a millisecond).
const PAUSE_WAIT: Duration = Duration::from_secs(2);

impl super::ProcessBackend {
    /// SIGSTOP to the replica's group, then waits until its leader is stopped.
    pub(super) async fn freeze(&self, replica: &str) -> Result<()> {
        let exited = self.signal(replica, libc::SIGSTOP, "pause")?;
        let pgid = {
            let state = self.state();
            let inst = state.replicas.get(replica).and_then(|r| r.current.as_ref());
            inst.and_then(|i| i.proc.as_ref()).map_or(0, |p| p.pgid)
        };
        match wait_stopped(pgid, exited, PAUSE_WAIT).await {
            true => Ok(()),
            false => Err(BackendError::Timeout {
                op: "pause",
                what: replica.into(),
                after: PAUSE_WAIT,
            }),
        }
    }
}

/// Waits until every thread of the group leader `pgid` shows as stopped (state `T` in
/// /proc/<pid>/task/*/stat), at most `within`; true once they all do, or the process has
/// ended (`exited`). `kill(SIGSTOP)` returns when the signal is queued: a thread waiting for
/// a CPU (a busy host) stops only when it next runs, and could answer a request first.
/// Docker's pause returns once the freezer reports the cgroup frozen; this is that promise.
async fn wait_stopped(pgid: i32, exited: watch::Receiver<bool>, within: Duration) -> bool {
    let start = std::time::Instant::now();
    loop {
        if *exited.borrow() || all_stopped(pgid) {
            return true;
        }
        if start.elapsed() >= within {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Every thread of `pid` is stopped (or traced); false when one is not, or /proc cannot say.
fn all_stopped(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut any = false;
    for t in tasks.flatten().take(4096) {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            return false;
        };
        // the state follows the command name's closing parenthesis (a name may hold one)
        let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next());
        if !matches!(state, Some('T' | 't')) {
            return false;
        }
        any = true;
    }
    any
}

/// `killpg`, with "no such group" counted as done.
pub(super) fn signal_group(pgid: i32, signal: i32) -> std::io::Result<()> {
    if pgid <= 1 {
        // never signal init or every process we may signal
        return Ok(());
    }
    // SAFETY: killpg takes plain integers and touches no memory of ours
    if unsafe { libc::killpg(pgid, signal) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::ESRCH) {
        Ok(())
    } else {
        Err(e)
    }
}

/// A replica's instance: its id, folder, output, and its current process.
pub(super) struct Instance {
    pub id: String,
    pub replica: String,
    pub dir: PathBuf,
    pub lines: Lines,
    pub proc: Option<Proc>,
}

/// What a process is started with.
pub(super) struct Launch<'a> {
    pub spec: &'a ProcessSpec,
    pub env: &'a BTreeMap<String, String>,
    /// The labels of the run and the member, given as environment variables.
    pub labels: &'a [(String, String)],
    pub port: u16,
}

impl Instance {
    /// A fresh instance with an empty working folder (`Created`), not started yet.
    pub fn create(id: String, replica: &str, dir: PathBuf, events: &Events) -> Result<Instance> {
        make_private_dir(&dir).map_err(|e| BackendError::Op {
            op: "create the working folder of",
            what: format!("{replica} ({})", dir.display()),
            reason: e.to_string(),
        })?;
        events.send(RawLifecycle {
            unix_us: unix_us(),
            replica: replica.into(),
            instance: id.clone(),
            kind: LifecycleKind::Created,
        });
        Ok(Instance {
            id,
            replica: replica.into(),
            dir,
            lines: Arc::default(),
            proc: None,
        })
    }

    /// Starts the program in this instance's folder (`Started`); its exit is reported as
    /// `Exited` when it is reaped.
    pub fn start(&mut self, launch: &Launch<'_>, events: &Events) -> Result<()> {
        let port = launch.port.to_string();
        let fill = |s: &str| s.replace(PORT_PLACEHOLDER, &port);
        let mut cmd = tokio::process::Command::new(&launch.spec.program);
        cmd.args(launch.spec.args.iter().map(|a| fill(a)))
            .current_dir(&self.dir)
            // like a container, the app sees only what the scenario gives it
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", &self.dir)
            .env("TMPDIR", &self.dir)
            .envs(launch.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(launch.env.iter().map(|(k, v)| (k.clone(), fill(v))))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: only async-signal-safe calls between fork and exec
        unsafe {
            cmd.pre_exec(|| {
                // its own group, so a fault or the teardown reaches every process it starts
                if libc::setpgid(0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // the harness killed with SIGKILL takes its replicas with it
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| BackendError::Op {
            op: "start",
            what: format!("{} ({})", self.replica, launch.spec.program.display()),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => {
                    format!("{e}: build the program first (app.command names it, e.g. `cargo build -p phoenix-demo`)")
                }
                _ => e.to_string(),
            },
        })?;
        let started = unix_us();
        let pgid = child.id().map_or(0, |p| p as i32);
        registry::add_group(pgid);
        let mut tasks = Vec::new();
        if let Some(out) = child.stdout.take() {
            tasks.push(tokio::spawn(read_lines(out, self.lines.clone())));
        }
        if let Some(err) = child.stderr.take() {
            tasks.push(tokio::spawn(read_lines(err, self.lines.clone())));
        }
        events.send(RawLifecycle {
            unix_us: started,
            replica: self.replica.clone(),
            instance: self.id.clone(),
            kind: LifecycleKind::Started,
        });
        let (tx, exited) = watch::channel(false);
        let (events, replica, instance) = (events.clone(), self.replica.clone(), self.id.clone());
        tasks.push(tokio::spawn(async move {
            let _ = child.wait().await;
            // reaped: its pid may be reused from now on, never signal it again
            registry::remove_group(pgid);
            events.send(RawLifecycle {
                unix_us: unix_us(),
                replica,
                instance,
                kind: LifecycleKind::Exited,
            });
            let _ = tx.send(true);
        }));
        self.proc = Some(Proc { pgid, exited, tasks });
        Ok(())
    }

    pub fn alive(&self) -> bool {
        self.proc.as_ref().is_some_and(Proc::alive)
    }

    /// The output lines so far.
    pub fn lines(&self) -> Vec<(i64, String)> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Files the instance wrote to its own folder, as paths relative to it.
    pub fn writes(&self) -> Vec<String> {
        let mut out = Vec::new();
        list_files(&self.dir, &self.dir, 0, &mut out);
        out.sort();
        out
    }

    /// The audit's read of the instance's own folder: each file as `/` + its path relative
    /// to the folder (the folder is the instance's own filesystem), with its size.
    pub(crate) fn fs_read(&self, when: crate::record::FsReadWhen) -> crate::backend::RawFsRead {
        let unix_us = unix_us();
        let files = self
            .writes()
            .into_iter()
            .map(|rel| crate::record::FsFile {
                bytes: std::fs::symlink_metadata(self.dir.join(&rel)).ok().map(|m| m.len()),
                path: format!("/{rel}"),
            })
            .collect::<Vec<_>>();
        crate::backend::RawFsRead {
            unix_us,
            when,
            truncated: files.len() >= MAX_WRITES,
            files,
        }
    }
}

/// A folder only this user can enter (the app's files may hold what it was sent).
pub(super) fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(dir)
}

fn list_files(root: &Path, dir: &Path, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if out.len() >= MAX_WRITES {
            return;
        }
        let path = e.path();
        // symlinks are listed, never followed
        match e.file_type() {
            Ok(t) if t.is_dir() && depth < MAX_DEPTH => list_files(root, &path, depth + 1, out),
            Ok(_) => {
                if let Ok(rel) = path.strip_prefix(root) {
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
            Err(_) => {}
        }
    }
}

/// Reads `from` line by line into `lines`, each stamped when its end was read; a line
/// longer than [`MAX_LINE`] is cut, and only the latest [`KEEP_LINES`] are kept.
async fn read_lines(from: impl AsyncRead + Unpin, lines: Lines) {
    let mut r = BufReader::new(from);
    let mut line: Vec<u8> = Vec::new();
    let push = |line: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(line).trim_end_matches(['\n', '\r']).to_string();
        let mut l = lines.lock().unwrap_or_else(|e| e.into_inner());
        if l.len() >= KEEP_LINES {
            l.pop_front();
        }
        l.push_back((unix_us(), text));
        line.clear();
    };
    loop {
        let buf = match r.fill_buf().await {
            Ok(b) if !b.is_empty() => b,
            _ => break,
        };
        let (take, end) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        line.extend_from_slice(&buf[..take.min(room)]);
        r.consume(take);
        if end {
            push(&mut line);
        }
    }
    if !line.is_empty() {
        push(&mut line);
    }
}
