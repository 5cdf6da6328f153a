//! `ds01-build schema`: print the `ds01.*` label schema (Markdown, or JSON for tools).

use anyhow::Result;

use super::Context;
use crate::cli::{SchemaArgs, SchemaFormat};
use crate::schema;

pub fn run(_ctx: &Context, args: SchemaArgs) -> Result<i32> {
    match args.format {
        SchemaFormat::Markdown => print!("{}", schema::markdown()),
        SchemaFormat::Json => println!("{}", serde_json::to_string_pretty(&schema::to_json())?),
    }
    Ok(0)
}
