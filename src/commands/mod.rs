//! Subcommands: each turns its parsed flags into a plan, runs it through the engine layer and prints
//! the result. A command returns the process exit code; errors are mapped by [`error_exit_code`].

use anyhow::{anyhow, Result};

use crate::cli::{Cli, Command};
use crate::containers;
use crate::engine::{Engine, EngineError};
use crate::inspect::{parse_inspect, Inspected};

mod audit;
mod build;
mod completions;
mod create;
mod inspect;
mod lineage;
mod lint;
mod owner;
mod ps;
mod schema;

/// What every command gets besides its own flags. `--verbose` lives in the engine, which traces
/// the commands it runs.
pub struct Context {
    pub engine: Engine,
}

pub fn run(cli: Cli) -> Result<i32> {
    let ctx = Context {
        engine: Engine::detect(cli.engine.as_deref(), cli.verbose),
    };
    match cli.command {
        Command::Build(args) => build::run(&ctx, args),
        Command::Create(args) => create::run(&ctx, *args),
        Command::Schema(args) => schema::run(&ctx, args),
        Command::Lineage(args) => lineage::run(&ctx, args),
        Command::Owner(args) => owner::run(&ctx, args),
        Command::Ps(args) => ps::run(&ctx, args),
        Command::Audit(args) => audit::run(&ctx, args),
        Command::Inspect(args) => inspect::run(&ctx, args),
        Command::Lint(args) => lint::run(&ctx, args),
        Command::Completions(args) => completions::run(&ctx, args),
    }
}

/// What an `inspect` looks up; each kind has its own argv form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `inspect --type container NAME...`.
    Container,
    /// `image inspect NAME...`.
    Image,
    /// `inspect NAME...`: containers first, then images, as the engine resolves names.
    Any,
}

impl Kind {
    fn argv(self) -> &'static [&'static str] {
        match self {
            Kind::Container => &["inspect", "--type", "container"],
            Kind::Image => &["image", "inspect"],
            Kind::Any => &["inspect"],
        }
    }
}

/// What one `inspect` of some names found.
#[derive(Debug)]
pub(crate) struct Inspection {
    /// The objects found, in the engine's order.
    pub objects: Vec<Inspected>,
    /// The names no object answers to, in order (see [`containers::unmatched`]).
    pub missing: Vec<String>,
    /// The engine's own failure when some name was missing (its message and exit code).
    failure: Option<EngineError>,
    /// The command, shell-quoted.
    command: String,
}

impl Inspection {
    /// The one object asked for, or the engine's own error when it does not exist.
    pub fn into_one(self) -> Result<Inspected> {
        match (self.objects.into_iter().next(), self.failure) {
            (Some(object), _) => Ok(object),
            (None, Some(failure)) => Err(failure.into()),
            (None, None) => Err(anyhow!("`{}` printed no object", self.command)),
        }
    }
}

/// ONE `inspect` of `names` (names or IDs). docker (exit 1, `No such ...`) and podman (exit 125,
/// `no such ...`, `image not known`) print the objects they found and fail for the rest: that failure
/// ([`Engine::is_missing_object_error`]) gives the missing names; any other failure is the engine's
/// error.
pub(crate) fn inspect_objects(ctx: &Context, kind: Kind, names: &[String]) -> Result<Inspection> {
    let mut argv: Vec<String> = kind.argv().iter().map(|a| a.to_string()).collect();
    argv.extend(names.iter().cloned());
    let cmd = ctx.engine.command(argv);
    let captured = cmd.capture()?;
    let parsed = parse_inspect(&captured.stdout);
    if captured.code == 0 {
        let objects = parsed
            .map_err(|e| anyhow!("`{}` printed no inspect JSON array: {e}", cmd.display()))?;
        return Ok(Inspection {
            objects,
            missing: Vec::new(),
            failure: None,
            command: cmd.display(),
        });
    }
    match parsed {
        Ok(objects) if ctx.engine.is_missing_object_error(&captured.stderr) => {
            let missing: Vec<String> = containers::unmatched(names, &objects)
                .into_iter()
                .map(str::to_string)
                .collect();
            if missing.is_empty() {
                Err(cmd.failure(captured).into())
            } else {
                Ok(Inspection {
                    objects,
                    missing,
                    command: cmd.display(),
                    failure: Some(cmd.failure(captured)),
                })
            }
        }
        _ => Err(cmd.failure(captured).into()),
    }
}

/// Rows as an aligned text table: every column but the last padded to its widest cell (in
/// characters), columns joined by two spaces, one line per row.
pub(crate) fn aligned(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let n = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push('\n');
    }
    out
}

/// Stdout was closed by its reader (e.g. `ds01-build ps | head -1`): not a failure.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct StdoutClosed;

/// Write `text` to stdout as it is. A closed pipe becomes [`StdoutClosed`], which the binary turns
/// into a quiet exit 0 instead of a panic.
pub fn emit(text: impl AsRef<str>) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out
        .write_all(text.as_ref().as_bytes())
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        other => Ok(other?),
    }
}

/// Write `value` to stdout as pretty JSON and a newline.
pub fn emit_json(value: &impl serde::Serialize) -> Result<()> {
    emit(serde_json::to_string_pretty(value)? + "\n")
}

/// Exit code for a failed command: an engine's own code passes through (except under `lint`'s
/// [`lint::LintSourceError`]); anything else is bad input or an unusable environment, exit 2.
pub fn error_exit_code(err: &anyhow::Error) -> i32 {
    if is_stdout_closed(err) {
        return 0;
    }
    if err.chain().any(|cause| cause.is::<lint::LintSourceError>()) {
        return 2;
    }
    err.chain()
        .find_map(|cause| cause.downcast_ref::<EngineError>())
        .map_or(2, EngineError::exit_code)
}

/// Whether the command stopped only because its reader closed stdout.
pub fn is_stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<StdoutClosed>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_pads_all_but_the_last_column() {
        let rows: Vec<Vec<String>> = [["A", "BB", "C"], ["ccc", "é", "long last"]]
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(aligned(&rows), "A    BB  C\nccc  é   long last\n");
        assert_eq!(aligned(&[]), "");
    }
}
