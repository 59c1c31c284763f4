//! `phoenix run`: one scenario, through the shared setup ([`crate::cli::bootstrap`]), executed,
//! torn down, and reported into its run folder.

use super::reports::write_reports;
use crate::backend::Backend;
use crate::cli::bootstrap::{self, Prepared, Started};
use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::cli::progress;
use crate::execute::{self, Live};
use crate::files::output::RunDir;
use crate::record::{AbortKind, RunRecord};
use crate::report::Report;
use crate::scenario::{plan::Plan, Scenario};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What a run added to disk before it measured anything, taken back when it ends there
/// (no run folder is left holding only `scenario.toml` or a record of nothing): the files it
/// wrote, then the folders it created, `dir` and its ancestors up to (not including) the
/// first that existed before. Only empty folders are removed; a folder the user gave is
/// left, empty.
struct Provisional {
    dir: PathBuf,
    first_new: Option<PathBuf>,
    saved: bool,
}

impl Provisional {
    /// Takes back what the run added, and passes on the error that ended it there.
    fn fail(&self, e: CommandError) -> CommandError {
        self.discard();
        e
    }

    fn discard(&self) {
        if self.saved {
            let _ = std::fs::remove_file(self.dir.join("scenario.toml"));
        }
        let _ = std::fs::remove_file(self.dir.join("record.json"));
        let Some(top) = self.first_new.as_deref() else { return };
        let mut dir = Some(self.dir.as_path());
        while let Some(d) = dir {
            // a reports folder this run created holds only its marker
            let _ = std::fs::remove_file(d.join(crate::files::output::REPORTS_MARKER));
            if std::fs::remove_dir(d).is_err() || d == top {
                break;
            }
            dir = d.parent();
        }
    }
}

/// The outermost folder of `path` that does not exist yet (what creating it would add).
fn first_missing(path: &Path) -> Option<PathBuf> {
    let mut first = None;
    let mut p = Some(path);
    while let Some(d) = p {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        first = Some(d.to_path_buf());
        p = d.parent();
    }
    first
}

pub(super) async fn run(
    path: &Path,
    out: Option<&Path>,
    trials: Option<u32>,
    rebuild: bool,
    reports: &Path,
) -> Result<Exit, CommandError> {
    let s = Scenario::load(path)?;
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    run_scenario(s, false, out, trials, rebuild, reports).await
}

/// Runs a validated scenario into a run folder (`phoenix run`'s path); with `save`, its
/// text is first written to the folder as `scenario.toml`, which becomes its source
/// (`phoenix certify`, whose scenario has no file of its own).
pub async fn run_scenario(
    mut scenario: Scenario,
    save: bool,
    out: Option<&Path>,
    trials: Option<u32>,
    rebuild: bool,
    reports: &Path,
) -> Result<Exit, CommandError> {
    let plan = Plan::new(&scenario, trials);
    if let Some(why) = trials.and_then(|_| crate::scenario::request_budget_problem(&scenario.load, plan.trials)) {
        return Err(CommandError::Trials {
            trials: plan.trials,
            why,
        });
    }
    let started = Started::now();
    let (dir, provisional) = open_run_dir(&mut scenario, save, out, reports, &started)?;
    let run_id = started.run_id(&scenario.name);
    // signals count from here: an interrupted image build still exits 1 and tidies up
    let cancel = CancellationToken::new();
    bootstrap::cancel_on_signals(cancel.clone(), run_id.clone());
    let prepared = bootstrap::prepare(&scenario, &run_id, rebuild).await;
    // nothing was measured: take the run folder back
    let Prepared { backend, environment } = prepared.map_err(|e| provisional.fail(CommandError::Backend(e)))?;
    let mut record = RunRecord::new(run_id, started.rfc3339, scenario.clone(), plan);
    record.environment = environment;
    if cancel.is_cancelled() {
        return Err(provisional.fail(CommandError::Interrupted));
    }
    // a raw record marked incomplete from the start: a run that dies midway leaves it
    if let Ok(bytes) = serde_json::to_vec(&record) {
        let _ = dir.write("record.json", &bytes);
    }
    let record = measure(backend, record, &cancel).await;
    if let Some(why) = measured_nothing(&record) {
        // e.g. the app could not be started: nothing to report
        return Err(provisional.fail(CommandError::MeasuredNothing {
            reason: why.to_string(),
        }));
    }
    report_run(&dir, Report::build(record))
}

/// The run folder (`out`, or a new one in `reports`), with what creating it added (to take
/// back if the run ends before measuring); with `save`, the scenario's text written in it
/// as `scenario.toml`, which becomes the scenario's source.
fn open_run_dir(
    scenario: &mut Scenario,
    save: bool,
    out: Option<&Path>,
    reports: &Path,
    started: &Started,
) -> Result<(RunDir, Provisional), CommandError> {
    let first_new = first_missing(out.unwrap_or(reports));
    let dir = match out {
        Some(o) => RunDir::at(o)?,
        None => RunDir::create_unique(reports, &started.stamp, &scenario.name)?,
    };
    let provisional = Provisional {
        dir: dir.path.clone(),
        first_new: match out {
            Some(_) => first_new,
            None => first_new.or_else(|| Some(dir.path.clone())),
        },
        saved: save,
    };
    if save {
        let file = dir.path.join("scenario.toml");
        if let Err(e) = dir.write("scenario.toml", scenario.text.as_bytes()) {
            return Err(provisional.fail(e.into()));
        }
        scenario.source = file;
    }
    Ok((dir, provisional))
}

/// Executes the run with the progress line on, then tears the backend down
/// ([`execute::run_to_end`]: a panic in the run becomes an abort).
async fn measure(backend: Arc<dyn Backend>, record: RunRecord, cancel: &CancellationToken) -> RunRecord {
    let live = Arc::new(Live::default());
    let bar = progress::start(live.clone(), record.plan.clone());
    let (record, teardown) = execute::run_to_end(backend, record, live, cancel.clone()).await;
    if let Err(e) = teardown {
        eprintln!("warning: {e}");
    }
    bar.finish();
    record
}

/// Writes the run's reports into `dir`, prints its folder and verdict, and returns the
/// verdict (a run stopped early for a reason other than the app is a failure).
fn report_run(dir: &RunDir, report: Report) -> Result<Exit, CommandError> {
    write_reports(dir, &report).map_err(CommandError::Reports)?;
    println!("{}", dir.path.display());
    let c = &report.certification;
    eprintln!(
        "phoenix: {} — level {} (score {:.1}), required {}: {}",
        report.record.scenario.name,
        c.level,
        c.score,
        c.required,
        if c.passed { "met" } else { "NOT met" }
    );
    eprintln!("phoenix: {}", report.analysis.contention.line());
    if let Some(why) = &c.inconclusive {
        eprintln!("phoenix: {why}");
    }
    match &report.record.aborted {
        Some(a) if a.kind != AbortKind::App => Err(CommandError::StoppedEarly {
            reason: a.reason.clone(),
        }),
        _ if c.passed => Ok(Exit::Ok),
        _ if c.inconclusive.is_some() => Ok(Exit::Inconclusive),
        _ => Ok(Exit::FellShort),
    }
}

/// Why a run measured nothing, when it stopped before any trial's app was deployed (a
/// program that cannot be started, an engine that refused the deployment, an interrupt):
/// there is no report to write. An app deployed but never healthy is a measurement (exit 3).
fn measured_nothing(record: &RunRecord) -> Option<&str> {
    let aborted = record.aborted.as_ref().filter(|a| a.kind != AbortKind::App)?;
    let deployed = record.trials.iter().any(|t| t.origin_unix_us != 0);
    (!deployed).then_some(aborted.reason.as_str())
}
