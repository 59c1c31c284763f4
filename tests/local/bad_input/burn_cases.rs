//! Single-rule cases of the burn fault and of a service's named volumes and command.

use super::*;

/// `GOOD`'s stop fault turned into `with` (fault lines 14 to 16).
fn fault_as(with: &str) -> String {
    good_with("kind = \"stop\"\ngrace = \"1s\"\ntarget = \"app-0\"", with)
}

/// `GOOD`'s service given `extra` lines after its image (line 19).
fn service_plus(extra: &str) -> String {
    good_with("image = \"postgres:16\"", &format!("image = \"postgres:16\"\n{extra}"))
}

pub const CASES: &[Case] = &[
    Case {
        rule: "a burn of one replica is refused: it hits everything",
        file: "burn-one.toml",
        text: || fault_as("kind = \"burn\"\ntarget = \"app-0\""),
        field: Some("fault[0].target"),
        at: (15, 1),
        says: &["a burn hits every container", "target = \"all\""],
    },
    Case {
        rule: "a burn ends with a rebuild, not a restart",
        file: "burn-then.toml",
        text: || fault_as("kind = \"burn\"\nthen = \"restart\"\ntarget = \"all\""),
        field: Some("fault[0].then"),
        at: (15, 1),
        says: &["always ends with rebuild", "remove `then`"],
    },
    Case {
        rule: "a chaos loop cannot burn",
        file: "burn-chaos.toml",
        text: || fault_as("kind = \"chaos\"\nfault = \"burn\"\nevery = \"1s\"\ncount = 2\ntarget = \"random\""),
        field: Some("fault[0].fault"),
        at: (15, 1),
        says: &["a chaos loop cannot burn"],
    },
    Case {
        rule: "a service volume from a host path is refused",
        file: "svc-volume-host.toml",
        text: || service_plus("volumes = [\"/var/lib/pg:/data\"]"),
        field: Some("service[0].volumes[0]"),
        at: (20, 12),
        says: &["is not \"name:/path\"", "host paths are not mounted"],
    },
    Case {
        rule: "a service volume on a kernel folder is refused",
        file: "svc-volume-proc.toml",
        text: || service_plus("volumes = [\"pg:/proc/x\"]"),
        field: Some("service[0].volumes[0]"),
        at: (20, 12),
        says: &["/proc"],
    },
    Case {
        rule: "a service mounting one path twice is refused",
        file: "svc-volume-twice.toml",
        text: || service_plus("volumes = [\"a:/data\", \"b:/data/\"]"),
        field: Some("service[0].volumes[1]"),
        at: (20, 23),
        says: &["already mounted by service[0].volumes[0]"],
    },
    Case {
        rule: "an empty service command is refused",
        file: "svc-command-empty.toml",
        text: || service_plus("command = []"),
        field: Some("service[0].command"),
        at: (20, 1),
        says: &["is empty", "leave it out to run the image's own command"],
    },
];

#[test]
fn a_burn_and_a_service_with_volumes_and_a_command_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("b.toml");
    let text = good_with(
        "kind = \"stop\"\ngrace = \"1s\"\ntarget = \"app-0\"",
        "kind = \"burn\"\ntarget = \"all\"",
    )
    .replacen(
        "image = \"postgres:16\"",
        "image = \"postgres:16\"\nvolumes = [\"pg:/var/lib//pg/.\"]\ncommand = [\"postgres\", \"-c\", \"fsync=on\"]",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let s = phoenix_bench::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.faults[0].kind.as_str(), "burn");
    assert_eq!(s.faults[0].action.as_str(), "rebuild");
    let db = &s.services[0];
    assert_eq!(
        (db.volumes[0].name.as_str(), db.volumes[0].path.as_str()),
        ("pg", "/var/lib/pg")
    );
    assert_eq!(db.command.as_deref().map(|c| c.len()), Some(3));
}
