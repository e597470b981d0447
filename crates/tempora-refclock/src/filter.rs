//! The per-poll sample filter of a reference clock, as chrony's
//! `samplefilt.c` does it for refclocks (chrony.conf(5), `refclock`
//! option `filter`): samples of one source accumulate over a poll interval
//! (up to `filter` of them, the oldest dropped first); at the poll, if there
//! are at least min(`filter`, 4), the outliers are dropped and the rest are
//! combined into one sample, which goes to the system process as a
//! [`RawSample`] (the source has no clock filter of its own, as RFC 5905
//! §10's; [`tempora_system::SystemProcess::handle_sample`] makes its
//! estimate).
//!
//! Outliers (chrony's `select_samples`, with the combine ratio of 0.6 its
//! `refclock.c` uses): with more than four samples, those whose own
//! dispersion is more than 1.5 × the smallest are set aside first, if at
//! least four remain; then the samples are sorted by offset and the
//! `max(1, ⌊0.2 n⌋)` lowest and as many highest are dropped (never past the
//! median; nothing is dropped from two samples or fewer), which keeps the
//! 60% nearest the median.
//!
//! Combining (after chrony's `combine_selected_samples`, changed): for
//! four or more kept samples, the value of a least-squares line through
//! them at the newest one's time, with the standard error of that value as
//! its spread (so a frequency error of the local clock over the poll is
//! not counted as noise, and the sample is not half a poll old when the
//! servo gets it); for two or three, the mean at the mean time, with the
//! standard deviation of the offsets. The dispersion is the larger of that
//! spread and the kept samples' mean dispersion. chrony reports the mean at
//! the mean time, weights the fit by dispersion and smooths the variance
//! over polls; this filter does none of these.

use alloc::vec::Vec;
use tempora_clock::{Duration, Time};
use tempora_system::RawSample;
use tempora_system::process::Measurement;

/// One sample of a reference clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefSample {
    /// The local clock's time of the measurement.
    pub at: Time,
    /// The source's offset θ (reference − local) then.
    pub offset: Duration,
    /// Its own error bound (the reference's precision, the driver's
    /// timestamping error).
    pub dispersion: Duration,
}

/// Fraction of the samples kept around the median (chrony's combine
/// ratio for reference clocks).
const COMBINE_RATIO: f64 = 0.6;

/// The filter of one reference clock.
#[derive(Debug, Clone)]
pub struct SampleFilter {
    length: usize,
    samples: Vec<RefSample>,
}

impl SampleFilter {
    /// A filter that keeps up to `length` samples per poll (at least one).
    pub fn new(length: usize) -> Self {
        let length = length.max(1);
        SampleFilter {
            length,
            samples: Vec::with_capacity(length),
        }
    }

    /// Samples held.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no samples are held.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Adds a sample, dropping the oldest if the filter is full.
    pub fn add(&mut self, sample: RefSample) {
        if self.samples.len() == self.length {
            self.samples.remove(0);
        }
        self.samples.push(sample);
    }

    /// Forgets every sample (after a step of the clock, or a source reset).
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// At a poll: the combined sample, or `None` if fewer than
    /// min(length, 4) samples arrived. `interval` is the poll interval.
    /// The samples are consumed when a sample comes out; otherwise they
    /// wait for the next poll.
    pub fn poll(&mut self, interval: Duration) -> Option<RawSample> {
        if self.samples.len() < self.length.min(4) {
            return None;
        }
        let kept = select(&self.samples);
        let sample = combine(&kept);
        self.samples.clear();
        Some(RawSample {
            measurement: Measurement {
                at: sample.at,
                offset: sample.offset,
                delay: Duration::ZERO,
            },
            root: sample.dispersion,
            interval,
            own_delay: false,
        })
    }
}

/// The samples kept: chrony's dispersion pre-selection, then the middle
/// 60% by offset.
fn select(samples: &[RefSample]) -> Vec<RefSample> {
    let mut kept: Vec<RefSample> = samples.to_vec();
    if samples.len() > 4 {
        let min = samples
            .iter()
            .map(|s| s.dispersion)
            .min()
            .unwrap_or(Duration::ZERO);
        let limit = min.as_secs_f64() * 1.5;
        let good: Vec<RefSample> = samples
            .iter()
            .copied()
            .filter(|s| s.dispersion.as_secs_f64() <= limit)
            .collect();
        if good.len() >= 4 {
            kept = good;
        }
    }
    kept.sort_by_key(|s| s.offset);
    let n = kept.len();
    let drop = if n > 2 {
        // ⌊n (1 − ratio) / 2⌋, at least one, never past the median.
        ((n as f64 * (1.0 - COMBINE_RATIO) / 2.0) as usize).clamp(1, (n - 1) / 2)
    } else {
        0
    };
    kept.truncate(n - drop);
    kept.drain(..drop);
    kept
}

/// The kept samples combined: for four or more, the value of a
/// least-squares line through them at the newest one's time, with the
/// standard error of that value; for two or three, their mean at their
/// mean time, with their standard deviation; either way at least their mean
/// dispersion.
///
/// The newest time, not the mean: the servo takes a sample as measured
/// when it gets it, and a mean half a poll old (8 s at the default 16 s
/// poll of a once-a-second source) is a loop delay that made the servo
/// oscillate under clknetsim after tens of minutes (docs/refclocks.md).
fn combine(kept: &[RefSample]) -> RefSample {
    let Some(last) = kept.iter().map(|s| s.at).max() else {
        return RefSample {
            at: Time::EPOCH,
            offset: Duration::ZERO,
            dispersion: Duration::ZERO,
        };
    };
    let n = kept.len() as f64;
    let x: Vec<f64> = kept.iter().map(|s| (s.at - last).as_secs_f64()).collect();
    let y: Vec<f64> = kept.iter().map(|s| s.offset.as_secs_f64()).collect();
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let mean_disp = kept.iter().map(|s| s.dispersion.as_secs_f64()).sum::<f64>() / n;
    let (at, offset, spread) = if kept.len() >= 4 {
        let (value, error) = line_at_newest(&x, &y, mean_x, mean_y);
        (last, value, error)
    } else if kept.len() >= 2 {
        let var = y.iter().map(|v| (v - mean_y) * (v - mean_y)).sum::<f64>() / (n - 1.0);
        (
            last + Duration::from_secs_f64(mean_x),
            mean_y,
            libm::sqrt(var),
        )
    } else {
        (last + Duration::from_secs_f64(mean_x), mean_y, 0.0)
    };
    RefSample {
        at,
        offset: Duration::from_secs_f64(offset),
        dispersion: Duration::from_secs_f64(spread.max(mean_disp)),
    }
}

/// A least-squares line's value at x = 0 (the newest sample) and its
/// standard error √(s² (1/n + x̄²/Sxx)), with s² the residual variance over
/// n − 2 degrees of freedom.
fn line_at_newest(x: &[f64], y: &[f64], mean_x: f64, mean_y: f64) -> (f64, f64) {
    let n = x.len() as f64;
    let sxx: f64 = x.iter().map(|v| (v - mean_x) * (v - mean_x)).sum();
    let sxy: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (a - mean_x) * (b - mean_y))
        .sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let ssr: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| {
            let r = b - mean_y - slope * (a - mean_x);
            r * r
        })
        .sum();
    let leverage = if sxx > 0.0 {
        mean_x * mean_x / sxx
    } else {
        0.0
    };
    let value = mean_y - slope * mean_x;
    (value, libm::sqrt(ssr / (n - 2.0) * (1.0 / n + leverage)))
}

#[cfg(test)]
mod tests;
