//! Reach: CI systems (GitHub outputs, revision/source fallbacks, `--push` to a real local
//! registry), profile lookup from anywhere, the man page, shell completion of profile names, and
//! what a user sees when the engine is missing or does not answer.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::require_engine;
use crate::support::{
    ds01, engine, inspect_labels, labels_of, refused_before_engine, root, scratch_project, unique,
    without_engine_added, write, Cleanup,
};

/// A project outside any git repository: `p.toml` building a FROM scratch image `image`.
fn project_without_git(image: &str) -> tempfile::TempDir {
    scratch_project(
        "1.0-2",
        &format!("image = \"{image}\"\nbase-prefix = \"scratch\"\ncontext = \"ctx\"\n"),
    )
}

/// `$GITHUB_OUTPUT` lines parsed: `name=value` and `name<<DELIM ... DELIM`.
fn parse_github_output(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            out.insert(name.to_string(), value.join("\n"));
        } else {
            let (name, value) = line.split_once('=').expect("name=value");
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

#[test]
fn github_actions_outputs_and_revision_without_git() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = format!("{}/p", unique("gha"));
    let dir = project_without_git(&image);
    let outputs = dir.path().join("github-output");
    std::fs::write(&outputs, "earlier=kept\n").unwrap();
    let out = ds01(&["build", "p.toml"])
        .current_dir(dir.path())
        .env("GITHUB_OUTPUT", outputs.to_str().unwrap())
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "octo/app")
        .run();
    for tag in ["latest", "1.0", "1.0-2"] {
        cleanup.image(format!("{image}:{tag}"));
    }
    out.success();
    let id = out.stdout.lines().next().unwrap().to_string();
    let text = std::fs::read_to_string(&outputs).unwrap();
    assert!(text.starts_with("earlier=kept\n"), "appended: {text}");
    let got = parse_github_output(&text);
    assert_eq!(got["image-id"], id);
    assert_eq!(
        got["tags"],
        format!("{image}:latest\n{image}:1.0\n{image}:1.0-2")
    );
    assert_eq!(got["version"], "1.0-2");
    assert_eq!(got["revision"], "0123456789abcdef0123456789abcdef01234567");
    let written: BTreeMap<String, String> = serde_json::from_str(&got["labels"]).unwrap();
    assert_eq!(written, without_engine_added(inspect_labels(&id)));
    let ns = format!("{}.io.github.jefferysdockers", image.replace('/', "."));
    assert_eq!(
        written[&format!("{ns}.source-revision")],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        written[&format!("{ns}.source-home")],
        "https://github.com/octo/app"
    );
    assert_eq!(
        written["org.opencontainers.image.source"],
        "https://github.com/octo/app"
    );
    out.stderr_has(
        "source-revision from GITHUB_SHA, source URL from GITHUB_SERVER_URL/GITHUB_REPOSITORY",
    );
}

#[test]
fn gitlab_and_dockerhub_variables_stand_in_for_git() {
    let dir = project_without_git("ds01t/p");
    let ns = "ds01t.p.io.github.jefferysdockers";
    let gitlab = ds01(&["build", "p.toml", "--dry-run", "--format", "json"])
        .current_dir(dir.path())
        .env("CI_COMMIT_SHA", "feedface")
        .env("CI_PROJECT_URL", "https://gitlab.example/grp/app")
        .env("SOURCE_COMMIT", "d0c4e7")
        .run();
    gitlab.success();
    let labels = labels_of(&gitlab.json());
    assert_eq!(labels[&format!("{ns}.source-revision")], "feedface");
    assert_eq!(
        labels[&format!("{ns}.source-home")],
        "https://gitlab.example/grp/app"
    );
    let hub = ds01(&["build", "p.toml", "--dry-run", "--format", "json"])
        .current_dir(dir.path())
        .env("SOURCE_COMMIT", "d0c4e7")
        .run();
    hub.success();
    let labels = labels_of(&hub.json());
    assert_eq!(labels[&format!("{ns}.source-revision")], "d0c4e7");
    assert!(!labels.contains_key(&format!("{ns}.source-home")));
    // --revision wins over every CI variable.
    let flag = ds01(&["build", "p.toml", "--dry-run", "--format", "json"])
        .current_dir(dir.path())
        .env("SOURCE_COMMIT", "d0c4e7")
        .args(&["--revision", "r1"])
        .run();
    assert_eq!(
        labels_of(&flag.json())[&format!("{ns}.source-revision")],
        "r1"
    );
}

#[test]
fn usable_git_metadata_wins_over_ci_variables() {
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    let out = ds01(&["build", "hello", "--dry-run", "--format", "json"])
        .env("GITHUB_SHA", "not-the-head")
        .env("CI_COMMIT_SHA", "not-the-head")
        .run();
    out.success();
    assert_eq!(
        labels_of(&out.json())["org.opencontainers.image.revision"],
        head
    );
}

#[test]
fn profiles_are_found_from_a_subdirectory() {
    let top = ds01(&["build", "ubu-lts", "--dry-run", "--format", "json"])
        .env("SOURCE_DATE_EPOCH", "1599884586")
        .run();
    top.success();
    let sub = ds01(&["build", "ubu-lts", "--dry-run", "--format", "json"])
        .env("SOURCE_DATE_EPOCH", "1599884586")
        .current_dir(root().join("examples/chain/r-lang"))
        .run();
    sub.success();
    assert_eq!(labels_of(&sub.json()), labels_of(&top.json()));
}

#[test]
fn profiles_are_found_from_anywhere_through_the_environment_flag_and_config() {
    let elsewhere = tempfile::tempdir().unwrap();
    let profiles = root().join("profiles");
    let via_env = ds01(&["build", "hello", "--dry-run", "--format", "json"])
        .env("SOURCE_DATE_EPOCH", "1599884586")
        .current_dir(elsewhere.path())
        .env("DS01_BUILD_PROFILES", profiles.to_str().unwrap())
        .run();
    via_env.success();
    let want = labels_of(&via_env.json());
    assert_eq!(
        want["ds01-build.hello.io.github.jefferysdockers.name"],
        "hello"
    );
    let via_flag = ds01(&["build", "hello", "--dry-run", "--format", "json"])
        .env("SOURCE_DATE_EPOCH", "1599884586")
        .current_dir(elsewhere.path())
        .args(&["--profiles", profiles.to_str().unwrap()])
        .run();
    via_flag.success();
    assert_eq!(labels_of(&via_flag.json()), want);
    // The user's config directory: $XDG_CONFIG_HOME/ds01-build/profiles.
    let config = tempfile::tempdir().unwrap();
    let user_profiles = config.path().join("ds01-build/profiles");
    std::fs::create_dir_all(&user_profiles).unwrap();
    write(
        &user_profiles,
        "mine.toml",
        &format!(
            "extends = \"{}\"\nimage = \"ds01t/mine\"\n",
            profiles.join("hello.toml").display()
        ),
    );
    let via_config = ds01(&["build", "mine", "--dry-run", "--format", "json"])
        .current_dir(elsewhere.path())
        .env("XDG_CONFIG_HOME", config.path().to_str().unwrap())
        .run();
    via_config.success();
    assert_eq!(
        labels_of(&via_config.json())["ds01t.mine.io.github.jefferysdockers.name"],
        "mine"
    );
}

#[test]
fn a_profile_not_found_names_every_place_tried() {
    let elsewhere = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let extra = tempfile::tempdir().unwrap();
    let cmd = ds01(&["build", "zzz", "--profiles", extra.path().to_str().unwrap()])
        .current_dir(elsewhere.path())
        .env(
            "DS01_BUILD_PROFILES",
            root().join("profiles").to_str().unwrap(),
        )
        .env("XDG_CONFIG_HOME", config.path().to_str().unwrap());
    let out = refused_before_engine(cmd, "profile \"zzz\" not found: tried ");
    for place in [
        extra.path().join("zzz.toml"),
        root().join("profiles/zzz.toml"),
        config.path().join("ds01-build/profiles/zzz.toml"),
    ] {
        out.stderr_has(&place.display().to_string());
    }
    out.stderr_has(&format!(
        "no profiles/ in {} or above",
        elsewhere.path().display()
    ));
    out.stderr_has("hello, jefferys, my-app, r-lang, ubu-lts");
}

#[test]
fn completion_offers_profile_names() {
    // Through bash itself: the registration script `completions bash` prints, then its function,
    // with the binary found on PATH as an installed one would be.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ds01-build"))
        .parent()
        .unwrap();
    let script = ds01(&["completions", "bash"]).run();
    script.success();
    let probe = format!(
        "{}\nCOMP_WORDS=(ds01-build build u); COMP_CWORD=2; COMP_TYPE=9\n\
         _clap_complete_ds01_build ds01-build u build\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.stdout
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .current_dir(root().join("examples"))
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.split_whitespace().collect::<Vec<_>>(),
        ["ubu-lts"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // zsh and fish get their registration scripts from the same completer.
    for shell in ["zsh", "fish"] {
        let out = ds01(&["completions", shell]).run();
        out.success();
        assert!(
            out.stdout.contains(&format!("COMPLETE=\"{shell}\""))
                || out.stdout.contains(&format!("COMPLETE={shell} ")),
            "{shell}: {}",
            out.stdout
        );
    }
    let fish = ds01(&["--", "ds01-build", "build", ""])
        .env("COMPLETE", "fish")
        .run();
    fish.success();
    for name in ["hello", "jefferys", "my-app", "r-lang", "ubu-lts"] {
        assert!(
            fish.stdout.lines().any(|l| l == name),
            "{name}: {}",
            fish.stdout
        );
    }
}

#[test]
fn man_pages_for_the_tool_and_each_subcommand() {
    let top = ds01(&["man"]).run();
    top.success();
    top.stdout_has(".TH ds01-build 1").stdout_has("lineage");
    let build = ds01(&["man", "build"]).run();
    build.success();
    build
        .stdout_has(".TH ds01-build-build 1")
        .stdout_has("\\-\\-push");
    let bad = ds01(&["man", "nope"]).run();
    assert_eq!(bad.code, 2);
    bad.fails_with("man: no subcommand \"nope\": valid are build, create");
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = ds01(&["--version"]).run();
    out.success();
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root())
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    assert_eq!(
        out.stdout,
        format!("ds01-build {} ({head})\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_missing_engine_program_is_one_line_with_its_os_error_once() {
    let out = ds01(&["build", "hello"])
        .env("DS01_BUILD_ENGINE", "/nonexistent/docker")
        .run();
    assert_eq!(out.code, 127, "{}", out.stderr);
    out.fails_with("cannot run `/nonexistent/docker`: No such file or directory (os error 2)");
    assert_eq!(out.stderr.matches("No such file or directory").count(), 1);
}

#[test]
fn an_engine_that_does_not_answer_gets_one_line_saying_what_to_do() {
    // The docker CLI pointed at a socket nobody listens on.
    let dir = tempfile::tempdir().unwrap();
    let socket = format!("unix://{}/none.sock", dir.path().display());
    let out = ds01(&["build", "hello"])
        .env("DS01_BUILD_ENGINE", "docker")
        .env("DOCKER_HOST", &socket)
        .run();
    assert_ne!(out.code, 0);
    let ours: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("ds01-build:"))
        .collect();
    assert_eq!(ours.len(), 1, "{}", out.stderr);
    assert!(
        ours[0]
            .starts_with("ds01-build: error: the engine does not answer (`docker info` failed: ")
            && ours[0].contains("none.sock")
            && ours[0].ends_with("or choose one that runs with --engine or DOCKER_HOST"),
        "{}",
        ours[0]
    );
    assert!(!out.stderr.contains("exited with code"), "{}", out.stderr);
}

/// Debian's `docker-registry` on a free loopback port, with its own config and storage; killed
/// and removed on drop. The daemon allows plain HTTP to 127.0.0.0/8 registries by default.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = write(
            dir.path(),
            "config.yml",
            &format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        );
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (Debian package docker-registry; .ci/run installs it)");
        let registry = Registry {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while registry.get("/v2/").is_none() {
            assert!(Instant::now() < deadline, "docker-registry did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }

    /// The body of `GET path`, when the registry answers 200.
    fn get(&self, path: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_string())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn push_sends_the_three_tags_to_a_registry() {
    require_engine!();
    let registry = Registry::start();
    let mut cleanup = Cleanup::default();
    let name = unique("push");
    let repo = format!("127.0.0.1:{}/{name}/p", registry.port);
    let dir = project_without_git(&repo);
    let out = ds01(&["build", "p.toml", "--push", "--format", "json"])
        .current_dir(dir.path())
        .run();
    for tag in ["latest", "1.0", "1.0-2"] {
        cleanup.image(format!("{repo}:{tag}"));
    }
    out.success();
    let tags: serde_json::Value =
        serde_json::from_str(&registry.get(&format!("/v2/{name}/p/tags/list")).unwrap()).unwrap();
    let mut got: Vec<&str> = tags["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, ["1.0", "1.0-2", "latest"]);
    // What the registry holds is the image that was built: pull it back under its digest.
    let id = out.json()["id"].as_str().unwrap().to_string();
    let digests = engine(&["image", "inspect", "--format", "{{json .RepoDigests}}", &id]);
    digests.success();
    assert!(digests.stdout.contains(&repo), "{}", digests.stdout);
}

#[test]
fn push_and_dry_run_do_not_go_together() {
    let out = ds01(&["build", "hello", "--push", "--dry-run"]).run();
    assert_eq!(out.code, 2);
    out.stderr_has("--push");
}

#[test]
fn fish_completes_profile_names_through_its_registration_script() {
    let fish_present = Command::new("fish")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !fish_present {
        assert!(
            crate::support::skip_mode(),
            "fish is not installed: apt-get install fish (.ci/run does), or set DS01_BUILD_E2E=skip"
        );
        crate::support::skipped_because("fish is not installed");
        return;
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ds01-build"))
        .parent()
        .unwrap();
    let out = Command::new("fish")
        .args([
            "--no-config",
            "-c",
            "ds01-build completions fish | source; complete -C 'ds01-build build u'; \
             complete -C 'ds01-build li'",
        ])
        .current_dir(root().join("examples"))
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first: Vec<&str> = stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        first,
        ["ubu-lts", "lineage", "lint"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Completion lists profile directories: a set-id copy or sudo never answers a completion
/// request (it is an ordinary, refused command line then); the plain copy does. (sudo usually
/// drops COMPLETE from the environment anyway; the set-id copies keep it.)
#[test]
fn an_elevated_invocation_never_completes() {
    use crate::deployment::{Deployment, Via};
    crate::require_privileged!();
    let d = Deployment::new();
    let ask = ["--", "ds01-build", "build", ""];
    let plain = d.run(Via::Plain, &ask, &[("COMPLETE", "fish")]);
    plain.success();
    plain.stdout_has("--profiles");
    for via in [Via::Setgid, Via::Setuid, Via::Sudo] {
        let out = d.run(via, &ask, &[("COMPLETE", "fish")]);
        assert_eq!(out.code, 2, "{via:?}: {}", out.stdout);
        assert!(
            !out.stdout.contains("--profiles"),
            "{via:?}: {}",
            out.stdout
        );
    }
}

#[test]
fn an_unwritable_github_output_fails_before_the_engine() {
    let dir = project_without_git("ds01t/p");
    let cmd = ds01(&["build", "p.toml"])
        .current_dir(dir.path())
        .env("GITHUB_OUTPUT", "/nonexistent-dir/out");
    refused_before_engine(
        cmd,
        "cannot open GITHUB_OUTPUT file /nonexistent-dir/out: No such file or directory",
    );
}
