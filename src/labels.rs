//! Label keys and values: the sorted label set, key rules, label files (`--label-file` lines and
//! `lint --labels` files), and one-line display of values. Dockerfile text is [`crate::dockerfile`]'s.
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
    #[error("label key {} contains whitespace: keys are like com.example.vendor", crate::messages::quoted(.0))]
    Whitespace(String),
    #[error("label key {} {what}, which `--label KEY=VALUE` and a Dockerfile LABEL cannot carry: keys are like com.example.vendor", crate::messages::quoted(.key))]
    Unwritable { key: String, what: &'static str },
    #[error("label key {} is in the reserved {} namespace: use your own reverse-domain prefix", crate::messages::quoted(.key), crate::messages::quoted(.prefix))]
    Reserved { key: String, prefix: &'static str },
}

/// Refuse keys the engine rejects (empty, whitespace), that no `KEY=VALUE` form can carry (`=`: a
/// `--label` flag and a Dockerfile `LABEL` word both split at the first one), or that are reserved
/// for Docker.
pub fn check_writable_key(key: &str) -> Result<(), KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    match key_fault(key) {
        Some(KeyFault::Whitespace) => return Err(KeyError::Whitespace(key.to_string())),
        Some(fault) => {
            return Err(KeyError::Unwritable {
                key: key.to_string(),
                what: fault.describe(),
            })
        }
        None => {}
    }
    if let Some(prefix) = reserved_prefix(key) {
        return Err(KeyError::Reserved {
            key: key.to_string(),
            prefix,
        });
    }
    Ok(())
}

/// What makes a key (or a profile's leaf name) impossible to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFault {
    Empty,
    Whitespace,
    /// `=` (`--label a=b=c` is key `a`), or a control character (a line break ends a Dockerfile
    /// line, a NUL ends an argument).
    Equals,
    Control,
}

impl KeyFault {
    pub fn describe(self) -> &'static str {
        match self {
            KeyFault::Empty => "is empty",
            KeyFault::Whitespace => "contains whitespace",
            KeyFault::Equals => "contains '='",
            KeyFault::Control => "contains a control character",
        }
    }
}

/// The first fault of `key` as a label key, if any (before the namespace rules).
pub fn key_fault(key: &str) -> Option<KeyFault> {
    if key.is_empty() {
        return Some(KeyFault::Empty);
    }
    key.chars().find_map(|c| {
        if c == '=' {
            Some(KeyFault::Equals)
        } else if c.is_whitespace() {
            Some(KeyFault::Whitespace)
        } else if c.is_control() {
            Some(KeyFault::Control)
        } else {
            None
        }
    })
}

/// The reserved namespace `key` falls in, if any.
pub fn reserved_prefix(key: &str) -> Option<&'static str> {
    RESERVED_PREFIXES.into_iter().find(|p| key.starts_with(p))
}

/// Split `KEY=VALUE` at the first `=` and check the key is writable. A missing `=` is an error.
pub fn parse_key_value(arg: &str) -> Result<(String, String), String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(format!(
            "label {} has no '=': expected KEY=VALUE, e.g. com.example.rating=10",
            crate::messages::quoted(arg)
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

#[derive(Debug, Error)]
pub enum LabelFileError {
    #[error("not a JSON object of string values ({0}): expected {{\"key\": \"value\", ...}} or KEY=VALUE lines")]
    Json(serde_json::Error),
    #[error("line {line}: {} has no '=': expected KEY=VALUE (blank lines and # comments are skipped)", crate::messages::quoted(.text))]
    NoEquals { line: usize, text: String },
    #[error("line {line}: empty key in {}: expected KEY=VALUE", crate::messages::quoted(.text))]
    EmptyKey { line: usize, text: String },
}

/// A labels file: a JSON object of strings (`null` = no labels, as `inspect --format '{{json
/// .Config.Labels}}'` prints), or `KEY=VALUE` lines read as docker reads `--label-file`
/// ([`parse_label_lines`]). Stricter than docker: a line without `=` or with an empty key is an
/// error (docker takes the first as a key with an empty value and refuses the second).
pub fn parse_label_file(text: &str) -> Result<Labels, LabelFileError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.trim_end() == "null" {
        let parsed: Option<Labels> = serde_json::from_str(trimmed).map_err(LabelFileError::Json)?;
        return Ok(parsed.unwrap_or_default());
    }
    let mut labels = Labels::new();
    for LabelLine { line, key, value } in parse_label_lines(text) {
        let Some(value) = value else {
            return Err(LabelFileError::NoEquals {
                line,
                text: key.to_string(),
            });
        };
        if key.trim().is_empty() {
            return Err(LabelFileError::EmptyKey {
                line,
                text: format!("{key}={value}"),
            });
        }
        labels.insert(key.to_string(), value.to_string());
    }
    Ok(labels)
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

/// A value for one-line text output: [`crate::output::escape`].
pub fn one_line(value: &str) -> String {
    crate::output::escape(value).into_owned()
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
        // Found by the dockerfile_escape fuzz target: `"a=b"="v"` reads back as key `a`.
        assert!(matches!(
            check_writable_key("a=b"),
            Err(KeyError::Unwritable { .. })
        ));
        assert!(check_writable_key("=").is_err());
        assert!(check_writable_key("org.dockerproject.x").is_err());
        assert_eq!(
            check_writable_key("a=b").unwrap_err().to_string(),
            "label key \"a=b\" contains '=', which `--label KEY=VALUE` and a Dockerfile LABEL cannot carry: keys are like com.example.vendor"
        );
        assert!(matches!(
            check_writable_key("a\u{0}b"),
            Err(KeyError::Unwritable { .. })
        ));
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
        assert_eq!(one_line("a\nb\tc\\d ü"), "a\\nb\\tc\\\\d ü");
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
    fn label_files() {
        assert_eq!(
            parse_label_file("{\"a\": \"1\", \"B\": \"\"}").unwrap(),
            from_pairs(&[("a", "1"), ("B", "")])
        );
        assert_eq!(parse_label_file("null\n").unwrap(), Labels::new());
        assert_eq!(
            parse_label_file("# c\n\na=b=c\r\nd=\n").unwrap(),
            from_pairs(&[("a", "b=c"), ("d", "")])
        );
        let err = parse_label_file("a=1\nnope\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: \"nope\" has no '=': expected KEY=VALUE (blank lines and # comments are skipped)"
        );
        assert!(parse_label_file("=v")
            .unwrap_err()
            .to_string()
            .contains("empty key"));
        assert!(parse_label_file("{\"a\": 1}").is_err());
    }
}
