//! Tests of the context packer on real folders: what the tar holds, entry by entry.

use super::*;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::symlink;

/// (entry type, link target, data) by path.
type Entries = BTreeMap<String, (tar::EntryType, Option<String>, Vec<u8>)>;

fn packed(dir: &Path, dockerfile: &str) -> Result<Entries> {
    let mut buf = Vec::new();
    let written = pack(dir, dockerfile, &mut buf, MAX_CONTEXT_BYTES)?;
    assert_eq!(written, buf.len() as u64, "the count is the bytes written");
    let mut out = Entries::new();
    let mut archive = tar::Archive::new(buf.as_slice());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().trim_end_matches('/').to_string();
        let link = e.link_name().unwrap().map(|l| l.to_string_lossy().into_owned());
        let kind = e.header().entry_type();
        assert_eq!(e.header().uid().unwrap(), 0, "{path} is owned by root");
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.insert(path, (kind, link, data));
    }
    Ok(out)
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn a_file_with_a_hole_is_packed_as_a_regular_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let mut f = File::create(tmp.path().join("holey")).unwrap();
    // data, a 64 KiB hole, data: tar's default would write a GNU sparse entry (type S)
    f.write_all(b"head").unwrap();
    f.set_len(4 + 65536).unwrap();
    f.seek(SeekFrom::End(0)).unwrap();
    f.write_all(b"tail").unwrap();
    drop(f);
    let mut buf = Vec::new();
    pack(tmp.path(), "Dockerfile", &mut buf, MAX_CONTEXT_BYTES).unwrap();
    let entries = packed(tmp.path(), "Dockerfile").unwrap();
    let (kind, _, data) = &entries["holey"];
    assert_eq!(*kind, tar::EntryType::Regular);
    assert_eq!(data.len(), 4 + 65536 + 4);
    assert!(data.starts_with(b"head") && data.ends_with(b"tail"));
    assert!(data[4..65540].iter().all(|&b| b == 0));
    // no header anywhere in the stream has the GNU sparse type byte at offset 156
    for block in buf.chunks(512) {
        if block.len() == 512 && block[257..262] == *b"ustar" {
            assert_ne!(block[156], b'S', "a sparse header");
        }
    }
}

#[test]
fn symlinks_are_stored_as_links_and_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret", "do not pack me");
    write(tmp.path(), "real.txt", "hi");
    symlink("real.txt", tmp.path().join("rel-link")).unwrap();
    symlink(outside.path().join("secret"), tmp.path().join("out-file")).unwrap();
    symlink(outside.path(), tmp.path().join("out-dir")).unwrap();
    symlink("/etc", tmp.path().join("etc")).unwrap();
    symlink("missing", tmp.path().join("dangling")).unwrap();
    // a link to its own folder: following it would never end
    symlink(".", tmp.path().join("up")).unwrap();
    let entries = packed(tmp.path(), "Dockerfile").unwrap();
    for (name, target) in [
        ("rel-link", "real.txt".to_string()),
        ("out-file", outside.path().join("secret").display().to_string()),
        ("out-dir", outside.path().display().to_string()),
        ("etc", "/etc".to_string()),
        ("dangling", "missing".to_string()),
        ("up", ".".to_string()),
    ] {
        let (kind, link, data) = &entries[name];
        assert_eq!(*kind, tar::EntryType::Symlink, "{name}");
        assert_eq!(link.as_deref(), Some(target.as_str()), "{name}");
        assert!(data.is_empty());
    }
    let all: Vec<&String> = entries.keys().collect();
    assert_eq!(all.len(), 7, "nothing behind a link was packed: {all:?}");
    assert!(!entries.values().any(|(_, _, d)| d == b"do not pack me"));
}

#[test]
fn a_symlink_loop_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "sub/ok.txt", "ok");
    symlink("a", tmp.path().join("sub/b")).unwrap();
    symlink("b", tmp.path().join("sub/a")).unwrap();
    let e = packed(tmp.path(), "Dockerfile").unwrap_err();
    assert!(matches!(e, ContextError::SymlinkLoop { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("sub/a") && msg.contains(".dockerignore"), "{msg}");
    // the context itself being a loop is the same error, not a hang
    let looped = tmp.path().join("self");
    symlink("self", &looped).unwrap();
    let e = packed(&looped, "Dockerfile").unwrap_err();
    assert!(matches!(e, ContextError::SymlinkLoop { .. }), "{e}");
    // listed in .dockerignore, the loop is not looked at
    write(tmp.path(), ".dockerignore", "sub/a\nsub/b\nself");
    let entries = packed(tmp.path(), "Dockerfile").unwrap();
    assert!(entries.contains_key("sub/ok.txt"));
}

#[test]
fn dockerignore_is_honoured_with_exceptions_and_double_stars() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for f in [
        "Dockerfile",
        "src/main.rs",
        "target/release/app",
        "bin/app",
        "bin/debug-app",
        "docs/a.md",
        "docs/README.md",
        "deep/er/x.tmp",
        "keep.tmp",
        ".git/HEAD",
        "sub/.git/config",
    ] {
        write(d, f, f);
    }
    write(d, ".dockerignore", "# build input only\nsrc\ntarget\nDockerfile\n.dockerignore\nbin\n!bin/app\n**/*.tmp\n!keep.tmp\ndocs/*.md\n!docs/README*\n");
    let entries = packed(d, "Dockerfile").unwrap();
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".dockerignore",
            "Dockerfile",
            "bin/app",
            "deep",
            "deep/er",
            "docs",
            "docs/README.md",
            "keep.tmp",
            "sub",
        ],
        "the Dockerfile and .dockerignore are sent although listed; .git never"
    );
    assert_eq!(entries["bin/app"].2, b"bin/app");
}

#[test]
fn a_bad_dockerignore_is_an_error_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), ".dockerignore", "ok\n[unclosed\n");
    let e = packed(tmp.path(), "Dockerfile").unwrap_err().to_string();
    assert!(e.contains(".dockerignore line 2") && e.contains("[unclosed"), "{e}");
}

#[test]
fn a_context_over_the_limit_is_refused_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "small", "x");
    File::create(tmp.path().join("big")).unwrap().set_len(3 << 20).unwrap();
    let e = pack(tmp.path(), "Dockerfile", std::io::sink(), 2 << 20).unwrap_err();
    assert!(matches!(e, ContextError::TooLarge { limit: 2, .. }), "{e}");
    assert!(
        e.to_string().contains("big") && e.to_string().contains(".dockerignore"),
        "{e}"
    );
    // under the limit it packs
    assert!(pack(tmp.path(), "Dockerfile", std::io::sink(), 4 << 20).is_ok());
}

#[test]
fn special_files_and_a_dockerfile_outside_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let e = packed(tmp.path(), "Dockerfile").unwrap_err();
    assert!(matches!(e, ContextError::Special { kind: "FIFO", .. }), "{e}");
    std::fs::remove_file(&fifo).unwrap();
    for bad in ["../Dockerfile", "/etc/passwd", "a/../../x"] {
        let e = packed(tmp.path(), bad).unwrap_err();
        assert!(matches!(e, ContextError::DockerfileOutside { .. }), "{bad}: {e}");
    }
}

#[test]
fn modes_and_long_names_survive() {
    let tmp = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    write(tmp.path(), "run.sh", "#!/bin/sh");
    std::fs::set_permissions(tmp.path().join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let long = format!("{}/{}", "d".repeat(120), "f".repeat(150));
    write(tmp.path(), &long, "long");
    let mut buf = Vec::new();
    pack(tmp.path(), "Dockerfile", &mut buf, MAX_CONTEXT_BYTES).unwrap();
    let mut archive = tar::Archive::new(buf.as_slice());
    let mut seen = BTreeMap::new();
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        seen.insert(e.path().unwrap().display().to_string(), e.header().mode().unwrap());
    }
    assert_eq!(seen["run.sh"] & 0o777, 0o755);
    assert!(seen.contains_key(&long), "{:?}", seen.keys());
}
