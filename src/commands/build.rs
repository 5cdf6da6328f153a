//! `ds01-build build`: resolve the profile into a plan, then print it (`--dry-run`) or run it.

use anyhow::{Context as _, Result};
use serde_json::json;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Context;
use crate::build_plan::{self, BuildPlan, PlanInputs, Request};
use crate::ci::{self, CiEnv};
use crate::cli::{BuildArgs, Format};
use crate::engine::{SignalScope, BUILDKIT_ENV};
use crate::engine_client::Client;
use crate::labels;
use crate::output::{emit, emit_json};
use crate::profile_lookup::Places;
use crate::queries;

pub fn run(ctx: &Context, args: BuildArgs) -> Result<i32> {
    // From before the temporary directory exists until it is removed: a signal is sent on to the
    // engine, and the command then ends normally (removing the directory), 128 + the signal.
    // A dry run starts no engine and makes no directory: it keeps the default actions (and saves
    // the watcher thread, a third of its start-up).
    let signals = match args.dry_run {
        true => SignalScope::idle(),
        false => SignalScope::catch(),
    };
    let iid = IidFile::new(args.dry_run)?;
    // Checked first (an existing file opened for appending, else its directory writable; nothing
    // is created or written yet), so an unwritable file fails before anything is read or built.
    let github_output = match args.dry_run {
        true => None,
        false => open_github_output()?,
    };
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let request = Request {
        profile: args.profile,
        image: args.image,
        dockerfile: args.dockerfile,
        tag: args.tag,
        tag_file: args.tag_file,
        created: args.created,
        revision: args.revision,
        labels: args.labels,
        annotations: args.annotations,
        label_mode: args.label_mode.into(),
        passthrough: args.passthrough,
        source_date_epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        profile_places: Places::from_env(args.profiles.as_deref(), &cwd),
        ci: CiEnv::from_env(),
        cwd,
        iidfile: iid.path.clone(),
    };
    // Read the local offset before any thread exists (the `time` crate requires it).
    let now = crate::timestamp::now_local();
    let mut inputs = build_plan::resolve(&request, now)?;
    // Values no command line can carry are refused before the engine is asked anything.
    build_plan::check_arguments(&inputs)?;
    let buildkit_env = std::env::var(BUILDKIT_ENV).ok();
    let builder = ctx.engine.detect_builder(buildkit_env.as_deref())?;
    if ctx.engine.verbose() {
        crate::say!(
            "ds01-build: builder: {} ({})",
            builder.builder.name(),
            builder.reason
        );
    }
    if !builder.annotations && !inputs.profile.annotations.is_empty() {
        inputs.warnings.push(format!(
            "the {} builder has no manifest annotations: the [annotations] of {} are left out",
            builder.builder.name(),
            inputs.profile.path.display()
        ));
    }
    // The parent's digest, when a base profile names a local image (a dry run asks too, so that
    // it shows the labels the build writes).
    if inputs.profile.oci {
        if let Some(base) = &inputs.base_name {
            inputs.base_digest = queries::image_digest(&ctx.engine, base);
        }
    }
    for warning in &inputs.warnings {
        crate::say!(
            "ds01-build: warning: {}",
            crate::output::escape_message(warning)
        );
    }
    let plan = build_plan::plan(&inputs, &ctx.engine, &builder)?;
    // A dry run shows only a command that can run.
    plan.command.check()?;

    if args.dry_run {
        match args.format {
            Format::Text => emit(build_plan::render_command(&plan))?,
            Format::Json => emit_json(&plan_json(&plan, None))?,
        }
        return Ok(0);
    }

    // Where the engine is reachable through the API, a daemon that does not answer is one line
    // before the build starts (not the builder's own output, then that line).
    let silent = Client::for_engine(&ctx.engine).is_some_and(|client| !client.answers());
    if let Some(unreachable) = silent.then(|| ctx.engine.unreachable()).flatten() {
        return Err(unreachable.into());
    }
    plan.command.run_streaming_in(&signals)?;
    let id = build_plan::read_iidfile(&iid.path).with_context(|| {
        format!(
            "the engine reported success but wrote no image ID to {}",
            iid.path.display()
        )
    })?;
    if args.push {
        for push in build_plan::push_commands(&plan, &ctx.engine) {
            push.run_streaming_in(&signals)
                .with_context(|| format!("built {id}, but pushing failed"))?;
        }
    }
    if let Some((path, file)) = github_output {
        write_github_outputs(&path, file, &id, &plan, &inputs)?;
    }

    match args.format {
        Format::Text => emit(render_result(&id, &plan))?,
        Format::Json => emit_json(&plan_json(&plan, Some(&id)))?,
    }
    Ok(0)
}

/// The file GitHub Actions reads step outputs from.
const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";

/// `$GITHUB_OUTPUT`, when it is set: opened for appending when it exists (nothing written), else
/// `None` once its directory is found writable (the file is created only when the build is done,
/// so a refused build leaves none).
fn open_github_output() -> Result<Option<(PathBuf, Option<std::fs::File>)>> {
    let Some(path) = std::env::var_os(GITHUB_OUTPUT).filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    let cannot = || format!("cannot open {GITHUB_OUTPUT} file {}", path.display());
    match std::fs::OpenOptions::new().append(true).open(&path) {
        Ok(file) => Ok(Some((path, Some(file)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK)
                .map_err(std::io::Error::from)
                .with_context(cannot)?;
            Ok(Some((path, None)))
        }
        Err(e) => Err(e).with_context(cannot),
    }
}

fn write_github_outputs(
    path: &Path,
    out: Option<std::fs::File>,
    id: &str,
    plan: &BuildPlan,
    inputs: &PlanInputs,
) -> Result<()> {
    let text = ci::github_outputs(&ci::BuildOutputs {
        image_id: id,
        tags: &plan.tags,
        labels: &plan.labels,
        version: &inputs.tag.full,
        revision: inputs.revision.as_deref(),
    });
    let cannot = || format!("cannot write {GITHUB_OUTPUT} file {}", path.display());
    let mut out = match out {
        Some(file) => file,
        None => std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .with_context(cannot)?,
    };
    out.write_all(text.as_bytes()).with_context(cannot)
}

/// Where the engine writes the image ID. A real build uses a file inside a fresh private directory
/// (mode 0700, removed afterwards), so nobody else can plant a link at that path. A dry run only
/// shows a path, the same every time so that its output is reproducible:
/// `<temp dir>/ds01-build-dry-run.iid`.
struct IidFile {
    path: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl IidFile {
    fn new(dry_run: bool) -> Result<Self> {
        if dry_run {
            let path = std::env::temp_dir().join("ds01-build-dry-run.iid");
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
        "annotations": plan.annotations,
        "builder": plan.builder.name(),
        "env": plan.command.env.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
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
        out.push_str(&format!("{}\n", crate::output::escape(tag)));
    }
    out.push('\n');
    for (key, value) in &plan.labels {
        out.push_str(&format!(
            "{}={}\n",
            labels::one_line(key),
            labels::one_line(value)
        ));
    }
    out
}
