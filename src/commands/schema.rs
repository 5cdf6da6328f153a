//! `ds01-build schema`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::SchemaArgs;

pub fn run(_ctx: &Context, _args: SchemaArgs) -> Result<i32> {
    bail!("`schema` is not implemented yet")
}
