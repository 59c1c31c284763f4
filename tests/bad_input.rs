//! Bad scenario files exit 2 with a message naming the file, the field and the fix, and
//! never touch Docker.

mod common;

use common::*;
use std::time::{Duration, Instant};

fn check(name: &str, text: &str, expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(name);
    std::fs::write(&path, text).unwrap();
    let start = Instant::now();
    let o = phoenix()
        .arg("run")
        .arg(&path)
        .arg("--reports")
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{name}: {err}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{name}: took {:?}",
        start.elapsed()
    );
    assert!(
        err.contains(&path.display().to_string()),
        "{name}: message does not name the file: {err}"
    );
    for e in expect {
        assert!(err.contains(e), "{name}: message lacks {e:?}: {err}");
    }
    assert!(
        !tmp.path().join("reports").exists(),
        "{name}: a report folder was created for bad input"
    );
}

const GOOD: &str = r#"name = "t"
[app]
image = "phoenix-demo:latest"
port = 8080
[load]
rate = 10
duration = "5s"
"#;

#[test]
fn unknown_key_names_the_field_and_suggests_the_right_one() {
    let text = GOOD.replace("rate = 10", "rat = 10");
    check(
        "unknown.toml",
        &text,
        &["unknown field `rat`", "did you mean `rate`?", ":6:1"],
    );
}

#[test]
fn negative_rate_names_the_field() {
    let text = GOOD.replace("rate = 10", "rate = -5");
    check(
        "negative.toml",
        &text,
        &["field `load.rate`", "-5 is not a positive rate", ":6:"],
    );
}
