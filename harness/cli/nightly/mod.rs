//! `phoenix nightly`: the nightly job as one command that works the same locally and in CI.
//! It certifies every bundled scenario (`scenarios/*.toml`) with trials — each through the
//! `phoenix run` pipeline of the current executable, into `<out>/<scenario>/` — writes
//! `<out>/summary.md` (one table), compares with the previous night's folder when one is
//! given (through [`crate::cli::compare`]), and returns the exit status:
//!
//! - 3 when a scenario fell short of its required level, an anti-pattern scenario was
//!   certified (its detector missed), or recovery regressed against the baseline;
//! - 1 when a run failed for another reason (Docker unreachable, an image build failed);
//! - 5 when a scenario stayed inconclusive (it fell short on a contended host) through
//!   [`INCONCLUSIVE_RETRIES`] more tries, and nothing above applies: each try is reported,
//!   the earlier ones kept under `<out>/inconclusive/`;
//! - 2 on bad input (no scenario matched, an invalid scenario, an output folder in use);
//! - 0 otherwise.
//!
//! Anti-pattern scenarios demonstrate what the harness catches: they are *expected* to end
//! `not-certified` (exit 3 of `phoenix run`), so for them that verdict is the pass.

use crate::certify::Level;
use crate::cli::compare::{self, Thresholds};
use crate::cli::error::CommandError;
use crate::cli::exit::{Exit, EXIT_INCONCLUSIVE, EXIT_RUNTIME};
use crate::files::output::RunDir;
use crate::report::result::ResultJson;
use crate::scenario::Scenario;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Scenarios certified by default.
pub(crate) const DEFAULT_SCENARIOS: &str = "scenarios/*.toml";
/// Scenario names expected to end `not-certified` by default.
pub(crate) const DEFAULT_EXPECT_NOT_CERTIFIED: &str = "antipattern-*";
/// Trials per scenario by default (enough values for the comparison's test).
pub(crate) const DEFAULT_TRIALS: u32 = 3;
/// What `--short` runs: one scenario, one trial — enough to prove the command works.
pub(crate) const SHORT_SCENARIO: &str = "scenarios/kill-restart.toml";

/// How many more times a scenario whose run was inconclusive (a contended host, exit 5) is
/// run: a busy runner passes, a slow app stays short, and a night stays bounded.
pub(crate) const INCONCLUSIVE_RETRIES: u32 = 2;

/// What `phoenix nightly` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folder of this night's run folders and summary.md.
    pub out: PathBuf,
    /// The previous night's `out` folder.
    pub baseline: Option<PathBuf>,
    pub trials: Option<u32>,
    /// Scenario files or globs (`*` and `?` in the file name).
    pub scenarios: Vec<String>,
    /// Scenario name globs expected to end `not-certified`.
    pub(crate) expect_not_certified: Vec<String>,
    pub short: bool,
    pub(crate) thresholds: Thresholds,
    /// The `phoenix` executable that runs each scenario.
    pub(crate) exe: PathBuf,
}

/// What one scenario's run gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub scenario: String,
    /// Exit status of `phoenix run` (None: killed by a signal).
    pub exit: Option<i32>,
    /// None when the run left no result.json.
    pub result: Option<Summary>,
    pub(crate) expect_not_certified: bool,
    /// Earlier tries that were inconclusive, one line each (why, and their folder).
    pub(crate) earlier_tries: Vec<String>,
}

/// The figures of one result.json the summary shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub level: String,
    pub required: String,
    pub passed: bool,
    pub complete: bool,
    pub score: f64,
    pub(crate) tth_p99_ms: Option<f64>,
    pub lost: u64,
    /// Why the run was no verdict on the app (a contended host), if so.
    pub inconclusive: Option<String>,
}

/// Reads the figures of a run folder's result.json (through the one reader, see
/// [`ResultJson::read`]); None when there is none or it is not a result.
pub(crate) fn read_summary(run_dir: &Path) -> Option<Summary> {
    let r = ResultJson::read(&run_dir.join("result.json")).ok()?;
    Some(Summary {
        level: r.certification.level,
        required: r.certification.required,
        passed: r.certification.passed,
        complete: r.complete,
        score: r.certification.score,
        tth_p99_ms: r.time_to_healthy_ms.p99,
        lost: r.faults.iter().map(|f| f.lost_requests).sum(),
        inconclusive: r.certification.inconclusive,
    })
}

/// How a row is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Met its required level, or (anti-pattern) was rightly not certified.
    Ok,
    /// Fell short of its required level.
    FellShort,
    /// An anti-pattern scenario was certified, or ended `untested` (its faults measured
    /// nothing): the harness missed what it should catch.
    DetectorMissed,
    /// No result (runtime failure: Docker, image build, interrupted).
    RunFailed,
    /// Fell short on a contended host on every try: no verdict on the app.
    Inconclusive,
}

impl Row {
    pub fn verdict(&self) -> Verdict {
        let Some(r) = &self.result else {
            return Verdict::RunFailed;
        };
        if self.exit == Some(i32::from(EXIT_RUNTIME)) || self.exit.is_none() {
            return Verdict::RunFailed;
        }
        if self.expect_not_certified {
            match Level::parse(&r.level) {
                Some(Level::NotCertified) if r.complete => Verdict::Ok,
                Some(Level::NotCertified) => Verdict::RunFailed,
                _ => Verdict::DetectorMissed,
            }
        } else if r.passed {
            Verdict::Ok
        } else if self.exit == Some(i32::from(EXIT_INCONCLUSIVE)) {
            Verdict::Inconclusive
        } else {
            Verdict::FellShort
        }
    }
}

/// Whether `name` matches a glob with `*` (any run) and `?` (one character).
pub(crate) fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// Why scenario files or globs name nothing to run (bad input).
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The folder of a glob cannot be listed.
    #[error("cannot read '{}': {source}", dir.display())]
    Folder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A glob matches no file.
    #[error("no scenario file matches '{0}'")]
    NoMatch(String),
}

/// Scenario files named by `patterns`: a path as is, or a glob in its last component
/// (`scenarios/*.toml`). Sorted, without duplicates.
pub(crate) fn resolve(patterns: &[String]) -> Result<Vec<PathBuf>, ResolveError> {
    let mut out = Vec::new();
    for pattern in patterns {
        let path = Path::new(pattern);
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default();
        if !file.contains(['*', '?']) {
            out.push(path.to_path_buf());
            continue;
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let entries = std::fs::read_dir(&dir).map_err(|source| ResolveError::Folder {
            dir: dir.clone(),
            source,
        })?;
        let before = out.len();
        out.extend(
            entries
                .filter_map(|e| e.ok())
                .filter(|e| wildcard(&file, &e.file_name().to_string_lossy()))
                .map(|e| dir.join(e.file_name()))
                .filter(|p| p.is_file()),
        );
        if out.len() == before {
            return Err(ResolveError::NoMatch(pattern.clone()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The summary table (Markdown).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from("| scenario | level | required | passed | score | TTH p99 | lost | verdict |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for row in rows {
        let verdict = match row.verdict() {
            Verdict::Ok if row.expect_not_certified => "ok (not certified, as expected)".to_string(),
            Verdict::Ok => "ok".into(),
            Verdict::FellShort => "**FELL SHORT**".into(),
            Verdict::DetectorMissed
                if row.result.as_ref().and_then(|r| Level::parse(&r.level)) == Some(Level::Untested) =>
            {
                "**UNTESTED, expected not-certified**".into()
            }
            Verdict::DetectorMissed => "**CERTIFIED, expected not-certified**".into(),
            Verdict::Inconclusive => format!(
                "**INCONCLUSIVE** (host contended, {} tries)",
                row.earlier_tries.len() + 1
            ),
            Verdict::RunFailed => format!(
                "**RUN FAILED** (exit {})",
                row.exit.map_or("by signal".into(), |c| c.to_string())
            ),
        };
        let _ = match &row.result {
            Some(r) => writeln!(
                out,
                "| {} | {} | {} | {} | {:.1} | {} | {} | {} |",
                row.scenario,
                r.level,
                r.required,
                yes_no(r.passed),
                r.score,
                r.tth_p99_ms.map_or("—".into(), |v| format!("{v:.0} ms")),
                r.lost,
                verdict
            ),
            None => writeln!(out, "| {} | — | — | — | — | — | — | {} |", row.scenario, verdict),
        };
    }
    for row in rows.iter().filter(|r| !r.earlier_tries.is_empty()) {
        let _ = writeln!(out, "\n{} was retried:", row.scenario);
        for t in &row.earlier_tries {
            let _ = writeln!(out, "- {t}");
        }
    }
    out
}

/// The verdict of a night: 3 on any shortfall, missed detection or regression, else 1
/// on any failed run, else 5 on any scenario inconclusive on every try, else 0.
pub(crate) fn exit_status(rows: &[Row], regressed: bool) -> Exit {
    let verdicts: Vec<Verdict> = rows.iter().map(Row::verdict).collect();
    if regressed
        || verdicts
            .iter()
            .any(|v| matches!(v, Verdict::FellShort | Verdict::DetectorMissed))
    {
        Exit::FellShort
    } else if verdicts.contains(&Verdict::RunFailed) {
        Exit::Problems
    } else if verdicts.contains(&Verdict::Inconclusive) {
        Exit::Inconclusive
    } else {
        Exit::Ok
    }
}

/// One `phoenix run` of a scenario into `dir`: its exit status (None: killed by a signal).
fn run_one(o: &Options, file: &Path, dir: &Path, trials: u32) -> Result<Option<i32>, CommandError> {
    let status = std::process::Command::new(&o.exe)
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(dir)
        .arg("--trials")
        .arg(trials.to_string())
        .stdin(Stdio::null())
        // the run prints its folder on stdout; keep stdout for the summary
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(s) => Ok(s.code()),
        Err(source) => Err(CommandError::Spawn {
            exe: o.exe.clone(),
            source,
        }),
    }
}

/// Runs the night. Prints the summary to stdout and returns the night's verdict.
pub fn run(o: &Options) -> Result<Exit, CommandError> {
    let patterns = if o.scenarios.is_empty() {
        vec![if o.short { SHORT_SCENARIO } else { DEFAULT_SCENARIOS }.to_string()]
    } else {
        o.scenarios.clone()
    };
    let trials = o.trials.unwrap_or(if o.short { 1 } else { DEFAULT_TRIALS });
    let files = resolve(&patterns).map_err(CommandError::Resolve)?;
    // validate everything and check the output folders before running anything
    let scenarios = load_scenarios(&files)?;
    // a new or empty real folder, never a system one: each scenario's run folder is new
    crate::files::output::check_out(&o.out)?;
    std::fs::create_dir_all(&o.out).map_err(|source| CommandError::CreateDir {
        path: o.out.clone(),
        source,
    })?;
    let mut rows = Vec::new();
    for (i, (file, name)) in scenarios.iter().enumerate() {
        eprintln!(
            "phoenix nightly: [{}/{}] {name} ({trials} trial(s))",
            i + 1,
            scenarios.len()
        );
        rows.push(run_with_retries(o, file, name, trials)?);
    }
    let mut summary = format!(
        "# phoenix nightly\n\n{} scenario(s), {trials} trial(s) each, in `{}`.\n\n{}",
        rows.len(),
        o.out.display(),
        table(&rows)
    );
    let regressed = compare_with_baseline(o, &mut summary)?;
    let exit = exit_status(&rows, regressed);
    let _ = write!(
        summary,
        "\n**Result: {}** (exit {})\n",
        match exit {
            Exit::Ok => "every scenario met its expectation, no regression",
            Exit::FellShort => "a scenario fell short or regressed",
            Exit::Inconclusive => "a scenario was inconclusive on every try (host contended)",
            Exit::Problems => "a run failed",
        },
        exit.status()
    );
    RunDir::existing(&o.out).write("summary.md", summary.as_bytes())?;
    print!("{summary}");
    eprintln!("phoenix nightly: wrote {}", o.out.join("summary.md").display());
    Ok(exit)
}

/// Each scenario file validated, with its name; two files of one name are refused (the
/// name names the run folder).
fn load_scenarios(files: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, CommandError> {
    let mut scenarios: Vec<(PathBuf, String)> = Vec::new();
    for f in files {
        let s = Scenario::load(f)?;
        if scenarios.iter().any(|(_, n)| *n == s.name) {
            return Err(CommandError::DuplicateName {
                name: s.name,
                file: f.clone(),
            });
        }
        scenarios.push((f.clone(), s.name));
    }
    Ok(scenarios)
}

/// Runs one scenario into `<out>/<name>`, again while it is inconclusive (at most
/// [`INCONCLUSIVE_RETRIES`] more times), each inconclusive try kept under
/// `<out>/inconclusive/`; its row of the summary.
fn run_with_retries(o: &Options, file: &Path, name: &str, trials: u32) -> Result<Row, CommandError> {
    let dir = o.out.join(name);
    let mut earlier_tries = Vec::new();
    let exit = loop {
        let exit = run_one(o, file, &dir, trials)?;
        let tries = earlier_tries.len() as u32;
        if exit != Some(i32::from(EXIT_INCONCLUSIVE)) || tries >= INCONCLUSIVE_RETRIES {
            break exit;
        }
        // keep the inconclusive try out of the comparison, one level down
        let kept = o.out.join("inconclusive").join(format!("{name}-try{}", tries + 1));
        let why = read_summary(&dir).and_then(|s| s.inconclusive).unwrap_or_default();
        std::fs::create_dir_all(o.out.join("inconclusive"))
            .and_then(|_| std::fs::rename(&dir, &kept))
            .map_err(|source| CommandError::KeepTry {
                path: kept.clone(),
                source,
            })?;
        eprintln!(
            "phoenix nightly: {name} was inconclusive (try {}), running it again",
            tries + 1
        );
        earlier_tries.push(format!("try {}: {why} (`{}`)", tries + 1, kept.display()));
    };
    Ok(Row {
        scenario: name.to_string(),
        exit,
        result: read_summary(&dir),
        expect_not_certified: o.expect_not_certified.iter().any(|g| wildcard(g, name)),
        earlier_tries,
    })
}

/// Appends the comparison with the previous night's folder to the summary (or why there
/// is none); whether recovery regressed. An unreadable baseline is bad input.
fn compare_with_baseline(o: &Options, summary: &mut String) -> Result<bool, CommandError> {
    summary.push_str("\n## Compared with the baseline\n\n");
    match &o.baseline {
        None => summary.push_str("No baseline given (`--baseline`): nothing compared.\n"),
        Some(b) if !b.exists() => {
            let _ = writeln!(
                summary,
                "No baseline at `{}` yet (first night?): nothing compared.",
                b.display()
            );
        }
        Some(b) => match (compare::load(b), compare::load(&o.out)) {
            (Ok(base), Ok(now)) => {
                let c = compare::compare(&base, &now, o.thresholds);
                let _ = writeln!(summary, "Baseline: `{}`.\n", b.display());
                summary.push_str(&compare::markdown(&c));
                return Ok(c.regressed());
            }
            (Err(e), _) => return Err(CommandError::Baseline(e)),
            (_, Err(e)) => {
                let _ = writeln!(summary, "Nothing to compare: {e}");
            }
        },
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
