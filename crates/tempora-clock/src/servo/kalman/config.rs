//! Configuration of the Kalman servo.

use crate::time::Duration;

/// Configuration of a [`KalmanServo`](super::KalmanServo).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KalmanConfig {
    /// Step once, when the frequency is first estimated (the second
    /// sample), if the estimated offset is beyond this (default 20 µs, as
    /// linuxptp's `first_step_threshold`; zero disables).
    pub first_step_threshold: Duration,
    /// Samples taken before the first update, the frequency estimate and the
    /// first step (default 2; at least 2). With noisy software timestamps 3
    /// give a frequency estimate good enough not to leave a drift to chase
    /// after the step.
    pub first_update_samples: u32,
    /// Step whenever the estimated offset is beyond this (default zero:
    /// never, slew only; as linuxptp's `step_threshold`).
    pub step_threshold: Duration,
    /// The largest adjustment asked for, in ppb (default 900000).
    pub max_frequency_ppb: f64,
    /// The clock's frequency adjustment when the servo starts, in ppb: the
    /// oscillator's error is first assumed to be its opposite.
    pub initial_frequency_ppb: f64,
    /// One standard deviation of the oscillator's error before any
    /// measurement, in ppb (default 200000).
    pub initial_frequency_uncertainty_ppb: f64,
    /// Smallest random-walk frequency noise intensity in the bank, ppb²/s
    /// (default 1e-6); the bank of 21 filters spans ten decades from it
    /// (neighbours a factor √10 apart).
    pub min_wander: f64,
    /// Mean time the IMM's Markov chain stays in one model, seconds
    /// (default 600).
    pub model_dwell_s: f64,
    /// Innovation gate, in standard deviations (default 5; zero or less
    /// disables outlier rejection).
    pub gate_sigmas: f64,
    /// Rejections in a row of samples with a clean (near-minimum) path
    /// delay after which a sample is accepted anyway (default 5).
    pub max_consecutive_outliers: u32,
    /// Rejections in a row of any samples, queued ones included, after which
    /// a sample is accepted anyway (default 30: longer than a congestion
    /// burst, short enough to recover from a wrong estimate).
    pub max_rejected_run: u32,
    /// Time constant of the offset correction in sample intervals (default
    /// 1: remove it by the next sample, which minimizes the offset there;
    /// the interval is the typical one plus its spread, so irregular
    /// samples are not overshot; larger values smooth the frequency; values
    /// below 1 are read as 1).
    pub steer_intervals: f64,
    /// Memory of the measurement noise estimate, in samples (default 128).
    pub noise_memory: f64,
    /// Whether to weight samples by their delay (default true).
    pub use_delay: bool,
}

impl KalmanConfig {
    /// The configuration with nonsense values (NaN, negative, infinite
    /// where a finite value is needed) replaced by the defaults, and
    /// `steer_intervals` at least 1 (shorter time constants overshoot).
    pub fn sanitized(self) -> Self {
        let d = Self::default();
        let positive = |x: f64, default: f64| {
            if x.is_finite() && x > 0.0 { x } else { default }
        };
        KalmanConfig {
            max_frequency_ppb: if self.max_frequency_ppb >= 0.0 {
                self.max_frequency_ppb
            } else {
                d.max_frequency_ppb
            },
            initial_frequency_ppb: if self.initial_frequency_ppb.is_finite() {
                self.initial_frequency_ppb
            } else {
                0.0
            },
            initial_frequency_uncertainty_ppb: positive(
                self.initial_frequency_uncertainty_ppb,
                d.initial_frequency_uncertainty_ppb,
            ),
            min_wander: positive(self.min_wander, d.min_wander),
            model_dwell_s: positive(self.model_dwell_s, d.model_dwell_s),
            gate_sigmas: if self.gate_sigmas.is_nan() {
                d.gate_sigmas
            } else {
                self.gate_sigmas
            },
            steer_intervals: positive(self.steer_intervals, d.steer_intervals).max(1.0),
            noise_memory: positive(self.noise_memory, d.noise_memory).max(2.0),
            first_update_samples: self.first_update_samples.max(2),
            ..self
        }
    }
}

impl Default for KalmanConfig {
    fn default() -> Self {
        KalmanConfig {
            first_update_samples: 2,
            first_step_threshold: Duration::from_micros(20),
            step_threshold: Duration::ZERO,
            max_frequency_ppb: 900_000.0,
            initial_frequency_ppb: 0.0,
            initial_frequency_uncertainty_ppb: 200_000.0,
            min_wander: 1e-6,
            model_dwell_s: 600.0,
            gate_sigmas: 5.0,
            max_consecutive_outliers: 5,
            max_rejected_run: 30,
            steer_intervals: 1.0,
            noise_memory: 128.0,
            use_delay: true,
        }
    }
}
