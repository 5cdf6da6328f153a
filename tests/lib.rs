//! Integration tests, compiled as one binary. Engine tests talk to a real engine (docker by default,
//! `DS01_BUILD_ENGINE` to choose) and podman; a missing engine ends the run with one message, unless
//! `DS01_BUILD_E2E=skip`, and then the run reports how many engine tests were skipped.

#![allow(clippy::print_stderr)] // a test says why it skips

mod deployment;
mod hostile_output;
mod support;

mod bad_input;
mod build;
mod builders;
mod cli;
mod containers;
mod create;
mod ds01_contract;
mod faults;
mod lineage;
mod lint;
mod podman_api;
mod privileged;
mod profile;
mod reach;
mod read_only;
mod readme;
mod remote;
mod schema;
mod signals;
