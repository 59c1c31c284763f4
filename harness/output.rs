//! The one place that writes to disk: run folders with unique names that are never
//! overwritten, and files written atomically (temporary file, then rename).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Errors writing reports, naming the path.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create run folder '{}': {source}", path.display())]
    Create { path: PathBuf, source: std::io::Error },
    #[error("'{}' already holds a report; choose another --out (reports are never overwritten)", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write '{}': {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// A file `RunDir::create_unique` leaves in the folder of run folders, so that the history
/// page (`reports/index.html`) is rebuilt there and never in an arbitrary `--out` parent.
pub const REPORTS_MARKER: &str = ".phoenix-reports";

/// A run folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    /// Creates `<reports>/<stamp>-<name>`, adding `-2`, `-3`... if taken.
    pub fn create_unique(reports: &Path, stamp: &str, name: &str) -> Result<RunDir, OutputError> {
        std::fs::create_dir_all(reports).map_err(|source| OutputError::Create {
            path: reports.into(),
            source,
        })?;
        // best effort: without it, only a folder named `reports` gets a history page
        let _ = std::fs::write(reports.join(REPORTS_MARKER), b"phoenix-bench run folders\n");
        for n in 1..1000 {
            let dir = if n == 1 {
                format!("{stamp}-{name}")
            } else {
                format!("{stamp}-{name}-{n}")
            };
            let path = reports.join(dir);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(RunDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(OutputError::Create { path, source }),
            }
        }
        Err(OutputError::Exists {
            path: reports.join(format!("{stamp}-{name}")),
        })
    }

    /// Uses `path` as given (`--out`): created if missing, refused if it holds a report.
    pub fn at(path: &Path) -> Result<RunDir, OutputError> {
        if path.join("result.json").exists() || path.join("record.json").exists() {
            return Err(OutputError::Exists { path: path.into() });
        }
        std::fs::create_dir_all(path).map_err(|source| OutputError::Create {
            path: path.into(),
            source,
        })?;
        Ok(RunDir { path: path.into() })
    }

    /// Opens an existing run folder for re-rendering.
    pub fn existing(path: &Path) -> RunDir {
        RunDir { path: path.into() }
    }

    /// Writes `name` atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        write_atomic(&self.path.join(name), bytes)
    }
}

/// Writes a file through a temporary sibling and a rename, so readers never see half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let err = |source| OutputError::Write {
        path: path.into(),
        source,
    };
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_folders_are_never_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let a = RunDir::create_unique(tmp.path(), "20260101-000000", "x").unwrap();
        let b = RunDir::create_unique(tmp.path(), "20260101-000000", "x").unwrap();
        assert_ne!(a.path, b.path);
        assert!(b.path.ends_with("20260101-000000-x-2"));
    }

    #[test]
    fn out_dir_with_a_report_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let d = RunDir::at(tmp.path()).unwrap();
        d.write("result.json", b"{}").unwrap();
        assert!(matches!(RunDir::at(tmp.path()), Err(OutputError::Exists { .. })));
        assert_eq!(std::fs::read(tmp.path().join("result.json")).unwrap(), b"{}");
    }
}
