//! The open-loop schedule: request i is due at i / rate seconds after the origin.

use std::time::Duration;

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
}
