//! Subcommands: dispatch and exit codes. Each subcommand module turns its parsed flags into a plan or
//! asks the engine queries ([`crate::queries`]), and prints the result through [`crate::output`]. A
//! command returns the process exit code; errors are mapped by [`error_exit_code`]. No subcommand
//! module uses another one.

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::engine::{Engine, EngineError};
use crate::output::StdoutClosed;

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
