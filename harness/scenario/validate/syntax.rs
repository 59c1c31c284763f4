//! Problems the TOML parser and serde find (syntax, unknown keys, wrong types, missing
//! fields), turned into located problems with a hint. serde stops at the first one, so
//! this runs once per file.

use super::super::error::{did_you_mean, field_at, line_col, Problem};
use toml::de::DeTable;

/// Keys of every table, to say where a key that is unknown here belongs.
const TABLE_KEYS: [(&str, &[&str]); 13] = [
    (
        "the top level",
        &[
            "name",
            "description",
            "require",
            "trials",
            "app",
            "load",
            "fault",
            "service",
            "check",
            "certify",
            "front",
            "audit",
        ],
    ),
    (
        "[app]",
        &[
            "image",
            "build",
            "port",
            "replicas",
            "env",
            "health",
            "start_timeout",
            "volumes",
        ],
    ),
    ("app.build", &["context", "dockerfile", "command"]),
    ("app.health", &["path", "status", "interval", "timeout"]),
    (
        "[load]",
        &[
            "rate",
            "duration",
            "timeout",
            "window",
            "max_in_flight",
            "keep_alive",
            "requests",
        ],
    ),
    (
        "[[fault]]",
        &[
            "at", "kind", "then", "target", "delay", "grace", "order", "for", "fault", "every", "count", "seed",
        ],
    ),
    (
        "[[service]]",
        &["name", "image", "recipe", "env", "ready_log", "volumes", "command"],
    ),
    (
        "[front]",
        &[
            "kind",
            "image",
            "recipe",
            "check_interval",
            "fall",
            "retries",
            "redispatch",
        ],
    ),
    (
        "[certify]",
        &[
            "time_to_healthy_target",
            "steady_window",
            "steady_p99_tolerance",
            "floor_cycles",
            "time_to_healthy_of",
        ],
    ),
    ("[[check]]", &["name", "journeys", "setup", "verify"]),
    (
        "[audit]",
        &[
            "enabled",
            "ephemeral",
            "volatile",
            "read_only_trial",
            "read_only_duration",
        ],
    ),
    (
        "a check step",
        &[
            "method",
            "path",
            "headers",
            "body",
            "form",
            "json",
            "json_text",
            "multipart",
            "status",
            "capture",
            "body_contains",
            "body_equals",
            "json_equals",
            "body_equals_upload",
        ],
    ),
    ("a capture", &["cookie", "json", "header", "regex"]),
];

/// Deepest nesting of arrays and inline tables accepted (no scenario needs more than 4).
pub(crate) const MAX_NESTING: usize = 32;

/// Refuses arrays or inline tables nested deeper than [`MAX_NESTING`] before the parser
/// sees them: it recurses once per level. A light scan that skips strings and comments.
pub(super) fn nesting_problem(text: &str) -> Option<Problem> {
    if let Some(p) = dotted_problem(text) {
        return Some(p);
    }
    let b = text.as_bytes();
    // the common case at the cost of a count: too few brackets to nest that deep
    if b.iter().filter(|c| matches!(c, b'[' | b'{')).count() <= MAX_NESTING {
        return None;
    }
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                let triple = b[i..].starts_with(if q == b'"' { b"\"\"\"" } else { b"'''" });
                i += if triple { 3 } else { 1 };
                while i < b.len() {
                    if q == b'"' && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == q && (!triple || b[i..].starts_with(&[q, q, q])) {
                        i += if triple { 2 } else { 0 };
                        break;
                    }
                    if b[i] == b'\n' && !triple {
                        break;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(Problem {
                        field: field_on_line(text, i).unwrap_or_default(),
                        file: None,
                        location: Some(line_col(text, i)),
                        message: format!("arrays or tables nest deeper than {MAX_NESTING} levels"),
                        hint: Some("no scenario field nests that deep; flatten the value".into()),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            // a table header's brackets close on their line; a new line resets nothing else
            _ => {}
        }
        i += 1;
    }
    None
}

/// Refuses keys with more than [`MAX_NESTING`] dotted parts (`a.b.c...`, in a table
/// header, a key or an inline table): each part is a nested table, and the parser's own
/// recursion limit reports no location.
fn dotted_problem(text: &str) -> Option<Problem> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        // a line with fewer dots than the bound holds no such key (most lines: no split)
        if line.bytes().filter(|c| *c == b'.').count() < MAX_NESTING {
            offset += line.len();
            continue;
        }
        let t = line.trim_start();
        let keys: Vec<&str> = if let Some(header) = t.strip_prefix('[') {
            header.trim_start_matches('[').split(']').next().into_iter().collect()
        } else if t.starts_with('#') {
            Vec::new()
        } else {
            t.split(['{', ','])
                .filter_map(|piece| piece.split_once('=').map(|(k, _)| k))
                .collect()
        };
        if keys.iter().any(|k| k.matches('.').count() >= MAX_NESTING) {
            let at = offset + (line.len() - t.len());
            return Some(Problem {
                field: field_on_line(text, at).unwrap_or_default(),
                file: None,
                location: Some(line_col(text, at)),
                message: format!("a key has more than {MAX_NESTING} dotted parts (tables nested that deep)"),
                hint: Some("no scenario field nests that deep; flatten the key".into()),
            });
        }
        offset += line.len();
    }
    None
}

/// Fields written as durations (strings with a unit).
const DURATION_KEYS: [&str; 11] = [
    "duration",
    "timeout",
    "window",
    "at",
    "delay",
    "grace",
    "interval",
    "start_timeout",
    "time_to_healthy_target",
    "steady_window",
    "read_only_duration",
];

/// An example of a required field, for "add it" hints.
pub(super) fn example(field: &str) -> String {
    match field {
        "name" => "name = \"kill-restart\"".into(),
        "app" => "an [app] table with image and port".into(),
        "load" => "a [load] table with rate and duration".into(),
        "image" => "image = \"phoenix-demo:latest\"".into(),
        "port" => "port = 8080".into(),
        "command" => "command = [\"../target/debug/phoenix-demo\"]".into(),
        "rate" => "rate = 200".into(),
        "duration" => "duration = \"20s\"".into(),
        "at" => "at = \"5s\"".into(),
        "kind" => "kind = \"kill\"".into(),
        "target" => "target = \"app-0\"".into(),
        "path" => "path = \"/\"".into(),
        "context" => "context = \"apps/demo\"".into(),
        other => format!("{other} = ..."),
    }
}

/// Turns a TOML/serde error into a located problem with a hint.
pub(super) fn parse_problem(text: &str, e: &toml::de::Error) -> Problem {
    let message = e.message().trim().to_string();
    let span = e.span();
    let offset = span.as_ref().map(|s| s.start);
    // serde reports a field missing at the top level with an empty span at 0.
    let at_root = span.as_ref().is_none_or(|s| s.is_empty() && s.start == 0);
    let mut location = offset.map(|o| line_col(text, o));
    let syntax = DeTable::parse(text).is_err();
    let mut field = if syntax {
        offset.and_then(|o| field_on_line(text, o)).unwrap_or_default()
    } else if at_root {
        String::new()
    } else {
        offset.and_then(|o| field_at(text, o)).unwrap_or_default()
    };
    let last = field.rsplit('.').next().unwrap_or("").to_string();
    let last = last.split('[').next().unwrap_or("").to_string();
    let hint;
    if syntax {
        hint = Some(syntax_hint(&message));
    } else if let Some(unknown) = between(&message, "unknown field `", "`") {
        let expected: Vec<&str> = message
            .split("expected ")
            .nth(1)
            .map(|s| {
                s.split(['`', ',', ' '])
                    .filter(|w| !w.is_empty() && *w != "one" && *w != "of" && *w != "or")
                    .collect()
            })
            .unwrap_or_default();
        let home = TABLE_KEYS
            .iter()
            .find(|(_, keys)| keys.contains(&unknown) && !expected.iter().any(|e| keys.contains(e)));
        hint = Some(match (did_you_mean(unknown, expected.iter().copied()), home) {
            (Some(s), _) => format!("did you mean `{s}`?"),
            (None, Some((table, _))) => format!(
                "`{unknown}` belongs in {table}, not here; valid keys here: {}",
                expected.join(", ")
            ),
            (None, None) => format!("remove `{unknown}`; valid keys here: {}", expected.join(", ")),
        });
    } else if let Some(missing) = between(&message, "missing field `", "`") {
        field = if field.is_empty() {
            missing.to_string()
        } else {
            format!("{field}.{missing}")
        };
        if at_root {
            location = Some((1, 1));
        }
        hint = Some(format!("add {} (see scenarios/kill-restart.toml)", example(missing)));
    } else if message.contains("invalid type") || message.contains("invalid value") {
        let wants = message.split("expected ").nth(1).unwrap_or("");
        hint = Some(if DURATION_KEYS.contains(&last.as_str()) {
            format!("durations are strings with a unit, e.g. {last} = \"5s\"")
        } else if message.contains("as i128") || message.contains("as u64") {
            format!(
                "the number is too large; use a whole number in range, e.g. {} = 10",
                if last.is_empty() { "rate" } else { &last }
            )
        } else if wants.contains("f64") || wants.contains("i64") || wants.contains("integer") {
            format!(
                "write a number without quotes, e.g. {} = 10",
                if last.is_empty() { "rate" } else { &last }
            )
        } else if wants.contains("string") {
            format!(
                "put the value in quotes, e.g. {} = \"...\"",
                if last.is_empty() { "name" } else { &last }
            )
        } else if wants.contains("bool") {
            "write true or false, without quotes".into()
        } else {
            format!("this field expects {wants}")
        });
    } else {
        hint = Some("see scenarios/kill-restart.toml for a complete example".into());
    }
    Problem {
        field,
        file: None,
        // an error the parser cannot place (e.g. its recursion limit) still names a line
        location: location.or(Some((1, 1))),
        message,
        hint,
    }
}

/// For a syntax error: a hint that names the usual cause.
fn syntax_hint(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    let cause = if m.contains("visible characters") || m.contains("control") {
        "a string or comment holds a raw control character: write it as an escape (\\u001b) or remove it"
    } else if m.contains("carriage return") {
        "a carriage return (CR) stands alone: end lines with LF or CR LF"
    } else if m.contains("string") {
        "a string is not closed: end it with a quote on the same line (or use \"\"\" for several lines)"
    } else if m.contains("table") || m.contains("array") && m.contains("]") {
        "a table header is not closed: write it as [load] or [[fault]]"
    } else if m.contains("duplicate") {
        "a key may appear only once in a table"
    } else {
        "the file is not valid TOML"
    };
    format!("{cause}; see https://toml.io for the syntax")
}

/// For a syntax error, where the file cannot be parsed: the `table.key` written on the
/// error's line, found from the line's text and the last table header above it.
pub(crate) fn field_on_line(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line.checked_sub(1)?)?.trim_start();
    if this.starts_with('[') {
        // a table header: the table it opens
        let name = this.trim_start_matches('[').split(']').next()?.trim();
        let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        return (!name.is_empty() && plain).then(|| name.to_string());
    }
    let (key, _) = this.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
        return None;
    }
    let header = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['));
    let Some(header) = header else {
        return Some(key.to_string());
    };
    let name = header.trim_start_matches('[').split(']').next().unwrap_or("").trim();
    if header.starts_with("[[") {
        let index = lines[..line - 1]
            .iter()
            .filter(|l| {
                let l = l.trim();
                l.starts_with("[[") && l.trim_start_matches('[').split(']').next().map(str::trim) == Some(name)
            })
            .count()
            .saturating_sub(1);
        Some(format!("{name}[{index}].{key}"))
    } else {
        Some(format!("{name}.{key}"))
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}
