//! The integration tests on Docker Swarm, against the real engine: the backend contract on
//! the swarm backend and swarm scenarios end to end. A binary of its own: swarm mode is
//! the whole engine's state, entered and left by these tests, and their verdicts (a
//! platform replacement within its time-to-healthy target, no request lost behind HAProxy)
//! failed when other Docker tests ran beside them on the 2-core test host. Every test holds
//! `common::swarm`'s guard, so one runs at a time and swarm mode is left as found.
//! `cargo test --test swarm MODULE::` runs one module.

#[macro_use]
#[path = "../backend_contract/mod.rs"]
mod backend_contract;
#[path = "../common/mod.rs"]
mod common;

mod backend_contract_swarm;
mod swarm_scenarios;
