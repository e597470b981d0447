//! What `tempora status` shows of Roughtime: the server's counters, and
//! what the `[[roughtime-source]]`s said at start-up (each source's
//! midpoint, radius and version, the consensus, the step made or refused,
//! and the proof of malfeasance when a server lied). Like `crate::status`,
//! it imports nothing else of the daemon.

use serde::{Deserialize, Serialize};

use crate::csptp_status::Drops;

/// The Roughtime server's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoughtimeServerCounters {
    /// Datagrams received.
    pub requests: u64,
    /// Replies sent.
    pub replies: u64,
    /// Batches signed (one Ed25519 signature each).
    pub batches: u64,
    /// Requests refused by the access lists.
    pub denied: u64,
    /// Requests over their client's rate (the NTP server's limiter).
    pub rate_limited: u64,
    /// Replies the socket refused to send.
    pub send_errors: u64,
    /// Online keys made (the first one included).
    pub online_keys: u64,
    /// Requests dropped by the core, by reason.
    #[serde(default)]
    pub dropped: Drops,
}

impl RoughtimeServerCounters {
    /// Adds `other`'s counts (a worker loop's) to these.
    pub fn add(&mut self, other: &RoughtimeServerCounters) {
        self.requests += other.requests;
        self.replies += other.replies;
        self.batches += other.batches;
        self.denied += other.denied;
        self.rate_limited += other.rate_limited;
        self.send_errors += other.send_errors;
        self.online_keys += other.online_keys;
        crate::csptp_status::add_drops(&mut self.dropped, &other.dropped);
    }
}

/// One `[[roughtime-source]]` as it answered at start-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoughtimeSourceStatus {
    /// The configured address.
    pub name: String,
    /// The address asked, when it resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The version asked in (`rfc`, `draft-14`, `google`).
    pub version: String,
    /// Whether the reply verified (signatures, Merkle path, delegation,
    /// MINT ≤ MIDP ≤ MAXT).
    pub verified: bool,
    /// The server's midpoint, s since 1970 (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub midpoint_s: Option<f64>,
    /// Its radius, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_s: Option<f64>,
    /// The round trip, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_s: Option<f64>,
    /// Its midpoint minus our clock at the reply's receipt (less half the
    /// round trip), s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_s: Option<f64>,
    /// Why there is no verified reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the start-up query of the `[[roughtime-source]]`s decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoughtimeStartup {
    /// Each source, in the order asked (the nonce chain's order).
    pub sources: Vec<RoughtimeSourceStatus>,
    /// How many servers agree (their intervals overlap).
    pub agreeing: usize,
    /// The offset of the consensus from our clock, s, when enough agreed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus_offset_s: Option<f64>,
    /// The step made, s (none: not stepped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stepped_s: Option<f64>,
    /// The decision in words.
    pub outcome: String,
    /// When a server's reply contradicts the causal order of the chain:
    /// the proof of malfeasance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malfeasance: Option<MalfeasanceStatus>,
}

/// A proof that a server lied: the chain of requests and replies, which
/// anyone can verify with the servers' public keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MalfeasanceStatus {
    /// What it shows, in words (which server contradicts which).
    pub summary: String,
    /// The report (the draft's malfeasance report as JSON: each link's
    /// nonce or request, reply and public key, base64).
    pub report: serde_json::Value,
}
