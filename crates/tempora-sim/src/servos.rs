//! The servos the simulator can run, by name.

use tempora_clock::Servo;
use tempora_clock::servo::kalman::{KalmanConfig, KalmanServo};
use tempora_clock::servo::ntp_pll::NtpPllServo;
use tempora_clock::servo::pi::{PiConfig, PiServo};

/// Which servo to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServoKind {
    /// Tempora's Kalman filter.
    Kalman,
    /// linuxptp's PI servo, the PTP baseline.
    Pi,
    /// The RFC 5905 PLL/FLL discipline, the NTP baseline.
    Rfc5905,
}

impl ServoKind {
    /// The servo for a name (`kalman`, `pi`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "kalman" => Some(ServoKind::Kalman),
            "pi" => Some(ServoKind::Pi),
            "rfc5905" => Some(ServoKind::Rfc5905),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            ServoKind::Kalman => "kalman",
            ServoKind::Pi => "pi",
            ServoKind::Rfc5905 => "rfc5905",
        }
    }
}

/// A new servo of `kind`; `hardware` picks linuxptp's hardware
/// timestamping preset for the PI servo (software otherwise).
pub fn make_servo(kind: ServoKind, hardware: bool) -> Box<dyn Servo> {
    match kind {
        ServoKind::Rfc5905 => Box::new(NtpPllServo::new()),
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

/// The servo the daemon runs for NTP (its step policy included), and the
/// RFC 5905 discipline for `rfc5905`: what NTP scenarios run.
pub fn make_ntp_servo(kind: ServoKind, hardware: bool) -> Box<dyn Servo> {
    use tempora_clock::Duration;
    use tempora_system::servo::{ServoChoice, ServoSettings, build};
    let choice = match kind {
        ServoKind::Rfc5905 => return Box::new(NtpPllServo::new()),
        ServoKind::Pi => ServoChoice::Pi,
        ServoKind::Kalman => ServoChoice::Kalman,
    };
    // The daemon's defaults: step beyond 20 µs on the first sample, no
    // panic threshold; the clock's limit is set by the run.
    build(&ServoSettings {
        choice,
        hardware,
        initial_ppb: 0.0,
        step_threshold: Duration::from_micros(20),
        panic_threshold: Duration::ZERO,
        max_frequency_ppb: 500_000.0,
    })
}
