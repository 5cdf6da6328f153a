//! Messages: what ds01-build says on stderr, and how it quotes the user's input back. Every value,
//! line or argument an error or a finding names goes through [`quoted`], which caps it, so a 100 kB
//! line is named, not echoed. Errors put their cause in their own message (never also as a
//! `#[source]`), so `{:#}` prints it once. Stderr is written only through [`say!`](crate::say),
//! which never panics: a closed stderr (`ds01-build build 2>&-`, a reader gone) loses the message,
//! not the build.

use std::io::Write as _;

/// `eprintln!` that never panics: the line is written whole or not at all.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::messages::to_stderr(::std::format_args!($($arg)*))
    };
}

/// Write one line to stderr, ignoring a failure (what [`say!`](crate::say) calls).
pub fn to_stderr(args: std::fmt::Arguments<'_>) {
    let line = format!("{args}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// How many characters of an input a message quotes.
pub const EXCERPT_CHARS: usize = 80;

/// `text` Debug-quoted (`"a\tb"`), or, when longer than [`EXCERPT_CHARS`] characters, its first
/// ones quoted and its length: `"aaaa…"… (100000 bytes)`.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &text[..end], text.len()),
    }
}

/// `text` as it is, or, when longer than [`EXCERPT_CHARS`] characters, its first ones and its
/// length: `aaaa…… (100000 bytes)` (for names shown unquoted, such as a lint finding's key).
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
    }
}

/// [`quoted`] for bytes that may not be UTF-8 (lossily decoded, the length in the original bytes).
pub fn quoted_bytes(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &text[..end], bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_inputs_are_quoted_whole_long_ones_capped() {
        assert_eq!(quoted("a\tb"), "\"a\\tb\"");
        let exact = "é".repeat(EXCERPT_CHARS);
        assert_eq!(quoted(&exact), format!("{exact:?}"));
        let long = "x".repeat(100_000);
        let q = quoted(&long);
        assert_eq!(
            q,
            format!("{:?}… (100000 bytes)", "x".repeat(EXCERPT_CHARS))
        );
        // Multi-byte characters are never cut.
        let wide = "é".repeat(200);
        assert_eq!(
            quoted(&wide),
            format!("{:?}… (400 bytes)", "é".repeat(EXCERPT_CHARS))
        );
        assert_eq!(quoted_bytes(b"a\xffb"), "\"a\u{fffd}b\"");
    }

    /// Every message in `err`'s chain, outermost first.
    fn chain(err: &anyhow::Error) -> Vec<String> {
        err.chain().map(|e| e.to_string()).collect()
    }

    /// No message in the chain contains the next one (which `{:#}` would then print twice), and no
    /// OS error appears twice in the printed line.
    #[track_caller]
    fn assert_said_once(err: anyhow::Error) {
        let messages = chain(&err);
        for pair in messages.windows(2) {
            assert!(
                !pair[0].contains(&pair[1]),
                "{:?} repeats its cause {:?}",
                pair[0],
                pair[1]
            );
        }
        let line = format!("{err:#}");
        if let Some(at) = line.find("(os error") {
            assert!(
                !line[at + 1..].contains("(os error"),
                "the OS error is printed twice: {line}"
            );
        }
        let mut source = err.source();
        while let Some(s) = source {
            assert!(line.matches(&s.to_string()).nth(1).is_none(), "{line}");
            source = s.source();
        }
    }

    #[test]
    fn no_error_repeats_its_cause() {
        use crate::build_plan::PlanError;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let io = || std::fs::read(d).unwrap_err();

        // A profile that is a directory, a TAG file that is a directory, as the commands report them.
        let profile = crate::profile::load(&format!("{}/", d.display()), d).unwrap_err();
        assert!(profile.to_string().contains("directory"), "{profile}");
        assert_said_once(anyhow::Error::new(PlanError::from(profile)));
        let tag = crate::tag::read_tag_file(d).unwrap_err();
        assert_said_once(anyhow::Error::new(PlanError::from(tag)));
        std::fs::write(d.join("TAG"), "nodash\n").unwrap();
        let tag = crate::tag::read_tag_file(&d.join("TAG")).unwrap_err();
        assert!(tag.to_string().contains("nodash"), "{tag}");
        assert_said_once(anyhow::Error::new(PlanError::from(tag)));

        assert_said_once(anyhow::Error::new(PlanError::Dockerfile {
            path: "Dockerfile".into(),
            error: io(),
        }));
        assert_said_once(anyhow::Error::new(PlanError::Image {
            value: "A".into(),
            origin: "--image".into(),
            error: crate::reference::ImageRef::parse("A B").unwrap_err(),
        }));
        assert_said_once(anyhow::Error::new(PlanError::Directive {
            path: "Dockerfile".into(),
            error: crate::dockerfile::directives("# escape=x\n").unwrap_err(),
        }));
        assert_said_once(anyhow::Error::new(PlanError::Key {
            key: "com.docker.x".into(),
            origin: "--label".into(),
            error: crate::labels::check_writable_key("com.docker.x").unwrap_err(),
        }));
        assert_said_once(
            crate::labels::parse_label_file("{\"a\": 1}")
                .map_err(anyhow::Error::new)
                .unwrap_err()
                .context("labels file l.json"),
        );
        assert_said_once(anyhow::Error::new(
            crate::history::parse_history("not json\n").unwrap_err(),
        ));
        let spawn = crate::engine::Engine::new(d.join("nope").display().to_string(), false)
            .command(["info"])
            .capture()
            .unwrap_err();
        assert_said_once(anyhow::Error::new(spawn).context("cannot inspect image \"x\""));
        assert_said_once(anyhow::Error::new(io()).context(format!("cannot read {}", d.display())));
    }
}
