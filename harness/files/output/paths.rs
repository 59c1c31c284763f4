//! Where phoenix may write, decided before anything is written: an `--out` folder must not
//! exist or be empty, a reports folder must be a real folder, `init`'s file must not exist,
//! none may be a symbolic link (nor reached through one inside a relative path) nor in a
//! system folder ([`is_system`]), and a file written into a run folder has a plain name.

use super::OutputError;
use std::path::{Component, Path, PathBuf};

/// Trees phoenix never writes into, wherever it runs from: the system's own files, the
/// kernel's (`/proc`, `/sys`, `/dev`) and runtime state.
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
    "/run",
    "/sbin",
    "/sys",
    "/usr/bin",
    "/usr/include",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local/bin",
    "/usr/local/etc",
    "/usr/local/lib",
    "/usr/local/sbin",
    "/usr/local/share",
    "/usr/sbin",
    "/usr/share",
    "/var/run",
];

/// Folders never written into themselves (a project below some of them is judged by
/// [`Places`]).
const SYSTEM_FOLDERS: &[&str] = &[
    "/",
    "/home",
    "/media",
    "/mnt",
    "/opt",
    "/root",
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
    "/var/spool",
    "/var/tmp",
];

/// Folder names never written into, anywhere: a repository's insides (a hook there runs
/// code) and keys.
const PRIVATE_NAMES: &[&str] = &[".git", ".ssh", ".gnupg"];

/// Where the user's own files are: the current project (the working folder), `$HOME` and
/// the temporary folders. Below them phoenix may write; elsewhere only into a folder the
/// owner of which is not root (see README, "The report folder").
struct Places {
    zones: Vec<PathBuf>,
}

impl Places {
    fn here() -> Places {
        let project = std::env::current_dir().ok();
        let others = [
            std::env::var_os("HOME").map(PathBuf::from),
            Some(std::env::temp_dir()),
            Some(PathBuf::from("/tmp")),
            Some(PathBuf::from("/var/tmp")),
        ];
        Places::of(project, others)
    }

    /// Working from `/`, `/etc` or `/var` makes nothing there the user's project; a `$HOME`
    /// of `/root` and the temporary folders are the user's, `/` never.
    fn of(project: Option<PathBuf>, others: impl IntoIterator<Item = Option<PathBuf>>) -> Places {
        let real = |z: Option<PathBuf>| z.and_then(|z| z.canonicalize().ok()).map(|z| unprivate(&z));
        let project = real(project).filter(|z| !in_system_tree(z));
        let others = others
            .into_iter()
            .filter_map(real)
            .filter(|z| !SYSTEM_TREES.iter().any(|s| z.starts_with(s)) && z != Path::new("/"));
        Places {
            zones: project.into_iter().chain(others).collect(),
        }
    }

    /// Whether `p` (resolved) is strictly below one of the user's places.
    fn holds(&self, p: &Path) -> bool {
        self.zones.iter().any(|z| p != z && p.starts_with(z))
    }
}

/// macOS keeps /etc, /var and /tmp under /private.
fn unprivate(p: &Path) -> PathBuf {
    p.strip_prefix("/private")
        .map_or(p.to_path_buf(), |r| Path::new("/").join(r))
}

fn in_system_tree(p: &Path) -> bool {
    SYSTEM_FOLDERS.iter().any(|s| p == Path::new(s)) || SYSTEM_TREES.iter().any(|s| p.starts_with(s))
}

/// The owner of the deepest existing folder along `p` (what a write there would change).
fn owner_is_root(p: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    p.ancestors()
        .find_map(|a| std::fs::metadata(a).ok())
        .is_none_or(|m| m.uid() == 0)
}

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

const FILE_HINT: &str = "give --file a new file in your project (phoenix init never overwrites a file)";

/// Checks `init`'s `--file` before it is written: nothing at that name (not even a link),
/// and its folder passes the rules of a run folder's.
pub fn check_new_file(path: &Path) -> Result<(), OutputError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !is_plain_name(name) || path.ends_with("..") {
        return Err(refused(path, "is not a file name", FILE_HINT));
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(refused(path, "is a symbolic link", FILE_HINT)),
        Ok(_) => return Err(refused(path, "exists", FILE_HINT)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(OutputError::Write {
                path: path.into(),
                source,
            })
        }
    }
    check_place(path, FILE_HINT)
}

/// The rules shared by `--out`, `--reports` and `--file`: no symbolic link among the components of a
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
        let why = if hint == FILE_HINT {
            "is in a system folder"
        } else {
            "is a system folder"
        };
        return Err(refused(path, why, hint));
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

/// Whether a resolved path is, or is inside, a folder phoenix never writes to: a system
/// tree or folder, a `.git` or `.ssh` folder, `$HOME` itself, or a place outside the
/// user's own ([`Places`]) in a folder owned by root (`/opt/x`, `/var/lib/x`, `/srv/x`...).
fn is_system(resolved: &Path) -> bool {
    is_system_for(resolved, &Places::here(), owner_is_root)
}

fn is_system_for(resolved: &Path, places: &Places, root_owned: impl Fn(&Path) -> bool) -> bool {
    let p = unprivate(resolved);
    let private = p
        .components()
        .any(|c| PRIVATE_NAMES.iter().any(|n| c.as_os_str() == *n));
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .and_then(|h| h.canonicalize().ok());
    private || in_system_tree(&p) || home.is_some_and(|h| unprivate(&h) == p) || (!places.holds(&p) && root_owned(&p))
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

    /// `is_system` with the project at `/work/proj` and `$HOME` at `/home/u`, every folder
    /// owned by root but `/var/lib/ci` and `/data/me`.
    fn system(p: &str) -> bool {
        let places = Places {
            zones: vec![
                PathBuf::from("/work/proj"),
                PathBuf::from("/home/u"),
                PathBuf::from("/tmp"),
            ],
        };
        let users = |p: &Path| p.starts_with("/var/lib/ci") || p.starts_with("/data/me");
        is_system_for(Path::new(p), &places, |p| !users(p))
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
            "/sys/kernel/x",
            "/dev/shm/x",
            "/boot/x",
            "/run/user/1000/x",
            "/usr/local",
            "/usr/local/bin/x",
            "/usr/local/x",
            "/opt",
            "/opt/x",
            "/var/lib/docker/x",
            "/var/lib/x",
            "/srv/x",
            "/root/.ssh",
            "/home/u/.ssh/x",
            "/home/u",
            "/work/proj/.git/hooks",
            "/tmp/x/.git",
            "/tmp",
        ] {
            assert!(system(p), "{p}");
        }
        for p in [
            "/work/proj/reports",
            "/home/u/project/reports",
            "/tmp/x/run",
            "/var/lib/ci/work/reports",
            "/data/me/run",
        ] {
            assert!(!system(p), "{p}");
        }
    }

    #[test]
    fn a_working_folder_or_home_in_a_system_place_makes_nothing_the_users() {
        for project in ["/", "/etc", "/var", "/opt", "/proc/self"] {
            let places = Places::of(Some(PathBuf::from(project)), [Some("/".into()), Some("/etc".into())]);
            assert!(places.zones.is_empty(), "{project}: {:?}", places.zones);
        }
        // the temporary folder is one (the tests below write there)
        assert!(Places::here().holds(&std::env::temp_dir().canonicalize().unwrap().join("x")));
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
