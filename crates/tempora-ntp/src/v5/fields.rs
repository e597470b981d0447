//! The typed NTPv5 extension fields (draft-ietf-ntp-ntpv5, "Extension
//! Fields" and its subsections), read from a [`Field`] under the type
//! numbers of one [`Draft`]. Fields of other types (NTS, the timestamp
//! fields) stay [`Extension::Other`]. Each typed value re-encodes to the
//! exact bytes it came from.

use super::correction::Correction;
use super::draft::Draft;
use super::extension::{Field, encode_parts};
use super::refids::RefIdsRequest;
use super::server_info::ServerInfo;
use crate::wire::Error;

/// One extension field, typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extension<'a> {
    /// Draft Identification ("Draft Identification Extension Field"): the
    /// ASCII name of the draft, not NUL-terminated; see
    /// [`Draft::from_id`].
    DraftId(&'a [u8]),
    /// Padding ("Padding Extension Field"): ignored data, normally zero.
    Padding(&'a [u8]),
    /// Message Authentication Code ("Message Authentication Code Extension
    /// Field"): a key ID and the MAC over everything before the field.
    Mac {
        /// The key ID.
        key_id: u32,
        /// The MAC.
        mac: &'a [u8],
    },
    /// Reference IDs Request.
    RefIdsRequest(RefIdsRequest<'a>),
    /// Reference IDs Response: a chunk of the server's Bloom filter.
    RefIdsResponse(&'a [u8]),
    /// Server Information.
    ServerInfo(ServerInfo),
    /// Correction.
    Correction(Correction),
    /// Any other field, as it was.
    Other(Field<'a>),
}

impl<'a> Extension<'a> {
    /// Types `field` under `draft`'s type numbers.
    ///
    /// Errors: [`Error::Truncated`] for a MAC field or Reference IDs Request
    /// too short for its fixed part, [`Error::BadValue`] for a Server
    /// Information or Correction field of the wrong length.
    pub fn decode(field: Field<'a>, draft: Draft) -> Result<Self, Error> {
        let t = draft.types();
        let data = field.data;
        Ok(match field.field_type {
            x if x == t.draft_id => Extension::DraftId(data),
            x if x == t.padding => Extension::Padding(data),
            x if x == t.mac => decode_mac(data)?,
            x if x == t.reference_ids_request => {
                Extension::RefIdsRequest(RefIdsRequest::decode(data)?)
            }
            x if x == t.reference_ids_response => Extension::RefIdsResponse(data),
            x if x == t.server_information => Extension::ServerInfo(ServerInfo::decode(data)?),
            x if x == t.correction => Extension::Correction(Correction::decode(data)?),
            _ => Extension::Other(field),
        })
    }

    /// The field type under `draft`.
    pub fn field_type(&self, draft: Draft) -> u16 {
        let t = draft.types();
        match self {
            Extension::DraftId(_) => t.draft_id,
            Extension::Padding(_) => t.padding,
            Extension::Mac { .. } => t.mac,
            Extension::RefIdsRequest(_) => t.reference_ids_request,
            Extension::RefIdsResponse(_) => t.reference_ids_response,
            Extension::ServerInfo(_) => t.server_information,
            Extension::Correction(_) => t.correction,
            Extension::Other(f) => f.field_type,
        }
    }

    /// Encodes the field under `draft` into the start of `buf`; returns
    /// the octets written, padding included.
    pub fn encode(&self, draft: Draft, buf: &mut [u8]) -> Result<usize, Error> {
        let ft = self.field_type(draft);
        match *self {
            Extension::DraftId(d) | Extension::Padding(d) | Extension::RefIdsResponse(d) => {
                encode_parts(ft, &[d], buf)
            }
            Extension::Mac { key_id, mac } => encode_parts(ft, &[&key_id.to_be_bytes(), mac], buf),
            Extension::RefIdsRequest(r) => r.encode(ft, buf),
            Extension::ServerInfo(i) => encode_parts(ft, &[&i.to_bytes()], buf),
            Extension::Correction(c) => encode_parts(ft, &[&c.to_bytes()], buf),
            Extension::Other(f) => f.encode(buf),
        }
    }

    /// The Draft Identification field of `draft`.
    pub fn draft_id(draft: Draft) -> Extension<'static> {
        Extension::DraftId(draft.id().as_bytes())
    }
}

/// A MAC field's data: a 32-bit key ID, then the MAC.
fn decode_mac(data: &[u8]) -> Result<Extension<'_>, Error> {
    let [a, b, c, d, ref mac @ ..] = *data else {
        return Err(Error::Truncated {
            needed: 4,
            available: data.len(),
        });
    };
    Ok(Extension::Mac {
        key_id: u32::from_be_bytes([a, b, c, d]),
        mac,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(wire: &[u8]) -> Extension<'_> {
        let (field, used) = Field::decode_at(wire, 0).unwrap();
        assert_eq!(used, wire.len());
        let ext = Extension::decode(field, Draft::Draft09).unwrap();
        let mut out = [0u8; 64];
        let n = ext.encode(Draft::Draft09, &mut out).unwrap();
        assert_eq!(&out[..n], wire);
        ext
    }

    #[test]
    fn each_type_round_trips() {
        let id = round_trip(b"\xF5\xFF\x00\x1bdraft-ietf-ntp-ntpv5-09\x00");
        assert_eq!(id, Extension::DraftId(b"draft-ietf-ntp-ntpv5-09"));
        assert_eq!(
            round_trip(&[0xF5, 1, 0, 6, 0, 0, 0, 0]),
            Extension::Padding(&[0, 0])
        );
        let mac = round_trip(&[0xF5, 2, 0, 10, 0, 0, 0, 9, 1, 2, 0, 0]);
        assert_eq!(
            mac,
            Extension::Mac {
                key_id: 9,
                mac: &[1, 2]
            }
        );
        let info = round_trip(&[0xF5, 5, 0, 8, 0, 0x1c, 0, 0]);
        assert!(matches!(info, Extension::ServerInfo(i) if i.supports(5)));
        assert!(matches!(round_trip(&[0xF5, 3, 0, 8, 1, 0, 0, 0]),
            Extension::RefIdsRequest(r) if r.offset == 256 && r.len() == 4));
        assert!(matches!(
            round_trip(&[0xF5, 4, 0, 8, 1, 2, 3, 4]),
            Extension::RefIdsResponse([1, 2, 3, 4])
        ));
        let mut corr = [0u8; 28];
        corr[..4].copy_from_slice(&[0xF5, 6, 0, 28]);
        assert!(matches!(round_trip(&corr), Extension::Correction(_)));
        assert!(matches!(
            round_trip(&[2, 4, 0, 8, 9, 9, 9, 9]),
            Extension::Other(_)
        ));
    }

    #[test]
    fn short_fixed_fields_are_errors() {
        let field = |t, d| Extension::decode(Field::new(t, d), Draft::Draft08);
        assert!(field(0xF502, &[0, 0, 1]).is_err());
        assert!(field(0xF503, &[0]).is_err());
        assert!(field(0xF505, &[0, 0]).is_err());
        assert!(field(0xF506, &[0; 20]).is_err());
    }
}
