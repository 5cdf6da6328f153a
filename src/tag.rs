//! The image TAG, `CONTENT-SOURCE`: parsing, splitting on the first `-`, and reading the TAG file.
//!
//! A TAG names two versions at once: the version of the packaged content (`20.04.01`) and the version of
//! the packaging source (`0.0.1-rc1`), joined by the FIRST `-`. The seed's bash script silently used the
//! whole TAG for both parts when there was no `-`; here that is an error. Surrounding whitespace (a
//! trailing newline in the TAG file) is trimmed; whitespace inside is refused. The whole TAG must also be
//! a valid docker tag, `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, since it becomes `owner/name:TAG`.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// The longest tag docker accepts.
pub const MAX_TAG_LEN: usize = 128;

/// A parsed TAG: `full` = `content` + `-` + `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The whole TAG, trimmed (`20.04.01-0.0.1-rc1`).
    pub full: String,
    /// The part before the first `-` (`20.04.01`).
    pub content: String,
    /// The part after the first `-` (`0.0.1-rc1`).
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TagError {
    #[error("TAG is empty: expected CONTENT-SOURCE, e.g. 20.04.01-0.0.1")]
    Empty,
    #[error("TAG {} contains whitespace: expected CONTENT-SOURCE, e.g. 20.04.01-0.0.1", crate::messages::quoted(.0))]
    Whitespace(String),
    #[error("TAG {} has no \"-\": expected CONTENT-SOURCE, e.g. 20.04.01-0.0.1", crate::messages::quoted(.0))]
    NoDash(String),
    #[error("TAG {} has an empty content part before the first \"-\": expected CONTENT-SOURCE, e.g. 20.04.01-0.0.1", crate::messages::quoted(.0))]
    EmptyContent(String),
    #[error("TAG {} has an empty source part after the first \"-\": expected CONTENT-SOURCE, e.g. 20.04.01-0.0.1", crate::messages::quoted(.0))]
    EmptySource(String),
    #[error("TAG {} is not a valid docker tag ({reason}): use 1 to 128 characters from A-Z a-z 0-9 _ . -, not starting with . or -", crate::messages::quoted(.tag))]
    InvalidDockerTag { tag: String, reason: &'static str },
    #[error("cannot read TAG file {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    // The TAG's fault is part of the message (not a `#[source]`), so that it is printed once.
    #[error("TAG file {}: {error}", path.display())]
    InFile { path: PathBuf, error: Box<TagError> },
}

impl Tag {
    /// Parse a TAG, trimming surrounding whitespace and splitting on the first `-`.
    pub fn parse(text: &str) -> Result<Tag, TagError> {
        let full = text.trim();
        if full.is_empty() {
            return Err(TagError::Empty);
        }
        if full.chars().any(char::is_whitespace) {
            return Err(TagError::Whitespace(full.to_string()));
        }
        let Some((content, source)) = split(full) else {
            return Err(TagError::NoDash(full.to_string()));
        };
        if content.is_empty() {
            return Err(TagError::EmptyContent(full.to_string()));
        }
        if source.is_empty() {
            return Err(TagError::EmptySource(full.to_string()));
        }
        check_docker_tag(full)?;
        Ok(Tag {
            full: full.to_string(),
            content: content.to_string(),
            source: source.to_string(),
        })
    }
}

/// Split a TAG (or a version written like one) at its FIRST `-` into content and source parts:
/// `20.04.01-0.0.1-rc1` → (`20.04.01`, `0.0.1-rc1`). `None` when there is no `-`. No other checks.
pub fn split(tag: &str) -> Option<(&str, &str)> {
    tag.split_once('-')
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full)
    }
}

/// Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_docker_tag(tag: &str) -> Result<(), TagError> {
    let bad = |reason| {
        Err(TagError::InvalidDockerTag {
            tag: tag.to_string(),
            reason,
        })
    };
    if tag.len() > MAX_TAG_LEN {
        return bad("longer than 128 characters");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-';
    if !tag.chars().all(allowed) {
        return bad("a character outside A-Z a-z 0-9 _ . -");
    }
    if tag.starts_with(['.', '-']) {
        return bad("starts with . or -");
    }
    Ok(())
}

/// Read and parse a TAG file. Errors name the file.
pub fn read_tag_file(path: &Path) -> Result<Tag, TagError> {
    let text = crate::caller_file::read_to_string(path).map_err(|e| TagError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Tag::parse(&text).map_err(|e| TagError::InFile {
        path: path.to_path_buf(),
        error: Box::new(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_at_the_first_dash() {
        assert_eq!(split("20.04.01-0.0.1-rc1"), Some(("20.04.01", "0.0.1-rc1")));
        assert_eq!(split("-x"), Some(("", "x")));
        assert_eq!(split("1.0"), None);
    }

    fn ok(s: &str) -> (String, String, String) {
        let t = Tag::parse(s).unwrap();
        (t.full, t.content, t.source)
    }

    #[test]
    fn splits_on_first_dash() {
        assert_eq!(
            ok("20.04.01-0.0.1-rc1"),
            (
                "20.04.01-0.0.1-rc1".into(),
                "20.04.01".into(),
                "0.0.1-rc1".into()
            )
        );
        assert_eq!(
            ok("2020.09.03-0.0.1"),
            (
                "2020.09.03-0.0.1".into(),
                "2020.09.03".into(),
                "0.0.1".into()
            )
        );
        assert_eq!(ok("a-b"), ("a-b".into(), "a".into(), "b".into()));
        assert_eq!(ok("_x-1_2"), ("_x-1_2".into(), "_x".into(), "1_2".into()));
    }

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(ok("  20.04.01-0.0.1\n").0, "20.04.01-0.0.1");
        assert_eq!(ok("\r\n\t1-2\r\n\n").0, "1-2");
    }

    #[test]
    fn refuses_empty() {
        assert_eq!(Tag::parse(""), Err(TagError::Empty));
        assert_eq!(Tag::parse(" \n\t"), Err(TagError::Empty));
    }

    #[test]
    fn refuses_no_dash_with_clear_message() {
        let e = Tag::parse("1.2.3").unwrap_err();
        assert_eq!(e, TagError::NoDash("1.2.3".into()));
        assert_eq!(
            e.to_string(),
            r#"TAG "1.2.3" has no "-": expected CONTENT-SOURCE, e.g. 20.04.01-0.0.1"#
        );
    }

    #[test]
    fn refuses_empty_parts() {
        assert_eq!(
            Tag::parse("1.0-").unwrap_err(),
            TagError::EmptySource("1.0-".into())
        );
        assert_eq!(
            Tag::parse("-1.0").unwrap_err(),
            TagError::EmptyContent("-1.0".into())
        );
        assert_eq!(
            Tag::parse("_-").unwrap_err(),
            TagError::EmptySource("_-".into())
        );
    }

    #[test]
    fn refuses_inner_whitespace() {
        let e = Tag::parse("1.0 -2").unwrap_err();
        assert_eq!(e, TagError::Whitespace("1.0 -2".into()));
        assert!(e.to_string().contains("\"1.0 -2\""));
        assert!(Tag::parse("1.0-\n2").is_err());
    }

    #[test]
    fn refuses_invalid_docker_tags() {
        for bad in [
            "1.0-a/b", "1.0-a:b", "1.0-é", ".1-2", "1-2@x", "1-$HOME", "1-2\"x",
        ] {
            let e = Tag::parse(bad).unwrap_err();
            assert!(
                matches!(e, TagError::InvalidDockerTag { .. }),
                "{bad}: {e:?}"
            );
            assert!(e.to_string().contains("not a valid docker tag"), "{e}");
        }
        let long = format!("1-{}", "a".repeat(126));
        assert_eq!(long.len(), 128);
        assert!(Tag::parse(&long).is_ok());
        let too_long = format!("1-{}", "a".repeat(127));
        assert!(matches!(
            Tag::parse(&too_long).unwrap_err(),
            TagError::InvalidDockerTag { .. }
        ));
    }

    #[test]
    fn reads_tag_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("TAG");
        std::fs::write(&p, "20.04.01-0.0.1-rc1\n").unwrap();
        let t = read_tag_file(&p).unwrap();
        assert_eq!(t.content, "20.04.01");
        assert_eq!(t.source, "0.0.1-rc1");
        assert_eq!(t.to_string(), "20.04.01-0.0.1-rc1");
    }

    #[test]
    fn tag_file_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("NOPE");
        let e = read_tag_file(&missing).unwrap_err();
        assert!(matches!(e, TagError::Read { .. }));
        assert!(
            e.to_string().contains(&missing.display().to_string()),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'));

        let p = dir.path().join("TAG");
        std::fs::write(&p, "1.2.3\n").unwrap();
        let e = read_tag_file(&p).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(&p.display().to_string()), "{msg}");
        assert!(msg.contains(r#"TAG "1.2.3" has no "-""#), "{msg}");
    }
}
