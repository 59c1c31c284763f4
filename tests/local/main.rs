//! The integration tests that need no Docker engine, one module per subject, in one test
//! binary: the process backend (its contract, `phoenix clean`), the load engine's request
//! bodies, bad and hostile scenario and compose files and run folders, the parsers' property
//! tests, and where phoenix writes (hostile run, reports and `--out` folders). They pass with
//! the engine stopped. Tests that must not overlap share their module's lock (`ONE`).
//! Tests whose assertions are in milliseconds and need a quiet machine are in binaries of
//! their own: the whole pipeline on the process backend (tests/process_pipeline.rs) and
//! the load engine (tests/load_engine.rs). `cargo test --test local MODULE::` runs one
//! module.

#[macro_use]
#[path = "../backend_contract/mod.rs"]
mod backend_contract;
#[path = "../common/mod.rs"]
mod common;

mod backend_contract_fake;
mod backend_contract_process;
mod bad_input;
mod cli_props;
mod compose_input;
mod doc_links;
mod host_commands;
mod hostile_scenarios;
mod layout;
mod load_bodies;
mod parser_props;
mod process_cleanup;
mod run_folders;
mod scenario_fuzz;
mod writes;
