//! Single-rule cases about the file as TOML and serde see it: syntax, unknown keys, wrong
//! types and missing fields.

use super::*;

pub const CASES: &[Case] = &[
    // --- malformed TOML -------------------------------------------------------------------------
    Case {
        rule: "unclosed string is located and explained",
        file: "unclosed.toml",
        text: || good_with("name = \"t\"", "name = \"t"),
        field: Some("name"),
        at: (1, 10),
        says: &["string", "end it with a quote"],
    },
    Case {
        rule: "unclosed table header is located and explained",
        file: "header.toml",
        text: || good_with("[load]", "[load"),
        field: None,
        at: (8, 6),
        says: &["expected `]`", "table header is not closed"],
    },
    Case {
        rule: "duplicate key is a syntax error naming the line",
        file: "dup-key.toml",
        text: || good_with("rate = 10\n", "rate = 10\nrate = 20\n"),
        field: None,
        at: (10, 1),
        says: &["duplicate key", "only once"],
    },
    // --- unknown keys -------------------------------------------------------------------------
    Case {
        rule: "unknown top level key suggests the right one",
        file: "top.toml",
        text: || good_with("name = \"t\"", "nmae = \"t\""),
        field: Some("nmae"),
        at: (1, 1),
        says: &["unknown field `nmae`", "did you mean `name`?"],
    },
    Case {
        rule: "unknown key in app suggests the right one",
        file: "app.toml",
        text: || good_with("replicas = 2", "replica = 2"),
        field: Some("app.replica"),
        at: (5, 1),
        says: &["did you mean `replicas`?"],
    },
    Case {
        rule: "unknown key in load suggests the right one",
        file: "load.toml",
        text: || good_with("rate = 10", "rat = 10"),
        field: Some("load.rat"),
        at: (9, 1),
        says: &["unknown field `rat`", "did you mean `rate`?"],
    },
    Case {
        rule: "unknown key in a fault suggests the right one",
        file: "fault-key.toml",
        text: || good_with("grace = \"1s\"", "grase = \"1s\""),
        field: Some("fault[0].grase"),
        at: (15, 1),
        says: &["did you mean `grace`?"],
    },
    Case {
        rule: "unknown key in a check step suggests the right one",
        file: "step-key.toml",
        text: || good_with("body_contains", "body_contain"),
        field: Some("check[0].verify[0].body_contain"),
        at: (30, 1),
        says: &["did you mean `body_contains`?"],
    },
    Case {
        rule: "key in the wrong table says where it belongs",
        file: "misplaced.toml",
        text: || good_with("port = 8080", "port = 8080\nrate = 10"),
        field: Some("app.rate"),
        at: (5, 1),
        says: &["`rate` belongs in [load]"],
    },
    // --- wrong types --------------------------------------------------------------------------
    Case {
        rule: "string for a number says to drop the quotes",
        file: "type-num.toml",
        text: || good_with("rate = 10", "rate = \"10\""),
        field: Some("load.rate"),
        at: (9, 8),
        says: &["invalid type: string", "without quotes"],
    },
    Case {
        rule: "number for a string says to quote it",
        file: "type-str.toml",
        text: || good_with("image = \"phoenix-demo:latest\"", "image = 5"),
        field: Some("app.image"),
        at: (3, 9),
        says: &["invalid type: integer", "in quotes"],
    },
    Case {
        rule: "number for a duration says to add a unit",
        file: "type-dur.toml",
        text: || good_with("duration = \"5s\"", "duration = 5"),
        field: Some("load.duration"),
        at: (10, 12),
        says: &["strings with a unit", "duration = \"5s\""],
    },
    // --- missing required fields --------------------------------------------------------------
    Case {
        rule: "missing name points at the top of the file",
        file: "no-name.toml",
        text: || good_with("name = \"t\"\n", ""),
        field: Some("name"),
        at: (1, 1),
        says: &["missing field `name`", "add name = \"kill-restart\""],
    },
    Case {
        rule: "missing app image points at the app table",
        file: "no-image.toml",
        text: || good_with("image = \"phoenix-demo:latest\"\n", ""),
        field: Some("app.image"),
        at: (2, 1),
        says: &["missing field `image`", "add image ="],
    },
    Case {
        rule: "missing load rate points at the load table",
        file: "no-rate.toml",
        text: || good_with("rate = 10\n", ""),
        field: Some("load.rate"),
        at: (8, 1),
        says: &["missing field `rate`", "add rate = 200"],
    },
    Case {
        rule: "missing fault target points at the fault",
        file: "no-target.toml",
        text: || good_with("target = \"app-0\"\n", ""),
        field: Some("fault[0].target"),
        at: (12, 1),
        says: &["missing field `target`", "add target = \"app-0\""],
    },
];
