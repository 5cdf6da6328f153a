//! The build path on every builder (issue 10): the builder is detected and refused cleanly when it
//! cannot build, dry runs are byte-identical, what `build` made lints clean and conforms, no OCI
//! value of the parent shows through, podman builds are reproducible and carry annotations, and
//! hadolint agrees with `lint` on the Dockerfiles `build` streams. The real-engine tests run on
//! the test engine, which CI sets to the legacy builder, BuildKit and podman in turn.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{
    self, build_profile_chain, ds01, fixture_image, inspect_labels, refused_before_engine, root,
    unique, write, Cleanup, FakeEngine,
};
use crate::{require_engine, require_podman};

const OCI: &str = "org.opencontainers.image";

fn labels_of(json: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(json["labels"].clone()).expect("labels object of strings")
}

/// Register every tag of a build report (and its ID) for removal.
fn register(cleanup: &mut Cleanup, json: &Value) {
    if let Some(id) = json["id"].as_str() {
        cleanup.image(id);
    }
    for tag in json["tags"].as_array().into_iter().flatten() {
        cleanup.image(tag.as_str().unwrap());
    }
}

#[test]
fn dry_run_output_is_byte_identical_between_runs() {
    for format in ["text", "json"] {
        for profile in ["hello", "ubu-lts"] {
            let run = || {
                let out = ds01(&["build", profile, "--dry-run", "--format", format])
                    .env("SOURCE_DATE_EPOCH", "1599884586")
                    .run();
                out.success();
                out.stdout
            };
            let first = run();
            assert!(first.contains("--iidfile"), "{first}");
            assert_eq!(first, run(), "{profile} --format {format}");
        }
    }
}

/// A fake docker CLI of version 28; run with `DOCKER_CONFIG` at an empty directory (and no system
/// plugin directory here) it has no buildx.
fn docker_28_without_buildx() -> FakeEngine {
    FakeEngine::with_body(
        "case \"$1\" in\n  --version) echo 'Docker version 28.2.2, build e6534b4' ;;\nesac\n",
    )
}

#[test]
fn buildkit_without_buildx_is_one_line_before_any_build() {
    let fake = docker_28_without_buildx();
    let no_plugins = tempfile::tempdir().unwrap();
    let config = no_plugins.path().to_str().unwrap();
    let out = fake.run(
        ds01(&["build", "hello"])
            .env("DOCKER_BUILDKIT", "1")
            .env("DOCKER_CONFIG", config),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    out.fails_with("buildx");
    out.fails_with("DOCKER_BUILDKIT=0");
    assert_eq!(fake.calls(), "--version\n", "no build may start");

    // Unset, the same CLI falls back to legacy (as docker does) and the build runs.
    let fake = docker_28_without_buildx();
    let out = fake.run(
        ds01(&["build", "hello", "-v"])
            .env_remove("DOCKER_BUILDKIT")
            .env("DOCKER_CONFIG", config),
    );
    out.stderr_has("builder: legacy");
    let calls = fake.calls();
    let words: Vec<&str> = calls
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    // No buildx plugin and DOCKER_BUILDKIT unset: legacy whatever the version, nothing asked.
    assert_eq!(words, ["build"], "{calls}");

    // A value the docker CLI would refuse is refused before anything runs.
    refused_before_engine(
        ds01(&["build", "hello"]).env("DOCKER_BUILDKIT", "yes"),
        "DOCKER_BUILDKIT=\"yes\"",
    );
    // --annotation where the builder has none, and a Dockerfile ending in a continuation.
    refused_before_engine(
        ds01(&["build", "hello", "--annotation", "a=b"]).env("DOCKER_BUILDKIT", "0"),
        "--annotation",
    );
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM scratch\nCMD echo hi \\\n\n# c\n",
    );
    write(dir.path(), "Bad", "# escape=x\nFROM scratch\n");
    let hello = root().join("profiles/hello.toml");
    for (file, needle) in [
        ("Dockerfile", "line 2 ends in a line continuation"),
        ("Bad", "invalid escape token \"x\""),
    ] {
        let path = dir.path().join(file);
        refused_before_engine(
            ds01(&[
                "build",
                hello.to_str().unwrap(),
                "--dockerfile",
                path.to_str().unwrap(),
            ]),
            needle,
        );
    }
}

#[test]
fn the_real_docker_cli_without_buildx_is_refused_in_one_line() {
    require_engine!();
    // The CLI first on PATH here is docker 28 without buildx; elsewhere there is nothing to show.
    let version = support::engine_with("docker", &["--version"]).stdout;
    let modern = version
        .strip_prefix("Docker version ")
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok())
        .is_some_and(|m| m >= 23);
    if !modern || support::engine_with("docker", &["buildx", "version"]).code == 0 {
        eprintln!("skipped: the docker CLI here is older than 23 or has buildx");
        return;
    }
    let out = ds01(&["build", "hello", "--image", &unique("nobuildx")])
        .env("DS01_BUILD_ENGINE", "docker")
        .env("DOCKER_BUILDKIT", "1")
        .run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    out.fails_with("buildx");
}

/// `lint IMAGE` with the default `--fail-on warning` must pass; returns its JSON report.
#[track_caller]
fn lint_passes(image: &str) -> Value {
    let out = ds01(&["lint", image, "--format", "json"]).run();
    assert_eq!(out.code, 0, "{image}: {}{}", out.stdout, out.stderr);
    let json = out.json();
    for f in json["findings"].as_array().unwrap() {
        assert_eq!(f["level"], "info", "{image}: {f}");
    }
    json
}

#[test]
fn what_build_made_lints_clean_and_conforms() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let owner = unique("clean");
    // hello, with a value no Dockerfile string can hold, in both label modes.
    for mode in ["dockerfile", "args"] {
        let repo = format!("{owner}/hello-{mode}");
        let out = ds01(&[
            "build",
            "hello",
            "--image",
            &repo,
            "--label-mode",
            mode,
            "--label",
            "com.example.note=line1\nline2\t$HOME",
            "--format",
            "json",
            "--",
            "--network",
            "none",
        ])
        .run();
        cleanup.image(format!("{repo}:latest"));
        out.success();
        let json = out.json();
        register(&mut cleanup, &json);
        let id = json["id"].as_str().unwrap();
        let inspected = support::without_engine_added(inspect_labels(id));
        assert_eq!(inspected, labels_of(&json), "{mode}");
        let report = lint_passes(id);
        assert_eq!(report["findings"], serde_json::json!([]), "{mode}");
        let lineage = ds01(&["lineage", id, "--format", "json"]).run();
        lineage.success();
        assert_eq!(
            lineage.json()["conforming"],
            true,
            "{mode}: {}",
            lineage.stdout
        );
    }
    // The shipped chain: only the seed's own spellings are reported, as info.
    let reports = build_profile_chain(&mut cleanup, &owner);
    for report in &reports {
        let id = report["id"].as_str().unwrap();
        let json = lint_passes(id);
        assert!(
            !json["findings"].as_array().unwrap().is_empty(),
            "the seed spells io.github.JefferysDockers"
        );
        let out = ds01(&["lint", id, "--fail-on", "info"]).run();
        assert_eq!(out.code, 1, "{}", out.stdout);
    }
    let top = reports[2]["id"].as_str().unwrap();
    let lineage = ds01(&["lineage", top, "--format", "json"]).run();
    lineage.success();
    let json = lineage.json();
    assert_eq!(json["conforming"], true, "{}", lineage.stdout);
    assert_eq!(json["chain"].as_array().unwrap().len(), 3, "{json}");
}

/// A copy of `examples/chain/<name>` outside any git repository.
fn context_outside_git(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = root().join("examples/chain").join(name);
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

#[test]
fn no_oci_value_is_inherited_from_the_parent() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let owner = unique("noinherit");
    let reports = build_profile_chain(&mut cleanup, &owner);
    let parent = labels_of(&reports[2]);
    assert_eq!(parent[&format!("{OCI}.licenses")], "MIT");
    assert!(!parent[&format!("{OCI}.revision")].is_empty());

    // A child of my-app that sets license-spdx = "" and is built outside git.
    let ctx = context_outside_git("my-app");
    let profiles = tempfile::tempdir().unwrap();
    let my_app = format!(
        "extends = \"{}\"\nimage = \"{owner}/my-app\"\nbase-profile = \"{}\"\n",
        root().join("profiles/my-app.toml").display(),
        root().join("profiles/r-lang.toml").display()
    );
    write(profiles.path(), "my-app.toml", &my_app);
    write(
        profiles.path(),
        "child.toml",
        &format!(
            "extends = \"my-app\"\nimage = \"{owner}/child\"\nbase-profile = \"my-app\"\nlicense-spdx = \"\"\ncontext = \"{}\"\n",
            ctx.path().display()
        ),
    );
    let base_arg = format!("BASE={owner}/my-app:latest");
    let out = ds01(&[
        "build",
        "child.toml",
        "--format",
        "json",
        "--",
        "--network",
        "none",
        "--build-arg",
        &base_arg,
    ])
    .current_dir(profiles.path())
    .run();
    cleanup.image(format!("{owner}/child:latest"));
    out.success();
    let json = out.json();
    register(&mut cleanup, &json);
    let id = json["id"].as_str().unwrap();
    let labels = inspect_labels(id);
    for (name, want) in [
        ("licenses", String::new()),
        ("revision", String::new()),
        ("base.name", format!("{owner}/my-app:latest")),
    ] {
        assert_eq!(labels[&format!("{OCI}.{name}")], want, "{name}");
    }
    // The parent's own labels are still there, under its prefix.
    assert_eq!(
        labels[&format!("{owner}.my-app.io.github.JefferysDockers.license-spdx")],
        "MIT"
    );
    lint_passes(id);

    // An image built straight with the engine on top, with schema labels of its own but no OCI
    // keys, carries the parent's OCI values: lint says they contradict its own labels.
    let stale = fixture_image(
        &mut cleanup,
        "stale",
        &format!(
            "FROM {owner}/child:latest\nCOPY busybox /bin/stale\nLABEL \"t.stale.io.github.jefferysdockers.base-prefix\"=\"{owner}.child\" \"t.stale.io.github.jefferysdockers.label-schema-version\"=\"0.0.1\"\n"
        ),
        &[],
    );
    let out = ds01(&["lint", &stale, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{}", out.stdout);
    let findings = out.json()["findings"].clone();
    let stale_keys: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "L016")
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(
        stale_keys.contains(&"org.opencontainers.image.title"),
        "{findings}"
    );
    assert!(
        stale_keys.contains(&"org.opencontainers.image.base.name"),
        "{findings}"
    );
}

/// `podman build` of hello at a fixed SOURCE_DATE_EPOCH without cache; its report.
fn podman_reproducible_build(repo: &str, cleanup: &mut Cleanup) -> Value {
    let out = ds01(&[
        "build",
        "hello",
        "--image",
        repo,
        "--annotation",
        "com.example.note=v \"q\" ☃",
        "--format",
        "json",
        "--",
        "--no-cache",
        "--network",
        "none",
    ])
    .env("DS01_BUILD_ENGINE", "podman")
    .env("SOURCE_DATE_EPOCH", "1599884586")
    .run();
    cleanup.image(format!("{repo}:latest"));
    out.success();
    let json = out.json();
    register(cleanup, &json);
    json
}

#[test]
fn podman_same_sources_and_epoch_give_the_same_image_id() {
    require_podman!();
    let repo = format!("localhost/{}/hello", unique("repro"));
    let mut cleanup = Cleanup::with_engine("podman");
    let first = podman_reproducible_build(&repo, &mut cleanup);
    let second = podman_reproducible_build(&repo, &mut cleanup);
    assert!(first["argv"]
        .as_array()
        .unwrap()
        .windows(2)
        .any(|w| w[0] == "--timestamp" && w[1] == "1599884586"));
    assert_eq!(first["id"], second["id"], "--no-cache twice at one epoch");

    // The OCI facts and --annotation are manifest annotations too.
    let id = first["id"].as_str().unwrap();
    let out = support::engine_with(
        "podman",
        &["image", "inspect", "--format", "{{json .Annotations}}", id],
    );
    out.success();
    let annotations: BTreeMap<String, String> = serde_json::from_str(out.stdout.trim()).unwrap();
    let labels = labels_of(&first);
    assert_eq!(annotations["com.example.note"], "v \"q\" ☃");
    for name in ["title", "description", "version", "created"] {
        let key = format!("{OCI}.{name}");
        assert_eq!(annotations.get(&key), labels.get(&key), "{key}");
    }
    let created = support::engine_with(
        "podman",
        &["image", "inspect", "--format", "{{.Created}}", id],
    );
    assert!(
        created.stdout.starts_with("2020-09-12 04:23:06"),
        "{}",
        created.stdout
    );
}

/// The hadolint binary: `DS01_BUILD_HADOLINT`, else the one `.ci/run` installs
/// (`target/ci-venv/bin/hadolint`), else `hadolint` on PATH. A missing hadolint fails the test
/// unless `DS01_BUILD_E2E=skip`.
fn hadolint() -> Option<PathBuf> {
    let ci = root().join("target/ci-venv/bin/hadolint");
    let found = std::env::var_os("DS01_BUILD_HADOLINT")
        .map(PathBuf::from)
        .or_else(|| ci.is_file().then_some(ci))
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("hadolint"))
                .find(|p| p.is_file())
        });
    if found.is_none() && !support::skip_mode() {
        panic!("no hadolint: set DS01_BUILD_HADOLINT or run .ci/run once (or DS01_BUILD_E2E=skip)");
    }
    found
}

/// The Dockerfile `build PROFILE` streams, from its dry run (the here-document body).
fn streamed_dockerfile(profile: &str, dir: &Path) -> PathBuf {
    let out = ds01(&["build", profile, "--dry-run"])
        .env("SOURCE_DATE_EPOCH", "1599884586")
        .run();
    out.success();
    let mut lines = out.stdout.lines();
    let first = lines.next().unwrap();
    let delimiter = first.rsplit("<<'").next().unwrap().trim_end_matches('\'');
    let body: Vec<&str> = lines.take_while(|l| *l != delimiter).collect();
    write(
        dir,
        &format!("{profile}.Dockerfile"),
        &(body.join("\n") + "\n"),
    )
}

#[test]
fn hadolint_reports_only_what_lint_reports() {
    let Some(hadolint) = hadolint() else {
        support::skipped_because("no hadolint (set DS01_BUILD_HADOLINT or put it on PATH)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for profile in ["hello", "ubu-lts", "r-lang", "my-app"] {
        let file = streamed_dockerfile(profile, dir.path());
        let out = std::process::Command::new(&hadolint)
            .args(["--no-color", "-f", "json"])
            .arg(&file)
            .output()
            .unwrap();
        let found: Vec<Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{profile}: hadolint JSON: {e}: {out:?}"));
        let lint = ds01(&[
            "lint",
            "--dockerfile",
            file.to_str().unwrap(),
            "--format",
            "json",
        ])
        .run();
        assert_ne!(lint.code, 2, "{}", lint.stderr);
        let ours = lint.json()["findings"].as_array().unwrap().clone();
        if profile == "hello" {
            assert_eq!(found, Vec::<Value>::new(), "hadolint on hello");
            assert_eq!(ours, Vec::<Value>::new(), "lint on hello");
            continue;
        }
        assert!(
            !found.is_empty(),
            "{profile}: hadolint flags the seed's upper-case keys"
        );
        for h in &found {
            // hadolint's DL3048 (invalid label key, level style) is lint's L001 key-style at
            // level info (hadolint's style has no failing default either), on the same line.
            assert_eq!(h["code"], "DL3048", "{profile}: {h}");
            let level = match h["level"].as_str().unwrap() {
                "style" | "info" => "info",
                other => other,
            };
            assert!(
                ours.iter()
                    .any(|f| f["rule"] == "L001" && f["line"] == h["line"] && f["level"] == level),
                "{profile}: hadolint {h} has no lint counterpart in {ours:?}"
            );
        }
    }
}

#[test]
fn parser_directives_are_read_as_the_engine_reads_them() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    // Each header decides the escape character the engine uses; the label value holds both
    // candidates, quotes and a dollar, so a wrong guess would change what the image gets.
    let value = "back`tick \\slash \"q\" $HOME";
    let headers = [
        ("bom", "\u{feff}# escape=`\n"),
        ("crlf", "# escape=`\r\n"),
        ("spaced", "  #   ESCAPE   =   `\n"),
        ("after-comment", "# a comment\n# escape=`\n"),
        ("after-unknown", "# foo=bar\n# escape=`\n"),
        ("after-blank", "\n# escape=`\n"),
    ];
    for (name, header) in headers {
        let dir = support::busybox_context(&format!(
            "{header}FROM scratch\nCOPY busybox /bin/busybox\n"
        ));
        let repo = format!("{}/directive", unique(name));
        write(
            dir.path(),
            "p.toml",
            &format!(
                "image = \"{repo}\"\nbase-prefix = \"scratch\"\ncontext = \"{}\"\n",
                dir.path().display()
            ),
        );
        let label = format!("t.v={value}");
        let out = ds01(&[
            "build",
            "p.toml",
            "--tag",
            "1-1",
            "--label",
            &label,
            "--format",
            "json",
            "--",
            "--network",
            "none",
        ])
        .current_dir(dir.path())
        .run();
        cleanup.image(format!("{repo}:latest"));
        out.success();
        let json = out.json();
        register(&mut cleanup, &json);
        let labels = inspect_labels(json["id"].as_str().unwrap());
        assert_eq!(labels["t.v"], value, "{name}");
        let lineage = ds01(&["lineage", json["id"].as_str().unwrap(), "--format", "json"]).run();
        assert_eq!(
            lineage.json()["conforming"],
            true,
            "{name}: {}",
            lineage.stdout
        );
    }
}
