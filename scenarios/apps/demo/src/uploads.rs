//! File uploads: `POST /upload` (multipart field `file`) and `GET /files/{id}`, on local or shared disk.

use std::path::PathBuf;

use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::error::AppError;
use crate::ids::{is_hex_id, random_hex};
use crate::state::AppState;

/// Largest accepted upload.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// A directory of uploaded files named by their id.
pub struct UploadStore {
    dir: PathBuf,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Uploaded {
    pub id: String,
    pub bytes: u64,
}

impl UploadStore {
    /// A store under `dir`, created if missing.
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(UploadStore { dir })
    }

    /// Writes `data` under a new id (temp file, fsync, rename).
    pub async fn save(&self, data: &[u8]) -> std::io::Result<Uploaded> {
        // the directory may be a volume that was emptied or replaced under us
        tokio::fs::create_dir_all(&self.dir).await?;
        let id = random_hex(16);
        let tmp = self.dir.join(format!(".{id}.tmp"));
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(data).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, self.dir.join(&id)).await?;
        Ok(Uploaded {
            id,
            bytes: data.len() as u64,
        })
    }

    /// The bytes stored under `id`, `None` if unknown.
    pub async fn load(&self, id: &str) -> std::io::Result<Option<Vec<u8>>> {
        if !is_hex_id(id) {
            return Ok(None);
        }
        match tokio::fs::read(self.dir.join(id)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `POST /upload`: stores the multipart field `file`, answers `{"id","bytes"}`.
pub async fn upload(State(state): State<AppState>, mut multipart: Multipart) -> Result<Json<Uploaded>, AppError> {
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let data = field.bytes().await.map_err(multipart_error)?;
        if data.len() > MAX_UPLOAD_BYTES {
            return Err(too_large());
        }
        let saved = state
            .uploads
            .save(&data)
            .await
            .map_err(|e| AppError::internal("save upload", e))?;
        return Ok(Json(saved));
    }
    Err(AppError::BadRequest("multipart field `file` is required\n"))
}

fn too_large() -> AppError {
    AppError::Client(StatusCode::PAYLOAD_TOO_LARGE, "upload larger than 10 MiB\n".into())
}

/// A client-side multipart problem keeps axum's status (400, or 413 past the body limit).
fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::Client(e.status(), format!("{}\n", e.body_text()))
    }
}

/// `GET /files/{id}`: the uploaded bytes, 404 if unknown.
pub async fn download(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    match state.uploads.load(&id).await {
        Ok(Some(bytes)) => Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()),
        Ok(None) => Err(AppError::NotFound),
        Err(e) => Err(AppError::internal("read upload", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn save_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = UploadStore::new(dir.path().join("up")).unwrap();
        let data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let saved = store.save(&data).await.unwrap();
        assert_eq!(saved.bytes, 70_000);
        assert_eq!(store.load(&saved.id).await.unwrap(), Some(data));
        assert_eq!(store.load(&random_hex(16)).await.unwrap(), None);
        assert_eq!(store.load("../x").await.unwrap(), None);
    }
}
