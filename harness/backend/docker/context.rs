//! Packing a Docker build context the way the docker CLI does, so that Docker 20.10 and
//! newer accept it and nothing outside the context is read:
//!
//! - plain ustar/GNU entries only: a file with holes is written as a regular entry (tar's
//!   default GNU sparse entries, type `S`, are refused by Docker 20.10: "unhandled tar
//!   header type 83");
//! - symlinks are stored as symlinks, never followed; a symlink that cannot resolve because
//!   it loops (ELOOP) is an error naming it;
//! - `.dockerignore` is honoured with Docker's rules (`dockerignore.rs`); the Dockerfile
//!   and `.dockerignore` are sent even when listed, as the CLI does;
//! - `.git` folders are never sent (VCS metadata, often large, never needed by a build);
//!   nothing else is left out unless `.dockerignore` says so;
//! - owners are root (uid/gid 0, no names), as the CLI sends them; modes and times kept;
//! - at most [`MAX_CONTEXT_BYTES`] of tar: a bigger context is refused, not streamed.

use super::dockerignore::{BadPattern, DockerIgnore};
use std::fs::{File, Metadata};
use std::io::{Seek, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// The largest context packed: 1 GiB of tar.
pub(crate) const MAX_CONTEXT_BYTES: u64 = 1 << 30;

/// Why a context could not be packed; each names the path and what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ContextError {
    #[error("cannot read {path}: {source}\n  hint: make it readable, or list it in the context's .dockerignore")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is a symlink loop (it never resolves)\n  hint: remove or fix the link, or list it in the context's .dockerignore")]
    SymlinkLoop { path: PathBuf },
    #[error("{path} is a {kind}: a build context holds only files, folders and symlinks\n  hint: list it in the context's .dockerignore")]
    Special { path: PathBuf, kind: &'static str },
    #[error("the build context {dir} is larger than {limit} MiB (passed it at {path})\n  hint: list what the image does not need in {dir}/.dockerignore")]
    TooLarge { dir: PathBuf, path: PathBuf, limit: u64 },
    #[error("in {}: {source}", .path.display())]
    Ignore {
        path: PathBuf,
        #[source]
        source: BadPattern,
    },
    #[error(
        "the build context {dir} is not a folder\n  hint: point `build.context` at the folder holding the Dockerfile"
    )]
    NotADir { dir: PathBuf },
    #[error("the Dockerfile {dockerfile:?} is not a file inside the build context {dir}\n  hint: name it relative to the context, e.g. \"Dockerfile\"")]
    DockerfileOutside { dir: PathBuf, dockerfile: String },
}

type Result<T> = std::result::Result<T, ContextError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ContextError + '_ {
    move |source| ContextError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Packs the context `dir` into `out` (any writer) and returns the bytes written.
/// `dockerfile` is the Dockerfile's path relative to `dir`. `limit` is the most bytes
/// of tar allowed.
pub(crate) fn pack<W: Write>(dir: &Path, dockerfile: &str, out: W, limit: u64) -> Result<u64> {
    // the context folder itself is resolved (like the CLI's EvalSymlinks): a looping
    // link here is an error, not a hang
    let root = dir.canonicalize().map_err(|e| loop_or_io(dir, e))?;
    if !root.is_dir() {
        return Err(ContextError::NotADir { dir: dir.into() });
    }
    let dockerfile = super::dockerignore::clean(dockerfile);
    if dockerfile.starts_with('/') || dockerfile == ".." || dockerfile.starts_with("../") {
        return Err(ContextError::DockerfileOutside {
            dir: dir.into(),
            dockerfile,
        });
    }
    let mut ignore = read_ignore(&root)?;
    ignore.keep(".dockerignore");
    ignore.keep(&dockerfile);
    let mut packer = Packer {
        root: &root,
        shown: dir,
        ignore,
        builder: tar::Builder::new(Counting { inner: out, bytes: 0 }),
        limit,
    };
    packer.dir("")?;
    packer.builder.finish().map_err(io(dir))?;
    let counted = packer.builder.into_inner().map_err(io(dir))?;
    Ok(counted.bytes)
}

/// Packs `dir` into an unnamed temporary file, rewound, for streaming to the engine.
pub(crate) fn pack_to_temp(dir: &Path, dockerfile: &str) -> Result<(File, u64)> {
    let tmp = std::env::temp_dir();
    let mut file = unnamed_temp(&tmp).map_err(io(&tmp))?;
    let bytes = pack(dir, dockerfile, &mut file, MAX_CONTEXT_BYTES)?;
    file.rewind().map_err(io(&tmp))?;
    Ok((file, bytes))
}

/// A temporary file already unlinked: nothing is left behind, whatever happens.
fn unnamed_temp(dir: &Path) -> std::io::Result<File> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for attempt in 0..100u32 {
        let path = dir.join(format!(
            "phoenix-bench-context-{}-{nanos}-{attempt}.tar",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                std::fs::remove_file(&path)?;
                return Ok(f);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}

fn loop_or_io(path: &Path, e: std::io::Error) -> ContextError {
    // ELOOP is 40 on Linux; std has no stable ErrorKind for it
    if e.raw_os_error() == Some(40) {
        ContextError::SymlinkLoop { path: path.into() }
    } else {
        ContextError::Io {
            path: path.into(),
            source: e,
        }
    }
}

fn read_ignore(root: &Path) -> Result<DockerIgnore> {
    let path = root.join(".dockerignore");
    match std::fs::read(&path) {
        Ok(bytes) => DockerIgnore::parse(&String::from_utf8_lossy(&bytes))
            .map_err(|source| ContextError::Ignore { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DockerIgnore::default()),
        Err(e) => Err(ContextError::Io { path, source: e }),
    }
}

/// A writer that counts what passes through it.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct Packer<'a, W: Write> {
    root: &'a Path,
    /// The context as the user named it, for messages.
    shown: &'a Path,
    ignore: DockerIgnore,
    builder: tar::Builder<Counting<W>>,
    limit: u64,
}

impl<W: Write> Packer<'_, W> {
    /// Adds the entries of the folder `rel` ("" for the root), in name order so the same
    /// folder always packs the same way.
    fn dir(&mut self, rel: &str) -> Result<()> {
        let path = self.root.join(rel);
        let mut names: Vec<_> = std::fs::read_dir(&path)
            .map_err(io(&path))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()
            .map_err(io(&path))?;
        names.sort();
        for name in names {
            if name == ".git" {
                continue;
            }
            let name = name.to_string_lossy();
            let rel = if rel.is_empty() {
                name.into_owned()
            } else {
                format!("{rel}/{name}")
            };
            self.entry(&rel)?;
        }
        Ok(())
    }

    fn entry(&mut self, rel: &str) -> Result<()> {
        let path = self.root.join(rel);
        let shown = self.shown.join(rel);
        let meta = std::fs::symlink_metadata(&path).map_err(io(&shown))?;
        let ft = meta.file_type();
        if self.ignore.excludes(rel) {
            // an excluded folder is still walked when an exception names something in it
            if ft.is_dir() && self.ignore.may_keep_inside(rel) {
                return self.dir(rel);
            }
            return Ok(());
        }
        let mut header = header_for(&meta);
        if ft.is_dir() {
            header.set_size(0);
            self.append(&mut header, rel, std::io::empty(), &shown)?;
            self.dir(rel)
        } else if ft.is_symlink() {
            // stat through the link only to tell a loop from a link that is merely
            // dangling or points outside (both are stored as they are, as Docker does)
            if let Err(e) = std::fs::metadata(&path) {
                if let ContextError::SymlinkLoop { .. } = loop_or_io(&path, e) {
                    return Err(ContextError::SymlinkLoop { path: shown });
                }
            }
            let target = std::fs::read_link(&path).map_err(io(&shown))?;
            header.set_size(0);
            self.charge(512 + 512 * (target.as_os_str().len() as u64 / 512 + 1), &shown)?;
            self.builder.append_link(&mut header, rel, &target).map_err(io(&shown))
        } else if ft.is_file() {
            let file = File::open(&path).map_err(io(&shown))?;
            let len = file.metadata().map_err(io(&shown))?.len();
            header.set_size(len);
            // a file that grows while it is read is cut at the size in its header
            use std::io::Read;
            self.append(&mut header, rel, file.take(len), &shown)
        } else {
            let kind = if ft.is_fifo() {
                "FIFO"
            } else if ft.is_socket() {
                "socket"
            } else {
                "device"
            };
            Err(ContextError::Special { path: shown, kind })
        }
    }

    fn append(&mut self, header: &mut tar::Header, rel: &str, data: impl std::io::Read, shown: &Path) -> Result<()> {
        let size = header.entry_size().unwrap_or(0);
        // header, a long-name entry at worst, and the data padded to 512-byte blocks
        self.charge(
            512 + 512 * (rel.len() as u64 / 512 + 2) + size.div_ceil(512) * 512,
            shown,
        )?;
        self.builder.append_data(header, rel, data).map_err(io(shown))
    }

    /// Refuses the entry if the tar would outgrow the limit.
    fn charge(&mut self, bytes: u64, shown: &Path) -> Result<()> {
        if self.builder.get_ref().bytes + bytes > self.limit {
            return Err(ContextError::TooLarge {
                dir: self.shown.into(),
                path: shown.into(),
                limit: self.limit >> 20,
            });
        }
        Ok(())
    }
}

/// A plain header (never sparse) with the entry's type, mode and time, owned by root.
fn header_for(meta: &Metadata) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
    h.set_uid(0);
    h.set_gid(0);
    // names of the build host's users mean nothing in the image
    let _ = h.set_username("");
    let _ = h.set_groupname("");
    h
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
