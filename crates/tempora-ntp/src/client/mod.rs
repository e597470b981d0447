//! The NTP client's core (RFC 5905 §9–§11), sans-IO and allocation-free:
//! per-source polling and filtering ([`source`], [`filter`]) and what a
//! source hands the system process ([`source_update`]), which selects the
//! true time among sources ([`select`]) and ages their distances.

pub mod filter;
pub mod source;

/// Selection, clustering and combining (RFC 5905 §11.2), shared by every
/// kind of source: it lives in the system process's crate.
pub use tempora_system::select;

use tempora_clock::Duration;

use filter::Filtered;
use tempora_system::{Measurement, SourceUpdate};

use crate::exchange::Sample;

/// What an NTP source hands the system process for a new sample: the
/// measurement itself and the clock filter's state with it (RFC 5905 §10;
/// the server's root delay / 2 + root dispersion as the source's own
/// distance to its reference; `poll` the source's poll exponent).
pub fn source_update(sample: &Sample, f: &Filtered, poll: i8) -> SourceUpdate {
    tempora_system::filter::source_update(
        Measurement {
            at: sample.t4,
            offset: sample.offset,
            delay: sample.delay,
        },
        f,
        Duration::from_log2_secs(poll),
    )
}
