//! Dockerfile syntax, both ways: the `# escape=` directive, quoting values and writing one `LABEL`
//! instruction (the build plan's tail), and reading text back — logical instructions (continuations,
//! comments, heredocs), stages, and `LABEL` word splitting with quotes and escapes as Docker's
//! parser does. `lint --dockerfile` and the history parser read with it; the build plan writes with it.

use crate::labels::Labels;

/// The escape character a Dockerfile uses: `\`, or what its `# escape=` parser directive says.
///
/// Parser directives are only read at the very top of the file; the first line that is not a
/// directive (a comment, a blank line, an instruction) ends them, as in Docker's parser.
pub fn escape_char(text: &str) -> char {
    for line in text.lines() {
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

/// One `LABEL` instruction holding every label, keys in byte order, one `"key"="value"` pair per
/// line joined with the Dockerfile's line continuation. Labels whose key or value cannot be written
/// in a Dockerfile are returned apart, for the caller to pass another way.
pub fn label_instruction(labels: &Labels, escape: char) -> (String, Labels) {
    let mut pairs = Vec::new();
    let mut unwritable = Labels::new();
    for (key, value) in labels {
        match (quote(key, escape), quote(value, escape)) {
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
        let body = raw.trim_end();
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
    fn instruction_is_sorted_and_separates_unwritable() {
        let labels = from_pairs(&[("b", "2"), ("a", "1"), ("c", "x\ny")]);
        let (text, rest) = label_instruction(&labels, '\\');
        assert_eq!(text, "LABEL \"a\"=\"1\" \\\n      \"b\"=\"2\"\n");
        assert_eq!(rest.len(), 1);
        assert_eq!(rest["c"], "x\ny");
        let (empty, _) = label_instruction(&Labels::new(), '\\');
        assert_eq!(empty, "");
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
            let (instruction, unwritable) = label_instruction(&labels, escape);
            assert!(unwritable.is_empty());
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
