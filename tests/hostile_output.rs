//! Hostile engine data against a real engine, on the Engine API path and with `DS01_BUILD_API=off`:
//! label values with newlines, tabs, ESC and OSC 8 sequences never forge rows, columns or terminal
//! output; a name that is also a prefix of another container's ID answers for its own container;
//! and no read subcommand changes the engine's state.

use std::collections::BTreeSet;

use crate::require_engine;
use crate::support::{busybox_image, ds01, engine, unique, Cleanup, Out};

/// The values a hostile label carries: a newline and fake row, a tab and fake column, an SGR
/// colour, an OSC 8 hyperlink, a bidi override.
const EVIL: &str = "eve\nfake\tmallory\tds01.user\u{1b}[31mred\u{1b}]8;;http://x.example/\u{7}link\u{1b}]8;;\u{7}\u{202e}";

/// Characters that must never appear raw in text output (but line breaks and the tabs `owner`
/// separates its columns with; tests count rows and columns).
fn raw_unsafe(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c != '\n' && c != '\t' && ds01_build::output::is_unsafe(c))
        .collect()
}

#[track_caller]
fn clean(what: &str, out: &Out) {
    assert!(
        raw_unsafe(&out.stdout).is_empty() && raw_unsafe(&out.stderr).is_empty(),
        "{what}: raw control characters in output\nstdout: {:?}\nstderr: {:?}",
        out.stdout,
        out.stderr
    );
}

fn api(off: bool) -> &'static str {
    if off {
        "off"
    } else {
        "on"
    }
}

#[test]
fn label_values_never_forge_rows_columns_or_terminal_output() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let img = busybox_image(&mut cleanup, "hostile-img", "");
    let name = unique("hostile");
    cleanup.container(&name);
    let user = format!("ds01.user={EVIL}");
    let iface = format!("ds01.interface={EVIL}");
    let legacy = format!("aime.mlc.X\u{1b}[2J={EVIL}");
    engine(&[
        "create",
        "--network",
        "none",
        "--name",
        &name,
        "--label",
        &user,
        "--label",
        &iface,
        "--label",
        &legacy,
        &img,
    ])
    .success();
    let escaped = ds01_build::output::escape(EVIL).into_owned();
    for off in [false, true] {
        let run = |args: &[&str]| ds01(args).env("DS01_BUILD_API", api(off)).run();

        let out = run(&["owner", &name]);
        out.success();
        clean("owner", &out);
        assert_eq!(out.stdout, format!("{name}\t{escaped}\tds01.user\n"));

        let out = run(&["ps", "--all-users"]);
        out.success();
        clean("ps", &out);
        let rows: Vec<&str> = out.stdout.lines().filter(|l| l.contains(&name)).collect();
        assert_eq!(rows.len(), 1, "{}", out.stdout);
        assert!(
            rows[0].contains(&format!("{escaped} (ds01.user)")),
            "{}",
            rows[0]
        );

        let out = run(&["inspect", &name]);
        out.success();
        clean("inspect", &out);
        let lines: Vec<&str> = out.stdout.lines().collect();
        // Heading, table header, ds01.user, ds01.interface; unmapped: the legacy key.
        assert_eq!(lines.len(), 6, "{}", out.stdout);
        assert_eq!(lines[5], format!("  aime.mlc.X\\x1b[2J={escaped}"));

        let out = run(&["lint", "--container", &name]);
        clean("lint", &out);
        assert!(out.code == 1, "{}", out.stderr);
        for line in out.stdout.lines() {
            assert!(
                line.starts_with('L') || line.contains("finding"),
                "a forged lint line: {line:?}"
            );
        }

        let out = run(&["audit"]);
        out.success();
        clean("audit", &out);
        assert!(out
            .stdout
            .contains("aime.mlc.X\\x1b[2J -> (no replacement): "));
    }
}

#[test]
fn an_exact_name_wins_over_another_containers_id_prefix() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let img = busybox_image(&mut cleanup, "prefix-img", "");
    let a = unique("prefix-a");
    cleanup.container(&a);
    let a_id = engine(&[
        "create",
        "--network",
        "none",
        "--name",
        &a,
        "--label",
        "ds01.user=alice",
        &img,
    ]);
    a_id.success();
    let a_id = a_id.stdout.trim().to_string();
    // Named with a hex prefix of A's ID (a name needs two characters).
    let b = a_id[..3].to_string();
    cleanup.container(&b);
    engine(&[
        "create",
        "--network",
        "none",
        "--name",
        &b,
        "--label",
        "ds01.user=bob",
        "--label",
        "ds01.managed=true",
        &img,
    ])
    .success();
    let gone = unique("gone");
    for off in [false, true] {
        let run = |args: &[&str]| ds01(args).env("DS01_BUILD_API", api(off)).run();
        let out = run(&["owner", &a, &b]);
        out.success();
        assert_eq!(
            out.stdout,
            format!("{a}\talice\tds01.user\n{b}\tbob\tds01.user\n"),
            "API {}",
            api(off)
        );
        // A missing name among them: still each its own.
        let out = run(&["owner", &gone, &b, &a]);
        assert_eq!(out.code, 1);
        assert_eq!(
            out.stdout,
            format!("{b}\tbob\tds01.user\n{a}\talice\tds01.user\n")
        );
        assert!(out.stderr.contains(&format!("no such container: {gone}")));
        // A's full ID and a longer unique prefix still name A.
        let long = &a_id[..12];
        let out = run(&["owner", long, &a_id]);
        out.success();
        assert_eq!(
            out.stdout,
            format!("{long}\talice\tds01.user\n{a_id}\talice\tds01.user\n")
        );
        let out = run(&["inspect", "--format", "json", &b]);
        out.success();
        assert_eq!(out.json()["name"], b.as_str());
        // B has one label more than A (both have the image's fixture label).
        let out = run(&["lint", "--format", "json", "--container", &b]);
        assert_eq!(out.json()["labels"], 3, "{}", out.stdout);
        let out = run(&["lint", "--format", "json", "--container", &a]);
        assert_eq!(out.json()["labels"], 2, "{}", out.stdout);
    }
}

/// Everything a read could change: containers (with state), images (dangling and intermediate
/// too), volumes and networks.
fn snapshot() -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for (kind, args) in [
        (
            "container",
            &[
                "ps",
                "-a",
                "--no-trunc",
                "--format",
                "{{.ID}} {{.Names}} {{.Status}} {{.Labels}}",
            ][..],
        ),
        (
            "image",
            &[
                "images",
                "-a",
                "--no-trunc",
                "--format",
                "{{.ID}} {{.Repository}}:{{.Tag}}",
            ][..],
        ),
        ("volume", &["volume", "ls", "-q"][..]),
        ("network", &["network", "ls", "--no-trunc", "-q"][..]),
    ] {
        let out = engine(args);
        out.success();
        all.extend(out.stdout.lines().map(|l| format!("{kind} {l}")));
    }
    all
}

/// Only what this test made (other tests create and remove objects at the same time).
fn mine(snapshot: &BTreeSet<String>, marks: &[&str]) -> BTreeSet<String> {
    snapshot
        .iter()
        .filter(|l| marks.iter().any(|m| l.contains(m)))
        .cloned()
        .collect()
}

#[test]
fn read_commands_never_change_engine_state() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let img = busybox_image(&mut cleanup, "readonly-img", "LABEL ds01.user=\"x\"\n");
    let name = unique("readonly");
    cleanup.container(&name);
    let id = engine(&[
        "create",
        "--network",
        "none",
        "--name",
        &name,
        "--label",
        "ds01.user=alice",
        &img,
    ]);
    id.success();
    let id = id.stdout.trim().to_string();
    let image_id = engine(&["image", "inspect", "--format", "{{.Id}}", &img]);
    image_id.success();
    let image_id = image_id
        .stdout
        .trim()
        .trim_start_matches("sha256:")
        .to_string();
    let marks = [name.as_str(), id.as_str(), img.as_str(), image_id.as_str()];
    let reads: Vec<Vec<&str>> = vec![
        vec!["owner", &name],
        vec!["owner", &id],
        vec!["ps", "--all-users"],
        vec!["ps", "--format", "json"],
        vec!["audit"],
        vec!["inspect", &name],
        vec!["inspect", &img],
        vec!["lineage", &img],
        vec!["lint", &img],
        vec!["lint", "--container", &name],
        vec!["schema"],
        vec!["completions", "bash"],
        vec!["man"],
    ];
    let before = snapshot();
    for off in [false, true] {
        for args in &reads {
            let out = ds01(args).env("DS01_BUILD_API", api(off)).run();
            assert!(out.code <= 1, "{args:?}: {}", out.stderr);
            clean(&format!("{args:?}"), &out);
        }
    }
    let after = snapshot();
    assert_eq!(mine(&before, &marks), mine(&after, &marks));
    // This test's container and image are there, unchanged, and nothing was made from them (a
    // container made from the image would carry its fixture label, which names it).
    assert_eq!(mine(&before, &marks).len(), 2, "{before:?}");
    // No volume or network appeared or went (the tests make none of either).
    let others = |s: &BTreeSet<String>| -> BTreeSet<String> {
        s.iter()
            .filter(|l| l.starts_with("volume ") || l.starts_with("network "))
            .cloned()
            .collect()
    };
    assert_eq!(others(&before), others(&after));
}
