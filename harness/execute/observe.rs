//! What a trial observes of the instances beside probes and load, for the statelessness
//! audit: the files an instance wrote as booted, the old-versus-fresh sample of a replica,
//! and its memory while the load runs.

use crate::backend::{Backend, RawFsRead, RawLog};
use crate::clock::RunClock;
use crate::execute::audit::{self, SampleRequest, Write};
use crate::execute::check::CheckRun;
use crate::probe::Prober;
use crate::record::{FreshPair, FsRead, FsReadWhen, InstanceLog, MemoryRecord, Reply};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Time between two memory samples of every replica.
const MEMORY_INTERVAL: Duration = Duration::from_millis(500);

/// A fresh instance to audit once it is healthy: its boot read, and the sample its old
/// instance answered before the replacement.
pub(crate) struct FreshJob {
    pub(crate) replica: String,
    pub(crate) fault: String,
    /// When the old instance was down (its fault's call returned): health is judged on
    /// probes sent from then on.
    pub(crate) since: std::time::Instant,
    /// How long the fresh instance may take to be healthy.
    pub(crate) within: Duration,
    pub(crate) sample: Vec<SampleRequest>,
    pub(crate) before: Vec<Option<Reply>>,
}

/// One fresh instance's audit: once a probe of `job.replica` sent after its old instance
/// was down answers healthy, its boot read and the old instance's sample sent again.
/// Nothing when it was not healthy in time.
pub(crate) async fn fresh_audit(
    job: FreshJob,
    backend: &dyn Backend,
    probers: &[Prober],
    clock: &RunClock,
    cancel: &CancellationToken,
) -> (Vec<(String, RawFsRead)>, Vec<FreshPair>) {
    let (mut read, mut pairs) = (Vec::new(), Vec::new());
    let Some(p) = probers.iter().find(|p| p.spec.replica == job.replica) else {
        return (read, pairs);
    };
    let healthy = tokio::select! {
        ok = p.wait_healthy_since(job.since, job.within) => ok,
        _ = cancel.cancelled() => false,
    };
    if !healthy {
        return (read, pairs);
    }
    boot_read(backend, &job.replica, FsReadWhen::FreshBoot, &mut read).await;
    let after = audit::send_sample(p.spec.addr, &job.sample).await;
    let after_us = clock.now_us();
    for ((req, before), after) in job.sample.iter().zip(job.before).zip(after) {
        if let (Some(before), Some(after)) = (before, after) {
            pairs.push(FreshPair {
                replica: job.replica.clone(),
                fault: job.fault.clone(),
                request: req.label(),
                before,
                after,
                after_us,
            });
        }
    }
    (read, pairs)
}

/// Each instance's log as the record keeps it: lines and reads on the trial's clock, the
/// boot reads taken at first health joined to their instance's own.
pub(crate) fn instance_logs(
    logs: Vec<RawLog>,
    boot_reads: &[(String, RawFsRead)],
    clock: &RunClock,
) -> Vec<InstanceLog> {
    let fs_read = |r: RawFsRead| FsRead {
        at_us: clock.from_unix_us(r.unix_us),
        when: r.when,
        files: r.files,
        truncated: r.truncated,
    };
    logs.into_iter()
        .map(|log| {
            let mut reads: Vec<FsRead> = boot_reads
                .iter()
                .filter(|(instance, _)| *instance == log.instance)
                .map(|(_, r)| fs_read(r.clone()))
                .collect();
            reads.extend(log.reads.into_iter().map(fs_read));
            InstanceLog {
                replica: log.replica,
                instance: log.instance,
                lines: log.lines.into_iter().map(|(t, l)| (clock.from_unix_us(t), l)).collect(),
                writes: log.writes,
                reads,
            }
        })
        .collect()
}

/// Reads the current instance of `replica` as booted (nothing when the backend cannot).
pub(crate) async fn boot_read(
    backend: &dyn Backend,
    replica: &str,
    when: FsReadWhen,
    into: &mut Vec<(String, RawFsRead)>,
) {
    if let Ok(Some(read)) = backend.read_changes(replica, when).await {
        into.push(read);
    }
}

/// The old-versus-fresh sample for replica `index`: the load mix's reads and the journeys'
/// verify steps that read, at most [`audit::MAX_SAMPLE`].
pub(crate) fn sample_for(mix: &[SampleRequest], checks: &[CheckRun], index: usize, of: usize) -> Vec<SampleRequest> {
    let mut out = mix.to_vec();
    for c in checks {
        out.extend(c.read_sample(index, of));
    }
    out.truncate(audit::MAX_SAMPLE);
    out
}

/// The old instance's side of the sample for replica `index` at `addr`: the mix's writes
/// first (their cookies go with the mix's reads, before and after; what they wrote is read
/// back), then the sample.
pub(crate) async fn before_sample(
    addr: SocketAddr,
    writes: &[Write],
    mix: &[SampleRequest],
    checks: &[CheckRun],
    index: usize,
    of: usize,
) -> (Vec<SampleRequest>, Vec<Option<Reply>>) {
    let mut sample = sample_for(mix, checks, index, of);
    // writes are sent even with no read in the mix: a PUT-only mix is read back
    if !writes.is_empty() {
        let written = audit::send_writes(addr, writes).await;
        let backs = [audit::read_backs(writes), written.located].concat();
        let reads = audit::mix_reads(&backs, mix);
        sample = sample_for(
            &audit::with_cookie(&reads, written.cookie.as_deref()),
            checks,
            index,
            of,
        );
    }
    let before = audit::send_sample(addr, &sample).await;
    (sample, before)
}

/// Samples every replica's memory each `MEMORY_INTERVAL` until `done`; bounded per
/// instance (`MAX_MEMORY_SAMPLES`). A backend that cannot measure memory is asked once.
pub(crate) async fn sample_memory(backend: &dyn Backend, clock: &RunClock, done: &CancellationToken) -> MemoryRecord {
    let mut record = MemoryRecord {
        interval_us: MEMORY_INTERVAL.as_micros() as i64,
        ..Default::default()
    };
    let mut tick = tokio::time::interval_at(clock.instant_at(0).into(), MEMORY_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = done.cancelled() => break,
            _ = tick.tick() => {}
        }
        let readings = tokio::select! {
            _ = done.cancelled() => break,
            r = backend.memory() => r,
        };
        match readings {
            Ok(readings) => {
                for r in readings {
                    record.add(&r.replica, &r.instance, clock.from_unix_us(r.unix_us), r.bytes);
                }
            }
            Err(e) => {
                record.not_measured = Some(e.to_string());
                break;
            }
        }
    }
    record
}
