//! Host readings for the contention verdict: `/proc/pressure/cpu` (PSI, Linux 4.20+ with
//! `CONFIG_PSI`), `/proc/stat` and `/proc/loadavg`, sampled once a second while a trial's
//! load runs. Each file is read with a small bound and parsed without trusting it: a file
//! that is missing or unreadable leaves its figure None, never an error, since the run's
//! figures do not depend on it.

use crate::clock::RunClock;
use crate::record::{CpuTimes, HostRecord, HostSample, MAX_HOST_SAMPLES};
use std::io::Read;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Time between two readings.
pub(crate) const HOST_INTERVAL: Duration = Duration::from_secs(1);
/// Largest part of a /proc file read: the lines we need are at its start.
const MAX_PROC_BYTES: u64 = 4096;

/// `some avg10` of a `/proc/pressure/cpu` text, %.
pub(crate) fn parse_psi(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("some "))?;
    let v = line.split_whitespace().find_map(|f| f.strip_prefix("avg10="))?;
    v.parse::<f64>().ok().filter(|v| (0.0..=100.0).contains(v))
}

/// The 1-minute load average of a `/proc/loadavg` text.
pub(crate) fn parse_load1(text: &str) -> Option<f64> {
    let v: f64 = text.split_whitespace().next()?.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// The aggregate `cpu` line of a `/proc/stat` text: user nice system idle iowait irq
/// softirq steal (guest time is already inside user and nice).
pub(crate) fn parse_cpu(text: &str) -> Option<CpuTimes> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let total = f.iter().try_fold(0u64, |a, x| a.checked_add(*x))?;
    let idle = f.get(3)?.checked_add(*f.get(4).unwrap_or(&0))?;
    Some(CpuTimes {
        total,
        busy: total.checked_sub(idle)?,
        steal: *f.get(7).unwrap_or(&0),
    })
}

fn read_proc(path: &str) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_PROC_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// One reading of the host, stamped `at_us`.
pub(crate) fn read_sample(at_us: i64) -> HostSample {
    HostSample {
        at_us,
        psi_some_avg10: read_proc("/proc/pressure/cpu").as_deref().and_then(parse_psi),
        load1: read_proc("/proc/loadavg").as_deref().and_then(parse_load1),
        cpu: read_proc("/proc/stat").as_deref().and_then(parse_cpu),
    }
}

/// Samples the host every [`HOST_INTERVAL`] until `done` (and once more then, so a short
/// load still has a first and a last CPU reading); at most [`MAX_HOST_SAMPLES`].
pub(crate) async fn sample_host(clock: &RunClock, done: &CancellationToken) -> HostRecord {
    let mut record = HostRecord {
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get() as u32),
        samples: Vec::new(),
    };
    let mut tick = tokio::time::interval_at(clock.instant_at(0).into(), HOST_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            _ = done.cancelled() => true,
            _ = tick.tick() => false,
        };
        if record.samples.len() < MAX_HOST_SAMPLES {
            record.samples.push(read_sample(clock.now_us()));
        }
        if stop {
            break;
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_reads_some_avg10_and_refuses_what_is_not_a_share() {
        let text =
            "some avg10=23.50 avg60=10.00 avg300=2.00 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(parse_psi(text), Some(23.5));
        assert_eq!(parse_psi("full avg10=3.00\n"), None);
        assert_eq!(parse_psi("some avg10=250.0 avg60=1\n"), None);
        assert_eq!(parse_psi("some avg10=NaN\n"), None);
        assert_eq!(parse_psi(""), None);
    }

    #[test]
    fn loadavg_reads_its_first_field() {
        assert_eq!(parse_load1("5.12 3.00 1.00 3/456 7890\n"), Some(5.12));
        assert_eq!(parse_load1("-1 0 0"), None);
        assert_eq!(parse_load1("inf 0 0"), None);
        assert_eq!(parse_load1(""), None);
    }

    #[test]
    fn stat_reads_busy_and_steal_from_the_cpu_line() {
        let text = "cpu  100 0 50 800 40 5 5 20 0 0\ncpu0 50 0 25 400 20 2 3 10 0 0\n";
        let c = parse_cpu(text).unwrap();
        assert_eq!(c.total, 1020);
        assert_eq!(c.busy, 1020 - 840);
        assert_eq!(c.steal, 20);
        // an older kernel without steal: counted as none
        assert_eq!(parse_cpu("cpu 1 2 3 4 5\n").map(|c| (c.total, c.steal)), Some((15, 0)));
        assert_eq!(parse_cpu("cpu 1 x 3 4\n"), None);
        assert_eq!(parse_cpu(&format!("cpu {} {} 0 0\n", u64::MAX, u64::MAX)), None);
        assert_eq!(parse_cpu("intr 1 2\n"), None);
    }

    #[test]
    fn this_host_gives_a_sample_without_failing() {
        let s = read_sample(7);
        assert_eq!(s.at_us, 7);
        if std::path::Path::new("/proc/loadavg").exists() {
            assert!(s.load1.is_some(), "{s:?}");
        }
    }
}
