//! PTP profiles as data (IEEE 1588-2019 §20.3): each preset is a named
//! [`Profile`] holding the attribute values and options a profile fixes,
//! so that the rest of the stack reads its settings instead of hard-coding
//! one profile.
//!
//! The presets and their sources:
//!
//! | name | standard |
//! |---|---|
//! | `default` | IEEE 1588-2019 Annex I.3, delay request-response default profile |
//! | `default-p2p` | IEEE 1588-2019 Annex I.4, peer-to-peer default profile |
//! | `gptp` | IEEE 802.1AS-2020 (gPTP, the profile of Annex F) |
//! | `automotive-master` | AVnu Automotive Profile (gPTP with static roles), grandmaster side |
//! | `automotive-slave` | AVnu Automotive Profile (gPTP with static roles), slave side |
//! | `g8275.1` | ITU-T G.8275.1 telecom profile, full timing support (Annex A) |
//! | `g8275.2` | ITU-T G.8275.2 telecom profile, partial timing support (Annex A) |
//!
//! Where a standard leaves a choice open (a range of rates, one of two
//! destination addresses), the presets follow linuxptp's example
//! configuration for the profile; `tests/profiles_vs_linuxptp.rs` checks
//! every preset against those files. [`by_name`] finds a preset by its name
//! or an alias, ignoring ASCII case and the separators `.`, `-`, `_` and
//! space.

use tempora_clock::Duration;

use crate::datasets::{DefaultDs, DelayMechanism, PortDs};
use crate::interval::LogInterval;
use crate::wire::framing::{MAC_PDELAY, MAC_PRIMARY};
use crate::wire::{ClockIdentity, MessageType, PortIdentity};

/// How a profile carries PTP messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP over IPv4 (IEEE 1588-2019 Annex C).
    UdpIpv4,
    /// UDP over IPv6 (IEEE 1588-2019 Annex D).
    UdpIpv6,
    /// IEEE 802.3 Ethernet, EtherType 0x88F7 (IEEE 1588-2019 Annex E).
    Ethernet,
}

/// Which best master clock algorithm a profile runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bmca {
    /// The default BMCA and data set comparison (IEEE 1588-2019 §9.3); also
    /// the BMCA of IEEE 802.1AS-2020 §10.3, which orders the same
    /// attributes.
    Default,
    /// The alternate BMCA of ITU-T G.8275.1 §6.3: no priority1, per-port
    /// `localPriority` and `masterOnly`, several grandmasters at once.
    G8275_1Alternate,
    /// The alternate BMCA of ITU-T G.8275.2 (clause 6), the G.8275.1
    /// algorithm applied to unicast-negotiated masters.
    G8275_2Alternate,
    /// No BMCA: every port has a configured, fixed role (IEEE 1588-2019
    /// §17.6 external port configuration; the AVnu Automotive Profile). The
    /// role is [`Profile::static_role`].
    Static,
}

/// The fixed role of an instance whose profile uses [`Bmca::Static`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaticRole {
    /// Always the master (grandmaster) of its links.
    Master,
    /// Always a slave.
    Slave,
}

/// How a profile treats the gPTP per-port `asCapable` variable
/// (IEEE 802.1AS-2020 §11.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsCapable {
    /// The profile has no `asCapable`: every port takes part.
    NotUsed,
    /// Required and computed from the peer delay exchange: a port takes part
    /// only once the neighbour answers Pdelay_Req, is one PTP instance, and
    /// its link delay is under [`Profile::neighbor_prop_delay_thresh`].
    Computed,
    /// Fixed to TRUE by configuration (AVnu Automotive Profile): ports take
    /// part from start-up whatever the peer delay exchange says.
    Always,
}

/// An inclusive range of PTP domain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DomainRange {
    /// The lowest allowed domain number.
    pub min: u8,
    /// The highest allowed domain number.
    pub max: u8,
}

impl DomainRange {
    /// Whether `domain` is in the range.
    pub const fn contains(&self, domain: u8) -> bool {
        self.min <= domain && domain <= self.max
    }
}

/// The duration a unicast-negotiating port asks for in
/// REQUEST_UNICAST_TRANSMISSION TLVs (`durationField`, IEEE 1588-2019
/// §16.1.4.1), with the range a profile allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnicastGrant {
    /// The default requested grant duration.
    pub duration: Duration,
    /// The shortest duration the profile allows.
    pub min: Duration,
    /// The longest duration the profile allows.
    pub max: Duration,
}

/// `clockClass` of a slave-only clock (IEEE 1588-2019 §7.6.2.5, Table 4;
/// ITU-T G.8275.1 and G.8275.2 T-TSC).
pub const SLAVE_ONLY_CLOCK_CLASS: u8 = 255;

/// `clockClass` of a clock without a time reference, the default of every
/// preset that can become grandmaster (IEEE 1588-2019 §7.6.2.5, Table 4).
pub const DEFAULT_CLOCK_CLASS: u8 = 248;

/// A PTP profile: the attribute defaults and options one standard fixes.
///
/// Log intervals are log2 seconds, as in `logMessageInterval`
/// (IEEE 1588-2019 §7.7.2.1); timeouts count intervals, as in
/// `announceReceiptTimeout` (§8.2.15.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    /// The preset's name, e.g. `"g8275.1"`.
    pub name: &'static str,
    /// Other names [`by_name`] accepts.
    pub aliases: &'static [&'static str],
    /// The standard (and clause) the preset implements.
    pub standard: &'static str,
    /// `profileIdentifier` (IEEE 1588-2019 §20.3.3): OUI, profile number,
    /// version, revision.
    pub profile_identifier: [u8; 6],
    /// Default `domainNumber` (§8.2.1.4.3).
    pub domain_number: u8,
    /// The domain numbers the profile allows.
    pub domain_range: DomainRange,
    /// `majorSdoId` (§7.1.4, §8.2.1.4.5), formerly `transportSpecific`:
    /// 1 for gPTP, 0 otherwise.
    pub major_sdo_id: u8,
    /// `minorSdoId` (§7.1.4, §8.2.1.4.5).
    pub minor_sdo_id: u8,
    /// The default transport.
    pub transport: Transport,
    /// `delayMechanism` (§8.2.15.4.4).
    pub delay_mechanism: DelayMechanism,
    /// Ethernet destination of every message but the peer delay ones.
    pub ethernet_primary_mac: [u8; 6],
    /// Ethernet destination of Pdelay_Req, Pdelay_Resp and
    /// Pdelay_Resp_Follow_Up.
    pub ethernet_pdelay_mac: [u8; 6],
    /// Another destination the profile also permits in place of
    /// [`Profile::ethernet_primary_mac`], if any.
    pub ethernet_alternate_mac: Option<[u8; 6]>,
    /// Default `logAnnounceInterval` (§8.2.15.4.1).
    pub log_announce_interval: LogInterval,
    /// Default `logSyncInterval` (§8.2.15.4.3); for gPTP the initial value.
    pub log_sync_interval: LogInterval,
    /// Default `logMinDelayReqInterval` (§8.2.15.3.2).
    pub log_min_delay_req_interval: LogInterval,
    /// Default `logMinPdelayReqInterval` (§8.2.15.4.5); for gPTP the initial
    /// `logPdelayReqInterval`.
    pub log_min_pdelay_req_interval: LogInterval,
    /// The Sync interval a slave asks its master for once synchronized, in a
    /// gPTP message interval request TLV (IEEE 802.1AS-2020 §10.6.4.3), if
    /// the profile switches to an operational rate.
    pub oper_log_sync_interval: Option<i8>,
    /// The peer delay interval a port asks its neighbour for once
    /// synchronized, if the profile switches to an operational rate.
    pub oper_log_pdelay_req_interval: Option<i8>,
    /// `announceReceiptTimeout` (§8.2.15.4.2).
    pub announce_receipt_timeout: u8,
    /// `syncReceiptTimeout` (IEEE 802.1AS-2020 §10.7.3.1), for profiles that
    /// have one.
    pub sync_receipt_timeout: Option<u8>,
    /// Default `priority1` (§8.2.1.4.1).
    pub priority1: u8,
    /// Default `priority2` (§8.2.1.4.2).
    pub priority2: u8,
    /// Default `clockClass` (§8.2.1.3.1.2): [`DEFAULT_CLOCK_CLASS`], or
    /// [`SLAVE_ONLY_CLOCK_CLASS`] for a slave-only preset.
    pub clock_class: u8,
    /// `twoStepFlag` (§8.2.1.2.1): the instance sends Follow_Up messages.
    pub two_step: bool,
    /// `slaveOnly` (§8.2.1.4.4).
    pub slave_only: bool,
    /// `masterOnly` (§8.2.15.5.2; ITU-T G.8275.1 §6.3.1 per-port
    /// `masterOnly`, default FALSE).
    pub master_only: bool,
    /// Whether messages are unicast (IEEE 1588-2019 §16.1) rather than
    /// multicast.
    pub unicast: bool,
    /// For unicast profiles, the unicast negotiation grant durations.
    pub unicast_grant: Option<UnicastGrant>,
    /// The BMCA the profile runs.
    pub bmca: Bmca,
    /// The fixed role, with [`Bmca::Static`].
    pub static_role: Option<StaticRole>,
    /// Whether the instance sends Announce messages (the AVnu Automotive
    /// Profile sends none: roles are static).
    pub sends_announce: bool,
    /// Whether the instance sends Delay_Req or Pdelay_Req messages (the
    /// automotive grandmaster sends none).
    pub sends_delay_requests: bool,
    /// Default `localPriority` of the alternate BMCA (ITU-T G.8275.1 §6.3.2,
    /// `defaultDS.localPriority` and `portDS.localPriority`), for the
    /// profiles that have it.
    pub local_priority: Option<u8>,
    /// `maxStepsRemoved` (IEEE 1588-2019 §8.2.1.4.8; ITU-T G.8275.1 §6.3.1).
    pub max_steps_removed: u8,
    /// gPTP `neighborPropDelayThresh` (`meanLinkDelayThresh` in IEEE
    /// 802.1AS-2020 clause 11): the largest link delay with which a port is
    /// `asCapable`.
    pub neighbor_prop_delay_thresh: Option<Duration>,
    /// How `asCapable` is handled.
    pub as_capable: AsCapable,
    /// Whether Follow_Up messages carry the Follow_Up information TLV
    /// (IEEE 802.1AS-2020 §11.4.4.3).
    pub follow_up_info: bool,
    /// Whether Announce messages carry the PATH_TRACE TLV and path trace is
    /// checked (IEEE 1588-2019 §16.2; IEEE 802.1AS-2020 §10.6.3.3).
    pub path_trace: bool,
    /// Whether the peer delay mechanism measures `neighborRateRatio`
    /// (IEEE 802.1AS-2020 clause 11, MDPdelayReq state machine,
    /// `computeNeighborRateRatio`).
    pub neighbor_rate_ratio: bool,
}

/// A profile's log2 message interval (§7.7.2); a value out of range
/// stops the build, as the profiles are constants.
const fn log(log2_seconds: i8) -> LogInterval {
    match LogInterval::new(log2_seconds) {
        Some(v) => v,
        None => panic!("log2 interval out of range"),
    }
}

/// The delay request-response default profile (IEEE 1588-2019 Annex I.3).
///
/// Profile identifier 00-1B-19-00-01-00 (§I.3.1); domain 0, user domains up
/// to 127 (§7.1, Table 2); Announce every 2 s, Sync every 1 s, Delay_Req at
/// most every 1 s, announce receipt timeout 3, priorities 128 (§I.3.2). The
/// profile leaves the transport open; UDP over IPv4 is the common choice.
pub const DEFAULT: Profile = Profile {
    name: "default",
    aliases: &[
        "default-e2e",
        "e2e",
        "1588",
        "ieee1588",
        "delay-request-response",
    ],
    standard: "IEEE 1588-2019 Annex I.3 (delay request-response default profile)",
    profile_identifier: [0x00, 0x1b, 0x19, 0x00, 0x01, 0x00],
    domain_number: 0,
    domain_range: DomainRange { min: 0, max: 127 },
    major_sdo_id: 0,
    minor_sdo_id: 0,
    transport: Transport::UdpIpv4,
    delay_mechanism: DelayMechanism::E2e,
    ethernet_primary_mac: MAC_PRIMARY,
    ethernet_pdelay_mac: MAC_PDELAY,
    ethernet_alternate_mac: None,
    log_announce_interval: log(1),
    log_sync_interval: log(0),
    log_min_delay_req_interval: log(0),
    log_min_pdelay_req_interval: log(0),
    oper_log_sync_interval: None,
    oper_log_pdelay_req_interval: None,
    announce_receipt_timeout: 3,
    sync_receipt_timeout: None,
    priority1: 128,
    priority2: 128,
    clock_class: DEFAULT_CLOCK_CLASS,
    two_step: true,
    slave_only: false,
    master_only: false,
    unicast: false,
    unicast_grant: None,
    bmca: Bmca::Default,
    static_role: None,
    sends_announce: true,
    sends_delay_requests: true,
    local_priority: None,
    max_steps_removed: 255,
    neighbor_prop_delay_thresh: None,
    as_capable: AsCapable::NotUsed,
    follow_up_info: false,
    path_trace: false,
    neighbor_rate_ratio: false,
};

/// The peer-to-peer default profile (IEEE 1588-2019 Annex I.4): the
/// attribute values of [`DEFAULT`], with the peer delay mechanism and
/// Pdelay_Req at most every 1 s (§I.4.2). Profile identifier
/// 00-1B-19-00-02-00 (§I.4.1).
pub const DEFAULT_P2P: Profile = Profile {
    name: "default-p2p",
    aliases: &["p2p", "peer-to-peer", "1588-p2p", "ieee1588-p2p"],
    standard: "IEEE 1588-2019 Annex I.4 (peer-to-peer default profile)",
    profile_identifier: [0x00, 0x1b, 0x19, 0x00, 0x02, 0x00],
    delay_mechanism: DelayMechanism::P2p,
    ..DEFAULT
};

/// gPTP (IEEE 802.1AS-2020, the PTP profile of Annex F), full-duplex
/// Ethernet links (clause 11).
///
/// Profile identifier 00-80-C2-00-01-00; `majorSdoId` 1 (§8.1); every
/// message to the non-forwardable 01-80-C2-00-00-0E (§11.3.4); peer delay
/// only, two-step; initial Announce interval 1 s (§10.7.2.2), Sync 125 ms
/// (§10.7.2.3), Pdelay_Req 1 s (§11.5.2.2); receipt timeouts 3
/// (§10.7.3.1, §10.7.3.2); priority1 248 for a grandmaster-capable system
/// (§8.6.2.1) and priority2 248 (§8.6.2.5); link delay threshold 800 ns for
/// 100BASE-TX and 1000BASE-T links (clause 11); `asCapable` computed
/// (§11.2.2); Follow_Up information TLV (§11.4.4.3), path trace TLV
/// (§10.6.3.3) and neighbour rate ratio (clause 11) always on.
pub const GPTP: Profile = Profile {
    name: "gptp",
    aliases: &["802.1as", "ieee802.1as", "802.1as-2020"],
    standard: "IEEE 802.1AS-2020 (gPTP, Annex F profile)",
    profile_identifier: [0x00, 0x80, 0xc2, 0x00, 0x01, 0x00],
    domain_number: 0,
    domain_range: DomainRange { min: 0, max: 127 },
    major_sdo_id: 1,
    minor_sdo_id: 0,
    transport: Transport::Ethernet,
    delay_mechanism: DelayMechanism::P2p,
    ethernet_primary_mac: MAC_PDELAY,
    ethernet_pdelay_mac: MAC_PDELAY,
    ethernet_alternate_mac: None,
    log_announce_interval: log(0),
    log_sync_interval: log(-3),
    log_min_delay_req_interval: log(0),
    log_min_pdelay_req_interval: log(0),
    oper_log_sync_interval: None,
    oper_log_pdelay_req_interval: None,
    announce_receipt_timeout: 3,
    sync_receipt_timeout: Some(3),
    priority1: 248,
    priority2: 248,
    clock_class: DEFAULT_CLOCK_CLASS,
    two_step: true,
    slave_only: false,
    master_only: false,
    unicast: false,
    unicast_grant: None,
    bmca: Bmca::Default,
    static_role: None,
    sends_announce: true,
    sends_delay_requests: true,
    local_priority: None,
    max_steps_removed: 255,
    neighbor_prop_delay_thresh: Some(Duration::from_nanos(800)),
    as_capable: AsCapable::Computed,
    follow_up_info: true,
    path_trace: true,
    neighbor_rate_ratio: true,
};

/// The AVnu Automotive Profile, grandmaster side: gPTP with static roles
/// (AVnu Alliance, Automotive Ethernet AVB Functional and Interoperability
/// Specification, gPTP section; linuxptp `automotive-master.cfg`).
///
/// No BMCA and no Announce messages: the port is always master,
/// `asCapable` is TRUE from start-up, and the grandmaster sends no
/// Pdelay_Req. Domain 0 only. Uses gPTP's profile identifier; the AVnu
/// profile defines none of its own.
pub const AUTOMOTIVE_MASTER: Profile = Profile {
    name: "automotive-master",
    aliases: &["avnu-automotive-master", "automotive-server"],
    standard: "AVnu Automotive Profile (gPTP, IEEE 802.1AS, static grandmaster)",
    domain_range: DomainRange { min: 0, max: 0 },
    master_only: true,
    bmca: Bmca::Static,
    static_role: Some(StaticRole::Master),
    sends_announce: false,
    sends_delay_requests: false,
    as_capable: AsCapable::Always,
    ..GPTP
};

/// The AVnu Automotive Profile, slave side (linuxptp
/// `automotive-slave.cfg`): always a slave (clock class 255), no Announce
/// messages, `asCapable` TRUE from start-up. Starts with gPTP's initial
/// intervals and, once synchronized, asks the grandmaster for Sync every 1 s
/// and its neighbour for Pdelay_Req every 4 s with message interval request
/// TLVs (IEEE 802.1AS-2020 §10.6.4.3).
pub const AUTOMOTIVE_SLAVE: Profile = Profile {
    name: "automotive-slave",
    aliases: &["avnu-automotive-slave", "automotive-client"],
    standard: "AVnu Automotive Profile (gPTP, IEEE 802.1AS, static slave)",
    domain_range: DomainRange { min: 0, max: 0 },
    oper_log_sync_interval: Some(0),
    oper_log_pdelay_req_interval: Some(2),
    clock_class: SLAVE_ONLY_CLOCK_CLASS,
    slave_only: true,
    bmca: Bmca::Static,
    static_role: Some(StaticRole::Slave),
    sends_announce: false,
    as_capable: AsCapable::Always,
    ..GPTP
};

/// The ITU-T G.8275.1 telecom profile for phase/time with full timing
/// support from the network (G.8275.1 Annex A).
///
/// Profile identifier 00-19-A7-01-02-03 (version 2.3, the identifier
/// linuxptp reports); Ethernet multicast only, no unicast and no VLAN
/// tags; domain 24 of 24–43; delay request-response only; Announce 8/s,
/// Sync and Delay_Req 16/s; announce receipt timeout 3; priority1 128 (not
/// used by the alternate BMCA) and priority2 128; alternate BMCA with
/// `localPriority` 128 and `maxStepsRemoved` 255. G.8275.1 allows both the
/// non-forwardable 01-80-C2-00-00-0E and the forwardable 01-1B-19-00-00-00
/// destinations; the preset uses the non-forwardable one, as linuxptp's
/// `G.8275.1.cfg` does. Clock class 248 until locked; a slave-only clock
/// (T-TSC) uses [`SLAVE_ONLY_CLOCK_CLASS`].
pub const G8275_1: Profile = Profile {
    name: "g8275.1",
    aliases: &["itu-t g.8275.1", "8275.1"],
    standard: "ITU-T G.8275.1 Annex A (telecom profile, full timing support)",
    profile_identifier: [0x00, 0x19, 0xa7, 0x01, 0x02, 0x03],
    domain_number: 24,
    domain_range: DomainRange { min: 24, max: 43 },
    major_sdo_id: 0,
    minor_sdo_id: 0,
    transport: Transport::Ethernet,
    delay_mechanism: DelayMechanism::E2e,
    ethernet_primary_mac: MAC_PDELAY,
    ethernet_pdelay_mac: MAC_PDELAY,
    ethernet_alternate_mac: Some(MAC_PRIMARY),
    log_announce_interval: log(-3),
    log_sync_interval: log(-4),
    log_min_delay_req_interval: log(-4),
    log_min_pdelay_req_interval: log(0),
    oper_log_sync_interval: None,
    oper_log_pdelay_req_interval: None,
    announce_receipt_timeout: 3,
    sync_receipt_timeout: None,
    priority1: 128,
    priority2: 128,
    clock_class: DEFAULT_CLOCK_CLASS,
    two_step: true,
    slave_only: false,
    master_only: false,
    unicast: false,
    unicast_grant: None,
    bmca: Bmca::G8275_1Alternate,
    static_role: None,
    sends_announce: true,
    sends_delay_requests: true,
    local_priority: Some(128),
    max_steps_removed: 255,
    neighbor_prop_delay_thresh: None,
    as_capable: AsCapable::NotUsed,
    follow_up_info: false,
    path_trace: false,
    neighbor_rate_ratio: false,
};

/// The ITU-T G.8275.2 telecom profile for phase/time with partial timing
/// support from the network (G.8275.2 Annex A).
///
/// Profile identifier 00-19-A7-02-01-02 (version 1.2, the identifier
/// linuxptp reports); unicast with unicast negotiation over UDP/IPv4
/// (IPv6 is also allowed); domain 44 of 44–63; delay request-response;
/// alternate BMCA with `localPriority` 128 and `maxStepsRemoved` 255.
/// Announce 1/s (G.8275.2 allows 1–8/s). G.8275.2 allows Sync and
/// Delay_Req rates from 1/s to 128/s without fixing a default; the preset
/// asks for 1/s as linuxptp's `G.8275.2.cfg` does. Grants are requested for
/// 300 s, within the 60–1000 s G.8275.2 allows.
pub const G8275_2: Profile = Profile {
    name: "g8275.2",
    aliases: &["itu-t g.8275.2", "8275.2"],
    standard: "ITU-T G.8275.2 Annex A (telecom profile, partial timing support)",
    profile_identifier: [0x00, 0x19, 0xa7, 0x02, 0x01, 0x02],
    domain_number: 44,
    domain_range: DomainRange { min: 44, max: 63 },
    transport: Transport::UdpIpv4,
    ethernet_primary_mac: MAC_PRIMARY,
    ethernet_alternate_mac: None,
    log_announce_interval: log(0),
    log_sync_interval: log(0),
    log_min_delay_req_interval: log(0),
    unicast: true,
    unicast_grant: Some(UnicastGrant {
        duration: Duration::from_secs(300),
        min: Duration::from_secs(60),
        max: Duration::from_secs(1000),
    }),
    bmca: Bmca::G8275_2Alternate,
    ..G8275_1
};

/// Every preset, in the order of the module documentation.
pub const ALL: &[Profile] = &[
    DEFAULT,
    DEFAULT_P2P,
    GPTP,
    AUTOMOTIVE_MASTER,
    AUTOMOTIVE_SLAVE,
    G8275_1,
    G8275_2,
];

/// Every preset, with `'static` addresses ([`by_name`] returns references
/// into this slice).
pub static PROFILES: &[Profile] = ALL;

/// The bytes of a name that matter for matching: ASCII letters lowercased,
/// `.`, `-`, `_` and spaces dropped.
fn name_key(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.bytes()
        .filter(|b| !matches!(b, b'.' | b'-' | b'_' | b' '))
        .map(|b| b.to_ascii_lowercase())
}

/// Whether two names match, ignoring ASCII case and `.`, `-`, `_`, space.
fn names_match(a: &str, b: &str) -> bool {
    let mut a_key = name_key(a).peekable();
    a_key.peek().is_some() && a_key.eq(name_key(b))
}

/// The preset called `name` or one of its aliases, ignoring ASCII case and
/// the separators `.`, `-`, `_` and space: `"G.8275.1"`, `"g8275.1"` and
/// `"ITU-T G.8275.1"` all find [`G8275_1`]; `"gPTP"` and `"802.1AS"` find
/// [`GPTP`].
pub fn by_name(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.matches_name(name))
}

impl Profile {
    /// Whether `name` is this preset's name or one of its aliases (see
    /// [`by_name`]).
    pub fn matches_name(&self, name: &str) -> bool {
        names_match(self.name, name) || self.aliases.iter().any(|a| names_match(a, name))
    }

    /// `sdoId` (IEEE 1588-2019 §8.2.1.4.5): `majorSdoId` in bits 8–11,
    /// `minorSdoId` in bits 0–7.
    pub const fn sdo_id(&self) -> u16 {
        ((self.major_sdo_id as u16 & 0x0f) << 8) | self.minor_sdo_id as u16
    }

    /// The Ethernet destination of a message of type `message_type`.
    pub fn destination_mac(&self, message_type: MessageType) -> [u8; 6] {
        match message_type {
            MessageType::PdelayReq | MessageType::PdelayResp | MessageType::PdelayRespFollowUp => {
                self.ethernet_pdelay_mac
            }
            _ => self.ethernet_primary_mac,
        }
    }

    /// Whether the profile allows `mac` as the destination of messages
    /// other than the peer delay ones.
    pub fn allows_primary_mac(&self, mac: [u8; 6]) -> bool {
        mac == self.ethernet_primary_mac || self.ethernet_alternate_mac == Some(mac)
    }

    /// The default mean interval between Announce messages.
    pub fn announce_interval(&self) -> Duration {
        self.log_announce_interval.duration()
    }

    /// The default mean interval between Sync messages.
    pub fn sync_interval(&self) -> Duration {
        self.log_sync_interval.duration()
    }

    /// The default minimum interval between Delay_Req messages.
    pub fn min_delay_req_interval(&self) -> Duration {
        self.log_min_delay_req_interval.duration()
    }

    /// The default minimum interval between Pdelay_Req messages.
    pub fn min_pdelay_req_interval(&self) -> Duration {
        self.log_min_pdelay_req_interval.duration()
    }

    /// How long a port waits without Announce messages before the announce
    /// receipt timeout expires (§9.2.6.12): `announceReceiptTimeout`
    /// Announce intervals.
    pub fn announce_receipt_timeout_interval(&self) -> Duration {
        self.announce_interval() * i64::from(self.announce_receipt_timeout)
    }

    /// How long a port waits without Sync messages before the sync receipt
    /// timeout expires, if the profile has one.
    pub fn sync_receipt_timeout_interval(&self) -> Option<Duration> {
        self.sync_receipt_timeout
            .map(|n| self.sync_interval() * i64::from(n))
    }

    /// Whether the profile allows domain `domain`.
    pub const fn allows_domain(&self, domain: u8) -> bool {
        self.domain_range.contains(domain)
    }

    /// A default data set (§8.2.1) for this profile.
    pub fn default_ds(&self, clock_identity: ClockIdentity, number_ports: u16) -> DefaultDs {
        let mut ds = DefaultDs::new(clock_identity, number_ports);
        ds.clock_quality.clock_class = self.clock_class;
        ds.priority1 = self.priority1;
        ds.priority2 = self.priority2;
        ds.domain_number = self.domain_number;
        ds.slave_only = self.slave_only;
        ds.two_step = self.two_step;
        ds.sdo_id = self.sdo_id();
        ds.max_steps_removed = self.max_steps_removed;
        ds
    }

    /// A port data set (§8.2.15) for this profile.
    pub fn port_ds(&self, port_identity: PortIdentity) -> PortDs {
        let mut ds = PortDs::new(port_identity);
        ds.log_min_delay_req_interval = self.log_min_delay_req_interval.get();
        ds.log_announce_interval = self.log_announce_interval.get();
        ds.announce_receipt_timeout = self.announce_receipt_timeout;
        ds.log_sync_interval = self.log_sync_interval.get();
        ds.delay_mechanism = self.delay_mechanism;
        ds.log_min_pdelay_req_interval = self.log_min_pdelay_req_interval.get();
        ds.master_only = self.master_only;
        ds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let names = || {
            PROFILES
                .iter()
                .flat_map(|p| core::iter::once(p.name).chain(p.aliases.iter().copied()))
        };
        for (i, a) in names().enumerate() {
            for (j, b) in names().enumerate() {
                if i != j {
                    assert!(!names_match(a, b), "{a:?} and {b:?} collide");
                }
            }
        }
    }

    #[test]
    fn every_preset_finds_itself() {
        for p in PROFILES {
            let found = by_name(p.name).map(|f| f.name);
            assert_eq!(found, Some(p.name));
            for alias in p.aliases {
                assert_eq!(by_name(alias).map(|f| f.name), Some(p.name), "{alias}");
            }
        }
        assert_eq!(PROFILES.len(), 7);
        assert_eq!(ALL, PROFILES);
    }

    #[test]
    fn lookup_ignores_case_and_separators() {
        let name = |s: &str| by_name(s).map(|p| p.name);
        assert_eq!(name("G.8275.1"), Some("g8275.1"));
        assert_eq!(name("g8275.2"), Some("g8275.2"));
        assert_eq!(name("ITU-T G.8275.2"), Some("g8275.2"));
        assert_eq!(name("gPTP"), Some("gptp"));
        assert_eq!(name("802.1AS"), Some("gptp"));
        assert_eq!(name("DEFAULT"), Some("default"));
        assert_eq!(name("Default_P2P"), Some("default-p2p"));
        assert_eq!(name("E2E"), Some("default"));
        assert_eq!(name("Automotive-Master"), Some("automotive-master"));
        assert_eq!(name("automotive slave"), Some("automotive-slave"));
        assert_eq!(name("automotive"), None);
        assert_eq!(name(""), None);
        assert_eq!(name("..--"), None);
        assert_eq!(name("g8275"), None);
        assert_eq!(name("g8275.1x"), None);
        assert_eq!(name("défault"), None);
    }

    #[test]
    fn domains_within_ranges() {
        for p in PROFILES {
            assert!(p.allows_domain(p.domain_number), "{}", p.name);
            assert!(p.domain_range.min <= p.domain_range.max, "{}", p.name);
        }
        assert!(!G8275_1.allows_domain(23));
        assert!(G8275_1.allows_domain(43));
        assert!(!G8275_1.allows_domain(44));
        assert!(G8275_2.allows_domain(63));
        assert!(!G8275_2.allows_domain(64));
        assert!(!AUTOMOTIVE_SLAVE.allows_domain(1));
    }

    #[test]
    fn profile_identifiers() {
        assert_eq!(DEFAULT.profile_identifier, [0, 0x1b, 0x19, 0, 1, 0]);
        assert_eq!(DEFAULT_P2P.profile_identifier, [0, 0x1b, 0x19, 0, 2, 0]);
        assert_eq!(GPTP.profile_identifier, [0, 0x80, 0xc2, 0, 1, 0]);
        assert_eq!(G8275_1.profile_identifier, [0, 0x19, 0xa7, 1, 2, 3]);
        assert_eq!(G8275_2.profile_identifier, [0, 0x19, 0xa7, 2, 1, 2]);
        for p in [AUTOMOTIVE_MASTER, AUTOMOTIVE_SLAVE] {
            assert_eq!(p.profile_identifier, GPTP.profile_identifier);
        }
    }

    #[test]
    fn consistency_rules() {
        for p in PROFILES {
            assert_eq!(p.unicast, p.unicast_grant.is_some(), "{}", p.name);
            if let Some(g) = p.unicast_grant {
                assert!(g.min <= g.duration && g.duration <= g.max, "{}", p.name);
            }
            assert_eq!(
                p.bmca == Bmca::Static,
                p.static_role.is_some(),
                "{}",
                p.name
            );
            match p.static_role {
                Some(StaticRole::Master) => assert!(p.master_only && !p.slave_only),
                Some(StaticRole::Slave) => assert!(p.slave_only && !p.master_only),
                None => assert!(p.sends_announce, "{}", p.name),
            }
            if p.slave_only {
                assert_eq!(p.clock_class, SLAVE_ONLY_CLOCK_CLASS, "{}", p.name);
            } else {
                assert_eq!(p.clock_class, DEFAULT_CLOCK_CLASS, "{}", p.name);
            }
            let gptp = p.major_sdo_id == 1;
            assert_eq!(gptp, p.neighbor_prop_delay_thresh.is_some(), "{}", p.name);
            assert_eq!(gptp, p.as_capable != AsCapable::NotUsed, "{}", p.name);
            assert_eq!(
                gptp,
                p.follow_up_info && p.neighbor_rate_ratio,
                "{}",
                p.name
            );
            if gptp {
                assert_eq!(p.delay_mechanism, DelayMechanism::P2p, "{}", p.name);
                assert_eq!(p.transport, Transport::Ethernet, "{}", p.name);
            }
            let alternate = matches!(p.bmca, Bmca::G8275_1Alternate | Bmca::G8275_2Alternate);
            assert_eq!(alternate, p.local_priority.is_some(), "{}", p.name);
        }
    }

    #[test]
    fn gptp_specifics() {
        assert_eq!(GPTP.major_sdo_id, 1);
        assert_eq!(GPTP.sdo_id(), 0x100);
        assert_eq!(
            GPTP.neighbor_prop_delay_thresh,
            Some(Duration::from_nanos(800))
        );
        assert_eq!(GPTP.as_capable, AsCapable::Computed);
        assert_eq!(
            (
                GPTP.follow_up_info,
                GPTP.path_trace,
                GPTP.neighbor_rate_ratio
            ),
            (true, true, true)
        );
        assert_eq!(GPTP.destination_mac(MessageType::Sync), MAC_PDELAY);
        assert_eq!(GPTP.destination_mac(MessageType::PdelayReq), MAC_PDELAY);
        assert_eq!(GPTP.sync_interval(), Duration::from_millis(125));
        assert_eq!(
            GPTP.sync_receipt_timeout_interval(),
            Some(Duration::from_millis(375))
        );
        assert_eq!(AUTOMOTIVE_MASTER.as_capable, AsCapable::Always);
        assert_eq!(
            (
                AUTOMOTIVE_MASTER.sends_announce,
                AUTOMOTIVE_MASTER.sends_delay_requests
            ),
            (false, false)
        );
        assert_eq!(
            (
                AUTOMOTIVE_SLAVE.sends_announce,
                AUTOMOTIVE_SLAVE.sends_delay_requests
            ),
            (false, true)
        );
        assert_eq!(AUTOMOTIVE_SLAVE.oper_log_sync_interval, Some(0));
        assert_eq!(AUTOMOTIVE_SLAVE.oper_log_pdelay_req_interval, Some(2));
    }

    #[test]
    fn telecom_specifics() {
        assert_eq!(G8275_1.transport, Transport::Ethernet);
        assert_eq!(G8275_1.destination_mac(MessageType::Announce), MAC_PDELAY);
        assert!(G8275_1.allows_primary_mac(MAC_PRIMARY));
        assert!(G8275_1.allows_primary_mac(MAC_PDELAY));
        assert!(!DEFAULT.allows_primary_mac(MAC_PDELAY));
        assert_eq!(G8275_1.announce_interval(), Duration::from_millis(125));
        assert_eq!(G8275_1.sync_interval(), Duration::from_micros(62_500));
        assert_eq!(
            G8275_1.announce_receipt_timeout_interval(),
            Duration::from_micros(375_000)
        );
        assert_eq!(G8275_1.sync_receipt_timeout_interval(), None);
        assert_eq!(G8275_2.transport, Transport::UdpIpv4);
        assert_eq!((G8275_1.unicast, G8275_2.unicast), (false, true));
        let grant = G8275_2.unicast_grant.unwrap_or(UnicastGrant {
            duration: Duration::ZERO,
            min: Duration::ZERO,
            max: Duration::ZERO,
        });
        assert_eq!(grant.duration, Duration::from_secs(300));
        assert_eq!(grant.min, Duration::from_secs(60));
        assert_eq!(grant.max, Duration::from_secs(1000));
        assert_eq!(G8275_2.bmca, Bmca::G8275_2Alternate);
        assert_eq!(G8275_2.local_priority, Some(128));
        assert_eq!(DEFAULT.destination_mac(MessageType::Sync), MAC_PRIMARY);
        assert_eq!(DEFAULT.destination_mac(MessageType::PdelayResp), MAC_PDELAY);
    }

    #[test]
    fn data_sets_take_profile_values() {
        let id = ClockIdentity([1, 2, 3, 0xff, 0xfe, 4, 5, 6]);
        let dds = AUTOMOTIVE_SLAVE.default_ds(id, 1);
        assert_eq!(dds.clock_quality.clock_class, 255);
        assert!(dds.slave_only);
        assert_eq!(dds.priority1, 248);
        assert_eq!(dds.major_sdo_id(), 1);
        let dds = G8275_1.default_ds(id, 2);
        assert_eq!(dds.domain_number, 24);
        assert_eq!(dds.max_steps_removed, 255);
        let pds = G8275_1.port_ds(PortIdentity {
            clock_identity: id,
            port_number: 1,
        });
        assert_eq!(pds.log_announce_interval, -3);
        assert_eq!(pds.log_sync_interval, -4);
        assert_eq!(pds.log_min_delay_req_interval, -4);
        assert_eq!(pds.delay_mechanism, DelayMechanism::E2e);
        let pds = AUTOMOTIVE_MASTER.port_ds(PortIdentity {
            clock_identity: id,
            port_number: 1,
        });
        assert!(pds.master_only);
        assert_eq!(pds.delay_mechanism, DelayMechanism::P2p);
    }
}
