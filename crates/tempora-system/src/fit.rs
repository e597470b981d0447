//! The start-up fit: one frequency shared by several sources, each with its
//! own offset (a pooled weighted least-squares line), over samples kept in
//! the oscillator's frame (see [`crate::ledger`]).
//!
//! Each sample is weighted by how much its path delay exceeds the least
//! delay of its source: in a two-way exchange queueing `e` above the
//! minimum biases the offset by up to `e/2`, uniformly for independent
//! queues (variance `e²/12`), the reasoning behind RFC 5905's minimum-delay
//! clock filter (§10) turned into weights.

/// One sample: time since an origin (s), offset against the oscillator
/// (ns), path delay (ns).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub t: f64,
    pub y: f64,
    pub delay: f64,
}

/// A source's share of the fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Group {
    w: f64,
    t_mean: f64,
    y_mean: f64,
    stt: f64,
    sty: f64,
    n: usize,
    /// The source's least delay, and the error floor it implies (ns).
    min_delay: f64,
    floor: f64,
}

/// The pooled fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    /// The common slope, ns per s (ppb).
    pub slope: f64,
    /// Its standard error, ppb (infinite when the samples cannot tell).
    pub slope_sigma: f64,
    /// The residuals' χ² per degree of freedom (at least 1): how much
    /// worse than the delay model the samples scatter.
    pub chi2: f64,
}

/// The spread of oscillators' frequency errors before any measurement,
/// ppb: the prior of the common slope (zero mean). A fit over a short
/// baseline of noisy samples (a WAN's iburst) says little about the slope;
/// with the prior its estimate is the posterior mean, shrunk towards zero
/// by its own uncertainty, and its standard error is never above this.
pub(crate) const PRIOR_PPB: f64 = 20_000.0;

/// The weight of a sample `excess` ns slower than its source's best, with
/// `floor` ns of error even at the minimum delay.
fn weight(excess: f64, floor: f64) -> f64 {
    let var = floor * floor + excess * excess / 12.0;
    1.0 / var.max(1e-6)
}

/// A source's weighted means and sums.
pub(crate) fn group(points: &[Point]) -> Option<Group> {
    let min_delay = points.iter().map(|p| p.delay).fold(f64::INFINITY, f64::min);
    if points.is_empty() || !min_delay.is_finite() {
        return None;
    }
    // Even a sample at the least delay errs by timestamping noise and the
    // path's own asymmetry: a floor of 1 µs plus 1 % of the delay. And the
    // least delay seen was itself queued: of n samples whose delays spread
    // by a typical (median) excess m, the least is about m/√n above the
    // path's own (between the m/n of one exponential queue and the m/√n-ish
    // of two in a row), so its offset errs by that over √12 as well.
    let n = points.len() as f64;
    let queued = median_excess(points, min_delay) / libm::sqrt(n) / libm::sqrt(12.0);
    let floor = libm::hypot(1_000.0 + 0.01 * min_delay.max(0.0), queued);
    let ws = || {
        points
            .iter()
            .map(move |p| (p, weight(p.delay - min_delay, floor)))
    };
    let w: f64 = ws().map(|(_, w)| w).sum();
    let t_mean = ws().map(|(p, w)| w * p.t).sum::<f64>() / w;
    let y_mean = ws().map(|(p, w)| w * p.y).sum::<f64>() / w;
    let stt = ws().map(|(p, w)| w * (p.t - t_mean) * (p.t - t_mean)).sum();
    let sty = ws().map(|(p, w)| w * (p.t - t_mean) * (p.y - y_mean)).sum();
    Some(Group {
        w,
        t_mean,
        y_mean,
        stt,
        sty,
        n: points.len(),
        min_delay,
        floor,
    })
}

/// The median of the points' delay excesses over `min_delay` (at most
/// [`MEDIAN_POINTS`] of them, the latest).
fn median_excess(points: &[Point], min_delay: f64) -> f64 {
    let mut e = [0.0f64; MEDIAN_POINTS];
    let tail = &points[points.len().saturating_sub(MEDIAN_POINTS)..];
    for (slot, p) in e.iter_mut().zip(tail) {
        *slot = p.delay - min_delay;
    }
    let e = &mut e[..tail.len()];
    e.sort_unstable_by(f64::total_cmp);
    match e.len() {
        0 => 0.0,
        n if n % 2 == 1 => e[n / 2],
        n => (e[n / 2 - 1] + e[n / 2]) / 2.0,
    }
}

/// The most points [`median_excess`] looks at.
const MEDIAN_POINTS: usize = 32;

impl Group {
    /// The weight of `p`, one of the source's samples.
    fn weight(&self, p: &Point) -> f64 {
        weight(p.delay - self.min_delay, self.floor)
    }

    /// The variance (ns²) of the source's offset at time `t` on the pooled
    /// line `fit`: its mean's, plus the slope's error carried from the
    /// samples' mean time.
    pub fn variance_at(&self, t: f64, fit: &Fit) -> f64 {
        let dt = t - self.t_mean;
        self.mean_variance(fit) + dt * dt * fit.slope_sigma * fit.slope_sigma
    }

    /// The variance (ns²) of the source's mean offset (at its samples'
    /// mean time) on the pooled line `fit`.
    pub fn mean_variance(&self, fit: &Fit) -> f64 {
        fit.chi2 / self.w
    }

    /// The source's offset (ns, against the oscillator) at time `t` on a
    /// line of `slope`.
    pub fn at(&self, t: f64, slope: f64) -> f64 {
        self.y_mean + slope * (t - self.t_mean)
    }
}

/// The common slope of `groups` and its standard error, from the scatter
/// of `points` (each source's own) about their lines.
pub(crate) fn pooled<'a>(
    groups: impl Iterator<Item = (Group, &'a [Point])> + Clone,
) -> Option<Fit> {
    let stt: f64 = groups.clone().map(|(g, _)| g.stt).sum();
    let sty: f64 = groups.clone().map(|(g, _)| g.sty).sum();
    if stt.is_nan() || stt <= 0.0 {
        return None;
    }
    let slope = sty / stt;
    // The weights are inverse variances (ns²), so 1/stt is the slope's
    // variance if the model holds; the residuals' scatter may say it is
    // worse (χ² per degree of freedom above 1), never better.
    let (mut ss, mut sw, mut n, mut k) = (0.0, 0.0, 0usize, 0usize);
    for (g, points) in groups {
        for p in points {
            let w = g.weight(p);
            let r = p.y - g.at(p.t, slope);
            ss += w * r * r;
            sw += w;
        }
        n += g.n;
        k += 1;
    }
    let dof = n.saturating_sub(k + 1);
    let (slope_sigma, chi2) = if dof == 0 || sw <= 0.0 {
        (f64::INFINITY, f64::INFINITY)
    } else {
        let chi2 = (ss / dof as f64).max(1.0);
        (libm::sqrt(chi2 / stt), chi2)
    };
    // The posterior with the slope's zero-mean prior (precision 1/PRIOR²
    // against the samples' stt/χ²).
    let (slope, slope_sigma) = if slope_sigma.is_finite() {
        let precision = stt / chi2 + 1.0 / (PRIOR_PPB * PRIOR_PPB);
        (sty / chi2 / precision, libm::sqrt(1.0 / precision))
    } else {
        (slope, slope_sigma)
    };
    slope.is_finite().then_some(Fit {
        slope,
        slope_sigma,
        chi2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn two_sources_one_slope() {
        // Slope 10 ppb... 10 000 ns/s; offsets 0 and 5 ms apart.
        let a: Vec<Point> = (0..8)
            .map(|i| Point {
                t: f64::from(i) * 2.0,
                y: 10_000.0 * f64::from(i) * 2.0,
                delay: 200e3,
            })
            .collect();
        let b: Vec<Point> = (0..8)
            .map(|i| Point {
                t: f64::from(i) * 2.0 + 1.0,
                y: 5e6 + 10_000.0 * (f64::from(i) * 2.0 + 1.0),
                delay: 200e3,
            })
            .collect();
        let (ga, gb) = (group(&a).unwrap(), group(&b).unwrap());
        let fit = pooled([(ga, &a[..]), (gb, &b[..])].into_iter()).unwrap();
        // Exact but for the prior's pull, (σ/PRIOR)² of the slope.
        let pull = 10_000.0 * (fit.slope_sigma / PRIOR_PPB).powi(2);
        assert!((fit.slope - 10_000.0).abs() < 1.01 * pull + 1e-6, "{fit:?}");
        assert!(fit.slope_sigma < 1_000.0, "{fit:?}");
        // Carried 92.5 s from its mean time at the fitted slope.
        assert!((gb.at(100.0, fit.slope) - (5e6 + 1e6)).abs() < 100.0 * pull + 1e-3);
    }

    #[test]
    fn queued_samples_weigh_little() {
        // A flat line; one sample delayed by 2 ms and 1 ms off.
        let mut a: Vec<Point> = (0..8)
            .map(|i| Point {
                t: f64::from(i),
                y: 0.0,
                delay: 100e3,
            })
            .collect();
        a[7] = Point {
            t: 7.0,
            y: 1e6,
            delay: 2.1e6,
        };
        let g = group(&a).unwrap();
        let fit = pooled([(g, &a[..])].into_iter()).unwrap();
        assert!(fit.slope.abs() < 100.0, "{fit:?}");
    }
}
