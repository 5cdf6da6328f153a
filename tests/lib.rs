//! Integration tests, compiled as one binary. Engine tests talk to a real engine (docker by default,
//! `DS01_BUILD_ENGINE` to choose); with `DS01_BUILD_E2E=require` a missing engine fails them.

mod deployment;
mod support;

mod build;
mod cli;
mod containers;
mod create;
mod ds01_contract;
mod lineage;
mod lint;
mod privileged;
mod profile;
mod schema;
mod signals;
