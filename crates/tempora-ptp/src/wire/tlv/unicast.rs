//! Unicast negotiation TLVs (IEEE 1588-2019 §16.1.4).

use crate::wire::MessageType;
use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};

fn exact<'a>(value: &'a [u8], len: usize) -> Result<Reader<'a>> {
    if value.len() != len {
        return Err(Error::Truncated {
            needed: len,
            available: value.len(),
        });
    }
    Ok(Reader::new(value))
}

/// REQUEST_UNICAST_TRANSMISSION (IEEE 1588-2019 §16.1.4.1, Table 110).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestUnicastTransmission {
    /// `messageType` in the high nibble; the low nibble is reserved and kept.
    pub message_type_octet: u8,
    /// `logInterMessagePeriod`: log2 of the requested interval in seconds.
    pub log_inter_message_period: i8,
    /// `durationField`: seconds the grant should last.
    pub duration: u32,
}

impl RequestUnicastTransmission {
    /// Length of the value field.
    pub const VALUE_LEN: usize = 6;

    /// The message type requested.
    pub fn message_type(&self) -> MessageType {
        MessageType::from_nibble(self.message_type_octet >> 4)
    }

    pub(crate) fn read_value(value: &[u8]) -> Result<Self> {
        let mut r = exact(value, Self::VALUE_LEN)?;
        Ok(Self {
            message_type_octet: r.u8()?,
            log_inter_message_period: r.i8()?,
            duration: r.u32()?,
        })
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.message_type_octet)?;
        w.i8(self.log_inter_message_period)?;
        w.u32(self.duration)
    }
}

/// GRANT_UNICAST_TRANSMISSION (IEEE 1588-2019 §16.1.4.2, Table 111).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantUnicastTransmission {
    /// `messageType` in the high nibble; the low nibble is reserved and kept.
    pub message_type_octet: u8,
    /// `logInterMessagePeriod` granted.
    pub log_inter_message_period: i8,
    /// `durationField`: seconds granted; 0 denies the request.
    pub duration: u32,
    /// The reserved octet.
    pub reserved: u8,
    /// The octet holding the `R` (renewal invited) flag in bit 0; other bits kept.
    pub flags: u8,
}

impl GrantUnicastTransmission {
    /// Length of the value field.
    pub const VALUE_LEN: usize = 8;

    /// The message type granted.
    pub fn message_type(&self) -> MessageType {
        MessageType::from_nibble(self.message_type_octet >> 4)
    }

    /// Whether the grantor invites renewal (the `R` flag).
    pub fn renewal_invited(&self) -> bool {
        self.flags & 1 != 0
    }

    pub(crate) fn read_value(value: &[u8]) -> Result<Self> {
        let mut r = exact(value, Self::VALUE_LEN)?;
        Ok(Self {
            message_type_octet: r.u8()?,
            log_inter_message_period: r.i8()?,
            duration: r.u32()?,
            reserved: r.u8()?,
            flags: r.u8()?,
        })
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.message_type_octet)?;
        w.i8(self.log_inter_message_period)?;
        w.u32(self.duration)?;
        w.u8(self.reserved)?;
        w.u8(self.flags)
    }
}

/// CANCEL_UNICAST_TRANSMISSION (IEEE 1588-2019 §16.1.4.3, Table 112) and
/// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4, Table 113), which
/// share a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CancelUnicastTransmission {
    /// `messageType` in the high nibble; the low nibble is reserved and kept.
    pub message_type_octet: u8,
    /// The reserved octet.
    pub reserved: u8,
}

impl CancelUnicastTransmission {
    /// Length of the value field.
    pub const VALUE_LEN: usize = 2;

    /// The message type cancelled.
    pub fn message_type(&self) -> MessageType {
        MessageType::from_nibble(self.message_type_octet >> 4)
    }

    pub(crate) fn read_value(value: &[u8]) -> Result<Self> {
        let mut r = exact(value, Self::VALUE_LEN)?;
        Ok(Self {
            message_type_octet: r.u8()?,
            reserved: r.u8()?,
        })
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.message_type_octet)?;
        w.u8(self.reserved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tlv::{RawTlv, Tlv};

    #[test]
    fn grant_layout() {
        // Grant of Sync (0x0) at 2^-3 s for 300 s, renewal invited.
        let value = [0x00, 0xfd, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x01];
        let tlv = Tlv::decode(RawTlv {
            tlv_type: 0x0005,
            value: &value,
        })
        .unwrap();
        let Tlv::GrantUnicastTransmission(g) = tlv else {
            panic!("{tlv:?}")
        };
        assert_eq!(g.message_type(), MessageType::Sync);
        assert_eq!(g.log_inter_message_period, -3);
        assert_eq!(g.duration, 300);
        assert!(g.renewal_invited());
        let mut out = [0u8; 12];
        assert_eq!(tlv.encode(&mut out).unwrap(), 12);
        assert_eq!(&out[..4], &[0x00, 0x05, 0x00, 0x08]);
        assert_eq!(&out[4..], &value);
    }

    #[test]
    fn request_and_cancel_layout() {
        let value = [0xb0, 0x01, 0x00, 0x00, 0x00, 0x3c];
        let Tlv::RequestUnicastTransmission(r) = Tlv::decode(RawTlv {
            tlv_type: 0x0004,
            value: &value,
        })
        .unwrap() else {
            panic!()
        };
        assert_eq!(r.message_type(), MessageType::Announce);
        assert_eq!((r.log_inter_message_period, r.duration), (1, 60));
        let Tlv::AcknowledgeCancelUnicastTransmission(c) = Tlv::decode(RawTlv {
            tlv_type: 0x0007,
            value: &[0x90, 0x00],
        })
        .unwrap() else {
            panic!()
        };
        assert_eq!(c.message_type(), MessageType::DelayResp);
        assert!(
            Tlv::decode(RawTlv {
                tlv_type: 0x0006,
                value: &[0x90]
            })
            .is_err()
        );
    }
}
