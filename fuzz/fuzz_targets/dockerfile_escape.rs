//! Dockerfile value escaping, as the build path appends labels: a user's Dockerfile the build plan
//! accepts (directives read, no trailing continuation), then the LABEL tail for writable keys and
//! any values. Read back with the project's own Dockerfile reader, the last instruction is that
//! LABEL and gives every key and value exactly (a value carried by a build argument, `${NAME}`,
//! resolves to the input through the build arguments).
#![no_main]
use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use ds01_build::dockerfile::{directives, instructions, label_tail, trailing_continuation};
use ds01_build::labels::check_writable_key;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    dockerfile: String,
    backtick: bool,
    labels: BTreeMap<String, String>,
}

fuzz_target!(|input: Input| {
    let mut text = String::new();
    if input.backtick {
        text.push_str("# escape=`\n");
    }
    text.push_str(&input.dockerfile);
    let Ok(escape) = directives(&text) else {
        return;
    };
    if trailing_continuation(&text, escape).is_some() {
        return; // the build plan refuses it
    }
    let labels: BTreeMap<String, String> = input
        .labels
        .into_iter()
        .filter(|(k, _)| check_writable_key(k).is_ok())
        .collect();
    if labels.is_empty() {
        return;
    }
    let tail = label_tail(&labels, escape);
    // As build_plan::plan appends it.
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&tail.text);
    assert_eq!(
        directives(&text),
        Ok(escape),
        "the tail changed the directives"
    );
    let read = instructions(&text, escape);
    let last = read.last().expect("the tail is an instruction");
    assert!(last.is("LABEL"), "the tail was swallowed: {last:?}");
    let args: BTreeMap<&str, &str> = tail
        .build_args
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut got = BTreeMap::new();
    for pair in last.labels(escape) {
        let value = if pair.substituted {
            let name = pair
                .value
                .strip_prefix("${")
                .and_then(|v| v.strip_suffix('}'))
                .unwrap_or_else(|| panic!("substituted but not a build argument: {pair:?}"));
            args.get(name)
                .expect("the build argument is passed")
                .to_string()
        } else {
            pair.value
        };
        assert!(got.insert(pair.key, value).is_none(), "a key twice");
    }
    assert_eq!(got, labels);
});
