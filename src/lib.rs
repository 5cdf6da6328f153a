//! ds01-build as a library: profile → labels → argv computation, the engine layer, and the readers.
//!
//! The binary (`src/main.rs`) is a thin shell over [`commands::run`].

pub mod build_plan;
pub mod caller_file;
pub mod ci;
pub mod cli;
pub mod commands;
pub mod config;
pub mod container_schema;
pub mod containers;
pub mod create;
pub mod create_api;
pub mod create_options;
pub mod docker_options;
pub mod dockerfile;
pub mod engine;
pub mod engine_client;
pub mod git;
pub mod history;
pub mod identity;
pub mod image_schema;
pub mod inspect;
pub mod labels;
pub mod lineage;
pub mod lint;
pub mod messages;
pub mod operand;
pub mod output;
pub mod ownership;
pub mod passthrough_files;
pub mod policy;
pub mod profile;
pub mod profile_lookup;
pub mod queries;
pub mod reference;
pub mod tag;
pub mod template;
pub mod timestamp;
