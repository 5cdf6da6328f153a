//! Issue 8's worked example against the real engine: the container DS01's
//! `build_docker_create_command` makes for a single-MIG GPU (the argv in the README, from DS01's
//! code at HEAD, with the docker wrapper's own leading labels), created once with plain
//! `docker create` and once through `ds01-build create`; `HostConfig`, `Config.Cmd` and the labels
//! are compared. And `lint --container` on exactly what DS01's wrappers write.

use std::collections::BTreeMap;

use crate::require_engine;
use crate::support::{busybox_image, ds01, engine, inspect_labels, unique, Cleanup};

const MIG: &str = "MIG-4f5e6d7c-8b9a-5c4d-9e8f-0a1b2c3d4e5f";
const ROCM_CMD: &str = "sudo chown root:video /dev/kfd; sudo chown -R root:video /dev/dri; bash";

/// `create --name ...` as `build_docker_create_command` and the docker wrapper produce it, for
/// owner `user` (DS01 name `ds01_name`, engine name `full`), minus the GPU extras and the command.
fn ds01_options(ws: &str, full: &str, ds01_name: &str, user: &str, image: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let mut push = |items: &[&str]| v.extend(items.iter().map(|s| s.to_string()));
    // The docker wrapper's own items come first (DW:1251-1254, 1348).
    push(&[
        "--label",
        "ds01.managed=true",
        "--label",
        "ds01.container_type=atomic",
    ]);
    push(&["--label", "ds01.created_at=2026-07-22T13:00:00+01:00"]);
    push(&[
        "-it",
        "-v",
        &format!("{ws}:/workspace"),
        "-w",
        "/workspace",
        "--name",
        full,
    ]);
    for label in [
        format!("ds01.user={user}"),
        format!("ds01.name={ds01_name}"),
        "ds01.arch=CUDA_ADA".into(),
        "ds01.mlc_version=4".into(),
        format!("ds01.work_mount={ws}"),
        "ds01.data_mount=-".into(),
        "ds01.models_mount=-".into(),
        "ds01.framework=Pytorch-2.5.1".into(),
        format!("ds01.gpus=device={MIG}"),
        "ds01.managed=true".into(),
        format!("ds01.custom_image={image}"),
        "devcontainer.workspaceFolder=/workspace".into(),
    ] {
        push(&["--label", &label]);
    }
    push(&[
        "--user",
        "1001:1001",
        "--tty",
        "--interactive",
        "--network",
        "host",
    ]);
    push(&[
        "--device",
        "/dev/snd",
        "--cap-add",
        "SYS_PTRACE",
        "--cap-add",
        "SYS_ADMIN",
    ]);
    push(&["--security-opt", "seccomp=unconfined", "--shm-size", "16g"]);
    push(&["--cgroup-parent", "ds01-student-alice.slice"]);
    for label in [
        "ds01.managed=true".to_string(),
        "ds01.interface=atomic".into(),
        format!("ds01.user={user}"),
        format!("ds01.user.sanitized={user}"),
        "ds01.created_at=2026-07-22T12:00:00Z".into(),
        "ds01.gpu.allocated=1.2".into(),
        "ds01.gpu.allocated_at=2026-07-22T12:00:00Z".into(),
        "ds01.gpu.slots=1.2".into(),
        "ds01.gpu.slot_count=1".into(),
        format!("ds01.gpu.uuid={MIG}"),
        "ds01.gpu.priority=10".into(),
    ] {
        push(&["--label", &label]);
    }
    push(&["--ulimit", "memlock=-1", "--ulimit", "stack=67108864"]);
    push(&[
        "-v",
        "/tmp/.X11-unix:/tmp/.X11-unix",
        "--group-add",
        "video",
    ]);
    v
}

/// The same container through ds01-build: its flags for the ds01.* keys, then after `--` the
/// docker create line without ds01.* labels and `--name` (the README's worked example).
fn ds01_build_args(ws: &str, name: &str, user: &str, docker_tail: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "create",
        "--name",
        name,
        "--exact-name",
        "--arch",
        "CUDA_ADA",
        "--framework",
        "Pytorch-2.5.1",
        "--gpus",
        &format!("device={MIG}"),
        "--gpu-uuids",
        MIG,
        "--gpu-slots",
        "1.2",
        "--work-mount",
        ws,
        "--data-mount",
        "-",
        "--models-mount",
        "-",
        "--set",
        "ds01.mlc_version=4",
        "--set",
        &format!("ds01.user.sanitized={user}"),
        "--set",
        "ds01.gpu.slot_count=1",
        "--set",
        "ds01.gpu.allocated_at=2026-07-22T12:00:00Z",
        "--set",
        "ds01.gpu.priority=10",
        "--set",
        "ds01.container_type=atomic",
        "--format",
        "json",
        "--",
        "-it",
        "-v",
        &format!("{ws}:/workspace"),
        "-w",
        "/workspace",
        "--label",
        "devcontainer.workspaceFolder=/workspace",
        "--user",
        "1001:1001",
        "--tty",
        "--interactive",
        "--network",
        "host",
        "--device",
        "/dev/snd",
        "--cap-add",
        "SYS_PTRACE",
        "--cap-add",
        "SYS_ADMIN",
        "--security-opt",
        "seccomp=unconfined",
        "--shm-size",
        "16g",
        "--cgroup-parent",
        "ds01-student-alice.slice",
        "--ulimit",
        "memlock=-1",
        "--ulimit",
        "stack=67108864",
        "-v",
        "/tmp/.X11-unix:/tmp/.X11-unix",
        "--group-add",
        "video",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(docker_tail.iter().map(|s| s.to_string()));
    v
}

/// `.HostConfig` with `Binds` sorted: the docker CLI collects `-v` values in a map, so the order of
/// `Binds` differs between two creates from the same argv.
fn host_config(target: &str) -> serde_json::Value {
    crate::create::stored(target)["HostConfig"].clone()
}

fn inspect_json(target: &str, field: &str) -> serde_json::Value {
    let out = engine(&[
        "inspect",
        "--format",
        &format!("{{{{json {field}}}}}"),
        target,
    ]);
    out.success();
    serde_json::from_str(out.stdout.trim()).unwrap()
}

fn args_ref(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn worked_example_single_mig_matches_plain_docker_create() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "ds01-example", "");
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path().display().to_string();
    let user = crate::support::ds01(&[
        "create",
        &image,
        "--name",
        "xx",
        "--dry-run",
        "--format",
        "json",
    ])
    .run()
    .json()["labels"]["ds01.user"]
        .as_str()
        .unwrap()
        .to_string();
    let name = unique("ds01ex");
    let plain_name = format!("{name}-plain");
    cleanup.container(&name);
    cleanup.container(&plain_name);
    let gpu_tail = [
        "--gpus",
        &format!("device={MIG}"),
        "-e",
        &format!("CUDA_VISIBLE_DEVICES={MIG}"),
        "--group-add",
        "sudo",
    ]
    .map(str::to_string);
    let command = ["bash", "-c", "bash"];

    // Plain docker, DS01's argv.
    let mut plain = vec!["create".to_string()];
    plain.extend(ds01_options(&ws, &plain_name, &name, &user, &image));
    plain.extend(gpu_tail.iter().cloned());
    plain.push(image.clone());
    plain.extend(command.map(str::to_string));
    engine(&args_ref(&plain)).success();

    // ds01-build, the README's call.
    let mut tail: Vec<&str> = gpu_tail.iter().map(String::as_str).collect();
    tail.push(&image);
    tail.extend(command);
    let out = ds01(&args_ref(&ds01_build_args(&ws, &name, &user, &tail))).run();
    out.success();
    let via = if crate::create::api_creates() {
        "api"
    } else {
        "cli"
    };
    assert_eq!(out.json()["via"], via);

    // HostConfig and the container's command and config are the same.
    assert_eq!(host_config(&name), host_config(&plain_name));
    let host = host_config(&name);
    assert_eq!(host["DeviceRequests"][0]["DeviceIDs"][0], MIG);
    assert_eq!(host["ShmSize"], 17179869184u64);
    assert_eq!(host["CgroupParent"], "ds01-student-alice.slice");
    assert_eq!(
        inspect_json(&name, ".Config.Cmd"),
        serde_json::json!(command)
    );
    for field in [
        ".Config.Env",
        ".Config.User",
        ".Config.WorkingDir",
        ".Config.Tty",
        ".Config.OpenStdin",
        ".Config.Image",
    ] {
        assert_eq!(
            inspect_json(&name, field),
            inspect_json(&plain_name, field),
            "{field}"
        );
    }

    // Labels: ours are a superset of DS01's; the difference is named here.
    let ours = inspect_labels(&name);
    let theirs = inspect_labels(&plain_name);
    let only_ours: BTreeMap<&str, &str> = ours
        .iter()
        .filter(|(k, _)| !theirs.contains_key(*k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        only_ours.keys().copied().collect::<Vec<_>>(),
        [
            "ds01.container_name",
            "ds01.gpu.uuids",
            "ds01.group_id",
            "ds01.image",
            "ds01.user_id"
        ]
    );
    assert_eq!(only_ours["ds01.gpu.uuids"], MIG);
    assert_eq!(only_ours["ds01.container_name"], name);
    for (key, value) in &theirs {
        let ours = &ours[key];
        if key == "ds01.created_at" {
            // Both Z (the wrapper's later CW value beats DW's offset); ours is now.
            assert!(
                ours.ends_with('Z') && value.ends_with('Z'),
                "{ours} {value}"
            );
        } else {
            assert_eq!(ours, value, "{key}");
        }
    }
    // Both pass DS01's readers' GPU queries: the singular UUID and the slot as allocated.
    for filter in [
        format!("label=ds01.gpu.uuid={MIG}"),
        "label=ds01.gpu.allocated=1.2".into(),
    ] {
        let listed = engine(&[
            "ps",
            "-a",
            "--filter",
            &filter,
            "--filter",
            &format!("label=ds01.name={name}"),
            "--format",
            "{{.Names}}",
        ]);
        let mut names: Vec<&str> = listed.stdout.lines().collect();
        names.sort();
        assert_eq!(names, [name.as_str(), plain_name.as_str()], "{filter}");
    }
    // And lint has no value-type or unknown-key finding on either.
    for c in [&name, &plain_name] {
        let lint = ds01(&["lint", "--container", c, "--format", "json"]).run();
        let text = lint.json().to_string();
        for rule in ["L005", "L006"] {
            assert!(!text.contains(rule), "{c}: {text}");
        }
    }
}

/// The multi-MIG branch (`--runtime=nvidia`) fails here as plain docker does (no nvidia runtime),
/// with the engine's code and message, and nothing is created; the ROCm command arrives
/// byte-exact.
#[test]
fn runtime_nvidia_fails_like_docker_and_rocm_command_is_byte_exact() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "ds01-multi", "");
    let name = unique("ds01multi");
    cleanup.container(&name);
    let plain = engine(&[
        "create",
        "--name",
        &name,
        "--runtime=nvidia",
        "-e",
        "NVIDIA_VISIBLE_DEVICES=MIG-a,MIG-b",
        &image,
        "bash",
        "-c",
        "bash",
    ]);
    assert_ne!(plain.code, 0);
    assert!(plain.stderr.contains("nvidia"), "{}", plain.stderr);
    let out = ds01(&[
        "create",
        "--name",
        &name,
        "--exact-name",
        "--gpu-uuids",
        "MIG-a,MIG-b",
        "--gpu-slots",
        "1.0,1.1",
        "--",
        "--runtime=nvidia",
        "-e",
        "NVIDIA_VISIBLE_DEVICES=MIG-a,MIG-b",
        &image,
        "bash",
        "-c",
        "bash",
    ])
    .run();
    assert_eq!(out.code, plain.code, "{}", out.stderr);
    out.fails_with("nvidia");
    assert_ne!(engine(&["inspect", &name]).code, 0, "created anyway");

    ds01(&[
        "create",
        "--name",
        &name,
        "--exact-name",
        "--",
        "--network",
        "none",
        &image,
        "bash",
        "-c",
        ROCM_CMD,
    ])
    .run()
    .success();
    assert_eq!(
        inspect_json(&name, ".Config.Cmd"),
        serde_json::json!(["bash", "-c", ROCM_CMD])
    );
}

/// `lint --container` on a container carrying exactly what DS01's wrappers write (plain docker
/// create): the docker wrapper's `+01:00` created_at, every container_type value, slot ids,
/// mounts given as `-`, the monitoring stack's keys.
#[test]
fn lint_accepts_what_ds01_writes() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "ds01-lint", "");
    for (i, container_type) in [
        "atomic",
        "orchestration",
        "api",
        "devcontainer",
        "compose",
        "docker",
        "custom",
        "infrastructure",
        "unknown",
    ]
    .iter()
    .enumerate()
    {
        let name = unique(&format!("ds01lint{i}"));
        cleanup.container(&name);
        let labels = [
            "ds01.user=alice".to_string(),
            "ds01.managed=true".into(),
            "ds01.interface=atomic".into(),
            format!("ds01.container_type={container_type}"),
            "ds01.created_at=2026-07-22T13:00:00+01:00".into(),
            "ds01.user.sanitized=alice".into(),
            "ds01.gpu.allocated=1.0,1.1".into(),
            "ds01.gpu.slots=1.0,1.1".into(),
            "ds01.gpu.slot_count=2".into(),
            "ds01.gpu.uuids=MIG-a,MIG-b".into(),
            "ds01.gpu.allocated_at=2026-07-22T12:00:00Z".into(),
            "ds01.gpu.priority=10".into(),
            "ds01.gpus=device=MIG-a,MIG-b".into(),
            "ds01.data_mount=-".into(),
            "ds01.models_mount=-".into(),
            "ds01.mlc_version=4".into(),
            "ds01.arch=CUDA_ADA".into(),
            "ds01.gpu_ephemeral=true".into(),
            "ds01.monitoring=true".into(),
            "ds01.component=grafana".into(),
            "ds01.owner=system".into(),
            "ds01.managed_by=compose".into(),
            "ds01.description=Dashboards".into(),
        ];
        let mut args = vec![
            "create".to_string(),
            "--name".into(),
            name.clone(),
            "--network".into(),
            "none".into(),
        ];
        for l in &labels {
            args.extend(["--label".to_string(), l.clone()]);
        }
        args.push(image.clone());
        engine(&args_ref(&args)).success();
        let lint = ds01(&["lint", "--container", &name, "--format", "json"]).run();
        let findings = lint.json();
        let bad: Vec<&serde_json::Value> = findings["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| ["L005", "L006"].contains(&f["rule"].as_str().unwrap_or("")))
            .collect();
        assert!(bad.is_empty(), "{container_type}: {bad:?}");
    }
    // The control: the same lint does report a wrong value.
    let name = unique("ds01lintbad");
    cleanup.container(&name);
    engine(&[
        "create",
        "--name",
        &name,
        "--network",
        "none",
        "--label",
        "ds01.gpu.slots=0:0",
        &image,
    ])
    .success();
    let lint = ds01(&["lint", "--container", &name, "--format", "json"]).run();
    assert!(lint.json().to_string().contains("L006"), "{}", lint.stdout);
}
