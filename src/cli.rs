//! Command-line surface: every subcommand's flags as plain data (clap derive).
//!
//! Nothing here does I/O; `commands/*` turn these structs into plans and run them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ds01-build",
    version,
    about = "Stamp container images and containers with namespaced labels, and read them back",
    propagate_version = true
)]
pub struct Cli {
    /// Print every engine command (`+ docker ...`) on stderr before running it.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Container engine program (docker or podman, a name or a path).
    /// Default: `docker` when it is on PATH, else `podman`.
    #[arg(long, global = true, env = "DS01_BUILD_ENGINE", value_name = "PROGRAM")]
    pub engine: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an image from a profile, stamped with heritable namespaced labels.
    Build(BuildArgs),
    /// Create a DS01 container stamped with `ds01.*` labels (the container-create backend).
    Create(Box<CreateArgs>),
    /// Print the `ds01.*` label schema.
    Schema(SchemaArgs),
    /// Rebuild an image's chain of heritable-labelled images from its labels and history.
    Lineage(LineageArgs),
    /// Tell who owns containers, reading `ds01.*` and legacy `aime.mlc.*` labels.
    Owner(OwnerArgs),
    /// List containers with owner, managed flag, interface and label namespace.
    Ps(PsArgs),
    /// Report the `aime.mlc.*` → `ds01.*` migration: what is still legacy or deprecated.
    Audit(AuditArgs),
    /// Show the normalised `ds01.*` view of a container or image, with each value's source key.
    Inspect(InspectArgs),
    /// Check labels against key rules, the `ds01.*` schema and the heritable image schema.
    Lint(LintArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Output format for commands that print a result object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Output format for `ps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TableFormat {
    #[default]
    Table,
    Json,
}

/// Output format for `schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SchemaFormat {
    #[default]
    Markdown,
    Json,
}

/// How computed labels reach `docker build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LabelMode {
    /// Append ONE `LABEL` instruction to the Dockerfile and stream it with `-f -`
    /// (a changed value re-runs one cached step).
    #[default]
    Dockerfile,
    /// One `--label KEY=VALUE` flag per key, as the original build.sh did.
    Args,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Profile: a path to a TOML file, or a NAME looked up as `profiles/NAME.toml`.
    #[arg(default_value = "hello")]
    pub profile: String,

    /// The image TAG, `CONTENT-SOURCE` (e.g. 20.04.01-0.0.1); overrides the tag file.
    #[arg(long, conflicts_with = "tag_file")]
    pub tag: Option<String>,

    /// File holding the TAG (default: the profile's `tag-file`, else `TAG` in the build context).
    #[arg(long, value_name = "FILE")]
    pub tag_file: Option<PathBuf>,

    /// Image reference to build (overrides the profile's `image`), e.g. `jefferys/ubu-lts`.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// Dockerfile to use (overrides the profile's `dockerfile`).
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,

    /// Source revision to record (overrides the HEAD commit found by git), e.g. DockerHub's SOURCE_COMMIT.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// The `created` timestamp: auto (HEAD commit time when the work tree is clean, else now),
    /// now, commit, or an RFC 3339 time. SOURCE_DATE_EPOCH, when set, wins.
    #[arg(long, value_name = "auto|now|commit|RFC3339")]
    pub created: Option<String>,

    /// Extra or overriding label (repeatable); the key is taken as given.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// How labels reach the engine.
    #[arg(long, value_enum, default_value_t)]
    pub label_mode: LabelMode,

    /// Print the exact command and Dockerfile tail; run nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    /// Arguments passed unchanged to `docker build` (after `--`).
    #[arg(last = true, value_name = "DOCKER_BUILD_ARGS")]
    pub passthrough: Vec<String>,
}

/// `ds01.interface` values a creator may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Interface {
    Orchestration,
    Atomic,
    Api,
    Docker,
    Vscode,
    Unknown,
}

impl Interface {
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Orchestration => "orchestration",
            Interface::Atomic => "atomic",
            Interface::Api => "api",
            Interface::Docker => "docker",
            Interface::Vscode => "vscode",
            Interface::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Image to create the container from.
    pub image: String,

    /// Container name (DS01 name; the container is named NAME._.UID unless --exact-name).
    #[arg(long)]
    pub name: String,

    /// Use NAME as the container's name as given, without the `._.UID` suffix.
    #[arg(long)]
    pub exact_name: bool,

    /// How the container was created (default: DS01_CONTEXT, else atomic).
    #[arg(long, value_enum)]
    pub interface: Option<Interface>,

    /// ML framework and version, e.g. pytorch-2.3.
    #[arg(long)]
    pub framework: Option<String>,

    /// GPU architecture, e.g. CUDA or ROCM.
    #[arg(long)]
    pub arch: Option<String>,

    /// Number of GPUs.
    #[arg(long, value_name = "N")]
    pub gpus: Option<String>,

    /// Comma list of GPU UUIDs.
    #[arg(long, value_name = "U1,U2")]
    pub gpu_uuids: Option<String>,

    /// Comma list of GPU:MIG slots, e.g. 0:0,0:1.
    #[arg(long, value_name = "0:0,0:1")]
    pub gpu_slots: Option<String>,

    /// Host path mounted as the workspace (absolute).
    #[arg(long, value_name = "PATH")]
    pub work_mount: Option<String>,

    /// Host path mounted as data (absolute).
    #[arg(long, value_name = "PATH")]
    pub data_mount: Option<String>,

    /// Host path mounted as models (absolute).
    #[arg(long, value_name = "PATH")]
    pub models_mount: Option<String>,

    #[arg(long, value_name = "P")]
    pub workspace: Option<String>,

    #[arg(long, value_name = "P")]
    pub project: Option<String>,

    /// systemd slice path.
    #[arg(long, value_name = "S")]
    pub slice: Option<String>,

    /// Mark the container protected.
    #[arg(long)]
    pub protected: bool,

    /// Owner to record (root only; default: the invoking user).
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,

    /// Print the exact command and labels; create nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    /// Arguments passed to `docker create` (after `--`); `ds01.*`/`aime.mlc*` labels are refused.
    #[arg(last = true, value_name = "DOCKER_CREATE_ARGS")]
    pub passthrough: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: SchemaFormat,
}

#[derive(Debug, Args)]
pub struct LineageArgs {
    /// Image name, reference or ID.
    pub image: String,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct OwnerArgs {
    /// Container names or IDs.
    #[arg(required = true)]
    pub containers: Vec<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Only this user's containers (default: the invoking user's).
    #[arg(long, conflicts_with = "all_users")]
    pub user: Option<String>,
    /// Every container, whoever owns it.
    #[arg(long)]
    pub all_users: bool,
    /// Only containers that still carry legacy `aime.mlc.*` labels.
    #[arg(long)]
    pub legacy: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: TableFormat,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A container or image name or ID.
    pub target: String,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["image", "container", "dockerfile", "labels"]))]
pub struct LintArgs {
    /// Image to lint (its labels and history).
    pub image: Option<String>,
    /// Container to lint.
    #[arg(long, value_name = "C")]
    pub container: Option<String>,
    /// Dockerfile whose LABEL instructions to lint.
    #[arg(long, value_name = "F")]
    pub dockerfile: Option<PathBuf>,
    /// File of labels: a JSON object, or KEY=VALUE lines.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn build_passthrough_after_double_dash() {
        let cli = Cli::try_parse_from([
            "ds01-build",
            "build",
            "ubu-lts",
            "--tag",
            "1-2",
            "--",
            "--pull",
            "--no-cache",
        ])
        .unwrap();
        let Command::Build(b) = cli.command else {
            panic!("expected build")
        };
        assert_eq!(b.profile, "ubu-lts");
        assert_eq!(b.passthrough, ["--pull", "--no-cache"]);
    }

    #[test]
    fn interface_values_are_the_schemas_current_ones() {
        let flags: Vec<&str> = Interface::value_variants()
            .iter()
            .map(|v| v.as_str())
            .collect();
        assert_eq!(
            flags,
            crate::container_schema::INTERFACE_VALUES[..flags.len()]
        );
        for v in Interface::value_variants() {
            assert_eq!(v.to_possible_value().unwrap().get_name(), v.as_str());
        }
    }

    #[test]
    fn lint_needs_exactly_one_source() {
        assert!(Cli::try_parse_from(["ds01-build", "lint"]).is_err());
        assert!(Cli::try_parse_from(["ds01-build", "lint", "img", "--container", "c"]).is_err());
        assert!(Cli::try_parse_from(["ds01-build", "lint", "--container", "c"]).is_ok());
    }
}
