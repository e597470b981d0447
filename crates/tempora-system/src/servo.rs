//! The servo the daemon runs, built in one place so that the simulator runs
//! the same one: Tempora's Kalman filter or linuxptp's PI, inside the
//! [`StepPolicy`] that makes the step and panic decisions.

use alloc::boxed::Box;

use tempora_clock::servo::kalman::{KalmanConfig, KalmanServo};
use tempora_clock::servo::pi::{PiConfig, PiServo};
use tempora_clock::servo::policy::{PolicyConfig, StepPolicy};
use tempora_clock::{Duration, Servo};

/// Which filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServoChoice {
    /// Tempora's adaptive Kalman filter.
    Kalman,
    /// linuxptp's PI controller.
    Pi,
}

/// What the servo is built from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServoSettings {
    /// The filter.
    pub choice: ServoChoice,
    /// Hardware timestamps (less noise: fewer samples before the first
    /// update; linuxptp's hardware PI gains).
    pub hardware: bool,
    /// The frequency adjustment the clock starts at, ppb.
    pub initial_ppb: f64,
    /// Step on the first sample beyond this (zero never steps).
    pub step_threshold: Duration,
    /// Refuse samples beyond this (zero refuses none).
    pub panic_threshold: Duration,
    /// The clock's largest frequency adjustment, ppb.
    pub max_frequency_ppb: f64,
}

/// The servo for `s`.
pub fn build(s: &ServoSettings) -> Box<dyn Servo> {
    let policy = PolicyConfig {
        step_threshold: s.step_threshold,
        panic_threshold: s.panic_threshold,
        max_frequency_ppb: s.max_frequency_ppb,
        ..PolicyConfig::default()
    };
    match s.choice {
        ServoChoice::Kalman => {
            let inner = KalmanServo::new(KalmanConfig {
                first_step_threshold: Duration::ZERO,
                first_update_samples: if s.hardware { 2 } else { 3 },
                initial_frequency_ppb: s.initial_ppb,
                ..KalmanConfig::default()
            });
            Box::new(StepPolicy::new(inner, policy))
        }
        ServoChoice::Pi => {
            let mut pi = if s.hardware {
                PiConfig::hardware()
            } else {
                PiConfig::software()
            };
            pi.first_step_threshold = Duration::ZERO;
            pi.initial_frequency_ppb = s.initial_ppb;
            Box::new(StepPolicy::new(PiServo::new(pi), policy))
        }
    }
}
