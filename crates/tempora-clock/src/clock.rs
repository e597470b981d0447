//! The clock traits and the virtual clock.
//!
//! A [`Clock`] can be read, slewed in frequency within limits, stepped, and
//! told the leap second and TAI offset state. The [`VirtualClock`] is a
//! software clock over a base clock: it adds an offset and a frequency
//! adjustment to whatever the base reads, can start with a chosen offset and
//! a chosen oscillator frequency error, and knows its own error against the
//! base exactly. Tests and the simulator use it everywhere; the daemon uses
//! it over CLOCK_REALTIME when configured (the system clock and PHCs are
//! never touched then).

use core::fmt;

use crate::time::{Duration, Time};

/// Leap second state a clock is told about (RFC 5905 §7.3 LI, IEEE 1588
/// leap59/leap61).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LeapStatus {
    /// No leap second pending.
    #[default]
    None,
    /// The last minute of the day has 61 seconds.
    Insert,
    /// The last minute of the day has 59 seconds.
    Delete,
}

/// Why a clock refused an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClockError {
    /// The frequency adjustment is beyond the clock's range.
    FrequencyOutOfRange {
        /// What was asked, in ppb (rounded).
        requested_ppb: i64,
        /// The clock's limit, in ppb.
        max_ppb: i64,
    },
    /// The clock cannot be stepped (e.g. read-only).
    StepRefused,
    /// The underlying clock failed (an OS error code, where there is one).
    Os(i32),
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockError::FrequencyOutOfRange {
                requested_ppb,
                max_ppb,
            } => write!(
                f,
                "frequency adjustment {requested_ppb} ppb is beyond the clock's ±{max_ppb} ppb"
            ),
            ClockError::StepRefused => write!(f, "the clock refused to step"),
            ClockError::Os(code) => write!(f, "clock operation failed with OS error {code}"),
        }
    }
}

impl core::error::Error for ClockError {}

/// What a clock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockInfo {
    /// A short name: `"system"`, `"virtual"`, `"/dev/ptp0"`…
    pub name: &'static str,
    /// The largest frequency adjustment it accepts, in ppb.
    pub max_frequency_ppb: i64,
}

/// A clock that can be disciplined.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Time;
    /// Sets the frequency adjustment (relative to the clock's own rate), in
    /// parts per billion; positive runs faster.
    fn set_frequency(&mut self, ppb: f64) -> Result<(), ClockError>;
    /// The frequency adjustment in effect, in ppb.
    fn frequency(&self) -> f64;
    /// Adds `by` to the clock's time.
    fn step(&mut self, by: Duration) -> Result<(), ClockError>;
    /// Tells the clock about a pending leap second.
    fn set_leap(&mut self, leap: LeapStatus) -> Result<(), ClockError>;
    /// Tells the clock TAI − UTC in seconds.
    fn set_tai_offset(&mut self, seconds: i32) -> Result<(), ClockError>;
    /// Describes the clock.
    fn info(&self) -> ClockInfo;
}

/// A source of base time for a [`VirtualClock`]: CLOCK_REALTIME in the
/// daemon, an oscillator model in the simulator.
pub trait BaseClock {
    /// The base clock's current time.
    fn now(&self) -> Time;
}

/// The state of a virtual clock, separate from its base so that it can be
/// evaluated at any base time (sans-IO: the simulator passes base times in).
///
/// `virtual(b) = b + offset + (b − anchor) × (rate − 1)`, with
/// `rate = (1 + oscillator_error) × (1 + adjustment)`; every step or
/// frequency change re-anchors it at the current base time, so the mapping
/// is continuous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VirtualState {
    /// Base time of the last change.
    anchor: Time,
    /// Virtual minus base at `anchor`.
    offset: Duration,
    /// The simulated oscillator's own frequency error, in ppb.
    oscillator_error_ppb: f64,
    /// The servo's frequency adjustment, in ppb.
    adjustment_ppb: f64,
    /// The limit on the adjustment, in ppb.
    max_ppb: f64,
    leap: LeapStatus,
    /// When the armed leap second takes effect: the UTC midnight (in the
    /// virtual clock's time) after it was armed, until it has.
    leap_due: Option<Time>,
    tai_offset: i32,
}

impl VirtualState {
    /// A virtual clock that reads `initial_offset` ahead of its base at base
    /// time `anchor` and runs `oscillator_error_ppb` fast (a real
    /// oscillator's error, which the servo has to find and correct).
    pub fn new(anchor: Time, initial_offset: Duration, oscillator_error_ppb: f64) -> Self {
        VirtualState {
            anchor,
            offset: initial_offset,
            oscillator_error_ppb,
            adjustment_ppb: 0.0,
            max_ppb: 500_000.0,
            leap: LeapStatus::None,
            leap_due: None,
            tai_offset: 0,
        }
    }

    fn rate_error(&self) -> f64 {
        (1.0 + self.oscillator_error_ppb * 1e-9) * (1.0 + self.adjustment_ppb * 1e-9) - 1.0
    }

    /// The virtual time when the base reads `base`.
    pub fn time_at(&self, base: Time) -> Time {
        base + self.error_at(base)
    }

    /// Virtual minus base when the base reads `base`: the clock's error
    /// against its base, exactly.
    pub fn error_at(&self, base: Time) -> Duration {
        let unleaped = self.unleaped_error_at(base);
        unleaped + self.leap_shift(base + unleaped)
    }

    /// The error without an armed leap second that has taken effect.
    fn unleaped_error_at(&self, base: Time) -> Duration {
        let elapsed = (base - self.anchor).as_secs_f64();
        self.offset + Duration::from_secs_f64(elapsed * self.rate_error())
    }

    /// The armed leap second once the clock, reading `unleaped` without
    /// it, has reached it, as the Linux kernel applies `STA_INS`/`STA_DEL`
    /// at the end of the UTC day: an inserted second repeats the last one
    /// (the clock goes back one second at midnight), a deleted one skips
    /// 23:59:59.
    fn leap_shift(&self, unleaped: Time) -> Duration {
        let second = Duration::from_secs(1);
        match (self.leap, self.leap_due) {
            (LeapStatus::Insert, Some(at)) if unleaped >= at => -second,
            (LeapStatus::Delete, Some(at)) if unleaped >= at - second => second,
            _ => Duration::ZERO,
        }
    }

    fn reanchor(&mut self, base: Time) {
        let unleaped = self.unleaped_error_at(base);
        let shift = self.leap_shift(base + unleaped);
        // A leap second that has taken effect becomes part of the offset.
        if shift != Duration::ZERO {
            self.leap_due = None;
        }
        self.offset = unleaped + shift;
        self.anchor = base;
    }

    /// Arms (or disarms, with [`LeapStatus::None`]) a leap second at the
    /// end of the current UTC day at base time `base`, as `adjtimex`'s
    /// `STA_INS`/`STA_DEL` do for the system clock; a leap that has
    /// happened stays in the clock's time.
    pub fn set_leap_at(&mut self, base: Time, leap: LeapStatus) {
        self.reanchor(base);
        self.leap = leap;
        self.leap_due = match leap {
            LeapStatus::None => None,
            _ => {
                let day = 86_400i128;
                let (secs, _) = self.time_at(base).secs_nanos();
                let midnight = (secs.div_euclid(day) + 1) * day;
                Some(Time::from_secs_nanos(
                    i64::try_from(midnight).unwrap_or(i64::MAX),
                    0,
                ))
            }
        };
    }

    /// Sets the adjustment at base time `base`.
    pub fn set_frequency_at(&mut self, base: Time, ppb: f64) -> Result<(), ClockError> {
        if !ppb.is_finite() || ppb.abs() > self.max_ppb {
            return Err(ClockError::FrequencyOutOfRange {
                requested_ppb: if ppb.is_finite() {
                    ppb as i64
                } else {
                    i64::MAX
                },
                max_ppb: self.max_ppb as i64,
            });
        }
        self.reanchor(base);
        self.adjustment_ppb = ppb;
        Ok(())
    }

    /// Carries out a servo's correction at base time `base`; a frequency
    /// beyond the clock's range is clamped to it.
    pub fn apply_at(&mut self, base: Time, correction: crate::servo::Correction) {
        use crate::servo::Correction;
        let frequency = match correction {
            Correction::None => return,
            Correction::Frequency { frequency_ppb } => frequency_ppb,
            Correction::Step {
                step,
                frequency_ppb,
            } => {
                self.step_at(base, step);
                frequency_ppb
            }
        };
        let max = self.max_ppb;
        // Only NaN can still be refused; the clock keeps its frequency then.
        let _ = self.set_frequency_at(base, frequency.clamp(-max, max));
    }

    /// Steps the clock by `by` at base time `base`.
    pub fn step_at(&mut self, base: Time, by: Duration) {
        self.reanchor(base);
        self.offset += by;
    }

    /// The largest adjustment the clock accepts, in ppb (500 ppm, like the
    /// Linux system clock's `adjtimex` limit).
    pub fn max_frequency(&self) -> f64 {
        self.max_ppb
    }

    /// The adjustment in effect, in ppb.
    pub fn frequency(&self) -> f64 {
        self.adjustment_ppb
    }

    /// The leap second state last set.
    pub fn leap(&self) -> LeapStatus {
        self.leap
    }

    /// The TAI offset last set.
    pub fn tai_offset(&self) -> i32 {
        self.tai_offset
    }

    /// Sets the TAI offset (the clock only records it, as the kernel keeps
    /// `ADJ_TAI` for `CLOCK_TAI`).
    pub fn set_tai_offset(&mut self, seconds: i32) {
        self.tai_offset = seconds;
    }
}

/// A virtual clock over a base clock; see [`VirtualState`].
#[derive(Debug, Clone)]
pub struct VirtualClock<B> {
    base: B,
    state: VirtualState,
}

impl<B: BaseClock> VirtualClock<B> {
    /// A virtual clock over `base`, starting `initial_offset` ahead of it
    /// and running `oscillator_error_ppm` fast.
    pub fn new(base: B, initial_offset: Duration, oscillator_error_ppm: f64) -> Self {
        let anchor = base.now();
        VirtualClock {
            state: VirtualState::new(anchor, initial_offset, oscillator_error_ppm * 1000.0),
            base,
        }
    }

    /// The clock's error against its base right now: virtual minus base.
    pub fn error(&self) -> Duration {
        self.state.error_at(self.base.now())
    }

    /// The state, to evaluate at other base times.
    pub fn state(&self) -> &VirtualState {
        &self.state
    }

    /// The base clock.
    pub fn base(&self) -> &B {
        &self.base
    }
}

impl<B: BaseClock> Clock for VirtualClock<B> {
    fn now(&self) -> Time {
        self.state.time_at(self.base.now())
    }

    fn set_frequency(&mut self, ppb: f64) -> Result<(), ClockError> {
        let base = self.base.now();
        self.state.set_frequency_at(base, ppb)
    }

    fn frequency(&self) -> f64 {
        self.state.frequency()
    }

    fn step(&mut self, by: Duration) -> Result<(), ClockError> {
        let base = self.base.now();
        self.state.step_at(base, by);
        Ok(())
    }

    fn set_leap(&mut self, leap: LeapStatus) -> Result<(), ClockError> {
        let base = self.base.now();
        self.state.set_leap_at(base, leap);
        Ok(())
    }

    fn set_tai_offset(&mut self, seconds: i32) -> Result<(), ClockError> {
        self.state.tai_offset = seconds;
        Ok(())
    }

    fn info(&self) -> ClockInfo {
        ClockInfo {
            name: "virtual",
            max_frequency_ppb: self.state.max_ppb as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// 2016-12-31 23:59:50 UTC, ten seconds before the last leap second.
    const BEFORE_LEAP: i64 = 1_483_228_790;

    #[test]
    fn an_armed_leap_second_takes_effect_at_midnight_once() {
        let base = |s: i64| Time::from_secs_nanos(1_000_000_000 + s, 0);
        let start = Time::from_secs_nanos(BEFORE_LEAP, 0);
        let mut v = VirtualState::new(base(0), start - base(0), 0.0);
        v.set_leap_at(base(1), LeapStatus::Insert);
        assert_eq!(v.leap(), LeapStatus::Insert);
        // 23:59:59 reads 23:59:59; midnight reads 23:59:59 again.
        assert_eq!(v.time_at(base(9)), start + Duration::from_secs(9));
        assert_eq!(v.time_at(base(10)), start + Duration::from_secs(9));
        assert_eq!(v.time_at(base(11)), start + Duration::from_secs(10));
        // Disarmed after midnight, re-anchored, a frequency change: the
        // second stays inserted, once.
        v.set_leap_at(base(20), LeapStatus::None);
        v.set_frequency_at(base(21), 1000.0).unwrap();
        assert_eq!(v.time_at(base(21)), start + Duration::from_secs(20));
        // Armed again, it waits for the next midnight.
        v.set_leap_at(base(22), LeapStatus::Insert);
        let at = v.time_at(base(30));
        assert!((at - (start + Duration::from_secs(29))).abs() < Duration::from_micros(20));
    }

    #[test]
    fn a_deleted_second_skips_23_59_59_and_disarming_cancels() {
        let base = |s: i64| Time::from_secs_nanos(1_000_000_000 + s, 0);
        let start = Time::from_secs_nanos(BEFORE_LEAP, 0);
        let mut v = VirtualState::new(base(0), start - base(0), 0.0);
        v.set_leap_at(base(0), LeapStatus::Delete);
        assert_eq!(v.time_at(base(8)), start + Duration::from_secs(8));
        assert_eq!(v.time_at(base(9)), start + Duration::from_secs(10));
        let mut w = VirtualState::new(base(0), start - base(0), 0.0);
        w.set_leap_at(base(0), LeapStatus::Insert);
        w.set_leap_at(base(5), LeapStatus::None);
        assert_eq!(w.time_at(base(15)), start + Duration::from_secs(15));
    }

    struct Base<'a>(&'a Cell<Time>);
    impl BaseClock for Base<'_> {
        fn now(&self) -> Time {
            self.0.get()
        }
    }

    #[test]
    fn reports_its_error_exactly() {
        let t = Cell::new(Time::from_secs_nanos(1000, 0));
        let mut c = VirtualClock::new(Base(&t), Duration::from_millis(5), 20.0);
        assert_eq!(c.error(), Duration::from_millis(5));
        t.set(t.get() + Duration::from_secs(10));
        // 20 ppm for 10 s: 200 us more.
        assert_eq!(
            c.error(),
            Duration::from_millis(5) + Duration::from_micros(200)
        );
        assert_eq!(c.now(), t.get() + c.error());
        // Cancel the oscillator error: the error stops growing.
        c.set_frequency(-20_000.0 / 1.00002).unwrap();
        let before = c.error();
        t.set(t.get() + Duration::from_secs(100));
        assert!(
            (c.error() - before).abs() < Duration::from_nanos(1),
            "{}",
            c.error() - before
        );
        c.step(-before).unwrap();
        assert!(c.error().abs() < Duration::from_nanos(1));
        assert!(c.set_frequency(600_000.0).is_err());
        assert!(c.set_frequency(f64::NAN).is_err());
    }
}
