//! `inspect` JSON parsing (and the image digest read from it): never panics; labels written by an
//! engine come back exactly.
#![no_main]
use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use ds01_build::inspect::{image_digest, parse_inspect};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    raw: String,
    reference: String,
    name: String,
    labels: BTreeMap<String, String>,
    podman_image: bool,
}

fuzz_target!(|input: Input| {
    if let Ok(objects) = parse_inspect(&input.raw) {
        for o in &objects {
            let _ = o.is_container();
        }
    }
    if let Ok(serde_json::Value::Array(values)) = serde_json::from_str(&input.raw) {
        for v in &values {
            let _ = image_digest(v, &input.reference);
        }
    }
    // An object as the engine writes it.
    let object = if input.podman_image {
        serde_json::json!({"Id": input.name, "Labels": input.labels, "Config": {}})
    } else {
        serde_json::json!({"Id": "x", "Name": format!("/{}", input.name),
            "State": {"Status": "created"}, "Config": {"Labels": input.labels, "Image": "i"}})
    };
    let text = serde_json::to_string(&[object]).unwrap();
    let objects = parse_inspect(&text).expect("engine-written inspect parses");
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].labels, input.labels);
    if !input.podman_image {
        assert_eq!(objects[0].name, input.name.trim_start_matches('/'));
    }
});
