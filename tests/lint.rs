//! `lint` end to end: every rule fires from the sources that carry it, a clean set passes, and the
//! exit codes are 0 clean, 1 findings, 2 unreadable input. Images and containers are real.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::require_engine;
use crate::support::{
    busybox_image, ds01, engine, fixture_image, inspect_labels, unique, without_engine_added,
    Cleanup, FIXTURE_LABEL,
};

const P: &str = "jefferys.ubu-lts.io.github.jefferysdockers";

/// A clean heritable label set as `KEY=VALUE` lines.
fn clean_lines() -> String {
    [
        ("base-prefix", "scratch"),
        ("home", "https://hub.docker.com/r/jefferys/ubu-lts"),
        ("version", "20.04.01-0.0.1"),
        ("content-version", "20.04.01"),
        ("source-version", "0.0.1"),
        ("pull", "jefferys/ubu-lts:20.04.01-0.0.1"),
        ("license-spdx", ""),
        ("content-license-spdx", "GPL-2.0-or-later OR MIT"),
        ("created", "2020-09-12T00:23:06-04:00"),
        ("label-schema-version", "0.0.1"),
    ]
    .iter()
    .map(|(leaf, v)| format!("{P}.{leaf}={v}\n"))
    .collect()
}

/// Write `dir/name`; returns the path as a string, for an argument.
fn file_arg(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    crate::support::write(dir.path(), name, text)
        .to_str()
        .unwrap()
        .to_string()
}

fn rule_ids(json: &Value) -> BTreeSet<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn clean_labels_pass() {
    let dir = tempfile::tempdir().unwrap();
    let file = file_arg(
        &dir,
        "labels.txt",
        &format!("# comment\n\n{}ds01.user=alice\n", clean_lines()),
    );
    let out = ds01(&["lint", "--labels", &file]).run();
    out.success();
    assert_eq!(out.stdout, "clean: 11 labels checked\n");
    let json_file = file_arg(&dir, "labels.json", "{\"ds01.managed\": \"true\"}");
    let out = ds01(&["lint", "--labels", &json_file, "--format", "json"]).run();
    out.success();
    assert_eq!(
        out.json(),
        serde_json::json!({"source": format!("labels {json_file}"), "labels": 1, "findings": []})
    );
}

#[test]
fn every_label_rule_fires_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = clean_lines();
    text = text.replace(
        &format!("{P}.content-version=20.04.01"),
        &format!("{P}.content-version=20.04"),
    );
    text = text.replace(
        &format!("{P}.created=2020-09-12T00:23:06-04:00"),
        &format!("{P}.created=yesterday"),
    );
    text = text.replace(
        &format!("{P}.pull=jefferys/ubu-lts:20.04.01-0.0.1"),
        &format!("{P}.pull=jefferys/ubu-lts:latest"),
    );
    text.push_str(&format!("{P}.vendorUrl=ftp://x\n"));
    text.push_str(&format!("{P}.license-file=not a url\n"));
    text.push_str(&format!("{P}.content-license-spdx=GPL 2\n"));
    text.push_str("Bad.Key=1\n");
    text.push_str("com.docker.compose.project=p\n");
    text.push_str("aime.mlc.USER=alice\n");
    text.push_str("ds01.gpu_slot=GPU-1\n");
    text.push_str("ds01.whatever=1\n");
    text.push_str("ds01.managed=yes\n");
    // An image with a base naming no present prefix and no label-schema-version.
    text.push_str("x.io.github.jefferysdockers.base-prefix=jefferys.nothere\n");
    // Two images naming the same base: two heads.
    text.push_str("y.io.github.jefferysdockers.base-prefix=jefferys.ubu-lts\ny.io.github.jefferysdockers.label-schema-version=1\n");
    text.push_str("z.io.github.jefferysdockers.base-prefix=jefferys.ubu-lts\nz.io.github.jefferysdockers.label-schema-version=1\n");
    let file = file_arg(&dir, "labels.txt", &text);

    let out = ds01(&["lint", "--labels", &file, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let ids = rule_ids(&out.json());
    let expected: BTreeSet<String> = (1..=14).map(|n| format!("L{n:03}")).collect();
    assert_eq!(ids, expected);

    let out = ds01(&["lint", "--labels", &file]).run();
    assert_eq!(out.code, 1);
    out.stdout_has(
        "L003 legacy-key [warning]: aime.mlc.USER: legacy aime.mlc key, read-only: write ds01.user instead\n",
    );
    out.stdout_has("L001 key-style [warning]: aime.mlc.USER: must end with a lowercase letter or digit; may only contain a-z 0-9 . _ / - (legacy key, upper case by history: its replacement is ds01.user)\n");
    out.stdout_has(&format!(
        "L010 version-split [error]: {P}.content-version=\"20.04\""
    ));
    assert!(
        out.stdout.lines().last().unwrap().ends_with(" labels"),
        "{}",
        out.stdout
    );
}

#[test]
fn unreadable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    let out = ds01(&["lint", "--labels", missing.to_str().unwrap()]).run();
    assert_eq!(out.code, 2);
    out.fails_with("cannot read");
    let bad = file_arg(&dir, "bad.txt", "a=1\njust words\n");
    let out = ds01(&["lint", "--labels", &bad]).run();
    assert_eq!(out.code, 2);
    out.fails_with(&format!(
        "labels file {bad}: line 2: \"just words\" has no '='"
    ));
    let out = ds01(&["lint", "--dockerfile", missing.to_str().unwrap()]).run();
    assert_eq!(out.code, 2);
    let out = ds01(&["lint"]).run();
    assert_eq!(out.code, 2);
}

#[test]
fn dockerfile_labels_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lsv = format!("{P}.label-schema-version");
    let file = file_arg(
        &dir,
        "Dockerfile",
        &format!(
            "# escape=`\nFROM scratch\nLABEL {P}.base-prefix=\"scratch\" `\n      {P}.created=\"$CREATED\" `\n      Mixed.Case=1\nLABEL \"{lsv}\"=\"0.0.1\"\nCOPY a /a\n"
        ),
    );
    let out = ds01(&["lint", "--dockerfile", &file]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    // `$CREATED` is substituted at build time: not checked. Lines point at the instruction.
    assert_eq!(
        out.stdout,
        format!(
            "{file}:3: L001 key-style [warning]: Mixed.Case: must start with a lowercase letter a-z; may only contain a-z 0-9 . _ / - (e.g. mixed.case)\n\
             {file}:7: L015 not-conforming [error]: {lsv}: set at line 6 but followed by COPY at line 7: only LABEL instructions may follow it, or the image does not conform\n\
             2 findings in 4 labels\n"
        )
    );
}

#[test]
fn images_and_containers() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let label_line: String = clean_lines()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            format!(" \"{k}\"=\"{v}\"")
        })
        .collect();
    let good = busybox_image(&mut cleanup, "lint", &format!("LABEL{label_line}\n"));
    // The clean set's 10 labels, plus the fixture's own unique label and any the engine adds
    // (podman: io.buildah.version); all clean.
    let image_labels = inspect_labels(&good);
    let mut built = without_engine_added(image_labels.clone());
    assert!(built.remove(FIXTURE_LABEL).is_some(), "{built:?}");
    assert_eq!(built.len(), 10, "{built:?}");
    let out = ds01(&["lint", &good]).run();
    out.success();
    assert_eq!(
        out.stdout,
        format!("clean: {} labels checked\n", image_labels.len())
    );

    // Last step not a LABEL: the image does not conform.
    let child = fixture_image(
        &mut cleanup,
        "lint",
        &format!("FROM {good}\nCOPY busybox /bin/child\n"),
        &[],
    );
    let out = ds01(&["lint", &child, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json = out.json();
    assert_eq!(rule_ids(&json), BTreeSet::from(["L015".to_string()]));
    assert_eq!(json["findings"][0]["key"], "jefferys.ubu-lts");
    assert!(
        json["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("its newest history step is not a LABEL: COPY "),
        "{json}"
    );

    // A legacy container: its labels read back through `container inspect`.
    let container = unique("lint-ctr");
    cleanup.container(container.clone());
    engine(&[
        "create",
        "--network",
        "none",
        "--name",
        &container,
        "--label",
        "aime.mlc.USER=bob",
        "--label",
        "ds01.protected=maybe",
        &good,
    ])
    .success();
    let out = ds01(&["lint", "--container", &container, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        rule_ids(&out.json()),
        BTreeSet::from(["L001".to_string(), "L003".to_string(), "L006".to_string()])
    );
    // The image's and the container's 2.
    assert_eq!(out.json()["labels"], image_labels.len() + 2);

    // Missing image or container: exit 2 (1 means findings), one line.
    let out = ds01(&["lint", &unique("no-such")]).run();
    assert_eq!(out.code, 2);
    out.fails_with("cannot inspect image");
    let out = ds01(&["lint", "--container", &unique("no-such")]).run();
    assert_eq!(out.code, 2);
    out.fails_with("cannot inspect container");
}
