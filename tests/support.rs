//! Shared test harness: run the binary with a controlled environment, talk to the real engine, and
//! clean up what a test created.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The project root (where `profiles/` and `examples/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A pending run of the `ds01-build` binary.
pub struct Ds01 {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// What a run did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Out {
    fn from(output: std::process::Output) -> Self {
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Out {
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// A failure with exactly one stderr line containing `needle`.
    #[track_caller]
    pub fn fails_with(&self, needle: &str) -> &Self {
        assert_ne!(
            self.code, 0,
            "expected failure\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one error line, got: {}",
            self.stderr
        );
        self.stderr_has(needle)
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert_has("stdout", &self.stdout, needle);
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert_has("stderr", &self.stderr, needle);
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

#[track_caller]
fn assert_has(stream: &str, text: &str, needle: &str) {
    assert!(text.contains(needle), "{stream} lacks {needle:?}: {text}");
}

/// `ds01-build ARGS...`, run from the project root with the engine chosen for the tests.
pub fn ds01(args: &[&str]) -> Ds01 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ds01-build"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("DS01_CONTEXT")
        .env_remove("DS01_BUILD_PROFILES");
    // CI variables change what `build` records; a test sets the ones it is about.
    for var in [
        "GITHUB_OUTPUT",
        "GITHUB_SHA",
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "CI_COMMIT_SHA",
        "CI_PROJECT_URL",
        "SOURCE_COMMIT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("DS01_BUILD_ENGINE", engine_program());
    Ds01 { cmd, stdin: None }
}

impl Ds01 {
    pub fn args(mut self, args: &[&str]) -> Self {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// The command itself, to spawn and signal.
    pub fn into_command(self) -> Command {
        self.cmd
    }

    pub fn stdin(mut self, bytes: &[u8]) -> Self {
        self.stdin = Some(bytes.to_vec());
        self
    }

    pub fn run(mut self) -> Out {
        use std::io::Write;
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn ds01-build");
        if let Some(bytes) = self.stdin.take() {
            child.stdin.take().unwrap().write_all(&bytes).unwrap();
        }
        child.wait_with_output().unwrap().into()
    }
}

/// The engine program tests use: `DS01_BUILD_ENGINE`, else `docker`.
pub fn engine_program() -> String {
    std::env::var("DS01_BUILD_ENGINE").unwrap_or_else(|_| "docker".to_string())
}

/// Whether the test engine builds with BuildKit: a docker CLI with `DOCKER_BUILDKIT` true (CI runs
/// the build tests once so, with Debian's 20.10 CLI, which has BuildKit built in).
pub fn buildkit() -> bool {
    !engine_program().contains("podman")
        && matches!(
            std::env::var("DOCKER_BUILDKIT").as_deref(),
            Ok("1" | "t" | "T" | "TRUE" | "true" | "True")
        )
}

/// Whether `program info` succeeds.
fn answers(program: &str) -> bool {
    Command::new(program)
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Which engines answer, asked once per test process for every engine the tests use, before the
/// first engine test starts (so a run that stops here has created nothing). Unless
/// `DS01_BUILD_E2E=skip`, an engine that does not answer ends the run: one message saying how to
/// start it, exit code 1.
struct Engines {
    test_engine: bool,
    podman: bool,
}

/// Whether `DS01_BUILD_E2E=skip`: engine (and privileged) tests that cannot run return early,
/// counted by [`skipped`]; otherwise they fail. Any value but `require`, `skip` or none ends the run.
pub fn skip_mode() -> bool {
    match std::env::var("DS01_BUILD_E2E").unwrap_or_default().as_str() {
        "" | "require" => false,
        "skip" => true,
        other => stop(&format!(
            "DS01_BUILD_E2E={other:?}: expected require (the default) or skip"
        )),
    }
}

fn engines() -> &'static Engines {
    static ENGINES: OnceLock<Engines> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let skip = skip_mode();
        let program = engine_program();
        let test_engine = answers(&program);
        let podman = if program == "podman" {
            test_engine
        } else {
            answers("podman")
        };
        let found = Engines {
            test_engine,
            podman,
        };
        let mut missing = Vec::new();
        if !found.test_engine {
            missing.push(format!(
                "`{program} info` fails: start the engine (`dockerd --bridge=none --iptables=false &` \
                 as root, or `.ci/run`, which installs and starts one)"
            ));
        }
        if !found.podman && program != "podman" {
            missing.push(
                "`podman info` fails: install podman (`apt-get install podman`; `.ci/run` does)"
                    .to_string(),
            );
        }
        if !missing.is_empty() && !skip {
            stop(&format!(
                "{}; or set DS01_BUILD_E2E=skip to run without those engine tests",
                missing.join("; ")
            ));
        }
        if !missing.is_empty() {
            report_skips_at_exit(missing.join("; "));
        }
        found
    })
}

/// End the test run with one message on the real stderr (not captured by the test harness).
fn stop(message: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\nds01-build tests: {message}");
    std::process::exit(1)
}

static SKIPPED: AtomicUsize = AtomicUsize::new(0);
static SKIP_REASON: OnceLock<String> = OnceLock::new();

/// Count an engine test that returned early under `DS01_BUILD_E2E=skip`.
pub fn skipped() {
    SKIPPED.fetch_add(1, Ordering::Relaxed);
}

/// Count a test skipped for `reason` under `DS01_BUILD_E2E=skip` (the count and the first reason
/// are printed when the run ends).
pub fn skipped_because(reason: &str) {
    report_skips_at_exit(reason.to_string());
    skipped();
}

/// Under `DS01_BUILD_E2E=skip`, print how many engine tests were skipped once the run ends (after
/// the harness's own summary), so that a skip never looks like a pass.
fn report_skips_at_exit(reason: String) {
    extern "C" fn report() {
        use std::io::Write;
        let n = SKIPPED.load(Ordering::Relaxed);
        let reason = SKIP_REASON.get().map_or("", String::as_str);
        let _ = writeln!(
            std::io::stderr().lock(),
            "ds01-build tests: {n} engine tests SKIPPED (DS01_BUILD_E2E=skip): {reason}"
        );
    }
    if SKIP_REASON.set(reason).is_err() {
        return; // registered already
    }
    // SAFETY: `report` is a plain function that only reads atomics and a OnceLock and writes to
    // stderr; it never unwinds (write errors are ignored).
    #[allow(unsafe_code)]
    unsafe {
        libc::atexit(report);
    }
}

/// Whether the test engine answers (see [`engines`]: without one, the run stops unless skipping).
pub fn engine_available() -> bool {
    engines().test_engine
}

/// Whether podman answers `podman info`, whatever the test engine is (CI installs podman).
pub fn podman_available() -> bool {
    engines().podman
}

/// Start an engine test: under `DS01_BUILD_E2E=skip`, returns (counted as skipped) when no engine
/// answers; otherwise a missing engine has already ended the run.
#[macro_export]
macro_rules! require_engine {
    () => {
        if !$crate::support::engine_available() {
            $crate::support::skipped();
            return;
        }
    };
}

/// Start a podman test: like [`require_engine`], for podman.
#[macro_export]
macro_rules! require_podman {
    () => {
        if !$crate::support::podman_available() {
            $crate::support::skipped();
            return;
        }
    };
}

/// A name unique to this test process and call: `ds01t-<tag>-<pid>-<n>`, lowercase.
pub fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "ds01t-{}-{}-{}",
        tag.to_lowercase(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Run the test engine directly with `args`; panics on spawn failure.
pub fn engine(args: &[&str]) -> Out {
    engine_with(&engine_program(), args)
}

/// Run engine `program` (docker, podman) directly with `args`; panics on spawn failure.
pub fn engine_with(program: &str, args: &[&str]) -> Out {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"))
        .into()
}

/// The labels of an image or container on the test engine, from `inspect`'s JSON.
pub fn inspect_labels(target: &str) -> BTreeMap<String, String> {
    inspect_labels_with(&engine_program(), target)
}

/// The labels of an image or container on engine `program`, from `inspect`'s JSON.
pub fn inspect_labels_with(program: &str, target: &str) -> BTreeMap<String, String> {
    let out = engine_with(
        program,
        &["inspect", "--format", "{{json .Config.Labels}}", target],
    );
    out.success();
    let value: Option<BTreeMap<String, String>> = serde_json::from_str(out.stdout.trim()).unwrap();
    value.unwrap_or_default()
}

/// Labels an engine adds to every image it builds on its own: podman's (buildah's) version.
pub const ENGINE_ADDED_LABELS: [&str; 1] = ["io.buildah.version"];

/// `labels` without the [`ENGINE_ADDED_LABELS`]: what the build was asked to write.
pub fn without_engine_added(mut labels: BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels.retain(|k, _| !ENGINE_ADDED_LABELS.contains(&k.as_str()));
    labels
}

/// Removes, on drop, the containers and images a test registered (by name or ID) from its engine
/// (the test engine by default).
pub struct Cleanup {
    program: String,
    containers: Vec<String>,
    images: Vec<String>,
}

impl Default for Cleanup {
    fn default() -> Self {
        Cleanup::with_engine(&engine_program())
    }
}

impl Cleanup {
    /// Cleanup of what engine `program` (e.g. `podman`, whatever the test engine is) holds.
    pub fn with_engine(program: &str) -> Self {
        Cleanup {
            program: program.to_string(),
            containers: Vec::new(),
            images: Vec::new(),
        }
    }

    /// The engine program this cleanup removes from.
    pub fn program(&self) -> &str {
        &self.program
    }

    pub fn container(&mut self, name: impl Into<String>) {
        self.containers.push(name.into());
    }

    pub fn image(&mut self, name: impl Into<String>) {
        self.images.push(name.into());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = engine_with(&self.program, &["rm", "-f", c]);
        }
        // Children before parents: remove in reverse order of registration.
        for i in self.images.iter().rev() {
            let _ = engine_with(&self.program, &["rmi", "-f", i]);
        }
    }
}

/// A fresh build context holding a static busybox and the given Dockerfile.
pub fn busybox_context(dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(busybox(), dir.path().join("busybox")).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    dir
}

/// The static busybox binary (Debian `busybox-static`).
pub fn busybox() -> PathBuf {
    let path = PathBuf::from("/bin/busybox");
    assert!(
        path.exists(),
        "/bin/busybox missing: apt-get install busybox-static"
    );
    path
}

/// The label that makes every fixture image unique: `ds01t.fixture=<its name>`. Two fixtures with
/// the same content would otherwise share one image ID, and one test's cleanup could remove the
/// image another test is just tagging.
pub const FIXTURE_LABEL: &str = "ds01t.fixture";

/// Build a fixture image straight with `cleanup`'s engine (not the tool under test): `context`
/// with `extra` build flags, tagged with a `unique(tag)` name that is registered in `cleanup`
/// (before the build, so a half-done build is removed too) and returned.
///
/// The image is made unique with a `--label` [`FIXTURE_LABEL`] flag; for fixtures whose history
/// matters use [`fixture_image`], which puts that label at the bottom of the Dockerfile instead.
#[track_caller]
pub fn engine_build(cleanup: &mut Cleanup, context: &Path, tag: &str, extra: &[&str]) -> String {
    let name = unique(tag);
    let label = format!("{FIXTURE_LABEL}={name}");
    let mut flags = vec!["--label", label.as_str()];
    flags.extend_from_slice(extra);
    build_as(cleanup, context, &name, &flags);
    name
}

/// Build `dockerfile` over a busybox context (see [`busybox_context`]) as a unique fixture image,
/// registered in `cleanup`; returns its name. A `LABEL` [`FIXTURE_LABEL`] line right after the
/// first `FROM` makes it unique without changing its newest history steps.
#[track_caller]
pub fn fixture_image(cleanup: &mut Cleanup, tag: &str, dockerfile: &str, extra: &[&str]) -> String {
    let name = unique(tag);
    let mut text = String::new();
    let mut labelled = false;
    for line in dockerfile.lines() {
        text.push_str(line);
        text.push('\n');
        if !labelled && line.trim_start().to_uppercase().starts_with("FROM ") {
            text.push_str(&format!("LABEL {FIXTURE_LABEL}=\"{name}\"\n"));
            labelled = true;
        }
    }
    assert!(labelled, "fixture Dockerfile without FROM: {dockerfile}");
    let ctx = busybox_context(&text);
    build_as(cleanup, ctx.path(), &name, extra);
    name
}

/// A FROM-scratch busybox image that `create` accepts (it has a command: `/bin/busybox true`),
/// followed by `extra_dockerfile_lines`; unique, registered in `cleanup`; returns its name.
#[track_caller]
pub fn busybox_image(cleanup: &mut Cleanup, tag: &str, extra_dockerfile_lines: &str) -> String {
    fixture_image(
        cleanup,
        tag,
        &format!(
            "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"true\"]\n{extra_dockerfile_lines}"
        ),
        &[],
    )
}

#[track_caller]
fn build_as(cleanup: &mut Cleanup, context: &Path, name: &str, extra: &[&str]) {
    cleanup.image(name);
    // No cache: a unique fixture has nothing to reuse, and podman's cache lookup can fail
    // ("layer not known") while another test removes its images.
    let mut args = vec!["build", "--network", "none", "--no-cache", "-q", "-t", name];
    if cleanup.program().contains("podman") {
        // Podman keeps an image per step, which removing the fixture would leave behind.
        args.push("--layers=false");
    }
    args.extend_from_slice(extra);
    args.push(context.to_str().unwrap());
    let out = engine_with(cleanup.program(), &args);
    out.success();
}

/// Write `text` to `dir/name`, creating parent directories; returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A stand-in engine: a shell script that appends each call's arguments to a log, then runs `body`
/// (nothing: success with no output). For checking that bad input never reaches the engine, and
/// for engine states a real engine cannot be put in.
pub struct FakeEngine {
    dir: tempfile::TempDir,
}

impl Default for FakeEngine {
    fn default() -> Self {
        FakeEngine::new()
    }
}

impl FakeEngine {
    pub fn new() -> Self {
        FakeEngine::with_body("")
    }

    /// A fake engine running the shell code `body` after logging the call.
    pub fn with_body(body: &str) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("docker");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\n{body}",
                dir.path().join("calls").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeEngine { dir }
    }

    /// The value for `DS01_BUILD_ENGINE`.
    pub fn program(&self) -> String {
        self.dir.path().join("docker").display().to_string()
    }

    /// A path in the fake's own directory, for `body` to leave marks in.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn called(&self) -> bool {
        self.path("calls").exists()
    }

    /// The calls so far, one line of arguments each.
    pub fn calls(&self) -> String {
        std::fs::read_to_string(self.path("calls")).unwrap_or_default()
    }

    /// Run `cmd` against this engine.
    pub fn run(&self, cmd: Ds01) -> Out {
        cmd.env("DS01_BUILD_ENGINE", &self.program()).run()
    }
}

/// Run `cmd` against a fresh [`FakeEngine`]: it must fail with exit 2 and one stderr line
/// containing `needle`, and the engine must never have been called.
#[track_caller]
pub fn refused_before_engine(cmd: Ds01, needle: &str) -> Out {
    let fake = FakeEngine::new();
    let out = fake.run(cmd);
    assert_eq!(out.code, 2, "{needle}: {}", out.stderr);
    out.fails_with(needle);
    assert!(
        !fake.called(),
        "the engine was called for bad input: {}",
        fake.calls()
    );
    out
}

/// The shipped profile chain, root first: (profile, the profile it is built on).
pub const PROFILE_CHAIN: [(&str, Option<&str>); 3] = [
    ("ubu-lts", None),
    ("r-lang", Some("ubu-lts")),
    ("my-app", Some("r-lang")),
];

/// Build [`PROFILE_CHAIN`] with `ds01-build build --network none`, each image as `<owner>/<name>`
/// from a profile extending the shipped one (and `--build-arg BASE=` its base's `latest`), every
/// tag registered in `cleanup`; returns each build's JSON report, root first.
#[track_caller]
pub fn build_profile_chain(cleanup: &mut Cleanup, owner: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for (name, base) in PROFILE_CHAIN {
        let mut profile = format!(
            "extends = \"{}\"\nimage = \"{owner}/{name}\"\n",
            root()
                .join("profiles")
                .join(format!("{name}.toml"))
                .display()
        );
        let file = format!("{name}.toml");
        let mut args = vec![
            "build",
            &file,
            "--format",
            "json",
            "--",
            "--network",
            "none",
        ];
        let base_arg;
        if let Some(base) = base {
            profile.push_str(&format!("base-profile = \"{base}\"\n"));
            base_arg = format!("BASE={owner}/{base}:latest");
            args.extend(["--build-arg", &base_arg]);
        }
        write(dir.path(), &file, &profile);
        let out = ds01(&args).current_dir(dir.path()).run();
        cleanup.image(format!("{owner}/{name}:latest"));
        out.success();
        let json = out.json();
        for tag in json["tags"].as_array().unwrap() {
            cleanup.image(tag.as_str().unwrap());
        }
        reports.push(json);
    }
    reports
}

/// The heritable schema namespace of `profiles/ubu-lts.toml`'s labels, as the seed writes it.
pub const UBU_LTS_NS: &str = "jefferys.ubu-lts.io.github.JefferysDockers";

/// The seed's build.sh labels for ubu-lts with TAG 2020.09.03-0.0.1, built at epoch 1599884586.
pub const UBU_LTS_SEED_LABELS: [(&str, &str); 26] = [
    ("base-prefix", "scratch"),
    ("name", "ubu-lts"),
    ("home", "https://hub.docker.com/r/jefferys/ubu-lts"),
    ("version", "2020.09.03-0.0.1"),
    (
        "maintainer",
        "Stuart R. Jefferys <stuart_jefferys@med.unc.edu>",
    ),
    ("source-version", "0.0.1"),
    ("source-home", "https://github.com/JefferysDockers/ubu-lts"),
    (
        "source-maintainer",
        "Stuart R. Jefferys <stuart_jefferys@med.unc.edu>",
    ),
    ("pull", "jefferys/ubu-lts:2020.09.03-0.0.1"),
    ("license-spdx", ""),
    ("license-file", "https://ubuntu.com/licensing"),
    ("vendor", "UNC - Lineberger"),
    ("vendorUrl", "https://lbc.unc.edu/"),
    ("title", "ubu-lts - Base OS derived from Ubuntu."),
    (
        "description",
        "Based on Ubuntu this is a completely local build of a base Docker from scratch.",
    ),
    ("content-home", "https://wiki.ubuntu.com/Base"),
    ("content-version", "2020.09.03"),
    ("content-source", "http://cdimage.ubuntu.com/ubuntu-base/"),
    ("content-license-spdx", ""),
    ("content-license-file", "https://ubuntu.com/licensing"),
    ("content-vendor", "Canonical"),
    ("content-vendorUrl", "https://canonical.com/"),
    ("content-title", "Ubuntu base os distribution"),
    (
        "content-description",
        "Minimalist non-official functional distribution of Ubuntu, including apt-get",
    ),
    ("created", "2020-09-12T04:23:06+00:00"),
    ("label-schema-version", "0.0.1"),
];

/// The leaves of [`UBU_LTS_SEED_LABELS`] the build computes (TAG, image, time, schema version); the
/// profile sets the others.
pub const UBU_LTS_COMPUTED_LEAVES: [&str; 8] = [
    "base-prefix",
    "name",
    "version",
    "source-version",
    "pull",
    "content-version",
    "created",
    "label-schema-version",
];

/// Whether a `-v` run's stderr says reads went through the Engine API (else the CLI).
pub fn via_api(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.starts_with("# reads via the Engine API at "))
}

/// The engine calls a `-v` run traced (`+ ` lines: CLI commands or API requests).
pub fn traced_calls(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("+ ")).collect()
}

/// The engine calls of a `-v` reading of every container: through the API one list request and
/// only container inspects after it (for containers the list shows with an image ID); through the
/// CLI `ps -a -q` and one `inspect`.
#[track_caller]
pub fn assert_every_container_read(stderr: &str) {
    let calls = traced_calls(stderr);
    if via_api(stderr) {
        assert!(
            calls[0].starts_with("+ GET /containers/json?all=1 "),
            "{stderr}"
        );
        assert!(
            calls[1..]
                .iter()
                .all(|c| c.starts_with("+ GET /containers/")
                    && c.contains("/json (")
                    && !c.contains("json?all")),
            "{stderr}"
        );
    } else {
        assert_eq!(calls.len(), 2, "{stderr}");
        assert!(calls[0].contains(" ps -a -q --no-trunc"), "{stderr}");
        assert!(calls[1].contains(" inspect --type container "), "{stderr}");
    }
}

/// A profile directory (outside any git repository) with a FROM scratch context whose TAG file
/// holds `tag`; `profile` is the TOML text of `p.toml`.
pub fn scratch_project(tag: &str, profile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ctx/Dockerfile",
        "FROM scratch\nCOPY a.txt /a.txt\n",
    );
    // Content of its own: no two tests share the COPY step's cached image, which one test's
    // cleanup (`rmi -f`) would otherwise pull from under another's build ("failed to get digest").
    write(
        dir.path(),
        "ctx/a.txt",
        &format!("{}\n", dir.path().display()),
    );
    write(dir.path(), "ctx/TAG", &format!("{tag}\n"));
    write(dir.path(), "p.toml", profile);
    dir
}

/// The `labels` object of ds01-build's JSON output.
pub fn labels_of(json: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    serde_json::from_value(json["labels"].clone()).expect("labels object of strings")
}

/// A second dockerd on `127.0.0.1:PORT`. Dropping it stops it (SIGTERM, then SIGKILL) and removes
/// its directories; it never touches the shared engine.
pub struct SecondDockerd {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub host: String,
    /// Killed by [`SecondDockerd::crash`]: dropping reaps what it left.
    crashed: bool,
}

impl SecondDockerd {
    #[track_caller]
    pub fn start() -> SecondDockerd {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::Builder::new()
            .prefix("ds01t-d")
            .tempdir()
            .unwrap();
        std::fs::write(dir.path().join("daemon.json"), "{}").unwrap();
        let host = format!("tcp://127.0.0.1:{port}");
        let mut d = SecondDockerd {
            child: None,
            dir,
            host,
            crashed: false,
        };
        d.launch();
        d
    }

    /// Start dockerd on this daemon's directories and wait until it answers.
    #[track_caller]
    fn launch(&mut self) {
        let p = |name: &str| self.dir.path().join(name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p("dockerd.log"))
            .unwrap();
        let child = Command::new("dockerd")
            .args([
                "-H",
                &self.host,
                "--tls=false",
                "--bridge=none",
                "--iptables=false",
            ])
            .arg("--data-root")
            .arg(p("data"))
            .arg("--exec-root")
            .arg(p("exec"))
            .arg("--pidfile")
            .arg(p("dockerd.pid"))
            .arg("--config-file")
            .arg(p("daemon.json"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("dockerd (docker.io) is installed");
        self.child = Some(child);
        let start = Instant::now();
        while !self.docker(&["info"]).status.success() {
            let exited = self.child.as_mut().unwrap().try_wait().unwrap();
            if exited.is_some() || start.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(p("dockerd.log")).unwrap_or_default();
                panic!("the second dockerd did not answer on {}: {log}", self.host);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `docker -H HOST ARGS` against this daemon.
    pub fn docker(&self, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .args(["-H", &self.host])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Kill dockerd with SIGKILL (a crash: it cleans nothing up). Dropping it then ends what it
    /// left running ([`SecondDockerd::reap`]).
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.crashed = true;
    }

    /// After a crash: kill the processes started from this daemon's directories (its containerd
    /// and shims, which outlive it) with their children (a container's processes), then unmount
    /// what is mounted under them, deepest first, so that the directories can be removed.
    fn reap(&self) {
        use nix::sys::signal::{kill, Signal};
        let dir = self.dir.path().to_string_lossy().into_owned();
        let ours: Vec<i32> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&dir))
            })
            .collect();
        for pid in &ours {
            let children = std::fs::read_dir(format!("/proc/{pid}/task"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
                .flat_map(|c| {
                    c.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok())
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>();
            for pid in children.iter().chain([pid]) {
                let _ = kill(nix::unistd::Pid::from_raw(*pid), Signal::SIGKILL);
            }
        }
        let start = Instant::now();
        while ours
            .iter()
            .any(|pid| Path::new(&format!("/proc/{pid}")).exists())
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        let mut under: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|m| m.starts_with(&dir))
            .collect();
        under.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for mount in under {
            let _ = Command::new("umount").args(["-l", mount]).status();
        }
    }

    pub fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            terminate(child);
        }
    }
}

impl Drop for SecondDockerd {
    fn drop(&mut self) {
        if self.crashed {
            self.reap();
        }
        self.stop();
    }
}

/// Stop a server the test started: SIGTERM, then SIGKILL after 20 s; reaped either way.
pub fn terminate(mut child: std::process::Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let start = Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
