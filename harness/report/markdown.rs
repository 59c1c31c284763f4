//! summary.md: the verdict in Markdown, short enough for a CI job summary
//! (`cat summary.md >> "$GITHUB_STEP_SUMMARY"`): level, score, components, faults, checks and
//! lost requests by class. Every string that comes from the app or the scenario goes through
//! [`escape`]: no raw HTML and no Markdown markup can get through.

use super::result::{FaultJson, ResultJson};
use super::{RenderError, Report};
use crate::analysis::RecoveryStatus;
use std::fmt::Write;

/// Escapes text for Markdown (GitHub flavour), in running text and in table cells: HTML
/// specials become entities, Markdown punctuation is backslash-escaped, line breaks become
/// spaces (a cell is one line).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '~' | '!' | '{' | '}' | '+' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub(super) fn ms(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.0}"))
}

fn fault_name(f: &FaultJson) -> String {
    escape(&format!("{} {} then {}", f.kind, f.target, f.action))
}

/// Renders summary.md. Writing to a `String` cannot fail, so the `write!` results are ignored.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let r = ResultJson::from_report(report);
    let mut m = String::new();
    verdict(&mut m, &r);
    components(&mut m, &r.certification);
    faults(&mut m, &r);
    floor(&mut m, &r);
    super::burn::markdown(&r, &mut m);
    checks(&mut m, &r.checks);
    audit(&mut m, &r.audit);
    memory(&mut m, &r.audit);
    if let Some(ro) = &r.audit.read_only_trial {
        read_only(&mut m, ro);
    }
    lost_by_class(&mut m, &r);
    footer(&mut m, &r);
    Ok(m.into_bytes())
}

/// The heading and the verdict: level, score, the reasons, the host, the lint's warnings.
fn verdict(m: &mut String, r: &ResultJson) {
    let c = &r.certification;
    let _ = writeln!(m, "## phoenix-bench: {}\n", escape(&r.scenario));
    let _ = writeln!(
        m,
        "**{}** · score **{:.1}** / 100 · required {}: **{}**\n",
        c.level,
        c.score,
        c.required,
        if c.passed { "met" } else { "not met" }
    );
    if !r.complete {
        let why = r.aborted.as_deref().unwrap_or("the run stopped midway");
        let _ = writeln!(m, "> **Incomplete run:** {}\n", escape(why));
    }
    for reason in &c.reasons {
        let _ = writeln!(m, "- {}", escape(reason));
    }
    // the host's figures, said whatever they are: a verdict is only as good as its host
    let host = escape(&r.host.line());
    let _ = if r.host.contended {
        writeln!(m, "\n> **{host}**")
    } else {
        writeln!(m, "\n{host}")
    };
    if !r.warnings.is_empty() {
        // the compose lint: what keeps the app from being a phoenix server, even if it passed
        let _ = writeln!(m, "\n**Warnings before the run** (compose lint):\n");
        for w in &r.warnings {
            let _ = writeln!(m, "- {}", escape(w));
        }
    }
    if !c.unmeasured.is_empty() {
        let _ = writeln!(
            m,
            "\n**Untested**: a level above untested certifies the recovery from every fault; the lines marked *untested* above say what this run did not measure."
        );
    }
}

/// The score components: weight, share, value (or why not measured) and inputs.
fn components(m: &mut String, c: &super::result::CertificationJson) {
    let _ = writeln!(m, "\n### Score components\n");
    let _ = writeln!(
        m,
        "| component | weight | share | value | inputs |\n| --- | ---: | ---: | --- | --- |"
    );
    for comp in &c.components {
        let inputs: Vec<String> = comp
            .inputs
            .iter()
            .map(|(k, v)| format!("{} = {v:.3}", escape(k)))
            .collect();
        let value = match (comp.measured, comp.value) {
            (true, Some(v)) => format!("{v:.3}"),
            _ => format!("not measured: {}", escape(comp.reason.as_deref().unwrap_or("no input"))),
        };
        let _ = writeln!(
            m,
            "| {} | {:.2} | {:.3} | {value} | {} |",
            escape(&comp.name),
            comp.weight,
            comp.effective_weight,
            inputs.join(", ")
        );
    }
}

/// One row per fault with its recovery figures, then time to healthy over them all.
fn faults(m: &mut String, r: &ResultJson) {
    let _ = writeln!(m, "\n### Faults\n");
    if r.faults.is_empty() {
        let _ = writeln!(m, "No fault in this run.");
        return;
    }
    let _ = writeln!(
        m,
        "| trial | fault | at (ms) | time to healthy (ms) | resolution (ms) | app share (ms) | first success (ms) | steady (ms) | lost |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for f in &r.faults {
        let tth = match (f.recovery, f.time_to_healthy_ms) {
            (Some(RecoveryStatus::NotObserved), _) => "**not observed**".into(),
            (_, None) => "**not recovered**".into(),
            (_, Some(v)) => format!("{v:.0}"),
        };
        let _ = writeln!(
            m,
            "| {} | {} | {:.0} | {tth} | {} | {} | {} | {} | {} |",
            f.trial + 1,
            fault_name(f),
            f.at_ms,
            f.time_to_healthy_resolution_ms
                .map_or("–".into(), |v| format!("{v:.1}")),
            f.app_share_ms.map_or("–".into(), |v| format!("{v:.0}")),
            ms(f.time_to_first_success_ms),
            ms(f.time_to_steady_ms),
            f.lost_requests
        );
    }
    for (f, d) in r.faults.iter().filter_map(|f| f.dependency.as_ref().map(|d| (f, d))) {
        let _ = writeln!(
            m,
            "\n{} (trial {}): {} was ready again {} after the fault; the app served steadily again {} after that.",
            fault_name(f),
            f.trial + 1,
            escape(&d.service),
            d.ready_ms.map_or("never".into(), |v| format!("{v:.0} ms")),
            d.serve_again_ms
                .map_or("not before the end of the load".into(), |v| format!("{v:.0} ms")),
        );
    }
    let t = &r.time_to_healthy_ms;
    let _ = writeln!(
        m,
        "\nTime to healthy: p50 {} ms, p99 {} ms, max {} ms over {} fault(s).",
        ms(t.p50),
        ms(t.p99),
        ms(t.max),
        t.count
    );
}

/// The requests each fault lost, by class.
fn lost_by_class(m: &mut String, r: &ResultJson) {
    let _ = writeln!(m, "\n### Lost requests by class\n");
    if r.faults.is_empty() {
        let _ = writeln!(m, "No fault in this run.");
        return;
    }
    let _ = writeln!(
        m,
        "| fault | in flight | refused | reset | timeout | 5xx | other | total |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for f in &r.faults {
        let l = &f.lost_by_class;
        let _ = writeln!(
            m,
            "| trial {}: {} | {} | {} | {} | {} | {} | {} | {} |",
            f.trial + 1,
            fault_name(f),
            l.in_flight,
            l.refused,
            l.reset,
            l.timeout,
            l.http_5xx,
            l.other,
            l.total
        );
    }
}

/// The closing lines: the load, the health probes' traffic, and the run's identity.
fn footer(m: &mut String, r: &ResultJson) {
    let l = &r.load;
    let _ = writeln!(
        m,
        "\nLoad: {} of {} planned requests sent, {} ok, {} failed; latency p50 {:.1} ms, p99 {:.1} ms; schedule slip p99 {:.2} ms.",
        l.sent, l.planned, l.ok, l.failed, l.latency_ms.p50, l.latency_ms.p99, l.slip_ms.p99
    );
    if let Some(why) = &l.untrustworthy {
        let _ = writeln!(m, "\n**The load's figures are not the app's:** {}.", escape(why));
    }
    let probes: u64 = r.probes.iter().map(|p| p.sent).sum();
    let fast: u64 = r.probes.iter().map(|p| p.fast_sent).sum();
    let slow_max = r
        .probes
        .iter()
        .filter_map(|p| p.slow_per_second)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let _ = writeln!(
        m,
        "\nHealth probes: {probes} sent ({fast} fast); while probing slowly at most {} per second per replica.",
        slow_max.map_or("—".into(), |v| format!("{v:.2}"))
    );
    let e = &r.environment;
    let _ = writeln!(
        m,
        "\nRun {} · started {} · {} trial(s) · {} {} · {} replica(s) · phoenix-bench {}",
        escape(&r.run_id),
        escape(&r.started_at),
        r.trials,
        escape(&e.backend),
        escape(&e.engine_version),
        e.replicas,
        escape(&e.phoenix_version)
    );
}

/// The state checks: one row per check, its first failure or why it was never verified.
fn checks(m: &mut String, checks: &[crate::analysis::CheckSummary]) {
    let _ = writeln!(m, "\n### State checks\n");
    if checks.is_empty() {
        let _ = writeln!(m, "No state check: state survival was not measured.");
    } else {
        let _ = writeln!(
            m,
            "| check | journeys | set up | broken | verified | never verified | lost | first failure |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
        );
        for ch in checks {
            let first = ch.failures.first().map_or_else(
                || ch.unverified_reason.as_deref().map_or("—".into(), escape),
                |f| {
                    // a control failure is the check's or the app's fault, not a fault's
                    let control = if f.phase == "control" {
                        "control, before any fault: "
                    } else {
                        ""
                    };
                    escape(&format!(
                        "{control}{} on {}{}: expected {}, got {} — {}",
                        f.step,
                        f.replica,
                        f.after.as_deref().map_or(String::new(), |a| format!(" after {a}")),
                        f.expected,
                        f.got,
                        f.excerpt
                    ))
                },
            );
            let lost = if ch.lost > 0 {
                format!("**{}**", ch.lost)
            } else {
                "0".into()
            };
            let broken = if ch.broken > 0 {
                format!("**{}**", ch.broken)
            } else {
                "0".into()
            };
            let unverified = if ch.unverified > 0 {
                format!("**{}**", ch.unverified)
            } else {
                "0".into()
            };
            let _ = writeln!(
                m,
                "| {} | {} | {} | {broken} | {} | {unverified} | {lost} | {first} |",
                escape(&ch.name),
                ch.journeys,
                ch.set_up,
                ch.verified
            );
        }
    }
}

/// Memory growth per replica (a hint, not a level cap).
fn memory(m: &mut String, audit: &super::result::AuditJson) {
    let _ = writeln!(m, "\n### Memory growth\n");
    if audit.memory_growth.is_empty() {
        let why = audit.memory_not_measured.as_deref().unwrap_or("no sample");
        let _ = writeln!(m, "Memory was not measured: {}.", escape(why));
        return;
    }
    let _ = writeln!(
        m,
        "| replica | growth (MiB) | MiB per 1000 requests | requests served | steady time (s) | peak (MiB) | |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for g in &audit.memory_growth {
        let per = g.mib_per_1000_requests.map_or("—".into(), |v| format!("{v:.3}"));
        let flag = if g.growing { "**growing**" } else { "" };
        let _ = writeln!(
            m,
            "| {} | {:.2} | {per} | {} | {:.1} | {:.1} | {flag} |",
            escape(&g.replica),
            g.growth_mib,
            g.requests,
            g.steady_s,
            g.peak_mib
        );
    }
    let _ = writeln!(
        m,
        "\nA hint of process-local state, not a level cap: *growing* from {}.",
        crate::analysis::memory::hint()
    );
}

/// The read-only trial: its finding, then the failed requests (a hint, not a level cap).
fn read_only(m: &mut String, ro: &crate::analysis::ReadOnlySummary) {
    let _ = writeln!(m, "\n### Read-only trial\n");
    if !ro.measured {
        let reason = ro.reason.as_deref().unwrap_or("no reason recorded");
        let _ = writeln!(m, "Not measured: {}.", escape(reason));
        return;
    }
    let _ = writeln!(
        m,
        "{} (a hint, not a level cap; {:.1} s at {:.1} req/s per trial, {} trial(s): {} sent, {} ok, {} failed)",
        escape(&ro.finding),
        ro.duration_ms / 1000.0,
        ro.rate,
        ro.trials,
        ro.sent,
        ro.ok,
        ro.failed
    );
    if !ro.failures.is_empty() {
        let _ = writeln!(
            m,
            "\n| request | status or class | count | response body |\n| --- | --- | ---: | --- |"
        );
        for f in &ro.failures {
            let how = f.status.map_or_else(|| escape(&f.class), |s| s.to_string());
            let _ = writeln!(
                m,
                "| {} | {how} | {} | {} |",
                escape(&format!("{} {}", f.method, f.path)),
                f.count,
                escape(&f.excerpt)
            );
        }
    }
}

/// The audit's findings and its write groups while serving.
fn audit(m: &mut String, a: &crate::report::result::AuditJson) {
    let _ = writeln!(m, "\n### Statelessness audit\n");
    if !a.measured {
        let _ = writeln!(
            m,
            "Not measured: no filesystem read at boot and later, no sample compared."
        );
        return;
    }
    let _ = writeln!(
        m,
        "{} instance(s) read at boot and later ({} not judged); {} sample request(s) compared old versus fresh.\n",
        a.instances_read, a.instances_unread, a.fresh_compared
    );
    if a.findings.is_empty() {
        let _ = writeln!(m, "No finding.");
    }
    for f in &a.findings {
        let cap = f.caps.map_or("hint".to_string(), |c| format!("**caps at {c}**"));
        let _ = writeln!(m, "- {cap}: {}", escape(&f.text));
    }
    if !a.local_writes.is_empty() {
        let _ = writeln!(
            m,
            "\n| replica | written while serving under | files | bytes | first seen (ms) | replaced |\n| --- | --- | ---: | ---: | ---: | --- |"
        );
        for g in &a.local_writes {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {:.1} | {} |",
                escape(&g.replica),
                escape(&g.dir),
                g.files,
                g.bytes,
                g.first_seen_ms,
                if g.replaced { "yes" } else { "no" }
            );
        }
    }
}

/// The platform floor: one row per fault action, the app's share, what was not measured.
fn floor(m: &mut String, r: &ResultJson) {
    let Some(fl) = &r.floor else { return };
    let _ = writeln!(
        m,
        "\n### Platform floor\n\nThe run's fault actions on a null replica (the demo app, ready the instant it binds), same engine and backend, {} cycle(s) before the trials and {} after; it added {:.1} s to the run.\n",
        fl.cycles,
        fl.cycles,
        fl.cost_ms / 1000.0
    );
    if !fl.actions.is_empty() {
        let _ = writeln!(
            m,
            "| action | delay (ms) | cycles | failed | p50 (ms) | p99 (ms) | min–max (ms) | spread (ms) |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
    }
    for a in &fl.actions {
        let _ = writeln!(
            m,
            "| {} then {} | {:.0} | {} | {} | {} | {} | {}–{} | {} |",
            escape(&a.kind),
            escape(&a.action),
            a.delay_ms,
            a.count,
            a.failed,
            ms(a.p50_ms),
            ms(a.p99_ms),
            ms(a.min_ms),
            ms(a.max_ms),
            ms(a.spread_ms)
        );
    }
    let s = &r.app_share_ms;
    if s.count > 0 {
        let _ = writeln!(
            m,
            "\nThe app's share (time to healthy minus the floor p50 of its action): p50 {} ms, p99 {} ms over {} fault(s).",
            ms(s.p50),
            ms(s.p99),
            s.count
        );
    }
    for n in &fl.notes {
        let _ = writeln!(m, "\n- not measured: {}", escape(n));
    }
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
