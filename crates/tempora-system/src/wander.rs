//! The oscillator's wander measured from the reference's own samples while
//! locked, for the holdover estimate: the Kalman servo's wander estimate
//! comes from one-sample likelihoods and misses random-walk frequency noise
//! that only shows over minutes (docs/refclocks.md, "Simulated holdover").
//!
//! The free-running oscillator's phase against the reference is the
//! measured offset (local − reference) minus the phase the servo's
//! frequency adjustments added: `x(t) = θ(t) − ∫a dt`. Its Allan variance
//! at `τ` is estimated from the overlapping second differences
//! `x(t) − 2·x(t − τ) + x(t − 2τ)` (AVAR(τ) = ⟨d²⟩ / 2τ²; D. W. Allan,
//! "Statistics of atomic frequency standards", Proc. IEEE 54(2), 1966), and
//! for random-walk frequency noise of intensity `q` (ppb²/s)
//! AVAR(τ) = q·τ/3 (IEEE Std 1139-2008, Table B.1: (2π²/3)·h₋₂·τ with
//! h₋₂ = q/2π²). The white phase noise of the samples adds 3σ²/τ², which is
//! not removed: the estimate errs high, on the side of a larger bound.

use alloc::collections::VecDeque;

use tempora_clock::{Duration, Time};

/// The averaging time τ, s.
pub const TAU_S: f64 = 512.0;

/// Second differences needed before the estimate is used (one τ's worth
/// at one sample a second).
pub const MIN_DIFFERENCES: u64 = 512;

/// Samples kept: 2τ at one a second, and some slack.
const HISTORY: usize = 2 * TAU_S as usize + 64;

/// The estimator (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct WanderEstimator {
    /// (seconds since the first sample, free-running phase ns).
    history: VecDeque<(f64, f64)>,
    first: Option<Time>,
    /// The last sample's time and the adjustment in force after it.
    last: Option<(Time, f64)>,
    /// ∫a dt so far, ns.
    phase: f64,
    sum_d2: f64,
    count: u64,
}

impl WanderEstimator {
    /// An empty estimator.
    pub fn new() -> Self {
        WanderEstimator::default()
    }

    /// One sample: the offset `local − reference` measured at `at`, and the
    /// frequency adjustment in force from then on, ppb. Samples out of order
    /// or with non-finite values are ignored.
    pub fn sample(&mut self, at: Time, offset: Duration, adjustment_ppb: f64) {
        if !adjustment_ppb.is_finite() {
            return;
        }
        if let Some((t, a)) = self.last {
            if at <= t {
                return;
            }
            self.phase += a * (at - t).as_secs_f64();
        }
        self.last = Some((at, adjustment_ppb));
        let first = *self.first.get_or_insert(at);
        let s = (at - first).as_secs_f64();
        let x = offset.as_nanos_f64() - self.phase;
        if let (Some(x1), Some(x2)) = (self.at(s - TAU_S), self.at(s - 2.0 * TAU_S)) {
            let d = x - 2.0 * x1 + x2;
            self.sum_d2 += d * d;
            self.count += 1;
        }
        self.history.push_back((s, x));
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
    }

    /// The phase at the sample nearest `s` (within 2 s), if kept.
    fn at(&self, s: f64) -> Option<f64> {
        let i = self.history.partition_point(|&(t, _)| t < s);
        [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter_map(|j| self.history.get(j))
            .filter(|(t, _)| libm::fabs(t - s) <= 2.0)
            .min_by(|a, b| libm::fabs(a.0 - s).total_cmp(&libm::fabs(b.0 - s)))
            .map(|&(_, x)| x)
    }

    /// The random-walk FM intensity q, ppb²/s, once enough samples are in.
    pub fn estimate(&self) -> Option<f64> {
        (self.count >= MIN_DIFFERENCES).then(|| {
            let avar = self.sum_d2 / self.count as f64 / (2.0 * TAU_S * TAU_S);
            3.0 * avar / TAU_S
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic random walk (a linear congruential generator's
    /// uniform draws, scaled to unit variance).
    struct Lcg(u64);

    impl Lcg {
        fn unit(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
            (u - 0.5) * libm::sqrt(12.0)
        }
    }

    fn run(q: f64, adjustment: impl Fn(f64) -> f64) -> Option<f64> {
        let mut rng = Lcg(7);
        let mut w = WanderEstimator::new();
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let (mut y, mut x_free, mut phase) = (300.0, 0.0, 0.0);
        for s in 0..20_000 {
            let a = adjustment(s as f64);
            let offset = x_free + phase;
            w.sample(
                t0 + Duration::from_secs(s),
                Duration::from_secs_f64(offset * 1e-9),
                a,
            );
            x_free += y;
            phase += a;
            y += libm::sqrt(q) * rng.unit();
        }
        w.estimate()
    }

    #[test]
    fn recovers_random_walk_fm_whatever_the_steering() {
        for q in [1e-4, 4e-4, 1e-2] {
            let free = run(q, |_| 0.0).unwrap();
            assert!(free > q / 3.0 && free < q * 3.0, "q {q}: {free}");
            // Steering changes the measured offsets, not the oscillator.
            let steered = run(q, |s| -300.0 + 5.0 * libm::sin(s / 100.0)).unwrap();
            assert!((steered / free - 1.0).abs() < 1e-3, "{steered} vs {free}");
        }
    }

    #[test]
    fn needs_enough_samples_and_ignores_disorder() {
        let mut w = WanderEstimator::new();
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        for s in 0..1500 {
            w.sample(t0 + Duration::from_secs(s), Duration::ZERO, 0.0);
        }
        assert_eq!(w.estimate(), None);
        w.sample(t0, Duration::from_secs(1), 0.0);
        w.sample(t0 + Duration::from_secs(2000), Duration::ZERO, f64::NAN);
        for s in 1500..2100 {
            w.sample(t0 + Duration::from_secs(s), Duration::ZERO, 0.0);
        }
        assert_eq!(w.estimate(), Some(0.0));
    }
}
