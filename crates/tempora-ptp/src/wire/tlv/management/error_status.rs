//! The MANAGEMENT_ERROR_STATUS TLV (IEEE 1588-2019 §15.5.4).

use super::management_error_id;
use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};
use crate::wire::tlv::tlv_type;
use crate::wire::types::PtpText;

/// The value of a MANAGEMENT_ERROR_STATUS TLV (IEEE 1588-2019 §15.5.4):
/// sent instead of a MANAGEMENT TLV when a request fails.
///
/// Decoding keeps every byte: the reserved field, the optional
/// `displayData` and any octets after it (the pad to an even length), so
/// that encoding reproduces the input exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ManagementErrorStatus<'a> {
    /// `managementErrorId` (§15.5.4.3); see [`management_error_id`].
    pub management_error_id: u16,
    /// `managementId` of the request that failed.
    pub management_id: u16,
    /// The reserved field.
    pub reserved: [u8; 4],
    /// `displayData`, if the TLV carries one.
    pub display_data: Option<PtpText<'a>>,
    /// Octets after `displayData` (normally one zero octet padding to an even
    /// length, or none). Only meaningful when `display_data` is present: a
    /// decoder reads any octets after the reserved field as `displayData`.
    pub pad: &'a [u8],
}

impl<'a> ManagementErrorStatus<'a> {
    /// Size of the fixed part of the value: error ID, management ID, reserved.
    pub const FIXED_LEN: usize = 8;

    /// A status without `displayData`.
    pub fn new(management_error_id: u16, management_id: u16) -> Self {
        ManagementErrorStatus {
            management_error_id,
            management_id,
            reserved: [0; 4],
            display_data: None,
            pad: &[],
        }
    }

    /// The name of [`ManagementErrorStatus::management_error_id`], e.g.
    /// `NOT_SUPPORTED`, if it is known.
    pub fn error_name(&self) -> Option<&'static str> {
        management_error_id::name(self.management_error_id)
    }

    /// Decodes the `valueField` of the TLV.
    pub(crate) fn read_value(value: &'a [u8]) -> Result<Self> {
        let wrong = || Error::WrongTlvLength {
            tlv_type: tlv_type::MANAGEMENT_ERROR_STATUS,
            length: u16::try_from(value.len()).unwrap_or(u16::MAX),
        };
        let mut r = Reader::new(value);
        let management_error_id = r.u16().map_err(|_| wrong())?;
        let management_id = r.u16().map_err(|_| wrong())?;
        let reserved = r.array().map_err(|_| wrong())?;
        let display_data = if r.remaining() == 0 {
            None
        } else {
            Some(PtpText::read(&mut r).map_err(|_| wrong())?)
        };
        Ok(ManagementErrorStatus {
            management_error_id,
            management_id,
            reserved,
            display_data,
            pad: r.rest(),
        })
    }

    /// Length of the `valueField` in bytes.
    pub fn value_len(&self) -> usize {
        let text = self.display_data.map_or(0, |t| t.encoded_len());
        text.saturating_add(self.pad.len())
            .saturating_add(Self::FIXED_LEN)
    }

    /// Encodes the `valueField`.
    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u16(self.management_error_id)?;
        w.u16(self.management_id)?;
        w.bytes(&self.reserved)?;
        if let Some(text) = &self.display_data {
            text.write(w)?;
        }
        w.bytes(self.pad)
    }
}
