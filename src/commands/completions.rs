//! `ds01-build completions SHELL`: the shell's registration script for clap_complete's dynamic
//! completion. The shell calls `ds01-build` back (with `COMPLETE=SHELL` set, see `main.rs`) for every
//! completion, so subcommands, options and profile names come from the binary itself.

use anyhow::Result;
use clap_complete::env::EnvCompleter;
use clap_complete::Shell;

use super::Context;
use crate::cli::CompletionsArgs;
use crate::output::emit;

/// The environment variable the registration scripts set when they call the binary back.
pub const COMPLETE_VAR: &str = "COMPLETE";

pub fn run(_ctx: &Context, args: CompletionsArgs) -> Result<i32> {
    let completer: &dyn EnvCompleter = match args.shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        Shell::PowerShell => &clap_complete::env::Powershell,
        _ => anyhow::bail!("completions: unsupported shell {}", args.shell),
    };
    let mut script = Vec::new();
    completer.write_registration(
        COMPLETE_VAR,
        "ds01-build",
        "ds01-build",
        "ds01-build",
        &mut script,
    )?;
    emit(String::from_utf8_lossy(&script))?;
    Ok(0)
}
