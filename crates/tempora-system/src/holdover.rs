//! Holdover, sans-IO: whether the clock is locked to its reference, in
//! holdover since it lost it (and for how long, with what estimated time
//! error), or free-running.
//!
//! The daemon tells the tracker, on each turn, whether a primary reference
//! is selected and the servo locked to it ([`Holdover::locked`], with the
//! servo's [`HoldoverModel`]) or not ([`Holdover::lost`]). On the loss the
//! tracker keeps the last model; from then on the clock should run at the
//! model's [`holdover_adjustment_ppb`](HoldoverModel::holdover_adjustment_ppb)
//! (the Kalman servo's frequency estimate, without the offset-removal term
//! that would otherwise be applied for hours from a stale sample), and the
//! estimated error is the model's bound after the time since the last sample
//! (see [`tempora_clock::servo::holdover`]). While that bound is within
//! the configured budget the clock is [`HoldoverState::InBudget`] (PTP
//! clockClass 7), then [`HoldoverState::OutOfBudget`].
//!
//! The model's wander is the larger of the servo's and the one measured
//! from the reference's samples while locked ([`Holdover::observe`],
//! [`crate::wander`]).

use tempora_clock::servo::HoldoverModel;
use tempora_clock::{Duration, Time};

use crate::reference::ReferenceKind;
use crate::wander::WanderEstimator;

/// A servo without a covariance of its own (the PI servo) is assumed to
/// know its frequency to this, ppb (one standard deviation): an ordinary
/// crystal's short-term stability, deliberately pessimistic.
pub const FALLBACK_FREQUENCY_SIGMA_PPB: f64 = 10.0;

/// …and its oscillator to wander with this random-walk intensity, ppb²/s
/// (a temperature-compensated crystal in a room, ~0.1 ppb/√s).
pub const FALLBACK_WANDER: f64 = 1e-2;

/// Where the clock stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HoldoverState {
    /// Never locked to a primary reference (since start or since a
    /// holdover ran out of budget and the reference is still gone: see
    /// [`HoldoverState::OutOfBudget`]).
    FreeRun,
    /// Locked to a primary reference.
    Locked,
    /// The reference is lost; the estimated error is within the budget.
    InBudget,
    /// The reference is lost; the estimated error is beyond the budget.
    OutOfBudget,
}

impl HoldoverState {
    /// A short name for status: `free-run`, `locked`, `holdover`,
    /// `holdover-expired`.
    pub fn name(self) -> &'static str {
        match self {
            HoldoverState::FreeRun => "free-run",
            HoldoverState::Locked => "locked",
            HoldoverState::InBudget => "holdover",
            HoldoverState::OutOfBudget => "holdover-expired",
        }
    }
}

/// The tracker's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldoverStatus {
    /// The state.
    pub state: HoldoverState,
    /// Time since the reference's last sample (zero unless in holdover).
    pub elapsed: Duration,
    /// The estimated time error now: the servo's own bound when locked,
    /// the holdover bound in holdover, `None` when free-running.
    pub estimated_error: Option<Duration>,
    /// The frequency adjustment the clock should hold in holdover, ppb
    /// (`None` outside holdover).
    pub hold_frequency_ppb: Option<f64>,
    /// The reference the clock is (or was last) locked to.
    pub reference: Option<ReferenceKind>,
}

/// The holdover tracker (see the module documentation).
#[derive(Debug, Clone)]
pub struct Holdover {
    budget: Duration,
    /// The last model while locked, when its last sample was taken, and of
    /// which reference.
    last: Option<(Time, HoldoverModel, ReferenceKind)>,
    locked: bool,
    wander: WanderEstimator,
}

impl Holdover {
    /// A tracker with the `holdover-budget`: the largest estimated error
    /// still announced as holdover within specification (clockClass 7).
    pub fn new(budget: Duration) -> Self {
        Holdover {
            budget,
            last: None,
            locked: false,
            wander: WanderEstimator::new(),
        }
    }

    /// The budget.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// `reference` is selected and the servo locked to it; the servo's model
    /// at its last sample, taken at `at` (`None`: the servo keeps none, and
    /// the [`Fallback`] model is used).
    pub fn locked(
        &mut self,
        at: Time,
        reference: ReferenceKind,
        model: Option<HoldoverModel>,
        fallback: Fallback,
    ) {
        let mut model = model.unwrap_or_else(|| fallback.model());
        if let Some(q) = self.wander.estimate() {
            model.wander = model.wander.max(q);
        }
        self.last = Some((at, model, reference));
        self.locked = true;
    }

    /// Each new sample of the reference while locked: the offset
    /// (local − reference) measured at `at`, and the frequency adjustment
    /// in force after it, ppb (for the measured wander, [`crate::wander`]).
    pub fn observe(&mut self, at: Time, offset: Duration, adjustment_ppb: f64) {
        self.wander.sample(at, offset, adjustment_ppb);
    }

    /// The wander measured from the reference's samples, ppb²/s, once
    /// there are enough.
    pub fn measured_wander(&self) -> Option<f64> {
        self.wander.estimate()
    }

    /// The reference is not (or no longer) selected and locked.
    pub fn lost(&mut self) {
        self.locked = false;
    }

    /// Forget the last lock (e.g. the clock was stepped by another source:
    /// the holdover estimate no longer describes it).
    pub fn forget(&mut self) {
        self.last = None;
        self.locked = false;
        self.wander = WanderEstimator::new();
    }

    /// The status at `now`.
    pub fn status(&self, now: Time) -> HoldoverStatus {
        let Some((at, model, reference)) = self.last else {
            return HoldoverStatus {
                state: HoldoverState::FreeRun,
                elapsed: Duration::ZERO,
                estimated_error: None,
                hold_frequency_ppb: None,
                reference: None,
            };
        };
        if self.locked {
            return HoldoverStatus {
                state: HoldoverState::Locked,
                elapsed: Duration::ZERO,
                estimated_error: Some(model.bound(0.0)),
                hold_frequency_ppb: None,
                reference: Some(reference),
            };
        }
        let elapsed = (now - at).max(Duration::ZERO);
        let error = model.bound(elapsed.as_secs_f64());
        HoldoverStatus {
            state: if error <= self.budget {
                HoldoverState::InBudget
            } else {
                HoldoverState::OutOfBudget
            },
            elapsed,
            estimated_error: Some(error),
            hold_frequency_ppb: Some(model.holdover_adjustment_ppb()),
            reference: Some(reference),
        }
    }
}

/// What a servo without a covariance tells of itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fallback {
    /// The frequency adjustment in force, ppb.
    pub frequency_ppb: f64,
    /// The last offset (local − reference).
    pub offset: Duration,
}

impl Fallback {
    /// A model with the last offset as its standard deviation and the
    /// [`FALLBACK_FREQUENCY_SIGMA_PPB`] and [`FALLBACK_WANDER`] constants.
    pub fn model(self) -> HoldoverModel {
        let theta = self.offset.as_nanos_f64();
        HoldoverModel {
            offset_ns: 0.0,
            frequency_error_ppb: -self.frequency_ppb,
            offset_variance: theta * theta,
            covariance: 0.0,
            frequency_variance: FALLBACK_FREQUENCY_SIGMA_PPB * FALLBACK_FREQUENCY_SIGMA_PPB,
            wander: FALLBACK_WANDER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> HoldoverModel {
        HoldoverModel {
            offset_ns: 2.0,
            frequency_error_ppb: 800.0,
            offset_variance: 9.0,
            covariance: 0.0,
            frequency_variance: 1e-4,
            wander: 1e-6,
        }
    }

    const NO_FALLBACK: Fallback = Fallback {
        frequency_ppb: 0.0,
        offset: Duration::ZERO,
    };

    fn t(s: i64) -> Time {
        Time::from_secs_nanos(1_800_000_000 + s, 0)
    }

    #[test]
    fn free_run_until_locked() {
        let h = Holdover::new(Duration::from_micros(1));
        let s = h.status(t(0));
        assert_eq!(s.state, HoldoverState::FreeRun);
        assert_eq!(s.estimated_error, None);
        assert_eq!(s.hold_frequency_ppb, None);
    }

    #[test]
    fn locked_then_holdover_then_expired() {
        let mut h = Holdover::new(Duration::from_micros(1));
        h.locked(t(0), ReferenceKind::Pps, Some(model()), NO_FALLBACK);
        let s = h.status(t(10));
        assert_eq!(s.state, HoldoverState::Locked);
        assert_eq!(s.elapsed, Duration::ZERO);
        h.lost();
        let s = h.status(t(60));
        assert_eq!(s.state, HoldoverState::InBudget);
        assert_eq!(s.elapsed, Duration::from_secs(60));
        assert_eq!(s.hold_frequency_ppb, Some(-800.0));
        // σ(t)² = 9 + 1e-4 t² + 1e-6 t³/3: 1 µs = 2 + 2σ at σ ≈ 499 ns,
        // t³ ≈ 7.5e11 (t ≈ 9000 s) with the wander dominating.
        let s = h.status(t(5000));
        assert_eq!(s.state, HoldoverState::InBudget, "{:?}", s.estimated_error);
        let s = h.status(t(20_000));
        assert_eq!(s.state, HoldoverState::OutOfBudget);
        assert!(s.estimated_error.unwrap() > Duration::from_micros(1));
    }

    #[test]
    fn relock_ends_holdover() {
        let mut h = Holdover::new(Duration::from_micros(1));
        h.locked(t(0), ReferenceKind::Pps, Some(model()), NO_FALLBACK);
        h.lost();
        assert_eq!(h.status(t(50_000)).state, HoldoverState::OutOfBudget);
        h.locked(t(50_001), ReferenceKind::Gnss, Some(model()), NO_FALLBACK);
        assert_eq!(h.status(t(50_002)).state, HoldoverState::Locked);
        h.forget();
        assert_eq!(h.status(t(50_003)).state, HoldoverState::FreeRun);
    }

    #[test]
    fn fallback_model_for_servos_without_covariance() {
        let mut h = Holdover::new(Duration::from_micros(50));
        let fb = Fallback {
            frequency_ppb: -1200.0,
            offset: Duration::from_nanos(50),
        };
        h.locked(t(0), ReferenceKind::Pps, None, fb);
        h.lost();
        let s = h.status(t(1));
        assert_eq!(s.hold_frequency_ppb, Some(-1200.0));
        // 10 ppb for an hour: 36 µs 1σ, far from a Kalman's ns.
        let s = h.status(t(3600));
        let e = s.estimated_error.unwrap();
        assert!(e > Duration::from_micros(72), "{e}");
        assert_eq!(s.state, HoldoverState::OutOfBudget);
    }

    #[test]
    fn clock_going_backwards_is_zero_elapsed() {
        let mut h = Holdover::new(Duration::from_micros(1));
        h.locked(t(100), ReferenceKind::Pps, Some(model()), NO_FALLBACK);
        h.lost();
        assert_eq!(h.status(t(50)).elapsed, Duration::ZERO);
    }
}
