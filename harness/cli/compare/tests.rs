//! The comparison on synthetic distributions: every verdict is known in advance.

use super::*;

/// `n` values around `center` ms with uniform noise of ± `spread` (a fraction), seeded.
fn sample(n: usize, center: f64, spread: f64, seed: u64) -> Vec<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| center * (1.0 + spread * (2.0 * rng.random::<f64>() - 1.0)))
        .collect()
}

fn side(tth: Vec<f64>, level: Level, passed: bool) -> Side {
    Side {
        scenario: "kill-restart".into(),
        runs: 1,
        tth_ms: tth,
        never_healthy: 0,
        lost: 10,
        sent: 4000,
        level,
        score: 80.0,
        required: "resilient".into(),
        passed,
    }
}

fn resilient(tth: Vec<f64>) -> Side {
    side(tth, Level::Resilient, true)
}

#[test]
fn u_statistic_of_a_tiny_known_example() {
    // candidate ranks 2, 4, 6 of 6: U = 12 − 6 = 6 of 9 pairs
    let m = mann_whitney(&[1.0, 3.0, 5.0], &[2.0, 4.0, 6.0]).unwrap();
    assert_eq!(m.u, 6.0);
    // fully separated: U = n1·n2 one way, 0 the other
    assert_eq!(mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap().u, 9.0);
    assert_eq!(mann_whitney(&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0]).unwrap().u, 0.0);
    // ties count one half: (2 vs 2) is a tie, (3 vs 2) a win
    assert_eq!(mann_whitney(&[2.0], &[2.0, 3.0]).unwrap().u, 1.5);
}

#[test]
fn p_value_matches_the_normal_approximation() {
    // 1..10 against 11..20: U = 100, z = (50 − 0.5) / sqrt(175), p = 1.8267e-4
    let b: Vec<f64> = (1..=10).map(f64::from).collect();
    let c: Vec<f64> = (11..=20).map(f64::from).collect();
    let m = mann_whitney(&b, &c).unwrap();
    assert_eq!(m.u, 100.0);
    assert!((m.p - 1.826_718e-4).abs() < 1e-8, "p = {}", m.p);
    // symmetric
    assert!((mann_whitney(&c, &b).unwrap().p - m.p).abs() < 1e-12);
}

#[test]
fn ties_get_mean_ranks_and_correct_the_variance() {
    // 1 | 2 2 2 | 3 3: ranks 1 | 3 3 3 | 5.5 5.5; candidate 2, 3, 3 → R = 14, U = 8;
    // σ² = 3·3/12 · (7 − (24 + 6)/30) = 4.5; z = (3.5 − 0.5)/√4.5 = √2; p = erfc(1)
    let m = mann_whitney(&[1.0, 2.0, 2.0], &[2.0, 3.0, 3.0]).unwrap();
    assert_eq!(m.u, 8.0);
    assert!((m.z - std::f64::consts::SQRT_2).abs() < 1e-12, "z = {}", m.z);
    assert!((m.p - 0.157_299_207).abs() < 1e-6, "p = {}", m.p);
    let all_equal = mann_whitney(&[5.0; 4], &[5.0; 6]).unwrap();
    assert_eq!((all_equal.z, all_equal.p), (0.0, 1.0));
}

#[test]
fn identical_distributions_do_not_regress() {
    let v = sample(20, 1200.0, 0.1, 1);
    let c = compare_sides(&resilient(v.clone()), &resilient(v), Thresholds::default());
    assert!(c.regressions.is_empty(), "{:?}", c.regressions);
    assert!(c.test.unwrap().p > 0.99);
    assert_eq!(c.slowdown, Some(0.0));
    let (lo, hi) = c.median_diff_ci95.unwrap();
    assert!(lo <= 0.0 && 0.0 <= hi);
}

#[test]
fn thirty_percent_slower_with_twenty_trials_regresses() {
    let base = sample(20, 1200.0, 0.1, 2);
    let slow = sample(20, 1200.0 * 1.3, 0.1, 3);
    let c = compare_sides(&resilient(base), &resilient(slow), Thresholds::default());
    assert_eq!(c.regressions.len(), 1, "{:?}", c.regressions);
    assert!(c.regressions[0].contains("slower"));
    assert!(c.test.unwrap().p < 0.001);
    let s = c.slowdown.unwrap();
    assert!((0.2..0.4).contains(&s), "slowdown {s}");
    // the interval of the difference excludes zero
    assert!(c.median_diff_ci95.unwrap().0 > 0.0);
}

#[test]
fn a_noisy_but_equal_pair_does_not_regress() {
    let mut c = Vec::new();
    for seed in 0..20 {
        let a = sample(20, 1200.0, 0.4, 100 + seed);
        let b = sample(20, 1200.0, 0.4, 200 + seed);
        c.push(compare_sides(&resilient(a), &resilient(b), Thresholds::default()));
    }
    assert!(c.iter().all(|x| x.regressions.is_empty()));
}

#[test]
fn a_small_significant_slowdown_below_the_threshold_passes() {
    // 5 % slower with little noise: significant, but under the 10 % default
    let base = sample(40, 1000.0, 0.01, 4);
    let slow = sample(40, 1050.0, 0.01, 5);
    let t = Thresholds::default();
    let c = compare_sides(&resilient(base.clone()), &resilient(slow.clone()), t);
    assert!(c.test.unwrap().p < 0.05);
    assert!(c.regressions.is_empty());
    let strict = Thresholds {
        max_slowdown: 0.02,
        ..t
    };
    assert!(!compare_sides(&resilient(base), &resilient(slow), strict)
        .regressions
        .is_empty());
}

#[test]
fn a_faster_candidate_is_not_a_regression() {
    let c = compare_sides(
        &resilient(sample(20, 1500.0, 0.1, 6)),
        &resilient(sample(20, 1000.0, 0.1, 7)),
        Thresholds::default(),
    );
    assert!(c.regressions.is_empty());
    assert!(c.improved);
}

#[test]
fn a_lower_level_or_a_lost_certification_regresses() {
    let v = sample(10, 1000.0, 0.1, 8);
    let base = side(v.clone(), Level::Phoenix, true);
    let dropped = compare_sides(&base, &side(v.clone(), Level::Resilient, true), Thresholds::default());
    assert_eq!(
        dropped.regressions,
        vec!["level dropped: phoenix → resilient".to_string()]
    );
    let lost = compare_sides(
        &base,
        &side(v.clone(), Level::NotCertified, false),
        Thresholds::default(),
    );
    assert_eq!(lost.regressions.len(), 2, "{:?}", lost.regressions);
    let mut never = resilient(v.clone());
    never.never_healthy = 1;
    assert!(!compare_sides(&resilient(v), &never, Thresholds::default())
        .regressions
        .is_empty());
}

#[test]
fn thresholds_parse_as_percentages() {
    assert_eq!(parse_percent("10%"), Ok(0.10));
    assert_eq!(parse_percent("10"), Ok(0.10));
    assert_eq!(parse_percent(" 12.5 % "), Ok(0.125));
    assert!(parse_percent("ten").is_err());
    assert!(parse_percent("-5%").is_err());
    assert_eq!(parse_alpha("0.01"), Ok(0.01));
    assert!(parse_alpha("1").is_err());
}

/// A result.json as a run writes it (the report fixture's), with these figures: one fault
/// per `tth` value (None: never recovered), 3 requests lost each, 1000 sent.
fn result_json(scenario: &str, level: &str, passed: bool, tth: &[Option<f64>]) -> serde_json::Value {
    let report = crate::report::Report::build(crate::report::fixture::record());
    let mut json = serde_json::to_value(ResultJson::from_report(&report)).unwrap();
    let fault = json["faults"][0].clone();
    let faults: Vec<_> = tth
        .iter()
        .map(|t| {
            let mut f = fault.clone();
            f["time_to_healthy_ms"] = serde_json::json!(t);
            f["recovery"] = if t.is_some() { "recovered" } else { "not_recovered" }.into();
            f["lost_requests"] = 3.into();
            f
        })
        .collect();
    json["scenario"] = scenario.into();
    json["certification"]["level"] = level.into();
    json["certification"]["score"] = 70.0.into();
    json["certification"]["required"] = "resilient".into();
    json["certification"]["passed"] = passed.into();
    json["load"]["sent"] = 1000.into();
    json["faults"] = faults.into();
    // a key a later version may add is ignored
    json["some_future_key"] = serde_json::json!({ "ignored": true });
    json
}

fn write_result(dir: &Path, scenario: &str, level: &str, passed: bool, tth: &[Option<f64>]) {
    std::fs::create_dir_all(dir).unwrap();
    let json = result_json(scenario, level, passed, tth);
    std::fs::write(dir.join("result.json"), serde_json::to_vec(&json).unwrap()).unwrap();
}

#[test]
fn loads_a_file_a_run_folder_and_a_folder_of_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write_result(
        &root.join("a"),
        "kill-restart",
        "resilient",
        true,
        &[Some(1000.0), Some(1100.0)],
    );
    write_result(&root.join("b"), "kill-restart", "fragile", false, &[Some(3000.0), None]);
    write_result(&root.join("c"), "other", "phoenix", true, &[Some(200.0)]);
    std::fs::create_dir_all(root.join("empty-run")).unwrap();
    std::fs::write(root.join("summary.md"), "not a run").unwrap();

    let one = load(&root.join("a").join("result.json")).unwrap();
    assert_eq!(one["kill-restart"].tth_ms, vec![1000.0, 1100.0]);
    assert_eq!(load(&root.join("a")).unwrap(), one);

    let all = load(root).unwrap();
    assert_eq!(all.len(), 2);
    let kr = &all["kill-restart"];
    assert_eq!(kr.runs, 2);
    assert_eq!(kr.tth_ms, vec![1000.0, 1100.0, 3000.0]);
    assert_eq!(kr.never_healthy, 1);
    assert_eq!((kr.lost, kr.sent), (12, 2000));
    // the worst level, and passed only if every run passed
    assert_eq!(kr.level, Level::Fragile);
    assert!(!kr.passed);
}

#[test]
fn an_unobserved_recovery_is_not_a_fault_that_never_recovered_and_untested_ranks_below_fragile() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("u");
    std::fs::create_dir_all(&dir).unwrap();
    let mut json = result_json("pause-brief", "untested", false, &[None, None]);
    json["certification"]["score"] = 0.0.into();
    json["faults"][0]["recovery"] = "not_observed".into();
    json["faults"][0]["lost_requests"] = 0.into();
    json["faults"][1]["lost_requests"] = 5.into();
    std::fs::write(dir.join("result.json"), json.to_string()).unwrap();
    let loaded = &load(&dir).unwrap()["pause-brief"];
    assert_eq!(loaded.never_healthy, 1, "only the fault that never recovered counts");
    assert_eq!(loaded.level, Level::Untested);
    let v = sample(10, 1000.0, 0.1, 8);
    let c = compare_sides(
        &side(v.clone(), Level::Fragile, true),
        &side(v, Level::Untested, true),
        Thresholds::default(),
    );
    assert_eq!(c.regressions, vec!["level dropped: fragile → untested".to_string()]);
}

#[test]
fn unreadable_input_is_an_error_that_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let e = load(&tmp.path().join("missing")).unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
    let e = load(tmp.path()).unwrap_err();
    assert!(matches!(e, CompareError::NoRuns { .. }), "{e}");
    std::fs::write(tmp.path().join("result.json"), "{").unwrap();
    let e = load(tmp.path()).unwrap_err();
    assert!(matches!(e, CompareError::Result(ReadError::Parse { .. })), "{e}");
    assert!(e.to_string().contains("is not a phoenix result.json"), "{e}");
    // a result.json from before `recovery` existed: a null time to healthy never recovered
    let mut old = result_json("old", "fragile", false, &[Some(900.0), None]);
    for f in old["faults"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("recovery");
    }
    std::fs::write(tmp.path().join("result.json"), old.to_string()).unwrap();
    let side = &load(tmp.path()).unwrap()["old"];
    assert_eq!((side.tth_ms.clone(), side.never_healthy), (vec![900.0], 1));
}

#[test]
fn markdown_table_has_a_row_per_scenario_and_states_the_test() {
    let mut b = Runs::new();
    let mut c = Runs::new();
    b.insert("kill-restart".into(), resilient(sample(20, 1200.0, 0.1, 9)));
    c.insert("kill-restart".into(), resilient(sample(20, 1600.0, 0.1, 10)));
    c.insert("new-one".into(), resilient(vec![100.0]));
    let cmp = compare(&b, &c, Thresholds::default());
    assert!(cmp.regressed());
    let md = markdown(&cmp);
    assert!(md.starts_with("| scenario |"), "{md}");
    assert!(md.contains("| kill-restart | 20 → 20 |"), "{md}");
    assert!(md.contains("**REGRESSION**"));
    assert!(md.contains("new (no baseline)"));
    assert!(md.contains("Mann-Whitney U"));
}
