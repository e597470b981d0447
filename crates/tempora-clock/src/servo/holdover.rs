//! What a servo knows of its own errors, for holdover: when the reference
//! goes away, the clock keeps the last frequency estimate, and how far its
//! time may wander from then on follows from how well that estimate was
//! known and how fast the oscillator wanders.
//!
//! # Model
//!
//! The two-state clock model of the Kalman servo (see
//! [`kalman`](super::kalman)): offset θ (ns) and the oscillator's frequency
//! error ω (ppb), ω a random walk of intensity `q` (ppb²/s). Holding the
//! frequency adjustment at `−ω̂` from the last estimate on, the offset after
//! `t` seconds of holdover is `θ̂ + (ω − ω̂)·t` plus the wander integrated
//! over `t`, whose variance is the Kalman prediction's:
//!
//! ```text
//! var θ(t) = P00 + 2·t·P01 + t²·P11 + q·t³/3        (ns²)
//! ```
//!
//! (the random-walk FM term `q·t³/3` is the process noise of the model, e.g.
//! Giorgi and Narduzzi, IEEE Trans. Instrum. Meas. 60(8), 2011). The bound
//! announced is `|θ̂| + k·√var θ(t)` with `k` = [`CONFIDENCE_SIGMAS`]: the
//! residual offset that holdover does not remove, plus `k` standard
//! deviations. An oscillator's ageing (a linear frequency drift) is not in
//! the model: over a day it is the term the estimate misses first.

use crate::time::Duration;

/// Standard deviations in the announced bound (2: about 95 % of the errors
/// of a Gaussian process fall within it).
pub const CONFIDENCE_SIGMAS: f64 = 2.0;

/// A servo's estimate of its state and its covariance at its last sample,
/// from which the time error of holdover is predicted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldoverModel {
    /// The estimated offset θ̂ (local − reference), ns.
    pub offset_ns: f64,
    /// The estimated frequency error ω̂ of the free-running oscillator, ppb
    /// (positive: fast). Holdover runs the clock at `−ω̂`.
    pub frequency_error_ppb: f64,
    /// Variance of θ̂, ns².
    pub offset_variance: f64,
    /// Covariance of θ̂ and ω̂, ns·ppb.
    pub covariance: f64,
    /// Variance of ω̂, ppb².
    pub frequency_variance: f64,
    /// Random-walk FM intensity of the oscillator, ppb²/s.
    pub wander: f64,
}

impl HoldoverModel {
    /// The frequency adjustment that holds the last estimate: `−ω̂`, ppb.
    pub fn holdover_adjustment_ppb(&self) -> f64 {
        -self.frequency_error_ppb
    }

    /// The standard deviation of the offset `t` seconds after the last
    /// sample, ns (the Kalman prediction; see the module documentation).
    /// Negative or NaN `t` is read as 0; a NaN input gives infinity.
    pub fn sigma_ns(&self, t: f64) -> f64 {
        let t = if t.is_finite() && t > 0.0 { t } else { 0.0 };
        let var = self.offset_variance
            + 2.0 * t * self.covariance
            + t * t * self.frequency_variance
            + self.wander * t * t * t / 3.0;
        if var.is_nan() {
            return f64::INFINITY;
        }
        libm::sqrt(var.max(0.0))
    }

    /// The error bound announced `t` seconds after the last sample:
    /// `|θ̂| + k·σ(t)`.
    pub fn bound(&self, t: f64) -> Duration {
        let ns = libm::fabs(self.offset_ns) + CONFIDENCE_SIGMAS * self.sigma_ns(t);
        duration_from_ns(ns)
    }
}

/// `ns` as a [`Duration`], saturating at about 292 years (infinity and NaN
/// too).
pub fn duration_from_ns(ns: f64) -> Duration {
    const MAX_NS: f64 = 9.2e18;
    if ns.is_nan() || ns >= MAX_NS {
        return Duration::from_nanos(MAX_NS as i64);
    }
    Duration::from_secs_f64(ns.max(0.0) * 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> HoldoverModel {
        HoldoverModel {
            offset_ns: 3.0,
            frequency_error_ppb: 1500.0,
            offset_variance: 16.0,
            covariance: 0.0,
            frequency_variance: 0.01,
            wander: 1e-4,
        }
    }

    #[test]
    fn sigma_grows_as_the_kalman_prediction() {
        let m = model();
        assert!((m.sigma_ns(0.0) - 4.0).abs() < 1e-12);
        // After 1000 s: 16 + 1e6·0.01 + 1e-4·1e9/3.
        let want = libm::sqrt(16.0 + 1e4 + 1e5 / 3.0);
        assert!((m.sigma_ns(1000.0) - want).abs() < 1e-9);
        assert!(m.sigma_ns(3600.0) > m.sigma_ns(1000.0));
        assert_eq!(m.sigma_ns(-5.0), m.sigma_ns(0.0));
    }

    #[test]
    fn bound_adds_the_residual_offset() {
        let m = model();
        let b = m.bound(0.0).as_nanos_f64();
        assert!((b - (3.0 + 2.0 * 4.0)).abs() < 1.0, "{b}");
        assert_eq!(m.holdover_adjustment_ppb(), -1500.0);
    }

    #[test]
    fn nan_saturates() {
        let m = HoldoverModel {
            wander: f64::NAN,
            ..model()
        };
        assert!(m.bound(10.0) > Duration::from_secs(1_000_000));
        assert!(duration_from_ns(-1.0) == Duration::ZERO);
    }
}
