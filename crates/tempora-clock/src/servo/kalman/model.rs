//! One filter of the Kalman servo's bank.

/// One filter of the bank: state `[θ ns, ω ppb]`, covariance
/// `[p00, p01, p11]`, wander intensity `q` (ppb²/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Model {
    pub(super) x: [f64; 2],
    pub(super) p: [f64; 3],
    pub(super) q: f64,
}

impl Model {
    /// Moment matching: the mean and covariance of the mixture of `models`
    /// with weights `w` (summing to one), as one Gaussian.
    pub(super) fn moment_match(models: &[Model], w: &[f64]) -> ([f64; 2], [f64; 3]) {
        let mut x = [0.0; 2];
        for (m, &wi) in models.iter().zip(w) {
            x[0] += wi * m.x[0];
            x[1] += wi * m.x[1];
        }
        let mut p = [0.0; 3];
        for (m, &wi) in models.iter().zip(w) {
            let d0 = m.x[0] - x[0];
            let d1 = m.x[1] - x[1];
            p[0] += wi * (m.p[0] + d0 * d0);
            p[1] += wi * (m.p[1] + d0 * d1);
            p[2] += wi * (m.p[2] + d1 * d1);
        }
        (x, p)
    }

    pub(super) fn predict(&mut self, dt: f64, adjustment: f64) {
        let [p00, p01, p11] = self.p;
        let q = self.q;
        self.x[0] += (self.x[1] + adjustment) * dt;
        self.p = [
            p00 + 2.0 * dt * p01 + dt * dt * p11 + q * dt * dt * dt / 3.0,
            p01 + dt * p11 + q * dt * dt / 2.0,
            p11 + q * dt,
        ];
    }

    pub(super) fn update(&mut self, z: f64, r: f64) {
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

    pub(super) fn is_finite(&self) -> bool {
        self.x.iter().chain(self.p.iter()).all(|v| v.is_finite())
    }
}
