//! `lineage` against a real engine: a three-image chain built FROM scratch with heritable labels
//! (Dockerfile `LABEL` lines and `--label` flags, as the seed's build.sh did), a child whose last
//! step is not a LABEL, a chain whose middle image has no labels, and the same read back through
//! podman.

use serde_json::Value;

use crate::support::{self, ds01, engine, fixture_image, unique, Cleanup, FIXTURE_LABEL};
use crate::{require_engine, require_podman};

/// The seed scripts' spelling of the namespace; readers match it case-insensitively.
const NS: &str = "io.github.JefferysDockers";

fn key(prefix: &str, leaf: &str) -> String {
    format!("{prefix}.{NS}.{leaf}")
}

/// Dockerfile text: FROM `from`, copy busybox to `/bin/<step>`, then `LABEL`s for `prefix` (when
/// given) with its base-prefix and title; `tail` is appended as is.
fn dockerfile(from: &str, step: &str, prefix: Option<(&str, &str)>, tail: &str) -> String {
    let mut text = format!("FROM {from}\nCOPY busybox /bin/{step}\n");
    if let Some((prefix, base)) = prefix {
        text.push_str(&format!(
            "LABEL \"{}\"=\"{base}\" \\\n      \"{}\"=\"{prefix} image x=1 \\\"q\\\"\"\n",
            key(prefix, "base-prefix"),
            key(prefix, "title"),
        ));
    }
    text.push_str(tail);
    text
}

/// Build a unique fixture image with `cleanup`'s engine, registered for removal;
/// `label-schema-version` of `prefix` (if any) set by a final Dockerfile `LABEL` (a `--label` flag
/// leaves no history row under BuildKit).
fn build(cleanup: &mut Cleanup, tag: &str, dockerfile: &str, lsv_of: Option<&str>) -> String {
    let mut text = dockerfile.to_string();
    if let Some(p) = lsv_of {
        text.push_str(&format!(
            "LABEL \"{}\"=\"0.0.1\"\n",
            key(p, "label-schema-version")
        ));
    }
    fixture_image(cleanup, tag, &text, &[])
}

/// `lineage IMAGE --format json`, which must succeed.
fn lineage_json(image: &str) -> Value {
    let out = ds01(&["lineage", image, "--format", "json"]).run();
    out.success();
    out.json()
}

fn chain_prefixes(json: &Value) -> Vec<String> {
    json["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["prefix"].as_str().unwrap().to_string())
        .collect()
}

/// The three-image chain root → middle → top; returns the image names.
fn three_chain(cleanup: &mut Cleanup, p: &[&str; 3]) -> [String; 3] {
    let root = build(
        cleanup,
        "lin-root",
        &dockerfile("scratch", "busybox", Some((p[0], "scratch")), ""),
        Some(p[0]),
    );
    let middle = build(
        cleanup,
        "lin-mid",
        &dockerfile(&root, "mid", Some((p[1], p[0])), ""),
        Some(p[1]),
    );
    let top = build(
        cleanup,
        "lin-top",
        &dockerfile(&middle, "top", Some((p[2], p[1])), ""),
        Some(p[2]),
    );
    [root, middle, top]
}

#[test]
fn chain_conforms_and_a_non_label_child_does_not() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let p = ["jefferys.ubu-lts", "jefferys.r-lang", "jefferys.my-app"];
    let [_, _, top] = three_chain(&mut cleanup, &p);

    let json = lineage_json(&top);
    assert_eq!(chain_prefixes(&json), p);
    assert_eq!(json["current"], p[2]);
    assert_eq!(json["conforming"], true);
    assert_eq!(json["gaps"], serde_json::json!([]));
    assert_eq!(json["problems"], serde_json::json!([]));
    assert_eq!(json["chain"][0]["base_prefix"], "scratch");
    assert_eq!(json["chain"][1]["base_prefix"], p[0]);
    assert_eq!(json["chain"][2]["base_prefix"], p[1]);
    assert_eq!(json["chain"][2]["label_schema_version"], "0.0.1");
    // Each image's own labels, values as the engine stored them.
    let own = json["chain"][1]["labels"].as_object().unwrap();
    assert_eq!(own.len(), 3);
    assert_eq!(own[&key(p[1], "title")], "jefferys.r-lang image x=1 \"q\"");

    let text = ds01(&["lineage", &top]).run();
    text.success();
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines[0], format!("image: {top}"));
    assert!(lines[1].starts_with("conforming: yes"), "{}", text.stdout);
    assert_eq!(lines[2], "chain (root first):");
    assert!(
        lines[3].starts_with("  jefferys.ubu-lts  "),
        "{}",
        text.stdout
    );
    assert!(
        lines[4].starts_with("  jefferys.r-lang   "),
        "{}",
        text.stdout
    );
    assert!(
        lines[5].starts_with("  jefferys.my-app   "),
        "{}",
        text.stdout
    );
    assert!(lines[5].ends_with("<- current"), "{}", text.stdout);
    // The only labels outside the chain: the fixture's own and any the engine adds.
    let outside: Vec<String> = support::inspect_labels(&top)
        .into_keys()
        .filter(|k| !p.iter().any(|prefix| k.starts_with(&format!("{prefix}."))))
        .collect();
    let unexpected: Vec<&String> = outside
        .iter()
        .filter(|k| *k != FIXTURE_LABEL && !support::ENGINE_ADDED_LABELS.contains(&k.as_str()))
        .collect();
    assert!(unexpected.is_empty(), "{outside:?}");
    assert_eq!(lines[6], format!("unattributed: {}", outside.join(", ")));
    assert_eq!(lines.len(), 7, "{}", text.stdout);

    // FROM the conforming image, last step a COPY: not conforming; the chain is still read.
    let child = build(
        &mut cleanup,
        "lin-child",
        &dockerfile(&top, "child", None, ""),
        None,
    );
    let json = lineage_json(&child);
    assert_eq!(json["conforming"], false);
    assert_eq!(json["current"], p[2]);
    assert_eq!(chain_prefixes(&json), p);
    assert_eq!(json["final_label_rows"], 0);
    let last = json["last_step"].as_str().unwrap();
    assert!(
        last.starts_with("COPY ") && last.contains("/bin/child"),
        "{last}"
    );
    let text = ds01(&["lineage", &child]).run();
    text.stdout_has("conforming: no (its newest history step is not a LABEL: COPY ");

    // A child that only adds an unrelated LABEL after a COPY: its final LABEL block lacks the key.
    let labelled = build(
        &mut cleanup,
        "lin-child2",
        &dockerfile(&top, "child2", None, "LABEL other=1\n"),
        None,
    );
    let json = lineage_json(&labelled);
    assert_eq!(json["conforming"], false);
    assert_eq!(json["final_label_rows"], 1);
    assert_eq!(json["unattributed"]["other"], "1");
}

#[test]
fn a_middle_image_without_labels_is_a_gap() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let root = build(
        &mut cleanup,
        "gap-root",
        &dockerfile("scratch", "busybox", Some(("t.root", "scratch")), ""),
        Some("t.root"),
    );
    // Built without labels: its prefix t.middle appears nowhere.
    let middle = build(
        &mut cleanup,
        "gap-mid",
        &dockerfile(&root, "mid", None, ""),
        None,
    );
    let top = build(
        &mut cleanup,
        "gap-top",
        &dockerfile(&middle, "top", Some(("t.top", "t.middle")), ""),
        Some("t.top"),
    );
    let json = lineage_json(&top);
    assert_eq!(chain_prefixes(&json), ["t.root", "t.top"]);
    assert_eq!(json["current"], "t.top");
    assert_eq!(json["conforming"], true);
    assert_eq!(
        json["gaps"],
        serde_json::json!([{
            "above": "t.top",
            "base_prefix": "t.middle",
            "below": "t.root",
            "reason": "t.top has base-prefix t.middle, which has no labels here: that image was built without them"
        }])
    );
    let text = ds01(&["lineage", &top]).run();
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(lines[3].starts_with("  t.root  "), "{}", text.stdout);
    assert!(
        lines[4].starts_with("  -- gap: t.top has base-prefix t.middle"),
        "{}",
        text.stdout
    );
    assert!(lines[5].starts_with("  t.top   "), "{}", text.stdout);

    // The seed's `""`: a non-conforming base declared as such.
    let declared = build(
        &mut cleanup,
        "gap-empty",
        &dockerfile(&middle, "top", Some(("t.declared", "")), ""),
        Some("t.declared"),
    );
    let json = lineage_json(&declared);
    assert_eq!(chain_prefixes(&json), ["t.root", "t.declared"]);
    assert_eq!(json["gaps"][0]["base_prefix"], "");
    assert_eq!(json["conforming"], true);
}

#[test]
fn two_engine_calls_and_one_line_errors() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let root = build(
        &mut cleanup,
        "calls",
        &dockerfile("scratch", "busybox", Some(("t.calls", "scratch")), ""),
        Some("t.calls"),
    );
    let out = ds01(&["--verbose", "lineage", &root]).run();
    out.success();
    let calls: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("+ ")).collect();
    // The two calls run at the same time: their trace lines come in either order.
    assert_eq!(calls.len(), 2, "{}", out.stderr);
    if crate::support::via_api(&out.stderr) {
        let inspect = format!("+ GET /images/{root}/json (");
        let history = format!("+ GET /images/{root}/history (");
        assert!(calls.iter().any(|c| c.starts_with(&inspect)), "{calls:?}");
        assert!(calls.iter().any(|c| c.starts_with(&history)), "{calls:?}");
    } else {
        let inspect = format!(" image inspect {root}");
        let history = format!(" history --no-trunc --format '{{{{json .CreatedBy}}}}' {root}");
        assert!(calls.iter().any(|c| c.ends_with(&inspect)), "{calls:?}");
        assert!(calls.iter().any(|c| c.ends_with(&history)), "{calls:?}");
    }

    let missing = unique("no-such-image");
    let out = ds01(&["lineage", &missing]).run();
    out.fails_with(&format!("cannot inspect image \"{missing}\""));
    // Refused before any engine call.
    let out = ds01(&["--verbose", "lineage", "--", "--help"]).run();
    assert_eq!(out.code, 2);
    out.fails_with("not starting with '-'");
}

#[test]
fn podman_chain_is_read_back() {
    require_podman!();
    let mut images = Cleanup::with_engine("podman");
    let root = build(
        &mut images,
        "pod-root",
        &dockerfile("scratch", "busybox", Some(("p.root", "scratch")), ""),
        Some("p.root"),
    );
    // The child sets everything in its Dockerfile, label-schema-version last.
    let top = build(
        &mut images,
        "pod-top",
        &dockerfile(
            &format!("localhost/{root}"),
            "top",
            Some(("p.top", "p.root")),
            &format!("LABEL {}=\"0.0.1\"\n", key("p.top", "label-schema-version")),
        ),
        None,
    );

    let podman_lineage = |image: &str| {
        let out = ds01(&["lineage", image, "--format", "json"])
            .env("DS01_BUILD_ENGINE", "podman")
            .run();
        out.success();
        out.json()
    };
    let json = podman_lineage(&top);
    assert_eq!(chain_prefixes(&json), ["p.root", "p.top"]);
    assert_eq!(json["current"], "p.top");
    assert_eq!(json["conforming"], true);
    assert!(
        json["unattributed"]
            .as_object()
            .unwrap()
            .contains_key("io.buildah.version"),
        "{json}"
    );

    // A podman-built child whose last step is a COPY does not conform.
    let child = build(
        &mut images,
        "pod-child",
        &dockerfile(&format!("localhost/{top}"), "child", None, ""),
        None,
    );
    let json = podman_lineage(&child);
    assert_eq!(json["conforming"], false);
    assert_eq!(json["current"], "p.top");
}

/// docker reads back what it built, via `engine` directly, to show the fixture is what the test
/// thinks: the top image carries all three `base-prefix` labels.
#[test]
fn fixture_labels_are_inherited() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let p = ["f.a", "f.b", "f.c"];
    let [_, _, top] = three_chain(&mut cleanup, &p);
    let labels = crate::support::inspect_labels(&top);
    for prefix in p {
        assert!(
            labels.contains_key(&key(prefix, "base-prefix")),
            "{labels:?}"
        );
    }
    let history = engine(&[
        "history",
        "--no-trunc",
        "--format",
        "{{json .CreatedBy}}",
        &top,
    ]);
    history.success();
    assert!(history.stdout.lines().next().unwrap().contains("LABEL"));
}

/// The chain built by `ds01-build build` from the shipped profiles (ubu-lts → r-lang → my-app),
/// under a unique owner: lineage shows it root to current, conforming; `lint` finds only the seed's
/// upper-case spelling (namespace, vendorUrl leaves), once per image.
#[test]
fn build_path_chain() {
    require_engine!();
    let owner = unique("lin-build");
    let mut cleanup = Cleanup::default();
    support::build_profile_chain(&mut cleanup, &owner);
    let top = format!("{owner}/my-app:latest");
    let prefixes: Vec<String> = support::PROFILE_CHAIN
        .iter()
        .map(|(name, _)| format!("{owner}.{name}"))
        .collect();
    let json = lineage_json(&top);
    assert_eq!(chain_prefixes(&json), prefixes);
    assert_eq!(json["current"], prefixes[2]);
    assert_eq!(json["conforming"], true);
    assert_eq!(json["gaps"], serde_json::json!([]));
    assert_eq!(json["problems"], serde_json::json!([]));
    assert_eq!(json["chain"][1]["base_prefix"], prefixes[0]);
    // my-app's extra label sits under its own prefix, not under the schema namespace.
    assert_eq!(
        json["chain"][2]["labels"][format!("{owner}.my-app.com.example.rating")],
        "10"
    );

    let out = ds01(&["lint", &top, "--format", "json"]).run();
    let lint = out.json();
    let findings = lint["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["rule"] == "L001"
            && f["key"]
                .as_str()
                .unwrap()
                .ends_with(".io.github.JefferysDockers.*")),
        "{lint}"
    );
    assert_eq!(findings.len(), 3, "{lint}");

    // FROM it, a COPY last: not conforming.
    let child = build(
        &mut cleanup,
        "lin-build-child",
        &dockerfile(&top, "child", None, ""),
        None,
    );
    let json = lineage_json(&child);
    assert_eq!(json["conforming"], false);
    assert_eq!(json["current"], prefixes[2]);
}
