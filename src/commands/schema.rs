//! `ds01-build schema`: print the `ds01.*` label schema (Markdown, or JSON for tools).

use anyhow::Result;

use super::Context;
use crate::cli::{SchemaArgs, SchemaFormat};
use crate::output::{emit, emit_json};
use crate::schema;

pub fn run(_ctx: &Context, args: SchemaArgs) -> Result<i32> {
    match args.format {
        SchemaFormat::Markdown => emit(schema::markdown())?,
        SchemaFormat::Json => emit_json(&schema::to_json())?,
    }
    Ok(0)
}
