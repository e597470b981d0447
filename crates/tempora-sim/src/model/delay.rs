//! Network delay: a base delay per direction, a random part drawn from a
//! distribution, losses, and queueing bursts.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp, Normal};
use tempora_clock::{Duration, Time};

use crate::scenario::{Bursts, Direction, Distribution};

/// One direction's delay model.
#[derive(Debug, Clone)]
pub struct DelayModel {
    base: Duration,
    jitter: Distribution,
    loss: f64,
    /// Burst intervals (start, end) in seconds since the start, sorted.
    bursts: Vec<(f64, f64)>,
    burst_mean_us: f64,
}

impl DelayModel {
    /// A constant `delay`: no jitter, no loss, no bursts.
    pub fn fixed(delay: Duration) -> Self {
        DelayModel {
            base: delay,
            jitter: Distribution::Constant,
            loss: 0.0,
            bursts: Vec::new(),
            burst_mean_us: 0.0,
        }
    }

    /// The model of `direction`, with `loss` and bursts drawn over
    /// `duration_s` from `rng`.
    pub fn new(
        direction: Direction,
        loss: f64,
        bursts: Option<Bursts>,
        duration_s: f64,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let mut intervals = Vec::new();
        let mut burst_mean_us = 0.0;
        if let Some(b) = bursts.filter(|b| b.per_hour > 0.0) {
            burst_mean_us = b.extra_mean_us;
            let gaps = Exp::new(b.per_hour / 3600.0).ok();
            let mut t = 0.0;
            while let Some(g) = gaps {
                t += g.sample(rng);
                if t >= duration_s {
                    break;
                }
                intervals.push((t, t + b.duration_s));
                t += b.duration_s;
            }
        }
        DelayModel {
            base: Duration::from_secs_f64(direction.base_us * 1e-6),
            jitter: direction.jitter,
            loss,
            bursts: intervals,
            burst_mean_us,
        }
    }

    /// The delay of a message sent `since_start_s` into the run, or `None`
    /// if it is lost.
    pub fn sample(&self, since_start_s: f64, rng: &mut ChaCha8Rng) -> Option<Duration> {
        // Draw everything every time so that the streams stay aligned.
        let lost = rng.r#gen::<f64>() < self.loss;
        let jitter_us = match self.jitter {
            Distribution::Constant => 0.0,
            Distribution::Uniform { max_us } => rng.r#gen::<f64>() * max_us,
            Distribution::Normal { sd_us } => Normal::new(0.0, sd_us)
                .map(|n| n.sample(rng).abs())
                .unwrap_or(0.0),
            Distribution::Exponential { mean_us } => Exp::new(1.0 / mean_us)
                .map(|e| e.sample(rng))
                .unwrap_or(0.0),
            Distribution::Pareto { scale_us, shape } => {
                let u: f64 = rng.r#gen::<f64>().max(1e-12);
                scale_us * (u.powf(-1.0 / shape) - 1.0)
            }
        };
        let in_burst = self
            .bursts
            .iter()
            .any(|(a, b)| (*a..*b).contains(&since_start_s));
        let burst_us = Exp::new(1.0 / self.burst_mean_us.max(1e-9))
            .map(|e| e.sample(rng))
            .unwrap_or(0.0);
        if lost {
            return None;
        }
        let extra_us = jitter_us.min(1e7) + if in_burst { burst_us } else { 0.0 };
        Some(self.base + Duration::from_secs_f64(extra_us * 1e-6))
    }
}

/// Seconds between two times, for the models.
pub fn seconds_between(start: Time, t: Time) -> f64 {
    (t - start).as_secs_f64()
}
