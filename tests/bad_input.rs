//! The bad-input matrix: every subcommand and the global flags, one row per input that must be
//! refused. Each row runs in a fresh directory holding the fixtures, against a fake engine that
//! records its calls, and must: exit with the row's code, print exactly one stderr line
//! `ds01-build: error: ...` holding the row's fragment (and no echo of a long input), never call
//! the engine, write no file (the directory listing and `GITHUB_OUTPUT` unchanged). The same rows
//! run against the real engine, which must then hold no image or container of the rows' names.

use std::path::Path;

use crate::support::{ds01, engine, FakeEngine};

/// A fixture file in each row's directory.
enum Fixture {
    Text(String),
    Fifo,
    Dir,
}

/// The name every image and container a row names carries (checked absent on the real engine).
const TOKEN: &str = "ds01t-badinput";

fn fixtures() -> Vec<(String, Fixture)> {
    use Fixture::*;
    let t = |name: &str, text: String| (name.to_string(), Text(text));
    let profile = |extra: &str| {
        format!("image = \"{TOKEN}/p\"\nbase-prefix = \"scratch\"\ncontext = \".\"\n{extra}")
    };
    let mut out = vec![
        t("Dockerfile", "FROM scratch\nLABEL a=1\n".into()),
        t("TAG", "1.0-1\n".into()),
        t("p.toml", profile("")),
        t("eq.toml", profile("[extra-labels]\n\"a=b\" = \"1\"\n")),
        t(
            "ctl.toml",
            profile("[extra-labels]\n\"a\\u0007b\" = \"1\"\n"),
        ),
        t("nul.toml", profile("title = \"a\\u0000b\"\n")),
        t(
            "huge.toml",
            profile(&format!(
                "[extra-labels]\nbig = \"{}\"\n",
                "v".repeat(200_000)
            )),
        ),
        t("unknown.toml", profile("imag = \"x\"\n")),
        t("cycle-a.toml", "extends = \"cycle-b\"\n".into()),
        t("cycle-b.toml", "extends = \"cycle-a\"\n".into()),
        t("cont.Dockerfile", "FROM scratch\nCMD echo hi \\\n".into()),
        t("nodash.tag", "nodash\n".into()),
        t("big.txt", "x".repeat(2 << 20)),
        t("noeq.txt", format!("{}\n", "x".repeat(100_000))),
        t("bad.json", "{\"a\": 1}\n".into()),
        t("nul.labels", "a=b\0c\n".into()),
        t("long.labels", format!("a={}\n", "v".repeat(200_000))),
        t("forged.labels", "ds01.user=root\n".into()),
        t("nonutf8.txt", String::new()),
        ("fifo".into(), Fifo),
        ("dir".into(), Dir),
        ("dir.toml".into(), Dir),
    ];
    out.push(t("deep-0.toml", profile("")));
    for i in 1..=100 {
        out.push(t(
            &format!("deep-{i}.toml"),
            format!("extends = \"deep-{}\"\n", i - 1),
        ));
    }
    out
}

fn populate(dir: &Path) {
    for (name, fixture) in fixtures() {
        let path = dir.join(&name);
        match fixture {
            Fixture::Text(text) if name == "nonutf8.txt" => {
                drop(text);
                std::fs::write(&path, b"a=1\nb=\xff\n").unwrap();
            }
            Fixture::Text(text) => std::fs::write(&path, text).unwrap(),
            Fixture::Fifo => {
                nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
            }
            Fixture::Dir => std::fs::create_dir(&path).unwrap(),
        }
    }
}

/// Every entry under `dir`: path, kind and size (what a write would change).
fn listing(dir: &Path) -> Vec<(String, bool, u64)> {
    let mut out: Vec<(String, bool, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.is_dir(),
                meta.len(),
            )
        })
        .collect();
    out.sort();
    out
}

/// One row: argv, extra environment, expected exit code, a fragment of the message.
struct Row {
    argv: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
    code: i32,
    fragment: &'static str,
}

fn row(argv: &[&str], fragment: &'static str) -> Row {
    Row {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        code: 2,
        fragment,
    }
}

fn rows() -> Vec<Row> {
    let img = format!("{TOKEN}/img");
    let img = img.as_str();
    let long_tag = format!("1-{}", "a".repeat(1000));
    let long_value = format!("{}-1", "z".repeat(100_000));
    let with_env = |mut r: Row, env: &[(&'static str, &'static str)]| {
        r.env = env.to_vec();
        r
    };
    vec![
        // Global flags and usage.
        row(&["bogus"], "unrecognized subcommand 'bogus'"),
        row(
            &["--engine"],
            "a value is required for '--engine <PROGRAM>'",
        ),
        row(
            &["ps", "--context", "a b"],
            "--context \"a b\": a context name is",
        ),
        row(
            &["owner", "x", "--context", "a", "--context", "b"],
            "--context is given 2 times",
        ),
        row(
            &["ps", "--format", "csv"],
            "invalid value 'csv' for '--format",
        ),
        row(
            &["schema", "--engine", "docker"],
            "unexpected argument '--engine'",
        ),
        row(
            &["build", "--format", "xml"],
            "invalid value 'xml' for '--format <FORMAT>' [possible values: text, json]",
        ),
        // schema, completions, man
        row(&["schema", "--format", "yaml"], "invalid value 'yaml'"),
        row(&["schema", "extra"], "unexpected argument 'extra'"),
        row(&["completions", "tcsh"], "invalid value 'tcsh'"),
        row(&["completions"], "required arguments were not provided"),
        row(&["man", "nosuch"], "man: no subcommand \"nosuch\""),
        // lineage, owner, inspect, ps, audit
        row(&["lineage"], "required arguments were not provided"),
        row(&["lineage", ""], "is empty"),
        row(&["lineage", "a b"], "contains whitespace"),
        row(&["lineage", "x", "--format", "dot"], "invalid value 'dot'"),
        row(&["owner"], "required arguments were not provided"),
        row(&["owner", ""], "is empty"),
        row(&["owner", "x", "a\tb"], "contains whitespace"),
        row(&["inspect", ""], "is empty"),
        row(
            &["inspect", "x", "--format", "yaml"],
            "invalid value 'yaml'",
        ),
        row(&["ps", "--all-users", "--user", "x"], "cannot be used with"),
        row(&["audit", "--format", "x"], "invalid value 'x'"),
        row(&["audit", "extra"], "unexpected argument 'extra'"),
        // build: TAG, files, profiles
        row(
            &["build", "./p.toml", "--tag", "nodash"],
            "TAG \"nodash\" has no \"-\"",
        ),
        row(
            &["build", "./p.toml", "--tag", "a b-c"],
            "contains whitespace",
        ),
        row(
            &["build", "./p.toml", "--tag", &long_tag],
            "is not a valid docker tag",
        ),
        row(
            &["build", "./p.toml", "--tag", &long_value],
            "is not a valid docker tag",
        ),
        row(
            &["build", "./p.toml", "--tag-file", "/dev/zero"],
            "not a regular file (a device)",
        ),
        row(
            &["build", "./p.toml", "--tag-file", "fifo"],
            "not a regular file (a FIFO)",
        ),
        row(
            &["build", "./p.toml", "--tag-file", "dir"],
            "not a regular file (a directory)",
        ),
        row(
            &["build", "./p.toml", "--tag-file", "big.txt"],
            "over the 1 MiB limit",
        ),
        row(
            &["build", "./p.toml", "--tag-file", "nodash.tag"],
            "nodash.tag: TAG \"nodash\" has no \"-\"",
        ),
        row(
            &["build", "./p.toml", "--tag-file", "missing"],
            "No such file or directory (os error 2)",
        ),
        row(&["build", "./fifo"], "not a regular file (a FIFO)"),
        row(
            &["build", "./dir.toml"],
            "dir.toml: cannot read profile: not a regular file (a directory): give a regular file",
        ),
        row(&["build", "./unknown.toml"], "unknown field `imag`"),
        row(
            &["build", "./eq.toml"],
            "extra-labels leaf \"a=b\" contains '='",
        ),
        row(
            &["build", "./ctl.toml"],
            "extra-labels leaf \"a\\u{7}b\" contains a control character",
        ),
        row(
            &["build", "./nul.toml", "--tag", "1-1"],
            "contains a NUL byte, which no program argument can carry",
        ),
        row(
            &["build", "./huge.toml", "--tag", "1-1"],
            "over the 131071 bytes Linux passes as one",
        ),
        row(
            &[
                "build",
                "./huge.toml",
                "--tag",
                "1-1",
                "--label-mode",
                "args",
            ],
            "over the 131071 bytes Linux passes as one",
        ),
        row(
            &["build", "./cycle-a.toml"],
            "extends cycle: cycle-a.toml -> cycle-b.toml -> cycle-a.toml",
        ),
        row(
            &["build", "./deep-100.toml"],
            "extends chain of more than 100 profiles",
        ),
        row(
            &["build", "./p.toml", "--label", "com.docker.x=1"],
            "reserved \"com.docker.\" namespace",
        ),
        row(&["build", "./p.toml", "--label", "novalue"], "has no '='"),
        row(
            &["build", "./p.toml", "--label", "a b=c"],
            "contains whitespace",
        ),
        row(
            &["build", "./p.toml", "--dockerfile", "/dev/zero"],
            "not a regular file (a device)",
        ),
        row(
            &["build", "./p.toml", "--dockerfile", "cont.Dockerfile"],
            "ends in a line continuation",
        ),
        row(
            &["build", "./p.toml", "--created", "yesterday"],
            "created value \"yesterday\" is not valid",
        ),
        row(
            &["build", "./p.toml", "--image", "UPPER/x"],
            "invalid path component \"UPPER\"",
        ),
        row(
            &["build", "./p.toml", "--label-mode", "weird"],
            "invalid value 'weird'",
        ),
        row(
            &["build", "./p.toml", "--", "--iidfile", "x"],
            "would override ds01-build's own --iidfile",
        ),
        with_env(
            row(
                &["build", "./p.toml"],
                "SOURCE_DATE_EPOCH=\"abc\" is malformed",
            ),
            &[("SOURCE_DATE_EPOCH", "abc")],
        ),
        // create
        row(
            &["create", "--name", "bad#name", "--", img],
            "breaks Docker's name rule",
        ),
        row(&["create", "--name", "", "--", img], "--name is empty"),
        row(
            &["create", "--name", "ok", "--gpus", "weird", "--", img],
            "\"weird\" is not valid for ds01.gpus",
        ),
        row(
            &["create", "--name", "ok", "--set", "ds01.user=x", "--", img],
            "is owner-bearing",
        ),
        row(
            &["create", "--name", "ok", "--set", "nokey", "--", img],
            "--set \"nokey\" has no '='",
        ),
        row(
            &[
                "create",
                "--name",
                "ok",
                "--",
                "--label",
                "ds01.user=x",
                img,
            ],
            "sets label \"ds01.user\"",
        ),
        row(
            &[
                "create",
                "--name",
                "ok",
                "--",
                "--label-file",
                "forged.labels",
                img,
            ],
            "forged.labels:1 sets label \"ds01.user\"",
        ),
        row(
            &[
                "create",
                "--name",
                "ok",
                "--",
                "--label-file",
                "/dev/zero",
                img,
            ],
            "not a regular file (a device)",
        ),
        row(
            &["create", "--name", "ok", "--", "--label-file", "fifo", img],
            "not a regular file (a FIFO)",
        ),
        row(
            &["create", "--name", "ok", "--", "--env-file", "dir", img],
            "not a regular file (a directory)",
        ),
        row(
            &[
                "create",
                "--name",
                "ok",
                "--",
                "--label-file",
                "big.txt",
                img,
            ],
            "over the 1 MiB limit",
        ),
        row(
            &[
                "create",
                "--name",
                "ok",
                "--",
                "--label-file",
                "nul.labels",
                img,
            ],
            "\"a=b\\0c\" contains a NUL byte",
        ),
        row(
            &[
                "create",
                "--name",
                "ok",
                "--",
                "--label-file",
                "long.labels",
                img,
            ],
            "over the 131071 bytes Linux passes as one",
        ),
        row(
            &["create", "--name", "ok", "--", "--name", "x", img],
            "sets the container name",
        ),
        row(&["create", "--name", "ok", "--"], "no IMAGE"),
        row(
            &["create", "--name", "ok", "--interface", "weird", "--", img],
            "invalid value 'weird'",
        ),
        row(
            &[
                "create",
                "--name",
                "ok",
                "--work-mount",
                "relative",
                "--",
                img,
            ],
            "\"relative\" is not valid for ds01.work_mount",
        ),
        with_env(
            row(
                &["create", "--name", "ok", "--", img],
                "DS01_CONTEXT=\"weird\" is not a ds01.interface value",
            ),
            &[("DS01_CONTEXT", "weird")],
        ),
        // lint
        row(&["lint"], "required arguments were not provided"),
        row(&["lint", "x", "--container", "y"], "cannot be used with"),
        row(
            &["lint", "--labels", "/dev/zero"],
            "not a regular file (a device)",
        ),
        row(&["lint", "--labels", "fifo"], "not a regular file (a FIFO)"),
        row(&["lint", "--labels", "big.txt"], "over the 1 MiB limit"),
        row(
            &["lint", "--labels", "noeq.txt"],
            "(100000 bytes) has no '='",
        ),
        row(
            &["lint", "--labels", "bad.json"],
            "not a JSON object of string values",
        ),
        row(&["lint", "--labels", "nonutf8.txt"], "not UTF-8 (line 2)"),
        row(
            &["lint", "--labels", "missing"],
            "cannot read missing: No such file or directory (os error 2)",
        ),
        row(
            &["lint", "--dockerfile", "dir"],
            "not a regular file (a directory)",
        ),
        row(
            &["lint", "--labels", "bad.json", "--fail-on", "loud"],
            "invalid value 'loud'",
        ),
    ]
}

/// Run every row against `engine_program`, checking everything but the engine's own state.
fn run_rows(engine_program: &str, fake: Option<&FakeEngine>) {
    let rows = rows();
    assert!(rows.len() >= 50, "{} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let dir = tempfile::tempdir().unwrap();
        populate(dir.path());
        let outputs = tempfile::tempdir().unwrap();
        let github_output = outputs.path().join("github_output");
        let before = listing(dir.path());
        let argv: Vec<&str> = row.argv.iter().map(String::as_str).collect();
        let mut cmd = ds01(&argv)
            .current_dir(dir.path())
            .env("DS01_BUILD_ENGINE", engine_program)
            .env("GITHUB_OUTPUT", github_output.to_str().unwrap())
            .env_remove("DOCKER_BUILDKIT");
        for (k, v) in &row.env {
            cmd = cmd.env(k, v);
        }
        let out = cmd.run();
        let shown: Vec<String> = argv.iter().map(|a| a.chars().take(40).collect()).collect();
        let lines: Vec<&str> = out.stderr.lines().collect();
        let mut faults = Vec::new();
        if out.code != row.code {
            faults.push(format!("exit {} (expected {})", out.code, row.code));
        }
        if lines.len() != 1 || !lines[0].starts_with("ds01-build: error: ") {
            faults.push("not exactly one `ds01-build: error: ` line".to_string());
        }
        if !out.stderr.contains(row.fragment) {
            faults.push(format!("no {:?}", row.fragment));
        }
        if out.stderr.len() > 2000 {
            faults.push(format!(
                "a {}-byte message (input echoed)",
                out.stderr.len()
            ));
        }
        if let Some(fake) = fake.filter(|f| f.called()) {
            faults.push(format!("the engine was called: {}", fake.calls()));
            let _ = std::fs::remove_file(fake.path("calls"));
        }
        if listing(dir.path()) != before {
            faults.push("a file in the working directory changed".to_string());
        }
        if github_output.exists() {
            faults.push("GITHUB_OUTPUT was written".to_string());
        }
        if !faults.is_empty() {
            let stderr: String = out.stderr.chars().take(400).collect();
            failures.push(format!(
                "{shown:?}: {}\n    stderr: {stderr}",
                faults.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn bad_input_is_one_line_exit_2_and_never_reaches_the_engine() {
    let fake = FakeEngine::new();
    run_rows(&fake.program(), Some(&fake));
}

#[test]
fn bad_input_leaves_nothing_on_the_real_engine() {
    crate::require_engine!();
    let program = crate::support::engine_program();
    run_rows(&program, None);
    let containers = engine(&["ps", "-aq", "--filter", &format!("name={TOKEN}")]);
    assert_eq!(containers.code, 0, "{}", containers.stderr);
    assert_eq!(containers.stdout.trim(), "", "a row made a container");
    let images = engine(&["images", "-aq", &format!("{TOKEN}/*")]);
    assert_eq!(images.code, 0, "{}", images.stderr);
    assert_eq!(images.stdout.trim(), "", "a row made an image");
}

/// Run `cmd` with stderr a pipe whose reader is gone: every write to it fails (EPIPE).
fn with_closed_stderr(cmd: crate::support::Ds01) -> (i32, String) {
    use std::process::Stdio;
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    let mut command = cmd.into_command();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(write));
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_closed_stderr_loses_messages_not_the_exit_code() {
    // Bad input: the one error line cannot be written; the exit code still says what happened.
    let fake = FakeEngine::new();
    let cmd = ds01(&["build", "./nope.toml"]).env("DS01_BUILD_ENGINE", &fake.program());
    assert_eq!(with_closed_stderr(cmd).0, 2);
    let cmd = ds01(&["lint", "--labels", "/dev/zero"]);
    assert_eq!(with_closed_stderr(cmd).0, 2);
}

#[test]
fn a_build_with_a_closed_stderr_prints_its_plan() {
    crate::require_engine!();
    let image = crate::support::unique("closed-stderr");
    let project = crate::support::scratch_project(
        "1.0-1",
        &format!("image = \"{image}/x\"\nbase-prefix = \"scratch\"\ncontext = \"ctx\"\n"),
    );
    // Outside git (a warning line) and -v (the builder and every engine command traced): each
    // of ds01-build's own stderr writes fails; the dry run still prints its whole plan.
    let cmd = ds01(&["-v", "build", "./p.toml", "--dry-run", "--format", "json"])
        .current_dir(project.path());
    let (code, stdout) = with_closed_stderr(cmd);
    assert_eq!(code, 0, "stdout: {stdout}");
    let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["tags"][2], format!("{image}/x:1.0-1"));
    // A read with its engine calls traced on stderr.
    let cmd = ds01(&["-v", "ps", "--all-users", "--format", "json"]);
    let (code, stdout) = with_closed_stderr(cmd);
    assert_eq!(code, 0, "stdout: {stdout}");
    assert!(
        serde_json::from_str::<serde_json::Value>(&stdout).is_ok(),
        "{stdout}"
    );
}

/// Docker's real limit on a label value: one argument (131071 bytes) less `KEY=` (args mode:
/// `--label KEY=VALUE`) or `DS01_L_<16 hex>=` (dockerfile mode: the value travels as a build
/// argument), whichever is longer, whatever the mode. The longest such value is built
/// byte-exact in both modes; one byte more is refused before the engine is called.
#[test]
fn the_longest_label_value_an_argument_carries_is_built_and_one_more_byte_refused() {
    crate::require_engine!();
    let program = crate::support::engine_program();
    let mut cleanup = crate::support::Cleanup::with_engine(&program);
    for mode in ["dockerfile", "args"] {
        let image = crate::support::unique(&format!("longvalue-{mode}"));
        for tag in ["latest", "1.0", "1.0-1"] {
            cleanup.image(format!("{image}/x:{tag}"));
        }
        let profile = |value: &str| {
            format!(
                "image = \"{image}/x\"\nbase-prefix = \"scratch\"\ncontext = \"ctx\"\n\
                 [extra-labels]\nbig = \"{value}\"\n"
            )
        };
        // The key as it is written: `<prefix>.big`.
        let key = format!("{image}.x.big");
        let value = "v".repeat(131_071 - key.len().max("DS01_L_0123456789abcdef".len()) - 1);
        let project = crate::support::scratch_project("1.0-1", &profile(&value));
        let out = ds01(&[
            "build",
            "./p.toml",
            "--label-mode",
            mode,
            "--format",
            "json",
            "--",
            "--network",
            "none",
        ])
        .current_dir(project.path())
        .run();
        out.success();
        let labels = crate::support::inspect_labels(&format!("{image}/x:1.0-1"));
        assert_eq!(
            labels.get(&key).map(String::len),
            Some(value.len()),
            "{mode}"
        );
        assert!(labels[&key] == value, "{mode}: the value differs");
        // One byte more: refused, naming the label, before any engine call.
        let over = crate::support::scratch_project("1.0-1", &profile(&format!("{value}v")));
        crate::support::refused_before_engine(
            ds01(&["build", "./p.toml", "--label-mode", mode]).current_dir(over.path()),
            "over the 131071 bytes Linux passes as one: shorten it",
        );
    }
}
