//! Where phoenix writes, against hostile folders, through the real binary: links planted in
//! a run folder or a reports folder, a reports folder that is a link, `--out` folders that
//! are not new (non-empty, a link, a file, a system folder), `init`'s file (existing, a link,
//! in a system folder), `list` and `compare` given a kernel folder, and runs that fail
//! before measuring anything (the engine unreachable, the app's program unstartable). Every run here points DOCKER_HOST at a missing socket: a refusal must
//! come before the engine is touched (exit 2), and a run that got past it fails fast
//! (exit 1) without reaching any real engine.

use crate::common::phoenix;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MISSING_SOCKET: &str = "unix:///nonexistent/docker.sock";

/// `phoenix <args>` with no engine reachable, run from `cwd` when given.
fn no_engine(args: &[&str], paths: &[&Path], cwd: Option<&Path>) -> Output {
    let mut c: Command = phoenix();
    c.env("DOCKER_HOST", MISSING_SOCKET).args(args).args(paths);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let o = c.output().unwrap();
    eprintln!("--- phoenix stderr ---\n{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// `certify` of an image that needs no build, into `--out <out>` or `--reports <reports>`.
fn certify(flag: &str, dir: &Path, cwd: Option<&Path>) -> Output {
    no_engine(&["certify", "nginx:latest", "--port", "80", flag], &[dir], cwd)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary folder with a file `victim` outside every folder phoenix is given.
fn with_victim() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    (tmp, victim)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn report_replaces_links_in_the_run_folder_and_never_writes_their_targets() {
    let (tmp, victim) = with_victim();
    let reports = tmp.path().join("reports");
    let run = reports.join("20260101-000000-fixture");
    std::fs::create_dir_all(&run).unwrap();
    let record = serde_json::to_vec(&phoenix_bench::report::fixture::record()).unwrap();
    std::fs::write(run.join("record.json"), record).unwrap();
    for name in ["result.json", "index.html", "summary.md", "junit.xml", "latency.hlog"] {
        symlink(&victim, run.join(name)).unwrap();
    }
    symlink(&victim, reports.join("index.html")).unwrap();
    let o = no_engine(&["report"], &[&run], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    for name in ["result.json", "index.html", "summary.md", "junit.xml", "latency.hlog"] {
        assert!(std::fs::symlink_metadata(run.join(name)).unwrap().is_file(), "{name}");
    }
    assert!(std::fs::symlink_metadata(reports.join("index.html")).unwrap().is_file());
    // no temporary file is left in either folder
    assert!(names(&run).iter().all(|n| !n.ends_with(".tmp")), "{:?}", names(&run));
    assert_eq!(names(&reports), ["20260101-000000-fixture", "index.html"]);
}

#[test]
fn a_reports_marker_that_is_a_link_is_never_written_through() {
    let (tmp, victim) = with_victim();
    let reports = tmp.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    symlink(&victim, reports.join(".phoenix-reports")).unwrap();
    let o = certify("--reports", &reports, None);
    assert_eq!(o.status.code(), Some(1), "no engine: {}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn a_reports_folder_that_is_a_link_is_refused_before_anything_is_written() {
    let (tmp, _victim) = with_victim();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let checkout = tmp.path().join("checkout");
    std::fs::create_dir(&checkout).unwrap();
    symlink(&elsewhere, checkout.join("reports")).unwrap();
    // the default `reports`, relative to the checkout, and the same given absolutely
    for (o, shown) in [
        (
            no_engine(&["certify", "nginx:latest", "--port", "80"], &[], Some(&checkout)),
            "'reports'",
        ),
        (certify("--reports", &checkout.join("reports"), None), "reports'"),
    ] {
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(shown) && err.contains("symbolic link"), "{err}");
        assert!(err.contains("hint: "), "{err}");
        assert!(names(&elsewhere).is_empty(), "{:?}", names(&elsewhere));
    }
    // a link further up a relative --out leads out of the checkout just the same
    let o = certify("--out", Path::new("reports/run"), Some(&checkout));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(names(&elsewhere).is_empty(), "{:?}", names(&elsewhere));
}

#[test]
fn out_that_is_not_a_new_or_empty_folder_is_refused_before_anything_is_written() {
    let (tmp, victim) = with_victim();
    let full = tmp.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("scenario.toml"), "mine").unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let link = tmp.path().join("link");
    symlink(&empty, &link).unwrap();
    for (out, why) in [
        (full.as_path(), "is not empty"),
        (victim.as_path(), "is not a folder"),
        (link.as_path(), "symbolic link"),
    ] {
        for o in [
            certify("--out", out, None),
            no_engine(&["run", "scenarios/kill-restart.toml", "--out"], &[out], None),
        ] {
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{}: {err}", out.display());
            assert!(err.contains(why) && err.contains("hint: "), "{err}");
        }
    }
    assert_eq!(std::fs::read_to_string(full.join("scenario.toml")).unwrap(), "mine");
    assert_eq!(names(&full), ["scenario.toml"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(names(&empty).is_empty());
    let o = no_engine(&["nightly", "--short", "--out"], &[&full], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(names(&full), ["scenario.toml"]);
}

#[test]
fn out_a_system_folder_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    let git = tmp.path().join(".git/hooks");
    let git = git.to_str().unwrap();
    // the kernel's, runtime state, root's folders outside the project, keys, a repository
    for out in [
        "/etc",
        "/etc/phoenix-run",
        "/usr/lib/phoenix-run",
        "/",
        "/usr/local/phoenix-run",
        "/usr/local/bin/phoenix-run",
        "/opt/phoenix-run",
        "/var/lib/phoenix-run",
        "/run/phoenix-run",
        "/proc/phoenix-run",
        "/dev/shm/phoenix-run",
        "/root/.ssh/phoenix-run",
        git,
    ] {
        let existed = Path::new(out).join("scenario.toml").exists();
        let o = certify("--out", Path::new(out), None);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(stderr(&o).contains("hint: "), "{}", stderr(&o));
        assert_eq!(Path::new(out).join("scenario.toml").exists(), existed, "{out}");
    }
    for made in [
        "/etc/phoenix-run",
        "/usr/lib/phoenix-run",
        "/usr/local/phoenix-run",
        "/opt/phoenix-run",
        git,
    ] {
        assert!(!Path::new(made).exists(), "{made}");
    }
}

/// `phoenix init` writing `file`, run from `cwd`.
fn init(file: &Path, cwd: Option<&Path>) -> Output {
    no_engine(&["init", "nginx:latest", "--port", "80", "--file"], &[file], cwd)
}

#[test]
fn init_writes_a_new_file_only_and_never_into_a_system_folder() {
    let (tmp, victim) = with_victim();
    let t = tmp.path();
    let pid = std::process::id();
    let system: Vec<PathBuf> = ["/etc", "/usr/local", "/opt", "/var/lib", "/root/.ssh", "/proc"]
        .iter()
        .map(|d| Path::new(d).join(format!("phoenix-init-{pid}.toml")))
        .collect();
    std::fs::create_dir(t.join(".git")).unwrap();
    std::fs::create_dir(t.join("elsewhere")).unwrap();
    symlink(t.join("elsewhere"), t.join("link")).unwrap();
    symlink(&victim, t.join("to-victim.toml")).unwrap();
    symlink(t.join("gone"), t.join("dangling.toml")).unwrap();
    let cases: Vec<(PathBuf, &str)> = system
        .iter()
        .map(|p| (p.clone(), "system folder"))
        .chain([
            (t.join(".git/phoenix.toml"), "system folder"),
            (PathBuf::from("link/phoenix.toml"), "symbolic link"),
            (victim.clone(), "exists"),
            (t.join("to-victim.toml"), "symbolic link"),
            (t.join("dangling.toml"), "symbolic link"),
        ])
        .collect();
    for (file, why) in &cases {
        let o = init(file, Some(t));
        // never leave a file in a system folder, even when the check failed
        let left = system.iter().filter(|p| p.exists()).collect::<Vec<_>>();
        left.iter().for_each(|p| drop(std::fs::remove_file(p)));
        assert!(left.is_empty(), "{} wrote {left:?}", file.display());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", file.display());
        assert!(err.contains(why) && err.contains("hint: "), "{}: {err}", file.display());
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!t.join("gone").exists() && names(&t.join("elsewhere")).is_empty());
    assert!(names(&t.join(".git")).is_empty());
    // a new file in the project: written, with no temporary file left beside it
    let o = init(Path::new("phoenix.toml"), Some(t));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(t.join("phoenix.toml"))
        .unwrap()
        .contains("[app]"));
    assert!(names(t).iter().all(|n| !n.ends_with(".tmp")), "{:?}", names(t));
}

#[test]
fn list_and_compare_of_a_kernel_folder_are_refused_at_once() {
    for dir in ["/proc", "/sys", "/dev", "/proc/self"] {
        let start = std::time::Instant::now();
        for o in [
            no_engine(&["list", "--reports", dir], &[], None),
            no_engine(&["compare", dir, dir], &[], None),
        ] {
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{dir}: {err}");
            assert!(err.contains("kernel folder") && err.contains("hint: "), "{err}");
            assert!(o.stdout.is_empty(), "{dir}: {}", String::from_utf8_lossy(&o.stdout));
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{dir}: {:?}",
            start.elapsed()
        );
    }
}

/// A process-backend app whose program cannot be started: its interpreter is missing.
const UNSTARTABLE: &str = r#"name = "unstartable"
[app]
backend = "process"
command = ["bin/app"]
replicas = 1
health = { path = "/health" }
start_timeout = "10s"
env = { LISTEN = "127.0.0.1:{port}" }
[load]
rate = 10
duration = "2s"
requests = [{ path = "/" }]
[[fault]]
at = "1s"
kind = "kill"
target = "app-0"
"#;

#[test]
fn a_run_whose_app_cannot_start_leaves_no_run_folder() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    std::fs::create_dir(t.join("bin")).unwrap();
    std::fs::write(t.join("bin/app"), "#!/nonexistent/interpreter\n").unwrap();
    std::fs::set_permissions(t.join("bin/app"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(t.join("unstartable.toml"), UNSTARTABLE).unwrap();
    let scenario = t.join("unstartable.toml");
    let reports = t.join("reports");
    std::fs::create_dir(&reports).unwrap();
    let o = no_engine(&["run"], &[&scenario, Path::new("--reports"), &reports], None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("bin/app"), "the error names the program: {err}");
    assert!(
        names(&reports).iter().all(|n| n == ".phoenix-reports"),
        "{:?}",
        names(&reports)
    );
    // the same with --out: the folder it made is taken back
    let o = no_engine(&["run"], &[&scenario, Path::new("--out"), &t.join("out/run")], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!t.join("out").exists(), "{:?}", names(t));
}

#[test]
fn a_certify_that_fails_before_measuring_leaves_no_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // a new --out (with a new parent): neither is left
    let out = tmp.path().join("nested/run");
    let o = certify("--out", &out, None);
    assert_eq!(o.status.code(), Some(1), "no engine: {}", stderr(&o));
    assert!(!tmp.path().join("nested").exists(), "left: {:?}", names(tmp.path()));
    // an empty --out of the user's: kept, and empty
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    let o = certify("--out", &mine, None);
    assert_eq!(o.status.code(), Some(1), "no engine: {}", stderr(&o));
    assert!(names(&mine).is_empty(), "{:?}", names(&mine));
    // an existing reports folder: no run folder is left in it
    let reports = tmp.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let o = certify("--reports", &reports, None);
    assert_eq!(o.status.code(), Some(1), "no engine: {}", stderr(&o));
    assert!(
        names(&reports).iter().all(|n| n == ".phoenix-reports"),
        "{:?}",
        names(&reports)
    );
}
