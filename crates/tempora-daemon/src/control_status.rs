//! What the status reports of `tempora ctl` and for `tempora tracking`:
//! the control requests' counters and the system peer's tracking report.
//! Imports nothing else of the daemon (as `crate::status`).

use serde::{Deserialize, Serialize};

/// Counters of the control requests (`tempora ctl`), over both sockets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlCounters {
    /// Requests carried out.
    pub applied: u64,
    /// Valid requests that could not be carried out (no such source, ...).
    pub failed: u64,
    /// Requests refused on the read-only status socket.
    pub refused: u64,
    /// Datagrams starting `tempora-ctl ` that are no valid request.
    pub malformed: u64,
}

/// The system peer as `tempora tracking` shows it (chronyc's `tracking`).
/// Every field is absent when unknown (no system peer yet, or a kind of
/// source that has no such notion).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackingStatus {
    /// The selected source (`ntp:ADDR`, `ptp:portN`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Our stratum: the NTP system peer's plus one, or what is served from
    /// a reference clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<u8>,
    /// When the system peer was last measured, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_time_unix_s: Option<f64>,
    /// The system peer's offset now (peer − us): positive when our clock
    /// is behind, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_offset_ns: Option<f64>,
    /// The drift the selected sources' samples call for less the frequency
    /// adjustment in force, ppb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_frequency_ppb: Option<f64>,
    /// The standard error of that drift, ppb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_ppb: Option<f64>,
    /// The NTP system peer's root delay plus the path to it, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_delay_ns: Option<f64>,
    /// The NTP system peer's root dispersion plus its offset, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_dispersion_ns: Option<f64>,
    /// The interval between the system peer's measurements, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_interval_s: Option<f64>,
    /// The leap status: `normal`, `insert second`, `delete second` or
    /// `not synchronised`.
    pub leap: String,
    /// The system peer's root distance now (RFC 5905 §11.2): the bound on
    /// our error while following it, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_error_ns: Option<f64>,
}
