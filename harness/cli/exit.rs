//! The CLI's exit statuses, one contract for every command (README, *Exit status*), and
//! [`Exit`], what a command that ran to its end reports. A command that fails returns a
//! [`crate::cli::error::CommandError`] instead, which carries status 1 or 2. They live
//! apart from the commands so that the commands it dispatches to (`compare`, `nightly`,
//! `load`, `doctor`) need not import their own dispatcher.

/// The run completed and met the scenario's `require` level (or the command succeeded).
pub(crate) const EXIT_OK: u8 = 0;
/// Runtime failure: Docker unreachable, an image build failed, the run was interrupted.
pub(crate) const EXIT_RUNTIME: u8 = 1;
/// Bad input: an invalid scenario file, bad arguments, an `--out` folder that holds a report.
pub(crate) const EXIT_BAD_INPUT: u8 = 2;
/// The run completed and fell short of the required level.
pub(crate) const EXIT_FELL_SHORT: u8 = 3;
/// The run completed and fell short of the required level on its figures alone, on a host
/// that was contended (CPU pressure, steal, load or the generator's slip above their
/// bounds): no verdict on the app; rerun it on a quiet host (`phoenix nightly` does).
pub const EXIT_INCONCLUSIVE: u8 = 5;

/// What a command that ran to its end reports: its verdict, printed by the command itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Met the required level, or the command did what it was asked (0).
    Ok,
    /// Fell short of the required level, or recovery regressed (3).
    FellShort,
    /// Fell short on a contended host: no verdict on the app (5).
    Inconclusive,
    /// Ran to its end, and its own output names what failed: a nightly scenario whose run
    /// failed, a problem `phoenix doctor` found (1, with no error message of its own).
    Problems,
}

impl Exit {
    /// The process exit status.
    pub fn status(self) -> u8 {
        match self {
            Exit::Ok => EXIT_OK,
            Exit::FellShort => EXIT_FELL_SHORT,
            Exit::Inconclusive => EXIT_INCONCLUSIVE,
            Exit::Problems => EXIT_RUNTIME,
        }
    }
}
