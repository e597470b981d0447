//! ORGANIZATION_EXTENSION TLVs (IEEE 1588-2019 §14.3), with the IEEE 802.1AS
//! Follow_Up information TLV.

use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};

/// An ORGANIZATION_EXTENSION, ORGANIZATION_EXTENSION_PROPAGATE or
/// ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE TLV (IEEE 1588-2019 §14.3, Table 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrganizationExtension<'a> {
    /// Which of the three TLV types this is (0x0003, 0x4000 or 0x8000).
    pub tlv_type: u16,
    /// `organizationId`: an OUI or CID.
    pub organization_id: [u8; 3],
    /// `organizationSubType`.
    pub organization_sub_type: [u8; 3],
    /// `dataField`, defined by the organization.
    pub data: &'a [u8],
}

/// The OUI of IEEE 802.1 (00-80-C2).
pub const IEEE_802_1_OUI: [u8; 3] = [0x00, 0x80, 0xc2];

impl<'a> OrganizationExtension<'a> {
    /// Length of the value field.
    pub fn value_len(&self) -> usize {
        6 + self.data.len()
    }

    /// The 802.1AS Follow_Up information, if this is that TLV.
    pub fn follow_up_information(&self) -> Option<FollowUpInformation> {
        if self.tlv_type != 0x0003
            || self.organization_id != IEEE_802_1_OUI
            || self.organization_sub_type != FollowUpInformation::SUB_TYPE
        {
            return None;
        }
        FollowUpInformation::read_data(self.data).ok()
    }

    pub(crate) fn read_value(tlv_type: u16, value: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(Self {
            tlv_type,
            organization_id: r.array()?,
            organization_sub_type: r.array()?,
            data: r.rest(),
        })
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.bytes(&self.organization_id)?;
        w.bytes(&self.organization_sub_type)?;
        w.bytes(self.data)
    }
}

/// `ScaledNs` (IEEE 802.1AS-2020 §6.4.3.1): a signed 96-bit count of
/// 2^-16 ns, held sign-extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScaledNs(pub i128);

impl ScaledNs {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        let b: [u8; 12] = r.array()?;
        let mut wide = [if b[0] & 0x80 != 0 { 0xff } else { 0 }; 16];
        wide[4..].copy_from_slice(&b);
        Ok(ScaledNs(i128::from_be_bytes(wide)))
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        if self.0 < -(1i128 << 95) || self.0 >= (1i128 << 95) {
            return Err(Error::ValueOutOfRange);
        }
        w.bytes(&self.0.to_be_bytes()[4..])
    }
}

/// The Follow_Up information TLV of IEEE 802.1AS-2020 §11.4.4.3 (Table 11-11),
/// carried in gPTP Follow_Up messages: the data field of an
/// ORGANIZATION_EXTENSION with OUI 00-80-C2, subtype 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FollowUpInformation {
    /// `cumulativeScaledRateOffset`: (rateRatio − 1) × 2^41.
    pub cumulative_scaled_rate_offset: i32,
    /// `gmTimeBaseIndicator`.
    pub gm_time_base_indicator: u16,
    /// `lastGmPhaseChange`.
    pub last_gm_phase_change: ScaledNs,
    /// `scaledLastGmFreqChange`: fractional frequency change × 2^41.
    pub scaled_last_gm_freq_change: i32,
}

impl FollowUpInformation {
    /// `organizationSubType` 1.
    pub const SUB_TYPE: [u8; 3] = [0, 0, 1];
    /// Length of the data field.
    pub const DATA_LEN: usize = 22;

    /// The rate ratio `cumulative_scaled_rate_offset` stands for.
    pub fn rate_ratio(&self) -> f64 {
        1.0 + f64::from(self.cumulative_scaled_rate_offset) / (1u64 << 41) as f64
    }

    /// Decodes the data field.
    pub fn read_data(data: &[u8]) -> Result<Self> {
        if data.len() != Self::DATA_LEN {
            return Err(Error::Truncated {
                needed: Self::DATA_LEN,
                available: data.len(),
            });
        }
        let mut r = Reader::new(data);
        Ok(Self {
            cumulative_scaled_rate_offset: r.i32()?,
            gm_time_base_indicator: r.u16()?,
            last_gm_phase_change: ScaledNs::read(&mut r)?,
            scaled_last_gm_freq_change: r.i32()?,
        })
    }

    /// Encodes the data field into `buf`, returning the bytes written.
    pub fn write_data(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(buf);
        w.i32(self.cumulative_scaled_rate_offset)?;
        w.u16(self.gm_time_base_indicator)?;
        self.last_gm_phase_change.write(&mut w)?;
        w.i32(self.scaled_last_gm_freq_change)?;
        Ok(w.position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tlv::{RawTlv, Tlv};

    #[test]
    fn follow_up_information_round_trip() {
        let mut value = [0u8; 28];
        value[..6].copy_from_slice(&[0x00, 0x80, 0xc2, 0, 0, 1]);
        let info = FollowUpInformation {
            cumulative_scaled_rate_offset: -2199,
            gm_time_base_indicator: 7,
            last_gm_phase_change: ScaledNs(-(1 << 40)),
            scaled_last_gm_freq_change: 5,
        };
        assert_eq!(info.write_data(&mut value[6..]).unwrap(), 22);
        assert_eq!(&value[6..10], &(-2199i32).to_be_bytes());
        assert_eq!(&value[12..18], &[0xff; 6]);
        let tlv = Tlv::decode(RawTlv {
            tlv_type: 0x0003,
            value: &value,
        })
        .unwrap();
        let Tlv::OrganizationExtension(org) = tlv else {
            panic!()
        };
        assert_eq!(org.follow_up_information(), Some(info));
        assert!((info.rate_ratio() - (1.0 - 2199.0 / 2f64.powi(41))).abs() < 1e-15);
        let mut out = [0u8; 32];
        tlv.encode(&mut out).unwrap();
        assert_eq!(&out[4..], &value);
    }
}
