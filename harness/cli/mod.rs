//! The command line: its arguments (`args.rs`) and what each command does, one file each;
//! errors are printed here as chains; the return value is the process exit status of the
//! CLI contract (`exit.rs`): 0 met, 3 fell short, 2 bad input, 1 runtime.
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
pub mod exit;
pub mod load;
pub mod nightly;
pub mod progress;
mod reports;
mod run;
pub mod zero_config;

pub use args::{escape_lines, usage_error, Cli, Command, ZeroConfigArgs};
pub use reports::{is_reports_dir, rebuild_history, write_reports};

use crate::cli::exit::{EXIT_BAD_INPUT, EXIT_OK, EXIT_RUNTIME};
use crate::report::history;
use crate::scenario::{escape, Scenario};
use std::path::{Path, PathBuf};

pub use run::run_scenario;

/// Runs one CLI command to its exit status.
pub async fn dispatch(command: Command) -> u8 {
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

/// `phoenix list`: every run folder, newest first, with its verdict (the history page's
/// rows, as text).
fn list(reports: &Path) -> u8 {
    let shown = escape(&reports.display().to_string()).into_owned();
    let entries = match history::scan(reports) {
        Ok(e) if e.is_empty() => {
            println!("no runs in {shown}");
            return EXIT_OK;
        }
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
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
        // folder names and result.json values are anyone's: one escape for the terminal
        let line = format!("{}  {summary}", reports.join(&e.dir).display());
        println!("{}", escape(&line));
    }
    EXIT_OK
}

/// `phoenix nightly`: see `nightly.rs`; each scenario runs through this same executable.
fn nightly_cmd(mut options: crate::cli::nightly::Options) -> u8 {
    options.exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("error: cannot find the phoenix executable to run the scenarios: {e}");
            return EXIT_RUNTIME;
        }
    };
    crate::cli::nightly::run(&options)
}
