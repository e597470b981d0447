//! Pulse-per-second signals through the RFC 2783 PPS API.
//!
//! The driver calls `time_pps_fetch()` (Linux: the `PPS_FETCH` ioctl on
//! `/dev/ppsN`) and hands in the [`PpsInfo`] it got: RFC 2783 §3.3's
//! `pps_info_t`, an assert and a clear sequence number with the local
//! clock's timestamp of each edge. [`PpsEdges`] turns successive fetches into
//! new pulses of the configured edge.
//!
//! A pulse marks the start of a second but not which second. Its offset is
//! the distance of its timestamp to the nearest second boundary, once
//! something else says which second is nearest: a lock ([`Lock`]), either
//! another source's current offset (chrony's `lock` option of `refclock
//! PPS`) or the disciplined local clock itself, once its error is known to
//! be within [`PpsParams::max_lock_error`] (0.4 s by default, so the nearest
//! second cannot be the wrong one). Without a lock, or with one that is too
//! far, the pulse is rejected.

use tempora_clock::{Duration, Time};

/// Which edge of the pulse marks the second (RFC 2783 §3.3: the assert
/// and clear events; §3.4.4 `PPS_CAPTUREASSERT` / `PPS_CAPTURECLEAR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edge {
    /// The assert edge (usually the rising one).
    Assert,
    /// The clear edge.
    Clear,
}

/// One `pps_info_t` (RFC 2783 §3.3): sequence numbers and local timestamps
/// of the latest assert and clear events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpsInfo {
    /// `assert_sequence`: the count of assert events.
    pub assert_sequence: u64,
    /// `assert_tu`: the local clock's time of the latest assert event.
    pub assert_time: Time,
    /// `clear_sequence`: the count of clear events.
    pub clear_sequence: u64,
    /// `clear_tu`: the local clock's time of the latest clear event.
    pub clear_time: Time,
}

/// Turns successive [`PpsInfo`] fetches into new pulses of one edge: a
/// fetch whose sequence number of that edge has not changed has no new
/// pulse (RFC 2783 §3.3: the sequence number counts the events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpsEdges {
    edge: Edge,
    last: Option<u64>,
}

impl PpsEdges {
    /// Tracks `edge`.
    pub fn new(edge: Edge) -> Self {
        PpsEdges { edge, last: None }
    }

    /// The local timestamp of a new pulse in `info`, if there is one. The
    /// first fetch only records the sequence number (its pulse may be old).
    pub fn fetch(&mut self, info: &PpsInfo) -> Option<Time> {
        let (seq, time) = match self.edge {
            Edge::Assert => (info.assert_sequence, info.assert_time),
            Edge::Clear => (info.clear_sequence, info.clear_time),
        };
        let last = self.last.replace(seq);
        (last.is_some() && last != Some(seq)).then_some(time)
    }
}

/// What tells which second a pulse belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Nothing yet (no lock source, or it has no sample).
    Missing,
    /// Another source's offset θ (source − local) now (chrony's `lock`).
    Source {
        /// Its offset.
        offset: Duration,
    },
    /// The disciplined local clock, with the bound on its error.
    Clock {
        /// How far the local clock may be from true time.
        max_error: Duration,
    },
}

/// The parameters of a PPS source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpsParams {
    /// The largest lock error (and the largest distance of a pulse from the
    /// second the lock says) accepted; below half a second. Default 0.4 s.
    pub max_lock_error: Duration,
}

impl Default for PpsParams {
    fn default() -> Self {
        PpsParams {
            max_lock_error: Duration::from_millis(400),
        }
    }
}

/// Why a pulse gave no offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PpsError {
    /// No lock: a pulse alone has no seconds.
    NoLock,
    /// The lock clock's error bound is above the limit.
    LockTooUncertain(Duration),
    /// The pulse is this far from the second the lock points to: the lock
    /// and the pulse disagree.
    TooFar(Duration),
}

/// A pulse's measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PulseOffset {
    /// The second the pulse marks (UTC).
    pub second: Time,
    /// second − edge: the source's offset θ at `edge`.
    pub offset: Duration,
}

/// The offset of a pulse whose edge the local clock stamped `edge`,
/// given `lock`.
pub fn pulse_offset(edge: Time, lock: Lock, params: &PpsParams) -> Result<PulseOffset, PpsError> {
    let lock_offset = match lock {
        Lock::Missing => return Err(PpsError::NoLock),
        Lock::Source { offset } => offset,
        Lock::Clock { max_error } if max_error.abs() > params.max_lock_error => {
            return Err(PpsError::LockTooUncertain(max_error));
        }
        Lock::Clock { .. } => Duration::ZERO,
    };
    // The lock's estimate of true time at the edge, and its nearest second.
    let estimate = edge + lock_offset;
    let second = nearest_second(estimate);
    let residual = second - estimate;
    if residual.abs() > params.max_lock_error {
        return Err(PpsError::TooFar(residual));
    }
    Ok(PulseOffset {
        second,
        offset: second - edge,
    })
}

/// The whole second nearest `t` (half a second rounds up).
fn nearest_second(t: Time) -> Time {
    let (secs, _) = (t + Duration::from_millis(500)).secs_nanos();
    // secs fits i64 for any time a clock reads; saturate otherwise.
    Time::from_secs_nanos(i64::try_from(secs).unwrap_or(i64::MAX), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64, ns: u32) -> Time {
        Time::from_secs_nanos(s, ns)
    }

    #[test]
    fn new_pulses_by_sequence() {
        let mut e = PpsEdges::new(Edge::Assert);
        let info = |seq, ns| PpsInfo {
            assert_sequence: seq,
            assert_time: t(100 + seq as i64, ns),
            clear_sequence: 40,
            clear_time: t(50, 0),
        };
        assert_eq!(e.fetch(&info(5, 10)), None);
        assert_eq!(e.fetch(&info(5, 10)), None);
        assert_eq!(e.fetch(&info(6, 20)), Some(t(106, 20)));
        assert_eq!(e.fetch(&info(8, 30)), Some(t(108, 30)));
        let mut c = PpsEdges::new(Edge::Clear);
        assert_eq!(c.fetch(&info(1, 0)), None);
        assert_eq!(c.fetch(&info(2, 0)), None);
    }

    #[test]
    fn locked_to_a_source() {
        let p = PpsParams::default();
        // The local clock is 2.3 s behind; the edge at local 1000.700000123
        // is true 1003.000000123 by the lock source, nearest second 1003.
        let edge = t(1000, 700_000_123);
        let lock = Lock::Source {
            offset: Duration::from_millis(2300),
        };
        let r = pulse_offset(edge, lock, &p).unwrap();
        assert_eq!(r.second, t(1003, 0));
        assert_eq!(r.offset, Duration::from_nanos(2_299_999_877));
        // An NMEA lock 150 ms off still points at the right second.
        let lock = Lock::Source {
            offset: Duration::from_millis(2450),
        };
        assert_eq!(pulse_offset(edge, lock, &p).unwrap().second, t(1003, 0));
    }

    #[test]
    fn locked_to_the_clock() {
        let p = PpsParams::default();
        let lock = Lock::Clock {
            max_error: Duration::from_millis(1),
        };
        let r = pulse_offset(t(500, 999_999_000), lock, &p).unwrap();
        assert_eq!(r.second, t(501, 0));
        assert_eq!(r.offset, Duration::from_nanos(1000));
        let r = pulse_offset(t(500, 250), lock, &p).unwrap();
        assert_eq!(r.offset, Duration::from_nanos(-250));
    }

    #[test]
    fn rejected_without_or_with_a_far_lock() {
        let p = PpsParams::default();
        assert_eq!(
            pulse_offset(t(1, 0), Lock::Missing, &p),
            Err(PpsError::NoLock)
        );
        let far = Lock::Clock {
            max_error: Duration::from_millis(401),
        };
        assert_eq!(
            pulse_offset(t(1, 0), far, &p),
            Err(PpsError::LockTooUncertain(Duration::from_millis(401)))
        );
        // The clock claims to be good, but the pulse is 0.45 s from any
        // second: something is wrong, and the second would be a guess.
        let ok = Lock::Clock {
            max_error: Duration::from_millis(10),
        };
        assert_eq!(
            pulse_offset(t(10, 450_000_000), ok, &p),
            Err(PpsError::TooFar(Duration::from_millis(-450)))
        );
        let lock = Lock::Source {
            offset: Duration::from_millis(-550),
        };
        assert_eq!(
            pulse_offset(t(10, 0), lock, &p),
            Err(PpsError::TooFar(Duration::from_millis(-450)))
        );
    }
}
