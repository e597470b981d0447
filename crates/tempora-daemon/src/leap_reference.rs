//! The selected reference clock's own leap warning (the `leap` field of an
//! NTP SHM segment or a chrony SOCK sample) beside the leap-seconds.list
//! (`crate::leap_file`), as chrony's reference clocks count theirs: on the
//! last day of a month (where ITU-R TF.460-6 §2.1 puts leap seconds) a
//! warning of the selected reference for the coming midnight sets the
//! pending leap (PTP leap61/leap59, NTP LI) when the list has none
//! pending (the list is missing, expired, or older than the
//! announcement); a leap the list has is kept whatever the reference says,
//! and TAI − UTC is always the list's. A disagreement on that day is
//! reported for the log. Pure: the time is passed in.

use tempora_clock::leap_seconds::LeapState;
use tempora_clock::{LeapStatus, Time};
use tempora_refclock::leap::Leap;

/// Seconds in a UTC day (without a leap second).
const DAY: i64 = 86_400;

/// The leap state served, and how the list and the reference disagreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Combined {
    /// What is served.
    pub state: Option<LeapState>,
    /// On a leap-second day, the list's and the reference's warnings when
    /// they differ (both as [`LeapStatus`]; the list's is `None` without a
    /// list).
    pub disagreement: Option<(Option<LeapStatus>, LeapStatus)>,
}

/// The (year, month, day) of day `days` since 1970-01-01 (proleptic
/// Gregorian; the era arithmetic of the civil calendar: 400-year eras of
/// 146 097 days, years counted from March so that the leap day is last).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `now` (UTC) is on the last day of a month, the only day a leap
/// second can end.
pub fn is_leap_second_day(now: Time) -> bool {
    civil(day_number(now) + 1).2 == 1
}

/// The day of `now` since 1970-01-01 (bounded far beyond any date served,
/// so that the arithmetic cannot overflow).
fn day_number(now: Time) -> i64 {
    let bound = i128::from(i64::MAX / (4 * DAY));
    let days = now
        .secs_nanos()
        .0
        .div_euclid(i128::from(DAY))
        .clamp(-bound, bound);
    i64::try_from(days).unwrap_or(0)
}

/// The midnight (UTC) after `now`.
fn next_midnight(now: Time) -> Time {
    Time::from_secs_nanos((day_number(now) + 1) * DAY, 0)
}

/// A reference's warning as a pending leap (`None` for no warning and for
/// "not synchronized", which is no warning of a leap).
fn warning(leap: Leap) -> LeapStatus {
    match leap {
        Leap::Insert => LeapStatus::Insert,
        Leap::Delete => LeapStatus::Delete,
        Leap::None | Leap::Unsynchronized => LeapStatus::None,
    }
}

/// The leap state served at `now` from the list's state and the selected
/// reference's warning (`None`: no reference selected, or its driver does
/// not say).
pub fn combine(list: Option<LeapState>, reference: Option<Leap>, now: Time) -> Combined {
    let unchanged = Combined {
        state: list,
        disagreement: None,
    };
    let Some(r) = reference.map(warning) else {
        return unchanged;
    };
    if !is_leap_second_day(now) {
        return unchanged;
    }
    let listed = list.map(|l| l.pending);
    let disagreement = (listed.unwrap_or(LeapStatus::None) != r).then_some((listed, r));
    let state = match list {
        Some(l) if l.pending != LeapStatus::None => Some(l),
        _ if r == LeapStatus::None => list,
        _ => Some(LeapState {
            tai_minus_utc: list.and_then(|l| l.tai_minus_utc),
            pending: r,
            at: Some(next_midnight(now)),
        }),
    };
    Combined {
        state,
        disagreement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2016-12-31 12:00 UTC, the day of the last leap second.
    const DEC31: i64 = 1_483_185_600;

    fn t(secs: i64) -> Time {
        Time::from_secs_nanos(secs, 0)
    }

    fn list(pending: LeapStatus) -> Option<LeapState> {
        Some(LeapState {
            tai_minus_utc: Some(36),
            pending,
            at: (pending != LeapStatus::None).then(|| t(DEC31 + 43_200)),
        })
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(DEC31 / DAY), (2016, 12, 31));
        assert_eq!(civil(DEC31 / DAY + 1), (2017, 1, 1));
        // 2024-02-29 and 2000-02-29 exist, 1900-02-29 does not.
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(-25_508), (1900, 3, 1));
        assert!(is_leap_second_day(t(DEC31)));
        assert!(!is_leap_second_day(t(DEC31 - DAY)));
        assert!(is_leap_second_day(t(19_782 * DAY + 5)));
        assert!(!is_leap_second_day(t(19_781 * DAY + 5)));
        assert_eq!(next_midnight(t(DEC31)), t(DEC31 + 43_200));
    }

    #[test]
    fn a_warning_the_list_lacks_counts_on_the_day() {
        // No list: the reference's warning, with no TAI − UTC.
        let c = combine(None, Some(Leap::Insert), t(DEC31));
        let s = c.state.unwrap();
        assert_eq!(s.pending, LeapStatus::Insert);
        assert_eq!(s.tai_minus_utc, None);
        assert_eq!(s.at, Some(t(DEC31 + 43_200)));
        assert_eq!(c.disagreement, Some((None, LeapStatus::Insert)));
        // A list without this leap (expired, say): the warning, the
        // list's offset, and the disagreement.
        let c = combine(list(LeapStatus::None), Some(Leap::Delete), t(DEC31));
        let s = c.state.unwrap();
        assert_eq!((s.pending, s.tai_minus_utc), (LeapStatus::Delete, Some(36)));
        assert_eq!(
            c.disagreement,
            Some((Some(LeapStatus::None), LeapStatus::Delete))
        );
    }

    #[test]
    fn the_list_keeps_its_leap_and_early_warnings_wait() {
        // The list's leap stays when the reference has none or another.
        for r in [Leap::None, Leap::Delete, Leap::Unsynchronized] {
            let c = combine(list(LeapStatus::Insert), Some(r), t(DEC31));
            assert_eq!(c.state, list(LeapStatus::Insert));
            assert!(c.disagreement.is_some(), "{r:?}");
        }
        // Agreement: nothing to log.
        let c = combine(list(LeapStatus::Insert), Some(Leap::Insert), t(DEC31));
        assert_eq!((c.state, c.disagreement), (list(LeapStatus::Insert), None));
        // A warning before the last day of the month is not for the
        // coming midnight: ignored, not a disagreement.
        let c = combine(list(LeapStatus::None), Some(Leap::Insert), t(DEC31 - DAY));
        assert_eq!((c.state, c.disagreement), (list(LeapStatus::None), None));
        // No reference (or a driver that does not say): the list alone.
        let c = combine(list(LeapStatus::None), None, t(DEC31));
        assert_eq!((c.state, c.disagreement), (list(LeapStatus::None), None));
        assert_eq!(combine(None, None, t(DEC31)).state, None);
        // The reference agrees there is none.
        let c = combine(None, Some(Leap::None), t(DEC31));
        assert_eq!(c.state, None);
    }
}
