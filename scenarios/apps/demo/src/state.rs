//! Shared application state: the three stores, built from the configuration.

use std::sync::Arc;

use crate::cache::CacheStore;
use crate::config::{CacheMode, Config, SessionMode};
use crate::redis_conn::RedisConn;
use crate::sessions::SessionStore;
use crate::uploads::UploadStore;

#[derive(Clone)]
pub struct AppState {
    pub sessions: Arc<SessionStore>,
    pub uploads: Arc<UploadStore>,
    pub cache: Arc<CacheStore>,
}

impl AppState {
    /// Creates the stores (and their directories). Redis is not contacted here.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let redis = if config.uses_redis() {
            Some(RedisConn::new(&config.redis_url, config.redis_reconnect)?)
        } else {
            None
        };
        let sessions = match config.sessions {
            SessionMode::Memory => SessionStore::memory(),
            SessionMode::File => SessionStore::file(config.session_dir.clone())
                .map_err(|e| format!("SESSION_DIR {}: {e}", config.session_dir.display()))?,
            SessionMode::Redis => SessionStore::Redis(redis.clone().expect("redis configured")),
        };
        let upload_dir = config.upload_dir().to_path_buf();
        let uploads =
            UploadStore::new(upload_dir.clone()).map_err(|e| format!("upload dir {}: {e}", upload_dir.display()))?;
        let cache = match config.cache {
            CacheMode::Global => CacheStore::Global,
            CacheMode::Redis => CacheStore::Redis(redis.expect("redis configured")),
        };
        Ok(AppState {
            sessions: Arc::new(sessions),
            uploads: Arc::new(uploads),
            cache: Arc::new(cache),
        })
    }
}
