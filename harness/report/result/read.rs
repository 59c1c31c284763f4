//! Reading a written result.json back: `phoenix compare`, `phoenix nightly` and the history
//! page (so `phoenix list` too) go through [`ResultJson::read`], so they agree on what a
//! result is. A result folder may come from anywhere (a CI artefact, a colleague's run), so
//! the file is bounded in size and must be a regular file: a FIFO or a device would block
//! or never end. Keys added after a result was written read back with their defaults
//! (`serde(default)`), so older results stay readable.

use super::ResultJson;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest result.json read back. A real one is a few hundred KiB at most (one entry per
/// fault and per probe stream); more is not a phoenix result.
pub const MAX_RESULT_BYTES: u64 = 32 << 20;

/// Why a result.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read '{path}': {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("'{path}' is not a regular file\n  hint: give the result.json a run wrote")]
    NotAFile { path: PathBuf },
    #[error("'{path}' is larger than {max} bytes, more than any result.json phoenix writes\n  hint: give the result.json a run wrote")]
    TooLarge { path: PathBuf, max: u64 },
    #[error("'{path}' is not a phoenix result.json: {reason}")]
    Parse { path: PathBuf, reason: String },
}

impl ReadError {
    /// The file does not exist (a run folder of a run that never measured).
    pub fn is_missing(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

impl ResultJson {
    /// Reads and parses the result.json at `path`, at most [`MAX_RESULT_BYTES`].
    pub fn read(path: &Path) -> Result<ResultJson, ReadError> {
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        // checked before opening: opening a FIFO blocks until a writer comes
        if !std::fs::metadata(path).map_err(io)?.is_file() {
            return Err(ReadError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let mut bytes = Vec::new();
        // read one byte past the bound, so a file that grew after the check is caught too
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_RESULT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > MAX_RESULT_BYTES {
            return Err(ReadError::TooLarge {
                path: path.to_path_buf(),
                max: MAX_RESULT_BYTES,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ReadError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixture, Report};

    fn written() -> serde_json::Value {
        serde_json::to_value(ResultJson::from_report(&Report::build(fixture::record()))).unwrap()
    }

    #[test]
    fn reads_back_what_a_run_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("result.json");
        std::fs::write(
            &path,
            crate::report::json::result(&Report::build(fixture::record())).unwrap(),
        )
        .unwrap();
        let r = ResultJson::read(&path).unwrap();
        assert_eq!(r.scenario, written()["scenario"]);
        assert_eq!(r.faults.len(), written()["faults"].as_array().unwrap().len());
    }

    #[test]
    fn a_missing_file_is_an_error_that_names_it_and_says_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let e = ResultJson::read(&tmp.path().join("result.json")).unwrap_err();
        assert!(e.is_missing(), "{e}");
        assert!(e.to_string().contains("result.json"), "{e}");
    }

    #[test]
    fn a_file_over_the_bound_is_refused_without_being_parsed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("result.json");
        // sparse: the bound is on what is read, not on what the disk holds
        std::fs::File::create(&path)
            .unwrap()
            .set_len(MAX_RESULT_BYTES + 1)
            .unwrap();
        let e = ResultJson::read(&path).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { .. }), "{e}");
        assert!(!e.is_missing());
        assert!(e.to_string().contains("hint: "), "{e}");
        // exactly at the bound it is read (and then fails as JSON, not as size)
        std::fs::File::create(&path).unwrap().set_len(MAX_RESULT_BYTES).unwrap();
        assert!(matches!(ResultJson::read(&path), Err(ReadError::Parse { .. })));
    }

    #[test]
    fn a_folder_or_a_fifo_is_not_a_result_and_is_not_opened() {
        let tmp = tempfile::tempdir().unwrap();
        let e = ResultJson::read(tmp.path()).unwrap_err();
        assert!(matches!(e, ReadError::NotAFile { .. }), "{e}");
        let fifo = tmp.path().join("result.json");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(ResultJson::read(&fifo), Err(ReadError::NotAFile { .. })));
    }

    #[test]
    fn an_older_result_without_the_newer_optional_keys_reads_back() {
        let mut json = written();
        // every key marked serde(default): added after schema_version 1 was first written
        json.as_object_mut().unwrap().remove("probes");
        json["certification"].as_object_mut().unwrap().remove("unmeasured");
        for k in ["slip_ms", "untrustworthy"] {
            json["load"].as_object_mut().unwrap().remove(k);
        }
        for f in json["faults"].as_array_mut().unwrap() {
            f.as_object_mut().unwrap().remove("recovery");
            f.as_object_mut().unwrap().remove("requests_in_disruption");
        }
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("result.json");
        std::fs::write(&path, json.to_string()).unwrap();
        let r = ResultJson::read(&path).unwrap();
        assert!(r.probes.is_empty() && r.certification.unmeasured.is_empty());
        assert_eq!(r.load.untrustworthy, None);
        assert!(r
            .faults
            .iter()
            .all(|f| f.recovery.is_none() && f.requests_in_disruption.is_none()));
        // a contract key is not optional: without it the file is not a result
        json.as_object_mut().unwrap().remove("certification");
        std::fs::write(&path, json.to_string()).unwrap();
        let e = ResultJson::read(&path).unwrap_err();
        assert!(e.to_string().contains("certification"), "{e}");
    }
}
