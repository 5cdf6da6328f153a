//! The placeholder template language of profile values: `{owner}`, `{name}`, `{tag}`,
//! `{content_version}` and `{source_version}`, with `{{` and `}}` for literal braces. Profiles are
//! checked with [`check_template`] when loaded; the build plan fills them in with [`expand`].

use thiserror::Error;

/// The placeholders a leaf or extra-label value may use, as `{name}`.
pub const PLACEHOLDERS: [&str; 5] = ["owner", "name", "tag", "content_version", "source_version"];

/// Values substituted for the placeholders by [`expand`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    pub owner: String,
    pub name: String,
    pub tag: String,
    pub content_version: String,
    pub source_version: String,
}

impl Placeholders {
    /// The value of placeholder `name` (one of [`PLACEHOLDERS`]).
    pub fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "owner" => &self.owner,
            "name" => &self.name,
            "tag" => &self.tag,
            "content_version" => &self.content_version,
            "source_version" => &self.source_version,
            _ => return None,
        })
    }
}

/// What is wrong with a template value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}}: valid are {list} (write {{{{ and }}}} for literal braces)", list = placeholder_list())]
    Unknown(String),
    #[error("'{{' is not closed: valid placeholders are {list} (write {{{{ for a literal '{{')", list = placeholder_list())]
    Unclosed,
    #[error("'}}' has no matching '{{': write }}}} for a literal '}}' (valid placeholders are {list})", list = placeholder_list())]
    UnmatchedClose,
}

fn placeholder_list() -> String {
    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
}

/// A piece of a template.
#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Literal(&'a str),
    /// `{name}`; the name may be unknown.
    Placeholder(&'a str),
    /// Text that is not a valid template, kept as written by [`expand`].
    Bad(TemplateError, &'a str),
}

/// Split a template into tokens with their byte offsets. `{{` and `}}` are literal braces.
fn tokens(template: &str) -> Vec<(usize, Token<'_>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < template.len() {
        let rest = &template[i..];
        if rest.starts_with("{{") {
            out.push((i, Token::Literal("{")));
            i += 2;
        } else if rest.starts_with("}}") {
            out.push((i, Token::Literal("}")));
            i += 2;
        } else if let Some(after) = rest.strip_prefix('{') {
            match after.find(['{', '}']) {
                Some(j) if after.as_bytes()[j] == b'}' => {
                    out.push((i, Token::Placeholder(&after[..j])));
                    i += j + 2;
                }
                _ => {
                    out.push((i, Token::Bad(TemplateError::Unclosed, "{")));
                    i += 1;
                }
            }
        } else if rest.starts_with('}') {
            out.push((i, Token::Bad(TemplateError::UnmatchedClose, "}")));
            i += 1;
        } else {
            let n = rest.find(['{', '}']).unwrap_or(rest.len());
            out.push((i, Token::Literal(&rest[..n])));
            i += n;
        }
    }
    out
}

/// Check a template: the byte offset and problem of its first error.
pub fn check_template(template: &str) -> Result<(), (usize, TemplateError)> {
    for (i, token) in tokens(template) {
        match token {
            Token::Literal(_) => {}
            Token::Placeholder(name) if PLACEHOLDERS.contains(&name) => {}
            Token::Placeholder(name) => return Err((i, TemplateError::Unknown(name.to_string()))),
            Token::Bad(e, _) => return Err((i, e)),
        }
    }
    Ok(())
}

/// Substitute placeholders in a template checked at load. Anything invalid is kept as written.
pub fn expand(template: &str, vars: &Placeholders) -> String {
    let mut out = String::with_capacity(template.len());
    for (_, token) in tokens(template) {
        match token {
            Token::Literal(s) | Token::Bad(_, s) => out.push_str(s),
            Token::Placeholder(name) => match vars.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_accept_known_placeholders_and_doubled_braces() {
        assert_eq!(check_template(""), Ok(()));
        assert_eq!(check_template("plain"), Ok(()));
        assert_eq!(
            check_template("{owner}/{name}:{tag} {content_version}-{source_version}"),
            Ok(())
        );
        assert_eq!(check_template("{{name}} {{ }}"), Ok(()));
    }

    #[test]
    fn templates_report_the_first_problem_and_its_offset() {
        assert_eq!(
            check_template("ab {nme}"),
            Err((3, TemplateError::Unknown("nme".into())))
        );
        assert_eq!(
            check_template("{}"),
            Err((0, TemplateError::Unknown(String::new())))
        );
        assert_eq!(check_template("x {name"), Err((2, TemplateError::Unclosed)));
        assert_eq!(
            check_template("{a{name}"),
            Err((0, TemplateError::Unclosed))
        );
        assert_eq!(
            check_template("{name} }"),
            Err((7, TemplateError::UnmatchedClose))
        );
        let msg = TemplateError::Unknown("nme".into()).to_string();
        assert_eq!(
            msg,
            "unknown placeholder {nme}: valid are {owner}, {name}, {tag}, {content_version}, \
             {source_version} (write {{ and }} for literal braces)"
        );
    }

    #[test]
    fn expand_substitutes_and_keeps_literal_braces() {
        let vars = Placeholders {
            owner: "jefferys".into(),
            name: "ubu-lts".into(),
            tag: "20.04.01-0.0.1".into(),
            content_version: "20.04.01".into(),
            source_version: "0.0.1".into(),
        };
        assert_eq!(
            expand("https://hub.docker.com/r/{owner}/{name}", &vars),
            "https://hub.docker.com/r/jefferys/ubu-lts"
        );
        assert_eq!(
            expand("{tag}={content_version}+{source_version}", &vars),
            "20.04.01-0.0.1=20.04.01+0.0.1"
        );
        assert_eq!(expand("{{name}} ${HOME} é", &vars), "{name} ${HOME} é");
        // Not reachable after load, but never lost: invalid text stays as written.
        assert_eq!(expand("{x} {name", &vars), "{x} {name");
        assert_eq!(expand("}", &vars), "}");
    }
}
