//! The NTPv5 `time32` type (draft-ietf-ntp-ntpv5, "Data Types"): unsigned
//! fixed point, 4 integer bits and 28 fraction bits of seconds, used for
//! root delay and root dispersion. Not NTPv4's 16.16 short format.

/// A `time32` value: one unit is 2^-28 s (about 3.7 ns), the maximum just
/// under 16 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Time32(u32);

/// Nanoseconds in 16 s, the first value `time32` cannot hold.
const LIMIT_NANOS: u64 = 16_000_000_000;

impl Time32 {
    /// Zero seconds.
    pub const ZERO: Time32 = Time32(0);
    /// The largest value, just under 16 s.
    pub const MAX: Time32 = Time32(u32::MAX);

    /// Builds a value from its 32-bit wire representation.
    pub const fn from_bits(bits: u32) -> Self {
        Time32(bits)
    }

    /// The 32-bit wire representation.
    pub const fn to_bits(self) -> u32 {
        self.0
    }

    /// The value in nanoseconds, rounded to nearest.
    pub const fn to_nanos(self) -> u64 {
        // At most 2^32 * 1e9 < 2^62: cannot overflow.
        (self.0 as u64 * 1_000_000_000 + (1 << 27)) >> 28
    }

    /// Converts nanoseconds, rounding to nearest and saturating at
    /// [`Time32::MAX`].
    pub const fn from_nanos(nanos: u64) -> Self {
        if nanos >= LIMIT_NANOS {
            return Time32::MAX;
        }
        // nanos < 2^34, so nanos << 28 < 2^62.
        let units = ((nanos << 28) + 500_000_000) / 1_000_000_000;
        if units > u32::MAX as u64 {
            Time32::MAX
        } else {
            Time32(units as u32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_second_is_bit_28() {
        assert_eq!(Time32::from_nanos(1_000_000_000).to_bits(), 1 << 28);
        assert_eq!(Time32::from_bits(0x1000_0000).to_nanos(), 1_000_000_000);
    }

    #[test]
    fn resolution_and_saturation() {
        assert_eq!(Time32::from_bits(1).to_nanos(), 4); // 3.725 ns
        assert_eq!(Time32::from_bits(10).to_nanos(), 37);
        assert_eq!(Time32::from_nanos(16_000_000_000), Time32::MAX);
        assert_eq!(Time32::from_nanos(u64::MAX), Time32::MAX);
        assert_eq!(Time32::from_nanos(15_999_999_999), Time32::MAX);
        assert_eq!(Time32::from_nanos(0), Time32::ZERO);
    }

    #[test]
    fn nanos_round_trip_within_one_unit() {
        for bits in [0u32, 1, 0x1234_5678, 0x8000_0000, u32::MAX - 1] {
            let back = Time32::from_nanos(Time32::from_bits(bits).to_nanos());
            assert!(back.to_bits().abs_diff(bits) <= 1, "{bits:#x}");
        }
    }
}
