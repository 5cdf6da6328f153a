//! `ds01-build build`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::BuildArgs;

pub fn run(_ctx: &Context, _args: BuildArgs) -> Result<i32> {
    bail!("`build` is not implemented yet")
}
