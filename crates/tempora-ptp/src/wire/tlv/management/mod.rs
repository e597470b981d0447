//! Management TLVs (IEEE 1588-2019 §15.5): the MANAGEMENT TLV with a typed
//! data field for the data sets and values Tempora understands (and for
//! linuxptp's `_NP` extensions), and the MANAGEMENT_ERROR_STATUS TLV.
//!
//! Decoding is exact: reserved octets, unknown flag bits and any octets after
//! a data field's structured part (the pad to an even length) are kept, so
//! that for every `valueField` that decodes, encoding gives back the same
//! bytes.

mod datasets;
mod error_status;
mod ids;
mod linuxptp;
#[cfg(test)]
mod tests;

pub use datasets::{
    ClockDescription, CurrentDataSet, Datum, DefaultDataSet, ParentDataSet, PortAddress,
    PortDataSet, TimePropertiesDataSet,
};
pub use error_status::ManagementErrorStatus;
pub use ids::{Action, delay_mechanism, management_error_id, management_id, port_state};
pub use linuxptp::{PortPropertiesNp, PortStatsNp, TimeStatusNp};

use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};
use crate::wire::tlv::tlv_type;
use crate::wire::types::PtpText;

/// A structured data field: read, write, size.
pub(crate) trait DataField<'a>: Sized {
    fn read(r: &mut Reader<'a>) -> Result<Self>;
    fn write(&self, w: &mut Writer<'_>) -> Result<()>;
    fn encoded_len(&self) -> usize;
}

/// Sum of lengths that cannot overflow.
pub(crate) fn sum_len(parts: &[usize]) -> usize {
    parts.iter().fold(0usize, |a, b| a.saturating_add(*b))
}

/// A structured data field and the octets that followed it in the TLV.
///
/// IEEE 1588-2019 §15.5.3 pads data fields to an even length; whatever
/// octets follow the structured part are kept in `pad` so that encoding
/// reproduces them. Build new values with [`Padded::new`] and
/// [`ManagementData::with_even_padding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Padded<'a, T> {
    /// The structured part.
    pub value: T,
    /// The octets after it, as received.
    pub pad: &'a [u8],
}

impl<T> Padded<'_, T> {
    /// `value` without pad octets.
    pub fn new(value: T) -> Self {
        Padded { value, pad: &[] }
    }
}

/// The `dataField` of a MANAGEMENT TLV (IEEE 1588-2019 §15.5.2.4, §15.5.3),
/// decoded according to its `managementId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManagementData<'a> {
    /// No data field, as in a GET of most implementations (but not `pmc`,
    /// which sends a zero-filled field of the response's size).
    Empty,
    /// NULL_PTP_MANAGEMENT (0x0000, §15.5.3.1.1), which has no data field.
    NullManagement,
    /// CLOCK_DESCRIPTION (0x0001, §15.5.3.1.2).
    ClockDescription(Padded<'a, ClockDescription<'a>>),
    /// USER_DESCRIPTION (0x0002, §15.5.3.1.3).
    UserDescription(Padded<'a, PtpText<'a>>),
    /// DEFAULT_DATA_SET (0x2000, §15.5.3.3.1).
    DefaultDataSet(Padded<'a, DefaultDataSet>),
    /// CURRENT_DATA_SET (0x2001, §15.5.3.4.1).
    CurrentDataSet(Padded<'a, CurrentDataSet>),
    /// PARENT_DATA_SET (0x2002, §15.5.3.5.1).
    ParentDataSet(Padded<'a, ParentDataSet>),
    /// TIME_PROPERTIES_DATA_SET (0x2003, §15.5.3.6.1).
    TimePropertiesDataSet(Padded<'a, TimePropertiesDataSet>),
    /// PORT_DATA_SET (0x2004, §15.5.3.7.1).
    PortDataSet(Padded<'a, PortDataSet>),
    /// PRIORITY1 (0x2005, §15.5.3.3.2).
    Priority1(Padded<'a, Datum>),
    /// PRIORITY2 (0x2006, §15.5.3.3.3).
    Priority2(Padded<'a, Datum>),
    /// DOMAIN (0x2007, §15.5.3.3.4).
    Domain(Padded<'a, Datum>),
    /// SLAVE_ONLY (0x2008, §15.5.3.3.5): bit 0 of the value is SO.
    SlaveOnly(Padded<'a, Datum>),
    /// LOG_ANNOUNCE_INTERVAL (0x2009, §15.5.3.7.2); the value is signed.
    LogAnnounceInterval(Padded<'a, Datum>),
    /// ANNOUNCE_RECEIPT_TIMEOUT (0x200A, §15.5.3.7.3).
    AnnounceReceiptTimeout(Padded<'a, Datum>),
    /// LOG_SYNC_INTERVAL (0x200B, §15.5.3.7.4); the value is signed.
    LogSyncInterval(Padded<'a, Datum>),
    /// VERSION_NUMBER (0x200C, §15.5.3.7.7): version in the low nibble.
    VersionNumber(Padded<'a, Datum>),
    /// DELAY_MECHANISM (0x6000, §15.5.3.7.5).
    DelayMechanism(Padded<'a, Datum>),
    /// LOG_MIN_PDELAY_REQ_INTERVAL (0x6001, §15.5.3.7.6); the value is signed.
    LogMinPdelayReqInterval(Padded<'a, Datum>),
    /// linuxptp TIME_STATUS_NP (0xC000).
    TimeStatusNp(Padded<'a, TimeStatusNp>),
    /// linuxptp PORT_PROPERTIES_NP (0xC004).
    PortPropertiesNp(Padded<'a, PortPropertiesNp<'a>>),
    /// linuxptp PORT_STATS_NP (0xC005).
    PortStatsNp(Padded<'a, PortStatsNp<'a>>),
    /// A data field of any other `managementId`, or of NULL_PTP_MANAGEMENT
    /// when it unexpectedly has one, kept as received.
    Raw(&'a [u8]),
}

/// Calls `$m!(Variant, Type)` for every variant with a typed data field.
macro_rules! typed_variants {
    ($m:ident) => {
        $m! {
            management_id::CLOCK_DESCRIPTION => ClockDescription,
            management_id::USER_DESCRIPTION => UserDescription,
            management_id::DEFAULT_DATA_SET => DefaultDataSet,
            management_id::CURRENT_DATA_SET => CurrentDataSet,
            management_id::PARENT_DATA_SET => ParentDataSet,
            management_id::TIME_PROPERTIES_DATA_SET => TimePropertiesDataSet,
            management_id::PORT_DATA_SET => PortDataSet,
            management_id::PRIORITY1 => Priority1,
            management_id::PRIORITY2 => Priority2,
            management_id::DOMAIN => Domain,
            management_id::SLAVE_ONLY => SlaveOnly,
            management_id::LOG_ANNOUNCE_INTERVAL => LogAnnounceInterval,
            management_id::ANNOUNCE_RECEIPT_TIMEOUT => AnnounceReceiptTimeout,
            management_id::LOG_SYNC_INTERVAL => LogSyncInterval,
            management_id::VERSION_NUMBER => VersionNumber,
            management_id::DELAY_MECHANISM => DelayMechanism,
            management_id::LOG_MIN_PDELAY_REQ_INTERVAL => LogMinPdelayReqInterval,
            management_id::TIME_STATUS_NP => TimeStatusNp,
            management_id::PORT_PROPERTIES_NP => PortPropertiesNp,
            management_id::PORT_STATS_NP => PortStatsNp,
        }
    };
}

fn read_padded<'a, T: DataField<'a>>(data: &'a [u8]) -> Result<Padded<'a, T>> {
    let mut r = Reader::new(data);
    let value = T::read(&mut r)?;
    Ok(Padded {
        value,
        pad: r.rest(),
    })
}

fn write_padded<'a, T: DataField<'a>>(p: &Padded<'a, T>, w: &mut Writer<'_>) -> Result<()> {
    p.value.write(w)?;
    w.bytes(p.pad)
}

fn padded_len<'a, T: DataField<'a>>(p: &Padded<'a, T>) -> usize {
    p.value.encoded_len().saturating_add(p.pad.len())
}

impl<'a> ManagementData<'a> {
    /// Decodes the data field `data` of a TLV with `managementId` `id`.
    ///
    /// An empty field gives [`ManagementData::Empty`] (or `NullManagement`);
    /// a known `id` whose field is shorter than its layout gives
    /// [`Error::BadManagementData`]; octets beyond the layout are kept as pad.
    pub fn read(id: u16, data: &'a [u8]) -> Result<Self> {
        if data.is_empty() {
            return Ok(if id == management_id::NULL_MANAGEMENT {
                ManagementData::NullManagement
            } else {
                ManagementData::Empty
            });
        }
        let bad = |_| Error::BadManagementData { management_id: id };
        macro_rules! dispatch {
            ($($id:path => $v:ident,)*) => {
                match id {
                    $($id => ManagementData::$v(read_padded(data).map_err(bad)?),)*
                    _ => ManagementData::Raw(data),
                }
            };
        }
        Ok(typed_variants!(dispatch))
    }

    /// The `managementId` this data field belongs to, or `None` for
    /// [`ManagementData::Empty`] and [`ManagementData::Raw`], which fit any.
    pub fn management_id(&self) -> Option<u16> {
        macro_rules! ids {
            ($($id:path => $v:ident,)*) => {
                match self {
                    $(ManagementData::$v(_) => Some($id),)*
                    ManagementData::NullManagement => Some(management_id::NULL_MANAGEMENT),
                    ManagementData::Empty | ManagementData::Raw(_) => None,
                }
            };
        }
        typed_variants!(ids)
    }

    /// Encoded size of the data field in bytes, pad included.
    pub fn encoded_len(&self) -> usize {
        macro_rules! len {
            ($($id:path => $v:ident,)*) => {
                match self {
                    $(ManagementData::$v(p) => padded_len(p),)*
                    ManagementData::Empty | ManagementData::NullManagement => 0,
                    ManagementData::Raw(raw) => raw.len(),
                }
            };
        }
        typed_variants!(len)
    }

    /// Encodes the data field, pad included.
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        macro_rules! write {
            ($($id:path => $v:ident,)*) => {
                match self {
                    $(ManagementData::$v(p) => write_padded(p, w),)*
                    ManagementData::Empty | ManagementData::NullManagement => Ok(()),
                    ManagementData::Raw(raw) => w.bytes(raw),
                }
            };
        }
        typed_variants!(write)
    }

    /// The same data with one zero pad octet added if the field would
    /// otherwise have an odd length, as IEEE 1588-2019 §15.5.3 requires. Use
    /// it on values built for sending; decoded values already carry their pad,
    /// and `Raw` data is left as it is.
    pub fn with_even_padding(self) -> Self {
        const ZERO: &[u8] = &[0];
        if self.encoded_len() % 2 == 0 {
            return self;
        }
        macro_rules! pad {
            ($($id:path => $v:ident,)*) => {
                match self {
                    $(ManagementData::$v(p) if p.pad.is_empty() => {
                        ManagementData::$v(Padded { value: p.value, pad: ZERO })
                    })*
                    other => other,
                }
            };
        }
        typed_variants!(pad)
    }
}

/// The value of a MANAGEMENT TLV (IEEE 1588-2019 §15.5.2): a `managementId`
/// and its data field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ManagementTlv<'a> {
    /// `managementId` (§15.5.2.3); see [`management_id`].
    pub management_id: u16,
    /// `dataField` (§15.5.2.4).
    pub data: ManagementData<'a>,
}

impl<'a> ManagementTlv<'a> {
    /// The `pmc` name of [`ManagementTlv::management_id`], e.g.
    /// `DEFAULT_DATA_SET`, if it is known.
    pub fn name(&self) -> Option<&'static str> {
        management_id::name(self.management_id)
    }

    /// Decodes the `valueField` of the TLV: `managementId`, then the data field.
    pub(crate) fn read_value(value: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let management_id = r.u16().map_err(|_| Error::WrongTlvLength {
            tlv_type: tlv_type::MANAGEMENT,
            length: u16::try_from(value.len()).unwrap_or(u16::MAX),
        })?;
        let data = ManagementData::read(management_id, r.rest())?;
        Ok(ManagementTlv {
            management_id,
            data,
        })
    }

    /// Length of the `valueField` in bytes.
    pub fn value_len(&self) -> usize {
        self.data.encoded_len().saturating_add(2)
    }

    /// Encodes the `valueField`. Fails with [`Error::BadManagementData`] if
    /// the data field's variant belongs to another `managementId`.
    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        if let Some(id) = self.data.management_id()
            && id != self.management_id
        {
            return Err(Error::BadManagementData {
                management_id: self.management_id,
            });
        }
        w.u16(self.management_id)?;
        self.data.write(w)
    }
}
