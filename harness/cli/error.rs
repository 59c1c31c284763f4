//! One way to fail: every command returns `Result<Exit, CommandError>`, and `main` prints
//! the error once ([`CommandError::message`]: `error: ` and its text, the cause chain
//! included, escaped line by line) and exits with its status ([`CommandError::status`]):
//! 2 when the input is at fault, 1 when the system is. Each variant keeps its cause, typed
//! (`std::error::Error::source`); its text is the message the command has always printed.

use crate::backend::BackendError;
use crate::cli::compare::CompareError;
use crate::cli::exit::{EXIT_BAD_INPUT, EXIT_RUNTIME};
use crate::cli::load::LoadError;
use crate::cli::nightly::ResolveError;
use crate::cli::reports::ReportsError;
use crate::cli::zero_config::RelativeError;
use crate::files::input::FolderError;
use crate::files::output::OutputError;
use crate::record::RecordError;
use crate::scenario::zero_config::ArgError;
use crate::scenario::{escape, ScenarioError};
use std::path::PathBuf;

/// Why a command failed. Bad input (exit 2) first, then what may be either (by its
/// cause), then runtime failures (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A scenario file that does not load (every problem, file:line:col).
    #[error("{0}")]
    Scenario(#[source] ScenarioError),
    /// `--trials` plans more requests than a run keeps.
    #[error("--trials {trials}: {why}\n  hint: run fewer trials")]
    Trials { trials: u32, why: String },
    /// `certify`/`init` arguments the default scenario refused (its own message).
    #[error("{0}")]
    ZeroConfigArgs(#[source] ArgError),
    /// `--compose` names no file the scenario can name.
    #[error("--compose {}: {source}\n  hint: name an existing compose file, e.g. --compose docker-compose.yml", escape(&file.display().to_string()))]
    ComposeFile {
        file: PathBuf,
        #[source]
        source: RelativeError,
    },
    /// The default scenario the arguments give does not validate.
    #[error("the default scenario for these arguments is not valid: {source}{}", if *compose { COMPOSE_FIELDS } else { "" })]
    DefaultScenario {
        #[source]
        source: ScenarioError,
        compose: bool,
    },
    /// A compose stack that runs commands on this host, without `--allow-host-commands`.
    #[error("{}", host_commands(commands))]
    HostCommands { commands: Vec<(String, PathBuf)> },
    /// A record.json `phoenix report` cannot re-render.
    #[error("{0}")]
    Record(#[source] RecordError),
    /// A reports folder `phoenix list` cannot read.
    #[error("{0}")]
    RunFolders(#[source] FolderError),
    /// A side of `phoenix compare` that cannot be read.
    #[error("{0}")]
    Compare(#[source] CompareError),
    /// The previous night's folder cannot be read.
    #[error("the baseline cannot be read: {0}")]
    Baseline(#[source] CompareError),
    /// Scenario files or globs that name nothing readable.
    #[error("{0}")]
    Resolve(#[source] ResolveError),
    /// Two scenario files of one night share a name.
    #[error("two scenario files are named '{name}' ({})\n  hint: scenario names must be unique: they name the run folders", file.display())]
    DuplicateName { name: String, file: PathBuf },
    /// `phoenix load` arguments refused.
    #[error("{0}")]
    Load(#[source] LoadError),

    /// A place refused (bad input) or a write that failed (runtime), as the writer says.
    #[error("{0}")]
    Output(#[source] OutputError),

    /// The async runtime could not be built.
    #[error("cannot start the async runtime: {0}")]
    AsyncRuntime(#[source] std::io::Error),
    /// `phoenix nightly` cannot find itself to run the scenarios.
    #[error("cannot find the phoenix executable to run the scenarios: {0}")]
    CurrentExe(#[source] std::io::Error),
    /// The backend could not be prepared, or failed to list what dead runs left.
    #[error("{0}")]
    Backend(#[source] BackendError),
    /// `phoenix clean` cannot reach the engine; `process_runs` says what was done before.
    #[error("{source}{}", process_runs.map(not_checked).unwrap_or_default())]
    Engine {
        #[source]
        source: BackendError,
        process_runs: Option<&'static str>,
    },
    /// A signal arrived while the images were being prepared.
    #[error("interrupted before the run started")]
    Interrupted,
    /// The run stopped before any trial's app was deployed: nothing to report.
    #[error("{reason}")]
    MeasuredNothing { reason: String },
    /// The run stopped early for a reason other than the app; its report is written.
    #[error("run stopped early: {reason}")]
    StoppedEarly { reason: String },
    /// A run folder's reports could not be rendered or written.
    #[error("{0}")]
    Reports(#[source] ReportsError),
    /// Leftover process runs `phoenix clean` could not remove.
    #[error("{failed} run folder(s) could not be removed\n  hint: see the folders named above, then run `phoenix clean` again")]
    Leftovers { failed: usize },
    /// Orphaned engine objects `phoenix clean` could not remove.
    #[error("{failed} object(s) could not be removed\n  hint: see `docker ps -a --filter label={}`, then run `phoenix clean` again", crate::backend::labels::RUN)]
    Orphans { failed: usize },
    /// A scenario's `phoenix run` could not be started.
    #[error("cannot start '{}': {source}", exe.display())]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The night's output folder could not be created.
    #[error("cannot create '{}': {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An inconclusive try could not be moved aside.
    #[error("cannot keep the inconclusive try in '{}': {source}", path.display())]
    KeepTry {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Several failures of one command, each printed as its own `error:` line (the
    /// scenario files `phoenix validate` refused, what `phoenix clean` could not do).
    #[error("{first}{}", rest.iter().map(|e| format!("\nerror: {e}")).collect::<String>())]
    Several {
        #[source]
        first: Box<CommandError>,
        rest: Vec<CommandError>,
    },
}

impl CommandError {
    /// The process exit status: 2 when the input is at fault, else 1; for several
    /// failures, 1 when any is a runtime failure.
    pub fn status(&self) -> u8 {
        use CommandError as E;
        match self {
            E::Scenario(_)
            | E::Trials { .. }
            | E::ZeroConfigArgs(_)
            | E::ComposeFile { .. }
            | E::DefaultScenario { .. }
            | E::HostCommands { .. }
            | E::Record(_)
            | E::RunFolders(_)
            | E::Compare(_)
            | E::Baseline(_)
            | E::Resolve(_)
            | E::DuplicateName { .. }
            | E::Load(_) => EXIT_BAD_INPUT,
            E::Output(e) if e.is_bad_input() => EXIT_BAD_INPUT,
            E::Output(_)
            | E::AsyncRuntime(_)
            | E::CurrentExe(_)
            | E::Backend(_)
            | E::Engine { .. }
            | E::Interrupted
            | E::MeasuredNothing { .. }
            | E::StoppedEarly { .. }
            | E::Reports(_)
            | E::Leftovers { .. }
            | E::Orphans { .. }
            | E::Spawn { .. }
            | E::CreateDir { .. }
            | E::KeepTry { .. } => EXIT_RUNTIME,
            E::Several { first, rest } => std::iter::once(first.as_ref())
                .chain(rest)
                .map(CommandError::status)
                .min()
                .unwrap_or(EXIT_RUNTIME),
        }
    }

    /// This failure, then `next`: one error that prints each on its own line.
    pub fn then(self, next: CommandError) -> CommandError {
        match self {
            CommandError::Several { first, mut rest } => {
                rest.push(next);
                CommandError::Several { first, rest }
            }
            first => CommandError::Several {
                first: Box::new(first),
                rest: vec![next],
            },
        }
    }

    /// What `main` prints, after `error: `: the text, then each cause the text does not
    /// already show, as it is or escaped (every cause the harness has is shown in its text),
    /// escaped line by line so that nothing a file or the engine said can drive the terminal.
    pub fn message(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let shown = c.to_string();
            if !text.contains(&shown) && !text.contains(escape(&shown).as_ref()) {
                text.push_str(": ");
                text.push_str(&shown);
            }
            cause = c.source();
        }
        crate::cli::escape_lines(&text)
    }
}

impl From<OutputError> for CommandError {
    fn from(e: OutputError) -> Self {
        CommandError::Output(e)
    }
}

impl From<ScenarioError> for CommandError {
    fn from(e: ScenarioError) -> Self {
        CommandError::Scenario(e)
    }
}

/// Which argument gave each field of a default scenario from a compose file.
const COMPOSE_FIELDS: &str =
    "\n  (app.compose is --compose, app.service --service, app.port --port, app.compose_env --compose-env)";

/// What `phoenix clean` says when it did the process runs (`done`: listed or removed) but
/// cannot reach the engine.
fn not_checked(done: &str) -> String {
    format!("\n  (the process runs above were {done}; the engine's objects were not checked)")
}

/// The refusal of a stack that runs commands on this host: each command and its folder.
fn host_commands(commands: &[(String, PathBuf)]) -> String {
    let mut text = String::from("--compose: the stack runs commands on this host, as you, when an image is missing:");
    for (command, folder) in commands {
        text.push_str(&format!(
            "\n  {} (in {})",
            escape(command),
            escape(&folder.display().to_string())
        ));
    }
    text.push_str("\n  hint: read them (and the files they run), then add --allow-host-commands to run them");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::exit::Exit;
    use std::error::Error as _;
    use std::io::{Error as IoError, ErrorKind};

    fn not_a_file() -> ScenarioError {
        ScenarioError::NotAFile {
            path: "s.toml".into(),
            kind: "a FIFO (named pipe)",
        }
    }

    #[test]
    fn verdicts_and_failures_map_to_the_documented_statuses() {
        let statuses = [Exit::Ok, Exit::FellShort, Exit::Inconclusive, Exit::Problems].map(Exit::status);
        assert_eq!(statuses, [0, 3, 5, 1]);
        assert_eq!(CommandError::Scenario(not_a_file()).status(), 2);
        assert_eq!(
            CommandError::DuplicateName {
                name: "a".into(),
                file: "a.toml".into()
            }
            .status(),
            2
        );
        assert_eq!(CommandError::Interrupted.status(), 1);
        assert_eq!(CommandError::Leftovers { failed: 1 }.status(), 1);
        // a place refused is the user's; a write that failed is the system's
        let refused = OutputError::Exists { path: "out".into() };
        assert_eq!(CommandError::from(refused).status(), 2);
        let write = OutputError::Write {
            path: "out/x".into(),
            source: IoError::from(ErrorKind::StorageFull),
        };
        assert_eq!(CommandError::from(write).status(), 1);
        // several: a runtime failure among them makes it one
        let bad = || CommandError::Scenario(not_a_file());
        assert_eq!(bad().then(bad()).status(), 2);
        assert_eq!(bad().then(CommandError::Interrupted).then(bad()).status(), 1);
    }

    #[test]
    fn the_cause_is_kept_typed() {
        let e = CommandError::CreateDir {
            path: "n".into(),
            source: IoError::from(ErrorKind::PermissionDenied),
        };
        let io = e.source().and_then(|c| c.downcast_ref::<IoError>()).map(IoError::kind);
        assert_eq!(io, Some(ErrorKind::PermissionDenied));
        let e = CommandError::Scenario(not_a_file());
        assert!(e.source().is_some_and(|c| c.is::<ScenarioError>()));
        let several = CommandError::Interrupted.then(CommandError::Scenario(not_a_file()));
        assert!(several
            .source()
            .is_some_and(|c| c.to_string() == "interrupted before the run started"));
    }

    #[test]
    fn the_message_shows_each_cause_once() {
        let io = IoError::other("disk on fire");
        let e = CommandError::CreateDir {
            path: "night".into(),
            source: io,
        };
        assert_eq!(e.message(), "cannot create 'night': disk on fire");
        let e = CommandError::Baseline(CompareError::NoRuns { path: "b".into() });
        assert_eq!(e.message().matches("holds no run").count(), 1, "{}", e.message());
        assert!(e.message().starts_with("the baseline cannot be read: 'b' holds no run"));
    }

    #[test]
    fn a_cause_the_text_shows_escaped_is_not_shown_again() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("result.json");
        let mut json = serde_json::to_value(crate::report::result::ResultJson::from_report(
            &crate::report::Report::build(crate::report::fixture::record()),
        ))
        .unwrap();
        json["certification"]["level"] = "gold\u{7}".into();
        std::fs::write(&path, json.to_string()).unwrap();
        let e = CommandError::Compare(crate::cli::compare::load(&path).unwrap_err());
        let text = e.message();
        assert_eq!(text.matches("is not a level").count(), 1, "{text}");
        assert!(text.contains("field `certification.level`: \"gold\\x07\""), "{text}");
    }

    #[test]
    fn several_failures_print_one_error_line_each() {
        let e = CommandError::Leftovers { failed: 2 }.then(CommandError::Orphans { failed: 1 });
        let text = e.message();
        assert!(
            text.starts_with("2 run folder(s) could not be removed\n  hint: "),
            "{text}"
        );
        assert!(
            text.contains("\nerror: 1 object(s) could not be removed\n  hint: "),
            "{text}"
        );
    }

    #[test]
    fn the_message_is_escaped_line_by_line() {
        let e = CommandError::MeasuredNothing {
            reason: "gone\u{1b}[2J\n  \u{202e}hint".into(),
        };
        assert_eq!(e.message(), "gone\\x1b[2J\n  \\u{202e}hint");
    }
}
