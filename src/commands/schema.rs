//! `ds01-build schema`: print the `ds01.*` label schema (Markdown, or JSON for tools).

use anyhow::Result;

use super::Context;
use crate::cli::{SchemaArgs, SchemaFormat};
use crate::container_schema;
use crate::output::{emit, emit_json};

pub fn run(_ctx: &Context, args: SchemaArgs) -> Result<i32> {
    match args.format {
        SchemaFormat::Markdown => emit(container_schema::markdown())?,
        SchemaFormat::Json => emit_json(&container_schema::to_json())?,
    }
    Ok(0)
}
