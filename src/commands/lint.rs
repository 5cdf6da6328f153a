//! `ds01-build lint (IMAGE | --container C | --dockerfile F | --labels FILE)`.
//!
//! Reads one label source — an image (`image inspect` + `history`: two engine calls), a container
//! (`container inspect`), a Dockerfile's `LABEL` instructions, or a labels file — and runs
//! [`crate::lint::lint`]. Exit 0 clean (or findings below `--fail-on`), 1 findings at or above it,
//! 2 when the source cannot be read (a missing
//! file, image or container: engine failures are reported as bad input, so 1 always means findings).

use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::Context;
use crate::cli::{FailOn, Format, LintArgs};
use crate::history::HistoryRow;
use crate::labels::parse_label_file;
use crate::lint::{dockerfile_labels, lint, Finding, Input, Severity};
use crate::operand::{check_operand, Operand};
use crate::output::{emit, emit_json};
use crate::queries::{inspect_objects, read_image, Inspection, Kind};

pub fn run(ctx: &Context, args: LintArgs) -> Result<i32> {
    // Only an image source has a history; `input` borrows it.
    let history: Vec<HistoryRow>;
    let (source, file, input) = if let Some(image) = &args.image {
        check_operand(Operand::Image, image)?;
        let (inspected, rows) = read_image(&ctx.engine, image).map_err(LintSourceError)?;
        history = rows;
        let input = Input {
            labels: inspected.labels,
            complete: true,
            image: true,
            history: Some(&history),
            ..Input::default()
        };
        (format!("image {image}"), None, input)
    } else if let Some(container) = &args.container {
        check_operand(Operand::Container, container)?;
        let inspected = inspect_objects(
            &ctx.engine,
            Kind::Container,
            std::slice::from_ref(container),
        )
        .and_then(Inspection::into_one)
        .with_context(|| {
            format!(
                "cannot inspect container {}",
                crate::messages::quoted(container)
            )
        })
        .map_err(LintSourceError)?;
        let input = Input {
            labels: inspected.labels,
            complete: true,
            ..Input::default()
        };
        (format!("container {container}"), None, input)
    } else if let Some(path) = &args.dockerfile {
        let text = read(path)?;
        let parsed = dockerfile_labels(&text);
        let input = Input {
            labels: parsed.labels,
            lines: parsed.lines,
            substituted: parsed.substituted,
            complete: false,
            image: false,
            history: None,
            schema_version_not_last: parsed.schema_version_not_last,
        };
        let name = path.display().to_string();
        (format!("dockerfile {name}"), Some(name), input)
    } else if let Some(path) = &args.labels {
        let text = read(path)?;
        let labels =
            parse_label_file(&text).with_context(|| format!("labels file {}", path.display()))?;
        let input = Input {
            labels,
            complete: true,
            ..Input::default()
        };
        (format!("labels {}", path.display()), None, input)
    } else {
        unreachable!("clap requires one source")
    };
    let findings = lint(&input);
    match args.format {
        Format::Json => {
            let report = Report {
                source: &source,
                labels: input.labels.len(),
                findings: &findings,
            };
            emit_json(&report)?;
        }
        Format::Text => emit(text(&findings, file.as_deref(), input.labels.len()))?,
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::None => None,
    };
    let fails = threshold.is_some_and(|t| findings.iter().any(|f| f.level >= t));
    Ok(if fails { 1 } else { 0 })
}

/// A label source `lint` cannot read: a missing image or container. Its exit code is 2 even when an
/// engine failed (see [`super::error_exit_code`]): for `lint`, 1 means findings. Displays as the error
/// it wraps, whose causes follow in the chain.
#[derive(Debug)]
pub struct LintSourceError(pub anyhow::Error);

impl std::fmt::Display for LintSourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for LintSourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[derive(Serialize)]
struct Report<'a> {
    source: &'a str,
    labels: usize,
    findings: &'a [Finding],
}

/// One line per finding, then a summary line.
fn text(findings: &[Finding], file: Option<&str>, labels: usize) -> String {
    let mut out: String = findings
        .iter()
        .map(|f| format!("{}\n", f.render(file)))
        .collect();
    let s = |n: usize| if n == 1 { "" } else { "s" };
    if findings.is_empty() {
        out.push_str(&format!("clean: {labels} label{} checked\n", s(labels)));
    } else {
        out.push_str(&format!(
            "{} finding{} in {labels} label{}\n",
            findings.len(),
            s(findings.len()),
            s(labels)
        ));
    }
    out
}

fn read(path: &Path) -> Result<String> {
    crate::caller_file::read_to_string(path)
        .with_context(|| format!("cannot read {}", path.display()))
}
