//! Arming a leap second in the clock the daemon disciplines, as chronyd's
//! `leapsecmode system` and ptp4l on `CLOCK_REALTIME` do: during the last
//! UTC day before a leap second the list (or the selected reference) has
//! pending, the clock is told (`adjtimex` `STA_INS`/`STA_DEL` for the
//! system clock; the virtual clock models the kernel), and at midnight the
//! kernel inserts or deletes the second itself, so the servo sees no
//! offset; after midnight it is disarmed. The clock is also told TAI − UTC
//! (`adjtimex` `ADJ_TAI`, which `CLOCK_TAI` reads), as chronyd does with
//! `leapsectz`. Pure: the time and the leap state are passed in, and the
//! daemon carries out what it returns.

use tempora_clock::leap_seconds::LeapState;
use tempora_clock::{Duration, LeapStatus, Time};

/// The length of the day before a leap second during which it is armed.
const DAY: Duration = Duration::from_secs(86_400);

/// What the clock has been told (`None` until the first change: the
/// daemon leaves a clock it found unarmed alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KernelLeap {
    armed: LeapStatus,
    tai: Option<i16>,
}

/// The leap second the clock should have armed at `now` under `state`:
/// the pending one when it takes effect within the day (at the coming UTC
/// midnight), else none.
pub fn wanted(state: Option<LeapState>, now: Time) -> LeapStatus {
    match state {
        Some(LeapState {
            pending,
            at: Some(at),
            ..
        }) if now < at && at - now <= DAY => pending,
        _ => LeapStatus::None,
    }
}

impl KernelLeap {
    /// What the clock is armed with.
    pub fn armed(&self) -> LeapStatus {
        self.armed
    }

    /// The TAI − UTC the clock was told last.
    pub fn tai_offset(&self) -> Option<i16> {
        self.tai
    }

    /// The TAI − UTC to tell the clock, when `known` differs from what it
    /// was told (an unknown offset changes nothing); it counts as told.
    pub fn update_tai(&mut self, known: Option<i16>) -> Option<i16> {
        let k = known?;
        (self.tai != Some(k)).then(|| {
            self.tai = Some(k);
            k
        })
    }

    /// The change to make at `now` under `state`, if any; it counts as
    /// made (the caller carries it out or logs why not).
    pub fn update(&mut self, state: Option<LeapState>, now: Time) -> Option<LeapStatus> {
        let want = wanted(state, now);
        (want != self.armed).then(|| {
            self.armed = want;
            want
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2017-01-01 00:00:00 UTC, after the last leap second.
    const MIDNIGHT: i64 = 1_483_228_800;

    fn t(secs: i64) -> Time {
        Time::from_secs_nanos(secs, 0)
    }

    fn pending(leap: LeapStatus) -> Option<LeapState> {
        Some(LeapState {
            tai_minus_utc: Some(36),
            pending: leap,
            at: Some(t(MIDNIGHT)),
        })
    }

    #[test]
    fn armed_during_the_last_day_only_and_disarmed_after() {
        let mut k = KernelLeap::default();
        // Two days before: nothing to do (and nothing done at start).
        assert_eq!(
            k.update(pending(LeapStatus::Insert), t(MIDNIGHT - 2 * 86_400)),
            None
        );
        assert_eq!(
            k.update(pending(LeapStatus::Insert), t(MIDNIGHT - 86_400)),
            Some(LeapStatus::Insert)
        );
        assert_eq!(k.update(pending(LeapStatus::Insert), t(MIDNIGHT - 1)), None);
        assert_eq!(k.armed(), LeapStatus::Insert);
        // After midnight the list says TAI − UTC 37 and nothing pending.
        let after = Some(LeapState {
            tai_minus_utc: Some(37),
            pending: LeapStatus::None,
            at: None,
        });
        assert_eq!(k.update(after, t(MIDNIGHT + 1)), Some(LeapStatus::None));
        assert_eq!(k.update(after, t(MIDNIGHT + 2)), None);
    }

    #[test]
    fn the_tai_offset_is_told_once_per_change() {
        let mut k = KernelLeap::default();
        assert_eq!(k.update_tai(None), None);
        assert_eq!(k.update_tai(Some(36)), Some(36));
        assert_eq!(k.update_tai(Some(36)), None);
        assert_eq!(k.update_tai(None), None);
        assert_eq!(k.update_tai(Some(37)), Some(37));
        assert_eq!(k.tai_offset(), Some(37));
    }

    #[test]
    fn a_deletion_and_a_state_that_goes_away() {
        let mut k = KernelLeap::default();
        assert_eq!(
            k.update(pending(LeapStatus::Delete), t(MIDNIGHT - 10)),
            Some(LeapStatus::Delete)
        );
        // The warning withdrawn (a reference's, say): disarmed.
        assert_eq!(k.update(None, t(MIDNIGHT - 5)), Some(LeapStatus::None));
        assert_eq!(
            wanted(pending(LeapStatus::Insert), t(MIDNIGHT)),
            LeapStatus::None
        );
    }
}
