//! Time types for the whole project: a signed duration and a point in time,
//! both with a resolution of 2^-16 ns (the resolution of PTP's `TimeInterval`
//! and `correctionField`, IEEE 1588-2019 §5.3.2), held in an `i128` so that
//! neither overflows over any span a clock can show.

use core::fmt;
use core::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

/// Units of the time types per nanosecond (2^16).
pub const UNITS_PER_NANO: i128 = 1 << 16;
const NANOS_PER_SEC: i128 = 1_000_000_000;

/// A signed span of time with 2^-16 ns resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i128);

impl Duration {
    /// Zero.
    pub const ZERO: Duration = Duration(0);
    /// The largest duration.
    pub const MAX: Duration = Duration(i128::MAX);

    /// A duration of `units` × 2^-16 ns.
    pub const fn from_scaled_nanos(units: i128) -> Self {
        Duration(units)
    }

    /// A duration of whole nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Duration(nanos as i128 * UNITS_PER_NANO)
    }

    /// A duration of whole microseconds.
    pub const fn from_micros(micros: i64) -> Self {
        Duration(micros as i128 * 1000 * UNITS_PER_NANO)
    }

    /// A duration of whole milliseconds.
    pub const fn from_millis(millis: i64) -> Self {
        Duration(millis as i128 * 1_000_000 * UNITS_PER_NANO)
    }

    /// A duration of whole seconds.
    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs as i128 * NANOS_PER_SEC * UNITS_PER_NANO)
    }

    /// A duration of (fractional) seconds, rounded to the nearest unit;
    /// saturates at the range of the type (NaN gives zero).
    pub fn from_secs_f64(secs: f64) -> Self {
        let units = secs * 1e9 * UNITS_PER_NANO as f64;
        // Round half away from zero (`f64::round` needs std); the cast
        // saturates, and NaN becomes 0.
        let rounded = if units >= 0.0 {
            units + 0.5
        } else {
            units - 0.5
        };
        Duration(rounded as i128)
    }

    /// 2^`log2` seconds, the form of PTP's message intervals
    /// (`logMessageInterval`, IEEE 1588-2019 §7.7.2.1).
    pub fn from_log2_secs(log2: i8) -> Self {
        let one = NANOS_PER_SEC * UNITS_PER_NANO;
        if log2 >= 0 {
            Duration(one << log2.min(62))
        } else {
            Duration(one >> (-i16::from(log2)).min(100))
        }
    }

    /// The duration in units of 2^-16 ns.
    pub const fn scaled_nanos(self) -> i128 {
        self.0
    }

    /// Whole nanoseconds, rounded toward negative infinity.
    pub const fn nanos(self) -> i128 {
        self.0 >> 16
    }

    /// Nanoseconds as a float.
    pub fn as_nanos_f64(self) -> f64 {
        self.0 as f64 / UNITS_PER_NANO as f64
    }

    /// Seconds as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / (NANOS_PER_SEC * UNITS_PER_NANO) as f64
    }

    /// The absolute value.
    pub const fn abs(self) -> Self {
        Duration(self.0.saturating_abs())
    }

    /// Whether the duration is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl SubAssign for Duration {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

impl Neg for Duration {
    type Output = Duration;
    fn neg(self) -> Duration {
        Duration(self.0.saturating_neg())
    }
}

impl Mul<i64> for Duration {
    type Output = Duration;
    fn mul(self, rhs: i64) -> Duration {
        Duration(self.0.saturating_mul(i128::from(rhs)))
    }
}

impl Div<i64> for Duration {
    type Output = Duration;
    /// Division rounding toward zero; dividing by zero gives zero.
    fn div(self, rhs: i64) -> Duration {
        Duration(self.0.checked_div(i128::from(rhs)).unwrap_or(0))
    }
}

/// Formats as seconds, milliseconds, microseconds or nanoseconds, whichever
/// reads best, e.g. `1.5ms`, `-250ns`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.as_nanos_f64();
        let a = ns.abs();
        if a >= 1e9 {
            write!(f, "{}s", ns / 1e9)
        } else if a >= 1e6 {
            write!(f, "{}ms", ns / 1e6)
        } else if a >= 1e3 {
            write!(f, "{}us", ns / 1e3)
        } else {
            write!(f, "{ns}ns")
        }
    }
}

/// A point in time on some clock's timescale, as 2^-16 ns since that
/// timescale's epoch (for PTP, 1970-01-01 TAI; IEEE 1588-2019 §7.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(i128);

impl Time {
    /// The epoch.
    pub const EPOCH: Time = Time(0);

    /// The time `units` × 2^-16 ns after the epoch.
    pub const fn from_scaled_nanos(units: i128) -> Self {
        Time(units)
    }

    /// The time `nanos` nanoseconds after the epoch.
    pub const fn from_nanos(nanos: i128) -> Self {
        Time(nanos.saturating_mul(UNITS_PER_NANO))
    }

    /// The time `secs` seconds and `nanos` nanoseconds after the epoch.
    pub const fn from_secs_nanos(secs: i64, nanos: u32) -> Self {
        Time((secs as i128 * NANOS_PER_SEC + nanos as i128) * UNITS_PER_NANO)
    }

    /// Units of 2^-16 ns since the epoch.
    pub const fn scaled_nanos(self) -> i128 {
        self.0
    }

    /// Whole nanoseconds since the epoch, rounded toward negative infinity.
    pub const fn nanos(self) -> i128 {
        self.0 >> 16
    }

    /// Whole seconds since the epoch and the nanoseconds within the second
    /// (always in 0..10^9), rounded toward negative infinity.
    pub const fn secs_nanos(self) -> (i128, u32) {
        let ns = self.nanos();
        (
            ns.div_euclid(NANOS_PER_SEC),
            ns.rem_euclid(NANOS_PER_SEC) as u32,
        )
    }

    /// The sub-nanosecond part, in 2^-16 ns.
    pub const fn subnano_units(self) -> u16 {
        (self.0 & 0xffff) as u16
    }
}

impl Sub for Time {
    type Output = Duration;
    fn sub(self, rhs: Time) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, rhs: Duration) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
    fn sub(self, rhs: Duration) -> Time {
        Time(self.0.saturating_sub(rhs.0))
    }
}

impl AddAssign<Duration> for Time {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

/// Formats as `seconds.nanoseconds` since the epoch.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, ns) = self.secs_nanos();
        write!(f, "{s}.{ns:09}")
    }
}

/// The timescale of a [`Timestamp`] (IEEE 1588-2019 §7.2: PTP's TAI-based
/// timescale or an arbitrary one; RFC 5905 §6: NTP's UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timescale {
    /// International Atomic Time, PTP's timescale; epoch 1970-01-01 TAI.
    Tai,
    /// Coordinated Universal Time (NTP, CLOCK_REALTIME); epoch 1970-01-01 UTC.
    Utc,
    /// An arbitrary timescale (PTP's ARB), not convertible to the others.
    Arbitrary,
}

/// A point in time that knows its timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// The time on `scale`.
    pub time: Time,
    /// Its timescale.
    pub scale: Timescale,
}

impl Timestamp {
    /// A TAI timestamp.
    pub const fn tai(time: Time) -> Self {
        Timestamp {
            time,
            scale: Timescale::Tai,
        }
    }

    /// A UTC timestamp.
    pub const fn utc(time: Time) -> Self {
        Timestamp {
            time,
            scale: Timescale::Utc,
        }
    }

    /// The same instant in TAI, given TAI − UTC in seconds (PTP's
    /// currentUtcOffset, §7.2.3); `None` for an arbitrary timescale.
    pub fn to_tai(self, utc_offset_s: i16) -> Option<Time> {
        match self.scale {
            Timescale::Tai => Some(self.time),
            Timescale::Utc => Some(self.time + Duration::from_secs(i64::from(utc_offset_s))),
            Timescale::Arbitrary => None,
        }
    }

    /// The same instant in UTC, given TAI − UTC in seconds; `None` for an
    /// arbitrary timescale.
    pub fn to_utc(self, utc_offset_s: i16) -> Option<Time> {
        match self.scale {
            Timescale::Utc => Some(self.time),
            Timescale::Tai => Some(self.time - Duration::from_secs(i64::from(utc_offset_s))),
            Timescale::Arbitrary => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_conversions() {
        assert_eq!(Duration::from_nanos(1).scaled_nanos(), 65536);
        assert_eq!(Duration::from_secs(2), Duration::from_millis(2000));
        assert_eq!(Duration::from_log2_secs(-1), Duration::from_millis(500));
        assert_eq!(Duration::from_log2_secs(4), Duration::from_secs(16));
        assert_eq!(Duration::from_log2_secs(-128), Duration::ZERO);
        assert_eq!((Duration::from_nanos(-3) / 2).nanos(), -2);
        assert_eq!(Duration::from_nanos(5) / 0, Duration::ZERO);
        let t = Time::from_secs_nanos(10, 5);
        assert_eq!(t.secs_nanos(), (10, 5));
        assert_eq!(
            (t + Duration::from_nanos(-10)).secs_nanos(),
            (9, 999_999_995)
        );
        assert_eq!(t - Time::from_secs_nanos(9, 5), Duration::from_secs(1));
        assert_eq!(Time::from_nanos(-1).secs_nanos(), (-1, 999_999_999));
    }

    #[test]
    fn timescales() {
        let utc = Timestamp::utc(Time::from_secs_nanos(1_700_000_000, 5));
        let tai = utc.to_tai(37).unwrap();
        assert_eq!(tai, Time::from_secs_nanos(1_700_000_037, 5));
        assert_eq!(Timestamp::tai(tai).to_utc(37), Some(utc.time));
        assert_eq!(Timestamp::tai(tai).to_tai(37), Some(tai));
        let arb = Timestamp {
            time: tai,
            scale: Timescale::Arbitrary,
        };
        assert_eq!((arb.to_tai(37), arb.to_utc(37)), (None, None));
    }

    #[test]
    fn display() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Duration::from_micros(1500).to_string(), "1.5ms");
        assert_eq!(Duration::from_nanos(-250).to_string(), "-250ns");
        assert_eq!(Time::from_secs_nanos(3, 40).to_string(), "3.000000040");
    }
}
