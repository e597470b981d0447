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

use super::{Correction, Sample, Servo, ServoState, clamp_sym};
use crate::time::{Duration, Time};

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

/// Configuration of a [`KalmanServo`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KalmanConfig {
    /// Step once, when the frequency is first estimated (the second
    /// sample), if the estimated offset is beyond this (default 20 µs, as
    /// linuxptp's `first_step_threshold`; zero disables).
    pub first_step_threshold: Duration,
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
    /// Rejections in a row after which a sample is accepted anyway (default
    /// 5).
    pub max_consecutive_outliers: u32,
    /// Time constant of the offset correction in typical sample intervals
    /// (default 1: remove it by the next sample, which minimizes the
    /// offset there; larger values smooth the frequency; values below 1
    /// are read as 1).
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
            ..self
        }
    }
}

impl Default for KalmanConfig {
    fn default() -> Self {
        KalmanConfig {
            first_step_threshold: Duration::from_micros(20),
            step_threshold: Duration::ZERO,
            max_frequency_ppb: 900_000.0,
            initial_frequency_ppb: 0.0,
            initial_frequency_uncertainty_ppb: 200_000.0,
            min_wander: 1e-6,
            model_dwell_s: 600.0,
            gate_sigmas: 5.0,
            max_consecutive_outliers: 5,
            steer_intervals: 1.0,
            noise_memory: 128.0,
            use_delay: true,
        }
    }
}

/// One filter of the bank: state `[θ ns, ω ppb]`, covariance
/// `[p00, p01, p11]`, wander intensity `q` (ppb²/s).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Model {
    x: [f64; 2],
    p: [f64; 3],
    q: f64,
}

impl Model {
    fn predict(&mut self, dt: f64, adjustment: f64) {
        let [p00, p01, p11] = self.p;
        let q = self.q;
        self.x[0] += (self.x[1] + adjustment) * dt;
        self.p = [
            p00 + 2.0 * dt * p01 + dt * dt * p11 + q * dt * dt * dt / 3.0,
            p01 + dt * p11 + q * dt * dt / 2.0,
            p11 + q * dt,
        ];
    }

    fn update(&mut self, z: f64, r: f64) {
        let [p00, p01, p11] = self.p;
        let s = p00 + r;
        let nu = z - self.x[0];
        let (k0, k1) = (p00 / s, p01 / s);
        self.x[0] += k0 * nu;
        self.x[1] += k1 * nu;
        let p00n = p00 * r / s;
        let p01n = p01 * r / s;
        // The determinant scales by r/s exactly; keep it positive despite
        // rounding.
        let min11 = if p00n > 0.0 {
            p01n * p01n / p00n * (1.0 + 1e-9)
        } else {
            0.0
        };
        let p11n = (p11 - p01 * p01 / s).max(min11);
        self.p = [p00n, p01n, p11n];
    }

    fn is_finite(&self) -> bool {
        self.x.iter().chain(self.p.iter()).all(|v| v.is_finite())
    }
}

/// Measurement noise estimate `r0 + κ·e²` from interpolation residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NoiseEstimator {
    // Least-squares sums with forgetting: residual² ≈ r0·a + κ·b.
    saa: f64,
    sab: f64,
    sbb: f64,
    say: f64,
    sby: f64,
    /// Sum of squared residuals per unit of `a`, for the average variance.
    sy: f64,
    n: f64,
    r0: f64,
    kappa: f64,
    guess: f64,
    /// The last accepted measurement and its excess².
    prev: Option<(f64, f64)>,
    /// The increment to it (free-running phase), its span, and the excess²
    /// of the one before.
    prev_inc: Option<(f64, f64, f64)>,
    /// The servo's own corrections since the last accepted sample, ns.
    ctrl: f64,
    /// Time since the last accepted sample, s.
    span: f64,
}

impl NoiseEstimator {
    /// Starts from `guess` (ns²), held as if it came from one residual of
    /// evenly spaced samples; it is forgotten like any other residual.
    fn new(guess: f64) -> Self {
        const PRIOR: f64 = 1.0;
        let guess = guess.max(MIN_R);
        NoiseEstimator {
            // A residual of 1.5 × guess (a = 1.5, b = 0), weighted as `add`
            // weighs it (1 / 1.5²).
            saa: PRIOR,
            sab: 0.0,
            sbb: 0.0,
            say: PRIOR * guess,
            sby: 0.0,
            sy: 0.0,
            n: 0.0,
            r0: guess,
            kappa: 1.0 / 12.0,
            guess,
            prev: None,
            prev_inc: None,
            ctrl: 0.0,
            span: 0.0,
        }
    }

    fn variance(&self, excess2: f64) -> f64 {
        (self.r0 + self.kappa * excess2).max(MIN_R)
    }

    /// Accounts for time passing with the clock corrected by `ctrl` ns.
    fn advance(&mut self, dt: f64, ctrl: f64) {
        self.span += dt;
        self.ctrl += ctrl;
    }

    /// Forgets the neighbours (after a discontinuity).
    fn break_chain(&mut self) {
        self.prev = None;
        self.prev_inc = None;
        self.ctrl = 0.0;
        self.span = 0.0;
    }

    fn accept(&mut self, z: f64, excess2: f64, max_span: f64, memory: f64) {
        if let Some((z1, e1)) = self.prev {
            let d2 = z - z1 - self.ctrl;
            let h2 = self.span;
            if let Some((d1, h1, e0)) = self.prev_inc {
                if h1 > 0.0 && h2 > 0.0 && h1 <= max_span && h2 <= max_span {
                    let h = h1 + h2;
                    let r = (d1 * h2 - d2 * h1) / h;
                    let (al, be) = (h2 / h, h1 / h);
                    let a = 1.0 + al * al + be * be;
                    let b = e1 + al * al * e0 + be * be * excess2;
                    self.add(a, b, r * r, memory);
                }
            }
            self.prev_inc = Some((d2, h2, e1));
        }
        self.prev = Some((z, excess2));
        self.ctrl = 0.0;
        self.span = 0.0;
    }

    fn add(&mut self, a: f64, b: f64, y: f64, memory: f64) {
        let expected = (a * self.r0 + b * self.kappa).max(MIN_R);
        // Huber-style clipping so that a single wild residual cannot
        // dominate (the estimate can still grow several-fold per sample
        // while it has few residuals, so a low guess is soon corrected).
        let y = y.min(16.0 * expected);
        if !(y.is_finite() && a.is_finite() && b.is_finite()) {
            return;
        }
        // Weighted least squares: a squared residual's spread grows with
        // its expected value, so weigh by its inverse square — relative to
        // the current level `r0`, so that residuals taken when the level was
        // different keep comparable weights (otherwise the estimate would
        // adapt upwards far slower than downwards).
        let shape = expected / self.r0.max(MIN_R);
        let w = 1.0 / (shape * shape);
        let lambda = 1.0 - 1.0 / memory.max(2.0);
        self.saa = lambda * self.saa + w * a * a;
        self.sab = lambda * self.sab + w * a * b;
        self.sbb = lambda * self.sbb + w * b * b;
        self.say = lambda * self.say + w * a * y;
        self.sby = lambda * self.sby + w * b * y;
        self.sy = lambda * self.sy + y / a;
        self.n = lambda * self.n + 1.0;
        self.solve();
    }

    /// The average measurement variance, ns² (unweighted).
    fn mean_variance(&self) -> f64 {
        if self.n > 0.0 {
            self.sy / self.n
        } else {
            self.guess
        }
    }

    fn solve(&mut self) {
        const KAPPA_MAX: f64 = 0.5;
        // No sample may weigh more than a hundred average ones: a small
        // delay excess bounds the error only as well as the recent minimum
        // delay is known.
        let floor = (0.01 * self.mean_variance()).max(MIN_R);
        let det = self.saa * self.sbb - self.sab * self.sab;
        let (mut r0, mut kappa);
        if det > 1e-9 * self.saa * self.sbb && self.sbb > 0.0 {
            r0 = (self.say * self.sbb - self.sby * self.sab) / det;
            kappa = (self.saa * self.sby - self.sab * self.say) / det;
        } else {
            kappa = self.kappa;
            r0 = (self.say - kappa * self.sab) / self.saa;
        }
        if !(0.0..=KAPPA_MAX).contains(&kappa) {
            kappa = kappa.clamp(0.0, KAPPA_MAX);
            r0 = (self.say - kappa * self.sab) / self.saa;
        }
        if r0 < floor {
            r0 = floor;
            if self.sbb > 0.0 {
                kappa = ((self.sby - r0 * self.sab) / self.sbb).clamp(0.0, KAPPA_MAX);
            }
        }
        if r0.is_finite() && kappa.is_finite() {
            self.r0 = r0.max(floor);
            self.kappa = kappa;
        }
    }
}

/// The smallest of the recent path delays.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DelayWindow {
    delays: [f64; DELAY_WINDOW],
    len: usize,
    next: usize,
}

impl DelayWindow {
    fn new() -> Self {
        DelayWindow {
            delays: [0.0; DELAY_WINDOW],
            len: 0,
            next: 0,
        }
    }

    /// Records `delay` (ns) and returns its excess over the window's
    /// minimum.
    fn excess(&mut self, delay: f64) -> f64 {
        self.delays[self.next] = delay;
        self.next = (self.next + 1) % DELAY_WINDOW;
        self.len = (self.len + 1).min(DELAY_WINDOW);
        let min = self.delays[..self.len]
            .iter()
            .fold(f64::INFINITY, |m, &d| m.min(d));
        (delay - min).max(0.0)
    }
}

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
    accepted: u32,
    consecutive_outliers: u32,
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
            accepted: 0,
            consecutive_outliers: 0,
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
        let mut x = [0.0; 2];
        for (m, &w) in self.models.iter().zip(self.mu.iter()) {
            x[0] += w * m.x[0];
            x[1] += w * m.x[1];
        }
        let mut p = [0.0; 3];
        for (m, &w) in self.models.iter().zip(self.mu.iter()) {
            let d0 = m.x[0] - x[0];
            let d1 = m.x[1] - x[1];
            p[0] += w * (m.p[0] + d0 * d0);
            p[1] += w * (m.p[1] + d0 * d1);
            p[2] += w * (m.p[2] + d1 * d1);
        }
        self.x = x;
        self.p = p;
    }

    /// IMM interaction: each filter starts the step from a mixture of all
    /// of them; returns the predicted model probabilities.
    fn mix(&mut self, dt: f64) -> [f64; MODELS] {
        let stay = libm::exp(-dt / self.config.model_dwell_s);
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
            let mut x = [0.0; 2];
            for (m, &wi) in old.iter().zip(w.iter()) {
                x[0] += wi * m.x[0];
                x[1] += wi * m.x[1];
            }
            let mut p = [0.0; 3];
            for (m, &wi) in old.iter().zip(w.iter()) {
                let d0 = m.x[0] - x[0];
                let d1 = m.x[1] - x[1];
                p[0] += wi * (m.p[0] + d0 * d0);
                p[1] += wi * (m.p[1] + d0 * d1);
                p[2] += wi * (m.p[2] + d1 * d1);
            }
            model.x = x;
            model.p = p;
        }
        c
    }

    fn steer(&self) -> f64 {
        let tau = (self.config.steer_intervals * self.typical_dt).max(1e-3);
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
}

impl Default for KalmanServo {
    fn default() -> Self {
        Self::new(KalmanConfig::default())
    }
}

impl Servo for KalmanServo {
    fn sample(&mut self, sample: Sample) -> Correction {
        let z = sample.offset.as_nanos_f64();
        let excess = match sample.delay {
            Some(d) if self.config.use_delay && d >= Duration::ZERO => {
                self.delays.excess(d.as_nanos_f64())
            }
            _ => 0.0,
        };
        let e2 = excess * excess;

        // Time since the previous sample, net of the steps asked for since,
        // and in reference seconds: the local clock ran at rate
        // 1 + (ω + a)·1e-9, which matters at large slews (1 µs per second
        // at 1000 ppm).
        let rate = 1.0 + clamp_sym(self.x[1] + self.adjustment, 1e8) * 1e-9;
        let dt = match self.last_time {
            None => None,
            Some(t) => {
                Some(((sample.local_time - t).as_secs_f64() - self.pending_step * 1e-9) / rate)
            }
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
        self.last_time = Some(sample.local_time);
        self.pending_step = 0.0;

        let r = self.noise.variance(e2);
        let Some(dt) = dt.filter(|_| self.accepted > 0) else {
            // The first sample: the noise guess comes from the delay.
            if self.noise.n == 0.0 {
                let guess = match sample.delay {
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
            return Correction::None;
        };

        if dt > 0.0 {
            self.typical_dt += (dt.min(10.0 * self.typical_dt) - self.typical_dt) * 0.05;
        }
        self.noise.advance(dt, self.adjustment * dt);
        self.since_accept += dt;

        let prior = self.mix(dt);
        for m in &mut self.models {
            m.predict(dt, self.adjustment);
        }

        // Gate: is the sample explained by any of the filters?
        let gate2 = self.config.gate_sigmas * self.config.gate_sigmas;
        let explained = self.models.iter().any(|m| {
            let nu = z - m.x[0];
            nu * nu <= gate2 * (m.p[0] + r)
        });
        let gating = self.accepted >= 4 && self.config.gate_sigmas > 0.0;
        // A sample whose path delay is well above the minimum was queued:
        // its disagreement is explained by the queueing, not by a change of
        // the clock, so it does not count towards giving in (a burst of
        // congestion must not drag the clock along).
        let queued = self.noise.kappa * e2 > 3.0 * self.noise.r0.max(MIN_R);
        if gating
            && !explained
            && (queued || self.consecutive_outliers < self.config.max_consecutive_outliers)
        {
            if !queued {
                self.consecutive_outliers += 1;
            }
            self.outliers += 1;
            self.mu = prior;
            self.combine();
            self.adjustment = self.steer();
            return Correction::Frequency {
                frequency_ppb: self.adjustment,
            };
        }
        if gating && !explained {
            // Persistent: a real change. Accept it and forget enough to
            // follow it.
            let span = self.since_accept.max(self.typical_dt).max(1e-3);
            for m in &mut self.models {
                let nu = z - m.x[0];
                m.p[0] += nu * nu;
                m.p[2] += (nu / span) * (nu / span);
            }
            self.noise.break_chain();
            self.state = ServoState::Unlocked;
        }
        self.consecutive_outliers = 0;
        self.since_accept = 0.0;

        // Update every filter and weigh them by their (robust) likelihood.
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
        // garbage, so start over rather than steer by it.
        let sane = |m: &Model| m.is_finite() && libm::fabs(m.x[1]) <= 1e8;
        if !self.models.iter().all(sane) || !total.is_finite() {
            self.restart(true);
            return Correction::None;
        }
        self.combine();
        self.accepted = self.accepted.saturating_add(1);
        self.last_r = r;
        let max_span = 3.0 * self.typical_dt.max(self.nominal_interval);
        self.noise.accept(z, e2, max_span, self.config.noise_memory);

        // Steps: once when first estimated, later only if configured.
        let beyond = |threshold: Duration, x: f64| {
            threshold > Duration::ZERO && libm::fabs(x) > threshold.as_nanos_f64()
        };
        let mut step = None;
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

    fn set_max_frequency(&mut self, max_ppb: f64) {
        if max_ppb >= 0.0 {
            self.config.max_frequency_ppb = max_ppb;
            self.adjustment = clamp_sym(self.adjustment, max_ppb);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::servo::pi::{PiConfig, PiServo};
    use crate::servo::sim::{Noise, Scenario, rms_over_seeds, run};
    use std::println;

    fn lan() -> Scenario {
        Scenario {
            noise: Noise::Exponential { mean_ns: 10_000.0 },
            wander_ppb: 0.1,
            ..Scenario::default()
        }
    }

    fn hw() -> Scenario {
        Scenario {
            noise: Noise::Gaussian { sigma_ns: 5.0 },
            base_delay_ns: 500.0,
            wander_ppb: 0.1,
            ..Scenario::default()
        }
    }

    fn pi_sw() -> PiServo {
        PiServo::new(PiConfig::software())
    }

    fn pi_hw() -> PiServo {
        PiServo::new(PiConfig::hardware())
    }

    fn kalman() -> KalmanServo {
        KalmanServo::default()
    }

    fn at(t_s: f64, offset_ns: f64) -> Sample {
        Sample {
            local_time: Time::from_scaled_nanos((t_s * 1e9 * 65536.0) as i128),
            offset: Duration::from_secs_f64(offset_ns * 1e-9),
            delay: Some(Duration::from_micros(100)),
        }
    }

    #[test]
    fn constant_offset_is_slewed_away() {
        // 15 µs: below the first step threshold, so it is slewed.
        let sc = Scenario {
            initial_offset_ns: 15_000.0,
            freq_error_ppb: 0.0,
            settle_bound_ns: 50.0,
            ..hw()
        };
        let mut k = kalman();
        let r = run(&mut k, &sc);
        assert_eq!(r.steps_taken, 0);
        assert!(r.rms_ns < 5.0, "{r:?}");
        assert!(r.settled_at < 10, "{r:?}");
        assert_eq!(k.state(), ServoState::Locked);
    }

    #[test]
    fn constant_frequency_error_is_learned() {
        let sc = Scenario {
            freq_error_ppb: 10_000.0,
            wander_ppb: 0.0,
            ..hw()
        };
        let mut k = kalman();
        let r = run(&mut k, &sc);
        assert!(r.rms_ns < 5.0, "{r:?}");
        assert!((k.frequency_error_ppb() - 10_000.0).abs() < 0.5);
        assert!((k.frequency_ppb() + 10_000.0).abs() < 20.0);
    }

    #[test]
    fn first_step_then_slew() {
        let mut k = kalman();
        assert_eq!(k.sample(at(0.0, 1e6)), Correction::None);
        let Correction::Step {
            step,
            frequency_ppb,
        } = k.sample(at(1.0, 1e6 + 10_000.0))
        else {
            panic!("no step")
        };
        assert!((step.as_nanos_f64() + 1.01e6).abs() < 100.0, "{step}");
        // (Not quite 10 ppm: the prior still counts a little.)
        assert!((frequency_ppb + 10_000.0).abs() < 20.0, "{frequency_ppb}");
        assert_eq!(k.state(), ServoState::Jump);
        // The step is taken into account: the next sample, 1 s later on
        // the stepped clock, shows no offset and no time discontinuity.
        let c = k.sample(at(2.0 - 1.01e-3, 0.0));
        assert!(matches!(c, Correction::Frequency { .. }), "{c:?}");
        assert!(k.offset_estimate().abs() < Duration::from_nanos(100));
        // No later steps without a step threshold.
        let c = k.sample(at(3.0 - 1.01e-3, 1e6));
        assert!(!matches!(c, Correction::Step { .. }), "{c:?}");
    }

    #[test]
    fn step_in_time_is_followed() {
        // The reference jumps by 1 ms: rejected a few times as popcorn,
        // then accepted and slewed (no step threshold).
        let sc = Scenario {
            time_step: Some((1000, 1e6)),
            warmup: 1100,
            ..hw()
        };
        let mut k = kalman();
        let r = run(&mut k, &sc);
        assert_eq!(k.outliers(), 5);
        assert!(r.max_abs_ns < 50.0, "{r:?}");
        let mut pi = pi_hw();
        let rp = run(&mut pi, &sc);
        assert!(r.rms_ns <= rp.rms_ns, "{r:?} {rp:?}");
    }

    #[test]
    fn popcorn_barely_moves_the_clock() {
        let clean = hw();
        let spiky = Scenario {
            popcorn: (0.02, 1e6),
            ..hw()
        };
        let mut k = kalman();
        let base = run(&mut k, &clean);
        let mut k = kalman();
        let r = run(&mut k, &spiky);
        assert!(k.outliers() >= 20, "{}", k.outliers());
        assert!(r.rms_ns < 1.2 * base.rms_ns, "{r:?} {base:?}");
        assert!(r.max_abs_ns < 25.0, "{r:?}");
        // Also on the noisy network.
        let clean = rms_over_seeds(kalman, &lan(), 3);
        let spiky = rms_over_seeds(
            kalman,
            &Scenario {
                popcorn: (0.02, 1e6),
                ..lan()
            },
            3,
        );
        assert!(spiky < 1.2 * clean, "{spiky} {clean}");
    }

    #[test]
    fn gaps_only_add_uncertainty() {
        for sc in [
            Scenario {
                gaps: Some((100, 30)),
                ..hw()
            },
            Scenario {
                gaps: Some((60, 10)),
                wander_ppb: 1.0,
                ..hw()
            },
            Scenario {
                gaps: Some((100, 20)),
                ..lan()
            },
        ] {
            let pi = if matches!(sc.noise, Noise::Gaussian { .. }) {
                rms_over_seeds(pi_hw, &sc, 3)
            } else {
                rms_over_seeds(pi_sw, &sc, 3)
            };
            let k = rms_over_seeds(kalman, &sc, 3);
            assert!(k < pi, "{k} {pi} {sc:?}");
        }
    }

    #[test]
    fn wander_is_tracked() {
        for wander in [0.5, 2.0, 10.0] {
            let sc = Scenario {
                wander_ppb: wander,
                ..hw()
            };
            let pi = rms_over_seeds(pi_hw, &sc, 4);
            let k = rms_over_seeds(kalman, &sc, 4);
            assert!(k < 1.05 * pi, "wander {wander}: kalman {k} pi {pi}");
        }
        // The wander estimate follows the oscillator (q = wander²).
        let mut k = kalman();
        run(
            &mut k,
            &Scenario {
                wander_ppb: 10.0,
                ..hw()
            },
        );
        let q = k.wander_estimate();
        assert!((10.0..1000.0).contains(&q), "{q}");
    }

    #[test]
    fn temperature_frequency_step() {
        for sc in [
            Scenario {
                freq_step: Some((1000, 200.0)),
                ..hw()
            },
            Scenario {
                freq_step: Some((1000, -1000.0)),
                ..lan()
            },
        ] {
            let hw = matches!(sc.noise, Noise::Gaussian { .. });
            let pi = if hw {
                rms_over_seeds(pi_hw, &sc, 3)
            } else {
                rms_over_seeds(pi_sw, &sc, 3)
            };
            let k = rms_over_seeds(kalman, &sc, 3);
            assert!(k < pi, "{k} {pi} {sc:?}");
        }
    }

    #[test]
    fn beats_pi_on_noisy_networks() {
        // Exponential queueing (10 µs mean each way) with the delay as a
        // hint, without it, and heavy-tailed congestion.
        let sc = lan();
        let pi = rms_over_seeds(pi_sw, &sc, 4);
        let k = rms_over_seeds(kalman, &sc, 4);
        std::println!("exponential: pi {pi:.0} ns, kalman {k:.0} ns");
        assert!(k < 0.4 * pi, "{k} {pi}");
        let blind = KalmanConfig {
            use_delay: false,
            ..KalmanConfig::default()
        };
        let kb = rms_over_seeds(|| KalmanServo::new(blind), &sc, 4);
        std::println!("exponential, delay unused: kalman {kb:.0} ns");
        assert!(kb < 0.6 * pi, "{kb} {pi}");
        let sc = Scenario {
            noise: Noise::Pareto {
                scale_ns: 20_000.0,
                shape: 1.5,
            },
            ..lan()
        };
        let pi = rms_over_seeds(pi_sw, &sc, 4);
        let k = rms_over_seeds(kalman, &sc, 4);
        std::println!("pareto: pi {pi:.0} ns, kalman {k:.0} ns");
        assert!(k < 0.2 * pi, "{k} {pi}");
    }

    #[test]
    fn not_worse_than_pi_with_hardware_time_stamps() {
        for sc in [
            hw(),
            Scenario { loss: 0.1, ..hw() },
            Scenario {
                interval_s: 0.125,
                steps: 4000,
                warmup: 800,
                ..hw()
            },
            Scenario {
                interval_s: 8.0,
                steps: 800,
                warmup: 100,
                ..hw()
            },
        ] {
            let pi = rms_over_seeds(pi_hw, &sc, 4);
            let k = rms_over_seeds(kalman, &sc, 4);
            std::println!("hw {}s: pi {pi:.2} ns, kalman {k:.2} ns", sc.interval_s);
            assert!(k < 1.05 * pi, "{k} {pi} {sc:?}");
        }
    }

    #[test]
    fn converges_no_slower_than_pi() {
        for (sc, pi) in [
            (
                Scenario {
                    initial_offset_ns: 1e6,
                    settle_bound_ns: 100.0,
                    ..hw()
                },
                pi_hw as fn() -> PiServo,
            ),
            (
                Scenario {
                    initial_offset_ns: 15e3,
                    freq_error_ppb: 1000.0,
                    settle_bound_ns: 100.0,
                    ..hw()
                },
                pi_hw,
            ),
            (
                Scenario {
                    initial_offset_ns: 1e6,
                    settle_bound_ns: 20_000.0,
                    ..lan()
                },
                pi_sw,
            ),
        ] {
            let rp = run(&mut pi(), &sc);
            let rk = run(&mut kalman(), &sc);
            assert!(rk.settled_at <= rp.settled_at, "{rk:?} {rp:?}");
            assert!(rk.settled_at < 20, "{rk:?}");
        }
    }

    #[test]
    fn measurement_noise_is_learned() {
        let mut k = kalman();
        run(
            &mut k,
            &Scenario {
                noise: Noise::Gaussian { sigma_ns: 20.0 },
                ..hw()
            },
        );
        let (r0, _) = k.noise_model();
        assert!((200.0..800.0).contains(&r0), "{r0}");
        // Exponential queueing: the delay excess explains the error,
        // variance e²/12.
        let mut k = kalman();
        run(&mut k, &lan());
        let (_, kappa) = k.noise_model();
        assert!((0.05..0.2).contains(&kappa), "{kappa}");
    }

    #[test]
    fn bad_inputs_neither_panic_nor_poison() {
        let mut k = kalman();
        let wild = [
            Sample {
                local_time: Time::from_scaled_nanos(i128::MAX),
                offset: Duration::MAX,
                delay: Some(Duration::MAX),
            },
            Sample {
                local_time: Time::from_scaled_nanos(i128::MIN),
                offset: -Duration::MAX,
                delay: Some(-Duration::MAX),
            },
            Sample {
                local_time: Time::EPOCH,
                offset: Duration::from_secs(1 << 40),
                delay: None,
            },
            Sample {
                local_time: Time::EPOCH,
                offset: Duration::ZERO,
                delay: Some(Duration::ZERO),
            },
        ];
        for (i, s) in wild.iter().cycle().take(40).enumerate() {
            k.sample(*s);
            if i % 7 == 0 {
                k.set_interval(Duration::ZERO);
                k.set_interval(-Duration::MAX);
                k.set_interval(Duration::MAX);
                k.set_max_frequency(f64::NAN);
                k.stepped(Duration::MAX);
            }
            let f = k.frequency_ppb();
            assert!(f.is_finite() && f.abs() <= 900_000.0, "{f}");
        }
        k.set_max_frequency(f64::INFINITY);
        k.set_max_frequency(900_000.0);
        // Still works afterwards.
        k.reset();
        let r = run(&mut k, &hw());
        assert!(r.rms_ns < 5.0, "{r:?}");
        // A nonsense configuration is made sane.
        let mut k = KalmanServo::new(KalmanConfig {
            initial_frequency_uncertainty_ppb: f64::NAN,
            min_wander: -1.0,
            model_dwell_s: f64::NAN,
            noise_memory: f64::NAN,
            steer_intervals: f64::NAN,
            initial_frequency_ppb: f64::INFINITY,
            ..KalmanConfig::default()
        });
        let r = run(&mut k, &hw());
        assert!(r.rms_ns < 10.0, "{r:?}");
    }

    #[test]
    fn random_garbage_keeps_every_servo_sane() {
        use crate::servo::policy::{PolicyConfig, StepPolicy};
        use crate::servo::sim::Rng;
        let mut rng = Rng::new(99);
        let mut servos: [&mut dyn Servo; 3] = [
            &mut kalman(),
            &mut pi_hw(),
            &mut StepPolicy::new(kalman(), PolicyConfig::default()),
        ];
        let mut t: i128 = 0;
        for i in 0..20_000 {
            let pick = |rng: &mut Rng, scale: i128| -> i128 {
                match rng.next_u64() % 6 {
                    0 => (rng.next_u64() as i64) as i128 * (rng.next_u64() as i64) as i128,
                    1 => 0,
                    _ => ((rng.next_u64() % 2_000_001) as i128 - 1_000_000) * scale,
                }
            };
            t = t.saturating_add(pick(&mut rng, 1 << 26));
            let s = Sample {
                local_time: Time::from_scaled_nanos(t),
                offset: Duration::from_scaled_nanos(pick(&mut rng, 1 << 10)),
                delay: match rng.next_u64() % 3 {
                    0 => None,
                    _ => Some(Duration::from_scaled_nanos(pick(&mut rng, 1 << 12))),
                },
            };
            for servo in servos.iter_mut() {
                if i % 1000 == 0 {
                    servo.set_interval(Duration::from_scaled_nanos(pick(&mut rng, 1 << 30)));
                }
                let check = |f: f64| f.is_finite() && f.abs() <= 900_000.0;
                match servo.sample(s) {
                    Correction::None => {}
                    Correction::Step { frequency_ppb, .. }
                    | Correction::Frequency { frequency_ppb } => {
                        assert!(check(frequency_ppb), "{frequency_ppb}")
                    }
                }
                assert!(check(servo.frequency_ppb()));
            }
        }
        // And they still work.
        for servo in servos.iter_mut() {
            servo.reset();
            let r = run(&mut **servo, &hw());
            assert!(r.rms_ns < 10.0, "{} {r:?}", servo.name());
        }
    }

    #[test]
    fn reset_keeps_the_frequency() {
        let mut k = kalman();
        run(&mut k, &hw());
        let f = k.frequency_error_ppb();
        k.reset();
        assert_eq!(k.state(), ServoState::Unlocked);
        assert_eq!(k.frequency_error_ppb(), f);
        // Time going backwards by itself starts over the same way.
        let mut k = kalman();
        run(&mut k, &hw());
        let f = k.frequency_error_ppb();
        k.sample(at(0.0, 0.0));
        assert_eq!(k.state(), ServoState::Unlocked);
        assert!((k.frequency_error_ppb() - f).abs() < 1e-6);
    }

    #[test]
    #[ignore = "prints a comparison table"]
    fn report() {
        let cases: [(&str, Scenario, bool); 15] = [
            ("lan sw", lan(), true),
            ("lan sw, no delay weighting", lan(), true),
            (
                "congested pareto",
                Scenario {
                    noise: Noise::Pareto {
                        scale_ns: 20_000.0,
                        shape: 1.5,
                    },
                    ..lan()
                },
                true,
            ),
            ("hw 5ns", hw(), false),
            (
                "hw 5ns wander 2",
                Scenario {
                    wander_ppb: 2.0,
                    ..hw()
                },
                false,
            ),
            ("hw 10% loss", Scenario { loss: 0.1, ..hw() }, false),
            (
                "hw freq step 200ppb",
                Scenario {
                    freq_step: Some((1000, 200.0)),
                    ..hw()
                },
                false,
            ),
            (
                "lan gaps 20s",
                Scenario {
                    gaps: Some((100, 20)),
                    ..lan()
                },
                true,
            ),
            (
                "lan popcorn 1ms",
                Scenario {
                    popcorn: (0.02, 1e6),
                    ..lan()
                },
                true,
            ),
            (
                "lan 10% loss wander 1",
                Scenario {
                    loss: 0.1,
                    wander_ppb: 1.0,
                    ..lan()
                },
                true,
            ),
            (
                "ptp one-way sw",
                Scenario {
                    noise: Noise::OneWay { mean_ns: 10_000.0 },
                    ..lan()
                },
                true,
            ),
            (
                "lan wander 10",
                Scenario {
                    wander_ppb: 10.0,
                    ..lan()
                },
                true,
            ),
            (
                "lan freq step 1ppm",
                Scenario {
                    freq_step: Some((1000, 1000.0)),
                    ..lan()
                },
                true,
            ),
            (
                "hw wander 10 loss",
                Scenario {
                    wander_ppb: 10.0,
                    loss: 0.1,
                    ..hw()
                },
                false,
            ),
            (
                "hw 8s interval",
                Scenario {
                    interval_s: 8.0,
                    steps: 1000,
                    warmup: 100,
                    ..hw()
                },
                false,
            ),
        ];
        for (i, (name, sc, sw)) in cases.iter().enumerate() {
            let pi_cfg = if *sw {
                PiConfig::software()
            } else {
                PiConfig::hardware()
            };
            let pi = rms_over_seeds(|| PiServo::new(pi_cfg), sc, 4);
            let kcfg = KalmanConfig {
                use_delay: i != 1,
                ..KalmanConfig::default()
            };
            let k = rms_over_seeds(|| KalmanServo::new(kcfg), sc, 4);
            let mut ks = KalmanServo::new(kcfg);
            let rep = run(&mut ks, sc);
            println!(
                "{name:32} pi {pi:10.1} kalman {k:10.1} ratio {:5.2}  (r0 {:.3e} kappa {:.3} q {:.2e} outl {} settled {})",
                k / pi,
                ks.noise_model().0,
                ks.noise_model().1,
                ks.wander_estimate(),
                ks.outliers(),
                rep.settled_at
            );
        }
        for (name, sc) in [
            (
                "conv hw 1ms",
                Scenario {
                    initial_offset_ns: 1e6,
                    ..hw()
                },
            ),
            (
                "conv hw 15us",
                Scenario {
                    initial_offset_ns: 15e3,
                    freq_error_ppb: 1000.0,
                    ..hw()
                },
            ),
            (
                "conv hw 15us -50ppm",
                Scenario {
                    initial_offset_ns: 15e3,
                    freq_error_ppb: -50e3,
                    ..hw()
                },
            ),
            (
                "conv sw 1ms",
                Scenario {
                    initial_offset_ns: 1e6,
                    ..lan()
                },
            ),
            (
                "conv sw 15us",
                Scenario {
                    initial_offset_ns: 15e3,
                    freq_error_ppb: 1000.0,
                    ..lan()
                },
            ),
        ] {
            let sw = name.contains("sw");
            let pi_cfg = if sw {
                PiConfig::software()
            } else {
                PiConfig::hardware()
            };
            let mut pi = PiServo::new(pi_cfg);
            let rp = run(&mut pi, &sc);
            let sc = Scenario {
                settle_bound_ns: 10.0 * rp.rms_ns,
                ..sc
            };
            let rp = run(&mut PiServo::new(pi_cfg), &sc);
            let rk = run(&mut KalmanServo::default(), &sc);
            println!(
                "{name:24} bound {:8.1} pi settled {:5} kalman settled {:5} (max after warmup pi {:.1} k {:.1})",
                sc.settle_bound_ns, rp.settled_at, rk.settled_at, rp.max_abs_ns, rk.max_abs_ns
            );
        }
    }
}
