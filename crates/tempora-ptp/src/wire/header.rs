//! The common message header (IEEE 1588-2019 §13.3).

use core::fmt;

use super::cursor::{Reader, Writer};
use super::error::{Error, Result};
use super::types::{PortIdentity, TimeInterval};

/// `messageType` (IEEE 1588-2019 §13.3.2.2, Table 36).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 0x0, event message.
    Sync,
    /// 0x1, event message.
    DelayReq,
    /// 0x2, event message.
    PdelayReq,
    /// 0x3, event message.
    PdelayResp,
    /// 0x8, general message.
    FollowUp,
    /// 0x9, general message.
    DelayResp,
    /// 0xA, general message.
    PdelayRespFollowUp,
    /// 0xB, general message.
    Announce,
    /// 0xC, general message.
    Signaling,
    /// 0xD, general message.
    Management,
    /// A value the standard reserves (0x4–0x7, 0xE, 0xF).
    Reserved(u8),
}

impl MessageType {
    /// The type for the low nibble `v`.
    pub fn from_nibble(v: u8) -> Self {
        match v & 0x0f {
            0x0 => MessageType::Sync,
            0x1 => MessageType::DelayReq,
            0x2 => MessageType::PdelayReq,
            0x3 => MessageType::PdelayResp,
            0x8 => MessageType::FollowUp,
            0x9 => MessageType::DelayResp,
            0xa => MessageType::PdelayRespFollowUp,
            0xb => MessageType::Announce,
            0xc => MessageType::Signaling,
            0xd => MessageType::Management,
            other => MessageType::Reserved(other),
        }
    }

    /// The 4-bit wire value.
    pub fn to_nibble(self) -> u8 {
        match self {
            MessageType::Sync => 0x0,
            MessageType::DelayReq => 0x1,
            MessageType::PdelayReq => 0x2,
            MessageType::PdelayResp => 0x3,
            MessageType::FollowUp => 0x8,
            MessageType::DelayResp => 0x9,
            MessageType::PdelayRespFollowUp => 0xa,
            MessageType::Announce => 0xb,
            MessageType::Signaling => 0xc,
            MessageType::Management => 0xd,
            MessageType::Reserved(v) => v & 0x0f,
        }
    }

    /// Event messages are timestamped and sent to port 319 (IEEE 1588-2019 §8.4.2.3).
    pub fn is_event(self) -> bool {
        self.to_nibble() < 0x8
    }

    /// The name used by the standard, e.g. `Delay_Req`.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Sync => "Sync",
            MessageType::DelayReq => "Delay_Req",
            MessageType::PdelayReq => "Pdelay_Req",
            MessageType::PdelayResp => "Pdelay_Resp",
            MessageType::FollowUp => "Follow_Up",
            MessageType::DelayResp => "Delay_Resp",
            MessageType::PdelayRespFollowUp => "Pdelay_Resp_Follow_Up",
            MessageType::Announce => "Announce",
            MessageType::Signaling => "Signaling",
            MessageType::Management => "Management",
            MessageType::Reserved(_) => "Reserved",
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageType::Reserved(v) => write!(f, "Reserved(0x{v:x})"),
            other => f.write_str(other.name()),
        }
    }
}

/// `flagField` (IEEE 1588-2019 §13.3.2.8, Table 37), octet 0 in the high byte.
/// Unknown and reserved bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// `alternateMasterFlag`, octet 0 bit 0.
    pub const ALTERNATE_MASTER: u16 = 0x0100;
    /// `twoStepFlag`, octet 0 bit 1.
    pub const TWO_STEP: u16 = 0x0200;
    /// `unicastFlag`, octet 0 bit 2.
    pub const UNICAST: u16 = 0x0400;
    /// PTP profile Specific 1, octet 0 bit 5.
    pub const PROFILE_SPECIFIC_1: u16 = 0x2000;
    /// PTP profile Specific 2, octet 0 bit 6.
    pub const PROFILE_SPECIFIC_2: u16 = 0x4000;
    /// `leap61`, octet 1 bit 0.
    pub const LEAP61: u16 = 0x0001;
    /// `leap59`, octet 1 bit 1.
    pub const LEAP59: u16 = 0x0002;
    /// `currentUtcOffsetValid`, octet 1 bit 2.
    pub const CURRENT_UTC_OFFSET_VALID: u16 = 0x0004;
    /// `ptpTimescale`, octet 1 bit 3.
    pub const PTP_TIMESCALE: u16 = 0x0008;
    /// `timeTraceable`, octet 1 bit 4.
    pub const TIME_TRACEABLE: u16 = 0x0010;
    /// `frequencyTraceable`, octet 1 bit 5.
    pub const FREQUENCY_TRACEABLE: u16 = 0x0020;
    /// `synchronizationUncertain`, octet 1 bit 6 (new in the 2019 edition).
    pub const SYNCHRONIZATION_UNCERTAIN: u16 = 0x0040;

    /// Whether every bit of `mask` is set.
    pub fn contains(self, mask: u16) -> bool {
        self.0 & mask == mask
    }

    /// The flags with `mask` set or cleared.
    pub fn with(self, mask: u16, on: bool) -> Self {
        if on {
            Flags(self.0 | mask)
        } else {
            Flags(self.0 & !mask)
        }
    }

    /// The short names of the set flags, for display.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        const NAMES: [(u16, &str); 12] = [
            (Flags::ALTERNATE_MASTER, "alternateMaster"),
            (Flags::TWO_STEP, "twoStep"),
            (Flags::UNICAST, "unicast"),
            (Flags::PROFILE_SPECIFIC_1, "profile1"),
            (Flags::PROFILE_SPECIFIC_2, "profile2"),
            (Flags::LEAP61, "leap61"),
            (Flags::LEAP59, "leap59"),
            (Flags::CURRENT_UTC_OFFSET_VALID, "utcOffsetValid"),
            (Flags::PTP_TIMESCALE, "ptpTimescale"),
            (Flags::TIME_TRACEABLE, "timeTraceable"),
            (Flags::FREQUENCY_TRACEABLE, "frequencyTraceable"),
            (Flags::SYNCHRONIZATION_UNCERTAIN, "syncUncertain"),
        ];
        NAMES
            .into_iter()
            .filter(move |(m, _)| self.contains(*m))
            .map(|(_, n)| n)
    }
}

/// The common header (IEEE 1588-2019 §13.3, Table 35), without
/// `messageLength`, which [`Message`](super::Message) derives from its
/// contents. Every field is kept as received, reserved ones included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// `majorSdoId` (§13.3.2.1), 4 bits; `transportSpecific` in the 2008 edition.
    pub major_sdo_id: u8,
    /// `messageType` (§13.3.2.2).
    pub message_type: MessageType,
    /// `minorVersionPTP` (§13.3.2.3), 4 bits: 1 for IEEE 1588-2019.
    pub minor_version: u8,
    /// `versionPTP` (§13.3.2.4), 4 bits: always 2.
    pub version: u8,
    /// `domainNumber` (§13.3.2.6).
    pub domain_number: u8,
    /// `minorSdoId` (§13.3.2.7).
    pub minor_sdo_id: u8,
    /// `flagField` (§13.3.2.8).
    pub flags: Flags,
    /// `correctionField` (§13.3.2.9) in 2^-16 ns.
    pub correction: TimeInterval,
    /// `messageTypeSpecific` (§13.3.2.10), reserved in most messages.
    pub message_type_specific: [u8; 4],
    /// `sourcePortIdentity` (§13.3.2.11).
    pub source_port_identity: PortIdentity,
    /// `sequenceId` (§13.3.2.12).
    pub sequence_id: u16,
    /// `controlField` (§13.3.2.13), obsolete but kept.
    pub control_field: u8,
    /// `logMessageInterval` (§13.3.2.14).
    pub log_message_interval: i8,
}

impl Header {
    /// Encoded size in bytes.
    pub const LEN: usize = 34;

    /// A header for `message_type` with the 2019 version numbers, the
    /// `controlField` value §13.3.2.13 prescribes, and every other field zero.
    pub fn new(message_type: MessageType, source_port_identity: PortIdentity) -> Self {
        Header {
            major_sdo_id: 0,
            message_type,
            minor_version: 1,
            version: 2,
            domain_number: 0,
            minor_sdo_id: 0,
            flags: Flags::default(),
            correction: TimeInterval(0),
            message_type_specific: [0; 4],
            source_port_identity,
            sequence_id: 0,
            control_field: control_field_for(message_type),
            log_message_interval: 0,
        }
    }

    /// Reads the header and returns it with the `messageLength` field.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<(Self, u16)> {
        let b0 = r.u8()?;
        let b1 = r.u8()?;
        let version = b1 & 0x0f;
        if version != 2 {
            return Err(Error::UnsupportedVersion(version));
        }
        let message_length = r.u16()?;
        let header = Header {
            major_sdo_id: b0 >> 4,
            message_type: MessageType::from_nibble(b0),
            minor_version: b1 >> 4,
            version,
            domain_number: r.u8()?,
            minor_sdo_id: r.u8()?,
            flags: Flags(r.u16()?),
            correction: TimeInterval::read(r)?,
            message_type_specific: r.array()?,
            source_port_identity: PortIdentity::read(r)?,
            sequence_id: r.u16()?,
            control_field: r.u8()?,
            log_message_interval: r.i8()?,
        };
        Ok((header, message_length))
    }

    /// Writes the header with the given `messageLength`.
    pub(crate) fn write(&self, message_length: u16, w: &mut Writer<'_>) -> Result<()> {
        if self.major_sdo_id > 0x0f || self.minor_version > 0x0f || self.version > 0x0f {
            return Err(Error::ValueOutOfRange);
        }
        w.u8((self.major_sdo_id << 4) | self.message_type.to_nibble())?;
        w.u8((self.minor_version << 4) | self.version)?;
        w.u16(message_length)?;
        w.u8(self.domain_number)?;
        w.u8(self.minor_sdo_id)?;
        w.u16(self.flags.0)?;
        self.correction.write(w)?;
        w.bytes(&self.message_type_specific)?;
        self.source_port_identity.write(w)?;
        w.u16(self.sequence_id)?;
        w.u8(self.control_field)?;
        w.i8(self.log_message_interval)
    }
}

/// The `controlField` value of IEEE 1588-2019 §13.3.2.13 (Table 42).
pub fn control_field_for(message_type: MessageType) -> u8 {
    match message_type {
        MessageType::Sync => 0x00,
        MessageType::DelayReq => 0x01,
        MessageType::FollowUp => 0x02,
        MessageType::DelayResp => 0x03,
        MessageType::Management => 0x04,
        _ => 0x05,
    }
}
