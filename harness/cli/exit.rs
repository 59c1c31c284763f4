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
/// The run completed and fell short of the required level on its figures alone, on a host
/// that was contended (CPU pressure, steal, load or the generator's slip above their
/// bounds): no verdict on the app; rerun it on a quiet host (`phoenix nightly` does).
pub const EXIT_INCONCLUSIVE: u8 = 5;
