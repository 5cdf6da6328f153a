//! `ds01-build lint`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::LintArgs;

pub fn run(_ctx: &Context, _args: LintArgs) -> Result<i32> {
    bail!("`lint` is not implemented yet")
}
