//! Where phoenix may write, decided before anything is written: an `--out` folder must not
//! exist or be empty, a reports folder must be a real folder, neither may be a symbolic
//! link (nor reached through one inside a relative path) nor a system folder, and a file
//! written into a run folder has a plain name.

use super::OutputError;
use std::path::{Component, Path, PathBuf};

/// Folders phoenix never writes into, nor anywhere below them.
const SYSTEM_TREES: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/sbin",
    "/sys",
    "/usr/bin",
    "/usr/include",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/sbin",
    "/usr/share",
];

/// Folders phoenix never uses as a run folder or reports folder themselves (a project
/// below some of them, such as `/usr/src/app` or `/var/lib/ci`, is fine).
const SYSTEM_FOLDERS: &[&str] = &[
    "/",
    "/home",
    "/media",
    "/mnt",
    "/opt",
    "/root",
    "/run",
    "/srv",
    "/tmp",
    "/usr",
    "/usr/local",
    "/usr/src",
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/log",
    "/var/mail",
    "/var/run",
    "/var/spool",
    "/var/tmp",
];

fn refused(path: &Path, why: &str, hint: &str) -> OutputError {
    OutputError::Refused {
        path: path.into(),
        why: why.into(),
        hint: hint.into(),
    }
}

const OUT_HINT: &str = "give --out a folder that does not exist yet (or an empty one) in your project; \
                        reports are never written over other files";

/// Checks an `--out` folder (`run`, `certify`, `nightly`) before anything is written: it
/// must not exist, or be an empty real folder, and must not be a system folder.
pub fn check_out(path: &Path) -> Result<(), OutputError> {
    if path.as_os_str().is_empty() {
        return Err(refused(path, "is empty", OUT_HINT));
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(refused(path, "is a symbolic link", OUT_HINT)),
        Ok(m) if !m.is_dir() => return Err(refused(path, "exists and is not a folder", OUT_HINT)),
        Ok(_) => {
            let mut entries = std::fs::read_dir(path).map_err(|source| OutputError::Create {
                path: path.into(),
                source,
            })?;
            if entries.next().is_some() {
                return Err(refused(path, "is not empty", OUT_HINT));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(OutputError::Create {
                path: path.into(),
                source,
            })
        }
    }
    check_place(path, OUT_HINT)
}

const REPORTS_HINT: &str = "give --reports a real folder of your project (not a symbolic link, not a system folder)";

/// Checks the folder of run folders (`--reports`, `reports` by default): a real folder or
/// missing, never a symbolic link, never a system folder.
pub fn check_reports(path: &Path) -> Result<(), OutputError> {
    if path.as_os_str().is_empty() {
        return Err(refused(path, "is empty", REPORTS_HINT));
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(refused(path, "is a symbolic link", REPORTS_HINT)),
        Ok(m) if !m.is_dir() => Err(refused(path, "exists and is not a folder", REPORTS_HINT)),
        _ => check_place(path, REPORTS_HINT),
    }
}

/// The rules shared by `--out` and `--reports`: no symbolic link among the components of a
/// relative path (it would lead out of the project), no `..` below the part that exists,
/// and not a system folder once resolved.
fn check_place(path: &Path, hint: &str) -> Result<(), OutputError> {
    if path.is_relative() {
        let mut prefix = PathBuf::new();
        for c in path.components() {
            prefix.push(c);
            if matches!(c, Component::Normal(_))
                && std::fs::symlink_metadata(&prefix).is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(refused(path, "goes through a symbolic link", hint));
            }
        }
    }
    let resolved =
        resolve(path).ok_or_else(|| refused(path, "cannot be resolved (a `..` below a missing folder?)", hint))?;
    if is_system(&resolved) {
        return Err(refused(path, "is a system folder", hint));
    }
    Ok(())
}

/// `path` with its longest existing prefix canonicalized and the missing rest appended;
/// `None` when the missing rest holds `..` (what it names depends on folders not made yet).
fn resolve(path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut rest = Vec::new();
    let mut base = absolute.as_path();
    let canonical = loop {
        if let Ok(c) = base.canonicalize() {
            break c;
        }
        rest.push(base.file_name()?.to_owned());
        base = base.parent()?;
    };
    // `file_name` is `None` for a path ending in `..`, so `rest` holds plain names only
    Some(rest.iter().rev().fold(canonical, |p, n| p.join(n)))
}

/// Whether a resolved path is, or is inside, a folder phoenix never writes to.
fn is_system(resolved: &Path) -> bool {
    // macOS keeps /etc, /var and /tmp under /private
    let p = resolved
        .strip_prefix("/private")
        .map_or(resolved.to_path_buf(), |r| Path::new("/").join(r));
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .and_then(|h| h.canonicalize().ok());
    SYSTEM_FOLDERS.iter().any(|s| p == Path::new(s))
        || SYSTEM_TREES.iter().any(|s| p.starts_with(s))
        || home.is_some_and(|h| h == p || h == resolved)
}

/// Whether `name` names a file directly inside a folder: not empty, no separator, not
/// `.` or `..`, no NUL.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(r: Result<(), OutputError>) -> String {
        match r {
            Err(OutputError::Refused { why, .. }) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn system_folders_and_their_trees_are_refused() {
        for p in [
            "/",
            "/etc",
            "/etc/phoenix",
            "/usr",
            "/usr/bin/x",
            "/var",
            "/proc/1",
            "/dev/shm/x",
            "/boot/x",
        ] {
            assert!(is_system(Path::new(p)), "{p}");
        }
        for p in [
            "/usr/src/app/reports",
            "/var/lib/ci/work/reports",
            "/tmp/x/run",
            "/home/u/project/reports",
        ] {
            assert!(!is_system(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn out_must_be_new_or_an_empty_real_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        check_out(&t.join("new/run")).unwrap();
        std::fs::create_dir(t.join("empty")).unwrap();
        check_out(&t.join("empty")).unwrap();
        std::fs::create_dir(t.join("full")).unwrap();
        std::fs::write(t.join("full/scenario.toml"), "mine").unwrap();
        assert_eq!(why(check_out(&t.join("full"))), "is not empty");
        std::fs::write(t.join("file"), "").unwrap();
        assert_eq!(why(check_out(&t.join("file"))), "exists and is not a folder");
        std::os::unix::fs::symlink(t.join("empty"), t.join("link")).unwrap();
        assert_eq!(why(check_out(&t.join("link"))), "is a symbolic link");
        assert_eq!(why(check_out(Path::new("/etc"))), "is not empty");
        assert_eq!(why(check_out(Path::new("/etc/phoenix-new"))), "is a system folder");
        // through a link to a system folder, and `..` climbing into one
        std::os::unix::fs::symlink("/etc", t.join("etc")).unwrap();
        assert_eq!(why(check_out(&t.join("etc/phoenix-new"))), "is a system folder");
        let climb = t.join("../".repeat(t.components().count())).join("etc/phoenix-new");
        assert_eq!(why(check_out(&climb)), "is a system folder");
        assert!(why(check_out(&t.join("missing/../x"))).contains("cannot be resolved"));
    }

    #[test]
    fn a_reports_folder_that_is_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        check_reports(&t.join("reports")).unwrap();
        std::fs::create_dir(t.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(t.join("elsewhere"), t.join("reports")).unwrap();
        assert_eq!(why(check_reports(&t.join("reports"))), "is a symbolic link");
        assert_eq!(why(check_reports(Path::new("/usr/lib/phoenix"))), "is a system folder");
    }

    #[test]
    fn plain_names_only() {
        assert!(is_plain_name("result.json") && is_plain_name(".phoenix-reports"));
        for bad in ["", ".", "..", "../x", "a/b", "/etc/passwd", "a\\b", "a\0b"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
    }
}
