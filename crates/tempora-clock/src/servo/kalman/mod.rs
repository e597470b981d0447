//! A Kalman-filter clock servo that adapts to the network and the
//! oscillator it finds.
//!
//! # Model
//!
//! The state is the clock's offset θ (local − reference, ns) and the
//! oscillator's own frequency error ω (ppb, without the servo's
//! adjustment). Between two samples `dt` seconds apart, with the clock
//! running at the adjustment `a` the servo last asked for,
//!
//! ```text
//! θ(t + dt) = θ(t) + (ω + a)·dt        ω(t + dt) = ω(t) + random walk
//! ```
//!
//! the classic two-state clock model (e.g. Giada Giorgi and Claudio
//! Narduzzi, "Performance analysis of Kalman-filter-based clock
//! synchronization in IEEE 1588 networks", IEEE Trans. Instrum. Meas.
//! 60(8), 2011), whose process noise for random-walk frequency modulation
//! of intensity `q` (ppb²/s) is `Q = q·[[dt³/3, dt²/2], [dt²/2, dt]]`. The
//! actual time between samples is used, so lost samples only mean a longer
//! prediction and more uncertainty.
//!
//! # Adaptation
//!
//! - **Process noise (oscillator wander).** Nobody knows `q` in advance: it
//!   spans many decades between an oven-controlled oscillator and a laptop
//!   crystal next to a fan. The servo runs a bank of filters with `q` spaced
//!   by factors of ten and combines them as an interacting multiple model
//!   (IMM) estimator (H. A. P. Blom and Y. Bar-Shalom, "The interacting
//!   multiple model algorithm for systems with Markovian switching
//!   coefficients", IEEE Trans. Automatic Control 33(8), 1988): each filter
//!   is weighted by how well it predicted the measurements, and filters mix
//!   through a slow Markov switching probability, so that a temperature
//!   change (a frequency step or faster wander) moves the weight to the
//!   nimbler filters within a few samples, and back once it is over.
//! - **Measurement noise.** The variance is modelled as `r0 + κ·e²`, where
//!   `e` is the sample's path delay above the smallest delay of the last 64
//!   samples. In a two-way exchange whose queueing `q1`, `q2` adds `e = q1 +
//!   q2` to the delay, the offset errs by `(q1 − q2)/2`, at most `e/2`; for
//!   independent exponential queueing the split is uniform and the error
//!   variance is `e²/12`. This is the insight behind NTP's minimum-delay
//!   clock filter (RFC 5905 §10; D. L. Mills, "Computer Network Time
//!   Synchronization", 2nd ed., ch. 3) made into weights instead of a
//!   selection. `r0` and `κ` are estimated by weighted least squares
//!   with forgetting (memory `noise_memory` samples, residuals clipped at
//!   16 times their expected value) from the residuals of interpolating each measurement
//!   between its neighbours (after removing the servo's own corrections) —
//!   a statistic that does not depend on the filter, so the noise estimate
//!   and the wander estimate do not chase each other. When the delay says
//!   nothing about the error (e.g. PTP's filtered mean path delay), `κ`
//!   comes out near zero and every sample gets `r0`.
//! - **Outliers.** A sample that none of the filters can explain within
//!   `gate_sigmas` standard deviations is not used (popcorn spikes). The
//!   gate never locks out: after `max_consecutive_outliers` rejections in a
//!   row the sample is accepted and the uncertainty inflated so that a real
//!   step in time or frequency is followed. Each filter's likelihood uses a
//!   Huber-type robust score so that one spike does not move the weights.
//!
//! # Steering
//!
//! The adjustment is `a = −ω̂ − θ̂/τ`: cancel the estimated frequency error
//! and remove the estimated offset over `τ = steer_intervals` × the typical
//! interval between samples. Because the filter knows the adjustment it
//! asked for, steering does not disturb the estimate (the separation
//! principle of linear-quadratic-Gaussian control), and the residual offset
//! is the filter's estimation error; the time constant only keeps the
//! frequency from jumping at the rate of individual samples.

mod config;
mod model;
mod noise;

pub use config::KalmanConfig;
use model::Model;
use noise::{DelayWindow, NoiseEstimator};

use super::{Correction, Handover, Sample, Servo, ServoState, clamp_sym};
use crate::time::{Duration, Time};

/// The Markov chain's mean dwell in sample intervals, at least.
const DWELL_INTERVALS: f64 = 300.0;

/// Number of filters in the bank.
const MODELS: usize = 21;
/// Ratio between the wander intensities of neighbouring filters.
const MODEL_RATIO: f64 = 3.162_277_660_168_379_5;
/// Number of recent delays whose minimum is the reference for the excess.
const DELAY_WINDOW: usize = 64;
/// Smallest measurement noise variance, ns² (keeps the filter numerically
/// sane with perfect simulated time stamps).
const MIN_R: f64 = 1e-4;
/// Robust likelihood: squared normalized innovations beyond this are scored
/// linearly rather than quadratically.
const HUBER_K: f64 = 3.0;

/// The adaptive Kalman-filter servo (see the module documentation).
#[derive(Debug, Clone)]
pub struct KalmanServo {
    config: KalmanConfig,
    models: [Model; MODELS],
    mu: [f64; MODELS],
    /// Combined estimate and covariance.
    x: [f64; 2],
    p: [f64; 3],
    adjustment: f64,
    last_time: Option<Time>,
    /// Steps applied since `last_time` was taken, ns.
    pending_step: f64,
    nominal_interval: f64,
    typical_dt: f64,
    /// Mean absolute deviation of the intervals from `typical_dt`, s.
    dt_spread: f64,
    accepted: u32,
    consecutive_outliers: u32,
    /// Rejections in a row, queued samples included.
    rejected_run: u32,
    since_accept: f64,
    first_update_done: bool,
    noise: NoiseEstimator,
    delays: DelayWindow,
    state: ServoState,
    outliers: u64,
    last_r: f64,
}

impl KalmanServo {
    /// A Kalman servo with the given configuration and a nominal interval
    /// of 1 s (change it with [`Servo::set_interval`]; the servo also
    /// learns the actual interval).
    /// The configuration is [sanitized](KalmanConfig::sanitized).
    pub fn new(config: KalmanConfig) -> Self {
        let config = config.sanitized();
        let a0 = clamp_sym(config.initial_frequency_ppb, config.max_frequency_ppb);
        let sigma = config.initial_frequency_uncertainty_ppb;
        let min_q = config.min_wander;
        let mut models = [Model {
            x: [0.0, -a0],
            p: [0.0, 0.0, sigma * sigma],
            q: min_q,
        }; MODELS];
        let mut q = min_q;
        for m in &mut models {
            m.q = q;
            q *= MODEL_RATIO;
        }
        KalmanServo {
            config,
            models,
            mu: [1.0 / MODELS as f64; MODELS],
            x: [0.0, -a0],
            p: [0.0, 0.0, sigma * sigma],
            adjustment: a0,
            last_time: None,
            pending_step: 0.0,
            nominal_interval: 1.0,
            typical_dt: 1.0,
            dt_spread: 0.0,
            accepted: 0,
            consecutive_outliers: 0,
            rejected_run: 0,
            since_accept: 0.0,
            first_update_done: false,
            noise: NoiseEstimator::new(1e6),
            delays: DelayWindow::new(),
            state: ServoState::Unlocked,
            outliers: 0,
            last_r: 1e6,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &KalmanConfig {
        &self.config
    }

    /// The estimated offset (local − reference) at the last sample, after
    /// any step asked for then.
    pub fn offset_estimate(&self) -> Duration {
        Duration::from_secs_f64(self.x[0] * 1e-9)
    }

    /// The estimated frequency error of the oscillator without adjustment,
    /// ppb (positive: fast).
    pub fn frequency_error_ppb(&self) -> f64 {
        self.x[1]
    }

    /// Standard deviations of the offset (ns) and frequency (ppb)
    /// estimates.
    pub fn uncertainty(&self) -> (f64, f64) {
        (libm::sqrt(self.p[0]), libm::sqrt(self.p[2]))
    }

    /// The measurement noise model: `(r0, κ)`, variance `r0 + κ·e²` in ns²
    /// for a delay excess `e` in ns.
    pub fn noise_model(&self) -> (f64, f64) {
        (self.noise.r0, self.noise.kappa)
    }

    /// The variance used for the last sample, ns².
    pub fn last_measurement_variance(&self) -> f64 {
        self.last_r
    }

    /// The wander intensity (ppb²/s) of the filters weighted by their
    /// probability (geometric mean): the servo's estimate of the
    /// oscillator's random-walk frequency noise.
    pub fn wander_estimate(&self) -> f64 {
        let log: f64 = self
            .models
            .iter()
            .zip(self.mu.iter())
            .map(|(m, &w)| w * libm::log(m.q))
            .sum();
        libm::exp(log)
    }

    /// How many samples were rejected as outliers.
    pub fn outliers(&self) -> u64 {
        self.outliers
    }

    /// Starts over from the next sample, keeping the frequency estimate,
    /// and the noise estimate if `keep_noise`.
    fn restart(&mut self, keep_noise: bool) {
        let (omega, p11) = if self.x[1].is_finite() && self.p[2].is_finite() && self.p[2] > 0.0 {
            (self.x[1], self.p[2])
        } else {
            let s = self.config.initial_frequency_uncertainty_ppb;
            (
                -self.adjustment,
                if s > 0.0 && s.is_finite() {
                    s * s
                } else {
                    4e10
                },
            )
        };
        for m in &mut self.models {
            m.x = [0.0, omega];
            m.p = [0.0, 0.0, p11];
        }
        self.x = [0.0, omega];
        self.p = [0.0, 0.0, p11];
        self.last_time = None;
        self.pending_step = 0.0;
        self.accepted = 0;
        self.consecutive_outliers = 0;
        self.rejected_run = 0;
        self.since_accept = 0.0;
        self.state = ServoState::Unlocked;
        if keep_noise {
            self.noise.break_chain();
        } else {
            self.noise = NoiseEstimator::new(self.noise.guess);
            self.delays = DelayWindow::new();
            self.mu = [1.0 / MODELS as f64; MODELS];
        }
    }

    fn combine(&mut self) {
        (self.x, self.p) = Model::moment_match(&self.models, &self.mu);
    }

    /// IMM interaction: each filter starts the step from a mixture of all
    /// of them; returns the predicted model probabilities.
    fn mix(&mut self, dt: f64) -> [f64; MODELS] {
        // The chain's dwell is at least 300 sample intervals: with
        // NTP's minute-long polls a ten-minute dwell would move weight to
        // the nimbler filters every few samples, and they average the
        // network's noise over too short a time.
        let dwell = self
            .config
            .model_dwell_s
            .max(DWELL_INTERVALS * self.nominal_interval);
        let stay = libm::exp(-dt / dwell);
        let switch = (1.0 - stay) / (MODELS - 1) as f64;
        let mut c = [0.0; MODELS];
        for (j, cj) in c.iter_mut().enumerate() {
            *cj = self
                .mu
                .iter()
                .enumerate()
                .map(|(i, &m)| m * if i == j { stay } else { switch })
                .sum();
        }
        let old = self.models;
        for (j, model) in self.models.iter_mut().enumerate() {
            if c[j] <= 0.0 {
                continue;
            }
            let mut w = [0.0; MODELS];
            for (i, wi) in w.iter_mut().enumerate() {
                let pij = if i == j { stay } else { switch };
                *wi = self.mu[i] * pij / c[j];
            }
            (model.x, model.p) = Model::moment_match(&old, &w);
        }
        c
    }

    fn steer(&self) -> f64 {
        // Remove the offset by the time the next sample is likely, not just
        // typical: with irregular samples (PTP's randomized Delay_Req) a
        // horizon of one mean interval overshoots whenever the next sample
        // comes late.
        let horizon = self.typical_dt + self.dt_spread;
        let tau = (self.config.steer_intervals * horizon).max(1e-3);
        clamp_sym(-self.x[1] - self.x[0] / tau, self.config.max_frequency_ppb)
    }

    fn apply_step(&mut self) -> Duration {
        let step = Duration::from_secs_f64(-self.x[0] * 1e-9);
        let s = step.as_nanos_f64();
        for m in &mut self.models {
            m.x[0] += s;
        }
        self.x[0] += s;
        self.pending_step += s;
        self.noise.advance(0.0, s);
        step
    }

    fn first_sample(&mut self, z: f64, r: f64) {
        for m in &mut self.models {
            m.x[0] = z;
            m.p[0] = r;
            m.p[1] = 0.0;
        }
        self.accepted = 1;
        self.combine();
    }

    /// The squared excess of the sample's path delay over the smallest
    /// recent delay, ns² (zero without a usable delay).
    fn delay_excess2(&mut self, delay: Option<Duration>) -> f64 {
        let excess = match delay {
            Some(d) if self.config.use_delay && d >= Duration::ZERO => {
                self.delays.excess(d.as_nanos_f64())
            }
            _ => 0.0,
        };
        excess * excess
    }

    /// The time since the previous sample taken at `local_time`, if any,
    /// and remembers this one. Restarts if the time went backwards or
    /// jumped.
    fn elapsed(&mut self, local_time: Time) -> Option<f64> {
        // Time since the previous sample, net of the steps asked for since,
        // and in reference seconds: the local clock ran at rate
        // 1 + (ω + a)·1e-9, which matters at large slews (1 µs per second
        // at 1000 ppm).
        let rate = 1.0 + clamp_sym(self.x[1] + self.adjustment, 1e8) * 1e-9;
        let dt = match self.last_time {
            None => None,
            Some(t) => Some(((local_time - t).as_secs_f64() - self.pending_step * 1e-9) / rate),
        };
        let dt = match dt {
            Some(dt) if dt.is_finite() && dt > -1e-3 && dt < 1e6 => Some(dt.max(0.0)),
            Some(_) => {
                // Time went backwards or jumped: someone else moved the clock.
                self.restart(true);
                None
            }
            None => None,
        };
        self.last_time = Some(local_time);
        self.pending_step = 0.0;
        dt
    }

    /// The first sample, or the first after a restart: the filters start
    /// from it.
    fn start(&mut self, z: f64, e2: f64, delay: Option<Duration>) {
        // Without a noise estimate yet, the guess comes from the delay.
        if self.noise.n == 0.0 {
            let guess = match delay {
                Some(d) if d > Duration::ZERO => {
                    let g = d.as_nanos_f64() * 0.05;
                    (g * g).clamp(1.0, 1e10)
                }
                _ => 1e6,
            };
            self.noise = NoiseEstimator::new(guess);
        }
        let r = self.noise.variance(e2);
        self.last_r = r;
        self.first_sample(z, r);
        self.noise.accept(z, e2, 0.0, self.config.noise_memory);
    }

    /// Learns the interval, then mixes the filters and predicts each `dt`
    /// seconds ahead; returns the predicted model probabilities.
    fn predict(&mut self, dt: f64) -> [f64; MODELS] {
        if dt > 0.0 {
            let d = dt.min(10.0 * self.typical_dt);
            self.dt_spread += ((d - self.typical_dt).abs() - self.dt_spread) * 0.05;
            self.typical_dt += (d - self.typical_dt) * 0.05;
        }
        self.noise.advance(dt, self.adjustment * dt);
        self.since_accept += dt;

        let prior = self.mix(dt);
        for m in &mut self.models {
            m.predict(dt, self.adjustment);
        }
        prior
    }

    /// The outlier gate: the frequency correction if the sample is
    /// rejected, `None` if it is to be used (after inflating the
    /// uncertainty if the outliers persist).
    fn gate(&mut self, z: f64, r: f64, e2: f64, prior: [f64; MODELS]) -> Option<Correction> {
        // Gate: is the sample explained by any of the filters?
        let gate2 = self.config.gate_sigmas * self.config.gate_sigmas;
        let explained = self.models.iter().any(|m| {
            let nu = z - m.x[0];
            nu * nu <= gate2 * (m.p[0] + r)
        });
        // Gate only once the noise model rests on enough residuals: its
        // first guess (from the path delay) can be far too small, e.g. on a
        // short link with software timestamps.
        let gating = self.accepted >= 4 && self.noise.n >= 16.0 && self.config.gate_sigmas > 0.0;
        // A sample whose path delay is well above the minimum was queued:
        // its disagreement is explained by the queueing, not by a change of
        // the clock, so it does not count towards giving in (a burst of
        // congestion must not drag the clock along).
        let queued = self.noise.kappa * e2 > 3.0 * self.noise.r0.max(MIN_R);
        if gating
            && !explained
            && (queued || self.consecutive_outliers < self.config.max_consecutive_outliers)
            && self.rejected_run < self.config.max_rejected_run
        {
            if !queued {
                self.consecutive_outliers += 1;
            }
            self.rejected_run += 1;
            self.outliers += 1;
            self.mu = prior;
            self.combine();
            self.adjustment = self.steer();
            return Some(Correction::Frequency {
                frequency_ppb: self.adjustment,
            });
        }
        if gating && !explained {
            self.give_in(z);
        }
        self.consecutive_outliers = 0;
        self.rejected_run = 0;
        self.since_accept = 0.0;
        None
    }

    /// Persistent outliers: a real change. Accept it and forget enough to
    /// follow it.
    fn give_in(&mut self, z: f64) {
        let span = self.since_accept.max(self.typical_dt).max(1e-3);
        for m in &mut self.models {
            let nu = z - m.x[0];
            m.p[0] += nu * nu;
            m.p[2] += (nu / span) * (nu / span);
        }
        self.noise.break_chain();
        self.state = ServoState::Unlocked;
    }

    /// Updates every filter with the measurement `z` of variance `r`,
    /// weighs them by their (robust) likelihood and combines them; `false`
    /// if the result is not sane (nothing is combined then).
    fn update(&mut self, z: f64, r: f64, e2: f64, prior: [f64; MODELS]) -> bool {
        let mut loglik = [0.0; MODELS];
        for (m, ll) in self.models.iter_mut().zip(loglik.iter_mut()) {
            let s = m.p[0] + r;
            let nu = z - m.x[0];
            let u = nu * nu / s;
            let rho = if u <= HUBER_K * HUBER_K {
                u
            } else {
                2.0 * HUBER_K * libm::sqrt(u) - HUBER_K * HUBER_K
            };
            *ll = -0.5 * rho - 0.5 * libm::log(s);
            m.update(z, r);
        }
        let best = loglik.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let mut total = 0.0;
        for j in 0..MODELS {
            self.mu[j] = (prior[j] * libm::exp(loglik[j] - best)).max(1e-12);
            total += self.mu[j];
        }
        for m in &mut self.mu {
            *m /= total;
        }
        // No oscillator is 10 % off: an estimate like that comes from
        // garbage.
        let sane = |m: &Model| m.is_finite() && libm::fabs(m.x[1]) <= 1e8;
        if !self.models.iter().all(sane) || !total.is_finite() {
            return false;
        }
        self.combine();
        self.accepted = self.accepted.saturating_add(1);
        self.last_r = r;
        let max_span = 3.0 * self.typical_dt.max(self.nominal_interval);
        self.noise.accept(z, e2, max_span, self.config.noise_memory);
        true
    }

    /// After an accepted sample: the step, if one is due, the steering and
    /// the lock state.
    fn correct(&mut self) -> Correction {
        // Steps: once when first estimated, later only if configured.
        let beyond = |threshold: Duration, x: f64| {
            threshold > Duration::ZERO && libm::fabs(x) > threshold.as_nanos_f64()
        };
        let mut step = None;
        if !self.first_update_done && self.accepted < self.config.first_update_samples {
            // Hold still until the frequency rests on a few samples: a step
            // taken on a two-sample estimate leaves a drift to chase.
            return Correction::None;
        }
        if !self.first_update_done {
            self.first_update_done = true;
            if beyond(self.config.first_step_threshold, self.x[0]) {
                step = Some(self.apply_step());
            }
        } else if beyond(self.config.step_threshold, self.x[0]) {
            step = Some(self.apply_step());
        }

        self.adjustment = self.steer();
        if let Some(step) = step {
            self.state = ServoState::Jump;
            return Correction::Step {
                step,
                frequency_ppb: self.adjustment,
            };
        }
        let converged = self.accepted >= 3
            && libm::sqrt(self.p[2]) * self.typical_dt
                <= 2.0 * libm::sqrt(self.noise.r0 + self.p[0]);
        if converged || self.state == ServoState::Locked {
            self.state = ServoState::Locked;
        } else {
            self.state = ServoState::Unlocked;
        }
        Correction::Frequency {
            frequency_ppb: self.adjustment,
        }
    }
}

impl Default for KalmanServo {
    fn default() -> Self {
        Self::new(KalmanConfig::default())
    }
}

impl Servo for KalmanServo {
    fn sample(&mut self, sample: Sample) -> Correction {
        let z = sample.offset.as_nanos_f64();
        let e2 = self.delay_excess2(sample.delay);
        let dt = self.elapsed(sample.local_time);
        let r = self.noise.variance(e2);
        let Some(dt) = dt.filter(|_| self.accepted > 0) else {
            self.start(z, e2, sample.delay);
            return Correction::None;
        };
        let prior = self.predict(dt);
        if let Some(rejected) = self.gate(z, r, e2, prior) {
            return rejected;
        }
        if !self.update(z, r, e2, prior) {
            // The estimate is garbage: start over rather than steer by it.
            self.restart(true);
            return Correction::None;
        }
        self.correct()
    }

    fn state(&self) -> ServoState {
        self.state
    }

    fn frequency_ppb(&self) -> f64 {
        self.adjustment
    }

    fn set_interval(&mut self, interval: Duration) {
        let i = interval.as_secs_f64();
        if i > 0.0 && i.is_finite() {
            if self.accepted == 0 || libm::fabs(libm::log(i / self.nominal_interval)) > 0.5 {
                self.typical_dt = i;
            }
            self.nominal_interval = i;
        }
    }

    /// Forgets everything but the frequency estimate, including the noise
    /// estimate (a new master means a new path).
    fn reset(&mut self) {
        self.restart(false);
        self.first_update_done = true;
    }

    fn name(&self) -> &'static str {
        "kalman"
    }

    /// Shifts the offset estimate by the step and keeps everything else.
    fn stepped(&mut self, step: Duration) {
        let s = step.as_nanos_f64();
        for m in &mut self.models {
            m.x[0] += s;
        }
        self.x[0] += s;
        self.pending_step += s;
        self.noise.advance(0.0, s);
        self.first_update_done = true;
    }

    /// Starts the frequency estimate from the measurement: every filter's
    /// frequency error becomes `−adjustment_ppb` with variance `sigma²`
    /// (never more certain than 1 ppb), and the servo's adjustment is the
    /// one now in force.
    fn frequency_set(&mut self, adjustment_ppb: f64, sigma_ppb: f64) {
        if !adjustment_ppb.is_finite() || sigma_ppb.is_nan() {
            return;
        }
        let a = clamp_sym(adjustment_ppb, self.config.max_frequency_ppb);
        let var = (sigma_ppb * sigma_ppb).max(1.0);
        for m in &mut self.models {
            m.x[1] = -a;
            m.p[1] = 0.0;
            m.p[2] = var;
        }
        self.x[1] = -a;
        self.p[1] = 0.0;
        self.p[2] = var;
        self.adjustment = a;
        self.first_update_done = true;
    }

    /// Starts every filter from the state handed over, as if it had been
    /// estimated here: the next sample is an ordinary update.
    fn state_set(&mut self, h: Handover) {
        let theta = h.offset.as_nanos_f64();
        if !theta.is_finite() || !h.offset_sigma_ns.is_finite() {
            self.frequency_set(h.adjustment_ppb, h.frequency_sigma_ppb);
            return;
        }
        self.frequency_set(h.adjustment_ppb, h.frequency_sigma_ppb);
        let var = (h.offset_sigma_ns * h.offset_sigma_ns).max(MIN_R);
        for m in &mut self.models {
            m.x[0] = theta;
            m.p[0] = var;
        }
        self.x[0] = theta;
        self.p[0] = var;
        self.last_time = Some(h.at);
        self.pending_step = 0.0;
        self.accepted = self.accepted.max(1);
        if h.delay > Duration::ZERO {
            if self.noise.n == 0.0 {
                let g = h.delay.as_nanos_f64() * 0.05;
                self.noise = NoiseEstimator::new((g * g).clamp(1.0, 1e10));
                self.noise.hold_kappa(4.0);
            }
            // The least delay seen so far, for the excess of the next
            // samples.
            self.delays.excess(h.delay.as_nanos_f64());
        }
    }

    fn set_max_frequency(&mut self, max_ppb: f64) {
        if max_ppb >= 0.0 {
            self.config.max_frequency_ppb = max_ppb;
            self.adjustment = clamp_sym(self.adjustment, max_ppb);
        }
    }

    /// The combined estimate and covariance at the last sample, with the
    /// bank's [`wander_estimate`](KalmanServo::wander_estimate) (the
    /// geometric mean; the arithmetic mean, which the mixture's own
    /// prediction would use, is dominated by the switching floor of the
    /// nimblest filters and came out a hundred times the true wander in the
    /// holdover simulation); `None` before the first update.
    fn holdover_model(&self) -> Option<super::HoldoverModel> {
        let finite = self.x.iter().chain(self.p.iter()).all(|v| v.is_finite());
        if self.accepted < 2 || !finite {
            return None;
        }
        Some(super::HoldoverModel {
            offset_ns: self.x[0],
            frequency_error_ppb: self.x[1],
            offset_variance: self.p[0],
            covariance: self.p[1],
            frequency_variance: self.p[2],
            wander: self.wander_estimate(),
        })
    }
}

#[cfg(test)]
mod tests;
