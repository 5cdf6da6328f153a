//! `ds01-build lineage`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::LineageArgs;

pub fn run(_ctx: &Context, _args: LineageArgs) -> Result<i32> {
    bail!("`lineage` is not implemented yet")
}
