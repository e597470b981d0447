//! The start-up policy's decisions (see the [module documentation](super)):
//! the start-up step, settling the frequency over the agreeing sources'
//! samples, and the hand-over to the servo.

use alloc::vec::Vec;

use tempora_clock::servo::Handover;
use tempora_clock::{Duration, Time};

use super::{Action, Stage, SystemProcess};
use crate::fit;

/// The start-up fit hands over to the servo at once when its standard
/// error is below this, ppb.
const HANDOVER_PPB: f64 = 500.0;

/// An offset this many of its standard deviations off is removed over one
/// poll interval while settling; smaller ones more slowly.
const CORRECTION_RATIO: f64 = 3.0;

/// Settling hands over to the servo after this many samples at most.
const MAX_SETTLE_STEPS: u32 = 64;

/// The survivors' combined state from the pooled fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Combined {
    /// θ now (source − local).
    offset: Duration,
    /// Its standard deviation, ns.
    offset_sigma_ns: f64,
    /// The standard deviation of the offset at the samples' mean time
    /// (without the drift's error carried to now), ns.
    mean_sigma_ns: f64,
    /// The fitted drift, ppb.
    slope: f64,
    /// Its standard error, ppb.
    sigma: f64,
    /// The least path delay among the survivors' estimates.
    delay: Duration,
}

impl SystemProcess {
    /// The survivors' pooled fit now, for status and logs: their combined
    /// offset θ, the fitted drift (ppb) and its standard error (ppb).
    pub fn fit_now(&self, now: Time) -> Option<(Duration, f64, f64)> {
        self.survivors_fit(now)
            .map(|c| (c.offset, c.slope, c.sigma))
    }

    /// The survivors' pooled fit (see [`crate::fit`]): their combined
    /// offset θ now (weighted by 1/λ as RFC 5905 §11.2.3 combines), the
    /// slope (ppb) and its standard error. The slope carries the offsets
    /// to now only when trusted.
    pub(super) fn survivors_fit(&self, now: Time) -> Option<Combined> {
        let groups: Vec<_> = self
            .sources
            .iter()
            .filter(|e| e.report.selected)
            .filter_map(|e| fit::group(&e.history).map(|g| (g, e.history.as_slice(), e)))
            .collect();
        let pooled = fit::pooled(groups.iter().map(|(g, p, _)| (*g, *p)))
            .filter(|f| f.slope_sigma.is_finite());
        let (slope, sigma) = pooled.map_or((0.0, f64::INFINITY), |f| (f.slope, f.slope_sigma));
        let carry = if sigma.is_finite() { slope } else { 0.0 };
        let t_now = (now - self.origin).as_secs_f64();
        let ahead = self.ledger.ahead_at(now);
        let (mut sw, mut swx, mut sw2v, mut sw2m) = (0.0, 0.0, 0.0, 0.0);
        let mut delay = Duration::MAX;
        for (g, _, e) in &groups {
            let Some(est) = e.estimate else { continue };
            let lambda = self.candidate(&est, now).root_distance.as_secs_f64();
            let w = 1.0 / lambda.max(1e-9);
            sw += w;
            swx += w * (g.at(t_now, carry) - ahead);
            sw2v += w * w * pooled.map_or(f64::INFINITY, |f| g.variance_at(t_now, &f));
            sw2m += w * w * pooled.map_or(f64::INFINITY, |f| g.mean_variance(&f));
            delay = delay.min(est.delay);
        }
        (sw > 0.0).then(|| Combined {
            offset: Duration::from_secs_f64(swx / sw * 1e-9),
            offset_sigma_ns: libm::sqrt(sw2v) / sw,
            mean_sigma_ns: libm::sqrt(sw2m) / sw,
            slope,
            sigma,
            delay,
        })
    }

    /// The start-up decision, once every survivor has its samples: one
    /// step to the combined offset, and the frequency if the fit pins it.
    /// A fit that pins it well enough for the servo hands over at once;
    /// otherwise the process settles the frequency first.
    ///
    /// Only survivors heard from within their last eight poll intervals
    /// count (as in [`SystemProcess::required`] after the start-up): a
    /// source that answered once and then went silent must not step the
    /// clock at the timeout by a sample a minute old (RFC 5905 §11.2.1
    /// would not select an unreachable source either).
    pub(super) fn try_start(&mut self, now: Time, agreeing: usize) {
        let timed_out = now >= self.created + self.config.startup_timeout;
        let t = (now - self.origin).as_secs_f64();
        let survivors = self.sources.iter().filter(|e| {
            e.report.selected
                && e.history
                    .last()
                    .is_some_and(|p| t - p.t <= 8.0 * e.interval.as_secs_f64())
        });
        let mut survivors = survivors.peekable();
        if survivors.peek().is_none() {
            return;
        }
        let enough = survivors.all(|e| e.history.len() >= self.config.startup_samples);
        if !(enough || timed_out) {
            return;
        }
        let Some(Combined {
            offset,
            slope,
            sigma,
            ..
        }) = self.survivors_fit(now)
        else {
            return;
        };
        let max = self.config.max_frequency_ppb;
        let frequency_ppb = (sigma.is_finite() && slope.abs() <= max).then_some(slope);
        let step = (offset.abs() > self.config.step_threshold).then_some(offset);
        self.stage = if sigma < HANDOVER_PPB / 10.0 {
            Stage::Running
        } else {
            Stage::Settling
        };
        self.last_used = Some(now);
        self.actions.push_back(Action::Start {
            step,
            offset,
            frequency_ppb,
            frequency_sigma_ppb: sigma,
            agreeing,
        });
    }

    /// Settling: the frequency is not yet known well enough for the
    /// servo (e.g. a WAN's iburst spans seconds of milliseconds of noise).
    /// Each new sample the pooled fit over the survivors' samples (all of
    /// them, from before the start too, in the oscillator's frame) sets
    /// the frequency: the fitted drift plus the fitted offset removed over
    /// one poll interval (more slowly when within [`CORRECTION_RATIO`]
    /// standard deviations), as a regression servo (chrony's way) would.
    /// Once the drift's error over a poll interval is below that of the
    /// offsets' mean the servo takes over from that state.
    pub(super) fn settle(&mut self, now: Time, peer: usize) {
        let Some(fit) = self.survivors_fit(now) else {
            return;
        };
        let (offset, slope, sigma) = (fit.offset, fit.slope, fit.sigma);
        let max = self.config.max_frequency_ppb;
        let interval = self
            .sources
            .get(peer)
            .map_or(16.0, |e| e.interval.as_secs_f64())
            .max(1.0);
        self.last_used = Some(now);
        // Settled when the frequency's error over one poll interval is no
        // larger than the offset's own (or the settling has gone on long
        // enough for any fit to have said what it can).
        self.settle_steps = self.settle_steps.saturating_add(1);
        let pinned = sigma * interval <= fit.mean_sigma_ns.max(1.0);
        if (pinned || self.settle_steps >= MAX_SETTLE_STEPS) && slope.abs() <= max {
            self.stage = Stage::Running;
            self.actions.push_back(Action::Handover(Handover {
                at: now,
                // The servo's offset is ours minus the sources'.
                offset: -offset,
                offset_sigma_ns: fit.offset_sigma_ns,
                adjustment_ppb: slope,
                frequency_sigma_ppb: sigma,
                delay: fit.delay,
            }));
            return;
        }
        // The offset is removed over one poll interval when it stands well
        // clear of its own uncertainty, more slowly when it is within it
        // (the time to remove it inversely proportional to its size over
        // CORRECTION_RATIO standard deviations, as chrony's corrtimeratio):
        // an offset that is mostly noise does not steer the frequency.
        let x = offset.as_nanos_f64();
        let gain = (x.abs() / (CORRECTION_RATIO * fit.offset_sigma_ns.max(1.0))).min(1.0);
        let ppb = slope + x * gain / interval;
        self.actions.push_back(Action::Slew {
            frequency_ppb: ppb.clamp(-max, max),
        });
    }
}
