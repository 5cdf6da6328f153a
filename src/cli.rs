//! Command-line surface: every subcommand's flags as plain data (clap derive). The only module that
//! names clap: CLI-side mirror enums ([`LabelModeArg`], [`InterfaceArg`]) convert to the domain
//! types, and `create`'s optional-key flags are generated from [`crate::container_schema::CREATE_FLAGS`].
//!
//! Nothing here does I/O (except listing profile names when a shell asks for completions);
//! `commands/*` turn these structs into requests and plans and run them.

use std::path::PathBuf;

use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::build_plan::LabelMode;
use crate::container_schema::{optional_create_flags, FlagForm, Interface};
use crate::create::CreateRequest;

#[derive(Debug, Parser)]
#[command(
    name = "ds01-build",
    version = VERSION,
    about = "Stamp container images and containers with namespaced labels, and read them back",
    propagate_version = true
)]
pub struct Cli {
    /// Print every engine command (`+ docker ...`) on stderr before running it.
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub verbose: bool,

    /// Container engine program, before the subcommand (`ds01-build --engine podman ps`); the
    /// subcommand's own `--engine` wins. Not propagated: `schema`, `completions` and `man` do not
    /// offer it.
    #[arg(long = "engine", value_name = "PROGRAM", help_heading = GLOBAL)]
    pub engine: Option<String>,

    /// Docker context, before the subcommand (`ds01-build --context far ps`); added to the
    /// subcommand's own `--context` values. Not propagated, like `--engine`.
    #[arg(long = "context", value_name = "NAME", help_heading = GLOBAL)]
    pub context: Vec<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--version`: the package version and the commit it was built from (see `build.rs`).
pub const VERSION: &str = env!("DS01_BUILD_VERSION");

/// The help heading of the options every engine-using subcommand shares.
const GLOBAL: &str = "Global options";

/// The engine options of every subcommand that talks to an engine (not `schema`, `completions`, `man`).
#[derive(Debug, Clone, Default, Args)]
pub struct EngineArgs {
    /// Container engine program (docker or podman, a name or a path); also DS01_BUILD_ENGINE.
    /// Default: engine.program from the configuration, else `docker` when it is on PATH, else
    /// `podman`. With privileges only the configured (or built-in) engine is accepted.
    #[arg(long, value_name = "PROGRAM", help_heading = GLOBAL)]
    pub engine: Option<String>,

    /// Docker context to reach the engine through (podman: a connection); else DOCKER_HOST, then
    /// DOCKER_CONTEXT, as docker itself. `ps` and `audit` take it several times and query those
    /// engines at once, each row naming its engine.
    #[arg(long, value_name = "NAME", help_heading = GLOBAL)]
    pub context: Vec<String>,
}

impl Cli {
    /// The engine program named on the command line: the subcommand's `--engine`, else the one
    /// given before the subcommand.
    pub fn engine_flag(&self) -> Option<&String> {
        self.command
            .engine_args()
            .and_then(|e| e.engine.as_ref())
            .or(self.engine.as_ref())
    }
}

impl Cli {
    /// The `--context` values: those before the subcommand, then the subcommand's own.
    pub fn contexts(&self) -> Vec<String> {
        let own = self
            .command
            .engine_args()
            .map(|e| e.context.as_slice())
            .unwrap_or_default();
        self.context.iter().chain(own).cloned().collect()
    }
}

impl Command {
    /// The engine options, for subcommands that use an engine.
    pub fn engine_args(&self) -> Option<&EngineArgs> {
        match self {
            Command::Build(a) => Some(&a.engine),
            Command::Create(a) => Some(&a.engine),
            Command::Lineage(a) => Some(&a.engine),
            Command::Owner(a) => Some(&a.engine),
            Command::Ps(a) => Some(&a.engine),
            Command::Audit(a) => Some(&a.engine),
            Command::Inspect(a) => Some(&a.engine),
            Command::Lint(a) => Some(&a.engine),
            Command::Schema(_) | Command::Completions(_) | Command::Man(_) => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an image from a profile, stamped with heritable namespaced labels.
    #[command(
        after_help = "Example:\n  ds01-build build ubu-lts --tag 2020.09.03-0.0.1 --dry-run"
    )]
    Build(BuildArgs),
    /// Create a DS01 container stamped with `ds01.*` labels (the container-create backend).
    #[command(
        after_help = "Example:\n  ds01-build create my/img --name proj --gpus 1 --dry-run -- --network none"
    )]
    Create(Box<CreateArgs>),
    /// Print the `ds01.*` label schema.
    #[command(after_help = "Example:\n  ds01-build schema --format json")]
    Schema(SchemaArgs),
    /// Rebuild an image's chain of heritable-labelled images from its labels and history.
    #[command(after_help = "Example:\n  ds01-build lineage jefferys/my-app --format json")]
    Lineage(LineageArgs),
    /// Tell who owns containers, reading `ds01.*` and legacy `aime.mlc.*` labels.
    #[command(after_help = "Example:\n  ds01-build owner alice-box._.1000 old-box")]
    Owner(OwnerArgs),
    /// List containers with owner, managed flag, interface and label namespace.
    #[command(after_help = "Example:\n  ds01-build ps --all-users --legacy")]
    Ps(PsArgs),
    /// Report the `aime.mlc.*` → `ds01.*` migration: what is still legacy or deprecated.
    #[command(after_help = "Example:\n  ds01-build audit --format json")]
    Audit(AuditArgs),
    /// Show the normalised `ds01.*` view of a container or image, with each value's source key.
    #[command(after_help = "Example:\n  ds01-build inspect old-box --format json")]
    Inspect(InspectArgs),
    /// Check labels against key rules, the `ds01.*` schema and the heritable image schema.
    #[command(after_help = "Example:\n  ds01-build lint --labels labels.json --format json")]
    Lint(LintArgs),
    /// Print a shell completion script (it completes subcommands, options and profile names).
    #[command(
        after_help = "Example:\n  ds01-build completions bash > /etc/bash_completion.d/ds01-build"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff) of ds01-build and its subcommands.
    #[command(after_help = "Example:\n  ds01-build man build | man -l -")]
    Man(ManArgs),
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

/// How computed labels reach `docker build` (the CLI side of [`LabelMode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LabelModeArg {
    /// Append ONE `LABEL` instruction to the Dockerfile and stream it with `-f -`
    /// (a changed value re-runs one cached step).
    #[default]
    Dockerfile,
    /// One `--label KEY=VALUE` flag per key, as the original build.sh did.
    Args,
}

impl From<LabelModeArg> for LabelMode {
    fn from(arg: LabelModeArg) -> LabelMode {
        match arg {
            LabelModeArg::Dockerfile => LabelMode::Dockerfile,
            LabelModeArg::Args => LabelMode::Args,
        }
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Profile: a path to a TOML file, or a NAME looked up as `NAME.toml` in --profiles DIR,
    /// DS01_BUILD_PROFILES, the nearest `profiles/` from here upwards, then the user's config
    /// directory (`~/.config/ds01-build/profiles`).
    #[arg(default_value = "hello", add = clap_complete::ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Directory to look up a profile NAME in first.
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,

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

    /// Manifest annotation (repeatable; podman, or docker with buildx).
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,

    /// How labels reach the engine.
    #[arg(long, value_enum, default_value_t)]
    pub label_mode: LabelModeArg,

    /// Print the exact command and Dockerfile tail; run nothing.
    #[arg(long, conflicts_with = "push")]
    pub dry_run: bool,

    /// After a successful build, push the three tags (`docker push`, one tag at a time).
    #[arg(long)]
    pub push: bool,

    /// Output format: text (image ID, tags, labels) or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// Arguments passed unchanged to `docker build` (after `--`).
    #[arg(last = true, value_name = "DOCKER_BUILD_ARGS")]
    pub passthrough: Vec<String>,
}

/// Profile names for shell completion, from the lookup directories that need no flag.
fn profile_candidates() -> Vec<clap_complete::CompletionCandidate> {
    let cwd = std::env::current_dir().unwrap_or_default();
    crate::profile_lookup::candidates(&crate::profile_lookup::Places::from_env(None, &cwd))
        .into_iter()
        .map(clap_complete::CompletionCandidate::new)
        .collect()
}

/// `ds01.interface` values a creator may write (the CLI side of [`Interface`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InterfaceArg {
    Orchestration,
    Atomic,
    Api,
    Docker,
    Vscode,
    Unknown,
}

impl From<InterfaceArg> for Interface {
    fn from(arg: InterfaceArg) -> Interface {
        match arg {
            InterfaceArg::Orchestration => Interface::Orchestration,
            InterfaceArg::Atomic => Interface::Atomic,
            InterfaceArg::Api => Interface::Api,
            InterfaceArg::Docker => Interface::Docker,
            InterfaceArg::Vscode => Interface::Vscode,
            InterfaceArg::Unknown => Interface::Unknown,
        }
    }
}

/// `create`'s optional-key flags, one per [`FlagForm::Value`] row of [`crate::container_schema::CREATE_FLAGS`]: the keys
/// given, with their values, in table order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionalKeys(pub Vec<(&'static str, String)>);

/// The long name of a `--flag`, also its clap id.
fn long(flag: &'static str) -> &'static str {
    flag.trim_start_matches("--")
}

impl Args for OptionalKeys {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        optional_create_flags().fold(cmd, |cmd, f| {
            let FlagForm::Value { value_name, help } = f.form else {
                unreachable!("optional flags take a value")
            };
            let mut arg = Arg::new(long(f.flag))
                .long(long(f.flag))
                .value_name(value_name)
                .action(clap::ArgAction::Set);
            if let Some(help) = help {
                arg = arg.help(help);
            }
            cmd.arg(arg)
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for OptionalKeys {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        Ok(OptionalKeys(
            optional_create_flags()
                .filter_map(|f| {
                    let value = matches.remove_one::<String>(long(f.flag))?;
                    Some((f.key, value))
                })
                .collect(),
        ))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Image to create the container from (older form; else the first non-option after `--`).
    pub image: Option<String>,

    /// Container name (DS01 name; the container is named NAME._.UID unless --exact-name).
    #[arg(long)]
    pub name: String,

    /// Use NAME as the container's name as given, without the `._.UID` suffix.
    #[arg(long)]
    pub exact_name: bool,

    /// How the container was created (default: DS01_CONTEXT, else atomic).
    #[arg(long, value_enum)]
    pub interface: Option<InterfaceArg>,

    /// The optional keys' flags (`--framework` ... `--slice`), from [`crate::container_schema::CREATE_FLAGS`].
    #[command(flatten)]
    pub optional: OptionalKeys,

    /// Mark the container protected.
    #[arg(long)]
    pub protected: bool,

    /// Owner to record (root only; default: the invoking user).
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,

    /// Write schema key KEY (one without its own flag, e.g. ds01.container_type=atomic), checked
    /// against its type; repeatable. Owner-bearing and computed keys are refused.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Do not write the compatibility keys (ds01.gpu.uuid, ds01.gpu.allocated) for DS01 readers
    /// that do not read ds01.gpu.uuids / ds01.gpu.slots yet.
    #[arg(long, env = "DS01_BUILD_NO_COMPAT_KEYS")]
    pub no_compat_keys: bool,

    /// Print the exact command and labels; create nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Output format: text (container ID) or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// What follows `docker create` on a docker command line: `[OPTIONS...] IMAGE [COMMAND]
    /// [ARG...]` (options only when IMAGE is given before `--`); `ds01.*`/`aime.mlc*` labels and
    /// `--name` are refused.
    #[arg(last = true, value_name = "DOCKER_CREATE_ARGS")]
    pub passthrough: Vec<String>,
}

impl CreateArgs {
    /// The plain request `create`'s plan takes.
    pub fn request(&self) -> CreateRequest {
        CreateRequest {
            image: self.image.clone(),
            name: self.name.clone(),
            exact_name: self.exact_name,
            interface: self.interface.map(Interface::from),
            optional: self.optional.0.clone(),
            protected: self.protected,
            owner: self.owner.clone(),
            set: self.set.clone(),
            compat_keys: !self.no_compat_keys,
            passthrough: self.passthrough.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Output format: markdown (docs/LABEL_SCHEMA.md) or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: SchemaFormat,
}

#[derive(Debug, Args)]
pub struct LineageArgs {
    /// Image name, reference or ID.
    pub image: String,
    /// Output format: text (the chain, root first) or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct OwnerArgs {
    /// Container names or IDs.
    #[arg(required = true)]
    pub containers: Vec<String>,
    /// Output format: text (CONTAINER OWNER SOURCE, tab-separated) or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
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
    /// Output format: an aligned table or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: TableFormat,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Output format: a text report or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A container or image name or ID.
    pub target: String,
    /// Output format: a KEY VALUE SOURCE table or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
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
    /// Exit 1 when a finding is at this level or above (hadolint's --failure-threshold).
    #[arg(long, value_enum, default_value_t, value_name = "LEVEL")]
    pub fail_on: FailOn,
    /// Output format: one line per finding and a summary, or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `lint --fail-on`: the lowest finding level that makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FailOn {
    Error,
    #[default]
    Warning,
    Info,
    /// Exit 0 whatever is found.
    None,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the script for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand whose page to print instead (e.g. `build`).
    pub subcommand: Option<String>,
}

/// clap's usage error (`error: ...`, its details, `Usage: ...`, `For more information ...`) as
/// the one line ds01-build prints for bad input: the message and its details joined, a long
/// quoted value capped (see [`crate::messages::quoted`]), then where the usage is shown.
pub fn usage_error_line(rendered: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for line in rendered.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() {
            parts.push(line.to_string());
        }
    }
    let text = parts.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    // clap quotes the values it names in '...'.
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('\'') {
        out.push_str(&rest[..=start]);
        rest = &rest[start + 1..];
        let end = rest.find('\'').unwrap_or(rest.len());
        out.push_str(&crate::messages::excerpt(&rest[..end]));
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix('\'') {
            out.push('\'');
            rest = after;
        }
    }
    out.push_str(rest);
    format!("{out} (see --help)")
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
        let flags: Vec<&str> = InterfaceArg::value_variants()
            .iter()
            .map(|v| Interface::from(*v).as_str())
            .collect();
        assert_eq!(
            flags,
            crate::container_schema::INTERFACE_VALUES[..flags.len()]
        );
        assert_eq!(InterfaceArg::value_variants().len(), Interface::ALL.len());
        for v in InterfaceArg::value_variants() {
            assert_eq!(
                v.to_possible_value().unwrap().get_name(),
                Interface::from(*v).as_str()
            );
        }
    }

    #[test]
    fn label_modes_mirror_the_domain() {
        for v in LabelModeArg::value_variants() {
            let name = v.to_possible_value().unwrap().get_name().to_string();
            let mode = LabelMode::from(*v);
            assert_eq!(format!("{mode:?}").to_ascii_lowercase(), name);
        }
    }

    /// Every flag of the create-flag table is on `ds01-build create`'s command line, and every
    /// optional-key flag reaches the request under its key.
    #[test]
    fn every_create_flag_exists_on_the_command_line() {
        let cli = Cli::command();
        let create = cli.find_subcommand("create").expect("create subcommand");
        for f in crate::container_schema::CREATE_FLAGS {
            let found = create.get_arguments().any(|a| match f.form {
                FlagForm::Argument => a.is_positional() && a.get_id() == "image",
                _ => a.get_long() == Some(long(f.flag)),
            });
            assert!(found, "{} ({}) is not a create argument", f.flag, f.key);
        }
        let mut argv = vec!["ds01-build", "create", "img", "--name", "p"];
        for f in optional_create_flags() {
            argv.extend([f.flag, f.key]);
        }
        let Command::Create(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("expected create")
        };
        let want: Vec<(&str, String)> = optional_create_flags()
            .map(|f| (f.key, f.key.to_string()))
            .collect();
        assert_eq!(args.request().optional, want);
    }

    /// Every option and argument of every subcommand says what it is for; `--help` ends with one
    /// example of the subcommand itself.
    #[test]
    fn help_stands_alone() {
        let mut cli = Cli::command();
        cli.build();
        for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
            for arg in sub.get_arguments() {
                assert!(
                    arg.get_help().is_some(),
                    "{} {}: no help text",
                    sub.get_name(),
                    arg.get_id()
                );
            }
            let after = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            let example = format!("Example:\n  ds01-build {} ", sub.get_name());
            assert!(
                after.starts_with(&example) && after.lines().count() == 2,
                "{}: {after:?}",
                sub.get_name()
            );
        }
    }

    /// `--engine` is offered (under the global heading, with `--verbose`) by exactly the
    /// subcommands that talk to an engine.
    #[test]
    fn engine_options_only_where_an_engine_is_used() {
        let mut cli = Cli::command();
        cli.build();
        for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
            let engine = sub.get_arguments().find(|a| a.get_id() == "engine");
            let wants = !matches!(sub.get_name(), "schema" | "completions" | "man");
            assert_eq!(engine.is_some(), wants, "{}", sub.get_name());
            if let Some(engine) = engine {
                assert_eq!(engine.get_help_heading(), Some(GLOBAL));
            }
            let verbose = sub
                .get_arguments()
                .find(|a| a.get_id() == "verbose")
                .unwrap();
            assert_eq!(verbose.get_help_heading(), Some(GLOBAL));
        }
        let parsed = Cli::try_parse_from(["ds01-build", "ps", "--engine", "podman"]).unwrap();
        assert_eq!(parsed.engine_flag().map(String::as_str), Some("podman"));
        let before = Cli::try_parse_from(["ds01-build", "--engine", "a", "ps"]).unwrap();
        assert_eq!(before.engine_flag().map(String::as_str), Some("a"));
        let both =
            Cli::try_parse_from(["ds01-build", "--engine", "a", "ps", "--engine", "b"]).unwrap();
        assert_eq!(both.engine_flag().map(String::as_str), Some("b"));
        assert!(Cli::try_parse_from(["ds01-build", "schema", "--engine", "podman"]).is_err());
    }

    #[test]
    fn lint_needs_exactly_one_source() {
        assert!(Cli::try_parse_from(["ds01-build", "lint"]).is_err());
        let render = |argv: &[&str]| {
            usage_error_line(&Cli::try_parse_from(argv).unwrap_err().render().to_string())
        };
        assert_eq!(
            render(&["ds01-build", "build", "--format", "xml"]),
            "invalid value 'xml' for '--format <FORMAT>' [possible values: text, json] (see --help)"
        );
        assert_eq!(
            render(&["ds01-build", "lint"]),
            "the following required arguments were not provided: \
             <IMAGE|--container <C>|--dockerfile <F>|--labels <FILE>> (see --help)"
        );
        let long = "x".repeat(1000);
        let line = render(&["ds01-build", "build", "--format", &long]);
        assert!(
            line.starts_with(&format!(
                "invalid value '{}… (1000 bytes)' for",
                "x".repeat(80)
            )),
            "{line}"
        );
        assert!(Cli::try_parse_from(["ds01-build", "lint", "img", "--container", "c"]).is_err());
        assert!(Cli::try_parse_from(["ds01-build", "lint", "--container", "c"]).is_ok());
    }
}
