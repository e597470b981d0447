//! Step and panic policy around any [`Servo`].
//!
//! Whether to step the clock is a policy choice separate from how to filter
//! the measurements, and the daemons users know make it the same way:
//!
//! - step only at startup when the offset is beyond a threshold, slew
//!   afterwards: linuxptp's `first_step_threshold` (20 µs by default),
//!   chrony's `makestep threshold limit` (step in the first `limit`
//!   updates only), ntpd's step at startup;
//! - or step whenever beyond it (`always_step`, like linuxptp's
//!   `step_threshold` or chrony's `makestep threshold -1`);
//! - refuse offsets too large to be believed, the "panic threshold" of ntpd
//!   (1000 s, RFC 5905 §11.3 `PANICT`) and chrony's `maxchange`: the
//!   sample is not used and the outcome says so, for the daemon to log;
//! - never ask for more than the clock can do (`max_frequency_ppb`).

use super::{Correction, Sample, Servo, ServoState, clamp_sym};
use crate::time::Duration;

/// Configuration of a [`StepPolicy`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolicyConfig {
    /// Step when the offset is beyond this (default 20 µs, linuxptp's
    /// `first_step_threshold`; zero never steps).
    pub step_threshold: Duration,
    /// How many samples from the start (or from [`Servo::reset`]) may cause
    /// a step (default 1: the first sample only).
    pub step_limit: u32,
    /// Step whenever the offset is beyond `step_threshold`, not only at
    /// startup (default false: slew after startup).
    pub always_step: bool,
    /// Refuse samples whose offset is beyond this (default 1000 s, ntpd's
    /// panic threshold; zero accepts everything).
    pub panic_threshold: Duration,
    /// The largest frequency adjustment asked for, in ppb (default 900000).
    pub max_frequency_ppb: f64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            step_threshold: Duration::from_micros(20),
            step_limit: 1,
            always_step: false,
            panic_threshold: Duration::from_secs(1000),
            max_frequency_ppb: 900_000.0,
        }
    }
}

/// What the policy made of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PolicyOutcome {
    /// Apply this correction.
    Apply(Correction),
    /// The offset is beyond the panic threshold: the sample was not used
    /// and nothing is to be done to the clock. The daemon should log this
    /// loudly (and may exit, as ntpd does).
    Refused {
        /// The offset of the refused sample.
        offset: Duration,
        /// The panic threshold it exceeded.
        threshold: Duration,
    },
}

/// A [`Servo`] wrapped with step and panic thresholds and a frequency
/// clamp (see the module documentation).
///
/// The wrapped servo is told about the policy's steps through
/// [`Servo::stepped`]; give it no step thresholds of its own (or the same
/// ones) so that it does not step too.
#[derive(Debug, Clone)]
pub struct StepPolicy<S> {
    inner: S,
    config: PolicyConfig,
    samples: u32,
    refused: u64,
    last_refused: bool,
    stepped: bool,
}

impl<S: Servo> StepPolicy<S> {
    /// Wraps `inner`, telling it the frequency limit.
    pub fn new(mut inner: S, config: PolicyConfig) -> Self {
        inner.set_max_frequency(config.max_frequency_ppb);
        StepPolicy {
            inner,
            config,
            samples: 0,
            refused: 0,
            last_refused: false,
            stepped: false,
        }
    }

    /// Feeds a sample and says what to do, including refusals.
    pub fn evaluate(&mut self, sample: Sample) -> PolicyOutcome {
        let offset = sample.offset;
        let panic = self.config.panic_threshold;
        if panic > Duration::ZERO && offset.abs() > panic {
            self.refused = self.refused.saturating_add(1);
            self.last_refused = true;
            return PolicyOutcome::Refused {
                offset,
                threshold: panic,
            };
        }
        self.last_refused = false;
        let startup = self.samples < self.config.step_limit;
        self.samples = self.samples.saturating_add(1);
        let threshold = self.config.step_threshold;
        let max = self.config.max_frequency_ppb;
        if (startup || self.config.always_step)
            && threshold > Duration::ZERO
            && offset.abs() > threshold
        {
            let step = -offset;
            self.inner.stepped(step);
            self.stepped = true;
            return PolicyOutcome::Apply(Correction::Step {
                step,
                frequency_ppb: clamp_sym(self.inner.frequency_ppb(), max),
            });
        }
        self.stepped = false;
        PolicyOutcome::Apply(match self.inner.sample(sample) {
            Correction::None => Correction::None,
            Correction::Step {
                step,
                frequency_ppb,
            } => Correction::Step {
                step,
                frequency_ppb: clamp_sym(frequency_ppb, max),
            },
            Correction::Frequency { frequency_ppb } => Correction::Frequency {
                frequency_ppb: clamp_sym(frequency_ppb, max),
            },
        })
    }

    /// How many samples were refused over the panic threshold.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Whether the last sample was refused.
    pub fn last_refused(&self) -> bool {
        self.last_refused
    }

    /// The configuration.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The wrapped servo.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The wrapped servo, mutably.
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the servo.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Servo> Servo for StepPolicy<S> {
    /// As [`StepPolicy::evaluate`], with a refusal read as
    /// [`Correction::None`] (see [`StepPolicy::last_refused`]).
    fn sample(&mut self, sample: Sample) -> Correction {
        match self.evaluate(sample) {
            PolicyOutcome::Apply(c) => c,
            PolicyOutcome::Refused { .. } => Correction::None,
        }
    }

    fn state(&self) -> ServoState {
        if self.stepped {
            ServoState::Jump
        } else {
            self.inner.state()
        }
    }

    fn frequency_ppb(&self) -> f64 {
        clamp_sym(self.inner.frequency_ppb(), self.config.max_frequency_ppb)
    }

    fn set_interval(&mut self, interval: Duration) {
        self.inner.set_interval(interval);
    }

    /// Resets the wrapped servo and allows startup steps again.
    fn reset(&mut self) {
        self.inner.reset();
        self.samples = 0;
        self.stepped = false;
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// Someone else stepped the clock (a start-up policy): the start-up
    /// steps of this policy are used up.
    fn stepped(&mut self, step: Duration) {
        self.inner.stepped(step);
        self.samples = self.samples.max(self.config.step_limit);
    }

    fn frequency_set(&mut self, adjustment_ppb: f64, sigma_ppb: f64) {
        self.inner.frequency_set(adjustment_ppb, sigma_ppb);
        self.samples = self.samples.max(self.config.step_limit);
    }

    fn state_set(&mut self, handover: super::Handover) {
        self.inner.state_set(handover);
        self.samples = self.samples.max(self.config.step_limit);
    }

    fn set_max_frequency(&mut self, max_ppb: f64) {
        if max_ppb >= 0.0 {
            self.config.max_frequency_ppb = max_ppb;
            self.inner.set_max_frequency(max_ppb);
        }
    }

    fn holdover_model(&self) -> Option<super::HoldoverModel> {
        self.inner.holdover_model()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servo::kalman::{KalmanConfig, KalmanServo};
    use crate::servo::pi::{PiConfig, PiServo};
    use crate::servo::sim::{Noise, Scenario, run};
    use crate::time::Time;

    fn sample(t_s: i64, offset: Duration) -> Sample {
        Sample {
            local_time: Time::from_secs_nanos(100 + t_s, 0),
            offset,
            delay: None,
        }
    }

    fn kalman_no_steps() -> KalmanServo {
        KalmanServo::new(KalmanConfig {
            first_step_threshold: Duration::ZERO,
            ..KalmanConfig::default()
        })
    }

    #[test]
    fn steps_at_startup_then_slews() {
        let mut p = StepPolicy::new(kalman_no_steps(), PolicyConfig::default());
        let c = p.sample(sample(0, Duration::from_millis(3)));
        assert_eq!(
            c,
            Correction::Step {
                step: Duration::from_millis(-3),
                frequency_ppb: 0.0
            }
        );
        assert_eq!(p.state(), ServoState::Jump);
        // Later, even a large offset is slewed.
        p.sample(sample(1, Duration::ZERO));
        let c = p.sample(sample(2, Duration::from_millis(3)));
        assert!(matches!(c, Correction::Frequency { .. }), "{c:?}");
        // Small offsets at startup are not stepped.
        let mut p = StepPolicy::new(kalman_no_steps(), PolicyConfig::default());
        assert_eq!(
            p.sample(sample(0, Duration::from_micros(19))),
            Correction::None
        );
        // After a reset, startup steps are allowed again.
        p.reset();
        assert!(matches!(
            p.sample(sample(1, Duration::from_micros(21))),
            Correction::Step { .. }
        ));
    }

    #[test]
    fn always_step_and_step_limit() {
        let config = PolicyConfig {
            always_step: true,
            step_threshold: Duration::from_millis(1),
            ..PolicyConfig::default()
        };
        let mut p = StepPolicy::new(PiServo::default(), config);
        p.sample(sample(0, Duration::ZERO));
        p.sample(sample(1, Duration::ZERO));
        assert!(matches!(
            p.sample(sample(2, Duration::from_millis(2))),
            Correction::Step { .. }
        ));
        let config = PolicyConfig {
            step_limit: 3,
            ..PolicyConfig::default()
        };
        let mut p = StepPolicy::new(kalman_no_steps(), config);
        p.sample(sample(0, Duration::ZERO));
        p.sample(sample(1, Duration::ZERO));
        assert!(matches!(
            p.sample(sample(2, Duration::from_millis(2))),
            Correction::Step { .. }
        ));
        assert!(!matches!(
            p.sample(sample(3, Duration::from_millis(2))),
            Correction::Step { .. }
        ));
    }

    #[test]
    fn panic_threshold_refuses() {
        let mut p = StepPolicy::new(PiServo::default(), PolicyConfig::default());
        let crazy = sample(0, Duration::from_secs(5000));
        assert_eq!(
            p.evaluate(crazy),
            PolicyOutcome::Refused {
                offset: Duration::from_secs(5000),
                threshold: Duration::from_secs(1000),
            }
        );
        assert!(p.last_refused());
        assert_eq!(p.sample(sample(1, -Duration::MAX)), Correction::None);
        assert_eq!(p.refused(), 2);
        // The refused samples never reached the servo, nor used up the
        // startup step.
        assert_eq!(p.inner().state(), ServoState::Unlocked);
        assert!(matches!(
            p.evaluate(sample(2, Duration::from_secs(999))),
            PolicyOutcome::Apply(Correction::Step { .. })
        ));
        assert!(!p.last_refused());
        // Zero disables it.
        let config = PolicyConfig {
            panic_threshold: Duration::ZERO,
            ..PolicyConfig::default()
        };
        let mut p = StepPolicy::new(PiServo::default(), config);
        assert!(matches!(
            p.evaluate(sample(0, Duration::MAX)),
            PolicyOutcome::Apply(Correction::Step { .. })
        ));
    }

    #[test]
    fn frequency_is_clamped() {
        let config = PolicyConfig {
            max_frequency_ppb: 1000.0,
            step_threshold: Duration::ZERO,
            ..PolicyConfig::default()
        };
        let mut p = StepPolicy::new(
            PiServo::new(PiConfig {
                first_step_threshold: Duration::ZERO,
                ..PiConfig::hardware()
            }),
            config,
        );
        p.sample(sample(0, Duration::ZERO));
        p.sample(sample(1, Duration::from_micros(500)));
        for t in 2..10 {
            match p.sample(sample(t, Duration::from_millis(1))) {
                Correction::Frequency { frequency_ppb } => {
                    assert!(frequency_ppb.abs() <= 1000.0, "{frequency_ppb}")
                }
                c => panic!("{c:?}"),
            }
        }
        assert!(p.frequency_ppb().abs() <= 1000.0);
        // The inner servo was told, so it knows what the clock runs at.
        assert!(p.inner().frequency_ppb().abs() <= 1000.0);
    }

    #[test]
    fn closed_loop_through_the_policy() {
        let sc = Scenario {
            noise: Noise::Gaussian { sigma_ns: 5.0 },
            initial_offset_ns: 2e6,
            freq_error_ppb: -30_000.0,
            settle_bound_ns: 50.0,
            ..Scenario::default()
        };
        let mut p = StepPolicy::new(kalman_no_steps(), PolicyConfig::default());
        let r = run(&mut p, &sc);
        assert_eq!(r.steps_taken, 1);
        assert!(r.rms_ns < 5.0, "{r:?}");
        assert!(r.settled_at < 20, "{r:?}");
        let mut p = StepPolicy::new(
            PiServo::new(PiConfig {
                first_step_threshold: Duration::ZERO,
                ..PiConfig::hardware()
            }),
            PolicyConfig::default(),
        );
        let r = run(&mut p, &sc);
        assert_eq!(r.steps_taken, 1);
        assert!(r.rms_ns < 10.0, "{r:?}");
    }
}
