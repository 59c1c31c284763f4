//! phoenix-proxy entry point: parse the command line, bind everything, say ready, serve
//! until SIGTERM or SIGINT.

use phoenix_proxy::cli::{self, Command};
use std::io::Write;
use tokio::signal::unix::{signal, SignalKind};

fn main() {
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(args)) => args,
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return;
        }
        Err(e) => fatal(&format!("{e}\n{}", cli::USAGE)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fatal(&format!("tokio runtime: {e}")));
    if let Err(e) = runtime.block_on(run(args)) {
        fatal(&e);
    }
    // connections still open must not hold the exit
    runtime.shutdown_background();
}

async fn run(args: cli::Args) -> Result<(), String> {
    // handlers before binding: a SIGTERM during start-up is still honoured
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT: {e}"))?;
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    };
    let running = phoenix_proxy::start(&args.api, args.proxies, shutdown).await?;
    // the one line the harness waits for: every listener is bound
    let mut out = std::io::stdout().lock();
    writeln!(out, "phoenix-proxy ready")
        .and_then(|()| out.flush())
        .map_err(|e| format!("stdout: {e}"))?;
    drop(out);
    running.wait().await
}

fn fatal(msg: &str) -> ! {
    eprintln!("phoenix-proxy: {msg}");
    std::process::exit(2);
}
