//! The ledger of corrections: how far the disciplined clock has been moved
//! away from its free-running oscillator, as a function of (local) time.
//!
//! A sample's offset θ (source − local) taken while the clock stood
//! `C(t)` ahead of the oscillator is `θ + C(t)` against the oscillator
//! itself. In that frame samples from different times and sources compare
//! directly however the clock was stepped or slewed in between: what is left
//! is the oscillator's own drift, which the start-up fit measures. chrony
//! corrects its stored samples for its own slews the same way.

use alloc::collections::VecDeque;

use tempora_clock::{Correction, Time};

/// Segments kept: enough for an hour of corrections at one a second, and
/// for any sample a source still holds (older times use the oldest one).
const SEGMENTS: usize = 4096;

/// From `start` on, the clock stood `base` ns ahead of the oscillator and
/// ran `adj_ppb` faster than it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start: Time,
    base: f64,
    adj_ppb: f64,
}

/// The corrections applied to the clock (see the module documentation).
#[derive(Debug, Clone)]
pub struct Ledger {
    segments: VecDeque<Segment>,
}

impl Ledger {
    /// A ledger for a clock running at `adj_ppb` from `now`, not moved yet.
    pub fn new(now: Time, adj_ppb: f64) -> Self {
        let mut segments = VecDeque::new();
        segments.push_back(Segment {
            start: now,
            base: 0.0,
            adj_ppb: finite(adj_ppb),
        });
        Ledger { segments }
    }

    /// How far (ns) the clock stood ahead of its oscillator at local time
    /// `t`.
    pub fn ahead_at(&self, t: Time) -> f64 {
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.start <= t)
            .or(self.segments.front());
        match seg {
            Some(s) => s.base + s.adj_ppb * (t - s.start).as_secs_f64(),
            None => 0.0,
        }
    }

    /// The frequency adjustment in force, ppb.
    pub fn frequency_ppb(&self) -> f64 {
        self.segments.back().map_or(0.0, |s| s.adj_ppb)
    }

    /// Records `correction`, applied at local time `now` (before a step).
    pub fn apply(&mut self, now: Time, correction: Correction) {
        let here = self.ahead_at(now);
        let seg = match correction {
            Correction::None => return,
            Correction::Frequency { frequency_ppb } => Segment {
                start: now,
                base: here,
                adj_ppb: finite(frequency_ppb),
            },
            Correction::Step {
                step,
                frequency_ppb,
            } => Segment {
                // After the step the clock reads `now + step`.
                start: now + step,
                base: here + step.as_nanos_f64(),
                adj_ppb: finite(frequency_ppb),
            },
        };
        // A step back leaves segments that start after the new one: the
        // clock's times of before are read again, in the new segment.
        while self.segments.back().is_some_and(|s| s.start > seg.start) {
            self.segments.pop_back();
        }
        if self.segments.len() >= SEGMENTS {
            self.segments.pop_front();
        }
        self.segments.push_back(seg);
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora_clock::Duration;

    fn at(s: i64) -> Time {
        Time::from_nanos(1_000_000_000_000 + i128::from(s) * 1_000_000_000)
    }

    #[test]
    fn steps_and_slews_add_up() {
        let mut l = Ledger::new(at(0), 0.0);
        assert_eq!(l.ahead_at(at(10)), 0.0);
        l.apply(
            at(10),
            Correction::Step {
                step: Duration::from_millis(-10),
                frequency_ppb: 1000.0,
            },
        );
        // 10 s after the step (at clock time 20 s − 10 ms): −10 ms + 10 µs.
        let t = at(20) - Duration::from_millis(10);
        assert!((l.ahead_at(t) - (-10e6 + 10e3)).abs() < 1e-3);
        l.apply(t, Correction::Frequency { frequency_ppb: 0.0 });
        assert!((l.ahead_at(t + Duration::from_secs(100)) - (-10e6 + 10e3)).abs() < 1e-3);
        assert_eq!(l.frequency_ppb(), 0.0);
        // Before everything: the first segment, extrapolated.
        assert_eq!(l.ahead_at(at(-5)), 0.0);
    }
}
