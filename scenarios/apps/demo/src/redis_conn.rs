//! Lazily connected Redis handle shared by the Redis-backed stores; failures map to 503.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{Cmd, Pipeline, RedisFuture, Value};
use tokio::sync::OnceCell;

use crate::error::AppError;

/// Upper bound for one Redis operation, reconnect attempts included.
const OP_TIMEOUT: Duration = Duration::from_secs(3);

/// A [`ConnectionManager`] that is created without connecting, so the app boots (and
/// `/health` answers) while Redis is still down; it connects on first use and
/// reconnects by itself after Redis restarts (resolving the host name again).
/// With `reconnect` off, one connection made on first use and kept for good: once Redis
/// restarts every operation fails until the app is restarted (the mistake a dependency
/// fault exists to catch).
///
/// A managed connection whose answers stop coming (a link that drops data: the requests
/// already sent are owed answers that never arrive, and every later one queues behind
/// them) is dropped on a timeout and a fresh one made, as a real client's pool does.
#[derive(Clone)]
pub struct RedisConn {
    client: redis::Client,
    /// The managed connection and its generation: only a timeout on the current one
    /// renews it (the late timeouts of a replaced one must not churn its successor).
    manager: Arc<Mutex<(u64, ConnectionManager)>>,
    once: Option<Arc<OnceCell<MultiplexedConnection>>>,
}

/// The connection an operation runs on.
#[derive(Clone)]
pub enum Conn {
    Managed(ConnectionManager),
    Once(MultiplexedConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Managed(c) => c.req_packed_command(cmd),
            Conn::Once(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Managed(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Once(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Managed(c) => c.get_db(),
            Conn::Once(c) => c.get_db(),
        }
    }
}

impl RedisConn {
    pub fn new(url: &str, reconnect: bool) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("REDIS_URL={url:?}: {e}"))?;
        let manager = Arc::new(Mutex::new((0, managed(&client)?)));
        let once = (!reconnect).then(|| Arc::new(OnceCell::new()));
        Ok(RedisConn { client, manager, once })
    }

    /// The connection to run on, with its generation: the managed one, or the one made on
    /// first use.
    async fn conn(&self) -> redis::RedisResult<(u64, Conn)> {
        let Some(cell) = &self.once else {
            let (generation, m) = &*self.manager.lock().expect("redis lock");
            return Ok((*generation, Conn::Managed(m.clone())));
        };
        let c = cell
            .get_or_try_init(|| self.client.get_multiplexed_async_connection())
            .await?;
        Ok((0, Conn::Once(c.clone())))
    }

    /// After a timeout: a fresh managed connection for the next operations (the one-shot
    /// connection of `REDIS_RECONNECT=false` is kept, on purpose).
    fn renew(&self, generation: u64) {
        if self.once.is_some() {
            return;
        }
        let mut current = self.manager.lock().expect("redis lock");
        if current.0 == generation {
            if let Ok(fresh) = managed(&self.client) {
                *current = (generation + 1, fresh);
            }
        }
    }

    /// Runs one operation on the connection; any Redis error or a timeout becomes
    /// [`AppError::Unavailable`] (503). The operation runs on a task of its own: a client
    /// that gives up drops its request, and the operation must still reach its timeout, or
    /// a connection owed answers that never come would never be renewed.
    pub async fn run<T, F, Fut>(&self, what: &str, op: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(Conn) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let this = self.clone();
        let what = what.to_string();
        let task = tokio::spawn(async move { this.bounded(&what, op).await });
        task.await
            .unwrap_or_else(|e| Err(AppError::Unavailable(format!("redis: {e}"))))
    }

    async fn bounded<T, F, Fut>(&self, what: &str, op: F) -> Result<T, AppError>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let generation = self.manager.lock().expect("redis lock").0;
        let call = async { op(self.conn().await?.1).await };
        match tokio::time::timeout(OP_TIMEOUT, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                if e.is_timeout() {
                    self.renew(generation);
                }
                Err(AppError::Unavailable(format!("redis {what}: {e}")))
            }
            Err(_) => {
                self.renew(generation);
                Err(AppError::Unavailable(format!(
                    "redis {what}: timed out after {OP_TIMEOUT:?}"
                )))
            }
        }
    }
}

/// A managed connection that connects on first use and reconnects after an I/O error,
/// retrying at most 100 ms apart (500 ms made the app's return after a Redis restart take
/// 30-50 ms in some runs and 500-575 ms in others, by where the store's return fell in the
/// backoff).
fn managed(client: &redis::Client) -> Result<ConnectionManager, String> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(100));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
        .map_err(|e| format!("redis connection manager: {e}"))
}
