//! Tables of docker CLI options (name, short letter, whether it takes a value, and what ds01-build
//! does about it), the one mechanism both passthrough readers use: `build`'s check of `docker build`
//! arguments ([`crate::build_plan::check_passthrough`]) and `create`'s scanner of `docker create`
//! arguments ([`crate::create_options::scan`]).

/// One docker option. `A` says what the reader does when it meets the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DockerOption<A: 'static> {
    /// The long name, without `--`.
    pub long: &'static str,
    pub short: Option<char>,
    /// Whether it takes a value (`--opt VALUE`, `--opt=VALUE`, `-oVALUE`).
    pub takes_value: bool,
    pub action: A,
}

/// An option that takes a value.
pub const fn value<A>(long: &'static str, short: Option<char>, action: A) -> DockerOption<A> {
    DockerOption {
        long,
        short,
        takes_value: true,
        action,
    }
}

/// An option without a value (a boolean flag).
pub const fn flag<A>(long: &'static str, short: Option<char>, action: A) -> DockerOption<A> {
    DockerOption {
        long,
        short,
        takes_value: false,
        action,
    }
}

/// The options a reader knows, looked up by long name or short letter.
#[derive(Debug, Clone, Copy)]
pub struct OptionTable<A: 'static>(pub &'static [DockerOption<A>]);

impl<A> OptionTable<A> {
    /// The option `--name` (without the dashes), if known.
    pub fn long(&self, name: &str) -> Option<&'static DockerOption<A>> {
        self.0.iter().find(|o| o.long == name)
    }

    /// The option `-letter`, if known.
    pub fn short(&self, letter: char) -> Option<&'static DockerOption<A>> {
        self.0.iter().find(|o| o.short == Some(letter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: OptionTable<u8> =
        OptionTable(&[value("file", Some('f'), 1), flag("quiet", Some('q'), 2)]);

    #[test]
    fn lookups() {
        assert_eq!(
            TABLE.long("file").map(|o| (o.short, o.takes_value)),
            Some((Some('f'), true))
        );
        assert_eq!(
            TABLE.short('q').map(|o| (o.long, o.action)),
            Some(("quiet", 2))
        );
        assert!(TABLE.long("f").is_none());
        assert!(TABLE.short('x').is_none());
    }
}
