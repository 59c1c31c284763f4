//! What the host was doing during a trial's load: CPU pressure, CPU time (busy and stolen)
//! and load average, sampled once a second from `/proc` (`crate::execute::host` reads them). Raw
//! readings; `analysis::contention` turns them into figures and a `host contended` verdict.

use serde::{Deserialize, Serialize};

/// Most samples a trial keeps: one a second over the longest load (`MAX_DURATION`, 1 h).
pub const MAX_HOST_SAMPLES: usize = 3_600;

/// The readings of one trial; empty on a host without `/proc` (each figure is then not
/// measured) and in records written before they were kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostRecord {
    /// CPUs the host's scheduler has (load average is per CPU against it); 0 unknown.
    #[serde(default)]
    pub(crate) cpus: u32,
    #[serde(default)]
    pub samples: Vec<HostSample>,
}

/// One reading; a figure the host does not expose is None.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HostSample {
    /// On the trial clock, µs.
    pub at_us: i64,
    /// `/proc/pressure/cpu`, line `some`, `avg10`: share of the last 10 s in which at least
    /// one runnable task waited for a CPU, %.
    #[serde(default)]
    pub(crate) psi_some_avg10: Option<f64>,
    /// `/proc/loadavg`, first field: 1-minute load average.
    #[serde(default)]
    pub(crate) load1: Option<f64>,
    /// `/proc/stat`, line `cpu`: cumulative jiffies (total, busy = total − idle − iowait,
    /// steal).
    #[serde(default)]
    pub cpu: Option<CpuTimes>,
}

/// Cumulative CPU time of every CPU since boot, in jiffies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuTimes {
    pub total: u64,
    pub busy: u64,
    pub steal: u64,
}
