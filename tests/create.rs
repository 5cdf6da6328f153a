//! `ds01-build create` against the real engine: labels read back, ownership filter, forged labels and
//! `--owner` refused with nothing created, image labels overridden, name collisions, bad input.

use std::process::{Command, Stdio};

use crate::require_engine;
use crate::support::{
    busybox_image, ds01, engine, engine_build, engine_program, inspect_labels,
    refused_before_engine, unique, Cleanup, FakeEngine, Out,
};

/// The invoking user as `create` resolves it.
fn me() -> ds01_build::identity::Identity {
    ds01_build::identity::invoking().unwrap()
}

/// Whether a container with exactly this name exists.
fn container_exists(name: &str) -> bool {
    // docker prints the name with a leading '/', podman without.
    engine(&["container", "inspect", "--format", "{{.Name}}", name])
        .stdout
        .trim()
        .trim_start_matches('/')
        == name
}

/// No container carries `ds01.name=NAME` (whatever its full name).
/// A unique NAME whose possible containers (`NAME._.UID`, `NAME`) `cleanup` removes even when a test
/// fails before it could register them.
fn guarded_name(cleanup: &mut Cleanup, tag: &str) -> String {
    let name = unique(tag);
    cleanup.container(format!("{name}._.{}", me().uid));
    cleanup.container(&name);
    name
}

#[track_caller]
fn assert_nothing_created(name: &str) {
    let out = engine(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=ds01.name={name}"),
        "--format",
        "{{.Names}}",
    ]);
    out.success();
    assert_eq!(out.stdout.trim(), "", "a container was created for {name}");
    assert!(!container_exists(&format!("{name}._.{}", me().uid)));
    assert!(!container_exists(name));
}

#[test]
fn create_writes_the_labels_it_reports() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-img", "");
    let name = unique("create");
    let full = format!("{name}._.{}", me().uid);
    cleanup.container(&full);

    let out = ds01(&[
        "create",
        &image,
        "--name",
        &name,
        "--gpus",
        "2",
        "--gpu-slots",
        "1.0,1.1",
        "--work-mount",
        "/home/x/workspace",
        "--protected",
        "--format",
        "json",
        "--",
        "--network",
        "none",
        "-l",
        "com.example.extra=1",
    ])
    .run();
    out.success();
    let json = out.json();
    assert_eq!(json["name"], full.as_str());
    let id = json["id"].as_str().unwrap();
    assert_eq!(id.len(), 64, "{id}");

    // The container's labels are exactly the reported ones plus the passthrough label.
    let ours: std::collections::BTreeMap<String, String> =
        serde_json::from_value(json["labels"].clone()).unwrap();
    assert_eq!(ours["ds01.user"], me().user);
    assert_eq!(ours["ds01.user_id"], me().uid.to_string());
    assert_eq!(ours["ds01.gpu.slots"], "1.0,1.1");
    assert_eq!(ours["ds01.gpu.allocated"], "1.0,1.1");
    // The image's own labels (none from docker; podman adds io.buildah.version) plus ours.
    let mut expected = inspect_labels(&image);
    assert!(!expected.keys().any(|k| k.starts_with("ds01.")));
    expected.extend(ours);
    expected.insert("com.example.extra".into(), "1".into());
    assert_eq!(inspect_labels(&full), expected);
    assert_eq!(
        engine(&["inspect", "--format", "{{.Id}} {{.Name}}", &full])
            .stdout
            .trim()
            .replace(" /", " "),
        format!("{id} {full}")
    );

    // DS01's listing by owner finds it.
    let owner_filter = format!("label=ds01.user={}", me().user);
    let name_filter = format!("label=ds01.name={name}");
    let listed = engine(&[
        "ps",
        "-a",
        "--no-trunc",
        "--filter",
        &owner_filter,
        "--filter",
        &name_filter,
        "--format",
        "{{.ID}}",
    ]);
    assert_eq!(listed.stdout.trim(), id);
}

#[test]
fn text_output_is_the_id_and_interface_follows_ds01_context() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-txt", "");
    let name = unique("create");
    let full = format!("{name}._.{}", me().uid);
    cleanup.container(&full);
    let out = ds01(&["create", &image, "--name", &name, "--", "--network=none"])
        .env("DS01_CONTEXT", "orchestration")
        .run();
    out.success();
    let id = engine(&["inspect", "--format", "{{.Id}}", &full]);
    assert_eq!(out.stdout, id.stdout);
    assert_eq!(inspect_labels(&full)["ds01.interface"], "orchestration");
}

#[test]
fn exact_name_uses_name_as_given() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-exact", "");
    let name = unique("exact");
    cleanup.container(&name);
    ds01(&["create", &image, "--name", &name, "--exact-name"])
        .run()
        .success();
    let labels = inspect_labels(&name);
    assert_eq!(labels["ds01.name"], name);
    assert_eq!(labels["ds01.container_name"], name);
}

#[test]
fn dry_run_prints_the_command_and_creates_nothing() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let name = guarded_name(&mut cleanup, "dry");
    // The image must exist: the plan depends on its labels.
    let image = busybox_image(&mut cleanup, "create-dry", "");
    let out = ds01(&["create", &image, "--name", &name, "--dry-run"]).run();
    out.success();
    let full = format!("{name}._.{}", me().uid);
    let mut lines = out.stdout.lines();
    let command = lines.next().unwrap();
    assert!(
        command.starts_with(&format!(
            "{} create --name {full} --label ",
            engine_program()
        )),
        "{command}"
    );
    assert!(command.ends_with(&format!(" -- {image}")), "{command}");
    let labels: Vec<&str> = lines.collect();
    assert_eq!(labels.len(), 10, "{labels:?}");
    assert!(labels.contains(&format!("ds01.custom_image={image}").as_str()));
    assert!(labels.contains(&format!("ds01.user={}", me().user).as_str()));
    let mut sorted = labels.clone();
    sorted.sort();
    assert_eq!(labels, sorted);
    assert_nothing_created(&name);

    let aime = format!("aimehub/{}", unique("dry"));
    cleanup.image(&aime);
    engine(&["tag", &image, &aime]).success();
    let json = ds01(&[
        "create",
        &aime,
        "--name",
        &name,
        "--dry-run",
        "--format",
        "json",
    ])
    .run()
    .json();
    assert_eq!(json["labels"]["ds01.custom_image"], "");
    assert_eq!(
        json["argv"].as_array().unwrap().last().unwrap(),
        aime.as_str()
    );
    assert!(json.get("id").is_none());
    assert_nothing_created(&name);
}

/// Issue 8 item 4 on a real image carrying runtime labels (as `docker commit` of a GPU container
/// would leave them): the container made by `create` carries them empty (DS01's readers take an
/// empty value as absent: `ds01.protected` is not `true`, no GPU UUID), image-scope keys stay, and
/// `lint IMAGE` reports the image (L017). A key readers count by presence is refused.
#[test]
fn image_runtime_labels_do_not_reach_the_container() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(
        &mut cleanup,
        "create-phantom",
        "LABEL ds01.protected=true ds01.monitoring=true ds01.gpu.uuids=MIG-aaaa ds01.gpu.uuid=MIG-aaaa ds01.gpu.slots=1.2 ds01.container_type=devcontainer ds01.framework=Pytorch maintainer=bob\n",
    );
    let name = unique("phantom");
    let full = format!("{name}._.{}", me().uid);
    cleanup.container(&full);
    let out = ds01(&["create", &image, "--name", &name, "--format", "json"]).run();
    out.success();
    let neutralised = out.json()["neutralised"].clone();
    assert_eq!(
        neutralised,
        serde_json::json!([
            "ds01.container_type",
            "ds01.gpu.slots",
            "ds01.gpu.uuid",
            "ds01.gpu.uuids",
            "ds01.monitoring",
            "ds01.protected"
        ])
    );
    let labels = inspect_labels(&full);
    for key in neutralised.as_array().unwrap() {
        assert_eq!(labels[key.as_str().unwrap()], "", "{key}");
    }
    // The image read goes through the Engine API for the bare `docker`; through the CLI for an
    // engine given as a path: the same answer.
    if engine_program() == "docker" {
        let path = ["/usr/local/bin/docker", "/usr/bin/docker"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap();
        let name_cli = guarded_name(&mut cleanup, "phantom-cli");
        let out = ds01(&[
            "-v", "create", &image, "--name", &name_cli, "--format", "json",
        ])
        .env("DS01_BUILD_ENGINE", path)
        .run();
        out.success();
        assert!(
            out.stderr
                .contains(&format!("+ {path} image inspect -- {image}")),
            "{}",
            out.stderr
        );
        assert_eq!(out.json()["neutralised"], neutralised);
        let out = ds01(&[
            "-v",
            "create",
            &image,
            "--name",
            &name_cli,
            "--exact-name",
            "--format",
            "json",
        ])
        .run();
        out.success();
        // Through the Engine API no `image inspect` process; with DS01_BUILD_API=off one.
        assert_eq!(
            out.stderr.contains("image inspect"),
            !crate::support::via_api(&out.stderr),
            "{}",
            out.stderr
        );
        assert_eq!(out.json()["neutralised"], neutralised);
        cleanup.container(&name_cli);
    }
    // Image labels proper are inherited as docker does.
    assert_eq!(labels["ds01.framework"], "Pytorch");
    assert_eq!(labels["maintainer"], "bob");
    // DS01's readers' queries: protection is `== true`, the stale-GPU guard filters by UUID value.
    let by = |filter: &str| {
        engine(&[
            "ps",
            "-a",
            "--filter",
            filter,
            "--filter",
            &format!("label=ds01.name={name}"),
            "--format",
            "{{.Names}}",
        ])
        .stdout
        .trim()
        .to_string()
    };
    assert_eq!(by("label=ds01.protected=true"), "");
    assert_eq!(by("label=ds01.gpu.uuid=MIG-aaaa"), "");
    assert_eq!(by("label=ds01.user"), full);
    // No value-type finding on the container; the image is reported.
    let lint = ds01(&["lint", "--container", &full, "--format", "json"]).run();
    let rules = lint.json().to_string();
    assert!(!rules.contains("L006"), "{rules}");
    let lint = ds01(&["lint", &image]).run();
    assert_eq!(lint.code, 1, "{}", lint.stderr);
    for key in ["ds01.protected", "ds01.gpu.uuids", "ds01.monitoring"] {
        assert!(
            lint.stdout
                .contains(&format!("L017 image-runtime-key [error]: {key}:")),
            "{}",
            lint.stdout
        );
    }
    assert!(!lint
        .stdout
        .contains("L017 image-runtime-key [error]: ds01.framework"));

    // ds01.gpu.allocated: counted by presence, so an empty value would still count: refused...
    let allocated = busybox_image(
        &mut cleanup,
        "create-alloc",
        "LABEL ds01.gpu.allocated=1.2\n",
    );
    let name2 = guarded_name(&mut cleanup, "alloc");
    let out = ds01(&["create", &allocated, "--name", &name2]).run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    out.fails_with("carries ds01.gpu.allocated=\"1.2\" (e.g. from docker commit), which no value can neutralise");
    assert_nothing_created(&name2);
    // ...unless the container gets its own allocation.
    let out = ds01(&[
        "create",
        &allocated,
        "--name",
        &name2,
        "--gpu-slots",
        "0",
        "--format",
        "json",
    ])
    .run();
    out.success();
    assert_eq!(
        inspect_labels(&format!("{name2}._.{}", me().uid))["ds01.gpu.allocated"],
        "0"
    );
}

#[test]
fn image_carried_ds01_user_is_overridden() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(
        &mut cleanup,
        "create-mallory",
        "LABEL ds01.user=mallory ds01.managed=false com.example.kept=yes\n",
    );
    assert_eq!(inspect_labels(&image)["ds01.user"], "mallory");
    let name = unique("mallory");
    let full = format!("{name}._.{}", me().uid);
    cleanup.container(&full);
    ds01(&["create", &image, "--name", &name]).run().success();
    let labels = inspect_labels(&full);
    assert_eq!(labels["ds01.user"], me().user);
    assert_eq!(labels["ds01.managed"], "true");
    assert_eq!(labels["com.example.kept"], "yes");
    let mallory = engine(&[
        "ps",
        "-a",
        "--filter",
        "label=ds01.user=mallory",
        "--filter",
        &format!("label=ds01.name={name}"),
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(mallory.stdout.trim(), "");
}

#[test]
fn forged_labels_are_refused_in_every_passthrough_form() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-forge", "");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("labels");
    std::fs::write(&file, "com.example.ok=1\n  aime.mlc.USER=mallory\n").unwrap();
    let file = file.to_str().unwrap();
    let label_file_eq = format!("--label-file={file}");
    let forms: Vec<Vec<&str>> = vec![
        vec!["--label", "ds01.user=mallory"],
        vec!["--label=ds01.user=mallory"],
        vec!["-l", "ds01.managed=false"],
        vec!["-lds01.user=mallory"],
        vec!["-l=ds01.user=mallory"],
        vec!["-itl", "ds01.protected=true"],
        vec!["--label", "aime.mlc.USER=mallory"],
        vec!["--label", "aime.mlc=mallory"],
        vec!["--label-file", file],
        vec![&label_file_eq],
    ];
    for form in forms {
        let name = guarded_name(&mut cleanup, "forge");
        let mut argv = vec!["create", image.as_str(), "--name", &name, "--"];
        argv.extend(form.iter().copied());
        let out = ds01(&argv).run();
        assert_eq!(out.code, 2, "{form:?}: {}", out.stderr);
        out.fails_with("are written only by ds01-build create itself");
        assert_nothing_created(&name);
    }
    // A passthrough --name is refused too.
    let name = guarded_name(&mut cleanup, "forge");
    let out = ds01(&["create", &image, "--name", &name, "--", "--name", &name]).run();
    out.fails_with("sets the container name");
    assert_nothing_created(&name);
}

/// Run the binary as `nobody` (when we are root; otherwise we already are not root) with only `env`
/// added to the environment (no inherited `SUDO_USER` or `DS01_CONTEXT`).
fn run_as_non_root(args: &[&str], env: &[(&str, &str)]) -> Out {
    let bin = env!("CARGO_BIN_EXE_ds01-build");
    let mut cmd = if nix::unistd::geteuid().is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        cmd
    } else {
        Command::new(bin)
    };
    cmd.args(args)
        .env("DS01_BUILD_ENGINE", engine_program())
        .env_remove("SUDO_USER")
        .env_remove("DS01_CONTEXT")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run setpriv (util-linux)")
        .into()
}

/// Ownership evidence in other namespaces: a non-root caller cannot name another user's home in
/// `devcontainer.local_folder` / `com.docker.compose.project.working_dir` (inline or in a
/// `--label-file`); their own home passes the check (and reaches the engine).
#[test]
fn foreign_home_labels_from_a_non_root_user_are_refused() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-home", "");
    let name = guarded_name(&mut cleanup, "home");
    cleanup.container(format!("{name}._.65534"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("labels");
    std::fs::write(
        &file,
        "com.docker.compose.project.working_dir=/home/root/compose\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = file.display().to_string();
    for (passthrough, needle) in [
        (
            vec!["--label", "devcontainer.local_folder=/home/root/proj"],
            "passthrough argument \"--label devcontainer.local_folder=/home/root/proj\" names \"root\"'s home as devcontainer.local_folder, which DS01 readers take as the owner: as nobody use a path under your own home /home/nobody/",
        ),
        (
            vec!["--label-file", &file],
            ":1 names \"root\"'s home as com.docker.compose.project.working_dir",
        ),
    ] {
        let mut args = vec!["create", "--name", &name, "--"];
        args.extend(passthrough);
        args.push(&image);
        let out = run_as_non_root(&args, &[]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        out.fails_with(needle);
        assert_nothing_created(&name);
    }
    // Their own home is not refused: the call reaches the engine (which nobody may not use here).
    let out = run_as_non_root(
        &[
            "create",
            "--name",
            &name,
            "--",
            "-l",
            "devcontainer.local_folder=/home/nobody/p",
            &image,
        ],
        &[],
    );
    assert!(!out.stderr.contains("home as"), "{}", out.stderr);
}

#[test]
fn owner_from_a_non_root_user_is_refused_before_any_engine_call() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-owner", "");
    let name = guarded_name(&mut cleanup, "owner");
    // SUDO_USER from a non-root process is not trusted either.
    let out = run_as_non_root(
        &["create", &image, "--name", &name, "--owner", "root"],
        &[("SUDO_USER", "root")],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    out.fails_with(
        "--owner \"root\": only root and the admins named in /etc/ds01-build/config.toml",
    );
    assert_nothing_created(&name);
    for uid in ["0", "65534"] {
        assert!(!container_exists(&format!("{name}._.{uid}")));
    }
}

#[test]
fn owner_from_root_records_that_user() {
    require_engine!();
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-asroot", "");
    let name = unique("owner");
    let full = format!("{name}._.65534");
    cleanup.container(&full);
    ds01(&["create", &image, "--name", &name, "--owner", "nobody"])
        .run()
        .success();
    let labels = inspect_labels(&full);
    assert_eq!(labels["ds01.user"], "nobody");
    assert_eq!(labels["ds01.user_id"], "65534");
}

#[test]
fn a_name_collision_leaves_the_first_container_intact() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "create-dup", "");
    let name = unique("dup");
    let full = format!("{name}._.{}", me().uid);
    cleanup.container(&full);
    ds01(&["create", &image, "--name", &name, "--project", "first"])
        .run()
        .success();
    let before = engine(&["inspect", "--format", "{{.Id}}", &full]).stdout;
    let labels_before = inspect_labels(&full);

    let out = ds01(&["create", &image, "--name", &name, "--project", "second"]).run();
    // The engine's own exit code for the conflict passes through.
    let direct = engine(&["create", "--name", &full, &image]);
    assert_ne!(direct.code, 0);
    assert_eq!(out.code, direct.code, "{}", out.stderr);
    out.fails_with(&format!(
        "a container named \"{full}\" already exists and was left untouched"
    ));
    assert_eq!(
        engine(&["inspect", "--format", "{{.Id}}", &full]).stdout,
        before
    );
    assert_eq!(inspect_labels(&full), labels_before);
    assert_eq!(labels_before["ds01.project"], "first");
}

#[test]
fn control_good_input_does_reach_the_engine() {
    // The control for the refusals below: good input with the same fake engine does call it.
    let fake = FakeEngine::new();
    let out = fake.run(ds01(&["create", "img", "--name", "n1"]));
    assert!(fake.called(), "{}", out.stderr);
    // The first call reads the image's labels (item 4 of issue 8).
    assert!(
        fake.calls().starts_with("image inspect -- img"),
        "{}",
        fake.calls()
    );
}

#[test]
fn bad_input_is_refused_with_exit_2_before_any_engine_call() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--gpus", "two"],
            "--gpus \"two\" is not valid for ds01.gpus",
        ),
        (&["--gpus=-1"], "--gpus \"-1\""),
        (&["--gpu-uuids", "GPU-a,,GPU-b"], "--gpu-uuids"),
        (&["--gpu-slots", "0:0,1"], "--gpu-slots"),
        (&["--gpu-slots", "a:b"], "--gpu-slots"),
        (&["--work-mount", "relative/w"], "expected an absolute path"),
        (&["--data-mount", "./d"], "--data-mount"),
        (&["--models-mount", "m"], "--models-mount"),
        // Issue 8's list: a bad slot id, an allocated list that is not slot ids, an owner-bearing
        // and an unknown --set key, someone else's home, a command given twice.
        (
            &["--gpu-slots", "1.0,GPU-a"],
            "--gpu-slots \"1.0,GPU-a\" is not valid for ds01.gpu.slots",
        ),
        (
            &[
                "--gpu-slots",
                "1.2",
                "--set",
                "ds01.gpu.allocated=2026-07-22T12:00:00Z",
            ],
            "--set \"2026-07-22T12:00:00Z\" is not valid for ds01.gpu.allocated: expected a comma list of DS01 slot ids",
        ),
        (
            &["--gpu-slots", "1.2", "--set", "ds01.gpu.allocated=1.2"],
            "--set ds01.gpu.allocated: is a compatibility copy of ds01.gpu.slots",
        ),
        (
            &["--set", "ds01.user=x"],
            "--set ds01.user: is owner-bearing",
        ),
        (
            &["--set", "ds01.frobnicate=1"],
            "--set ds01.frobnicate: is not a key of the ds01.* schema; --set takes one of: ",
        ),
        (
            &["--", "-it", "img", "bash", "-c", "bash"],
            "would be a second IMAGE",
        ),
        (&["--", "sh"], "would be a second IMAGE"),
    ];
    for (extra, needle) in cases {
        let mut argv = vec!["create", "img", "--name", "n1"];
        argv.extend_from_slice(extra);
        refused_before_engine(ds01(&argv), needle);
    }
    // No image at all.
    refused_before_engine(
        ds01(&["create", "--name", "n1", "--", "-it"]),
        "no IMAGE: write ds01-build create",
    );
    for (name, needle) in [
        ("", "--name is empty"),
        ("a b", "AIME name rule"),
        ("x;touch /tmp/pwned", "AIME name rule"),
        ("a#1", "Docker's name rule"),
        ("-lead", "Docker's name rule"),
    ] {
        refused_before_engine(ds01(&["create", "img", &format!("--name={name}")]), needle);
    }
    refused_before_engine(
        ds01(&["create", "img", "--name", "n1"]).env("DS01_CONTEXT", "bogus"),
        "DS01_CONTEXT=\"bogus\" is not a ds01.interface value",
    );
    // A usage error: clap's several-line message.
    let fake = FakeEngine::new();
    let out = fake.run(ds01(&[
        "create",
        "img",
        "--name",
        "n1",
        "--interface",
        "bogus",
    ]));
    assert_eq!(out.code, 2);
    out.stderr_has("possible values");
    assert!(!fake.called(), "{}", fake.calls());
}

#[test]
fn a_missing_image_passes_the_engine_error_and_code_through() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let name = guarded_name(&mut cleanup, "noimg");
    let image = unique("no-such-image");
    // create reads the image's labels first (item 4 of issue 8): the engine's answer to that.
    let out = ds01(&["create", &image, "--name", &name, "--", "--pull=never"]).run();
    let direct = engine(&["image", "inspect", &image]);
    assert_ne!(direct.code, 0);
    assert_eq!(out.code, direct.code, "{}", out.stderr);
    // docker: "No such image: NAME"; podman: "NAME: image not known".
    out.fails_with(&image);
    out.stderr_has("create reads image");
    assert_nothing_created(&name);
}

#[test]
fn creates_from_the_bundled_example_image() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    // The example's context as it is (FROM scratch, one file, no CMD: the entrypoint is passed through).
    let image = engine_build(
        &mut cleanup,
        &crate::support::root().join("examples/hello"),
        "create-hello",
        &[],
    );
    let name = guarded_name(&mut cleanup, "hello");
    let out = ds01(&[
        "create",
        &image,
        "--name",
        &name,
        "--format",
        "json",
        "--",
        "--entrypoint",
        "/hello.txt",
        "--network=none",
    ])
    .run();
    out.success();
    let json = out.json();
    let full = json["name"].as_str().unwrap();
    // Container labels = the image's, overlaid by the ones create reports.
    let mut expected = inspect_labels(&image);
    let ours: std::collections::BTreeMap<String, String> =
        serde_json::from_value(json["labels"].clone()).unwrap();
    expected.extend(ours);
    assert_eq!(inspect_labels(full), expected);
    // docker prints a JSON list, podman a string.
    let entrypoint = engine(&["inspect", "--format", "{{json .Config.Entrypoint}}", full]);
    assert!(
        matches!(
            entrypoint.stdout.trim(),
            r#"["/hello.txt"]"# | r#""/hello.txt""#
        ),
        "{}",
        entrypoint.stdout
    );
}

/// The passthrough scanner's option table knows every option of `docker create --help` of both
/// docker CLIs here (20.10 and 28), with the same short letter and whether it takes a value: so a
/// value is never taken for the image.
#[test]
fn option_table_covers_both_docker_clis() {
    require_engine!();
    use ds01_build::create_options::CREATE_OPTIONS;
    let mut checked = 0;
    for cli in ["/usr/bin/docker", "/usr/local/bin/docker"] {
        if !std::path::Path::new(cli).exists() {
            assert!(crate::support::skip_mode(), "{cli} missing");
            continue;
        }
        let out = Command::new(cli)
            .args(["create", "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for line in help
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
        {
            let mut words = line.split_whitespace();
            let first = words.next().unwrap();
            let (short, long) = match first.strip_suffix(',') {
                Some(s) => (s.chars().nth(1), words.next().unwrap()),
                None => (None, first),
            };
            let long = long.trim_start_matches("--");
            // A value-taking option shows its value type next, in lower case (`--cpus decimal`,
            // `--gpus gpu-request`); the description starts upper case.
            let takes_value = words
                .next()
                .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_lowercase()));
            let opt = CREATE_OPTIONS
                .long(long)
                .unwrap_or_else(|| panic!("{cli}: --{long} not in the table"));
            assert_eq!(opt.takes_value, takes_value, "{cli}: --{long}");
            if let Some(short) = short {
                assert_eq!(opt.short, Some(short), "{cli}: --{long}");
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
}

/// Whether `create` takes the Engine API path here (docker itself with reads on the API; see
/// `ds01_build::create_api`), else the CLI's.
pub fn api_creates() -> bool {
    engine_program() == "docker" && std::env::var("DS01_BUILD_API").as_deref() != Ok("off")
}

/// A container's `Config` and `HostConfig` as the engine stored them, minus what differs between
/// two creates of the same argv: the ID-derived hostname, the name and time labels, the order of
/// `Binds` and `Env` (the docker CLI collects `-v` and `-e` in maps).
pub fn stored(name: &str) -> serde_json::Value {
    let out = engine(&["inspect", "--format", "{{json .}}", name]);
    out.success();
    let mut c: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let id = c["Id"].as_str().unwrap().to_string();
    let config = c["Config"].as_object_mut().unwrap();
    if config["Hostname"].as_str() == Some(&id[..12]) {
        config.remove("Hostname");
    }
    let labels = config["Labels"].as_object_mut().unwrap();
    for key in ["ds01.name", "ds01.container_name", "ds01.created_at"] {
        labels.remove(key);
    }
    if let Some(env) = c["Config"]["Env"].as_array_mut() {
        env.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    if let Some(binds) = c["HostConfig"]["Binds"].as_array_mut() {
        binds.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    serde_json::json!({
        "Config": c["Config"],
        "HostConfig": c["HostConfig"],
        "Networks": c["NetworkSettings"]["Networks"].as_object().map(|n| n.keys().cloned().collect::<Vec<_>>()),
    })
}

/// Each translated option, in the value forms the translation covers, makes through the API the
/// container plain `docker create` makes from the same argv (the dry run's); options without a
/// translation take the CLI path and still make it.
#[test]
fn the_api_path_creates_what_plain_docker_create_does() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let image = busybox_image(&mut cleanup, "apicreate", "");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().display().to_string();
    let cases: Vec<(Vec<String>, Vec<&str>, bool)> = vec![
        (vec![], vec![], true),
        (
            [
                "--network",
                "none",
                "-it",
                "-e",
                "A=b",
                "-e",
                "C=",
                "-w",
                "/w",
                "--user",
                "1:2",
                "--hostname",
                "h1",
            ]
            .map(String::from)
            .to_vec(),
            vec!["sh", "-c", "echo \"$HOME\" `id`; exit 3"],
            true,
        ),
        (
            vec![
                "-v".into(),
                format!("{src}:/mnt/a:ro"),
                "-v".into(),
                format!("{src}:/mnt/b"),
                "--volume".into(),
                format!("{src}:/mnt/c:rw,z"),
                "--device".into(),
                "/dev/null:/dev/n:r".into(),
                "--device".into(),
                "/dev/zero".into(),
                "--cap-add".into(),
                "sys_ptrace".into(),
                "--cap-add".into(),
                "CAP_NET_ADMIN".into(),
                "--cap-drop".into(),
                "mknod".into(),
                "--network".into(),
                "host".into(),
            ],
            vec![],
            true,
        ),
        (
            [
                "--security-opt",
                "no-new-privileges",
                "--security-opt",
                "seccomp=unconfined",
                "--security-opt",
                "apparmor=unconfined",
                "--shm-size",
                "64m",
                "--ipc",
                "private",
                "--ulimit",
                "nofile=1024:2048",
                "--ulimit",
                "core=0",
                "--ulimit",
                "memlock=-1",
                "--group-add",
                "1234",
                "--group-add",
                "video",
                "--privileged=false",
                "--read-only",
                "--tty=false",
                "--interactive=true",
            ]
            .map(String::from)
            .to_vec(),
            vec![],
            true,
        ),
        (
            [
                "--gpus",
                "all",
                "--gpus",
                "2",
                "--gpus",
                "device=MIG-4f5e6d7c",
                "--runtime",
                "runc",
                "--cgroup-parent",
                "ds01-x.slice",
                "--label",
                "other=1",
                "--label",
                "flag",
                "--net=none",
                "--shm-size=1GiB",
            ]
            .map(String::from)
            .to_vec(),
            vec!["/bin/sh"],
            true,
        ),
        // No translation: the CLI path.
        (
            ["--memory", "64m", "-e", "HOME", "--network", "none"]
                .map(String::from)
                .to_vec(),
            vec![],
            false,
        ),
    ];
    for (i, (options, cmd, translated)) in cases.iter().enumerate() {
        let name = unique(&format!("api{i}"));
        let plain_name = format!("{name}-plain");
        cleanup.container(&name);
        cleanup.container(&plain_name);
        let mut args = vec![
            "create",
            "--name",
            &name,
            "--exact-name",
            "--format",
            "json",
            "--",
        ];
        args.extend(options.iter().map(String::as_str));
        args.push(&image);
        args.extend(cmd.iter().copied());
        let mut dry = args.clone();
        dry.insert(1, "--dry-run");
        let argv: Vec<String> =
            serde_json::from_value(ds01(&dry).run().json()["argv"].clone()).unwrap();
        let out = ds01(&args).run();
        out.success();
        let via = if *translated && api_creates() {
            "api"
        } else {
            "cli"
        };
        assert_eq!(out.json()["via"], via, "case {i}: {options:?}");
        let plain: Vec<String> = argv[1..]
            .iter()
            .map(|a| {
                if *a == name {
                    plain_name.clone()
                } else {
                    a.clone()
                }
            })
            .collect();
        let plain: Vec<&str> = plain.iter().map(String::as_str).collect();
        engine(&plain).success();
        assert_eq!(stored(&name), stored(&plain_name), "case {i}: {options:?}");
    }
}
