//! A process-backend scenario: what it needs is its program (present, a regular file,
//! executable by this user) and free loopback ports for its replicas — not an engine.

use super::{Report, Status};
use crate::scenario::Scenario;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Checks the program `scenario` runs and the ports its replicas would take.
pub(super) fn check(r: &mut Report, file: &Path, scenario: &Scenario) {
    let Some(program) = scenario.app.command.as_ref().and_then(|c| c.first()) else {
        return; // validation requires a command: nothing to check without one
    };
    let what = format!("program {program}");
    match program_problem(Path::new(program)) {
        None => r.line(Status::Ok, &what, "present and executable", None),
        Some((why, fix)) => r.line(
            Status::Problem,
            &what,
            &why,
            Some(&format!("{fix}, or fix app.command in {}", file.display())),
        ),
    }
    let n = scenario.app.replicas.len();
    match crate::backend::process::free_loopback_ports(n) {
        Ok(ports) => {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            r.line(
                Status::Ok,
                "loopback ports",
                &format!("{n} free on 127.0.0.1 for {n} replica(s) (e.g. {})", list.join(", ")),
                None,
            );
        }
        Err(e) => r.line(
            Status::Problem,
            "loopback ports",
            &format!("no free port on 127.0.0.1: {e}"),
            Some("bring the loopback interface up (`ip link set lo up`) or free ports below the ephemeral range"),
        ),
    }
}

/// Why `program` cannot be run, and the fix; None when it can.
fn program_problem(program: &Path) -> Option<(String, String)> {
    let meta = match std::fs::metadata(program) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some((
                "not found".into(),
                "build it (the demo: `cargo build -p phoenix-demo`)".into(),
            ))
        }
        Err(e) => return Some((format!("cannot be read: {e}"), "make it readable".into())),
    };
    if !meta.is_file() {
        return Some(("not a regular file".into(), "point app.command at the program".into()));
    }
    let Ok(c) = std::ffi::CString::new(program.as_os_str().as_bytes()) else {
        return Some(("has a NUL in its path".into(), "rename it".into()));
    };
    // SAFETY: a valid NUL-terminated path; access() only reads it. It asks for this user,
    // as the run will start it (root may execute a file with any x bit)
    if unsafe { libc::access(c.as_ptr(), libc::X_OK) } != 0 {
        return Some((
            "not executable by this user".into(),
            format!("`chmod +x {}`", program.display()),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_program_must_exist_be_a_file_and_be_executable() {
        let tmp = tempfile::tempdir().unwrap();
        let (why, fix) = program_problem(&tmp.path().join("nope")).unwrap();
        assert_eq!(why, "not found");
        assert!(fix.contains("cargo build"), "{fix}");
        assert_eq!(program_problem(tmp.path()).unwrap().0, "not a regular file");
        let app = tmp.path().join("app");
        std::fs::write(&app, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o644)).unwrap();
        // root may execute any file with an x bit, and none without
        let (why, fix) = program_problem(&app).unwrap();
        assert!(why.contains("not executable") && fix.contains("chmod +x"), "{why}");
        std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(program_problem(&app), None);
    }
}
