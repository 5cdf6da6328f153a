//! Remote engines and the fleet view, for real: a second dockerd started by the test on a loopback
//! TCP port (its own data root, exec root, pidfile and config; stopped on drop, also on panic), a
//! docker context pointing at it, and every read both through the Engine API and the CLI.

use std::path::Path;
use std::process::Command;

use crate::require_engine;
use crate::support::{busybox_image, ds01, unique, Cleanup, Ds01, Out, SecondDockerd};

/// A docker config directory holding one context `name` pointing at `host`.
fn config_with_context(name: &str, host: &str) -> tempfile::TempDir {
    let config = tempfile::tempdir().unwrap();
    let out = Command::new("docker")
        .env("DOCKER_CONFIG", config.path())
        .args(["context", "create", name, "--docker"])
        .arg(format!("host={host}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    config
}

fn uid() -> String {
    nix::unistd::getuid().to_string()
}

/// How a test reaches the second daemon.
#[derive(Debug, Clone, Copy)]
enum Way {
    DockerHost,
    Context,
}

struct Reach<'a> {
    host: &'a str,
    config: &'a Path,
    context: &'a str,
}

impl Reach<'_> {
    /// `ds01-build ARGS` reaching the second daemon `way`, with the API path on or off.
    fn ds01(&self, way: Way, api: bool, args: &[&str]) -> Ds01 {
        let mut full: Vec<&str> = Vec::new();
        if let Way::Context = way {
            full.extend(["--context", self.context]);
        }
        full.extend_from_slice(args);
        let cmd = ds01(&full)
            .env("DOCKER_CONFIG", self.config.to_str().unwrap())
            .env_remove("DOCKER_CONTEXT")
            .env("DS01_BUILD_API", if api { "on" } else { "off" });
        match way {
            Way::DockerHost => cmd.env("DOCKER_HOST", self.host),
            Way::Context => cmd.env_remove("DOCKER_HOST"),
        }
    }
}

fn on_shared_engine(name: &str) -> bool {
    crate::support::engine(&["inspect", name]).code == 0
}

#[test]
fn every_subcommand_reaches_a_remote_engine_through_docker_host_and_a_context() {
    require_engine!();
    let mut d = SecondDockerd::start();
    let config = config_with_context("ds01t-far", &d.host);
    let reach = Reach {
        host: &d.host,
        config: config.path(),
        context: "ds01t-far",
    };
    let remote = d.host.clone();
    for way in [Way::DockerHost, Way::Context] {
        // build: the image lands on the second daemon only.
        let image = unique("remote");
        let out = reach
            .ds01(
                way,
                true,
                &["build", "hello", "--image", &image, "--format", "json"],
            )
            .run();
        out.success();
        let tag = out.json()["tags"][0].as_str().unwrap().to_string();
        assert!(
            d.docker(&["image", "inspect", &tag]).status.success(),
            "{way:?}"
        );
        assert!(
            !on_shared_engine(&tag),
            "{way:?}: built on the shared engine"
        );

        // create: a container on the second daemon from that image.
        let name = unique("remote");
        let full = format!("{name}._.{}", uid());
        let out = reach
            .ds01(
                way,
                true,
                &[
                    "create",
                    &tag,
                    "--name",
                    &name,
                    "--",
                    "--network=none",
                    "--entrypoint=/hello.txt",
                ],
            )
            .run();
        out.success();
        assert!(d.docker(&["container", "inspect", &full]).status.success());
        assert!(
            !on_shared_engine(&full),
            "{way:?}: created on the shared engine"
        );

        for api in [true, false] {
            let verbose = reach.ds01(way, api, &["-v", "owner", &full]).run();
            verbose.success();
            let path = if api {
                format!("# reads via the Engine API at {remote}")
            } else {
                "# reads via the CLI: DS01_BUILD_API=off".to_string()
            };
            verbose.stderr_has(&path);
            let owner = reach.ds01(way, api, &["owner", &full]).run();
            owner.success();
            assert!(
                owner.stdout.starts_with(&format!("{full}\t")),
                "{}",
                owner.stdout
            );

            let ps = reach
                .ds01(way, api, &["ps", "--all-users", "--format", "json"])
                .run();
            ps.success();
            let rows = ps.json();
            let row = rows
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == full.as_str())
                .unwrap_or_else(|| panic!("{way:?} api={api}: {full} not in {rows}"));
            assert_eq!(row["image"], tag.as_str());
            assert_eq!(row["state"], "created");

            let lineage = reach
                .ds01(way, api, &["lineage", &tag, "--format", "json"])
                .run();
            lineage.success();
            assert!(lineage.stdout.contains(&image), "{}", lineage.stdout);
        }
        // The shared engine does not know the remote container.
        ds01(&["owner", &full])
            .run()
            .fails_with("no such container");
    }
    d.stop();
}

#[test]
fn fleet_view_merges_engines_and_reports_the_one_that_stops() {
    require_engine!();
    let mut d = SecondDockerd::start();
    let config = config_with_context("ds01t-fleet", &d.host);
    // One container on each engine, the same name on both.
    let mut cleanup = Cleanup::default();
    let local_image = busybox_image(&mut cleanup, "fleet", "LABEL ds01.user=alice");
    let name = unique("fleet");
    cleanup.container(&name);
    let run = |args: &[&str]| -> Out {
        ds01(args)
            .env("DOCKER_CONFIG", config.path().to_str().unwrap())
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .run()
    };
    crate::support::engine(&["create", "--network=none", "--name", &name, &local_image]).success();
    let ctx = crate::support::busybox_context("FROM scratch\nCOPY busybox /bin/busybox\nLABEL ds01.user=bob\nCMD [\"/bin/busybox\", \"true\"]\n");
    let out = d.docker(&[
        "build",
        "--network",
        "none",
        "-q",
        "-t",
        "ds01t/fleet:1",
        ctx.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = d.docker(&["create", "--network=none", "--name", &name, "ds01t/fleet:1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let fleet = ["--context", "default", "--context", "ds01t-fleet"];
    let ps = |format: &str| {
        let mut args = fleet.to_vec();
        args.extend(["ps", "--all-users", "--format", format]);
        run(&args)
    };
    let json = ps("json");
    json.success();
    let rows = json.json();
    let owner_on = |engine: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name.as_str() && r["engine"] == engine)
            .unwrap_or_else(|| panic!("{name} on {engine} not in {rows}"))["owner"]["user"]
            .clone()
    };
    assert_eq!(owner_on("default"), "alice");
    assert_eq!(owner_on("ds01t-fleet"), "bob");
    let table = ps("table");
    table.success();
    assert!(table.stdout.starts_with("ENGINE "), "{}", table.stdout);
    assert!(table
        .stdout
        .lines()
        .any(|l| l.starts_with("ds01t-fleet ") && l.contains(&name) && l.contains("bob")));

    let mut audit = fleet.to_vec();
    audit.extend(["audit", "--format", "json"]);
    let report = run(&audit);
    report.success();
    let report = report.json();
    assert!(report["total"].as_u64().unwrap() >= 2, "{report}");

    // Several contexts only where the fleet view exists.
    let mut owner = fleet.to_vec();
    owner.extend(["owner", &name]);
    run(&owner).fails_with("only ps and audit query several engines");

    // The second engine stops: one line for it, the other engine's rows, exit 3.
    d.stop();
    let json = ps("json");
    assert_eq!(json.code, 3, "{}", json.stderr);
    let said: Vec<&str> = json.stderr.lines().collect();
    assert_eq!(said.len(), 1, "{}", json.stderr);
    assert!(
        said[0].starts_with("ds01-build: engine ds01t-fleet did not answer: "),
        "{}",
        said[0]
    );
    let rows = json.json();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == name.as_str() && r["engine"] == "default"));
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["engine"] == "default"));
    let report = run(&audit);
    assert_eq!(report.code, 3, "{}", report.stderr);
    assert_eq!(report.stderr.lines().count(), 1, "{}", report.stderr);
}
