//! Memory of the replicas, sampled during the load: one series per instance, compact
//! (`[at_us, bytes]` pairs), bounded in count.

use serde::{Deserialize, Serialize};

/// Most samples kept per instance: an hour of load at the default interval.
pub const MAX_MEMORY_SAMPLES: usize = 7200;

/// What the memory sampler saw in one trial.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// Why memory was not measured (None: it was, or the record predates sampling and
    /// `series` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) not_measured: Option<String>,
    /// Interval between two samples, µs.
    pub interval_us: i64,
    pub(crate) series: Vec<MemorySeries>,
}

/// The samples of one instance of a replica.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemorySeries {
    pub replica: String,
    pub instance: String,
    /// `[time on the trial clock in µs, anonymous resident memory in bytes]`.
    pub samples: Vec<[i64; 2]>,
}

impl MemoryRecord {
    /// Adds one reading; false when the instance already holds `MAX_MEMORY_SAMPLES`.
    pub fn add(&mut self, replica: &str, instance: &str, at_us: i64, bytes: u64) -> bool {
        let i = match self.series.iter().position(|s| s.instance == instance) {
            Some(i) => i,
            None => {
                self.series.push(MemorySeries {
                    replica: replica.into(),
                    instance: instance.into(),
                    samples: Vec::new(),
                });
                self.series.len() - 1
            }
        };
        let s = &mut self.series[i].samples;
        if s.len() >= MAX_MEMORY_SAMPLES {
            return false;
        }
        s.push([at_us, bytes.min(i64::MAX as u64) as i64]);
        true
    }
}
