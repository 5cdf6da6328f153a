//! `ds01-build audit`.

use anyhow::{bail, Result};

use super::Context;
use crate::cli::AuditArgs;

pub fn run(_ctx: &Context, _args: AuditArgs) -> Result<i32> {
    bail!("`audit` is not implemented yet")
}
