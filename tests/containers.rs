//! The container readers against a real engine: `owner`, `ps`, `audit`, `inspect` over containers made
//! with plain `docker create` carrying legacy labels, `ds01.*` labels, both, none, and the awkward
//! values DS01 has in the wild (empty, trailing newline, `<no value>`, bare `aime.mlc`, `NAME._.UID`).
//!
//! Other tests create containers at the same time, so assertions look only at this test's containers
//! (names starting with its unique prefix).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::require_engine;
use crate::support::{
    assert_every_container_read, busybox_image, ds01, engine, traced_calls, unique, via_api,
    Cleanup, FakeEngine,
};

/// `docker create --name NAME --label L... IMAGE`, registered for removal.
fn create(cleanup: &mut Cleanup, image: &str, name: &str, labels: &[&str]) {
    let mut args = vec!["create", "--network", "none", "--name", name];
    for l in labels {
        args.extend(["--label", l]);
    }
    args.push(image);
    cleanup.container(name);
    engine(&args).success();
}

/// The fixture containers: (suffix, labels).
const FIXTURE: &[(&str, &[&str])] = &[
    (
        "legacy",
        &[
            "aime.mlc=leg",
            "aime.mlc.USER=leg",
            "aime.mlc.DS01_MANAGED=true",
            "aime.mlc.FRAMEWORK=pytorch-2.0",
        ],
    ),
    (
        "ds01",
        &[
            "ds01.user=new",
            "ds01.managed=true",
            "ds01.interface=atomic",
        ],
    ),
    ("both", &["ds01.user=both", "aime.mlc.USER=other"]),
    ("none", &[]),
    ("empty", &["ds01.user=", "aime.mlc.USER=fallback"]),
    ("newline", &["ds01.user=nl\n"]),
    ("bare", &["aime.mlc=bareuser"]),
    ("novalue", &["ds01.user=<no value>", "aime.mlc.USER=nv"]),
    (
        "dep",
        &[
            "ds01.user=dep",
            "ds01.gpu.uuid=GPU-1",
            "ds01.gpu_slot=GPU-1",
        ],
    ),
    ("suffix._.0", &[]),
];

/// Expected (owner, source) per fixture container.
const OWNERS: &[(&str, Option<(&str, &str)>)] = &[
    ("legacy", Some(("leg", "aime.mlc.USER"))),
    ("ds01", Some(("new", "ds01.user"))),
    ("both", Some(("both", "ds01.user"))),
    ("none", None),
    ("empty", Some(("fallback", "aime.mlc.USER"))),
    ("newline", Some(("nl", "ds01.user"))),
    ("bare", Some(("bareuser", "aime.mlc"))),
    ("novalue", Some(("nv", "aime.mlc.USER"))),
    ("dep", Some(("dep", "ds01.user"))),
    ("suffix._.0", Some(("root", "name-suffix"))),
];

fn fixture(cleanup: &mut Cleanup, prefix: &str) {
    let img = busybox_image(cleanup, "ctr-img", "");
    for (suffix, labels) in FIXTURE {
        create(cleanup, &img, &format!("{prefix}-{suffix}"), labels);
    }
}

/// `ps`/`audit` JSON entries of this test's containers, by name without the prefix.
fn mine(list: &Value, prefix: &str) -> BTreeMap<String, Value> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .filter_map(|e| {
            let name = e["name"].as_str()?;
            let suffix = name.strip_prefix(prefix)?.strip_prefix('-')?;
            Some((suffix.to_string(), e.clone()))
        })
        .collect()
}

/// Names in a JSON list of names that belong to this test, without the prefix.
fn my_names(list: &Value, prefix: &str) -> BTreeSet<String> {
    list.as_array()
        .expect("a JSON array of names")
        .iter()
        .filter_map(|n| n.as_str()?.strip_prefix(prefix)?.strip_prefix('-'))
        .map(str::to_string)
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn owner_resolves_the_documented_chain_with_one_engine_call() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let prefix = unique("own");
    fixture(&mut cleanup, &prefix);

    let owned: Vec<String> = OWNERS
        .iter()
        .filter(|(_, o)| o.is_some())
        .map(|(s, _)| format!("{prefix}-{s}"))
        .collect();
    let args: Vec<&str> = ["-v", "owner"]
        .into_iter()
        .chain(owned.iter().map(String::as_str))
        .collect();
    let out = ds01(&args).run();
    out.success();
    let expected: String = OWNERS
        .iter()
        .filter_map(|(s, o)| o.map(|(user, src)| format!("{prefix}-{s}\t{user}\t{src}\n")))
        .collect();
    assert_eq!(out.stdout, expected);
    let calls = traced_calls(&out.stderr);
    if via_api(&out.stderr) {
        // One request per name, made at the same time.
        assert_eq!(calls.len(), owned.len(), "{}", out.stderr);
        for name in &owned {
            let request = format!("+ GET /containers/{name}/json (");
            assert!(
                calls.iter().any(|c| c.starts_with(&request)),
                "{}",
                out.stderr
            );
        }
    } else {
        assert_eq!(calls.len(), 1, "{}", out.stderr);
        assert!(
            calls[0].contains(" inspect --type container "),
            "{}",
            calls[0]
        );
    }

    // No owner, and a missing name: the others are still answered, exit 1, both named on stderr.
    let none = format!("{prefix}-none");
    let gone = format!("{prefix}-gone");
    let ds01_name = format!("{prefix}-ds01");
    let out = ds01(&["owner", &ds01_name, &gone, &none, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["missing"], serde_json::json!([gone]));
    let owners = json["owners"].as_array().unwrap();
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["container"], ds01_name.as_str());
    assert_eq!(owners[0]["owner"], "new");
    assert_eq!(owners[0]["source"], "ds01.user");
    assert_eq!(owners[1]["owner"], Value::Null);
    assert_eq!(owners[1]["source"], Value::Null);
    out.stderr_has(&format!("no such container: {gone}"));
    out.stderr_has(&format!("no owner for {none}"));

    // Bad input: exit 2 before any engine call.
    let out = ds01(&["-v", "owner", &ds01_name, ""]).run();
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("+ "), "{}", out.stderr);
}

#[test]
fn ps_lists_owner_managed_interface_and_namespace_in_two_engine_calls() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let prefix = unique("ps");
    fixture(&mut cleanup, &prefix);

    let out = ds01(&["-v", "ps", "--all-users", "--format", "json"]).run();
    out.success();
    assert_every_container_read(&out.stderr);
    let rows = mine(&out.json(), &prefix);
    assert_eq!(rows.len(), FIXTURE.len(), "{rows:?}");
    for (suffix, owner) in OWNERS {
        let row = &rows[*suffix];
        match owner {
            Some((user, source)) => {
                assert_eq!(row["owner"]["user"], *user, "{suffix}");
                assert_eq!(row["owner"]["source"], *source, "{suffix}");
            }
            None => assert_eq!(row["owner"], Value::Null, "{suffix}"),
        }
        assert_eq!(row["state"], "created", "{suffix}");
        assert!(
            row["created"].as_str().unwrap().starts_with("20"),
            "{suffix}"
        );
    }
    let field = |suffix: &str, key: &str| rows[suffix][key].clone();
    let namespaces: BTreeMap<&str, &str> = [
        ("legacy", "legacy"),
        ("ds01", "ds01"),
        ("both", "mixed"),
        ("none", "unmanaged"),
        ("empty", "mixed"),
        ("newline", "ds01"),
        ("bare", "legacy"),
        ("novalue", "mixed"),
        ("dep", "ds01"),
        ("suffix._.0", "unmanaged"),
    ]
    .into();
    for (suffix, ns) in &namespaces {
        assert_eq!(field(suffix, "namespace"), *ns, "{suffix}");
    }
    assert_eq!(field("ds01", "managed"), "ds01");
    assert_eq!(field("legacy", "managed"), "legacy");
    assert_eq!(field("both", "managed"), "no");
    assert_eq!(field("ds01", "interface"), "atomic");
    assert_eq!(field("legacy", "interface"), Value::Null);

    // --legacy: only containers still carrying aime.mlc* labels.
    let out = ds01(&["ps", "--all-users", "--legacy", "--format", "json"]).run();
    out.success();
    let legacy: BTreeSet<String> = mine(&out.json(), &prefix).into_keys().collect();
    assert_eq!(legacy, set(&["legacy", "both", "empty", "bare", "novalue"]));

    // --user: the resolved owner, whichever key gave it.
    let out = ds01(&["ps", "--user", "fallback", "--format", "json"]).run();
    out.success();
    let rows: BTreeSet<String> = mine(&out.json(), &prefix).into_keys().collect();
    assert_eq!(rows, set(&["empty"]));

    // Default: the invoking user's containers (the test's own user from passwd).
    let me = ds01_build::identity::invoking().unwrap().user;
    let out = ds01(&["ps", "--format", "json"]).run();
    out.success();
    let rows: BTreeSet<String> = mine(&out.json(), &prefix).into_keys().collect();
    let expected: BTreeSet<String> = OWNERS
        .iter()
        .filter(|(_, o)| o.is_some_and(|(user, _)| user == me))
        .map(|(s, _)| s.to_string())
        .collect();
    assert_eq!(rows, expected);

    // Table: a header and one row per container.
    let out = ds01(&["ps", "--user", "leg"]).run();
    out.success();
    assert!(out.stdout.starts_with("NAME "), "{}", out.stdout);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{prefix}-legacy ")))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cells[1..6],
        ["leg", "(aime.mlc.USER)", "legacy", "-", "legacy"],
        "{line}"
    );
}

#[test]
fn audit_reports_the_migration_and_its_filter_agrees_with_the_engine() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let prefix = unique("audit");
    fixture(&mut cleanup, &prefix);

    let out = ds01(&["-v", "audit", "--format", "json"]).run();
    out.success();
    assert_every_container_read(&out.stderr);
    let r = out.json();
    assert_eq!(
        my_names(&r["legacy_only"], &prefix),
        set(&["legacy", "bare"])
    );
    assert_eq!(
        my_names(&r["mixed"], &prefix),
        set(&["both", "empty", "novalue"])
    );
    assert_eq!(my_names(&r["no_owner"], &prefix), set(&["none"]));
    for ns in ["ds01", "legacy", "mixed", "unmanaged"] {
        assert!(r["namespaces"][ns].as_u64().unwrap() >= 2, "{ns}: {r}");
    }
    let deprecated = r["deprecated_keys"].as_array().unwrap();
    let compat = r["compat_keys"].as_array().unwrap();
    let uuid = compat.iter().find(|d| d["key"] == "ds01.gpu.uuid").unwrap();
    assert_eq!(uuid["replacement"], "ds01.gpu.uuids");
    assert_eq!(my_names(&uuid["containers"], &prefix), set(&["dep"]));
    let slot = deprecated
        .iter()
        .find(|d| d["key"] == "ds01.gpu_slot")
        .unwrap();
    assert_eq!(slot["replacement"], "ds01.gpu.uuids");
    assert_eq!(my_names(&slot["containers"], &prefix), set(&["dep"]));
    assert_eq!(r["fallback"]["removable"], false);

    // Each printed filter, run on the engine, lists the same containers the audit counted.
    for filter in r["fallback"]["filters"].as_array().unwrap() {
        let label = filter["label"].as_str().unwrap();
        assert!(filter["command"]
            .as_str()
            .unwrap()
            .ends_with(&format!("ps -a --filter label={label}")));
        let listed = engine(&[
            "ps",
            "-a",
            "--filter",
            &format!("label={label}"),
            "--format",
            "{{.Names}}",
        ]);
        listed.success();
        let from_engine: BTreeSet<String> = listed
            .stdout
            .lines()
            .filter_map(|n| n.strip_prefix(&prefix)?.strip_prefix('-'))
            .map(str::to_string)
            .collect();
        assert_eq!(
            my_names(&filter["containers"], &prefix),
            from_engine,
            "{label}"
        );
    }
    let by_label = |label: &str| {
        r["fallback"]["filters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["label"] == label)
            .map(|f| my_names(&f["containers"], &prefix))
            .unwrap()
    };
    assert_eq!(
        by_label("aime.mlc.USER"),
        set(&["legacy", "both", "empty", "novalue"])
    );
    assert_eq!(by_label("aime.mlc"), set(&["legacy", "bare"]));

    // Read-only: the labels are exactly as created.
    let labels = crate::support::inspect_labels(&format!("{prefix}-newline"));
    assert_eq!(labels["ds01.user"], "nl\n");

    let out = ds01(&["audit"]).run();
    out.success();
    out.stdout_has("legacy owner fallback: still needed");
    out.stdout_has("ps -a --filter label=aime.mlc.USER");
}

#[test]
fn inspect_shows_the_normalised_view_with_sources_for_containers_and_images() {
    require_engine!();
    let mut cleanup = Cleanup::default();
    let prefix = unique("insp");
    let img = busybox_image(
        &mut cleanup,
        "insp-img",
        "LABEL aime.mlc.FRAMEWORK=pytorch-2.0 aime.mlc.ARCH=CUDA aime.mlc.username=x\n",
    );
    let name = format!("{prefix}-c");
    create(
        &mut cleanup,
        &img,
        &name,
        &[
            "ds01.user=",
            "aime.mlc.USER=leg",
            "ds01.framework=tf-2",
            "ds01.gpu.uuid=GPU-1",
        ],
    );

    let out = ds01(&["inspect", &name, "--format", "json"]).run();
    out.success();
    let v = out.json();
    assert_eq!(v["kind"], "container");
    assert_eq!(v["name"], name.as_str());
    assert_eq!(v["namespace"], "mixed");
    let label = |k: &str| {
        (
            v["labels"][k]["value"].as_str().unwrap_or("?").to_string(),
            v["labels"][k]["source"].as_str().unwrap_or("?").to_string(),
        )
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(label("ds01.user"), pair("leg", "aime.mlc.USER"));
    // The container's own ds01.* key wins over the inherited legacy one.
    assert_eq!(label("ds01.framework"), pair("tf-2", "ds01.framework"));
    assert_eq!(label("ds01.arch"), pair("CUDA", "aime.mlc.ARCH"));
    assert_eq!(label("ds01.gpu.uuids"), pair("GPU-1", "ds01.gpu.uuid"));
    assert_eq!(v["unmapped"]["aime.mlc.username"], "x");

    // The image itself: only its legacy labels.
    let out = ds01(&["inspect", &img, "--format", "json"]).run();
    out.success();
    let v = out.json();
    assert_eq!(v["kind"], "image");
    assert_eq!(v["namespace"], "legacy");
    assert_eq!(
        v["labels"]["ds01.framework"]["source"],
        "aime.mlc.FRAMEWORK"
    );
    assert!(v["labels"].get("ds01.user").is_none(), "{v}");

    let out = ds01(&["inspect", &name]).run();
    out.success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("ds01.user "))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["ds01.user", "leg", "aime.mlc.USER"]
    );

    // A missing target: the engine's own exit code (docker 1, podman 125) passes through.
    let gone = format!("{prefix}-gone");
    let out = ds01(&["inspect", &gone]).run();
    let engine_code = engine(&["inspect", &gone]).code;
    assert_ne!(engine_code, 0);
    assert_eq!(out.code, engine_code, "{}", out.stderr);
    assert!(
        out.stderr.to_lowercase().contains("no such"),
        "{}",
        out.stderr
    );
}

/// With no containers at all, `ps` makes one engine call. A logging stand-in engine plays the empty
/// engine (a real one here always has other tests' containers).
#[test]
fn ps_with_no_containers_makes_one_call() {
    let fake = FakeEngine::new();
    let out = fake.run(ds01(&["ps", "--all-users", "--format", "json"]));
    out.success();
    assert_eq!(out.stdout.trim(), "[]");
    assert_eq!(fake.calls(), "ps -a -q --no-trunc\n");
}
