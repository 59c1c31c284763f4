//! Hostile run folders: what `phoenix report`, `compare` and `list` read may come from a CI
//! artefact or an attacker. Each crafted folder must be refused with exit 2 naming the file
//! and the field, or handled within bounds: every case runs under a 4 GB address-space
//! limit (`prlimit --as`) and a time bound, and nothing it prints holds a raw control byte.

use phoenix_bench::report::{fixture, json, Report};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a bounded run of phoenix gave: status, stdout + stderr, time taken.
struct Ran {
    code: Option<i32>,
    out: String,
    took: Duration,
}

/// Runs phoenix under a 4 GB address-space limit, killed after 60 s (a blocked read would
/// otherwise hang the suite).
fn bounded(args: &[&std::ffi::OsStr]) -> Ran {
    let start = Instant::now();
    let mut child = Command::new("prlimit")
        .arg("--as=4000000000")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_phoenix"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit runs phoenix");
    while child.try_wait().expect("wait").is_none() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    let mut out = String::from_utf8_lossy(&output.stdout).into_owned();
    out.push_str(&String::from_utf8_lossy(&output.stderr));
    Ran {
        code: output.status.code(),
        out,
        took: start.elapsed(),
    }
}

fn args<'a>(a: &'a [&'a dyn AsRef<std::ffi::OsStr>]) -> Vec<&'a std::ffi::OsStr> {
    a.iter().map(|s| s.as_ref()).collect()
}

/// No raw control byte (C0 but a line feed, DEL) in what was printed.
fn assert_clean(r: &Ran) {
    let raw = r.out.bytes().find(|&b| (b < 0x20 && b != b'\n') || b == 0x7f);
    assert!(raw.is_none(), "raw control byte {raw:?} in: {}", r.out);
}

/// Exit 2 within `secs`, the output naming `file` and `field`, clean.
fn assert_refused(r: &Ran, secs: u64, file: &str, field: &str) {
    assert_eq!(r.code, Some(2), "{}", r.out);
    assert!(r.took < Duration::from_secs(secs), "took {:?}: {}", r.took, r.out);
    assert!(r.out.contains(file) && r.out.contains(field), "{}", r.out);
    assert_clean(r);
}

fn record_json() -> Value {
    serde_json::from_slice(&json::record(&Report::build(fixture::record())).unwrap()).unwrap()
}

fn result_json() -> Value {
    serde_json::from_slice(&json::result(&Report::build(fixture::record())).unwrap()).unwrap()
}

/// `phoenix report` on a run folder holding `record`.
fn report(record: &Value) -> Ran {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("record.json"), record.to_string()).unwrap();
    bounded(&args(&[&"report", &tmp.path()]))
}

/// A V2 (uncompressed) HdrHistogram header claiming `payload` bytes, range 1..`high`.
fn hdr_header(payload: u32, digits: u32, high: u64) -> String {
    use base64::Engine as _;
    let mut b = Vec::new();
    b.extend(0x1c84_9313u32.to_be_bytes());
    b.extend(payload.to_be_bytes());
    b.extend(0u32.to_be_bytes());
    b.extend(digits.to_be_bytes());
    b.extend(1u64.to_be_bytes());
    b.extend(high.to_be_bytes());
    b.extend(1.0f64.to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A window of successful requests whose histogram is `latency` (base64).
fn window(index: i64, latency: &str) -> Value {
    serde_json::json!({
        "index": index, "count": 1, "first_intended_us": index * 100_000,
        "last_intended_us": index * 100_000, "first_done_us": index * 100_000 + 500,
        "latency": latency
    })
}

#[test]
fn a_fifo_record_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("record.json");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let r = bounded(&args(&[&"report", &tmp.path()]));
    assert_refused(&r, 5, "record.json", "FIFO");
}

#[test]
fn an_oversize_record_is_refused_by_its_size() {
    let tmp = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(tmp.path().join("record.json")).unwrap();
    f.set_len((128 << 20) + 1).unwrap();
    let r = bounded(&args(&[&"report", &tmp.path()]));
    assert_refused(&r, 5, "record.json", "over the limit of 134217728 bytes");
}

#[test]
fn a_fault_issued_at_i64_max_is_refused() {
    let mut rec = record_json();
    rec["trials"][0]["faults"][0]["issued_us"] = i64::MAX.into();
    assert_refused(&report(&rec), 5, "record.json", "trials[0].faults[0]");
}

#[test]
fn a_one_microsecond_load_window_is_refused() {
    let mut rec = record_json();
    rec["scenario"]["load"]["window"] = serde_json::json!({"secs": 0, "nanos": 1000});
    assert_refused(&report(&rec), 5, "record.json", "scenario.load.window");
}

#[test]
fn a_histogram_header_claiming_4_gib_is_refused() {
    let mut rec = record_json();
    rec["trials"][0]["requests"]["window_us"] = 100_000.into();
    rec["trials"][0]["requests"]["windows"] = Value::Array(vec![window(1, &hdr_header(u32::MAX, 3, 1 << 20))]);
    assert_refused(&report(&rec), 5, "record.json", "payload bytes");
}

#[test]
fn many_histograms_of_a_huge_range_are_refused() {
    let mut rec = record_json();
    rec["trials"][0]["requests"]["window_us"] = 100_000.into();
    let wide = hdr_header(0, 5, u64::MAX / 4);
    rec["trials"][0]["requests"]["windows"] = (0..2000).map(|i| window(i, &wide)).collect();
    assert_refused(&report(&rec), 10, "record.json", "out of bounds");
}

#[test]
fn columns_of_different_lengths_are_refused_not_a_panic() {
    let mut rec = record_json();
    rec["trials"][0]["requests"]["done_us"] = Value::Array(vec![]);
    rec["trials"][0]["requests"]["intended_us"] = serde_json::json!([1, 2]);
    assert_refused(&report(&rec), 5, "record.json", "trials[0].requests");
}

#[test]
fn compare_with_70_000_faults_a_side_finishes_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut res = result_json();
    let one = res["faults"][0].clone();
    res["faults"] = (0..70_000)
        .map(|i| {
            let mut f = one.clone();
            f["time_to_healthy_ms"] = (1000.0 + (i % 977) as f64).into();
            f
        })
        .collect();
    for side in ["a", "b"] {
        std::fs::create_dir(tmp.path().join(side)).unwrap();
        std::fs::write(tmp.path().join(side).join("result.json"), res.to_string()).unwrap();
    }
    let r = bounded(&args(&[&"compare", &tmp.path().join("a"), &tmp.path().join("b")]));
    assert_eq!(r.code, Some(0), "{}", r.out);
    // a debug build; before the bound this took minutes
    assert!(r.took < Duration::from_secs(30), "took {:?}", r.took);
    assert_clean(&r);
}

/// A reports folder holding one run folder named `name`, its result.json from the fixture
/// with `scenario` as its scenario name.
fn reports_with(name: &str, scenario: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join(name);
    std::fs::create_dir(&run).unwrap();
    let mut res = result_json();
    res["scenario"] = scenario.into();
    res["certification"]["level"] = "gold\u{7}\u{1b}[2J".into();
    std::fs::write(run.join("result.json"), res.to_string()).unwrap();
    tmp
}

#[test]
fn list_and_compare_escape_folder_names_and_result_values() {
    let tmp = reports_with("run-\u{1b}]0;pwned\u{7}", "evil\u{1b}[31m");
    let r = bounded(&args(&[&"list", &"--reports", &tmp.path()]));
    assert_eq!(r.code, Some(0), "{}", r.out);
    assert!(r.out.contains("\\x1b]0;pwned\\x07"), "{}", r.out);
    assert_clean(&r);
    let run = std::fs::read_dir(tmp.path()).unwrap().next().unwrap().unwrap().path();
    let r = bounded(&args(&[&"compare", &run, &run]));
    assert!(r.out.contains("evil\\x1b[31m"), "{}", r.out);
    assert_clean(&r);
    // an error naming a folder escapes it too
    let empty = tmp.path().join("empty\u{1b}[2J");
    std::fs::create_dir(&empty).unwrap();
    let r = bounded(&args(&[&"compare", &empty, &run]));
    assert_eq!(r.code, Some(2), "{}", r.out);
    assert_clean(&r);
}

#[test]
fn list_on_an_unreadable_folder_fails_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nowhere\u{7}");
    let r = bounded(&args(&[&"list", &"--reports", &missing]));
    assert_eq!(r.code, Some(2), "{}", r.out);
    assert!(r.out.contains("nowhere\\x07"), "{}", r.out);
    assert_clean(&r);
}
