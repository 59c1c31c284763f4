//! Reading a written result.json back: `phoenix compare`, `phoenix nightly` and the history
//! page (so `phoenix list` too) go through [`ResultJson::read`], so they agree on what a
//! result is. A result folder may come from anywhere (a CI artefact, a colleague's run), so
//! the file is bounded in size and must be a regular file: a FIFO or a device would block
//! or never end (the one reader, [`crate::files::input`], refuses them), and its lists are
//! bounded ([`ResultJson::check`]). Keys added after a result was written read back with their defaults
//! (`serde(default)`), so older results stay readable.

use super::{ResultJson, SCHEMA_VERSION};
use crate::files::input::{self, Kind, Reason};
use crate::scenario::{escape, MAX_PLANNED_FAULTS, MAX_REPLICAS, MAX_TRIALS};
use crate::scenario::{rate_problem, Level};
use std::path::{Path, PathBuf};

/// The largest result.json read back. A real one is a few hundred KiB at most (one entry per
/// fault and per probe stream); more is not a phoenix result.
pub const MAX_RESULT_BYTES: u64 = Kind::Result.limit();

/// Most faults a result may list: every single fault of the most trials a scenario may
/// ask for ([`MAX_TRIALS`] × [`MAX_PLANNED_FAULTS`]).
pub(crate) const MAX_RESULT_FAULTS: usize = MAX_TRIALS as usize * MAX_PLANNED_FAULTS as usize;

/// Most entries of any other list of a result (probe streams, phases, checks, findings...).
pub(crate) const MAX_RESULT_ENTRIES: usize = MAX_TRIALS as usize * MAX_REPLICAS as usize * 64;

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
    /// A file that does not parse as a result: the parser's reason, naming the field.
    #[error("{}", not_a_result(path, reason, HINT))]
    Parse { path: PathBuf, reason: String },
    /// A result of another schema version, or with a figure no run writes
    /// ([`ResultJson::check`]).
    #[error("{}", not_a_result(path, &source.to_string(), source.hint()))]
    Invalid {
        path: PathBuf,
        #[source]
        source: Invalid,
    },
}

/// A field of a result out of what a run writes: its path in result.json
/// (`certification.level`, `faults[0].at_ms`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{field}`: {problem}")]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

impl Invalid {
    fn new(field: impl Into<String>, problem: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// What to do about it (phoenix's own words, not escaped).
    fn hint(&self) -> &'static str {
        if self.field == "schema_version" {
            VERSION_HINT
        } else {
            HINT
        }
    }
}

/// The refusal of the result.json at `path`, for `reason`, with `hint`.
fn not_a_result(path: &Path, reason: &str, hint: &str) -> String {
    format!(
        "'{}' is not a phoenix result.json: {}\n  hint: {hint}",
        escape(&path.display().to_string()),
        escape(reason)
    )
}

impl ReadError {
    /// The file does not exist (a run folder of a run that never measured).
    pub(crate) fn is_missing(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

impl ResultJson {
    /// Reads, parses and checks the result.json at `path`, at most [`MAX_RESULT_BYTES`],
    /// through the one reader ([`crate::files::input`]).
    pub fn read(path: &Path) -> Result<ResultJson, ReadError> {
        let bytes = input::read(path, Kind::Result).map_err(|e| match e.reason {
            Reason::Io(source) => ReadError::Io { path: e.path, source },
            Reason::NotAFile(kind) => ReadError::NotAFile { path: e.path, kind },
            Reason::TooLarge(_) => ReadError::TooLarge {
                path: e.path,
                max: MAX_RESULT_BYTES,
            },
        })?;
        let invalid = |source: Invalid| ReadError::Invalid {
            path: path.to_path_buf(),
            source,
        };
        // the plain parse is the fast one (serde_json refuses nesting deeper than 128, and
        // anything but white space after the value); only a failure is parsed again, slower,
        // to name the field it stopped at
        let r: ResultJson = serde_json::from_slice(&bytes).map_err(|_| match version_of(&bytes) {
            Some(v) if v != u64::from(SCHEMA_VERSION) => invalid(version_problem(v)),
            _ => ReadError::Parse {
                path: path.to_path_buf(),
                reason: field_of_failure(&bytes),
            },
        })?;
        r.check().map_err(invalid)?;
        Ok(r)
    }

    /// Refuses lists longer than any run writes ([`MAX_RESULT_FAULTS`] faults,
    /// [`MAX_RESULT_ENTRIES`] of anything else, [`MAX_TRIALS`] trials): they drive the work
    /// of `compare`, `list` and the history page. The error names the field.
    pub fn check(&self) -> Result<(), Invalid> {
        let over = |field: &str, len: usize, max: usize| {
            (len > max).then(|| Invalid::new(field, format!("{len} entries, over the limit of {max}")))
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
                    ("floor.actions", self.floor.as_ref().map_or(0, |f| f.actions.len())),
                    ("floor.notes", self.floor.as_ref().map_or(0, |f| f.notes.len())),
                ]
                .into_iter()
                .find_map(|(field, len)| over(field, len, MAX_RESULT_ENTRIES))
            });
        match problem {
            Some(p) => Err(p),
            None => self.check_values(),
        }
    }

    /// The figures `compare`, `list` and `nightly` read: the schema version, the levels (of
    /// [`Level`]), the score (0 to 100), the rate (the scenario parser's range) and every
    /// time (finite, not negative). The lists are bounded by now.
    fn check_values(&self) -> Result<(), Invalid> {
        let c = &self.certification;
        if self.schema_version != SCHEMA_VERSION {
            return Err(version_problem(u64::from(self.schema_version)));
        }
        for (field, level) in [
            ("certification.level", &c.level),
            ("certification.required", &c.required),
        ] {
            if Level::parse(level).is_none() {
                return Err(Invalid::new(
                    field,
                    format!("\"{level}\" is not a level (one of {})", Level::NAMES.join(", ")),
                ));
            }
        }
        if !(0.0..=100.0).contains(&c.score) {
            return Err(Invalid::new(
                "certification.score",
                format!("{} is not a score from 0 to 100", c.score),
            ));
        }
        if let Some(why) = rate_problem(self.load.rate) {
            return Err(Invalid::new("load.rate", why));
        }
        self.times().try_for_each(|(field, v)| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Invalid::new(field, format!("{v} is not a time (ms, 0 or more)")))
            }
        })
    }

    /// Every time of the result, ms, with its field.
    fn times(&self) -> impl Iterator<Item = (String, f64)> + '_ {
        let lat = |at: String, l: &crate::analysis::LatencySummary| {
            [
                ("p50", l.p50),
                ("p90", l.p90),
                ("p99", l.p99),
                ("p999", l.p999),
                ("max", l.max),
            ]
            .map(|(k, v)| (format!("{at}.{k}"), v))
        };
        let load = &self.load;
        let tth = &self.time_to_healthy_ms;
        let slip = [
            ("p50", load.slip_ms.p50),
            ("p99", load.slip_ms.p99),
            ("max", load.slip_ms.max),
        ];
        let ci = tth.median_ci95.map_or([None, None], |(a, b)| [Some(a), Some(b)]);
        std::iter::once(("load.duration_ms".to_string(), load.duration_ms))
            .chain(lat("load.latency_ms".into(), &load.latency_ms))
            .chain(slip.map(|(k, v)| (format!("load.slip_ms.{k}"), v)))
            .chain(self.faults.iter().enumerate().flat_map(|(i, f)| {
                let opt = [
                    ("time_to_healthy_ms", f.time_to_healthy_ms),
                    ("time_to_healthy_resolution_ms", f.time_to_healthy_resolution_ms),
                    ("floor_ms", f.floor_ms),
                    ("app_share_ms", f.app_share_ms),
                    ("time_to_first_success_ms", f.time_to_first_success_ms),
                    ("time_to_steady_ms", f.time_to_steady_ms),
                ];
                std::iter::once((format!("faults[{i}].at_ms"), f.at_ms)).chain(
                    opt.into_iter()
                        .filter_map(move |(k, v)| Some((format!("faults[{i}].{k}"), v?))),
                )
            }))
            .chain(
                [("p50", tth.p50), ("p99", tth.p99), ("max", tth.max)]
                    .into_iter()
                    .chain([("median_ci95", ci[0]), ("median_ci95", ci[1])])
                    .filter_map(|(k, v)| Some((format!("time_to_healthy_ms.{k}"), v?))),
            )
            .chain(self.floor_times())
            .chain(
                tth.by_trial
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("time_to_healthy_ms.by_trial[{i}]"), *v)),
            )
            .chain(
                self.phases
                    .iter()
                    .enumerate()
                    .flat_map(move |(i, p)| lat(format!("phases[{i}].latency_ms"), &p.latency_ms)),
            )
    }
}

impl ResultJson {
    /// The floor's times and the app's share summary, ms, with their fields.
    fn floor_times(&self) -> impl Iterator<Item = (String, f64)> + '_ {
        let share = &self.app_share_ms;
        let summary = [("p50", share.p50), ("p99", share.p99), ("max", share.max)]
            .into_iter()
            .filter_map(|(k, v)| Some((format!("app_share_ms.{k}"), v?)));
        let actions = self.floor.iter().flat_map(|f| {
            f.actions.iter().enumerate().flat_map(|(i, a)| {
                [
                    ("delay_ms", Some(a.delay_ms)),
                    ("p50_ms", a.p50_ms),
                    ("p99_ms", a.p99_ms),
                    ("min_ms", a.min_ms),
                    ("max_ms", a.max_ms),
                    ("spread_ms", a.spread_ms),
                ]
                .into_iter()
                .filter_map(move |(k, v)| Some((format!("floor.actions[{i}].{k}"), v?)))
            })
        });
        let cost = self.floor.iter().map(|f| ("floor.cost_ms".to_string(), f.cost_ms));
        summary.chain(actions).chain(cost)
    }
}

/// What to do about a result that is not one.
const HINT: &str = "give the result.json a run wrote";
/// What to do about a result of another schema version.
const VERSION_HINT: &str = "read it with the phoenix that wrote it (`environment.phoenix_version` names it)";

fn version_problem(v: u64) -> Invalid {
    Invalid::new(
        "schema_version",
        format!("{v} is not a version this build reads ({SCHEMA_VERSION})"),
    )
}

/// `schema_version` alone, from a result whose whole did not parse.
fn version_of(bytes: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u64,
    }
    serde_json::from_slice::<Version>(bytes).ok().map(|v| v.schema_version)
}

/// Why `bytes`, which did not parse as a result, did not: the field the parse stopped at.
fn field_of_failure(bytes: &[u8]) -> String {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, ResultJson>(&mut *de) {
        Err(e) => crate::record::at_field(&e),
        Ok(_) => de
            .end()
            .err()
            .map_or_else(|| "it does not parse".into(), |e| e.to_string()),
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
    fn a_refused_figure_keeps_its_field_and_prints_the_text_it_always_has() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("result.json");
        let write = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut json = written();
            edit(&mut json);
            std::fs::write(&path, json.to_string()).unwrap();
            ResultJson::read(&path).unwrap_err()
        };
        let e = write(&|j| j["certification"]["level"] = "gold\u{7}".into());
        let cause = std::error::Error::source(&e).and_then(|c| c.downcast_ref::<Invalid>());
        assert_eq!(cause.map(|c| c.field.as_str()), Some("certification.level"));
        assert_eq!(
            e.to_string(),
            format!(
                "'{}' is not a phoenix result.json: field `certification.level`: \"gold\\x07\" is not a level (one of {})\n  hint: {HINT}",
                path.display(),
                Level::NAMES.join(", ")
            )
        );
        // another version: its own hint, parsed whole or not
        for edit in [
            &|j: &mut serde_json::Value| j["schema_version"] = 7.into(),
            &|j: &mut serde_json::Value| {
                j["schema_version"] = 7.into();
                j["faults"] = "elsewhere".into();
            },
        ] as [&dyn Fn(&mut serde_json::Value); 2]
        {
            let e = write(edit);
            assert!(matches!(&e, ReadError::Invalid { source, .. } if source.field == "schema_version"));
            assert!(
                e.to_string().ends_with(&format!(
                    ": field `schema_version`: 7 is not a version this build reads ({SCHEMA_VERSION})\n  hint: {VERSION_HINT}"
                )),
                "{e}"
            );
        }
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
