//! README.md cannot drift: every ```console block in it is run (trycmd: `$ ` lines are commands,
//! `? N` the expected exit code, the lines after them the expected stdout and stderr, with `[..]`
//! for any text within a line and `...` for any lines) and compared; blocks of other languages are
//! not run. Commands run from the project root with this build's `ds01-build`, no profile
//! directory in the environment and an empty user config directory. Profile snippets quoted from
//! shipped files must be those files.

use crate::support::root;

#[test]
fn console_examples_in_readme_run_as_shown() {
    let config = tempfile::tempdir().unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("```console\n$ "),
        "README has no console examples left to run"
    );
    trycmd::TestCases::new()
        .register_bin(
            "ds01-build",
            std::path::Path::new(env!("CARGO_BIN_EXE_ds01-build")),
        )
        .env("XDG_CONFIG_HOME", config.path().display().to_string())
        .env("DS01_BUILD_PROFILES", "")
        .case(root().join("README.md"))
        .run();
}

/// A TOML block whose first line is a shipped profile's first line quotes that whole file.
#[test]
fn quoted_profiles_are_the_shipped_files() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut quoted = 0;
    for block in readme.split("```toml\n").skip(1) {
        let body = &block[..block.find("```\n").expect("closed block")];
        for entry in std::fs::read_dir(root().join("profiles")).unwrap() {
            let file = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            if file.lines().next() == body.lines().next() {
                assert_eq!(
                    body, file,
                    "README quotes a profile that differs from the file"
                );
                quoted += 1;
            }
        }
    }
    assert!(quoted >= 1, "README quotes no shipped profile");
}
