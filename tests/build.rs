//! `ds01-build build`: the golden label set, bad input refused before any engine call, and real
//! builds read back with `docker inspect` / `docker history`.

use serde_json::Value;

use std::path::Path;

use crate::support::{
    self, ds01, engine, engine_program, inspect_labels, labels_of, refused_before_engine, root,
    scratch_project, unique, without_engine_added, write, Cleanup, FakeEngine, Out,
    UBU_LTS_NS as NS, UBU_LTS_SEED_LABELS,
};
use crate::{require_engine, require_podman};

fn argv_of(json: &Value) -> Vec<String> {
    serde_json::from_value(json["argv"].clone()).expect("argv array of strings")
}

/// `build ubu-lts ARGS --dry-run --format json [-- PASSTHROUGH]` at the seed's build time; its JSON.
#[track_caller]
fn ubu_lts_dry_run(args: &[&str], passthrough: &[&str]) -> Value {
    let mut argv = vec!["build", "ubu-lts"];
    argv.extend_from_slice(args);
    argv.extend(["--dry-run", "--format", "json"]);
    if !passthrough.is_empty() {
        argv.push("--");
        argv.extend_from_slice(passthrough);
    }
    let out = ds01(&argv).env("SOURCE_DATE_EPOCH", "1599884586").run();
    out.success();
    out.json()
}

#[test]
fn golden_seed_labels() {
    let json = ubu_lts_dry_run(&["--tag", "2020.09.03-0.0.1"], &[]);
    let labels = labels_of(&json);
    for (leaf, value) in UBU_LTS_SEED_LABELS {
        let key = format!("{NS}.{leaf}");
        assert_eq!(labels.get(&key).map(String::as_str), Some(value), "{key}");
    }
    // Beyond the seed: the HEAD revision (this checkout is a git repo) and OCI annotations.
    let schema_keys = labels.keys().filter(|k| k.starts_with(NS)).count();
    assert!(schema_keys == 26 || schema_keys == 27, "{labels:#?}");
    assert_eq!(
        labels["org.opencontainers.image.created"],
        "2020-09-12T04:23:06+00:00"
    );
    assert_eq!(
        labels["org.opencontainers.image.version"],
        "2020.09.03-0.0.1"
    );
    assert_eq!(
        labels["org.opencontainers.image.vendor"],
        "UNC - Lineberger"
    );
    // Every managed OCI key is written, empty where unknown: no parent value can show through.
    assert_eq!(labels["org.opencontainers.image.licenses"], "");
    assert_eq!(labels["org.opencontainers.image.base.name"], "");
    assert_eq!(labels["org.opencontainers.image.base.digest"], "");
    assert_eq!(
        json["tags"],
        serde_json::json!([
            "jefferys/ubu-lts:latest",
            "jefferys/ubu-lts:2020.09.03",
            "jefferys/ubu-lts:2020.09.03-0.0.1"
        ])
    );
    let argv = argv_of(&json);
    assert_eq!(&argv[1..4], ["build", "-f", "-"]);
    assert!(argv.last().unwrap().ends_with("examples/chain/ubu-lts"));
    let tail = json["dockerfile_tail"].as_str().unwrap();
    assert!(tail.starts_with("LABEL "), "{tail}");
    assert_eq!(tail.matches(" \\\n").count(), labels.len() - 1);
}

#[test]
fn args_mode_passes_one_label_flag_per_key_sorted() {
    let json = ubu_lts_dry_run(
        &["--tag", "2020.09.03-0.0.1", "--label-mode", "args"],
        &["--pull=false"],
    );
    let argv = argv_of(&json);
    let flags: Vec<&String> = argv
        .windows(2)
        .filter(|w| w[0] == "--label")
        .map(|w| &w[1])
        .collect();
    let labels = labels_of(&json);
    let lsv = format!("{NS}.label-schema-version");
    let expected: Vec<String> = labels
        .iter()
        .filter(|(k, _)| **k != lsv)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(flags, expected.iter().collect::<Vec<_>>());
    // The label-schema-version key alone is in the streamed Dockerfile's final LABEL.
    assert_eq!(&argv[2..4], ["-f", "-"]);
    assert_eq!(
        json["dockerfile_tail"],
        format!("LABEL \"{lsv}\"=\"0.0.1\"\n")
    );
    // Passthrough arguments come unchanged, just before the context.
    assert_eq!(argv[argv.len() - 2], "--pull=false");
}

#[test]
fn label_flags_override_and_sort() {
    let key = format!("{NS}.vendor");
    let vendor = format!("{key}=Someone else");
    let json = ubu_lts_dry_run(
        &["--tag", "1-2", "--label", &vendor, "--label", "aaa.first=1"],
        &[],
    );
    let labels = labels_of(&json);
    assert_eq!(labels[&key], "Someone else");
    let tail = json["dockerfile_tail"].as_str().unwrap();
    assert!(tail.starts_with("LABEL \"aaa.first\"=\"1\""), "{tail}");
    assert_eq!(tail.matches(&format!("\"{key}\"=")).count(), 1);
}

#[test]
fn dry_run_text_is_a_runnable_command() {
    let out = ds01(&["build", "hello", "--tag", "1.0-1", "--dry-run"])
        .env("SOURCE_DATE_EPOCH", "0")
        .run();
    out.success();
    let first = out.stdout.lines().next().unwrap();
    // `DOCKER_BUILDKIT=0|1` first when ds01-build pins the builder for the child.
    let command = first
        .strip_prefix("DOCKER_BUILDKIT=0 ")
        .or_else(|| first.strip_prefix("DOCKER_BUILDKIT=1 "))
        .unwrap_or(first);
    assert!(
        command.starts_with(&format!("{} build -f - --iidfile ", engine_program())),
        "{first}"
    );
    assert!(first.ends_with("<<'DS01_BUILD_DOCKERFILE'"), "{first}");
    out.stdout_has("\nLABEL ");
    assert!(out.stdout.ends_with("\nDS01_BUILD_DOCKERFILE\n"));
    assert!(out.stdout.contains("\"1970-01-01T00:00:00+00:00\""));
}

const GOOD: &str =
    "image = \"ds01t/p\"\nbase-prefix = \"scratch\"\ncontext = \"ctx\"\ntag-file = \"ctx/TAG\"\n";

#[test]
fn control_good_profile_does_reach_the_engine() {
    // The control for the refusals below: the same setup with good input does call the engine
    // (the fake writes no iidfile, so the build then fails on the missing image ID).
    let dir = scratch_project("1.0-1", GOOD);
    let fake = FakeEngine::new();
    // DOCKER_BUILDKIT=0: the builder is known without asking the (fake) CLI's version.
    let out = fake.run(
        ds01(&["build", "p.toml"])
            .current_dir(dir.path())
            .env("DOCKER_BUILDKIT", "0"),
    );
    assert!(fake.called(), "{}", out.stderr);
    assert!(fake.calls().starts_with("build "), "{}", fake.calls());
}

#[test]
fn bad_input_is_refused_before_the_engine() {
    let dir = scratch_project("1.0-1", GOOD);
    let d = dir.path();
    write(d, "syntax.toml", "image = \"a/b\"\nbase-prefix = \n");
    write(d, "unknown.toml", &format!("{GOOD}colour = \"red\"\n"));
    write(d, "a.toml", &format!("extends = \"b\"\n{GOOD}"));
    write(d, "b.toml", "extends = \"a\"\n");
    write(d, "ph.toml", &format!("{GOOD}title = \"{{nmae}}\"\n"));
    write(d, "nobase.toml", "image = \"ds01t/p\"\ncontext = \"ctx\"\n");
    // (arguments after `build`, the one-line error's needle)
    let cases: &[(&[&str], &str)] = &[
        (&["nope"], "nope"),
        (&["missing/p.toml"], "missing/p.toml"),
        (&["syntax.toml"], "syntax.toml:2:"),
        (&["unknown.toml"], "unknown.toml:5:1"),
        (&["a.toml"], "a.toml"),
        (&["ph.toml"], "{nmae}"),
        (&["p.toml", "--tag", "1.2.3"], "1.2.3"),
        (&["p.toml", "--tag-file", "NOPE"], "NOPE"),
        (&["p.toml", "--label", "com.docker.x=1"], "com.docker."),
        (&["p.toml", "--label", "a b=1"], "whitespace"),
        (&["p.toml", "--label", "novalue"], "novalue"),
        (&["p.toml", "--created", "tomorrow"], "tomorrow"),
        (&["p.toml", "--dockerfile", "ctx/Nope"], "ctx/Nope"),
        (&["nobase.toml"], "base-prefix"),
        (&["p.toml", "--image", "Bad/Name"], "Bad/Name"),
        (&["p.toml", "--", "-t", "x:1"], "-t/--tag"),
        (&["p.toml", "--", "--file=Other"], "-f/--file"),
    ];
    for (args, needle) in cases {
        let mut argv = vec!["build"];
        argv.extend_from_slice(args);
        refused_before_engine(ds01(&argv).current_dir(d), needle);
    }
    refused_before_engine(
        ds01(&["build", "p.toml"])
            .current_dir(d)
            .env("SOURCE_DATE_EPOCH", "yesterday"),
        "SOURCE_DATE_EPOCH",
    );
}

// ---------------------------------------------------------------------------------------------
// Real engine.

/// Build steps the engine ran instead of taking from its cache, from the step-by-step output of
/// docker's legacy builder ("Step N/M : ...", "---> Using cache"), podman's ("STEP N/M: ...",
/// "--> Using cache") or BuildKit's plain progress ("#5 [2/3] COPY ...", "#5 CACHED"; BuildKit
/// runs no step for LABEL or ARG, which only change the image config).
#[track_caller]
fn steps_rerun(build_log: &str) -> usize {
    if support::buildkit() {
        let steps: Vec<&str> = build_log
            .lines()
            .filter(|l| l.starts_with('#') && l.contains(" [") && !l.contains("[internal]"))
            .filter_map(|l| l.split(' ').next())
            .collect();
        assert!(!steps.is_empty(), "not BuildKit output: {build_log}");
        let cached = |id: &str| build_log.lines().any(|l| l == format!("{id} CACHED"));
        let mut ids: Vec<&str> = steps.into_iter().filter(|id| !cached(id)).collect();
        ids.dedup();
        return ids.len();
    }
    let log = format!("\n{build_log}").replace("\nSTEP ", "\nStep ");
    // Without "Step N/M" lines every count below would be a vacuous 0.
    assert!(
        log.contains("\nStep "),
        "not legacy builder or podman output: {build_log}"
    );
    log.split("\nStep ")
        .skip(1)
        .filter(|step| {
            let instruction = step.lines().next().unwrap_or_default();
            !instruction.contains(": FROM ") && !step.contains("--> Using cache")
        })
        .count()
}

/// `docker history` CreatedBy column, newest first.
fn history(image: &str) -> Vec<String> {
    let out = engine(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", image]);
    out.success();
    out.stdout.lines().map(str::to_string).collect()
}

fn history_ids(image: &str) -> Vec<String> {
    let out = engine(&["history", "-q", "--no-trunc", image]);
    out.success();
    out.stdout.lines().map(str::to_string).collect()
}

/// Copy the hello example into a temp dir with a unique image, so builds can run in parallel.
fn hello_build(image: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "build",
        "hello",
        "--image",
        image,
        "--created",
        "2020-09-12T00:23:06-04:00",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    ds01(&args).run()
}

#[test]
fn hello_labels_match_the_engine() {
    require_engine!();
    let image = unique("hello");
    let repo = format!("{image}/hello");
    let mut cleanup = Cleanup::default();
    let out = hello_build(&repo, &["--", "--network", "none"]);
    cleanup.image(format!("{repo}:latest"));
    out.success();
    let json = out.json();
    let id = json["id"].as_str().unwrap().to_string();
    for tag in json["tags"].as_array().unwrap() {
        cleanup.image(tag.as_str().unwrap());
    }
    let inspected = without_engine_added(inspect_labels(&id));
    assert_eq!(inspected, labels_of(&json));
    let rows = history(&id);
    assert!(
        rows[0].contains("LABEL")
            // docker shows key=value, podman "key"="value".
            && (rows[0].contains(".label-schema-version=")
                || rows[0].contains(".label-schema-version\"=")),
        "{rows:?}"
    );
    let prefix = format!("{}.hello.io.github.jefferysdockers", image);
    assert_eq!(
        inspected[&format!("{prefix}.created")],
        "2020-09-12T00:23:06-04:00"
    );
    assert_eq!(inspected[&format!("{prefix}.base-prefix")], "scratch");
    let id_now = engine(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{repo}:latest"),
    ]);
    // docker prints the ID as sha256:HEX, podman as bare HEX.
    assert_eq!(
        id_now.stdout.trim().trim_start_matches("sha256:"),
        id.trim_start_matches("sha256:")
    );
}

#[test]
fn rebuilds_rerun_only_the_label_step() {
    require_engine!();
    let repo = format!("{}/hello", unique("cache"));
    let mut cleanup = Cleanup::default();
    let label = |v: &str| format!("com.example.rating={v}");

    let first = hello_build(&repo, &["--label", &label("1")]);
    first.success();
    let first_json = first.json();
    for tag in first_json["tags"].as_array().unwrap() {
        cleanup.image(tag.as_str().unwrap());
    }
    let first_id = first_json["id"].as_str().unwrap().to_string();
    cleanup.image(first_id.clone());

    let same = hello_build(&repo, &["--label", &label("1")]);
    same.success();
    assert_eq!(
        same.json()["id"],
        first_json["id"],
        "unchanged rebuild changed the ID"
    );
    assert_eq!(steps_rerun(&same.stderr), 0, "{}", same.stderr);

    let changed = hello_build(&repo, &["--label", &label("2")]);
    changed.success();
    let changed_id = changed.json()["id"].as_str().unwrap().to_string();
    cleanup.image(changed_id.clone());
    assert_ne!(changed_id, first_id);
    // A changed label re-runs the one LABEL step; BuildKit runs no step for it at all.
    let expected = if support::buildkit() { 0 } else { 1 };
    assert_eq!(steps_rerun(&changed.stderr), expected, "{}", changed.stderr);
    // Everything below the LABEL step is the same image as before.
    assert_eq!(history_ids(&changed_id)[1..], history_ids(&first_id)[1..]);
}

#[test]
fn args_mode_builds_one_label_step_per_key() {
    require_engine!();
    let repo = format!("{}/hello", unique("argsmode"));
    let mut cleanup = Cleanup::default();
    let out = hello_build(&repo, &["--label-mode", "args"]);
    out.success();
    let json = out.json();
    for tag in json["tags"].as_array().unwrap() {
        cleanup.image(tag.as_str().unwrap());
    }
    let labels = labels_of(&json);
    let id = json["id"].as_str().unwrap();
    assert_eq!(without_engine_added(inspect_labels(id)), labels);
    let rows = history(id);
    let label_rows = rows.iter().take_while(|row| row.contains("LABEL")).count();
    // The newest row is the streamed Dockerfile's LABEL of the label-schema-version key alone.
    let lsv = labels
        .keys()
        .find(|k| k.ends_with(".label-schema-version"))
        .unwrap();
    if support::buildkit() {
        // BuildKit records no row for a --label flag.
        assert_eq!(label_rows, 1, "{rows:?}");
        assert!(rows[0].contains(lsv.as_str()), "{rows:?}");
    } else {
        // The Dockerfile's LABEL row, then one row per --label flag.
        assert_eq!(label_rows, labels.len(), "{rows:?}");
    }
    let lineage = ds01(&["lineage", id, "--format", "json"]).run();
    lineage.success();
    assert_eq!(lineage.json()["conforming"], true, "{}", lineage.stdout);
}

/// In `dir` (a build context), a `p.toml` building `dir` as `repo` FROM scratch, plus `extra_toml`;
/// then `ds01-build build p.toml --tag 1-1 ARGS` there, its three tags registered in `cleanup`.
fn build_context(
    cleanup: &mut Cleanup,
    dir: &Path,
    repo: &str,
    extra_toml: &str,
    args: &[&str],
) -> Out {
    write(
        dir,
        "p.toml",
        &format!(
            "image = \"{repo}\"\nbase-prefix = \"scratch\"\ncontext = \"{}\"\n{extra_toml}",
            dir.display()
        ),
    );
    let mut argv = vec!["build", "p.toml", "--tag", "1-1"];
    argv.extend_from_slice(args);
    let out = ds01(&argv).current_dir(dir).run();
    for tag in ["latest", "1", "1-1"] {
        cleanup.image(format!("{repo}:{tag}"));
    }
    out
}

#[test]
fn tricky_values_round_trip_byte_exact() {
    require_engine!();
    let dir = support::busybox_context("FROM scratch\nCOPY busybox /bin/busybox\n");
    let repo = format!("{}/tricky", unique("tricky"));
    let values = [
        ("t.dollar", "$HOME ${X} $"),
        ("t.quotes", "\"double\" 'single'"),
        ("t.backslash", "a\\b\\\\c\\"),
        ("t.unicode", "ünï € 日本"),
        ("t.empty", ""),
        ("t.newline", "line1\nline2"),
        ("t.equals", "a=b=c"),
    ];
    let flags: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec!["--format", "json"];
    for flag in &flags {
        args.extend(["--label", flag.as_str()]);
    }
    let mut cleanup = Cleanup::default();
    let out = build_context(
        &mut cleanup,
        dir.path(),
        &repo,
        "description = '$HOME ${{X}} \"q\" \\ `b` ünï €'\n",
        &args,
    );
    out.success();
    let json = out.json();
    let inspected = without_engine_added(inspect_labels(json["id"].as_str().unwrap()));
    assert_eq!(inspected, labels_of(&json));
    for (k, v) in values {
        assert_eq!(inspected[k], v, "{k}");
    }
    let prefix = format!("{}.io.github.jefferysdockers", repo.replace('/', "."));
    assert_eq!(
        inspected[&format!("{prefix}.description")],
        "$HOME ${X} \"q\" \\ `b` ünï €"
    );
    // The value with a line break cannot be written in a Dockerfile string: the LABEL reads it
    // from a hash-named build argument (so it is in the final LABEL row on every builder).
    let argv = argv_of(&json);
    assert!(!argv.iter().any(|a| a == "--label"), "{argv:?}");
    assert!(argv
        .iter()
        .any(|a| a.starts_with("DS01_L_") && a.ends_with("=line1\nline2")));
    let tail = json["dockerfile_tail"].as_str().unwrap();
    assert!(tail.starts_with("ARG DS01_L_") && tail.contains("\"t.newline\"=\"${DS01_L_"));
}

/// Awkward label values from a fixed seed (the same sample every run): pieces the Dockerfile form
/// must escape or route through a build argument (quotes, backslashes, `$`, `${x}`, line breaks,
/// tabs, `\\` before a line break, `#`, backticks, `=`, unicode), leading and trailing spaces, and
/// two long values (one over the inline limit).
fn generated_label_values() -> Vec<(String, String)> {
    const PIECES: [&str; 22] = [
        "\"",
        "'",
        "\\",
        "\\\\",
        "$",
        "${x}",
        "$HOME",
        "$(id)",
        "\n",
        "\t",
        "\\\n",
        "#",
        "# not a comment",
        "`",
        "=",
        "a=b",
        " ",
        "ünï",
        "日本",
        "€",
        "{}",
        "plain",
    ];
    // splitmix64, seeded: deterministic, no dependency.
    let mut state: u64 = 0x0d5e_ed01_fa22_2026;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as usize
    };
    let mut values: Vec<String> = (0..30)
        .map(|_| {
            let len = 1 + next() % 8;
            (0..len).map(|_| PIECES[next() % PIECES.len()]).collect()
        })
        .collect();
    values.extend([
        "  leading and trailing  ".to_string(),
        "\ttab edges\t".to_string(),
        "ends in a backslash \\".to_string(),
        "x".repeat(5000) + "\"$x\\",
        "long ${x} \\ \"".repeat(1500), // over 16 KiB: carried by a build argument
    ]);
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("t.gen.{i:02}"), v))
        .collect()
}

/// Dockerfile value escaping on the engine: one image built through the real build path
/// (dockerfile mode) with every generated value as a label; `inspect` gives each back exactly.
/// (CI runs this on docker's legacy builder, BuildKit and podman.)
#[test]
fn generated_awkward_values_round_trip_exactly() {
    require_engine!();
    let dir = support::busybox_context("FROM scratch\nCOPY busybox /bin/busybox\n");
    let repo = format!("{}/generated", unique("generated"));
    let values = generated_label_values();
    let flags: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec!["--format", "json"];
    for flag in &flags {
        args.extend(["--label", flag.as_str()]);
    }
    let mut cleanup = Cleanup::default();
    let out = build_context(&mut cleanup, dir.path(), &repo, "", &args);
    out.success();
    let json = out.json();
    assert!(
        !argv_of(&json).iter().any(|a| a == "--label"),
        "not dockerfile mode"
    );
    let inspected = without_engine_added(inspect_labels(json["id"].as_str().unwrap()));
    for (k, v) in &values {
        assert_eq!(inspected.get(k), Some(v), "{k}");
    }
    assert_eq!(inspected, labels_of(&json));
}

#[test]
fn escape_directive_is_honoured() {
    require_engine!();
    let dir = support::busybox_context("# escape=`\nFROM scratch\nCOPY busybox /bin/busybox\n");
    let repo = format!("{}/escape", unique("escape"));
    let mut cleanup = Cleanup::default();
    let out = build_context(
        &mut cleanup,
        dir.path(),
        &repo,
        "",
        &[
            "--format",
            "json",
            "--label",
            "t.v=back`tick \\slash $D \"q\"",
        ],
    );
    out.success();
    let json = out.json();
    let inspected = inspect_labels(json["id"].as_str().unwrap());
    assert_eq!(inspected["t.v"], "back`tick \\slash $D \"q\"");
    let tail = json["dockerfile_tail"].as_str().unwrap();
    if support::engine_program().contains("podman") {
        // Buildah ignores `# escape=` inside LABEL values: the labels went as --label flags.
        assert_eq!(tail, "");
    } else {
        assert!(tail.contains(" `\n"), "{tail}");
    }
}

#[test]
fn dockerignore_applies_as_with_a_dockerfile_path() {
    require_engine!();
    let dir = support::busybox_context(
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY . /ctx/\nCMD [\"/bin/busybox\", \"true\"]\n",
    );
    write(dir.path(), ".dockerignore", "secret.txt\n");
    write(dir.path(), "secret.txt", "hush\n");
    write(dir.path(), "kept.txt", "hello\n");
    let mut cleanup = Cleanup::default();
    for mode in ["dockerfile", "args"] {
        let repo = format!("{}/ignore", unique(mode));
        let out = build_context(
            &mut cleanup,
            dir.path(),
            &repo,
            "",
            &["--format", "json", "--label-mode", mode],
        );
        out.success();
        let container = unique(mode);
        cleanup.container(container.clone());
        engine(&["create", "--name", &container, &format!("{repo}:latest")]).success();
        let kept = engine(&["cp", &format!("{container}:/ctx/kept.txt"), "-"]);
        assert_eq!(kept.code, 0, "{mode}: kept.txt missing: {}", kept.stderr);
        let secret = engine(&["cp", &format!("{container}:/ctx/secret.txt"), "-"]);
        assert_ne!(secret.code, 0, "{mode}: .dockerignore was not applied");
    }
}

#[test]
fn engine_exit_code_passes_through() {
    require_engine!();
    let dir = support::busybox_context(
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"exit 7\"]\n",
    );
    let repo = format!("{}/fails", unique("exit"));
    let mut cleanup = Cleanup::default();
    let out = build_context(
        &mut cleanup,
        dir.path(),
        &repo,
        "",
        &["--", "--network", "none", "--force-rm"],
    );
    // The step's own code on the legacy builder and podman; docker with BuildKit exits 1.
    let code = if support::buildkit() { 1 } else { 7 };
    assert_eq!(out.code, code, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    out.stderr_has(&format!("exited with code {code}"));
}

#[test]
fn three_image_chain_keeps_every_images_labels() {
    require_engine!();
    let owner = unique("chain");
    let mut cleanup = Cleanup::default();
    let reports = support::build_profile_chain(&mut cleanup, &owner);
    let last = &reports[2];
    let labels = inspect_labels(last["id"].as_str().unwrap());
    let bp = |name: &str| {
        labels
            .get(&format!(
                "{owner}.{name}.io.github.JefferysDockers.base-prefix"
            ))
            .cloned()
    };
    assert_eq!(bp("ubu-lts").as_deref(), Some("scratch"));
    assert_eq!(bp("r-lang"), Some(format!("{owner}.ubu-lts")));
    assert_eq!(bp("my-app"), Some(format!("{owner}.r-lang")));
    assert_eq!(
        labels["org.opencontainers.image.base.name"],
        format!("{owner}/r-lang:latest")
    );
    // The parent is local: base.digest is its digest (podman) or image ID (docker, no registry).
    let parent = engine(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{owner}/r-lang:latest"),
    ]);
    let digest = &labels["org.opencontainers.image.base.digest"];
    assert!(digest.starts_with("sha256:"), "{digest}");
    if !support::engine_program().contains("podman") {
        assert_eq!(digest, parent.stdout.trim());
    }
}

#[test]
fn podman_builds_the_same_labels() {
    require_podman!();
    let repo = format!("localhost/{}/hello", unique("podman"));
    let mut cleanup = Cleanup::with_engine("podman");
    let out = ds01(&[
        "build",
        "hello",
        "--image",
        &repo,
        "--format",
        "json",
        "--",
        "--network",
        "none",
    ])
    .env("DS01_BUILD_ENGINE", "podman")
    .run();
    cleanup.image(format!("{repo}:latest"));
    out.success();
    let json = out.json();
    let id = json["id"].as_str().unwrap();
    cleanup.image(id);
    let tags = json["tags"].as_array().unwrap();
    assert_eq!(tags.len(), 3, "{json}");
    for tag in tags {
        cleanup.image(tag.as_str().unwrap());
    }
    let labels = without_engine_added(support::inspect_labels_with("podman", id));
    assert_eq!(labels, labels_of(&json));
}

#[test]
fn dockerhub_hook_maps_its_environment() {
    let out = std::process::Command::new(root().join("hooks/build"))
        .current_dir(root())
        .env("DS01_BUILD_BIN", env!("CARGO_BIN_EXE_ds01-build"))
        .env("DOCKER_REPO", "index.docker.io/jefferys/ubu-lts")
        .env("DOCKER_TAG", "2020.09.03-0.0.1")
        .env("DOCKERFILE_PATH", "examples/chain/ubu-lts/Dockerfile")
        .env("SOURCE_COMMIT", "0123456789abcdef")
        .env("SOURCE_DATE_EPOCH", "1599884586")
        .args(["--dry-run", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels = labels_of(&json);
    assert_eq!(labels[&format!("{NS}.version")], "2020.09.03-0.0.1");
    assert_eq!(labels[&format!("{NS}.source-revision")], "0123456789abcdef");
    assert_eq!(
        labels[&format!("{NS}.pull")],
        "jefferys/ubu-lts:2020.09.03-0.0.1"
    );

    let missing = std::process::Command::new(root().join("hooks/build"))
        .current_dir(root())
        .env("DS01_BUILD_BIN", "/nonexistent/ds01-build")
        .env("DOCKER_REPO", "index.docker.io/jefferys/ubu-lts")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("ds01-build") && stderr.contains("not found"),
        "{stderr}"
    );
}

#[test]
fn sigterm_reaches_the_engine() {
    use std::process::{Command, Stdio};

    let dir = scratch_project("1.0-1", GOOD);
    // An engine that, once its trap is set, marks itself started and runs until it is signalled;
    // it records the signal.
    let fake = FakeEngine::with_body(
        "here=\"$(dirname \"$0\")\"\n\
         trap 'echo TERM > \"$here/got-term\"; exit 143' TERM\n\
         touch \"$here/started\"\n\
         while :; do sleep 0.05; done\n",
    );
    let started = fake.path("started");

    let child = Command::new(env!("CARGO_BIN_EXE_ds01-build"))
        .args(["build", "p.toml"])
        .current_dir(dir.path())
        .env("DS01_BUILD_ENGINE", fake.program())
        // Builder detection without a process: the one engine call is the build.
        .env("DOCKER_BUILDKIT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the fake engine runs, then signal ds01-build only.
    for _ in 0..200 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(started.exists(), "the engine never started");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        std::fs::read_to_string(fake.path("got-term"))
            .ok()
            .as_deref(),
        Some("TERM\n"),
        "SIGTERM was not forwarded"
    );
    // The engine's own exit code (143 = 128 + SIGTERM) is passed through.
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn outside_a_repository_git_labels_are_left_out_with_one_warning() {
    let dir = scratch_project("1.0-1", GOOD);
    let out = ds01(&["build", "p.toml", "--dry-run", "--format", "json"])
        .current_dir(dir.path())
        .run();
    out.success();
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].starts_with("ds01-build: warning: ")
            && warnings[0].contains("not in a git repository"),
        "{}",
        out.stderr
    );
    let labels = labels_of(&out.json());
    let ns = "ds01t.p.io.github.jefferysdockers";
    assert!(!labels.contains_key(&format!("{ns}.source-revision")));
    assert!(!labels.contains_key(&format!("{ns}.source-home")));
    // Written empty, so that a parent's revision does not show through.
    assert_eq!(labels["org.opencontainers.image.revision"], "");
    assert_eq!(labels["org.opencontainers.image.source"], "");
    assert_eq!(labels[&format!("{ns}.version")], "1.0-1");
}
