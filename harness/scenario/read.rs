//! Reading a scenario file without trusting it: the file type is checked before the file
//! is opened (a FIFO would block an ordinary open, `/dev/zero` never ends), the open itself
//! does not block, and at most [`MAX_FILE_BYTES`] + 1 bytes are ever read.

use super::error::{line_col, Problem, ScenarioError};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Largest scenario file accepted: 1 MiB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The file's text, or why it cannot be a scenario file.
pub(super) fn read_bounded(path: &Path) -> Result<String, ScenarioError> {
    let read_err = |source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    };
    // metadata follows symlinks and never opens the file
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.file_type().is_file() {
        return Err(ScenarioError::NotAFile {
            path: path.to_path_buf(),
            kind: kind_of(&meta.file_type()),
        });
    }
    too_large(path, meta.len())?;
    // O_NONBLOCK: should the file have been swapped for a FIFO since, the open returns
    // at once instead of waiting for a writer
    let file: File = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.file_type().is_file() {
        return Err(ScenarioError::NotAFile {
            path: path.to_path_buf(),
            kind: kind_of(&meta.file_type()),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_FILE_BYTES) as usize + 1);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    too_large(path, bytes.len() as u64)?;
    decode(path, bytes)
}

fn too_large(path: &Path, size: u64) -> Result<(), ScenarioError> {
    if size > MAX_FILE_BYTES {
        return Err(ScenarioError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(())
}

/// UTF-8 text, or a problem located at the first invalid byte.
fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, ScenarioError> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
        let (line, col) = line_col(&lossy, prefix.len());
        ScenarioError::Invalid {
            path: path.to_path_buf(),
            problems: vec![Problem {
                field: super::validate::field_on_line(&lossy, prefix.len()).unwrap_or_default(),
                file: None,
                location: Some((line, col)),
                message: format!(
                    "byte 0x{:02x} is not UTF-8 text",
                    e.as_bytes().get(at).copied().unwrap_or(0)
                ),
                hint: Some("save the file as UTF-8; TOML files are UTF-8 text".into()),
            }],
        }
    })
}

/// What a non-regular file is, for the message.
fn kind_of(t: &std::fs::FileType) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn dev_zero_and_a_folder_are_refused_at_once() {
        let start = Instant::now();
        assert!(matches!(
            read_bounded(Path::new("/dev/zero")),
            Err(ScenarioError::NotAFile {
                kind: "a character device",
                ..
            })
        ));
        assert!(matches!(
            read_bounded(Path::new("/tmp")),
            Err(ScenarioError::NotAFile {
                kind: "a directory",
                ..
            })
        ));
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_by_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.toml");
        std::fs::write(&p, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let e = read_bounded(&p).unwrap_err();
        assert!(e.to_string().contains("over the limit of 1048576 bytes"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("latin1.toml");
        std::fs::write(&p, b"name = \"t\"\ndescription = \"caf\xe9\"\n").unwrap();
        let e = read_bounded(&p).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("latin1.toml:2:19: field `description`"), "{shown}");
    }
}
