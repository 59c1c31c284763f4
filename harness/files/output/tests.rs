//! The writer against hostile folders: links planted under the names it writes, the
//! temporary names it used to use and the reports marker; names that leave the folder.

use super::*;
use std::os::unix::fs::symlink;

#[test]
fn run_folders_are_never_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = RunDir::create_unique(tmp.path(), "20260101-000000", "x").unwrap();
    let b = RunDir::create_unique(tmp.path(), "20260101-000000", "x").unwrap();
    assert_ne!(a.path, b.path);
    assert!(b.path.ends_with("20260101-000000-x-2"));
}

#[test]
fn out_dir_with_a_report_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = RunDir::at(tmp.path()).unwrap();
    d.write("result.json", b"{}").unwrap();
    let e = RunDir::at(tmp.path()).unwrap_err();
    assert!(e.is_bad_input(), "{e}");
    assert_eq!(std::fs::read(tmp.path().join("result.json")).unwrap(), b"{}");
}

/// A folder with a victim file outside the run folder, and the run folder.
fn victim() -> (tempfile::TempDir, PathBuf, RunDir) {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let run = tmp.path().join("run");
    std::fs::create_dir(&run).unwrap();
    (tmp, victim, RunDir::existing(&run))
}

#[test]
fn a_link_at_the_old_temporary_name_is_not_followed() {
    let (_tmp, victim, dir) = victim();
    // the name the writer used to use: `<name>.tmp-<pid>`, predictable by anyone
    let old = dir.path.join(format!("result.tmp-{}", std::process::id()));
    symlink(&victim, &old).unwrap();
    dir.write("result.json", b"{}").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(std::fs::read(dir.path.join("result.json")).unwrap(), b"{}");
}

#[test]
fn a_link_at_the_final_name_is_replaced_not_followed() {
    let (_tmp, victim, dir) = victim();
    symlink(&victim, dir.path.join("result.json")).unwrap();
    dir.write("result.json", b"{}").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let m = std::fs::symlink_metadata(dir.path.join("result.json")).unwrap();
    assert!(m.is_file(), "the link is replaced by a regular file");
    assert_eq!(std::fs::read(dir.path.join("result.json")).unwrap(), b"{}");
    // no temporary file is left behind
    let names: Vec<_> = std::fs::read_dir(&dir.path)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["result.json"]);
}

#[test]
fn written_files_get_the_usual_mode_not_0600() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, _victim, dir) = victim();
    dir.write("index.html", b"x").unwrap();
    let mode = std::fs::metadata(dir.path.join("index.html"))
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(
        mode & 0o044,
        0,
        "readable by others as File::create would make it: {mode:o}"
    );
}

#[test]
fn names_that_leave_the_run_folder_are_refused() {
    let (tmp, _victim, dir) = victim();
    for bad in ["../escaped", "/tmp/escaped", "sub/x", "..", ""] {
        assert!(dir.write(bad, b"x").is_err(), "{bad:?}");
    }
    assert!(!tmp.path().join("escaped").exists());
}

#[test]
fn a_marker_that_is_a_link_is_left_alone() {
    let (tmp, victim, _dir) = victim();
    let reports = tmp.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    symlink(&victim, reports.join(REPORTS_MARKER)).unwrap();
    RunDir::create_unique(&reports, "20260101-000000", "x").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    // a dangling one is not created through either
    let gone = tmp.path().join("gone");
    std::fs::remove_file(reports.join(REPORTS_MARKER)).unwrap();
    symlink(&gone, reports.join(REPORTS_MARKER)).unwrap();
    RunDir::create_unique(&reports, "20260101-000000", "x").unwrap();
    assert!(!gone.exists());
}

#[test]
fn a_reports_folder_that_is_a_link_gets_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    symlink(&elsewhere, tmp.path().join("reports")).unwrap();
    let e = RunDir::create_unique(&tmp.path().join("reports"), "20260101-000000", "x").unwrap_err();
    assert!(e.is_bad_input(), "{e}");
    assert!(e.to_string().contains("hint: "), "{e}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn a_run_folder_name_with_a_separator_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(RunDir::create_unique(tmp.path(), "20260101-000000", "../x").is_err());
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn messages_escape_control_characters_in_paths() {
    let e = OutputError::Refused {
        path: PathBuf::from("/tmp/a\x1b[31mb"),
        why: "is not empty".into(),
        hint: "h".into(),
    };
    assert!(!e.to_string().contains('\x1b'), "{e}");
}
