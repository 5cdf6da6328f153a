//! `create` as the door to the engine on a shared server, tried for real: a test user reaches
//! ds01-build through a setgid-docker copy, a setuid-root copy or a sudo rule, with a hostile
//! environment, and every forgery fails with exit 2 and nothing created (checked on the engine).

use std::collections::BTreeMap;

use crate::deployment::{Deployment, Via};
use crate::require_privileged;
use crate::support::{busybox_image, engine, inspect_labels, unique, Cleanup, Out};

/// The container `name` on the test engine, if it exists: its labels.
fn container(name: &str) -> Option<BTreeMap<String, String>> {
    let out = engine(&["container", "inspect", "--format", "{{.Id}}", name]);
    (out.code == 0).then(|| inspect_labels(name))
}

/// Exit 2, one stderr line with `needle`, and no container `name`.
#[track_caller]
fn refused(out: &Out, needle: &str, name: &str) {
    assert_eq!(out.code, 2, "{needle}: {}", out.stderr);
    out.fails_with(needle);
    assert!(container(name).is_none(), "{name} was created");
}

/// `create IMAGE --name NAME EXTRA...` (EXTRA may hold `-- DOCKER_CREATE_ARGS`).
fn create_args<'a>(image: &'a str, name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["create", image, "--name", name];
    args.extend_from_slice(extra);
    args
}

#[test]
fn each_setup_reports_its_privilege_and_invoker() {
    require_privileged!();
    let d = Deployment::new();
    for (via, mode) in [
        (Via::Setgid, "setgid"),
        (Via::Setuid, "setuid"),
        (Via::Sudo, "sudo"),
        (Via::Plain, "plain"),
    ] {
        let out = d.run(
            via,
            &[
                "create",
                "img",
                "--dry-run",
                "--format",
                "json",
                "--name",
                "p",
            ],
            &[("SUDO_USER", "root"), ("SUDO_UID", "0")],
        );
        let json = out.success().json();
        let privilege = &json["privilege"];
        assert_eq!(privilege["mode"], mode, "{json}");
        assert_eq!(privilege["invoker"], d.user.as_str(), "{via:?}");
        assert_eq!(privilege["elevated"], via != Via::Plain, "{via:?}");
        assert_eq!(json["labels"]["ds01.user"], d.user.as_str(), "{via:?}");
        if via == Via::Setgid {
            assert_eq!(privilege["group"], "docker");
        }
    }
}

#[test]
fn the_caller_cannot_choose_the_engine_or_its_environment() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-engine", "");
    let d = Deployment::new();
    let marker = d.home().join("ran");
    let evil = format!(
        "#!/bin/sh -p\ntouch {}\nexec /usr/bin/docker \"$@\"\n",
        marker.display()
    );
    let evil_engine = d.user_file("bin/docker", &evil, 0o755);
    d.user_file("bin/docker-credential-evil", &evil, 0o755);
    let docker_config = d.home().join("dcfg");
    d.user_file("dcfg/config.json", r#"{"credsStore": "evil"}"#, 0o644);
    let evil_engine = evil_engine.to_str().unwrap();

    let name = unique("priv-eng");
    for (via, args, env, needle) in [
        (
            Via::Setgid,
            vec!["--engine", evil_engine],
            vec![],
            format!("--engine {evil_engine}: not accepted with privileges (setgid docker): the engine is /usr/bin/docker (built-in default)"),
        ),
        (
            Via::Setgid,
            vec![],
            vec![("DS01_BUILD_ENGINE", evil_engine)],
            format!("DS01_BUILD_ENGINE={evil_engine}: not accepted with privileges (setgid docker)"),
        ),
        (
            Via::Setuid,
            vec!["--engine", evil_engine],
            vec![],
            "not accepted with privileges (setuid root)".to_string(),
        ),
        (
            Via::Sudo,
            vec!["--engine", evil_engine],
            vec![],
            "not accepted with privileges (sudo)".to_string(),
        ),
    ] {
        let mut argv = args.clone();
        argv.extend(create_args(&image, &name, &[]));
        let out = d.run(via, &argv, &env);
        refused(&out, &needle, &format!("{name}._.{}", d.uid));
        assert!(!marker.exists(), "{via:?}: the caller's engine ran");
    }

    // The caller's PATH, DOCKER_HOST and DOCKER_CONFIG reach nothing: `docker` on PATH is the
    // wrapper, DOCKER_HOST points nowhere, and the credential helper would run for a pull.
    let path = format!("{}:/usr/bin:/bin", d.home().join("bin").display());
    let hostile = [
        ("PATH", path.as_str()),
        ("DOCKER_HOST", "unix:///nonexistent.sock"),
        ("DOCKER_CONFIG", docker_config.to_str().unwrap()),
    ];
    // Control: the trap is armed (the docker CLI with that environment runs the helper for the
    // pull `--pull=always` asks for).
    let armed_name = unique("priv-armed");
    cleanup.container(&armed_name);
    let armed: Out = std::process::Command::new("env")
        .args([
            "-i",
            &format!("PATH={path}"),
            &format!("DOCKER_CONFIG={}", docker_config.display()),
        ])
        .args([
            "/usr/bin/docker",
            "create",
            "--pull=always",
            "--name",
            &armed_name,
            &image,
        ])
        .output()
        .unwrap()
        .into();
    assert_ne!(armed.code, 0);
    assert!(
        marker.exists(),
        "control: the credential helper did not run: {}",
        armed.stderr
    );
    std::fs::remove_file(&marker).unwrap();

    for via in [Via::Setgid, Via::Sudo] {
        let name = unique("priv-env");
        let full = format!("{name}._.{}", d.uid);
        cleanup.container(&full);
        let out = d.run(via, &create_args(&image, &name, &[]), &hostile);
        out.success();
        assert_eq!(container(&full).unwrap()["ds01.user"], d.user, "{via:?}");
        // A pull does not run the caller's credential helper either (it fails: no registry).
        let pull = unique("priv-pull");
        cleanup.container(format!("{pull}._.{}", d.uid));
        let out = d.run(
            via,
            &create_args(&image, &pull, &["--", "--pull=always"]),
            &hostile,
        );
        assert_ne!(out.code, 0, "{via:?}: {}", out.stdout);
        assert!(out.stderr.contains("pull"), "{via:?}: {}", out.stderr);
        assert!(
            !marker.exists(),
            "{via:?}: the caller's PATH or DOCKER_CONFIG was used"
        );
    }
}

#[test]
fn the_invoker_is_the_real_user_whatever_the_environment_says() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-who", "");
    let mut d = Deployment::new();
    let forged = [
        ("SUDO_USER", "nobody"),
        ("SUDO_UID", "65534"),
        ("USER", "nobody"),
    ];

    // A setuid copy: SUDO_* is the caller's and counts for nothing.
    let name = unique("priv-who");
    let full = format!("{name}._.{}", d.uid);
    cleanup.container(&full);
    d.run(Via::Setuid, &create_args(&image, &name, &[]), &forged)
        .success();
    let labels = container(&full).expect("created as the real user");
    assert_eq!(labels["ds01.user"], d.user);
    assert_eq!(labels["ds01.user_id"], d.uid.to_string());

    // --owner from anyone but root or a configured admin.
    for (via, how) in [
        (Via::Setuid, "(through a setuid root copy)"),
        (Via::Setgid, "(through a setgid docker copy)"),
        (Via::Sudo, "(through sudo)"),
    ] {
        let name = unique("priv-own");
        let out = d.run(
            via,
            &create_args(&image, &name, &["--owner", "nobody"]),
            &forged,
        );
        refused(
            &out,
            &format!("--owner \"nobody\": only root and the admins named in /etc/ds01-build/config.toml (admins.users, admins.groups) create for another user; you are {} {how}", d.user),
            &format!("{name}._.65534"),
        );
    }

    // An admin named in the configuration may: `sudo ds01-build create ... --owner nobody`.
    d.config(&format!("[admins]\nusers = [\"{}\"]\n", d.user), "0644");
    let name = unique("priv-adm");
    let full = format!("{name}._.65534");
    cleanup.container(&full);
    d.run(
        Via::Sudo,
        &create_args(&image, &name, &["--owner", "nobody"]),
        &[],
    )
    .success();
    assert_eq!(container(&full).unwrap()["ds01.user"], "nobody");

    // Through a group the admin belongs to in the group database (here: their own primary group).
    let mut g = Deployment::new();
    g.config(&format!("[admins]\ngroups = [\"{}\"]\n", g.user), "0644");
    let name = unique("priv-admg");
    let full = format!("{name}._.65534");
    cleanup.container(&full);
    g.run(
        Via::Setgid,
        &create_args(&image, &name, &["--owner", "nobody"]),
        &[],
    )
    .success();
    assert_eq!(container(&full).unwrap()["ds01.user"], "nobody");
}

#[test]
fn caller_named_files_are_opened_as_the_invoker_and_must_be_regular() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-file", "");
    let d = Deployment::new();

    // Root's files stay closed to sudo and setgid callers; no content leaks into the message.
    for via in [Via::Sudo, Via::Setuid] {
        let out = d.run(via, &["lint", "--labels", "/etc/shadow"], &[]);
        assert_eq!(out.code, 2, "{via:?}: {}", out.stderr);
        out.fails_with("cannot read /etc/shadow: Permission denied");
        assert!(!out.stdout.contains("root:") && !out.stderr.contains("root:"));
    }
    let group_only = d.dir.join("docker-group-only");
    std::fs::write(&group_only, "a=1\n").unwrap();
    std::os::unix::fs::chown(&group_only, Some(0), Some(crate::deployment::docker_gid())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&group_only, std::fs::Permissions::from_mode(0o640)).unwrap();
    let path = group_only.to_str().unwrap();
    let name = unique("priv-grp");
    let out = d.run(
        Via::Setgid,
        &create_args(&image, &name, &["--", "--label-file", path]),
        &[],
    );
    refused(
        &out,
        &format!("{path}: Permission denied"),
        &format!("{name}._.{}", d.uid),
    );

    // A FIFO is refused at once (never read twice, never blocking); so is a file over 1 MiB.
    let fifo = d.home().join("labels.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    std::os::unix::fs::chown(&fifo, Some(d.uid), Some(d.gid)).unwrap();
    let big = d.user_file("big.txt", &"a=1\n".repeat(300_000), 0o644);
    for (file, needle) in [
        (fifo.to_str().unwrap(), "not a regular file (a FIFO)"),
        (big.to_str().unwrap(), "over the 1 MiB limit"),
    ] {
        for via in [Via::Setgid, Via::Sudo] {
            let name = unique("priv-fifo");
            let out = d.run(
                via,
                &create_args(&image, &name, &["--", "--label-file", file]),
                &[],
            );
            refused(&out, needle, &format!("{name}._.{}", d.uid));
        }
    }
}

#[test]
fn build_is_refused_with_privileges() {
    require_privileged!();
    let d = Deployment::new();
    for (via, how) in [
        (Via::Sudo, "sudo"),
        (Via::Setgid, "setgid docker"),
        (Via::Setuid, "setuid root"),
    ] {
        let out = d.run(via, &["build", "hello"], &[]);
        assert_eq!(out.code, 2, "{via:?}: {}", out.stderr);
        out.fails_with(&format!(
            "build is not available with privileges ({how}): run it as yourself"
        ));
    }
}

#[test]
fn the_configuration_must_be_roots_alone() {
    require_privileged!();
    let mut d = Deployment::new();
    d.config("[admins]\nusers = []\n", "0664");
    for via in [Via::Sudo, Via::Setgid, Via::Plain] {
        let out = d.run(via, &["create", "img", "--dry-run", "--name", "p"], &[]);
        assert_eq!(out.code, 2, "{via:?}: {}", out.stderr);
        out.fails_with(
            "configuration /etc/ds01-build/config.toml: /etc/ds01-build/config.toml is group-writable (mode 0664, group root): must be writable by root only",
        );
    }
    // With privileges DS01_BUILD_CONFIG is ignored (a caller's file names no engine); without,
    // a file the user owns is refused too.
    let own = d.user_file("my.toml", "[engine]\nprogram = \"/bin/true\"\n", 0o644);
    let own = own.to_str().unwrap();
    let out = d.run(
        Via::Plain,
        &["create", "img", "--dry-run", "--name", "p"],
        &[("DS01_BUILD_CONFIG", own)],
    );
    out.fails_with(&format!("is owned by uid {}, not root", d.uid));
    // The same file through a setgid copy (outside the overlay, so no /etc config): not read.
    let fresh = Deployment::new();
    let own = fresh.user_file("my.toml", "[engine]\nprogram = \"/bin/true\"\n", 0o644);
    let out = fresh.run(
        Via::Setgid,
        &["create", "img", "--dry-run", "--name", "p"],
        &[("DS01_BUILD_CONFIG", own.to_str().unwrap())],
    );
    assert!(
        out.success().stdout.starts_with("/usr/bin/docker create"),
        "{}",
        out.stdout
    );
}

#[test]
fn file_capabilities_without_a_set_id_bit_are_refused() {
    require_privileged!();
    let d = Deployment::new();
    let copy = d.dir.join("ds01-build");
    let setcap = std::process::Command::new("setcap")
        .args(["cap_dac_override+ep", copy.to_str().unwrap()])
        .status()
        .expect("setcap (libcap2-bin)");
    assert!(setcap.success());
    let out = d.run(
        Via::Plain,
        &["create", "img", "--dry-run", "--name", "p"],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    out.fails_with(
        "ds01-build runs with file capabilities (CapEff 0x2) and no set-id bit: not a supported setup",
    );
}

#[test]
fn an_engine_program_the_user_can_change_is_refused() {
    require_privileged!();
    let mut d = Deployment::new();
    let program = d.user_file(
        "bin/docker",
        "#!/bin/sh -p\nexec /usr/bin/docker \"$@\"\n",
        0o755,
    );
    d.config(
        &format!("[engine]\nprogram = \"{}\"\n", program.display()),
        "0644",
    );
    let out = d.run(
        Via::Sudo,
        &["create", "img", "--dry-run", "--name", "p"],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    out.fails_with(&format!(
        "engine program {} (engine.program in /etc/ds01-build/config.toml): {} is owned by uid {}, not root",
        program.display(),
        d.home().display(),
        d.uid
    ));
}

#[test]
fn listings_show_every_users_containers_to_anyone_who_can_run_it() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-ps", "");
    let name = unique("priv-ps");
    cleanup.container(&name);
    // Root's container, listed by the unprivileged test user through sudo.
    crate::support::ds01(&["create", &image, "--name", &name, "--exact-name"])
        .run()
        .success();
    let d = Deployment::new();
    let out = d.run(Via::Sudo, &["ps", "--all-users", "--format", "json"], &[]);
    let json = out.success().json();
    let listed = json
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == name.as_str());
    assert!(listed, "{name} not listed: {json}");
}

/// The limit README states: a bind source is resolved by the daemon at every start, so a check at
/// create time holds only while the user cannot change the path.
#[test]
fn a_bind_source_swapped_for_a_symlink_after_create_binds_its_target() {
    crate::require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(
        &mut cleanup,
        "priv-swap",
        "CMD [\"/bin/busybox\", \"ls\", \"/m\"]\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("mine"), "x").unwrap();
    let name = unique("priv-swap");
    cleanup.container(&name);
    let bind = format!("{}:/m", src.display());
    crate::support::ds01(&[
        "create",
        &image,
        "--name",
        &name,
        "--exact-name",
        "--",
        "-v",
        &bind,
    ])
    .run()
    .success();
    // After the create (and any check it made), the directory becomes a symlink to /etc.
    std::fs::rename(&src, dir.path().join("old")).unwrap();
    std::os::unix::fs::symlink("/etc", &src).unwrap();
    let out = engine(&["start", "-a", &name]);
    out.success();
    assert!(out.stdout.lines().any(|l| l == "passwd"), "{}", out.stdout);
    assert!(!out.stdout.lines().any(|l| l == "mine"), "{}", out.stdout);
}

/// Create through `via` with passthrough `opts`; the container name is `NAME._.UID`.
fn create_through(d: &Deployment, via: Via, image: &str, name: &str, opts: &[&str]) -> Out {
    let mut args = vec!["create", image, "--name", name, "--"];
    args.extend_from_slice(opts);
    d.run(via, &args, &[])
}

#[test]
fn the_built_in_policy_refuses_host_access_with_privileges() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-pol", "");
    let d = Deployment::new();
    std::os::unix::fs::symlink("/etc", d.home().join("etc")).unwrap();
    let home_etc = format!("{}/etc:/x", d.home().display());
    let other_slice = "ds01-student-bob.slice".to_string();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--privileged"], "passthrough --privileged: refused by policy rule options.deny (built-in default)".into()),
        (vec!["-v", "/var/run/docker.sock:/var/run/docker.sock"], "source /var/run/docker.sock resolves to /run/docker.sock, which is or holds the engine socket".into()),
        (vec!["--use-api-socket"], "passthrough --use-api-socket: refused by policy rule options.deny".into()),
        (vec!["--pid", "container:web"], "passthrough --pid container:web: refused by policy rule options.values.pid (built-in default): allowed (default only)".into()),
        (vec!["--network=container:web"], "options.values.network".into()),
        (vec!["--volumes-from", "web"], "passthrough --volumes-from web: refused by policy rule options.deny".into()),
        (vec!["--mount", "type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc"], "volume-opt refused by policy rule mounts (built-in default)".into()),
        (vec!["-v", "/root:/r"], "source /root is not under mounts.sources (built-in default)".into()),
        (vec!["-v", &home_etc], "resolves to /etc, which is not under mounts.sources".into()),
        (vec!["--cgroup-parent", &other_slice], "passthrough --cgroup-parent ds01-student-bob.slice: refused by policy rule cgroup-parent.allow (built-in default)".into()),
        (vec!["--user", "0"], "passthrough --user 0: refused by policy rule options.values.user".into()),
        (vec!["--cidfile", "/tmp/cid"], "passthrough --cidfile /tmp/cid: refused with privileges".into()),
        (vec!["--frobnicate=1"], "passthrough --frobnicate=1: not in the policy (options.allow/values/deny) (built-in default)".into()),
    ];
    for via in [Via::Sudo, Via::Setgid] {
        for (opts, needle) in &cases {
            let name = unique("priv-pol");
            let out = create_through(&d, via, &image, &name, opts);
            refused(&out, needle, &format!("{name}._.{}", d.uid));
        }
    }
    assert!(!std::path::Path::new("/tmp/cid").exists());
}

#[test]
fn ds01s_own_argv_passes_with_privileges() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-ds01", "");
    let d = Deployment::new();
    std::fs::create_dir(d.home().join("workspace")).unwrap();
    let bind = format!("{}/workspace:/workspace", d.home().display());
    let user = format!("{}:{}", d.uid, d.gid);
    // DS01's slice name for the test user: '-' becomes '_'.
    let slice = format!("ds01-student-{}.slice", d.user.replace('-', "_"));
    for via in [Via::Sudo, Via::Setgid] {
        let name = unique("priv-ds01");
        let full = format!("{name}._.{}", d.uid);
        cleanup.container(&full);
        let out = create_through(
            &d,
            via,
            &image,
            &name,
            &[
                "-it",
                "--shm-size",
                "64m",
                "--ipc",
                "host",
                "--network",
                "host",
                "--user",
                &user,
                "--cap-add",
                "SYS_PTRACE",
                "--group-add",
                "video",
                "--security-opt",
                "seccomp=unconfined",
                "-v",
                &bind,
                "-w",
                "/workspace",
                "--cgroup-parent",
                &slice,
                "-e",
                "A=1",
            ],
        );
        out.success();
        let host = engine(&[
            "container", "inspect", "--format",
            "{{.HostConfig.IpcMode}} {{.HostConfig.NetworkMode}} {{.Config.User}} {{.HostConfig.CgroupParent}}",
            &full,
        ]);
        assert_eq!(
            host.stdout.trim(),
            format!("host host {user} {slice}"),
            "{via:?}"
        );
        assert_eq!(container(&full).unwrap()["ds01.user"], d.user);
    }
}

#[test]
fn label_and_env_files_reach_the_engine_as_the_vetted_flags() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-lf", "");
    let d = Deployment::new();
    let labels = d.user_file("labels", "team=ml\nrating=5\n", 0o644);
    let envs = d.user_file("envs", "E=from-file\nF=  5  \n", 0o644);
    let opts = [
        "--label-file",
        labels.to_str().unwrap(),
        "--env-file",
        envs.to_str().unwrap(),
        "--label",
        "rating=6",
    ];
    // The engine is given the labels and variables, never the paths.
    let mut args = vec![
        "create",
        &image,
        "--name",
        "lf",
        "--dry-run",
        "--format",
        "json",
        "--",
    ];
    args.extend_from_slice(&opts);
    let json = d.run(Via::Sudo, &args, &[]).success().json();
    let argv: Vec<&str> = json["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for path in [&labels, &envs] {
        let path = path.to_str().unwrap();
        assert!(!argv.iter().any(|a| a.contains(path)), "{argv:?}");
    }
    assert!(!argv
        .iter()
        .any(|a| a.starts_with("--label-file") || a.starts_with("--env-file")));
    let name = unique("priv-lf");
    let full = format!("{name}._.{}", d.uid);
    cleanup.container(&full);
    create_through(&d, Via::Sudo, &image, &name, &opts).success();
    // Rewritten after the run: nothing reads it again.
    std::fs::write(&labels, "ds01.protected=true\n").unwrap();
    let got = container(&full).unwrap();
    assert_eq!((got["team"].as_str(), got["rating"].as_str()), ("ml", "6"));
    assert!(!got.contains_key("ds01.protected"));
    let env = engine(&[
        "container",
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        &full,
    ]);
    let env: Vec<String> = serde_json::from_str(env.stdout.trim()).unwrap();
    assert!(
        env.contains(&"E=from-file".to_string()) && env.contains(&"F=  5  ".to_string()),
        "{env:?}"
    );
    // A bare variable would copy the engine's environment: refused with privileges.
    let bare = d.user_file("bare", "HOME\n", 0o644);
    let name = unique("priv-bare");
    let out = create_through(
        &d,
        Via::Sudo,
        &image,
        &name,
        &["--env-file", bare.to_str().unwrap()],
    );
    refused(
        &out,
        "HOME without a value is refused with privileges (sudo)",
        &format!("{name}._.{}", d.uid),
    );
}

#[test]
fn the_operators_policy_file_decides_and_is_named_in_refusals() {
    require_privileged!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "priv-polf", "");
    let mut d = Deployment::new();
    d.config(
        "[options]\nallow = [\"tty\", \"volume\"]\ndeny = [\"shm-size\"]\n[mounts]\nsources = [\"/srv/ds01t-data\"]\n",
        "0644",
    );
    let home_bind = format!("{}:/h", d.home().display());
    for (opts, needle) in [
        (vec!["--shm-size", "1g"], "passthrough --shm-size 1g: refused by policy rule options.deny (/etc/ds01-build/config.toml)".to_string()),
        (vec!["--ipc", "host"], "passthrough --ipc host: not in the policy (options.allow/values/deny) (/etc/ds01-build/config.toml)".to_string()),
        (vec!["-v", &home_bind], format!("source {} is not under mounts.sources (/etc/ds01-build/config.toml): allowed /srv/ds01t-data", d.home().display())),
    ] {
        let name = unique("priv-polf");
        let out = create_through(&d, Via::Sudo, &image, &name, &opts);
        refused(&out, &needle, &format!("{name}._.{}", d.uid));
    }
    let name = unique("priv-polf");
    let full = format!("{name}._.{}", d.uid);
    cleanup.container(&full);
    create_through(&d, Via::Sudo, &image, &name, &["-t"]).success();
    assert!(container(&full).is_some());
    // Without privileges the configured policy applies too (a convenience, not a boundary).
    let name = unique("priv-polp");
    let out = d.run(
        Via::Plain,
        &[
            "create",
            &image,
            "--name",
            &name,
            "--dry-run",
            "--",
            "--shm-size",
            "1g",
        ],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    out.fails_with("refused by policy rule options.deny (/etc/ds01-build/config.toml)");
}
