//! The one place that writes to disk: run folders with unique names that are never
//! overwritten, and files written atomically (an exclusively created temporary file under
//! a random name in the same folder, then a rename that replaces the final name itself,
//! never what a symbolic link there points to). Where it may write is checked first
//! (`paths.rs`): nothing is written before a refusal.

mod paths;

pub use paths::{check_new_file, check_out, check_reports, is_plain_name};

use crate::files::escape::escape;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A path as shown on the terminal (escaped: a folder name may hold control characters).
fn shown(path: &Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

/// Errors writing reports, naming the path.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create run folder '{}': {source}", shown(path))]
    Create { path: PathBuf, source: std::io::Error },
    #[error(
        "'{}' already holds a report; choose another --out (reports are never overwritten)",
        shown(path)
    )]
    Exists { path: PathBuf },
    #[error("cannot write '{}': {source}", shown(path))]
    Write { path: PathBuf, source: std::io::Error },
    /// A place phoenix will not write to (bad input: exit 2).
    #[error("'{}' {why}\n  hint: {hint}", shown(path))]
    Refused { path: PathBuf, why: String, hint: String },
}

impl OutputError {
    /// Whether the user's input is at fault (exit 2) rather than the system (exit 1).
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(self, OutputError::Exists { .. } | OutputError::Refused { .. })
    }
}

/// A file `RunDir::create_unique` leaves in the folder of run folders, so that the history
/// page (`reports/index.html`) is rebuilt there and never in an arbitrary `--out` parent.
pub(crate) const REPORTS_MARKER: &str = ".phoenix-reports";

/// A run folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    /// Creates `<reports>/<stamp>-<name>`, adding `-2`, `-3`... if taken. The reports folder
    /// is checked first ([`check_reports`]).
    pub(crate) fn create_unique(reports: &Path, stamp: &str, name: &str) -> Result<RunDir, OutputError> {
        check_reports(reports)?;
        let base = format!("{stamp}-{name}");
        if !is_plain_name(&base) {
            return Err(OutputError::Refused {
                path: reports.join(&base),
                why: "is not a plain folder name".into(),
                hint: "name the scenario with letters, digits and dashes".into(),
            });
        }
        std::fs::create_dir_all(reports).map_err(|source| OutputError::Create {
            path: reports.into(),
            source,
        })?;
        mark_reports(reports);
        for n in 1..1000 {
            let dir = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            let path = reports.join(dir);
            // mkdir never follows a link at the final name: a planted one is just "taken"
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(RunDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(OutputError::Create { path, source }),
            }
        }
        Err(OutputError::Exists {
            path: reports.join(base),
        })
    }

    /// Uses `path` as given (`--out`): created if missing; an empty folder is used as it
    /// is; anything else is refused before anything is written ([`check_out`]).
    pub fn at(path: &Path) -> Result<RunDir, OutputError> {
        check_out(path)?;
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

    /// Writes `name`, a plain file name (no folder, no `..`), atomically into the run folder.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        if !is_plain_name(name) {
            return Err(OutputError::Write {
                path: self.path.join(name),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a plain file name"),
            });
        }
        write_atomic(&self.path.join(name), bytes)
    }
}

/// Leaves the marker in a reports folder, best effort (without it, only a folder named
/// `reports` gets a history page). Created exclusively: O_CREAT|O_EXCL never follows a
/// link, so a planted `.phoenix-reports` link is left alone, its target untouched.
fn mark_reports(reports: &Path) {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(reports.join(REPORTS_MARKER))
    {
        let _ = f.write_all(b"phoenix-bench run folders\n");
    }
}

/// Writes a file through a temporary sibling and a rename, so readers never see half a
/// file. The temporary file is created exclusively under a random name (the `tempfile`
/// crate), so a link planted in the folder is never followed; the rename replaces whatever
/// is at `path`, a link included, never the link's target.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let tmp = temporary(path, bytes)?;
    tmp.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(())
}

/// Writes a new file (`phoenix init`'s), checked first ([`check_new_file`]), as
/// [`write_atomic`] does, except that the rename never replaces anything: a file (or a
/// link) that appeared at `path` since the check is left alone, and the write refused.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    check_new_file(path)?;
    let tmp = temporary(path, bytes)?;
    tmp.persist_noclobber(path).map_err(|e| match e.error.kind() {
        std::io::ErrorKind::AlreadyExists => OutputError::Refused {
            path: path.into(),
            why: "exists".into(),
            hint: "give another --file, or remove it first (phoenix init never overwrites a file)".into(),
        },
        _ => write_error(path, e.error),
    })?;
    Ok(())
}

fn write_error(path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Write {
        path: path.into(),
        source,
    }
}

/// `bytes` in a new temporary file next to `path`, synced.
fn temporary(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, OutputError> {
    let err = |source| write_error(path, source);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // 0o666 as File::create asks: the umask gives the usual modes, not tempfile's 0o600
    let mut tmp = tempfile::Builder::new()
        .prefix(".phoenix-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    Ok(tmp)
}

#[cfg(test)]
mod tests;
