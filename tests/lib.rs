//! Integration tests, compiled as one binary. Engine tests talk to a real engine (docker by default,
//! `DS01_BUILD_ENGINE` to choose); with `DS01_BUILD_E2E=require` a missing engine fails them.

mod support;

mod build;
mod cli;
mod create;
mod containers;
mod profile;
mod schema;
mod lineage;
mod lint;
