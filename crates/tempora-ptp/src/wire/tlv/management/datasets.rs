//! Data fields of the management TLVs the standard defines (IEEE 1588-2019
//! §15.5.3). Every reserved field and every flag bit is kept as received.

use super::DataField;
use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};
use crate::wire::types::{ClockIdentity, ClockQuality, PortIdentity, PtpText, TimeInterval};

/// The data field of the single-value management TLVs (PRIORITY1, PRIORITY2,
/// DOMAIN, SLAVE_ONLY, LOG_ANNOUNCE_INTERVAL, ANNOUNCE_RECEIPT_TIMEOUT,
/// LOG_SYNC_INTERVAL, VERSION_NUMBER, DELAY_MECHANISM,
/// LOG_MIN_PDELAY_REQ_INTERVAL; IEEE 1588-2019 §15.5.3.3.2–§15.5.3.3.5,
/// §15.5.3.7.2–§15.5.3.7.7): one value octet and one reserved octet. The
/// reserved octet is kept as received (`pmc` sends whatever was in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Datum {
    /// The value octet. Signed values (log intervals) are its two's
    /// complement; see [`Datum::as_i8`]. For SLAVE_ONLY it is a flag octet
    /// (bit 0 SO), for VERSION_NUMBER the version in the low nibble.
    pub value: u8,
    /// The reserved octet.
    pub reserved: u8,
}

impl Datum {
    /// Encoded size in bytes.
    pub const LEN: usize = 2;

    /// A datum with the reserved octet zero.
    pub fn new(value: u8) -> Self {
        Datum { value, reserved: 0 }
    }

    /// The value as a signed `Integer8`, as log intervals are.
    pub fn as_i8(&self) -> i8 {
        self.value as i8
    }
}

impl<'a> DataField<'a> for Datum {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(Datum {
            value: r.u8()?,
            reserved: r.u8()?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.value)?;
        w.u8(self.reserved)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}

/// DEFAULT_DATA_SET data field (IEEE 1588-2019 §15.5.3.3.1): the defaultDS
/// of §8.2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DefaultDataSet {
    /// Flag octet: bit 0 TSC (`twoStepFlag`), bit 1 SO (`slaveOnly`); other
    /// bits kept as received.
    pub flags: u8,
    /// Reserved octet after the flags.
    pub reserved0: u8,
    /// `numberPorts`.
    pub number_ports: u16,
    /// `priority1`.
    pub priority1: u8,
    /// `clockQuality`.
    pub clock_quality: ClockQuality,
    /// `priority2`.
    pub priority2: u8,
    /// `clockIdentity`.
    pub clock_identity: ClockIdentity,
    /// `domainNumber`.
    pub domain_number: u8,
    /// Reserved final octet.
    pub reserved1: u8,
}

impl DefaultDataSet {
    /// Encoded size in bytes.
    pub const LEN: usize = 20;
    /// TSC bit of [`DefaultDataSet::flags`]: `defaultDS.twoStepFlag`.
    pub const FLAG_TWO_STEP: u8 = 0x01;
    /// SO bit of [`DefaultDataSet::flags`]: `defaultDS.slaveOnly`.
    pub const FLAG_SLAVE_ONLY: u8 = 0x02;

    /// `twoStepFlag`.
    pub fn two_step(&self) -> bool {
        self.flags & Self::FLAG_TWO_STEP != 0
    }

    /// `slaveOnly`.
    pub fn slave_only(&self) -> bool {
        self.flags & Self::FLAG_SLAVE_ONLY != 0
    }
}

impl<'a> DataField<'a> for DefaultDataSet {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(DefaultDataSet {
            flags: r.u8()?,
            reserved0: r.u8()?,
            number_ports: r.u16()?,
            priority1: r.u8()?,
            clock_quality: ClockQuality::read(r)?,
            priority2: r.u8()?,
            clock_identity: ClockIdentity::read(r)?,
            domain_number: r.u8()?,
            reserved1: r.u8()?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.flags)?;
        w.u8(self.reserved0)?;
        w.u16(self.number_ports)?;
        w.u8(self.priority1)?;
        self.clock_quality.write(w)?;
        w.u8(self.priority2)?;
        self.clock_identity.write(w)?;
        w.u8(self.domain_number)?;
        w.u8(self.reserved1)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}

/// CURRENT_DATA_SET data field (IEEE 1588-2019 §15.5.3.4.1): the currentDS
/// of §8.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CurrentDataSet {
    /// `stepsRemoved`.
    pub steps_removed: u16,
    /// `offsetFromMaster`.
    pub offset_from_master: TimeInterval,
    /// `meanPathDelay` (`meanDelay` in 2019).
    pub mean_path_delay: TimeInterval,
}

impl CurrentDataSet {
    /// Encoded size in bytes.
    pub const LEN: usize = 18;
}

impl<'a> DataField<'a> for CurrentDataSet {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(CurrentDataSet {
            steps_removed: r.u16()?,
            offset_from_master: TimeInterval::read(r)?,
            mean_path_delay: TimeInterval::read(r)?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u16(self.steps_removed)?;
        self.offset_from_master.write(w)?;
        self.mean_path_delay.write(w)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}

/// PARENT_DATA_SET data field (IEEE 1588-2019 §15.5.3.5.1): the parentDS of
/// §8.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ParentDataSet {
    /// `parentPortIdentity`.
    pub parent_port_identity: PortIdentity,
    /// Flag octet: bit 0 PS (`parentStats`); other bits kept.
    pub parent_stats: u8,
    /// Reserved octet.
    pub reserved: u8,
    /// `observedParentOffsetScaledLogVariance`.
    pub observed_parent_offset_scaled_log_variance: u16,
    /// `observedParentClockPhaseChangeRate`.
    pub observed_parent_clock_phase_change_rate: i32,
    /// `grandmasterPriority1`.
    pub grandmaster_priority1: u8,
    /// `grandmasterClockQuality`.
    pub grandmaster_clock_quality: ClockQuality,
    /// `grandmasterPriority2`.
    pub grandmaster_priority2: u8,
    /// `grandmasterIdentity`.
    pub grandmaster_identity: ClockIdentity,
}

impl ParentDataSet {
    /// Encoded size in bytes.
    pub const LEN: usize = 32;
    /// PS bit of [`ParentDataSet::parent_stats`].
    pub const FLAG_PARENT_STATS: u8 = 0x01;
}

impl<'a> DataField<'a> for ParentDataSet {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(ParentDataSet {
            parent_port_identity: PortIdentity::read(r)?,
            parent_stats: r.u8()?,
            reserved: r.u8()?,
            observed_parent_offset_scaled_log_variance: r.u16()?,
            observed_parent_clock_phase_change_rate: r.i32()?,
            grandmaster_priority1: r.u8()?,
            grandmaster_clock_quality: ClockQuality::read(r)?,
            grandmaster_priority2: r.u8()?,
            grandmaster_identity: ClockIdentity::read(r)?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        self.parent_port_identity.write(w)?;
        w.u8(self.parent_stats)?;
        w.u8(self.reserved)?;
        w.u16(self.observed_parent_offset_scaled_log_variance)?;
        w.i32(self.observed_parent_clock_phase_change_rate)?;
        w.u8(self.grandmaster_priority1)?;
        self.grandmaster_clock_quality.write(w)?;
        w.u8(self.grandmaster_priority2)?;
        self.grandmaster_identity.write(w)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}

/// TIME_PROPERTIES_DATA_SET data field (IEEE 1588-2019 §15.5.3.6.1): the
/// timePropertiesDS of §8.2.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimePropertiesDataSet {
    /// `currentUtcOffset` in seconds.
    pub current_utc_offset: i16,
    /// Flag octet; see the `FLAG_*` constants. Unknown bits are kept.
    pub flags: u8,
    /// `timeSource` (§7.6.2.8), e.g. 0xA0 INTERNAL_OSCILLATOR.
    pub time_source: u8,
}

impl TimePropertiesDataSet {
    /// Encoded size in bytes.
    pub const LEN: usize = 4;
    /// LI-61: `leap61`.
    pub const FLAG_LEAP61: u8 = 0x01;
    /// LI-59: `leap59`.
    pub const FLAG_LEAP59: u8 = 0x02;
    /// UTCV: `currentUtcOffsetValid`.
    pub const FLAG_UTC_OFFSET_VALID: u8 = 0x04;
    /// PTP: `ptpTimescale`.
    pub const FLAG_PTP_TIMESCALE: u8 = 0x08;
    /// TTRA: `timeTraceable`.
    pub const FLAG_TIME_TRACEABLE: u8 = 0x10;
    /// FTRA: `frequencyTraceable`.
    pub const FLAG_FREQUENCY_TRACEABLE: u8 = 0x20;

    /// Whether every bit of `mask` is set in [`TimePropertiesDataSet::flags`].
    pub fn has(&self, mask: u8) -> bool {
        self.flags & mask == mask
    }
}

impl<'a> DataField<'a> for TimePropertiesDataSet {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(TimePropertiesDataSet {
            current_utc_offset: r.i16()?,
            flags: r.u8()?,
            time_source: r.u8()?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.i16(self.current_utc_offset)?;
        w.u8(self.flags)?;
        w.u8(self.time_source)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}

/// PORT_DATA_SET data field (IEEE 1588-2019 §15.5.3.7.1): the portDS of
/// §8.2.15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortDataSet {
    /// `portIdentity`.
    pub port_identity: PortIdentity,
    /// `portState`; see [`port_state`](super::port_state).
    pub port_state: u8,
    /// `logMinDelayReqInterval`.
    pub log_min_delay_req_interval: i8,
    /// `peerMeanPathDelay` (`meanLinkDelay` in 2019).
    pub peer_mean_path_delay: TimeInterval,
    /// `logAnnounceInterval`.
    pub log_announce_interval: i8,
    /// `announceReceiptTimeout`.
    pub announce_receipt_timeout: u8,
    /// `logSyncInterval`.
    pub log_sync_interval: i8,
    /// `delayMechanism`; see [`delay_mechanism`](super::delay_mechanism).
    pub delay_mechanism: u8,
    /// `logMinPdelayReqInterval`.
    pub log_min_pdelay_req_interval: i8,
    /// The octet holding `versionNumber` in its low nibble and
    /// `minorVersionNumber` (reserved in 2008) in its high nibble.
    pub version_number: u8,
}

impl PortDataSet {
    /// Encoded size in bytes.
    pub const LEN: usize = 26;

    /// `versionNumber`, the low nibble of [`PortDataSet::version_number`].
    pub fn version(&self) -> u8 {
        self.version_number & 0x0f
    }
}

impl<'a> DataField<'a> for PortDataSet {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(PortDataSet {
            port_identity: PortIdentity::read(r)?,
            port_state: r.u8()?,
            log_min_delay_req_interval: r.i8()?,
            peer_mean_path_delay: TimeInterval::read(r)?,
            log_announce_interval: r.i8()?,
            announce_receipt_timeout: r.u8()?,
            log_sync_interval: r.i8()?,
            delay_mechanism: r.u8()?,
            log_min_pdelay_req_interval: r.i8()?,
            version_number: r.u8()?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        self.port_identity.write(w)?;
        w.u8(self.port_state)?;
        w.i8(self.log_min_delay_req_interval)?;
        self.peer_mean_path_delay.write(w)?;
        w.i8(self.log_announce_interval)?;
        w.u8(self.announce_receipt_timeout)?;
        w.i8(self.log_sync_interval)?;
        w.u8(self.delay_mechanism)?;
        w.i8(self.log_min_pdelay_req_interval)?;
        w.u8(self.version_number)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}

/// A `PortAddress` (IEEE 1588-2019 §5.3.6): `networkProtocol` (§7.4.1,
/// 1 UDP/IPv4, 2 UDP/IPv6, 3 IEEE 802.3), then a 16-bit length and that many
/// address octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortAddress<'a> {
    /// `networkProtocol`.
    pub network_protocol: u16,
    /// `addressField`; its length is `addressLength`.
    pub address: &'a [u8],
}

impl<'a> PortAddress<'a> {
    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        self.address.len().saturating_add(4)
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self> {
        let network_protocol = r.u16()?;
        let n = r.u16()?;
        Ok(PortAddress {
            network_protocol,
            address: r.bytes(usize::from(n))?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u16(self.network_protocol)?;
        write_u16_prefixed(w, self.address)
    }
}

fn write_u16_prefixed(w: &mut Writer<'_>, bytes: &[u8]) -> Result<()> {
    let n = u16::try_from(bytes.len()).map_err(|_| Error::ValueOutOfRange)?;
    w.u16(n)?;
    w.bytes(bytes)
}

/// CLOCK_DESCRIPTION data field (IEEE 1588-2019 §15.5.3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClockDescription<'a> {
    /// `clockType` bits (§15.5.3.1.2.1): 0x8000 ordinary clock, 0x4000
    /// boundary clock, 0x2000 P2P and 0x1000 E2E transparent clock, 0x0800
    /// management node.
    pub clock_type: u16,
    /// `physicalLayerProtocol`, e.g. `IEEE 802.3`.
    pub physical_layer_protocol: PtpText<'a>,
    /// `physicalAddress`; its length is `physicalAddressLength`.
    pub physical_address: &'a [u8],
    /// `protocolAddress`.
    pub protocol_address: PortAddress<'a>,
    /// `manufacturerIdentity`, an OUI.
    pub manufacturer_identity: [u8; 3],
    /// Reserved octet after `manufacturerIdentity`.
    pub reserved: u8,
    /// `productDescription`.
    pub product_description: PtpText<'a>,
    /// `revisionData`.
    pub revision_data: PtpText<'a>,
    /// `userDescription`.
    pub user_description: PtpText<'a>,
    /// `profileIdentity`.
    pub profile_identity: [u8; 6],
}

impl<'a> DataField<'a> for ClockDescription<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        let clock_type = r.u16()?;
        let physical_layer_protocol = PtpText::read(r)?;
        let n = r.u16()?;
        Ok(ClockDescription {
            clock_type,
            physical_layer_protocol,
            physical_address: r.bytes(usize::from(n))?,
            protocol_address: PortAddress::read(r)?,
            manufacturer_identity: r.array()?,
            reserved: r.u8()?,
            product_description: PtpText::read(r)?,
            revision_data: PtpText::read(r)?,
            user_description: PtpText::read(r)?,
            profile_identity: r.array()?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u16(self.clock_type)?;
        self.physical_layer_protocol.write(w)?;
        write_u16_prefixed(w, self.physical_address)?;
        self.protocol_address.write(w)?;
        w.bytes(&self.manufacturer_identity)?;
        w.u8(self.reserved)?;
        self.product_description.write(w)?;
        self.revision_data.write(w)?;
        self.user_description.write(w)?;
        w.bytes(&self.profile_identity)
    }
    fn encoded_len(&self) -> usize {
        super::sum_len(&[
            2,
            self.physical_layer_protocol.encoded_len(),
            2,
            self.physical_address.len(),
            self.protocol_address.encoded_len(),
            4,
            self.product_description.encoded_len(),
            self.revision_data.encoded_len(),
            self.user_description.encoded_len(),
            6,
        ])
    }
}

/// USER_DESCRIPTION data field (IEEE 1588-2019 §15.5.3.1.3): one `PTPText`.
impl<'a> DataField<'a> for PtpText<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        PtpText::read(r)
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        PtpText::write(self, w)
    }
    fn encoded_len(&self) -> usize {
        PtpText::encoded_len(self)
    }
}
