//! What may become part of an HTTP request line or header. Validation refuses anything
//! else in the scenario file; the runtime uses [`encode_target`] on rendered values (a
//! captured value comes from the app under test and is not trusted either), so no CR, LF,
//! NUL, space or other control character can reach a request line.

use std::borrow::Cow;

/// Methods a load request or a check step may use.
pub(crate) const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
/// Longest request path accepted, in bytes.
pub(crate) const MAX_PATH_BYTES: usize = 2048;
/// Longest header name, in bytes.
pub(crate) const MAX_HEADER_NAME_BYTES: usize = 256;
/// Longest header value, in bytes.
pub(crate) const MAX_HEADER_VALUE_BYTES: usize = 8192;
/// Headers the harness sets itself: a scenario setting them would desynchronise framing.
pub(crate) const RESERVED_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// Why `method` cannot be used.
pub(crate) fn method_problem(method: &str) -> Option<String> {
    (!METHODS.contains(&method)).then(|| format!("unknown method \"{method}\""))
}

/// Why `path` cannot be written into a request line. `{{var}}` templates are allowed when
/// `templates` (their rendered values are encoded at run time).
pub(crate) fn target_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some(format!("\"{path}\" is not a path: it must start with '/'"));
    }
    if path.len() > MAX_PATH_BYTES {
        return Some(format!(
            "is {} bytes, over the limit of {MAX_PATH_BYTES} bytes",
            path.len()
        ));
    }
    if let Some(c) = path.chars().find(|c| !is_target_char(*c)) {
        let what = match c {
            '\r' | '\n' => "a line break (CR or LF), which would inject headers",
            '\0' => "a NUL character",
            ' ' => "a space, which would split the request line",
            '#' => "'#', a fragment, which is never sent",
            c if c.is_control() => "a control character",
            _ => "a character outside visible ASCII",
        };
        return Some(format!("\"{path}\" contains {what}"));
    }
    None
}

/// The hint for a refused path.
pub(crate) const TARGET_HINT: &str =
    "write a path such as \"/health\": visible ASCII only, percent-encode anything else \
     (space as %20); requests go only to the replicas' 127.0.0.1 ports";

/// Visible ASCII but '#'.
fn is_target_char(c: char) -> bool {
    c.is_ascii_graphic() && c != '#'
}

/// `path` with every byte that may not appear in a request line percent-encoded: the
/// runtime guard for rendered paths and the probe's request line.
pub(crate) fn encode_target(path: &str) -> Cow<'_, str> {
    if path.chars().all(is_target_char) {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len() * 3);
    for &b in path.as_bytes() {
        if b.is_ascii_graphic() && b != b'#' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

/// Why an HTTP header cannot be sent as written (a bad one would fail every request, or
/// inject another header).
pub(crate) fn header_problem(name: &str, value: Option<&str>) -> Option<String> {
    if name.len() > MAX_HEADER_NAME_BYTES {
        return Some(format!(
            "the header name is {} bytes, over the limit of {MAX_HEADER_NAME_BYTES}",
            name.len()
        ));
    }
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Some(format!("\"{name}\" is not a valid header name"));
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Some(format!("{name} is set by the harness, not by the scenario"));
    }
    let value = value?;
    if value.len() > MAX_HEADER_VALUE_BYTES {
        return Some(format!(
            "the value of {name} is {} bytes, over the limit of {MAX_HEADER_VALUE_BYTES}",
            value.len()
        ));
    }
    if reqwest::header::HeaderValue::from_str(value).is_err() || value.chars().any(char::is_control) {
        return Some(format!(
            "the value of {name} is not a valid header value (line breaks and control characters are refused)"
        ));
    }
    None
}

/// The hint for a refused header.
pub(crate) const HEADER_HINT: &str =
    "header names are tokens (letters, digits, '-'), values are one line of visible text; \
     Host, Content-Length, Transfer-Encoding and Connection are set by the harness";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_breakers_are_refused() {
        for bad in ["health", "/a b", "/a\r\nX: 1", "/a\0", "/é", "/a#b", "/\u{1b}[2J"] {
            assert!(target_problem(bad).is_some(), "{bad:?}");
        }
        assert!(target_problem("/files/{{id}}?u=1&v=%20").is_none());
    }

    #[test]
    fn percent_encoded_line_breaks_are_legal_and_sent_as_written() {
        // `%0d%0a` is three visible characters each: the server decodes it, no header is
        // injected on the wire; only raw bytes are refused
        let p = "/health%0d%0aX-Evil:%201";
        assert!(target_problem(p).is_none());
        assert_eq!(encode_target(p), p);
    }

    #[test]
    fn rendered_targets_are_encoded() {
        assert_eq!(encode_target("/a b\r\n"), "/a%20b%0D%0A");
        assert_eq!(encode_target("/é"), "/%C3%A9");
        assert_eq!(encode_target("/ok?x=1"), "/ok?x=1");
    }

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        assert!(header_problem("X-A", Some("1\r\nX-B: 2")).is_some());
        assert!(header_problem("X-A", Some("tab\tin")).is_some());
        assert!(header_problem("Host", Some("evil")).is_some());
        assert!(header_problem("X A", None).is_some());
        assert!(header_problem("Cookie", Some("sid={{sid}}")).is_none());
    }
}
