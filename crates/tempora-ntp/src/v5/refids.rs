//! Reference IDs Request and Response extension fields
//! (draft-ietf-ntp-ntpv5, "Reference IDs Request and Response Extension
//! Fields"): a client asks for a chunk of the server's 4096-bit (512-octet)
//! Bloom filter; the request's data is a 16-bit offset in octets and
//! padding, and its data length is the chunk length; the response carries
//! the chunk and has the same length. A request whose offset is larger than
//! 512 minus the chunk length must be ignored.

use super::BLOOM_BYTES;
use super::extension::encode_parts;
use crate::wire::Error;

/// Zeros to borrow as request padding.
static ZEROS: [u8; BLOOM_BYTES] = [0; BLOOM_BYTES];

/// A Reference IDs Request: the chunk at `offset` of the length of the
/// request's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefIdsRequest<'a> {
    /// Offset of the chunk in the filter, octets.
    pub offset: u16,
    /// The data after the offset (padding, normally zero), kept for an
    /// exact round trip; its length plus 2 is the chunk length.
    pub padding: &'a [u8],
}

impl RefIdsRequest<'static> {
    /// A request for `len` octets at `offset`, zero-padded; `None` unless
    /// `len` is 2..=512 (the data holds the 2-octet offset).
    pub fn new(offset: u16, len: usize) -> Option<Self> {
        if len > BLOOM_BYTES {
            return None;
        }
        let padding = ZEROS.get(..len.checked_sub(2)?)?;
        Some(RefIdsRequest { offset, padding })
    }
}

impl<'a> RefIdsRequest<'a> {
    /// Reads the request from a field's data. Errors:
    /// [`Error::Truncated`] when the data is shorter than the offset.
    pub fn decode(data: &'a [u8]) -> Result<Self, Error> {
        let [a, b, ref padding @ ..] = *data else {
            return Err(Error::Truncated {
                needed: 2,
                available: data.len(),
            });
        };
        Ok(RefIdsRequest {
            offset: u16::from_be_bytes([a, b]),
            padding,
        })
    }

    /// The requested chunk length: the request's data length.
    pub fn len(&self) -> usize {
        self.padding.len().saturating_add(2)
    }

    /// Always false: the data holds at least the offset.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The range of the filter asked for, or `None` when the offset is
    /// invalid for the length (past 512 minus the length): such a request
    /// must be ignored.
    pub fn range(&self) -> Option<core::ops::Range<usize>> {
        let start = usize::from(self.offset);
        let end = start.checked_add(self.len())?;
        (end <= BLOOM_BYTES).then_some(start..end)
    }

    /// Encodes the field of type `field_type` into `buf`; returns the
    /// octets written (any length decoded re-encodes, even one no server
    /// would answer). Errors: [`Error::FieldOutOfRange`] past 65531
    /// octets, [`Error::BufferTooSmall`].
    pub fn encode(&self, field_type: u16, buf: &mut [u8]) -> Result<usize, Error> {
        let offset = self.offset.to_be_bytes();
        encode_parts(field_type, &[&offset, self.padding], buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_length_is_data_length() {
        let r = RefIdsRequest::decode(&[0, 16, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!((r.offset, r.len()), (16, 8));
        assert_eq!(r.range(), Some(16..24));
    }

    #[test]
    fn offsets_past_the_filter_are_invalid() {
        let at = |offset, len| RefIdsRequest::new(offset, len).unwrap().range();
        assert_eq!(at(0, 512), Some(0..512));
        assert_eq!(at(496, 16), Some(496..512));
        assert_eq!(at(497, 16), None);
        assert_eq!(at(512, 2), None);
        assert_eq!(at(u16::MAX, 2), None);
        assert_eq!(at(1, 3), Some(1..4)); // odd lengths are not forbidden
        assert!(RefIdsRequest::new(0, 513).is_none());
        assert!(RefIdsRequest::new(0, 1).is_none());
        assert!(RefIdsRequest::decode(&[0]).is_err());
        // Found by the ntpv5_packet fuzz target: a request longer than the
        // filter decodes (its range is invalid) and must re-encode.
        let long = [0u8; 600];
        let r = RefIdsRequest::decode(&long).unwrap();
        assert_eq!(r.range(), None);
        let mut out = [0xAA; 604];
        assert_eq!(r.encode(0xF503, &mut out), Ok(604));
        assert_eq!(&out[4..], &long[..]);
    }

    #[test]
    fn request_encodes_like_ntpd_rs() {
        // From the ntpv5.pcap capture: F503 0014, offset 0x0010, 14 zeros.
        let mut want = [0u8; 20];
        want[..6].copy_from_slice(&[0xF5, 0x03, 0x00, 0x14, 0x00, 0x10]);
        let mut out = [0xAA; 20];
        let req = RefIdsRequest::new(16, 16).unwrap();
        assert_eq!(req.encode(0xF503, &mut out), Ok(20));
        assert_eq!(out, want);
    }
}
