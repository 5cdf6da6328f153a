//! Engine faults, for real: a daemon that does not answer, an engine program that is missing, a
//! build step that fails, a daemon killed mid-build (a second dockerd the test starts and kills),
//! SIGINT and SIGTERM during a build; and two builds or creates of the same thing at once. After
//! each: one line from ds01-build, the documented exit code, and nothing left behind (no engine
//! client process, no intermediate container, no temporary directory, no tag).

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::require_engine;
use crate::support::{
    busybox, busybox_image, ds01, engine, inspect_labels, scratch_project, unique, write, Cleanup,
    Ds01, Out, SecondDockerd,
};

/// A project whose Dockerfile (over a static busybox) labels its steps `ds01t.fixture=<image>`
/// (so that the legacy builder's intermediate containers can be found) and then runs `run`.
fn busybox_project(image: &str, run: &str) -> tempfile::TempDir {
    let dir = scratch_project(
        "1.0-1",
        &format!("image = \"{image}\"\nbase-prefix = \"scratch\"\ncontext = \"ctx\"\n"),
    );
    std::fs::copy(busybox(), dir.path().join("ctx/busybox")).unwrap();
    write(
        dir.path(),
        "ctx/Dockerfile",
        &format!(
            "FROM scratch\nCOPY busybox /bin/busybox\nLABEL ds01t.fixture=\"{image}\"\nRUN {run}\n"
        ),
    );
    dir
}

/// `build p.toml -- --network none` in `project`, with `tmp` as TMPDIR.
fn build_in(project: &Path, tmp: &Path) -> Ds01 {
    ds01(&["build", "p.toml", "--", "--network", "none"])
        .current_dir(project)
        .env("TMPDIR", tmp.to_str().unwrap())
}

fn spawn(cmd: Ds01) -> Child {
    cmd.into_command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The containers (any state) labelled `ds01t.fixture=<image>` on the engine `docker` runs.
fn step_containers(docker: &dyn Fn(&[&str]) -> Out, image: &str) -> Vec<String> {
    let filter = format!("label=ds01t.fixture={image}");
    let out = docker(&["ps", "-a", "-q", "--no-trunc", "--filter", &filter]);
    out.success();
    out.stdout.split_whitespace().map(str::to_string).collect()
}

/// Register for removal the step containers and the cached step images (`docker images -a`) a
/// build of `image` left: the legacy builder keeps a failed step's container and the steps done.
fn clean_steps(cleanup: &mut Cleanup, image: &str) {
    for id in step_containers(&engine, image) {
        cleanup.container(id);
    }
    let filter = format!("label=ds01t.fixture={image}");
    let out = engine(&["images", "-a", "-q", "--no-trunc", "--filter", &filter]);
    for id in out.stdout.split_whitespace() {
        cleanup.image(id);
    }
}

/// Wait (bounded) until `ready` holds.
#[track_caller]
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(60), "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The live (not zombie) children of process `pid`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let (head, after) = stat.rsplit_once(')')?;
            let fields: Vec<&str> = after.split_whitespace().collect();
            let child: u32 = head.split_whitespace().next()?.parse().ok()?;
            (fields.len() > 1 && fields[1] == pid.to_string() && fields[0] != "Z").then_some(child)
        })
        .collect()
}

/// Whether `pid` is a live process whose command is the engine client.
fn client_alive(pid: u32) -> bool {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, after)| after.trim_start().starts_with('Z'));
    !cmdline.is_empty() && !zombie
}

#[track_caller]
fn assert_empty_dir(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
}

fn no_such_image(docker: &dyn Fn(&[&str]) -> Out, tag: &str) -> bool {
    docker(&["image", "inspect", tag]).code != 0
}

#[test]
fn a_daemon_that_does_not_answer_is_one_line_and_exit_3_for_build_create_and_reads() {
    require_engine!();
    if crate::support::engine_program().contains("podman") {
        return; // DOCKER_HOST is docker's
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = format!("unix://{}/dead.sock", dir.path().display());
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("tcp://127.0.0.1:{port}")
    };
    let image = unique("unreach");
    let project = busybox_project(&image, "[\"/bin/busybox\", \"true\"]");
    let tmp = tempfile::tempdir().unwrap();
    for host in [&socket, &closed] {
        for (what, cmd) in [
            ("build", build_in(project.path(), tmp.path())),
            (
                "create",
                ds01(&["create", "ds01t-none", "--name", "ds01t-none"]),
            ),
            ("owner", ds01(&["owner", "ds01t-none"])),
            ("ps", ds01(&["ps"])),
        ] {
            let out = cmd.env("DOCKER_HOST", host).run();
            assert_eq!(out.code, 3, "{what} {host}: {}", out.stderr);
            let line = out
                .stderr
                .lines()
                .rfind(|l| l.starts_with("ds01-build: error:"))
                .unwrap_or_else(|| panic!("{what}: {}", out.stderr));
            assert!(
                line.starts_with("ds01-build: error: the engine does not answer (`docker info` failed: ")
                    && line.contains(host.as_str())
                    && line.ends_with("start it (e.g. `sudo systemctl start docker`), or choose one that runs with --engine or DOCKER_HOST"),
                "{what}: {line}"
            );
            assert_eq!(
                out.stderr.matches("ds01-build: error:").count(),
                1,
                "{what}: {}",
                out.stderr
            );
            // Over TCP the build is not even started (the API's ping gets no answer); a socket
            // that does not exist is left to the CLI, whose own line comes first.
            if host.starts_with("tcp://") || what != "build" {
                assert!(
                    out.stderr
                        .lines()
                        .all(|l| l == line || l.starts_with("ds01-build: warning:")),
                    "{what}: {}",
                    out.stderr
                );
            }
        }
    }
    assert_empty_dir(tmp.path());
}

#[test]
fn a_missing_engine_program_is_one_line_exit_127_by_flag_and_by_variable() {
    for cmd in [
        ds01(&["build", "hello", "--engine", "/nonexistent"]),
        ds01(&["create", "img", "--name", "x", "--engine", "/nonexistent"]),
        ds01(&["owner", "x"]).env("DS01_BUILD_ENGINE", "/nonexistent"),
        ds01(&["ps"]).env("DS01_BUILD_ENGINE", "/nonexistent"),
    ] {
        let out = cmd.run();
        assert_eq!(out.code, 127, "{}", out.stderr);
        out.fails_with("ds01-build: error: cannot run `/nonexistent`: No such file or directory (os error 2) (install docker or podman, or set DS01_BUILD_ENGINE)");
        assert_eq!(out.stderr.matches("os error").count(), 1, "{}", out.stderr);
    }
}

#[test]
fn a_build_step_failing_with_7_exits_7_and_tags_nothing() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = unique("exit7");
    cleanup.image(format!("{image}:latest"));
    let project = busybox_project(&image, "[\"/bin/busybox\", \"sh\", \"-c\", \"exit 7\"]");
    let tmp = tempfile::tempdir().unwrap();
    let out = build_in(project.path(), tmp.path()).run();
    // The legacy builder keeps a failed step's container (for debugging, as `docker build` does).
    clean_steps(&mut cleanup, &image);
    assert_eq!(out.code, 7, "{}", out.stderr);
    let ours: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("ds01-build: error:"))
        .collect();
    assert_eq!(ours.len(), 1, "{}", out.stderr);
    assert!(ours[0].contains("exited with code 7"), "{}", ours[0]);
    assert!(no_such_image(&engine, &format!("{image}:latest")));
    assert_empty_dir(tmp.path());
}

/// SIGINT and SIGTERM during a build step that sleeps: sent on to the engine, which stops the
/// build; ds01-build exits 128 + n with one line; no client, no step container, no temporary
/// directory, no tag is left.
#[test]
fn a_signal_during_a_build_stops_it_and_leaves_nothing_behind() {
    require_engine!();
    if crate::support::buildkit() || crate::support::engine_program().contains("podman") {
        return; // the step container below is the legacy builder's
    }
    for (signal, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let mut cleanup = Cleanup::default();
        let image = unique("sigbuild");
        for tag in ["latest", "1.0", "1.0-1"] {
            cleanup.image(format!("{image}:{tag}"));
        }
        // 60 s: a signal that did not reach the engine would let the build finish and tag.
        let project = busybox_project(&image, "[\"/bin/busybox\", \"sleep\", \"60\"]");
        let tmp = tempfile::tempdir().unwrap();
        assert!(step_containers(&engine, &image).is_empty());
        let child = spawn(build_in(project.path(), tmp.path()));
        let pid = child.id();
        wait_until("the sleeping step runs", || {
            !step_containers(&engine, &image).is_empty()
        });
        let clients = children(pid);
        assert!(!clients.is_empty(), "no engine client under ds01-build");
        kill(Pid::from_raw(pid as i32), signal).unwrap();
        let out: Out = child.wait_with_output().unwrap().into();
        assert_eq!(out.code, code, "{signal:?}: {}", out.stderr);
        let ours: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("ds01-build: error:"))
            .collect();
        assert_eq!(
            ours,
            [format!(
                "ds01-build: error: interrupted by {} during `{} build`: the engine stopped (exit {code})",
                signal.as_str(),
                crate::support::engine_program()
            )],
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        for client in clients {
            assert!(
                !client_alive(client),
                "engine client {client} outlived ds01-build"
            );
        }
        assert_empty_dir(tmp.path());
        // The daemon removes the step's container once its client is gone.
        wait_until("the step container is removed", || {
            step_containers(&engine, &image).is_empty()
        });
        for tag in ["latest", "1.0", "1.0-1"] {
            assert!(no_such_image(&engine, &format!("{image}:{tag}")), "{tag}");
        }
        clean_steps(&mut cleanup, &image);
    }
}

/// The daemon killed (SIGKILL) while a build step sleeps: the build fails with the one
/// "does not answer" line, exit 3, no client or temporary directory left.
#[test]
fn the_daemon_killed_mid_build_is_one_line_and_leaves_no_client_or_temp_dir() {
    require_engine!();
    let mut d = SecondDockerd::start();
    let image = unique("crash");
    let project = busybox_project(&image, "[\"/bin/busybox\", \"sleep\", \"60\"]");
    let tmp = tempfile::tempdir().unwrap();
    let child = spawn(
        build_in(project.path(), tmp.path())
            .env("DS01_BUILD_ENGINE", "docker")
            .env("DOCKER_HOST", &d.host)
            .env_remove("DOCKER_BUILDKIT"),
    );
    let pid = child.id();
    let on_d = |args: &[&str]| -> Out { d.docker(args).into() };
    wait_until("the sleeping step runs on the second dockerd", || {
        !step_containers(&on_d, &image).is_empty()
    });
    let clients = children(pid);
    assert!(!clients.is_empty());
    let host = d.host.clone();
    d.crash();
    {
        let out: Out = child.wait_with_output().unwrap().into();
        assert_eq!(out.code, 3, "{}", out.stderr);
        let line = out.stderr.lines().last().unwrap_or_default();
        assert!(
            line.starts_with(
                "ds01-build: error: the engine does not answer (`docker info` failed: "
            ) && line.contains(&host),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.matches("ds01-build: error:").count(), 1);
        for client in &clients {
            assert!(!client_alive(*client), "engine client outlived ds01-build");
        }
        assert_empty_dir(tmp.path());
    }
}

/// Two builds of the same profile at once: both succeed with the same labels, and every tag ends
/// on an image carrying exactly those labels (whichever build tagged last).
#[test]
fn two_builds_of_one_profile_at_once_both_succeed_and_tags_point_at_a_labelled_image() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = unique("twice");
    let tags: Vec<String> = ["latest", "1.0", "1.0-1"]
        .iter()
        .map(|t| format!("{image}:{t}"))
        .collect();
    for tag in &tags {
        cleanup.image(tag);
    }
    let project = busybox_project(&image, "[\"/bin/busybox\", \"sleep\", \"2\"]");
    let tmp = tempfile::tempdir().unwrap();
    let run = || {
        spawn(
            ds01(&[
                "build",
                "p.toml",
                "--format",
                "json",
                "--",
                "--network",
                "none",
            ])
            .current_dir(project.path())
            .env("TMPDIR", tmp.path().to_str().unwrap())
            .env("SOURCE_DATE_EPOCH", "1600000000"),
        )
    };
    let (a, b) = (run(), run());
    let (a, b): (Out, Out) = (
        a.wait_with_output().unwrap().into(),
        b.wait_with_output().unwrap().into(),
    );
    a.success();
    b.success();
    let (ja, jb) = (a.json(), b.json());
    let labels = crate::support::labels_of(&ja);
    assert_eq!(labels, crate::support::labels_of(&jb));
    for id in [&ja["id"], &jb["id"]] {
        cleanup.image(id.as_str().unwrap());
    }
    for tag in &tags {
        let on_tag = crate::support::without_engine_added(inspect_labels(tag));
        for (key, value) in &labels {
            assert_eq!(on_tag.get(key), Some(value), "{tag}: {key}");
        }
        assert_eq!(on_tag["ds01t.fixture"], image);
    }
    assert_empty_dir(tmp.path());
}

/// Two creates of one container name at once: exactly one wins; the other fails with the clear
/// message and the engine's exit code; the winner's labels are intact.
#[test]
fn two_creates_of_one_name_at_once_one_wins_the_other_fails_clearly() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let img = busybox_image(&mut cleanup, "race", "");
    let name = unique("race");
    cleanup.container(&name);
    let run = |owner_label: &str| {
        spawn(ds01(&[
            "create",
            &img,
            "--name",
            &name,
            "--exact-name",
            "--format",
            "json",
            "--",
            "--label",
            &format!("ds01t.racer={owner_label}"),
        ]))
    };
    let (a, b) = (run("a"), run("b"));
    let outs: Vec<Out> = [a, b]
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().into())
        .collect();
    let winners: Vec<&Out> = outs.iter().filter(|o| o.code == 0).collect();
    let losers: Vec<&Out> = outs.iter().filter(|o| o.code != 0).collect();
    assert_eq!(winners.len(), 1, "{outs:?}");
    // docker's own code for a taken name, passed through.
    let docker_says = engine(&["create", "--name", &name, &img]);
    assert_ne!(docker_says.code, 0);
    assert_eq!(losers[0].code, docker_says.code, "{}", losers[0].stderr);
    losers[0].fails_with(&format!(
        "a container named {name:?} already exists and was left untouched: choose another --name"
    ));
    assert!(losers[0].stdout.is_empty());
    let won = winners[0].json();
    let labels = inspect_labels(&name);
    let racer = &labels["ds01t.racer"];
    for (key, value) in crate::support::labels_of(&won) {
        assert_eq!(labels.get(&key), Some(&value), "{key}");
    }
    assert_eq!(
        won["id"].as_str().unwrap(),
        engine(&["container", "inspect", "--format", "{{.Id}}", &name])
            .stdout
            .trim()
    );
    assert!(racer == "a" || racer == "b");
}
