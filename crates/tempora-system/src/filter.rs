//! The clock filter (RFC 5905 §10): the last eight samples of a source, of
//! which the one with the smallest delay is the best estimate of its
//! offset (queueing only ever adds delay, and adds error with it). Its
//! jitter is the RMS difference of the other samples' offsets from it.
//!
//! Shared by every kind of source that measures over a network path: NTP
//! servers (`tempora_ntp::client`) and CSPTP servers (`tempora_ptp::csptp`).
//! [`source_update`] is what such a source hands the system process.

use tempora_clock::{Duration, Time};

use crate::process::{Estimate, Measurement, SourceUpdate};

/// One sample of a source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterSample {
    /// θ.
    pub offset: Duration,
    /// δ.
    pub delay: Duration,
    /// The server's root distance contribution (root delay / 2 + root
    /// dispersion).
    pub root: Duration,
    /// When it was taken (T4, our clock).
    pub at: Time,
}

/// Stages of the filter (RFC 5905 §10: NSTAGE).
pub const STAGES: usize = 8;

/// The filter of one source.
#[derive(Debug, Clone, Default)]
pub struct ClockFilter {
    samples: [Option<FilterSample>; STAGES],
    next: usize,
}

/// What the filter makes of its samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Filtered {
    /// The minimum-delay sample.
    pub best: FilterSample,
    /// RMS of the other samples' offsets from the best (zero with one).
    pub jitter: Duration,
    /// How many samples it holds.
    pub count: usize,
}

impl ClockFilter {
    /// Adds a sample, dropping the oldest beyond eight.
    pub fn add(&mut self, s: FilterSample) {
        if let Some(slot) = self.samples.get_mut(self.next) {
            *slot = Some(s);
        }
        self.next = (self.next + 1) % STAGES;
    }

    /// Forgets every sample (after a clock step: they no longer apply).
    pub fn clear(&mut self) {
        *self = ClockFilter::default();
    }

    /// The minimum-delay sample and the jitter, if any sample is held.
    pub fn best(&self) -> Option<Filtered> {
        let best = self
            .samples
            .iter()
            .flatten()
            .min_by(|a, b| a.delay.cmp(&b.delay))
            .copied()?;
        let mut sum = 0.0f64;
        let mut count = 0usize;
        for s in self.samples.iter().flatten() {
            count += 1;
            let d = (s.offset - best.offset).as_secs_f64();
            sum += d * d;
        }
        let jitter = if count > 1 {
            Duration::from_secs_f64(sqrt(sum / (count - 1) as f64))
        } else {
            Duration::ZERO
        };
        Some(Filtered {
            best,
            jitter,
            count,
        })
    }
}

/// What a filtered source hands the system process for a new measurement:
/// the measurement itself and the clock filter's state with it (RFC 5905
/// §10); `interval` is the source's poll interval.
pub fn source_update(measurement: Measurement, f: &Filtered, interval: Duration) -> SourceUpdate {
    SourceUpdate {
        interval,
        measurement,
        estimate: Estimate {
            at: f.best.at,
            offset: f.best.offset,
            delay: f.best.delay,
            root: f.best.root,
            jitter: f.jitter,
            count: f.count,
        },
    }
}

/// √x by Newton's method (no libm in `no_std`).
fn sqrt(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 0.0;
    }
    let mut r = if x > 1.0 { x } else { 1.0 };
    for _ in 0..64 {
        let next = 0.5 * (r + x / r);
        if (next - r).abs() <= f64::EPSILON * r {
            return next;
        }
        r = next;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(offset_us: i64, delay_us: i64) -> FilterSample {
        FilterSample {
            offset: Duration::from_micros(offset_us),
            delay: Duration::from_micros(delay_us),
            root: Duration::ZERO,
            at: Time::EPOCH,
        }
    }

    #[test]
    fn keeps_eight_and_picks_the_least_delayed() {
        let mut f = ClockFilter::default();
        assert!(f.best().is_none());
        f.add(s(500, 900));
        f.add(s(10, 100));
        f.add(s(300, 700));
        let b = f.best().unwrap();
        assert_eq!(b.best.offset, Duration::from_micros(10));
        assert_eq!(b.count, 3);
        // RMS of (490, 290) µs over 2.
        let expected = ((490.0f64 * 490.0 + 290.0 * 290.0) / 2.0).sqrt();
        assert!((b.jitter.as_secs_f64() * 1e6 - expected).abs() < 0.01);
        for _ in 0..8 {
            f.add(s(50, 200));
        }
        let b = f.best().unwrap();
        assert_eq!(b.count, 8);
        assert_eq!(b.best.offset, Duration::from_micros(50));
        assert_eq!(b.jitter, Duration::ZERO);
        assert!((sqrt(2.0) - 2f64.sqrt()).abs() < 1e-15);
    }
}
