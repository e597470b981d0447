//! A small closed-loop simulation for the servo tests: an oscillator with a
//! frequency error, random-walk wander and optional frequency steps, offset
//! measurements with configurable noise, loss, gaps and popcorn spikes, and
//! the servo's corrections applied to the simulated clock.

extern crate std;

use super::{Correction, Sample, Servo};
use crate::time::{Duration, Time};

/// A deterministic random number generator (SplitMix64, Steele, Lea and
/// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub(crate) fn gaussian(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        libm::sqrt(-2.0 * libm::log(u)) * libm::cos(2.0 * core::f64::consts::PI * v)
    }

    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.uniform())
    }

    /// Pareto with the given minimum and shape (heavy tail for shape ≤ 2).
    pub(crate) fn pareto(&mut self, min: f64, shape: f64) -> f64 {
        min / libm::pow(self.uniform(), 1.0 / shape)
    }
}

/// How measurements err.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Noise {
    /// Gaussian offset noise (hardware time stamps); the delay is constant.
    Gaussian { sigma_ns: f64 },
    /// Exponential queueing in each direction of a two-way exchange, as
    /// NTP measures: offset error (q1 − q2)/2, delay 2 × base + q1 + q2.
    Exponential { mean_ns: f64 },
    /// Exponential queueing of the one-way message only, measured against
    /// a well-filtered mean path delay (PTP's offset from a Sync with a
    /// filtered delay): skewed error, a delay that says nothing.
    OneWay { mean_ns: f64 },
    /// Pareto queueing (heavy-tailed congestion) in each direction, minus
    /// its minimum.
    Pareto { scale_ns: f64, shape: f64 },
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Scenario {
    pub seed: u64,
    pub steps: usize,
    pub interval_s: f64,
    pub warmup: usize,
    pub noise: Noise,
    pub base_delay_ns: f64,
    pub initial_offset_ns: f64,
    pub freq_error_ppb: f64,
    /// Random-walk frequency wander: standard deviation of the frequency
    /// change over one second, ppb.
    pub wander_ppb: f64,
    /// Probability that a sample is lost.
    pub loss: f64,
    /// Every `.0` intervals, `.1` intervals are missing.
    pub gaps: Option<(usize, usize)>,
    /// Probability of a popcorn spike and its size (ns).
    pub popcorn: (f64, f64),
    /// A frequency step of `.1` ppb at interval `.0`.
    pub freq_step: Option<(usize, f64)>,
    /// A step of the reference time by `.1` ns at interval `.0`.
    pub time_step: Option<(usize, f64)>,
    pub max_ppb: f64,
    /// The bound for `Report::settled_at` (zero: 10 × the RMS).
    pub settle_bound_ns: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            steps: 2000,
            interval_s: 1.0,
            warmup: 300,
            noise: Noise::Gaussian { sigma_ns: 10.0 },
            base_delay_ns: 50_000.0,
            initial_offset_ns: 0.0,
            freq_error_ppb: 10_000.0,
            wander_ppb: 0.0,
            loss: 0.0,
            gaps: None,
            popcorn: (0.0, 0.0),
            freq_step: None,
            time_step: None,
            max_ppb: 900_000.0,
            settle_bound_ns: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Report {
    /// RMS true offset after the warm-up, at every interval, ns.
    pub rms_ns: f64,
    /// Largest true offset after the warm-up, ns.
    pub max_abs_ns: f64,
    /// The first interval after which |offset| stays below the settle
    /// bound.
    pub settled_at: usize,
    pub steps_taken: usize,
}

pub(crate) fn run<S: Servo + ?Sized>(servo: &mut S, sc: &Scenario) -> Report {
    let mut rng = Rng::new(sc.seed);
    let mut theta = sc.initial_offset_ns; // local − reference, ns
    let mut omega = sc.freq_error_ppb; // oscillator error, ppb
    let mut adj = 0.0; // applied adjustment, ppb
    let dt = sc.interval_s;
    let mut sum2 = 0.0;
    let mut n = 0usize;
    let mut max_abs: f64 = 0.0;
    let mut history = [0.0f64; 8192];
    let mut steps_taken = 0;
    // Steps of the reference time, ns.
    let mut ref_shift = 0.0;
    servo.set_interval(Duration::from_secs_f64(dt));
    // SIM_TRACE=from-to prints the intervals in that range.
    let trace = std::env::var("SIM_TRACE").ok().and_then(|v| {
        let (a, b) = v.split_once('-')?;
        Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?))
    });
    for k in 0..sc.steps {
        // Advance one interval (the first sample is at t = 0).
        if k > 0 {
            theta += (omega + adj) * dt;
            omega += sc.wander_ppb * libm::sqrt(dt) * rng.gaussian();
        }
        if let Some((at, ppb)) = sc.freq_step {
            if k == at {
                omega += ppb;
            }
        }
        if let Some((at, ns)) = sc.time_step {
            if k == at {
                theta -= ns;
                ref_shift += ns;
            }
        }
        if k < history.len() {
            history[k] = theta;
        }
        if k >= sc.warmup {
            sum2 += theta * theta;
            n += 1;
            max_abs = max_abs.max(theta.abs());
        }
        let lost = rng.uniform() < sc.loss
            || sc
                .gaps
                .is_some_and(|(every, len)| k > 0 && k % every < len && k > every);
        // Draw the noise even for lost samples so that scenarios compare.
        let (err, delay) = match sc.noise {
            Noise::Gaussian { sigma_ns } => (sigma_ns * rng.gaussian(), 2.0 * sc.base_delay_ns),
            Noise::Exponential { mean_ns } => {
                let (q1, q2) = (rng.exponential(mean_ns), rng.exponential(mean_ns));
                ((q1 - q2) / 2.0, 2.0 * sc.base_delay_ns + q1 + q2)
            }
            Noise::OneWay { mean_ns } => (
                rng.exponential(mean_ns) - mean_ns,
                2.0 * (sc.base_delay_ns + mean_ns),
            ),
            Noise::Pareto { scale_ns, shape } => {
                let q1 = rng.pareto(scale_ns, shape) - scale_ns;
                let q2 = rng.pareto(scale_ns, shape) - scale_ns;
                ((q1 - q2) / 2.0, 2.0 * sc.base_delay_ns + q1 + q2)
            }
        };
        let spike = if rng.uniform() < sc.popcorn.0 {
            sc.popcorn.1
        } else {
            0.0
        };
        if lost {
            continue;
        }
        let t_ns = k as f64 * dt * 1e9 + ref_shift;
        let sample = Sample {
            local_time: Time::from_scaled_nanos(((t_ns + theta) * 65536.0) as i128),
            offset: Duration::from_secs_f64((theta + err + spike) * 1e-9),
            delay: Some(Duration::from_secs_f64(delay * 1e-9)),
        };
        let correction = servo.sample(sample);
        if trace.is_some_and(|(a, b)| (a..=b).contains(&k)) {
            std::println!(
                "{k:5} theta {theta:12.1} err {:10.1} -> {correction:?} {:?}",
                err + spike,
                servo.state()
            );
        }
        match correction {
            Correction::None => {}
            Correction::Step {
                step,
                frequency_ppb,
            } => {
                theta += step.as_nanos_f64();
                adj = frequency_ppb.clamp(-sc.max_ppb, sc.max_ppb);
                steps_taken += 1;
            }
            Correction::Frequency { frequency_ppb } => {
                adj = frequency_ppb.clamp(-sc.max_ppb, sc.max_ppb);
            }
        }
    }
    let rms = if n > 0 {
        libm::sqrt(sum2 / n as f64)
    } else {
        0.0
    };
    let bound = if sc.settle_bound_ns > 0.0 {
        sc.settle_bound_ns
    } else {
        10.0 * rms
    };
    let last = sc.steps.min(history.len());
    let settled_at = (0..last)
        .rev()
        .find(|&k| history[k].abs() > bound)
        .map_or(0, |k| k + 1);
    Report {
        rms_ns: rms,
        max_abs_ns: max_abs,
        settled_at,
        steps_taken,
    }
}

/// The RMS over several seeds.
pub(crate) fn rms_over_seeds<S: Servo>(make: impl Fn() -> S, sc: &Scenario, seeds: u64) -> f64 {
    let mut sum = 0.0;
    for seed in 0..seeds {
        let mut servo = make();
        let r = run(
            &mut servo,
            &Scenario {
                seed: sc.seed.wrapping_mul(1000) + seed,
                ..*sc
            },
        );
        sum += r.rms_ns * r.rms_ns;
    }
    libm::sqrt(sum / seeds as f64)
}
