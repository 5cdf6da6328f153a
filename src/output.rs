//! Writing results to stdout: text as it is, pretty JSON, and aligned text tables. A reader that
//! closes stdout early (`ds01-build ps | head -1`) ends the command quietly ([`StdoutClosed`]).
//!
//! Text output never carries a raw control character from engine or user text: every text writer
//! passes such text through [`escape`] (JSON is escaped by serde_json), so a label value cannot
//! add a row (newline), a column (tab), or reach the terminal (ESC, OSC, bidi overrides).

use std::borrow::Cow;
use std::fmt::Write as _;

use anyhow::Result;

/// Whether `c` must not reach text output as it is: C0 controls, DEL, C1 controls, the line and
/// paragraph separators U+2028/U+2029, and the Unicode bidi controls (U+061C, U+200E, U+200F,
/// U+202A..U+202E, U+2066..U+2069), which reorder what a terminal shows.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2028}' | '\u{2029}' | '\u{2066}'..='\u{2069}'
        )
}

/// Engine or user text as one safe, unambiguous piece of a text line: `\` becomes `\\`, newline,
/// tab and carriage return `\n`, `\t`, `\r`, other ASCII controls and DEL `\xHH` (`\x1b` for
/// ESC), and the other [`is_unsafe`] characters `\u{...}` (`\u{85}`, `\u{202e}`). Everything
/// else, including printable non-ASCII text, is kept; text without any of these is borrowed.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

/// [`escape`] for a whole message line whose quoted parts are `{:?}`-quoted already (Rust's
/// debug quoting escapes backslashes, quotes and every unsafe character): the same mapping, but a
/// backslash is kept, so those parts are not escaped twice. For stderr lines that embed text
/// from the engine or the user (errors, warnings, `-v` traces).
pub fn escape_message(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

fn escape_with(text: &str, backslash: bool) -> Cow<'_, str> {
    let needs = |c: char| is_unsafe(c) || (backslash && c == '\\');
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' if backslash => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Rows as an aligned text table: every column but the last padded to its widest cell (in
/// characters), columns joined by two spaces, one line per row.
pub fn aligned(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let n = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push('\n');
    }
    out
}

/// Stdout was closed by its reader (e.g. `ds01-build ps | head -1`): not a failure.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct StdoutClosed;

/// Write `text` to stdout as it is. A closed pipe becomes [`StdoutClosed`], which the binary turns
/// into a quiet exit 0 instead of a panic.
pub fn emit(text: impl AsRef<str>) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out
        .write_all(text.as_ref().as_bytes())
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        other => Ok(other?),
    }
}

/// Write `value` to stdout as pretty JSON and a newline.
pub fn emit_json(value: &impl serde::Serialize) -> Result<()> {
    emit(serde_json::to_string_pretty(value)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_pads_all_but_the_last_column() {
        let rows: Vec<Vec<String>> = [["A", "BB", "C"], ["ccc", "é", "long last"]]
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(aligned(&rows), "A    BB  C\nccc  é   long last\n");
        assert_eq!(aligned(&[]), "");
    }

    #[test]
    fn escape_shows_every_unsafe_character_visibly() {
        assert_eq!(escape("plain ü é 日本"), "plain ü é 日本");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(escape("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(
            escape("\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{1b}\\"),
            "\\x1b]8;;http://x\\x07link\\x1b]8;;\\x1b\\\\"
        );
        assert_eq!(escape("\0\u{7f}"), "\\x00\\x7f");
        assert_eq!(escape("\u{85}\u{9b}"), "\\u{85}\\u{9b}");
        assert_eq!(
            escape("\u{202e}abc\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}"),
            "\\u{202e}abc\\u{2066}\\u{2069}\\u{200e}\\u{200f}\\u{61c}"
        );
        assert_eq!(escape("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
    }

    #[test]
    fn escape_is_unambiguous_and_leaves_nothing_unsafe() {
        // A literal backslash-n and a newline never look the same.
        assert_ne!(escape("\\n"), escape("\n"));
        assert_eq!(escape("\\n"), "\\\\n");
        // Every character below U+3000 maps to something with no unsafe character in it, and
        // distinct inputs give distinct outputs (so the mapping can be read back).
        let mut seen = std::collections::HashMap::new();
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let s = c.to_string();
            let e = escape(&s).into_owned();
            assert!(!e.chars().any(is_unsafe), "{c:?} -> {e:?}");
            if let Some(other) = seen.insert(e.clone(), c) {
                panic!("{c:?} and {other:?} both escape to {e:?}");
            }
        }
        assert!(
            !seen.contains_key("\\"),
            "a lone backslash is never an output"
        );
    }

    #[test]
    fn messages_keep_backslashes_of_debug_quoted_parts() {
        let quoted = format!("{:?}", "a\nb\\c\u{1b}\u{202e}\u{2028}\u{85}");
        // Rust's debug quoting already escapes every unsafe character...
        assert!(!quoted.chars().any(is_unsafe), "{quoted}");
        // ...so a message built with it is left as it is, and raw parts are escaped.
        assert_eq!(escape_message(&quoted), quoted);
        assert_eq!(
            escape_message(&format!("name \u{1b}[2J {quoted}")),
            format!("name \\x1b[2J {quoted}")
        );
    }
}
