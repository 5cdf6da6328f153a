//! The files a `create` passthrough names, made inert: `--label-file` and `--env-file` are read once
//! (as the invoker, [`crate::caller_file`]), parsed the way docker parses them, and replaced by
//! the `--label K=V` / `--env K=V` flags they stand for, so the engine gets exactly what was checked
//! and never the path (a FIFO or a file rewritten between the check and docker's read cannot feed
//! it something else). With privileges `--cidfile` (docker would write it with the engine's
//! rights, following symlinks) and bare `-e KEY` / `KEY` lines (they would copy the engine's
//! environment, not the caller's) are refused.
//!
//! Precedence is docker's: file labels lose to `--label`, the last `--label` wins, and env-file
//! entries come before `-e` in `Config.Env`; so the converted flags go before every other
//! passthrough option, in file order.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::labels;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FileError {
    #[error("cannot read passthrough --{option} {file}: {error}")]
    Read {
        option: &'static str,
        file: String,
        error: String,
    },
    #[error(
        "passthrough --{option} {file}:{line}: {problem}: docker refuses it (write KEY=VALUE)"
    )]
    BadLine {
        option: &'static str,
        file: String,
        line: usize,
        problem: String,
    },
    #[error("passthrough --env-file {file}:{line}: {key} without a value is refused with privileges ({how}): it would copy the engine's environment, not yours: write {key}=VALUE")]
    BareEnvInFile {
        file: String,
        line: usize,
        key: String,
        how: String,
    },
    #[error("passthrough {written}: a bare variable is refused with privileges ({how}): it would copy the engine's environment, not yours: write {key}=VALUE")]
    BareEnv {
        written: String,
        key: String,
        how: String,
    },
    #[error("passthrough {written}: refused with privileges ({how}): docker would write it with the engine's rights; the container ID is printed on stdout")]
    Cidfile { written: String, how: String },
}

/// The text of every caller-named file, read once before planning; a file that could not be read
/// keeps its error for the plan to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassthroughFiles(pub BTreeMap<String, Result<String, String>>);

impl PassthroughFiles {
    /// Read the `--label-file`s and `--env-file`s of `passthrough` (each once, however often it
    /// is named) as the invoker. Arguments the scanner refuses name no file: the plan reports
    /// that refusal.
    pub fn read(passthrough: &[String]) -> PassthroughFiles {
        let scanned = crate::create_options::scan(passthrough).unwrap_or_default();
        let files = scanned
            .items
            .iter()
            .filter(|i| i.known && (i.long == "label-file" || i.long == "env-file"))
            .filter_map(|i| i.value.as_deref());
        let mut texts = BTreeMap::new();
        for file in files {
            texts.entry(file.to_string()).or_insert_with(|| {
                crate::caller_file::read_to_string(std::path::Path::new(file))
                    .map_err(|e| e.to_string())
            });
        }
        PassthroughFiles(texts)
    }

    /// The text of `file`, or the error reading it gave.
    pub fn get(&self, option: &'static str, file: &str) -> Result<&str, FileError> {
        match self.0.get(file) {
            Some(Ok(text)) => Ok(text),
            Some(Err(error)) => Err(FileError::Read {
                option,
                file: file.into(),
                error: error.clone(),
            }),
            None => Err(FileError::Read {
                option,
                file: file.into(),
                error: "not read before planning".into(),
            }),
        }
    }
}

/// A key as docker accepts it in a label or env file: non-empty, no whitespace.
fn check_key(option: &'static str, file: &str, line: usize, key: &str) -> Result<(), FileError> {
    let problem = if key.is_empty() {
        "empty key".to_string()
    } else if key.chars().any(char::is_whitespace) {
        format!("key {} contains whitespace", crate::messages::quoted(key))
    } else {
        return Ok(());
    };
    Err(FileError::BadLine {
        option,
        file: file.into(),
        line,
        problem,
    })
}

/// The labels of a `--label-file` text, in file order (a line without `=` is the key with an
/// empty value, as docker reads it).
pub fn label_file(file: &str, text: &str) -> Result<Vec<(String, String)>, FileError> {
    labels::parse_label_lines(text)
        .into_iter()
        .map(|l| {
            check_key("label-file", file, l.line, l.key)?;
            Ok((l.key.to_string(), l.value.unwrap_or("").to_string()))
        })
        .collect()
}

/// One entry of an env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvEntry {
    /// `KEY=VALUE` (the value verbatim).
    Set { key: String, value: String },
    /// A bare `KEY`: docker copies the CLI's own environment variable, if set.
    Bare { key: String, line: usize },
}

/// The entries of an `--env-file` text as docker reads it: BOM dropped, leading whitespace trimmed,
/// `#` comments and blank lines skipped, values verbatim.
pub fn env_file(file: &str, text: &str) -> Result<Vec<EnvEntry>, FileError> {
    labels::parse_label_lines(text)
        .into_iter()
        .map(|l| {
            check_key("env-file", file, l.line, l.key)?;
            Ok(match l.value {
                Some(value) => EnvEntry::Set {
                    key: l.key.to_string(),
                    value: value.to_string(),
                },
                None => EnvEntry::Bare {
                    key: l.key.to_string(),
                    line: l.line,
                },
            })
        })
        .collect()
}

/// A passthrough option as the scanner ([`crate::create_options::scan`]) read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The long name without `--` (short letters mapped; an unknown option's name as written).
    pub long: String,
    /// Whether the option is in ds01-build's table of docker create options.
    pub known: bool,
    pub value: Option<String>,
    /// The arguments it spans (empty for the later letters of a short group: the first holds the
    /// group).
    pub args: Vec<String>,
    /// The argument(s) as written, for messages.
    pub written: String,
}

/// The passthrough options with every file replaced by the flags it stands for (file flags
/// first, in order), refusing with privileges (`elevated`: the mode, for messages) what would act
/// with the engine's rights. The result is what the engine gets.
pub fn convert(
    items: &[Item],
    texts: &PassthroughFiles,
    elevated: Option<&str>,
) -> Result<Vec<String>, FileError> {
    let mut from_files = Vec::new();
    let mut rest = Vec::new();
    for item in items {
        let value = item.value.as_deref().unwrap_or("");
        let long = Some(item.long.as_str()).filter(|_| item.known);
        match long {
            Some("label-file") => {
                for (key, value) in label_file(value, texts.get("label-file", value)?)? {
                    from_files.push("--label".to_string());
                    from_files.push(format!("{key}={value}"));
                }
            }
            Some("env-file") => {
                for entry in env_file(value, texts.get("env-file", value)?)? {
                    match entry {
                        EnvEntry::Set { key, value } => {
                            from_files.push("--env".to_string());
                            from_files.push(format!("{key}={value}"));
                        }
                        EnvEntry::Bare { key, line } => {
                            if let Some(how) = elevated {
                                return Err(FileError::BareEnvInFile {
                                    file: value.to_string(),
                                    line,
                                    key,
                                    how: how.to_string(),
                                });
                            }
                            from_files.push("--env".to_string());
                            from_files.push(key);
                        }
                    }
                }
            }
            Some("cidfile") if elevated.is_some() => {
                return Err(FileError::Cidfile {
                    written: item.written.clone(),
                    how: elevated.unwrap_or_default().to_string(),
                })
            }
            Some("env") if elevated.is_some() && !value.contains('=') => {
                return Err(FileError::BareEnv {
                    written: item.written.clone(),
                    key: value.to_string(),
                    how: elevated.unwrap_or_default().to_string(),
                })
            }
            _ => rest.extend(item.args.iter().cloned()),
        }
    }
    from_files.extend(rest);
    Ok(from_files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(long: Option<&str>, value: Option<&str>, args: &[&str]) -> Item {
        Item {
            long: long.unwrap_or("frobnicate").to_string(),
            known: long.is_some(),
            value: value.map(str::to_string),
            args: args.iter().map(|s| s.to_string()).collect(),
            written: args.join(" "),
        }
    }

    fn texts(files: &[(&str, &str)]) -> PassthroughFiles {
        PassthroughFiles(
            files
                .iter()
                .map(|(f, t)| (f.to_string(), Ok(t.to_string())))
                .collect(),
        )
    }

    #[test]
    fn files_become_flags_before_the_other_options() {
        let items = [
            item(Some("label"), Some("a=inline"), &["-l", "a=inline"]),
            item(Some("label-file"), Some("L"), &["--label-file", "L"]),
            item(Some("env"), Some("E=flag"), &["-e", "E=flag"]),
            item(Some("env-file"), Some("E"), &["--env-file=E"]),
            item(Some("tty"), None, &["-it"]),
        ];
        let files = texts(&[
            ("L", "\u{feff}a=file\n  b=x \n# c=no\n\nd\n"),
            ("E", "E=file\nF=  5  \nG=x=y\n"),
        ]);
        assert_eq!(
            convert(&items, &files, None).unwrap(),
            [
                "--label", "a=file", "--label", "b=x ", "--label", "d=", "--env", "E=file",
                "--env", "F=  5  ", "--env", "G=x=y", "-l", "a=inline", "-e", "E=flag", "-it",
            ]
        );
    }

    #[test]
    fn bad_lines_unreadable_files_and_privileged_refusals() {
        let label = |text: &str| {
            convert(
                &[item(Some("label-file"), Some("L"), &["--label-file", "L"])],
                &texts(&[("L", text)]),
                None,
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            label("a=1\nb c=2\n"),
            "passthrough --label-file L:2: key \"b c\" contains whitespace: docker refuses it (write KEY=VALUE)"
        );
        assert!(label("=x").contains("L:1: empty key"));
        let missing = PassthroughFiles(
            [(
                "L".to_string(),
                Err("not a regular file (a FIFO): give a regular file".to_string()),
            )]
            .into(),
        );
        let e = convert(
            &[item(Some("label-file"), Some("L"), &["--label-file", "L"])],
            &missing,
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read passthrough --label-file L: not a regular file (a FIFO): give a regular file"
        );
        let env_file = [item(Some("env-file"), Some("E"), &["--env-file", "E"])];
        let bare = texts(&[("E", "A=1\nHOME\n")]);
        assert_eq!(
            convert(&env_file, &bare, None).unwrap(),
            ["--env", "A=1", "--env", "HOME"]
        );
        let e = convert(&env_file, &bare, Some("sudo"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("passthrough --env-file E:2: HOME without a value is refused with privileges (sudo)"), "{e}");
        let e = convert(
            &[item(Some("env"), Some("HOME"), &["-e", "HOME"])],
            &bare,
            Some("sudo"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("passthrough -e HOME: a bare variable is refused"),
            "{e}"
        );
        let cid = [item(
            Some("cidfile"),
            Some("/tmp/x"),
            &["--cidfile", "/tmp/x"],
        )];
        assert_eq!(convert(&cid, &bare, None).unwrap(), ["--cidfile", "/tmp/x"]);
        assert_eq!(
            convert(&cid, &bare, Some("setgid docker")).unwrap_err().to_string(),
            "passthrough --cidfile /tmp/x: refused with privileges (setgid docker): docker would write it with the engine's rights; the container ID is printed on stdout"
        );
    }
}
