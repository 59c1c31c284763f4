//! The binary against hostile command-line values and hostile run folders, as issue 21's
//! adversary tried them: each case runs `phoenix` under a 4 GB address-space limit
//! (`prlimit`, so an allocation bomb aborts instead of swamping the machine) and a wall
//! clock bound, with the Docker engine out of reach (`DOCKER_HOST` points nowhere), so no
//! case can start a container. Each asserts exit 2 on bad input, no raw control or
//! formatting character in what is printed, and no secret of phoenix's environment in it.
//!
//! Cases that the current code does not yet meet are `#[ignore]`d with the finding and
//! the helper whose change fixes it; the lead removes the ignore after the merge.

use crate::parser_props::{raw_control, v2_blob};
use phoenix_bench::report::{fixture, json, Report};
use proptest::prelude::*;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every case must end within this (the acceptance bound).
const BOUND: Duration = Duration::from_secs(5);
/// A value in phoenix's environment that must never be printed.
const CANARY: &str = "canary-5f3a9c1e-secret";

/// What one bounded run of the binary gave.
struct Ran {
    code: Option<i32>,
    out: String,
    err: String,
    took: Duration,
}

impl Ran {
    /// Both streams, for assertions about what was printed anywhere.
    fn printed(&self) -> String {
        format!("{}{}", self.out, self.err)
    }

    /// Asserts the run ended in time and printed no secret.
    fn bounded(&self, what: &str) {
        assert!(self.took < BOUND, "{what}: took {:?}\n{}", self.took, self.err);
        assert!(
            !self.printed().contains(CANARY),
            "{what}: the secret was printed: {}",
            self.printed()
        );
    }

    /// [`Ran::bounded`], and nothing raw printed.
    fn clean(&self, what: &str) {
        self.bounded(what);
        let p = self.printed();
        assert!(raw_control(&p).is_none(), "{what}: raw {:?} in {p:?}", raw_control(&p));
    }

    /// Asserts a clean refusal: exit 2 and [`Ran::clean`].
    fn refused(&self, what: &str) {
        self.clean(what);
        assert_eq!(self.code, Some(2), "{what}: not exit 2\n{}", self.err);
    }
}

/// Runs `phoenix args` in `cwd` under the memory limit, killed at twice [`BOUND`].
fn bounded(cwd: &Path, args: &[&std::ffi::OsStr]) -> Ran {
    let mut cmd = Command::new("prlimit");
    cmd.arg("--as=4000000000")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_phoenix"))
        .args(args)
        .current_dir(cwd)
        .env("DOCKER_HOST", "unix:///nonexistent/phoenix-test.sock")
        .env("AWS_SECRET_ACCESS_KEY", CANARY)
        .env("PHOENIX_CANARY", CANARY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd.spawn().expect("prlimit (util-linux) runs");
    let (mut so, mut se) = (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = so.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = se.read_to_end(&mut s);
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if t.elapsed() > 2 * BOUND {
            // our own child, by its handle
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = t.elapsed();
    let text =
        |h: std::thread::JoinHandle<Vec<u8>>| String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned();
    Ran {
        code,
        out: text(out),
        err: text(err),
        took,
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\u{1b}[31mred".to_string()),
        Just("\u{1b}]0;title\u{7}".to_string()),
        Just("a\r\nX-Injected: 1".to_string()),
        Just("\u{202e}evil\u{2066}".to_string()),
        Just("\u{9b}2J\u{7f}".to_string()),
        Just("${AWS_SECRET_ACCESS_KEY}".to_string()),
        Just("$PHOENIX_CANARY".to_string()),
        Just("1e400".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("18446744073709551616".to_string()),
        Just("nan".to_string()),
        Just("".to_string()),
        "[ -~]{0,10}",
        "\\PC{0,6}",
    ]
}

// --- command-line values --------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    /// `phoenix load` against a loopback port nobody listens on: whatever the values, it
    /// refuses (2) or sends for at most the tiny duration given (0), and prints nothing raw.
    #[test]
    fn load_values_are_refused_cleanly_or_run_briefly(
        path in hostile_text(),
        rate in hostile_text(),
        timeout in hostile_text(),
        duration in prop::sample::select(vec!["1ms", "0s", "-1s", "1e400s", "\u{1b}[2J", "nan", "10ms"]),
    ) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("http://127.0.0.1:1/{path}");
        let r = bounded(dir.path(), &[os("load"), os(&url), os("--rate"), os(&rate), os("--timeout"), os(&timeout), os("--duration"), os(duration)]);
        r.bounded("load");
        prop_assert!(matches!(r.code, Some(0) | Some(2)), "exit {:?}: {}", r.code, r.err);
    }

    /// `phoenix init` writes the zero-config scenario from CLI values: a hostile value is
    /// refused (2) cleanly, or the file written validates.
    #[test]
    fn init_values_are_refused_cleanly_or_make_a_valid_scenario(
        image in prop_oneof![Just("phoenix-demo:latest".to_string()), hostile_text()],
        port in prop_oneof![Just("8080".to_string()), hostile_text()],
        health in prop_oneof![Just("/health".to_string()), Just("/a\"b".to_string()), hostile_text()],
        env in prop_oneof![Just("A=b".to_string()), hostile_text()],
        request in prop_oneof![Just("GET /".to_string()), hostile_text()],
        replicas in prop_oneof![Just("2".to_string()), hostile_text()],
    ) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = dir.path().join("p.toml");
        let r = bounded(dir.path(), &[
            os("init"), os(&image), os("--port"), os(&port), os("--health"), os(&health),
            os("--env"), os(&env), os("--request"), os(&request), os("--replicas"), os(&replicas),
            os("--file"), file.as_os_str(),
        ]);
        r.bounded("init");
        match r.code {
            Some(0) => {
                let v = bounded(dir.path(), &[os("validate"), file.as_os_str()]);
                v.clean("validate of what init wrote");
                prop_assert_eq!(v.code, Some(0), "init wrote a file validate refuses: {}", v.err);
            }
            Some(2) => prop_assert!(!file.exists(), "a refused init wrote its file"),
            other => prop_assert!(false, "exit {:?}: {}", other, r.err),
        }
    }

    /// Paths that do not exist, named with controls: exit 2 in time (their escaping is
    /// `cli_values_and_paths_are_echoed_escaped`).
    #[test]
    fn hostile_paths_are_refused_in_bounded_time(
        name in hostile_text(),
        command in prop::sample::select(vec!["run", "validate", "report", "doctor"]),
    ) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join(format!("x{name}.toml"));
        let r = bounded(dir.path(), &[os(command), path.as_os_str()]);
        r.bounded(command);
        if command != "doctor" {
            prop_assert_eq!(r.code, Some(2), "{}", r.err);
        }
    }
}

#[test]
fn cli_values_and_paths_are_echoed_escaped() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for v in [
        "a\r\nX-Injected: 1",
        "\u{202e}evil\u{2066}",
        "\u{1b}]0;title\u{7}",
        "\u{9b}2J",
    ] {
        let missing = dir.path().join(format!("x{v}"));
        for args in [
            vec![os("load"), os("http://127.0.0.1:1/"), os("--rate"), os(v)],
            vec![os("init"), os("img"), os("--port"), os(v)],
            vec![os("compare"), os("a"), os("b"), os("--alpha"), os(v)],
            vec![os("run"), os("s.toml"), os("--trials"), os(v)],
            vec![os("report"), missing.as_os_str()],
        ] {
            bounded(dir.path(), &args).refused(&format!("{args:?}"));
        }
    }
}

#[test]
fn load_refuses_a_url_with_a_line_break_or_port_0() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for url in [
        "http://127.0.0.1:1/a\r\nX: y",
        "http://127.0.0.1:0/",
        "http://127.0.0.1:1/a\nb",
    ] {
        let r = bounded(
            dir.path(),
            &[os("load"), os(url), os("--rate"), os("5"), os("--duration"), os("10ms")],
        );
        r.refused(&format!("load {url:?}"));
    }
}

/// A folder holding one run folder named `name` with the fixture's result.json.
fn reports_with_run(root: &Path, name: &str) -> std::path::PathBuf {
    let reports = root.join("reports");
    let run = reports.join(name);
    std::fs::create_dir_all(&run).expect("folder");
    let r = Report::build(fixture::record());
    let result = json::result(&r).expect("renders");
    let text = String::from_utf8(result)
        .expect("UTF-8")
        .replacen("\"fixture\"", "\"scn \\u001b]0;x\\u0007\"", 1);
    std::fs::write(run.join("result.json"), text).expect("write");
    reports
}

#[test]
fn list_and_compare_print_hostile_names_escaped() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let reports = reports_with_run(dir.path(), "run \u{1b}[31m\u{7}");
    let r = bounded(dir.path(), &[os("list"), os("--reports"), reports.as_os_str()]);
    r.clean("list");
    let missing = dir.path().join("gone \u{1b}[2J");
    let r = bounded(dir.path(), &[os("compare"), reports.as_os_str(), missing.as_os_str()]);
    r.refused("compare with a missing side");
    let r = bounded(dir.path(), &[os("compare"), reports.as_os_str(), reports.as_os_str()]);
    r.clean("compare");
}

// --- run folders that `phoenix report` reads ----------------------------------------------------

/// The fixture's record.json as JSON, for crafting.
fn fixture_record() -> serde_json::Value {
    let r = Report::build(fixture::record());
    serde_json::from_slice(&json::record(&r).expect("renders")).expect("JSON")
}

/// Sets every value under a key named `key`, at any depth, to `to`; returns how many.
fn set_all(v: &mut serde_json::Value, key: &str, to: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => m
            .iter_mut()
            .map(|(k, x)| {
                if k == key {
                    *x = to.clone();
                    1
                } else {
                    set_all(x, key, to)
                }
            })
            .sum(),
        serde_json::Value::Array(a) => a.iter_mut().map(|x| set_all(x, key, to)).sum(),
        _ => 0,
    }
}

/// `phoenix report` on a run folder holding `record`.
fn report_on(record: &[u8]) -> Ran {
    let dir = tempfile::tempdir().expect("temporary folder");
    let run = dir.path().join("run");
    std::fs::create_dir(&run).expect("folder");
    std::fs::write(run.join("record.json"), record).expect("write");
    bounded(dir.path(), &[os("report"), run.as_os_str()])
}

#[test]
fn the_fixture_record_re_renders() {
    let r = report_on(&serde_json::to_vec(&fixture_record()).expect("JSON"));
    r.clean("report of the fixture");
    assert_eq!(r.code, Some(0), "{}", r.err);
}

/// Gives every request log of the record (an object holding `intended_us`) one window of
/// successful requests, `window_us` wide, whose latencies are `blob`; returns how many.
fn with_window(v: &mut serde_json::Value, window_us: i64, blob: &[u8]) -> usize {
    use base64::Engine as _;
    match v {
        serde_json::Value::Object(m) if m.contains_key("intended_us") => {
            m.insert("window_us".into(), serde_json::json!(window_us));
            let latency = base64::engine::general_purpose::STANDARD.encode(blob);
            let w = serde_json::json!({"index": 0, "count": 1, "first_intended_us": 0,
                "last_intended_us": 0, "first_done_us": 1, "latency": latency});
            m.insert("windows".into(), serde_json::json!([w]));
            1
        }
        serde_json::Value::Object(m) => m.values_mut().map(|x| with_window(x, window_us, blob)).sum(),
        serde_json::Value::Array(a) => a.iter_mut().map(|x| with_window(x, window_us, blob)).sum(),
        _ => 0,
    }
}

#[test]
fn crafted_records_are_refused_in_bounded_time_and_memory() {
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    h.record(100).expect("in range");
    let ok = phoenix_bench::record::EncodedHistogram::encode(&h);
    let ok = serde_json::to_value(&ok).expect("JSON");
    let ok = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, ok.as_str().expect("base64"))
        .expect("base64");
    // a header whose range needs gigabytes of counts
    let huge = v2_blob(64, 5, 1, u64::MAX >> 1, &[0; 64]);
    let mut cases: Vec<(String, serde_json::Value)> = vec![
        ("window_us".into(), {
            let mut v = fixture_record();
            assert!(with_window(&mut v, 1, &ok) > 0);
            v
        }),
        ("latency".into(), {
            let mut v = fixture_record();
            assert!(with_window(&mut v, 1_000_000, &huge) > 0);
            v
        }),
    ];
    for (key, to) in [
        ("issued_us", serde_json::json!(i64::MAX)),
        ("intended_us", serde_json::json!([i64::MIN, i64::MAX])),
    ] {
        let mut v = fixture_record();
        assert!(set_all(&mut v, key, &to) > 0, "the fixture record has no `{key}`");
        cases.push((key.into(), v));
    }
    let mut short = Vec::new();
    for (key, v) in cases {
        let r = report_on(&serde_json::to_vec(&v).expect("JSON"));
        if r.code != Some(2) || r.took >= BOUND || !r.err.contains(&key) {
            short.push(format!("{key}: exit {:?} after {:?}: {}", r.code, r.took, r.err.trim()));
        }
    }
    assert!(
        short.is_empty(),
        "crafted records not refused in bounds, naming the field:\n{}",
        short.join("\n")
    );
}

#[test]
fn a_fifo_record_is_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let run = dir.path().join("run");
    std::fs::create_dir(&run).expect("folder");
    let fifo = run.join("record.json");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    bounded(dir.path(), &[os("report"), run.as_os_str()]).refused("FIFO record.json");
}
