//! ALTERNATE_TIME_OFFSET_INDICATOR (IEEE 1588-2019 §16.3.3).

use crate::wire::PtpText;
use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::Result;

/// ALTERNATE_TIME_OFFSET_INDICATOR (IEEE 1588-2019 §16.3.3, Table 117): the
/// offset of an alternate timescale (e.g. local time) from the PTP timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlternateTimeOffsetIndicator<'a> {
    /// `keyField`: which alternate timescale.
    pub key_field: u8,
    /// `currentOffset` in seconds.
    pub current_offset: i32,
    /// `jumpSeconds`: the size of the next discontinuity.
    pub jump_seconds: i32,
    /// `timeOfNextJump`, 48-bit seconds of the PTP timescale.
    pub time_of_next_jump: u64,
    /// `displayName`.
    pub display_name: PtpText<'a>,
    /// Padding after `displayName` to an even length, kept as received.
    pub pad: &'a [u8],
}

impl<'a> AlternateTimeOffsetIndicator<'a> {
    /// Length of the value field.
    pub fn value_len(&self) -> usize {
        1 + 4 + 4 + 6 + self.display_name.encoded_len() + self.pad.len()
    }

    pub(crate) fn read_value(value: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(Self {
            key_field: r.u8()?,
            current_offset: r.i32()?,
            jump_seconds: r.i32()?,
            time_of_next_jump: r.u48()?,
            display_name: PtpText::read(&mut r)?,
            pad: r.rest(),
        })
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.key_field)?;
        w.i32(self.current_offset)?;
        w.i32(self.jump_seconds)?;
        w.u48(self.time_of_next_jump)?;
        self.display_name.write(w)?;
        w.bytes(self.pad)
    }
}

#[cfg(test)]
mod tests {
    use crate::wire::tlv::{RawTlv, Tlv};

    #[test]
    fn layout_and_round_trip() {
        let value = [
            1, // keyField
            0, 0, 0x0e, 0x10, // currentOffset 3600
            0xff, 0xff, 0xf1, 0xf0, // jumpSeconds -3600
            0, 0, 0x6b, 0x00, 0x00, 0x00, // timeOfNextJump
            3, b'C', b'E', b'T', // displayName
            0,    // pad
        ];
        let tlv = Tlv::decode(RawTlv {
            tlv_type: 0x0009,
            value: &value,
        })
        .unwrap();
        let Tlv::AlternateTimeOffsetIndicator(a) = tlv else {
            panic!()
        };
        assert_eq!((a.current_offset, a.jump_seconds), (3600, -3600));
        assert_eq!(a.time_of_next_jump, 0x6b00_0000);
        assert_eq!(a.display_name.as_str(), Some("CET"));
        let mut out = [0u8; 24];
        assert_eq!(tlv.encode(&mut out).unwrap(), 24);
        assert_eq!(&out[4..], &value);
        assert!(
            Tlv::decode(RawTlv {
                tlv_type: 0x0009,
                value: &value[..17]
            })
            .is_err()
        );
    }
}
