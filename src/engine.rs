//! The container engine: the only place engine processes are started.
//!
//! Commands are data ([`EngineCommand`]: an argv vector and optional stdin bytes); builders elsewhere
//! return them and tests compare them exactly. Running goes through duct with argv vectors, never a
//! shell. A streaming run forwards SIGINT/SIGTERM/SIGHUP to the child and reports the child's exit code
//! (128+n for a signal) so the binary can pass it through.

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
}

impl EngineError {
    /// The exit code the binary passes through for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            EngineError::Failed { code, .. } => *code,
            EngineError::Spawn { .. } => 127,
        }
    }
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

    pub fn program(&self) -> &str {
        &self.program
    }

    pub fn kind(&self) -> EngineKind {
        self.kind
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
        argv.extend(args.into_iter().map(Into::into));
        EngineCommand {
            argv,
            stdin: None,
            verbose: self.verbose,
            setting: self.setting.clone(),
        }
    }
}

/// One engine invocation as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineCommand {
    /// `argv[0]` is the engine program.
    pub argv: Vec<String>,
    /// Bytes fed to the child's stdin (e.g. a Dockerfile for `-f -`).
    pub stdin: Option<Vec<u8>>,
    verbose: bool,
    setting: Setting,
}

impl EngineCommand {
    pub fn with_stdin(mut self, bytes: Vec<u8>) -> Self {
        self.stdin = Some(bytes);
        self
    }

    /// The command shell-quoted, copy-pasteable.
    pub fn display(&self) -> String {
        shell_words::join(&self.argv)
    }

    fn expression(&self) -> duct::Expression {
        let mut expr = duct::cmd(&self.argv[0], &self.argv[1..]);
        if let Setting::Operator { env, .. } = &self.setting {
            expr = expr.full_env(env.iter().cloned()).dir("/");
        }
        match (&self.stdin, &self.setting) {
            (Some(bytes), _) => expr = expr.stdin_bytes(bytes.clone()),
            (None, Setting::Operator { .. }) => expr = expr.stdin_null(),
            (None, Setting::Caller) => {}
        }
        expr.unchecked()
    }

    fn trace(&self) {
        if self.verbose {
            eprintln!("+ {}", self.display());
        }
    }

    fn spawn_error(&self, source: std::io::Error) -> EngineError {
        EngineError::Spawn {
            program: self.argv[0].clone(),
            error: source,
            hint: match &self.setting {
                Setting::Caller => format!("install docker or podman, or set {ENGINE_ENV}"),
                Setting::Operator { source, .. } => format!("the engine is {source}"),
            },
        }
    }

    /// Run with the child's stdout sent to our stderr (our stdout stays free for results) and stderr
    /// inherited. Signals reaching us are forwarded to the child. A non-zero exit is an error carrying
    /// the code to pass through.
    pub fn run_streaming(&self) -> Result<(), EngineError> {
        self.trace();
        let mut forwarder = SignalForwarder::catch();
        let handle = self
            .expression()
            .stdout_to_stderr()
            .start()
            .map_err(|e| self.spawn_error(e))?;
        forwarder.forward_to(handle.pids());
        let output = handle.wait().map_err(|e| self.spawn_error(e))?;
        match status_code(&output.status) {
            0 => Ok(()),
            code => Err(EngineError::Failed {
                command: self.display(),
                code,
                stderr: String::new(),
            }),
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

/// The signals caught during [`EngineCommand::capture_holding_signals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caught {
    /// The first signal's number.
    pub first: i32,
    pub count: u32,
    /// Whether one was sent on to the engine (the third or later).
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

/// Catches SIGINT, SIGTERM and SIGHUP from before the child starts (so none is lost to the default
/// action) and forwards them to the child once it runs; unregisters on drop.
struct SignalForwarder {
    signals: Option<signal_hook::iterator::Signals>,
    handle: Option<signal_hook::iterator::Handle>,
}

impl SignalForwarder {
    fn catch() -> Self {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).ok();
        let handle = signals.as_ref().map(|s| s.handle());
        SignalForwarder { signals, handle }
    }

    /// Forward caught signals (including any caught already) to `pids`.
    fn forward_to(&mut self, pids: Vec<u32>) {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let Some(mut signals) = self.signals.take() else {
            return;
        };
        std::thread::spawn(move || {
            for sig in signals.forever() {
                if let Ok(sig) = Signal::try_from(sig) {
                    for pid in &pids {
                        let _ = kill(Pid::from_raw(*pid as i32), sig);
                    }
                }
            }
        });
    }
}

impl Drop for SignalForwarder {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.close();
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
    fn streaming_passes_exit_code_through() {
        let err = Engine::new("sh", false)
            .command(["-c", "exit 7"])
            .run_streaming()
            .unwrap_err();
        assert_eq!(err.exit_code(), 7);
    }
}
