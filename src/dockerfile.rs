//! Dockerfile syntax, both ways: the `# escape=` directive, quoting values and writing one `LABEL`
//! instruction (the build plan's tail), and reading text back — logical instructions (continuations,
//! comments, heredocs), stages, and `LABEL` word splitting with quotes and escapes as Docker's
//! parser does. `lint --dockerfile` and the history parser read with it; the build plan writes with it.

use crate::labels::Labels;

/// A UTF-8 byte order mark, which Docker's parser strips from the first line (once).
const BOM: char = '\u{feff}';

/// The text without one leading byte order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// A parser directive Docker refuses (the build would fail on it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveError {
    #[error(
        "line {line}: invalid escape token {}: the escape parser directive takes ` or \\",
        crate::messages::quoted(.value)
    )]
    BadEscape { line: usize, value: String },
    #[error("line {line}: only one {name} parser directive can be used")]
    Repeated { line: usize, name: String },
}

/// The parser directives Docker's (20.10, BuildKit 0.8) Dockerfile parser knows.
const DIRECTIVES: [&str; 2] = ["escape", "syntax"];

/// `# name = value` as Docker's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` reads it (leading
/// whitespace already trimmed): the name, lower-cased, and the value.
fn directive(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let name_len = rest
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_alphabetic() || (*i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        return None;
    }
    let (name, rest) = rest.split_at(name_len);
    let value = rest.trim_start().strip_prefix('=')?.trim();
    (!value.is_empty()).then(|| (name.to_ascii_lowercase(), value))
}

/// The escape character a Dockerfile uses: `\`, or what its `# escape=` parser directive says,
/// read as Docker reads directives: one byte order mark is stripped, leading whitespace is ignored,
/// and the first line that is not a known directive (a comment, a blank line, an instruction, an
/// unknown `# name=value`) ends them. A repeated directive or an escape other than `` ` `` / `\` is
/// an error, as it is for Docker.
pub fn directives(text: &str) -> Result<char, DirectiveError> {
    let mut escape = None;
    let mut seen = Vec::new();
    for (i, line) in strip_bom(text).lines().enumerate() {
        let Some((name, value)) = directive(line.trim_start()) else {
            break;
        };
        if !DIRECTIVES.contains(&name.as_str()) {
            break;
        }
        if seen.contains(&name) {
            return Err(DirectiveError::Repeated { line: i + 1, name });
        }
        if name == "escape" {
            escape = Some(match value {
                "`" => '`',
                "\\" => '\\',
                _ => {
                    return Err(DirectiveError::BadEscape {
                        line: i + 1,
                        value: value.to_string(),
                    })
                }
            });
        }
        seen.push(name);
    }
    Ok(escape.unwrap_or('\\'))
}

/// [`directives`]' escape character, `\` for a file whose directives Docker would refuse.
pub fn escape_char(text: &str) -> char {
    directives(text).unwrap_or('\\')
}

/// The last line (from 1) of `text` that is neither blank nor a comment, when it ends in the escape
/// character (trailing blanks ignored): a line continuation, so that whatever is appended becomes
/// part of that instruction (Docker skips blank and comment lines inside a continuation). An
/// escaped escape character at the end (`\\`) counts too: podman reads it as a continuation.
pub fn trailing_continuation(text: &str, escape: char) -> Option<usize> {
    let lines: Vec<&str> = strip_bom(text).lines().collect();
    let (i, line) = lines.iter().enumerate().rev().find(|(_, l)| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })?;
    line.trim_end_matches([' ', '\t', '\r'])
        .ends_with(escape)
        .then_some(i + 1)
}

/// Whether a value can be written inside a Dockerfile double-quoted string (no line breaks).
pub fn writable(value: &str) -> bool {
    !value.contains(['\n', '\r'])
}

/// Quote `text` for a Dockerfile double-quoted string: `"`, `$` and the escape character are escaped.
/// `None` when the text holds a line break, which no Dockerfile string can carry.
pub fn quote(text: &str, escape: char) -> Option<String> {
    if !writable(text) {
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

/// Values longer than this go through a build argument: a Dockerfile line must stay under 64 KiB
/// (podman silently stops reading at a longer one).
pub const MAX_INLINE_VALUE: usize = 16 * 1024;

/// The appended tail: `ARG` lines and ONE `LABEL` instruction, plus the build arguments it reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelTail {
    /// Dockerfile text: `ARG NAME` lines, then the `LABEL` (empty when there are no labels).
    pub text: String,
    /// `--build-arg NAME=VALUE` pairs for the values the tail reads from `ARG`s.
    pub build_args: Vec<(String, String)>,
}

/// The build argument that carries `value` for `key`: `DS01_L_` + 16 hex digits of
/// SHA-256(key's length as 8 bytes, key, value): length-prefixed, so no two (key, value) pairs hash
/// the same text (a separator byte could also occur in the key). The name changes with the value,
/// so the Dockerfile text does too, and podman's layer cache (which does not look at
/// build-argument values) cannot return a stale label.
pub fn value_arg_name(key: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update((key.len() as u64).to_le_bytes());
    hash.update(key.as_bytes());
    hash.update(value.as_bytes());
    let digest = hash.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("DS01_L_{hex}")
}

/// One `LABEL` instruction holding every label, keys in byte order, one `"key"="value"` pair per
/// line joined with the Dockerfile's line continuation. A value no Dockerfile string can hold (a
/// line break) or a very long one is read from a build argument: `ARG NAME` before the `LABEL`,
/// `"key"="${NAME}"` in it, and `--build-arg NAME=VALUE` (substituted text is not expanded again,
/// so the value arrives byte-exact on docker, BuildKit and podman).
pub fn label_tail(labels: &Labels, escape: char) -> LabelTail {
    let mut pairs = Vec::new();
    let mut build_args: Vec<(String, String)> = Vec::new();
    for (key, value) in labels {
        let quoted_key = quote(key, escape).unwrap_or_else(|| format!("\"{key}\""));
        let quoted_value = quote(value, escape).filter(|v| v.len() <= MAX_INLINE_VALUE);
        let quoted_value = quoted_value.unwrap_or_else(|| {
            let name = value_arg_name(key, value);
            let reference = format!("\"${{{name}}}\"");
            build_args.push((name, value.clone()));
            reference
        });
        pairs.push(format!("{quoted_key}={quoted_value}"));
    }
    if pairs.is_empty() {
        return LabelTail::default();
    }
    build_args.sort();
    build_args.dedup();
    let mut text: String = build_args
        .iter()
        .map(|(name, _)| format!("ARG {name}\n"))
        .collect();
    let separator = format!(" {escape}\n      ");
    text.push_str(&format!("LABEL {}\n", pairs.join(&separator)));
    LabelTail { text, build_args }
}

/// One `key=value` of a `LABEL` instruction, quotes and escapes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPair {
    pub key: String,
    pub value: String,
    /// The key or value holds an unescaped `$NAME` / `${...}`: the builder substitutes it, so the
    /// text here is not what the image gets.
    pub substituted: bool,
}

/// Parse the arguments of a Dockerfile `LABEL` instruction (continuations already joined) as
/// Docker does: whitespace-separated words (quotes keep spaces), each split at its first `=`, then
/// quotes and `escape` removed. The old form `LABEL key value words` (first word without `=`) gives
/// one pair. Words without `=` after the first are malformed and skipped.
pub fn label_words(args: &str, escape: char) -> Vec<LabelPair> {
    let words = split_words(args, escape);
    let Some(first) = words.first() else {
        return Vec::new();
    };
    if !first.contains('=') {
        let (key, key_sub) = unquote(first, escape);
        let rest = args.trim_start()[first.len()..].trim();
        let (value, value_sub) = unquote(rest, escape);
        return vec![LabelPair {
            key,
            value,
            substituted: key_sub || value_sub,
        }];
    }
    words
        .iter()
        .filter_map(|word| word.split_once('='))
        .map(|(k, v)| {
            let (key, key_sub) = unquote(k, escape);
            let (value, value_sub) = unquote(v, escape);
            LabelPair {
                key,
                value,
                substituted: key_sub || value_sub,
            }
        })
        .collect()
}

/// Docker's `parseWords`: split at unquoted whitespace, keeping quotes and escapes in the words.
fn split_words(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                in_word = true;
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                word.push(c);
                if c == escape {
                    if let Some(next) = chars.next() {
                        word.push(next);
                    }
                }
            }
            Some(q) => {
                word.push(c);
                if c == q {
                    quote = None;
                } else if c == escape && q != '\'' {
                    if let Some(next) = chars.next() {
                        word.push(next);
                    }
                }
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Remove quotes and escapes from one word as Docker's shell lexer does; also tell whether it holds
/// a variable reference the builder would substitute (kept literally here).
pub fn unquote(word: &str, escape: char) -> (String, bool) {
    let mut out = String::with_capacity(word.len());
    let mut substituted = false;
    let mut chars = word.chars().peekable();
    let is_var_start =
        |c: Option<&char>| c.is_some_and(|c| *c == '{' || *c == '_' || c.is_ascii_alphanumeric());
    while let Some(c) = chars.next() {
        if c == escape {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else if c == '\'' {
            for inner in chars.by_ref() {
                if inner == '\'' {
                    break;
                }
                out.push(inner);
            }
        } else if c == '"' {
            while let Some(inner) = chars.next() {
                if inner == '"' {
                    break;
                }
                if inner == escape {
                    match chars.peek() {
                        Some(&n) if n == '"' || n == '$' || n == escape => {
                            out.push(n);
                            chars.next();
                        }
                        Some(_) => out.push(inner),
                        None => {}
                    }
                    continue;
                }
                if inner == '$' && is_var_start(chars.peek()) {
                    substituted = true;
                }
                out.push(inner);
            }
        } else {
            if c == '$' && is_var_start(chars.peek()) {
                substituted = true;
            }
            out.push(c);
        }
    }
    (out, substituted)
}

/// `(key, value, substituted)` of each pair, for tests.
#[cfg(test)]
pub(crate) fn triples(pairs: &[LabelPair]) -> Vec<(&str, &str, bool)> {
    pairs
        .iter()
        .map(|p| (p.key.as_str(), p.value.as_str(), p.substituted))
        .collect()
}

/// One logical instruction: continuation lines joined, its keyword as written and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The line (from 1) the instruction starts on.
    pub line: usize,
    pub keyword: String,
    /// The text after the keyword, leading whitespace trimmed.
    pub args: String,
}

impl Instruction {
    fn parse(text: &str, line: usize) -> Instruction {
        let text = text.trim();
        let (keyword, args) = text
            .split_once(char::is_whitespace)
            .map_or((text, ""), |(k, r)| (k, r.trim_start()));
        Instruction {
            line,
            keyword: keyword.to_string(),
            args: args.to_string(),
        }
    }

    /// Whether the keyword is `keyword` (instructions are case-insensitive).
    pub fn is(&self, keyword: &str) -> bool {
        self.keyword.eq_ignore_ascii_case(keyword)
    }

    /// The `key=value` pairs of a `LABEL` instruction; empty for any other.
    pub fn labels(&self, escape: char) -> Vec<LabelPair> {
        if self.is("LABEL") {
            label_words(&self.args, escape)
        } else {
            Vec::new()
        }
    }
}

/// The logical instructions of a Dockerfile, in order. Line continuations (the `escape` character
/// at the end of a line) are joined; comment and blank lines are skipped, also inside a
/// continuation (Docker drops them there too); heredoc bodies of `RUN`, `COPY` and `ADD` are skipped.
pub fn instructions(text: &str, escape: char) -> Vec<Instruction> {
    let text = strip_bom(text);
    let mut out: Vec<Instruction> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let mut heredoc: Option<(String, bool)> = None;
    for (i, raw) in text.lines().enumerate() {
        if let Some((end, dash)) = &heredoc {
            let line = if *dash {
                raw.trim_start_matches('\t')
            } else {
                raw
            };
            if line == end {
                heredoc = None;
            }
            continue;
        }
        let trimmed = raw.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let (start, mut logical) = pending.take().unwrap_or((i + 1, String::new()));
        // Docker's continuation is the escape character then only spaces and tabs (`\\[ \t]*$`),
        // as [`trailing_continuation`] reads it; other trailing whitespace does not continue a line.
        let body = raw.trim_end_matches([' ', '\t', '\r']);
        if let Some(cut) = body.strip_suffix(escape) {
            logical.push_str(cut);
            pending = Some((start, logical));
            continue;
        }
        logical.push_str(body);
        let instruction = Instruction::parse(&logical, start);
        if ["RUN", "COPY", "ADD"].iter().any(|k| instruction.is(k)) {
            heredoc = heredoc_start(&instruction.args);
        }
        out.push(instruction);
    }
    if let Some((start, logical)) = pending {
        out.push(Instruction::parse(&logical, start));
    }
    out
}

/// The terminator of the first heredoc (`<<EOF`, `<<-EOF`, `<<"EOF"`) in `args`, and whether
/// leading tabs are stripped (`<<-`).
fn heredoc_start(args: &str) -> Option<(String, bool)> {
    let at = args.find("<<")?;
    let rest = &args[at + 2..];
    let (dash, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let word: String = rest
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some((word, dash))
}

/// A build stage: `FROM base [AS name]` and the instructions after it. Instructions before any
/// `FROM` form a stage with no name and an empty base.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stage {
    pub name: Option<String>,
    pub base: String,
    pub instructions: Vec<Instruction>,
}

/// Group instructions into stages at each `FROM` (its `--flag`s skipped).
pub fn stages(instructions: Vec<Instruction>) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions {
        if instruction.is("FROM") {
            let words: Vec<&str> = instruction
                .args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => None,
            };
            stages.push(Stage {
                name,
                base: words.first().map_or_else(String::new, |w| w.to_string()),
                instructions: Vec::new(),
            });
            continue;
        }
        if stages.is_empty() {
            stages.push(Stage::default());
        }
        stages
            .last_mut()
            .expect("pushed above")
            .instructions
            .push(instruction);
    }
    stages
}

/// Stage `index` and the earlier stages it is built FROM (by `AS` name, case-insensitively),
/// the farthest ancestor first.
pub fn ancestry(stages: &[Stage], index: usize) -> Vec<&Stage> {
    let stage = &stages[index];
    let parent = stages[..index].iter().rposition(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&stage.base))
    });
    let mut chain = parent.map_or_else(Vec::new, |p| ancestry(stages, p));
    chain.push(stage);
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::from_pairs;

    #[test]
    fn escape_directive() {
        assert_eq!(escape_char("FROM scratch\n"), '\\');
        assert_eq!(escape_char("# escape=`\nFROM scratch\n"), '`');
        assert_eq!(escape_char("#ESCAPE = `\nFROM scratch\n"), '`');
        assert_eq!(
            escape_char("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n"),
            '`'
        );
        // A directive after a comment or blank line is only a comment.
        assert_eq!(escape_char("# hello\n# escape=`\n"), '\\');
        assert_eq!(escape_char("\n# escape=`\n"), '\\');
        assert_eq!(escape_char("FROM x\n# escape=`\n"), '\\');
    }

    #[test]
    fn quoting_escapes_dollar_quote_and_escape_char() {
        assert_eq!(
            quote(r#"$HOME ${X} "q" \b"#, '\\').unwrap(),
            r#""\$HOME \${X} \"q\" \\b""#
        );
        assert_eq!(
            quote(r#"$HOME "q" \b `t"#, '`').unwrap(),
            r#""`$HOME `"q`" \b ``t""#
        );
        assert_eq!(quote("", '\\').unwrap(), r#""""#);
        assert_eq!(quote("ünï €", '\\').unwrap(), "\"ünï €\"");
        assert_eq!(quote("a\nb", '\\'), None);
        assert_eq!(quote("a\rb", '\\'), None);
    }

    #[test]
    fn tail_is_sorted_and_reads_line_breaks_from_build_args() {
        let labels = from_pairs(&[("b", "2"), ("a", "1")]);
        let tail = label_tail(&labels, '\\');
        assert_eq!(tail.text, "LABEL \"a\"=\"1\" \\\n      \"b\"=\"2\"\n");
        assert!(tail.build_args.is_empty());

        let labels = from_pairs(&[("a", "1"), ("c", "x\ny"), ("d", "$HOME\r\t")]);
        let tail = label_tail(&labels, '\\');
        let c = value_arg_name("c", "x\ny");
        let d = value_arg_name("d", "$HOME\r\t");
        let mut args = [
            (c.clone(), "x\ny".to_string()),
            (d.clone(), "$HOME\r\t".to_string()),
        ];
        args.sort();
        assert_eq!(tail.build_args, args);
        assert_eq!(
            tail.text,
            format!(
                "ARG {}\nARG {}\nLABEL \"a\"=\"1\" \\\n      \"c\"=\"${{{c}}}\" \\\n      \"d\"=\"${{{d}}}\"\n",
                args[0].0, args[1].0
            )
        );
        // The name follows the value, so a changed value changes the Dockerfile text.
        assert_ne!(value_arg_name("c", "x\ny"), value_arg_name("c", "x\nz"));
        assert_ne!(value_arg_name("c", "x\ny"), value_arg_name("cx", "\ny"));
        // Found by the dockerfile_escape fuzz target: with a NUL separator, a key ending in NUL and
        // a value starting with one hashed the same text, so two labels shared one build argument.
        assert_ne!(
            value_arg_name("k", "\0\0v\r"),
            value_arg_name("k\0\0", "v\r")
        );
        let labels = crate::labels::from_pairs(&[("k", "\0\0v\r"), ("k\0\0", "v\r")]);
        let tail = label_tail(&labels, '\\');
        assert_eq!(tail.build_args.len(), 2);
        assert_ne!(tail.build_args[0].0, tail.build_args[1].0);
        assert!(c.starts_with("DS01_L_") && c.len() == 7 + 16, "{c}");

        let long = "v".repeat(MAX_INLINE_VALUE + 1);
        let tail = label_tail(&from_pairs(&[("l", long.as_str())]), '\\');
        assert_eq!(tail.build_args.len(), 1);
        assert!(tail.text.len() < 200);
        assert_eq!(label_tail(&Labels::new(), '\\'), LabelTail::default());
    }

    #[test]
    fn directives_as_docker_reads_them() {
        let tick = |t: &str| directives(t).unwrap();
        assert_eq!(tick("\u{feff}# escape=`\nFROM x\n"), '`');
        assert_eq!(tick("  # escape=`\n"), '`');
        assert_eq!(tick("#   escape   =   `   \n"), '`');
        assert_eq!(tick("# escape=`\r\nFROM x\r\n"), '`');
        // A non-directive comment or an unknown directive ends the directives.
        assert_eq!(tick("# 1x=y\n# escape=`\n"), '\\');
        assert_eq!(tick("# foo=bar\n# escape=`\n"), '\\');
        assert_eq!(tick("#!/shebang\n# escape=`\n"), '\\');
        assert_eq!(tick("# check=skip=all\n# escape=`\n"), '\\');
        // Two byte order marks: the second is part of the line, which then is no directive.
        assert_eq!(tick("\u{feff}\u{feff}# escape=`\n"), '\\');
        assert_eq!(
            directives("# escape=``\n"),
            Err(DirectiveError::BadEscape {
                line: 1,
                value: "``".into()
            })
        );
        assert!(directives("# escape=` # trailing\n").is_err());
        assert!(directives("# escape=x\n").is_err());
        assert_eq!(
            directives("# escape=`\n# ESCAPE=\\\n"),
            Err(DirectiveError::Repeated {
                line: 2,
                name: "escape".into()
            })
        );
    }

    #[test]
    fn trailing_continuation_is_found() {
        assert_eq!(
            trailing_continuation("FROM x\nCMD echo hi \\\n", '\\'),
            Some(2)
        );
        assert_eq!(
            trailing_continuation("FROM x\nCMD echo hi \\  \n\n", '\\'),
            Some(2)
        );
        assert_eq!(
            trailing_continuation("FROM x\nCMD a \\\n# c\n\n", '\\'),
            Some(2)
        );
        assert_eq!(trailing_continuation("FROM x\nCMD a \\", '\\'), Some(2));
        assert_eq!(trailing_continuation("FROM x\nCMD a \\\\\n", '\\'), Some(2));
        assert_eq!(trailing_continuation("FROM x\nCMD a `\n", '`'), Some(2));
        assert_eq!(trailing_continuation("FROM x\nCMD a \\\n", '`'), None);
        assert_eq!(
            trailing_continuation("FROM x\nCMD a\n# ends \\\n", '\\'),
            None
        );
        assert_eq!(trailing_continuation("", '\\'), None);
    }
    #[test]
    fn words_and_escapes() {
        let pairs = label_words(r#""a b"="c d" e='f g' h=i\ j k=$V l="${W}x" m=\$n"#, '\\');
        let got = triples(&pairs);
        assert_eq!(
            got,
            [
                ("a b", "c d", false),
                ("e", "f g", false),
                ("h", "i j", false),
                ("k", "$V", true),
                ("l", "${W}x", true),
                ("m", "$n", false),
            ]
        );
        let tick = label_words(r#"a="x `" y" b=`$c"#, '`');
        assert_eq!(tick[0].value, "x \" y");
        assert_eq!(tick[1].value, "$c");
        assert!(!tick[1].substituted);
        assert!(label_words("", '\\').is_empty());
    }

    fn instructions_of(text: &str) -> Vec<(usize, String, String)> {
        instructions(text, escape_char(text))
            .into_iter()
            .map(|i| (i.line, i.keyword, i.args))
            .collect()
    }

    #[test]
    fn instructions_join_continuations_and_skip_comments_and_heredocs() {
        let text = "# escape=`\nFROM scratch AS a\nRUN <<-EOF x\n\tLABEL no=1\n\tEOF\nlabel a=1 `\n  # inside\n\n  b=2\nCOPY <<\"END\" /x\nEND\nENV x `";
        let s = |v: &str| v.to_string();
        assert_eq!(
            instructions_of(text),
            [
                (2, s("FROM"), s("scratch AS a")),
                (3, s("RUN"), s("<<-EOF x")),
                (6, s("label"), s("a=1   b=2")),
                (10, s("COPY"), s("<<\"END\" /x")),
                (12, s("ENV"), s("x")),
            ]
        );
        assert!(instructions_of("").is_empty());
    }

    /// Found by the dockerfile_escape fuzz target: a line ending in the escape character and then a
    /// vertical tab (or another non-space, non-tab whitespace) is no continuation for Docker (nor for
    /// [`trailing_continuation`]), but the reader joined it with the next line, the appended LABEL.
    #[test]
    fn only_spaces_and_tabs_may_follow_a_continuation() {
        for end in ["\u{b}", "\u{c}", "\u{a0}", "\u{2003}"] {
            let text = format!("RUN x \\{end}\nLABEL a=1\n");
            assert_eq!(trailing_continuation(&format!("RUN x \\{end}"), '\\'), None);
            let read = instructions(&text, '\\');
            assert_eq!(read.len(), 2, "{end:?}: {read:?}");
            assert!(read[1].is("LABEL"));
        }
        let read = instructions("RUN x \\ \t\r\nLABEL a=1\n", '\\');
        assert_eq!(read.len(), 1, "{read:?}");
    }

    #[test]
    fn stages_and_ancestry() {
        let text = "LABEL pre=1\nFROM --platform=x scratch AS Base\nLABEL a=1\nFROM other\nFROM base as app\nLABEL b=2\n";
        let stages = stages(instructions(text, '\\'));
        let names: Vec<(Option<&str>, &str, usize)> = stages
            .iter()
            .map(|s| (s.name.as_deref(), s.base.as_str(), s.instructions.len()))
            .collect();
        assert_eq!(
            names,
            [
                (None, "", 1),
                (Some("Base"), "scratch", 1),
                (None, "other", 0),
                (Some("app"), "base", 1)
            ]
        );
        let chain: Vec<&str> = ancestry(&stages, 3)
            .iter()
            .map(|s| s.base.as_str())
            .collect();
        assert_eq!(chain, ["scratch", "base"]);
        assert_eq!(ancestry(&stages, 2).len(), 1);
        assert_eq!(stages[3].instructions[0].labels('\\')[0].key, "b");
        assert!(stages[0].instructions[0].is("label"));
    }

    /// Values that need quoting or escaping, and every character the quoting treats specially.
    fn awkward() -> Labels {
        from_pairs(&[
            ("plain", "v"),
            ("empty", ""),
            ("spaces in key", "a b=c  d"),
            ("quotes", r#"say "hi" 'there'"#),
            ("dollar", "$HOME ${X} $"),
            ("backslash", r"C:\dir\ end\"),
            ("backtick", "`tick` ``"),
            ("unicode", "ünï € 🐳"),
            ("com.example.tab", "a\tb"),
        ])
    }

    /// Write → parse → the same values, for both escape characters.
    #[test]
    fn label_instruction_round_trips() {
        for escape in ['\\', '`'] {
            let labels = awkward();
            let tail = label_tail(&labels, escape);
            assert!(tail.build_args.is_empty());
            let instruction = tail.text;
            let directive = if escape == '`' { "# escape=`\n" } else { "" };
            let text = format!("{directive}FROM scratch\n{instruction}");
            assert_eq!(escape_char(&text), escape);
            let stages = stages(instructions(&text, escape));
            let pairs = stages[0].instructions[0].labels(escape);
            let read: Labels = pairs
                .iter()
                .map(|p| (p.key.clone(), p.value.clone()))
                .collect();
            assert_eq!(read, labels, "escape {escape}");
            assert!(pairs.iter().all(|p| !p.substituted), "escape {escape}");
        }
    }

    #[test]
    fn quote_then_unquote_is_identity() {
        for escape in ['\\', '`'] {
            for value in awkward().values() {
                let quoted = quote(value, escape).unwrap();
                assert_eq!(unquote(&quoted, escape), (value.clone(), false), "{quoted}");
            }
        }
    }
}
