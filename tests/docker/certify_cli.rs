//! `phoenix certify IMAGE` and `phoenix init IMAGE`: the built-in default scenario. `init`
//! writes a file `validate` accepts and never overwrites one; bad arguments exit 2 naming
//! the argument; `certify` runs on the real demo image and a file written by `init` with
//! the same arguments runs the same scenario to the same level.

use crate::common;

use common::*;

const DEMO: [&str; 6] = [
    "phoenix-demo:latest",
    "--port",
    "8080",
    "--health",
    "/health",
    "--duration",
];

fn demo_args() -> Vec<&'static str> {
    let mut a = DEMO.to_vec();
    a.push("18s");
    a
}

#[test]
fn init_writes_a_file_that_validates_and_never_overwrites_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("phoenix.toml");
    let o = phoenix()
        .arg("init")
        .args(&DEMO[..5])
        .args([
            "--duration",
            "40s",
            "--replicas",
            "3",
            "--env",
            "STARTUP_DELAY_MS=200",
            "--request",
            "GET /work?ms=1",
        ])
        .arg("--file")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    for needle in [
        "replicas = 3",
        "STARTUP_DELAY_MS = \"200\"",
        "{ method = \"GET\", path = \"/work?ms=1\" }",
        "target = \"all\"",
        "then = \"restart\"",
        "read_only_trial = true",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let v = phoenix().arg("validate").arg(&file).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", String::from_utf8_lossy(&v.stderr));
    // 3 replicas: 3 restarts, 3 replacements and the rolling replace
    assert!(String::from_utf8_lossy(&v.stdout).contains("3 replica(s), 7 fault(s)"));
    let again = phoenix()
        .arg("init")
        .args(demo_args())
        .arg("--file")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "the file was changed");
}

#[test]
fn bad_arguments_exit_2_naming_the_argument_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("x.toml");
    for (args, names) in [
        (vec!["Bad Image", "--port", "80"], "IMAGE"),
        (vec!["x", "--port", "80", "--env", "A-B=1"], "--env"),
        (vec!["x", "--port", "80", "--env", "A=1\u{1b}[2J"], "--env"),
        (
            vec!["x", "--port", "80", "--request", "GET /a\r\nX-Injected: 1"],
            "--request",
        ),
        (vec!["x", "--port", "80", "--request", "FETCH /"], "--request"),
        (vec!["x", "--port", "80", "--request", "GET nopath"], "--request"),
        (vec!["x", "--port", "80", "--health", "/a b"], "--health"),
        (vec!["x", "--port", "80", "--replicas", "0"], "--replicas"),
        (vec!["x", "--port", "80", "--duration", "10s"], "--duration"),
    ] {
        for cmd in ["init", "certify"] {
            let mut c = phoenix();
            c.arg(cmd).args(&args);
            if cmd == "init" {
                c.arg("--file").arg(&file);
            } else {
                c.arg("--out").arg(tmp.path().join("run"));
            }
            let o = c.output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{cmd} {args:?}: {err}");
            assert!(
                err.contains(names) && err.contains("hint") || names == "--duration",
                "{cmd} {args:?}: {err}"
            );
            assert!(!err.contains('\u{1b}'), "an escape character was echoed: {err:?}");
            assert!(
                !file.exists() && !tmp.path().join("run").exists(),
                "{cmd} {args:?} wrote something"
            );
        }
    }
}

#[test]
fn certify_runs_the_demo_and_init_then_run_gives_the_same_level() {
    require_docker();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("certify");
    let o = phoenix()
        .arg("certify")
        .args(demo_args())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    eprintln!("--- certify stderr ---\n{}", String::from_utf8_lossy(&o.stderr));
    let result = read_json(&out.join("result.json"));
    assert_nothing_left(&result);
    let level = result["certification"]["level"].as_str().unwrap().to_string();
    // every fault measured (none after the load's end) and the demo back well within 5 s
    assert!(
        ["phoenix", "resilient"].contains(&level.as_str()),
        "{}",
        result["certification"]
    );
    let code = o.status.code();
    assert_eq!(
        code,
        Some(if result["certification"]["passed"] == true {
            0
        } else {
            3
        })
    );
    assert_eq!(
        result["faults"].as_array().unwrap().len(),
        6,
        "2 restarts, 2 replacements, a rolling replace of 2"
    );
    let ro = &result["audit"]["read_only_trial"];
    assert_eq!(ro["measured"], true, "{ro}");
    assert_eq!(ro["passed"], true, "GET / writes nothing: {ro}");

    let file = tmp.path().join("phoenix.toml");
    let i = phoenix()
        .arg("init")
        .args(demo_args())
        .arg("--file")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(i.status.code(), Some(0));
    // the same scenario, byte for byte: certify saved what it ran
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        std::fs::read_to_string(out.join("scenario.toml")).unwrap()
    );
    let rerun = tmp.path().join("run");
    let r = run(file.to_str().unwrap(), &rerun, &[]);
    let again = read_json(&rerun.join("result.json"));
    assert_nothing_left(&again);
    assert_eq!(
        again["certification"]["level"].as_str().unwrap(),
        level,
        "{}",
        again["certification"]
    );
    assert_eq!(r.status.code(), code);
}
