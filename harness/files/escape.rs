//! The one escape for untrusted text echoed to a terminal or a log (file names, field values,
//! the app's output): below every stage, since each of them echoes something it read.

use std::borrow::Cow;

/// Escapes every character that could move the cursor, recolour, erase, reorder or hide
/// text on a terminal or in a log: C0 and C1 controls and DEL as `\x1b`, every Unicode
/// format character (general category Cf: bidirectional controls, zero-width ones, BOM,
/// tag characters U+E0000–U+E007F, prepended concatenation marks...), the line and
/// paragraph separators and the invisible fillers as `\u{202e}`. Every user-supplied
/// string in a message goes through here, so what a file holds can never forge or hide
/// output.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// Characters [`escape`] rewrites: controls (Cc), format characters (Cf), line and
/// paragraph separators (Zl, Zp), and the characters that render as nothing though no
/// category says so (Hangul fillers, the combining grapheme joiner).
pub fn needs_escape(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    if c.is_ascii() {
        // the common case, without the table lookup
        return c.is_ascii_control();
    }
    // the whole tag and invisible-operator blocks, unassigned code points included: a
    // later Unicode may assign them as format characters before this table knows them
    matches!(
        c,
        '\u{034f}' | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' | '\u{2060}'..='\u{206f}'
            | '\u{e0000}'..='\u{e007f}'
    ) || matches!(
        get_general_category(c),
        G::Control | G::Format | G::LineSeparator | G::ParagraphSeparator
    )
}
