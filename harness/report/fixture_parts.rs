//! Parts of the report fixture's record beyond its requests and faults: the platform floor,
//! the memory series, the filesystem reads and the host readings (`fixture.rs` assembles them).

use super::fixture::Names;
use crate::record::*;
use crate::scenario::{Action, FaultKind};

/// The platform floor of the fixture's two actions: 3 cycles before and 3 after each.
pub(super) fn floor() -> FloorRecord {
    let sample = |kind, action, phase, ms: i64| FloorSample {
        kind,
        action,
        delay_us: 0,
        phase,
        time_to_healthy_us: Some(ms * 1000),
        error: None,
    };
    let mut samples = Vec::new();
    for (i, phase) in [FloorPhase::Before, FloorPhase::After].into_iter().enumerate() {
        for k in 0..3 {
            let jitter = (i * 3 + k) as i64 * 10;
            samples.push(sample(FaultKind::Kill, Action::Replace, phase, 380 + jitter));
            samples.push(sample(FaultKind::Stop, Action::Restart, phase, 280 + jitter));
        }
    }
    FloorRecord {
        cycles: 3,
        samples,
        notes: Vec::new(),
        cost_us: 9_400_000,
    }
}

/// Memory every 500 ms: app-0 keeps 64 KiB per sample (its first instance replaced at
/// 2 s, the new one starting lower), app-1 flat but for one spike near the end of its
/// first life (left out of the fit).
pub(super) fn memory(t: u32, names: &Names) -> MemoryRecord {
    let mut m = MemoryRecord {
        interval_us: 500_000,
        ..Default::default()
    };
    for k in 0..=16i64 {
        let at = k * 500_000;
        let (instance, base) = if at < 2_001_000 { ("c0", 24) } else { ("c0-r", 20) };
        let grown = (24 + k as u64 * 2) * 32 * 1024;
        m.add(&names.replicas[0], &format!("{instance}-{t}"), at, (base << 20) + grown);
        let spike = if k == 8 { 6 << 20 } else { 0 };
        m.add(&names.replicas[1], &format!("c1-{t}"), at, (12 << 20) + spike);
    }
    m
}

/// The filesystem reads of the fixture's app-0: a pid file and a bytecode cache at boot,
/// then (in the trial that loses state) a session file and uploads while serving.
pub(super) fn fs_reads(serving: bool) -> Vec<crate::record::FsRead> {
    use crate::record::{FsFile, FsRead, FsReadWhen};
    let file = |path: &str, bytes: Option<u64>| FsFile {
        path: path.into(),
        bytes,
    };
    let boot = vec![
        file("/run/app.pid", Some(6)),
        file("/app/__pycache__/app.cpython-311.pyc", Some(2048)),
    ];
    let mut later = boot.clone();
    if serving {
        later.extend([
            file("/tmp/sessions/u3", Some(120)),
            file("/var/lib/app/uploads/a", Some(4096)),
            file("/var/lib/app/uploads/b", None),
        ]);
    }
    vec![
        FsRead {
            at_us: -400_000,
            when: FsReadWhen::Boot,
            files: boot,
            truncated: false,
        },
        FsRead {
            at_us: 3_100_000,
            when: FsReadWhen::Replaced,
            files: later,
            truncated: false,
        },
    ]
}

/// A quiet host: 2 CPUs, CPU pressure 2 %, load 0.8, 30 % busy and no steal over the load.
pub(super) fn quiet_host() -> crate::record::HostRecord {
    use crate::record::{CpuTimes, HostSample};
    let at = |at_us, total, busy| HostSample {
        at_us,
        psi_some_avg10: Some(2.0),
        load1: Some(0.8),
        cpu: Some(CpuTimes { total, busy, steal: 0 }),
    };
    crate::record::HostRecord {
        cpus: 2,
        samples: vec![at(0, 1_000, 300), at(4_000_000, 1_800, 540)],
    }
}
