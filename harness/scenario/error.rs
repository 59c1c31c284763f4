//! Scenario errors that say where and what to do: file, line and column, the field,
//! what was expected, and a hint (e.g. "did you mean `rate`?").

pub use crate::files::escape::{escape, needs_escape};
use std::fmt;
use std::path::PathBuf;
use toml::de::{DeTable, DeValue};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted path of the field, e.g. `load.rate` or `fault[1].target`.
    pub field: String,
    /// The file the problem is in, when not the one the error names: a value a compose
    /// file gave the scenario, refused by the scenario's rules, is shown at its own line.
    pub file: Option<PathBuf>,
    /// 1-based line and column of the field's value, when it can be located (only the
    /// first [`MAX_LISTED`] problems of a file are: the others are counted, not shown).
    pub location: Option<(usize, usize)>,
    pub message: String,
    pub hint: Option<String>,
}

/// Most problems listed in a message; the rest are counted.
pub const MAX_LISTED: usize = 20;

/// Everything wrong with a scenario file (never empty).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file '{}': {source}\n  hint: check the path and its permissions", escape(&path.display().to_string()))]
    Read { path: PathBuf, source: std::io::Error },
    /// Not a regular file (a FIFO, a device, a directory...): refused before it is opened.
    #[error("'{}' is {kind}, not a regular file\n  hint: name a scenario file (.toml); FIFOs, devices and folders are never read", escape(&path.display().to_string()))]
    NotAFile { path: PathBuf, kind: &'static str },
    /// Larger than [`super::read::MAX_FILE_BYTES`]: refused before it is read.
    #[error("'{}' is {size} bytes, over the limit of {limit} bytes (1 MiB) for a scenario file\n  hint: a scenario is a short TOML file; split it, or remove generated content", escape(&path.display().to_string()))]
    TooLarge { path: PathBuf, size: u64, limit: u64 },
    #[error("{}", render_problems(path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

impl ScenarioError {
    /// The problems found, empty for an error reading the file.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

fn render_problems(path: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    let n = problems.len();
    for (i, p) in problems.iter().take(MAX_LISTED).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&p.render(path));
    }
    if n > MAX_LISTED {
        out.push_str(&format!("\nand {} more problems", n - MAX_LISTED));
    }
    if n > 1 {
        out.push_str(&format!("\n{n} problems in '{}'", escape(&path.display().to_string())));
    }
    out
}

impl Problem {
    fn render(&self, path: &std::path::Path) -> String {
        let file = self.file.as_deref().unwrap_or(path).display().to_string();
        let file = escape(&file);
        let at = match self.location {
            Some((l, c)) => format!("{file}:{l}:{c}"),
            None => file.to_string(),
        };
        let mut s = if self.field.is_empty() {
            format!("{at}: {}", shown(&self.message))
        } else {
            format!("{at}: field `{}`: {}", shown(&self.field), shown(&self.message))
        };
        if let Some(h) = &self.hint {
            s.push_str(&format!("\n  hint: {}", shown(h)));
        }
        s
    }
}

/// Longest text shown of one field, message or hint, in bytes; the rest is counted.
pub(crate) const MAX_SHOWN_BYTES: usize = 1000;

/// `s` escaped and cut to [`MAX_SHOWN_BYTES`]: a 1 MiB key echoed in full, several times,
/// would bury the message.
fn shown(s: &str) -> String {
    let escaped = escape(s);
    if escaped.len() <= MAX_SHOWN_BYTES {
        return escaped.into_owned();
    }
    let mut cut = MAX_SHOWN_BYTES;
    while !escaped.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} more bytes)", &escaped[..cut], escaped.len() - cut)
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", shown(&self.message))
        } else {
            write!(f, "field `{}`: {}", shown(&self.field), shown(&self.message))
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
/// Falls back to the nearest located parent. Parses the text; to locate many fields,
/// build one [`Locator`].
pub fn locate(text: &str, field: &str) -> Option<(usize, usize)> {
    Locator::new(text).locate(field)
}

/// A document parsed once for locating any number of fields (re-parsing per problem made
/// a file with thousands of problems quadratic).
pub(crate) struct Locator<'t> {
    text: &'t str,
    root: Option<toml::Spanned<DeTable<'t>>>,
}

impl<'t> Locator<'t> {
    pub(crate) fn new(text: &'t str) -> Locator<'t> {
        Locator {
            text,
            root: DeTable::parse(text).ok(),
        }
    }

    /// 1-based line and column of `field`, or of its nearest present parent.
    pub(crate) fn locate(&self, field: &str) -> Option<(usize, usize)> {
        let root = self.root.as_ref()?;
        let mut best = None;
        let mut table: Option<&DeTable<'t>> = Some(root.get_ref());
        let mut array: Option<&DeValue<'t>> = None;
        for seg in segments(field) {
            let next = match (table, array, seg) {
                (Some(t), _, Seg::Key(k)) => t
                    .iter()
                    .find(|(key, _)| key.get_ref().as_ref() == k)
                    .map(|(key, v)| (key.span(), v)),
                (_, Some(DeValue::Array(a)), Seg::Index(i)) => a.get(i).map(|v| (v.span(), v)),
                _ => None,
            };
            let Some((span, v)) = next else { break };
            best = Some(line_col(self.text, span.start));
            (table, array) = match v.get_ref() {
                DeValue::Table(t) => (Some(t), None),
                other => (None, Some(other)),
            };
        }
        // Nothing of the path exists: the root table is its parent.
        best.or(Some((1, 1)))
    }
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

/// Longest name "did you mean" compares.
pub(crate) const MAX_SUGGEST_BYTES: usize = 64;

/// "did you mean" for a misspelt key, from the list of valid ones: close by Jaro-Winkler
/// (shared prefix) or by edit distance with transpositions (`sdi` -> `sid`).
/// Names longer than [`MAX_SUGGEST_BYTES`] get no suggestion: the distance is quadratic in
/// the length, and no key of a scenario file is that long.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if word.len() > MAX_SUGGEST_BYTES {
        return None;
    }
    let len = word.chars().count();
    let max_edits = match len {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    candidates
        .into_iter()
        .filter(|c| *c != word && c.len() <= MAX_SUGGEST_BYTES)
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
    fn escapes_controls_and_formatting_characters_only() {
        assert_eq!(escape("caf\u{e9} ok"), "caf\u{e9} ok");
        assert_eq!(escape("\u{1b}[2K\r\n\u{7f}"), "\\x1b[2K\\x0d\\x0a\\x7f");
        assert_eq!(
            escape("\u{9b}a\u{202e}b\u{2066}\u{200b}"),
            "\\u{9b}a\\u{202e}b\\u{2066}\\u{200b}"
        );
    }

    /// Every format character (general category Cf) of Unicode 16, from its
    /// UnicodeData.txt, written out here rather than read from the crate the escape uses.
    const FORMAT_RANGES: &[(u32, u32)] = &[
        (0xAD, 0xAD),
        (0x600, 0x605),
        (0x61C, 0x61C),
        (0x6DD, 0x6DD),
        (0x70F, 0x70F),
        (0x890, 0x891),
        (0x8E2, 0x8E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];

    #[test]
    fn every_format_character_is_escaped() {
        let mut n = 0;
        for &(lo, hi) in FORMAT_RANGES {
            for cp in lo..=hi {
                let c = char::from_u32(cp).expect("a scalar value");
                let text = format!("a{c}b");
                assert_eq!(escape(&text), format!("a\\u{{{cp:x}}}b"), "U+{cp:04X}");
                n += 1;
            }
        }
        assert_eq!(n, 170, "the table lists every Cf code point of Unicode 16");
    }

    #[test]
    fn fillers_separators_and_c1_controls_are_escaped() {
        for c in [
            '\u{034f}', '\u{115f}', '\u{1160}', '\u{3164}', '\u{ffa0}', '\u{2028}', '\u{2029}',
        ]
        .into_iter()
        .chain('\u{80}'..='\u{9f}')
        .chain('\u{e0000}'..='\u{e007f}')
        {
            assert!(needs_escape(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn visible_text_is_left_alone() {
        let text = "caf\u{e9} \u{65e5}\u{672c} \u{1f600}\u{fe0f} \u{5d0}\u{5d1} \u{410}\u{430} ~ ";
        assert_eq!(escape(text), text);
    }

    #[test]
    fn long_user_text_is_cut_when_shown() {
        let p = Problem {
            field: "k".repeat(5000),
            file: None,
            location: Some((1, 1)),
            message: "m".into(),
            hint: None,
        };
        let shown = p.render(std::path::Path::new("s.toml"));
        assert!(shown.len() < 1200 && shown.contains("(4000 more bytes)"), "{shown}");
    }

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(did_you_mean("rat", ["rate", "duration"]), Some("rate"));
        assert_eq!(did_you_mean("zzzz", ["rate", "duration"]), None);
        assert_eq!(did_you_mean("sdi", ["n", "run", "sid"]), Some("sid"));
        assert_eq!(did_you_mean("kil", ["kill", "stop"]), Some("kill"));
        assert_eq!(did_you_mean("x", ["n", "run"]), None);
    }

    #[test]
    fn a_name_over_the_suggestion_limit_gets_no_suggestion_even_one_edit_away() {
        let key = "k".repeat(MAX_SUGGEST_BYTES);
        let near = format!("{key}x");
        // within the limit a one-letter slip is suggested; one byte over it, nothing is tried
        assert_eq!(did_you_mean(&key[1..], [key.as_str()]), Some(key.as_str()));
        assert_eq!(did_you_mean(&near, [key.as_str()]), None);
    }
}
