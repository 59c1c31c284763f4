//! Login sessions: `POST /login` and `GET /me`, stored in memory, in files, or in Redis.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Form;
use redis::AsyncCommands;
use serde::Deserialize;

use crate::error::AppError;
use crate::ids::{is_hex_id, random_hex};
use crate::redis_conn::RedisConn;
use crate::state::AppState;

/// Where sessions are kept (see `SESSIONS`).
pub enum SessionStore {
    Memory(Mutex<HashMap<String, String>>),
    File(PathBuf),
    Redis(RedisConn),
}

impl SessionStore {
    pub fn memory() -> Self {
        SessionStore::Memory(Mutex::new(HashMap::new()))
    }

    /// A file store under `dir`, created if missing.
    pub fn file(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(SessionStore::File(dir))
    }

    pub async fn put(&self, sid: &str, user: &str) -> Result<(), AppError> {
        match self {
            SessionStore::Memory(map) => {
                map.lock()
                    .expect("session map poisoned")
                    .insert(sid.to_string(), user.to_string());
                Ok(())
            }
            SessionStore::File(dir) => {
                // write-then-rename so a crash never leaves a half-written session
                let tmp = dir.join(format!(".{sid}.tmp"));
                tokio::fs::write(&tmp, user.as_bytes())
                    .await
                    .map_err(|e| AppError::internal("write session", e))?;
                tokio::fs::rename(&tmp, dir.join(sid))
                    .await
                    .map_err(|e| AppError::internal("rename session", e))
            }
            SessionStore::Redis(conn) => {
                let key = format!("session:{sid}");
                let user = user.to_string();
                conn.run("SET session", |mut c| async move { c.set::<_, _, ()>(key, user).await })
                    .await
            }
        }
    }

    pub async fn get(&self, sid: &str) -> Result<Option<String>, AppError> {
        if !is_hex_id(sid) {
            return Ok(None);
        }
        match self {
            SessionStore::Memory(map) => Ok(map.lock().expect("session map poisoned").get(sid).cloned()),
            SessionStore::File(dir) => match tokio::fs::read(dir.join(sid)).await {
                Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(AppError::internal("read session", e)),
            },
            SessionStore::Redis(conn) => {
                let key = format!("session:{sid}");
                conn.run(
                    "GET session",
                    |mut c| async move { c.get::<_, Option<String>>(key).await },
                )
                .await
            }
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
}

/// `POST /login` (form field `user`): new session, `sid` cookie, body `hello <user>`.
pub async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Result<Response, AppError> {
    let user = form.user.trim();
    if user.is_empty() {
        return Err(AppError::BadRequest("form field `user` is required\n"));
    }
    let sid = random_hex(16);
    state.sessions.put(&sid, user).await?;
    let cookie = HeaderValue::from_str(&format!("sid={sid}; Path=/; HttpOnly"))
        .map_err(|e| AppError::internal("cookie header", e))?;
    Ok(([(header::SET_COOKIE, cookie)], format!("hello {user}")).into_response())
}

/// `GET /me`: the user of the `sid` cookie, or 401.
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<String, AppError> {
    let sid = cookie_value(&headers, "sid").ok_or(AppError::Unauthorized)?;
    state.sessions.get(&sid).await?.ok_or(AppError::Unauthorized)
}

/// The value of cookie `name` from any `Cookie` header.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_round_trip() {
        let store = SessionStore::memory();
        let sid = random_hex(16);
        assert_eq!(store.get(&sid).await.unwrap(), None);
        store.put(&sid, "alice").await.unwrap();
        assert_eq!(store.get(&sid).await.unwrap().as_deref(), Some("alice"));
    }

    #[tokio::test]
    async fn file_store_round_trip_and_survives_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/sessions");
        let store = SessionStore::file(path.clone()).unwrap();
        let sid = random_hex(16);
        store.put(&sid, "bob").await.unwrap();
        assert_eq!(store.get(&sid).await.unwrap().as_deref(), Some("bob"));
        // a "restarted" process with the same disk still sees it
        let again = SessionStore::file(path.clone()).unwrap();
        assert_eq!(again.get(&sid).await.unwrap().as_deref(), Some("bob"));
        assert_eq!(again.get(&random_hex(16)).await.unwrap(), None);
        // no temp files left behind
        let names: Vec<_> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(&sid)]);
    }

    #[tokio::test]
    async fn rejects_path_like_sids() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::file(dir.path().to_path_buf()).unwrap();
        assert_eq!(store.get("../../etc/passwd").await.unwrap(), None);
    }

    #[test]
    fn parses_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; sid=abc ; b=2"));
        assert_eq!(cookie_value(&h, "sid").as_deref(), Some("abc"));
        assert_eq!(cookie_value(&h, "zzz"), None);
    }
}
