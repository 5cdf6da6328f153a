//! `ds01-build completions SHELL`: a completion script generated from the clap definition.

use anyhow::Result;
use clap::CommandFactory;

use super::Context;
use crate::cli::{Cli, CompletionsArgs};

pub fn run(_ctx: &Context, args: CompletionsArgs) -> Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "ds01-build", &mut std::io::stdout());
    Ok(0)
}
