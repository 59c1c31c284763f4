//! Compose's variable interpolation, applied to every string value of the parsed YAML
//! (never to the raw text, so a `${X?}` in a comment is inert, as in Compose):
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
//! `${VAR:+alt}`, `${VAR+alt}`, and `$$` for a literal `$`. A default, alternative or
//! error text is interpolated in turn, as Compose does (`${A:-${B}}`), up to
//! [`MAX_NESTING`] levels, and always (used or not), so every reference is checked: the
//! work is bounded by the value's length times that depth.
//!
//! A compose file is untrusted input (it arrives in a pull request), so it does not see
//! the harness's whole environment: a variable comes from the `.env` beside the file, or
//! from the environment only when the scenario allows it by name (`[app] compose_env`).
//! A reference to a variable the environment holds but the scenario did not allow is an
//! error, never a silent default: `${AWS_SECRET_ACCESS_KEY}` cannot move a CI secret into
//! a container (and from there into a report).

use std::collections::{BTreeMap, BTreeSet};

/// The variables a compose file may read.
#[derive(Debug, Default)]
pub(crate) struct Vars {
    /// `.env` beside the file, then the allowed environment variables (which win).
    pub known: BTreeMap<String, String>,
    /// Names set in the harness's environment but not allowed: referring to one is refused.
    pub(crate) withheld: BTreeSet<String>,
}

impl Vars {
    /// The value of `name`: Some when known, None when unset, an error when withheld.
    pub(crate) fn get(&self, name: &str) -> Result<Option<&String>, Failure> {
        if let Some(v) = self.known.get(name) {
            return Ok(Some(v));
        }
        if self.withheld.contains(name) {
            return Err((
                format!("variable {name} is set in phoenix's environment, which a compose file may not read unless allowed"),
                format!(
                    "a compose file is untrusted input: allow it with compose_env = [\"{name}\"] in [app] (phoenix certify/init: --compose-env {name}), or set it in the .env file beside the compose file"
                ),
            ));
        }
        Ok(None)
    }
}

/// Why a value cannot be interpolated.
pub(crate) type Failure = (String, String);

/// Deepest `${A:-${B:-...}}` nesting read.
pub(crate) const MAX_NESTING: usize = 8;

/// `s` with every variable replaced from `vars`.
pub(crate) fn interpolate(s: &str, vars: &Vars) -> Result<String, Failure> {
    expand(s, vars, 0)
}

fn expand(s: &str, vars: &Vars, depth: usize) -> Result<String, Failure> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let Some(end) = closing(r) else {
                return Err((
                    format!("\"${{{}\" has no closing brace", r.chars().take(40).collect::<String>()),
                    "write ${NAME}, or $$ for a literal dollar sign".into(),
                ));
            };
            out.push_str(&braced(&r[..end], vars, depth)?);
            rest = &r[end + 1..];
        } else {
            let n = after
                .char_indices()
                .find(|&(j, c)| !(c == '_' || c.is_ascii_alphanumeric()) || (j == 0 && c.is_ascii_digit()))
                .map_or(after.len(), |(j, _)| j);
            if n == 0 {
                return Err((
                    format!("\"{}\" is not a variable", &rest[i..(i + 2).min(rest.len())]),
                    "write $NAME or ${NAME}, or $$ for a literal dollar sign".into(),
                ));
            }
            out.push_str(vars.get(&after[..n])?.map_or("", String::as_str));
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The byte index of the `}` closing a `${` whose inside starts `r`, past any nested
/// `${...}` (`$$` is a literal dollar, never an opening).
fn closing(r: &str) -> Option<usize> {
    let b = r.as_bytes();
    let (mut i, mut open) = (0, 0usize);
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'$', Some(b'$')) => i += 1,
            (b'$', Some(b'{')) => {
                open += 1;
                i += 1;
            }
            (b'}', _) if open == 0 => return Some(i),
            (b'}', _) => open -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The inside of `${...}`.
fn braced(inner: &str, vars: &Vars, depth: usize) -> Result<String, Failure> {
    let n = inner
        .char_indices()
        .find(|&(_, c)| !(c == '_' || c.is_ascii_alphanumeric()))
        .map_or(inner.len(), |(j, _)| j);
    let (name, op) = inner.split_at(n);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err((
            format!("\"${{{inner}}}\" does not start with a variable name"),
            "a name is letters, digits and '_', not starting with a digit, e.g. ${PORT}".into(),
        ));
    }
    let value = vars.get(name)?;
    let set_nonempty = value.is_some_and(|v| !v.is_empty());
    let (kind, written) = match op {
        "" => return Ok(value.cloned().unwrap_or_default()),
        _ if op.starts_with(":-") || op.starts_with(":?") || op.starts_with(":+") => (&op[..2], &op[2..]),
        _ if op.starts_with('-') || op.starts_with('?') || op.starts_with('+') => (&op[..1], &op[1..]),
        _ => {
            return Err((
                format!("\"${{{inner}}}\": unknown modifier \"{op}\""),
                "use ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt}".into(),
            ))
        }
    };
    if depth + 1 >= MAX_NESTING && written.contains('$') {
        return Err((
            format!("\"${{{name}...\" nests more than {MAX_NESTING} variables deep"),
            "a default is a value or one variable, e.g. ${PORT:-${DEFAULT_PORT}}".into(),
        ));
    }
    // interpolated whether it is used or not: a variable inside is checked like any other
    let arg = expand(written, vars, depth + 1)?;
    match kind {
        ":-" if !set_nonempty => Ok(arg),
        "-" if value.is_none() => Ok(arg),
        // the message as written: an interpolated one could carry a value into the output
        ":?" if !set_nonempty => Err(required(name, written, "set and not empty")),
        "?" if value.is_none() => Err(required(name, written, "set")),
        ":+" => Ok(if set_nonempty { arg } else { String::new() }),
        "+" => Ok(if value.is_some() { arg } else { String::new() }),
        _ => Ok(value.cloned().unwrap_or_default()),
    }
}

fn required(name: &str, message: &str, what: &str) -> Failure {
    (
        format!("required variable {name} is not {what}: {message}"),
        format!("set {name} in the .env file beside the compose file, or in the environment and allow it with compose_env = [\"{name}\"] in [app]"),
    )
}

/// Variables from a `.env` or `env_file`: `KEY=VALUE` lines, `#` comments, optional
/// `export `, values optionally quoted. Returns the variables or the 1-based line of the
/// first malformed one.
pub(crate) fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            // the line is not echoed: it may be a secret pasted without its name
            return Err((i + 1, "the line is not KEY=VALUE (no '=')".into()));
        };
        let k = k.trim();
        let ok = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
        if !ok {
            let shown: String = k.chars().take(40).collect();
            return Err((i + 1, format!("\"{shown}\" is not a variable name")));
        }
        let v = v.trim();
        let v = ['"', '\'']
            .iter()
            .find_map(|q| v.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)))
            .unwrap_or(v);
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars {
            known: [("PORT", "8080"), ("EMPTY", ""), ("TAG", "latest")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            withheld: ["AWS_SECRET_ACCESS_KEY".to_string()].into(),
        }
    }

    #[test]
    fn every_form_of_variable_is_replaced_as_compose_does() {
        let v = vars();
        let i = |s: &str| interpolate(s, &v).unwrap();
        assert_eq!(i("img:${TAG}"), "img:latest");
        assert_eq!(i("$PORT/x"), "8080/x");
        assert_eq!(i("${MISSING}"), "");
        assert_eq!(i("${MISSING:-9090}"), "9090");
        assert_eq!(i("${EMPTY:-d}"), "d");
        assert_eq!(i("${EMPTY-d}"), "");
        assert_eq!(i("${MISSING-d}"), "d");
        assert_eq!(i("${PORT:-1}"), "8080");
        assert_eq!(i("${PORT:+on}${MISSING:+on}"), "on");
        assert_eq!(i("cost $$5 and $${PORT}"), "cost $5 and ${PORT}");
        assert_eq!(i("${PORT?need it}"), "8080");
    }

    #[test]
    fn a_missing_required_variable_is_an_error_with_its_message() {
        let v = vars();
        let (m, h) = interpolate("${DB_URL?set the database}", &v).unwrap_err();
        assert!(m.contains("DB_URL") && m.contains("set the database"), "{m}");
        assert!(h.contains(".env"), "{h}");
        assert!(interpolate("${EMPTY:?x}", &v).is_err());
        assert_eq!(interpolate("${EMPTY?x}", &v).unwrap(), "");
    }

    #[test]
    fn a_withheld_variable_is_refused_in_every_form_even_with_a_default() {
        let v = vars();
        for s in [
            "$AWS_SECRET_ACCESS_KEY",
            "${AWS_SECRET_ACCESS_KEY}",
            "${AWS_SECRET_ACCESS_KEY:-none}",
            "${AWS_SECRET_ACCESS_KEY-none}",
            "${AWS_SECRET_ACCESS_KEY:+set}",
            "${AWS_SECRET_ACCESS_KEY?x}",
        ] {
            let (m, h) = interpolate(s, &v).unwrap_err();
            assert!(
                m.contains("AWS_SECRET_ACCESS_KEY is set in phoenix's environment"),
                "{s}: {m}"
            );
            assert!(h.contains("compose_env = [\"AWS_SECRET_ACCESS_KEY\"]"), "{s}: {h}");
        }
        // an unset variable still takes its default, as in Compose
        assert_eq!(interpolate("${NOT_SET:-d}", &v).unwrap(), "d");
    }

    #[test]
    fn a_withheld_variable_nested_in_a_default_is_refused_even_when_unused() {
        let v = vars();
        for s in [
            "${UNSET:-${AWS_SECRET_ACCESS_KEY}}",
            "${UNSET:-x$AWS_SECRET_ACCESS_KEY}",
            "${UNSET-${UNSET2:-${AWS_SECRET_ACCESS_KEY}}}",
            // the default is not taken, yet its reference is checked
            "${PORT:-${AWS_SECRET_ACCESS_KEY}}",
            "${UNSET:+${AWS_SECRET_ACCESS_KEY}}",
            "${UNSET:?${AWS_SECRET_ACCESS_KEY}}",
        ] {
            let (m, _) = interpolate(s, &v).unwrap_err();
            assert!(
                m.contains("AWS_SECRET_ACCESS_KEY is set in phoenix's environment"),
                "{s}: {m}"
            );
        }
    }

    #[test]
    fn nested_defaults_are_interpolated_as_compose_does() {
        let v = vars();
        let i = |s: &str| interpolate(s, &v).unwrap();
        assert_eq!(i("${UNSET:-${PORT}}"), "8080");
        assert_eq!(i("${UNSET:-${UNSET2:-a$TAG}}/x"), "alatest/x");
        assert_eq!(i("${PORT:+on-${TAG}}"), "on-latest");
        assert_eq!(i("${UNSET:-$${PORT}}"), "${PORT}");
        let deep = format!("{}x{}", "${U:-".repeat(MAX_NESTING + 1), "}".repeat(MAX_NESTING + 1));
        assert!(interpolate(&deep, &v).unwrap_err().0.contains("nests more than 8"));
        let ok = format!("{}x{}", "${U:-".repeat(MAX_NESTING), "}".repeat(MAX_NESTING));
        assert_eq!(interpolate(&ok, &v).unwrap(), "x");
    }

    #[test]
    fn a_malformed_env_line_is_not_echoed() {
        let (line, why) = parse_env_file(
            "A=1
ghp_s3cr3tt0k3n
",
        )
        .unwrap_err();
        assert_eq!(line, 2);
        assert!(!why.contains("s3cr3t"), "{why}");
    }

    #[test]
    fn malformed_references_are_refused() {
        let v = vars();
        assert!(interpolate("${PORT", &v).is_err());
        assert!(interpolate("${1X}", &v).is_err());
        assert!(interpolate("${PORT#x}", &v).is_err());
        assert!(interpolate("a $ b", &v).is_err());
    }

    #[test]
    fn env_files_take_comments_export_and_quotes() {
        let got = parse_env_file("# c\nexport A=1\nB = \"two words\"\n\nC='x'\n").unwrap();
        assert_eq!(got[0], ("A".into(), "1".into()));
        assert_eq!(got[1], ("B".into(), "two words".into()));
        assert_eq!(got[2], ("C".into(), "x".into()));
        assert_eq!(parse_env_file("A=1\nnot a line\n").unwrap_err().0, 2);
    }
}
