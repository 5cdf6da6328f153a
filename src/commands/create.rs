//! `ds01-build create`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::CreateArgs;

pub fn run(_ctx: &Context, _args: CreateArgs) -> Result<i32> {
    bail!("`create` is not implemented yet")
}
