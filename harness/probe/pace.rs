//! When a prober probes fast: from the start until the replica is first healthy, and from
//! each fault until it has been seen unhealthy and then healthy again, each span capped.

use super::Sample;
use crate::record::ProbeOutcome;
use std::time::{Duration, Instant};

/// When to probe fast; shared by the loop and the probes it spawns.
#[derive(Debug)]
pub(super) struct Pace {
    /// Start of the current fast span; `None` while probing slowly.
    fast_since: Option<Instant>,
    /// The current fast span ends at this instant at the latest.
    fast_cap: Instant,
    /// Send instant of the first probe of this span that was not healthy: a healthy probe
    /// sent after it ends the span.
    unhealthy_sent: Option<Instant>,
    /// Until the first healthy probe, any healthy probe ends the span.
    first_boot: bool,
    pub(super) spans: Vec<(Instant, Instant)>,
}

impl Pace {
    pub(super) fn booting(now: Instant, cap: Duration) -> Pace {
        Pace {
            fast_since: Some(now),
            fast_cap: now + cap,
            unhealthy_sent: None,
            first_boot: true,
            spans: Vec::new(),
        }
    }

    pub(super) fn observe(&mut self, s: &Sample) {
        let Some(since) = self.fast_since else { return };
        if s.sent < since {
            return;
        }
        if s.outcome == ProbeOutcome::Healthy {
            if self.first_boot || self.unhealthy_sent.is_some_and(|u| s.sent > u) {
                self.end(s.done);
            }
        } else if self.unhealthy_sent.is_none_or(|u| s.sent < u) {
            self.unhealthy_sent = Some(s.sent);
        }
    }

    pub(super) fn end(&mut self, at: Instant) {
        if let Some(since) = self.fast_since.take() {
            self.spans.push((since, at.max(since)));
        }
        self.first_boot = false;
        self.unhealthy_sent = None;
    }

    /// Fast from `now` until the replica has been seen unhealthy and then healthy again,
    /// `cap` at the most. A boost during a fast span restarts its recovery condition.
    pub(super) fn boost(&mut self, now: Instant, cap: Duration) {
        self.fast_since.get_or_insert(now);
        self.unhealthy_sent = None;
        self.first_boot = false;
        self.fast_cap = now + cap;
    }

    pub(super) fn is_fast(&mut self, now: Instant) -> bool {
        if self.fast_since.is_some() && now >= self.fast_cap {
            self.end(now);
        }
        self.fast_since.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(o: Instant, sent: u64, done: u64, outcome: ProbeOutcome) -> Sample {
        Sample {
            sent: o + Duration::from_millis(sent),
            done: o + Duration::from_millis(done),
            outcome,
            fast: true,
        }
    }

    #[test]
    fn first_boot_is_fast_until_the_first_healthy_probe() {
        let o = Instant::now();
        let mut p = Pace::booting(o, Duration::from_secs(60));
        assert!(p.is_fast(o));
        p.observe(&sample(o, 0, 1, ProbeOutcome::Refused));
        assert!(p.is_fast(o + Duration::from_millis(2)));
        p.observe(&sample(o, 2, 3, ProbeOutcome::Healthy));
        assert!(!p.is_fast(o + Duration::from_millis(4)));
        assert_eq!(p.spans.len(), 1);
    }

    #[test]
    fn a_boost_ends_only_after_unhealthy_then_healthy() {
        let o = Instant::now();
        let mut p = Pace::booting(o, Duration::from_secs(60));
        p.observe(&sample(o, 0, 1, ProbeOutcome::Healthy));
        p.boost(o + Duration::from_millis(100), Duration::from_secs(10));
        // still healthy right after the fault: the kill has not taken effect yet
        p.observe(&sample(o, 101, 102, ProbeOutcome::Healthy));
        assert!(p.is_fast(o + Duration::from_millis(103)));
        p.observe(&sample(o, 104, 105, ProbeOutcome::Refused));
        // a healthy probe sent before the refused one finishes late: not a recovery
        p.observe(&sample(o, 103, 106, ProbeOutcome::Healthy));
        assert!(p.is_fast(o + Duration::from_millis(107)));
        p.observe(&sample(o, 900, 901, ProbeOutcome::Healthy));
        assert!(!p.is_fast(o + Duration::from_millis(902)));
        assert_eq!(
            p.spans[1],
            (o + Duration::from_millis(100), o + Duration::from_millis(901))
        );
    }

    #[test]
    fn a_boost_that_never_sees_a_recovery_ends_at_its_cap() {
        let o = Instant::now();
        let mut p = Pace::booting(o, Duration::from_secs(60));
        p.observe(&sample(o, 0, 1, ProbeOutcome::Healthy));
        p.boost(o, Duration::from_secs(2));
        p.observe(&sample(o, 5, 6, ProbeOutcome::Timeout));
        assert!(p.is_fast(o + Duration::from_millis(1999)));
        assert!(!p.is_fast(o + Duration::from_secs(2)));
    }
}
