//! The pure parts of the checks.

use super::engine::parse_api;
use super::images::buildable;
use super::*;

#[test]
fn api_versions_compare_numerically() {
    assert_eq!(parse_api("1.41"), Some((1, 41)));
    assert!(parse_api("1.41").unwrap() >= MIN_API);
    assert!(parse_api("1.43").unwrap() >= MIN_API);
    assert!(parse_api("1.9").unwrap() < MIN_API, "1.9 is older than 1.41");
    assert!(parse_api("1.40").unwrap() < MIN_API);
    assert_eq!(parse_api("banana"), None);
    assert_eq!(parse_api(""), None);
}

#[test]
fn control_characters_are_escaped_in_lines() {
    assert_eq!(escape("a\u{1b}[2Kok\nb"), "a\\x1b[2Kok\\x0ab");
    assert_eq!(escape("ok\u{202e}kcab"), "ok\\u{202e}kcab");
    assert_eq!(escape("plain — text"), "plain — text");
}

#[test]
fn a_missing_context_or_dockerfile_is_not_buildable() {
    let tmp = tempfile::tempdir().unwrap();
    let b = |context: PathBuf, command: Option<Vec<String>>| Build {
        context,
        dockerfile: "Dockerfile".into(),
        command,
        workdir: tmp.path().into(),
        env: Vec::new(),
    };
    let (why, _) = buildable(&b(tmp.path().join("nope"), None)).unwrap_err();
    assert!(why.contains("not a folder"), "{why}");
    let (why, _) = buildable(&b(tmp.path().into(), None)).unwrap_err();
    assert!(why.contains("no Dockerfile"), "{why}");
    std::fs::write(tmp.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    assert!(buildable(&b(tmp.path().into(), None)).is_ok());
    let (why, fix) = buildable(&b(tmp.path().into(), Some(vec!["no-such-program-xyz".into()]))).unwrap_err();
    assert!(why.contains("no-such-program-xyz") && fix.contains("install"), "{why}");
    assert!(buildable(&b(tmp.path().into(), Some(vec!["bash".into(), "x.sh".into()]))).is_ok());
}
