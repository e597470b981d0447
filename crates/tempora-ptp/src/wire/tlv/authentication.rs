//! AUTHENTICATION (IEEE 1588-2019 §16.14.3, Annex P).

use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};

/// `secParamIndicator` bits (IEEE 1588-2019 §16.14.3.3, Table 132).
pub mod sec_param {
    /// Bit 0: the RES field is present.
    pub const RES_PRESENT: u8 = 0x01;
    /// Bit 1: the sequenceNo field is present.
    pub const SEQUENCE_NO_PRESENT: u8 = 0x02;
    /// Bit 2: delayed processing (the disclosedKey field is present);
    /// clear for immediate processing.
    pub const DELAYED: u8 = 0x04;
}

/// AUTHENTICATION (IEEE 1588-2019 §16.14.3, Table 131): `SPP`,
/// `secParamIndicator`, `keyID`, then the optional `disclosedKey`,
/// `sequenceNo` and `RES` fields and the `ICV`. How long the optional fields
/// and the ICV are is known only from the security association the SPP
/// names, so the octets after `keyID` are kept together in [`Self::rest`];
/// [`crate::auth`] splits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthenticationTlv<'a> {
    /// `SPP` (§16.14.3.2): the security parameter pointer, naming the
    /// security association.
    pub spp: u8,
    /// `secParamIndicator` (§16.14.3.3); see [`sec_param`].
    pub sec_param_indicator: u8,
    /// `keyID` (§16.14.3.4).
    pub key_id: u32,
    /// The optional fields and the `ICV` (§16.14.3.5–§16.14.3.8).
    pub rest: &'a [u8],
}

impl<'a> AuthenticationTlv<'a> {
    /// Octets of the value before [`Self::rest`]: SPP, secParamIndicator, keyID.
    pub const FIXED_LEN: usize = 6;

    /// Length of the value field.
    pub fn value_len(&self) -> usize {
        Self::FIXED_LEN + self.rest.len()
    }

    pub(crate) fn read_value(value: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(AuthenticationTlv {
            spp: r.u8()?,
            sec_param_indicator: r.u8()?,
            key_id: r.u32()?,
            rest: r.rest(),
        })
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.spp)?;
        w.u8(self.sec_param_indicator)?;
        w.u32(self.key_id)?;
        w.bytes(self.rest)
    }

    /// Decodes a value field, refusing one shorter than [`Self::FIXED_LEN`].
    pub fn decode_value(value: &'a [u8]) -> Result<Self> {
        Self::read_value(value).map_err(|_| Error::WrongTlvLength {
            tlv_type: super::tlv_type::AUTHENTICATION,
            length: u16::try_from(value.len()).unwrap_or(u16::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_round_trip() {
        let v = [1, 0, 0, 0, 0, 2, 0xaa, 0xbb];
        let t = AuthenticationTlv::decode_value(&v).unwrap();
        assert_eq!((t.spp, t.sec_param_indicator, t.key_id), (1, 0, 2));
        assert_eq!(t.rest, &[0xaa, 0xbb]);
        let mut out = [0u8; 8];
        let mut w = Writer::new(&mut out);
        t.write_value(&mut w).unwrap();
        assert_eq!(out, v);
        assert!(AuthenticationTlv::decode_value(&v[..5]).is_err());
    }
}
