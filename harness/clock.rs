//! One monotonic clock per trial. Every instant in a record is microseconds since the
//! trial's origin (the moment load starts); the origin's wall-clock time is kept beside it
//! so Docker event timestamps and the app's own log lines can be placed on the same axis.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Monotonic clock anchored to a wall-clock instant.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    origin: Instant,
    origin_unix_us: i64,
}

impl RunClock {
    /// A clock whose origin is now.
    pub fn start() -> Self {
        Self::at(Instant::now())
    }

    /// A clock whose origin is `origin`, which must not be far in the past or future.
    pub fn at(origin: Instant) -> Self {
        let (now, wall) = paired_now();
        let offset = if origin >= now {
            (origin - now).as_micros() as i64
        } else {
            -((now - origin).as_micros() as i64)
        };
        RunClock {
            origin,
            origin_unix_us: wall + offset,
        }
    }

    /// The monotonic origin.
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// Wall-clock time of the origin, microseconds since the Unix epoch.
    pub fn origin_unix_us(&self) -> i64 {
        self.origin_unix_us
    }

    /// Microseconds since the origin (negative before it).
    pub(crate) fn now_us(&self) -> i64 {
        self.us_of(Instant::now())
    }

    /// Microseconds from the origin to `t`.
    pub(crate) fn us_of(&self, t: Instant) -> i64 {
        if t >= self.origin {
            (t - self.origin).as_micros() as i64
        } else {
            -((self.origin - t).as_micros() as i64)
        }
    }

    /// The instant `us` microseconds after the origin (clamped at the origin for negatives).
    pub(crate) fn instant_at(&self, us: i64) -> Instant {
        if us >= 0 {
            self.origin + Duration::from_micros(us as u64)
        } else {
            self.origin
                .checked_sub(Duration::from_micros(us.unsigned_abs()))
                .unwrap_or(self.origin)
        }
    }

    /// Converts a wall-clock time (µs since the epoch) to clock time.
    pub(crate) fn from_unix_us(&self, unix_us: i64) -> i64 {
        unix_us - self.origin_unix_us
    }
}

/// A monotonic and a wall-clock reading of the same instant: the wall clock read between two
/// monotonic reads, the tightest pair of a few tries. One unpaired read can be split by a
/// preemption (milliseconds on a busy host), which would shift every wall-clock time placed
/// on the trial's axis (the engine's events, the app's log lines) by as much.
fn paired_now() -> (Instant, i64) {
    let mut best: Option<(Duration, Instant, i64)> = None;
    for _ in 0..8 {
        let before = Instant::now();
        let wall = unix_now_us();
        let after = Instant::now();
        let gap = after - before;
        if best.is_none_or(|(g, _, _)| gap < g) {
            best = Some((gap, before + gap / 2, wall));
        }
        if gap < Duration::from_micros(20) {
            break;
        }
    }
    let (_, at, wall) = best.expect("one try at least");
    (at, wall)
}

/// Wall-clock now, microseconds since the Unix epoch.
pub(crate) fn unix_now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_and_monotonic_agree_within_a_millisecond() {
        let clock = RunClock::start();
        std::thread::sleep(Duration::from_millis(5));
        // paired reads: a preemption between two unpaired ones is not the clock's error
        let (at, unix) = paired_now();
        let mono = clock.us_of(at);
        let wall = clock.from_unix_us(unix);
        assert!((mono - wall).abs() < 1_000, "mono {mono} wall {wall}");
        assert!(mono >= 5_000);
    }

    #[test]
    fn instant_round_trip() {
        let clock = RunClock::start();
        let t = clock.instant_at(1_500_000);
        assert_eq!(clock.us_of(t), 1_500_000);
    }
}
