//! NTP short format: unsigned 16.16 fixed-point seconds (RFC 5905 §6,
//! Figure 3), used for root delay and root dispersion.

use core::fmt;

/// An NTP short-format value: 16 bits of seconds and 16 bits of fraction
/// (RFC 5905 §6, Figure 3). One unit is 2^-16 s (about 15.26 µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NtpShort(u32);

impl NtpShort {
    /// Zero seconds.
    pub const ZERO: NtpShort = NtpShort(0);
    /// The largest value, just under 65536 s.
    pub const MAX: NtpShort = NtpShort(u32::MAX);

    /// Builds a value from its 32-bit wire representation.
    pub const fn from_bits(bits: u32) -> Self {
        NtpShort(bits)
    }

    /// The 32-bit wire representation.
    pub const fn to_bits(self) -> u32 {
        self.0
    }

    /// Builds a value from whole seconds and a 16-bit binary fraction.
    pub const fn new(seconds: u16, fraction: u16) -> Self {
        NtpShort(((seconds as u32) << 16) | fraction as u32)
    }

    /// Whole seconds.
    pub const fn seconds(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// Binary fraction of a second, in units of 2^-16 s.
    pub const fn fraction(self) -> u16 {
        self.0 as u16
    }

    /// The value in nanoseconds, rounded to nearest.
    pub const fn to_nanos(self) -> u64 {
        // At most 2^32 * 1e9 < 2^62: cannot overflow.
        (self.0 as u64 * 1_000_000_000 + (1 << 15)) >> 16
    }

    /// Converts nanoseconds, rounding to nearest and saturating at
    /// [`NtpShort::MAX`].
    pub const fn from_nanos(nanos: u64) -> Self {
        // nanos * 2^16 would overflow u64 above ~2.8e14 ns; the maximum
        // representable value is ~6.6e13 ns, so saturate early.
        if nanos >= 65_536_000_000_000 {
            return NtpShort::MAX;
        }
        let units = ((nanos << 16) + 500_000_000) / 1_000_000_000;
        if units > u32::MAX as u64 {
            NtpShort::MAX
        } else {
            NtpShort(units as u32)
        }
    }

    /// The value in seconds.
    pub fn to_seconds_f64(self) -> f64 {
        f64::from(self.0) / 65_536.0
    }

    /// Converts seconds, rounding to nearest; negative and NaN inputs give
    /// zero and large inputs saturate at [`NtpShort::MAX`].
    pub fn from_seconds_f64(seconds: f64) -> Self {
        let units = seconds * 65_536.0 + 0.5;
        // `as` saturates and maps NaN to 0.
        NtpShort(units as u32)
    }
}

impl fmt::Display for NtpShort {
    /// Formats as seconds with six decimals (microsecond resolution).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = (self.to_nanos() + 500) / 1000;
        write!(f, "{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let one_and_half = NtpShort::new(1, 0x8000);
        assert_eq!(one_and_half.to_bits(), 0x0001_8000);
        assert_eq!(one_and_half.to_nanos(), 1_500_000_000);
        assert_eq!(NtpShort::from_nanos(1_500_000_000), one_and_half);
        assert_eq!(one_and_half.to_seconds_f64(), 1.5);
        assert_eq!(NtpShort::from_seconds_f64(1.5), one_and_half);
        assert_eq!(NtpShort::from_seconds_f64(-3.0), NtpShort::ZERO);
        assert_eq!(NtpShort::from_seconds_f64(f64::NAN), NtpShort::ZERO);
        assert_eq!(NtpShort::from_seconds_f64(1e9), NtpShort::MAX);
        assert_eq!(NtpShort::from_nanos(u64::MAX), NtpShort::MAX);
        assert_eq!(NtpShort::from_bits(1).to_nanos(), 15_259);
        assert_eq!(NtpShort::MAX.seconds(), 0xffff);
        assert_eq!(NtpShort::MAX.fraction(), 0xffff);
        // Every 16.16 value survives a trip through nanoseconds.
        for bits in [0u32, 1, 0xe6, 0x1234_5678, u32::MAX - 1, u32::MAX] {
            let v = NtpShort::from_bits(bits);
            assert_eq!(NtpShort::from_nanos(v.to_nanos()), v);
        }
    }

    #[test]
    fn display() {
        extern crate std;
        use std::string::ToString;
        // 0xe6 / 65536 s = 3509.5 µs
        assert_eq!(NtpShort::from_bits(0xe6).to_string(), "0.003510");
        assert_eq!(NtpShort::new(2, 0).to_string(), "2.000000");
    }
}
