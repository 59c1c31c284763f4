//! What each CLI command does. Errors are printed here as chains; the return value is the
//! process exit status of the CLI contract: 0 met, 3 fell short, 2 bad input, 1 runtime.

use crate::backend::docker::{connect, DockerBackend};
use crate::backend::{labels, Backend};
use crate::cli::Command;
use crate::execute::{self, Live};
use crate::output::RunDir;
use crate::record::{Abort, AbortKind, RunRecord};
use crate::report::{html, json, Report};
use crate::scenario::{plan::Plan, Scenario};
use crate::{clean, progress};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub const EXIT_OK: u8 = 0;
pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_FELL_SHORT: u8 = 3;

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
    }
}

fn validate(paths: &[PathBuf]) -> u8 {
    let mut code = EXIT_OK;
    for p in paths {
        match Scenario::load(p) {
            Ok(s) => println!(
                "{}: ok ({} replica(s), {} fault(s), {} req/s for {:?})",
                p.display(),
                s.app.replicas.len(),
                s.faults.len(),
                s.load.rate,
                s.load.duration
            ),
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

/// Cancels `token` on SIGINT or SIGTERM.
fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("phoenix: interrupted; removing this run's containers and writing what was measured");
        token.cancel();
    });
}

async fn run(path: &Path, out: Option<&Path>, trials: Option<u32>, rebuild: bool, reports: &Path) -> u8 {
    let scenario = match Scenario::load(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let plan = Plan::new(&scenario, trials);
    let (stamp, started_at) = timestamp();
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
    let run_id = format!("{stamp}-{}-{}", std::process::id(), &scenario.name);
    let backend: Arc<dyn Backend> = match DockerBackend::connect(&run_id).await {
        Ok(b) => Arc::new(b),
        Err(e) => {
            eprintln!("error: {e}");
            let _ = std::fs::remove_dir(&dir.path); // empty: nothing was measured
            return EXIT_RUNTIME;
        }
    };
    match clean::reap().await {
        Ok(0) | Err(_) => {}
        Ok(n) => eprintln!("phoenix: removed {n} object(s) left by dead runs"),
    }
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
            return EXIT_RUNTIME;
        }
    }
    eprintln!("phoenix: preparing images for '{}'", scenario.name);
    match backend.ensure_images(&scenario, rebuild).await {
        Ok(images) => record.environment.images = images,
        Err(e) => {
            eprintln!("error: {e}");
            let _ = std::fs::remove_dir(&dir.path);
            return EXIT_RUNTIME;
        }
    }
    // a raw record marked incomplete from the start: a run that dies midway leaves it
    if let Ok(bytes) = serde_json::to_vec(&record) {
        let _ = dir.write("record.json", &bytes);
    }
    let cancel = CancellationToken::new();
    cancel_on_signals(cancel.clone());
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

/// Writes every report file of a run folder.
pub fn write_reports(dir: &RunDir, report: &Report) -> Result<(), Box<dyn std::error::Error>> {
    dir.write("record.json", &json::record(report)?)?;
    dir.write("result.json", &json::result(report)?)?;
    dir.write("index.html", &html::render(report)?)?;
    Ok(())
}

fn report(run_dir: &Path) -> u8 {
    let path = run_dir.join("record.json");
    let record: RunRecord = match std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: cannot read '{}': {e}\n  hint: give a run folder written by `phoenix run`",
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
    if !dry_run {
        let n = clean::remove(&docker, &orphans).await;
        println!("removed {n} of {} orphaned object(s)", orphans.len());
    } else if orphans.is_empty() {
        println!("nothing to remove");
    }
    EXIT_OK
}

fn list(reports: &Path) -> u8 {
    let Ok(entries) = std::fs::read_dir(reports) else {
        println!("no runs in {}", reports.display());
        return EXIT_OK;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.reverse();
    for d in dirs {
        let summary = std::fs::read(d.join("result.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<crate::report::result::ResultJson>(&b).ok())
            .map(|r| {
                format!(
                    "{:<14} score {:>5.1}  TTH p99 {:>8}  lost {:>6}",
                    r.certification.level,
                    r.certification.score,
                    r.time_to_healthy_ms.p99.map_or("—".into(), |v| format!("{v:.0} ms")),
                    r.faults.iter().map(|f| f.lost_requests).sum::<u64>()
                )
            })
            .unwrap_or_else(|| "incomplete or unreadable".into());
        println!("{}  {summary}", d.display());
    }
    EXIT_OK
}
