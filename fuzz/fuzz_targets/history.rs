//! History row parsing (docker legacy, BuildKit and podman rows): never panics; every non-blank
//! line is one row, given back exactly; a row's summary is one line of at most 80 characters.
#![no_main]
use arbitrary::Arbitrary;
use ds01_build::history::{final_label_block, parse_history};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    /// `CreatedBy` texts, written as the engine prints them (one JSON string a line).
    rows: Vec<String>,
    /// Raw output, parsed as it is.
    raw: String,
    known: Vec<String>,
}

fn check(text: &str, known: &[String]) {
    let Ok(rows) = parse_history(text) else {
        return;
    };
    let _ = final_label_block(&rows);
    for row in &rows {
        let summary = row.summary();
        assert!(summary.chars().count() <= 80, "{summary:?}");
        assert!(!summary.contains(['\n', '\r']));
        if let Some(label) = row.label() {
            let _ = label.keys(|k| known.iter().any(|x| x == k));
        }
    }
}

fuzz_target!(|input: Input| {
    let text: String = input
        .rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    let rows = parse_history(&text).expect("engine-written rows parse");
    let got: Vec<&str> = rows.iter().map(|r| r.created_by.as_str()).collect();
    let want: Vec<&str> = input.rows.iter().map(String::as_str).collect();
    assert_eq!(got, want);
    check(&text, &input.known);
    check(&input.raw, &input.known);
});
