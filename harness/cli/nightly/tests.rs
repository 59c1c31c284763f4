//! The nightly job's pure parts, and the workflow file that runs it in CI.

use super::*;

fn summary(level: &str, passed: bool) -> Summary {
    Summary {
        level: level.into(),
        required: "resilient".into(),
        passed,
        complete: true,
        score: 72.5,
        tth_p99_ms: Some(1234.0),
        lost: 17,
        inconclusive: None,
    }
}

fn row(name: &str, exit: Option<i32>, result: Option<Summary>, expect_not_certified: bool) -> Row {
    Row {
        scenario: name.into(),
        exit,
        result,
        expect_not_certified,
        earlier_tries: Vec::new(),
    }
}

#[test]
fn wildcards_match_names() {
    assert!(wildcard("antipattern-*", "antipattern-file-sessions"));
    assert!(wildcard("*.toml", "kill-restart.toml"));
    assert!(wildcard("kill-?estart", "kill-restart"));
    assert!(!wildcard("antipattern-*", "phoenix-stateless"));
    assert!(!wildcard("*.toml", "kill-restart.toml.bak"));
}

#[test]
fn globs_resolve_to_sorted_scenario_files() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["b.toml", "a.toml", "notes.md"] {
        std::fs::write(tmp.path().join(f), "").unwrap();
    }
    let glob = format!("{}/*.toml", tmp.path().display());
    let plain = tmp.path().join("a.toml").display().to_string();
    let files = resolve(&[glob.clone(), plain]).unwrap();
    assert_eq!(files, vec![tmp.path().join("a.toml"), tmp.path().join("b.toml")]);
    let none = format!("{}/*.yaml", tmp.path().display());
    assert!(resolve(&[none])
        .unwrap_err()
        .to_string()
        .contains("no scenario file matches"));
}

#[test]
fn bundled_scenarios_resolve_from_the_repository_root() {
    let root = env!("CARGO_MANIFEST_DIR");
    let files = resolve(&[format!("{root}/{DEFAULT_SCENARIOS}")]).unwrap();
    assert!(files.iter().any(|f| f.ends_with(SHORT_SCENARIO)), "{files:?}");
    for f in &files {
        Scenario::load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

#[test]
fn verdicts_follow_the_expectation() {
    assert_eq!(
        row("k", Some(0), Some(summary("resilient", true)), false).verdict(),
        Verdict::Ok
    );
    assert_eq!(
        row("k", Some(3), Some(summary("fragile", false)), false).verdict(),
        Verdict::FellShort
    );
    assert_eq!(
        row("a", Some(3), Some(summary("not-certified", false)), true).verdict(),
        Verdict::Ok
    );
    assert_eq!(
        row("a", Some(0), Some(summary("resilient", true)), true).verdict(),
        Verdict::DetectorMissed
    );
    // an anti-pattern run that measured nothing caught nothing either
    assert_eq!(
        row("a", Some(3), Some(summary("untested", false)), true).verdict(),
        Verdict::DetectorMissed
    );
    assert_eq!(
        row("k", Some(3), Some(summary("untested", false)), false).verdict(),
        Verdict::FellShort
    );
    assert_eq!(row("k", Some(1), None, false).verdict(), Verdict::RunFailed);
    assert_eq!(
        row("k", Some(1), Some(summary("not-certified", false)), true).verdict(),
        Verdict::RunFailed
    );
    assert_eq!(row("k", None, None, false).verdict(), Verdict::RunFailed);
}

#[test]
fn exit_status_is_three_on_shortfall_or_regression_then_one_on_failure() {
    let ok = row("k", Some(0), Some(summary("resilient", true)), false);
    let short = row("s", Some(3), Some(summary("fragile", false)), false);
    let failed = row("f", Some(1), None, false);
    assert_eq!(exit_status(std::slice::from_ref(&ok), false), Exit::Ok);
    assert_eq!(exit_status(std::slice::from_ref(&ok), true), Exit::FellShort);
    assert_eq!(exit_status(&[ok.clone(), short.clone()], false), Exit::FellShort);
    assert_eq!(exit_status(&[ok.clone(), failed.clone()], false), Exit::Problems);
    assert_eq!(exit_status(&[failed, short], false), Exit::FellShort);
}

#[test]
fn summary_table_has_the_columns_ci_users_read() {
    let rows = [
        row("kill-restart", Some(0), Some(summary("resilient", true)), false),
        row("antipattern-x", Some(3), Some(summary("not-certified", false)), true),
        row("broken", Some(1), None, false),
    ];
    let t = table(&rows);
    assert!(t.starts_with("| scenario | level | required | passed | score | TTH p99 | lost |"));
    assert!(
        t.contains("| kill-restart | resilient | resilient | yes | 72.5 | 1234 ms | 17 | ok |"),
        "{t}"
    );
    assert!(t.contains("not certified, as expected"));
    assert!(t.contains("**RUN FAILED** (exit 1)"));
}

#[test]
fn reads_the_figures_of_a_result_json() {
    let tmp = tempfile::tempdir().unwrap();
    let report = crate::report::Report::build(crate::report::fixture::record());
    let mut json = serde_json::to_value(crate::report::result::ResultJson::from_report(&report)).unwrap();
    json["certification"]["level"] = "phoenix".into();
    json["time_to_healthy_ms"]["p99"] = 1100.0.into();
    let faults = json["faults"].as_array_mut().unwrap();
    for (i, f) in faults.iter_mut().enumerate() {
        f["lost_requests"] = (i as u64 + 4).into();
    }
    let lost: u64 = (0..faults.len() as u64).map(|i| i + 4).sum();
    std::fs::write(tmp.path().join("result.json"), json.to_string()).unwrap();
    let s = read_summary(tmp.path()).unwrap();
    assert_eq!(
        (s.level.as_str(), s.tth_p99_ms, s.lost),
        ("phoenix", Some(1100.0), lost)
    );
    assert_eq!(read_summary(&tmp.path().join("nope")), None);
    // what is not a result is no summary either
    std::fs::write(tmp.path().join("result.json"), "{}").unwrap();
    assert_eq!(read_summary(tmp.path()), None);
}

/// The one document of a YAML text; a missing key indexes to `BadValue`, not a panic.
fn yaml(text: &str) -> yaml_rust2::Yaml {
    let mut docs = yaml_rust2::YamlLoader::load_from_str(text).expect("valid YAML");
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

/// The CI workflow: valid YAML, scheduled and manual, and running the steps the README
/// promises (tests, benches, the nightly command against the previous night, artifacts).
#[test]
fn nightly_workflow_is_valid_and_runs_the_nightly_command() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/nightly.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = yaml(&text);
    let on = &doc["on"];
    assert!(on["schedule"][0]["cron"].as_str().is_some(), "a cron schedule");
    assert!(!on["workflow_dispatch"].is_badvalue(), "manual dispatch");
    let jobs = doc["jobs"].as_hash().unwrap();
    assert!(!jobs.is_empty());
    let mut runs = String::new();
    let mut uses = Vec::new();
    for (_, job) in jobs {
        assert!(job["runs-on"].as_str().is_some());
        for step in job["steps"].as_vec().unwrap() {
            if let Some(r) = step["run"].as_str() {
                runs.push_str(r);
                runs.push('\n');
            }
            if let Some(u) = step["uses"].as_str() {
                uses.push(u.to_string());
            }
        }
    }
    for needle in [
        "apt-get install",
        "debootstrap",
        "cargo test --workspace --locked",
        "cargo bench",
        "nightly",
        "--baseline",
        "GITHUB_STEP_SUMMARY",
        "summary.md",
    ] {
        assert!(runs.contains(needle), "no step runs `{needle}`");
    }
    for action in [
        "actions/checkout",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/upload-artifact",
    ] {
        assert!(uses.iter().any(|u| u.starts_with(action)), "no step uses {action}");
    }
    assert!(text.contains("target/criterion") && text.contains("reports/"));
}

/// docs/ci.md's copy-paste workflow is valid YAML and runs the nightly command.
#[test]
fn ci_doc_workflow_snippet_is_valid_yaml() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    let start = readme
        .find("### Copy-paste workflow")
        .expect("docs/ci.md has the workflow");
    let block = &readme[start..];
    let open = block.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let len = block[open..].find("```").unwrap();
    let doc = yaml(&block[open..open + len]);
    assert!(!doc["on"]["workflow_dispatch"].is_badvalue());
    let steps = doc["jobs"]["nightly"]["steps"].as_vec().unwrap();
    assert!(steps
        .iter()
        .any(|s| s["run"].as_str().is_some_and(|r| r.contains("nightly --baseline"))));
}

#[test]
fn a_scenario_inconclusive_on_every_try_is_reported_with_each_try_and_exits_five() {
    let ok = row("kill-restart", Some(0), Some(summary("resilient", true)), false);
    let mut busy = row("phoenix-stateless", Some(5), Some(summary("fragile", false)), false);
    busy.earlier_tries = vec![
        "try 1: inconclusive: host contended".into(),
        "try 2: inconclusive: host contended".into(),
    ];
    assert_eq!(busy.verdict(), Verdict::Inconclusive);
    assert_eq!(exit_status(&[ok.clone(), busy.clone()], false), Exit::Inconclusive);
    // a real shortfall or a failed run says more than an inconclusive one
    let short = row("lb-kill", Some(3), Some(summary("fragile", false)), false);
    assert_eq!(exit_status(&[busy.clone(), short], false), Exit::FellShort);
    assert_eq!(
        exit_status(&[busy.clone(), row("x", Some(1), None, false)], false),
        Exit::Problems
    );
    assert_eq!(exit_status(std::slice::from_ref(&busy), true), Exit::FellShort);
    let t = table(&[ok, busy]);
    assert!(t.contains("**INCONCLUSIVE** (host contended, 3 tries)"), "{t}");
    assert!(
        t.contains("phoenix-stateless was retried:\n- try 1: inconclusive"),
        "{t}"
    );
    const { assert!(INCONCLUSIVE_RETRIES >= 1 && INCONCLUSIVE_RETRIES <= 3) };
}
