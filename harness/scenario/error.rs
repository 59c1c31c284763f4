//! Scenario errors that say where and what to do: file, line and column, the field,
//! what was expected, and a hint (e.g. "did you mean `rate`?").

use std::fmt;
use std::path::PathBuf;
use toml::de::{DeTable, DeValue};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted path of the field, e.g. `load.rate` or `fault[1].target`.
    pub field: String,
    /// 1-based line and column of the field's value, when it can be located.
    pub location: Option<(usize, usize)>,
    pub message: String,
    pub hint: Option<String>,
}

/// Everything wrong with a scenario file (never empty).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file '{}': {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", render_problems(path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

impl ScenarioError {
    /// The problems found, empty for a read error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Read { .. } => &[],
            ScenarioError::Invalid { problems, .. } => problems,
        }
    }
}

fn render_problems(path: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    let n = problems.len();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&p.render(path));
    }
    if n > 1 {
        out.push_str(&format!("\n{n} problems in '{}'", path.display()));
    }
    out
}

impl Problem {
    fn render(&self, path: &std::path::Path) -> String {
        let at = match self.location {
            Some((l, c)) => format!("{}:{l}:{c}", path.display()),
            None => path.display().to_string(),
        };
        let mut s = if self.field.is_empty() {
            format!("{at}: {}", self.message)
        } else {
            format!("{at}: field `{}`: {}", self.field, self.message)
        };
        if let Some(h) = &self.hint {
            s.push_str(&format!("\n  hint: {h}"));
        }
        s
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Locates a dotted field path (`load.rate`, `fault[1].target`) in the document text.
/// Falls back to the nearest located parent.
pub fn locate(text: &str, field: &str) -> Option<(usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    let mut best = None;
    let mut current: Option<DeValue<'_>> = Some(DeValue::Table(root.get_ref().clone()));
    for seg in segments(field) {
        let value = current.take()?;
        let next = match (&value, seg) {
            (DeValue::Table(t), Seg::Key(k)) => t
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == k)
                .map(|(key, v)| (key.span(), v)),
            (DeValue::Array(a), Seg::Index(i)) => a.get(i).map(|v| (v.span(), v)),
            _ => None,
        };
        let Some((span, v)) = next else { break };
        best = Some(line_col(text, span.start));
        current = Some(v.get_ref().clone());
    }
    // Nothing of the path exists: the root table is its parent.
    best.or(Some((1, 1)))
}

/// Dotted path (`check[0].setup[1].pat`) of the deepest key or value whose span holds
/// `offset`. Every table is searched, since a table's own span is only its header.
pub(crate) fn field_at(text: &str, offset: usize) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut best: Option<(usize, String)> = None;
    search_table(root.get_ref(), "", 0, offset, &mut best);
    best.map(|(_, path)| path)
}

fn search_table(t: &DeTable<'_>, path: &str, depth: usize, offset: usize, best: &mut Option<(usize, String)>) {
    for (k, v) in t.iter() {
        let key = k.get_ref().as_ref();
        let child = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        let hit = k.span().contains(&offset) || v.span().contains(&offset);
        search_value(v.get_ref(), &child, depth + 1, hit, offset, best);
    }
}

fn search_value(
    v: &DeValue<'_>,
    path: &str,
    depth: usize,
    hit: bool,
    offset: usize,
    best: &mut Option<(usize, String)>,
) {
    if hit && best.as_ref().is_none_or(|(d, _)| depth > *d) {
        *best = Some((depth, path.to_string()));
    }
    match v {
        DeValue::Table(t) => search_table(t, path, depth, offset, best),
        DeValue::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                let child = format!("{path}[{i}]");
                search_value(e.get_ref(), &child, depth + 1, e.span().contains(&offset), offset, best);
            }
        }
        _ => {}
    }
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(field: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in field.split('.') {
        match part.split_once('[') {
            Some((key, rest)) => {
                out.push(Seg::Key(key));
                if let Ok(i) = rest.trim_end_matches(']').parse() {
                    out.push(Seg::Index(i));
                }
            }
            None => out.push(Seg::Key(part)),
        }
    }
    out
}

/// "did you mean" for a misspelt key, from the list of valid ones: close by Jaro-Winkler
/// (shared prefix) or by edit distance with transpositions (`sdi` -> `sid`).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let max_edits = match len {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .filter_map(|c| {
            let jw = strsim::jaro_winkler(word, c);
            let edits = strsim::osa_distance(word, c);
            (jw > 0.8 || edits <= max_edits).then_some((edits, jw, c))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name = \"x\"\n[load]\nrate = -5\n\n[[fault]]\nat = \"1s\"\n\n[[fault]]\ntarget = \"app-9\"\n";

    #[test]
    fn locates_nested_and_indexed_fields() {
        assert_eq!(locate(DOC, "load.rate"), Some((3, 1)));
        assert_eq!(locate(DOC, "fault[1].target"), Some((9, 1)));
        assert_eq!(locate(DOC, "fault[0].at"), Some((6, 1)));
    }

    #[test]
    fn falls_back_to_parent_when_field_is_missing() {
        assert_eq!(locate(DOC, "load.duration"), Some((2, 2)));
    }

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(did_you_mean("rat", ["rate", "duration"]), Some("rate"));
        assert_eq!(did_you_mean("zzzz", ["rate", "duration"]), None);
        assert_eq!(did_you_mean("sdi", ["n", "run", "sid"]), Some("sid"));
        assert_eq!(did_you_mean("kil", ["kill", "stop"]), Some("kill"));
        assert_eq!(did_you_mean("x", ["n", "run"]), None);
    }
}
