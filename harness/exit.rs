//! The CLI's exit statuses, one contract for every command (README, *Exit status*). They
//! live apart from `commands/` so that the commands it dispatches to (`compare`,
//! `nightly`, `load_cli`, `doctor`) need not import their own dispatcher.

/// The run completed and met the scenario's `require` level (or the command succeeded).
pub const EXIT_OK: u8 = 0;
/// Runtime failure: Docker unreachable, an image build failed, the run was interrupted.
pub const EXIT_RUNTIME: u8 = 1;
/// Bad input: an invalid scenario file, bad arguments, an `--out` folder that holds a report.
pub const EXIT_BAD_INPUT: u8 = 2;
/// The run completed and fell short of the required level.
pub const EXIT_FELL_SHORT: u8 = 3;
