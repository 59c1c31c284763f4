//! The open-loop schedule: request i is due at i / rate seconds after the origin, and the
//! thread that hands each request to the workers when it is due.

use crate::clock::RunClock;
use std::time::{Duration, Instant};
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

/// The longest the pacer sleeps at once, so cancellation is seen promptly.
const MAX_NAP: Duration = Duration::from_millis(20);

/// Hands each request of the schedule to `tx` when it is due, from its own OS thread: the
/// thread sleeps on the kernel's high-resolution timer (tens of µs late, where tokio's
/// timer wheel rounds to 1 ms), so the schedule holds at sub-millisecond intervals
/// without spinning a core the app under test needs. Every request due when it wakes goes
/// out at once, each stamped with its intended time. After each batch `after_batch` runs
/// (the engine grows its worker pool there). Ends with the schedule, on cancel, or when
/// no worker is left to receive; dropping `tx` then tells the workers the schedule is over.
pub fn spawn_pacer(
    pacer: Pacer,
    clock: RunClock,
    tx: async_channel::Sender<Job>,
    cancel: CancellationToken,
    mut after_batch: impl FnMut() + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("phoenix-pacer".into())
        .spawn(move || {
            let mut i = 0;
            while i < pacer.count() && !cancel.is_cancelled() {
                let due = clock.instant_at(pacer.intended_us(i));
                let now = Instant::now();
                if due > now {
                    std::thread::sleep((due - now).min(MAX_NAP));
                    continue;
                }
                let now_us = clock.now_us();
                while i < pacer.count() && pacer.intended_us(i) <= now_us {
                    let job = Job {
                        index: i,
                        intended_us: pacer.intended_us(i),
                    };
                    if tx.send_blocking(job).is_err() {
                        return;
                    }
                    i += 1;
                }
                after_batch();
            }
        })
        .expect("spawning the pacer thread")
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

    #[test]
    fn the_pacer_hands_out_every_request_on_time_and_in_order() {
        let clock = RunClock::start();
        let (tx, rx) = async_channel::unbounded();
        // 2,000 requests over 0.5 s: 250 µs apart, finer than a 1 ms timer can pace
        let pacer = Pacer::new(4000.0, Duration::from_millis(500));
        let t = spawn_pacer(pacer, clock, tx, CancellationToken::new(), || {});
        let mut late = Vec::new();
        let mut expect = 0;
        while let Ok(job) = rx.recv_blocking() {
            assert_eq!(job.index, expect);
            assert_eq!(job.intended_us, pacer.intended_us(expect));
            late.push(clock.now_us() - job.intended_us);
            expect += 1;
        }
        t.join().unwrap();
        assert_eq!(expect, 2000);
        assert!(late.iter().all(|l| *l >= 0), "a request was handed out before its time");
        late.sort_unstable();
        // no drift: a pacer sleeping a timer tick per request (1 ms each, 2 s for the 0.5 s
        // schedule) is late by hundreds of ms at the median. Its precision on a quiet host
        // (under 1 ms) is a benchmark's figure (`slip_ms`, benches/peers.sh): this thread's
        // own wake-ups on a busy 2-core host were 10 ms late
        assert!(
            late[late.len() / 2] < 50_000,
            "median lateness {} µs",
            late[late.len() / 2]
        );
    }

    #[test]
    fn cancelling_stops_the_schedule() {
        let (tx, rx) = async_channel::unbounded();
        let cancel = CancellationToken::new();
        let pacer = Pacer::new(10.0, Duration::from_secs(60));
        let t = spawn_pacer(pacer, RunClock::start(), tx, cancel.clone(), || {});
        cancel.cancel();
        t.join().unwrap();
        assert!(std::iter::from_fn(|| rx.recv_blocking().ok()).count() <= 1);
    }
}
