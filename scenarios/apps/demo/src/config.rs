//! Runtime configuration, read once from environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where login sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    /// A map inside the process: lost on restart, not shared by replicas.
    Memory,
    /// One file per session on the container's own disk.
    File,
    /// Redis keys `session:<sid>`.
    Redis,
}

/// Where uploaded files are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// The container's own disk.
    Local,
    /// A directory meant to be a volume shared by replicas.
    Shared,
}

/// Where the key/value cache lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// A process-wide static map (the "data on a global object" anti-pattern).
    Global,
    /// Redis keys `cache:<key>`.
    Redis,
}

/// Directory for `UPLOADS=local`.
pub const LOCAL_UPLOAD_DIR: &str = "/var/lib/phoenix-demo/uploads";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub startup_delay: Duration,
    pub drain: bool,
    pub sessions: SessionMode,
    pub session_dir: PathBuf,
    pub uploads: UploadMode,
    pub local_upload_dir: PathBuf,
    pub shared_dir: PathBuf,
    pub cache: CacheMode,
    pub redis_url: String,
    /// `BOOT_ONCE=1`: refuse to boot a second time in the same container (see `boot_once`).
    pub boot_once: bool,
    /// `REDIS_RECONNECT=false`: one Redis connection, made on first use and never made
    /// again (an app that stays broken after its store restarts). Default true.
    pub redis_reconnect: bool,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any variable lookup (pure; used by tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |key: &str| get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let listen = var("LISTEN").unwrap_or_else(|| "0.0.0.0:8080".into());
        let listen = listen.parse().map_err(|e| format!("LISTEN={listen:?}: {e}"))?;

        let startup_delay = match var("STARTUP_DELAY_MS") {
            None => Duration::ZERO,
            Some(v) => Duration::from_millis(v.parse().map_err(|e| format!("STARTUP_DELAY_MS={v:?}: {e}"))?),
        };

        let drain = match var("DRAIN").map(|v| v.to_ascii_lowercase()) {
            None => true,
            Some(v) => v != "false",
        };

        let sessions = match var("SESSIONS").as_deref() {
            None | Some("memory") => SessionMode::Memory,
            Some("file") => SessionMode::File,
            Some("redis") => SessionMode::Redis,
            Some(other) => return Err(format!("SESSIONS={other:?}: expected memory, file or redis")),
        };
        let uploads = match var("UPLOADS").as_deref() {
            None | Some("local") => UploadMode::Local,
            Some("shared") => UploadMode::Shared,
            Some(other) => return Err(format!("UPLOADS={other:?}: expected local or shared")),
        };
        let cache = match var("CACHE").as_deref() {
            None | Some("global") => CacheMode::Global,
            Some("redis") => CacheMode::Redis,
            Some(other) => return Err(format!("CACHE={other:?}: expected global or redis")),
        };

        let boot_once = matches!(
            var("BOOT_ONCE").map(|v| v.to_ascii_lowercase()).as_deref(),
            Some("1" | "true" | "yes" | "on")
        );

        Ok(Config {
            listen,
            startup_delay,
            drain,
            sessions,
            session_dir: var("SESSION_DIR")
                .unwrap_or_else(|| "/tmp/phoenix-sessions".into())
                .into(),
            uploads,
            local_upload_dir: LOCAL_UPLOAD_DIR.into(),
            shared_dir: var("SHARED_DIR").unwrap_or_else(|| "/shared/uploads".into()).into(),
            cache,
            redis_url: var("REDIS_URL").unwrap_or_else(|| "redis://redis:6379".into()),
            boot_once,
            redis_reconnect: !matches!(
                var("REDIS_RECONNECT").map(|v| v.to_ascii_lowercase()).as_deref(),
                Some("0" | "false" | "no" | "off")
            ),
        })
    }

    /// The directory uploads go to in the configured mode.
    pub fn upload_dir(&self) -> &std::path::Path {
        match self.uploads {
            UploadMode::Local => &self.local_upload_dir,
            UploadMode::Shared => &self.shared_dir,
        }
    }

    /// Whether any state mode talks to Redis.
    pub fn uses_redis(&self) -> bool {
        self.sessions == SessionMode::Redis || self.cache == CacheMode::Redis
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(c.startup_delay, Duration::ZERO);
        assert!(c.drain);
        assert_eq!(c.sessions, SessionMode::Memory);
        assert_eq!(c.session_dir, PathBuf::from("/tmp/phoenix-sessions"));
        assert_eq!(c.uploads, UploadMode::Local);
        assert_eq!(c.upload_dir(), std::path::Path::new(LOCAL_UPLOAD_DIR));
        assert_eq!(c.shared_dir, PathBuf::from("/shared/uploads"));
        assert_eq!(c.cache, CacheMode::Global);
        assert_eq!(c.redis_url, "redis://redis:6379");
        assert!(!c.uses_redis());
        assert!(!c.boot_once);
        assert!(c.redis_reconnect);
    }

    #[test]
    fn everything_set() {
        let c = parse(&[
            ("LISTEN", "127.0.0.1:9000"),
            ("STARTUP_DELAY_MS", "1500"),
            ("DRAIN", "FALSE"),
            ("SESSIONS", "redis"),
            ("SESSION_DIR", "/s"),
            ("UPLOADS", "shared"),
            ("SHARED_DIR", "/mnt/up"),
            ("CACHE", "redis"),
            ("REDIS_URL", "redis://10.0.0.1:7000"),
            ("BOOT_ONCE", "1"),
            ("REDIS_RECONNECT", "off"),
        ])
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.startup_delay, Duration::from_millis(1500));
        assert!(!c.drain);
        assert_eq!(c.sessions, SessionMode::Redis);
        assert_eq!(c.session_dir, PathBuf::from("/s"));
        assert_eq!(c.upload_dir(), std::path::Path::new("/mnt/up"));
        assert_eq!(c.cache, CacheMode::Redis);
        assert_eq!(c.redis_url, "redis://10.0.0.1:7000");
        assert!(c.uses_redis());
        assert!(c.boot_once);
        assert!(!c.redis_reconnect);
    }

    #[test]
    fn boot_once_values() {
        assert!(parse(&[("BOOT_ONCE", "true")]).unwrap().boot_once);
        assert!(!parse(&[("BOOT_ONCE", "0")]).unwrap().boot_once);
        assert!(!parse(&[("BOOT_ONCE", "")]).unwrap().boot_once);
    }

    #[test]
    fn drain_only_false_disables() {
        assert!(parse(&[("DRAIN", "true")]).unwrap().drain);
        assert!(parse(&[("DRAIN", "0")]).unwrap().drain);
        assert!(parse(&[("DRAIN", "")]).unwrap().drain);
        assert!(!parse(&[("DRAIN", "false")]).unwrap().drain);
    }

    #[test]
    fn file_sessions() {
        assert_eq!(parse(&[("SESSIONS", "file")]).unwrap().sessions, SessionMode::File);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(parse(&[("SESSIONS", "disk")]).is_err());
        assert!(parse(&[("UPLOADS", "s3")]).is_err());
        assert!(parse(&[("CACHE", "memcached")]).is_err());
        assert!(parse(&[("LISTEN", "nope")]).is_err());
        assert!(parse(&[("STARTUP_DELAY_MS", "-5")]).is_err());
    }
}
