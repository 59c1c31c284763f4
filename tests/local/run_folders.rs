//! Hostile run folders: what `phoenix report`, `compare` and `list` read may come from a CI
//! artefact or an attacker. Each crafted folder must be refused with exit 2 naming the file
//! and the field, or handled within bounds: every case runs under a 4 GB address-space
//! limit (`prlimit --as`) and a time bound, and nothing it prints holds a raw control byte.

use phoenix_bench::report::{fixture, json, Report};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a bounded run of phoenix gave: status, stdout + stderr, and the CPU time it took
/// (user + system): the bounds are on phoenix's work, which a busy host does not change,
/// not on the wall time the host's other load adds (a debug build comparing 65 000
/// faults a side took 2.2 s of CPU and 5-12 s of wall beside Docker builds).
struct Ran {
    code: Option<i32>,
    out: String,
    took: Duration,
}

/// Runs phoenix under a 4 GB address-space limit, killed after 60 s of wall time (a
/// blocked read uses no CPU and would otherwise hang the suite). Its output goes to
/// files, not pipes: a pipe nobody reads until the end would block a long table.
// the child is reaped by wait4, which clippy cannot see
#[allow(clippy::zombie_processes)]
fn bounded(args: &[&std::ffi::OsStr]) -> Ran {
    let (stdout, stderr) = (tempfile::tempfile().unwrap(), tempfile::tempfile().unwrap());
    let start = Instant::now();
    // prlimit sets the limit and execs phoenix: the same process, whose usage wait4 reports
    let mut child = Command::new("prlimit")
        .arg("--as=4000000000")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_phoenix"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap())
        .spawn()
        .expect("prlimit runs phoenix");
    let pid = child.id() as libc::pid_t;
    let (status, usage) = loop {
        let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
        let flags = if start.elapsed() < Duration::from_secs(60) {
            libc::WNOHANG
        } else {
            0
        };
        if flags == 0 {
            let _ = child.kill();
        }
        // SAFETY: our own child, reaped once here (never by `child.wait`)
        if unsafe { libc::wait4(pid, &mut status, flags, &mut usage) } == pid {
            break (status, usage);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let cpu = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let took = cpu(usage.ru_utime) + cpu(usage.ru_stime);
    let mut out = String::new();
    for mut f in [stdout, stderr] {
        use std::io::{Read, Seek};
        f.rewind().unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
    Ran {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        out,
        took,
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
fn histograms_of_a_huge_range_are_refused() {
    let mut rec = record_json();
    rec["trials"][0]["requests"]["window_us"] = 100_000.into();
    let wide = hdr_header(0, 5, u64::MAX / 4);
    // as many windows as the fixture's load holds (8 s of 100 ms windows)
    rec["trials"][0]["requests"]["windows"] = (0..80).map(|i| window(i, &wide)).collect();
    assert_refused(&report(&rec), 5, "record.json", "out of bounds");
}

// --- counts bounded by the record's own plan -----------------------------------------------

/// The fixture's load (100 req/s for 8 s) with 10 ms windows: at most 802 of them.
fn with_10_ms_windows(windows: i64) -> Value {
    let mut rec = record_json();
    rec["scenario"]["load"]["window"] = serde_json::json!({"secs": 0, "nanos": 10_000_000});
    let latency = serde_json::to_value(phoenix_bench::record::EncodedHistogram::encode(&{
        let mut h = phoenix_bench::record::new_histogram();
        phoenix_bench::record::record_latency(&mut h, 500);
        h
    }))
    .unwrap();
    let one = |i: i64| {
        serde_json::json!({"index": i, "count": 1, "first_intended_us": i * 10_000,
            "last_intended_us": i * 10_000, "first_done_us": i * 10_000 + 500, "latency": latency})
    };
    rec["trials"][0]["requests"]["window_us"] = 10_000.into();
    rec["trials"][0]["requests"]["windows"] = (0..windows).map(one).collect();
    rec
}

#[test]
fn more_windows_than_the_plan_holds_are_refused_before_any_is_decoded() {
    // before: 100 000 windows were each inflated, then analysed (12 s of CPU)
    let r = report(&with_10_ms_windows(100_000));
    assert_refused(&r, 5, "record.json", "trials[0].requests.windows`: 100000 entries");
    assert!(r.out.contains("over the limit of 802"), "{}", r.out);
    // as many as the load holds are a run's (every request then in a window)
    let mut rec = with_10_ms_windows(800);
    for column in ["intended_us", "done_us", "outcome", "replica"] {
        rec["trials"][0]["requests"][column] = Value::Array(vec![]);
    }
    let r = report(&rec);
    assert_eq!(r.code, Some(0), "{}", r.out);
}

#[test]
fn lists_longer_than_the_plan_allows_are_refused() {
    let base = record_json();
    let t = &base["trials"][0];
    let copies = |v: &Value, n: usize| Value::Array(vec![v.clone(); n]);
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut rec = base.clone();
    rec["trials"][0]["lifecycle"] = copies(&t["lifecycle"][0], 200_000);
    cases.push(("trials[0].lifecycle`: 200000 entries", rec));
    // 10 ms fast probing: some 21 000 transitions at most in the fixture's trial
    let mut rec = base.clone();
    rec["scenario"]["app"]["health"]["interval"] = serde_json::json!({"secs": 0, "nanos": 10_000_000});
    rec["trials"][0]["probes"][0]["transitions"] = copies(&t["probes"][0]["transitions"][0], 30_000);
    cases.push(("trials[0].probes[0].transitions`: 30000 entries", rec));
    let mut rec = base.clone();
    let n = 1000;
    let req = &mut rec["trials"][0]["requests"];
    req["intended_us"] = (0..n).map(|i| i * 1000).collect();
    req["done_us"] = (0..n).map(|i| i * 1000 + 500).collect();
    req["outcome"] = copies(&"refused".into(), n as usize);
    req["replica"] = copies(&0.into(), n as usize);
    cases.push((
        "trials[0].requests.intended_us`: 1000 entries, over the limit of 801",
        rec,
    ));
    let mut rec = base.clone();
    rec["trials"][0]["faults"] = copies(&t["faults"][0], 3);
    cases.push(("trials[0].faults`: 3 entries, over the limit of 2", rec));
    let mut rec = base.clone();
    rec["trials"] = copies(t, 3);
    cases.push(("field `trials`: 3 entries, over the limit of 2", rec));
    let mut rec = base.clone();
    rec["scenario"]["text"] = "x".repeat((1 << 20) + 1).into();
    cases.push(("scenario.text`: 1048577 bytes", rec));
    for (field, rec) in cases {
        assert_refused(&report(&rec), 5, "record.json", field);
    }
}

#[test]
fn a_record_outside_the_scenario_ranges_or_of_another_version_is_refused() {
    let ms = |n: u64| serde_json::json!({"secs": n / 1000, "nanos": (n % 1000) * 1_000_000});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/scenario/load/rate",
            1e9.into(),
            "scenario.load.rate`: 1e9 is above the limit of 20000",
        ),
        (
            "/scenario/load/rate",
            0.into(),
            "scenario.load.rate`: 0 is not a positive rate",
        ),
        (
            "/scenario/app/health/interval",
            ms(0),
            "scenario.app.health.interval`: 0 µs is out of range",
        ),
        (
            "/scenario/app/health/slow_interval",
            ms(61_000),
            "scenario.app.health.slow_interval",
        ),
        ("/scenario/load/duration", ms(3_600_001), "scenario.load.duration"),
        (
            "/scenario/trials",
            0.into(),
            "scenario.trials`: 0 is out of range (1 to 100",
        ),
        (
            "/plan/trials",
            101.into(),
            "plan.trials`: 101 is out of range (1 to 100",
        ),
        (
            "/record_version",
            99.into(),
            "record_version`: 99 is not a version this build reads (1 to 2)",
        ),
    ];
    for (at, value, says) in cases {
        let mut rec = record_json();
        *rec.pointer_mut(at).unwrap() = value;
        assert_refused(&report(&rec), 5, "record.json", says);
    }
    // another version's layout: the version is named, not the first field that differs
    let mut rec = record_json();
    rec["record_version"] = 3.into();
    rec["trials"] = "elsewhere".into();
    let r = report(&rec);
    assert_refused(&r, 5, "record.json", "record_version`: 3 is not a version");
    assert!(
        r.out.contains("hint: re-render it with the phoenix that wrote it"),
        "{}",
        r.out
    );
}

// --- result.json values ----------------------------------------------------------------------

#[test]
fn a_result_with_an_unknown_level_a_wrong_score_a_negative_time_or_version_is_refused() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/certification/level",
            "gold\u{7}".into(),
            "certification.level`: \"gold\\x07\" is not a level",
        ),
        ("/certification/required", "platinum".into(), "certification.required"),
        (
            "/certification/score",
            100.5.into(),
            "certification.score`: 100.5 is not a score from 0 to 100",
        ),
        ("/certification/score", (-1).into(), "certification.score"),
        (
            "/faults/0/time_to_healthy_ms",
            (-5.0).into(),
            "faults[0].time_to_healthy_ms`: -5 is not a time",
        ),
        ("/faults/1/at_ms", (-1.0).into(), "faults[1].at_ms"),
        (
            "/time_to_healthy_ms/by_trial/0",
            (-1.0).into(),
            "time_to_healthy_ms.by_trial[0]",
        ),
        ("/load/duration_ms", (-1.0).into(), "load.duration_ms"),
        (
            "/schema_version",
            99.into(),
            "schema_version`: 99 is not a version this build reads (1)",
        ),
    ];
    for (at, value, says) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let mut res = result_json();
        *res.pointer_mut(at).unwrap() = value;
        std::fs::write(tmp.path().join("result.json"), res.to_string()).unwrap();
        let r = bounded(&args(&[&"compare", &tmp.path(), &tmp.path()]));
        assert_refused(&r, 5, "result.json", says);
        assert!(r.out.contains("\n  hint: "), "{}", r.out);
    }
}

#[test]
fn columns_of_different_lengths_are_refused_not_a_panic() {
    let mut rec = record_json();
    rec["trials"][0]["requests"]["done_us"] = Value::Array(vec![]);
    rec["trials"][0]["requests"]["intended_us"] = serde_json::json!([1, 2]);
    assert_refused(&report(&rec), 5, "record.json", "trials[0].requests");
}

/// A side of one run folder whose result lists `faults` faults, TTH 1000 to 1976 ms.
fn side_with(dir: &std::path::Path, faults: usize) {
    let mut res = result_json();
    let one = res["faults"][0].clone();
    res["faults"] = (0..faults)
        .map(|i| {
            let mut f = one.clone();
            f["time_to_healthy_ms"] = (1000.0 + (i % 977) as f64).into();
            f
        })
        .collect();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("result.json"), res.to_string()).unwrap();
}

#[test]
fn compare_of_large_sides_finishes_within_5_s() {
    // before (debug build): 2 000 faults a side 5.7 s, 65 000 faults 12 s, 70 000 minutes
    // before the bootstrap was thinned; the resamples now share a bounded number of draws.
    // The large side holds as many faults as fit 90 % of the result.json bound (65 000 when
    // a fault was 460 bytes), so a field added to faults[] does not push it over.
    let one = result_json()["faults"][0].to_string().len() as u64 + 1;
    let most = (phoenix_bench::report::result::MAX_RESULT_BYTES * 9 / 10 / one) as usize;
    assert!(most > 50_000, "a fault of {one} bytes leaves room for {most} only");
    for faults in [2_000, most] {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        side_with(&a, faults);
        side_with(&b, faults);
        let r = bounded(&args(&[&"compare", &a, &b]));
        assert_eq!(r.code, Some(0), "{}", r.out);
        eprintln!("compare of {faults} faults a side: {:?}", r.took);
        assert!(r.took < Duration::from_secs(5), "{faults} faults: took {:?}", r.took);
        assert!(r.out.contains("‡ fewer than 4000 bootstrap resamples"), "{}", r.out);
        assert_clean(&r);
    }
}

#[test]
fn compare_of_1000_run_folders_a_side_finishes_within_5_s() {
    // before (debug build): 14 s, each of the 1000 scenarios bootstrapped 4000 times
    let tmp = tempfile::tempdir().unwrap();
    let mut res = result_json();
    for k in 0..1000 {
        res["scenario"] = format!("s{k}").into();
        for side in ["a", "b"] {
            let run = tmp.path().join(side).join(format!("run{k}"));
            std::fs::create_dir_all(&run).unwrap();
            std::fs::write(run.join("result.json"), res.to_string()).unwrap();
        }
    }
    let r = bounded(&args(&[&"compare", &tmp.path().join("a"), &tmp.path().join("b")]));
    assert_eq!(
        r.code,
        Some(0),
        "took {:?}: {}",
        r.took,
        r.out.lines().last().unwrap_or("")
    );
    assert!(r.took < Duration::from_secs(5), "took {:?}", r.took);
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
