//! Reading a scenario file (or a compose file, a `.env`, an `env_file`) without trusting
//! it: through the one reader ([`crate::files::input`], kind [`Kind::Scenario`]), which refuses
//! what is not a regular file before and after opening it, never blocks on the open, and
//! reads at most [`MAX_FILE_BYTES`] + 1 bytes; then the text must be UTF-8.

use super::error::{line_col, Problem, ScenarioError};
use crate::files::input::{self, Kind, Reason};
use std::path::Path;

/// Largest scenario file accepted: 1 MiB.
pub const MAX_FILE_BYTES: u64 = Kind::Scenario.limit();

/// The file's text, or why it cannot be a scenario file.
pub(crate) fn read_bounded(path: &Path) -> Result<String, ScenarioError> {
    let bytes = input::read(path, Kind::Scenario).map_err(|e| match e.reason {
        Reason::Io(source) => ScenarioError::Read { path: e.path, source },
        Reason::NotAFile(kind) => ScenarioError::NotAFile { path: e.path, kind },
        Reason::TooLarge(size) => ScenarioError::TooLarge {
            path: e.path,
            size,
            limit: MAX_FILE_BYTES,
        },
    })?;
    decode(path, bytes)
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
