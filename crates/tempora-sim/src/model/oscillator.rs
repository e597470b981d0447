//! The slave's oscillator: a free-running clock whose frequency error is a
//! constant offset, a random walk (wander), a slow sinusoid (temperature)
//! and an optional step; readings carry white phase noise.

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use tempora_clock::{Duration, Time};

use crate::scenario::ClockModel;

/// A free-running clock driven by true time.
#[derive(Debug, Clone)]
pub struct Oscillator {
    model: ClockModel,
    start: Time,
    /// True time and local reading at the last advance.
    true_last: Time,
    local_last: Time,
    /// The random-walk part of the frequency error (fraction).
    walk: f64,
    walk_step: Option<Normal<f64>>,
}

impl Oscillator {
    /// An oscillator that reads `start` at true time `start`.
    pub fn new(model: ClockModel, start: Time) -> Self {
        Oscillator {
            walk_step: Normal::new(0.0, model.wander_ppb_per_sqrt_s * 1e-9).ok(),
            model,
            start,
            true_last: start,
            local_last: start,
            walk: 0.0,
        }
    }

    /// The frequency error (fraction) at true time `t`, wander excluded.
    fn deterministic_error(&self, t: Time) -> f64 {
        let s = (t - self.start).as_secs_f64();
        let mut y = self.model.frequency_offset_ppm * 1e-6;
        if let Some(temp) = self.model.temperature {
            if temp.period_s > 0.0 {
                y += temp.amplitude_ppb
                    * 1e-9
                    * (2.0 * std::f64::consts::PI * s / temp.period_s).sin();
            }
        }
        if let Some(step) = self.model.frequency_step {
            if s >= step.at_s {
                y += step.ppb * 1e-9;
            }
        }
        y
    }

    /// The frequency error (fraction) now.
    pub fn frequency_error(&self) -> f64 {
        self.deterministic_error(self.true_last) + self.walk
    }

    /// Advances to true time `t` (never backwards) and returns the reading.
    pub fn advance(&mut self, t: Time, rng: &mut ChaCha8Rng) -> Time {
        if t <= self.true_last {
            return self.local_last;
        }
        let dt = (t - self.true_last).as_secs_f64();
        let mid = self.true_last + (t - self.true_last) / 2;
        let y = self.deterministic_error(mid) + self.walk;
        self.local_last = self.local_last + (t - self.true_last) + Duration::from_secs_f64(dt * y);
        self.true_last = t;
        if let Some(step) = self.walk_step {
            self.walk += step.sample(rng) * dt.sqrt();
        }
        self.local_last
    }

    /// White phase noise for one reading.
    pub fn phase_noise(&self, rng: &mut ChaCha8Rng) -> Duration {
        match Normal::new(0.0, self.model.phase_noise_ns) {
            Ok(n) if self.model.phase_noise_ns > 0.0 => {
                Duration::from_secs_f64(n.sample(rng) * 1e-9)
            }
            _ => Duration::ZERO,
        }
    }
}
