//! `ds01-build lineage IMAGE`: the image's chain of heritable-labelled images.
//!
//! Two engine calls, run at the same time: `image inspect IMAGE` (labels, ID) and `history
//! --no-trunc --format '{{json .CreatedBy}}' IMAGE`; the rest is [`crate::lineage::reconstruct`]. Exit 0 whenever the
//! report is printed (conformance and problems are in the report; `lint IMAGE` judges them).

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{emit, emit_json, inspect_objects, Context, Inspection, Kind};
use crate::cli::{Format, LineageArgs};
use crate::history::{history_args, parse_history, HistoryRow};
use crate::inspect::Inspected;
use crate::lineage::{reconstruct, Lineage};
use crate::operand::{check_operand, Operand};

pub fn run(ctx: &Context, args: LineageArgs) -> Result<i32> {
    check_operand(Operand::Image, &args.image)?;
    let (image, history) = read_image(ctx, &args.image)?;
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

/// One `image inspect` and one `history` of `image`, run at the same time (the history call is
/// the slow one: the daemon reads every row's image config). Both name the image as given; an
/// image ID names one image for sure, a tag moved by a concurrent build between the two calls
/// could mix two images (rerun).
pub(super) fn read_image(ctx: &Context, image: &str) -> Result<(Inspected, Vec<HistoryRow>)> {
    let history = ctx.engine.command(history_args(image));
    let names = [image.to_string()];
    let (inspected, text) = std::thread::scope(|scope| {
        let text = scope.spawn(|| history.output());
        let inspected = inspect_objects(ctx, Kind::Image, &names).and_then(Inspection::into_one);
        (
            inspected,
            text.join().expect("the history thread does not panic"),
        )
    });
    let inspected = inspected.with_context(|| format!("cannot inspect image {image:?}"))?;
    let text = text.with_context(|| format!("cannot read the history of image {image:?}"))?;
    let history = parse_history(&text)?;
    Ok((inspected, history))
}
