//! Single-rule cases about what the fields say: load, faults, app, services, checks, the
//! top level and certification.

use super::*;

pub const CASES: &[Case] = &[
    // --- load ---------------------------------------------------------------------------------
    Case {
        rule: "zero rate is rejected",
        file: "rate0.toml",
        text: || good_with("rate = 10", "rate = 0"),
        field: Some("load.rate"),
        at: (9, 1),
        says: &["0 is not a positive rate", "rate = 200"],
    },
    Case {
        rule: "negative rate is rejected",
        file: "negative.toml",
        text: || good_with("rate = 10", "rate = -5"),
        field: Some("load.rate"),
        at: (9, 1),
        says: &["-5 is not a positive rate"],
    },
    Case {
        rule: "rate above max rate is rejected",
        file: "rate-high.toml",
        text: || good_with("rate = 10", "rate = 1e9"),
        field: Some("load.rate"),
        at: (9, 1),
        says: &["above the limit of 20000", "lower the rate"],
    },
    Case {
        rule: "zero duration is rejected",
        file: "dur0.toml",
        text: || good_with("duration = \"5s\"", "duration = \"0s\""),
        field: Some("load.duration"),
        at: (10, 1),
        says: &["0s is too short", "at least 1s"],
    },
    Case {
        rule: "duration above one hour is rejected",
        file: "dur-long.toml",
        text: || good_with("duration = \"5s\"", "duration = \"2h\""),
        field: Some("load.duration"),
        at: (10, 1),
        says: &["2h is too long", "at most 1h"],
    },
    Case {
        rule: "duration without unit says which to add",
        file: "dur-unit.toml",
        text: || good_with("duration = \"5s\"", "duration = \"5\""),
        field: Some("load.duration"),
        at: (10, 1),
        says: &["has no unit", "\"5s\""],
    },
    Case {
        rule: "duration with an unknown unit lists the units",
        file: "dur-days.toml",
        text: || good_with("duration = \"5s\"", "duration = \"5 days\""),
        field: Some("load.duration"),
        at: (10, 1),
        says: &["unknown unit \"days\"", "us, ms, s, m or h"],
    },
    Case {
        rule: "load target must be a path not a url",
        file: "url.toml",
        text: || {
            let text = good_with(
                "requests = [{ path = \"/\" }]",
                "requests = [{ path = \"http://10.0.0.1/\" }]",
            );
            text
        },
        field: Some("load.requests[0].path"),
        at: (11, 15),
        says: &["is not a path", "127.0.0.1"],
    },
    Case {
        rule: "unknown http method lists the methods",
        file: "method.toml",
        text: || {
            let text = good_with(
                "requests = [{ path = \"/\" }]",
                "requests = [{ method = \"FETCH\", path = \"/\" }]",
            );
            text
        },
        field: Some("load.requests[0].method"),
        at: (11, 15),
        says: &["unknown method \"FETCH\"", "GET, POST"],
    },
    // --- faults -------------------------------------------------------------------------------
    Case {
        rule: "fault at the end of the load is rejected",
        file: "fault-late.toml",
        text: || good_with("at = \"1s\"", "at = \"5s\""),
        field: Some("fault[0].at"),
        at: (13, 1),
        says: &["at or after the end of the load (5s)", "earlier"],
    },
    Case {
        rule: "unknown fault kind suggests kill",
        file: "kind.toml",
        text: || good_with("kind = \"stop\"\ngrace = \"1s\"\n", "kind = \"kil\"\n"),
        field: Some("fault[0].kind"),
        at: (14, 1),
        says: &["unknown fault kind \"kil\"", "did you mean \"kill\"?"],
    },
    Case {
        rule: "unknown then action lists the actions",
        file: "then.toml",
        text: || good_with("target = \"app-0\"", "target = \"app-0\"\nthen = \"reboot\""),
        field: Some("fault[0].then"),
        at: (17, 1),
        says: &["unknown action \"reboot\"", "restart", "replace"],
    },
    Case {
        rule: "fault on an unknown replica names the replicas",
        file: "target.toml",
        text: || good_with("target = \"app-0\"", "target = \"app-3\""),
        field: Some("fault[0].target"),
        at: (16, 1),
        says: &["no replica named \"app-3\"", "app-0, app-1"],
    },
    Case {
        rule: "grace on a kill fault is rejected",
        file: "grace.toml",
        text: || good_with("kind = \"stop\"", "kind = \"kill\""),
        field: Some("fault[0].grace"),
        at: (15, 1),
        says: &["only applies to kind = \"stop\"", "remove it"],
    },
    Case {
        rule: "two faults on one replica at the same time are rejected",
        file: "same-time.toml",
        text: || good_plus("[[fault]]\nat = \"1s\"\nkind = \"kill\"\ntarget = \"app-0\"\n"),
        field: Some("fault[1].at"),
        at: (34, 1),
        says: &["app-0 already has a fault at 1s (fault[0])"],
    },
    // --- app ----------------------------------------------------------------------------------
    Case {
        rule: "zero replicas is rejected",
        file: "rep0.toml",
        text: || good_with("replicas = 2", "replicas = 0"),
        field: Some("app.replicas"),
        at: (5, 1),
        says: &["0 is out of range", "1 to 16"],
    },
    Case {
        rule: "replicas above the max is rejected",
        file: "rep17.toml",
        text: || good_with("replicas = 2", "replicas = 17"),
        field: Some("app.replicas"),
        at: (5, 1),
        says: &["17 is out of range", "1 to 16"],
    },
    Case {
        rule: "port zero is rejected",
        file: "port0.toml",
        text: || good_with("port = 8080", "port = 0"),
        field: Some("app.port"),
        at: (4, 1),
        says: &["0 is not a TCP port", "1 to 65535"],
    },
    Case {
        rule: "port above 65535 is rejected",
        file: "port-high.toml",
        text: || good_with("port = 8080", "port = 70000"),
        field: Some("app.port"),
        at: (4, 1),
        says: &["70000 is not a TCP port", "1 to 65535"],
    },
    Case {
        rule: "health path without leading slash is rejected",
        file: "health.toml",
        text: || good_with("path = \"/health\"", "path = \"health\""),
        field: Some("app.health.path"),
        at: (6, 12),
        says: &["\"health\" is not a path: it must start with '/'"],
    },
    Case {
        rule: "volume without a container path is rejected",
        file: "volume.toml",
        text: || good_with("\"data:/data\"", "\"data\""),
        field: Some("app.volumes[0]"),
        at: (7, 12),
        says: &["\"data\" is not \"name:/path\"", "uploads:/shared"],
    },
    Case {
        rule: "host path volume is rejected",
        file: "volume-host.toml",
        text: || good_with("\"data:/data\"", "\"/etc:/data\""),
        field: Some("app.volumes[0]"),
        at: (7, 12),
        says: &["is not \"name:/path\"", "host paths are not mounted"],
    },
    // --- services -----------------------------------------------------------------------------
    Case {
        rule: "duplicate service names are rejected",
        file: "svc-dup.toml",
        text: || good_plus("[[service]]\nname = \"db\"\nimage = \"redis:7\"\n"),
        field: Some("service[1].name"),
        at: (34, 1),
        says: &["already the name of service[0]"],
    },
    Case {
        rule: "service named like a replica is rejected",
        file: "svc-replica.toml",
        text: || good_with("name = \"db\"", "name = \"app-1\""),
        field: Some("service[0].name"),
        at: (18, 1),
        says: &["also the name of an app replica", "app-0, app-1"],
    },
    Case {
        rule: "service name that is not a host name is rejected",
        file: "svc-name.toml",
        text: || good_with("name = \"db\"", "name = \"My DB\""),
        field: Some("service[0].name"),
        at: (18, 1),
        says: &["not a valid host name", "lower-case"],
    },
    // --- checks -------------------------------------------------------------------------------
    Case {
        rule: "journey using an undefined variable suggests the captured one",
        file: "var.toml",
        text: || good_with("sid={{sid}}", "sid={{sdi}}"),
        field: Some("check[0].verify[0].headers.Cookie"),
        at: (29, 13),
        says: &[
            "uses `{{sdi}}`, which no earlier step captures",
            "did you mean `{{sid}}`?",
        ],
    },
    Case {
        rule: "bad regex in a capture is rejected",
        file: "regex.toml",
        text: || good_with("{ cookie = \"sid\" }", "{ regex = \"id=(\" }"),
        field: Some("check[0].setup[0].capture.sid"),
        at: (26, 13),
        says: &["bad regex", "unclosed group"],
    },
    Case {
        rule: "capture with two sources is rejected",
        file: "two-sources.toml",
        text: || good_with("{ cookie = \"sid\" }", "{ cookie = \"sid\", header = \"x-sid\" }"),
        field: Some("check[0].setup[0].capture.sid"),
        at: (26, 13),
        says: &["2 sources (cookie, header)", "exactly one"],
    },
    Case {
        rule: "capture shadowing a builtin variable is rejected",
        file: "builtin.toml",
        text: || good_with("capture = { sid", "capture = { n"),
        field: Some("check[0].setup[0].capture.n"),
        at: (26, 13),
        says: &["`n` is a built-in variable"],
    },
    Case {
        rule: "invalid json text is rejected",
        file: "json.toml",
        text: || good_with(r#"'{"user": "u{{n}}"}'"#, r#"'{"user": }'"#),
        field: Some("check[0].setup[0].json_text"),
        at: (25, 1),
        says: &["is not valid JSON", "json = {"],
    },
    Case {
        rule: "multipart file that does not exist is rejected",
        file: "upload.toml",
        text: || {
            let text = good_with(
                r#"json_text = '{"user": "u{{n}}"}'"#,
                r#"multipart = { file = "missing.bin" }"#,
            );
            text
        },
        field: Some("check[0].setup[0].multipart.file"),
        at: (25, 15),
        says: &["\"missing.bin\"", "No such file", "relative to the scenario file"],
    },
    Case {
        rule: "two bodies in one step are rejected",
        file: "bodies.toml",
        text: || good_with("method = \"POST\"", "method = \"POST\"\nbody = \"x\""),
        field: Some("check[0].setup[0].json_text"),
        at: (26, 1),
        says: &["also has `body`", "keep only one of body, json_text"],
    },
    Case {
        rule: "duplicate check names are rejected",
        file: "check-dup.toml",
        text: || {
            let text = good_plus(
                "[[check]]\nname = \"sessions\"\n[[check.setup]]\npath = \"/\"\n[[check.verify]]\npath = \"/\"\n",
            );
            text
        },
        field: Some("check[1].name"),
        at: (34, 1),
        says: &["\"sessions\" is used twice"],
    },
    Case {
        rule: "check without verify steps points at the check",
        file: "no-verify.toml",
        text: || {
            let text = good_with(
"[[check.verify]]\npath = \"/me\"\nheaders = { Cookie = \"sid={{sid}}\" }\nbody_contains = \"u{{n}}\"\n",
"",
);
            text
        },
        field: Some("check[0].verify"),
        at: (20, 1),
        says: &["has no steps", "after recovery"],
    },
    Case {
        rule: "step status out of range is rejected",
        file: "status.toml",
        text: || good_with("path = \"/me\"", "path = \"/me\"\nstatus = 999"),
        field: Some("check[0].verify[0].status"),
        at: (29, 1),
        says: &["999 is not an HTTP status", "100 to 599"],
    },
    // --- top level and certify ----------------------------------------------------------------
    Case {
        rule: "unknown require level suggests the closest",
        file: "require.toml",
        text: || {
            let text = good_plus("");
            let text = text.replacen("name = \"t\"\n", "name = \"t\"\nrequire = \"resilent\"\n", 1);
            text
        },
        field: Some("require"),
        at: (2, 1),
        says: &["unknown level \"resilent\"", "did you mean \"resilient\"?"],
    },
    Case {
        rule: "zero trials is rejected",
        file: "trials.toml",
        text: || GOOD.replacen("name = \"t\"\n", "name = \"t\"\ntrials = 0\n", 1),
        field: Some("trials"),
        at: (2, 1),
        says: &["0 is out of range", "1 to 100"],
    },
    Case {
        rule: "steady p99 tolerance below one is rejected",
        file: "tolerance.toml",
        text: || good_with("steady_p99_tolerance = 1.5", "steady_p99_tolerance = 0.5"),
        field: Some("certify.steady_p99_tolerance"),
        at: (32, 1),
        says: &["0.5 is out of range", "1.0 to 100"],
    },
    Case {
        rule: "name with a slash is rejected",
        file: "slash.toml",
        text: || good_with("name = \"t\"", "name = \"a/b\""),
        field: Some("name"),
        at: (1, 1),
        says: &["cannot name a report folder", "without slashes"],
    },
    Case {
        rule: "every problem in a file is reported not just the first",
        file: "many.toml",
        text: || good_with("rate = 10", "rate = 0").replacen("replicas = 2", "replicas = 0", 1),
        field: Some("load.rate"),
        at: (9, 1),
        says: &["field `app.replicas`", "2 problems in"],
    },
    Case {
        rule: "an invalid load header is rejected before it fails every request",
        file: "header.toml",
        text: || {
            let text = good_with(
                "requests = [{ path = \"/\" }]",
                "requests = [{ path = \"/\", headers = { \"X Bad\" = \"1\" } }]",
            );
            text
        },
        field: Some("load.requests[0].headers.X Bad"),
        at: (11, 39),
        says: &["is not a valid header name"],
    },
];
