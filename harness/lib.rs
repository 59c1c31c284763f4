//! phoenix-bench: kill a service under load, let a fresh one rise from the same image, and
//! measure what was lost — time to healthy, lost requests, latency during recovery — then
//! certify it (level and score) with reports full of plots.
//!
//! # Layout
//!
//! The pipeline flows one way: scenario → plan → execute → record → analyse → certify →
//! render, and the folders follow it. Dependencies point down this list only (a module may
//! use those above it, never one below or beside it); `tests/local/layout.rs` fails when an
//! import breaks that or a cycle appears:
//!
//! 1. [`clock`] (the run's one monotonic clock) and [`files`] (the one reader of untrusted
//!    files, the one atomic writer, the one escape for echoed text);
//! 2. [`scenario`]: the scenario file (`file.rs`), a docker-compose file it may take the
//!    stack from (`compose/`), its validation into a [`scenario::Scenario`] (`validate/`) and
//!    the [`scenario::plan::Plan`], the one timeline that runs;
//! 3. [`record`]: the RunRecord, everything measured; the request log in bounded form;
//! 4. [`backend`] (the `Lifecycle` and `Inspect` traits; Docker, Swarm and process
//!    implementations and a scripted fake for tests; labels, orphan cleanup, the HAProxy
//!    front), [`load`] (the load engine: lanes of pacer and connection-owning workers, the
//!    recorder) and [`probe`] (health probing on its own loop, and the time-to-healthy rule
//!    on its log) — side by side, none using another;
//! 5. [`execute`]: the only module that drives the backend, the load and the probes — the
//!    run and its trials (`mod.rs`), the load-and-faults loop (`drive.rs`), faults
//!    (`fault.rs`), the platform floor
//!    (`floor.rs`), what it observes of instances (`observe.rs`), the state checks
//!    (`check.rs`), the audit's samples (`audit.rs`), the read-only trial, the host's
//!    contention readings (`host.rs`), and the scenario in the backend's terms
//!    (`deployment.rs`);
//! 6. [`analysis`]: pure figures from a record;
//! 7. [`certify`]: the level and score, one formula;
//! 8. [`report`]: the renderers, pure, with their charts (`report/plot/`);
//! 9. [`cli`]: the arguments, one file or folder per command, the exit statuses, the one
//!    setup of a run (`bootstrap.rs`) that `phoenix run` and the recovery bench share.
//!
//! Shared vocabulary lives in the lowest module that needs it: the certification
//! [`scenario::Level`] with the scenario (its `require`), the failures kept per check
//! ([`record::MAX_FAILURES`]) with the record.

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
