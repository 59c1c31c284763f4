//! `phoenix compare`'s table: the comparison as Markdown, with the test stated below it.

use super::*;
use std::fmt::Write as _;

/// A p-value: three decimals, or scientific below 0.001.
pub(super) fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.0}"))
}

fn pair(b: Option<String>, c: Option<String>) -> String {
    format!(
        "{} → {}",
        b.unwrap_or_else(|| "—".into()),
        c.unwrap_or_else(|| "—".into())
    )
}

fn lost(s: &Side) -> String {
    if s.sent > 0 {
        format!("{} ({:.2} %)", s.lost, 100.0 * s.lost as f64 / s.sent as f64)
    } else {
        s.lost.to_string()
    }
}

/// The comparison as a Markdown table, with the test stated below it.
pub fn markdown(c: &Comparison) -> String {
    let mut out = String::new();
    out.push_str(
        "| scenario | TTH values | TTH median, ms | Δ median [95 % CI], ms | slowdown | Mann-Whitney p | lost | level | score | verdict |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for s in &c.scenarios {
        let (b, cand) = (s.baseline.as_ref(), s.candidate.as_ref());
        let verdict = if !s.regressions.is_empty() {
            format!("**REGRESSION**: {}", s.regressions.join("; "))
        } else if b.is_none() {
            "new (no baseline)".into()
        } else if cand.is_none() {
            "not run".into()
        } else if s.improved {
            "faster".into()
        } else {
            "ok".into()
        };
        let fewer = if s.resamples < RESAMPLES { " ‡" } else { "" };
        let ci = s
            .median_diff_ci95
            .map_or("—".into(), |(lo, hi)| format!("[{lo:+.0}, {hi:+.0}]{fewer}"));
        let diff = match (b.and_then(Side::median), cand.and_then(Side::median)) {
            (Some(x), Some(y)) => format!("{:+.0} {ci}", y - x),
            _ => "—".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.scenario,
            pair(
                b.map(|x| x.tth_ms.len().to_string()),
                cand.map(|x| x.tth_ms.len().to_string())
            ),
            pair(b.map(|x| ms(x.median())), cand.map(|x| ms(x.median()))),
            diff,
            s.slowdown.map_or("—".into(), |v| format!("{:+.1} %", v * 100.0)),
            s.test.map_or("—".into(), |m| {
                let few = b
                    .zip(cand)
                    .is_some_and(|(x, y)| x.tth_ms.len().min(y.tth_ms.len()) < FEW);
                format!("{}{}", fmt_p(m.p), if few { " †" } else { "" })
            }),
            pair(b.map(lost), cand.map(lost)),
            pair(b.map(|x| x.level.to_string()), cand.map(|x| x.level.to_string())),
            pair(
                b.map(|x| format!("{:.1}", x.score)),
                cand.map(|x| format!("{:.1}", x.score))
            ),
            verdict
        );
    }
    let _ = write!(
        out,
        "\nTest: two-sided Mann-Whitney U on the time to healthy of every fault (normal \
         approximation, tie- and continuity-corrected); Δ median is candidate − baseline with a \
         seeded bootstrap 95 % interval. A regression is p < {} with a median slowdown above \
         {:.0} %, a lower level, a lost certification, or a fault that never recovered.\n",
        c.thresholds.alpha,
        c.thresholds.max_slowdown * 100.0
    );
    let few = c.scenarios.iter().any(|s| {
        s.test.is_some()
            && s.baseline
                .as_ref()
                .zip(s.candidate.as_ref())
                .is_some_and(|(x, y)| x.tth_ms.len().min(y.tth_ms.len()) < FEW)
    });
    if c.scenarios
        .iter()
        .any(|s| s.median_diff_ci95.is_some() && s.resamples < RESAMPLES)
    {
        let _ = writeln!(
            out,
            "
‡ fewer than {RESAMPLES} bootstrap resamples: a comparison draws at most {MAX_DRAWS} values over \
             all its scenarios, shared equally, so many scenarios or large sides get fewer (at least \
             {MIN_RESAMPLES}; below that no interval is given)."
        );
    }
    if few {
        let _ = writeln!(
            out,
            "
† fewer than {FEW} values on a side: the test has little power there (run more trials, `--trials`)."
        );
    }
    out
}
