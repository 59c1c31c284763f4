//! Single-rule cases of the process backend (`backend = "process"`): what it needs, and
//! what only containers have, refused at validation with the field and the fix. Each case
//! changes `PROCESS_GOOD` in exactly one way.

use super::*;

/// A valid process-backend scenario. Line numbers are referred to below.
pub const PROCESS_GOOD: &str = r#"name = "p"
[app]
backend = "process"
command = ["bin/app", "--quiet"]
replicas = 2
health = { path = "/health" }
env = { LISTEN = "127.0.0.1:{port}" }
[load]
rate = 10
duration = "5s"
requests = [{ path = "/" }]
[[fault]]
at = "1s"
kind = "kill"
then = "replace"
target = "app-0"
"#;

/// `PROCESS_GOOD` with `from` (which must occur exactly once) replaced by `to`.
fn process_with(from: &str, to: &str) -> String {
    assert_eq!(PROCESS_GOOD.matches(from).count(), 1, "{from:?} must occur once");
    PROCESS_GOOD.replacen(from, to, 1)
}

pub const CASES: &[Case] = &[
    Case {
        rule: "an image does not apply to a process",
        file: "p-image.toml",
        text: || process_with("replicas = 2", "replicas = 2\nimage = \"phoenix-demo:latest\""),
        field: Some("app.image"),
        at: (6, 1),
        says: &[
            "does not apply to backend = \"process\"",
            "runs app.command, not an image",
        ],
    },
    Case {
        rule: "a build does not apply to a process",
        file: "p-build.toml",
        text: || process_with("replicas = 2", "replicas = 2\nbuild = { context = \".\" }"),
        field: Some("app.build"),
        at: (6, 1),
        says: &["does not apply to backend = \"process\"", "use backend = \"docker\""],
    },
    Case {
        rule: "a container port does not apply to a process",
        file: "p-port.toml",
        text: || process_with("replicas = 2", "replicas = 2\nport = 8080"),
        field: Some("app.port"),
        at: (6, 1),
        says: &["does not apply to backend = \"process\"", "passes it through {port}"],
    },
    Case {
        rule: "volumes do not apply to a process",
        file: "p-volumes.toml",
        text: || process_with("replicas = 2", "replicas = 2\nvolumes = [\"data:/data\"]"),
        field: Some("app.volumes"),
        at: (6, 1),
        says: &["does not apply to backend = \"process\"", "no mounts"],
    },
    Case {
        rule: "an update order applies only to a replace on swarm",
        file: "p-order.toml",
        text: || process_with("then = \"replace\"", "then = \"replace\"\norder = \"stop-first\""),
        field: Some("fault[0].order"),
        at: (16, 1),
        says: &[
            "only applies to then = \"replace\" with backend = \"swarm\"",
            "remove `order`",
        ],
    },
    Case {
        rule: "services are refused with the process backend",
        file: "p-service.toml",
        text: || format!("{PROCESS_GOOD}[[service]]\nname = \"db\"\nimage = \"postgres:16\"\n"),
        field: Some("service[0]"),
        at: (17, 1),
        says: &[
            "services are not supported with backend = \"process\"",
            "remove the [[service]] entries",
        ],
    },
    Case {
        rule: "a front is refused with the process backend",
        file: "p-front.toml",
        text: || format!("{PROCESS_GOOD}[front]\nkind = \"haproxy\"\n"),
        field: Some("front"),
        at: (17, 2),
        says: &["a front is not supported", "remove [front]"],
    },
    Case {
        rule: "a disconnect fault is refused with the process backend",
        file: "p-disconnect.toml",
        text: || {
            process_with(
                "kind = \"kill\"\nthen = \"replace\"",
                "kind = \"disconnect\"\nfor = \"1s\"",
            )
        },
        field: Some("fault[0].kind"),
        at: (14, 1),
        says: &["disconnect fault is not supported", "no network of its own"],
    },
    Case {
        rule: "a burn is refused with the process backend",
        file: "p-burn.toml",
        text: || {
            process_with(
                "kind = \"kill\"\nthen = \"replace\"\ntarget = \"app-0\"",
                "kind = \"burn\"\ntarget = \"all\"",
            )
        },
        field: Some("fault[0].kind"),
        at: (14, 1),
        says: &[
            "burn fault is not supported with backend = \"process\"",
            "use backend = \"docker\"",
        ],
    },
    Case {
        rule: "a chaos loop of disconnects is refused with the process backend",
        file: "p-chaos.toml",
        text: || {
            process_with(
                "kind = \"kill\"\nthen = \"replace\"\ntarget = \"app-0\"",
                "kind = \"chaos\"\nfault = \"disconnect\"\nfor = \"1s\"\nevery = \"1s\"\ncount = 2\ntarget = \"random\"",
            )
        },
        field: Some("fault[0].fault"),
        at: (15, 1),
        says: &["disconnect fault is not supported"],
    },
    Case {
        rule: "a missing command points at the app table",
        file: "p-no-command.toml",
        text: || process_with("command = [\"bin/app\", \"--quiet\"]\n", ""),
        field: Some("app.command"),
        at: (2, 1),
        says: &["missing field `command`", "add command = "],
    },
    Case {
        rule: "an empty command is refused",
        file: "p-empty-command.toml",
        text: || process_with("command = [\"bin/app\", \"--quiet\"]", "command = []"),
        field: Some("app.command"),
        at: (4, 1),
        says: &["is empty"],
    },
    Case {
        rule: "a command without {port} anywhere is refused",
        file: "p-no-port.toml",
        text: || process_with("LISTEN = \"127.0.0.1:{port}\"", "LISTEN = \"127.0.0.1:8080\""),
        field: Some("app.command"),
        at: (4, 1),
        says: &["no {port} in app.command or app.env", "LISTEN = \"127.0.0.1:{port}\""],
    },
    Case {
        rule: "an absolute program is refused",
        file: "p-absolute.toml",
        text: || process_with("\"bin/app\"", "\"/bin/sh\""),
        field: Some("app.command"),
        at: (4, 1),
        says: &["\"/bin/sh\" is an absolute path", "inside the scenario's project"],
    },
    Case {
        rule: "a program outside the project is refused",
        file: "p-escape.toml",
        text: || process_with("\"bin/app\"", "\"../../../../../bin/sh\""),
        field: Some("app.command"),
        at: (4, 1),
        says: &["is outside the project", "only run a program inside its project"],
    },
    Case {
        rule: "an unknown backend suggests the nearest",
        file: "p-backend.toml",
        text: || process_with("backend = \"process\"", "backend = \"proces\""),
        field: Some("app.backend"),
        at: (3, 1),
        says: &["unknown backend \"proces\"", "did you mean \"process\"?"],
    },
    Case {
        rule: "a command with the Docker backend is refused",
        file: "p-docker-command.toml",
        text: || good_with("port = 8080", "port = 8080\ncommand = [\"bin/app\"]"),
        field: Some("app.command"),
        at: (5, 1),
        says: &["only applies to backend = \"process\"", "add backend = \"process\""],
    },
];
