//! Subcommands: dispatch and exit codes. Each subcommand module turns its parsed flags into a plan or
//! asks the engine queries ([`crate::queries`]), and prints the result through [`crate::output`]. A
//! command returns the process exit code; errors are mapped by [`error_exit_code`]. No subcommand
//! module uses another one.

use anyhow::{bail, Result};

use crate::cli::{Cli, Command};
use crate::config::{self, Loaded};
use crate::engine::{Engine, EngineError, ENGINE_ENV};
use crate::identity::{self, Privilege};
use crate::output::StdoutClosed;

mod audit;
mod build;
mod completions;
mod create;
mod inspect;
mod lineage;
mod lint;
mod man;
mod owner;
mod ps;
mod schema;

/// What every command gets besides its own flags. `--verbose` lives in the engine, which traces
/// the commands it runs.
pub struct Context {
    pub engine: Engine,
    /// Who invokes ds01-build, and with which privileges.
    pub privilege: Privilege,
    /// The operator's configuration, if there is one.
    pub config: Option<Loaded>,
    /// Several `--context` values (`ps`, `audit`): each context's engine, queried together.
    pub fleet: Vec<(String, Engine)>,
}

/// Exit code of a fleet query some of whose engines did not answer (the others' rows are printed):
/// the code of one engine that does not answer.
pub const PARTIAL: i32 = crate::engine::UNREACHABLE;

impl Context {
    /// Decide the privilege from the process ids (before anything else reads the environment or a
    /// file), then the configuration and the engine (see [`config::choose_engine`]).
    fn new(cli: &Cli) -> Result<Context> {
        let privilege = identity::privilege()?;
        crate::caller_file::install(&privilege);
        let env_config = std::env::var(config::CONFIG_ENV).ok();
        let path = config::config_path(privilege.elevated(), env_config.as_deref());
        let config = config::load(&path)?;
        let env_engine = std::env::var(ENGINE_ENV).ok();
        let flag = cli.engine_flag();
        let explicit = match (flag, &env_engine) {
            (Some(flag), _) => Some(("--engine", flag.as_str())),
            (None, Some(env)) => Some((ENGINE_ENV, env.as_str())),
            (None, None) => None,
        };
        let engine = config::choose_engine(&config::EngineRequest {
            explicit,
            privilege: &privilege,
            config: config.as_ref(),
            verbose: cli.verbose,
        })
        .map_err(anyhow::Error::msg)?;
        let contexts = cli.contexts();
        if !contexts.is_empty() && privilege.elevated() {
            bail!(
                "--context is not available with privileges ({}): the engine is the operator's",
                privilege.describe()
            );
        }
        if let Some(bad) = contexts.iter().find(|c| !valid_context_name(c)) {
            bail!("--context {}: a context name is letters, digits, `.`, `_` and `-`, starting with a letter or digit", crate::messages::quoted(bad));
        }
        let fleet_allowed = matches!(cli.command, Command::Ps(_) | Command::Audit(_));
        if contexts.len() > 1 && !fleet_allowed {
            bail!(
                "--context is given {} times: only ps and audit query several engines",
                contexts.len()
            );
        }
        let fleet = if contexts.len() > 1 {
            contexts
                .iter()
                .map(|c| (c.clone(), engine.clone().with_context(Some(c.clone()))))
                .collect()
        } else {
            Vec::new()
        };
        let engine = engine.with_context(contexts.first().cloned());
        Ok(Context {
            engine,
            privilege,
            config,
            fleet,
        })
    }
}

pub fn run(cli: Cli) -> Result<i32> {
    let ctx = Context::new(&cli)?;
    if matches!(cli.command, Command::Build(_)) && ctx.privilege.elevated() {
        bail!(
            "build is not available with privileges ({}): run it as yourself (its context, Dockerfile, secrets and outputs would be read and written with the engine's rights)",
            ctx.privilege.describe()
        );
    }
    let result = match cli.command {
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
        Command::Man(args) => man::run(&ctx, args),
    };
    result.map_err(|err| diagnosed(&ctx, err))
}

/// An engine failure after which the engine does not answer either becomes that one line
/// ([`EngineError::Unreachable`], exit [`PARTIAL`]'s 3), whatever the subcommand: the daemon being
/// down is the cause to report, not the command that met it.
fn diagnosed(ctx: &Context, err: anyhow::Error) -> anyhow::Error {
    let unreachable = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<EngineError>())
        .and_then(|failed| ctx.engine.unreachable_after(failed));
    match unreachable {
        Some(unreachable) => unreachable.into(),
        None => err,
    }
}

/// docker's rule for context names (`^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`, one character allowed here too).
fn valid_context_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b))
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
    if let Some(interrupted) = err.chain().find_map(|c| c.downcast_ref::<Interrupted>()) {
        return interrupted.code;
    }
    err.chain()
        .find_map(|cause| cause.downcast_ref::<EngineError>())
        .map_or(2, EngineError::exit_code)
}

/// A command stopped by a signal: what happened, and the exit code (128 + the signal).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Interrupted {
    pub code: i32,
    pub message: String,
}

/// Whether the command stopped only because its reader closed stdout.
pub fn is_stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<StdoutClosed>())
}

#[cfg(test)]
mod tests {
    use super::valid_context_name;

    #[test]
    fn context_names_follow_dockers_rule() {
        for good in ["default", "far", "gpu-01.lab", "a", "x_y+z"] {
            assert!(valid_context_name(good), "{good}");
        }
        for bad in ["", "-x", ".x", "a b", "a/b", "$(id)"] {
            assert!(!valid_context_name(bad), "{bad}");
        }
    }
}
