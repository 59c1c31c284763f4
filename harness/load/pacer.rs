//! The open-loop schedule: request i is due at i / rate seconds after the origin, and the
//! task that hands each request to the workers when it is due.

use crate::clock::RunClock;
use rustix::time::{
    timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec,
};
use std::os::fd::OwnedFd;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio_util::sync::CancellationToken;

/// Intended send times at a constant rate, bounded in count.
#[derive(Debug, Clone, Copy)]
pub struct Pacer {
    interval_us: f64,
    count: u64,
}

impl Pacer {
    /// `rate` requests per second for `duration`: `floor(rate × duration)` requests.
    pub fn new(rate: f64, duration: Duration) -> Pacer {
        Pacer {
            interval_us: 1e6 / rate,
            count: (rate * duration.as_secs_f64()).floor() as u64,
        }
    }

    /// Number of requests in the schedule.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Intended send time of request `i`, µs after the origin.
    pub fn intended_us(&self, i: u64) -> i64 {
        (i as f64 * self.interval_us).round() as i64
    }
}

/// One request of the schedule, as handed to a worker.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub index: u64,
    pub intended_us: i64,
}

/// A one-shot timer of microsecond resolution inside the async runtime: a Linux timerfd
/// registered with tokio's reactor. tokio's own timer rounds every deadline up to the next
/// millisecond, 5 requests' worth at 5 k/s; a pacer thread of its own wakes a parked runtime
/// thread for every request, and on a 2-core host shared with the app those switches were
/// the generator's tail. Here the reactor wakes once for the timer and the workers it hands
/// requests to run on the same thread.
struct FineTimer {
    fd: AsyncFd<OwnedFd>,
}

impl FineTimer {
    fn new() -> std::io::Result<FineTimer> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        // SAFETY: an OwnedFd's descriptor is open and stays the same for as long as it is
        // owned, here by the AsyncFd
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.map_err(std::io::Error::from)?;
        Ok(FineTimer { fd })
    }

    /// Returns once `wait` (more than zero) has passed.
    async fn sleep(&self, wait: Duration) -> std::io::Result<()> {
        let zero = Timespec { tv_sec: 0, tv_nsec: 0 };
        let value = Timespec {
            tv_sec: wait.as_secs() as i64,
            // a zero value would disarm the timer
            tv_nsec: i64::from(wait.subsec_nanos()).max(1),
        };
        let spec = Itimerspec {
            it_interval: zero,
            it_value: value,
        };
        timerfd_settime(self.fd.get_ref(), TimerfdTimerFlags::empty(), &spec)?;
        loop {
            let mut ready = self.fd.readable().await?;
            // the expiry count: 8 bytes, there once the timer has fired
            let mut expiries = [0u8; 8];
            match ready.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut expiries)?)) {
                Ok(result) => {
                    // one-shot: not readable again until armed again
                    ready.clear_ready();
                    return result.map(|_| ());
                }
                Err(_would_block) => continue,
            }
        }
    }
}

/// The requests of the schedule one lane of the load sends: `first`, `first + step`, …
#[derive(Debug, Clone, Copy)]
pub struct Lane {
    pub first: u64,
    pub step: u64,
}

impl Lane {
    /// The whole schedule.
    pub const ALL: Lane = Lane { first: 0, step: 1 };

    /// This lane's share of `n` things dealt out in turn (workers, connections).
    pub fn share(&self, n: usize) -> usize {
        let (first, step) = (self.first as usize, self.step.max(1) as usize);
        (n + step - 1 - first.min(step - 1)) / step
    }
}

/// Hands each request of `lane` to `tx` when it is due, on a [`FineTimer`]: tens of µs late
/// at most on a quiet host, without spinning a core the app under test needs. Every request
/// due when it wakes goes out at once, each stamped with its intended time. After each batch
/// `after_batch` runs (the engine grows its worker pool there). Ends with the schedule, on
/// cancel, or when no worker is left to receive; dropping `tx` then tells the workers the
/// schedule is over.
pub async fn pace(
    pacer: Pacer,
    lane: Lane,
    clock: RunClock,
    tx: async_channel::Sender<Job>,
    cancel: CancellationToken,
    mut after_batch: impl FnMut(),
) -> std::io::Result<()> {
    let timer = FineTimer::new()?;
    let step = lane.step.max(1);
    let mut i = lane.first;
    while i < pacer.count() && !cancel.is_cancelled() {
        let now_us = clock.now_us();
        let due_us = pacer.intended_us(i);
        if due_us > now_us {
            let wait = Duration::from_micros((due_us - now_us) as u64);
            tokio::select! {
                slept = timer.sleep(wait) => slept?,
                _ = cancel.cancelled() => return Ok(()),
            }
            continue;
        }
        while i < pacer.count() && pacer.intended_us(i) <= now_us {
            let job = Job {
                index: i,
                intended_us: pacer.intended_us(i),
            };
            if tx.try_send(job).is_err() {
                return Ok(());
            }
            i += step;
        }
        after_batch();
        // let the workers just handed requests run before the next batch is stamped
        tokio::task::yield_now().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_evenly_spaced_and_bounded() {
        let p = Pacer::new(200.0, Duration::from_secs(20));
        assert_eq!(p.count(), 4000);
        assert_eq!(p.intended_us(0), 0);
        assert_eq!(p.intended_us(1), 5_000);
        assert_eq!(p.intended_us(3999), 19_995_000);
    }

    #[test]
    fn fractional_rates_do_not_drift() {
        let p = Pacer::new(3.0, Duration::from_secs(10));
        assert_eq!(p.count(), 30);
        assert_eq!(p.intended_us(3), 1_000_000);
        assert_eq!(p.intended_us(29), 9_666_667);
    }

    #[tokio::test]
    async fn the_pacer_hands_out_every_request_on_time_and_in_order() {
        let clock = RunClock::start();
        let (tx, rx) = async_channel::unbounded();
        // 2,000 requests over 0.5 s: 250 µs apart, finer than a 1 ms timer can pace
        let pacer = Pacer::new(4000.0, Duration::from_millis(500));
        let t = tokio::spawn(pace(pacer, Lane::ALL, clock, tx, CancellationToken::new(), || {}));
        let mut late = Vec::new();
        let mut expect = 0;
        while let Ok(job) = rx.recv().await {
            assert_eq!(job.index, expect);
            assert_eq!(job.intended_us, pacer.intended_us(expect));
            late.push(clock.now_us() - job.intended_us);
            expect += 1;
        }
        t.await.unwrap().unwrap();
        assert_eq!(expect, 2000);
        assert!(late.iter().all(|l| *l >= 0), "a request was handed out before its time");
        late.sort_unstable();
        // no drift: a pacer sleeping a timer tick per request (1 ms each, 2 s for the 0.5 s
        // schedule) is late by hundreds of ms at the median. Its precision on a quiet host
        // (under 1 ms) is a benchmark's figure (`slip_ms`, benches/peers.sh): wake-ups on a
        // busy 2-core host were 10 ms late
        assert!(
            late[late.len() / 2] < 50_000,
            "median lateness {} µs",
            late[late.len() / 2]
        );
    }

    #[tokio::test]
    async fn cancelling_stops_the_schedule() {
        let (tx, rx) = async_channel::unbounded();
        let cancel = CancellationToken::new();
        let pacer = Pacer::new(10.0, Duration::from_secs(60));
        let t = tokio::spawn(pace(pacer, Lane::ALL, RunClock::start(), tx, cancel.clone(), || {}));
        tokio::time::sleep(Duration::from_millis(150)).await;
        cancel.cancel();
        // the 60 s schedule ends at once, not at its next request
        tokio::time::timeout(Duration::from_secs(5), t)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(std::iter::from_fn(|| rx.try_recv().ok()).count() <= 3);
    }

    #[test]
    fn lanes_share_out_everything_once() {
        for n in 0..10 {
            for step in 1..4 {
                let shares: usize = (0..step).map(|first| Lane { first, step }.share(n)).sum();
                assert_eq!(shares, n, "{n} among {step} lanes");
            }
        }
        assert_eq!(Lane { first: 0, step: 2 }.share(3), 2);
        assert_eq!(Lane { first: 1, step: 2 }.share(3), 1);
    }

    #[tokio::test]
    async fn a_lane_gets_its_turns_only() {
        let (tx, rx) = async_channel::unbounded();
        let pacer = Pacer::new(1000.0, Duration::from_millis(20));
        pace(
            pacer,
            Lane { first: 1, step: 3 },
            RunClock::start(),
            tx,
            CancellationToken::new(),
            || {},
        )
        .await
        .unwrap();
        let got: Vec<u64> = std::iter::from_fn(|| rx.try_recv().ok()).map(|j| j.index).collect();
        assert_eq!(got, (1..20).step_by(3).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn the_fine_timer_sleeps_less_than_a_millisecond() {
        let timer = FineTimer::new().unwrap();
        let start = std::time::Instant::now();
        for _ in 0..20 {
            timer.sleep(Duration::from_micros(100)).await.unwrap();
        }
        let took = start.elapsed();
        // never early; tokio's timer would take 20 ms or more (a tick each)
        assert!(took >= Duration::from_micros(2000), "{took:?}");
    }
}
