//! NTP timestamp format: unsigned 32.32 fixed-point seconds since the start
//! of the current NTP era (RFC 5905 §6, Figure 3 and Figure 4).
//!
//! Era 0 starts at 1900-01-01T00:00:00Z; era 1 starts at
//! 2036-02-07T06:28:16Z. A 64-bit timestamp does not carry its era, so
//! converting it to an absolute time needs a pivot: the era is chosen that
//! puts the result within ±2^31 s (about ±68 years) of the pivot
//! (RFC 5905 §6, RFC 4330 §3).

use core::fmt;

/// Seconds from the NTP prime epoch (1900-01-01) to the Unix epoch
/// (1970-01-01): 70 years including 17 leap days (RFC 5905 §6, Figure 4).
pub const UNIX_EPOCH_NTP_SECONDS: u32 = 2_208_988_800;

/// Unix time (seconds) at which NTP era 1 begins: 2036-02-07T06:28:16Z
/// (RFC 5905 §6, Figure 4).
pub const ERA1_UNIX_SECONDS: i64 = (1i64 << 32) - UNIX_EPOCH_NTP_SECONDS as i64;

const NANOS_PER_SEC: i128 = 1_000_000_000;
const ERA_SECONDS: i128 = 1 << 32;

/// A 64-bit NTP timestamp (RFC 5905 §6, Figure 3): 32 bits of seconds
/// since the start of an (unrecorded) era and 32 bits of binary fraction.
///
/// The all-zero value means "unknown" in the header (RFC 5905 §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NtpTimestamp {
    /// Seconds within the era.
    pub seconds: u32,
    /// Binary fraction of a second, in units of 2^-32 s.
    pub fraction: u32,
}

impl NtpTimestamp {
    /// The all-zero timestamp ("unknown", RFC 5905 §7.3).
    pub const ZERO: NtpTimestamp = NtpTimestamp {
        seconds: 0,
        fraction: 0,
    };

    /// Builds a timestamp from seconds and fraction.
    pub const fn new(seconds: u32, fraction: u32) -> Self {
        NtpTimestamp { seconds, fraction }
    }

    /// Builds a timestamp from its 64-bit wire representation.
    pub const fn from_bits(bits: u64) -> Self {
        NtpTimestamp {
            seconds: (bits >> 32) as u32,
            fraction: bits as u32,
        }
    }

    /// The 64-bit wire representation.
    pub const fn to_bits(self) -> u64 {
        ((self.seconds as u64) << 32) | self.fraction as u64
    }

    /// Whether this is the all-zero "unknown" timestamp.
    pub const fn is_zero(self) -> bool {
        self.seconds == 0 && self.fraction == 0
    }

    /// The fraction converted to nanoseconds (0..=999_999_999), rounded to
    /// nearest.
    pub const fn subsec_nanos(self) -> u32 {
        let n = (self.fraction as u64 * 1_000_000_000 + (1 << 31)) >> 32;
        if n >= 1_000_000_000 {
            999_999_999
        } else {
            n as u32
        }
    }

    /// Splits an absolute time, given as signed nanoseconds since the Unix
    /// epoch, into its NTP era number and the timestamp within that era
    /// (RFC 5905 §6, Figure 4: era = floor(s / 2^32), offset = s mod 2^32
    /// where s counts seconds since 1900). The fraction is rounded to the
    /// nearest 2^-32 s.
    pub fn era_of_unix_nanos(unix_nanos: i128) -> (i128, NtpTimestamp) {
        let secs = unix_nanos.div_euclid(NANOS_PER_SEC);
        let sub = unix_nanos.rem_euclid(NANOS_PER_SEC);
        // sub < 1e9 < 2^30, so sub << 32 < 2^62: no overflow.
        let units = ((sub << 32) + NANOS_PER_SEC / 2) / NANOS_PER_SEC;
        let carry = units >> 32;
        // |secs| <= i128::MAX / 1e9, far from overflowing on these adds.
        let ntp_secs = secs + i128::from(UNIX_EPOCH_NTP_SECONDS) + carry;
        let era = ntp_secs.div_euclid(ERA_SECONDS);
        let ts = NtpTimestamp {
            seconds: ntp_secs.rem_euclid(ERA_SECONDS) as u32,
            fraction: units as u32,
        };
        (era, ts)
    }

    /// Converts signed nanoseconds since the Unix epoch to a timestamp,
    /// dropping the era (RFC 5905 §6). Never fails: times outside era 0
    /// wrap around.
    pub fn from_unix_nanos(unix_nanos: i128) -> Self {
        Self::era_of_unix_nanos(unix_nanos).1
    }

    /// Converts to nanoseconds since the Unix epoch assuming the timestamp
    /// lies in NTP era `era` (RFC 5905 §6). Saturates at the `i128` bounds.
    pub fn to_unix_nanos_in_era(self, era: i128) -> i128 {
        let ntp_secs = era
            .saturating_mul(ERA_SECONDS)
            .saturating_add(i128::from(self.seconds));
        let unix_secs = ntp_secs.saturating_sub(i128::from(UNIX_EPOCH_NTP_SECONDS));
        unix_secs
            .saturating_mul(NANOS_PER_SEC)
            .saturating_add(i128::from(self.subsec_nanos()))
    }

    /// Converts to nanoseconds since the Unix epoch, choosing the era that
    /// puts the result within ±2^31 s (about 68 years) of `pivot_unix_nanos`
    /// (RFC 5905 §6, RFC 4330 §3). Use the current time, or a capture
    /// time, as the pivot. Saturates at the `i128` bounds.
    pub fn to_unix_nanos(self, pivot_unix_nanos: i128) -> i128 {
        let (pivot_era, pivot_ts) = Self::era_of_unix_nanos(pivot_unix_nanos);
        // Two's-complement difference modulo 2^64 (RFC 5905 §6).
        let diff = self.to_bits().wrapping_sub(pivot_ts.to_bits()) as i64;
        let era = if diff >= 0 && self < pivot_ts {
            pivot_era.saturating_add(1)
        } else if diff < 0 && self > pivot_ts {
            pivot_era.saturating_sub(1)
        } else {
            pivot_era
        };
        self.to_unix_nanos_in_era(era)
    }

    /// Signed difference `self - earlier` in units of 2^-32 s, computed
    /// modulo 2^64 (RFC 5905 §6); valid while the two are less than 68
    /// years apart, across era boundaries too.
    pub const fn wrapping_sub(self, earlier: NtpTimestamp) -> i64 {
        self.to_bits().wrapping_sub(earlier.to_bits()) as i64
    }

    /// Signed difference `self - earlier` in nanoseconds, rounded to
    /// nearest (see [`NtpTimestamp::wrapping_sub`]).
    pub fn nanos_since(self, earlier: NtpTimestamp) -> i64 {
        let units = i128::from(self.wrapping_sub(earlier));
        // |units * 1e9| < 2^63 * 2^30: fits i128; result < 2^62: fits i64.
        ((units * NANOS_PER_SEC + (1 << 31)) >> 32) as i64
    }

    /// A value implementing [`Display`](fmt::Display) that shows the Unix
    /// time in seconds with nine decimals, the era being chosen relative to
    /// `pivot_unix_nanos` as in [`NtpTimestamp::to_unix_nanos`].
    pub fn unix_display(self, pivot_unix_nanos: i128) -> UnixNanosDisplay {
        UnixNanosDisplay(self.to_unix_nanos(pivot_unix_nanos))
    }
}

impl fmt::Display for NtpTimestamp {
    /// Shows the raw era-relative value as `seconds.fraction` in hex, as
    /// NTP tools do (e.g. `eeac2059.076a386d`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}.{:08x}", self.seconds, self.fraction)
    }
}

/// Displays signed nanoseconds since the Unix epoch as seconds with nine
/// decimals, e.g. `1795269081.029000000` or `-0.500000000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnixNanosDisplay(pub i128);

impl fmt::Display for UnixNanosDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let sign = if n < 0 { "-" } else { "" };
        let abs = n.unsigned_abs();
        let ns = NANOS_PER_SEC as u128;
        write!(f, "{sign}{}.{:09}", abs / ns, abs % ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    const NS: i128 = 1_000_000_000;
    /// 2036-02-07T06:28:16Z in Unix seconds.
    const ROLLOVER: i128 = 2_085_978_496;

    #[test]
    fn constants() {
        assert_eq!(ERA1_UNIX_SECONDS, 2_085_978_496);
        assert_eq!(i128::from(ERA1_UNIX_SECONDS), ROLLOVER);
    }

    #[test]
    fn bits() {
        let t = NtpTimestamp::from_bits(0xeeac_2059_076a_386d);
        assert_eq!(t.seconds, 0xeeac_2059);
        assert_eq!(t.fraction, 0x076a_386d);
        assert_eq!(t.to_bits(), 0xeeac_2059_076a_386d);
        assert_eq!(t.to_string(), "eeac2059.076a386d");
        assert!(NtpTimestamp::ZERO.is_zero());
        assert!(!t.is_zero());
    }

    #[test]
    fn epochs() {
        // 1900-01-01: start of era 0.
        let (era, ts) = NtpTimestamp::era_of_unix_nanos(-2_208_988_800 * NS);
        assert_eq!((era, ts), (0, NtpTimestamp::ZERO));
        // 1970-01-01.
        let (era, ts) = NtpTimestamp::era_of_unix_nanos(0);
        assert_eq!((era, ts), (0, NtpTimestamp::new(2_208_988_800, 0)));
        // Half a second before 1900 lies in era -1.
        let (era, ts) = NtpTimestamp::era_of_unix_nanos(-2_208_988_800 * NS - NS / 2);
        assert_eq!((era, ts), (-1, NtpTimestamp::new(u32::MAX, 1 << 31)));
        assert_eq!(
            ts.to_unix_nanos(-2_208_988_800 * NS),
            -2_208_988_800 * NS - NS / 2,
            "pivot 1900 puts 1899 in era -1"
        );
        // Seen from 1970, the same timestamp is more than 68 years in the
        // past, so it is read as late 2036 (era 0).
        assert_eq!(ts.to_unix_nanos(0), (ROLLOVER - 1) * NS + NS / 2);
    }

    #[test]
    fn rollover_2036() {
        let (era, ts) = NtpTimestamp::era_of_unix_nanos(ROLLOVER * NS);
        assert_eq!((era, ts), (1, NtpTimestamp::ZERO));
        let (era, ts) = NtpTimestamp::era_of_unix_nanos(ROLLOVER * NS - NS);
        assert_eq!((era, ts), (0, NtpTimestamp::new(u32::MAX, 0)));
        // 1 ns before the rollover rounds into the last fraction unit.
        let (era, ts) = NtpTimestamp::era_of_unix_nanos(ROLLOVER * NS - 1);
        assert_eq!((era, ts), (0, NtpTimestamp::new(u32::MAX, 0xffff_fffc)));

        // Pivot just before the rollover: small seconds are era 1.
        let pivot = ROLLOVER * NS - 10 * NS;
        assert_eq!(
            NtpTimestamp::new(5, 0).to_unix_nanos(pivot),
            (ROLLOVER + 5) * NS
        );
        assert_eq!(
            NtpTimestamp::new(u32::MAX, 0).to_unix_nanos(pivot),
            (ROLLOVER - 1) * NS
        );
        // Pivot just after: huge seconds are still era 0.
        let pivot = ROLLOVER * NS + 10 * NS;
        assert_eq!(
            NtpTimestamp::new(u32::MAX - 4, 0).to_unix_nanos(pivot),
            (ROLLOVER - 5) * NS
        );
        assert_eq!(NtpTimestamp::ZERO.to_unix_nanos(pivot), ROLLOVER * NS);
        // Pivot in 1950: zero means 1900.
        let pivot_1950 = -631_152_000 * NS;
        assert_eq!(
            NtpTimestamp::ZERO.to_unix_nanos(pivot_1950),
            -2_208_988_800 * NS
        );
        // Explicit era.
        assert_eq!(NtpTimestamp::ZERO.to_unix_nanos_in_era(1), ROLLOVER * NS);
        assert_eq!(
            NtpTimestamp::ZERO.to_unix_nanos_in_era(0),
            -2_208_988_800 * NS
        );
    }

    #[test]
    fn pivot_window() {
        // A timestamp is placed within ±2^31 s of the pivot.
        let pivot = 1_795_269_081 * NS; // 2026-11-21
        for delta in [-(1i128 << 31) + 1, -1_000_000, 0, 1, (1i128 << 31) - 1] {
            let t = pivot + delta * NS;
            assert_eq!(NtpTimestamp::from_unix_nanos(t).to_unix_nanos(pivot), t);
        }
        // Just beyond the window the other era is chosen.
        let t = pivot + ((1i128 << 31) + 1) * NS;
        assert_eq!(
            NtpTimestamp::from_unix_nanos(t).to_unix_nanos(pivot),
            t - (1i128 << 32) * NS
        );
    }

    #[test]
    fn nanosecond_round_trip() {
        let pivot = ROLLOVER * NS;
        let mut x: i128 = 0x1234_5678_9abc;
        for _ in 0..2000 {
            // Simple LCG over ±40 years around the rollover.
            x = (x * 6_364_136_223_846_793_005 + 1_442_695_040_888_963_407) % (1i128 << 61);
            let t = pivot + (x % (40 * 366 * 86_400 * NS));
            assert_eq!(NtpTimestamp::from_unix_nanos(t).to_unix_nanos(pivot), t);
        }
        // Extremes do not panic.
        let _ = NtpTimestamp::era_of_unix_nanos(i128::MAX);
        let _ = NtpTimestamp::era_of_unix_nanos(i128::MIN);
        let _ = NtpTimestamp::new(u32::MAX, u32::MAX).to_unix_nanos(i128::MAX);
        let _ = NtpTimestamp::ZERO.to_unix_nanos(i128::MIN);
        let _ = NtpTimestamp::ZERO.to_unix_nanos_in_era(i128::MIN);
    }

    #[test]
    fn differences() {
        let a = NtpTimestamp::new(u32::MAX, 0);
        let b = NtpTimestamp::new(1, 0x8000_0000);
        assert_eq!(b.wrapping_sub(a), 5 << 31);
        assert_eq!(b.nanos_since(a), 2_500_000_000);
        assert_eq!(a.nanos_since(b), -2_500_000_000);
        assert_eq!(
            NtpTimestamp::new(0, 0xffff_ffff).subsec_nanos(),
            999_999_999
        );
    }

    #[test]
    fn display_unix() {
        let t = NtpTimestamp::new(2_208_988_800 + 1, 1 << 31);
        assert_eq!(t.unix_display(0).to_string(), "1.500000000");
        let t = NtpTimestamp::new(2_208_988_800 - 1, 1 << 31);
        assert_eq!(t.unix_display(0).to_string(), "-0.500000000");
        assert_eq!(UnixNanosDisplay(-1).to_string(), "-0.000000001");
    }
}
