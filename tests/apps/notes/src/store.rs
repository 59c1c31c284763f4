//! One string key/value store for notes (`n:<key>`) and tokens (`t:<token>`): a mutex-guarded
//! map in the process, or Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;

/// Upper bound for one Redis operation, reconnects included.
const OP_TIMEOUT: Duration = Duration::from_secs(3);

pub fn note_key(key: &str) -> String {
    format!("n:{key}")
}

pub fn token_key(token: &str) -> String {
    format!("t:{token}")
}

pub enum Store {
    Memory(Mutex<HashMap<String, String>>),
    /// Connects on first use and reconnects by itself, so the app boots while Redis is down.
    Redis(ConnectionManager),
}

impl Store {
    pub fn memory() -> Self {
        Store::Memory(Mutex::new(HashMap::new()))
    }

    pub fn redis(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("NOTES_REDIS={url:?}: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("redis connection manager: {e}"))?;
        Ok(Store::Redis(manager))
    }

    /// Err is a message about the unavailable backend.
    pub async fn set(&self, key: String, value: String) -> Result<(), String> {
        match self {
            Store::Memory(map) => {
                map.lock().expect("store poisoned").insert(key, value);
                Ok(())
            }
            Store::Redis(manager) => {
                let mut c = manager.clone();
                bounded("SET", async move { c.set::<_, _, ()>(key, value).await }).await
            }
        }
    }

    pub async fn get(&self, key: String) -> Result<Option<String>, String> {
        match self {
            Store::Memory(map) => Ok(map.lock().expect("store poisoned").get(&key).cloned()),
            Store::Redis(manager) => {
                let mut c = manager.clone();
                bounded("GET", async move { c.get::<_, Option<String>>(key).await }).await
            }
        }
    }
}

async fn bounded<T>(what: &str, op: impl std::future::Future<Output = redis::RedisResult<T>>) -> Result<T, String> {
    match tokio::time::timeout(OP_TIMEOUT, op).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("redis {what}: {e}")),
        Err(_) => Err(format!("redis {what}: timed out after {OP_TIMEOUT:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefixes() {
        assert_eq!(note_key("ab"), "n:ab");
        assert_eq!(token_key("cd"), "t:cd");
    }

    #[tokio::test]
    async fn memory_round_trip() {
        let s = Store::memory();
        assert_eq!(s.get(note_key("x")).await.unwrap(), None);
        s.set(note_key("x"), "one".into()).await.unwrap();
        s.set(note_key("x"), "two".into()).await.unwrap();
        assert_eq!(s.get(note_key("x")).await.unwrap().as_deref(), Some("two"));
        // notes and tokens never collide
        assert_eq!(s.get(token_key("x")).await.unwrap(), None);
    }
}
