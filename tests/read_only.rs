//! Read commands never change engine state: on a second dockerd of its own (no other test touches
//! it), the test snapshots containers, images (intermediate and dangling ones included), volumes and
//! networks, runs every read subcommand on real objects through the Engine API and with
//! `DS01_BUILD_API=off`, and compares the snapshot after each one. Unlike the shared-engine check
//! in `hostile_output.rs` (which can only compare its own objects, as other tests run at the same
//! time), every object the daemon holds is compared, as its full inspect JSON.

use std::process::{Command, Stdio};

use crate::require_engine;
use crate::support::{busybox_context, ds01, Out, SecondDockerd};

/// `docker -H HOST ARGS` with the legacy builder (it keeps intermediate images), checked.
#[track_caller]
fn docker(host: &str, args: &[&str]) -> String {
    let out: Out = Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .args(["-H", host])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .into();
    out.success();
    out.stdout
}

/// Everything the engine holds, as inspect JSON (IDs listed, sorted, then inspected).
fn snapshot(host: &str) -> Vec<String> {
    let kinds: [(&[&str], &[&str]); 4] = [
        (&["ps", "-a", "-q", "--no-trunc"], &["container", "inspect"]),
        (&["images", "-a", "-q", "--no-trunc"], &["image", "inspect"]),
        (&["volume", "ls", "-q"], &["volume", "inspect"]),
        (
            &["network", "ls", "-q", "--no-trunc"],
            &["network", "inspect"],
        ),
    ];
    kinds
        .iter()
        .map(|(list, inspect)| {
            let mut ids: Vec<String> = docker(host, list).lines().map(str::to_string).collect();
            ids.sort();
            ids.dedup();
            let mut args: Vec<&str> = inspect.to_vec();
            args.extend(ids.iter().map(String::as_str));
            format!("{}\n{}", ids.join(" "), docker(host, &args))
        })
        .collect()
}

#[test]
fn read_subcommands_leave_the_engine_as_it_was() {
    require_engine!();
    let d = SecondDockerd::start();
    let host = d.host.clone();
    // Images: a busybox image built twice under one tag (the first is left dangling), with
    // intermediate images from the legacy builder, and a heritable-labelled one built by ds01-build.
    for n in ["1", "2"] {
        let ctx = busybox_context(&format!(
            "FROM scratch\nCOPY busybox /bin/busybox\nLABEL n={n}\nCMD [\"/bin/busybox\", \"true\"]\n"
        ));
        docker(
            &host,
            &[
                "build",
                "--network",
                "none",
                "-t",
                "ds01t-ro/box:1",
                ctx.path().to_str().unwrap(),
            ],
        );
    }
    let out = ds01(&[
        "build",
        "hello",
        "--image",
        "ds01t-ro/hello",
        "--format",
        "json",
    ])
    .env("DOCKER_HOST", &host)
    .run();
    out.success();
    let hello = out.json()["tags"][0].as_str().unwrap().to_string();
    let dangling = docker(&host, &["images", "-q", "--filter", "dangling=true"]);
    assert!(!dangling.trim().is_empty(), "no dangling image to watch");
    docker(
        &host,
        &[
            "create",
            "--network",
            "none",
            "--name",
            "ds01t-ro-new",
            "--label",
            "ds01.user=alice",
            "--label",
            "ds01.managed=true",
            "ds01t-ro/box:1",
        ],
    );
    docker(
        &host,
        &[
            "create",
            "--network",
            "none",
            "--name",
            "ds01t-ro-old",
            "--label",
            "aime.mlc.USER=bob",
            "ds01t-ro/box:1",
        ],
    );
    docker(&host, &["volume", "create", "ds01t-ro-vol"]);
    docker(&host, &["network", "create", "ds01t-ro-net"]);

    let before = snapshot(&host);
    let reads: [&[&str]; 13] = [
        &["owner", "ds01t-ro-new", "ds01t-ro-old"],
        &["owner", "ds01t-ro-gone"],
        &["ps"],
        &["ps", "--all-users", "--format", "json"],
        &["audit"],
        &["inspect", "ds01t-ro-new"],
        &["inspect", &hello],
        &["lineage", &hello],
        &["lint", &hello],
        &["lint", "--container", "ds01t-ro-old"],
        &["schema"],
        &["completions", "bash"],
        &["man"],
    ];
    for api in ["on", "off"] {
        for args in reads {
            let out = ds01(args)
                .env("DOCKER_HOST", &host)
                .env("DS01_BUILD_API", api)
                .run();
            assert!(
                out.code == 0 || out.code == 1,
                "{args:?} (DS01_BUILD_API={api}): {}",
                out.stderr
            );
            assert!(
                !out.stdout.is_empty() || out.code == 1,
                "{args:?}: no output"
            );
            assert_eq!(
                snapshot(&host),
                before,
                "{args:?} (DS01_BUILD_API={api}) changed the engine's state"
            );
        }
    }
}
