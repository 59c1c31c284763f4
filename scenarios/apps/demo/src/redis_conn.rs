//! Lazily connected Redis handle shared by the Redis-backed stores; failures map to 503.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::AppError;

/// Upper bound for one Redis operation, reconnect attempts included.
const OP_TIMEOUT: Duration = Duration::from_secs(3);

/// A [`ConnectionManager`] that is created without connecting, so the app boots (and
/// `/health` answers) while Redis is still down; it connects on first use and
/// reconnects by itself after Redis restarts (resolving the host name again).
#[derive(Clone)]
pub struct RedisConn {
    manager: ConnectionManager,
}

impl RedisConn {
    pub fn new(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("REDIS_URL={url:?}: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("redis connection manager: {e}"))?;
        Ok(RedisConn { manager })
    }

    /// Runs one operation on a clone of the managed connection; any Redis error
    /// or a timeout becomes [`AppError::Unavailable`] (503).
    pub async fn run<T, F, Fut>(&self, what: &str, op: F) -> Result<T, AppError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(OP_TIMEOUT, op(self.manager.clone())).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(AppError::Unavailable(format!("redis {what}: {e}"))),
            Err(_) => Err(AppError::Unavailable(format!(
                "redis {what}: timed out after {OP_TIMEOUT:?}"
            ))),
        }
    }
}
