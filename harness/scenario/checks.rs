//! State-survival checks: HTTP journeys declared in the scenario. Validation resolves
//! bodies, captures and expectations, and rejects a template that names a variable no
//! earlier step captures.

use super::body::BodyFile;
pub use super::body::{Body, Upload, MAX_UPLOAD};
use super::file::{CaptureFile, CheckFile, StepFile};
use super::http;
pub use super::template::{render, render_json, template_vars};
use super::validate::bounds::{MAX_CAPTURES, MAX_HEADERS, MAX_NAME_BYTES, MAX_STEPS};
use super::validate::paths::Project;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most journeys per check.
pub(crate) const MAX_JOURNEYS: i64 = 10_000;
/// Variables every journey has: its index and the run id.
pub(crate) const BUILTIN_VARS: [&str; 2] = ["n", "run"];

/// A validated check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub journeys: u32,
    pub setup: Vec<Step>,
    pub verify: Vec<Step>,
}

/// A validated step; strings may hold `{{var}}` templates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub status: u16,
    pub captures: Vec<(String, Capture)>,
    pub expect: Vec<Expect>,
}

impl Step {
    /// `METHOD path`, for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capture {
    Cookie(String),
    Json(String),
    Header(String),
    Regex(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    BodyContains(String),
    BodyEquals(String),
    JsonEquals { pointer: String, value: String },
    BodyEqualsUpload,
}

/// Validates the checks, pushing problems as (field, message, hint).
pub(super) fn validate(
    raw: Vec<CheckFile>,
    project: &Project,
    problem: &mut dyn FnMut(String, String, Option<String>),
) -> Vec<Check> {
    let mut out: Vec<Check> = Vec::new();
    for (i, c) in raw.into_iter().enumerate() {
        let field = format!("check[{i}]");
        if c.name.trim().is_empty() {
            problem(
                format!("{field}.name"),
                "is empty".into(),
                Some("name the check, e.g. \"sessions\"".into()),
            );
        } else if c.name.chars().any(super::error::needs_escape) {
            // the name reaches the reports (summary.md, junit.xml, the HTML page) as written
            problem(
                format!("{field}.name"),
                "contains control or invisible formatting characters".into(),
                Some("name the check in plain text, e.g. \"sessions\"".into()),
            );
        } else if c.name.len() > MAX_NAME_BYTES {
            problem(
                format!("{field}.name"),
                format!("is {} bytes, over the limit of {MAX_NAME_BYTES} bytes", c.name.len()),
                Some("name the check in a word or two, e.g. \"sessions\"".into()),
            );
        }
        if out.iter().any(|o| o.name == c.name) {
            problem(
                format!("{field}.name"),
                format!("\"{}\" is used twice", c.name),
                Some("give every check its own name".into()),
            );
        }
        let journeys = match c.journeys {
            None => 10,
            Some(n) if (1..=MAX_JOURNEYS).contains(&n) => n,
            Some(n) => {
                problem(
                    format!("{field}.journeys"),
                    format!("{n} is out of range"),
                    Some(format!("use 1 to {MAX_JOURNEYS}")),
                );
                1
            }
        } as u32;
        if c.setup.is_empty() {
            problem(
                format!("{field}.setup"),
                "has no steps".into(),
                Some("a journey sets state up (e.g. POST /login) before the faults".into()),
            );
        }
        if c.verify.is_empty() {
            problem(
                format!("{field}.verify"),
                "has no steps".into(),
                Some("a journey verifies the state (e.g. GET /me) after recovery".into()),
            );
        }
        let mut known: BTreeSet<String> = BUILTIN_VARS.iter().map(|s| s.to_string()).collect();
        let mut uploads = false;
        let setup = steps(&field, "setup", c.setup, project, &mut known, &mut uploads, problem);
        let verify = steps(&field, "verify", c.verify, project, &mut known, &mut uploads, problem);
        out.push(Check {
            name: c.name,
            journeys,
            setup,
            verify,
        });
    }
    out
}

/// The steps of a check's `setup` or `verify`, at most [`MAX_STEPS`]; `known` gathers the
/// variables captured so far, `uploads` whether a step uploaded something.
fn steps(
    check: &str,
    part: &str,
    raw: Vec<StepFile>,
    project: &Project,
    known: &mut BTreeSet<String>,
    uploads: &mut bool,
    problem: &mut dyn FnMut(String, String, Option<String>),
) -> Vec<Step> {
    let mut out = Vec::new();
    if raw.len() > MAX_STEPS {
        problem(
            format!("{check}.{part}"),
            format!("has {} steps, over the limit of {MAX_STEPS}", raw.len()),
            Some(format!(
                "keep at most {MAX_STEPS} steps; only the first {MAX_STEPS} were checked"
            )),
        );
    }
    for (i, s) in raw.into_iter().take(MAX_STEPS).enumerate() {
        let field = format!("{check}.{part}[{i}]");
        out.push(step(&field, s, project, known, uploads, problem));
    }
    out
}

/// One step: its request, what it expects, the variables it uses (each captured by an
/// earlier step) and the ones it captures.
fn step(
    field: &str,
    s: StepFile,
    project: &Project,
    known: &mut BTreeSet<String>,
    uploads: &mut bool,
    problem: &mut dyn FnMut(String, String, Option<String>),
) -> Step {
    let mut used: Vec<(String, String)> = Vec::new();
    let mut note = |what: &str, text: &str| used.extend(template_vars(text).into_iter().map(|v| (what.to_string(), v)));
    note("path", &s.path);
    headers(field, &s.headers, &mut note, problem);
    let method = s.method.clone().unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
    if let Some(why) = http::method_problem(&method) {
        problem(
            format!("{field}.method"),
            why,
            Some(format!("use one of {}", http::METHODS.join(", "))),
        );
    }
    if let Some(why) = http::target_problem(&s.path) {
        problem(format!("{field}.path"), why, Some(http::TARGET_HINT.into()));
    }
    let body = super::body::validate(
        field,
        BodyFile {
            body: s.body,
            form: s.form,
            json: s.json,
            json_text: s.json_text,
            multipart: s.multipart,
        },
        project,
        &mut note,
        problem,
    );
    *uploads |= matches!(body, Body::Multipart { .. });
    let status = match s.status {
        None => 200,
        Some(n) if (100..=599).contains(&n) => n as u16,
        Some(n) => {
            problem(
                format!("{field}.status"),
                format!("{n} is not an HTTP status"),
                Some("use 100 to 599".into()),
            );
            200
        }
    };
    let mut expect = expectations(field, s.body_contains, s.body_equals, s.json_equals, &mut note, problem);
    if s.body_equals_upload == Some(true) {
        if !*uploads {
            problem(
                format!("{field}.body_equals_upload"),
                "no earlier step of this journey uploads anything".into(),
                Some("add a step with `multipart = {{ ... }}` before it".into()),
            );
        }
        expect.push(Expect::BodyEqualsUpload);
    }
    unknown_vars(field, used, known, problem);
    let captures = captures(field, s.capture, known, problem);
    Step {
        method,
        path: s.path,
        headers: s.headers.into_iter().collect(),
        body,
        status,
        captures,
        expect,
    }
}

/// A step's headers, at most [`MAX_HEADERS`], each a valid header; their templates noted.
fn headers(
    field: &str,
    headers: &BTreeMap<String, String>,
    note: &mut dyn FnMut(&str, &str),
    problem: &mut dyn FnMut(String, String, Option<String>),
) {
    for (n, (k, v)) in headers.iter().enumerate() {
        if n == MAX_HEADERS {
            problem(
                format!("{field}.headers"),
                format!("has {} headers, over the limit of {MAX_HEADERS}", headers.len()),
                Some(format!("keep at most {MAX_HEADERS} headers")),
            );
            break;
        }
        note(&format!("headers.{k}"), v);
        // templates are visible text; their rendered values are checked again at run time
        if let Some(why) = http::header_problem(k, Some(v)) {
            problem(format!("{field}.headers.{k}"), why, Some(http::HEADER_HINT.into()));
        }
    }
}

/// What the answer's body must contain, equal, or hold at JSON pointers; templates noted.
fn expectations(
    field: &str,
    contains: Option<String>,
    equals: Option<String>,
    json_equals: Option<BTreeMap<String, String>>,
    note: &mut dyn FnMut(&str, &str),
    problem: &mut dyn FnMut(String, String, Option<String>),
) -> Vec<Expect> {
    let mut expect = Vec::new();
    if let Some(t) = contains {
        note("body_contains", &t);
        expect.push(Expect::BodyContains(t));
    }
    if let Some(t) = equals {
        note("body_equals", &t);
        expect.push(Expect::BodyEquals(t));
    }
    for (pointer, value) in json_equals.unwrap_or_default() {
        if !pointer.starts_with('/') {
            problem(
                format!("{field}.json_equals"),
                format!("\"{pointer}\" is not a JSON pointer"),
                Some("pointers start with '/', e.g. \"/note/text\"".into()),
            );
        }
        note("json_equals", &value);
        expect.push(Expect::JsonEquals { pointer, value });
    }
    expect
}

/// Each `{{var}}` a step uses that is neither built in nor captured by an earlier step.
fn unknown_vars(
    field: &str,
    used: Vec<(String, String)>,
    known: &BTreeSet<String>,
    problem: &mut dyn FnMut(String, String, Option<String>),
) {
    for (what, var) in used {
        if !known.contains(&var) {
            let hint = match super::error::did_you_mean(&var, known.iter().map(|s| s.as_str())) {
                Some(s) => format!("did you mean `{{{{{s}}}}}`?"),
                None => format!(
                    "capture it in an earlier step, or use one of: {}",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            };
            problem(
                format!("{field}.{what}"),
                format!("uses `{{{{{var}}}}}`, which no earlier step captures"),
                Some(hint),
            );
        }
    }
}

/// A step's captures, at most [`MAX_CAPTURES`]: each name a usable variable name, not a
/// built-in one, added to `known` once its source is valid.
fn captures(
    field: &str,
    raw: BTreeMap<String, CaptureFile>,
    known: &mut BTreeSet<String>,
    problem: &mut dyn FnMut(String, String, Option<String>),
) -> Vec<(String, Capture)> {
    let mut captures = Vec::new();
    if raw.len() > MAX_CAPTURES {
        problem(
            format!("{field}.capture"),
            format!("has {} captures, over the limit of {MAX_CAPTURES}", raw.len()),
            Some(format!("keep at most {MAX_CAPTURES} captures per step")),
        );
    }
    for (name, c) in raw.into_iter().take(MAX_CAPTURES) {
        if name.is_empty()
            || !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            problem(
                format!("{field}.capture"),
                format!("\"{name}\" cannot be used as a variable name"),
                Some("use letters, digits, '_' and '-', e.g. sid".into()),
            );
            continue;
        }
        if BUILTIN_VARS.contains(&name.as_str()) {
            problem(
                format!("{field}.capture.{name}"),
                format!("`{name}` is a built-in variable"),
                Some(format!(
                    "pick another name; {} are set for every journey",
                    BUILTIN_VARS.join(" and ")
                )),
            );
            continue;
        }
        match capture(c) {
            Ok(cap) => {
                known.insert(name.clone());
                captures.push((name, cap));
            }
            Err((msg, hint)) => problem(format!("{field}.capture.{name}"), msg, Some(hint)),
        }
    }
    captures
}

fn capture(c: CaptureFile) -> Result<Capture, (String, String)> {
    let hint = "use exactly one of cookie = \"name\", json = \"/pointer\", header = \"name\", regex = \"id=(\\\\w+)\""
        .to_string();
    match (c.cookie, c.json, c.header, c.regex) {
        (Some(v), None, None, None) => Ok(Capture::Cookie(v)),
        (None, Some(v), None, None) if v.starts_with('/') => Ok(Capture::Json(v)),
        (None, Some(v), None, None) => Err((
            format!("\"{v}\" is not a JSON pointer"),
            "pointers start with '/', e.g. \"/id\"".into(),
        )),
        (None, None, Some(v), None) => Ok(Capture::Header(v)),
        (None, None, None, Some(v)) => match regex::Regex::new(&v) {
            Ok(_) => Ok(Capture::Regex(v)),
            Err(e) => Err((
                format!("bad regex: {e}"),
                "check the pattern; backslashes must be doubled in TOML basic strings".into(),
            )),
        },
        (cookie, json, header, regex) => {
            let given: Vec<&str> = [
                ("cookie", cookie.is_some()),
                ("json", json.is_some()),
                ("header", header.is_some()),
                ("regex", regex.is_some()),
            ]
            .iter()
            .filter(|g| g.1)
            .map(|g| g.0)
            .collect();
            let msg = if given.is_empty() {
                "has no source".to_string()
            } else {
                format!(
                    "has {} sources ({}); a capture takes its value from exactly one",
                    given.len(),
                    given.join(", ")
                )
            };
            Err((msg, hint))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_and_list_their_variables() {
        assert_eq!(template_vars("sid={{sid}}; u={{ n }}"), vec!["sid", "n"]);
        let out = render("/files/{{id}}?u={{n}}&x={{missing}}", |k| match k {
            "id" => Some("abc".into()),
            "n" => Some("7".into()),
            _ => None,
        });
        assert_eq!(out, "/files/abc?u=7&x={{missing}}");
    }
}
