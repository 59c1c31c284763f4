//! Paths a scenario names (uploads, build context, Dockerfile, recipes, the build
//! command's folder) must resolve, after symlinks, inside the scenario's project: the
//! nearest folder above the scenario file that holds `.git`, else the scenario's own
//! folder. Absolute paths, `..` escapes and symlinks pointing out are refused, and so is
//! anything inside `.git` (it can hold credentials).

use std::path::{Component, Path, PathBuf};

/// What a named path must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Dir,
    /// A regular file of at most this many bytes.
    File {
        max_bytes: u64,
    },
}

/// The scenario's folder and its project.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    /// The scenario file's folder as given (relative paths are joined to it).
    pub base: PathBuf,
    /// Canonical project root; None when the scenario's folder cannot be resolved.
    pub root: Option<PathBuf>,
}

/// A resolved path: canonical, inside the project, of the wanted kind.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub path: PathBuf,
}

/// Why a named path is refused: the message and the hint.
pub(crate) type Refusal = (String, String);

const INSIDE: &str = "paths are relative to the scenario file's folder and must stay inside its project \
     (the nearest folder above it holding .git, else the scenario's own folder)";

impl Project {
    /// The project of the scenario file at `scenario`.
    pub(crate) fn of(scenario: &Path) -> Project {
        let base = scenario
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let root = base.canonicalize().ok().map(|folder| {
            folder
                .ancestors()
                .find(|a| a.join(".git").symlink_metadata().is_ok())
                .map(Path::to_path_buf)
                .unwrap_or(folder)
        });
        Project { base, root }
    }

    /// Resolves `written` (relative to `from`, a folder inside the project) and checks it.
    pub(crate) fn resolve_from(&self, from: &Path, written: &str, want: Want) -> Result<Resolved, Refusal> {
        let shown = written;
        if written.is_empty() {
            return Err((
                "is empty".into(),
                "name a path relative to the scenario file's folder".into(),
            ));
        }
        if written.contains('\0') {
            return Err(("contains a NUL character".into(), INSIDE.into()));
        }
        let rel = Path::new(written);
        if rel.is_absolute() {
            return Err((
                format!("\"{shown}\" is an absolute path"),
                format!("{INSIDE}; write it relative, e.g. \"apps/demo\""),
            ));
        }
        let Some(root) = &self.root else {
            return Err((
                format!("the scenario's folder {} cannot be resolved", self.base.display()),
                "run phoenix on a scenario file that exists on disk".into(),
            ));
        };
        let joined = from.join(rel);
        let real = joined.canonicalize().map_err(|e| {
            let what = match want {
                Want::Dir => "folder",
                Want::File { .. } => "file",
            };
            (
                format!("\"{shown}\" ({}): {e}", joined.display()),
                format!("name an existing {what}; {INSIDE}"),
            )
        })?;
        let Ok(inside) = real.strip_prefix(root) else {
            return Err((
                format!(
                    "\"{shown}\" resolves to {}, outside the project {}",
                    real.display(),
                    root.display()
                ),
                format!("{INSIDE}; symlinks are followed"),
            ));
        };
        if inside.components().any(|c| c == Component::Normal(".git".as_ref())) {
            return Err((
                format!("\"{shown}\" is inside the project's .git"),
                "never name anything in .git (it can hold credentials)".into(),
            ));
        }
        let meta = std::fs::metadata(&real).map_err(|e| (format!("\"{shown}\": {e}"), INSIDE.to_string()))?;
        match want {
            Want::Dir if !meta.is_dir() => Err((
                format!("\"{shown}\" is not a folder"),
                "name a folder relative to the scenario file's folder".into(),
            )),
            Want::File { .. } if !meta.is_file() => Err((
                format!("\"{shown}\" is not a regular file"),
                "name a regular file (not a folder, FIFO or device)".into(),
            )),
            Want::File { max_bytes } if meta.len() > max_bytes => Err((
                format!(
                    "\"{shown}\" is {} bytes, over the limit of {max_bytes} bytes",
                    meta.len()
                ),
                "use a smaller file".into(),
            )),
            _ => Ok(Resolved { path: real }),
        }
    }

    /// Resolves `written` relative to the scenario file's folder.
    pub(crate) fn resolve(&self, written: &str, want: Want) -> Result<Resolved, Refusal> {
        self.resolve_from(&self.base, written, want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("scenarios/apps")).unwrap();
        std::fs::write(dir.path().join("scenarios/apps/f.bin"), b"12345").unwrap();
        let p = Project::of(&dir.path().join("scenarios/s.toml"));
        (dir, p)
    }

    #[test]
    fn the_project_is_the_folder_holding_git() {
        let (dir, p) = project();
        assert_eq!(p.root, Some(dir.path().canonicalize().unwrap()));
        let r = p.resolve("apps/f.bin", Want::File { max_bytes: 10 }).unwrap();
        assert!(r.path.ends_with("scenarios/apps/f.bin"));
    }

    #[test]
    fn escapes_absolute_paths_git_and_symlinks_out_are_refused() {
        let (dir, p) = project();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("scenarios/link")).unwrap();
        for bad in [
            "/etc/passwd",
            "../../../../etc/passwd",
            "/proc/self/environ",
            "link",
            "../.git",
        ] {
            assert!(p.resolve(bad, Want::File { max_bytes: 1 << 20 }).is_err(), "{bad}");
        }
        assert!(
            p.resolve("apps/f.bin", Want::File { max_bytes: 4 }).is_err(),
            "over the size bound"
        );
        assert!(
            p.resolve("apps", Want::File { max_bytes: 4 }).is_err(),
            "a folder is not a file"
        );
    }
}
