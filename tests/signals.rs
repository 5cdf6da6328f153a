//! Signals during `create`: ds01-build waits for the engine, then says what became of the
//! container (removed, never created, or possibly still to come) and exits 128 + the signal, leaving
//! no engine process and nothing in TMPDIR. The engine is slowed by a wrapper that records its pid,
//! so the signal lands while the engine runs. (Signals during a build: `tests/faults.rs`.)

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::deployment::{Deployment, Via};
use crate::support::{busybox_image, ds01, engine_program, unique, Cleanup, Out};
use crate::{require_engine, require_privileged};

/// An engine wrapper: for `create` (the call after create's `image inspect`) writes its pid to
/// `pidfile`; then runs `body` (which ends by running docker).
fn wrapper(dir: &Path, name: &str, pidfile: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh -p\n[ \"$1\" = create ] && echo $$ > {}\n{body}\n",
            pidfile.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// For `create` (not the `image inspect` before it): sleeps, then becomes the real engine: a
/// signal reaching it during the sleep stops it before any request is sent.
fn slow_body(docker: &str) -> String {
    format!("[ \"$1\" = create ] && sleep 2\nexec {docker} \"$@\"")
}

/// For `create`: ignores INT/TERM/HUP and completes the request whatever happens.
fn shielded_body(docker: &str) -> String {
    format!("[ \"$1\" = create ] || exec {docker} \"$@\"\ntrap '' INT TERM HUP\nsleep 2\n{docker} \"$@\"")
}

/// Wait for the wrapper to write its pid (the engine is then running).
#[track_caller]
fn wait_for_pid(pidfile: &Path) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(pid) = std::fs::read_to_string(pidfile)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the engine never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finish(child: Child) -> Out {
    child.wait_with_output().unwrap().into()
}

fn exists(name: &str) -> bool {
    crate::support::engine(&["container", "inspect", "--format", "{{.Id}}", name]).code == 0
}

/// Whether a live (not zombie) process is still in process group `pgid` after a grace period of
/// 2 s (processes of a group signalled at once take a moment to exit).
fn group_alive(pgid: i32) -> bool {
    let live = || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                return false;
            };
            // pid (comm) state ppid pgrp ...
            let Some((_, after)) = stat.rsplit_once(')') else {
                return false;
            };
            let fields: Vec<&str> = after.split_whitespace().collect();
            fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z"
        })
    };
    let start = Instant::now();
    while live() {
        if start.elapsed() > Duration::from_secs(2) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Send `signals` to `target`, one by one.
fn send(target: i32, signals: &[Signal]) {
    for signal in signals {
        kill(Pid::from_raw(target), *signal).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Start `ds01-build create` against `program` (a wrapper), signal it once the engine runs.
fn interrupted_create(program: &Path, image: &str, name: &str, signals: &[Signal]) -> (Out, i32) {
    let pidfile = program.with_extension("pid");
    let _ = std::fs::remove_file(&pidfile);
    let tmp = tempfile::tempdir().unwrap();
    let child = ds01(&["create", image, "--name", name, "--exact-name"])
        .env("DS01_BUILD_ENGINE", program.to_str().unwrap())
        .env("TMPDIR", tmp.path().to_str().unwrap())
        .into_command();
    let child = spawn(child);
    let engine_pid = wait_for_pid(&pidfile);
    send(child.id() as i32, signals);
    let out = finish(child);
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    (out, engine_pid)
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_signal_during_create_removes_what_the_engine_created() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "sig", "");
    let dir = tempfile::tempdir().unwrap();
    let docker = engine_program();
    for (i, (signal, code)) in [
        (Signal::SIGTERM, 143),
        (Signal::SIGINT, 130),
        (Signal::SIGHUP, 129),
    ]
    .into_iter()
    .enumerate()
    {
        let pidfile = dir.path().join(format!("slow{i}.pid"));
        let program = wrapper(
            dir.path(),
            &format!("slow{i}"),
            &pidfile,
            &slow_body(&docker),
        );
        let name = unique("sig-held");
        cleanup.container(&name);
        let (out, engine_pid) = interrupted_create(&program, &image, &name, &[signal]);
        assert_eq!(out.code, code, "{signal:?}: {}", out.stderr);
        out.fails_with(&format!(
            "interrupted by {} during `{} create`: {name} (",
            signal.as_str(),
            program.display()
        ));
        assert!(
            out.stderr.contains("had been created and was removed"),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(
            !group_alive(engine_pid),
            "the engine's process group outlived ds01-build"
        );
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            !exists(&name),
            "{name} exists after ds01-build said it was removed"
        );
    }
}

#[test]
fn an_engine_that_ignores_signals_is_waited_for() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "sig-shield", "");
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("shielded.pid");
    let program = wrapper(
        dir.path(),
        "shielded",
        &pidfile,
        &shielded_body(&engine_program()),
    );
    let name = unique("sig-shield");
    cleanup.container(&name);
    // Three signals: the third is sent on to the engine, which ignores it and still creates.
    let (out, _) = interrupted_create(
        &program,
        &image,
        &name,
        &[Signal::SIGINT, Signal::SIGINT, Signal::SIGINT],
    );
    assert_eq!(out.code, 130, "{}", out.stderr);
    out.fails_with("had been created and was removed");
    assert!(!exists(&name));
}

#[test]
fn a_third_signal_stops_the_engine_and_says_the_container_may_still_come() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "sig-stop", "");
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("slow.pid");
    let program = wrapper(dir.path(), "slow", &pidfile, &slow_body(&engine_program()));
    let name = unique("sig-stop");
    cleanup.container(&name);
    let (out, engine_pid) = interrupted_create(
        &program,
        &image,
        &name,
        &[Signal::SIGTERM, Signal::SIGTERM, Signal::SIGTERM],
    );
    assert_eq!(out.code, 143, "{}", out.stderr);
    out.fails_with(&format!(
        "the engine was stopped mid-request (exit 143), so the daemon may still create {name}"
    ));
    assert!(!group_alive(engine_pid));
    // Stopped during its sleep, the wrapper never sent the request.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!exists(&name));
}

#[test]
fn signals_reach_a_privileged_create_through_sudo_and_setgid() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "sig-priv", "");
    let mut d = Deployment::new();
    // A root-owned slowed engine, named by the operator's configuration.
    // In the user's home: under setgid the wrapper runs as the user.
    let pidfile = d.home().join("slow.pid");
    let program = wrapper(
        &d.dir,
        "slow-docker",
        &pidfile,
        &slow_body("/usr/bin/docker"),
    );
    d.config(
        &format!("[engine]\nprogram = \"{}\"\n", program.display()),
        "0644",
    );
    for via in [Via::Setgid, Via::Sudo] {
        let _ = std::fs::remove_file(&pidfile);
        let name = unique("sig-priv");
        let full = format!("{name}._.{}", d.uid);
        cleanup.container(&full);
        let child = spawn(d.command(via, &["create", &image, "--name", &name], &[]));
        wait_for_pid(&pidfile);
        // The user signals their own command (for sudo: the sudo process, which relays it).
        let kill = Command::new("setpriv")
            .args([
                &format!("--reuid={}", d.uid),
                &format!("--regid={}", d.gid),
                "--init-groups",
                "kill",
                "-TERM",
                &child.id().to_string(),
            ])
            .status()
            .unwrap();
        assert!(
            kill.success(),
            "{via:?}: the user cannot signal their own command"
        );
        let out = finish(child);
        assert_eq!(out.code, 143, "{via:?}: {}", out.stderr);
        out.fails_with(&format!(
            "interrupted by SIGTERM during `{} create`: {full} (",
            program.display()
        ));
        assert!(
            out.stderr.contains("had been created and was removed"),
            "{}",
            out.stderr
        );
        std::thread::sleep(Duration::from_millis(500));
        assert!(!exists(&full), "{via:?}");
    }
}

#[test]
fn sigkill_cannot_be_caught_and_the_daemon_still_creates_a_correctly_labelled_container() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "sig-kill", "");
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("slow.pid");
    let program = wrapper(dir.path(), "slow", &pidfile, &slow_body(&engine_program()));
    let name = unique("sig-kill");
    cleanup.container(&name);
    let (out, _) = interrupted_create(&program, &image, &name, &[Signal::SIGKILL]);
    assert_eq!(
        out.code, -1,
        "killed by a signal has no exit code: {}",
        out.stderr
    );
    let start = Instant::now();
    while !exists(&name) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{name} never appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let me = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap();
    assert_eq!(crate::support::inspect_labels(&name)["ds01.user"], me.name);
}

/// A unix socket in front of the real daemon's that holds each `POST /containers/create` for
/// `delay` before passing it on (every other request passes at once); `arrived` gets a message
/// when a create request comes in.
fn delaying_proxy(
    socket: &Path,
    delay: Duration,
    arrived: std::sync::mpsc::Sender<()>,
) -> std::thread::JoinHandle<()> {
    use std::io::{Read, Write};
    use std::os::unix::net::{UnixListener, UnixStream};
    let listener = UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let arrived = arrived.clone();
            std::thread::spawn(move || {
                let mut daemon = UnixStream::connect("/var/run/docker.sock").unwrap();
                let mut back_client = client.try_clone().unwrap();
                let mut back_daemon = daemon.try_clone().unwrap();
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut back_daemon, &mut back_client);
                });
                let mut buf = [0u8; 65536];
                loop {
                    let n = match client.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if buf[..n].starts_with(b"POST ")
                        && String::from_utf8_lossy(&buf[..n]).contains("/containers/create")
                    {
                        let _ = arrived.send(());
                        std::thread::sleep(delay);
                    }
                    if daemon.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            });
        }
    })
}

/// The Engine API path holds signals as the CLI path does: a SIGTERM while the daemon has the
/// create request is acted on once it answers: the container is removed, exit 143.
#[test]
fn a_signal_during_an_api_create_removes_what_the_daemon_created() {
    require_engine!();
    if engine_program() != "docker" || std::env::var("DS01_BUILD_API").as_deref() == Ok("off") {
        return; // the API path is docker's, with API reads on
    }
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "sig-api", "");
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("slow.sock");
    let (tx, rx) = std::sync::mpsc::channel();
    let _proxy = delaying_proxy(&socket, Duration::from_secs(2), tx);
    let name = unique("sig-api");
    cleanup.container(&name);
    let child = ds01(&["create", &image, "--name", &name, "--exact-name"])
        .env("DOCKER_HOST", &format!("unix://{}", socket.display()))
        .into_command();
    let child = spawn(child);
    // The create request reached the socket: the API path, not a CLI process.
    rx.recv_timeout(Duration::from_secs(30))
        .expect("no create request reached the daemon");
    send(child.id() as i32, &[Signal::SIGTERM]);
    let out = finish(child);
    assert_eq!(out.code, 143, "{}", out.stderr);
    out.fails_with(&format!(
        "interrupted by SIGTERM during `docker create`: {name} ("
    ));
    out.fails_with("had been created and was removed");
    assert!(
        !exists(&name),
        "{name} exists after ds01-build said it was removed"
    );
}
