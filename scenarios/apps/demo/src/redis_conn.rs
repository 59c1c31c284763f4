//! Lazily connected Redis handle shared by the Redis-backed stores; failures map to 503.

use std::future::Future;
use std::sync::Arc;
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
#[derive(Clone)]
pub struct RedisConn {
    manager: ConnectionManager,
    once: Option<Arc<(redis::Client, OnceCell<MultiplexedConnection>)>>,
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
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| format!("redis connection manager: {e}"))?;
        let once = (!reconnect).then(|| Arc::new((client, OnceCell::new())));
        Ok(RedisConn { manager, once })
    }

    /// The connection to run on: the managed one, or the one made on first use.
    async fn conn(&self) -> redis::RedisResult<Conn> {
        let Some(once) = &self.once else {
            return Ok(Conn::Managed(self.manager.clone()));
        };
        let (client, cell) = &**once;
        let c = cell
            .get_or_try_init(|| client.get_multiplexed_async_connection())
            .await?;
        Ok(Conn::Once(c.clone()))
    }

    /// Runs one operation on the connection; any Redis error or a timeout becomes
    /// [`AppError::Unavailable`] (503).
    pub async fn run<T, F, Fut>(&self, what: &str, op: F) -> Result<T, AppError>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let call = async { op(self.conn().await?).await };
        match tokio::time::timeout(OP_TIMEOUT, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(AppError::Unavailable(format!("redis {what}: {e}"))),
            Err(_) => Err(AppError::Unavailable(format!(
                "redis {what}: timed out after {OP_TIMEOUT:?}"
            ))),
        }
    }
}
