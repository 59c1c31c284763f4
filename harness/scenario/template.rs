//! `{{name}}` templates in check steps: which variables a text uses, and rendering it
//! with a journey's variables. Rendered values come from the app under test; whatever
//! reaches a request line or header is checked again where it is sent (`check.rs`).

/// `{{name}}` variables used in `text`.
pub fn template_vars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        out.push(after[..j].trim().to_string());
        rest = &after[j + 2..];
    }
    out
}

/// Replaces `{{name}}` by `lookup(name)`; unknown names stay as they are.
pub fn render(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            out.push_str(&rest[i..]);
            return out;
        };
        let name = after[..j].trim();
        match lookup(name) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[i..i + 2 + j + 2]),
        }
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    out
}

/// Renders every string of a JSON value (keys stay as written).
pub fn render_json(v: &serde_json::Value, lookup: &dyn Fn(&str) -> Option<String>) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) => serde_json::Value::String(render(s, lookup)),
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(|x| render_json(x, lookup)).collect()),
        serde_json::Value::Object(o) => {
            serde_json::Value::Object(o.iter().map(|(k, x)| (k.clone(), render_json(x, lookup))).collect())
        }
        other => other.clone(),
    }
}
