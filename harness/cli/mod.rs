//! The command line: its arguments (`args.rs`) and what each command does, one file each.
//! Every command returns `Result<Exit, CommandError>`: its verdict (`exit.rs`: 0 met, 3 fell
//! short, 5 inconclusive) or why it failed (`error.rs`: 2 bad input, 1 runtime), which
//! `main` prints once.
//!
//! - `mod.rs`: dispatch, and the short commands (`validate`, `list`);
//! - `run.rs`: `phoenix run`; `reports.rs`: report files, the history page, `phoenix report`;
//! - `zero_config.rs`: `phoenix certify` and `phoenix init`; `load.rs`: `phoenix load`;
//! - `compare/`, `nightly/`, `doctor/`: `phoenix compare`, `phoenix nightly`, `phoenix doctor`;
//! - `clean.rs`: `phoenix clean`; `progress.rs`: the live progress line.

mod args;
pub mod bootstrap;
mod clean;
pub mod compare;
pub mod doctor;
pub mod error;
pub mod exit;
pub mod load;
pub mod nightly;
pub mod progress;
mod reports;
mod run;
pub mod zero_config;

pub use args::{escape_lines, usage_error, Cli, Command, ZeroConfigArgs};
pub use reports::{is_reports_dir, rebuild_history, write_reports};

use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::report::history;
use crate::scenario::{escape, Scenario};
use std::path::{Path, PathBuf};

pub use run::run_scenario;

/// Runs one CLI command to its verdict, or why it failed.
pub async fn dispatch(command: Command) -> Result<Exit, CommandError> {
    match command {
        Command::Run {
            scenario,
            out,
            trials,
            rebuild,
            reports,
        } => run::run(&scenario, out.as_deref(), trials, rebuild, &reports).await,
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Certify {
            app,
            out,
            reports,
            allow_host_commands,
        } => crate::cli::zero_config::certify(&app, out.as_deref(), &reports, allow_host_commands).await,
        Command::Init { app, file } => crate::cli::zero_config::init(&app, &file),
        Command::Report { run_dir } => reports::report(&run_dir),
        Command::Clean { dry_run } => clean::clean_cmd(dry_run).await,
        Command::List { reports } => list(&reports),
        Command::Load(opts) => crate::cli::load::run(opts).await,
        Command::Doctor { scenarios, build } => crate::cli::doctor::doctor(&scenarios, build).await,
        Command::Compare {
            baseline,
            candidate,
            max_slowdown,
            alpha,
        } => crate::cli::compare::run(
            &baseline,
            &candidate,
            crate::cli::compare::Thresholds { alpha, max_slowdown },
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
        } => nightly_cmd(crate::cli::nightly::Options {
            out,
            baseline,
            trials,
            scenarios,
            expect_not_certified,
            short,
            thresholds: crate::cli::compare::Thresholds { alpha, max_slowdown },
            exe: PathBuf::new(),
        }),
    }
}

/// `phoenix validate`: each file's summary on stdout; every file that does not load is
/// one failure of the command (each printed as its own `error:` line).
fn validate(paths: &[PathBuf]) -> Result<Exit, CommandError> {
    let mut failed = Vec::new();
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
            Err(e) => failed.push(CommandError::Scenario(e)),
        }
    }
    failed.into_iter().reduce(CommandError::then).map_or(Ok(Exit::Ok), Err)
}

/// `phoenix list`: every run folder, newest first, with its verdict (the history page's
/// rows, as text).
fn list(reports: &Path) -> Result<Exit, CommandError> {
    let shown = escape(&reports.display().to_string()).into_owned();
    let entries = history::scan(reports).map_err(CommandError::RunFolders)?;
    if entries.is_empty() {
        println!("no runs in {shown}");
        return Ok(Exit::Ok);
    }
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
        // folder names and result.json values are anyone's: one escape for the terminal
        let line = format!("{}  {summary}", reports.join(&e.dir).display());
        println!("{}", escape(&line));
    }
    Ok(Exit::Ok)
}

/// `phoenix nightly`: see `nightly.rs`; each scenario runs through this same executable.
fn nightly_cmd(mut options: crate::cli::nightly::Options) -> Result<Exit, CommandError> {
    options.exe = std::env::current_exe().map_err(CommandError::CurrentExe)?;
    crate::cli::nightly::run(&options)
}
