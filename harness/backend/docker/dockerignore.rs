//! `.dockerignore` with Docker's own rules, so a context packed here holds exactly what
//! `docker build` would send. No maintained crate implements them, so this follows the
//! behaviour of moby's `patternmatcher` and `ignorefile` (the code the docker CLI uses):
//!
//! - lines starting with `#` are comments (checked before trimming); blank lines are
//!   skipped; a UTF-8 byte-order mark on the first line is dropped;
//! - `!` makes an exception; the rest is trimmed and cleaned like Go's `filepath.Clean`,
//!   and a leading `/` is dropped, so `/foo`, `./foo` and `foo/` all mean `foo`;
//! - the glob is Go's `filepath.Match` (`*` and `?` stop at `/`, `[...]` classes negated
//!   with `^`, `\` escapes) plus `**`, which matches any number of folders (even none);
//! - a pattern excludes a path when it matches the path or one of its parent folders;
//!   every line is tried in order and the last one that matches decides.
//!
//! Moby turns each pattern into a regular expression (or an exact, prefix or suffix test
//! when it can); this does the same, with the `regex` crate, so edge cases agree.

use regex::Regex;

/// A `.dockerignore` pattern Docker would refuse.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error(".dockerignore line {line}: {reason} in {pattern:?}\n  hint: fix the pattern (Go filepath.Match syntax plus `**`), or remove the line")]
pub(crate) struct BadPattern {
    pub line: usize,
    pub pattern: String,
    pub reason: String,
}

/// How a pattern is tested, as moby decides it: a literal needs no regular expression.
#[derive(Debug, Clone)]
enum Kind {
    /// The cleaned pattern is the path.
    Exact,
    /// A pattern ending in `**` with nothing special before it: a string prefix.
    Prefix(String),
    /// A pattern starting with `**` and literal after it: a string suffix.
    Suffix(String),
    Regex(Regex),
}

#[derive(Debug, Clone)]
struct Pattern {
    cleaned: String,
    exception: bool,
    kind: Kind,
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix(p) => path.starts_with(p.as_str()),
            Kind::Suffix(s) => path.ends_with(s.as_str()) || s.strip_prefix('/') == Some(path),
            Kind::Regex(re) => re.is_match(path),
        }
    }
}

/// The rules of one `.dockerignore` file.
#[derive(Debug, Clone, Default)]
pub(crate) struct DockerIgnore {
    patterns: Vec<Pattern>,
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> Result<DockerIgnore, BadPattern> {
        let mut patterns = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let raw = if i == 0 {
                raw.trim_start_matches('\u{feff}')
            } else {
                raw
            };
            if raw.starts_with('#') {
                continue;
            }
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            let bad = |reason: &str| BadPattern {
                line: i + 1,
                pattern: line.to_string(),
                reason: reason.to_string(),
            };
            let (exception, rest) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            if exception && rest.is_empty() {
                return Err(bad("an exception `!` without a pattern"));
            }
            let mut cleaned = clean(rest);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            check_syntax(&cleaned).map_err(&bad)?;
            let kind = compile(&cleaned).map_err(|r| bad(&r))?;
            patterns.push(Pattern {
                cleaned,
                exception,
                kind,
            });
        }
        Ok(DockerIgnore { patterns })
    }

    /// Adds an exception for exactly `path`, as the docker CLI does for the Dockerfile and
    /// `.dockerignore` itself: the daemon needs them even when they are listed.
    pub fn keep(&mut self, path: &str) {
        if self.excludes(path) {
            self.patterns.push(Pattern {
                cleaned: path.to_string(),
                exception: true,
                kind: Kind::Exact,
            });
        }
    }

    /// Whether the context-relative, `/`-separated `path` is left out: the last pattern
    /// that matches it or one of its parent folders decides.
    pub(crate) fn excludes(&self, path: &str) -> bool {
        let parents: Vec<&str> = path
            .char_indices()
            .filter(|&(_, c)| c == '/')
            .map(|(i, _)| &path[..i])
            .collect();
        let mut excluded = false;
        for p in &self.patterns {
            // an exclusion cannot change an excluded path, nor an exception an included one
            if p.exception != excluded {
                continue;
            }
            if p.matches(path) || parents.iter().any(|d| p.matches(d)) {
                excluded = !p.exception;
            }
        }
        excluded
    }

    /// Whether an excluded folder must still be walked: an exception names something
    /// inside it (Docker's rule: the exception's text starts with the folder's path + `/`).
    pub(crate) fn may_keep_inside(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .any(|p| p.exception && format!("{}/", p.cleaned).starts_with(&dir_slash))
    }
}

/// Go's `filepath.Clean` for `/`-separated paths: no repeated `/`, no `.` element, `..`
/// folded into its parent where there is one, no trailing `/`.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match out.last() {
                Some(&last) if last != ".." => {
                    out.pop();
                }
                // `/..` is `/`; a relative path keeps its leading `..`
                _ if rooted => {}
                _ => out.push(".."),
            },
            _ => out.push(part),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// The syntax check of Go's `filepath.Match`: `\` must escape something, and a `[` class
/// must be closed, hold at least one item, and start no item with `-` or `]` unescaped.
fn check_syntax(p: &str) -> Result<(), &'static str> {
    let mut chars = p.chars().peekable();
    // one class item (a character or an escaped one)
    fn item(chars: &mut std::iter::Peekable<std::str::Chars>) -> Result<(), &'static str> {
        match chars.next() {
            None => Err("an unterminated `[` class"),
            Some('-') | Some(']') => Err("a `-` or `]` where a class item was expected"),
            Some('\\') => chars.next().map(|_| ()).ok_or("a `\\` at the end"),
            Some(_) => Ok(()),
        }
    }
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next().ok_or("a `\\` at the end")?;
            }
            '[' => {
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                let mut items = 0;
                loop {
                    if items > 0 && chars.peek() == Some(&']') {
                        chars.next();
                        break;
                    }
                    item(&mut chars)?;
                    if chars.peek() == Some(&'-') {
                        chars.next();
                        item(&mut chars)?;
                    }
                    items += 1;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Moby's translation of a cleaned pattern into a test (see `Pattern.compile` in
/// moby/patternmatcher): literal patterns stay string tests, anything else a regex.
fn compile(p: &str) -> Result<Kind, String> {
    #[derive(PartialEq)]
    enum Detected {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut re = String::from("^");
    let mut detected = Detected::Exact;
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let first = i == 0;
        let c = chars[i];
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                // `**/` is `**`
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i == chars.len() {
                    // a trailing `**` accepts everything after it
                    if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        re.push_str(".*");
                        detected = Detected::Regex;
                    }
                } else {
                    // any number of folders, even none
                    re.push_str("(.*/)?");
                    detected = Detected::Regex;
                }
                if first {
                    detected = Detected::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                detected = Detected::Regex;
            }
            '?' => {
                re.push_str("[^/]");
                detected = Detected::Regex;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(c);
            }
            '\\' => match chars.get(i) {
                Some(&next) => {
                    i += 1;
                    re.push('\\');
                    re.push(next);
                    detected = Detected::Regex;
                }
                None => re.push_str("\\\\"),
            },
            '[' | ']' => {
                re.push(c);
                detected = Detected::Regex;
            }
            _ => re.push(c),
        }
    }
    Ok(match detected {
        Detected::Exact => Kind::Exact,
        Detected::Prefix => Kind::Prefix(p[..p.len() - 2].to_string()),
        Detected::Suffix => Kind::Suffix(p[2..].to_string()),
        Detected::Regex => {
            re.push('$');
            Kind::Regex(Regex::new(&re).map_err(|e| format!("not a valid pattern ({e})"))?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).unwrap()
    }

    #[test]
    fn clean_matches_go_filepath_clean() {
        for (input, want) in [
            ("", "."),
            ("./foo", "foo"),
            ("foo/", "foo"),
            ("foo//bar/./baz", "foo/bar/baz"),
            ("foo/../bar", "bar"),
            ("../foo", "../foo"),
            ("/../foo", "/foo"),
            ("a/b/../../..", ".."),
            ("/", "/"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn a_pattern_excludes_its_folder_and_everything_under_it() {
        let d = ignore("target\n/bin/\n./docs");
        for p in ["target", "target/release/app", "bin", "bin/x", "docs/a/b.md"] {
            assert!(d.excludes(p), "{p}");
        }
        for p in ["src/target", "targets", "src/bin/x", "Dockerfile"] {
            assert!(!d.excludes(p), "{p}");
        }
    }

    #[test]
    fn star_and_question_mark_stop_at_a_slash() {
        let d = ignore("*.log\nsrc/?.rs");
        assert!(d.excludes("a.log"));
        assert!(!d.excludes("logs/a.log"), "`*` does not cross folders");
        assert!(d.excludes("src/a.rs"));
        assert!(!d.excludes("src/ab.rs"));
        assert!(!d.excludes("src/a/b.rs"));
    }

    #[test]
    fn double_star_matches_any_number_of_folders_even_none() {
        let d = ignore("**/*.tmp\ncache/**\na/**/z");
        for p in ["x.tmp", "deep/er/x.tmp", "cache/x", "cache/a/b", "a/z", "a/b/c/z"] {
            assert!(d.excludes(p), "{p}");
        }
        for p in ["x.tmpl", "a/y", "cachex"] {
            assert!(!d.excludes(p), "{p}");
        }
        // a leading `**/` is a suffix test, that also matches the bare name
        let d = ignore("**/node_modules");
        assert!(d.excludes("node_modules"));
        assert!(d.excludes("web/node_modules/x.js"));
        assert!(!d.excludes("my_node_modules"));
    }

    #[test]
    fn the_last_matching_line_wins_and_exceptions_reinclude() {
        let d = ignore("*.md\n!README.md\nREADME*");
        assert!(d.excludes("NOTES.md"));
        assert!(d.excludes("README.md"), "README* comes last and excludes it again");
        let d = ignore("*.md\n!README.md");
        assert!(!d.excludes("README.md"));
        assert!(d.excludes("CHANGES.md"));
        // an exception below an excluded folder keeps that folder walkable
        let d = ignore("bin\n!bin/app");
        assert!(d.excludes("bin"));
        assert!(d.excludes("bin/other"));
        assert!(!d.excludes("bin/app"));
        assert!(d.may_keep_inside("bin"));
        assert!(!d.may_keep_inside("src"));
    }

    #[test]
    fn comments_blank_lines_whitespace_and_a_bom_are_ignored() {
        let d = ignore("\u{feff}# a comment\n\n   \n  target  \n!  keep \r\n #not a comment");
        assert!(d.excludes("target"));
        assert!(!d.excludes("# a comment"));
        // a `#` after leading space is a pattern, as in Docker
        assert!(d.excludes("#not a comment"));
        assert_eq!(d.patterns.len(), 3);
    }

    #[test]
    fn classes_and_escapes_follow_go_filepath_match() {
        let d = ignore("[abc].txt\n[^x]y\nlit\\*eral\n[a-c]z");
        assert!(d.excludes("b.txt"));
        assert!(!d.excludes("d.txt"));
        assert!(d.excludes("ay"));
        assert!(!d.excludes("xy"));
        assert!(d.excludes("lit*eral"));
        assert!(!d.excludes("litXeral"));
        assert!(d.excludes("bz"));
        // regex characters with no glob meaning are literal
        let d = ignore("a.b\n(x)+{y}|$");
        assert!(d.excludes("a.b"));
        assert!(!d.excludes("axb"));
        assert!(d.excludes("(x)+{y}|$"));
    }

    #[test]
    fn patterns_docker_refuses_are_errors_naming_the_line() {
        for (text, line) in [("ok\n!", 2), ("[abc", 1), ("a\n\n[]", 3), ("[a-]", 1), ("x\\", 1)] {
            let e = DockerIgnore::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
        }
    }

    #[test]
    fn keep_reincludes_exactly_one_path() {
        let mut d = ignore("Dockerfile\n.dockerignore\n*");
        d.keep("Dockerfile");
        d.keep(".dockerignore");
        assert!(!d.excludes("Dockerfile"));
        assert!(!d.excludes(".dockerignore"));
        assert!(d.excludes("Dockerfile.bak"));
        let before = d.patterns.len();
        d.keep("src/main.rs");
        assert!(!d.excludes("src/main.rs"));
        assert_eq!(d.patterns.len(), before + 1);
        let mut d = ignore("*.log");
        d.keep("Dockerfile");
        assert_eq!(d.patterns.len(), 1, "nothing to re-include: no exception added");
    }
}
