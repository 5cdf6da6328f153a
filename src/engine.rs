//! The container engine: the only place engine processes are started.
//!
//! Commands are data ([`EngineCommand`]: an argv vector and optional stdin bytes); builders elsewhere
//! return them and tests compare them exactly. Running goes through duct with argv vectors, never a
//! shell. A streaming run forwards SIGINT/SIGTERM/SIGHUP to the child (within a [`SignalScope`] a
//! command may hold from its start) and reports the child's exit code, 128+n for a signal, so the
//! binary can pass it through. A failure after which the engine does not answer `info` either is
//! [`EngineError::Unreachable`] (exit [`UNREACHABLE`]).

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Environment variable naming the engine program (also `--engine`).
pub const ENGINE_ENV: &str = "DS01_BUILD_ENGINE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Docker,
    Podman,
}

/// A container engine CLI: its program (name or path), flavour, and the environment it runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    program: String,
    kind: EngineKind,
    verbose: bool,
    setting: Setting,
    /// `--context NAME` (docker) / `--connection NAME` (podman), passed before every command.
    context: Option<String>,
}

/// Where an engine's program and environment come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Setting {
    /// The caller's choice, the caller's environment and working directory.
    Caller,
    /// The operator's (with privileges): exactly `env`, working directory `/`, stdin closed unless
    /// fed; `source` names where the program was configured, for messages.
    Operator {
        env: Vec<(String, String)>,
        source: String,
    },
}

#[derive(Debug, Error)]
pub enum EngineError {
    /// The engine ran and failed; `code` is what the binary should exit with.
    #[error("`{command}` exited with code {code}{}", stderr_suffix(.stderr))]
    Failed {
        command: String,
        code: i32,
        stderr: String,
    },
    /// The OS error is part of the message, not a cause, so that it is printed once.
    #[error("cannot run `{program}`: {error} ({hint})")]
    Spawn {
        program: String,
        error: std::io::Error,
        /// How to choose another engine.
        hint: String,
    },
    /// A signal reached ds01-build while the engine ran; it was sent on, and the engine stopped.
    #[error("interrupted by {} during `{what}`: the engine stopped (exit {code})", .caught.name())]
    Interrupted {
        /// The program and its subcommand, e.g. `docker build`.
        what: String,
        caught: Caught,
        code: i32,
    },
    /// A command failed and the engine does not answer `PROGRAM info` either.
    #[error("the engine does not answer (`{probe}` failed: {reason}): {hint}")]
    Unreachable {
        probe: String,
        reason: String,
        hint: String,
    },
    /// The command line cannot be handed to any program (a NUL byte, an argument or the whole
    /// line over the system's limit): bad input, found before anything is started.
    #[error("cannot pass the engine command line: {what}: nothing was run")]
    Argument { what: String },
}

/// The exit code when the engine does not answer (also a fleet query some of whose engines did not).
pub const UNREACHABLE: i32 = 3;

impl EngineError {
    /// The exit code the binary passes through for this error: the engine's own; 127 when the
    /// program is not there, 126 when it is there but cannot be run; 2 for a command line no
    /// program can take (bad input).
    pub fn exit_code(&self) -> i32 {
        match self {
            EngineError::Failed { code, .. } => *code,
            EngineError::Spawn { error, .. } if error.kind() == std::io::ErrorKind::NotFound => 127,
            EngineError::Spawn { .. } => 126,
            EngineError::Argument { .. } => 2,
            EngineError::Interrupted { caught, .. } => 128 + caught.first,
            EngineError::Unreachable { .. } => UNREACHABLE,
        }
    }

    /// Whether this is the engine's own failure (not a signal, not a failure to start), the kind
    /// that may mean the daemon is gone.
    fn engine_failed(&self) -> bool {
        matches!(self, EngineError::Failed { code, .. } if (1..128).contains(code))
    }
}

/// The longest argument or environment string Linux passes to a program: `MAX_ARG_STRLEN`
/// (32 pages of 4 KiB) less its NUL terminator.
pub const MAX_ARG_BYTES: usize = 131_071;

/// Why a string cannot be one argument (or environment string) of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgFault {
    /// A NUL byte: execve's strings end at the first one.
    Nul,
    /// Over [`MAX_ARG_BYTES`]: this many bytes.
    TooLong(usize),
}

impl std::fmt::Display for ArgFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgFault::Nul => write!(
                f,
                "contains a NUL byte, which no program argument can carry: remove it"
            ),
            ArgFault::TooLong(n) => write!(
                f,
                "makes an argument of {n} bytes, over the {MAX_ARG_BYTES} bytes Linux passes as one: shorten it"
            ),
        }
    }
}

/// Whether `arg` can be one program argument.
pub fn arg_fault(arg: &str) -> Option<ArgFault> {
    if arg.contains('\0') {
        Some(ArgFault::Nul)
    } else if arg.len() > MAX_ARG_BYTES {
        Some(ArgFault::TooLong(arg.len()))
    } else {
        None
    }
}

/// What execve counts for a string: its bytes, its NUL and its pointer.
fn exec_cost(len: usize) -> usize {
    len + 1 + std::mem::size_of::<usize>()
}

/// The system's limit on a command line and environment together (`ARG_MAX`, less a page for
/// what the kernel adds: the program path, the auxiliary vector).
fn arg_max() -> usize {
    let max = nix::unistd::sysconf(nix::unistd::SysconfVar::ARG_MAX)
        .ok()
        .flatten()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(131_072);
    max.saturating_sub(4096)
}

fn stderr_suffix(stderr: &str) -> String {
    // Keep the error one line: the engine's first few non-empty lines, joined.
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!(": {}", lines.join(" | "))
    }
}

impl Engine {
    /// Choose the engine: an explicit program (flag or `DS01_BUILD_ENGINE`), else `docker` when it is
    /// on PATH, else `podman` when it is, else `docker` (running then fails with a clear error).
    pub fn detect(explicit: Option<&str>, verbose: bool) -> Engine {
        let program = match explicit.filter(|p| !p.is_empty()) {
            Some(p) => p.to_string(),
            None => {
                if find_on_path("docker").is_some() || find_on_path("podman").is_none() {
                    "docker".to_string()
                } else {
                    "podman".to_string()
                }
            }
        };
        Engine::new(program, verbose)
    }

    pub fn new(program: impl Into<String>, verbose: bool) -> Engine {
        let program = program.into();
        let base = Path::new(&program)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = if base.contains("podman") {
            EngineKind::Podman
        } else {
            EngineKind::Docker
        };
        Engine {
            program,
            kind,
            verbose,
            setting: Setting::Caller,
            context: None,
        }
    }

    /// The operator's engine, for a process with privileges: `program` is an absolute, checked
    /// path (see [`crate::config::trusted`]), run with exactly `env` from `/`; `source` says where
    /// it was configured (`engine.program in FILE`, `built-in default`).
    pub fn operator(
        program: impl Into<String>,
        kind: EngineKind,
        env: Vec<(String, String)>,
        source: impl Into<String>,
        verbose: bool,
    ) -> Engine {
        Engine {
            program: program.into(),
            kind,
            verbose,
            setting: Setting::Operator {
                env,
                source: source.into(),
            },
            context: None,
        }
    }

    /// Whether the operator chose this engine (see [`Engine::operator`]).
    pub fn is_operators(&self) -> bool {
        matches!(self.setting, Setting::Operator { .. })
    }

    /// The same engine as another flavour (for a configured `engine.kind`).
    pub fn with_kind(mut self, kind: EngineKind) -> Engine {
        self.kind = kind;
        self
    }

    /// The same engine reached through a named docker context (podman: a connection).
    pub fn with_context(mut self, context: Option<String>) -> Engine {
        self.context = context;
        self
    }

    /// After `err`, a failed engine command: when the engine does not answer `PROGRAM info`
    /// either, the [`EngineError::Unreachable`] saying so and what to do; `None` when it answers
    /// (then `err` stands). One process, on a failure path only.
    pub fn unreachable_after(&self, err: &EngineError) -> Option<EngineError> {
        if !err.engine_failed() {
            return None;
        }
        self.unreachable()
    }

    /// [`EngineError::Unreachable`] when `PROGRAM info` fails, else `None`.
    pub fn unreachable(&self) -> Option<EngineError> {
        let probe = self.command(["info"]);
        let info = probe.capture().ok()?;
        if info.code == 0 {
            return None;
        }
        let reason = info
            .stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no answer")
            .to_string();
        let hint = match &self.setting {
            Setting::Caller => "start it (e.g. `sudo systemctl start docker`), or choose one that runs with --engine or DOCKER_HOST".to_string(),
            Setting::Operator { source, .. } => {
                format!("ask the operator to start it (the engine is {source})")
            }
        };
        Some(EngineError::Unreachable {
            probe: probe.display(),
            reason,
            hint,
        })
    }

    /// The context (`--context`) every command names, if any.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    /// The operator's fixed environment, for an engine chosen with privileges.
    pub fn operator_env(&self) -> Option<&[(String, String)]> {
        match &self.setting {
            Setting::Operator { env, .. } => Some(env),
            Setting::Caller => None,
        }
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// Whether `--verbose` asked for each command to be traced.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// Whether a failed `inspect`'s stderr says that a named object does not exist (both engines
    /// print the objects they found and fail for the rest). docker: `No such object: x`, `No such
    /// container: x`, `no such image: x`; podman: `no such container x`, `no such object: "x"`,
    /// `x: image not known`.
    pub fn is_missing_object_error(&self, stderr: &str) -> bool {
        let stderr = stderr.to_ascii_lowercase();
        match self.kind {
            EngineKind::Docker => stderr.contains("no such "),
            EngineKind::Podman => {
                stderr.contains("no such ") || stderr.contains(": image not known")
            }
        }
    }

    /// Whether the engine's Dockerfile parser applies a `# escape=` directive inside `LABEL` values.
    /// Buildah (podman 4.3) does not: ``LABEL a="x``y `$D"`` reads back as ``x``y ` `` with `$D`
    /// expanded, so with another escape character labels must reach podman as `--label` flags.
    pub fn honours_label_escape_directive(&self) -> bool {
        self.kind == EngineKind::Docker
    }

    /// Whether a failed `create`'s stderr says the container name is taken. docker: `Conflict. The
    /// container name "/x" is already in use by container "..."`; podman: `the container name "x"
    /// is already in use by ...`.
    pub fn is_name_conflict(&self, stderr: &str) -> bool {
        match self.kind {
            EngineKind::Docker => stderr.contains("is already in use by container"),
            EngineKind::Podman => stderr.contains("is already in use"),
        }
    }

    /// A command `PROGRAM ARGS...`.
    pub fn command<I, S>(&self, args: I) -> EngineCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut argv = vec![self.program.clone()];
        if let Some(context) = &self.context {
            let flag = match self.kind {
                EngineKind::Docker => "--context",
                EngineKind::Podman => "--connection",
            };
            argv.extend([flag.to_string(), context.clone()]);
        }
        argv.extend(args.into_iter().map(Into::into));
        EngineCommand {
            argv,
            stdin: None,
            env: Vec::new(),
            verbose: self.verbose,
            setting: self.setting.clone(),
        }
    }
}

/// The image builder a `build` runs on: docker's legacy builder, BuildKit, or buildah (podman).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    Legacy,
    BuildKit,
    Buildah,
}

impl Builder {
    pub fn name(self) -> &'static str {
        match self {
            Builder::Legacy => "legacy",
            Builder::BuildKit => "buildkit",
            Builder::Buildah => "buildah",
        }
    }
}

/// The environment variable the docker CLI reads to choose its builder.
pub const BUILDKIT_ENV: &str = "DOCKER_BUILDKIT";

/// The builder a build will use, why, and the `DOCKER_BUILDKIT` value ds01-build sets for the
/// child so that the engine builds with exactly that builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderChoice {
    pub builder: Builder,
    /// `DOCKER_BUILDKIT` for the child, when ds01-build pins it.
    pub pin: Option<&'static str>,
    /// The docker CLI version when it was read (`docker --version`).
    pub cli_version: Option<String>,
    /// One line saying how the builder was chosen (shown with `--verbose`).
    pub reason: String,
    /// The builder takes `--annotation` (buildah; BuildKit through buildx).
    pub annotations: bool,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum BuilderError {
    #[error("{BUILDKIT_ENV}={}: expected a boolean as the docker CLI reads it (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)", crate::messages::quoted(.value))]
    BadEnv { value: String },
    #[error("{BUILDKIT_ENV}={value} asks {program} (docker CLI {version}) for BuildKit, which it only builds through the buildx plugin, and no docker-buildx is installed (~/.docker/cli-plugins, /usr/local/lib, /usr/local/libexec, /usr/lib, /usr/libexec: docker/cli-plugins): install docker-buildx, or set {BUILDKIT_ENV}=0 for the legacy builder (a docker CLI before 23, such as Debian's /usr/bin/docker 20.10, builds with BuildKit without buildx)")]
    BuildxMissing {
        value: String,
        program: String,
        version: String,
    },
}

/// Go's `strconv.ParseBool`, which the docker CLI applies to `DOCKER_BUILDKIT`.
pub fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The version in `docker --version` output (`Docker version 28.2.2, build e6534b4`) as
/// (text, major).
pub fn parse_cli_version(output: &str) -> Option<(String, u32)> {
    let rest = output.trim().strip_prefix("Docker version ")?;
    let version = rest.split([',', ' ']).next()?.to_string();
    let major = version.split('.').next()?.parse().ok()?;
    Some((version, major))
}

/// Choose the builder as the docker CLI would, from the engine kind, the `DOCKER_BUILDKIT` value
/// (empty = unset, as the CLI reads it), whether the buildx plugin is installed, and — asked only
/// when the answer depends on it — the CLI version (`version`). Pure apart from `version`.
///
/// - podman: buildah.
/// - `DOCKER_BUILDKIT` false: legacy.
/// - true: BuildKit, built in before CLI 23, through buildx from 23 on: a CLI from 23 on without
///   buildx is an error (the CLI would fail after printing its own noise).
/// - unset: without buildx, legacy (both the CLI's fallback from 23 on and, pinned with
///   `DOCKER_BUILDKIT=0`, an older CLI, which would otherwise ask the daemon); with buildx,
///   BuildKit from CLI 23 on, legacy (pinned) before.
///
/// The builder chosen is pinned for the child with `DOCKER_BUILDKIT=0|1`, so it is the one used.
pub fn choose_builder(
    kind: EngineKind,
    program: &str,
    buildkit_env: Option<&str>,
    buildx: bool,
    version: impl FnOnce() -> Option<(String, u32)>,
) -> Result<BuilderChoice, BuilderError> {
    if kind == EngineKind::Podman {
        return Ok(BuilderChoice {
            builder: Builder::Buildah,
            pin: None,
            cli_version: None,
            reason: format!("{program} builds with buildah"),
            annotations: true,
        });
    }
    let env = buildkit_env.filter(|v| !v.is_empty());
    let wanted = env
        .map(|v| {
            parse_go_bool(v).ok_or_else(|| BuilderError::BadEnv {
                value: v.to_string(),
            })
        })
        .transpose()?;
    let legacy = |cli_version, reason| BuilderChoice {
        builder: Builder::Legacy,
        pin: Some("0"),
        cli_version,
        reason,
        annotations: false,
    };
    let buildkit = |cli_version, reason, annotations| BuilderChoice {
        builder: Builder::BuildKit,
        pin: Some("1"),
        cli_version,
        reason,
        annotations,
    };
    if wanted == Some(false) {
        return Ok(legacy(
            None,
            format!("{BUILDKIT_ENV}={}", env.unwrap_or_default()),
        ));
    }
    if wanted.is_none() && !buildx {
        return Ok(legacy(
            None,
            format!(
                "{BUILDKIT_ENV} unset and no buildx plugin (set {BUILDKIT_ENV}=1 for BuildKit)"
            ),
        ));
    }
    let cli = version();
    let shown = cli
        .as_ref()
        .map_or_else(|| "of unknown version".to_string(), |(v, _)| v.clone());
    let modern = cli.as_ref().is_some_and(|(_, major)| *major >= 23);
    let cli_version = cli.map(|(v, _)| v);
    Ok(match (wanted, modern, buildx) {
        (Some(true), true, true) | (None, true, true) => buildkit(
            cli_version,
            format!("docker CLI {shown} with buildx"),
            true,
        ),
        (Some(true), true, false) => {
            return Err(BuilderError::BuildxMissing {
                value: env.unwrap_or_default().to_string(),
                program: program.to_string(),
                version: shown,
            })
        }
        (Some(true), false, _) => buildkit(
            cli_version,
            format!(
                "{BUILDKIT_ENV}={} with docker CLI {shown}: BuildKit built in",
                env.unwrap_or_default()
            ),
            false,
        ),
        _ => legacy(
            cli_version,
            format!("{BUILDKIT_ENV} unset with docker CLI {shown}, older than 23 (set {BUILDKIT_ENV}=1 for BuildKit)"),
        ),
    })
}

/// The directories the docker CLI looks for plugins in: `$DOCKER_CONFIG/cli-plugins` (default
/// `~/.docker/cli-plugins`), then the system directories.
fn cli_plugin_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    match std::env::var_os("DOCKER_CONFIG") {
        Some(config) => dirs.push(PathBuf::from(config).join("cli-plugins")),
        None => {
            if let Some(home) = std::env::var_os("HOME") {
                dirs.push(PathBuf::from(home).join(".docker/cli-plugins"));
            }
        }
    }
    for dir in [
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
    ] {
        dirs.push(PathBuf::from(dir));
    }
    dirs
}

impl Engine {
    /// Detect the builder a build will use (see [`choose_builder`]). Looking for the buildx plugin
    /// is a file check; a process (`PROGRAM --version`, client only, no daemon) runs only when the
    /// answer depends on the CLI version: `DOCKER_BUILDKIT` true, or unset with buildx installed.
    pub fn detect_builder(
        &self,
        buildkit_env: Option<&str>,
    ) -> Result<BuilderChoice, BuilderError> {
        let buildx = self.kind == EngineKind::Docker
            && cli_plugin_dirs()
                .iter()
                .any(|dir| is_executable(&dir.join("docker-buildx")));
        choose_builder(self.kind, &self.program, buildkit_env, buildx, || {
            let captured = self.command(["--version"]).capture().ok()?;
            (captured.code == 0)
                .then(|| parse_cli_version(&captured.stdout))
                .flatten()
        })
    }
}

/// One engine invocation as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineCommand {
    /// `argv[0]` is the engine program.
    pub argv: Vec<String>,
    /// Bytes fed to the child's stdin (e.g. a Dockerfile for `-f -`).
    pub stdin: Option<Vec<u8>>,
    /// Environment variables set for the child on top of ours (e.g. `DOCKER_BUILDKIT=0`).
    pub env: Vec<(String, String)>,
    verbose: bool,
    setting: Setting,
}

impl EngineCommand {
    pub fn with_stdin(mut self, bytes: Vec<u8>) -> Self {
        self.stdin = Some(bytes);
        self
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// The command shell-quoted, copy-pasteable (`KEY=VALUE` assignments first).
    pub fn display(&self) -> String {
        // `KEY=VALUE` stays an assignment only with the name unquoted.
        let mut words: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_words::quote(v)))
            .collect();
        words.push(shell_words::join(&self.argv));
        words.join(" ")
    }

    fn expression(&self) -> duct::Expression {
        let mut expr = duct::cmd(self.spawn_program(), &self.argv[1..]);
        if let Setting::Operator { env, .. } = &self.setting {
            expr = expr.full_env(env.iter().cloned()).dir("/");
        }
        // After a full environment: the builder ds01-build pinned is set in every setting.
        for (key, value) in &self.env {
            expr = expr.env(key, value);
        }
        match (&self.stdin, &self.setting) {
            (Some(bytes), _) => expr = expr.stdin_bytes(bytes.clone()),
            (None, Setting::Operator { .. }) => expr = expr.stdin_null(),
            (None, Setting::Caller) => {}
        }
        expr.unchecked()
    }

    /// The program to start: a bare name (the caller's `docker`) resolved on PATH here, as the
    /// child's `execvp` would, else `argv[0]` as given (a path, or a name on no PATH entry, which
    /// then fails to start as before). duct sets the child's environment explicitly, and with an
    /// environment set std starts a bare name by forking this whole process and searching PATH in
    /// the child; a path is started with `posix_spawn` (vfork), which is cheaper (see Benchmarks,
    /// create).
    fn spawn_program(&self) -> PathBuf {
        let program = &self.argv[0];
        match self.setting {
            Setting::Caller if !program.contains('/') => {
                find_on_path(program).unwrap_or_else(|| PathBuf::from(program))
            }
            _ => PathBuf::from(program),
        }
    }

    /// Refuse a command line no program can be given ([`arg_fault`] for each argument and added
    /// environment variable, and the whole line with the environment within `ARG_MAX`), before
    /// anything starts. Every run checks it; a command that must not even begin to run its
    /// preparation (queries before it) checks it first.
    pub fn check(&self) -> Result<(), EngineError> {
        use crate::messages::quoted;
        for (i, arg) in self.argv.iter().enumerate() {
            if let Some(fault) = arg_fault(arg) {
                return Err(EngineError::Argument {
                    what: format!("argument {i} {} {fault}", quoted(arg)),
                });
            }
        }
        for (key, value) in &self.env {
            if let Some(fault) = arg_fault(&format!("{key}={value}")) {
                return Err(EngineError::Argument {
                    what: format!("environment variable {key}={} {fault}", quoted(value)),
                });
            }
        }
        let inherited: usize = match &self.setting {
            Setting::Caller => std::env::vars_os()
                .map(|(k, v)| exec_cost(k.len() + 1 + v.len()))
                .sum(),
            Setting::Operator { env, .. } => env
                .iter()
                .map(|(k, v)| exec_cost(k.len() + 1 + v.len()))
                .sum(),
        };
        let total = inherited
            + self.argv.iter().map(|a| exec_cost(a.len())).sum::<usize>()
            + self
                .env
                .iter()
                .map(|(k, v)| exec_cost(k.len() + 1 + v.len()))
                .sum::<usize>();
        let max = arg_max();
        if total > max {
            return Err(EngineError::Argument {
                what: format!(
                    "its {} arguments and the environment are {total} bytes, over the system's \
                     limit of {max} (ARG_MAX)",
                    self.argv.len()
                ),
            });
        }
        Ok(())
    }

    fn trace(&self) {
        if self.verbose {
            crate::say!("+ {}", crate::output::escape_message(&self.display()));
        }
    }

    /// What a failure to start means: a program that is not there (127, how to choose one), one
    /// that cannot be run (126), or a command line the system refused (bad input, 2; [`check`]
    /// finds these first, this is for a limit it did not foresee).
    ///
    /// [`check`]: EngineCommand::check
    fn spawn_error(&self, source: std::io::Error) -> EngineError {
        use std::io::ErrorKind;
        if source.kind() == ErrorKind::InvalidInput
            || source.raw_os_error() == Some(nix::libc::E2BIG)
        {
            return EngineError::Argument {
                what: format!(
                    "`{}` ({} arguments): {source}",
                    self.argv[0],
                    self.argv.len()
                ),
            };
        }
        let hint = match (&self.setting, source.kind()) {
            (Setting::Operator { source, .. }, _) => format!("the engine is {source}"),
            (Setting::Caller, ErrorKind::NotFound) => {
                format!("install docker or podman, or set {ENGINE_ENV}")
            }
            (Setting::Caller, _) => {
                format!("it must be an executable program; choose another with --engine or {ENGINE_ENV}")
            }
        };
        EngineError::Spawn {
            program: self.argv[0].clone(),
            error: source,
            hint,
        }
    }

    /// Run with the child's stdout sent to our stderr (our stdout stays free for results) and stderr
    /// inherited. Signals reaching us are forwarded to the child. A non-zero exit is an error carrying
    /// the code to pass through.
    pub fn run_streaming(&self) -> Result<(), EngineError> {
        self.run_streaming_in(&SignalScope::catch())
    }

    /// [`EngineCommand::run_streaming`] within `scope`, which a command holds from its start (so a
    /// signal before the engine starts is not lost either): a signal caught before is an
    /// [`EngineError::Interrupted`] without starting the engine; one caught while it runs is sent
    /// on, and the engine's failure then is [`EngineError::Interrupted`] (exit 128 + the signal).
    pub fn run_streaming_in(&self, scope: &SignalScope) -> Result<(), EngineError> {
        let interrupted = |caught, code| EngineError::Interrupted {
            what: self.what(),
            caught,
            code,
        };
        if let Some(caught) = scope.caught() {
            return Err(interrupted(caught, 128 + caught.first));
        }
        self.check()?;
        self.trace();
        let handle = self
            .expression()
            .stdout_to_stderr()
            .start()
            .map_err(|e| self.spawn_error(e))?;
        scope.forward_to(handle.pids());
        let output = handle.wait();
        scope.forward_to(Vec::new());
        let output = output.map_err(|e| self.spawn_error(e))?;
        match (status_code(&output.status), scope.caught()) {
            (0, _) => Ok(()),
            (code, Some(caught)) => Err(interrupted(caught, code)),
            (code, None) => Err(EngineError::Failed {
                command: self.display(),
                code,
                stderr: String::new(),
            }),
        }
    }

    /// The program and its subcommand, for messages: `docker build`.
    fn what(&self) -> String {
        let mut args = self.argv[1..].iter();
        let mut verb = args.next();
        if verb.is_some_and(|v| v == "--context" || v == "--connection") {
            verb = args.nth(1);
        }
        match verb {
            Some(verb) => format!("{} {verb}", self.argv[0]),
            None => self.argv[0].clone(),
        }
    }

    /// Run and capture stdout (returned) and stderr (kept in the error).
    pub fn output(&self) -> Result<String, EngineError> {
        let captured = self.capture()?;
        match captured.code {
            0 => Ok(captured.stdout),
            _ => Err(self.failure(captured)),
        }
    }

    /// Run and capture stdout and stderr whatever the exit code: for commands such as `inspect A B`
    /// that print what they found and fail for the rest. Only a failure to start is an error.
    pub fn capture(&self) -> Result<Captured, EngineError> {
        self.check()?;
        self.trace();
        let output = self
            .expression()
            .stdout_capture()
            .stderr_capture()
            .run()
            .map_err(|e| self.spawn_error(e))?;
        Ok(Captured {
            code: status_code(&output.status),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Run and capture like [`EngineCommand::capture`], holding back SIGINT, SIGTERM and SIGHUP: for
    /// a request the daemon carries out whatever happens to its client (`docker create`: the
    /// daemon creates the container even when the CLI dies), so the caller learns the outcome and
    /// can undo it. The child runs in its own process group with stdin closed, so a terminal's ^C
    /// reaches only ds01-build. The first two signals are held; a third is sent to the child's
    /// group (an escape hatch: then the daemon may still carry the request out). Returns the run
    /// and what was caught.
    pub fn capture_holding_signals(&self) -> Result<(Captured, Option<Caught>), EngineError> {
        use nix::sys::signal::{killpg, Signal};
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        use std::os::unix::process::CommandExt;
        use std::sync::{Arc, Mutex};
        self.check()?;
        self.trace();
        // Caught from before the child starts, so none is lost to the default action.
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .map_err(|e| self.spawn_error(e))?;
        let closer = signals.handle();
        let mut expr = self.expression();
        if self.stdin.is_none() {
            expr = expr.stdin_null();
        }
        let handle = expr
            .stdout_capture()
            .stderr_capture()
            .before_spawn(|cmd| {
                cmd.process_group(0);
                Ok(())
            })
            .start();
        let handle = match handle {
            Ok(handle) => handle,
            Err(e) => {
                closer.close();
                return Err(self.spawn_error(e));
            }
        };
        let group = nix::unistd::Pid::from_raw(handle.pids()[0] as i32);
        let caught: Arc<Mutex<Option<Caught>>> = Arc::default();
        let seen = Arc::clone(&caught);
        let watcher = std::thread::spawn(move || {
            for number in signals.forever() {
                let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                let entry = seen.get_or_insert(Caught {
                    first: number,
                    count: 0,
                    forwarded: false,
                });
                entry.count += 1;
                if entry.count >= 3 {
                    if let Ok(signal) = Signal::try_from(number) {
                        entry.forwarded |= killpg(group, signal).is_ok();
                    }
                }
            }
        });
        let output = handle.wait().map_err(|e| self.spawn_error(e));
        closer.close();
        let _ = watcher.join();
        let output = output?;
        let caught = caught.lock().unwrap_or_else(|p| p.into_inner()).take();
        Ok((
            Captured {
                code: status_code(&output.status),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            },
            caught,
        ))
    }

    /// The error for a captured run that failed (what [`EngineCommand::output`] returns).
    pub fn failure(&self, captured: Captured) -> EngineError {
        EngineError::Failed {
            command: self.display(),
            code: captured.code,
            stderr: captured.stderr,
        }
    }
}

/// The signals caught during [`EngineCommand::capture_holding_signals`] or in a [`SignalScope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caught {
    /// The first signal's number.
    pub first: i32,
    pub count: u32,
    /// Whether one was sent on to the engine (holding: the third or later; a scope: each).
    pub forwarded: bool,
}

impl Caught {
    /// The first signal's name, e.g. `SIGTERM`.
    pub fn name(&self) -> &'static str {
        nix::sys::signal::Signal::try_from(self.first).map_or("a signal", |s| s.as_str())
    }
}

/// A finished captured run: exit code (128+n for signal n), stdout and stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The exit code to report for a child's status: its code, or 128+n when killed by signal n.
pub fn status_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

/// Catches SIGINT, SIGTERM and SIGHUP for as long as it lives, so that none is lost to the default
/// action (which would end ds01-build before it removes its temporary directory): each is recorded
/// ([`SignalScope::caught`]) and sent on to the engine process running at that moment, if any.
/// Dropping it stops catching (signal-hook then leaves those signals without effect).
pub struct SignalScope {
    state: std::sync::Arc<std::sync::Mutex<ScopeState>>,
    handle: Option<signal_hook::iterator::Handle>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct ScopeState {
    caught: Option<Caught>,
    /// The engine processes running now.
    child: Vec<u32>,
}

impl ScopeState {
    fn send(&mut self, signal: i32) {
        use nix::sys::signal::{kill, Signal};
        let Ok(signal) = Signal::try_from(signal) else {
            return;
        };
        for pid in &self.child {
            let sent = kill(nix::unistd::Pid::from_raw(*pid as i32), signal).is_ok();
            if let Some(caught) = &mut self.caught {
                caught.forwarded |= sent;
            }
        }
    }
}

impl SignalScope {
    /// A scope that catches nothing (signals keep their default action): for a run that starts no
    /// engine and leaves nothing behind, such as a dry run, which then needs no watcher thread.
    pub fn idle() -> SignalScope {
        SignalScope {
            state: std::sync::Arc::default(),
            handle: None,
            thread: None,
        }
    }

    pub fn catch() -> SignalScope {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return SignalScope::idle();
        };
        let state = std::sync::Arc::<std::sync::Mutex<ScopeState>>::default();
        let handle = signals.handle();
        let seen = std::sync::Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            for signal in signals.forever() {
                let mut state = seen.lock().unwrap_or_else(|p| p.into_inner());
                let caught = state.caught.get_or_insert(Caught {
                    first: signal,
                    count: 0,
                    forwarded: false,
                });
                caught.count += 1;
                state.send(signal);
            }
        });
        SignalScope {
            state,
            handle: Some(handle),
            thread: Some(thread),
        }
    }

    /// What was caught so far.
    pub fn caught(&self) -> Option<Caught> {
        self.lock().caught
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ScopeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Send signals to `pids` from now on; the first one caught already, if any, at once.
    fn forward_to(&self, pids: Vec<u32>) {
        let mut state = self.lock();
        state.child = pids;
        if let Some(caught) = state.caught {
            state.send(caught.first);
        }
    }
}

impl Drop for SignalScope {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.close();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Look `name` up on PATH like a shell would (without running one).
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_program_name_is_started_by_its_path_on_path() {
        let on_path = find_on_path("sh").expect("sh on PATH");
        assert!(on_path.is_absolute());
        let sh = Engine::new("sh", false).command(["-c", "true"]);
        assert_eq!(sh.spawn_program(), on_path);
        assert_eq!(sh.argv[0], "sh", "the argv shown and traced stays as given");
        let missing = Engine::new("ds01-no-such-engine", false).command(["x"]);
        assert_eq!(
            missing.spawn_program(),
            PathBuf::from("ds01-no-such-engine")
        );
        let relative = Engine::new("./docker", false).command(["x"]);
        assert_eq!(relative.spawn_program(), PathBuf::from("./docker"));
        let operator =
            Engine::operator("sh", EngineKind::Docker, vec![], "test", false).command(["x"]);
        assert_eq!(operator.spawn_program(), PathBuf::from("sh"));
    }

    #[test]
    fn kind_follows_program_name() {
        assert_eq!(Engine::new("docker", false).kind(), EngineKind::Docker);
        assert_eq!(
            Engine::new("/usr/bin/podman", false).kind(),
            EngineKind::Podman
        );
        assert_eq!(
            Engine::new("/opt/podman-remote", false).kind(),
            EngineKind::Podman
        );
    }

    #[test]
    fn missing_objects_in_each_engines_words() {
        let docker = Engine::new("docker", false);
        let podman = Engine::new("podman", false);
        for stderr in [
            "Error: No such object: x",
            "Error response from daemon: No such container: x",
            "Error response from daemon: no such image: x: No such image: x:latest",
        ] {
            assert!(docker.is_missing_object_error(stderr), "{stderr}");
        }
        for stderr in [
            "Error: inspecting object: no such container x",
            "Error: inspecting object: no such object: \"x\"",
            "Error: inspecting object: x: image not known",
        ] {
            assert!(podman.is_missing_object_error(stderr), "{stderr}");
        }
        let other = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock";
        assert!(!docker.is_missing_object_error(other));
        assert!(!podman.is_missing_object_error(other));
    }

    #[test]
    fn name_conflict_in_each_engines_words() {
        assert!(Engine::new("docker", false).is_name_conflict(
            "Error response from daemon: Conflict. The container name \"/a\" is already in use by container \"0123\". You have to remove (or rename) that container to be able to reuse that name."
        ));
        assert!(Engine::new("podman", false).is_name_conflict(
            "Error: creating container storage: the container name \"a\" is already in use by 0123. You have to remove that container to be able to reuse that name: that name is already in use"
        ));
        assert!(!Engine::new("docker", false).is_name_conflict("Error: No such image: x"));
        assert!(!Engine::new("podman", false).is_name_conflict("Error: x: image not known"));
    }

    #[test]
    fn explicit_engine_wins() {
        assert_eq!(Engine::detect(Some("podman"), false).program(), "podman");
    }

    #[test]
    fn display_is_shell_quoted() {
        let cmd = Engine::new("docker", false).command(["build", "--label", "a=$HOME x", "."]);
        assert_eq!(cmd.display(), "docker build --label 'a=$HOME x' .");
        let cmd = cmd.with_env("DOCKER_BUILDKIT", "1").with_env("X", "a b");
        assert_eq!(
            cmd.display(),
            "DOCKER_BUILDKIT=1 X='a b' docker build --label 'a=$HOME x' ."
        );
    }

    #[test]
    fn env_reaches_the_child() {
        let cmd = Engine::new("sh", false)
            .command(["-c", "echo \"$DOCKER_BUILDKIT\""])
            .with_env("DOCKER_BUILDKIT", "0");
        assert_eq!(cmd.output().unwrap(), "0\n");
    }

    fn choose(
        kind: EngineKind,
        env: Option<&str>,
        version: Option<u32>,
        buildx: bool,
    ) -> Result<(Builder, Option<&'static str>), BuilderError> {
        let asked = std::cell::Cell::new(false);
        let got = choose_builder(kind, "docker", env, buildx, || {
            asked.set(true);
            version.map(|m| (format!("{m}.0.0"), m))
        })
        .map(|c| (c.builder, c.pin));
        // The version (a process) is asked only when the answer depends on it.
        let needed = kind == EngineKind::Docker
            && match env.filter(|v| !v.is_empty()) {
                None => buildx,
                Some(v) => parse_go_bool(v) == Some(true),
            };
        assert_eq!(asked.get(), needed, "{kind:?} {env:?} buildx={buildx}");
        got
    }

    #[test]
    fn builder_follows_the_docker_cli_rules() {
        use Builder::*;
        use EngineKind::{Docker, Podman};
        assert_eq!(choose(Podman, Some("1"), None, false), Ok((Buildah, None)));
        // Unset without buildx: legacy on every CLI, no process started.
        assert_eq!(
            choose(Docker, None, Some(28), false),
            Ok((Legacy, Some("0")))
        );
        assert_eq!(
            choose(Docker, Some(""), Some(20), false),
            Ok((Legacy, Some("0")))
        );
        assert_eq!(
            choose(Docker, Some("0"), Some(28), true),
            Ok((Legacy, Some("0")))
        );
        assert_eq!(
            choose(Docker, Some("F"), Some(20), false),
            Ok((Legacy, Some("0")))
        );
        // CLI < 23: BuildKit built in when asked for; unset stays legacy even with buildx.
        assert_eq!(
            choose(Docker, Some("1"), Some(20), false),
            Ok((BuildKit, Some("1")))
        );
        assert_eq!(
            choose(Docker, Some("true"), None, false),
            Ok((BuildKit, Some("1")))
        );
        assert_eq!(
            choose(Docker, None, Some(20), true),
            Ok((Legacy, Some("0")))
        );
        // CLI >= 23: BuildKit through buildx.
        assert_eq!(
            choose(Docker, None, Some(28), true),
            Ok((BuildKit, Some("1")))
        );
        assert_eq!(
            choose(Docker, Some("1"), Some(28), true),
            Ok((BuildKit, Some("1")))
        );
        assert!(matches!(
            choose(Docker, Some("1"), Some(28), false),
            Err(BuilderError::BuildxMissing { .. })
        ));
        assert_eq!(
            choose_builder(Docker, "docker", Some("yes"), true, || unreachable!()),
            Err(BuilderError::BadEnv {
                value: "yes".into()
            })
        );
    }

    #[test]
    fn cli_version_is_read_from_docker_version() {
        assert_eq!(
            parse_cli_version("Docker version 28.2.2, build e6534b4\n"),
            Some(("28.2.2".into(), 28))
        );
        assert_eq!(
            parse_cli_version("Docker version 20.10.24+dfsg1, build 297e128"),
            Some(("20.10.24+dfsg1".into(), 20))
        );
        assert_eq!(parse_cli_version("podman version 4.3.1"), None);
    }

    #[test]
    fn captured_failure_keeps_code_and_stderr() {
        let cmd = Engine::new("sh", false).command(["-c", "echo oops >&2; exit 7"]);
        let err = cmd.output().unwrap_err();
        assert_eq!(err.exit_code(), 7);
        assert!(err.to_string().contains("oops"), "{err}");
    }

    #[test]
    fn capture_keeps_stdout_of_a_failed_run() {
        let cmd = Engine::new("sh", false).command(["-c", "echo found; echo gone >&2; exit 1"]);
        let captured = cmd.capture().unwrap();
        assert_eq!(captured.code, 1);
        assert_eq!(captured.stdout, "found\n");
        assert_eq!(captured.stderr, "gone\n");
        assert_eq!(cmd.failure(captured).exit_code(), 1);
    }

    #[test]
    fn stdin_reaches_the_child() {
        let cmd = Engine::new("cat", false)
            .command(Vec::<String>::new())
            .with_stdin(b"FROM scratch\n".to_vec());
        assert_eq!(cmd.output().unwrap(), "FROM scratch\n");
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let err = Engine::new("/nonexistent/docker", false)
            .command(["info"])
            .output()
            .unwrap_err();
        assert_eq!(err.exit_code(), 127);
        assert!(err.to_string().contains(ENGINE_ENV));
    }

    #[test]
    fn messages_name_the_program_and_its_subcommand() {
        let engine = Engine::new("docker", false);
        assert_eq!(engine.command(["build", "-f", "-"]).what(), "docker build");
        let far = engine.with_context(Some("far".into()));
        assert_eq!(far.command(["create", "x"]).what(), "docker create");
    }

    #[test]
    fn command_lines_no_program_can_take_are_input_errors_before_running() {
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("ran");
        let engine = Engine::new("sh", false);
        let touch = format!("touch '{}'", mark.display());
        let cases = [
            (
                vec!["-c".to_string(), touch.clone(), "a\0b".to_string()],
                "argument 3 \"a\\0b\" contains a NUL byte",
            ),
            (
                vec![
                    "-c".to_string(),
                    touch.clone(),
                    "x".repeat(MAX_ARG_BYTES + 1),
                ],
                "makes an argument of 131072 bytes, over the 131071 bytes",
            ),
            (
                // Each argument fits; together they are over ARG_MAX.
                std::iter::once("-c".to_string())
                    .chain(std::iter::once(touch.clone()))
                    .chain(std::iter::repeat_n(
                        "y".repeat(MAX_ARG_BYTES),
                        arg_max() / MAX_ARG_BYTES + 1,
                    ))
                    .collect(),
                "over the system's limit of",
            ),
        ];
        for (args, needle) in cases {
            let err = engine.command(args).capture().unwrap_err();
            assert_eq!(err.exit_code(), 2, "{err}");
            let text = err.to_string();
            assert!(text.contains(needle), "{text}");
            assert!(
                text.len() < 400,
                "the argument is quoted whole: {}",
                text.len()
            );
            assert!(!mark.exists(), "the program ran");
        }
        let err = engine
            .command(["-c", "true"])
            .with_env("V", "a\0b")
            .run_streaming()
            .unwrap_err();
        assert!(err.to_string().contains("environment variable V="), "{err}");
        assert_eq!(err.exit_code(), 2);
        // A limit `check` did not foresee is still named for what it is, not "not found".
        let e2big = engine
            .command(["-c"])
            .spawn_error(std::io::Error::from_raw_os_error(nix::libc::E2BIG));
        assert_eq!(e2big.exit_code(), 2);
        assert!(!e2big.to_string().contains("install"), "{e2big}");
    }

    #[test]
    fn a_program_that_is_there_but_cannot_run_exits_126() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker");
        std::fs::write(&file, "not a program").unwrap();
        let err = Engine::new(file.display().to_string(), false)
            .command(["info"])
            .capture()
            .unwrap_err();
        assert_eq!(err.exit_code(), 126, "{err}");
        assert!(
            err.to_string().contains("must be an executable program"),
            "{err}"
        );
    }

    #[test]
    fn streaming_passes_exit_code_through() {
        let err = Engine::new("sh", false)
            .command(["-c", "exit 7"])
            .run_streaming()
            .unwrap_err();
        assert_eq!(err.exit_code(), 7);
    }
}
