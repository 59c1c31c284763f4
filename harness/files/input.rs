//! The one way phoenix reads a file: scenario and compose files, `.env` and `env_file`s, and
//! what a run folder holds (result.json, record.json, the history page). Any of them may
//! come from anywhere (a pull request, a CI artefact), so each is
//! - a regular file, checked before it is opened (a FIFO would block an ordinary open,
//!   `/dev/zero` never ends) and again on the open handle (it may have been swapped since);
//! - opened with `O_NONBLOCK | O_NOCTTY`, so even a swapped-in FIFO or terminal cannot
//!   block or become the controlling terminal;
//! - read to at most its kind's bound + 1 byte, so a file growing while read is caught too.
//!
//! Callers map an [`InputError`] to exit 2 naming the file.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What a file is read as; each kind has its size bound (listed in docs/scenarios.md, "Reading run folders").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A scenario file, a compose file, a `.env` or an `env_file`: short text, 1 MiB.
    Scenario,
    /// A run's result.json: one entry per fault and probe stream, 32 MiB.
    Result,
    /// A run's record.json: every failed request raw (about 40 bytes each in JSON), 128 MiB.
    Record,
    /// A reports folder's history page (index.html), of which only the head is read.
    HistoryPage,
}

impl Kind {
    /// Largest file of this kind read, bytes.
    pub const fn limit(self) -> u64 {
        match self {
            Kind::Scenario => 1 << 20,
            Kind::Result => 32 << 20,
            Kind::Record => 128 << 20,
            Kind::HistoryPage => 64 << 10,
        }
    }

    /// The kind in words, for messages.
    pub const fn what(self) -> &'static str {
        match self {
            Kind::Scenario => "scenario file",
            Kind::Result => "result.json",
            Kind::Record => "record.json",
            Kind::HistoryPage => "history page",
        }
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum Reason {
    Io(std::io::Error),
    /// Not a regular file: what it is instead ("a FIFO (named pipe)", ...).
    NotAFile(&'static str),
    /// Larger than the kind's bound: its size (or the bytes read, past the bound).
    TooLarge(u64),
}

/// A file the one reader refused: which kind, which file, why.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub struct InputError {
    pub kind: Kind,
    pub path: PathBuf,
    pub reason: Reason,
}

impl InputError {
    /// The file does not exist.
    #[cfg(test)]
    pub(crate) fn is_missing(&self) -> bool {
        matches!(&self.reason, Reason::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }

    /// The reason alone, without the path (for a caller that names the file itself).
    pub(crate) fn reason_text(&self) -> String {
        match &self.reason {
            Reason::Io(e) => e.to_string(),
            Reason::NotAFile(kind) => format!("is {kind}, not a regular file"),
            Reason::TooLarge(size) => format!(
                "is {size} bytes, over the limit of {} bytes for a {}",
                self.kind.limit(),
                self.kind.what()
            ),
        }
    }

    fn message(&self) -> String {
        let path = crate::files::escape::escape(&self.path.display().to_string()).into_owned();
        format!(
            "cannot read {} '{path}': {}\n  hint: give a regular file phoenix wrote or you wrote; FIFOs, devices and folders are never read",
            self.kind.what(),
            self.reason_text()
        )
    }
}

/// The whole file, at most `kind`'s bound.
pub fn read(path: &Path, kind: Kind) -> Result<Vec<u8>, InputError> {
    let bytes = read_at_most(path, kind, kind.limit(), true)?;
    if bytes.len() as u64 > kind.limit() {
        return Err(fail(path, kind, Reason::TooLarge(bytes.len() as u64)));
    }
    Ok(bytes)
}

/// The first `max` bytes of the file (fewer when it is shorter): for a check that needs
/// only a file's head, whatever its size.
pub(crate) fn read_head(path: &Path, kind: Kind, max: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = read_at_most(path, kind, max.saturating_sub(1), false)?;
    bytes.truncate(max as usize);
    Ok(bytes)
}

fn fail(path: &Path, kind: Kind, reason: Reason) -> InputError {
    InputError {
        kind,
        path: path.to_path_buf(),
        reason,
    }
}

/// Reads at most `bound + 1` bytes; `sized`: refuse by the size metadata reports.
fn read_at_most(path: &Path, kind: Kind, bound: u64, sized: bool) -> Result<Vec<u8>, InputError> {
    let io = |e| fail(path, kind, Reason::Io(e));
    // metadata follows symlinks and never opens the file
    let meta = std::fs::metadata(path).map_err(io)?;
    regular(path, kind, &meta)?;
    if sized && meta.len() > bound {
        return Err(fail(path, kind, Reason::TooLarge(meta.len())));
    }
    // O_NONBLOCK: should the file have been swapped for a FIFO since, the open returns at
    // once instead of waiting for a writer
    let file: File = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    regular(path, kind, &meta)?;
    let mut bytes = Vec::with_capacity(meta.len().min(bound) as usize + 1);
    file.take(bound + 1).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

fn regular(path: &Path, kind: Kind, meta: &std::fs::Metadata) -> Result<(), InputError> {
    if meta.file_type().is_file() {
        Ok(())
    } else {
        Err(fail(path, kind, Reason::NotAFile(kind_of(&meta.file_type()))))
    }
}

/// What a non-regular file is, for the message.
pub(crate) fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Most entries read from a folder of run folders (`list`, `compare`, the history page).
pub(crate) const MAX_FOLDER_ENTRIES: usize = 10_000;

/// The kernel's folders: their entries are processes, devices and settings, never runs
/// (`/proc` alone holds one folder per process).
const KERNEL_TREES: &[&str] = &["/proc", "/sys", "/dev"];

const FOLDER_HINT: &str = "give a folder of run folders written by `phoenix run` (default: reports)";

/// A folder of run folders the reader refused (bad input: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot read the folder '{}': {source}\n  hint: {FOLDER_HINT}", shown(path))]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "'{}' is a kernel folder (/proc, /sys, /dev), not a folder of run folders\n  hint: {FOLDER_HINT}",
        shown(path)
    )]
    Kernel { path: PathBuf },
    #[error("'{}' holds more than {MAX_FOLDER_ENTRIES} entries, more than a folder of run folders is read for\n  hint: move old runs to another folder", shown(path))]
    TooMany { path: PathBuf },
}

fn shown(path: &Path) -> String {
    crate::files::escape::escape(&path.display().to_string()).into_owned()
}

/// The real subfolders of a folder of run folders (links to folders are not run folders:
/// they lead anywhere), in no order: never a kernel folder, at most [`MAX_FOLDER_ENTRIES`]
/// entries read.
pub fn run_folders(path: &Path) -> Result<Vec<PathBuf>, FolderError> {
    let io = |source| FolderError::Io {
        path: path.into(),
        source,
    };
    let real = path.canonicalize().map_err(io)?;
    if KERNEL_TREES.iter().any(|k| real.starts_with(k)) {
        return Err(FolderError::Kernel { path: path.into() });
    }
    let mut folders = Vec::new();
    for (n, e) in std::fs::read_dir(path).map_err(io)?.enumerate() {
        if n >= MAX_FOLDER_ENTRIES {
            return Err(FolderError::TooMany { path: path.into() });
        }
        let e = e.map_err(io)?;
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            folders.push(e.path());
        }
    }
    Ok(folders)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn mkfifo(p: &Path) {
        let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn a_fifo_a_device_and_a_folder_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("record.json");
        mkfifo(&fifo);
        let start = Instant::now();
        for (p, what) in [
            (fifo.as_path(), "a FIFO (named pipe)"),
            (Path::new("/dev/zero"), "a character device"),
            (dir.path(), "a directory"),
        ] {
            let e = read(p, Kind::Record).unwrap_err();
            assert!(matches!(e.reason, Reason::NotAFile(k) if k == what), "{e}");
            assert!(e.to_string().contains("record.json"), "{e}");
        }
        assert!(read_head(&fifo, Kind::HistoryPage, 10).is_err());
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn each_kind_is_refused_one_byte_over_its_bound_and_read_at_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        for kind in [Kind::Scenario, Kind::Result, Kind::Record] {
            // sparse: the bound is on what is read, not on what the disk holds
            File::create(&p).unwrap().set_len(kind.limit() + 1).unwrap();
            let e = read(&p, kind).unwrap_err();
            assert!(matches!(e.reason, Reason::TooLarge(n) if n == kind.limit() + 1), "{e}");
            assert!(
                e.to_string().contains(&format!("over the limit of {}", kind.limit())),
                "{e}"
            );
            File::create(&p).unwrap().set_len(kind.limit()).unwrap();
            assert_eq!(read(&p, kind).unwrap().len() as u64, kind.limit());
        }
    }

    #[test]
    fn a_head_is_read_whatever_the_size_and_a_missing_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index.html");
        std::fs::write(&p, vec![b'x'; 1 << 20]).unwrap();
        assert_eq!(read_head(&p, Kind::HistoryPage, 100).unwrap().len(), 100);
        std::fs::write(&p, b"short").unwrap();
        assert_eq!(read_head(&p, Kind::HistoryPage, 100).unwrap(), b"short");
        let e = read(&dir.path().join("none"), Kind::Result).unwrap_err();
        assert!(e.is_missing(), "{e}");
    }

    #[test]
    fn a_control_character_in_the_path_is_escaped() {
        let e = read(Path::new("/nonexistent/\x1b[2Jx"), Kind::Result).unwrap_err();
        assert!(!e.to_string().contains('\x1b'), "{e}");
        assert!(e.to_string().contains("\\x1b"), "{e}");
    }
}
