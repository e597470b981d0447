//! Configuration of a PTP instance and its ports: the initial values of the
//! data sets (IEEE 1588-2019 §8.2) that are static or configurable.

use alloc::vec::Vec;

use tempora_clock::Duration;

use crate::bmca::BmcaKind;
use crate::datasets::{DelayMechanism, InstanceType, TimePropertiesDs};
use crate::interval::LogInterval;
use crate::profile::{self, AsCapable, Bmca, Profile, StaticRole};
use crate::wire::{ClockIdentity, ClockQuality, PortIdentity};

use super::action::Address;

/// What management messages (IEEE 1588-2019 §15) received from the network
/// may do. The local management channel
/// ([`PtpInstance::handle_local_management`](super::PtpInstance::handle_local_management))
/// is not affected: it may always GET, SET and COMMAND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NetworkManagement {
    /// GET is answered; SET and COMMAND are refused with a
    /// MANAGEMENT_ERROR_STATUS TLV, managementErrorId NOT_SUPPORTED
    /// (§15.5.4.4, Table 109), as ptp4l 3.1.1 answers them on its network
    /// ports.
    #[default]
    ReadOnly,
    /// GET, SET and COMMAND are all carried out.
    ReadWrite,
    /// Management messages from the network are dropped unanswered (and
    /// counted in [`PortCounters::management_ignored`](super::PortCounters::management_ignored));
    /// a boundary clock does not forward them either (§15.3.4).
    Off,
}

/// Configuration of one port (IEEE 1588-2019 §8.2.15.4, §8.2.15.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortConfig {
    /// `logAnnounceInterval`.
    pub log_announce_interval: LogInterval,
    /// `announceReceiptTimeout`, in announce intervals (at least 2).
    pub announce_receipt_timeout: u8,
    /// `logSyncInterval`.
    pub log_sync_interval: LogInterval,
    /// `logMinDelayReqInterval`.
    pub log_min_delay_req_interval: LogInterval,
    /// `logMinPdelayReqInterval`.
    pub log_min_pdelay_req_interval: LogInterval,
    /// `delayMechanism`.
    pub delay_mechanism: DelayMechanism,
    /// `delayAsymmetry` (§7.4.2).
    pub delay_asymmetry: Duration,
    /// `masterOnly` (§8.2.15.5.2).
    pub master_only: bool,
    /// `portEnable` (§8.2.15.5.1).
    pub enabled: bool,
    /// Unicast masters to negotiate with (§16.1); empty for multicast operation.
    pub unicast_masters: Vec<Address>,
    /// Grant unicast transmission to slaves that ask (§16.1; linuxptp's
    /// `unicast_listen`). A port that grants sends its Announce, Sync and
    /// Delay_Resp by unicast only.
    pub unicast_listen: bool,
    /// The acceptable master table (§17.6): when not empty, Announce
    /// messages from other ports are ignored.
    pub acceptable_masters: Vec<PortIdentity>,
    /// Acceptable masters bound to addresses: each identity goes into the
    /// acceptable master table (§17.6) like those of `acceptable_masters`,
    /// and any message carrying it from an address not listed for it is
    /// dropped. Port number 0xFFFF stands for every port of the clock.
    pub acceptable_master_addresses: Vec<(PortIdentity, Address)>,
    /// `localPriority` of this port for the G.8275 alternate BMCA (default 128).
    pub local_priority: u8,
    /// The port's physical address (its MAC), for CLOCK_DESCRIPTION (§15.5.3.1.2).
    pub physical_address: Vec<u8>,
    /// The port's protocol address: `networkProtocol` (§7.4.1: 1 UDP/IPv4,
    /// 2 UDP/IPv6, 3 IEEE 802.3) and the address bytes.
    pub protocol_address: (u16, Vec<u8>),
    /// The interface name, for linuxptp's PORT_PROPERTIES_NP.
    pub interface: Vec<u8>,
    /// IEEE 802.1AS asCapable (§10.2.5.1 of 802.1AS-2020): whether the port
    /// must first show, by peer delay, that its neighbor is a time-aware
    /// system within `neighbor_prop_delay_thresh` before it sends or accepts
    /// Announce and Sync.
    pub as_capable: AsCapable,
    /// `neighborPropDelayThresh` (802.1AS-2020 §11.2.13.1.1).
    pub neighbor_prop_delay_thresh: Option<Duration>,
    /// Measure the neighbor rate ratio from successive peer delay exchanges
    /// and use it for the link delay (802.1AS-2020 §11.2.19.3.3).
    pub neighbor_rate_ratio: bool,
    /// A fixed role without BMCA, as the automotive profile uses.
    pub static_role: Option<StaticRole>,
    /// Whether the port sends Announce messages when MASTER (the automotive
    /// profile does not).
    pub send_announce: bool,
    /// The AUTHENTICATION TLV (IEEE 1588-2019 §16.14): with an SPP, every
    /// message sent carries one and every message received must.
    pub auth: Option<super::PortAuth>,
}

impl Default for PortConfig {
    /// The delay request-response default profile (IEEE 1588-2019 Annex I.3).
    fn default() -> Self {
        PortConfig {
            log_announce_interval: profile::DEFAULT.log_announce_interval,
            announce_receipt_timeout: 3,
            log_sync_interval: LogInterval::ONE_SECOND,
            log_min_delay_req_interval: LogInterval::ONE_SECOND,
            log_min_pdelay_req_interval: LogInterval::ONE_SECOND,
            delay_mechanism: DelayMechanism::E2e,
            delay_asymmetry: Duration::ZERO,
            master_only: false,
            enabled: true,
            unicast_masters: Vec::new(),
            unicast_listen: false,
            acceptable_masters: Vec::new(),
            acceptable_master_addresses: Vec::new(),
            local_priority: 128,
            as_capable: AsCapable::NotUsed,
            neighbor_prop_delay_thresh: None,
            neighbor_rate_ratio: false,
            physical_address: Vec::new(),
            protocol_address: (0, Vec::new()),
            interface: Vec::new(),
            static_role: None,
            send_announce: true,
            auth: None,
        }
    }
}

impl PortConfig {
    /// The port settings of a profile preset.
    pub fn from_profile(profile: &Profile) -> Self {
        PortConfig {
            log_announce_interval: profile.log_announce_interval,
            announce_receipt_timeout: profile.announce_receipt_timeout,
            log_sync_interval: profile.log_sync_interval,
            log_min_delay_req_interval: profile.log_min_delay_req_interval,
            log_min_pdelay_req_interval: profile.log_min_pdelay_req_interval,
            delay_mechanism: profile.delay_mechanism,
            master_only: profile.master_only,
            static_role: profile.static_role,
            send_announce: profile.sends_announce,
            local_priority: profile.local_priority.unwrap_or(128),
            unicast_listen: profile.unicast,
            as_capable: profile.as_capable,
            neighbor_prop_delay_thresh: profile.neighbor_prop_delay_thresh,
            neighbor_rate_ratio: profile.neighbor_rate_ratio,
            ..PortConfig::default()
        }
    }
}

/// Configuration of a PTP instance (IEEE 1588-2019 §8.2.1, §8.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    /// `clockIdentity`, usually from a MAC address ([`ClockIdentity::from_mac`]).
    pub clock_identity: ClockIdentity,
    /// Ordinary, boundary or transparent clock.
    pub instance_type: InstanceType,
    /// `priority1`.
    pub priority1: u8,
    /// `priority2`.
    pub priority2: u8,
    /// `domainNumber`.
    pub domain_number: u8,
    /// `sdoId` (majorSdoId in bits 8–11, minorSdoId in bits 0–7).
    pub sdo_id: u16,
    /// `clockQuality` of the local clock.
    pub clock_quality: ClockQuality,
    /// `slaveOnly`.
    pub slave_only: bool,
    /// `twoStepFlag`: send Follow_Up after Sync.
    pub two_step: bool,
    /// The time properties this instance announces when it is grandmaster
    /// (§9.4): its timescale, UTC offset and leap second state.
    pub time_properties: TimePropertiesDs,
    /// `userDescription` (§15.5.3.1.3): a name for the clock; management can set it.
    pub user_description: Vec<u8>,
    /// What management messages from the network may do (§15.3): GET only
    /// (the default, as ptp4l), also SET and COMMAND, or nothing at all.
    /// The local management channel always has full control.
    pub network_management: NetworkManagement,
    /// The UTC offset gate's hold time ([`super::UtcOffsetGate`]): a change of
    /// PTP − UTC by more than a leap second from the same grandmaster is
    /// taken only when it lasts this long; `None`: taken at once.
    pub utc_offset_hold: Option<Duration>,
    /// Which best master clock algorithm to run (§9.3.1): IEEE 1588's, or
    /// the alternate one of the ITU-T G.8275 telecom profiles.
    pub bmca: BmcaKind,
    /// `maxStepsRemoved` (§8.2.1.4.8).
    pub max_steps_removed: u8,
    /// Append a PATH_TRACE TLV to Announce messages and drop Announces whose
    /// path already contains this clock (IEEE 1588-2019 §16.2).
    pub path_trace: bool,
    /// Append the IEEE 802.1AS Follow_Up information TLV to Follow_Up
    /// messages (802.1AS-2020 §11.4.4.3), as gPTP requires.
    pub follow_up_info: bool,
    /// The ports, in port-number order.
    pub ports: Vec<PortConfig>,
    /// The security associations ports name by SPP (IEEE 1588-2019
    /// §P.2.1), e.g. from a linuxptp `sa_file`.
    pub security_associations: crate::auth::SaDatabase,
}

impl InstanceConfig {
    /// An instance with `ports` ports set up as `profile` prescribes.
    pub fn from_profile(profile: &Profile, clock_identity: ClockIdentity, ports: usize) -> Self {
        let mut c = InstanceConfig::ordinary(clock_identity);
        c.instance_type = if ports > 1 {
            InstanceType::BoundaryClock
        } else {
            InstanceType::OrdinaryClock
        };
        c.priority1 = profile.priority1;
        c.priority2 = profile.priority2;
        c.domain_number = profile.domain_number;
        c.sdo_id = profile.sdo_id();
        c.clock_quality.clock_class = profile.clock_class;
        c.slave_only = profile.slave_only;
        c.two_step = profile.two_step;
        c.max_steps_removed = profile.max_steps_removed;
        c.bmca = match profile.bmca {
            Bmca::G8275_1Alternate | Bmca::G8275_2Alternate => BmcaKind::G8275Dot1,
            Bmca::Default | Bmca::Static => BmcaKind::Ieee1588,
        };
        c.path_trace = profile.path_trace;
        c.follow_up_info = profile.follow_up_info;
        c.ports = alloc::vec![PortConfig::from_profile(profile); ports.max(1)];
        c
    }

    /// An ordinary clock with the default profile's settings.
    pub fn ordinary(clock_identity: ClockIdentity) -> Self {
        InstanceConfig {
            clock_identity,
            instance_type: InstanceType::OrdinaryClock,
            priority1: 128,
            priority2: 128,
            domain_number: 0,
            sdo_id: 0,
            clock_quality: ClockQuality {
                clock_class: 248,
                clock_accuracy: 0xfe,
                offset_scaled_log_variance: 0xffff,
            },
            slave_only: false,
            two_step: true,
            time_properties: TimePropertiesDs::default(),
            user_description: Vec::new(),
            network_management: NetworkManagement::ReadOnly,
            utc_offset_hold: Some(Duration::from_secs(60)),
            bmca: BmcaKind::Ieee1588,
            max_steps_removed: 255,
            path_trace: false,
            follow_up_info: false,
            ports: alloc::vec![PortConfig::default()],
            security_associations: crate::auth::SaDatabase::default(),
        }
    }
}
