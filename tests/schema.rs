//! `ds01-build schema`: the committed docs/LABEL_SCHEMA.md is its output, and JSON is well-formed.

use crate::support::{ds01, root};

#[test]
fn committed_label_schema_doc_is_current() {
    let out = ds01(&["schema"]).run();
    out.success();
    let committed = std::fs::read_to_string(root().join("docs/LABEL_SCHEMA.md")).unwrap();
    assert!(
        committed == out.stdout,
        "docs/LABEL_SCHEMA.md is stale: regenerate it with \
         `cargo run --quiet -- schema > docs/LABEL_SCHEMA.md`"
    );
    // Same text with the explicit format flag.
    assert_eq!(
        ds01(&["schema", "--format", "markdown"]).run().stdout,
        committed
    );
}

#[test]
fn json_lists_every_key_with_its_type() {
    let out = ds01(&["schema", "--format", "json"]).run();
    out.success();
    let json = out.json();
    assert_eq!(json["namespace"], "ds01.");
    assert_eq!(json["legacy_namespace"], "aime.mlc");
    let keys = json["keys"].as_array().unwrap();
    let find = |k: &str| keys.iter().find(|s| s["key"] == k).unwrap().clone();
    assert_eq!(find("ds01.gpu.slots")["type"], "slot_list");
    assert_eq!(find("ds01.gpu.uuid")["compat_of"], "ds01.gpu.uuids");
    assert_eq!(find("ds01.gpu_slot")["replaced_by"], "ds01.gpu.uuids");
    assert_eq!(find("ds01.user")["owner_bearing"], true);
    assert_eq!(find("ds01.protected")["scope"], "container");
    assert_eq!(
        find("ds01.created_at")["legacy"][0],
        "aime.mlc.DS01_CREATED"
    );
    assert!(find("ds01.interface")["values"]
        .as_array()
        .unwrap()
        .contains(&"vscode".into()));
}

#[test]
fn unknown_format_is_a_usage_error() {
    let out = ds01(&["schema", "--format", "html"]).run();
    assert_eq!(out.code, 2);
    out.stderr_has("markdown");
}
