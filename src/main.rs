//! ds01-build: stamps container images and containers with namespaced labels, and reads them back.
//!
//! `main` only parses flags, calls [`commands::run`], and turns the outcome into an exit code:
//! the command's own code, an engine's exit code passed through, or 2 for bad input.

use std::process::ExitCode;

use clap::{CommandFactory, Parser as _};
use ds01_build::{cli, commands};

fn main() -> ExitCode {
    // A shell asking for completions (COMPLETE=bash|zsh|fish set by the script `completions`
    // prints) gets them and the process exits here; otherwise this only reads one variable.
    // Completion lists profile directories, so a set-id or sudo invocation never completes.
    if std::env::var_os("COMPLETE").is_some()
        && ds01_build::identity::privilege().is_ok_and(|p| !p.elevated())
    {
        clap_complete::CompleteEnv::with_factory(cli::Cli::command).complete();
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version: printed on stdout, exit 0.
        Err(e) if !e.use_stderr() => e.exit(),
        // A usage error is bad input like any other: one line, exit 2.
        Err(e) => {
            ds01_build::say!(
                "ds01-build: error: {}",
                cli::usage_error_line(&e.render().to_string())
            );
            return ExitCode::from(2);
        }
    };
    match commands::run(cli) {
        Ok(code) => exit_code(code),
        Err(err) if commands::is_stdout_closed(&err) => ExitCode::SUCCESS,
        Err(err) => {
            ds01_build::say!(
                "ds01-build: error: {}",
                ds01_build::output::escape_message(&format!("{err:#}"))
            );
            exit_code(commands::error_exit_code(&err))
        }
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
