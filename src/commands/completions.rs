//! `ds01-build completions SHELL`: a completion script generated from the clap definition.

use anyhow::Result;
use clap::CommandFactory;

use super::Context;
use crate::cli::{Cli, CompletionsArgs};
use crate::output::emit;

pub fn run(_ctx: &Context, args: CompletionsArgs) -> Result<i32> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ds01-build", &mut script);
    emit(String::from_utf8_lossy(&script))?;
    Ok(0)
}
