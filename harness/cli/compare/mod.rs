//! `phoenix compare <baseline> <candidate>`: did recovery regress? Each side is a run folder,
//! a `result.json`, or a folder of run folders; runs are grouped by scenario name and, per
//! scenario, the time-to-healthy values of every fault of every trial and run are compared.
//!
//! The stated test: a two-sided **Mann-Whitney U** test (normal approximation with tie and
//! continuity correction; good from about 8 values a side) on the TTH distributions, plus a
//! seeded percentile-bootstrap 95 % interval of the difference of medians (candidate −
//! baseline). A scenario *regressed* when
//! - TTH is significantly different (`p < alpha`) **and** the candidate's median is slower
//!   than the baseline's by more than `max_slowdown`; or
//! - its certification level dropped, or it met its required level in the baseline and no
//!   longer does; or
//! - a fault that always recovered in the baseline never recovered in the candidate.
//!
//! Lost requests and scores are shown beside them (they feed the level). Pure apart from
//! [`load`], which reads the result files.

use crate::analysis::RecoveryStatus;
use crate::certify::Level;
use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::report::result::{ReadError, ResultJson};
use crate::scenario::escape;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bootstrap resamples for the interval of the difference of medians, at most.
pub(crate) const RESAMPLES: usize = 4000;
/// Most values the bootstraps of one comparison draw, over every scenario and resample: a
/// scenario gets an equal share, and its resamples are its share over its values (at most
/// [`RESAMPLES`]), so many scenarios or large sides cost bounded work.
pub(crate) const MAX_DRAWS: usize = 4_000_000;
/// Fewest resamples an interval is given from; with fewer (a share too small for the
/// values) the interval is left out.
pub(crate) const MIN_RESAMPLES: usize = 200;
/// Fixed seed: the same inputs always give the same interval.
pub(crate) const SEED: u64 = 0x0063_6f6d_7061_7265;
/// Below this many values a side, the normal approximation is rough and the test weak.
pub(crate) const FEW: usize = 8;

/// When a difference counts as a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Significance level of the Mann-Whitney test (default 0.05).
    pub alpha: f64,
    /// Smallest median slowdown that counts, as a fraction (default 0.10 = 10 %).
    pub(crate) max_slowdown: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            alpha: 0.05,
            max_slowdown: 0.10,
        }
    }
}

/// A threshold argument that is not one (clap shows it as the value's refusal).
#[derive(Debug, PartialEq, thiserror::Error)]
pub(crate) enum ThresholdError {
    #[error("'{0}' is not a percentage (write e.g. 10%)")]
    Percent(String),
    #[error("'{0}' is not a significance level in (0, 1), e.g. 0.05")]
    Alpha(String),
}

/// Parses a slowdown threshold: `10%`, `10` (both 10 %) or `12.5%`.
pub(crate) fn parse_percent(s: &str) -> Result<f64, ThresholdError> {
    let t = s.trim();
    let number = t.strip_suffix('%').unwrap_or(t).trim();
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v / 100.0),
        _ => Err(ThresholdError::Percent(s.to_string())),
    }
}

/// Parses a significance level in (0, 1).
pub(crate) fn parse_alpha(s: &str) -> Result<f64, ThresholdError> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        _ => Err(ThresholdError::Alpha(s.to_string())),
    }
}

/// Why a side could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A folder of run folders the reader refused (see [`crate::files::input::run_folders`]).
    #[error(transparent)]
    Folder(#[from] crate::files::input::FolderError),
    /// A result.json that the one reader refused (see [`ResultJson::read`]).
    #[error(transparent)]
    Result(#[from] ReadError),
    #[error("'{}' holds no run: no result.json in it nor in any folder directly inside it\n  hint: give a run folder written by `phoenix run`, its result.json, or a folder of run folders", escape(&path.display().to_string()))]
    NoRuns { path: PathBuf },
}

/// One side's runs of one scenario, merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub scenario: String,
    /// Runs merged here.
    pub runs: usize,
    /// TTH of every fault that recovered, ms.
    pub(crate) tth_ms: Vec<f64>,
    /// Faults whose target never became healthy again.
    pub(crate) never_healthy: usize,
    /// Requests lost to faults, summed.
    pub lost: u64,
    /// Requests sent, summed.
    pub sent: u64,
    /// The worst level of the runs.
    pub level: Level,
    /// Mean score of the runs.
    pub score: f64,
    /// The required level (of the last run read).
    pub required: String,
    /// Every run met its required level.
    pub passed: bool,
}

impl Side {
    fn add(&mut self, r: &ResultJson) {
        let level = Level::parse(&r.certification.level).unwrap_or(Level::NotCertified);
        self.score = (self.score * self.runs as f64 + r.certification.score) / (self.runs + 1) as f64;
        self.level = if self.runs == 0 { level } else { self.level.min(level) };
        self.passed = (self.runs == 0 || self.passed) && r.certification.passed;
        self.runs += 1;
        self.required = r.certification.required.clone();
        for f in &r.faults {
            // a result written before `recovery` existed has none: there a null time to
            // healthy always meant "never recovered"
            match (f.time_to_healthy_ms, f.recovery) {
                (Some(v), _) => self.tth_ms.push(v),
                // the probe never saw an outage: no time to compare, and no failure either
                (None, Some(RecoveryStatus::NotObserved)) => {}
                (None, _) => self.never_healthy += 1,
            }
            self.lost += f.lost_requests;
        }
        self.sent += r.load.sent;
    }

    fn new(scenario: &str) -> Side {
        Side {
            scenario: scenario.to_string(),
            runs: 0,
            tth_ms: Vec::new(),
            never_healthy: 0,
            lost: 0,
            sent: 0,
            level: Level::NotCertified,
            score: 0.0,
            required: String::new(),
            passed: false,
        }
    }

    /// Median TTH, ms.
    pub fn median(&self) -> Option<f64> {
        median_of(&self.tth_ms)
    }
}

/// Scenario name → merged runs.
pub type Runs = BTreeMap<String, Side>;

/// Reads a side: a `result.json`, a run folder, or a folder of run folders (folders directly
/// inside it that hold no result.json, e.g. a run that never measured, are skipped).
pub fn load(path: &Path) -> Result<Runs, CompareError> {
    let mut files = Vec::new();
    if path.is_file() {
        files.push(path.to_path_buf());
    } else if path.join("result.json").is_file() {
        files.push(path.join("result.json"));
    } else {
        let mut dirs: Vec<PathBuf> = crate::files::input::run_folders(path)?
            .into_iter()
            .filter(|p| p.join("result.json").is_file())
            .collect();
        dirs.sort();
        files.extend(dirs.into_iter().map(|d| d.join("result.json")));
    }
    if files.is_empty() {
        return Err(CompareError::NoRuns {
            path: path.to_path_buf(),
        });
    }
    let mut runs = Runs::new();
    for f in files {
        let r = ResultJson::read(&f)?;
        runs.entry(r.scenario.clone())
            .or_insert_with(|| Side::new(&r.scenario))
            .add(&r);
    }
    Ok(runs)
}

pub use crate::analysis::spread::{median_of, median_sorted};
use crate::analysis::spread::{median_unsorted, thinned};

/// A Mann-Whitney U test of `candidate` against `baseline`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the candidate: how many (candidate, baseline) pairs have the candidate larger
    /// (ties count ½). `n_candidate · n_baseline / 2` when the two are alike.
    pub u: f64,
    /// Standard score with tie and continuity correction.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Two-sided Mann-Whitney U test, normal approximation with tie correction
/// (`σ² = n₁n₂/12 · ((N+1) − Σ(t³−t)/(N(N−1)))`) and continuity correction. None when a
/// side is empty. Exact enough from about 8 values a side.
pub(crate) fn mann_whitney(baseline: &[f64], candidate: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (candidate.len(), baseline.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    // (value, from candidate)
    let mut all: Vec<(f64, bool)> = candidate
        .iter()
        .map(|&v| (v, true))
        .chain(baseline.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum = 0.0;
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // ranks i+1 ..= j+1 share their mean
        let rank = (i + j + 2) as f64 / 2.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        rank_sum += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u = rank_sum - n1f * (n1f + 1.0) / 2.0;
    let mean = n1f * n2f / 2.0;
    let tie_term = if n > 1 { ties / (nf * (nf - 1.0)) } else { 0.0 };
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term);
    if var <= 0.0 {
        // every value equal: no evidence of any difference
        return Some(MannWhitney { u, z: 0.0, p: 1.0 });
    }
    let d = u - mean;
    let corrected = (d.abs() - 0.5).max(0.0) * d.signum();
    let z = corrected / var.sqrt();
    let p = erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0);
    Some(MannWhitney { u, z, p })
}

/// Complementary error function (Chebyshev fit, relative error below 1.2e-7; Numerical
/// Recipes `erfcc`).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Seeded percentile-bootstrap 95 % interval of `median(candidate) − median(baseline)`,
/// drawing at most `draws` values, and the resamples it took; None when a side has fewer
/// than 2 values or `draws` allows fewer than [`MIN_RESAMPLES`]. A side of more than
/// [`crate::analysis::spread::MAX_BOOTSTRAP_VALUES`] values is resampled through that many
/// of its quantiles, so the work is bounded whatever a result.json holds.
fn bootstrap_diff(baseline: &[f64], candidate: &[f64], draws: usize) -> Option<((f64, f64), usize)> {
    if baseline.len() < 2 || candidate.len() < 2 {
        return None;
    }
    let (baseline, candidate) = (thinned(baseline), thinned(candidate));
    let resamples = (draws / (baseline.len() + candidate.len())).min(RESAMPLES);
    if resamples < MIN_RESAMPLES {
        return None;
    }
    // Xoshiro, not ChaCha: the resampling needs no cryptographic stream, and ChaCha was most of
    // the time of a compare of large sides
    let mut rng = rand::rngs::SmallRng::seed_from_u64(SEED);
    let mut resample = |values: &[f64], buf: &mut Vec<f64>| {
        buf.clear();
        buf.extend((0..values.len()).map(|_| values[rng.random_range(0..values.len())]));
        median_unsorted(buf)
    };
    let (mut b, mut c) = (Vec::new(), Vec::new());
    let mut diffs: Vec<f64> = (0..resamples)
        .map(|_| {
            let mb = resample(&baseline, &mut b);
            resample(&candidate, &mut c) - mb
        })
        .collect();
    diffs.sort_by(f64::total_cmp);
    let at = |q: f64| diffs[((q * (resamples - 1) as f64).round() as usize).min(resamples - 1)];
    Some(((at(0.025), at(0.975)), resamples))
}

/// One scenario's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioComparison {
    pub scenario: String,
    pub baseline: Option<Side>,
    pub(crate) candidate: Option<Side>,
    pub test: Option<MannWhitney>,
    /// `median(candidate) / median(baseline) − 1`.
    pub(crate) slowdown: Option<f64>,
    /// 95 % bootstrap interval of the difference of medians, ms.
    pub(crate) median_diff_ci95: Option<(f64, f64)>,
    /// Bootstrap resamples behind that interval (0: none).
    pub resamples: usize,
    /// Why it regressed; empty when it did not.
    pub(crate) regressions: Vec<String>,
    /// Significantly faster (p < alpha and faster by more than the threshold).
    pub(crate) improved: bool,
}

/// A whole comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub(crate) thresholds: Thresholds,
    pub scenarios: Vec<ScenarioComparison>,
}

impl Comparison {
    /// Whether any scenario regressed.
    pub(crate) fn regressed(&self) -> bool {
        self.scenarios.iter().any(|s| !s.regressions.is_empty())
    }
}

/// Compares one scenario's two sides.
#[cfg(test)]
pub(crate) fn compare_sides(baseline: &Side, candidate: &Side, t: Thresholds) -> ScenarioComparison {
    compare_within(baseline, candidate, t, MAX_DRAWS)
}

/// [`compare_sides`], its bootstrap drawing at most `draws` values.
fn compare_within(baseline: &Side, candidate: &Side, t: Thresholds, draws: usize) -> ScenarioComparison {
    let test = mann_whitney(&baseline.tth_ms, &candidate.tth_ms);
    let slowdown = match (baseline.median(), candidate.median()) {
        (Some(b), Some(c)) if b > 0.0 => Some(c / b - 1.0),
        _ => None,
    };
    let significant = test.is_some_and(|m| m.p < t.alpha);
    let interval = bootstrap_diff(&baseline.tth_ms, &candidate.tth_ms, draws);
    let mut regressions = Vec::new();
    if let (true, Some(s)) = (significant, slowdown) {
        if s > t.max_slowdown {
            regressions.push(format!(
                "time to healthy {:.0} % slower (median), p = {} < {}",
                s * 100.0,
                fmt_p(test.map_or(1.0, |m| m.p)),
                t.alpha
            ));
        }
    }
    if candidate.level < baseline.level {
        regressions.push(format!("level dropped: {} → {}", baseline.level, candidate.level));
    }
    if baseline.passed && !candidate.passed {
        regressions.push(format!("certification lost: no longer meets '{}'", candidate.required));
    }
    if baseline.never_healthy == 0 && candidate.never_healthy > 0 {
        regressions.push(format!("{} fault(s) never recovered", candidate.never_healthy));
    }
    ScenarioComparison {
        scenario: candidate.scenario.clone(),
        baseline: Some(baseline.clone()),
        candidate: Some(candidate.clone()),
        test,
        slowdown,
        median_diff_ci95: interval.map(|(ci, _)| ci),
        resamples: interval.map_or(0, |(_, n)| n),
        improved: significant && slowdown.is_some_and(|s| s < -t.max_slowdown),
        regressions,
    }
}

/// Compares every scenario of two sides; scenarios present on one side only are listed
/// and never count as regressions.
pub fn compare(baseline: &Runs, candidate: &Runs, t: Thresholds) -> Comparison {
    let mut names: Vec<&String> = baseline.keys().chain(candidate.keys()).collect();
    names.sort();
    names.dedup();
    // every scenario on both sides gets an equal share of the bootstrap's draws
    let both = names
        .iter()
        .filter(|n| baseline.contains_key(**n) && candidate.contains_key(**n))
        .count();
    let share = MAX_DRAWS / both.max(1);
    let scenarios = names
        .into_iter()
        .map(|name| match (baseline.get(name), candidate.get(name)) {
            (Some(b), Some(c)) => compare_within(b, c, t, share),
            (b, c) => ScenarioComparison {
                scenario: name.clone(),
                baseline: b.cloned(),
                candidate: c.cloned(),
                test: None,
                slowdown: None,
                median_diff_ci95: None,
                resamples: 0,
                regressions: Vec::new(),
                improved: false,
            },
        })
        .collect();
    Comparison {
        thresholds: t,
        scenarios,
    }
}

/// `phoenix compare`: reads both sides, prints the table, returns the verdict (0 no
/// regression, 3 regression; an unreadable side is bad input, 2).
pub fn run(baseline: &Path, candidate: &Path, t: Thresholds) -> Result<Exit, CommandError> {
    let (b, c) = match (load(baseline), load(candidate)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => return Err(CommandError::Compare(e)),
    };
    let comparison = compare(&b, &c, t);
    // scenario names and levels come from the result files: one escape for the terminal,
    // line by line so the table keeps its line breaks
    for line in markdown(&comparison).lines() {
        println!("{}", escape(line));
    }
    if comparison.regressed() {
        eprintln!("phoenix: recovery regressed");
        Ok(Exit::FellShort)
    } else {
        Ok(Exit::Ok)
    }
}

mod markdown;
use markdown::fmt_p;
pub use markdown::markdown;

#[cfg(test)]
mod tests;
