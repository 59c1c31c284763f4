//! What each CLI command does. Errors are printed here as chains; the return value is the
//! process exit status of the CLI contract: 0 met, 3 fell short, 2 bad input, 1 runtime.

use crate::backend::docker::{connect, remove_labelled};
use crate::backend::{labels, Backend};
use crate::cli::Command;
use crate::execute::{self, Live};
use crate::exit::{EXIT_BAD_INPUT, EXIT_FELL_SHORT, EXIT_OK, EXIT_RUNTIME};
use crate::output::RunDir;
use crate::record::{Abort, AbortKind, RunRecord};
use crate::report::{history, hlog, html, json, junit, markdown, Report};
use crate::scenario::{plan::Plan, Scenario};
use crate::{clean, progress};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs one CLI command to its exit status.
pub async fn dispatch(command: Command) -> u8 {
    match command {
        Command::Run {
            scenario,
            out,
            trials,
            rebuild,
            reports,
        } => run(&scenario, out.as_deref(), trials, rebuild, &reports).await,
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Report { run_dir } => report(&run_dir),
        Command::Clean { dry_run } => clean_cmd(dry_run).await,
        Command::List { reports } => list(&reports),
        Command::Load(opts) => crate::load_cli::run(opts).await,
        Command::Doctor { scenarios, build } => crate::doctor::doctor(&scenarios, build).await,
        Command::Compare {
            baseline,
            candidate,
            max_slowdown,
            alpha,
        } => crate::compare::run(
            &baseline,
            &candidate,
            crate::compare::Thresholds { alpha, max_slowdown },
        ),
        Command::Nightly {
            out,
            baseline,
            trials,
            scenarios,
            expect_not_certified,
            short,
            max_slowdown,
            alpha,
        } => nightly_cmd(crate::nightly::Options {
            out,
            baseline,
            trials,
            scenarios,
            expect_not_certified,
            short,
            thresholds: crate::compare::Thresholds { alpha, max_slowdown },
            exe: PathBuf::new(),
        }),
    }
}

fn validate(paths: &[PathBuf]) -> u8 {
    let mut code = EXIT_OK;
    for p in paths {
        match Scenario::load(p) {
            Ok(s) => {
                println!(
                    "{}: ok ({} replica(s), {} fault(s), {} req/s for {:?})",
                    crate::scenario::escape(&p.display().to_string()),
                    s.app.replicas.len(),
                    s.faults.len(),
                    s.load.rate,
                    s.load.duration
                );
                // a scenario runs code on the host, like a Makefile: say which
                for (command, folder) in s.host_commands() {
                    println!(
                        "  will run on this host: {} (in {})",
                        crate::scenario::escape(&command),
                        crate::scenario::escape(&folder.display().to_string())
                    );
                }
                // the compose lint (already escaped): what keeps the app from being a phoenix
                for w in &s.warnings {
                    println!("  warning: {w}");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                code = EXIT_BAD_INPUT;
            }
        }
    }
    code
}

fn timestamp() -> (String, String) {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_else(|_| "run".into());
    let rfc = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    (stamp, rfc)
}

/// How long an interrupted run may take to stop, tear down and write its report before
/// the process removes the run's objects by label and exits anyway.
const INTERRUPT_GRACE: Duration = Duration::from_secs(60);
/// Bound for the last-resort removal by label on a forced exit.
const FORCED_CLEANUP: Duration = Duration::from_secs(15);

/// Cancels `token` on SIGINT or SIGTERM; the run then stops, tears down and writes what it
/// measured. One signal is enough. A second signal, or the run not finishing within
/// [`INTERRUPT_GRACE`] of the first, removes every object of `run_id` by label (bounded)
/// and exits with status 1 at once.
fn cancel_on_signals(token: CancellationToken, run_id: String) {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut int, mut term) = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(i), Ok(t)) => (i, t),
        // the default actions stay: the process dies and `phoenix clean` reaps its objects
        _ => return,
    };
    tokio::spawn(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        eprintln!("phoenix: interrupted; removing this run's containers and writing what was measured");
        token.cancel();
        tokio::select! {
            _ = int.recv() => eprintln!("phoenix: interrupted again; removing this run's containers and exiting now"),
            _ = term.recv() => eprintln!("phoenix: terminated again; removing this run's containers and exiting now"),
            _ = tokio::time::sleep(INTERRUPT_GRACE) => eprintln!(
                "phoenix: the run did not stop within {} s of the signal; removing its containers and exiting",
                INTERRUPT_GRACE.as_secs()
            ),
        }
        crate::backend::process::kill_all(); // a process run's replicas and folders
        let label = format!("{}={run_id}", labels::RUN);
        let forced = async {
            if let Ok(docker) = connect().await {
                // a swarm run's services first (else swarm restarts their tasks); swarm
                // mode left if this process entered it
                crate::backend::swarm::forced_cleanup(&docker, &label).await;
                remove_labelled(&docker, &label).await;
            }
        };
        if tokio::time::timeout(FORCED_CLEANUP, forced).await.is_err() {
            eprintln!("warning: could not remove every object of run {run_id}; run `phoenix clean`");
        }
        std::process::exit(i32::from(EXIT_RUNTIME));
    });
}

/// Removes the folders a run created for its report when it ends before measuring
/// anything: `created` and its ancestors up to (not including) the first one that
/// existed before. Only empty folders are removed.
fn discard_run_dir(created: &Path, first_new: Option<&Path>) {
    let Some(top) = first_new else { return };
    let mut dir = Some(created);
    while let Some(d) = dir {
        // a reports folder this run created holds only its marker
        let _ = std::fs::remove_file(d.join(crate::output::REPORTS_MARKER));
        if std::fs::remove_dir(d).is_err() || d == top {
            break;
        }
        dir = d.parent();
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

async fn run(path: &Path, out: Option<&Path>, trials: Option<u32>, rebuild: bool, reports: &Path) -> u8 {
    let scenario = match Scenario::load(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
    let plan = Plan::new(&scenario, trials);
    if let Some(why) = trials.and_then(|_| crate::scenario::request_budget_problem(&scenario.load, plan.trials)) {
        eprintln!("error: --trials {}: {why}\n  hint: run fewer trials", plan.trials);
        return EXIT_BAD_INPUT;
    }
    let (stamp, started_at) = timestamp();
    // what creating the run folder adds, to take it back if the run ends before measuring
    let first_new = first_missing(out.unwrap_or(reports));
    let dir = match out {
        Some(o) => RunDir::at(o),
        None => RunDir::create_unique(reports, &stamp, &scenario.name),
    };
    let dir = match dir {
        Ok(d) => d,
        Err(e @ crate::output::OutputError::Exists { .. }) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    let first_new = match out {
        Some(_) => first_new,
        None => first_new.or_else(|| Some(dir.path.clone())),
    };
    let run_id = format!("{stamp}-{}-{}", std::process::id(), &scenario.name);
    // signals count from here: an interrupted image build still exits 1 and tidies up
    let cancel = CancellationToken::new();
    cancel_on_signals(cancel.clone(), run_id.clone());
    let backend: Arc<dyn Backend> = match crate::deployment::backend(&scenario, &run_id).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            discard_run_dir(&dir.path, first_new.as_deref()); // empty: nothing was measured
            return EXIT_RUNTIME;
        }
    };
    let mut record = RunRecord::new(run_id, started_at, scenario.clone(), plan);
    record.environment.phoenix_version = env!("CARGO_PKG_VERSION").into();
    record.environment.host = labels::host();
    match backend.describe().await {
        Ok((name, version)) => {
            record.environment.backend = name;
            record.environment.engine_version = version;
        }
        Err(e) => {
            eprintln!("error: {e}");
            discard_run_dir(&dir.path, first_new.as_deref());
            return EXIT_RUNTIME;
        }
    }
    let images = crate::deployment::images(&scenario, rebuild); // none on the process backend
    if !images.is_empty() {
        eprintln!("phoenix: preparing images for '{}'", scenario.name);
    }
    match backend.ensure_images(&images).await {
        Ok(images) => record.environment.images = images,
        Err(e) => {
            eprintln!("error: {e}");
            discard_run_dir(&dir.path, first_new.as_deref());
            return EXIT_RUNTIME;
        }
    }
    if cancel.is_cancelled() {
        eprintln!("error: interrupted before the run started");
        discard_run_dir(&dir.path, first_new.as_deref());
        return EXIT_RUNTIME;
    }
    // a raw record marked incomplete from the start: a run that dies midway leaves it
    if let Ok(bytes) = serde_json::to_vec(&record) {
        let _ = dir.write("record.json", &bytes);
    }
    let live = Arc::new(Live::default());
    let bar = progress::start(live.clone(), record.plan.clone(), record.scenario.load.rate);
    // the run goes on its own task so that a panic in it still reaches the teardown below
    let task = {
        let (backend, live, cancel) = (backend.clone(), live.clone(), cancel.clone());
        let mut record = record.clone();
        tokio::spawn(async move {
            execute::run(backend.as_ref(), &mut record, &live, &cancel).await;
            record
        })
    };
    let record = match task.await {
        Ok(r) => r,
        Err(e) => {
            record.aborted = Some(Abort::new(AbortKind::Runtime, format!("the run crashed: {e}")));
            record
        }
    };
    if let Err(e) = backend.teardown().await {
        eprintln!("warning: {e}");
    }
    bar.finish();
    let report = Report::build(record);
    if let Err(e) = write_reports(&dir, &report) {
        eprintln!("error: {e}");
        return EXIT_RUNTIME;
    }
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
    match &report.record.aborted {
        Some(a) if a.kind != AbortKind::App => {
            eprintln!("error: run stopped early: {}", a.reason);
            EXIT_RUNTIME
        }
        _ if c.passed => EXIT_OK,
        _ => EXIT_FELL_SHORT,
    }
}

/// Writes every report file of a run folder, each atomically, then rebuilds the history
/// page of the reports folder that holds it (when it is one, see [`is_reports_dir`]).
pub fn write_reports(dir: &RunDir, report: &Report) -> Result<(), Box<dyn std::error::Error>> {
    dir.write("record.json", &json::record(report)?)?;
    dir.write("result.json", &json::result(report)?)?;
    dir.write("index.html", &html::render(report)?)?;
    dir.write("summary.md", &markdown::render(report)?)?;
    dir.write("junit.xml", &junit::render(report)?)?;
    dir.write("latency.hlog", &hlog::render(report)?)?;
    if let Some(parent) = dir.path.parent().filter(|p| is_reports_dir(p)) {
        // the run's own files are written: a history page that cannot be rebuilt is a warning
        if let Err(e) = rebuild_history(parent) {
            eprintln!("warning: {e}");
        }
    }
    Ok(())
}

/// Whether `dir` is a folder of run folders: it carries the marker `phoenix run` leaves
/// there, or a history page, or it is named `reports`.
pub fn is_reports_dir(dir: &Path) -> bool {
    if dir.as_os_str().is_empty() {
        return false;
    }
    dir.join(crate::output::REPORTS_MARKER).is_file()
        || std::fs::read_to_string(dir.join("index.html")).is_ok_and(|t| t.contains(history::GENERATOR))
        || dir.file_name().is_some_and(|n| n == "reports")
}

/// Rewrites `<reports_dir>/index.html`, the history page of every run folder in it. Broken
/// or partial run folders are listed as such; only an unreadable folder or a failed write
/// is an error. Returns the number of runs listed.
pub fn rebuild_history(reports_dir: &Path) -> Result<usize, Box<dyn std::error::Error>> {
    let entries = history::scan(reports_dir).map_err(|e| format!("cannot read '{}': {e}", reports_dir.display()))?;
    let page = history::render(&entries)?;
    crate::output::write_atomic(&reports_dir.join("index.html"), &page)?;
    Ok(entries.len())
}

/// Whether `dir` holds at least one run folder (a subfolder with a record.json or result.json).
fn holds_run_folders(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .any(|p| p.join("record.json").is_file() || p.join("result.json").is_file())
    })
}

/// `phoenix report <dir>`: re-renders a run folder from its record.json (and the history
/// page of the reports folder holding it); given a reports folder instead (no record.json,
/// but run folders inside), rebuilds its history page.
fn report(run_dir: &Path) -> u8 {
    let path = run_dir.join("record.json");
    if !path.exists() && holds_run_folders(run_dir) {
        return match rebuild_history(run_dir) {
            Ok(n) => {
                println!("{}", run_dir.join("index.html").display());
                eprintln!("phoenix: listed {n} run folder(s)");
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_RUNTIME
            }
        };
    }
    let record: RunRecord = match std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: cannot read '{}': {e}\n  hint: give a run folder written by `phoenix run`, or a reports folder holding run folders",
                path.display()
            );
            return EXIT_BAD_INPUT;
        }
    };
    let report = Report::build(record);
    match write_reports(&RunDir::existing(run_dir), &report) {
        Ok(()) => {
            println!("{}", run_dir.display());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_RUNTIME
        }
    }
}

async fn clean_cmd(dry_run: bool) -> u8 {
    let docker = match connect().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    let orphans = match clean::find(&docker).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    for o in &orphans {
        println!(
            "{}{} {} ({}) of run {} owned by dead process {}",
            if dry_run { "would remove " } else { "removing " },
            o.kind,
            o.name,
            &o.id[..o.id.len().min(12)],
            o.run,
            o.owner
        );
    }
    if orphans.is_empty() {
        println!("nothing to remove");
    } else if !dry_run {
        let n = clean::remove(&docker, &orphans).await;
        println!("removed {n} of {} orphaned object(s)", orphans.len());
        if n < orphans.len() {
            eprintln!(
                "error: {} object(s) could not be removed\n  hint: see `docker ps -a --filter label={}`, then run `phoenix clean` again",
                orphans.len() - n,
                labels::RUN
            );
            return EXIT_RUNTIME;
        }
    }
    EXIT_OK
}

/// `phoenix list`: every run folder, newest first, with its verdict (the history page's
/// rows, as text).
fn list(reports: &Path) -> u8 {
    let entries = match history::scan(reports) {
        Ok(e) if !e.is_empty() => e,
        _ => {
            println!("no runs in {}", reports.display());
            return EXIT_OK;
        }
    };
    for e in entries {
        let summary = match &e.run {
            history::RunState::Broken { reason } => format!("broken: {reason}"),
            history::RunState::Complete { result: r } | history::RunState::Partial { result: r } => {
                let partial = if r.complete { "" } else { "  (partial)" };
                format!(
                    "{:<14} score {:>5.1}  TTH p99 {:>8}  lost {:>6}{partial}",
                    r.certification.level,
                    r.certification.score,
                    r.time_to_healthy_ms.p99.map_or("—".into(), |v| format!("{v:.0} ms")),
                    r.faults.iter().map(|f| f.lost_requests).sum::<u64>()
                )
            }
        };
        println!("{}  {summary}", reports.join(&e.dir).display());
    }
    EXIT_OK
}

/// `phoenix nightly`: see `nightly.rs`; each scenario runs through this same executable.
fn nightly_cmd(mut options: crate::nightly::Options) -> u8 {
    options.exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("error: cannot find the phoenix executable to run the scenarios: {e}");
            return EXIT_RUNTIME;
        }
    };
    crate::nightly::run(&options)
}
