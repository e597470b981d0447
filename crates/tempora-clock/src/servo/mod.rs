//! Servos: turn offset measurements into clock corrections (frequency
//! adjustments and, when allowed, steps). Every servo implements [`Servo`];
//! the daemon and the simulator pick one by configuration.
//!
//! - [`PiServo`]: linuxptp's proportional-integral servo, the
//!   baseline users know;
//! - [`KalmanServo`]: an interacting-multiple-model
//!   Kalman filter over offset and frequency with adaptive noise estimates
//!   and outlier rejection;
//! - [`NtpPllServo`]: the RFC 5905 PLL/FLL discipline, the NTP baseline;
//! - [`StepPolicy`]: wraps any servo with step and
//!   panic thresholds and a frequency clamp;
//! - [`SanityGate`]: holds back a master that disagrees with a locked
//!   servo's clock until the disagreement lasts.

use crate::time::{Duration, Time};

pub mod holdover;
pub mod kalman;
pub mod ntp_pll;
pub mod pi;
pub mod policy;
pub mod sanity;
#[cfg(test)]
pub(crate) mod sim;

pub use holdover::HoldoverModel;
pub use kalman::{KalmanConfig, KalmanServo};
pub use ntp_pll::NtpPllServo;
pub use pi::{PiConfig, PiServo};
pub use policy::{PolicyConfig, PolicyOutcome, StepPolicy};
pub use sanity::{SanityConfig, SanityGate, Threshold, Verdict};

/// What the servo asks of the clock after a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Correction {
    /// Nothing yet (e.g. still collecting the first samples).
    None,
    /// Add `step` to the clock's time (usually minus the offset), then run
    /// at `frequency_ppb`.
    Step {
        /// The amount to add to the clock's time.
        step: Duration,
        /// The frequency adjustment to apply, in parts per billion.
        frequency_ppb: f64,
    },
    /// Run at this frequency adjustment, in parts per billion (positive:
    /// faster).
    Frequency {
        /// The frequency adjustment, in parts per billion.
        frequency_ppb: f64,
    },
}

/// The servo's view of its own state, as ptp4l reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServoState {
    /// Not enough samples yet.
    Unlocked,
    /// A step was requested (the next samples start over).
    Jump,
    /// Tracking.
    Locked,
}

/// One offset measurement for the servo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Local clock time of the measurement (e.g. the Sync's ingress time).
    pub local_time: Time,
    /// The clock's offset from the reference: local minus reference.
    pub offset: Duration,
    /// The path delay the measurement used, if known (a quality hint).
    pub delay: Option<Duration>,
}

/// A state handed to a servo by [`Servo::state_set`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Handover {
    /// When the offset held (local time).
    pub at: Time,
    /// The offset then, local − reference.
    pub offset: Duration,
    /// Its standard deviation, ns.
    pub offset_sigma_ns: f64,
    /// The frequency adjustment in force, ppb.
    pub adjustment_ppb: f64,
    /// The standard deviation of the oscillator's error, ppb.
    pub frequency_sigma_ppb: f64,
    /// The least path delay of the samples so far (the reference for the
    /// delay excess of the samples to come, and a noise guess).
    pub delay: Duration,
}

/// A clock servo (IEEE 1588-2019 leaves the servo to implementations; see
/// the implementations for what each follows).
pub trait Servo {
    /// Feeds one measurement taken with the clock at the frequency
    /// adjustment last returned; returns the correction to apply now.
    fn sample(&mut self, sample: Sample) -> Correction;

    /// The servo's state.
    fn state(&self) -> ServoState;

    /// The current frequency adjustment in parts per billion.
    fn frequency_ppb(&self) -> f64;

    /// Tells the servo the nominal interval between samples (e.g. the Sync
    /// interval), which some servos scale their gains with.
    fn set_interval(&mut self, interval: Duration);

    /// Forgets everything but the frequency estimate (e.g. after a new
    /// master was selected).
    fn reset(&mut self);

    /// A short name, e.g. `"pi"` or `"kalman"`.
    fn name(&self) -> &'static str;

    /// Tells the servo that the clock was stepped by `step` by someone else
    /// (e.g. a [`StepPolicy`] wrapping it), so that it
    /// can shift its state instead of reading the step as a jump in the
    /// measurements. The default forgets everything but the frequency
    /// ([`reset`](Servo::reset)).
    fn stepped(&mut self, step: Duration) {
        let _ = step;
        self.reset();
    }

    /// Tells the servo that someone else (a start-up policy) set the clock's
    /// frequency adjustment to `adjustment_ppb`, having measured the
    /// oscillator's error as its opposite within `sigma_ppb` (one standard
    /// deviation), so that it starts from that estimate. The default
    /// ignores it.
    fn frequency_set(&mut self, adjustment_ppb: f64, sigma_ppb: f64) {
        let _ = (adjustment_ppb, sigma_ppb);
    }

    /// Hands the servo a state estimated elsewhere (a start-up regression
    /// over several sources): the clock's offset (local − reference) at
    /// local time `at` within `offset_sigma_ns`, the frequency adjustment
    /// in force with the oscillator's error its opposite within
    /// `sigma_ppb`, and the path delay typical of the samples to come. The
    /// next sample is an ordinary update, not a first one. The default
    /// takes only the frequency ([`frequency_set`](Servo::frequency_set)).
    fn state_set(&mut self, handover: Handover) {
        self.frequency_set(handover.adjustment_ppb, handover.frequency_sigma_ppb);
    }

    /// Limits the frequency adjustments the servo asks for to ±`max_ppb`
    /// (e.g. the clock's own limit), so that what it asks for is what the
    /// clock runs at. The default ignores it.
    fn set_max_frequency(&mut self, max_ppb: f64) {
        let _ = max_ppb;
    }

    /// The servo's state and covariance at its last sample, for the error
    /// estimate of holdover ([`HoldoverModel`]), if it keeps them (the
    /// Kalman servo does; the default has none).
    fn holdover_model(&self) -> Option<HoldoverModel> {
        None
    }
}

/// `x` limited to ±`max` (a NaN `x` gives 0; a NaN or negative `max` is read
/// as 0).
pub(crate) fn clamp_sym(x: f64, max: f64) -> f64 {
    let max = if max.is_nan() || max < 0.0 { 0.0 } else { max };
    if x.is_nan() {
        0.0
    } else if x > max {
        max
    } else if x < -max {
        -max
    } else {
        x
    }
}
