//! Request bodies, shared by check steps and load requests: raw text, a URL-encoded form,
//! JSON (as TOML or as JSON text) or a one-file multipart upload. Validation bounds each
//! kind, resolves an upload file inside the project and reports which `{{var}}` templates
//! a body uses, so the caller can check them against the variables it knows.

use super::validate::bounds::MAX_BODY_BYTES;
use super::validate::paths::{Project, Want};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Largest upload, from a file or random bytes.
pub const MAX_UPLOAD: i64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    None,
    Text(String),
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
    Multipart {
        field: String,
        filename: String,
        upload: Upload,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Upload {
    File(PathBuf),
    Random(usize),
}

/// The body keys of a check step or a load request, as written.
pub(super) struct BodyFile {
    pub body: Option<String>,
    pub form: Option<BTreeMap<String, String>>,
    pub json: Option<toml::Value>,
    pub json_text: Option<String>,
    pub multipart: Option<super::file::MultipartFile>,
}

/// Validates the body keys of the step or request at `field`. `note(key, text)` is called
/// for every text that may hold templates; problems are pushed as (field, message, hint).
pub(super) fn validate(
    field: &str,
    s: BodyFile,
    project: &Project,
    note: &mut dyn FnMut(&str, &str),
    problem: &mut dyn FnMut(String, String, Option<String>),
) -> Body {
    for (what, text) in [("body", &s.body), ("json_text", &s.json_text)] {
        if let Some(t) = text.as_ref().filter(|t| t.len() > MAX_BODY_BYTES) {
            problem(
                format!("{field}.{what}"),
                format!("is {} bytes, over the limit of {MAX_BODY_BYTES} bytes", t.len()),
                Some("use a shorter body, or multipart.bytes for a large upload".into()),
            );
        }
    }
    if let Some(f) = &s.form {
        let bytes: usize = f.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        if bytes > MAX_BODY_BYTES {
            problem(
                format!("{field}.form"),
                format!("is {bytes} bytes, over the limit of {MAX_BODY_BYTES} bytes"),
                Some("use fewer or shorter fields".into()),
            );
        }
    }
    let bodies = [
        ("body", s.body.is_some()),
        ("form", s.form.is_some()),
        ("json", s.json.is_some()),
        ("json_text", s.json_text.is_some()),
        ("multipart", s.multipart.is_some()),
    ];
    let given: Vec<&str> = bodies.iter().filter(|b| b.1).map(|b| b.0).collect();
    if given.len() > 1 {
        problem(
            format!("{field}.{}", given[1]),
            format!("a request has one body, but this one also has `{}`", given[0]),
            Some(format!("keep only one of {}", given.join(", "))),
        );
    }
    if let Some(t) = s.body {
        note("body", &t);
        Body::Text(t)
    } else if let Some(f) = s.form {
        for v in f.values() {
            note("form", v);
        }
        Body::Form(f.into_iter().collect())
    } else if let Some(j) = s.json {
        let v = serde_json::to_value(&j).unwrap_or(serde_json::Value::Null);
        let text = v.to_string();
        if text.len() > MAX_BODY_BYTES {
            problem(
                format!("{field}.json"),
                format!(
                    "is {} bytes as JSON, over the limit of {MAX_BODY_BYTES} bytes",
                    text.len()
                ),
                Some("use a smaller document".into()),
            );
        }
        note("json", &text);
        Body::Json(v)
    } else if let Some(t) = s.json_text {
        match serde_json::from_str::<serde_json::Value>(&t) {
            Ok(v) => {
                note("json_text", &t);
                Body::Json(v)
            }
            Err(e) => {
                problem(
                    format!("{field}.json_text"),
                    format!("is not valid JSON: {e}"),
                    Some("write JSON text, or use `json = {{ ... }}` in TOML".into()),
                );
                Body::None
            }
        }
    } else if let Some(m) = s.multipart {
        multipart(field, m, project, problem)
    } else {
        Body::None
    }
}

fn multipart(
    field: &str,
    m: super::file::MultipartFile,
    project: &Project,
    problem: &mut dyn FnMut(String, String, Option<String>),
) -> Body {
    if m.file.is_some() && m.bytes.is_some() {
        problem(
            format!("{field}.multipart.bytes"),
            "conflicts with `file`".into(),
            Some("upload either a file or random bytes, not both".into()),
        );
    }
    let upload = match (m.file, m.bytes) {
        (Some(f), None) => {
            let max_bytes = MAX_UPLOAD as u64;
            match project.resolve(&f, Want::File { max_bytes }) {
                Ok(r) => Upload::File(r.path),
                Err((m, h)) => {
                    problem(format!("{field}.multipart.file"), m, Some(h));
                    Upload::Random(1)
                }
            }
        }
        (None, Some(n)) if (1..=MAX_UPLOAD).contains(&n) => Upload::Random(n as usize),
        (None, Some(n)) => {
            problem(
                format!("{field}.multipart.bytes"),
                format!("{n} is out of range"),
                Some(format!("use 1 to {MAX_UPLOAD} (random bytes)")),
            );
            Upload::Random(1)
        }
        (Some(_), Some(_)) => Upload::Random(1),
        (None, None) => {
            problem(
                format!("{field}.multipart"),
                "needs one of `file` or `bytes`".into(),
                Some("e.g. multipart = { field = \"file\", bytes = 4096 }".into()),
            );
            Upload::Random(1)
        }
    };
    for (what, name) in [("field", &m.field), ("filename", &m.filename)] {
        let bad = |n: &String| n.len() > 256 || n.chars().any(|c| c.is_control() || c == '"');
        if name.as_ref().is_some_and(bad) {
            problem(
                format!("{field}.multipart.{what}"),
                "is not a short line of text (control characters and '\"' are refused)".into(),
                Some("it goes into the part's Content-Disposition header; e.g. \"upload.bin\"".into()),
            );
        }
    }
    Body::Multipart {
        field: m.field.unwrap_or_else(|| "file".into()),
        filename: m.filename.unwrap_or_else(|| "upload.bin".into()),
        upload,
    }
}

/// Reads a load request's body from a record: a [`Body`], or the text-or-null of records
/// written before load requests had body kinds.
pub(super) fn body_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Body, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Body(Body),
        Text(Option<String>),
    }
    Ok(match Either::deserialize(d)? {
        Either::Body(b) => b,
        Either::Text(Some(t)) => Body::Text(t),
        Either::Text(None) => Body::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Spec {
        #[serde(deserialize_with = "body_or_text")]
        body: Body,
    }

    #[test]
    fn a_load_body_reads_from_new_records_and_from_those_before_body_kinds() {
        let read = |json: &str| serde_json::from_str::<Spec>(json).unwrap().body;
        assert_eq!(read(r#"{"body": null}"#), Body::None);
        assert_eq!(read(r#"{"body": "v=1"}"#), Body::Text("v=1".into()));
        let form = Body::Form(vec![("user".into(), "u{{n}}".into())]);
        let json = serde_json::json!({ "body": form }).to_string();
        assert_eq!(read(&json), form);
        assert_eq!(read(r#"{"body": "none"}"#), Body::None);
    }
}
