//! TAG parsing: never panics; an accepted TAG is the trimmed input, split at its first `-`, and
//! a valid docker tag; every error is one line.
#![no_main]
use ds01_build::tag::{Tag, MAX_TAG_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    match Tag::parse(data) {
        Ok(tag) => {
            assert_eq!(tag.full, data.trim());
            assert_eq!(format!("{}-{}", tag.content, tag.source), tag.full);
            assert!(!tag.content.contains('-'));
            assert!(!tag.content.is_empty() && !tag.source.is_empty());
            assert!(tag.full.len() <= MAX_TAG_LEN);
            assert!(tag
                .full
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)));
            assert!(!tag.full.starts_with(['.', '-']));
            assert_eq!(Tag::parse(&tag.full).as_ref(), Ok(&tag));
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
    }
});
