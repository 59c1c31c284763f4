//! The `phoenix` binary: builds the runtime, parses the command line, calls the library,
//! prints a failure once (its cause chain, escaped) and exits with the contract's status.

use clap::Parser;
use phoenix_bench::cli::error::CommandError;
use phoenix_bench::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PHOENIX_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(phoenix_bench::cli::usage_error(&e)),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return failed(&CommandError::AsyncRuntime(e)),
    };
    let outcome = runtime.block_on(phoenix_bench::cli::dispatch(cli.command));
    let code = match outcome {
        Ok(exit) => ExitCode::from(exit.status()),
        Err(e) => failed(&e),
    };
    // containers were removed inside the runtime; nothing async may outlive it
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    code
}

/// The one place a failure is printed: `error: ` and its message, then its status.
fn failed(e: &CommandError) -> ExitCode {
    eprintln!("error: {}", e.message());
    ExitCode::from(e.status())
}
