//! What a fake instance runs: after its scripted boot it binds the replica's loopback port
//! and answers every HTTP/1.1 request with the scripted status, keeping connections alive
//! as the demo does. Every connection is a task of the instance's own `JoinSet`, so
//! aborting the instance (a kill) closes every connection at once, as a dead process's
//! would be. While frozen (a pause, a disconnect) nothing is accepted or answered: the
//! kernel's backlog takes the connects and clients wait, as they do on a SIGSTOPped app.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Largest request head (and body) a fake instance reads; a longer one closes the connection.
const MAX_REQUEST: usize = 64 * 1024;

/// Boots, binds `port` and serves until aborted. `frozen` true holds every answer.
pub(super) async fn instance(port: u16, boot: Duration, status: u16, frozen: watch::Receiver<bool>) {
    tokio::time::sleep(boot).await;
    let Ok(listener) = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await else {
        tracing::error!("fake instance: port {port} is taken");
        return;
    };
    let mut connections = JoinSet::new();
    loop {
        thawed(&frozen).await;
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(connection(stream, status, frozen.clone()));
        // reap finished connections so a long run does not hold their results
        while connections.try_join_next().is_some() {}
    }
}

/// Waits while the instance is frozen.
async fn thawed(frozen: &watch::Receiver<bool>) {
    let mut f = frozen.clone();
    let _ = f.wait_for(|frozen| !frozen).await;
}

/// Answers requests on one connection until the client closes it or sends garbage.
async fn connection(mut stream: TcpStream, status: u16, frozen: watch::Receiver<bool>) {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let Some(len) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        buf.drain(..len);
        thawed(&frozen).await;
        let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nok");
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Reads one whole request (head and `content-length` body) into `buf`; its length.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(len) = request_len(buf) {
            if buf.len() >= len {
                return Some(len);
            }
        }
        if buf.len() > MAX_REQUEST {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The length of the request at the start of `buf` (head and body), once its head is whole.
fn request_len(buf: &[u8]) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let body = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Some(end + body.min(MAX_REQUEST))
}

#[cfg(test)]
mod tests {
    use super::request_len;

    #[test]
    fn a_request_is_its_head_and_its_body() {
        assert_eq!(request_len(b"GET / HTTP/1.1\r\n\r\n"), Some(18));
        assert_eq!(request_len(b"GET / HTTP/1.1\r\nHost: x"), None);
        let put = b"PUT /k HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        assert_eq!(request_len(put), Some(put.len()));
    }
}
