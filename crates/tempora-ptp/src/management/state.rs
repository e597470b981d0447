//! What a PTP instance knows, as the management responder reads it: borrowed
//! data sets (IEEE 1588-2019 §8.2) plus the descriptive and diagnostic values
//! that live outside the data sets (§15.5.3.1.2 CLOCK_DESCRIPTION, linuxptp's
//! `_NP` extensions).

use tempora_clock::{Duration, Time};

use crate::datasets::{CurrentDs, DefaultDs, ParentDs, PortDs, TimePropertiesDs};
use crate::wire::tlv::management::PortAddress;

/// A snapshot of one PTP instance for [`handle`](super::handle): references
/// to its data sets and to the values management reports besides them.
///
/// Nothing here is modified: SET and COMMAND requests come back as
/// [`Change`](super::Change)s for the engine to apply.
#[derive(Debug, Clone, Copy)]
pub struct ManagementState<'a> {
    /// `defaultDS` (§8.2.1).
    pub default_ds: &'a DefaultDs,
    /// `currentDS` (§8.2.2).
    pub current_ds: &'a CurrentDs,
    /// `parentDS` (§8.2.3).
    pub parent_ds: &'a ParentDs,
    /// `timePropertiesDS` (§8.2.4).
    pub time_properties_ds: &'a TimePropertiesDs,
    /// The `portDS` of every PTP port (§8.2.15), in any order; a port is
    /// found by its `portIdentity.portNumber`.
    pub ports: &'a [PortDs],
    /// Per-port information outside `portDS`, at the same index as the port
    /// in [`ManagementState::ports`]. A missing entry reads as
    /// [`PortInfo::EMPTY`].
    pub port_info: &'a [PortInfo<'a>],
    /// Clock-wide description (CLOCK_DESCRIPTION, USER_DESCRIPTION).
    pub clock_info: &'a ClockInfo<'a>,
    /// The inputs of linuxptp's TIME_STATUS_NP.
    pub time_status: &'a TimeStatus,
    /// Ranges that SET requests are checked against.
    pub limits: SetLimits,
    /// Whether SET and COMMAND requests are accepted. With `false` every SET
    /// and COMMAND is refused with NOT_SUPPORTED (§15.5.4.3), once, from the
    /// receiving port, which is what `ptp4l` does on its network ports (it
    /// accepts them only on its local Unix socket).
    pub accept_set_and_command: bool,
}

/// Clock-wide descriptive values (IEEE 1588-2019 §15.5.3.1.2,
/// §15.5.3.1.3), all as octets the way they go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockInfo<'a> {
    /// `manufacturerIdentity`: an OUI (§15.5.3.1.2.5).
    pub manufacturer_identity: [u8; 3],
    /// `productDescription` (§15.5.3.1.2.6): by convention
    /// `manufacturer;model;serial number`. At most 64 octets in the standard;
    /// longer texts that still fit a `PTPText` are sent as they are.
    pub product_description: &'a [u8],
    /// `revisionData` (§15.5.3.1.2.7): `hardware;firmware;software`.
    pub revision_data: &'a [u8],
    /// `userDescription` (§15.5.3.1.3): at most 128 octets.
    pub user_description: &'a [u8],
    /// `profileIdentity` (§15.5.3.1.2.8), e.g. `00-1B-19-00-01-00` for the
    /// delay request-response default profile (Annex I.3).
    pub profile_identity: [u8; 6],
}

/// Per-port values that are not in `portDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortInfo<'a> {
    /// `physicalLayerProtocol` (§15.5.3.1.2.2), e.g. `IEEE 802.3`.
    pub physical_layer_protocol: &'a [u8],
    /// `physicalAddress` (§15.5.3.1.2.3), e.g. the port's MAC address.
    pub physical_address: &'a [u8],
    /// `protocolAddress` (§15.5.3.1.2.4): network protocol (§7.4.1: 1
    /// UDP/IPv4, 2 UDP/IPv6, 3 IEEE 802.3) and address octets.
    pub protocol_address: PortAddress<'a>,
    /// Time stamping of the port as linuxptp's PORT_PROPERTIES_NP reports it
    /// (`enum timestamp_type`: 0 software, 1 hardware, 2 legacy hardware,
    /// 3 one-step, 4 P2P one-step).
    pub timestamping: u8,
    /// The network interface name, for PORT_PROPERTIES_NP.
    pub interface: &'a [u8],
    /// Message counters, for PORT_STATS_NP.
    pub stats: PortStats,
}

impl PortInfo<'_> {
    /// A port with empty descriptions and zero counters.
    pub const EMPTY: PortInfo<'static> = PortInfo {
        physical_layer_protocol: &[],
        physical_address: &[],
        protocol_address: PortAddress {
            network_protocol: 0,
            address: &[],
        },
        timestamping: 0,
        interface: &[],
        stats: PortStats::ZERO,
    };
}

impl Default for PortInfo<'_> {
    fn default() -> Self {
        PortInfo::EMPTY
    }
}

/// Messages received and sent by one port, indexed by `messageType`
/// (IEEE 1588-2019 §13.3.2.2: 0 Sync … 0xD Management), as linuxptp's
/// PORT_STATS_NP reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortStats {
    /// Received messages per `messageType`.
    pub rx: [u64; 16],
    /// Sent messages per `messageType`.
    pub tx: [u64; 16],
}

impl PortStats {
    /// All counters zero.
    pub const ZERO: PortStats = PortStats {
        rx: [0; 16],
        tx: [0; 16],
    };
}

/// The inputs of linuxptp's TIME_STATUS_NP (`struct time_status_np`): the
/// servo's view of its time source. The grandmaster identity is taken from
/// `parentDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeStatus {
    /// Offset from the master, as the servo last measured it.
    pub master_offset: Duration,
    /// Receive time of the last Sync message (the epoch when there was none).
    pub ingress_time: Time,
    /// `cumulativeScaledRateOffset`: (rate ratio to the grandmaster − 1) ×
    /// 2^41, as in IEEE 802.1AS Follow_Up information.
    pub cumulative_scaled_rate_offset: i32,
    /// `scaledLastGmPhaseChange` (IEEE 802.1AS).
    pub scaled_last_gm_phase_change: i32,
    /// `gmTimeBaseIndicator` (IEEE 802.1AS).
    pub gm_time_base_indicator: u16,
    /// `lastGmPhaseChange` in 2^-16 ns (a 96-bit `ScaledNs`).
    pub last_gm_phase_change: i128,
    /// Whether a grandmaster other than this instance is present (`ptp4l`
    /// reports it as "the grandmaster is not this clock").
    pub gm_present: bool,
}

/// The ranges SET requests are checked against; values outside are refused
/// with WRONG_VALUE (IEEE 1588-2019 §15.5.4.3). Each pair is `(min, max)`,
/// both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SetLimits {
    /// DOMAIN (§15.5.3.3.4).
    pub domain_number: (u8, u8),
    /// LOG_ANNOUNCE_INTERVAL (§15.5.3.7.2).
    pub log_announce_interval: (i8, i8),
    /// ANNOUNCE_RECEIPT_TIMEOUT (§15.5.3.7.3); §7.7.3.1 requires at least 2.
    pub announce_receipt_timeout: (u8, u8),
    /// LOG_SYNC_INTERVAL (§15.5.3.7.4).
    pub log_sync_interval: (i8, i8),
    /// LOG_MIN_PDELAY_REQ_INTERVAL (§15.5.3.7.6).
    pub log_min_pdelay_req_interval: (i8, i8),
}

impl SetLimits {
    /// The ranges of the default PTP profiles (IEEE 1588-2019 Annex I.3,
    /// I.4): domain 0–127, logAnnounceInterval 0–4, announceReceiptTimeout
    /// 2–10, logSyncInterval −1–+1, logMinPdelayReqInterval 0–5.
    pub const DEFAULT_PROFILES: SetLimits = SetLimits {
        domain_number: (0, 127),
        log_announce_interval: (0, 4),
        announce_receipt_timeout: (2, 10),
        log_sync_interval: (-1, 1),
        log_min_pdelay_req_interval: (0, 5),
    };
}

impl Default for SetLimits {
    /// [`SetLimits::DEFAULT_PROFILES`].
    fn default() -> Self {
        SetLimits::DEFAULT_PROFILES
    }
}
