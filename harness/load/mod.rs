//! Open-loop HTTP load: a pacer fixes every request's intended send time in advance, a
//! worker sends each at that time on its own task and classifies how it ended, and the
//! recorder keeps the log plus live counters. Latency runs from the intended time, so a
//! stalled server cannot hide its stall by slowing the client (coordinated omission).

mod classify;
pub mod pacer;
pub mod recorder;
mod worker;

pub use classify::classify_error;
pub use recorder::{LiveCounters, Recorder};
pub use worker::{run_load, LoadConfig};
