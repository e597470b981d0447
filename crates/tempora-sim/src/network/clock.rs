//! A node's clock: true time (a perfect clock), or a virtual clock over a
//! modelled oscillator, free-running or disciplined by a servo; its
//! timestamps carry the modelled noise.

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use tempora_clock::{Correction, Duration, Sample, Servo, Time, VirtualState};

use super::START;
use crate::model::oscillator::Oscillator;
use crate::scenario::ClockModel;

/// How a node's clock behaves.
pub struct ClockSpec {
    /// The oscillator; `None` for a perfect clock.
    pub model: Option<ClockModel>,
    /// The servo that disciplines it; `None` leaves it free-running.
    pub servo: Option<Box<dyn Servo>>,
    /// Timestamping noise, ns (standard deviation).
    pub timestamp_noise_ns: f64,
}

impl ClockSpec {
    /// A perfect clock with exact timestamps: it reads true time (a
    /// grandmaster locked to GNSS).
    pub fn perfect() -> Self {
        ClockSpec {
            model: None,
            servo: None,
            timestamp_noise_ns: 0.0,
        }
    }

    /// A free-running clock with exact timestamps and no servo: `offset`
    /// ahead of true time at the start, running `rate_ppm` parts per
    /// million fast (negative: slow), with no wander or phase noise.
    pub fn free_running(offset: Duration, rate_ppm: f64) -> Self {
        ClockSpec {
            model: Some(ClockModel {
                frequency_offset_ppm: rate_ppm,
                initial_offset_us: offset.as_secs_f64() * 1e6,
                ..ClockModel::default()
            }),
            servo: None,
            timestamp_noise_ns: 0.0,
        }
    }
}

/// The clock of a node during a run.
pub(super) struct NodeClock {
    oscillator: Option<Oscillator>,
    virtual_state: VirtualState,
    servo: Option<Box<dyn Servo>>,
    stamp_noise: Option<Normal<f64>>,
    rng: ChaCha8Rng,
}

impl NodeClock {
    /// The clock `spec` describes; `rng` is its own random stream.
    pub fn new(spec: ClockSpec, rng: ChaCha8Rng) -> Self {
        let initial = spec
            .model
            .as_ref()
            .map(|m| Duration::from_secs_f64(m.initial_offset_us * 1e-6))
            .unwrap_or(Duration::ZERO);
        let stamp_noise = Normal::new(0.0, spec.timestamp_noise_ns)
            .ok()
            .filter(|_| spec.timestamp_noise_ns > 0.0);
        let virtual_state = VirtualState::new(START, initial, 0.0);
        let mut servo = spec.servo;
        if let Some(s) = servo.as_mut() {
            // The servo must know what the clock accepts, so that what it
            // asks for is what the clock does.
            s.set_max_frequency(virtual_state.max_frequency());
        }
        NodeClock {
            oscillator: spec.model.map(|m| Oscillator::new(m, START)),
            virtual_state,
            servo,
            stamp_noise,
            rng,
        }
    }

    /// The base reading at true time `now`: the oscillator, or true time.
    fn base(&mut self, now: Time) -> Time {
        match self.oscillator.as_mut() {
            Some(o) => o.advance(now, &mut self.rng),
            None => now,
        }
    }

    /// The clock's reading at true time `now`.
    pub fn local(&mut self, now: Time) -> Time {
        let base = self.base(now);
        self.virtual_state.time_at(base)
    }

    /// A timestamp taken at true time `now`: the reading plus noise.
    pub fn timestamp(&mut self, now: Time) -> Time {
        let mut t = self.local(now);
        if let Some(n) = self.stamp_noise {
            t += Duration::from_secs_f64(n.sample(&mut self.rng) * 1e-9);
        }
        if let Some(o) = self.oscillator.as_ref() {
            t += o.phase_noise(&mut self.rng);
        }
        t
    }

    /// The frequency adjustment the servo applies, in ppb.
    pub fn servo_frequency(&self) -> Option<f64> {
        self.servo.as_ref().map(|s| s.frequency_ppb())
    }

    /// Hands `sample` to the servo at true time `now` and applies its
    /// correction; `None` without a servo, else whether it stepped.
    pub fn discipline(&mut self, now: Time, sample: Sample) -> Option<bool> {
        let base = self.base(now);
        let servo = self.servo.as_mut()?;
        let correction = servo.sample(sample);
        let stepped = matches!(correction, Correction::Step { .. });
        self.virtual_state.apply_at(base, correction);
        Some(stepped)
    }
}
