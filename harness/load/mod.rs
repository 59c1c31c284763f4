//! HTTP load: a pacer fixes every request's intended send time in advance and hands each
//! out when due, a pool of connection-owning workers sends them and classifies how they
//! ended, and the recorder keeps the log, the schedule slip and live counters. Latency
//! runs from the intended time, so a stalled server cannot hide its stall by slowing the
//! client (coordinated omission).

mod classify;
mod engine;
pub(crate) mod http;
pub mod once;
pub mod pacer;
pub mod recorder;

pub use crate::record::Slip;
pub use classify::classify_error;
pub use engine::{run_load, LoadConfig, Rate};
pub use recorder::{LiveCounters, Recorder};
