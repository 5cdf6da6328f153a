//! Operands that name an engine object or a user (`owner C`, `inspect T`, `lineage IMAGE`, `ps --user
//! U`, ...): checked before any engine call. An operand is passed to the engine as its own argv
//! element, so what matters is that the engine cannot read it as something else: empty, whitespace or
//! control characters, and a leading `-` (which `owner -- -f` would otherwise hand over as a flag).

use thiserror::Error;

/// What an operand names; it decides how messages describe the operand and what would be valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// A container name or ID.
    Container,
    /// An image name, reference or ID.
    Image,
    /// A container or image name or ID (`inspect`).
    Target,
    /// A login name (`ps --user`).
    User,
}

impl Operand {
    /// How a message names the operand.
    pub fn as_str(self) -> &'static str {
        match self {
            Operand::Container => "container",
            Operand::Image => "image",
            Operand::Target => "target",
            Operand::User => "--user",
        }
    }

    /// What a valid operand is.
    pub fn expected(self) -> &'static str {
        match self {
            Operand::Container => "a container name or ID",
            Operand::Image => "an image name, reference or ID (e.g. jefferys/ubu-lts:latest)",
            Operand::Target => "a container or image name or ID",
            Operand::User => "a login name",
        }
    }
}

/// Why an operand was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Empty,
    Whitespace,
    LeadingDash,
}

impl Fault {
    fn describe(self) -> &'static str {
        match self {
            Fault::Empty => "is empty",
            Fault::Whitespace => "contains whitespace or a control character",
            Fault::LeadingDash => "starts with '-' (the engine would read it as an option)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{} {} {}: expected {}: not empty, no whitespace, not starting with '-'", .what.as_str(), crate::messages::quoted(.value), .fault.describe(), .what.expected())]
pub struct OperandError {
    pub what: Operand,
    pub value: String,
    pub fault: Fault,
}

/// Refuse an operand the engine would not take as one name: empty, with whitespace or control
/// characters, or starting with `-`.
pub fn check_operand(what: Operand, value: &str) -> Result<(), OperandError> {
    let fault = if value.is_empty() {
        Fault::Empty
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Fault::Whitespace
    } else if value.starts_with('-') {
        Fault::LeadingDash
    } else {
        return Ok(());
    };
    Err(OperandError {
        what,
        value: value.to_string(),
        fault,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(what: Operand, value: &str) -> Option<Fault> {
        check_operand(what, value).err().map(|e| e.fault)
    }

    #[test]
    fn names_and_ids_pass() {
        for ok in [
            "box._.1000",
            "30c1390b96d7",
            "sha256:30c1390b96d7",
            "/box",
            "localhost:5000/a/b:1@sha256:00",
            "jefferys/ubu-lts:latest",
            "a-b",
        ] {
            assert_eq!(check_operand(Operand::Image, ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn empty_whitespace_and_flags_are_refused() {
        assert_eq!(fault(Operand::Container, ""), Some(Fault::Empty));
        assert_eq!(fault(Operand::Container, "a b"), Some(Fault::Whitespace));
        assert_eq!(fault(Operand::Container, "a\nb"), Some(Fault::Whitespace));
        assert_eq!(fault(Operand::Container, "a\u{7}"), Some(Fault::Whitespace));
        assert_eq!(fault(Operand::Container, " a"), Some(Fault::Whitespace));
        assert_eq!(fault(Operand::Container, "-f"), Some(Fault::LeadingDash));
        assert_eq!(fault(Operand::Target, "--help"), Some(Fault::LeadingDash));
        assert_eq!(fault(Operand::User, "-x"), Some(Fault::LeadingDash));
    }

    #[test]
    fn messages_are_one_line_naming_what_value_and_rule() {
        let e = check_operand(Operand::Container, "-f")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "container \"-f\" starts with '-' (the engine would read it as an option): expected a \
             container name or ID: not empty, no whitespace, not starting with '-'"
        );
        let e = check_operand(Operand::User, "a\nb")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--user \"a\\nb\" contains whitespace or a control character: expected a login name: \
             not empty, no whitespace, not starting with '-'"
        );
        let e = check_operand(Operand::Image, "").unwrap_err().to_string();
        assert!(
            e.starts_with("image \"\" is empty: expected an image name"),
            "{e}"
        );
    }
}
