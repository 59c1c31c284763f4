//! Reading a written result.json back: `phoenix compare`, `phoenix nightly` and the history
//! page (so `phoenix list` too) go through [`ResultJson::read`], so they agree on what a
//! result is. A result folder may come from anywhere (a CI artefact, a colleague's run), so
//! the file is bounded in size and must be a regular file: a FIFO or a device would block
//! or never end (the one reader, [`crate::input`], refuses them), and its lists are
//! bounded ([`ResultJson::check`]). Keys added after a result was written read back with their defaults
//! (`serde(default)`), so older results stay readable.

use super::ResultJson;
use crate::input::{self, Kind, Reason};
use crate::scenario::{escape, MAX_PLANNED_FAULTS, MAX_REPLICAS, MAX_TRIALS};
use std::path::{Path, PathBuf};

/// The largest result.json read back. A real one is a few hundred KiB at most (one entry per
/// fault and per probe stream); more is not a phoenix result.
pub const MAX_RESULT_BYTES: u64 = Kind::Result.limit();

/// Most faults a result may list: every single fault of the most trials a scenario may
/// ask for ([`MAX_TRIALS`] × [`MAX_PLANNED_FAULTS`]).
pub const MAX_RESULT_FAULTS: usize = MAX_TRIALS as usize * MAX_PLANNED_FAULTS as usize;

/// Most entries of any other list of a result (probe streams, phases, checks, findings...).
pub const MAX_RESULT_ENTRIES: usize = MAX_TRIALS as usize * MAX_REPLICAS as usize * 64;

/// Why a result.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read '{}': {source}", escape(&path.display().to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("'{}' is {kind}, not a regular file\n  hint: give the result.json a run wrote", escape(&path.display().to_string()))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("'{}' is larger than {max} bytes, more than any result.json phoenix writes\n  hint: give the result.json a run wrote", escape(&path.display().to_string()))]
    TooLarge { path: PathBuf, max: u64 },
    #[error("'{}' is not a phoenix result.json: {}", escape(&path.display().to_string()), escape(reason))]
    Parse { path: PathBuf, reason: String },
}

impl ReadError {
    /// The file does not exist (a run folder of a run that never measured).
    pub fn is_missing(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

impl ResultJson {
    /// Reads, parses and checks the result.json at `path`, at most [`MAX_RESULT_BYTES`],
    /// through the one reader ([`crate::input`]).
    pub fn read(path: &Path) -> Result<ResultJson, ReadError> {
        let bytes = input::read(path, Kind::Result).map_err(|e| match e.reason {
            Reason::Io(source) => ReadError::Io { path: e.path, source },
            Reason::NotAFile(kind) => ReadError::NotAFile { path: e.path, kind },
            Reason::TooLarge(_) => ReadError::TooLarge {
                path: e.path,
                max: MAX_RESULT_BYTES,
            },
        })?;
        let parse = |reason: String| ReadError::Parse {
            path: path.to_path_buf(),
            reason,
        };
        // serde_json refuses nesting deeper than 128 on its own
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let r: ResultJson = serde_path_to_error::deserialize(de).map_err(|e| parse(crate::record::at_field(&e)))?;
        r.check().map_err(parse)?;
        Ok(r)
    }

    /// Refuses lists longer than any run writes ([`MAX_RESULT_FAULTS`] faults,
    /// [`MAX_RESULT_ENTRIES`] of anything else, [`MAX_TRIALS`] trials): they drive the work
    /// of `compare`, `list` and the history page. The error names the field.
    pub fn check(&self) -> Result<(), String> {
        let over = |field: &str, len: usize, max: usize| {
            (len > max).then(|| format!("field `{field}`: {len} entries, over the limit of {max}"))
        };
        let a = &self.audit;
        let problem = over("faults", self.faults.len(), MAX_RESULT_FAULTS)
            .or_else(|| over("trials", self.trials as usize, MAX_TRIALS as usize))
            .or_else(|| {
                over(
                    "time_to_healthy_ms.by_trial",
                    self.time_to_healthy_ms.by_trial.len(),
                    MAX_RESULT_FAULTS,
                )
            })
            .or_else(|| {
                [
                    ("probes", self.probes.len()),
                    ("phases", self.phases.len()),
                    ("checks", self.checks.len()),
                    ("warnings", self.warnings.len()),
                    ("host.reasons", self.host.reasons.len()),
                    ("certification.reasons", self.certification.reasons.len()),
                    ("certification.components", self.certification.components.len()),
                    ("audit.findings", a.findings.len()),
                    ("audit.fresh_diff", a.fresh_diff.len()),
                ]
                .into_iter()
                .find_map(|(field, len)| over(field, len, MAX_RESULT_ENTRIES))
            });
        match problem {
            Some(p) => Err(format!("{p}\n  hint: give the result.json a run wrote")),
            None => Ok(()),
        }
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
