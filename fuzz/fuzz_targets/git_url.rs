//! Git remote URL normalisation: never panics, idempotent, and keeps no credentials (the output's
//! authority, between `://` and the next `/`, holds no `user[:password]@`).
#![no_main]
use ds01_build::git::normalize_remote_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let once = normalize_remote_url(data);
    let twice = normalize_remote_url(&once);
    assert_eq!(once, twice, "not idempotent for {data:?}");
    if let Some((_, rest)) = once.split_once("://") {
        let authority = rest.split('/').next().unwrap_or("");
        assert!(
            !authority.contains('@'),
            "credentials kept: {data:?} -> {once:?}"
        );
    }
});
