//! What the system process asks of its caller, and how a caller carries
//! it out on its servo.

use tempora_clock::servo::Handover;
use tempora_clock::{Correction, Duration, Sample, Servo};

/// What the process asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// The start-up decision: step and frequency (see [`carry_out`]).
    Start {
        /// Add this to the clock's time (`None`: slew what is left).
        step: Option<Duration>,
        /// The combined offset θ of the agreeing sources, now.
        offset: Duration,
        /// The frequency adjustment the sources' samples call for, ppb.
        frequency_ppb: Option<f64>,
        /// Its standard error, ppb.
        frequency_sigma_ppb: f64,
        /// How many sources agreed.
        agreeing: usize,
    },
    /// Settling: run the clock at this frequency adjustment (the servo is
    /// not involved).
    Slew {
        /// The adjustment, ppb.
        frequency_ppb: f64,
    },
    /// Settled: the servo takes over from this state (the frequency
    /// adjustment to run at is its `adjustment_ppb`).
    Handover(Handover),
    /// A sample for the servo.
    Servo {
        /// The sample.
        sample: Sample,
        /// The interval to the next one expected (tell the servo first:
        /// [`Servo::set_interval`]).
        interval: Duration,
    },
}

/// Carries out `action` on `servo` and returns the correction for the
/// clock (report it with [`SystemProcess::handle_correction`](super::SystemProcess::handle_correction)):
/// [`Action::Start`] tells the servo of the step and of the frequency,
/// [`Action::Slew`] passes the servo by, [`Action::Handover`] starts it
/// from the settled frequency, [`Action::Servo`] feeds it the sample (with
/// its interval first). `current_ppb` is the clock's frequency adjustment
/// now.
pub fn carry_out(action: &Action, servo: &mut dyn Servo, current_ppb: f64) -> Correction {
    match *action {
        Action::Start {
            step,
            frequency_ppb,
            frequency_sigma_ppb,
            ..
        } => {
            let ppb = frequency_ppb.unwrap_or(current_ppb);
            if let Some(f) = frequency_ppb {
                servo.frequency_set(f, frequency_sigma_ppb);
            }
            match step {
                Some(step) => {
                    servo.stepped(step);
                    Correction::Step {
                        step,
                        frequency_ppb: ppb,
                    }
                }
                None if frequency_ppb.is_some() => Correction::Frequency { frequency_ppb: ppb },
                None => Correction::None,
            }
        }
        Action::Slew { frequency_ppb } => Correction::Frequency { frequency_ppb },
        Action::Handover(h) => {
            servo.state_set(h);
            Correction::Frequency {
                frequency_ppb: h.adjustment_ppb,
            }
        }
        Action::Servo { sample, interval } => {
            servo.set_interval(interval);
            servo.sample(sample)
        }
    }
}
