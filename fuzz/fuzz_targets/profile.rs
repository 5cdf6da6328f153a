//! Profile loading from TOML text, through the real `load` (a profile and the one it may extend or
//! take as base, in a temporary directory): never panics; every error is one line.
//! Inputs naming `/dev`, `/proc` or `/sys` are skipped: reading a device is not what this tests.
#![no_main]
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use ds01_build::profile::load;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    /// `profiles/p.toml`, the profile loaded.
    p: String,
    /// `profiles/q.toml`, for `extends = "q"` / `base-profile = "q"`.
    q: String,
}

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        // In memory where there is a tmpfs: two small writes per input.
        let d = tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .unwrap();
        std::fs::create_dir(d.path().join("profiles")).unwrap();
        d
    })
}

fuzz_target!(|input: Input| {
    if [&input.p, &input.q]
        .iter()
        .any(|t| t.contains("/dev") || t.contains("/proc") || t.contains("/sys"))
    {
        return;
    }
    let d = dir().path();
    std::fs::write(d.join("profiles/p.toml"), &input.p).unwrap();
    std::fs::write(d.join("profiles/q.toml"), &input.q).unwrap();
    match load("p", d) {
        Ok(profile) => assert!(!profile.image.is_empty()),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "not one line: {text}");
        }
    }
});
