//! Bad scenario files are refused with a message naming the file, the line and column,
//! the field and the fix. The table of single-rule cases runs in-process (the validation
//! function, not a process per case); a few tests run the real binary for what only it
//! shows: exit status 2 and the message on stderr, no report folder, a FIFO and /dev/zero
//! refused without being read (a hang bound, not a speed limit: a shared CI machine may be
//! slow, but reading either would never end).
//!
//! Every case starts from `GOOD` (which `phoenix validate` accepts) and changes exactly one
//! thing, so each test proves one rule.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

/// A valid scenario that exercises every section. Line numbers are referred to below.
const GOOD: &str = r#"name = "t"
[app]
image = "phoenix-demo:latest"
port = 8080
replicas = 2
health = { path = "/health" }
volumes = ["data:/data"]
[load]
rate = 10
duration = "5s"
requests = [{ path = "/" }]
[[fault]]
at = "1s"
kind = "stop"
grace = "1s"
target = "app-0"
[[service]]
name = "db"
image = "postgres:16"
[[check]]
name = "sessions"
[[check.setup]]
method = "POST"
path = "/login"
json_text = '{"user": "u{{n}}"}'
capture = { sid = { cookie = "sid" } }
[[check.verify]]
path = "/me"
headers = { Cookie = "sid={{sid}}" }
body_contains = "u{{n}}"
[certify]
steady_p99_tolerance = 1.5
"#;

/// `GOOD` with `from` (which must occur exactly once) replaced by `to`.
fn good_with(from: &str, to: &str) -> String {
    assert_eq!(GOOD.matches(from).count(), 1, "{from:?} must occur once in GOOD");
    GOOD.replacen(from, to, 1)
}

/// `GOOD` with `extra` appended.
fn good_plus(extra: &str) -> String {
    format!("{GOOD}{extra}")
}

/// Validates `text` in-process and asserts it is refused with a message that names
/// `file:line:col`, the field, a hint and every fragment. (How long validation may take is
/// bounded by its size limits, tested with the hostile files, not by the clock here.)
fn check(name: &str, text: &str, field: Option<&str>, at: (usize, usize), expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(name);
    std::fs::write(&path, text).unwrap();
    let err = match phoenix_bench::scenario::Scenario::load(&path) {
        Ok(_) => panic!("{name}: accepted"),
        Err(e) => e.to_string(),
    };
    let located = format!("{}:{}:{}: ", path.display(), at.0, at.1);
    assert!(
        err.contains(&located),
        "{name}: message does not start with {located:?}: {err}"
    );
    if let Some(f) = field {
        let f = format!("field `{f}`");
        assert!(err.contains(&f), "{name}: message lacks {f:?}: {err}");
    }
    assert!(err.contains("\n  hint: "), "{name}: message has no hint: {err}");
    for e in expect {
        assert!(err.contains(e), "{name}: message lacks {e:?}: {err}");
    }
}

// --- phoenix validate ---------------------------------------------------------------------

fn validate(text: &str) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    phoenix().arg("validate").arg(&path).output().unwrap()
}

#[test]
fn validate_accepts_the_good_baseline_with_exit_0() {
    let o = validate(GOOD);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok (2 replica(s), 1 fault(s)"));
}

#[test]
fn validate_rejects_a_bad_file_with_exit_2_and_a_located_message() {
    let o = validate(&good_with("rate = 10", "rate = 0"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("s.toml:9:1: field `load.rate`"), "{err}");
}

#[test]
fn validate_accepts_the_bundled_scenario_and_names_the_host_commands_it_runs() {
    let o = phoenix()
        .args(["validate", "scenarios/kill-restart.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("will run on this host: bash apps/demo/build.sh (in scenarios)"),
        "{out}"
    );
}

#[test]
fn validate_quotes_each_host_command_argument_as_a_shell_would_need_it() {
    // one argument holding "; rm -rf ~" runs no shell: listed unquoted it would read as two
    // commands, and `bash -c` with two arguments would read like one
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let text = GOOD.replace(
        "port = 8080",
        "port = 8080\nbuild = { context = \".\", command = [\"echo\", \"a; rm -rf ~\", \"b c\"] }",
    );
    let file = dir.path().join("s.toml");
    std::fs::write(&file, text).unwrap();
    let o = phoenix().arg("validate").arg(&file).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("will run on this host: echo 'a; rm -rf ~' 'b c' (in "),
        "{out}"
    );
}

// --- single-rule cases, in-process ---------------------------------------------------------

#[path = "bad_input/burn_cases.rs"]
mod burn_cases;
#[path = "bad_input/load_body_cases.rs"]
mod load_body_cases;
#[path = "bad_input/parse_cases.rs"]
mod parse_cases;
#[path = "bad_input/process_cases.rs"]
mod process_cases;
#[path = "bad_input/rule_cases.rs"]
mod rule_cases;

/// One rule: `GOOD` changed in exactly one way, and how the change must be refused.
pub struct Case {
    /// What the case proves.
    pub rule: &'static str,
    /// The file name it is written to.
    pub file: &'static str,
    pub text: fn() -> String,
    pub field: Option<&'static str>,
    pub at: (usize, usize),
    pub says: &'static [&'static str],
}

#[test]
fn every_single_rule_case_is_refused_located_named_and_hinted() {
    let cases: Vec<&Case> = parse_cases::CASES
        .iter()
        .chain(rule_cases::CASES)
        .chain(burn_cases::CASES)
        .chain(load_body_cases::CASES)
        .collect();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    for c in cases {
        eprintln!("case: {}", c.rule);
        check(c.file, &(c.text)(), c.field, c.at, c.says);
    }
}

#[test]
fn process_backend_cases_are_refused_located_named_and_hinted() {
    assert!(process_cases::CASES.len() >= 10);
    for c in process_cases::CASES {
        eprintln!("case: {}", c.rule);
        check(c.file, &(c.text)(), c.field, c.at, c.says);
    }
}

#[test]
fn the_process_baseline_is_valid_and_runs_a_program_inside_its_project() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.toml");
    std::fs::write(&path, process_cases::PROCESS_GOOD).unwrap();
    let s = phoenix_bench::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let program = tmp.path().canonicalize().unwrap().join("bin/app");
    let want = vec![program.to_string_lossy().into_owned(), "--quiet".to_string()];
    assert_eq!(s.app.command, Some(want));
    assert!(s.app.image.is_empty() && s.app.port == 0);
}

// --- the real binary ----------------------------------------------------------------------

#[test]
fn run_refuses_a_process_scenario_with_a_service_with_exit_2_before_starting_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.toml");
    let text = format!(
        "{}[[service]]\nname = \"db\"\nimage = \"postgres:16\"\n",
        process_cases::PROCESS_GOOD
    );
    std::fs::write(&path, text).unwrap();
    let o = phoenix()
        .arg("run")
        .arg(&path)
        .arg("--reports")
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("p.toml:17:1: field `service[0]`"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert!(!tmp.path().join("reports").exists());
}

#[test]
fn run_refuses_bad_input_with_exit_2_and_creates_no_report_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, good_with("rate = 10", "rate = 0")).unwrap();
    let o = phoenix()
        .arg("run")
        .arg(&path)
        .arg("--reports")
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml:9:1: field `load.rate`"), "{err}");
    assert!(
        !tmp.path().join("reports").exists(),
        "a report folder was created for bad input"
    );
}

#[test]
fn run_refuses_a_trials_override_that_plans_more_requests_than_the_run_can_keep() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("busy.toml");
    let text = good_with("rate = 10", "rate = 5000").replacen("duration = \"5s\"", "duration = \"60s\"", 1);
    std::fs::write(&path, text).unwrap();
    let o = phoenix()
        .arg("run")
        .arg(&path)
        .args(["--trials", "100", "--reports"])
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("5000 req/s × 60s × 100 trial(s) = 30000000 planned requests"),
        "{err}"
    );
    assert!(!tmp.path().join("reports").exists());
}

/// Longer than any validation takes, even on a loaded machine: only a read that never ends
/// (a FIFO without a writer, /dev/zero) gets here.
const HANG: Duration = Duration::from_secs(20);

/// Runs `phoenix validate <path>` and asserts exit 2 with a hint, killing it if it hangs.
fn refused_without_reading(path: &std::path::Path, says: &str) {
    let mut child = phoenix()
        .arg("validate")
        .arg(path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "phoenix validate {} still runs after {HANG:?}: it reads the file",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(says) && err.contains("hint: "), "{err}");
}

#[test]
fn validate_refuses_a_fifo_without_opening_it() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("s.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo failed");
    refused_without_reading(&fifo, "is a FIFO (named pipe), not a regular file");
}

#[test]
fn validate_refuses_dev_zero_without_reading_it() {
    refused_without_reading(
        std::path::Path::new("/dev/zero"),
        "is a character device, not a regular file",
    );
}

#[test]
fn validate_never_prints_a_raw_escape_sequence_from_the_file() {
    // an unknown key that would erase the error line and print a forged `ok`
    let text = format!("\"\\u001b[2K\\u001b[1Gs.toml: ok\" = 1\n{GOOD}");
    let o = validate(&text);
    let out = [o.stdout, o.stderr].concat();
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.contains(&0x1b), "{}", String::from_utf8_lossy(&out));
    assert!(String::from_utf8_lossy(&out).contains("\\x1b[2K"));
}
