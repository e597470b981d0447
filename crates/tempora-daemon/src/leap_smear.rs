//! The leap smear served to NTPv5 clients that ask for leap-smeared UTC
//! (draft-ietf-ntp-ntpv5, "Message Format", Timescale 3) when `[ntp-server]
//! smear` is on: a linear smear over the 24 hours that end at the leap
//! second (ntpd's `leapsmearinterval 86400`), so that smeared time is
//! UTC before the window and after the leap, and never steps.

use tempora_clock::leap_seconds::LeapState;
use tempora_clock::{Duration, LeapStatus, Time};

/// The smear window: the day before the leap.
pub const SMEAR_WINDOW: Duration = Duration::from_secs(86_400);

/// Smeared UTC − UTC at `now` for the leap state `leap` (the leap second
/// list's, `crate::served`): −(elapsed / window) s during the window before
/// an inserted second, + for a deleted one, zero otherwise.
pub fn smear_offset(leap: Option<LeapState>, now: Time) -> Duration {
    let Some(LeapState {
        pending,
        at: Some(at),
        ..
    }) = leap
    else {
        return Duration::ZERO;
    };
    let start = at - SMEAR_WINDOW;
    if now < start || now >= at {
        return Duration::ZERO;
    }
    let fraction = (now - start).as_secs_f64() / SMEAR_WINDOW.as_secs_f64();
    match pending {
        LeapStatus::Insert => Duration::from_secs_f64(-fraction),
        LeapStatus::Delete => Duration::from_secs_f64(fraction),
        LeapStatus::None => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(pending: LeapStatus, at: Time) -> Option<LeapState> {
        Some(LeapState {
            tai_minus_utc: Some(37),
            pending,
            at: Some(at),
        })
    }

    #[test]
    fn linear_over_the_day_before_the_leap() {
        let at = Time::from_secs_nanos(1_800_057_600, 0);
        let insert = state(LeapStatus::Insert, at);
        let h = |x: f64| at - Duration::from_secs_f64(x * 3600.0);
        assert_eq!(smear_offset(insert, h(25.0)), Duration::ZERO);
        assert_eq!(smear_offset(insert, h(24.0)), Duration::ZERO);
        let half = smear_offset(insert, h(12.0)).as_secs_f64();
        assert!((half + 0.5).abs() < 1e-9, "{half}");
        let late = smear_offset(insert, h(1.0 / 3600.0)).as_secs_f64();
        assert!((late + 86_399.0 / 86_400.0).abs() < 1e-9, "{late}");
        assert_eq!(smear_offset(insert, at), Duration::ZERO);
        let delete = smear_offset(state(LeapStatus::Delete, at), h(6.0)).as_secs_f64();
        assert!((delete - 0.75).abs() < 1e-9, "{delete}");
        assert_eq!(smear_offset(None, h(1.0)), Duration::ZERO);
        assert_eq!(
            smear_offset(state(LeapStatus::None, at), h(1.0)),
            Duration::ZERO
        );
    }
}
