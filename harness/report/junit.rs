//! junit.xml: the certification as JUnit test results, for CI systems that show them. One
//! testcase per certification criterion (time to healthy within target, every fault
//! recovered, every recovery measured, run complete, required level met) and one per state check; a failure carries
//! the reason. Every string is XML-escaped, and characters XML 1.0 cannot hold are dropped.

use super::result::ResultJson;
use super::{RenderError, Report};
use crate::analysis::RecoveryStatus;
use std::fmt::Write;

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            // not allowed in XML 1.0 documents at all
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// One testcase: its class, its name and, when it failed, the message and the details.
struct Case {
    class: &'static str,
    name: String,
    failure: Option<(String, String)>,
}

/// Every testcase, in the order junit.xml lists them: certification, audit, state checks.
fn cases(r: &ResultJson, target_ms: f64) -> Vec<Case> {
    let mut out = certification_cases(r, target_ms);
    out.extend(audit_cases(r));
    out.extend(check_cases(r));
    out
}

/// The certification criteria, one case each.
fn certification_cases(r: &ResultJson, target_ms: f64) -> Vec<Case> {
    let unmeasured = &r.certification.unmeasured;
    let measured = Case {
        class: "phoenix.certification",
        name: "every recovery measured".into(),
        failure: (!unmeasured.is_empty()).then(|| {
            (
                format!(
                    "untested: {} thing(s) a level needs were not measured",
                    unmeasured.len()
                ),
                unmeasured.join("\n"),
            )
        }),
    };
    let complete = Case {
        class: "phoenix.certification",
        name: "run complete".into(),
        failure: (!r.complete).then(|| {
            (
                format!(
                    "run incomplete: {}",
                    r.aborted.as_deref().unwrap_or("the run stopped midway")
                ),
                String::new(),
            )
        }),
    };
    let c = &r.certification;
    let level = Case {
        class: "phoenix.certification",
        name: format!("required level {} met", c.required),
        failure: (!c.passed).then(|| {
            (
                format!(
                    "level {} (score {:.1}) is below the required {}",
                    c.level, c.score, c.required
                ),
                c.reasons.join("\n"),
            )
        }),
    };
    vec![
        time_to_healthy_case(r, target_ms),
        recovered_case(r),
        measured,
        complete,
        level,
    ]
}

/// Time to healthy p99 within the target; failing too when no fault recovered at all.
fn time_to_healthy_case(r: &ResultJson, target_ms: f64) -> Case {
    let tth = &r.time_to_healthy_ms;
    Case {
        class: "phoenix.certification",
        name: "time to healthy within target".into(),
        failure: match tth.p99 {
            Some(p99) if p99 > target_ms => Some((
                format!("time to healthy p99 {p99:.0} ms is over the {target_ms:.0} ms target"),
                format!(
                    "p50 {:?} ms, p99 {p99:.0} ms, max {:?} ms over {} fault(s)",
                    tth.p50, tth.max, tth.count
                ),
            )),
            None if r
                .faults
                .iter()
                .any(|f| f.recovery == Some(RecoveryStatus::NotRecovered)) =>
            {
                Some((
                    "no fault recovered: time to healthy was never measured".into(),
                    String::new(),
                ))
            }
            _ => None,
        },
    }
}

/// Every fault recovered; a failure names each fault that did not.
fn recovered_case(r: &ResultJson) -> Case {
    let unrecovered: Vec<String> = r
        .faults
        .iter()
        .filter(|f| f.recovery == Some(RecoveryStatus::NotRecovered))
        .map(|f| {
            format!(
                "trial {}: {} {} then {} at {:.0} ms did not become healthy again",
                f.trial + 1,
                f.kind,
                f.target,
                f.action,
                f.at_ms
            )
        })
        .collect();
    Case {
        class: "phoenix.certification",
        name: "every fault recovered".into(),
        failure: (!unrecovered.is_empty()).then(|| {
            (
                format!("{} of {} fault(s) never recovered", unrecovered.len(), r.faults.len()),
                unrecovered.join("\n"),
            )
        }),
    }
}

/// The audit: one case per kind of finding that caps the level, passing when none did.
fn audit_cases(r: &ResultJson) -> Vec<Case> {
    let a = &r.audit;
    let mut out = Vec::new();
    for (kind, name) in [
        (
            "local_writes",
            "audit: nothing written to the instances' own disks while serving",
        ),
        ("old_vs_fresh", "audit: fresh instances answer as the old ones did"),
    ] {
        let found: Vec<&str> = a
            .findings
            .iter()
            .filter(|f| f.kind == kind && f.caps.is_some())
            .map(|f| f.text.as_str())
            .collect();
        out.push(Case {
            class: "phoenix.audit",
            name: name.into(),
            failure: (!found.is_empty()).then(|| {
                (
                    format!(
                        "{} finding(s), each capping the level at fragile: {}",
                        found.len(),
                        found[0]
                    ),
                    found.join("\n"),
                )
            }),
        });
    }
    out
}

/// One case per state check, its failures as the details.
fn check_cases(r: &ResultJson) -> Vec<Case> {
    let mut out = Vec::new();
    for ch in &r.checks {
        let details = ch
            .failures
            .iter()
            .map(|f| {
                format!(
                    "journey {} {} {} on {}{}: expected {}, got {}; body: {}",
                    f.journey,
                    f.phase,
                    f.step,
                    f.replica,
                    f.after.as_deref().map_or(String::new(), |a| format!(" after {a}")),
                    f.expected,
                    f.got,
                    f.excerpt
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        out.push(Case {
            class: "phoenix.checks",
            name: ch.name.clone(),
            failure: ch.problem().map(|p| (p, details)),
        });
    }
    out
}

/// Renders junit.xml.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let r = ResultJson::from_report(report);
    let target_ms = report.record.scenario.certify.time_to_healthy_target.as_secs_f64() * 1000.0;
    let cases = cases(&r, target_ms);
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let seconds = report.record.scenario.load.duration.as_secs_f64() * r.trials as f64;
    let suite = escape(&format!("phoenix-bench {}", r.scenario));
    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        x,
        r#"<testsuites name="phoenix-bench" tests="{}" failures="{failures}" errors="0" time="{seconds:.3}">"#,
        cases.len()
    );
    let _ = writeln!(
        x,
        r#"  <testsuite name="{suite}" tests="{}" failures="{failures}" errors="0" skipped="0" timestamp="{}" time="{seconds:.3}">"#,
        cases.len(),
        escape(&r.started_at)
    );
    let _ = writeln!(x, "    <properties>");
    for (name, value) in [
        ("run_id", r.run_id.clone()),
        ("level", r.certification.level.clone()),
        ("score", format!("{:.1}", r.certification.score)),
        ("required", r.certification.required.clone()),
        ("scenario_file", r.scenario_file.clone()),
    ] {
        let _ = writeln!(x, r#"      <property name="{name}" value="{}"/>"#, escape(&value));
    }
    let _ = writeln!(x, "    </properties>");
    for c in &cases {
        let name = escape(&c.name);
        match &c.failure {
            None => {
                let _ = writeln!(x, r#"    <testcase classname="{}" name="{name}"/>"#, c.class);
            }
            Some((message, details)) => {
                let _ = writeln!(x, r#"    <testcase classname="{}" name="{name}">"#, c.class);
                let _ = writeln!(
                    x,
                    r#"      <failure message="{}" type="{}">{}</failure>"#,
                    escape(message),
                    c.class,
                    escape(details)
                );
                let _ = writeln!(x, "    </testcase>");
            }
        }
    }
    let _ = writeln!(x, "  </testsuite>");
    let _ = writeln!(x, "</testsuites>");
    Ok(x.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn junit_of_the_fixture() {
        let xml = String::from_utf8(render(&Report::build(fixture::record())).unwrap()).unwrap();
        roxmltree::Document::parse(&xml).expect("well-formed XML");
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn a_run_that_measured_no_recovery_fails_its_measured_case() {
        let xml = String::from_utf8(render(&Report::build(fixture::record_without_faults())).unwrap()).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("every recovery measured"))
            .unwrap();
        let failure = case.children().find(|n| n.has_tag_name("failure")).expect("a failure");
        assert!(failure.attribute("message").unwrap().starts_with("untested"));
        assert!(failure.text().unwrap().contains("no fault"));
    }

    #[test]
    fn hostile_names_stay_well_formed() {
        let names = fixture::Names::hostile("<script>alert(1)</script>\"><img src=x onerror=alert(1)>\u{1}");
        let xml = String::from_utf8(render(&Report::build(fixture::record_with(&names))).unwrap()).unwrap();
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("classname") == Some("phoenix.checks"))
            .unwrap();
        assert_eq!(
            case.attribute("name"),
            Some(
                "chk <script>alert(1)</script>\"><img src=x onerror=alert(1)>\u{1}"
                    .replace('\u{1}', "")
                    .as_str()
            )
        );
        assert!(!xml.contains("<script>") && !xml.contains("<img"));
    }
}
