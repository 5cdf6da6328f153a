//! Shared test harness: run the binary with a controlled environment, talk to the real engine, and
//! clean up what a test created.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

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
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// `ds01-build ARGS...`, run from the project root with the engine chosen for the tests.
pub fn ds01(args: &[&str]) -> Ds01 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ds01-build"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("DS01_CONTEXT")
        .env("DS01_BUILD_ENGINE", engine_program());
    Ds01 { cmd, stdin: None }
}

impl Ds01 {
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
        let output = child.wait_with_output().unwrap();
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The engine program tests use: `DS01_BUILD_ENGINE`, else `docker`.
pub fn engine_program() -> String {
    std::env::var("DS01_BUILD_ENGINE").unwrap_or_else(|_| "docker".to_string())
}

/// Whether the engine answers. With `DS01_BUILD_E2E=require`, a missing engine panics instead.
pub fn engine_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    let up = *AVAILABLE.get_or_init(|| {
        Command::new(engine_program())
            .arg("info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !up && std::env::var("DS01_BUILD_E2E").as_deref() == Ok("require") {
        panic!(
            "DS01_BUILD_E2E=require but `{} info` fails: start the engine (see .ci/run)",
            engine_program()
        );
    }
    up
}

/// Start an engine test: returns `false` (and the test should return) when no engine answers and the
/// engine is not required.
#[macro_export]
macro_rules! require_engine {
    () => {
        if !$crate::support::engine_available() {
            eprintln!("skipped: no container engine answers (set DS01_BUILD_E2E=require to fail)");
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

/// Run the engine directly with `args`; panics on spawn failure.
pub fn engine(args: &[&str]) -> Out {
    let output = Command::new(engine_program())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("spawn engine");
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The labels of an image or container, from `inspect`'s JSON.
pub fn inspect_labels(target: &str) -> BTreeMap<String, String> {
    let out = engine(&["inspect", "--format", "{{json .Config.Labels}}", target]);
    out.success();
    let value: Option<BTreeMap<String, String>> = serde_json::from_str(out.stdout.trim()).unwrap();
    value.unwrap_or_default()
}

/// Removes, on drop, the containers and images a test registered (by name or ID).
#[derive(Default)]
pub struct Cleanup {
    containers: Vec<String>,
    images: Vec<String>,
}

impl Cleanup {
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
            let _ = engine(&["rm", "-f", c]);
        }
        // Children before parents: remove in reverse order of registration.
        for i in self.images.iter().rev() {
            let _ = engine(&["rmi", "-f", i]);
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

/// Build an image straight with the engine (a fixture, not the tool under test).
#[track_caller]
pub fn engine_build(context: &Path, tag: &str, extra: &[&str]) -> String {
    let ctx = context.to_str().unwrap();
    let mut args = vec!["build", "--network", "none", "-q", "-t", tag];
    args.extend_from_slice(extra);
    args.push(ctx);
    let out = engine(&args);
    out.success();
    out.stdout.trim().to_string()
}
