//! The binary's surface: help, version, completions, exit codes for usage errors.

use crate::support::ds01;

#[test]
fn version_and_help() {
    // The exact text, with the commit, is checked in reach.rs.
    let out = ds01(&["--version"]).run();
    out.success();
    assert!(out
        .stdout
        .starts_with(&format!("ds01-build {}", env!("CARGO_PKG_VERSION"))));
    for sub in [
        "build",
        "create",
        "schema",
        "lineage",
        "owner",
        "ps",
        "audit",
        "inspect",
        "lint",
        "completions",
        "man",
    ] {
        let out = ds01(&[sub, "--help"]).run();
        out.success();
        assert!(
            out.stdout.contains("Usage: ds01-build"),
            "{sub}: {}",
            out.stdout
        );
    }
}

#[test]
fn completions_are_generated() {
    // The script registers the binary itself as the completer...
    let out = ds01(&["completions", "bash"]).run();
    out.success();
    assert!(out.stdout.contains("complete -o nospace"), "{}", out.stdout);
    assert!(out.stdout.contains("\"ds01-build\" -- "), "{}", out.stdout);
    // ...which answers with the subcommands (fish's protocol: one candidate a line, TAB, help).
    let out = ds01(&["--", "ds01-build", ""])
        .env("COMPLETE", "fish")
        .run();
    out.success();
    for sub in ["build", "create", "lineage", "man"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.split('\t').next() == Some(sub)),
            "{sub}: {}",
            out.stdout
        );
    }
}

#[test]
fn usage_error_exits_2() {
    let out = ds01(&["no-such-subcommand"]).run();
    assert_eq!(out.code, 2);
    out.stderr_has("unrecognized subcommand");
}

#[test]
fn closed_stdout_is_a_quiet_success() {
    // A reader that went away (`ds01-build schema | head -1`): the write fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    for args in [
        &["schema"][..],
        &["schema", "--format", "json"],
        &["completions", "bash"],
        &["build", "hello", "--dry-run"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ds01-build"))
            .args(args)
            .current_dir(crate::support::root())
            .stdout(writer.try_clone().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}
