//! Report files: writing a run folder's reports, the history page of a reports folder,
//! and `phoenix report`, which re-renders either from what is on disk.

use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::files::input::FolderError;
use crate::files::output::{OutputError, RunDir};
use crate::record::RunRecord;
use crate::report::{history, hlog, html, json, junit, markdown, RenderError, Report};
use std::path::Path;

/// Why a run folder's reports or a history page could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    /// A renderer failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] OutputError),
    /// The reports folder could not be read for the history page.
    #[error(transparent)]
    Folder(#[from] FolderError),
}

/// Writes every report file of a run folder, each atomically, then rebuilds the history
/// page of the reports folder that holds it (when it is one, see [`is_reports_dir`]).
pub fn write_reports(dir: &RunDir, report: &Report) -> Result<(), ReportsError> {
    dir.write("record.json", &json::record(report)?)?;
    dir.write("result.json", &json::result(report)?)?;
    dir.write("index.html", &html::render(report)?)?;
    dir.write("summary.md", &markdown::render(report)?)?;
    dir.write("junit.xml", &junit::render(report)?)?;
    dir.write("latency.hlog", &hlog::render(report)?)?;
    if let Some(parent) = dir.path.parent().filter(|p| is_reports_dir(p)) {
        // the run's own files are written: a history page that cannot be rebuilt is a warning
        if let Err(e) = rebuild_history(parent) {
            eprintln!("warning: {e}");
        }
    }
    Ok(())
}

/// Whether `dir` is a folder of run folders: it carries the marker `phoenix run` leaves
/// there, or a history page, or it is named `reports`.
pub fn is_reports_dir(dir: &Path) -> bool {
    if dir.as_os_str().is_empty() {
        return false;
    }
    dir.join(crate::files::output::REPORTS_MARKER).is_file()
        || history_page_head(&dir.join("index.html")).is_some_and(|t| t.contains(history::GENERATOR))
        || dir.file_name().is_some_and(|n| n == "reports")
}

/// The head of a history page, where its generator is named (through the one reader: a
/// FIFO or a device there is never opened blocking, a huge page never read whole).
fn history_page_head(page: &Path) -> Option<String> {
    let head = crate::files::input::read_head(page, crate::files::input::Kind::HistoryPage, 4096).ok()?;
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Rewrites `<reports_dir>/index.html`, the history page of every run folder in it. Broken
/// or partial run folders are listed as such; only an unreadable folder or a failed write
/// is an error. Returns the number of runs listed.
pub fn rebuild_history(reports_dir: &Path) -> Result<usize, ReportsError> {
    let entries = history::scan(reports_dir)?;
    let page = history::render(&entries)?;
    crate::files::output::write_atomic(&reports_dir.join("index.html"), &page)?;
    Ok(entries.len())
}

/// Whether `dir` holds at least one run folder (a subfolder with a record.json or result.json).
fn holds_run_folders(dir: &Path) -> bool {
    crate::files::input::run_folders(dir).is_ok_and(|folders| {
        folders
            .iter()
            .any(|p| p.join("record.json").is_file() || p.join("result.json").is_file())
    })
}

/// `phoenix report <dir>`: re-renders a run folder from its record.json (and the history
/// page of the reports folder holding it); given a reports folder instead (no record.json,
/// but run folders inside), rebuilds its history page.
pub(super) fn report(run_dir: &Path) -> Result<Exit, CommandError> {
    let path = run_dir.join("record.json");
    if !path.exists() && holds_run_folders(run_dir) {
        let n = rebuild_history(run_dir).map_err(CommandError::Reports)?;
        println!("{}", run_dir.join("index.html").display());
        eprintln!("phoenix: listed {n} run folder(s)");
        return Ok(Exit::Ok);
    }
    let record = RunRecord::read(&path).map_err(CommandError::Record)?;
    let report = Report::build(record);
    write_reports(&RunDir::existing(run_dir), &report).map_err(CommandError::Reports)?;
    println!("{}", run_dir.display());
    Ok(Exit::Ok)
}
