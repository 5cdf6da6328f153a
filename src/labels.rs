//! Label keys and values: the sorted label set, key rules, and writing labels as Dockerfile text.
//!
//! Keys are kept in a `BTreeMap`, so every label set is sorted in byte order and holds each key once.
//! Two levels of key checking: [`check_writable_key`] is what the engine and this tool refuse before
//! writing (empty, whitespace, reserved namespaces); [`key_rule_violations`] is the stricter style
//! check (hadolint DL3048) that `lint` reports.

use std::collections::BTreeMap;

use thiserror::Error;

/// A label set, sorted by key in byte order.
pub type Labels = BTreeMap<String, String>;

/// Namespaces reserved by Docker; nobody else may write keys in them.
pub const RESERVED_PREFIXES: [&str; 3] = ["com.docker.", "io.docker.", "org.dockerproject."];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("label key is empty: expected KEY=VALUE with a non-empty KEY")]
    Empty,
    #[error("label key {0:?} contains whitespace: keys are like com.example.vendor")]
    Whitespace(String),
    #[error("label key {key:?} is in the reserved {prefix:?} namespace: use your own reverse-domain prefix")]
    Reserved { key: String, prefix: &'static str },
}

/// Refuse keys the engine rejects (empty, whitespace) or that are reserved for Docker.
pub fn check_writable_key(key: &str) -> Result<(), KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if key.chars().any(char::is_whitespace) {
        return Err(KeyError::Whitespace(key.to_string()));
    }
    if let Some(prefix) = reserved_prefix(key) {
        return Err(KeyError::Reserved {
            key: key.to_string(),
            prefix,
        });
    }
    Ok(())
}

/// The reserved namespace `key` falls in, if any.
pub fn reserved_prefix(key: &str) -> Option<&'static str> {
    RESERVED_PREFIXES.into_iter().find(|p| key.starts_with(p))
}

/// Split `KEY=VALUE` at the first `=` and check the key is writable. A missing `=` is an error.
pub fn parse_key_value(arg: &str) -> Result<(String, String), String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(format!(
            "label {arg:?} has no '=': expected KEY=VALUE, e.g. com.example.rating=10"
        ));
    };
    check_writable_key(key).map_err(|e| e.to_string())?;
    Ok((key.to_string(), value.to_string()))
}

/// One label of a label file: its line number (from 1), its key, and its value (`None` for a line
/// without `=`, which docker reads as the key with an empty value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelLine<'a> {
    pub line: usize,
    pub key: &'a str,
    pub value: Option<&'a str>,
}

/// Read label-file text as docker reads `--label-file`: a UTF-8 BOM is dropped, each line's leading
/// whitespace is trimmed (and a trailing `\r`), empty lines and `#` comments are skipped, the key runs
/// to the first `=` and the value is the rest, untrimmed. Keys are not checked here (docker refuses
/// an empty key or one with whitespace; callers decide).
pub fn parse_label_lines(text: &str) -> Vec<LabelLine<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let (key, value) = match line.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (line, None),
            };
            Some(LabelLine {
                line: i + 1,
                key,
                value,
            })
        })
        .collect()
}

/// A label set from `(key, value)` pairs, for tests.
#[cfg(test)]
pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One way a key breaks the label-key style rules (hadolint DL3048 and Docker's reserved namespaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    /// Does not start with a lowercase letter.
    Start,
    /// Does not end with a lowercase letter or digit.
    End,
    /// Contains a character outside `[a-z0-9._/-]`.
    Charset,
    /// Contains `..` or `--`.
    Consecutive,
    /// In `com.docker.`, `io.docker.` or `org.dockerproject.`.
    Reserved,
}

impl KeyRule {
    pub fn describe(self) -> &'static str {
        match self {
            KeyRule::Start => "must start with a lowercase letter a-z",
            KeyRule::End => "must end with a lowercase letter or digit",
            KeyRule::Charset => "may only contain a-z 0-9 . _ / -",
            KeyRule::Consecutive => "must not contain '..' or '--'",
            KeyRule::Reserved => {
                "must not use the reserved com.docker., io.docker. or org.dockerproject. namespaces"
            }
        }
    }
}

/// Every style rule `key` breaks (empty when it follows them all).
pub fn key_rule_violations(key: &str) -> Vec<KeyRule> {
    let mut found = Vec::new();
    if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        found.push(KeyRule::Start);
    }
    if !key.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        found.push(KeyRule::End);
    }
    if key
        .chars()
        .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._/-".contains(c)))
    {
        found.push(KeyRule::Charset);
    }
    if key.contains("..") || key.contains("--") {
        found.push(KeyRule::Consecutive);
    }
    if reserved_prefix(key).is_some() {
        found.push(KeyRule::Reserved);
    }
    found
}

/// The escape character a Dockerfile uses: `\`, or what its `# escape=` parser directive says.
///
/// Parser directives are only read at the very top of the file; the first line that is not a
/// directive (a comment, a blank line, an instruction) ends them, as in Docker's parser.
pub fn dockerfile_escape_char(dockerfile: &str) -> char {
    for line in dockerfile.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = rest.split_once('=') else {
            break;
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            break;
        }
        if name.eq_ignore_ascii_case("escape") {
            return match value.trim() {
                "`" => '`',
                _ => '\\',
            };
        }
    }
    '\\'
}

/// Whether a value can be written inside a Dockerfile double-quoted string (no line breaks).
pub fn dockerfile_writable(value: &str) -> bool {
    !value.contains(['\n', '\r'])
}

/// Quote `text` for a Dockerfile double-quoted string: `"`, `$` and the escape character are escaped.
/// `None` when the text holds a line break, which no Dockerfile string can carry.
pub fn dockerfile_quote(text: &str, escape: char) -> Option<String> {
    if !dockerfile_writable(text) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '$' || c == escape {
            out.push(escape);
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

/// One `LABEL` instruction holding every label, keys in byte order, one `"key"="value"` pair per
/// line joined with the Dockerfile's line continuation. Labels whose key or value cannot be written
/// in a Dockerfile are returned apart, for the caller to pass another way.
pub fn label_instruction(labels: &Labels, escape: char) -> (String, Labels) {
    let mut pairs = Vec::new();
    let mut unwritable = Labels::new();
    for (key, value) in labels {
        match (
            dockerfile_quote(key, escape),
            dockerfile_quote(value, escape),
        ) {
            (Some(k), Some(v)) => pairs.push(format!("{k}={v}")),
            _ => {
                unwritable.insert(key.clone(), value.clone());
            }
        }
    }
    if pairs.is_empty() {
        return (String::new(), unwritable);
    }
    let separator = format!(" {escape}\n      ");
    (format!("LABEL {}\n", pairs.join(&separator)), unwritable)
}

/// A value for one-line text output: control characters (line breaks, tabs, ...) shown escaped.
pub fn one_line(value: &str) -> String {
    value
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writable_keys() {
        assert_eq!(check_writable_key(""), Err(KeyError::Empty));
        assert!(matches!(
            check_writable_key("a b"),
            Err(KeyError::Whitespace(_))
        ));
        assert!(matches!(
            check_writable_key("com.docker.compose.project"),
            Err(KeyError::Reserved {
                prefix: "com.docker.",
                ..
            })
        ));
        assert!(check_writable_key("org.dockerproject.x").is_err());
        assert!(check_writable_key("io.docker.x").is_err());
        assert_eq!(
            check_writable_key("jefferys.ubu-lts.io.github.JefferysDockers.vendorUrl"),
            Ok(())
        );
    }

    #[test]
    fn key_value_splits_on_first_equals() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".to_string(), "b=c".to_string())
        );
        assert_eq!(
            parse_key_value("a=").unwrap(),
            ("a".to_string(), String::new())
        );
        assert!(parse_key_value("novalue").unwrap_err().contains("no '='"));
        assert!(parse_key_value("=v").unwrap_err().contains("empty"));
    }

    #[test]
    fn dl3048_rules() {
        assert!(key_rule_violations("com.example.vendor").is_empty());
        assert!(key_rule_violations("ds01.gpu.uuids").is_empty());
        assert_eq!(
            key_rule_violations("Com.example"),
            [KeyRule::Start, KeyRule::Charset]
        );
        assert_eq!(key_rule_violations("com.example."), [KeyRule::End]);
        assert_eq!(key_rule_violations("com..example"), [KeyRule::Consecutive]);
        assert_eq!(key_rule_violations("com--example"), [KeyRule::Consecutive]);
        assert_eq!(
            key_rule_violations("aime.mlc.USER"),
            [KeyRule::End, KeyRule::Charset]
        );
        assert_eq!(key_rule_violations("com.docker.x"), [KeyRule::Reserved]);
    }

    #[test]
    fn one_line_escapes_control_characters_only() {
        assert_eq!(one_line("a\nb\tc\\d ü"), "a\\nb\\tc\\d ü");
    }

    #[test]
    fn escape_directive() {
        assert_eq!(dockerfile_escape_char("FROM scratch\n"), '\\');
        assert_eq!(dockerfile_escape_char("# escape=`\nFROM scratch\n"), '`');
        assert_eq!(dockerfile_escape_char("#ESCAPE = `\nFROM scratch\n"), '`');
        assert_eq!(
            dockerfile_escape_char("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n"),
            '`'
        );
        // A directive after a comment or blank line is only a comment.
        assert_eq!(dockerfile_escape_char("# hello\n# escape=`\n"), '\\');
        assert_eq!(dockerfile_escape_char("\n# escape=`\n"), '\\');
        assert_eq!(dockerfile_escape_char("FROM x\n# escape=`\n"), '\\');
    }

    #[test]
    fn quoting_escapes_dollar_quote_and_escape_char() {
        assert_eq!(
            dockerfile_quote(r#"$HOME ${X} "q" \b"#, '\\').unwrap(),
            r#""\$HOME \${X} \"q\" \\b""#
        );
        assert_eq!(
            dockerfile_quote(r#"$HOME "q" \b `t"#, '`').unwrap(),
            r#""`$HOME `"q`" \b ``t""#
        );
        assert_eq!(dockerfile_quote("", '\\').unwrap(), r#""""#);
        assert_eq!(dockerfile_quote("ünï €", '\\').unwrap(), "\"ünï €\"");
        assert_eq!(dockerfile_quote("a\nb", '\\'), None);
        assert_eq!(dockerfile_quote("a\rb", '\\'), None);
    }

    #[test]
    fn label_files_read_as_docker_reads_them() {
        let line = |line, key, value| LabelLine { line, key, value };
        assert_eq!(
            parse_label_lines("\u{feff}a=1\r\n# c=2\n\n   b=x=y \n\tflag\n=v\nk v=w\n  #x\n"),
            [
                line(1, "a", Some("1")),
                line(4, "b", Some("x=y ")),
                line(5, "flag", None),
                line(6, "", Some("v")),
                line(7, "k v", Some("w")),
            ]
        );
        assert!(parse_label_lines("").is_empty());
        // Only a leading BOM is dropped.
        assert_eq!(parse_label_lines("a=\u{feff}")[0].value, Some("\u{feff}"));
    }

    #[test]
    fn instruction_is_sorted_and_separates_unwritable() {
        let labels = from_pairs(&[("b", "2"), ("a", "1"), ("c", "x\ny")]);
        let (text, rest) = label_instruction(&labels, '\\');
        assert_eq!(text, "LABEL \"a\"=\"1\" \\\n      \"b\"=\"2\"\n");
        assert_eq!(rest.len(), 1);
        assert_eq!(rest["c"], "x\ny");
        let (empty, _) = label_instruction(&Labels::new(), '\\');
        assert_eq!(empty, "");
    }
}
