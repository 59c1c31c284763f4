//! The command line (clap derive). Every command turns into calls of the library; the
//! exit status follows the table in README.md ("Exit status").

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "phoenix",
    version,
    about = "Kill a service under load and certify that it rises again with nothing lost."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write a report folder (prints its path).
    ///
    /// Exit status: 0 met the required level, 3 fell short, 5 fell short on a contended host
    /// (inconclusive), 2 bad input, 1 runtime failure.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Write the report here instead of reports/<timestamp>-<scenario>/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Repeat the scenario from a fresh deployment N times.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
        trials: Option<u32>,
        /// Rebuild the app image even if it exists.
        #[arg(long)]
        rebuild: bool,
        /// Folder that holds the run folders.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// Certify an image with no scenario file: R replicas under steady load, each killed
    /// then restarted, each killed then replaced, a rolling replace, the audit on.
    ///
    /// The scenario is `phoenix init`'s, saved as scenario.toml in the run folder. Same
    /// run folder and exit status as `run`: 0 met, 3 fell short, 5 inconclusive, 2 bad
    /// input, 1 runtime.
    Certify {
        #[command(flatten)]
        app: ZeroConfigArgs,
        /// Write the report here instead of reports/<timestamp>-<scenario>/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Folder that holds the run folders.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
        /// Run the compose file's host commands (`x-phoenix.build_command`, recipes' build.sh)
        /// when an image is missing; without it, a stack that has any is refused (exit 2)
        /// before anything runs, naming them. `phoenix validate` lists them too.
        #[arg(long)]
        allow_host_commands: bool,
    },
    /// Write the scenario `phoenix certify` runs as a commented TOML file to start from.
    ///
    /// Refuses to overwrite a file. Exit status: 0 written, 2 bad arguments or the file
    /// exists, 1 it could not be written.
    Init {
        #[command(flatten)]
        app: ZeroConfigArgs,
        /// The file to write.
        #[arg(long, default_value = "phoenix.toml")]
        file: PathBuf,
    },
    /// Check scenario files without running them.
    Validate {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Re-render a run folder's reports from its record.json (no Docker needed), and the
    /// history page of its reports folder; given a reports folder, rebuild its index.html.
    Report { run_dir: PathBuf },
    /// Remove containers, networks and volumes left by runs whose process is gone.
    Clean {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check that this machine can run the scenarios: the engine and its API version, each
    /// image present or buildable, debootstrap for recipes, free disk, chromium (info).
    ///
    /// One line per check: ok, problem (with its fix) or info. Exit status: 0 no problem,
    /// 1 a problem.
    Doctor {
        /// Scenario files [default: scenarios/*.toml].
        scenarios: Vec<PathBuf>,
        /// Also build every missing image the scenarios can build (as `run` would).
        #[arg(long)]
        build: bool,
    },
    /// Put HTTP load on one loopback URL with the engine `run` uses, and print what it
    /// achieved: sent, ok, failed by class, achieved rate, latency and schedule slip. No
    /// scenario and no Docker. Exit status: 0 done, 2 bad input.
    Load(crate::cli::load::Options),
    /// List run folders with their verdicts.
    List {
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// Compare time to healthy, lost requests, level and score of two sets of runs.
    ///
    /// Each side is a run folder, a result.json, or a folder of run folders; runs are
    /// grouped by scenario. Test: two-sided Mann-Whitney U on every fault's time to healthy,
    /// with a bootstrap 95 % interval of the difference of medians. Prints a Markdown table.
    /// Exit status: 3 a regression (p < alpha and a median slowdown above --max-slowdown,
    /// a lower level, or a lost certification), 0 none, 2 unreadable input.
    Compare {
        /// The reference runs (e.g. last night's).
        baseline: PathBuf,
        /// The runs to judge.
        candidate: PathBuf,
        /// Smallest median slowdown of time to healthy that counts as a regression.
        #[arg(long, default_value = "10%", value_parser = crate::cli::compare::parse_percent)]
        max_slowdown: f64,
        /// Significance level of the test.
        #[arg(long, default_value = "0.05", value_parser = crate::cli::compare::parse_alpha)]
        alpha: f64,
    },
    /// The nightly job: certify every bundled scenario with trials into OUT, write
    /// OUT/summary.md, and compare with the previous night's OUT.
    ///
    /// Exit status: 3 a scenario fell short of its level (or an anti-pattern scenario was
    /// certified) or recovery regressed against --baseline, 1 a run failed, 2 bad input,
    /// 5 a scenario was inconclusive (host contended) on every try (2 retries), 0 otherwise.
    Nightly {
        /// Folder for this night's run folders (one per scenario) and summary.md.
        #[arg(long)]
        out: PathBuf,
        /// The previous night's --out folder; a missing folder means a first night.
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Trials per scenario [default: 3; 1 with --short].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
        trials: Option<u32>,
        /// Scenario files or globs [default: scenarios/*.toml; scenarios/kill-restart.toml
        /// with --short].
        #[arg(long, num_args = 1..)]
        scenarios: Vec<String>,
        /// Scenario names (globs) expected to end not-certified: demonstrations of what
        /// the harness catches.
        #[arg(long, num_args = 1.., default_value = crate::cli::nightly::DEFAULT_EXPECT_NOT_CERTIFIED)]
        expect_not_certified: Vec<String>,
        /// A quick proof that the job works: kill-restart only, one trial.
        #[arg(long)]
        short: bool,
        /// Smallest median slowdown that counts as a regression (as for `compare`).
        #[arg(long, default_value = "10%", value_parser = crate::cli::compare::parse_percent)]
        max_slowdown: f64,
        /// Significance level of the comparison's test.
        #[arg(long, default_value = "0.05", value_parser = crate::cli::compare::parse_alpha)]
        alpha: f64,
    },
}

/// The arguments of `certify` and `init`: what the default scenario is built from.
#[derive(Debug, Clone, Args)]
pub struct ZeroConfigArgs {
    /// The app's image (used if present locally, else pulled); or --compose and --service.
    #[arg(required_unless_present = "compose", conflicts_with = "compose")]
    pub image: Option<String>,
    /// A docker-compose file holding the stack instead of IMAGE: its --service is the app,
    /// every other service a dependency (docs/scenarios.md, "A docker-compose file as the stack").
    #[arg(long, value_name = "FILE", requires = "service")]
    pub compose: Option<std::path::PathBuf>,
    /// The compose service to replicate, kill and load (with --compose).
    #[arg(long, value_name = "NAME", requires = "compose")]
    pub service: Option<String>,
    /// An environment variable the compose file may read (repeatable); it sees no other
    /// variable of phoenix's environment, only the .env beside it.
    #[arg(long = "compose-env", value_name = "NAME", requires = "compose")]
    pub(crate) compose_env: Vec<String>,
    /// The port the app listens on inside its container (with --compose: default, the
    /// service's one container port).
    #[arg(long, required_unless_present = "compose")]
    pub port: Option<u16>,
    /// Health path, probed until it answers 200 [default: /].
    #[arg(long)]
    pub health: Option<String>,
    /// How long a probe waits for the health path's answer [default: 1s]: raise it for an
    /// app whose health page is slow, or it is never seen healthy.
    #[arg(long, value_name = "DURATION")]
    pub(crate) health_timeout: Option<String>,
    /// Replicas [default: 2].
    #[arg(long)]
    pub replicas: Option<u32>,
    /// An environment variable of every replica, NAME=VALUE (repeatable).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A request of the load's mix, "METHOD PATH" (repeatable) [default: "GET /"].
    #[arg(long = "request", value_name = "METHOD PATH")]
    pub requests: Vec<String>,
    /// The load's length, at least 2 s per gap; the faults are spread evenly over it
    /// [default: 4 s between faults, 36 s for 2 replicas].
    #[arg(long)]
    pub duration: Option<String>,
}

/// Prints clap's refusal of the command line (or the help it asked for) and returns the
/// exit status: clap echoes the value it refused, so each line is escaped (one escape for
/// the terminal: an argument cannot drive it), without clap's colours.
pub fn usage_error(e: &clap::Error) -> u8 {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // phoenix's own text, to stdout as clap prints it
        let _ = e.print();
        return 0;
    }
    eprint!("{}", escape_lines(&e.render().to_string()));
    // usage errors are bad input (2), as clap's own exit would be
    u8::try_from(e.exit_code()).unwrap_or(crate::cli::exit::EXIT_BAD_INPUT)
}

/// `text` with every line escaped, the line breaks kept.
pub fn escape_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|l| match l.strip_suffix('\n') {
            Some(l) => format!("{}\n", crate::scenario::escape(l)),
            None => crate::scenario::escape(l).into_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_refused_value_is_echoed_escaped() {
        let e =
            Cli::try_parse_from(["phoenix", "load", "http://127.0.0.1:1/", "--rate", "\u{1b}[2J\u{7}"]).unwrap_err();
        let shown = escape_lines(&e.render().to_string());
        assert!(shown.contains("\\x1b[2J\\x07"), "{shown}");
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
        assert!(shown.contains("--rate"), "{shown}");
    }

    #[test]
    fn trials_out_of_range_is_a_usage_error() {
        let e = Cli::try_parse_from(["phoenix", "run", "x.toml", "--trials", "0"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn compare_thresholds_parse_as_percent_and_level() {
        let cli = Cli::try_parse_from(["phoenix", "compare", "a", "b", "--max-slowdown", "25%"]).unwrap();
        match cli.command {
            Command::Compare {
                max_slowdown, alpha, ..
            } => assert_eq!((max_slowdown, alpha), (0.25, 0.05)),
            other => panic!("{other:?}"),
        }
        let e = Cli::try_parse_from(["phoenix", "compare", "a", "b", "--alpha", "2"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn nightly_needs_an_out_folder_and_defaults_to_antipatterns_expected() {
        assert!(Cli::try_parse_from(["phoenix", "nightly"]).is_err());
        let cli = Cli::try_parse_from(["phoenix", "nightly", "--out", "n", "--short"]).unwrap();
        match cli.command {
            Command::Nightly {
                short,
                expect_not_certified,
                trials,
                ..
            } => {
                assert!(short);
                assert_eq!(trials, None);
                assert_eq!(expect_not_certified, vec!["antipattern-*".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }
}
