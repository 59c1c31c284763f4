//! Bad scenario files are refused with a message naming the file, the line and column,
//! the field and the fix. The table of single-rule cases runs in-process (the validation
//! function, not a process per case); a few tests run the real binary for what only it
//! shows: exit status 2, no report folder, a FIFO and /dev/zero refused within a second.
//!
//! Every case starts from `GOOD` (which `phoenix validate` accepts) and changes exactly one
//! thing, so each test proves one rule.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// A valid scenario that exercises every section. Line numbers are referred to below.
const GOOD: &str = r#"name = "t"
[app]
image = "phoenix-demo:latest"
port = 8080
replicas = 2
health = { path = "/health" }
volumes = ["data:/data"]
[load]
rate = 10
duration = "5s"
requests = [{ path = "/" }]
[[fault]]
at = "1s"
kind = "stop"
grace = "1s"
target = "app-0"
[[service]]
name = "db"
image = "postgres:16"
[[check]]
name = "sessions"
[[check.setup]]
method = "POST"
path = "/login"
json_text = '{"user": "u{{n}}"}'
capture = { sid = { cookie = "sid" } }
[[check.verify]]
path = "/me"
headers = { Cookie = "sid={{sid}}" }
body_contains = "u{{n}}"
[certify]
steady_p99_tolerance = 1.5
"#;

/// `GOOD` with `from` (which must occur exactly once) replaced by `to`.
fn good_with(from: &str, to: &str) -> String {
    assert_eq!(GOOD.matches(from).count(), 1, "{from:?} must occur once in GOOD");
    GOOD.replacen(from, to, 1)
}

/// `GOOD` with `extra` appended.
fn good_plus(extra: &str) -> String {
    format!("{GOOD}{extra}")
}

/// Validates `text` in-process and asserts it is refused within a second with a message
/// that names `file:line:col`, the field, a hint and every fragment.
fn check(name: &str, text: &str, field: Option<&str>, at: (usize, usize), expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(name);
    std::fs::write(&path, text).unwrap();
    let start = Instant::now();
    let result = phoenix_bench::scenario::Scenario::load(&path);
    let elapsed = start.elapsed();
    let err = match result {
        Ok(_) => panic!("{name}: accepted"),
        Err(e) => e.to_string(),
    };
    assert!(elapsed < Duration::from_secs(1), "{name}: took {elapsed:?}");
    let located = format!("{}:{}:{}: ", path.display(), at.0, at.1);
    assert!(
        err.contains(&located),
        "{name}: message does not start with {located:?}: {err}"
    );
    if let Some(f) = field {
        let f = format!("field `{f}`");
        assert!(err.contains(&f), "{name}: message lacks {f:?}: {err}");
    }
    assert!(err.contains("\n  hint: "), "{name}: message has no hint: {err}");
    for e in expect {
        assert!(err.contains(e), "{name}: message lacks {e:?}: {err}");
    }
}

// --- phoenix validate ---------------------------------------------------------------------

fn validate(text: &str) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    phoenix().arg("validate").arg(&path).output().unwrap()
}

#[test]
fn validate_accepts_the_good_baseline_with_exit_0() {
    let o = validate(GOOD);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok (2 replica(s), 1 fault(s)"));
}

#[test]
fn validate_rejects_a_bad_file_with_exit_2_and_a_located_message() {
    let o = validate(&good_with("rate = 10", "rate = 0"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("s.toml:9:1: field `load.rate`"), "{err}");
}

#[test]
fn validate_accepts_the_bundled_scenario_and_names_the_host_commands_it_runs() {
    let o = phoenix()
        .args(["validate", "scenarios/kill-restart.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("will run on this host: bash apps/demo/build.sh (in scenarios)"),
        "{out}"
    );
}

// --- malformed TOML -----------------------------------------------------------------------

#[test]
fn unclosed_string_is_located_and_explained() {
    let text = good_with("name = \"t\"", "name = \"t");
    check(
        "unclosed.toml",
        &text,
        Some("name"),
        (1, 10),
        &["string", "end it with a quote"],
    );
}

#[test]
fn unclosed_table_header_is_located_and_explained() {
    let text = good_with("[load]", "[load");
    check(
        "header.toml",
        &text,
        None,
        (8, 6),
        &["expected `]`", "table header is not closed"],
    );
}

#[test]
fn duplicate_key_is_a_syntax_error_naming_the_line() {
    let text = good_with("rate = 10\n", "rate = 10\nrate = 20\n");
    check("dup-key.toml", &text, None, (10, 1), &["duplicate key", "only once"]);
}

// --- unknown keys -------------------------------------------------------------------------

#[test]
fn unknown_top_level_key_suggests_the_right_one() {
    let text = good_with("name = \"t\"", "nmae = \"t\"");
    check(
        "top.toml",
        &text,
        Some("nmae"),
        (1, 1),
        &["unknown field `nmae`", "did you mean `name`?"],
    );
}

#[test]
fn unknown_key_in_app_suggests_the_right_one() {
    let text = good_with("replicas = 2", "replica = 2");
    check(
        "app.toml",
        &text,
        Some("app.replica"),
        (5, 1),
        &["did you mean `replicas`?"],
    );
}

#[test]
fn unknown_key_in_load_suggests_the_right_one() {
    let text = good_with("rate = 10", "rat = 10");
    check(
        "load.toml",
        &text,
        Some("load.rat"),
        (9, 1),
        &["unknown field `rat`", "did you mean `rate`?"],
    );
}

#[test]
fn unknown_key_in_a_fault_suggests_the_right_one() {
    let text = good_with("grace = \"1s\"", "grase = \"1s\"");
    check(
        "fault-key.toml",
        &text,
        Some("fault[0].grase"),
        (15, 1),
        &["did you mean `grace`?"],
    );
}

#[test]
fn unknown_key_in_a_check_step_suggests_the_right_one() {
    let text = good_with("body_contains", "body_contain");
    check(
        "step-key.toml",
        &text,
        Some("check[0].verify[0].body_contain"),
        (30, 1),
        &["did you mean `body_contains`?"],
    );
}

#[test]
fn key_in_the_wrong_table_says_where_it_belongs() {
    let text = good_with("port = 8080", "port = 8080\nrate = 10");
    check(
        "misplaced.toml",
        &text,
        Some("app.rate"),
        (5, 1),
        &["`rate` belongs in [load]"],
    );
}

// --- wrong types --------------------------------------------------------------------------

#[test]
fn string_for_a_number_says_to_drop_the_quotes() {
    let text = good_with("rate = 10", "rate = \"10\"");
    check(
        "type-num.toml",
        &text,
        Some("load.rate"),
        (9, 8),
        &["invalid type: string", "without quotes"],
    );
}

#[test]
fn number_for_a_string_says_to_quote_it() {
    let text = good_with("image = \"phoenix-demo:latest\"", "image = 5");
    check(
        "type-str.toml",
        &text,
        Some("app.image"),
        (3, 9),
        &["invalid type: integer", "in quotes"],
    );
}

#[test]
fn number_for_a_duration_says_to_add_a_unit() {
    let text = good_with("duration = \"5s\"", "duration = 5");
    check(
        "type-dur.toml",
        &text,
        Some("load.duration"),
        (10, 12),
        &["strings with a unit", "duration = \"5s\""],
    );
}

// --- missing required fields --------------------------------------------------------------

#[test]
fn missing_name_points_at_the_top_of_the_file() {
    let text = good_with("name = \"t\"\n", "");
    check(
        "no-name.toml",
        &text,
        Some("name"),
        (1, 1),
        &["missing field `name`", "add name = \"kill-restart\""],
    );
}

#[test]
fn missing_app_image_points_at_the_app_table() {
    let text = good_with("image = \"phoenix-demo:latest\"\n", "");
    check(
        "no-image.toml",
        &text,
        Some("app.image"),
        (2, 1),
        &["missing field `image`", "add image ="],
    );
}

#[test]
fn missing_load_rate_points_at_the_load_table() {
    let text = good_with("rate = 10\n", "");
    check(
        "no-rate.toml",
        &text,
        Some("load.rate"),
        (8, 1),
        &["missing field `rate`", "add rate = 200"],
    );
}

#[test]
fn missing_fault_target_points_at_the_fault() {
    let text = good_with("target = \"app-0\"\n", "");
    check(
        "no-target.toml",
        &text,
        Some("fault[0].target"),
        (12, 1),
        &["missing field `target`", "add target = \"app-0\""],
    );
}

// --- load ---------------------------------------------------------------------------------

#[test]
fn zero_rate_is_rejected() {
    let text = good_with("rate = 10", "rate = 0");
    check(
        "rate0.toml",
        &text,
        Some("load.rate"),
        (9, 1),
        &["0 is not a positive rate", "rate = 200"],
    );
}

#[test]
fn negative_rate_is_rejected() {
    let text = good_with("rate = 10", "rate = -5");
    check(
        "negative.toml",
        &text,
        Some("load.rate"),
        (9, 1),
        &["-5 is not a positive rate"],
    );
}

#[test]
fn rate_above_max_rate_is_rejected() {
    let text = good_with("rate = 10", "rate = 1e9");
    check(
        "rate-high.toml",
        &text,
        Some("load.rate"),
        (9, 1),
        &["above the limit of 20000", "lower the rate"],
    );
}

#[test]
fn zero_duration_is_rejected() {
    let text = good_with("duration = \"5s\"", "duration = \"0s\"");
    check(
        "dur0.toml",
        &text,
        Some("load.duration"),
        (10, 1),
        &["0s is too short", "at least 1s"],
    );
}

#[test]
fn duration_above_one_hour_is_rejected() {
    let text = good_with("duration = \"5s\"", "duration = \"2h\"");
    check(
        "dur-long.toml",
        &text,
        Some("load.duration"),
        (10, 1),
        &["2h is too long", "at most 1h"],
    );
}

#[test]
fn duration_without_unit_says_which_to_add() {
    let text = good_with("duration = \"5s\"", "duration = \"5\"");
    check(
        "dur-unit.toml",
        &text,
        Some("load.duration"),
        (10, 1),
        &["has no unit", "\"5s\""],
    );
}

#[test]
fn duration_with_an_unknown_unit_lists_the_units() {
    let text = good_with("duration = \"5s\"", "duration = \"5 days\"");
    check(
        "dur-days.toml",
        &text,
        Some("load.duration"),
        (10, 1),
        &["unknown unit \"days\"", "us, ms, s, m or h"],
    );
}

#[test]
fn load_target_must_be_a_path_not_a_url() {
    let text = good_with(
        "requests = [{ path = \"/\" }]",
        "requests = [{ path = \"http://10.0.0.1/\" }]",
    );
    check(
        "url.toml",
        &text,
        Some("load.requests[0].path"),
        (11, 15),
        &["is not a path", "127.0.0.1"],
    );
}

#[test]
fn unknown_http_method_lists_the_methods() {
    let text = good_with(
        "requests = [{ path = \"/\" }]",
        "requests = [{ method = \"FETCH\", path = \"/\" }]",
    );
    check(
        "method.toml",
        &text,
        Some("load.requests[0].method"),
        (11, 15),
        &["unknown method \"FETCH\"", "GET, POST"],
    );
}

// --- faults -------------------------------------------------------------------------------

#[test]
fn fault_at_the_end_of_the_load_is_rejected() {
    let text = good_with("at = \"1s\"", "at = \"5s\"");
    check(
        "fault-late.toml",
        &text,
        Some("fault[0].at"),
        (13, 1),
        &["at or after the end of the load (5s)", "earlier"],
    );
}

#[test]
fn unknown_fault_kind_suggests_kill() {
    let text = good_with("kind = \"stop\"\ngrace = \"1s\"\n", "kind = \"kil\"\n");
    check(
        "kind.toml",
        &text,
        Some("fault[0].kind"),
        (14, 1),
        &["unknown fault kind \"kil\"", "did you mean \"kill\"?"],
    );
}

#[test]
fn unknown_then_action_lists_the_actions() {
    let text = good_with("target = \"app-0\"", "target = \"app-0\"\nthen = \"reboot\"");
    check(
        "then.toml",
        &text,
        Some("fault[0].then"),
        (17, 1),
        &["unknown action \"reboot\"", "restart", "replace"],
    );
}

#[test]
fn fault_on_an_unknown_replica_names_the_replicas() {
    let text = good_with("target = \"app-0\"", "target = \"app-3\"");
    check(
        "target.toml",
        &text,
        Some("fault[0].target"),
        (16, 1),
        &["no replica named \"app-3\"", "app-0, app-1"],
    );
}

#[test]
fn grace_on_a_kill_fault_is_rejected() {
    let text = good_with("kind = \"stop\"", "kind = \"kill\"");
    check(
        "grace.toml",
        &text,
        Some("fault[0].grace"),
        (15, 1),
        &["only applies to kind = \"stop\"", "remove it"],
    );
}

#[test]
fn two_faults_on_one_replica_at_the_same_time_are_rejected() {
    let text = good_plus("[[fault]]\nat = \"1s\"\nkind = \"kill\"\ntarget = \"app-0\"\n");
    check(
        "same-time.toml",
        &text,
        Some("fault[1].at"),
        (34, 1),
        &["app-0 already has a fault at 1s (fault[0])"],
    );
}

// --- app ----------------------------------------------------------------------------------

#[test]
fn zero_replicas_is_rejected() {
    let text = good_with("replicas = 2", "replicas = 0");
    check(
        "rep0.toml",
        &text,
        Some("app.replicas"),
        (5, 1),
        &["0 is out of range", "1 to 16"],
    );
}

#[test]
fn replicas_above_the_max_is_rejected() {
    let text = good_with("replicas = 2", "replicas = 17");
    check(
        "rep17.toml",
        &text,
        Some("app.replicas"),
        (5, 1),
        &["17 is out of range", "1 to 16"],
    );
}

#[test]
fn port_zero_is_rejected() {
    let text = good_with("port = 8080", "port = 0");
    check(
        "port0.toml",
        &text,
        Some("app.port"),
        (4, 1),
        &["0 is not a TCP port", "1 to 65535"],
    );
}

#[test]
fn port_above_65535_is_rejected() {
    let text = good_with("port = 8080", "port = 70000");
    check(
        "port-high.toml",
        &text,
        Some("app.port"),
        (4, 1),
        &["70000 is not a TCP port", "1 to 65535"],
    );
}

#[test]
fn health_path_without_leading_slash_is_rejected() {
    let text = good_with("path = \"/health\"", "path = \"health\"");
    check(
        "health.toml",
        &text,
        Some("app.health.path"),
        (6, 12),
        &["\"health\" is not a path: it must start with '/'"],
    );
}

#[test]
fn volume_without_a_container_path_is_rejected() {
    let text = good_with("\"data:/data\"", "\"data\"");
    check(
        "volume.toml",
        &text,
        Some("app.volumes[0]"),
        (7, 12),
        &["\"data\" is not \"name:/path\"", "uploads:/shared"],
    );
}

#[test]
fn host_path_volume_is_rejected() {
    let text = good_with("\"data:/data\"", "\"/etc:/data\"");
    check(
        "volume-host.toml",
        &text,
        Some("app.volumes[0]"),
        (7, 12),
        &["is not \"name:/path\"", "host paths are not mounted"],
    );
}

// --- services -----------------------------------------------------------------------------

#[test]
fn duplicate_service_names_are_rejected() {
    let text = good_plus("[[service]]\nname = \"db\"\nimage = \"redis:7\"\n");
    check(
        "svc-dup.toml",
        &text,
        Some("service[1].name"),
        (34, 1),
        &["already the name of service[0]"],
    );
}

#[test]
fn service_named_like_a_replica_is_rejected() {
    let text = good_with("name = \"db\"", "name = \"app-1\"");
    check(
        "svc-replica.toml",
        &text,
        Some("service[0].name"),
        (18, 1),
        &["also the name of an app replica", "app-0, app-1"],
    );
}

#[test]
fn service_name_that_is_not_a_host_name_is_rejected() {
    let text = good_with("name = \"db\"", "name = \"My DB\"");
    check(
        "svc-name.toml",
        &text,
        Some("service[0].name"),
        (18, 1),
        &["not a valid host name", "lower-case"],
    );
}

// --- checks -------------------------------------------------------------------------------

#[test]
fn journey_using_an_undefined_variable_suggests_the_captured_one() {
    let text = good_with("sid={{sid}}", "sid={{sdi}}");
    check(
        "var.toml",
        &text,
        Some("check[0].verify[0].headers.Cookie"),
        (29, 13),
        &[
            "uses `{{sdi}}`, which no earlier step captures",
            "did you mean `{{sid}}`?",
        ],
    );
}

#[test]
fn bad_regex_in_a_capture_is_rejected() {
    let text = good_with("{ cookie = \"sid\" }", "{ regex = \"id=(\" }");
    check(
        "regex.toml",
        &text,
        Some("check[0].setup[0].capture.sid"),
        (26, 13),
        &["bad regex", "unclosed group"],
    );
}

#[test]
fn capture_with_two_sources_is_rejected() {
    let text = good_with("{ cookie = \"sid\" }", "{ cookie = \"sid\", header = \"x-sid\" }");
    check(
        "two-sources.toml",
        &text,
        Some("check[0].setup[0].capture.sid"),
        (26, 13),
        &["2 sources (cookie, header)", "exactly one"],
    );
}

#[test]
fn capture_shadowing_a_builtin_variable_is_rejected() {
    let text = good_with("capture = { sid", "capture = { n");
    check(
        "builtin.toml",
        &text,
        Some("check[0].setup[0].capture.n"),
        (26, 13),
        &["`n` is a built-in variable"],
    );
}

#[test]
fn invalid_json_text_is_rejected() {
    let text = good_with(r#"'{"user": "u{{n}}"}'"#, r#"'{"user": }'"#);
    check(
        "json.toml",
        &text,
        Some("check[0].setup[0].json_text"),
        (25, 1),
        &["is not valid JSON", "json = {"],
    );
}

#[test]
fn multipart_file_that_does_not_exist_is_rejected() {
    let text = good_with(
        r#"json_text = '{"user": "u{{n}}"}'"#,
        r#"multipart = { file = "missing.bin" }"#,
    );
    check(
        "upload.toml",
        &text,
        Some("check[0].setup[0].multipart.file"),
        (25, 15),
        &["\"missing.bin\"", "No such file", "relative to the scenario file"],
    );
}

#[test]
fn two_bodies_in_one_step_are_rejected() {
    let text = good_with("method = \"POST\"", "method = \"POST\"\nbody = \"x\"");
    check(
        "bodies.toml",
        &text,
        Some("check[0].setup[0].json_text"),
        (26, 1),
        &["also has `body`", "keep only one of body, json_text"],
    );
}

#[test]
fn duplicate_check_names_are_rejected() {
    let text =
        good_plus("[[check]]\nname = \"sessions\"\n[[check.setup]]\npath = \"/\"\n[[check.verify]]\npath = \"/\"\n");
    check(
        "check-dup.toml",
        &text,
        Some("check[1].name"),
        (34, 1),
        &["\"sessions\" is used twice"],
    );
}

#[test]
fn check_without_verify_steps_points_at_the_check() {
    let text = good_with(
        "[[check.verify]]\npath = \"/me\"\nheaders = { Cookie = \"sid={{sid}}\" }\nbody_contains = \"u{{n}}\"\n",
        "",
    );
    check(
        "no-verify.toml",
        &text,
        Some("check[0].verify"),
        (20, 1),
        &["has no steps", "after recovery"],
    );
}

#[test]
fn step_status_out_of_range_is_rejected() {
    let text = good_with("path = \"/me\"", "path = \"/me\"\nstatus = 999");
    check(
        "status.toml",
        &text,
        Some("check[0].verify[0].status"),
        (29, 1),
        &["999 is not an HTTP status", "100 to 599"],
    );
}

// --- top level and certify ----------------------------------------------------------------

#[test]
fn unknown_require_level_suggests_the_closest() {
    let text = good_plus("");
    let text = text.replacen("name = \"t\"\n", "name = \"t\"\nrequire = \"resilent\"\n", 1);
    check(
        "require.toml",
        &text,
        Some("require"),
        (2, 1),
        &["unknown level \"resilent\"", "did you mean \"resilient\"?"],
    );
}

#[test]
fn zero_trials_is_rejected() {
    let text = GOOD.replacen("name = \"t\"\n", "name = \"t\"\ntrials = 0\n", 1);
    check(
        "trials.toml",
        &text,
        Some("trials"),
        (2, 1),
        &["0 is out of range", "1 to 100"],
    );
}

#[test]
fn steady_p99_tolerance_below_one_is_rejected() {
    let text = good_with("steady_p99_tolerance = 1.5", "steady_p99_tolerance = 0.5");
    check(
        "tolerance.toml",
        &text,
        Some("certify.steady_p99_tolerance"),
        (32, 1),
        &["0.5 is out of range", "1.0 to 100"],
    );
}

#[test]
fn name_with_a_slash_is_rejected() {
    let text = good_with("name = \"t\"", "name = \"a/b\"");
    check(
        "slash.toml",
        &text,
        Some("name"),
        (1, 1),
        &["cannot name a report folder", "without slashes"],
    );
}

#[test]
fn every_problem_in_a_file_is_reported_not_just_the_first() {
    let text = good_with("rate = 10", "rate = 0").replacen("replicas = 2", "replicas = 0", 1);
    check(
        "many.toml",
        &text,
        Some("load.rate"),
        (9, 1),
        &["field `app.replicas`", "2 problems in"],
    );
}

#[test]
fn an_invalid_load_header_is_rejected_before_it_fails_every_request() {
    let text = good_with(
        "requests = [{ path = \"/\" }]",
        "requests = [{ path = \"/\", headers = { \"X Bad\" = \"1\" } }]",
    );
    check(
        "header.toml",
        &text,
        Some("load.requests[0].headers.X Bad"),
        (11, 39),
        &["is not a valid header name"],
    );
}

// --- the real binary ----------------------------------------------------------------------

#[test]
fn run_refuses_bad_input_with_exit_2_and_creates_no_report_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, good_with("rate = 10", "rate = 0")).unwrap();
    let o = phoenix()
        .arg("run")
        .arg(&path)
        .arg("--reports")
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml:9:1: field `load.rate`"), "{err}");
    assert!(
        !tmp.path().join("reports").exists(),
        "a report folder was created for bad input"
    );
}

#[test]
fn run_refuses_a_trials_override_that_plans_more_requests_than_the_run_can_keep() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("busy.toml");
    let text = good_with("rate = 10", "rate = 5000").replacen("duration = \"5s\"", "duration = \"60s\"", 1);
    std::fs::write(&path, text).unwrap();
    let o = phoenix()
        .arg("run")
        .arg(&path)
        .args(["--trials", "100", "--reports"])
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("5000 req/s × 60s × 100 trial(s) = 30000000 planned requests"),
        "{err}"
    );
    assert!(!tmp.path().join("reports").exists());
}

/// Runs `phoenix validate <path>` and asserts exit 2 within a second and a hint.
fn refused_at_once(path: &std::path::Path, says: &str) {
    let start = Instant::now();
    let o = phoenix().arg("validate").arg(path).output().unwrap();
    let elapsed = start.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert!(err.contains(says) && err.contains("hint: "), "{err}");
}

#[test]
fn validate_refuses_a_fifo_within_a_second_without_opening_it() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("s.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo failed");
    refused_at_once(&fifo, "is a FIFO (named pipe), not a regular file");
}

#[test]
fn validate_refuses_dev_zero_within_a_second() {
    refused_at_once(
        std::path::Path::new("/dev/zero"),
        "is a character device, not a regular file",
    );
}

#[test]
fn validate_never_prints_a_raw_escape_sequence_from_the_file() {
    // an unknown key that would erase the error line and print a forged `ok`
    let text = format!("\"\\u001b[2K\\u001b[1Gs.toml: ok\" = 1\n{GOOD}");
    let o = validate(&text);
    let out = [o.stdout, o.stderr].concat();
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.contains(&0x1b), "{}", String::from_utf8_lossy(&out));
    assert!(String::from_utf8_lossy(&out).contains("\\x1b[2K"));
}
