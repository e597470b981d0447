//! The Kalman servo's measurement noise model: `r0 + κ·e²` fitted from
//! interpolation residuals, `e` being the path delay's excess over the
//! recent minimum.

use super::{DELAY_WINDOW, MIN_R};

/// Measurement noise estimate `r0 + κ·e²` from interpolation residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NoiseEstimator {
    // Least-squares sums with forgetting: residual² ≈ r0·a + κ·b.
    pub(super) saa: f64,
    pub(super) sab: f64,
    pub(super) sbb: f64,
    pub(super) say: f64,
    pub(super) sby: f64,
    /// Sum of squared residuals per unit of `a`, for the average variance.
    pub(super) sy: f64,
    pub(super) n: f64,
    pub(super) r0: f64,
    pub(super) kappa: f64,
    pub(super) guess: f64,
    /// The last accepted measurement and its excess².
    pub(super) prev: Option<(f64, f64)>,
    /// The increment to it (free-running phase), its span, and the excess²
    /// of the one before.
    pub(super) prev_inc: Option<(f64, f64, f64)>,
    /// The servo's own corrections since the last accepted sample, ns.
    pub(super) ctrl: f64,
    /// Time since the last accepted sample, s.
    pub(super) span: f64,
}

impl NoiseEstimator {
    /// Starts from `guess` (ns²), held as if it came from one residual of
    /// evenly spaced samples; it is forgotten like any other residual.
    pub(super) fn new(guess: f64) -> Self {
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

    /// Also holds κ = 1/12 (the uniform split of independent queueing, see
    /// the module documentation) as if it came from `weight` residuals of
    /// samples with an excess² of 16 × the guess, so that the first few
    /// residuals cannot fit κ away to nothing (for a servo handed a state
    /// from a regression that used that model).
    pub(super) fn hold_kappa(&mut self, weight: f64) {
        let e2 = 16.0 * self.guess;
        let y = self.guess + e2 / 12.0;
        self.saa += weight;
        self.sab += weight * e2;
        self.sbb += weight * e2 * e2;
        self.say += weight * y;
        self.sby += weight * e2 * y;
        self.solve();
    }

    pub(super) fn variance(&self, excess2: f64) -> f64 {
        (self.r0 + self.kappa * excess2).max(MIN_R)
    }

    /// Accounts for time passing with the clock corrected by `ctrl` ns.
    pub(super) fn advance(&mut self, dt: f64, ctrl: f64) {
        self.span += dt;
        self.ctrl += ctrl;
    }

    /// Forgets the neighbours (after a discontinuity).
    pub(super) fn break_chain(&mut self) {
        self.prev = None;
        self.prev_inc = None;
        self.ctrl = 0.0;
        self.span = 0.0;
    }

    pub(super) fn accept(&mut self, z: f64, excess2: f64, max_span: f64, memory: f64) {
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

    pub(super) fn add(&mut self, a: f64, b: f64, y: f64, memory: f64) {
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
    pub(super) fn mean_variance(&self) -> f64 {
        if self.n > 0.0 {
            self.sy / self.n
        } else {
            self.guess
        }
    }

    pub(super) fn solve(&mut self) {
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
pub(super) struct DelayWindow {
    pub(super) delays: [f64; DELAY_WINDOW],
    pub(super) len: usize,
    pub(super) next: usize,
}

impl DelayWindow {
    pub(super) fn new() -> Self {
        DelayWindow {
            delays: [0.0; DELAY_WINDOW],
            len: 0,
            next: 0,
        }
    }

    /// Records `delay` (ns) and returns its excess over the window's
    /// minimum.
    pub(super) fn excess(&mut self, delay: f64) -> f64 {
        self.delays[self.next] = delay;
        self.next = (self.next + 1) % DELAY_WINDOW;
        self.len = (self.len + 1).min(DELAY_WINDOW);
        let min = self.delays[..self.len]
            .iter()
            .fold(f64::INFINITY, |m, &d| m.min(d));
        (delay - min).max(0.0)
    }
}
