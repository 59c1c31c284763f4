//! The proxies by name, each with its toxics and, when enabled, its listener (the shape
//! of Toxiproxy's ProxyCollection).

use crate::error::ApiError;
use crate::link::Listening;
use crate::pump::ToxicList;
use crate::toxic::Toxic;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tokio::sync::{watch, Mutex};

/// One proxy: its configuration as the API shows it, its toxics, its listener if enabled.
struct Entry {
    name: String,
    /// Once bound, the bound address (a port 0 asked for becomes the port chosen, kept
    /// when the proxy is enabled again, as in Toxiproxy).
    listen: String,
    /// Resolved on each new connection, never cached: the upstream may get a new address.
    upstream: String,
    toxics: Vec<Toxic>,
    /// Every connection watches the list and applies changes at once.
    published: watch::Sender<ToxicList>,
    running: Option<Listening>,
}

/// What `POST /proxies` and `--proxy` give.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct NewProxy {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub listen: String,
    #[serde(default)]
    pub upstream: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Default)]
pub struct Registry {
    proxies: Mutex<BTreeMap<String, Entry>>,
}

impl Registry {
    pub async fn create(&self, new: NewProxy) -> Result<Value, ApiError> {
        for (field, value) in [("name", &new.name), ("upstream", &new.upstream)] {
            if value.is_empty() {
                return Err(ApiError::bad_request(format!("missing required field: {field}")));
            }
        }
        let mut proxies = self.proxies.lock().await;
        if proxies.contains_key(&new.name) {
            return Err(ApiError::new(409, "proxy already exists"));
        }
        let listen = if new.listen.is_empty() {
            "127.0.0.1:0".into()
        } else {
            new.listen
        };
        let mut entry = Entry {
            name: new.name.clone(),
            listen,
            upstream: new.upstream,
            toxics: Vec::new(),
            published: watch::Sender::new(ToxicList::from([])),
            running: None,
        };
        if new.enabled {
            entry.start().await?;
        }
        let shown = entry.to_json();
        proxies.insert(new.name, entry);
        Ok(shown)
    }

    pub async fn list(&self) -> Value {
        let proxies = self.proxies.lock().await;
        let map = proxies.iter().map(|(name, e)| (name.clone(), e.to_json()));
        Value::Object(map.collect())
    }

    pub async fn get(&self, name: &str) -> Result<Value, ApiError> {
        let proxies = self.proxies.lock().await;
        proxies
            .get(name)
            .map(Entry::to_json)
            .ok_or_else(ApiError::proxy_not_found)
    }

    pub async fn delete(&self, name: &str) -> Result<(), ApiError> {
        let mut proxies = self.proxies.lock().await;
        let mut entry = proxies.remove(name).ok_or_else(ApiError::proxy_not_found)?;
        entry.stop().await;
        Ok(())
    }

    /// `{"enabled": bool}` on `POST /proxies/{name}`: stops or starts the listener.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<Value, ApiError> {
        let mut proxies = self.proxies.lock().await;
        let entry = proxies.get_mut(name).ok_or_else(ApiError::proxy_not_found)?;
        match (enabled, entry.running.is_some()) {
            (true, false) => entry.start().await?,
            (false, true) => entry.stop().await,
            _ => {}
        }
        Ok(entry.to_json())
    }

    pub async fn add_toxic(&self, proxy: &str, toxic: Toxic) -> Result<Value, ApiError> {
        let mut proxies = self.proxies.lock().await;
        let entry = proxies.get_mut(proxy).ok_or_else(ApiError::proxy_not_found)?;
        if entry.toxics.iter().any(|t| t.name == toxic.name) {
            return Err(ApiError::new(409, "toxic already exists"));
        }
        let shown = toxic.to_json();
        entry.toxics.push(toxic);
        entry.publish();
        Ok(shown)
    }

    pub async fn remove_toxic(&self, proxy: &str, toxic: &str) -> Result<(), ApiError> {
        let mut proxies = self.proxies.lock().await;
        let entry = proxies.get_mut(proxy).ok_or_else(ApiError::proxy_not_found)?;
        let at = entry
            .toxics
            .iter()
            .position(|t| t.name == toxic)
            .ok_or_else(ApiError::toxic_not_found)?;
        entry.toxics.remove(at);
        entry.publish();
        Ok(())
    }

    /// `POST /reset`: every proxy enabled, every toxic removed.
    pub async fn reset(&self) -> Result<(), ApiError> {
        let mut proxies = self.proxies.lock().await;
        for entry in proxies.values_mut() {
            entry.toxics.clear();
            entry.publish();
            if entry.running.is_none() {
                entry.start().await?;
            }
        }
        Ok(())
    }

    /// Stops every proxy (at exit).
    pub async fn shutdown(&self) {
        let mut proxies = self.proxies.lock().await;
        for entry in proxies.values_mut() {
            entry.stop().await;
        }
    }
}

impl Entry {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.running.is_some(),
            "toxics": self.toxics.iter().map(Toxic::to_json).collect::<Vec<_>>(),
        })
    }

    fn publish(&self) {
        self.published.send_replace(self.toxics.iter().cloned().collect());
    }

    async fn start(&mut self) -> Result<(), ApiError> {
        let listening = Listening::bind(&self.listen, &self.upstream, self.published.subscribe())
            .await
            .map_err(|e| ApiError::internal(format!("listen tcp {}: {e}", self.listen)))?;
        self.listen = listening.addr.to_string();
        self.running = Some(listening);
        Ok(())
    }

    /// Closes the listener and every connection.
    async fn stop(&mut self) {
        if let Some(listening) = self.running.take() {
            listening.stop().await;
        }
    }
}
