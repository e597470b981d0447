//! A pulse per second into a PTP hardware clock's external-timestamp
//! input, paired with the time of day from NMEA or gpsd: what linuxptp's
//! `ts2phc` does, sans-IO.
//!
//! The driver sets one of the PHC's pins to the external-timestamp
//! function and enables rising-edge timestamps on a channel
//! (`PTP_PIN_SETFUNC`, `PTP_EXTTS_REQUEST` in `linux/ptp_clock.h`); the
//! kernel then queues a `struct ptp_extts_event` per edge, read from
//! `/dev/ptpN`. Each event is the PHC's time of one PPS edge, and nothing
//! more: which second the edge starts comes from a time-of-day ("ToD")
//! source, a receiver's RMC/ZDA sentences or gpsd's TPV reports.
//!
//! - `event`: the event records as `read(2)` returns them (decoded here
//!   so that the bytes from the kernel go through fuzzed safe code);
//! - `tod`: a ToD reading: the UTC second a sentence or report names and
//!   when the driver received it;
//! - [`pairing`]: [`Ts2Phc`], which pairs each edge with its second,
//!   rejects what does not fit, computes the PHC's offset and feeds the
//!   per-poll [`crate::filter::SampleFilter`].
//!
//! # Pairing
//!
//! The edge and the ToD reading of its second are matched by when the
//! driver saw them, on one clock of the driver's choosing (the "seen"
//! times; `CLOCK_MONOTONIC` suits, only differences are used): a reading
//! belongs to an edge if it was seen from [`ExttsParams::tod_lead`] before
//! the edge to [`ExttsParams::tod_lag`] after it. A receiver sends the
//! sentences of a second after that second's pulse (typically 50–500 ms
//! later; the RMC time is the fix's, the second the pulse started), some
//! receivers a little before. The window is shorter than a second
//! (checked), so that a reading a second early or late cannot fall in it.
//! An edge's pairing is decided once its window has closed, i.e. once
//! the driver has handed in something seen after it, or called
//! [`Ts2Phc::advance`].
//!
//! An edge is rejected when:
//! - it comes from another channel than the configured one;
//! - it is less than half a second of PHC time after the previous edge,
//!   or, when paired, less than a second after the previous paired edge
//!   (a duplicate: a bouncing input, both edges captured, or an edge back
//!   near an earlier one after a glitch);
//! - its PHC distance from the previous edge is more than
//!   [`ExttsParams::max_interval_error`] from a whole number of seconds:
//!   it is not on a second of the PHC's count (a glitch; the edge after a
//!   glitch is rejected too, as its interval is measured from the glitch);
//! - no ToD reading fell in its window (missing ToD), or readings of two
//!   different seconds did (ambiguous);
//! - its second does not follow the previous pulse's by the number of PHC
//!   seconds between the two edges (the ToD source skipped or repeated a
//!   second);
//! - the PHC counts TAI and TAI − UTC is not known.
//!
//! A missing edge is no error: the ToD reading that found no edge is
//! counted ([`Counters::unpaired_tods`]), and the next edge pairs as usual.
//!
//! # Offset
//!
//! For an edge the PHC stamped `p` that marks the UTC second `S`, the
//! reference time of the edge at the pin is `S` on the PHC's timescale
//! ([`PhcTimescale`]: `S + (TAI − UTC)` for TAI, as IEEE 1588-2019 §7.2.3's
//! PTP timescale; `S` for UTC) plus [`ExttsParams::pulse_delay`] (cable and
//! receiver output delay: the pulse reaches the pin that much after the
//! second), and the PHC's offset θ = reference − `p`, as the
//! [`crate::filter::RefSample`] convention (reference − local) has it,
//! with the PHC as the local clock.
//!
//! During an inserted leap second (a reading of 23:59:60) the reading is
//! rejected and its pulse gives no sample.

mod event;
pub mod pairing;
mod tod;

pub use event::{EVENT_SIZE, ExttsEvent, decode_events};
pub use pairing::{Counters, Pulse, Ts2Phc};
pub use tod::TodReading;

use tempora_clock::{Duration, Time};

/// The timescale the PHC counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhcTimescale {
    /// TAI, the PTP timescale (IEEE 1588-2019 §7.2.3): UTC + TAI − UTC.
    Tai,
    /// UTC, as `CLOCK_REALTIME` (for a PHC serving NTP only, say).
    Utc,
}

/// The parameters of a ts2phc source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExttsParams {
    /// The external-timestamp channel the pulse is on (the `index` of
    /// `ptp_extts_event`).
    pub channel: u32,
    /// How long after the second the pulse reaches the pin (cable delay,
    /// the receiver's output delay); may be negative.
    pub pulse_delay: Duration,
    /// The PHC's timescale.
    pub timescale: PhcTimescale,
    /// How long before the edge a ToD reading of its second may be seen.
    /// Default 100 ms.
    pub tod_lead: Duration,
    /// How long after the edge a ToD reading of its second may be seen.
    /// Default 700 ms. `tod_lead + tod_lag` must be below 1 s.
    pub tod_lag: Duration,
    /// How far an edge may be from a whole number of PHC seconds after the
    /// previous edge; below 0.5 s. Default 100 ms (far above what a PHC's
    /// frequency error does in a second).
    pub max_interval_error: Duration,
    /// The error bound of one edge's timestamp (the PHC's timestamp
    /// resolution and the pulse's jitter), the samples' dispersion.
    /// Default 100 ns.
    pub precision: Duration,
    /// Samples kept per poll by the filter (chrony's `filter`). Default 16.
    pub filter_length: usize,
}

impl Default for ExttsParams {
    fn default() -> Self {
        ExttsParams {
            channel: 0,
            pulse_delay: Duration::ZERO,
            timescale: PhcTimescale::Tai,
            tod_lead: Duration::from_millis(100),
            tod_lag: Duration::from_millis(700),
            max_interval_error: Duration::from_millis(100),
            precision: Duration::from_nanos(100),
            filter_length: 16,
        }
    }
}

/// Why parameters were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamsError {
    /// `tod_lead` or `tod_lag` is negative, or together they reach 1 s,
    /// so that a window could hold two seconds' readings.
    TodWindow,
    /// `max_interval_error` is negative or reaches 0.5 s.
    IntervalError,
}

/// Why an event, a reading or an edge was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExttsError {
    /// Bytes left over after the last whole event record (a read that is
    /// not a multiple of [`EVENT_SIZE`]).
    Truncated {
        /// The bytes left over.
        len: usize,
    },
    /// An event whose nanoseconds are not below 10⁹.
    BadNanos {
        /// The `nsec` field.
        nsec: u32,
    },
    /// An event from another channel.
    WrongChannel {
        /// The configured channel.
        expected: u32,
        /// The event's.
        got: u32,
    },
    /// An edge less than half a second of PHC time after the previous one.
    DuplicateEdge {
        /// The PHC time between them (negative if the PHC went back).
        interval: Duration,
    },
    /// An edge not a whole number of seconds after the previous one.
    OffSecond {
        /// Its distance from the nearest whole number of seconds.
        residual: Duration,
    },
    /// A ToD reading the receiver does not vouch for (RMC status `V` or
    /// mode `N`), or a gpsd fix below 2D.
    TodInvalid,
    /// A ToD reading not on a whole second (a receiver reporting at more
    /// than 1 Hz): it names no pulse.
    TodNotOnSecond,
    /// A ToD reading of an inserted leap second (23:59:60).
    TodLeapSecond,
    /// A ToD reading of an earlier second than the previous one.
    TodBackwards {
        /// The previous reading's second.
        previous: Time,
        /// This reading's.
        second: Time,
    },
    /// No ToD reading fell in the edge's window.
    MissingTod {
        /// The edge's PHC time.
        phc: Time,
    },
    /// ToD readings of two different seconds fell in the edge's window.
    Ambiguous {
        /// One second.
        first: Time,
        /// The other.
        second: Time,
    },
    /// The edge's second does not follow the previous pulse's by the PHC
    /// seconds between the two edges.
    SecondMismatch {
        /// The second the PHC count expects (UTC).
        expected: Time,
        /// The second the ToD gave.
        got: Time,
    },
    /// The PHC counts TAI and TAI − UTC is not known.
    NoUtcOffset,
    /// More edges waited for their ToD than are kept; the oldest was
    /// dropped.
    Overflow,
}

#[cfg(test)]
mod recorded;
#[cfg(test)]
mod tests;
