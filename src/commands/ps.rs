//! `ds01-build ps`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::PsArgs;

pub fn run(_ctx: &Context, _args: PsArgs) -> Result<i32> {
    bail!("`ps` is not implemented yet")
}
