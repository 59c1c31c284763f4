//! phoenix-bench: kill a service under load, let a fresh one rise from the same image, and
//! measure what was lost — time to healthy, lost requests, latency during recovery — then
//! certify it (level and score) with reports full of plots.
//!
//! # Layout
//!
//! The pipeline flows one way: scenario → plan → execute → record → analyse → certify →
//! render.
//!
//! - [`scenario`]: the scenario file (`file.rs`), a docker-compose file it may take the stack
//!   from (`compose/`), its validation into a [`scenario::Scenario`]
//!   and the [`scenario::plan::Plan`], the one timeline that runs.
//! - [`backend`]: the `Backend` trait, its Docker implementation (testcontainers +
//!   bollard) and its process implementation (local programs, real signals); labels and
//!   cleanup. [`deployment`] maps a scenario to the backend's terms; [`bootstrap`] is the
//!   one setup of a run (run id, backend, environment, images, signals) that `phoenix run`
//!   and the recovery bench share.
//! - [`load`]: the load engine — lanes of pacer and connection-owning workers, recorder;
//!   [`load_cli`]: `phoenix load`.
//! - [`probe`]: health probing on its own loop.
//! - [`fault`]: applying a fault and playing the orchestrator.
//! - [`execute`]: the only module that drives Docker and the network; [`audit`]: its
//!   statelessness-audit side (old-versus-fresh samples, boot reads); [`read_only`]: its
//!   read-only trial after the load.
//! - [`record`]: the RunRecord, everything measured; the request log in bounded form.
//! - [`analysis`]: pure figures from a record.
//! - [`certify`]: the level and score, one formula.
//! - [`report`] and [`plot`]: renderers, pure; [`output`] writes them atomically.
//! - [`commands`]: what each CLI command does ([`zero_config`]: `certify` and `init`, the
//!   built-in default scenario); [`cli`]: its arguments; [`exit`]: the exit
//!   statuses every command returns; [`doctor`]: the first-run check of a machine.
//!
//! Shared vocabulary lives in the lowest module that needs it, so no two modules import
//! each other: the certification [`scenario::Level`] with the scenario (its `require`), the
//! failures kept per check ([`record::MAX_FAILURES`]) with the record, the exit statuses in
//! [`exit`] rather than in the dispatcher.

pub mod analysis;
pub mod backend;
pub mod certify;
pub mod cli;
pub mod clock;
pub mod execute;
pub mod files;
pub mod load;
pub mod probe;
pub mod record;
pub mod report;
pub mod scenario;
