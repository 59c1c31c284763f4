//! The process backend's own folder and registry.

use super::*;

#[test]
fn the_run_folder_is_made_afresh_and_never_through_a_planted_link() {
    use std::os::unix::fs::PermissionsExt;
    let b = ProcessBackend::new("planted-link-run");
    // the name the folder used to have, predictable by anyone: a link to a victim folder
    let victim = tempfile::tempdir().unwrap();
    let old = std::env::temp_dir().join(format!("phoenix-{}-{}", short("planted-link-run"), std::process::id()));
    std::os::unix::fs::symlink(victim.path(), &old).unwrap();
    let root = b.made_root().unwrap();
    let m = std::fs::symlink_metadata(&root).unwrap();
    assert!(m.is_dir() && m.permissions().mode() & 0o777 == 0o700, "{m:?}");
    assert!(root.join(LABELS_FILE).is_file());
    assert_eq!(std::fs::read_dir(victim.path()).unwrap().count(), 0);
    assert_eq!(b.made_root().unwrap(), root, "one folder until the teardown");
    // after the teardown the next deploy gets a new one: the old name is known by now
    b.remove_root().unwrap();
    assert!(!root.exists() && b.root().is_none());
    let again = b.made_root().unwrap();
    assert_ne!(again, root);
    drop(b);
    assert!(!again.exists(), "dropping the backend removes its folder");
    std::fs::remove_file(&old).unwrap();
}
