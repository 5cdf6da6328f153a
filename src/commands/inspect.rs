//! `ds01-build inspect`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::InspectArgs;

pub fn run(_ctx: &Context, _args: InspectArgs) -> Result<i32> {
    bail!("`inspect` is not implemented yet")
}
