//! Process lifecycle: signal handling (we run as PID 1), and the `ready`/`drained` stdout lines.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// Milliseconds since the Unix epoch.
pub fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// When `/health` was first answered, whoever asked: the instant `ready` stands for.
static FIRST_ANSWER_MS: std::sync::OnceLock<u128> = std::sync::OnceLock::new();

/// Called by the health handler as it answers: stamps the first answer. Stamped here, not
/// when `main` learns of it, so that a process held up between the two (a busy host) does
/// not print a `ready` later than answers a client already had.
pub fn answering() {
    FIRST_ANSWER_MS.get_or_init(epoch_ms);
}

/// Prints `ready <epoch ms>`: the first health answer's instant (now, should none be
/// stamped).
pub fn announce_ready() {
    print_line("ready", FIRST_ANSWER_MS.get().copied().unwrap_or_else(epoch_ms));
}

/// Prints one `<word> <epoch ms>` line to stdout and flushes it at once.
pub fn announce(word: &str) {
    print_line(word, epoch_ms());
}

fn print_line(word: &str, ms: u128) {
    let mut out = std::io::stdout().lock();
    // stdout may be closed; nothing sensible to do about it
    let _ = writeln!(out, "{word} {ms}");
    let _ = out.flush();
}

/// Installs SIGTERM/SIGINT handlers. As PID 1 in a container the kernel drops
/// signals that have no handler, so without this `docker stop` waits for SIGKILL.
///
/// With `drain`, the first signal flips the returned channel to `true` (graceful
/// shutdown) and a second one exits at once; without it, the first signal exits
/// at once (code 0) without finishing in-flight requests.
pub fn install_signal_handlers(drain: bool) -> std::io::Result<watch::Receiver<bool>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let mut seen = 0u32;
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            seen += 1;
            if !drain {
                std::process::exit(0);
            }
            if seen > 1 {
                eprintln!("second signal while draining: exiting without finishing requests");
                std::process::exit(1);
            }
            let _ = tx.send(true);
        }
    });
    Ok(rx)
}

/// Resolves once a shutdown has been requested.
pub async fn shutdown_requested(mut rx: watch::Receiver<bool>) {
    // an error means the sender is gone, which never happens while the process runs
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Waits (1 s at most) until the server listening on `addr` answers `GET /health` over
/// loopback: the instant it can serve, which is what `ready` announces.
pub async fn answered_once(addr: std::net::SocketAddr) {
    let mut to = addr;
    if to.ip().is_unspecified() {
        to.set_ip(match to {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let ask = async {
        let mut s = tokio::net::TcpStream::connect(to).await?;
        s.write_all(b"GET /health HTTP/1.1\r\nHost: self\r\nConnection: close\r\n\r\n")
            .await?;
        let mut b = [0u8; 16];
        s.read(&mut b).await
    };
    // no answer within a second: announce anyway, a late line is better than none
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), ask).await;
}
