//! The build plan: profile + TAG + git + flags → heritable labels, tags, Dockerfile tail and the exact
//! engine command. No process is started here.
//!
//! Two steps. [`resolve`] reads the inputs (profile, TAG file, Dockerfile, git facts, environment)
//! into plain data and validates everything the user gave; [`plan`] turns that data into a
//! [`BuildPlan`] by pure computation, so the same argv is unit-tested here and e2e-tested against the
//! engine.
//!
//! Label precedence, lowest first: computed values (TAG split, git, image reference), the profile's
//! leaves and `[extra-labels]`, then `--label` flags. Keys are sorted in byte order and appear once.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::docker_options::{flag, value, OptionTable};
use crate::dockerfile;
use crate::engine::{Builder, BuilderChoice, Engine, EngineCommand, BUILDKIT_ENV};
use crate::git::GitInfo;
use crate::image_schema::{
    BASE_PREFIX, LABEL_SCHEMA_VERSION, OCI_BASE_DIGEST, OCI_BASE_NAME, OCI_FROM_LEAVES,
    OCI_PREFIX as OCI,
};
use crate::labels::{self, Labels};
use crate::profile::{self, Base, Profile};
use crate::reference::ImageRef;
use crate::tag::{self, Tag};
use crate::template::{self, Placeholders};
use crate::timestamp::{self, CommitTime, CreatedSpec};

/// How computed labels reach `docker build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelMode {
    /// Append ONE `LABEL` instruction to the Dockerfile and stream it with `-f -` (a changed value
    /// re-runs one cached step).
    #[default]
    Dockerfile,
    /// One `--label KEY=VALUE` flag per key, as the original build.sh did, except the
    /// `label-schema-version` key, which goes in a `LABEL` appended to the streamed Dockerfile: BuildKit
    /// leaves no history row for `--label`, and the image must end in a LABEL row setting that key.
    Args,
}

/// Everything a plan is computed from, already read and validated.
#[derive(Debug, Clone)]
pub struct PlanInputs {
    pub profile: Profile,
    pub image: ImageRef,
    /// The `base-prefix` value: `scratch`, `""` or the parent's prefix.
    pub base_prefix: String,
    /// The parent image's reference (`<repository>:latest`), when a base profile names it (for
    /// `org.opencontainers.image.base.name`).
    pub base_name: Option<String>,
    /// The parent image's digest when it is a local image (filled in from the engine before [`plan`];
    /// `org.opencontainers.image.base.digest`).
    pub base_digest: Option<String>,
    pub tag: Tag,
    /// The formatted `created` value.
    pub created: String,
    /// Normalised origin URL, when known.
    pub source_url: Option<String>,
    /// Source revision (HEAD commit or `--revision`), when known.
    pub revision: Option<String>,
    /// `--label KEY=VALUE` flags, in order (a later one wins).
    pub cli_labels: Vec<(String, String)>,
    /// `--annotation KEY=VALUE` flags, in order (a later one wins).
    pub cli_annotations: Vec<(String, String)>,
    /// `SOURCE_DATE_EPOCH`, when set (validated).
    pub source_date_epoch: Option<i64>,
    pub label_mode: LabelMode,
    pub dockerfile: PathBuf,
    pub dockerfile_text: String,
    pub passthrough: Vec<String>,
    /// Where the engine writes the image ID.
    pub iidfile: PathBuf,
    /// One-line warnings for the user (e.g. not in a git repository).
    pub warnings: Vec<String>,
}

/// A complete build: what will be written and the command that writes it.
#[derive(Debug, Clone)]
pub struct BuildPlan {
    pub labels: Labels,
    /// Manifest annotations passed with `--annotation` (empty when the builder has none).
    pub annotations: Labels,
    pub builder: Builder,
    pub tags: Vec<String>,
    /// The text appended to the Dockerfile (empty in `args` mode).
    pub dockerfile_tail: String,
    pub command: EngineCommand,
}

#[derive(Debug, Error)]
pub enum PlanError {
    #[error(transparent)]
    Profile(Box<profile::ProfileError>),
    #[error(transparent)]
    ProfileLookup(#[from] crate::profile_lookup::NotFound),
    #[error(transparent)]
    Tag(#[from] tag::TagError),
    #[error(transparent)]
    Created(#[from] timestamp::CreatedError),
    // Each cause is part of its message (not a `#[source]`), so that it is printed once.
    #[error("image {} ({origin}): {error}", crate::messages::quoted(.value))]
    Image {
        value: String,
        origin: String,
        error: crate::reference::RefError,
    },
    #[error("--label {}: {message}", crate::messages::quoted(.value))]
    CliLabel { value: String, message: String },
    #[error("--annotation {}: {message}", crate::messages::quoted(.value))]
    CliAnnotation { value: String, message: String },
    #[error("--annotation: the {builder} builder has no manifest annotations (podman has them, and docker with buildx): remove --annotation")]
    AnnotationsUnsupported { builder: &'static str },
    #[error("Dockerfile {path}: {error}")]
    Directive {
        path: String,
        error: dockerfile::DirectiveError,
    },
    #[error("Dockerfile {path}: line {line} ends in a line continuation ({escape}): the LABEL ds01-build appends would become part of that instruction: end the instruction on that line")]
    TrailingContinuation {
        path: String,
        line: usize,
        escape: char,
    },
    #[error("label key {} from {origin}: {error}", crate::messages::quoted(.key))]
    Key {
        key: String,
        origin: String,
        error: labels::KeyError,
    },
    #[error("{profile}: sets neither base-prefix nor base-profile: set base-prefix = \"scratch\" for FROM scratch, \"\" for a base that does not follow the schema, or base-profile = \"NAME\"")]
    NoBase { profile: String },
    #[error("Dockerfile {path}: {error}")]
    Dockerfile { path: String, error: std::io::Error },
    #[error("build context {path} is not a directory")]
    Context { path: String },
    #[error("git repository at {path}: {message}")]
    Git { path: String, message: String },
    #[error("{what} {fault}")]
    Unpassable {
        /// `label KEY = "VALUE"`, `build-args word "..."`, ...
        what: String,
        fault: crate::engine::ArgFault,
    },
    #[error("argument {} after -- would override ds01-build's own {flag}: {hint}", crate::messages::quoted(.arg))]
    Passthrough {
        arg: String,
        flag: &'static str,
        hint: &'static str,
    },
}

impl From<profile::ProfileError> for PlanError {
    fn from(err: profile::ProfileError) -> Self {
        PlanError::Profile(Box::new(err))
    }
}

/// What `resolve` needs from the command line and the environment.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub profile: String,
    pub image: Option<String>,
    pub dockerfile: Option<PathBuf>,
    pub tag: Option<String>,
    pub tag_file: Option<PathBuf>,
    pub created: Option<String>,
    pub revision: Option<String>,
    pub labels: Vec<String>,
    pub annotations: Vec<String>,
    pub label_mode: LabelMode,
    pub passthrough: Vec<String>,
    /// The `SOURCE_DATE_EPOCH` environment value, if set.
    pub source_date_epoch: Option<String>,
    pub cwd: PathBuf,
    /// Where a profile NAME is looked up.
    pub profile_places: crate::profile_lookup::Places,
    /// CI variables: the revision and source URL used when git gives none.
    pub ci: crate::ci::CiEnv,
    pub iidfile: PathBuf,
}

/// One `push TAG` per tag, in tag order, after a successful build (`build --push`).
pub fn push_commands(plan: &BuildPlan, engine: &Engine) -> Vec<EngineCommand> {
    plan.tags
        .iter()
        .map(|tag| engine.command(["push", tag.as_str()]))
        .collect()
}

/// `KEY=VALUE` flag values (`--label`, `--annotation`) as pairs; `error` names the flag in the
/// error for the first value that is not a pair.
fn parse_flag_pairs(
    args: &[String],
    error: impl Fn(String, String) -> PlanError,
) -> Result<Vec<(String, String)>, PlanError> {
    args.iter()
        .map(|arg| labels::parse_key_value(arg).map_err(|message| error(arg.clone(), message)))
        .collect()
}

/// Read and validate every input of a build. Reads files and the git repository; starts no process.
pub fn resolve(req: &Request, now: time::OffsetDateTime) -> Result<PlanInputs, PlanError> {
    // Flags first: they are cheap to check and their errors should not depend on the profile.
    let cli_labels = parse_flag_pairs(&req.labels, |value, message| PlanError::CliLabel {
        value,
        message,
    })?;
    let cli_annotations = parse_flag_pairs(&req.annotations, |value, message| {
        PlanError::CliAnnotation { value, message }
    })?;
    check_passthrough(&req.passthrough)?;
    let created_flag = req.created.as_deref().map(CreatedSpec::parse).transpose()?;
    let epoch = req
        .source_date_epoch
        .as_deref()
        .map(|v| timestamp::from_source_date_epoch(v).map(|_| v))
        .transpose()?;

    let profile_ref = if profile::is_path_like(&req.profile) {
        req.profile.clone()
    } else {
        let found = crate::profile_lookup::find(&req.profile, &req.profile_places, &req.cwd)?;
        found.to_string_lossy().into_owned()
    };
    let profile = profile::load(&profile_ref, &req.cwd)?;

    let (image_text, image_origin) = match &req.image {
        Some(image) => (image.clone(), "--image".to_string()),
        None => (profile.image.clone(), profile.path.display().to_string()),
    };
    let image = ImageRef::parse(&image_text).map_err(|error| PlanError::Image {
        value: image_text.clone(),
        origin: image_origin,
        error,
    })?;

    let (base_prefix, base_name) = match &profile.base {
        Some(Base::Prefix(prefix)) => (prefix.clone(), None),
        Some(Base::ProfileImage {
            profile: parent,
            image: parent_image,
        }) => {
            let parent_ref = ImageRef::parse(parent_image).map_err(|error| PlanError::Image {
                value: parent_image.clone(),
                origin: parent.display().to_string(),
                error,
            })?;
            (
                parent_ref.prefix(),
                Some(format!("{}:latest", parent_ref.repository())),
            )
        }
        None => {
            return Err(PlanError::NoBase {
                profile: profile.path.display().to_string(),
            })
        }
    };

    let tag = match (&req.tag, &req.tag_file) {
        (Some(text), _) => Tag::parse(text)?,
        (None, Some(file)) => tag::read_tag_file(&req.cwd.join(file))?,
        (None, None) => tag::read_tag_file(&profile.tag_file)?,
    };

    let dockerfile = match &req.dockerfile {
        Some(path) => req.cwd.join(path),
        None => profile.dockerfile.clone(),
    };
    let dockerfile_text =
        crate::caller_file::read_to_string(&dockerfile).map_err(|error| PlanError::Dockerfile {
            path: dockerfile.display().to_string(),
            error,
        })?;
    // What the appended LABEL meets: the escape character Docker will use, and no instruction
    // left open at the end of the file to swallow it.
    let escape =
        dockerfile::directives(&dockerfile_text).map_err(|error| PlanError::Directive {
            path: dockerfile.display().to_string(),
            error,
        })?;
    if let Some(line) = dockerfile::trailing_continuation(&dockerfile_text, escape) {
        return Err(PlanError::TrailingContinuation {
            path: dockerfile.display().to_string(),
            line,
            escape,
        });
    }
    if !profile.context.is_dir() {
        return Err(PlanError::Context {
            path: profile.context.display().to_string(),
        });
    }

    let mut warnings = Vec::new();
    let git = crate::git::discover(&profile.context).map_err(|e| PlanError::Git {
        path: profile.context.display().to_string(),
        message: e.to_string(),
    })?;
    // Only a web address makes a `source-home`; a local path or file:// origin says nothing
    // to a reader of the image.
    let git_source = git
        .as_ref()
        .and_then(|g| g.origin_url.clone())
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
    let git_revision = git.as_ref().and_then(|g| g.revision.clone());
    // Without usable git metadata (no repository, an unborn branch, no web origin), what the CI
    // system announces stands in.
    let ci_revision = match (&req.revision, &git_revision) {
        (None, None) => req.ci.revision(),
        _ => None,
    };
    let ci_source = match git_source {
        None => req.ci.source_url(),
        Some(_) => None,
    };
    if git.is_none() {
        let from: Vec<String> = ci_revision
            .iter()
            .map(|(var, _)| format!("source-revision from {var}"))
            .chain(
                ci_source
                    .iter()
                    .map(|(var, _)| format!("source URL from {var}")),
            )
            .collect();
        warnings.push(if from.is_empty() {
            format!(
                "{} is not in a git repository: source-revision and the git-derived source-home are left out",
                profile.context.display()
            )
        } else {
            format!(
                "{} is not in a git repository: {}",
                profile.context.display(),
                from.join(", ")
            )
        });
    }
    let commit = git.as_ref().and_then(|g: &GitInfo| {
        g.commit_time.map(|seconds| CommitTime {
            seconds,
            clean: !g.dirty,
        })
    });
    let spec = match created_flag {
        Some(spec) => spec,
        None => match &profile.created {
            Some(text) => CreatedSpec::parse(text)?,
            None => CreatedSpec::Auto,
        },
    };
    let created = timestamp::resolve(&spec, epoch, commit, now)?;

    Ok(PlanInputs {
        base_prefix,
        base_name,
        base_digest: None,
        cli_annotations,
        source_date_epoch: epoch.and_then(|v| v.trim().parse::<i64>().ok()),
        tag,
        created,
        source_url: git_source.or(ci_source.map(|(_, url)| url)),
        revision: req
            .revision
            .clone()
            .or(git_revision)
            .or(ci_revision.map(|(_, rev)| rev)),
        cli_labels,
        label_mode: req.label_mode,
        dockerfile,
        dockerfile_text,
        passthrough: req.passthrough.clone(),
        iidfile: req.iidfile.clone(),
        warnings,
        image,
        profile,
    })
}

/// What `check_passthrough` does with a `docker build` option: refuse it (naming ds01-build's own
/// flag it would override, and what to do instead), or let it pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildAction {
    Pass,
    Refuse {
        flag: &'static str,
        hint: &'static str,
    },
}

const DOCKERFILE: BuildAction = BuildAction::Refuse {
    flag: "-f/--file",
    hint: "use --dockerfile or the profile's dockerfile",
};
const IIDFILE: BuildAction = BuildAction::Refuse {
    flag: "--iidfile",
    hint: "the image ID is printed at the end",
};
const TAG: BuildAction = BuildAction::Refuse {
    flag: "-t/--tag",
    hint: "tags come from the image and TAG; add more with docker tag",
};

/// The `docker build` options `check_passthrough` knows: the three it refuses, and `-q`, docker
/// build's only boolean short flag.
pub const BUILD_OPTIONS: OptionTable<BuildAction> = OptionTable(&[
    value("file", Some('f'), DOCKERFILE),
    value("iidfile", None, IIDFILE),
    value("tag", Some('t'), TAG),
    flag("quiet", Some('q'), BuildAction::Pass),
]);

/// Refuse `docker build` flags after `--` that would silently undo the plan: another Dockerfile
/// (`-f`/`--file`: the LABEL tail would be lost), another `--iidfile` (no image ID to report) or
/// extra tags (`-t`/`--tag`: not reported, not derived from TAG). Each argument is read on its own:
/// `--opt` or `--opt=VALUE`, or a short-flag group.
pub fn check_passthrough(args: &[String]) -> Result<(), PlanError> {
    for arg in args {
        let action = match arg.strip_prefix("--") {
            Some(long) => BUILD_OPTIONS
                .long(long.split('=').next().unwrap_or(long))
                .map(|o| o.action),
            None => short_flag_hit(arg),
        };
        if let Some(BuildAction::Refuse { flag, hint }) = action {
            return Err(PlanError::Passthrough {
                arg: arg.clone(),
                flag,
                hint,
            });
        }
    }
    Ok(())
}

/// In a short-flag group like `-qt NAME` or `-fDockerfile`: booleans are skipped, the first letter
/// that takes a value ends the group (the rest is its value); that letter's action, if it is known.
fn short_flag_hit(arg: &str) -> Option<BuildAction> {
    let group = arg.strip_prefix('-').filter(|g| !g.starts_with('-'))?;
    for c in group.chars() {
        match BUILD_OPTIONS.short(c) {
            Some(o) if !o.takes_value => continue,
            Some(o) => return Some(o.action),
            None => return None,
        }
    }
    None
}

/// Compute every label of the build.
pub fn compute_labels(inputs: &PlanInputs) -> Result<Labels, PlanError> {
    let image = &inputs.image;
    // Schema leaves live under `<image prefix>.<schema>.`, extra labels under `<image prefix>.`.
    let prefix = image.prefix();
    let ns = format!("{prefix}.{}", inputs.profile.schema);
    let tag = &inputs.tag;
    let vars = Placeholders {
        owner: image.owner().to_string(),
        name: image.name().to_string(),
        tag: tag.full.clone(),
        content_version: tag.content.clone(),
        source_version: tag.source.clone(),
    };

    // Leaves: computed defaults, then what the profile sets (profile values win).
    let mut leaves = Labels::new();
    let mut set = |leaf: &str, value: &str| {
        leaves.insert(leaf.to_string(), value.to_string());
    };
    set(BASE_PREFIX, &inputs.base_prefix);
    set("name", image.name());
    set("home", &image.home());
    set("version", &tag.full);
    set("content-version", &tag.content);
    set("source-version", &tag.source);
    set("pull", &format!("{}:{}", image.repository(), tag.full));
    set("created", &inputs.created);
    set(LABEL_SCHEMA_VERSION, &inputs.profile.schema_version);
    if let Some(url) = &inputs.source_url {
        set("source-home", url);
    }
    if let Some(rev) = &inputs.revision {
        set("source-revision", rev);
    }
    for (leaf, template) in &inputs.profile.leaves {
        set(leaf, &template::expand(template, &vars));
    }

    let mut out = Labels::new();
    for (leaf, value) in &leaves {
        out.insert(format!("{ns}.{leaf}"), value.clone());
    }
    for (leaf, template) in &inputs.profile.extra_labels {
        out.insert(
            format!("{prefix}.{leaf}"),
            template::expand(template, &vars),
        );
    }
    for key in out.keys() {
        labels::check_writable_key(key).map_err(|error| PlanError::Key {
            key: key.clone(),
            origin: inputs.profile.path.display().to_string(),
            error,
        })?;
    }
    // Flags last: they win over everything, and were checked when parsed.
    for (key, value) in &inputs.cli_labels {
        out.insert(key.clone(), value.clone());
    }
    if inputs.profile.oci {
        // The OCI copies follow the final leaves (a `--label` on a leaf included); an OCI key
        // given as `--label` itself wins.
        let final_leaves: Labels = leaves
            .keys()
            .map(|leaf| (leaf.clone(), out[&format!("{ns}.{leaf}")].clone()))
            .collect();
        for (key, value) in oci_labels(
            &final_leaves,
            inputs.base_name.as_deref(),
            inputs.base_digest.as_deref(),
        ) {
            if !inputs.cli_labels.iter().any(|(k, _)| *k == key) {
                out.insert(key, value);
            }
        }
    }
    Ok(out)
}

/// The same facts as `org.opencontainers.image.*` keys: every one of [`OCI_FROM_LEAVES`] and the
/// two `base.*` keys, empty where unknown (as docker/metadata-action writes them), so that no value
/// of the parent image shows through in the child.
fn oci_labels(leaves: &Labels, base_name: Option<&str>, base_digest: Option<&str>) -> Labels {
    let mut out: Labels = OCI_FROM_LEAVES
        .into_iter()
        .map(|(oci, leaf)| {
            let value = leaves.get(leaf).cloned().unwrap_or_default();
            (format!("{OCI}.{oci}"), value)
        })
        .collect();
    out.insert(
        format!("{OCI}.{OCI_BASE_NAME}"),
        base_name.unwrap_or_default().to_string(),
    );
    out.insert(
        format!("{OCI}.{OCI_BASE_DIGEST}"),
        base_digest.unwrap_or_default().to_string(),
    );
    out
}

/// Manifest annotations: the OCI facts that have a value (not `base.*`: buildah writes those
/// itself), then the profile's `[annotations]`, then `--annotation` flags (a later one wins).
pub fn compute_annotations(inputs: &PlanInputs, labels: &Labels) -> Labels {
    let image = &inputs.image;
    let tag = &inputs.tag;
    let vars = Placeholders {
        owner: image.owner().to_string(),
        name: image.name().to_string(),
        tag: tag.full.clone(),
        content_version: tag.content.clone(),
        source_version: tag.source.clone(),
    };
    let mut out: Labels = labels
        .iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && k.strip_prefix(OCI)
                    .and_then(|n| n.strip_prefix('.'))
                    .is_some_and(|n| !n.starts_with("base."))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, template) in &inputs.profile.annotations {
        out.insert(key.clone(), template::expand(template, &vars));
    }
    for (key, value) in &inputs.cli_annotations {
        out.insert(key.clone(), value.clone());
    }
    out
}

/// Refuse, before any engine call, a value no build command line can carry (see
/// [`crate::engine::arg_fault`]): a label or annotation with a NUL byte, or too long for the
/// `--label KEY=VALUE` / `--build-arg DS01_L_<hash>=VALUE` / `--annotation KEY=VALUE` argument
/// it would travel in (a Dockerfile line cannot hold a NUL byte either), and the same for the
/// profile's `build-args` and the arguments after `--`. The engine command is checked whole
/// again when it is run ([`EngineCommand::check`]).
pub fn check_arguments(inputs: &PlanInputs) -> Result<(), PlanError> {
    use crate::engine::{arg_fault, ArgFault, MAX_ARG_BYTES};
    use crate::messages::quoted;
    // The longer of `KEY=` and `DS01_L_<16 hex>=`.
    let fault = |key: &str, value: &str| {
        let name = key.len().max(dockerfile::value_arg_name(key, value).len());
        if key.contains('\0') || value.contains('\0') {
            Some(ArgFault::Nul)
        } else if name + 1 + value.len() > MAX_ARG_BYTES {
            Some(ArgFault::TooLong(name + 1 + value.len()))
        } else {
            None
        }
    };
    let labels = compute_labels(inputs)?;
    let annotations = compute_annotations(inputs, &labels);
    for (kind, set) in [("label", &labels), ("annotation", &annotations)] {
        for (key, value) in set {
            if let Some(fault) = fault(key, value) {
                return Err(PlanError::Unpassable {
                    what: format!("{kind} {} = {}", quoted(key), quoted(value)),
                    fault,
                });
            }
        }
    }
    let words = [
        ("the profile's build-args word", &inputs.profile.build_args),
        ("the argument after --", &inputs.passthrough),
    ];
    for (what, args) in words {
        for arg in args {
            if let Some(fault) = arg_fault(arg) {
                return Err(PlanError::Unpassable {
                    what: format!("{what} {}", quoted(arg)),
                    fault,
                });
            }
        }
    }
    Ok(())
}

/// The three tags: `:latest`, `:<content>`, `:<content>-<source>`.
pub fn tags(image: &ImageRef, tag: &Tag) -> Vec<String> {
    let repo = image.repository();
    vec![
        format!("{repo}:latest"),
        format!("{repo}:{}", tag.content),
        format!("{repo}:{}", tag.full),
    ]
}

/// The key whose value must land in the final LABEL history row: the image's own
/// `label-schema-version`.
fn schema_version_key(inputs: &PlanInputs) -> String {
    format!(
        "{}.{}.{LABEL_SCHEMA_VERSION}",
        inputs.image.prefix(),
        inputs.profile.schema
    )
}

/// Compute the whole plan: labels, tags, Dockerfile tail and the engine command, for the builder
/// `builder` detected for `engine`.
///
/// The Dockerfile is always streamed on stdin (`-f -`) with a tail appended: in `dockerfile` mode
/// every label, in `args` mode only the `label-schema-version` key (the rest as `--label` flags),
/// so the newest history row is a LABEL setting that key on every builder. With podman and an
/// escape character other than `\\` (buildah then misreads LABEL values) the labels go as `--label`
/// flags, which podman records as LABEL rows.
pub fn plan(
    inputs: &PlanInputs,
    engine: &Engine,
    builder: &BuilderChoice,
) -> Result<BuildPlan, PlanError> {
    let labels = compute_labels(inputs)?;
    let tags = tags(&inputs.image, &inputs.tag);
    if !inputs.cli_annotations.is_empty() && !builder.annotations {
        return Err(PlanError::AnnotationsUnsupported {
            builder: builder.builder.name(),
        });
    }
    let annotations = if builder.annotations {
        compute_annotations(inputs, &labels)
    } else {
        Labels::new()
    };

    let escape = dockerfile::escape_char(&inputs.dockerfile_text);
    let lsv_key = schema_version_key(inputs);
    let (in_tail, flag_labels): (Labels, Labels) =
        if escape != '\\' && !engine.honours_label_escape_directive() {
            (Labels::new(), labels.clone())
        } else {
            match inputs.label_mode {
                LabelMode::Dockerfile => (labels.clone(), Labels::new()),
                LabelMode::Args => labels.clone().into_iter().partition(|(k, _)| *k == lsv_key),
            }
        };
    let tail = dockerfile::label_tail(&in_tail, escape);
    let mut text = inputs.dockerfile_text.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&tail.text);

    let mut args: Vec<String> = vec!["build".into(), "-f".into(), "-".into()];
    args.extend(["--iidfile".into(), inputs.iidfile.display().to_string()]);
    for tag in &tags {
        args.extend(["--tag".into(), tag.clone()]);
    }
    if let Some(epoch) = inputs.source_date_epoch {
        match builder.builder {
            Builder::Buildah => args.extend(["--timestamp".into(), epoch.to_string()]),
            Builder::BuildKit => {
                args.extend(["--build-arg".into(), format!("SOURCE_DATE_EPOCH={epoch}")])
            }
            Builder::Legacy => {}
        }
    }
    for (name, value) in &tail.build_args {
        args.extend(["--build-arg".into(), format!("{name}={value}")]);
    }
    for (key, value) in &flag_labels {
        args.extend(["--label".into(), format!("{key}={value}")]);
    }
    for (key, value) in &annotations {
        args.extend(["--annotation".into(), format!("{key}={value}")]);
    }
    args.extend(inputs.profile.build_args.iter().cloned());
    args.extend(inputs.passthrough.iter().cloned());
    args.push(inputs.profile.context.display().to_string());

    let mut command = engine.command(args).with_stdin(text.into_bytes());
    if let Some(pin) = builder.pin {
        command = command.with_env(BUILDKIT_ENV, pin);
    }
    Ok(BuildPlan {
        labels,
        annotations,
        builder: builder.builder,
        tags,
        dockerfile_tail: tail.text,
        command,
    })
}

/// A copy-pasteable rendering of the command: in dockerfile mode the full Dockerfile (with the
/// appended tail) follows as a quoted here-document, so nothing in it is expanded by the shell.
pub fn render_command(plan: &BuildPlan) -> String {
    let line = plan.command.display();
    let Some(stdin) = &plan.command.stdin else {
        return format!("{line}\n");
    };
    let text = String::from_utf8_lossy(stdin);
    let mut delimiter = String::from("DS01_BUILD_DOCKERFILE");
    while text.lines().any(|l| l == delimiter) {
        delimiter.push('_');
    }
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    format!("{line} <<'{delimiter}'\n{text}{newline}{delimiter}\n")
}

/// Read the image ID the engine wrote (whitespace stripped).
pub fn read_iidfile(path: &Path) -> std::io::Result<String> {
    Ok(crate::caller_file::read_own_to_string(path)?
        .trim()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            path: PathBuf::from("profiles/p.toml"),
            image: "jefferys/ubu-lts".into(),
            schema: "io.github.jefferysdockers".into(),
            schema_version: "0.0.1".into(),
            base: Some(Base::Prefix("scratch".into())),
            leaves: [
                (
                    "title",
                    "{name} at {tag} ({content_version}/{source_version}) by {owner}",
                ),
                ("license-spdx", ""),
                ("maintainer", "Jo <jo@example.org>"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            extra_labels: [("com.example.rating".to_string(), "10".to_string())].into(),
            annotations: Default::default(),
            dockerfile: PathBuf::from("ctx/Dockerfile"),
            context: PathBuf::from("ctx"),
            tag_file: PathBuf::from("ctx/TAG"),
            build_args: vec!["--build-arg".into(), "A=1".into()],
            oci: true,
            created: None,
        }
    }

    fn inputs() -> PlanInputs {
        let profile = profile();
        PlanInputs {
            image: ImageRef::parse(&profile.image).unwrap(),
            profile,
            base_prefix: "scratch".into(),
            base_name: None,
            base_digest: None,
            cli_annotations: vec![],
            source_date_epoch: None,
            tag: Tag::parse("20.04.01-0.0.1-rc1").unwrap(),
            created: "2020-09-12T04:23:06+00:00".into(),
            source_url: Some("https://github.com/o/r".into()),
            revision: Some("abc123".into()),
            cli_labels: vec![],
            label_mode: LabelMode::Dockerfile,
            dockerfile: PathBuf::from("ctx/Dockerfile"),
            dockerfile_text: "FROM scratch\nCOPY a /a".into(),
            passthrough: vec!["--network".into(), "none".into()],
            iidfile: PathBuf::from("/tmp/x.iid"),
            warnings: vec![],
        }
    }

    fn builder_for(program: &str, builder: Builder) -> (Engine, BuilderChoice) {
        let engine = Engine::new(program, false);
        let choice = BuilderChoice {
            builder,
            pin: (builder == Builder::Legacy).then_some("0"),
            cli_version: None,
            reason: String::new(),
            annotations: builder == Builder::Buildah,
        };
        (engine, choice)
    }

    fn plan_on(i: &PlanInputs, program: &str, builder: Builder) -> BuildPlan {
        let (engine, choice) = builder_for(program, builder);
        plan(i, &engine, &choice).unwrap()
    }

    const NS: &str = "jefferys.ubu-lts.io.github.jefferysdockers";

    fn get<'a>(labels: &'a Labels, leaf: &str) -> Option<&'a str> {
        labels.get(&format!("{NS}.{leaf}")).map(String::as_str)
    }

    #[test]
    fn values_no_command_line_carries_are_refused_before_the_engine() {
        use crate::engine::MAX_ARG_BYTES;
        assert!(check_arguments(&inputs()).is_ok());
        // The longest value that fits in `--build-arg DS01_L_<16 hex>=VALUE` passes, and the
        // plan's command then passes its own check in both modes.
        let key = "k".to_string();
        let fits = "v".repeat(MAX_ARG_BYTES - "DS01_L_0123456789abcdef=".len());
        let mut i = inputs();
        i.cli_labels = vec![(key.clone(), fits.clone())];
        check_arguments(&i).unwrap();
        for mode in [LabelMode::Dockerfile, LabelMode::Args] {
            i.label_mode = mode;
            plan_on(&i, "docker", Builder::Legacy)
                .command
                .check()
                .unwrap();
        }
        let too_long = format!("{fits}v");
        let msg = |mutate: &dyn Fn(&mut PlanInputs)| {
            let mut i = inputs();
            mutate(&mut i);
            let e = check_arguments(&i).unwrap_err().to_string();
            assert!(e.len() < 400, "quoted whole: {} bytes", e.len());
            e
        };
        let e = msg(&|i| i.cli_labels = vec![(key.clone(), too_long.clone())]);
        assert!(e.starts_with("label \"k\" = \"vvvv"), "{e}");
        assert!(e.ends_with("… (131048 bytes) makes an argument of 131072 bytes, over the 131071 bytes Linux passes as one: shorten it"), "{e}");
        let e = msg(&|i| {
            i.profile.leaves.insert("title".into(), "a\0b".into());
        });
        assert_eq!(e, format!("label \"{NS}.title\" = \"a\\0b\" contains a NUL byte, which no program argument can carry: remove it"));
        let e = msg(&|i| i.cli_annotations = vec![("a".into(), "\0".into())]);
        assert!(
            e.starts_with("annotation \"a\" = \"\\0\" contains a NUL"),
            "{e}"
        );
        let e = msg(&|i| i.profile.build_args = vec!["--build-arg".into(), "A=\0".into()]);
        assert!(
            e.starts_with("the profile's build-args word \"A=\\0\" contains a NUL"),
            "{e}"
        );
        let e = msg(&|i| i.passthrough = vec!["x".repeat(MAX_ARG_BYTES + 1)]);
        assert!(e.starts_with("the argument after -- \"xxx"), "{e}");
    }

    #[test]
    fn computed_leaves() {
        let labels = compute_labels(&inputs()).unwrap();
        assert_eq!(get(&labels, "version"), Some("20.04.01-0.0.1-rc1"));
        assert_eq!(get(&labels, "content-version"), Some("20.04.01"));
        assert_eq!(get(&labels, "source-version"), Some("0.0.1-rc1"));
        assert_eq!(
            get(&labels, "pull"),
            Some("jefferys/ubu-lts:20.04.01-0.0.1-rc1")
        );
        assert_eq!(
            get(&labels, "home"),
            Some("https://hub.docker.com/r/jefferys/ubu-lts")
        );
        assert_eq!(get(&labels, "name"), Some("ubu-lts"));
        assert_eq!(get(&labels, "base-prefix"), Some("scratch"));
        assert_eq!(get(&labels, "label-schema-version"), Some("0.0.1"));
        assert_eq!(get(&labels, "source-home"), Some("https://github.com/o/r"));
        assert_eq!(get(&labels, "source-revision"), Some("abc123"));
        assert_eq!(get(&labels, "created"), Some("2020-09-12T04:23:06+00:00"));
        assert_eq!(
            get(&labels, "title"),
            Some("ubu-lts at 20.04.01-0.0.1-rc1 (20.04.01/0.0.1-rc1) by jefferys")
        );
        assert_eq!(get(&labels, "license-spdx"), Some(""));
        assert_eq!(labels["jefferys.ubu-lts.com.example.rating"], "10");
        // Leaves the profile does not set are not written.
        assert_eq!(get(&labels, "vendor"), None);
    }

    #[test]
    fn oci_annotations_follow_the_leaves() {
        let labels = compute_labels(&inputs()).unwrap();
        let oci = |k: &str| labels.get(&format!("{OCI}.{k}")).map(String::as_str);
        assert_eq!(oci("created"), Some("2020-09-12T04:23:06+00:00"));
        assert_eq!(oci("version"), Some("20.04.01-0.0.1-rc1"));
        assert_eq!(oci("revision"), Some("abc123"));
        assert_eq!(oci("source"), Some("https://github.com/o/r"));
        assert_eq!(
            oci("url"),
            Some("https://hub.docker.com/r/jefferys/ubu-lts")
        );
        assert_eq!(oci("authors"), Some("Jo <jo@example.org>"));
        // Every managed OCI key is written, empty where unknown, so no parent's value shows.
        assert_eq!(oci("licenses"), Some(""));
        assert_eq!(oci("vendor"), Some(""));
        assert_eq!(oci("base.name"), Some(""));
        assert_eq!(oci("base.digest"), Some(""));
        let mut no_git = inputs();
        no_git.revision = None;
        let labels = compute_labels(&no_git).unwrap();
        assert_eq!(labels[&format!("{OCI}.revision")], "");

        let mut no_oci = inputs();
        no_oci.profile.oci = false;
        let labels = compute_labels(&no_oci).unwrap();
        assert!(!labels.keys().any(|k| k.starts_with(OCI)));

        let mut with_base = inputs();
        with_base.base_name = Some("jefferys/ubu-lts:latest".into());
        with_base.base_digest = Some("sha256:3b28".into());
        let labels = compute_labels(&with_base).unwrap();
        assert_eq!(
            labels[&format!("{OCI}.base.name")],
            "jefferys/ubu-lts:latest"
        );
        assert_eq!(labels[&format!("{OCI}.base.digest")], "sha256:3b28");
    }

    #[test]
    fn precedence_git_then_profile_then_flags() {
        let mut i = inputs();
        i.profile
            .leaves
            .insert("source-home".into(), "https://example.org/{name}".into());
        i.cli_labels = vec![
            (format!("{NS}.title"), "first".into()),
            (format!("{NS}.title"), "from flag".into()),
        ];
        let labels = compute_labels(&i).unwrap();
        assert_eq!(
            get(&labels, "source-home"),
            Some("https://example.org/ubu-lts")
        );
        assert_eq!(get(&labels, "title"), Some("from flag"));
        // The OCI copy follows the final leaf; an OCI key given as a flag wins.
        assert_eq!(labels[&format!("{OCI}.title")], "from flag");
        i.cli_labels
            .push((format!("{OCI}.title"), "oci flag".into()));
        let labels = compute_labels(&i).unwrap();
        assert_eq!(labels[&format!("{OCI}.title")], "oci flag");
        assert_eq!(get(&labels, "title"), Some("from flag"));
    }

    #[test]
    fn without_git_the_git_leaves_are_absent() {
        let mut i = inputs();
        i.source_url = None;
        i.revision = None;
        let labels = compute_labels(&i).unwrap();
        assert_eq!(get(&labels, "source-home"), None);
        assert_eq!(get(&labels, "source-revision"), None);
    }

    #[test]
    fn dockerfile_mode_argv_and_stdin() {
        let plan = plan_on(&inputs(), "docker", Builder::Legacy);
        assert_eq!(plan.command.env, [("DOCKER_BUILDKIT".into(), "0".into())]);
        assert_eq!(
            plan.command.argv,
            [
                "docker",
                "build",
                "-f",
                "-",
                "--iidfile",
                "/tmp/x.iid",
                "--tag",
                "jefferys/ubu-lts:latest",
                "--tag",
                "jefferys/ubu-lts:20.04.01",
                "--tag",
                "jefferys/ubu-lts:20.04.01-0.0.1-rc1",
                "--build-arg",
                "A=1",
                "--network",
                "none",
                "ctx",
            ]
        );
        let stdin = String::from_utf8(plan.command.stdin.clone().unwrap()).unwrap();
        assert_eq!(
            stdin,
            format!("FROM scratch\nCOPY a /a\n{}", plan.dockerfile_tail)
        );
        let expected = dockerfile::label_tail(&plan.labels, '\\');
        assert_eq!(plan.dockerfile_tail, expected.text);
        assert!(expected.build_args.is_empty());
        assert!(plan
            .dockerfile_tail
            .starts_with("LABEL \"jefferys.ubu-lts.com.example.rating\"=\"10\""));
    }

    #[test]
    fn args_mode_argv() {
        let mut i = inputs();
        i.label_mode = LabelMode::Args;
        i.passthrough.clear();
        i.profile.build_args.clear();
        let plan = plan_on(&i, "podman", Builder::Buildah);
        let mut expected: Vec<String> = [
            "podman",
            "build",
            "-f",
            "-",
            "--iidfile",
            "/tmp/x.iid",
            "--tag",
            "jefferys/ubu-lts:latest",
            "--tag",
            "jefferys/ubu-lts:20.04.01",
            "--tag",
            "jefferys/ubu-lts:20.04.01-0.0.1-rc1",
        ]
        .map(String::from)
        .to_vec();
        let lsv = format!("{NS}.label-schema-version");
        for (k, v) in plan.labels.iter().filter(|(k, _)| **k != lsv) {
            expected.push("--label".into());
            expected.push(format!("{k}={v}"));
        }
        for (k, v) in &plan.annotations {
            expected.push("--annotation".into());
            expected.push(format!("{k}={v}"));
        }
        expected.push("ctx".into());
        assert_eq!(plan.command.argv, expected);
        // Only the label-schema-version key is in the Dockerfile: the newest history row is a
        // LABEL setting it on every builder (BuildKit records no row for --label).
        assert_eq!(plan.dockerfile_tail, format!("LABEL \"{lsv}\"=\"0.0.1\"\n"));
        let stdin = String::from_utf8(plan.command.stdin.clone().unwrap()).unwrap();
        assert!(stdin.ends_with(&plan.dockerfile_tail));
    }

    #[test]
    fn epoch_reaches_each_builder_its_own_way() {
        let mut i = inputs();
        i.source_date_epoch = Some(1599884586);
        let has = |p: &BuildPlan, pair: [&str; 2]| p.command.argv.windows(2).any(|w| w == pair);
        let podman = plan_on(&i, "podman", Builder::Buildah);
        assert!(has(&podman, ["--timestamp", "1599884586"]));
        let bk = plan_on(&i, "docker", Builder::BuildKit);
        assert!(has(&bk, ["--build-arg", "SOURCE_DATE_EPOCH=1599884586"]));
        assert!(!has(&bk, ["--timestamp", "1599884586"]));
        let legacy = plan_on(&i, "docker", Builder::Legacy);
        assert!(!legacy
            .command
            .argv
            .iter()
            .any(|a| a.contains("1599884586") || a == "--timestamp"));
    }

    #[test]
    fn annotations_only_where_the_builder_has_them() {
        let mut i = inputs();
        i.profile
            .annotations
            .insert("com.example.a".into(), "{name} x".into());
        i.cli_annotations = vec![("com.example.b".into(), "2".into())];
        let podman = plan_on(&i, "podman", Builder::Buildah);
        assert_eq!(podman.annotations["com.example.a"], "ubu-lts x");
        assert_eq!(podman.annotations["com.example.b"], "2");
        assert_eq!(
            podman.annotations[&format!("{OCI}.title")],
            podman.labels[&format!("{OCI}.title")]
        );
        // Empty facts and base.* (buildah writes those itself) are not annotations.
        assert!(!podman.annotations.contains_key(&format!("{OCI}.licenses")));
        assert!(!podman.annotations.contains_key(&format!("{OCI}.base.name")));
        let (engine, legacy) = builder_for("docker", Builder::Legacy);
        let err = plan(&i, &engine, &legacy).unwrap_err().to_string();
        assert!(
            err.contains("--annotation") && err.contains("legacy"),
            "{err}"
        );
        i.cli_annotations.clear();
        let plan = plan(&i, &engine, &legacy).unwrap();
        assert!(plan.annotations.is_empty());
        assert!(!plan.command.argv.contains(&"--annotation".to_string()));
    }

    #[test]
    fn line_breaks_reach_the_label_through_a_build_arg() {
        let mut i = inputs();
        i.cli_labels = vec![("t.multi".into(), "a\nb".into())];
        let plan = plan_on(&i, "docker", Builder::BuildKit);
        let name = dockerfile::value_arg_name("t.multi", "a\nb");
        assert!(plan
            .command
            .argv
            .windows(2)
            .any(|w| w == ["--build-arg".to_string(), format!("{name}=a\nb")]));
        assert!(!plan.command.argv.contains(&"--label".to_string()));
        assert!(plan
            .dockerfile_tail
            .starts_with(&format!("ARG {name}\nLABEL ")));
        assert!(plan
            .dockerfile_tail
            .contains(&format!("\"t.multi\"=\"${{{name}}}\"")));
        assert_eq!(plan.labels["t.multi"], "a\nb");
    }

    #[test]
    fn escape_directive_changes_quoting_and_continuation() {
        let mut i = inputs();
        i.dockerfile_text = "# escape=`\nFROM scratch\n".into();
        i.cli_labels = vec![("t.v".into(), "a`b\\c".into())];
        let plan = plan_on(&i, "docker", Builder::Legacy);
        assert!(
            plan.dockerfile_tail.contains("\"t.v\"=\"a``b\\c\""),
            "{}",
            plan.dockerfile_tail
        );
        assert!(plan.dockerfile_tail.contains(" `\n"));
    }

    #[test]
    fn podman_gets_label_flags_when_the_escape_character_is_not_backslash() {
        let mut i = inputs();
        i.dockerfile_text = "# escape=`\nFROM scratch\n".into();
        let plan = plan_on(&i, "podman", Builder::Buildah);
        assert_eq!(plan.dockerfile_tail, "");
        let flags = plan.command.argv.iter().filter(|a| *a == "--label").count();
        assert_eq!(flags, plan.labels.len());
        // With the default escape character podman reads the LABEL instruction as docker does.
        let plan = plan_of_with(&inputs(), "podman");
        assert!(plan.dockerfile_tail.starts_with("LABEL "));
    }

    fn plan_of_with(i: &PlanInputs, engine: &str) -> BuildPlan {
        let builder = if engine == "podman" {
            Builder::Buildah
        } else {
            Builder::Legacy
        };
        plan_on(i, engine, builder)
    }

    #[test]
    fn rendered_command_is_a_quoted_heredoc() {
        let plan = plan_of(&inputs());
        let text = render_command(&plan);
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            format!("{} <<'DS01_BUILD_DOCKERFILE'", plan.command.display())
        );
        assert!(text.ends_with(&format!("{}DS01_BUILD_DOCKERFILE\n", plan.dockerfile_tail)));

        let mut i = inputs();
        i.dockerfile_text = "FROM scratch\nDS01_BUILD_DOCKERFILE\n".into();
        let text = render_command(&plan_of(&i));
        assert!(text
            .lines()
            .next()
            .unwrap()
            .ends_with("<<'DS01_BUILD_DOCKERFILE_'"));

        let mut i = inputs();
        i.label_mode = LabelMode::Args;
        let text = render_command(&plan_of(&i));
        assert!(
            text.starts_with("DOCKER_BUILDKIT=0 docker build -f - "),
            "{text}"
        );
        assert!(text.ends_with("\nDS01_BUILD_DOCKERFILE\n"), "{text}");
    }

    fn plan_of(i: &PlanInputs) -> BuildPlan {
        plan_on(i, "docker", Builder::Legacy)
    }

    #[test]
    fn passthrough_that_would_undo_the_plan_is_refused() {
        let refused = |arg: &str| check_passthrough(&[arg.to_string()]).is_err();
        for arg in [
            "-f",
            "-fDockerfile",
            "--file",
            "--file=x",
            "--iidfile",
            "--iidfile=/x",
            "-t",
            "-tx:1",
            "--tag",
            "--tag=x",
            "-qt",
        ] {
            assert!(refused(arg), "{arg}");
        }
        for arg in [
            "--network",
            "none",
            "-q",
            "--no-cache",
            "--build-arg",
            "A=-t",
            "-m1g",
            "-c512",
            "--target=final",
        ] {
            assert!(!refused(arg), "{arg}");
        }
        let err = check_passthrough(&["--tag=x".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"--tag=x\"") && err.contains("-t/--tag"),
            "{err}"
        );
    }

    #[test]
    fn tags_from_tag() {
        let i = inputs();
        assert_eq!(
            tags(&i.image, &i.tag),
            [
                "jefferys/ubu-lts:latest",
                "jefferys/ubu-lts:20.04.01",
                "jefferys/ubu-lts:20.04.01-0.0.1-rc1"
            ]
        );
    }
}
