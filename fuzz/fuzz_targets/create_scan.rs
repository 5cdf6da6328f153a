//! The `docker create` option scanner: never panics; on success the options, a `--` ending them
//! and the operands are the input, the items' arguments are the options, no item sets the name,
//! and every `--label`/`-l` item is a label source.
#![no_main]
use ds01_build::create_options::{scan, LabelSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|args: Vec<String>| {
    let Ok(s) = scan(&args) else {
        return;
    };
    let dashdash = args.len() - s.options.len() - s.operands.len();
    assert!(dashdash <= 1);
    let mut back = s.options.clone();
    if dashdash == 1 {
        assert_eq!(args[s.options.len()], "--");
        back.push("--".into());
    }
    back.extend(s.operands.iter().cloned());
    assert_eq!(back, args);
    let from_items: Vec<String> = s.items.iter().flat_map(|i| i.args.clone()).collect();
    assert_eq!(from_items, s.options);
    assert!(s.items.iter().all(|i| i.long != "name"));
    let labels = s.items.iter().filter(|i| i.long == "label").count();
    let files = s.items.iter().filter(|i| i.long == "label-file").count();
    let inline = s
        .labels
        .iter()
        .filter(|l| matches!(l, LabelSource::Inline { .. }))
        .count();
    assert_eq!(inline, labels);
    assert_eq!(s.labels.len() - inline, files);
});
