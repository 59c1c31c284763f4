//! The burn section of summary.md (Fowler's drill): per burn, the time until everything was
//! back, each service's return (from a named volume or not), and each check before and
//! after — naming the state that survived only because a dependency stayed up. The HTML
//! page shows the same from result.json in `templates/run.html`.

use super::markdown::escape;
use super::markdown::ms;
use super::result::ResultJson;
use crate::analysis::burn::Verified;
use std::fmt::Write;

fn verified(v: &Option<Verified>) -> String {
    v.as_ref().map_or("no verification".into(), |v| {
        format!("{} passed, {} failed (after {})", v.passed, v.failed, escape(&v.fault))
    })
}

/// Appends the burn section to `m`; nothing when the run has no burn.
pub fn markdown(r: &ResultJson, m: &mut String) {
    let burns: Vec<_> = r
        .faults
        .iter()
        .filter_map(|f| f.burn.as_ref().map(|b| (f, b)))
        .collect();
    if burns.is_empty() {
        return;
    }
    let _ = writeln!(m, "\n### Burn: every container killed and rebuilt\n");
    for (f, b) in burns {
        let _ = writeln!(
            m,
            "Trial {}, burn at {:.0} ms: every service and replica (and the front, if any) healthy again after **{} ms**; journeys verified after {} ms.\n",
            f.trial + 1,
            f.at_ms,
            ms(b.time_to_all_healthy_ms),
            ms(b.time_to_verified_ms)
        );
        if !b.services.is_empty() {
            let _ = writeln!(
                m,
                "| service | ready (ms) | named volumes | came back from a volume |\n| --- | ---: | --- | --- |"
            );
            for s in &b.services {
                let vols = if s.volumes.is_empty() {
                    "none".to_string()
                } else {
                    escape(&s.volumes.join(", "))
                };
                let _ = writeln!(
                    m,
                    "| {} | {:.0} | {vols} | {} |",
                    escape(&s.name),
                    s.ready_ms,
                    if s.from_volume { "yes" } else { "no" }
                );
            }
            let _ = writeln!(m);
        }
        if !b.checks.is_empty() {
            let _ = writeln!(m, "| check | before the burn | after the burn |\n| --- | --- | --- |");
            for c in &b.checks {
                let _ = writeln!(
                    m,
                    "| {} | {} | {} |",
                    escape(&c.name),
                    verified(&c.before),
                    verified(&c.after)
                );
            }
            let kept = if b.kept_only_by_dependencies.is_empty() {
                "none".to_string()
            } else {
                escape(&b.kept_only_by_dependencies.join(", "))
            };
            let _ = writeln!(
                m,
                "\nState that survived the app's own faults only because a dependency stayed up: **{kept}**."
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::report::{fixture, html, markdown, Report};

    #[test]
    fn summary_and_page_show_the_burn_with_its_service_and_escape_every_name() {
        let names = fixture::Names::hostile("<x>|*");
        let report = Report::build(fixture::record_with_burn(&names));
        assert_eq!(report.analysis.burns[0].services[0].ready_ms, 250.0);
        let md = String::from_utf8(markdown::render(&report).unwrap()).unwrap();
        assert!(md.contains("### Burn: every container killed and rebuilt"), "{md}");
        assert!(md.contains("| 250 | data chk"), "{md}");
        assert!(md.contains("| yes |"), "{md}");
        assert!(md.contains("only because a dependency stayed up"), "{md}");
        assert!(!md.contains("<x>"), "unescaped name in summary.md");
        let page = String::from_utf8(html::render(&report).unwrap()).unwrap();
        assert!(page.contains("Burn: every container killed and rebuilt"));
        assert!(page.contains("came back from a volume"));
        assert!(!page.contains("store chk <x>"), "unescaped name in index.html");
    }

    #[test]
    fn a_run_without_a_burn_has_no_burn_section() {
        let report = Report::build(fixture::record());
        let md = String::from_utf8(markdown::render(&report).unwrap()).unwrap();
        assert!(!md.contains("### Burn"));
        assert!(report.analysis.burns.is_empty());
    }
}
