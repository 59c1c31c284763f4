//! `BOOT_ONCE=1` fault mode: the first start in a container leaves a marker in /tmp; a later
//! start of the *same* container (restart in place keeps /tmp) finds it and refuses to boot,
//! like an app that crash-loops after a restart. A fresh container has no marker and boots.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::Path;

/// The marker file; /tmp is part of the container's writable layer, so it survives
/// `docker restart` / `docker start` but not a replacement container.
pub const MARKER: &str = "/tmp/phoenix-demo-booted";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No marker yet: it was created, boot normally.
    Boot,
    /// The marker exists: this container already booted once.
    Refuse,
}

/// Creates `marker` if it does not exist (atomically) and says whether to boot.
pub fn decide(marker: &Path) -> std::io::Result<Decision> {
    match OpenOptions::new().write(true).create_new(true).open(marker) {
        Ok(_) => Ok(Decision::Boot),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(Decision::Refuse),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_boot_creates_marker_then_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("phoenix-demo-booted");
        assert_eq!(decide(&marker).unwrap(), Decision::Boot);
        assert!(marker.exists());
        assert_eq!(decide(&marker).unwrap(), Decision::Refuse);
        assert_eq!(decide(&marker).unwrap(), Decision::Refuse);
        // a fresh container = no marker: boots again
        std::fs::remove_file(&marker).unwrap();
        assert_eq!(decide(&marker).unwrap(), Decision::Boot);
    }

    #[test]
    fn unwritable_location_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(decide(&dir.path().join("missing/dir/marker")).is_err());
    }
}
