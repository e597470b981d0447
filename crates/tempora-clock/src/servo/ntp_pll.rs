//! The RFC 5905 clock discipline (§11.3, Appendix A.5.5.6): the hybrid
//! phase/frequency-lock loop of the NTP reference implementation, as the
//! baseline NTP discipline is measured against.
//!
//! - First sample: step if beyond the step threshold (STEPT, 125 ms),
//!   then measure the frequency directly over WATCH (900 s) of ignored
//!   samples (the FREQ state);
//! - then SYNC: each update adds the PLL term offset × min(μ, τ) / (4 ×
//!   PLL × τ)² to the frequency (τ the poll interval, μ the time since the
//!   last update), and above the Allan intercept the FLL term
//!   (offset − last offset) / (max(μ, ALLAN) × max(FLL − poll, AVG));
//! - offsets beyond STEPT are spikes, ignored until they persist for
//!   WATCH, then the clock is stepped.
//!
//! The reference implementation removes the phase error gradually: every
//! second it slews by the remaining offset / (PLL × min(τ, ALLAN)). The
//! [`Correction`] model has no phase slew, so this servo adds to the
//! frequency, until the next update, the rate that removes the same part of
//! the offset over one poll interval (offset × (1 − (1 − 1/(PLL·τ))^τ) / τ).

use super::{Correction, Sample, Servo, ServoState, clamp_sym};
use crate::time::{Duration, Time};

/// Step threshold (s).
const STEPT: f64 = 0.125;
/// Stepout / frequency measurement interval (s).
const WATCH: f64 = 900.0;
/// PLL loop gain.
const PLL: f64 = 16.0;
/// FLL loop gain: MAXPOLL + 1.
const FLL: f64 = 18.0;
/// Averaging constant.
const AVG: f64 = 4.0;
/// Compromise Allan intercept (s).
const ALLAN: f64 = 1500.0;
/// Largest frequency adjustment (s/s).
const MAXFREQ: f64 = 500e-6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No sample yet.
    Nset,
    /// Measuring the frequency since `t0`.
    Freq,
    /// Tracking.
    Sync,
    /// A spike since the given time.
    Spike,
}

/// The RFC 5905 PLL/FLL discipline.
#[derive(Debug, Clone)]
pub struct NtpPllServo {
    state: State,
    /// Frequency correction (s/s).
    freq: f64,
    /// The phase part of the current correction (s/s).
    phase_rate: f64,
    /// Offset at the last update (s).
    last_offset: f64,
    /// Time of the last update (or of the FREQ start).
    last: Option<Time>,
    /// Offset when FREQ started.
    base: f64,
    spike_since: Option<Time>,
    poll_s: f64,
    max_freq: f64,
}

impl Default for NtpPllServo {
    fn default() -> Self {
        NtpPllServo {
            state: State::Nset,
            freq: 0.0,
            phase_rate: 0.0,
            last_offset: 0.0,
            last: None,
            base: 0.0,
            spike_since: None,
            poll_s: 64.0,
            max_freq: MAXFREQ,
        }
    }
}

impl NtpPllServo {
    /// A servo starting with no frequency estimate.
    pub fn new() -> Self {
        Self::default()
    }

    fn correction(&self) -> Correction {
        Correction::Frequency {
            frequency_ppb: clamp_sym((self.freq + self.phase_rate) * 1e9, self.max_freq * 1e9),
        }
    }

    /// The rate that removes the RFC's share of `offset` over one poll.
    fn phase_rate_for(&self, offset: f64) -> f64 {
        let tau = self.poll_s.clamp(1.0, ALLAN);
        let per_second = 1.0 / (PLL * tau);
        let removed = 1.0 - libm::pow(1.0 - per_second, tau);
        // Our offset is local − reference: correct against it.
        -offset * removed / tau
    }
}

impl Servo for NtpPllServo {
    fn sample(&mut self, sample: Sample) -> Correction {
        let offset = sample.offset.as_secs_f64();
        let now = sample.local_time;
        let mu = self.last.map_or(0.0, |l| (now - l).as_secs_f64().max(0.0));
        match self.state {
            State::Nset => {
                self.state = State::Freq;
                self.last = Some(now);
                if libm::fabs(offset) > STEPT {
                    // The clock reads `now − offset` once stepped.
                    self.last = Some(now - sample.offset);
                    self.base = 0.0;
                    return Correction::Step {
                        step: -sample.offset,
                        frequency_ppb: self.freq * 1e9,
                    };
                }
                self.base = offset;
                return self.correction();
            }
            State::Freq => {
                if mu < WATCH {
                    return self.correction();
                }
                // Direct frequency measurement over the watch interval.
                self.freq -= (offset - self.base) / mu;
                self.freq = self.freq.clamp(-self.max_freq, self.max_freq);
                self.state = State::Sync;
                self.last = Some(now);
                self.last_offset = offset;
                if libm::fabs(offset) > STEPT {
                    self.phase_rate = 0.0;
                    self.last = Some(now - sample.offset);
                    return Correction::Step {
                        step: -sample.offset,
                        frequency_ppb: self.freq * 1e9,
                    };
                }
                self.phase_rate = self.phase_rate_for(offset);
                return self.correction();
            }
            State::Sync | State::Spike => {}
        }
        if libm::fabs(offset) > STEPT {
            let since = *self.spike_since.get_or_insert(now);
            self.state = State::Spike;
            if (now - since).as_secs_f64() < WATCH {
                return self.correction();
            }
            self.spike_since = None;
            self.state = State::Sync;
            self.last = Some(now - sample.offset);
            self.last_offset = 0.0;
            self.phase_rate = 0.0;
            return Correction::Step {
                step: -sample.offset,
                frequency_ppb: self.freq * 1e9,
            };
        }
        self.spike_since = None;
        self.state = State::Sync;
        // The RFC's offset is reference − local.
        let theta = -offset;
        let mut dfreq = 0.0;
        if self.poll_s > ALLAN / 2.0 {
            let etemp = (FLL - libm::log2(self.poll_s)).max(AVG);
            dfreq += (theta - -self.last_offset) / (mu.max(ALLAN) * etemp);
        }
        let etemp = mu.min(self.poll_s);
        let dtemp = 4.0 * PLL * self.poll_s;
        dfreq += theta * etemp / (dtemp * dtemp);
        self.freq = (self.freq + dfreq).clamp(-self.max_freq, self.max_freq);
        self.last = Some(now);
        self.last_offset = offset;
        self.phase_rate = self.phase_rate_for(offset);
        self.correction()
    }

    fn state(&self) -> ServoState {
        match self.state {
            State::Sync => ServoState::Locked,
            _ => ServoState::Unlocked,
        }
    }

    fn frequency_ppb(&self) -> f64 {
        (self.freq + self.phase_rate) * 1e9
    }

    fn set_interval(&mut self, interval: Duration) {
        self.poll_s = interval.as_secs_f64().max(1.0);
    }

    fn reset(&mut self) {
        *self = NtpPllServo {
            freq: self.freq,
            poll_s: self.poll_s,
            max_freq: self.max_freq,
            ..NtpPllServo::default()
        };
    }

    fn name(&self) -> &'static str {
        "rfc5905"
    }

    fn set_max_frequency(&mut self, max_ppb: f64) {
        self.max_freq = (max_ppb * 1e-9).clamp(0.0, MAXFREQ);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock 10 ppm fast and 50 ms off, polled every 16 s without noise:
    /// the discipline steps, measures the frequency, and converges.
    #[test]
    fn converges_on_a_clean_clock() {
        let mut s = NtpPllServo::new();
        s.set_interval(Duration::from_secs(16));
        let mut offset = 0.05f64;
        let mut applied = 0.0f64; // s/s
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let drift = 10e-6;
        for k in 0..4000u32 {
            let now = t0 + Duration::from_secs(i64::from(k) * 16);
            let c = s.sample(Sample {
                local_time: now,
                offset: Duration::from_secs_f64(offset),
                delay: None,
            });
            match c {
                Correction::Step {
                    step,
                    frequency_ppb,
                } => {
                    offset += step.as_secs_f64();
                    applied = frequency_ppb * 1e-9;
                }
                Correction::Frequency { frequency_ppb } => applied = frequency_ppb * 1e-9,
                Correction::None => {}
            }
            offset += (drift + applied) * 16.0;
        }
        assert_eq!(s.state(), ServoState::Locked);
        assert!(libm::fabs(offset) < 1e-6, "offset {offset}");
        assert!((s.freq + drift).abs() < 1e-8, "freq {}", s.freq);
    }
}
