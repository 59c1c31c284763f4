//! Key/value cache: `PUT`/`GET /cache/{key}`, in a process-wide static map or in Redis.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use redis::AsyncCommands;

use crate::error::AppError;
use crate::redis_conn::RedisConn;
use crate::state::AppState;

/// The "data on a global object" anti-pattern, on purpose: it dies with the process.
static GLOBAL_CACHE: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Where cached values are kept (see `CACHE`).
pub enum CacheStore {
    Global,
    Redis(RedisConn),
}

impl CacheStore {
    pub async fn put(&self, key: &str, value: String) -> Result<(), AppError> {
        match self {
            CacheStore::Global => {
                GLOBAL_CACHE
                    .lock()
                    .expect("cache poisoned")
                    .insert(key.to_string(), value);
                Ok(())
            }
            CacheStore::Redis(conn) => {
                let k = format!("cache:{key}");
                conn.run("SET cache", |mut c| async move { c.set::<_, _, ()>(k, value).await })
                    .await
            }
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, AppError> {
        match self {
            CacheStore::Global => Ok(GLOBAL_CACHE.lock().expect("cache poisoned").get(key).cloned()),
            CacheStore::Redis(conn) => {
                let k = format!("cache:{key}");
                conn.run("GET cache", |mut c| async move { c.get::<_, Option<String>>(k).await })
                    .await
            }
        }
    }
}

/// `PUT /cache/{key}` with a text body: 204.
pub async fn put(State(state): State<AppState>, Path(key): Path<String>, body: String) -> Result<StatusCode, AppError> {
    state.cache.put(&key, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /cache/{key}`: the stored text, 404 if missing.
pub async fn get(State(state): State<AppState>, Path(key): Path<String>) -> Result<String, AppError> {
    state.cache.get(&key).await?.ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn global_round_trip() {
        let store = CacheStore::Global;
        assert_eq!(store.get("test-missing").await.unwrap(), None);
        store.put("test-k", "v1".into()).await.unwrap();
        store.put("test-k", "v2".into()).await.unwrap();
        assert_eq!(store.get("test-k").await.unwrap().as_deref(), Some("v2"));
    }
}
