//! `ds01-build owner`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::OwnerArgs;

pub fn run(_ctx: &Context, _args: OwnerArgs) -> Result<i32> {
    bail!("`owner` is not implemented yet")
}
