//! The data sets of a PTP instance (IEEE 1588-2019 §8.2): what the instance
//! knows about itself, its ports, its parent and the grandmaster. The BMCA
//! reads and updates them (§9.3.5); management reads and sets them (§15.5.3).

use crate::wire::{ClockIdentity, ClockQuality, PortIdentity};
use tempora_clock::Duration;

/// The kind of PTP instance (IEEE 1588-2019 §8.2.1.5.5, `instanceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceType {
    /// Ordinary clock: one PTP port.
    OrdinaryClock,
    /// Boundary clock: several PTP ports.
    BoundaryClock,
    /// End-to-end transparent clock (§10.2.2).
    E2eTransparentClock,
    /// Peer-to-peer transparent clock (§10.2.3).
    P2pTransparentClock,
}

impl InstanceType {
    /// Whether this is a transparent clock.
    pub fn is_transparent(self) -> bool {
        matches!(
            self,
            InstanceType::E2eTransparentClock | InstanceType::P2pTransparentClock
        )
    }
}

/// `defaultDS` (IEEE 1588-2019 §8.2.1): the instance's own attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DefaultDs {
    /// `clockIdentity` (§8.2.1.2.2).
    pub clock_identity: ClockIdentity,
    /// `numberPorts` (§8.2.1.2.3).
    pub number_ports: u16,
    /// `clockQuality` (§8.2.1.3.1).
    pub clock_quality: ClockQuality,
    /// `priority1` (§8.2.1.4.1): lower wins the BMCA.
    pub priority1: u8,
    /// `priority2` (§8.2.1.4.2).
    pub priority2: u8,
    /// `domainNumber` (§8.2.1.4.3).
    pub domain_number: u8,
    /// `slaveOnly` (§8.2.1.4.4).
    pub slave_only: bool,
    /// `twoStepFlag` (§8.2.1.2.1): this instance sends Follow_Up messages.
    pub two_step: bool,
    /// `sdoId` (§8.2.1.4.5): `majorSdoId` in the high nibble of the high byte
    /// of 12 bits, `minorSdoId` in the low byte.
    pub sdo_id: u16,
    /// `maxStepsRemoved` (§8.2.1.4.8): Announce messages with stepsRemoved
    /// at or above it are not qualified. Default 255.
    pub max_steps_removed: u8,
    /// `instanceType` (§8.2.1.5.5).
    pub instance_type: InstanceType,
}

impl DefaultDs {
    /// A default data set with the defaults of the default profiles
    /// (IEEE 1588-2019 Annex I): class 248, accuracy unknown, priorities 128,
    /// domain 0, two-step.
    pub fn new(clock_identity: ClockIdentity, number_ports: u16) -> Self {
        DefaultDs {
            clock_identity,
            number_ports,
            clock_quality: ClockQuality {
                clock_class: 248,
                clock_accuracy: 0xfe,
                offset_scaled_log_variance: 0xffff,
            },
            priority1: 128,
            priority2: 128,
            domain_number: 0,
            slave_only: false,
            two_step: true,
            sdo_id: 0,
            max_steps_removed: 255,
            instance_type: if number_ports > 1 {
                InstanceType::BoundaryClock
            } else {
                InstanceType::OrdinaryClock
            },
        }
    }

    /// `majorSdoId`, the high 4 bits of `sdoId`.
    pub fn major_sdo_id(&self) -> u8 {
        ((self.sdo_id >> 8) & 0x0f) as u8
    }

    /// `minorSdoId`, the low 8 bits of `sdoId`.
    pub fn minor_sdo_id(&self) -> u8 {
        (self.sdo_id & 0xff) as u8
    }
}

/// `currentDS` (IEEE 1588-2019 §8.2.2): the instance's synchronization state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CurrentDs {
    /// `stepsRemoved` (§8.2.2.2): PTP communication paths to the grandmaster.
    pub steps_removed: u16,
    /// `offsetFromMaster` (§8.2.2.3): slave time minus master time.
    pub offset_from_master: Duration,
    /// `meanDelay` (§8.2.2.4): mean propagation time to the master.
    pub mean_delay: Duration,
}

/// `parentDS` (IEEE 1588-2019 §8.2.3): the parent and the grandmaster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParentDs {
    /// `parentPortIdentity` (§8.2.3.2).
    pub parent_port_identity: PortIdentity,
    /// `parentStats` (§8.2.3.3).
    pub parent_stats: bool,
    /// `observedParentOffsetScaledLogVariance` (§8.2.3.4).
    pub observed_parent_offset_scaled_log_variance: u16,
    /// `observedParentClockPhaseChangeRate` (§8.2.3.5).
    pub observed_parent_clock_phase_change_rate: i32,
    /// `grandmasterIdentity` (§8.2.3.6).
    pub grandmaster_identity: ClockIdentity,
    /// `grandmasterClockQuality` (§8.2.3.7).
    pub grandmaster_clock_quality: ClockQuality,
    /// `grandmasterPriority1` (§8.2.3.8).
    pub grandmaster_priority1: u8,
    /// `grandmasterPriority2` (§8.2.3.9).
    pub grandmaster_priority2: u8,
}

impl ParentDs {
    /// The parent data set of an instance that is its own grandmaster
    /// (§9.3.5, Table 30; also the initialization values of §8.2.3).
    pub fn own(default_ds: &DefaultDs) -> Self {
        ParentDs {
            parent_port_identity: PortIdentity {
                clock_identity: default_ds.clock_identity,
                port_number: 0,
            },
            parent_stats: false,
            observed_parent_offset_scaled_log_variance: 0xffff,
            observed_parent_clock_phase_change_rate: 0x7fff_ffff,
            grandmaster_identity: default_ds.clock_identity,
            grandmaster_clock_quality: default_ds.clock_quality,
            grandmaster_priority1: default_ds.priority1,
            grandmaster_priority2: default_ds.priority2,
        }
    }
}

/// `timeSource` values (IEEE 1588-2019 §7.6.2.8, Table 6).
pub mod time_source {
    /// ATOMIC_CLOCK.
    pub const ATOMIC_CLOCK: u8 = 0x10;
    /// GNSS.
    pub const GNSS: u8 = 0x20;
    /// TERRESTRIAL_RADIO.
    pub const TERRESTRIAL_RADIO: u8 = 0x30;
    /// SERIAL_TIME_CODE.
    pub const SERIAL_TIME_CODE: u8 = 0x39;
    /// PTP.
    pub const PTP: u8 = 0x40;
    /// NTP.
    pub const NTP: u8 = 0x50;
    /// HAND_SET.
    pub const HAND_SET: u8 = 0x60;
    /// OTHER.
    pub const OTHER: u8 = 0x90;
    /// INTERNAL_OSCILLATOR.
    pub const INTERNAL_OSCILLATOR: u8 = 0xa0;
}

/// `timePropertiesDS` (IEEE 1588-2019 §8.2.4): the timescale the grandmaster
/// distributes and its leap second state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimePropertiesDs {
    /// `currentUtcOffset` (§8.2.4.2): TAI − UTC in seconds.
    pub current_utc_offset: i16,
    /// `currentUtcOffsetValid` (§8.2.4.3).
    pub current_utc_offset_valid: bool,
    /// `leap59` (§8.2.4.4): the last minute of the current UTC day has 59 s.
    pub leap59: bool,
    /// `leap61` (§8.2.4.5): the last minute of the current UTC day has 61 s.
    pub leap61: bool,
    /// `timeTraceable` (§8.2.4.6).
    pub time_traceable: bool,
    /// `frequencyTraceable` (§8.2.4.7).
    pub frequency_traceable: bool,
    /// `ptpTimescale` (§8.2.4.8): PTP (TAI) rather than ARB.
    pub ptp_timescale: bool,
    /// `timeSource` (§8.2.4.9).
    pub time_source: u8,
}

impl Default for TimePropertiesDs {
    /// The values of a free-running instance (§8.2.4, §9.4): ARB timescale,
    /// internal oscillator, UTC offset 37 s (as of 2017) not valid.
    fn default() -> Self {
        TimePropertiesDs {
            current_utc_offset: 37,
            current_utc_offset_valid: false,
            leap59: false,
            leap61: false,
            time_traceable: false,
            frequency_traceable: false,
            ptp_timescale: false,
            time_source: time_source::INTERNAL_OSCILLATOR,
        }
    }
}

/// `portState` (IEEE 1588-2019 §8.2.15.3.1, Table 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortState {
    /// 1: the port is initializing its data sets, hardware and communication.
    Initializing,
    /// 2: a fault has been detected.
    Faulty,
    /// 3: disabled by management or configuration.
    Disabled,
    /// 4: waiting for Announce messages or the announce receipt timeout.
    Listening,
    /// 5: on its way to MASTER, waiting out the qualification timeout.
    PreMaster,
    /// 6: the port is the source of time on its path.
    Master,
    /// 7: not master, not slave: another port or clock serves the path.
    Passive,
    /// 8: a master has been selected, the port is getting ready to follow it.
    Uncalibrated,
    /// 9: synchronizing to the selected master.
    Slave,
}

impl PortState {
    /// The enumeration value of Table 20.
    pub fn to_u8(self) -> u8 {
        match self {
            PortState::Initializing => 1,
            PortState::Faulty => 2,
            PortState::Disabled => 3,
            PortState::Listening => 4,
            PortState::PreMaster => 5,
            PortState::Master => 6,
            PortState::Passive => 7,
            PortState::Uncalibrated => 8,
            PortState::Slave => 9,
        }
    }

    /// The name linuxptp uses, e.g. `PRE_MASTER`.
    pub fn name(self) -> &'static str {
        match self {
            PortState::Initializing => "INITIALIZING",
            PortState::Faulty => "FAULTY",
            PortState::Disabled => "DISABLED",
            PortState::Listening => "LISTENING",
            PortState::PreMaster => "PRE_MASTER",
            PortState::Master => "MASTER",
            PortState::Passive => "PASSIVE",
            PortState::Uncalibrated => "UNCALIBRATED",
            PortState::Slave => "SLAVE",
        }
    }
}

/// `delayMechanism` (IEEE 1588-2019 §8.2.15.4.4, Table 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DelayMechanism {
    /// 0x01: delay request-response (§11.3).
    E2e,
    /// 0x02: peer delay (§11.4).
    P2p,
    /// 0x03: no delay mechanism (§11.1 NO_MECHANISM).
    NoMechanism,
    /// 0x04: common mean link delay service (§16.6).
    CommonP2p,
    /// 0x05: special (e.g. media-specific).
    Special,
}

impl DelayMechanism {
    /// The enumeration value of Table 21.
    pub fn to_u8(self) -> u8 {
        match self {
            DelayMechanism::E2e => 1,
            DelayMechanism::P2p => 2,
            DelayMechanism::NoMechanism => 0xfe,
            DelayMechanism::CommonP2p => 3,
            DelayMechanism::Special => 4,
        }
    }
}

/// `portDS` (IEEE 1588-2019 §8.2.15): one port's attributes and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortDs {
    /// `portIdentity` (§8.2.15.2.1).
    pub port_identity: PortIdentity,
    /// `portState` (§8.2.15.3.1).
    pub port_state: PortState,
    /// `logMinDelayReqInterval` (§8.2.15.3.2).
    pub log_min_delay_req_interval: i8,
    /// `meanLinkDelay` (§8.2.15.3.3), measured by the peer delay mechanism.
    pub mean_link_delay: Duration,
    /// `logAnnounceInterval` (§8.2.15.4.1).
    pub log_announce_interval: i8,
    /// `announceReceiptTimeout` (§8.2.15.4.2), in announce intervals.
    pub announce_receipt_timeout: u8,
    /// `logSyncInterval` (§8.2.15.4.3).
    pub log_sync_interval: i8,
    /// `delayMechanism` (§8.2.15.4.4).
    pub delay_mechanism: DelayMechanism,
    /// `logMinPdelayReqInterval` (§8.2.15.4.5).
    pub log_min_pdelay_req_interval: i8,
    /// `versionNumber` (§8.2.15.4.6): 2.
    pub version_number: u8,
    /// `minorVersionNumber` (§8.2.15.4.7): 1.
    pub minor_version_number: u8,
    /// `delayAsymmetry` (§8.2.15.4.8, §7.4.2): how much longer the
    /// master-to-slave path is than the mean path.
    pub delay_asymmetry: Duration,
    /// `portEnable` (§8.2.15.5.1).
    pub port_enable: bool,
    /// `masterOnly` (§8.2.15.5.2): the port never becomes SLAVE.
    pub master_only: bool,
}

impl PortDs {
    /// A port data set with the defaults of the delay request-response
    /// default profile (IEEE 1588-2019 Annex I.3).
    pub fn new(port_identity: PortIdentity) -> Self {
        PortDs {
            port_identity,
            port_state: PortState::Initializing,
            log_min_delay_req_interval: 0,
            mean_link_delay: Duration::ZERO,
            log_announce_interval: 1,
            announce_receipt_timeout: 3,
            log_sync_interval: 0,
            delay_mechanism: DelayMechanism::E2e,
            log_min_pdelay_req_interval: 0,
            version_number: 2,
            minor_version_number: 1,
            delay_asymmetry: Duration::ZERO,
            port_enable: true,
            master_only: false,
        }
    }
}
