//! The load engine, in lanes (see [`run_load`]). Open loop: each lane's pacer hands its
//! requests out when they are due and a pool of workers sends them, each worker owning its connection (kept alive, or a fresh
//! one per request); the pool starts small and grows, one worker per request that finds
//! every worker busy, up to the lane's share of `connections`. Latency runs from the intended time, so a stall
//! of the app shows in full even while requests queue behind it (no coordinated
//! omission); the queueing is the schedule slip, recorded per request. A request that
//! could not be sent within the timeout of its intended time is `client_overload`: the
//! generator's failure, never the app's. Closed loop (`Rate::Max`): `connections` workers
//! send back to back. Bounded in time and count either way.

use super::http::{self, Prepared, Sender};
use super::pacer::{pace, Job, Lane, Pacer};
use super::recorder::Recorder;
use crate::clock::RunClock;
use crate::record::{Outcome, RequestLog};
use crate::scenario::{Load, RequestSpec};
use hyper::header::HeaderValue;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Open loop at a fixed rate, or closed loop as fast as the connections go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    PerSecond(f64),
    Max,
}

/// What the engine needs from the scenario or the command line.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub rate: Rate,
    pub duration: Duration,
    pub timeout: Duration,
    /// Most requests in flight, one per worker (open loop: the pool's cap; closed loop:
    /// the number of workers).
    pub connections: usize,
    pub keep_alive: bool,
    pub requests: Vec<RequestSpec>,
}

impl From<&Load> for LoadConfig {
    fn from(l: &Load) -> Self {
        LoadConfig {
            rate: Rate::PerSecond(l.rate),
            duration: l.duration,
            timeout: l.timeout,
            connections: l.max_in_flight,
            keep_alive: l.keep_alive,
            requests: l.requests.clone(),
        }
    }
}

/// Weighted round-robin over the request mix, deterministic.
pub(super) fn mix(requests: &[RequestSpec]) -> Vec<usize> {
    requests
        .iter()
        .enumerate()
        .flat_map(|(i, r)| std::iter::repeat_n(i, r.weight.max(1) as usize))
        .collect()
}

/// Request `index`'s replica (`index mod R`) and place in the mix's turn (`⌊index / R⌋ mod
/// M`): each replica gets the whole mix in turn. With `index mod M` for both, a replica
/// count and a mix length sharing a factor split the mix between the replicas (two
/// replicas, two requests: each replica only ever got one of them).
fn slot(index: u64, replicas: usize, turn: usize) -> (usize, usize) {
    let r = replicas as u64;
    ((index % r) as usize, (index / r % turn as u64) as usize)
}

/// What every worker shares.
struct Shared {
    targets: Vec<(SocketAddr, HeaderValue)>,
    requests: Vec<Prepared>,
    order: Vec<usize>,
    timeout: Duration,
    keep_alive: bool,
    clock: RunClock,
    recorder: Recorder,
}

impl Shared {
    /// Sends request `index` (its replica and kind follow from the index) on the worker's
    /// connection to that replica, opening one when there is none. A kept-alive
    /// connection the server has closed while idle is replaced before the request is
    /// sent, never after: nothing is retried.
    async fn send(&self, index: u64, conns: &mut [Option<Sender>]) -> Outcome {
        let (replica, kind) = slot(index, self.targets.len(), self.order.len());
        let (target, host) = &self.targets[replica];
        let req = &self.requests[self.order[kind]];
        let attempt = async {
            let reused = match conns[replica].take() {
                Some(mut s) => s.ready().await.is_ok().then_some(s),
                None => None,
            };
            let mut sender = match reused {
                Some(s) => s,
                None => http::connect(*target).await?,
            };
            let outcome = http::exchange(&mut sender, req, index, host).await;
            if self.keep_alive && outcome != Outcome::Reset && outcome != Outcome::Timeout {
                conns[replica] = Some(sender);
            }
            Ok::<_, Outcome>(outcome)
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(Ok(o)) | Ok(Err(o)) => o,
            Err(_) => {
                conns[replica] = None;
                Outcome::Timeout
            }
        }
    }

    fn new(cfg: &LoadConfig, targets: &[SocketAddr], clock: RunClock, recorder: Recorder) -> Shared {
        let requests = cfg
            .requests
            .iter()
            .enumerate()
            .map(|(kind, r)| Prepared::new(r, kind, cfg.keep_alive))
            .collect::<Result<Vec<_>, _>>()
            .expect("requests are validated with the scenario");
        Shared {
            targets: targets.iter().map(|t| (*t, http::host(*t))).collect(),
            order: mix(&cfg.requests),
            requests,
            timeout: cfg.timeout,
            keep_alive: cfg.keep_alive,
            clock,
            recorder,
        }
    }

    fn replica(&self, index: u64) -> u16 {
        slot(index, self.targets.len(), self.order.len()).0 as u16
    }
}

/// Runs the load against `targets` (127.0.0.1 endpoints only) and returns the log.
///
/// The load runs in lanes, one per core, each a thread with a single-threaded runtime that
/// owns every `lanes`-th request of the schedule (and its share of the connections): a lane's
/// pacer, workers and connections hand requests to each other without crossing threads, as
/// wrk's threads do. One multi-threaded runtime for all of it, on 2 cores shared with the
/// app, woke the other thread at each hand-over: about 6 context switches per request, 40 %
/// of the generator's CPU spent switching, and a tail in every latency it reported.
pub async fn run_load(
    cfg: LoadConfig,
    targets: Vec<SocketAddr>,
    clock: RunClock,
    recorder: Recorder,
    cancel: CancellationToken,
) -> RequestLog {
    assert!(
        !targets.is_empty() && targets.iter().all(|t| t.ip().is_loopback()),
        "load targets are always the harness's own 127.0.0.1 ports"
    );
    let shared = Arc::new(Shared::new(&cfg, &targets, clock, recorder.clone()));
    let lanes = lane_count(&cfg);
    // the closed loop's request numbers, drawn by every lane
    let next = Arc::new(AtomicU64::new(0));
    let mut ends = Vec::new();
    for first in 0..lanes {
        let lane = Lane { first, step: lanes };
        let (done, end) = tokio::sync::oneshot::channel::<()>();
        let (shared, cfg, next, cancel) = (shared.clone(), cfg.clone(), next.clone(), cancel.clone());
        let run = move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(drive(&shared, &cfg, lane, next, cancel)),
                Err(e) => tracing::error!("cannot start a load lane's runtime: {e}"),
            }
            drop(done);
        };
        match std::thread::Builder::new()
            .name(format!("phoenix-load-{first}"))
            .spawn(run)
        {
            Ok(_) => ends.push(end),
            Err(e) => tracing::error!("cannot start a load lane's thread: {e}"),
        }
    }
    for end in ends {
        // Err once the lane has dropped its sender: finished, or panicked
        let _ = end.await;
    }
    recorder.finish()
}

/// One lane per core the process may use, never more than connections.
fn lane_count(cfg: &LoadConfig) -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(cfg.connections.max(1)) as u64
}

/// One lane's part of the load, on the current (single-threaded) runtime.
async fn drive(shared: &Arc<Shared>, cfg: &LoadConfig, lane: Lane, next: Arc<AtomicU64>, cancel: CancellationToken) {
    let workers = TaskTracker::new();
    let stop = cancel.child_token();
    let connections = lane.share(cfg.connections.max(1));
    match cfg.rate {
        Rate::PerSecond(rate) => {
            let pacer = Pacer::new(rate, cfg.duration);
            open_loop(shared, pacer, lane, connections, &workers, &stop).await
        }
        Rate::Max => {
            let end_us = cfg.duration.as_micros() as i64;
            for _ in 0..connections {
                workers.spawn(closed_worker(shared.clone(), next.clone(), end_us, stop.clone()));
            }
        }
    }
    workers.close();
    // every request has its own timeout and a queued one is dropped once its timeout has
    // passed, so the workers finish within two timeouts; the margin is for the last reports
    let drain = cfg.timeout * 2 + Duration::from_secs(1);
    if tokio::time::timeout(drain, workers.wait()).await.is_err() {
        stop.cancel();
        workers.wait().await;
    }
}

/// Runs the lane's schedule to its end (or cancel): the pacer, and workers on tasks, at
/// most `cap` of them.
async fn open_loop(
    shared: &Arc<Shared>,
    pacer: Pacer,
    lane: Lane,
    cap: usize,
    workers: &TaskTracker,
    stop: &CancellationToken,
) {
    let (tx, rx) = async_channel::unbounded::<Job>();
    let idle = Arc::new(AtomicUsize::new(0));
    let mut spawned = 0;
    let grow = {
        let (shared, rx, idle, workers, stop) =
            (shared.clone(), rx.clone(), idle.clone(), workers.clone(), stop.clone());
        // one more worker for each request waiting while none is idle
        move || {
            let waiting = rx.len().saturating_sub(idle.load(Ordering::Relaxed));
            for _ in 0..waiting.min(cap - spawned) {
                spawned += 1;
                workers.spawn(open_worker(shared.clone(), rx.clone(), idle.clone(), stop.clone()));
            }
        }
    };
    drop(rx);
    if let Err(e) = pace(pacer, lane, shared.clock, tx, stop.clone(), grow).await {
        // the timer is the kernel's: failing to arm it is the host's fault, and the
        // requests not handed out show as unsent
        tracing::error!("the load's timer failed: {e}");
    }
}

async fn open_worker(
    shared: Arc<Shared>,
    rx: async_channel::Receiver<Job>,
    idle: Arc<AtomicUsize>,
    stop: CancellationToken,
) {
    let mut conns: Vec<Option<Sender>> = shared.targets.iter().map(|_| None).collect();
    let timeout_us = shared.timeout.as_micros() as i64;
    loop {
        idle.fetch_add(1, Ordering::Relaxed);
        let job = tokio::select! {
            j = rx.recv() => j,
            _ = stop.cancelled() => Err(async_channel::RecvError),
        };
        idle.fetch_sub(1, Ordering::Relaxed);
        let Ok(job) = job else { return };
        shared.recorder.sent();
        let replica = shared.replica(job.index);
        let sent = shared.clock.now_us();
        let outcome = if sent - job.intended_us > timeout_us {
            Outcome::ClientOverload
        } else {
            tokio::select! {
                o = shared.send(job.index, &mut conns) => o,
                _ = stop.cancelled() => return,
            }
        };
        shared
            .recorder
            .done(job.intended_us, sent, shared.clock.now_us(), outcome, replica);
    }
}

async fn closed_worker(shared: Arc<Shared>, next: Arc<AtomicU64>, end_us: i64, stop: CancellationToken) {
    let mut conns: Vec<Option<Sender>> = shared.targets.iter().map(|_| None).collect();
    while !stop.is_cancelled() {
        let sent = shared.clock.now_us();
        if sent >= end_us {
            return;
        }
        let index = next.fetch_add(1, Ordering::Relaxed);
        shared.recorder.sent();
        let outcome = tokio::select! {
            o = shared.send(index, &mut conns) => o,
            _ = stop.cancelled() => return,
        };
        let replica = shared.replica(index);
        // closed loop: a request is intended when it is sent
        shared
            .recorder
            .done(sent, sent, shared.clock.now_us(), outcome, replica);
    }
}

#[cfg(test)]
mod tests {
    use super::slot;
    use std::collections::BTreeSet;

    #[test]
    fn every_replica_gets_every_request_of_the_mix_whatever_their_counts_share() {
        for replicas in 1..=4 {
            for turn in 1..=6 {
                let mut seen = vec![BTreeSet::new(); replicas];
                for index in 0..(replicas * turn) as u64 {
                    let (r, k) = slot(index, replicas, turn);
                    assert_eq!(r, (index % replicas as u64) as usize, "replicas in turn");
                    seen[r].insert(k);
                }
                for (r, kinds) in seen.iter().enumerate() {
                    assert_eq!(
                        kinds.len(),
                        turn,
                        "{replicas} replicas, mix of {turn}: replica {r} got {kinds:?}"
                    );
                }
            }
        }
    }
}
