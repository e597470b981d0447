//! What a reference clock driver hands the daemon: samples (a reference
//! time against the CLOCK_REALTIME time it belongs to), pulses (a PPS
//! edge, numbered later by a lock) and problems (a kind for the counters
//! and a text for the status). Shared by `crate::refclock_io`,
//! `crate::refclock_gpsd` and `crate::refclock`.

use tempora_clock::{Duration, Time};
use tempora_refclock::leap::Leap;

/// One thing a driver read.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The reference said `reference` when CLOCK_REALTIME read `local`.
    Sample {
        /// The reference's time, UTC.
        reference: Time,
        /// CLOCK_REALTIME at that instant (the writer's or our stamp).
        local: Time,
        /// The sample's own uncertainty (the writer's precision).
        dispersion: Duration,
        /// The leap warning the reference sent with it (SHM and SOCK
        /// have one; gpsd's JSON, NMEA, a PPS and a PHC do not: `None`).
        leap: Option<Leap>,
    },
    /// A pulse whose edge CLOCK_REALTIME stamped `edge`; which second it
    /// marks is for the lock to say.
    Pulse {
        /// The edge's CLOCK_REALTIME time.
        edge: Time,
    },
    /// Something that made a reading unusable.
    Problem(Problem),
}

/// Why a reading was not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The counter's name (`no_fix`, `bad_checksum`, ...).
    pub kind: &'static str,
    /// What the status says (`no fix (mode 1)`).
    pub text: String,
}

impl Problem {
    /// A problem of `kind` described by `text`.
    pub fn event(kind: &'static str, text: impl Into<String>) -> Event {
        Event::Problem(Problem {
            kind,
            text: text.into(),
        })
    }
}

/// The dispersion of a sample from a writer's precision (log2 s), between
/// 1 ns and 1 s.
pub fn precision_dispersion(log2: i32) -> Duration {
    Duration::from_secs_f64(2f64.powi(log2.clamp(-30, 0)))
}
