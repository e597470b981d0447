//! TLV entities (IEEE 1588-2019 §14): the generic type-length-value framing,
//! and typed values for the TLVs Tempora understands. Any other TLV is kept
//! byte for byte as [`Tlv::Other`].

mod alternate_time;
mod authentication;
mod csptp;
pub mod management;
mod organization;
mod path_trace;
mod unicast;

pub use alternate_time::AlternateTimeOffsetIndicator;
pub use authentication::{AuthenticationTlv, sec_param};
pub use csptp::{CsptpRequestTlv, CsptpResponseTlv, CsptpStatusTlv};
pub use management::{ManagementErrorStatus, ManagementTlv};
pub use organization::{FollowUpInformation, IEEE_802_1_OUI, OrganizationExtension, ScaledNs};
pub use path_trace::PathTrace;
pub use unicast::{
    CancelUnicastTransmission, GrantUnicastTransmission, RequestUnicastTransmission,
};

use super::cursor::{Reader, Writer};
use super::error::{Error, Result};

/// `tlvType` values (IEEE 1588-2019 §14.1.1, Table 52).
pub mod tlv_type {
    /// MANAGEMENT (§15.5.2).
    pub const MANAGEMENT: u16 = 0x0001;
    /// MANAGEMENT_ERROR_STATUS (§15.5.4).
    pub const MANAGEMENT_ERROR_STATUS: u16 = 0x0002;
    /// ORGANIZATION_EXTENSION (§14.3).
    pub const ORGANIZATION_EXTENSION: u16 = 0x0003;
    /// REQUEST_UNICAST_TRANSMISSION (§16.1.4.1).
    pub const REQUEST_UNICAST_TRANSMISSION: u16 = 0x0004;
    /// GRANT_UNICAST_TRANSMISSION (§16.1.4.2).
    pub const GRANT_UNICAST_TRANSMISSION: u16 = 0x0005;
    /// CANCEL_UNICAST_TRANSMISSION (§16.1.4.3).
    pub const CANCEL_UNICAST_TRANSMISSION: u16 = 0x0006;
    /// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4).
    pub const ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION: u16 = 0x0007;
    /// PATH_TRACE (§16.2.5).
    pub const PATH_TRACE: u16 = 0x0008;
    /// ALTERNATE_TIME_OFFSET_INDICATOR (§16.3.3).
    pub const ALTERNATE_TIME_OFFSET_INDICATOR: u16 = 0x0009;
    /// ORGANIZATION_EXTENSION_PROPAGATE (§14.3, new in 2019).
    pub const ORGANIZATION_EXTENSION_PROPAGATE: u16 = 0x4000;
    /// ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE (§14.3, new in 2019).
    pub const ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE: u16 = 0x8000;
    /// PAD (§16.15, new in 2019).
    pub const PAD: u16 = 0x8008;
    /// AUTHENTICATION (§16.14.3, Annex P, new in 2019).
    pub const AUTHENTICATION: u16 = 0x8009;
    /// The CSPTP status TLV (IEEE P1588.1 draft; ntpd-rs's
    /// `statime-csptp/src/messages/tlvs.rs`).
    pub const CSPTP_STATUS: u16 = 0xf002;
    /// The CSPTP request TLV (IEEE P1588.1 draft; ntpd-rs's
    /// `statime-csptp/src/messages/tlvs.rs`).
    pub const CSPTP_REQUEST: u16 = 0xff00;
    /// The CSPTP response TLV (IEEE P1588.1 draft; ntpd-rs's
    /// `statime-csptp/src/messages/tlvs.rs`).
    pub const CSPTP_RESPONSE: u16 = 0xff01;
}

/// The name of a `tlvType`, for display.
pub fn tlv_type_name(t: u16) -> &'static str {
    match t {
        tlv_type::MANAGEMENT => "MANAGEMENT",
        tlv_type::MANAGEMENT_ERROR_STATUS => "MANAGEMENT_ERROR_STATUS",
        tlv_type::ORGANIZATION_EXTENSION => "ORGANIZATION_EXTENSION",
        tlv_type::REQUEST_UNICAST_TRANSMISSION => "REQUEST_UNICAST_TRANSMISSION",
        tlv_type::GRANT_UNICAST_TRANSMISSION => "GRANT_UNICAST_TRANSMISSION",
        tlv_type::CANCEL_UNICAST_TRANSMISSION => "CANCEL_UNICAST_TRANSMISSION",
        tlv_type::ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION => {
            "ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION"
        }
        tlv_type::PATH_TRACE => "PATH_TRACE",
        tlv_type::ALTERNATE_TIME_OFFSET_INDICATOR => "ALTERNATE_TIME_OFFSET_INDICATOR",
        tlv_type::ORGANIZATION_EXTENSION_PROPAGATE => "ORGANIZATION_EXTENSION_PROPAGATE",
        tlv_type::ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE => {
            "ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE"
        }
        0x2000 => "AUTHENTICATION_2008",
        0x2001..=0x2003 => "AUTHENTICATION (legacy)",
        tlv_type::PAD => "PAD",
        tlv_type::AUTHENTICATION => "AUTHENTICATION",
        tlv_type::CSPTP_STATUS => "CSPTP_STATUS",
        tlv_type::CSPTP_REQUEST => "CSPTP_REQUEST",
        tlv_type::CSPTP_RESPONSE => "CSPTP_RESPONSE",
        _ => "UNKNOWN",
    }
}

/// A TLV as framed on the wire (IEEE 1588-2019 §14.1): `tlvType`, then
/// `lengthField`, then that many octets of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawTlv<'a> {
    /// `tlvType`.
    pub tlv_type: u16,
    /// The `valueField`, `lengthField` octets long.
    pub value: &'a [u8],
}

impl<'a> RawTlv<'a> {
    /// Encoded size in bytes, header included.
    pub fn encoded_len(&self) -> usize {
        4 + self.value.len()
    }
}

/// An iterator over the TLVs of a message suffix (IEEE 1588-2019 §13.4).
/// Yields one error and stops if the framing is broken.
#[derive(Debug, Clone)]
pub struct RawTlvs<'a> {
    rest: &'a [u8],
}

impl<'a> RawTlvs<'a> {
    /// Iterates the TLVs in `suffix`.
    pub fn new(suffix: &'a [u8]) -> Self {
        RawTlvs { rest: suffix }
    }

    /// Checks that `suffix` is a sequence of whole TLVs.
    pub fn validate(suffix: &'a [u8]) -> Result<()> {
        RawTlvs::new(suffix).try_for_each(|t| t.map(|_| ()))
    }
}

impl<'a> Iterator for RawTlvs<'a> {
    type Item = Result<RawTlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        if self.rest.len() < 4 {
            let n = self.rest.len();
            self.rest = &[];
            return Some(Err(Error::TrailingBytes(n)));
        }
        let mut r = Reader::new(self.rest);
        let parsed = (|| {
            let tlv_type = r.u16()?;
            let length = r.u16()?;
            let value = r
                .bytes(usize::from(length))
                .map_err(|_| Error::BadTlvLength { tlv_type, length })?;
            Ok(RawTlv { tlv_type, value })
        })();
        match parsed {
            Ok(tlv) => {
                self.rest = r.rest();
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// A TLV with its value decoded (IEEE 1588-2019 §14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tlv<'a> {
    /// MANAGEMENT (§15.5.2).
    Management(ManagementTlv<'a>),
    /// MANAGEMENT_ERROR_STATUS (§15.5.4).
    ManagementErrorStatus(ManagementErrorStatus<'a>),
    /// ORGANIZATION_EXTENSION and its 2019 PROPAGATE/DO_NOT_PROPAGATE forms (§14.3).
    OrganizationExtension(OrganizationExtension<'a>),
    /// REQUEST_UNICAST_TRANSMISSION (§16.1.4.1).
    RequestUnicastTransmission(RequestUnicastTransmission),
    /// GRANT_UNICAST_TRANSMISSION (§16.1.4.2).
    GrantUnicastTransmission(GrantUnicastTransmission),
    /// CANCEL_UNICAST_TRANSMISSION (§16.1.4.3).
    CancelUnicastTransmission(CancelUnicastTransmission),
    /// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4), same layout as cancel.
    AcknowledgeCancelUnicastTransmission(CancelUnicastTransmission),
    /// PATH_TRACE (§16.2.5).
    PathTrace(PathTrace<'a>),
    /// ALTERNATE_TIME_OFFSET_INDICATOR (§16.3.3).
    AlternateTimeOffsetIndicator(AlternateTimeOffsetIndicator<'a>),
    /// AUTHENTICATION (§16.14.3, Annex P).
    Authentication(AuthenticationTlv<'a>),
    /// The CSPTP request TLV (IEEE P1588.1 draft).
    CsptpRequest(CsptpRequestTlv),
    /// The CSPTP response TLV (IEEE P1588.1 draft).
    CsptpResponse(CsptpResponseTlv),
    /// The CSPTP status TLV (IEEE P1588.1 draft).
    CsptpStatus(CsptpStatusTlv),
    /// Any other TLV, kept as received.
    Other(RawTlv<'a>),
}

impl<'a> Tlv<'a> {
    /// Decodes the value of `raw` according to its type.
    pub fn decode(raw: RawTlv<'a>) -> Result<Self> {
        use tlv_type::*;
        let v = raw.value;
        let t = raw.tlv_type;
        let wrong = || Error::WrongTlvLength {
            tlv_type: t,
            length: v.len() as u16,
        };
        Ok(match t {
            MANAGEMENT => Tlv::Management(ManagementTlv::read_value(v)?),
            MANAGEMENT_ERROR_STATUS => {
                Tlv::ManagementErrorStatus(ManagementErrorStatus::read_value(v)?)
            }
            ORGANIZATION_EXTENSION
            | ORGANIZATION_EXTENSION_PROPAGATE
            | ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE => Tlv::OrganizationExtension(
                OrganizationExtension::read_value(t, v).map_err(|_| wrong())?,
            ),
            REQUEST_UNICAST_TRANSMISSION => Tlv::RequestUnicastTransmission(
                RequestUnicastTransmission::read_value(v).map_err(|_| wrong())?,
            ),
            GRANT_UNICAST_TRANSMISSION => Tlv::GrantUnicastTransmission(
                GrantUnicastTransmission::read_value(v).map_err(|_| wrong())?,
            ),
            CANCEL_UNICAST_TRANSMISSION => Tlv::CancelUnicastTransmission(
                CancelUnicastTransmission::read_value(v).map_err(|_| wrong())?,
            ),
            ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION => Tlv::AcknowledgeCancelUnicastTransmission(
                CancelUnicastTransmission::read_value(v).map_err(|_| wrong())?,
            ),
            PATH_TRACE => Tlv::PathTrace(PathTrace::read_value(v).map_err(|_| wrong())?),
            ALTERNATE_TIME_OFFSET_INDICATOR => Tlv::AlternateTimeOffsetIndicator(
                AlternateTimeOffsetIndicator::read_value(v).map_err(|_| wrong())?,
            ),
            AUTHENTICATION => Tlv::Authentication(AuthenticationTlv::decode_value(v)?),
            CSPTP_REQUEST => {
                Tlv::CsptpRequest(CsptpRequestTlv::read_value(v).map_err(|_| wrong())?)
            }
            CSPTP_RESPONSE => {
                Tlv::CsptpResponse(CsptpResponseTlv::read_value(v).map_err(|_| wrong())?)
            }
            CSPTP_STATUS => Tlv::CsptpStatus(CsptpStatusTlv::read_value(v).map_err(|_| wrong())?),
            _ => Tlv::Other(raw),
        })
    }

    /// The `tlvType`.
    pub fn tlv_type(&self) -> u16 {
        use tlv_type::*;
        match self {
            Tlv::Management(_) => MANAGEMENT,
            Tlv::ManagementErrorStatus(_) => MANAGEMENT_ERROR_STATUS,
            Tlv::OrganizationExtension(o) => o.tlv_type,
            Tlv::RequestUnicastTransmission(_) => REQUEST_UNICAST_TRANSMISSION,
            Tlv::GrantUnicastTransmission(_) => GRANT_UNICAST_TRANSMISSION,
            Tlv::CancelUnicastTransmission(_) => CANCEL_UNICAST_TRANSMISSION,
            Tlv::AcknowledgeCancelUnicastTransmission(_) => ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION,
            Tlv::PathTrace(_) => PATH_TRACE,
            Tlv::AlternateTimeOffsetIndicator(_) => ALTERNATE_TIME_OFFSET_INDICATOR,
            Tlv::Authentication(_) => AUTHENTICATION,
            Tlv::CsptpRequest(_) => CSPTP_REQUEST,
            Tlv::CsptpResponse(_) => CSPTP_RESPONSE,
            Tlv::CsptpStatus(_) => CSPTP_STATUS,
            Tlv::Other(raw) => raw.tlv_type,
        }
    }

    /// Length of the value field in bytes.
    pub fn value_len(&self) -> usize {
        match self {
            Tlv::Management(m) => m.value_len(),
            Tlv::ManagementErrorStatus(m) => m.value_len(),
            Tlv::OrganizationExtension(o) => o.value_len(),
            Tlv::RequestUnicastTransmission(_) => RequestUnicastTransmission::VALUE_LEN,
            Tlv::GrantUnicastTransmission(_) => GrantUnicastTransmission::VALUE_LEN,
            Tlv::CancelUnicastTransmission(_) | Tlv::AcknowledgeCancelUnicastTransmission(_) => {
                CancelUnicastTransmission::VALUE_LEN
            }
            Tlv::PathTrace(p) => p.value_len(),
            Tlv::AlternateTimeOffsetIndicator(a) => a.value_len(),
            Tlv::Authentication(a) => a.value_len(),
            Tlv::CsptpRequest(_) => CsptpRequestTlv::VALUE_LEN,
            Tlv::CsptpResponse(_) => CsptpResponseTlv::VALUE_LEN,
            Tlv::CsptpStatus(_) => CsptpStatusTlv::VALUE_LEN,
            Tlv::Other(raw) => raw.value.len(),
        }
    }

    /// Encoded size in bytes, TLV header included.
    pub fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    /// Writes the TLV (header and value) into `buf`, returning the bytes written.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(buf);
        self.write(&mut w)?;
        Ok(w.position())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        let len = u16::try_from(self.value_len()).map_err(|_| Error::ValueOutOfRange)?;
        w.u16(self.tlv_type())?;
        w.u16(len)?;
        let start = w.position();
        match self {
            Tlv::Management(m) => m.write_value(w)?,
            Tlv::ManagementErrorStatus(m) => m.write_value(w)?,
            Tlv::OrganizationExtension(o) => o.write_value(w)?,
            Tlv::RequestUnicastTransmission(t) => t.write_value(w)?,
            Tlv::GrantUnicastTransmission(t) => t.write_value(w)?,
            Tlv::CancelUnicastTransmission(t) | Tlv::AcknowledgeCancelUnicastTransmission(t) => {
                t.write_value(w)?
            }
            Tlv::PathTrace(p) => p.write_value(w)?,
            Tlv::AlternateTimeOffsetIndicator(a) => a.write_value(w)?,
            Tlv::Authentication(a) => a.write_value(w)?,
            Tlv::CsptpRequest(t) => t.write_value(w)?,
            Tlv::CsptpResponse(t) => t.write_value(w)?,
            Tlv::CsptpStatus(t) => t.write_value(w)?,
            Tlv::Other(raw) => w.bytes(raw.value)?,
        }
        // A typed value must write exactly what value_len promised.
        if w.position() - start != usize::from(len) {
            return Err(Error::ValueOutOfRange);
        }
        Ok(())
    }
}
