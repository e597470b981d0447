//! Conversions between the NTP wire's time types and Tempora's time types
//! (`tempora_clock`, UTC timescale): 64-bit timestamps (RFC 5905 §6, with
//! era handling) and the 32-bit short format.

use tempora_clock::{Duration, Time};

use crate::wire::{NtpShort, NtpTimestamp, UNIX_EPOCH_NTP_SECONDS};

const NANOS: i128 = 1_000_000_000;
/// Units of `Time` (2^-16 ns) per second.
const UNITS_PER_SEC: i128 = NANOS << 16;

/// The UTC time of an NTP timestamp, in the era that puts it within 68
/// years of `pivot` (RFC 5905 §6), with its full 2^-32 s resolution.
pub fn time_from_ntp(ts: NtpTimestamp, pivot: Time) -> Time {
    let unix_nanos = ts.to_unix_nanos(pivot.nanos());
    let unix_secs = unix_nanos.div_euclid(NANOS);
    // fraction / 2^32 s = fraction × 10^9 × 2^16 / 2^32 units.
    let sub = (i128::from(ts.fraction) * UNITS_PER_SEC + (1 << 31)) >> 32;
    Time::from_scaled_nanos(unix_secs.saturating_mul(UNITS_PER_SEC).saturating_add(sub))
}

/// The NTP timestamp of a UTC time (its era dropped, RFC 5905 §6), rounded
/// to the nearest 2^-32 s.
pub fn ntp_from_time(t: Time) -> NtpTimestamp {
    let units = t.scaled_nanos();
    let mut secs = units.div_euclid(UNITS_PER_SEC);
    let mut fraction =
        ((units.rem_euclid(UNITS_PER_SEC) << 32) + UNITS_PER_SEC / 2) / UNITS_PER_SEC;
    if fraction >> 32 != 0 {
        secs += 1;
        fraction = 0;
    }
    let ntp_secs = (secs + i128::from(UNIX_EPOCH_NTP_SECONDS)).rem_euclid(1 << 32);
    NtpTimestamp {
        seconds: ntp_secs as u32,
        fraction: fraction as u32,
    }
}

/// The duration an NTP short value holds (16.16 seconds, RFC 5905 §6).
pub fn duration_from_short(s: NtpShort) -> Duration {
    Duration::from_scaled_nanos((i128::from(s.to_bits()) * UNITS_PER_SEC) >> 16)
}

/// The NTP short value for a duration, rounded, saturating at its range
/// (0 to 65536 s; negative durations give 0).
pub fn short_from_duration(d: Duration) -> NtpShort {
    let bits = ((d.scaled_nanos() << 16) + UNITS_PER_SEC / 2) / UNITS_PER_SEC;
    NtpShort::from_bits(bits.clamp(0, i128::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_across_2036() {
        let pivot = Time::from_secs_nanos(2_085_978_496, 0); // 2036-02-07T06:28:16Z
        for t in [
            Time::from_secs_nanos(1_795_268_959, 276_381_047),
            Time::from_secs_nanos(2_085_978_495, 999_999_999),
            Time::from_secs_nanos(2_085_978_496, 0),
            Time::from_secs_nanos(2_085_978_500, 500_000_000),
        ] {
            let ts = ntp_from_time(t);
            let back = time_from_ntp(ts, pivot);
            assert!((back - t).abs() < Duration::from_nanos(1), "{t} -> {back}");
        }
        // The era rolls over: seconds wrap to small values after 2036.
        assert_eq!(
            ntp_from_time(Time::from_secs_nanos(2_085_978_500, 0)).seconds,
            4
        );
        // 2^-32 s resolution survives: 0.5 s is fraction 2^31.
        assert_eq!(
            ntp_from_time(Time::from_secs_nanos(0, 500_000_000)).fraction,
            1 << 31
        );
    }

    #[test]
    fn short_format() {
        let d = Duration::from_micros(1500);
        let s = short_from_duration(d);
        assert!((duration_from_short(s) - d).abs() < Duration::from_micros(16));
        assert_eq!(short_from_duration(-d).to_bits(), 0);
        assert_eq!(
            duration_from_short(NtpShort::from_bits(0x0001_8000)),
            Duration::from_millis(1500)
        );
    }
}
