//! What `tempora status` shows of the reference clocks (`[[refclock]]`):
//! each one's driver, samples, last offsets, and why it is unusable when
//! it is, with a count per kind of problem. Like `crate::status`, it
//! imports nothing else of the daemon.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One reference clock as `tempora status` shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RefclockStatus {
    /// Its `name`; its source in the selection is `refclock:NAME`.
    pub name: String,
    /// `pps`, `shm`, `gpsd`, `sock`, `nmea`, `phc`.
    pub driver: String,
    /// What it reads: the device, segment, address or socket.
    pub from: String,
    /// Poll interval, log2 s.
    pub poll: i8,
    /// Samples accepted (each a reference time against the local clock).
    pub samples: u64,
    /// Polls that handed a filtered sample to the selection.
    pub polls_used: u64,
    /// Polls with too few samples (nothing handed on; the source is
    /// unusable until the next good poll).
    pub polls_empty: u64,
    /// The last sample's offset θ (reference − the daemon's clock), ns.
    pub last_offset_ns: Option<f64>,
    /// The last sample's offset against CLOCK_REALTIME (reference − the
    /// system clock's time of the sample, as the writer stamped it), ns:
    /// what chrony logs as the raw offset.
    pub last_system_offset_ns: Option<f64>,
    /// The last filtered offset handed to the selection, ns.
    pub poll_offset_ns: Option<f64>,
    /// Its dispersion (the sample spread), ns.
    pub poll_dispersion_ns: Option<f64>,
    /// Why the source is not usable now (`None`: its last poll was good).
    pub unusable: Option<String>,
    /// The last problem seen, usable or not.
    pub last_problem: Option<String>,
    /// Problems by kind (`no_fix`, `bad_checksum`, `not_valid`, ...).
    pub problems: BTreeMap<String, u64>,
    /// Selected by the selection (the system peer).
    pub selected: bool,
}
