//! The command line (clap derive). Every command turns into calls of the library; the
//! exit status follows the CLI contract in DESIGN.md.

use clap::{Parser, Subcommand};
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
    /// Exit status: 0 met the required level, 3 fell short, 2 bad input, 1 runtime failure.
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
    /// Check scenario files without running them.
    Validate {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Re-render a run folder's reports from its record.json (no Docker needed).
    Report { run_dir: PathBuf },
    /// Remove containers, networks and volumes left by runs whose process is gone.
    Clean {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// List run folders with their verdicts.
    List {
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
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
    fn trials_out_of_range_is_a_usage_error() {
        let e = Cli::try_parse_from(["phoenix", "run", "x.toml", "--trials", "0"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
