//! Runtime configuration, read once from environment variables.

use std::net::{Ipv4Addr, SocketAddr};

/// Where notes and tokens are kept (`NOTES_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A map inside the process: gone when the process goes.
    Memory,
    /// Redis keys `n:<key>` and `t:<token>`.
    Redis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub store: StoreKind,
    pub redis_url: String,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any variable lookup (pure; used by tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |key: &str| get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let port: u16 = match var("PORT") {
            None => 9000,
            Some(p) => p.parse().map_err(|e| format!("PORT={p:?}: {e}"))?,
        };
        let store = match var("NOTES_STORE").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("memory") => StoreKind::Memory,
            Some("redis") => StoreKind::Redis,
            Some(other) => return Err(format!("NOTES_STORE={other:?}: expected memory or redis")),
        };
        Ok(Config {
            listen: SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
            store,
            redis_url: var("NOTES_REDIS").unwrap_or_else(|| "redis://cache:6379".into()),
        })
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
        assert_eq!(c.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(c.store, StoreKind::Memory);
        assert_eq!(c.redis_url, "redis://cache:6379");
    }

    #[test]
    fn everything_set() {
        let c = parse(&[
            ("PORT", "7001"),
            ("NOTES_STORE", "Redis"),
            ("NOTES_REDIS", "redis://r:1"),
        ])
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:7001".parse().unwrap());
        assert_eq!(c.store, StoreKind::Redis);
        assert_eq!(c.redis_url, "redis://r:1");
        assert_eq!(parse(&[("NOTES_STORE", "memory")]).unwrap().store, StoreKind::Memory);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(parse(&[("PORT", "http")]).is_err());
        assert!(parse(&[("PORT", "70000")]).is_err());
        assert!(parse(&[("NOTES_STORE", "disk")]).is_err());
    }
}
