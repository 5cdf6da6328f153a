//! `ds01-build man [SUBCOMMAND]`: a man page (roff), generated from the clap definition by
//! clap_mangen: ds01-build's own page, or a subcommand's (`ds01-build-build(1)`).

use anyhow::{bail, Result};
use clap::CommandFactory;

use super::Context;
use crate::cli::{Cli, ManArgs};
use crate::output::emit;

pub fn run(_ctx: &Context, args: ManArgs) -> Result<i32> {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match &args.subcommand {
        None => cmd,
        Some(name) => {
            let names: Vec<&str> = cmd
                .get_subcommands()
                .map(|s| s.get_name())
                .filter(|n| *n != "help")
                .collect();
            let Some(sub) = cmd
                .find_subcommand(name)
                .filter(|_| names.contains(&name.as_str()))
            else {
                bail!(
                    "man: no subcommand {}: valid are {}",
                    crate::messages::quoted(name),
                    names.join(", ")
                );
            };
            let full = format!("ds01-build-{name}");
            sub.clone()
                .display_name(full)
                .bin_name(format!("ds01-build {name}"))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    emit(String::from_utf8_lossy(&roff))?;
    Ok(0)
}
