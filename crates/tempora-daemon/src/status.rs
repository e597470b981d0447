//! What `tempora status` shows: a snapshot of the daemon's state, built by
//! the timing loop and served on the Unix socket (as JSON) and the metrics
//! endpoint (as Prometheus text, see `crate::prometheus`). It imports
//! nothing else of the daemon: the loop, the NTP client and server fill it.

use std::fmt;

use serde::{Deserialize, Serialize};
use tempora_ptp::engine::PtpInstance;

use crate::control_status::{ControlCounters, TrackingStatus};
use crate::csptp_status::{CsptpClientCounters, CsptpServerCounters, CsptpSourceStatus};
use crate::refclock_status::RefclockStatus;

/// A port state (IEEE 1588-2019 §9.2.5, Table 27), under linuxptp's names:
/// `MASTER`, `PRE_MASTER`, `SLAVE`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PortState {
    /// INITIALIZING.
    Initializing,
    /// FAULTY.
    Faulty,
    /// DISABLED.
    Disabled,
    /// LISTENING.
    Listening,
    /// PRE_MASTER.
    PreMaster,
    /// MASTER.
    Master,
    /// PASSIVE.
    Passive,
    /// UNCALIBRATED.
    Uncalibrated,
    /// SLAVE.
    Slave,
}

impl PortState {
    /// Its name in the status (and linuxptp's).
    pub fn name(self) -> &'static str {
        self.into_core().name()
    }

    fn into_core(self) -> tempora_ptp::datasets::PortState {
        use tempora_ptp::datasets::PortState as Core;
        match self {
            PortState::Initializing => Core::Initializing,
            PortState::Faulty => Core::Faulty,
            PortState::Disabled => Core::Disabled,
            PortState::Listening => Core::Listening,
            PortState::PreMaster => Core::PreMaster,
            PortState::Master => Core::Master,
            PortState::Passive => Core::Passive,
            PortState::Uncalibrated => Core::Uncalibrated,
            PortState::Slave => Core::Slave,
        }
    }
}

impl From<tempora_ptp::datasets::PortState> for PortState {
    fn from(s: tempora_ptp::datasets::PortState) -> Self {
        use tempora_ptp::datasets::PortState as Core;
        match s {
            Core::Initializing => PortState::Initializing,
            Core::Faulty => PortState::Faulty,
            Core::Disabled => PortState::Disabled,
            Core::Listening => PortState::Listening,
            Core::PreMaster => PortState::PreMaster,
            Core::Master => PortState::Master,
            Core::Passive => PortState::Passive,
            Core::Uncalibrated => PortState::Uncalibrated,
            Core::Slave => PortState::Slave,
        }
    }
}

/// The servo's state (`tempora_clock::ServoState`): `unlocked`, `jump`,
/// `locked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServoState {
    /// Not enough samples yet.
    Unlocked,
    /// A step was requested.
    Jump,
    /// Tracking.
    Locked,
    /// The master sanity gate or the UTC offset gate holds the master
    /// back: the clock is not following it.
    Held,
}

impl ServoState {
    /// Its name in the status.
    pub fn name(self) -> &'static str {
        match self {
            ServoState::Unlocked => "unlocked",
            ServoState::Jump => "jump",
            ServoState::Locked => "locked",
            ServoState::Held => "held",
        }
    }
}

/// The master sanity gate (`tempora_clock::servo::SanityGate`) and the UTC
/// offset gate (`tempora_ptp::engine::UtcOffsetGate`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MasterSanityStatus {
    /// A master that disagrees with the clock is being held back now.
    pub holding: bool,
    /// Its offset (clock minus master) at the last measurement held, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_offset_ns: Option<f64>,
    /// The threshold in force (none before the servo first locked, or with
    /// the gate off), ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_ns: Option<f64>,
    /// Disagreements held back so far.
    pub masters_held: u64,
    /// A jump of the grandmaster's UTC offset is being held back now.
    pub utc_offset_holding: bool,
    /// The currentUtcOffset offered and held back, while holding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_offered: Option<i16>,
    /// Jumps of the UTC offset held back so far.
    pub utc_offset_changes_held: u64,
}

impl From<tempora_clock::ServoState> for ServoState {
    fn from(s: tempora_clock::ServoState) -> Self {
        match s {
            tempora_clock::ServoState::Unlocked => ServoState::Unlocked,
            tempora_clock::ServoState::Jump => ServoState::Jump,
            tempora_clock::ServoState::Locked => ServoState::Locked,
        }
    }
}

/// An NTP source's state (`tempora_ntp::client::source::SourceState`):
/// `active`, or `demobilized` by a DENY or RSTR kiss (RFC 5905 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NtpSourceState {
    /// Polling.
    Active,
    /// Never polled again.
    Demobilized,
    /// Taken offline (`tempora ctl offline`): not polled until online.
    Offline,
}

impl NtpSourceState {
    /// Its name in the status.
    pub fn name(self) -> &'static str {
        match self {
            NtpSourceState::Active => "active",
            NtpSourceState::Demobilized => "demobilized",
            NtpSourceState::Offline => "offline",
        }
    }
}

impl From<tempora_ntp::client::source::SourceState> for NtpSourceState {
    fn from(s: tempora_ntp::client::source::SourceState) -> Self {
        use tempora_ntp::client::source::SourceState;
        match s {
            SourceState::Active => NtpSourceState::Active,
            SourceState::Demobilized => NtpSourceState::Demobilized,
            SourceState::Offline => NtpSourceState::Offline,
        }
    }
}

/// The states print and compare as their names in the status.
macro_rules! named {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.name())
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.name() == *other
            }
        }
    )*};
}
named!(PortState, ServoState, NtpSourceState);

/// One port's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortStatus {
    /// portNumber.
    pub number: u16,
    /// The network interface.
    pub interface: String,
    /// udp4, udp6 or l2.
    pub transport: String,
    /// The port state (linuxptp's names: MASTER, SLAVE, ...).
    pub state: PortState,
    /// Messages received, by type name.
    pub rx: Vec<(String, u64)>,
    /// Messages sent, by type name.
    pub tx: Vec<(String, u64)>,
    /// Messages dropped (malformed, other domain, ...).
    pub rx_errors: u64,
    /// Of those, messages that failed authentication (a port with an
    /// `spp`: no or a bad AUTHENTICATION TLV, or a replay).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rx_auth_failures: u64,
    /// Transparent clock: event messages forwarded out of this port with a
    /// measured residence time.
    pub residence_count: u64,
    /// Their mean residence time, if any.
    pub residence_mean_ns: Option<f64>,
    /// Their longest residence time, if any.
    pub residence_max_ns: Option<f64>,
}

/// The NTS-KE server's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtsKeStatus {
    /// Key exchanges completed.
    pub completed: u64,
    /// Connections that failed (TLS, timeout, bad request).
    pub failed: u64,
    /// Connections refused at `max-connections` (or the per-address
    /// bound) with no idle connection to close.
    pub refused: u64,
    /// Connections refused by the per-address rate limit.
    #[serde(default)]
    pub rate_limited: u64,
    /// Idle connections closed early to make room for a newcomer.
    #[serde(default)]
    pub evicted: u64,
}

/// One source as `tempora status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NtpSourceStatus {
    /// The configured name.
    pub name: String,
    /// The address polled.
    pub address: String,
    /// `active` or `demobilized`.
    pub state: NtpSourceState,
    /// Reachability register (377 octal: the last eight answered).
    pub reach: u8,
    /// Poll interval, log2 s.
    pub poll: i8,
    /// Filtered offset (server − us), ns.
    pub offset_ns: Option<f64>,
    /// Filtered delay, ns.
    pub delay_ns: Option<f64>,
    /// Jitter, ns.
    pub jitter_ns: Option<f64>,
    /// The server's stratum in its last reply.
    pub stratum: Option<u8>,
    /// Survived the last selection.
    pub selected: bool,
    /// The system peer.
    pub system_peer: bool,
    /// Its state in the last selection (see [`SourceStatus::selection`]).
    #[serde(default)]
    pub selection: String,
    /// Samples from interleaved replies (RFC 9769).
    #[serde(default)]
    pub interleaved_samples: u64,
    /// NTS, for a source with `nts = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nts: Option<NtsStatus>,
    /// Symmetric-key authentication, for a source with `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyStatus>,
    /// The NTP version in use with the source: 4, or 5 (NTPv5 draft).
    #[serde(default = "ntpv4")]
    pub ntp_version: u8,
    /// Its `version` setting: `4`, `5` or `auto`.
    #[serde(default)]
    pub version_setting: String,
    /// The NTPv5 draft spoken (`draft-ietf-ntp-ntpv5-08`), with version 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// A timing loop: the server's reference ids (its NTPv5 Bloom filter)
    /// include ours, so it is never selected (`selection` says
    /// `timing-loop`).
    #[serde(default)]
    pub timing_loop: bool,
}

fn ntpv4() -> u8 {
    4
}

/// A source of any kind (PTP port, NTP server, ...) as the system process
/// sees it: what the selection made of it and its options
/// (docs/sources.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    /// `ptp:port1` (the port's number) or `ntp:ADDRESS`.
    pub name: String,
    /// `ptp`, `ntp`, `csptp`, `refclock`.
    pub kind: String,
    /// Its state in the last selection: `selected` (the system peer),
    /// `candidate`, `outlier`, `falseticker`, `noselect`, `unselected`
    /// (no majority, or no `require` source survived), `unusable`.
    pub selection: String,
    /// Its last offset θ (source − us), with its `offset`/asymmetry, ns.
    pub offset_ns: Option<f64>,
    /// Its round-trip delay, ns.
    pub delay_ns: Option<f64>,
    /// The clock's frequency error as its own samples (the last 16) see
    /// it, ppb with the sign of the servo's adjustment (chrony's
    /// `sourcestats` Freq); absent until they tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_ppb: Option<f64>,
    /// The standard error of `frequency_ppb`, ppb (`sourcestats`' Freq
    /// Skew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_sigma_ppb: Option<f64>,
    /// Its own samples found falsetickers in a row.
    pub falseticker_run: u32,
    /// Measurements ignored for a delay beyond `max-delay`.
    pub delay_rejected: u64,
    /// Its options.
    pub options: SourceOptionsStatus,
}

/// A source's options, as configured.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceOptionsStatus {
    /// `prefer`.
    pub prefer: bool,
    /// `noselect`.
    pub noselect: bool,
    /// `trust`.
    pub trust: bool,
    /// `require`.
    pub require: bool,
    /// `offset`, ns.
    pub offset_ns: f64,
    /// `asymmetry` (a port's is applied by the PTP engine: zero here), ns.
    pub asymmetry_ns: f64,
    /// `max-delay`, ns.
    pub max_delay_ns: Option<f64>,
}

/// The symmetric-key authentication of a source (RFC 8573), as `tempora
/// status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStatus {
    /// The key's identifier.
    pub id: u32,
    /// Replies whose MAC verified.
    pub authentic: u64,
    /// Replies rejected: no MAC, another key, a MAC that does not verify.
    pub rejected: u64,
    /// Crypto-NAKs received (the server refused our MAC).
    pub crypto_naks: u64,
}

/// The NTS state of a source, as `tempora status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtsStatus {
    /// Cookies in the stash.
    pub cookies: usize,
    /// Key establishments completed.
    pub key_exchanges: u64,
    /// Replies refused (tampered, forged, replayed or unprotected).
    pub rejected: u64,
    /// NTS NAKs received.
    pub naks: u64,
}

/// Counters of the NTP server (status and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtpServerCounters {
    /// Datagrams received.
    pub received: u64,
    /// Replies sent.
    pub replied: u64,
    /// Datagrams not answered (malformed, not a request, bad version).
    pub ignored: u64,
    /// Replies the socket refused to send.
    pub send_errors: u64,
    /// Requests refused by the access lists.
    #[serde(default)]
    pub denied: u64,
    /// Requests over a client's rate.
    #[serde(default)]
    pub rate_limited: u64,
    /// Kiss-o'-death replies sent (DENY, RATE).
    #[serde(default)]
    pub kisses: u64,
    /// Interleaved replies (RFC 9769) sent.
    #[serde(default)]
    pub interleaved: u64,
    /// NTS-protected replies sent (RFC 8915 §5.7).
    #[serde(default)]
    pub nts_replies: u64,
    /// NTS NAKs sent (cookies that did not open: unknown or expired master
    /// key, or forged; requests that did not authenticate).
    #[serde(default)]
    pub nts_naks: u64,
    /// NTS requests dropped (malformed, placeholders not as long as the
    /// cookie, nonce too short), and plain requests refused under
    /// `require-nts`.
    #[serde(default)]
    pub nts_rejected: u64,
    /// Replies signed with a symmetric key (RFC 8573).
    #[serde(default)]
    pub keyed_replies: u64,
    /// Requests with a MAC of an unknown key, or one that does not
    /// verify: dropped.
    #[serde(default)]
    pub key_rejected: u64,
    /// NTPv5 replies sent (draft-ietf-ntp-ntpv5).
    #[serde(default)]
    pub v5_replied: u64,
    /// NTPv4 replies that answered the NTPv5 upgrade signal.
    #[serde(default)]
    pub upgrade_replied: u64,
}

impl NtpServerCounters {
    /// Adds `other` to these counters (the worker loops' sum).
    pub fn add(&mut self, other: &NtpServerCounters) {
        self.received += other.received;
        self.replied += other.replied;
        self.ignored += other.ignored;
        self.send_errors += other.send_errors;
        self.denied += other.denied;
        self.rate_limited += other.rate_limited;
        self.kisses += other.kisses;
        self.interleaved += other.interleaved;
        self.nts_replies += other.nts_replies;
        self.nts_naks += other.nts_naks;
        self.nts_rejected += other.nts_rejected;
        self.keyed_replies += other.keyed_replies;
        self.key_rejected += other.key_rejected;
        self.v5_replied += other.v5_replied;
        self.upgrade_replied += other.upgrade_replied;
    }
}

/// The whole status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// clockIdentity.
    pub identity: String,
    /// The ports.
    pub ports: Vec<PortStatus>,
    /// parentPortIdentity.
    pub parent: String,
    /// grandmasterIdentity.
    pub grandmaster: String,
    /// stepsRemoved.
    pub steps_removed: u16,
    /// offsetFromMaster, ns.
    pub offset_from_master_ns: f64,
    /// meanPathDelay, ns.
    pub mean_path_delay_ns: f64,
    /// The servo's state: unlocked, jump, locked.
    pub servo_state: ServoState,
    /// The servo's frequency adjustment, ppb.
    pub frequency_ppb: f64,
    /// system, virtual or the PHC's path.
    pub clock: String,
    /// For the virtual clock: the virtual clock minus CLOCK_REALTIME, in UTC, ns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_vs_system_ns: Option<f64>,
    /// With `sync-system-clock`: the system clock minus its target (the
    /// PHC's time in UTC) at the last comparison, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_clock_offset_ns: Option<f64>,
    /// With `sync-system-clock`: the system clock's frequency adjustment, ppb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_clock_frequency_ppb: Option<f64>,
    /// The NTP sources, when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ntp_sources: Vec<NtpSourceStatus>,
    /// Every source of the system process (PTP ports and NTP sources),
    /// when it runs (with NTP sources).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceStatus>,
    /// The selected source's name (the system peer), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_source: Option<String>,
    /// Clock steps made (by PTP's servo or the system process).
    #[serde(default)]
    pub steps: u64,
    /// The NTP server's counters, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntp_server: Option<NtpServerCounters>,
    /// The NTS-KE server's counters, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nts_ke: Option<NtsKeStatus>,
    /// The CSPTP sources, when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub csptp_sources: Vec<CsptpSourceStatus>,
    /// The CSPTP client's counters of what no source claimed, with sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csptp_client: Option<CsptpClientCounters>,
    /// The CSPTP server's counters, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csptp_server: Option<CsptpServerCounters>,
    /// The Roughtime server's counters, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roughtime_server: Option<crate::roughtime_status::RoughtimeServerCounters>,
    /// What the `[[roughtime-source]]`s said at start-up, when there are
    /// any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roughtime: Option<crate::roughtime_status::RoughtimeStartup>,
    /// Holdover and what is served from a reference clock (the daemon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdover: Option<crate::served_status::HoldoverReport>,
    /// The leap second list (the daemon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leap_seconds: Option<crate::served_status::LeapStatusReport>,
    /// The reference clocks, when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refclocks: Vec<RefclockStatus>,
    /// Offset measurements taken.
    pub measurements: u64,
    /// Seconds since the daemon started.
    pub uptime_s: f64,
    /// The master sanity gate and the UTC offset gate.
    #[serde(default)]
    pub master_sanity: MasterSanityStatus,
    /// The system peer's tracking report (`tempora tracking`), with a
    /// selection of sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<TrackingStatus>,
    /// The control requests' counters (`tempora ctl`).
    #[serde(default)]
    pub control: ControlCounters,
}

const TYPE_NAMES: [(usize, &str); 10] = [
    (0x0, "sync"),
    (0x1, "delay_req"),
    (0x2, "pdelay_req"),
    (0x3, "pdelay_resp"),
    (0x8, "follow_up"),
    (0x9, "delay_resp"),
    (0xa, "pdelay_resp_follow_up"),
    (0xb, "announce"),
    (0xc, "signaling"),
    (0xd, "management"),
];

/// The per-port part of the status from the engine; `ports` gives each
/// port's interface and transport.
pub fn port_statuses(engine: &PtpInstance, ports: &[(String, String)]) -> Vec<PortStatus> {
    (0..engine.port_count())
        .map(|i| {
            let ds = engine.port_ds(i);
            let counters = engine.port_counters(i).copied().unwrap_or_default();
            let named = |v: &[u64; 16]| {
                TYPE_NAMES
                    .iter()
                    .map(|(t, n)| (n.to_string(), v[*t]))
                    .collect()
            };
            PortStatus {
                number: ds.map(|d| d.port_identity.port_number).unwrap_or(0),
                interface: ports.get(i).map(|p| p.0.clone()).unwrap_or_default(),
                transport: ports.get(i).map(|p| p.1.clone()).unwrap_or_default(),
                state: ds.map_or(PortState::Faulty, |d| d.port_state.into()),
                rx: named(&counters.rx),
                tx: named(&counters.tx),
                rx_errors: counters.rx_errors,
                rx_auth_failures: counters.rx_auth_failures,
                residence_count: counters.residence_count,
                residence_mean_ns: (counters.residence_count > 0).then(|| {
                    counters.residence_total.as_nanos_f64() / counters.residence_count as f64
                }),
                residence_max_ns: (counters.residence_count > 0)
                    .then(|| counters.residence_max.as_nanos_f64()),
            }
        })
        .collect()
}

/// For serde: a zero counter is left out (older readers never saw it).
fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A status with every part, for the tests of its renderings.
    pub(crate) fn sample() -> Status {
        Status {
            identity: "020000.fffe.000001".into(),
            ports: vec![PortStatus {
                number: 1,
                interface: "veth0".into(),
                transport: "udp4".into(),
                state: PortState::Slave,
                rx: vec![("sync".into(), 10), ("announce".into(), 5)],
                tx: vec![("delay_req".into(), 9)],
                rx_errors: 1,
                rx_auth_failures: 0,
                residence_count: 4,
                residence_mean_ns: Some(25_000.0),
                residence_max_ns: Some(40_000.0),
            }],
            parent: "2ef8ca.fffe.92c843-1".into(),
            grandmaster: "2ef8ca.fffe.92c843".into(),
            steps_removed: 1,
            offset_from_master_ns: -120.0,
            mean_path_delay_ns: 2100.0,
            servo_state: ServoState::Locked,
            frequency_ppb: -12345.5,
            clock: "virtual".into(),
            error_vs_system_ns: Some(-35.0),
            system_clock_offset_ns: None,
            system_clock_frequency_ppb: None,
            ntp_sources: Vec::new(),
            sources: Vec::new(),
            selected_source: None,
            steps: 1,
            ntp_server: Some(NtpServerCounters {
                received: 10,
                replied: 8,
                ignored: 2,
                send_errors: 0,
                ..Default::default()
            }),
            nts_ke: None,
            csptp_sources: vec![CsptpSourceStatus {
                name: "a".into(),
                address: "10.0.0.1:319".into(),
                timestamping: "software".into(),
                reach: 255,
                poll: 0,
                offline: false,
                offset_ns: Some(1500.0),
                delay_ns: None,
                jitter_ns: None,
                last_offset_ns: None,
                last_sequence: Some(9),
                selected: true,
                system_peer: true,
                requests: 10,
                samples: 9,
                timeouts: 1,
                dropped: [("replayed".to_string(), 2)].into(),
                data_set: None,
            }],
            csptp_client: Some(CsptpClientCounters {
                unknown_server: 3,
                ..Default::default()
            }),
            csptp_server: Some(CsptpServerCounters {
                requests: 7,
                replies: 6,
                follow_ups: 6,
                dropped: [("truncated_tlv".to_string(), 1)].into(),
                ..Default::default()
            }),
            roughtime_server: Some(crate::roughtime_status::RoughtimeServerCounters {
                requests: 9,
                replies: 8,
                batches: 2,
                dropped: [("undersized".to_string(), 1)].into(),
                ..Default::default()
            }),
            roughtime: Some(crate::roughtime_status::RoughtimeStartup {
                sources: vec![crate::roughtime_status::RoughtimeSourceStatus {
                    name: "rt.example:2002".into(),
                    address: Some("192.0.2.9:2002".into()),
                    version: "rfc".into(),
                    verified: true,
                    midpoint_s: Some(1_780_000_000.0),
                    radius_s: Some(1.0),
                    rtt_s: Some(0.02),
                    offset_s: Some(-3600.0),
                    error: None,
                }],
                agreeing: 1,
                consensus_offset_s: Some(-3600.0),
                stepped_s: None,
                outcome: "too few servers agree (1 of 2)".into(),
                malfeasance: None,
            }),
            holdover: Some(crate::served_status::HoldoverReport {
                state: "holdover".into(),
                reference: Some("pps".into()),
                holdover_s: 120.0,
                estimated_error_ns: Some(350.0),
                budget_ns: 1000.0,
                clock_class: Some(7),
                stratum: Some(1),
                hold_frequency_ppb: Some(-1500.0),
            }),
            leap_seconds: Some(crate::served_status::LeapStatusReport {
                path: "/usr/share/zoneinfo/leap-seconds.list".into(),
                loaded: true,
                problem: None,
                expires: Some(1_782_604_800),
                expired: false,
                tai_minus_utc: Some(37),
                pending: "none".into(),
                clock_armed: Some("none".into()),
                clock_tai_offset: Some(37),
            }),
            refclocks: vec![RefclockStatus {
                name: "GPS".into(),
                driver: "gpsd".into(),
                from: "127.0.0.1:2947".into(),
                poll: 4,
                samples: 10,
                polls_empty: 1,
                last_offset_ns: Some(-1500.0),
                unusable: Some("no fix (mode 1)".into()),
                problems: [("no_fix".to_string(), 3)].into(),
                ..Default::default()
            }],
            measurements: 42,
            uptime_s: 61.0,
            master_sanity: MasterSanityStatus::default(),
            tracking: None,
            control: ControlCounters::default(),
        }
    }

    #[test]
    fn json_carries_every_field() {
        let v: serde_json::Value = serde_json::to_value(sample()).unwrap();
        for key in [
            "identity",
            "ports",
            "parent",
            "grandmaster",
            "steps_removed",
            "offset_from_master_ns",
            "mean_path_delay_ns",
            "servo_state",
            "frequency_ppb",
            "clock",
            "error_vs_system_ns",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["ports"][0]["state"], "SLAVE");
    }

    #[test]
    fn states_serialise_as_their_names() {
        use tempora_ptp::datasets::PortState as Core;
        for core in [
            Core::Initializing,
            Core::Faulty,
            Core::Disabled,
            Core::Listening,
            Core::PreMaster,
            Core::Master,
            Core::Passive,
            Core::Uncalibrated,
            Core::Slave,
        ] {
            let state = PortState::from(core);
            assert_eq!(serde_json::to_value(state).unwrap(), core.name());
            assert_eq!(state.to_string(), core.name());
            let back: PortState = serde_json::from_value(core.name().into()).unwrap();
            assert_eq!(back, state);
        }
        for (state, name) in [
            (ServoState::Unlocked, "unlocked"),
            (ServoState::Jump, "jump"),
            (ServoState::Locked, "locked"),
        ] {
            assert_eq!(serde_json::to_value(state).unwrap(), name);
            assert_eq!(state, name);
        }
        for (state, name) in [
            (NtpSourceState::Active, "active"),
            (NtpSourceState::Demobilized, "demobilized"),
            (NtpSourceState::Offline, "offline"),
        ] {
            assert_eq!(serde_json::to_value(state).unwrap(), name);
            assert_eq!(state.to_string(), name);
        }
        assert!(serde_json::from_value::<ServoState>("Locked".into()).is_err());
    }
}
