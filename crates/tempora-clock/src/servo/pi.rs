//! linuxptp's proportional-integral (PI) clock servo, the baseline.
//!
//! This follows the behaviour of linuxptp's `pi.c`, `servo.c` and the
//! defaults in `config.c` (Richard Cochran et al., <https://linuxptp.nwtime.org>):
//!
//! - gains scaled with the sync interval `I` (seconds):
//!   `kp = min(kp_scale × I^kp_exponent, kp_norm_max / I)` and
//!   `ki = min(ki_scale × I^ki_exponent, ki_norm_max / I)`, with
//!   `kp_exponent = −0.3`, `ki_exponent = 0.4`, `kp_norm_max = 0.7`,
//!   `ki_norm_max = 0.3` (config.c defaults) and the scales 0.7/0.3 for
//!   hardware and 0.1/0.001 for software time stamping (pi.c
//!   `HWTS_KP_SCALE`, `HWTS_KI_SCALE`, `SWTS_KP_SCALE`, `SWTS_KI_SCALE`);
//!   fixed constants (`pi_proportional_const`, `pi_integral_const`) replace
//!   the scales with exponent 0 and norm maxima 1.0 and 2.0
//!   (`MAX_KP_NORM_MAX`, `MAX_KI_NORM_MAX`);
//! - state machine: the first sample is stored (unlocked); the second, once
//!   at least `0.016 / ki` seconds (capped at 1000 s) after the first —
//!   with the interval lengthened by `FREQ_EST_MARGIN` = 0.001 for the
//!   comparison — estimates the frequency from the two offsets, then either
//!   asks for a step (`first_step_threshold`, 20 µs by default, on the first
//!   update only; `step_threshold`, 0 = never, at any time) or locks;
//! - locked: `adj = kp × offset + ki × offset + drift`, clamped to the
//!   maximum frequency, and `drift += ki × offset` only when not clamped
//!   (anti-windup); an offset beyond `step_threshold` (if set) restarts the
//!   state machine so that the frequency is estimated again before the step.
//!
//! linuxptp's servo output is the negative of the frequency adjustment
//! (`clockadj_set_freq(clkid, -adj)`); this servo returns the adjustment
//! itself, in the sign convention of [`Correction`].

use super::{Correction, Sample, Servo, ServoState, clamp_sym};
use crate::time::{Duration, Time};

/// linuxptp `pi.c`: `HWTS_KP_SCALE`.
pub const HWTS_KP_SCALE: f64 = 0.7;
/// linuxptp `pi.c`: `HWTS_KI_SCALE`.
pub const HWTS_KI_SCALE: f64 = 0.3;
/// linuxptp `pi.c`: `SWTS_KP_SCALE`.
pub const SWTS_KP_SCALE: f64 = 0.1;
/// linuxptp `pi.c`: `SWTS_KI_SCALE`.
pub const SWTS_KI_SCALE: f64 = 0.001;
/// linuxptp `pi.c`: `MAX_KP_NORM_MAX`, used with fixed constants.
pub const MAX_KP_NORM_MAX: f64 = 1.0;
/// linuxptp `pi.c`: `MAX_KI_NORM_MAX`, used with fixed constants.
pub const MAX_KI_NORM_MAX: f64 = 2.0;
/// linuxptp `pi.c`: `FREQ_EST_MARGIN`.
pub const FREQ_EST_MARGIN: f64 = 0.001;

/// Configuration of a [`PiServo`], named after linuxptp's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PiConfig {
    /// `pi_proportional_scale`.
    pub kp_scale: f64,
    /// `pi_proportional_exponent` (default −0.3).
    pub kp_exponent: f64,
    /// `pi_proportional_norm_max` (default 0.7).
    pub kp_norm_max: f64,
    /// `pi_integral_scale`.
    pub ki_scale: f64,
    /// `pi_integral_exponent` (default 0.4).
    pub ki_exponent: f64,
    /// `pi_integral_norm_max` (default 0.3).
    pub ki_norm_max: f64,
    /// `first_step_threshold`: step on the first update if the offset is
    /// beyond it (default 20 µs; zero disables).
    pub first_step_threshold: Duration,
    /// `step_threshold`: step whenever the offset is beyond it (default
    /// zero: never).
    pub step_threshold: Duration,
    /// `max_frequency`: the largest adjustment asked for, in ppb (linuxptp
    /// defaults to 900000000 and then lowers it to the clock's own limit;
    /// the default here is 900000 ppb, a typical PHC limit).
    pub max_frequency_ppb: f64,
    /// The clock's frequency adjustment when the servo starts, in ppb
    /// (linuxptp's `fadj`): the initial drift.
    pub initial_frequency_ppb: f64,
}

impl PiConfig {
    /// linuxptp's defaults for hardware time stamping (kp scale 0.7, ki
    /// scale 0.3).
    pub const fn hardware() -> Self {
        PiConfig {
            kp_scale: HWTS_KP_SCALE,
            kp_exponent: -0.3,
            kp_norm_max: 0.7,
            ki_scale: HWTS_KI_SCALE,
            ki_exponent: 0.4,
            ki_norm_max: 0.3,
            first_step_threshold: Duration::from_micros(20),
            step_threshold: Duration::ZERO,
            max_frequency_ppb: 900_000.0,
            initial_frequency_ppb: 0.0,
        }
    }

    /// linuxptp's defaults for software time stamping (kp scale 0.1, ki
    /// scale 0.001).
    pub const fn software() -> Self {
        PiConfig {
            kp_scale: SWTS_KP_SCALE,
            ki_scale: SWTS_KI_SCALE,
            ..Self::hardware()
        }
    }

    /// Fixed gains, as linuxptp's `pi_proportional_const` and
    /// `pi_integral_const`: not scaled with the interval (exponent 0) unless
    /// they would make the servo unstable (norm maxima 1.0 and 2.0).
    pub const fn with_constants(self, kp: f64, ki: f64) -> Self {
        PiConfig {
            kp_scale: kp,
            kp_exponent: 0.0,
            kp_norm_max: MAX_KP_NORM_MAX,
            ki_scale: ki,
            ki_exponent: 0.0,
            ki_norm_max: MAX_KI_NORM_MAX,
            ..self
        }
    }
}

impl Default for PiConfig {
    /// The hardware time stamping defaults.
    fn default() -> Self {
        Self::hardware()
    }
}

/// linuxptp's PI servo (see the module documentation).
#[derive(Debug, Clone)]
pub struct PiServo {
    config: PiConfig,
    kp: f64,
    ki: f64,
    /// Offsets (ns) and local times of the first two samples.
    offset: [f64; 2],
    local: [Time; 2],
    /// The integral term: the frequency adjustment that cancels the
    /// oscillator's error, ppb (Tempora's sign).
    drift: f64,
    last_freq: f64,
    count: u8,
    first_update: bool,
    state: ServoState,
}

impl PiServo {
    /// A PI servo with the given configuration and a sync interval of 1 s
    /// (change it with [`Servo::set_interval`]).
    pub fn new(config: PiConfig) -> Self {
        let mut servo = PiServo {
            config,
            kp: 0.0,
            ki: 0.0,
            offset: [0.0; 2],
            local: [Time::EPOCH; 2],
            drift: clamp_sym(config.initial_frequency_ppb, config.max_frequency_ppb),
            last_freq: clamp_sym(config.initial_frequency_ppb, config.max_frequency_ppb),
            count: 0,
            first_update: true,
            state: ServoState::Unlocked,
        };
        servo.set_interval(Duration::from_secs(1));
        servo
    }

    /// The proportional gain in effect.
    pub fn kp(&self) -> f64 {
        self.kp
    }

    /// The integral gain in effect.
    pub fn ki(&self) -> f64 {
        self.ki
    }

    /// The configuration.
    pub fn config(&self) -> &PiConfig {
        &self.config
    }

    fn beyond(threshold: Duration, offset: Duration) -> bool {
        threshold > Duration::ZERO && offset.abs() > threshold
    }
}

impl Default for PiServo {
    fn default() -> Self {
        Self::new(PiConfig::default())
    }
}

impl Servo for PiServo {
    fn sample(&mut self, sample: Sample) -> Correction {
        let offset = sample.offset.as_nanos_f64();
        let max = self.config.max_frequency_ppb;
        let correction = match self.count {
            0 => {
                self.offset[0] = offset;
                self.local[0] = sample.local_time;
                self.count = 1;
                self.state = ServoState::Unlocked;
                Correction::None
            }
            1 => {
                self.offset[1] = offset;
                self.local[1] = sample.local_time;
                let span = (self.local[1] - self.local[0]).as_secs_f64();
                if span <= 0.0 {
                    // The first sample must be older than the second.
                    self.count = 0;
                    self.state = ServoState::Unlocked;
                    return Correction::None;
                }
                let freq_est_interval = (0.016 / self.ki).min(1000.0);
                if span + span * FREQ_EST_MARGIN < freq_est_interval {
                    self.state = ServoState::Unlocked;
                    return Correction::None;
                }
                // The offset moved at `rate` (s/s) with the clock running at
                // `drift`; the oscillator is off by the sum.
                let rate = (self.offset[1] - self.offset[0]) / (span * 1e9);
                self.drift = clamp_sym(self.drift - (1e9 + self.drift) * rate, max);
                self.count = 2;
                self.last_freq = self.drift;
                if (self.first_update
                    && Self::beyond(self.config.first_step_threshold, sample.offset))
                    || Self::beyond(self.config.step_threshold, sample.offset)
                {
                    self.state = ServoState::Jump;
                    self.first_update = false;
                    Correction::Step {
                        step: -sample.offset,
                        frequency_ppb: self.drift,
                    }
                } else {
                    self.state = ServoState::Locked;
                    self.first_update = false;
                    Correction::Frequency {
                        frequency_ppb: self.drift,
                    }
                }
            }
            _ => {
                if Self::beyond(self.config.step_threshold, sample.offset) {
                    // Start over: estimate the frequency again, then step.
                    self.count = 0;
                    self.state = ServoState::Unlocked;
                    return Correction::None;
                }
                let ki_term = self.ki * offset;
                let ppb = self.drift - self.kp * offset - ki_term;
                let freq = if ppb > max || ppb < -max || ppb.is_nan() {
                    clamp_sym(ppb, max)
                } else {
                    self.drift -= ki_term;
                    ppb
                };
                self.last_freq = freq;
                self.state = ServoState::Locked;
                self.first_update = false;
                Correction::Frequency {
                    frequency_ppb: freq,
                }
            }
        };
        if let Correction::Step { frequency_ppb, .. } | Correction::Frequency { frequency_ppb } =
            correction
        {
            self.last_freq = frequency_ppb;
        }
        correction
    }

    fn state(&self) -> ServoState {
        self.state
    }

    fn frequency_ppb(&self) -> f64 {
        self.last_freq
    }

    /// Scales the gains with the interval as linuxptp's `pi_sync_interval`;
    /// a zero or negative interval is ignored.
    fn set_interval(&mut self, interval: Duration) {
        let i = interval.as_secs_f64();
        if !(i > 0.0 && i.is_finite()) {
            return;
        }
        let c = &self.config;
        let kp = c.kp_scale * libm::pow(i, c.kp_exponent);
        let ki = c.ki_scale * libm::pow(i, c.ki_exponent);
        self.kp = finite_or_zero(kp.min(c.kp_norm_max / i));
        self.ki = finite_or_zero(ki.min(c.ki_norm_max / i));
    }

    /// As linuxptp's `pi_reset`: starts the state machine over, keeping the
    /// drift.
    fn reset(&mut self) {
        self.count = 0;
        self.state = ServoState::Unlocked;
    }

    fn name(&self) -> &'static str {
        "pi"
    }

    /// The PI servo only remembers offsets while estimating the frequency;
    /// a step then restarts that estimate, otherwise nothing changes.
    fn stepped(&mut self, _step: Duration) {
        if self.count < 2 {
            self.count = 0;
        }
    }

    /// Takes the frequency as measured: the integral term is set to it and
    /// the two-sample frequency estimate is skipped.
    fn frequency_set(&mut self, adjustment_ppb: f64, _sigma_ppb: f64) {
        if !adjustment_ppb.is_finite() {
            return;
        }
        self.drift = clamp_sym(adjustment_ppb, self.config.max_frequency_ppb);
        self.last_freq = self.drift;
        self.count = 2;
        self.first_update = false;
    }

    fn set_max_frequency(&mut self, max_ppb: f64) {
        if max_ppb >= 0.0 {
            self.config.max_frequency_ppb = max_ppb;
            self.drift = clamp_sym(self.drift, max_ppb);
        }
    }
}

fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servo::sim::{Noise, Scenario, run};

    fn sample(t_s: i64, offset_ns: i64) -> Sample {
        Sample {
            local_time: Time::from_secs_nanos(1000 + t_s, 0),
            offset: Duration::from_nanos(offset_ns),
            delay: None,
        }
    }

    #[test]
    fn gains_follow_linuxptp() {
        let mut pi = PiServo::new(PiConfig::hardware());
        assert!((pi.kp() - 0.7).abs() < 1e-12);
        assert!((pi.ki() - 0.3).abs() < 1e-12);
        // 1/8 s: kp = 0.7 × 0.125^−0.3 ≈ 1.307 (below 0.7 / 0.125 = 5.6),
        // ki = 0.3 × 0.125^0.4 ≈ 0.131 (below 0.3 / 0.125 = 2.4).
        pi.set_interval(Duration::from_millis(125));
        assert!((pi.kp() - 0.7 * libm::pow(0.125, -0.3)).abs() < 1e-9);
        assert!((pi.ki() - 0.3 * libm::pow(0.125, 0.4)).abs() < 1e-9);
        // 16 s: kp = min(0.7 × 16^−0.3, 0.7/16) = 0.04375.
        pi.set_interval(Duration::from_secs(16));
        assert!((pi.kp() - 0.7 / 16.0).abs() < 1e-12);
        let sw = PiServo::new(PiConfig::software());
        assert!((sw.kp() - 0.1).abs() < 1e-12 && (sw.ki() - 0.001).abs() < 1e-12);
        let fixed = PiServo::new(PiConfig::hardware().with_constants(0.5, 0.1));
        assert!((fixed.kp() - 0.5).abs() < 1e-12 && (fixed.ki() - 0.1).abs() < 1e-12);
        // Nonsense intervals are ignored.
        let mut p = PiServo::default();
        p.set_interval(Duration::ZERO);
        p.set_interval(Duration::from_secs(-1));
        assert!((p.kp() - 0.7).abs() < 1e-12);
    }

    #[test]
    fn state_machine_estimates_frequency_then_steps() {
        let mut pi = PiServo::new(PiConfig::hardware());
        assert_eq!(pi.sample(sample(0, 100_000)), Correction::None);
        assert_eq!(pi.state(), ServoState::Unlocked);
        // The clock gains 10 µs/s: 10 ppm fast, so it must slow down.
        match pi.sample(sample(1, 110_000)) {
            Correction::Step {
                step,
                frequency_ppb,
            } => {
                assert_eq!(step, Duration::from_nanos(-110_000));
                assert!((frequency_ppb + 10_000.0).abs() < 1.0, "{frequency_ppb}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pi.state(), ServoState::Jump);
        // Later large offsets are not stepped (step_threshold 0).
        assert!(matches!(
            pi.sample(sample(2, 50_000)),
            Correction::Frequency { .. }
        ));
        assert_eq!(pi.state(), ServoState::Locked);
    }

    #[test]
    fn software_waits_for_the_frequency_estimate_interval() {
        // ki = 0.001: 0.016 / ki = 16 s between the two samples.
        let mut pi = PiServo::new(PiConfig::software());
        assert_eq!(pi.sample(sample(0, 0)), Correction::None);
        for t in 1..16 {
            assert_eq!(pi.sample(sample(t, t * 1000)), Correction::None);
        }
        assert!(matches!(
            pi.sample(sample(16, 16_000)),
            Correction::Frequency { frequency_ppb } if (frequency_ppb + 1000.0).abs() < 0.1
        ));
    }

    #[test]
    fn step_threshold_restarts_and_clamp_holds() {
        let config = PiConfig {
            step_threshold: Duration::from_millis(1),
            max_frequency_ppb: 500.0,
            ..PiConfig::hardware()
        };
        let mut pi = PiServo::new(config);
        pi.sample(sample(0, 0));
        pi.sample(sample(1, 0));
        let Correction::Frequency { frequency_ppb } = pi.sample(sample(2, 900_000)) else {
            panic!()
        };
        assert_eq!(frequency_ppb, -500.0);
        assert_eq!(pi.sample(sample(3, 2_000_000)), Correction::None);
        assert_eq!(pi.state(), ServoState::Unlocked);
        assert_eq!(pi.sample(sample(4, 2_000_000)), Correction::None);
        assert!(matches!(
            pi.sample(sample(5, 2_000_000)),
            Correction::Step { .. }
        ));
        assert_eq!(pi.state(), ServoState::Jump);
    }

    #[test]
    fn bad_inputs_do_not_panic() {
        let mut pi = PiServo::default();
        let huge = Sample {
            local_time: Time::from_scaled_nanos(i128::MAX),
            offset: Duration::MAX,
            delay: Some(Duration::MAX),
        };
        pi.sample(huge);
        pi.sample(huge); // same local time: starts over
        pi.sample(sample(0, 0));
        pi.sample(sample(1, i64::MAX));
        let f = pi.frequency_ppb();
        assert!(f.is_finite() && f.abs() <= 900_000.0);
        for t in 2..10 {
            pi.sample(sample(t, i64::MIN));
            assert!(pi.frequency_ppb().is_finite());
        }
    }

    #[test]
    fn closed_loop_converges() {
        let mut pi = PiServo::new(PiConfig::hardware());
        let sc = Scenario {
            noise: Noise::Gaussian { sigma_ns: 5.0 },
            initial_offset_ns: 1e6,
            freq_error_ppb: 10_000.0,
            ..Scenario::default()
        };
        let r = run(&mut pi, &sc);
        assert!(r.rms_ns < 20.0, "{r:?}");
    }
}
