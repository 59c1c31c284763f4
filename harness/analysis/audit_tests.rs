//! The audit on hand-made records: boot writes, caches, logs and ephemeral paths apart from
//! writes while serving; old versus fresh with volatile fields.

use super::*;
use crate::record::{FsFile, FsRead, FsReadWhen, InstanceLog, Reply};
use crate::report::fixture;

fn file(path: &str, bytes: Option<u64>) -> FsFile {
    FsFile {
        path: path.into(),
        bytes,
    }
}

fn read(at_us: i64, when: FsReadWhen, files: Vec<FsFile>) -> FsRead {
    FsRead {
        at_us,
        when,
        files,
        truncated: false,
    }
}

/// The fixture record with app-0's reads replaced by `reads`, and `ephemeral` declared.
fn with_reads(reads: Vec<FsRead>, ephemeral: &[&str]) -> RunRecord {
    let mut r = fixture::record();
    r.trials.truncate(1);
    r.trials[0].fresh.clear();
    r.trials[0].logs = vec![InstanceLog {
        replica: "app-0".into(),
        instance: "c0".into(),
        reads,
        ..Default::default()
    }];
    r.scenario.audit.ephemeral = ephemeral.iter().map(|s| s.to_string()).collect();
    r
}

#[test]
fn writes_while_serving_are_grouped_by_directory_apart_from_boot_writes() {
    let boot = vec![
        file("/app/__pycache__/app.cpython-311.pyc", Some(900)),
        file("/run/app.pid", Some(5)),
    ];
    let mut later = boot.clone();
    for i in 0..40 {
        later.push(file(&format!("/var/lib/app/uploads/{i:02}"), Some(4096)));
    }
    // a bytecode file compiled lazily on the first request is a cache, not state
    later.push(file("/usr/lib/python3/x/__pycache__/late.pyc", Some(100)));
    later.push(file("/tmp/scratch", Some(7)));
    later.push(file("/var/log/app/access.log", Some(300)));
    let r = with_reads(
        vec![
            read(-300_000, FsReadWhen::Boot, boot),
            read(3_200_000, FsReadWhen::Replaced, later),
        ],
        &["/tmp"],
    );
    let a = audit(&r);
    assert_eq!((a.instances_read, a.instances_unread), (1, 0));
    assert_eq!(a.load_writes.len(), 1, "{:#?}", a.load_writes);
    let g = &a.load_writes[0];
    assert_eq!(
        (g.dir.as_str(), g.files, g.bytes, g.first_seen_ms, g.replaced),
        ("/var/lib/app/uploads", 40, 40 * 4096, 3200.0, true)
    );
    let boot_dirs: Vec<&str> = a.boot_writes.iter().map(|g| g.dir.as_str()).collect();
    assert!(
        boot_dirs.contains(&"/app/__pycache__") && boot_dirs.contains(&"/run"),
        "{boot_dirs:?}"
    );
    assert!(boot_dirs.contains(&"/usr/lib/python3/x/__pycache__"), "{boot_dirs:?}");
    assert_eq!(a.ephemeral_writes[0].dir, "/tmp");
    assert_eq!(a.log_writes[0].dir, "/var/log/app");
    let capping: Vec<&Finding> = a.findings.iter().filter(|f| f.caps.is_some()).collect();
    assert_eq!(capping.len(), 1, "{:#?}", a.findings);
    assert_eq!(
        capping[0].text,
        "app-0 wrote 40 files (160.0 KiB) under /var/lib/app/uploads while serving; they were lost when app-0 was replaced"
    );
    assert_eq!(capping[0].caps, Some(Level::Fragile));
    // the log is a hint: shown, capping nothing
    assert!(a
        .findings
        .iter()
        .any(|f| f.kind == "local_logs" && f.caps.is_none() && f.text.contains("/var/log/app")));
}

#[test]
fn a_boot_file_that_grows_while_serving_is_a_write_and_one_that_does_not_is_not() {
    let boot = vec![file("/data/app.sqlite3", Some(8192)), file("/etc/app.conf", Some(10))];
    let later = vec![file("/data/app.sqlite3", Some(65536)), file("/etc/app.conf", Some(10))];
    let r = with_reads(
        vec![
            read(-1, FsReadWhen::Boot, boot),
            read(9_000_000, FsReadWhen::End, later),
        ],
        &[],
    );
    let a = audit(&r);
    assert_eq!(a.load_writes.len(), 1);
    assert_eq!(
        (a.load_writes[0].dir.as_str(), a.load_writes[0].replaced),
        ("/data", false)
    );
    assert!(a.findings[0]
        .text
        .ends_with("a replacement of app-0 will not have them"));
    assert_eq!(a.boot_writes[0].dir, "/etc");
}

#[test]
fn an_instance_without_a_boot_read_is_not_judged() {
    let r = with_reads(
        vec![read(9_000_000, FsReadWhen::End, vec![file("/var/lib/x/1", Some(1))])],
        &[],
    );
    let a = audit(&r);
    assert_eq!((a.instances_read, a.instances_unread), (0, 1));
    assert!(a.load_writes.is_empty() && a.findings.is_empty());
}

#[test]
fn an_instance_whose_last_read_failed_is_judged_on_what_was_read_and_named_in_a_hint() {
    let r = with_reads(
        vec![
            read(-1, FsReadWhen::Boot, vec![file("/tmp/marker", Some(0))]),
            read(4_000_000, FsReadWhen::FreshBoot, vec![file("/var/lib/x/1", Some(1))]),
        ],
        &[],
    );
    let a = audit(&r);
    assert_eq!((a.instances_read, a.instances_unread), (1, 0));
    let kinds: Vec<(&str, Option<Level>)> = a.findings.iter().map(|f| (f.kind.as_str(), f.caps)).collect();
    assert_eq!(kinds, [("local_writes", Some(Level::Fragile)), ("unread", None)]);
    assert!(a.findings[1]
        .text
        .starts_with("app-0's instance c0 was read at boot but not when it was replaced"));
    // with its last read, no hint
    let r = with_reads(
        vec![
            read(-1, FsReadWhen::Boot, vec![]),
            read(9_000_000, FsReadWhen::Replaced, vec![]),
        ],
        &[],
    );
    assert!(audit(&r).findings.is_empty());
}

#[test]
fn files_under_a_volume_mount_are_not_the_instance_s_own() {
    let mut r = with_reads(
        vec![
            read(-1, FsReadWhen::Boot, vec![]),
            read(5, FsReadWhen::End, vec![file("/shared/uploads/a", Some(3))]),
        ],
        &[],
    );
    r.scenario.app.volumes = vec![crate::scenario::VolumeMount {
        name: "uploads".into(),
        path: "/shared".into(),
    }];
    assert!(audit(&r).load_writes.is_empty());
}

fn reply(status: u16, text: &str) -> Reply {
    Reply {
        status: Some(status),
        body_bytes: text.len() as u64,
        text: text.into(),
        complete: true,
        hash: crate::execute::audit::fnv1a(text.as_bytes()),
        error: None,
    }
}

#[test]
fn old_and_fresh_answers_differ_in_status_or_body_but_not_in_volatile_fields() {
    let volatile = vec!["$.meta.time".to_string(), "request_id".to_string()];
    let a = r#"{"user":"u1","meta":{"time":1,"v":2},"items":[{"request_id":"x"}]}"#;
    let b = r#"{"user":"u1","meta":{"time":9,"v":2},"items":[{"request_id":"y"}]}"#;
    assert_eq!(differs(&reply(200, a), &reply(200, b), &volatile), None);
    assert_eq!(differs(&reply(200, a), &reply(200, b), &[]), Some("body"));
    assert_eq!(differs(&reply(200, "v1"), &reply(404, "v1"), &volatile), Some("status"));
    assert_eq!(differs(&reply(200, "hello"), &reply(200, "hello"), &volatile), None);
    // no answer on one side: nothing to compare, not a difference
    assert_eq!(differs(&Reply::default(), &reply(200, "x"), &volatile), None);
    // a body too long to keep whole is compared by length and hash
    let mut long = reply(200, "abc");
    long.complete = false;
    let mut other = long.clone();
    other.hash ^= 1;
    assert_eq!(differs(&long, &long.clone(), &[]), None);
    assert_eq!(differs(&long, &other, &[]), Some("body"));
}

#[test]
fn a_difference_is_a_capping_finding_with_escaped_excerpts() {
    let r = fixture::record_with(&fixture::Names::hostile("\u{1b}[31m<b>"));
    let a = audit(&r);
    let f = a
        .findings
        .iter()
        .find(|f| f.kind == "old_vs_fresh")
        .expect("the fixture's pair differs");
    assert_eq!(f.caps, Some(Level::Fragile));
    assert!(
        f.text.contains("GET /cache/k0") && f.text.contains("status 404"),
        "{}",
        f.text
    );
    assert!(!f.text.contains('\u{1b}'), "control characters are escaped: {}", f.text);
    assert_eq!(a.fresh_compared, 1);
}

#[test]
fn a_fresh_instance_read_after_the_load_reached_it_keeps_only_deployment_boot_paths_as_boot() {
    let mut r = with_reads(
        vec![
            read(-200, FsReadWhen::Boot, vec![file("/tmp/booted", Some(0))]),
            read(
                3_000_000,
                FsReadWhen::Replaced,
                vec![file("/tmp/booted", Some(0)), file("/tmp/s/a", Some(4))],
            ),
        ],
        &[],
    );
    // the fresh app-0 served two logins before its boot read
    r.trials[0].logs.push(InstanceLog {
        replica: "app-0".into(),
        instance: "c0-fresh".into(),
        reads: vec![
            read(
                4_000_000,
                FsReadWhen::FreshBoot,
                vec![
                    file("/tmp/booted", Some(0)),
                    file("/tmp/s/b", Some(4)),
                    file("/tmp/s/c", Some(4)),
                ],
            ),
            read(
                9_000_000,
                FsReadWhen::End,
                vec![
                    file("/tmp/booted", Some(0)),
                    file("/tmp/s/b", Some(4)),
                    file("/tmp/s/c", Some(4)),
                    file("/tmp/s/d", Some(4)),
                ],
            ),
        ],
        ..Default::default()
    });
    let a = audit(&r);
    assert_eq!(a.instances_read, 2);
    assert_eq!(a.load_writes.len(), 1);
    assert_eq!((a.load_writes[0].dir.as_str(), a.load_writes[0].files), ("/tmp/s", 4));
    assert_eq!(a.load_writes[0].first_seen_ms, 3000.0);
    assert_eq!(a.boot_writes.len(), 1);
    assert_eq!((a.boot_writes[0].dir.as_str(), a.boot_writes[0].files), ("/tmp", 2));
}
