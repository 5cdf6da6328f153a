//! `ds01-build build`: resolve the profile into a plan, then print it (`--dry-run`) or run it.

use anyhow::{Context as _, Result};
use serde_json::json;

use super::Context;
use crate::build_plan::{self, BuildPlan, Request};
use crate::cli::{BuildArgs, Format};
use crate::labels;
use crate::output::{emit, emit_json};

pub fn run(ctx: &Context, args: BuildArgs) -> Result<i32> {
    let iid = IidFile::new(args.dry_run)?;
    let request = Request {
        profile: args.profile,
        image: args.image,
        dockerfile: args.dockerfile,
        tag: args.tag,
        tag_file: args.tag_file,
        created: args.created,
        revision: args.revision,
        labels: args.labels,
        label_mode: args.label_mode.into(),
        passthrough: args.passthrough,
        source_date_epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        cwd: std::env::current_dir().context("cannot read the current directory")?,
        iidfile: iid.path.clone(),
    };
    // Read the local offset before any thread exists (the `time` crate requires it).
    let now = crate::timestamp::now_local();
    let inputs = build_plan::resolve(&request, now)?;
    for warning in &inputs.warnings {
        eprintln!("ds01-build: warning: {warning}");
    }
    let plan = build_plan::plan(&inputs, &ctx.engine)?;

    if args.dry_run {
        match args.format {
            Format::Text => emit(build_plan::render_command(&plan))?,
            Format::Json => emit_json(&plan_json(&plan, None))?,
        }
        return Ok(0);
    }

    plan.command.run_streaming()?;
    let id = build_plan::read_iidfile(&iid.path).with_context(|| {
        format!(
            "the engine reported success but wrote no image ID to {}",
            iid.path.display()
        )
    })?;

    match args.format {
        Format::Text => emit(render_result(&id, &plan))?,
        Format::Json => emit_json(&plan_json(&plan, Some(&id)))?,
    }
    Ok(0)
}

/// Where the engine writes the image ID. A real build uses a file inside a fresh private directory
/// (mode 0700, removed afterwards), so nobody else can plant a link at that path. A dry run only
/// shows a path: an unpredictable name in the temp directory that does not exist yet.
struct IidFile {
    path: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl IidFile {
    fn new(dry_run: bool) -> Result<Self> {
        if dry_run {
            let reserved = tempfile::Builder::new()
                .prefix("ds01-build-")
                .suffix(".iid")
                .tempfile()
                .context("cannot create a temporary file")?;
            let path = reserved.path().to_path_buf();
            // Dropping the handle deletes the file: only its fresh name is used.
            drop(reserved);
            return Ok(IidFile { path, _dir: None });
        }
        let dir = tempfile::Builder::new()
            .prefix("ds01-build-")
            .tempdir()
            .context("cannot create a temporary directory for --iidfile")?;
        Ok(IidFile {
            path: dir.path().join("image.iid"),
            _dir: Some(dir),
        })
    }
}

fn plan_json(plan: &BuildPlan, id: Option<&str>) -> serde_json::Value {
    let mut value = json!({
        "argv": plan.command.argv,
        "labels": plan.labels,
        "tags": plan.tags,
        "dockerfile_tail": plan.dockerfile_tail,
    });
    if let Some(id) = id {
        value["id"] = json!(id);
    }
    value
}

/// The image ID alone on the first line, then the tags, a blank line, and `key=value` per label
/// (control characters inside values shown escaped).
fn render_result(id: &str, plan: &BuildPlan) -> String {
    let mut out = format!("{id}\n");
    for tag in &plan.tags {
        out.push_str(&format!("{tag}\n"));
    }
    out.push('\n');
    for (key, value) in &plan.labels {
        out.push_str(&format!("{key}={}\n", labels::one_line(value)));
    }
    out
}
