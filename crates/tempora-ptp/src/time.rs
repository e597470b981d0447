//! Conversions between the PTP wire's time types and Tempora's time types
//! (`tempora_clock`): `Timestamp` (IEEE 1588-2019 §5.3.3) and
//! `TimeInterval`/`correctionField` (§5.3.2, §13.3.2.9).

use tempora_clock::{Duration, Time};

use crate::wire::{TimeInterval, Timestamp};

/// The time a wire timestamp stands for (seconds and nanoseconds since the
/// PTP epoch).
pub fn time_from_timestamp(ts: Timestamp) -> Time {
    Time::from_nanos(ts.total_nanos())
}

/// The wire timestamp for a time, and the sub-nanosecond remainder that a
/// timestamp cannot carry (for the correctionField). Times before the epoch
/// give zero; times beyond 48-bit seconds saturate.
pub fn timestamp_from_time(t: Time) -> (Timestamp, Duration) {
    let (secs, nanos) = t.secs_nanos();
    if secs < 0 {
        return (Timestamp::default(), Duration::ZERO);
    }
    let remainder = Duration::from_scaled_nanos(i128::from(t.subnano_units()));
    let seconds = u64::try_from(secs)
        .unwrap_or(Timestamp::MAX_SECONDS)
        .min(Timestamp::MAX_SECONDS);
    (
        Timestamp {
            seconds,
            nanoseconds: nanos,
        },
        remainder,
    )
}

/// The duration a `TimeInterval` or `correctionField` holds.
pub fn duration_from_interval(c: TimeInterval) -> Duration {
    Duration::from_scaled_nanos(i128::from(c.0))
}

/// The `TimeInterval` for a duration, saturating at the field's range.
pub fn interval_from_duration(d: Duration) -> TimeInterval {
    let v = d.scaled_nanos();
    TimeInterval(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = Time::from_secs_nanos(1_700_000_000, 123_456_789) + Duration::from_scaled_nanos(5);
        let (ts, rem) = timestamp_from_time(t);
        assert_eq!((ts.seconds, ts.nanoseconds), (1_700_000_000, 123_456_789));
        assert_eq!(rem.scaled_nanos(), 5);
        assert_eq!(time_from_timestamp(ts) + rem, t);
        assert_eq!(
            timestamp_from_time(Time::from_nanos(-5)).0,
            Timestamp::default()
        );
        let d = Duration::from_nanos(-42) + Duration::from_scaled_nanos(3);
        assert_eq!(duration_from_interval(interval_from_duration(d)), d);
        assert_eq!(interval_from_duration(Duration::MAX).0, i64::MAX);
    }
}
