//! `ds01-build lineage IMAGE`: the image's chain of heritable-labelled images.
//!
//! Two engine calls, run at the same time: `image inspect IMAGE` (labels, ID) and `history
//! --no-trunc --format '{{json .CreatedBy}}' IMAGE`; the rest is [`crate::lineage::reconstruct`]. Exit 0 whenever the
//! report is printed (conformance and problems are in the report; `lint IMAGE` judges them).

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{Format, LineageArgs};
use crate::lineage::{reconstruct, Lineage};
use crate::operand::{check_operand, Operand};
use crate::output::{emit, emit_json};
use crate::queries;

pub fn run(ctx: &Context, args: LineageArgs) -> Result<i32> {
    check_operand(Operand::Image, &args.image)?;
    let (image, history) = queries::read_image(&ctx.engine, &args.image)?;
    let lineage = reconstruct(&image.labels, &history);
    match args.format {
        Format::Json => {
            let report = Report {
                image: &args.image,
                id: &image.id,
                lineage: &lineage,
            };
            emit_json(&report)?;
        }
        Format::Text => emit(lineage.render_text(&args.image))?,
    }
    Ok(0)
}

#[derive(Serialize)]
struct Report<'a> {
    image: &'a str,
    id: &'a str,
    #[serde(flatten)]
    lineage: &'a Lineage,
}
