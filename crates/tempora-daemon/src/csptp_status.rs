//! What `tempora status` shows of client-server PTP: each CSPTP source and
//! the CSPTP server's counters. Like `crate::status`, it imports nothing
//! else of the daemon.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tempora_ptp::csptp::DropCounters;
use tempora_ptp::wire::tlv::CsptpStatusTlv;

/// Drop counts by reason name (only the reasons that occurred).
pub type Drops = BTreeMap<String, u64>;

/// The nonzero counts of `counters`, by reason name.
pub fn drops_of(counters: &DropCounters) -> Drops {
    counters
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (r.name().to_string(), n))
        .collect()
}

/// Adds `other`'s counts to `into`.
pub fn add_drops(into: &mut Drops, other: &Drops) {
    for (k, v) in other {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// The data set a CSPTP server announced in its last status TLV (IEEE
/// 1588-2019 §8.2.3, as the draft's status TLV carries it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsptpDataSet {
    /// grandmasterIdentity.
    pub grandmaster: String,
    /// grandmasterPriority1.
    pub priority1: u8,
    /// grandmasterClockQuality.clockClass.
    pub clock_class: u8,
    /// grandmasterClockQuality.clockAccuracy.
    pub clock_accuracy: u8,
    /// grandmasterClockQuality.offsetScaledLogVariance.
    pub offset_scaled_log_variance: u16,
    /// grandmasterPriority2.
    pub priority2: u8,
    /// stepsRemoved of the server.
    pub steps_removed: u16,
    /// currentUtcOffset, s.
    pub current_utc_offset: i16,
}

impl From<&CsptpStatusTlv> for CsptpDataSet {
    fn from(t: &CsptpStatusTlv) -> Self {
        CsptpDataSet {
            grandmaster: t.grandmaster_identity.to_string(),
            priority1: t.grandmaster_priority1,
            clock_class: t.grandmaster_clock_quality.clock_class,
            clock_accuracy: t.grandmaster_clock_quality.clock_accuracy,
            offset_scaled_log_variance: t.grandmaster_clock_quality.offset_scaled_log_variance,
            priority2: t.grandmaster_priority2,
            steps_removed: t.steps_removed,
            current_utc_offset: t.current_utc_offset,
        }
    }
}

/// One CSPTP source as `tempora status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsptpSourceStatus {
    /// The configured address.
    pub name: String,
    /// The server's event address polled.
    pub address: String,
    /// `hardware` or `software`.
    pub timestamping: String,
    /// Reachability register (the last eight requests; 255: all answered).
    pub reach: u8,
    /// Poll interval, log2 s.
    pub poll: i8,
    /// Taken offline (`tempora ctl offline`): not polled until online.
    #[serde(default)]
    pub offline: bool,
    /// Filtered offset (server − us, in UTC), ns.
    pub offset_ns: Option<f64>,
    /// Filtered round-trip delay, ns.
    pub delay_ns: Option<f64>,
    /// Jitter, ns.
    pub jitter_ns: Option<f64>,
    /// The last sample's offset, ns.
    pub last_offset_ns: Option<f64>,
    /// The last sample's sequenceId.
    pub last_sequence: Option<u16>,
    /// Survived the last selection.
    pub selected: bool,
    /// The system peer.
    pub system_peer: bool,
    /// Requests sent.
    pub requests: u64,
    /// Complete exchanges (samples).
    pub samples: u64,
    /// Requests that got no complete answer in time.
    pub timeouts: u64,
    /// Messages dropped, by reason.
    #[serde(default)]
    pub dropped: Drops,
    /// The data set of its last status TLV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_set: Option<CsptpDataSet>,
}

/// The CSPTP client's counters over all its sources: datagrams no source
/// could claim.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsptpClientCounters {
    /// Datagrams from an address that is no configured server (dropped).
    pub unknown_server: u64,
    /// Event messages without a receive timestamp (dropped).
    pub no_timestamp: u64,
    /// Requests the socket refused to send.
    pub send_errors: u64,
}

/// Counters of the CSPTP server (status and metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsptpServerCounters {
    /// Datagrams received on the event ports.
    pub requests: u64,
    /// Sync replies sent.
    pub replies: u64,
    /// Follow_Ups sent.
    pub follow_ups: u64,
    /// Requests refused by the access lists.
    pub denied: u64,
    /// Requests over a client's rate.
    pub rate_limited: u64,
    /// Requests dropped by the server core, by reason.
    #[serde(default)]
    pub dropped: Drops,
    /// Datagrams on the general ports (a server expects none: dropped).
    pub general_ignored: u64,
    /// Replies whose transmit timestamp never came (no Follow_Up sent).
    pub follow_ups_lost: u64,
    /// Sends the socket refused.
    pub send_errors: u64,
}

impl CsptpServerCounters {
    /// Adds `other` (the worker loops' sum).
    pub fn add(&mut self, other: &CsptpServerCounters) {
        self.requests += other.requests;
        self.replies += other.replies;
        self.follow_ups += other.follow_ups;
        self.denied += other.denied;
        self.rate_limited += other.rate_limited;
        add_drops(&mut self.dropped, &other.dropped);
        self.general_ignored += other.general_ignored;
        self.follow_ups_lost += other.follow_ups_lost;
        self.send_errors += other.send_errors;
    }
}
