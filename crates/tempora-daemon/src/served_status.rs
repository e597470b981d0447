//! What status shows of what the daemon serves from a reference clock:
//! holdover (state, time in holdover, estimated error, the class served)
//! and the leap second list. Imports no other module of the daemon, like
//! [`crate::status`].

use serde::{Deserialize, Serialize};

/// Holdover and the quality served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoverReport {
    /// `free-run`, `locked`, `holdover`, `holdover-expired`.
    pub state: String,
    /// The reference (`gnss`, `pps`, `phc`) locked to, or last locked to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Seconds in holdover (0 unless in holdover).
    pub holdover_s: f64,
    /// The estimated time error now, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_error_ns: Option<f64>,
    /// The `holdover-budget`, ns.
    pub budget_ns: f64,
    /// The clockClass served, when a reference decides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_class: Option<u8>,
    /// The NTP stratum served, when a reference decides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<u8>,
    /// The frequency held in holdover, ppb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_frequency_ppb: Option<f64>,
}

/// What status shows of the leap second list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeapStatusReport {
    /// The file.
    pub path: String,
    /// Whether it was read and verified.
    pub loaded: bool,
    /// Why not, if not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Its expiry, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// Whether it has expired.
    #[serde(default)]
    pub expired: bool,
    /// TAI − UTC now, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tai_minus_utc: Option<i16>,
    /// The leap second at the end of today: `insert`, `delete` or `none`.
    pub pending: String,
    /// What the disciplined clock is armed with (`adjtimex`
    /// `STA_INS`/`STA_DEL` for the system clock): `insert`, `delete` or
    /// `none`; absent when the daemon arms no clock (a PHC, or a clock it
    /// only reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_armed: Option<String>,
    /// The TAI − UTC the disciplined clock was told (`adjtimex` `ADJ_TAI`
    /// for the system clock), s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_tai_offset: Option<i16>,
}

/// A leap status as the status names it: `insert`, `delete` or `none`.
pub fn leap_name(leap: tempora_clock::LeapStatus) -> &'static str {
    match leap {
        tempora_clock::LeapStatus::Insert => "insert",
        tempora_clock::LeapStatus::Delete => "delete",
        tempora_clock::LeapStatus::None => "none",
    }
}
