//! Pure parser for `docker history` / `podman history` output: rows, `LABEL` steps and their keys.
//!
//! History is read with `history --no-trunc --format '{{json .CreatedBy}}' IMAGE`: one JSON string
//! per row, newest row first, the same with docker and podman. Newlines inside a step stay escaped,
//! so one line is always one row.
//!
//! A row's text depends on the builder that made the step (it is stored in the image, so an image
//! built by podman and loaded into docker shows podman's text):
//!
//! | builder | a `LABEL` row | keys |
//! |---|---|---|
//! | docker legacy builder | `/bin/sh -c #(nop)  LABEL k=v k2=v 2` (two spaces) | unquoted, ambiguous |
//! | podman / buildah | `/bin/sh -c #(nop) LABEL "k"="v" k2='v 2'` (one space) | the Dockerfile's own text |
//! | BuildKit | `LABEL k=v k2=v 2` | unquoted, ambiguous |
//!
//! Unquoted rows are ambiguous: a value may contain spaces and `=` (`title=A b=c`). The heuristic
//! ([`LabelRow::keys`]): split the text at single spaces; the first piece's text before `=` is a key;
//! a later piece `K=...` starts a new label only when `K` is a key the image really has (the caller
//! passes the image's label keys), otherwise it continues the previous value. It fails only when a
//! value itself contains ` K=` for another key `K` of the same image.
//!
//! Buildah rows are parsed with Dockerfile word rules ([`crate::dockerfile::label_words`]) assuming the default `\`
//! escape character; a key written with `$VAR` appears there unsubstituted.

use thiserror::Error;

use crate::dockerfile::label_words;

/// The `--format` template: one JSON string per row, unambiguous for both engines.
pub const HISTORY_FORMAT: &str = "{{json .CreatedBy}}";

/// The engine arguments that list `image`'s history in the format [`parse_history`] reads.
pub fn history_args(image: &str) -> Vec<String> {
    ["history", "--no-trunc", "--format", HISTORY_FORMAT, image]
        .map(String::from)
        .to_vec()
}

#[derive(Debug, Error)]
pub enum HistoryError {
    // The parser's error is part of the message (not a `#[source]`), so that it is printed once.
    #[error("history line {line} is not a JSON string ({error}): {}; expected the output of `history --format '{HISTORY_FORMAT}'`", crate::messages::quoted(.text))]
    BadLine {
        line: usize,
        text: String,
        error: serde_json::Error,
    },
}

/// One history row: the step's `CreatedBy` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub created_by: String,
}

/// Parse `history --format '{{json .CreatedBy}}'` output, newest row first. Blank lines are skipped.
pub fn parse_history(text: &str) -> Result<Vec<HistoryRow>, HistoryError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<String>(line.trim())
                .map(|created_by| HistoryRow { created_by })
                .map_err(|error| HistoryError::BadLine {
                    line: i + 1,
                    text: line.to_string(),
                    error,
                })
        })
        .collect()
}

/// Which builder wrote a `LABEL` row, as its shape tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelForm {
    /// docker's legacy builder: `/bin/sh -c #(nop)  LABEL k=v`, values unquoted.
    Legacy,
    /// podman / buildah: `/bin/sh -c #(nop) LABEL <the Dockerfile's text>`.
    Buildah,
    /// BuildKit: `LABEL k=v`, values unquoted.
    BuildKit,
}

/// A `LABEL` step: its form and the text after the `LABEL` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelRow<'a> {
    pub form: LabelForm,
    pub args: &'a str,
}

const NOP: &str = "#(nop) ";

impl HistoryRow {
    /// The row as a `LABEL` step, or `None` for any other step.
    pub fn label(&self) -> Option<LabelRow<'_>> {
        let text = self.created_by.trim_start();
        if let Some(at) = text.find(NOP) {
            let rest = &text[at + NOP.len()..];
            // docker joins ["#(nop) ", "LABEL ..."] with a space; buildah appends the text directly.
            let (form, rest) = match rest.strip_prefix(' ') {
                Some(r) => (LabelForm::Legacy, r.trim_start()),
                None => (LabelForm::Buildah, rest),
            };
            return keyword_args(rest, "LABEL").map(|args| LabelRow { form, args });
        }
        // BuildKit writes the instruction itself, upper case.
        text.strip_prefix("LABEL")
            .filter(|r| r.starts_with(char::is_whitespace))
            .map(|r| LabelRow {
                form: LabelForm::BuildKit,
                args: r.trim_start(),
            })
    }

    /// The step without the `/bin/sh -c #(nop) ` noise, shortened to about 80 characters, for messages.
    pub fn summary(&self) -> String {
        let text = self.created_by.trim();
        let text = match text.find(NOP) {
            Some(at) => text[at + NOP.len()..].trim_start(),
            None => text,
        };
        let flat: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let flat = shorten_digests(&flat);
        if flat.chars().count() > 80 {
            format!("{}...", flat.chars().take(77).collect::<String>())
        } else {
            flat
        }
    }
}

/// Cut every run of 32 or more hex digits (a digest, as in `COPY file:<sha256> in /x`) to 12.
fn shorten_digests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() >= 32 {
            out.push_str(&run[..12]);
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// `text` starts with `keyword` (any case) then whitespace: the rest, trimmed at the start.
fn keyword_args<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let head = text.get(..keyword.len())?;
    let rest = &text[keyword.len()..];
    (head.eq_ignore_ascii_case(keyword) && rest.starts_with(char::is_whitespace))
        .then(|| rest.trim_start())
}

impl LabelRow<'_> {
    /// The keys this step sets. For unquoted forms `known` says which keys the image has (see the
    /// module docs); buildah rows are parsed exactly and ignore it.
    pub fn keys(&self, known: impl Fn(&str) -> bool) -> Vec<String> {
        match self.form {
            LabelForm::Buildah => label_words(self.args, '\\')
                .into_iter()
                .map(|pair| pair.key)
                .collect(),
            LabelForm::Legacy | LabelForm::BuildKit => unquoted_keys(self.args, known),
        }
    }
}

fn unquoted_keys(args: &str, known: impl Fn(&str) -> bool) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for piece in args.split(' ') {
        if let Some((key, _)) = piece.split_once('=') {
            if !key.is_empty() && (keys.is_empty() || known(key)) {
                keys.push(key.to_string());
            }
        }
    }
    keys
}

/// How many rows, from the newest, are `LABEL` steps: the image's final block of LABEL rows.
pub fn final_label_block(rows: &[HistoryRow]) -> usize {
    rows.iter().take_while(|row| row.label().is_some()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded: docker 20.10 (legacy builder), `history --no-trunc --format '{{json .CreatedBy}}'`
    /// of an image built with a Dockerfile `LABEL` (lower-case keyword, single quotes, escapes,
    /// `key value` form) and `--label` flags, FROM a parent built the same way.
    const DOCKER: &str = r#""/bin/sh -c #(nop)  LABEL q=say \"hi\" $X \\n"
"/bin/sh -c #(nop)  LABEL nl=line1\nline2"
"/bin/sh -c #(nop)  LABEL jefferys.r-lang.io.github.jefferysdockers.label-schema-version=0.0.1"
"/bin/sh -c #(nop)  LABEL legacy=value with spaces"
"/bin/sh -c #(nop)  LABEL jefferys.r-lang.io.github.jefferysdockers.base-prefix=jefferys.ubu-lts single=its $HOME dollar=$HOME and \\ back eq=a=b"
"/bin/sh -c #(nop) COPY file:73e2b2d48642b21b357384b0cb81c1869cc5e0c48a00f61553756196058304b9 in /bin/sh2 "
"/bin/sh -c #(nop)  LABEL jefferys.ubu-lts.io.github.JefferysDockers.label-schema-version=0.0.1"
"/bin/sh -c #(nop)  LABEL jefferys.ubu-lts.io.github.JefferysDockers.description=A b=c  d"
"/bin/sh -c #(nop)  LABEL empty="
"/bin/sh -c #(nop)  LABEL jefferys.ubu-lts.io.github.JefferysDockers.base-prefix=scratch jefferys.ubu-lts.io.github.JefferysDockers.title=Ubu LTS x=1 \"q\" plain=yes"
"/bin/sh -c #(nop) COPY file:73e2b2d48642b21b357384b0cb81c1869cc5e0c48a00f61553756196058304b9 in /bin/busybox "
"#;

    /// Recorded: podman 4.3.1 (buildah 1.28.2), the same Dockerfiles and flags.
    const PODMAN: &str = r#""/bin/sh -c #(nop) LABEL \"nl\"=\"line1\\nline2\""
"/bin/sh -c #(nop) LABEL \"q\"=\"say \\\"hi\\\" $X \\\\n\""
"/bin/sh -c #(nop) LABEL \"jefferys.r-lang.io.github.jefferysdockers.label-schema-version\"=\"0.0.1\""
"/bin/sh -c #(nop) LABEL legacy value with spaces"
"/bin/sh -c #(nop) label \"jefferys.r-lang.io.github.jefferysdockers.base-prefix\"=\"jefferys.ubu-lts\" 'single'='it''s $HOME' dollar=\"\\$HOME and \\\\ back\" eq=a=b"
"/bin/sh -c #(nop) COPY file:bc86d49889e1425b5e7c52f12e0b10e772f610517a9aea1f1b5bc3a8b2c96a82 in /bin/sh2 "
"/bin/sh -c #(nop) LABEL \"empty\"=\"\""
"/bin/sh -c #(nop) LABEL \"jefferys.ubu-lts.io.github.JefferysDockers.description\"=\"A b=c  d\""
"/bin/sh -c #(nop) LABEL \"jefferys.ubu-lts.io.github.JefferysDockers.label-schema-version\"=\"0.0.1\""
"/bin/sh -c #(nop) LABEL \"jefferys.ubu-lts.io.github.JefferysDockers.base-prefix\"=\"scratch\"       \"jefferys.ubu-lts.io.github.JefferysDockers.title\"=\"Ubu LTS x=1 \\\"q\\\"\" plain=yes"
"/bin/sh -c #(nop) COPY file:01b0553b128d4b3874da2687f49510d7a1f9882a69db52690c33df2a986d2d7f in /bin/busybox "
"#;

    /// The image's label keys (recorded `image inspect`; podman adds `io.buildah.version`).
    const KEYS: &[&str] = &[
        "dollar",
        "empty",
        "eq",
        "io.buildah.version",
        "jefferys.r-lang.io.github.jefferysdockers.base-prefix",
        "jefferys.r-lang.io.github.jefferysdockers.label-schema-version",
        "jefferys.ubu-lts.io.github.JefferysDockers.base-prefix",
        "jefferys.ubu-lts.io.github.JefferysDockers.description",
        "jefferys.ubu-lts.io.github.JefferysDockers.label-schema-version",
        "jefferys.ubu-lts.io.github.JefferysDockers.title",
        "legacy",
        "nl",
        "plain",
        "q",
        "single",
    ];

    fn known(key: &str) -> bool {
        KEYS.contains(&key)
    }

    fn keys_by_row(text: &str) -> Vec<Option<Vec<String>>> {
        parse_history(text)
            .unwrap()
            .iter()
            .map(|row| row.label().map(|l| l.keys(known)))
            .collect()
    }

    fn v(keys: &[&str]) -> Option<Vec<String>> {
        Some(keys.iter().map(|k| k.to_string()).collect())
    }

    const R_BASE: &str = "jefferys.r-lang.io.github.jefferysdockers.base-prefix";
    const R_LSV: &str = "jefferys.r-lang.io.github.jefferysdockers.label-schema-version";
    const U_BASE: &str = "jefferys.ubu-lts.io.github.JefferysDockers.base-prefix";
    const U_LSV: &str = "jefferys.ubu-lts.io.github.JefferysDockers.label-schema-version";
    const U_DESC: &str = "jefferys.ubu-lts.io.github.JefferysDockers.description";
    const U_TITLE: &str = "jefferys.ubu-lts.io.github.JefferysDockers.title";

    #[test]
    fn docker_rows() {
        let rows = keys_by_row(DOCKER);
        assert_eq!(
            rows,
            [
                v(&["q"]),
                v(&["nl"]),
                v(&[R_LSV]),
                v(&["legacy"]),
                v(&[R_BASE, "single", "dollar", "eq"]),
                None,
                v(&[U_LSV]),
                v(&[U_DESC]),
                v(&["empty"]),
                v(&[U_BASE, U_TITLE, "plain"]),
                None,
            ]
        );
        let parsed = parse_history(DOCKER).unwrap();
        assert_eq!(parsed[0].label().unwrap().form, LabelForm::Legacy);
        assert_eq!(
            parsed[1].created_by,
            "/bin/sh -c #(nop)  LABEL nl=line1\nline2"
        );
        assert_eq!(final_label_block(&parsed), 5);
    }

    #[test]
    fn podman_rows() {
        let rows = keys_by_row(PODMAN);
        assert_eq!(
            rows,
            [
                v(&["nl"]),
                v(&["q"]),
                v(&[R_LSV]),
                v(&["legacy"]),
                v(&[R_BASE, "single", "dollar", "eq"]),
                None,
                v(&["empty"]),
                v(&[U_DESC]),
                v(&[U_LSV]),
                v(&[U_BASE, U_TITLE, "plain"]),
                None,
            ]
        );
        let parsed = parse_history(PODMAN).unwrap();
        assert_eq!(parsed[0].label().unwrap().form, LabelForm::Buildah);
        assert_eq!(final_label_block(&parsed), 5);
    }

    #[test]
    fn buildah_values_are_unquoted() {
        let rows = parse_history(PODMAN).unwrap();
        let pairs = label_words(rows[4].label().unwrap().args, '\\');
        let got = crate::dockerfile::triples(&pairs);
        assert_eq!(
            got,
            [
                (R_BASE, "jefferys.ubu-lts", false),
                ("single", "its $HOME", false),
                ("dollar", "$HOME and \\ back", false),
                ("eq", "a=b", false),
            ]
        );
        let legacy = label_words(rows[3].label().unwrap().args, '\\');
        assert_eq!(legacy[0].key, "legacy");
        assert_eq!(legacy[0].value, "value with spaces");
    }

    /// BuildKit is not installed here; this row follows BuildKit's `dispatchLabel`
    /// (`"LABEL" + " " + key + "=" + value` per label, no shell prefix).
    #[test]
    fn buildkit_rows() {
        let text = "\"LABEL a.io.github.jefferysdockers.title=My app x=1 a.io.github.jefferysdockers.label-schema-version=0.0.1\"\n\"COPY busybox /bin/busybox # buildkit\"\n";
        let rows = parse_history(text).unwrap();
        let label = rows[0].label().unwrap();
        assert_eq!(label.form, LabelForm::BuildKit);
        let known = |k: &str| k.starts_with("a.io.");
        assert_eq!(
            label.keys(known),
            [
                "a.io.github.jefferysdockers.title",
                "a.io.github.jefferysdockers.label-schema-version"
            ]
        );
        assert!(rows[1].label().is_none());
        assert_eq!(final_label_block(&rows), 1);
    }

    #[test]
    fn unquoted_heuristic_uses_known_keys() {
        // Without the image's keys every `K=` piece would start a label.
        assert_eq!(unquoted_keys("t=A b=c d", |_| true), ["t", "b"]);
        assert_eq!(unquoted_keys("t=A b=c d", |k| k == "t"), ["t"]);
        // The first piece always names a key; an empty key never.
        assert_eq!(unquoted_keys("=x t=1", |_| true), ["t"]);
        assert!(unquoted_keys("", |_| true).is_empty());
    }

    #[test]
    fn other_rows_and_summaries() {
        let rows = parse_history(
            "\"/bin/sh -c #(nop)  CMD [\\\"sh\\\"]\"\n\n\"\"\n\"/bin/bash -c #(nop)  LABEL a=b\"\n\"/bin/sh -c #(nop)  LABELX a=b\"\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 4);
        assert!(rows[0].label().is_none());
        assert_eq!(rows[0].summary(), "CMD [\"sh\"]");
        assert!(rows[1].label().is_none());
        // docker writes the SHELL in front of `#(nop)`.
        assert_eq!(rows[2].label().unwrap().keys(|_| true), ["a"]);
        assert!(rows[3].label().is_none());
        let long = HistoryRow {
            created_by: format!("/bin/sh -c {}", "x".repeat(200)),
        };
        assert_eq!(long.summary().chars().count(), 80);
        let copy = HistoryRow {
            created_by: format!(
                "/bin/sh -c #(nop) COPY file:{} in /bin/sh2 ",
                "ab12".repeat(16)
            ),
        };
        assert_eq!(copy.summary(), "COPY file:ab12ab12ab12 in /bin/sh2");
    }

    #[test]
    fn bad_lines_name_the_line() {
        let err = parse_history("\"ok\"\nnot json\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
