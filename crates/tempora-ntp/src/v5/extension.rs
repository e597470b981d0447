//! NTPv5 extension field framing (draft-ietf-ntp-ntpv5, "Extension
//! Fields"): a 16-bit type and a 16-bit length that counts the 4-octet
//! header and the data but not the zero padding that aligns the next field
//! to 4 octets. Unlike RFC 7822, the minimum length is 4 and the length
//! need not be a multiple of 4. NTPv4 fields (NTS) frame the same way,
//! their lengths being multiples of 4 already.

use crate::wire::Error;

/// Length of an extension field header (type and length).
pub const FIELD_HEADER_LEN: usize = 4;

/// One extension field: its type and its data (without header or
/// message-level padding), borrowed from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field<'a> {
    /// The 16-bit field type.
    pub field_type: u16,
    /// The data: `length - 4` octets.
    pub data: &'a [u8],
}

/// Rounds up to a multiple of 4.
const fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

impl<'a> Field<'a> {
    /// A field of `field_type` carrying `data`.
    pub const fn new(field_type: u16, data: &'a [u8]) -> Self {
        Field { field_type, data }
    }

    /// Decodes the field at the start of `buf` (`offset` is its position
    /// in the message, for errors); returns it and the octets it occupies
    /// with its padding.
    ///
    /// Errors: [`Error::BadExtensionLength`] for a length below 4,
    /// [`Error::ExtensionOverrun`] when the field or its padding runs past
    /// `buf`, [`Error::BadValue`] for non-zero padding.
    pub fn decode_at(buf: &'a [u8], offset: usize) -> Result<(Self, usize), Error> {
        let [t0, t1, l0, l1, ..] = *buf else {
            return Err(Error::Truncated {
                needed: offset.saturating_add(FIELD_HEADER_LEN),
                available: offset.saturating_add(buf.len()),
            });
        };
        let length = u16::from_be_bytes([l0, l1]);
        let len = usize::from(length);
        if len < FIELD_HEADER_LEN {
            return Err(Error::BadExtensionLength { offset, length });
        }
        let overrun = Error::ExtensionOverrun {
            offset,
            length,
            available: buf.len(),
        };
        let padded = buf.get(..pad4(len)).ok_or(overrun)?;
        let (field, padding) = padded.split_at(len);
        if padding.iter().any(|&b| b != 0) {
            return Err(Error::BadValue {
                field: "extension field padding",
            });
        }
        let data = field.get(FIELD_HEADER_LEN..).unwrap_or_default();
        let field_type = u16::from_be_bytes([t0, t1]);
        Ok((Field { field_type, data }, padded.len()))
    }

    /// The value of the Length field: header plus data.
    pub fn length(&self) -> usize {
        self.data.len().saturating_add(FIELD_HEADER_LEN)
    }

    /// Octets on the wire, padding included.
    pub fn encoded_len(&self) -> usize {
        pad4(self.length())
    }

    /// Encodes the field and its zero padding into the start of `buf`;
    /// returns [`Field::encoded_len`].
    ///
    /// Errors: [`Error::FieldOutOfRange`] when the data is longer than
    /// 65531 octets, [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        encode_parts(self.field_type, &[self.data], buf)
    }
}

/// Encodes a field of `field_type` whose data is `parts` concatenated,
/// with its zero padding, into the start of `buf`; returns the octets
/// written. Errors as [`Field::encode`].
pub fn encode_parts(field_type: u16, parts: &[&[u8]], buf: &mut [u8]) -> Result<usize, Error> {
    let data_len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    let len = data_len.saturating_add(FIELD_HEADER_LEN);
    let length = u16::try_from(len).map_err(|_| Error::FieldOutOfRange {
        field: "extension field length",
    })?;
    let total = pad4(len);
    let available = buf.len();
    let dst = buf.get_mut(..total).ok_or(Error::BufferTooSmall {
        needed: total,
        available,
    })?;
    dst.fill(0);
    dst[..2].copy_from_slice(&field_type.to_be_bytes());
    dst[2..4].copy_from_slice(&length.to_be_bytes());
    let mut at = FIELD_HEADER_LEN;
    for part in parts {
        dst[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    Ok(total)
}

/// The validated extension fields of a message, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Fields<'a> {
    bytes: &'a [u8],
    /// Offset of `bytes` in the message (for errors and iteration).
    base: usize,
}

impl<'a> Fields<'a> {
    /// No fields.
    pub const EMPTY: Fields<'static> = Fields {
        bytes: &[],
        base: 0,
    };

    /// Validates that `bytes`, found at `base` in the message, are a
    /// sequence of whole extension fields (see [`Field::decode_at`]).
    pub fn new(bytes: &'a [u8], base: usize) -> Result<Self, Error> {
        let mut pos = 0;
        while pos < bytes.len() {
            let rest = bytes.get(pos..).unwrap_or_default();
            let (_, used) = Field::decode_at(rest, base.saturating_add(pos))?;
            pos = pos.saturating_add(used);
        }
        Ok(Fields { bytes, base })
    }

    /// The fields' bytes, exactly as on the wire.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether there are no fields.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Iterates over the fields with their offsets in the message.
    pub fn iter(&self) -> FieldIter<'a> {
        FieldIter {
            rest: self.bytes,
            offset: self.base,
        }
    }
}

/// Iterator over validated [`Fields`], yielding each field's offset in the
/// message and the field.
#[derive(Debug, Clone)]
pub struct FieldIter<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = (usize, Field<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Ok((field, used)) = Field::decode_at(self.rest, self.offset) else {
            self.rest = &[];
            return None;
        };
        let at = self.offset;
        self.rest = self.rest.get(used..).unwrap_or_default();
        self.offset = self.offset.saturating_add(used);
        Some((at, field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_length_is_padded_and_round_trips() {
        let wire = [0xF5, 0xFF, 0x00, 0x07, b'a', b'b', b'c', 0x00];
        let (f, used) = Field::decode_at(&wire, 48).unwrap();
        assert_eq!((f.field_type, f.data, used), (0xF5FF, &b"abc"[..], 8));
        let mut out = [0xAA; 8];
        assert_eq!(f.encode(&mut out), Ok(8));
        assert_eq!(out, wire);
    }

    #[test]
    fn empty_field_is_four_octets() {
        let (f, used) = Field::decode_at(&[0xF5, 0x01, 0, 4], 0).unwrap();
        assert_eq!((f.data.len(), used), (0, 4));
    }

    #[test]
    fn bad_lengths_and_padding_are_errors() {
        assert_eq!(
            Field::decode_at(&[0xF5, 0x01, 0, 3], 48),
            Err(Error::BadExtensionLength {
                offset: 48,
                length: 3
            })
        );
        assert!(matches!(
            Field::decode_at(&[0xF5, 0x01, 0, 5, 1], 0),
            Err(Error::ExtensionOverrun { .. })
        ));
        assert!(matches!(
            Field::decode_at(&[0xF5, 0x01, 0, 5, 1, 0, 9, 0], 0),
            Err(Error::BadValue { .. })
        ));
        assert!(matches!(
            Field::decode_at(&[0xF5, 0x01, 0], 0),
            Err(Error::Truncated { .. })
        ));
    }

    #[test]
    fn fields_iterate_with_offsets() {
        let bytes = [0xF5, 0x01, 0, 5, 0, 0, 0, 0, 0xF5, 0x02, 0, 4];
        let fields = Fields::new(&bytes, 48).unwrap();
        let got: [(usize, u16); 2] = {
            let mut it = fields.iter();
            let a = it.next().unwrap();
            let b = it.next().unwrap();
            assert!(it.next().is_none());
            [(a.0, a.1.field_type), (b.0, b.1.field_type)]
        };
        assert_eq!(got, [(48, 0xF501), (56, 0xF502)]);
        assert!(Fields::new(&bytes[..11], 48).is_err());
    }
}
