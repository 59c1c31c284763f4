//! The integration tests that need the real Docker engine, one module per subject, in one
//! test binary: the library is linked once, and cargo's test threads let two modules'
//! tests overlap while each mostly waits on its scenario's timers. Tests that must not
//! overlap share their module's lock (`DOCKER`, `ONE`). Swarm mode changes the whole
//! engine, so its tests are a binary of their own (tests/swarm/), and so are the tests
//! whose assertions need a quiet machine (tests/kill_restart.rs, tests/precision.rs,
//! tests/probing.rs) or which runs two scenarios at once itself
//! (tests/audit_antipatterns.rs): cargo runs test binaries one after another.
//! `cargo test --test docker MODULE::` runs one module.

#[macro_use]
#[path = "../backend_contract/mod.rs"]
mod backend_contract;
#[path = "../common/mod.rs"]
mod common;

mod backend_contract_docker;
mod browser;
mod burn;
mod certify_cli;
mod cleanup;
mod compose_certify;
mod compose_scenarios;
mod deadlines;
mod dependency;
mod doctor;
mod escaping;
mod fault_schedule;
mod faults;
mod layer_reads;
mod memory_growth;
mod read_only_trial;
mod statelessness;
mod trials;
