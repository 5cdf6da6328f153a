//! Subcommands: each turns its parsed flags into a plan, runs it through the engine layer and prints
//! the result. A command returns the process exit code; errors are mapped by [`error_exit_code`].

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::engine::{Engine, EngineError};

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

/// What every command gets besides its own flags.
pub struct Context {
    pub engine: Engine,
    pub verbose: bool,
}

pub fn run(cli: Cli) -> Result<i32> {
    let ctx = Context {
        engine: Engine::detect(cli.engine.as_deref(), cli.verbose),
        verbose: cli.verbose,
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

/// Exit code for a failed command: an engine's own code passes through; anything else is bad input
/// or an unusable environment, exit 2.
pub fn error_exit_code(err: &anyhow::Error) -> i32 {
    if is_stdout_closed(err) {
        return 0;
    }
    err.chain()
        .find_map(|cause| cause.downcast_ref::<EngineError>())
        .map_or(2, EngineError::exit_code)
}

/// Whether the command stopped only because its reader closed stdout.
pub fn is_stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<StdoutClosed>())
}
