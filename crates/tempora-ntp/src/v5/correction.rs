//! Correction extension field (draft-ietf-ntp-ntpv5, "Correction Extension
//! Field"): 28 octets written by transparent-clock switches, in PTP's
//! correctionField format (signed nanoseconds, 48.16 fixed point).
//!
//! ```text
//! Origin Correction (64) | Origin Path ID (16) | Reserved (16)
//! Delay Correction (64)  | Delay Path ID (16)  | Checksum Complement (16)
//! ```

use crate::wire::Error;

/// Length of the field's data (28 octets less the header).
pub const CORRECTION_DATA_LEN: usize = 24;

/// The data of a Correction field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Correction {
    /// Copy of the request's delay correction (responses), 2^-16 ns.
    pub origin_correction: i64,
    /// Copy of the request's path ID (responses).
    pub origin_path_id: u16,
    /// Reserved, kept for an exact round trip.
    pub reserved: u16,
    /// Correction accumulated on the way, 2^-16 ns.
    pub delay_correction: i64,
    /// Sum of the port IDs of the devices that corrected.
    pub delay_path_id: u16,
    /// Keeps the UDP checksum valid when devices modify the field.
    pub checksum_complement: u16,
}

impl Correction {
    /// Reads the field's data. Errors: [`Error::BadValue`] unless it is 24
    /// octets.
    pub fn decode(data: &[u8]) -> Result<Self, Error> {
        let d: &[u8; CORRECTION_DATA_LEN] = data.try_into().map_err(|_| Error::BadValue {
            field: "correction length",
        })?;
        let i64_at = |i: usize| i64::from_be_bytes(core::array::from_fn(|k| d[i + k]));
        let u16_at = |i: usize| u16::from_be_bytes([d[i], d[i + 1]]);
        Ok(Correction {
            origin_correction: i64_at(0),
            origin_path_id: u16_at(8),
            reserved: u16_at(10),
            delay_correction: i64_at(12),
            delay_path_id: u16_at(20),
            checksum_complement: u16_at(22),
        })
    }

    /// The field's 24 data octets.
    pub fn to_bytes(&self) -> [u8; CORRECTION_DATA_LEN] {
        let mut d = [0u8; CORRECTION_DATA_LEN];
        d[0..8].copy_from_slice(&self.origin_correction.to_be_bytes());
        d[8..10].copy_from_slice(&self.origin_path_id.to_be_bytes());
        d[10..12].copy_from_slice(&self.reserved.to_be_bytes());
        d[12..20].copy_from_slice(&self.delay_correction.to_be_bytes());
        d[20..22].copy_from_slice(&self.delay_path_id.to_be_bytes());
        d[22..24].copy_from_slice(&self.checksum_complement.to_be_bytes());
        d
    }

    /// The response's field for a request's: the request's delay
    /// correction and path ID copied to the origin fields, the rest zero.
    pub fn answer(&self) -> Self {
        Correction {
            origin_correction: self.delay_correction,
            origin_path_id: self.delay_path_id,
            ..Correction::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_answer() {
        let mut d = [0u8; 24];
        d[12..20].copy_from_slice(&(-5i64 << 16).to_be_bytes());
        d[20..22].copy_from_slice(&[0x12, 0x34]);
        d[23] = 7;
        let c = Correction::decode(&d).unwrap();
        assert_eq!(c.delay_correction, -5 << 16);
        assert_eq!((c.delay_path_id, c.checksum_complement), (0x1234, 7));
        assert_eq!(c.to_bytes(), d);
        let a = c.answer();
        assert_eq!((a.origin_correction, a.origin_path_id), (-5 << 16, 0x1234));
        assert_eq!((a.delay_correction, a.checksum_complement), (0, 0));
        assert!(Correction::decode(&d[..23]).is_err());
    }
}
