//! The servos the simulator can run, by name.

use tempora_clock::Servo;
use tempora_clock::servo::kalman::{KalmanConfig, KalmanServo};
use tempora_clock::servo::pi::{PiConfig, PiServo};

/// Which servo to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServoKind {
    /// Tempora's Kalman filter.
    Kalman,
    /// linuxptp's PI servo, the baseline.
    Pi,
}

impl ServoKind {
    /// The servo for a name (`kalman`, `pi`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "kalman" => Some(ServoKind::Kalman),
            "pi" => Some(ServoKind::Pi),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            ServoKind::Kalman => "kalman",
            ServoKind::Pi => "pi",
        }
    }
}

/// A new servo of `kind`; `hardware` picks linuxptp's hardware
/// timestamping preset for the PI servo (software otherwise).
pub fn make_servo(kind: ServoKind, hardware: bool) -> Box<dyn Servo> {
    match kind {
        ServoKind::Pi => {
            let config = if hardware {
                PiConfig::hardware()
            } else {
                PiConfig::software()
            };
            Box::new(PiServo::new(config))
        }
        ServoKind::Kalman => Box::new(KalmanServo::new(KalmanConfig {
            // Software timestamps are noisy: estimate the frequency on three
            // samples before the first update.
            first_update_samples: if hardware { 2 } else { 3 },
            ..KalmanConfig::default()
        })),
    }
}
