//! Sets `DS01_BUILD_VERSION` for `--version`: the package version and, when built from a git
//! checkout, the commit (`0.1.0 (abc123def456)`; `-dirty` is not tracked, it would rerun on every
//! edit). Outside a checkout (a source tarball) or without git it is the package version alone.
//! Reruns only when HEAD or the branch it points to moves.

#![allow(clippy::print_stdout)] // cargo reads a build script's stdout

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    match &commit {
        Some(c) => println!("cargo:rustc-env=DS01_BUILD_VERSION={version} ({c})"),
        None => println!("cargo:rustc-env=DS01_BUILD_VERSION={version}"),
    }
    // Watch only files that exist: a missing one would make cargo rerun this on every build.
    let mut watch: Vec<PathBuf> = Vec::new();
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        watch.push(head.into());
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
            watch.push(path.into());
        }
    }
    if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
        watch.push(packed.into());
    }
    let watched: Vec<&PathBuf> = watch.iter().filter(|p| p.exists()).collect();
    if watched.is_empty() {
        println!("cargo:rerun-if-changed=build.rs");
    }
    for path in watched {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
