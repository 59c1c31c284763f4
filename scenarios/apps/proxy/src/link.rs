//! A proxy's listener and its connections: each accepted client gets its own upstream
//! connection (the upstream name resolved anew each time) and two pumps, one per direction.

use crate::pump::{Ending, Pump, ToxicList};
use crate::toxic::Direction;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A bound, accepting proxy. Stopping it closes the listener and every connection.
pub struct Listening {
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Listening {
    pub async fn bind(listen: &str, upstream: &str, toxics: watch::Receiver<ToxicList>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let task = tokio::spawn(accept(listener, upstream.into(), toxics, stop.clone()));
        Ok(Listening { addr, stop, task })
    }

    /// Returns once the listener is closed, so the address can be bound again.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

async fn accept(
    listener: TcpListener,
    upstream: Arc<str>,
    toxics: watch::Receiver<ToxicList>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((client, _)) => {
                tokio::spawn(serve(client, upstream.clone(), toxics.clone(), stop.clone()));
            }
            // out of descriptors and the like: pause rather than spin
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// One client: connect upstream, pump both ways, end as the pumps say.
async fn serve(mut client: TcpStream, upstream: Arc<str>, toxics: watch::Receiver<ToxicList>, stop: CancellationToken) {
    // resolved here, on each connection: the upstream container may have a new address
    let connected = tokio::select! {
        _ = stop.cancelled() => return,
        connected = TcpStream::connect(&*upstream) => connected,
    };
    let Ok(mut server) = connected else {
        // as Toxiproxy does: the client is closed when the upstream cannot be reached
        return;
    };
    // small writes must not wait for Nagle: the proxy must add no latency of its own
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let ending = {
        let (client_read, client_write) = client.split();
        let (server_read, server_write) = server.split();
        let up = Pump::new(client_read, server_write, Direction::Upstream, toxics.clone()).run();
        let down = Pump::new(server_read, client_write, Direction::Downstream, toxics).run();
        both(up, down, &stop).await
    };
    if ending == Ending::Reset {
        // dropped with SO_LINGER 0, each socket sends an RST
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
}

/// Runs both directions: one direction's end-of-stream lets the other go on (half close);
/// a close or a reset, or the proxy's stop, ends both at once.
async fn both(
    up: impl std::future::Future<Output = Ending>,
    down: impl std::future::Future<Output = Ending>,
    stop: &CancellationToken,
) -> Ending {
    tokio::pin!(up, down);
    let (mut up_done, mut down_done) = (false, false);
    loop {
        let ending = tokio::select! {
            ending = &mut up, if !up_done => { up_done = true; ending }
            ending = &mut down, if !down_done => { down_done = true; ending }
            _ = stop.cancelled() => Ending::Close,
        };
        if ending != Ending::Eof || (up_done && down_done) {
            return ending;
        }
    }
}
