//! Reads through podman's own API service, for real: `podman system service` started by the test on
//! a socket in a temporary directory (stopped on drop, also on panic; no other podman service is
//! touched), containers created with `podman create`, and `owner`, `ps --all-users` and `inspect`
//! answered through the Engine API (reached as podman's `CONTAINER_HOST` and as docker's
//! `DOCKER_HOST`) exactly as through podman's CLI.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::require_podman;
use crate::support::{busybox_image, ds01, engine_with, unique, via_api, Cleanup, Ds01, Out};

/// `podman system service --time=0` on `<tempdir>/podman.sock`; dropping it stops it.
struct PodmanService {
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl PodmanService {
    #[track_caller]
    fn start() -> PodmanService {
        let dir = tempfile::Builder::new()
            .prefix("ds01t-podman")
            .tempdir()
            .unwrap();
        let log = std::fs::File::create(dir.path().join("service.log")).unwrap();
        let child = Command::new("podman")
            .args(["system", "service", "--time=0"])
            .arg(format!(
                "unix://{}",
                dir.path().join("podman.sock").display()
            ))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn podman system service");
        let mut service = PodmanService {
            child: Some(child),
            dir,
        };
        let start = Instant::now();
        while !service.answers() {
            let exited = service.child.as_mut().unwrap().try_wait().unwrap();
            if exited.is_some() || start.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(service.dir.path().join("service.log"));
                panic!(
                    "podman's service did not answer: {}",
                    log.unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        service
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("podman.sock")
    }

    fn url(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// Whether `GET /_ping` on the socket answers `OK`.
    fn answers(&self) -> bool {
        let Ok(mut stream) = UnixStream::connect(self.socket()) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        if stream
            .write_all(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut reply = String::new();
        let _ = stream.read_to_string(&mut reply);
        reply.starts_with("HTTP/1.") && reply.contains(" 200 ") && reply.ends_with("OK")
    }
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            crate::support::terminate(child);
        }
    }
}

/// How a run reaches podman.
#[derive(Debug, Clone, Copy)]
enum Way {
    /// podman's CLI (`--engine podman`, `DS01_BUILD_API=off`).
    Cli,
    /// `--engine podman` with `CONTAINER_HOST` naming the service's socket.
    ContainerHost,
    /// `--engine docker` with `DOCKER_HOST` naming the service's socket.
    DockerHost,
}

fn run(way: Way, url: &str, args: &[&str]) -> Out {
    let engine = match way {
        Way::Cli | Way::ContainerHost => "podman",
        Way::DockerHost => "docker",
    };
    let mut full = vec!["--engine", engine];
    full.extend_from_slice(args);
    let cmd: Ds01 = ds01(&full)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("CONTAINER_CONNECTION")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH");
    let cmd = match way {
        Way::Cli => cmd
            .env("DS01_BUILD_API", "off")
            .env_remove("CONTAINER_HOST")
            .env_remove("DOCKER_HOST"),
        Way::ContainerHost => cmd
            .env("DS01_BUILD_API", "on")
            .env("CONTAINER_HOST", url)
            .env_remove("DOCKER_HOST"),
        Way::DockerHost => cmd
            .env("DS01_BUILD_API", "on")
            .env("DOCKER_HOST", url)
            .env_remove("CONTAINER_HOST"),
    };
    cmd.run()
}

/// The `ps --all-users` JSON rows naming one of `names`, in their order.
fn rows_of(out: &Out, names: &[&str]) -> Vec<serde_json::Value> {
    let rows = out.json();
    names
        .iter()
        .map(|n| {
            rows.as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == *n)
                .unwrap_or_else(|| panic!("{n} not in {rows}"))
                .clone()
        })
        .collect()
}

#[test]
fn reads_through_podmans_api_service_answer_as_its_cli() {
    require_podman!();
    let mut cleanup = Cleanup::with_engine("podman");
    let image = busybox_image(&mut cleanup, "papi", "");
    let current = unique("papi");
    let legacy = unique("papi");
    for (name, labels) in [
        (&current, &["ds01.user=alice", "ds01.managed=true"][..]),
        (
            &legacy,
            &["aime.mlc.USER=leg", "aime.mlc.DS01_MANAGED=true"][..],
        ),
    ] {
        cleanup.container(name.as_str());
        let mut args = vec!["create", "--network=none", "--name", name];
        for l in labels {
            args.extend(["--label", l]);
        }
        args.push(&image);
        engine_with("podman", &args).success();
    }
    let service = PodmanService::start();
    let url = service.url();
    let names = [current.as_str(), legacy.as_str()];

    let reads: [Vec<&str>; 5] = [
        vec!["owner", &current, &legacy],
        vec!["owner", "--format", "json", &current, &legacy],
        vec!["ps", "--all-users", "--format", "json"],
        vec!["inspect", "--format", "json", &current],
        vec!["inspect", "--format", "json", &legacy],
    ];
    for args in &reads {
        let cli = run(Way::Cli, &url, args);
        cli.success();
        for way in [Way::ContainerHost, Way::DockerHost] {
            let mut verbose = vec!["-v"];
            verbose.extend_from_slice(args);
            let traced = run(way, &url, &verbose);
            traced.success();
            assert!(
                via_api(&traced.stderr),
                "{way:?} {args:?}: not through the API:\n{}",
                traced.stderr
            );
            traced.stderr_has(&format!("# reads via the Engine API at {url} ("));
            traced.stderr_has("+ GET /containers/");
            assert!(
                !traced
                    .stderr
                    .lines()
                    .any(|l| l.starts_with("+ podman ") || l.starts_with("+ docker ")),
                "{way:?} {args:?}: the CLI was asked too:\n{}",
                traced.stderr
            );
            let api = run(way, &url, args);
            api.success();
            if args[0] == "ps" {
                // Other tests' containers may come and go meanwhile: compare this test's rows.
                assert_eq!(rows_of(&api, &names), rows_of(&cli, &names), "{way:?}");
            } else {
                assert_eq!(api.stdout, cli.stdout, "{way:?} {args:?}");
            }
        }
    }
    // What the answers say, not only that they agree.
    let owner = run(Way::ContainerHost, &url, &reads[1]).json();
    let said: Vec<(&str, &str, &str)> = owner["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap(),
                o["owner"].as_str().unwrap(),
                o["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            (current.as_str(), "alice", "ds01.user"),
            (legacy.as_str(), "leg", "aime.mlc.USER")
        ],
        "{owner}"
    );
    let ps = rows_of(&run(Way::DockerHost, &url, &reads[2]), &names);
    let tag = format!("localhost/{image}:latest");
    for (row, (user, source, managed)) in ps.iter().zip([
        ("alice", "ds01.user", "ds01"),
        ("leg", "aime.mlc.USER", "legacy"),
    ]) {
        assert_eq!(row["owner"]["user"], user, "{row}");
        assert_eq!(row["owner"]["source"], source, "{row}");
        assert_eq!(row["managed"], managed, "{row}");
        assert_eq!(row["state"], "created", "{row}");
        assert_eq!(row["image"], tag.as_str(), "{row}");
    }
    let inspected = run(Way::ContainerHost, &url, &reads[4]).json();
    assert_eq!(inspected["kind"], "container", "{inspected}");
    assert_eq!(
        inspected["labels"]["ds01.user"]["value"], "leg",
        "{inspected}"
    );
    assert_eq!(
        inspected["labels"]["ds01.user"]["source"], "aime.mlc.USER",
        "{inspected}"
    );
    drop(service);
    drop(cleanup);
}
