//! Requests (RFC 10049 §5.1): VER, NONC, TYPE = 0, optionally SRV, padded
//! with ZZZZ to 1024 bytes; the Google protocol's NONC and PAD\xff.
//!
//! [`encode_request`] builds one (client side); [`Request::decode`] reads
//! one and picks the version to answer in (server side).

use alloc::vec::Vec;

use crate::error::Error;
use crate::framing::{HEADER_LEN, frame, is_framed, unframe};
use crate::message::{Builder, Message};
use crate::tag::Tag;
use crate::version::{Version, VersionSet};

/// The size requests are padded to, and the smallest a server answers
/// (RFC 10049 §5.1; Google PROTOCOL.md).
pub const MIN_REQUEST_SIZE: usize = 1024;

/// TYPE of a request (RFC 10049 §5.1.3).
pub const TYPE_REQUEST: u32 = 0;
/// TYPE of a response (RFC 10049 §5.2.3).
pub const TYPE_RESPONSE: u32 = 1;

/// At most this many VER entries are read (RFC 10049 §5.1.1: a client
/// sends at most 32).
pub const MAX_VERSIONS: usize = 32;

/// Builds a request packet of `version` carrying `nonce`, bound to the
/// long-term key whose SRV value is `srv` (ignored by versions without
/// SRV), padded to [`MIN_REQUEST_SIZE`] bytes.
pub fn encode_request(
    version: Version,
    nonce: &[u8],
    srv: Option<&[u8; 32]>,
) -> Result<Vec<u8>, Error> {
    encode_request_padded(version, nonce, srv, MIN_REQUEST_SIZE)
}

/// Like [`encode_request`], padded to `size` bytes (at least what the tags
/// take; RFC 10049 §5.1: at least 1024, and clients may pad more).
pub fn encode_request_padded(
    version: Version,
    nonce: &[u8],
    srv: Option<&[u8; 32]>,
    size: usize,
) -> Result<Vec<u8>, Error> {
    let p = version.params();
    if nonce.len() != p.nonce_len {
        return Err(Error::BadLength {
            tag: Tag::NONC,
            len: nonce.len(),
        });
    }
    let ver = p.wire.map(u32::to_le_bytes);
    let mut b = Builder::new().add(Tag::NONC, nonce);
    if let Some(ver) = &ver {
        b.push(Tag::VER, ver);
    }
    if p.type_tag {
        b.push(Tag::TYPE, &[0; 4]);
    }
    if let (true, Some(srv)) = (p.srv, srv) {
        b.push(Tag::SRV, srv);
    }
    let framing = if p.framed { HEADER_LEN } else { 0 };
    // The padding pair itself takes 8 header bytes.
    let used = framing + b.encoded_len() + 8;
    let zeros = alloc::vec![0u8; size.saturating_sub(used)];
    b.push(p.pad_tag, &zeros);
    frame(version, &b.encode()?)
}

/// Why a request gets no reply (RFC 10049 §5.1, §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// Not a well-formed packet or message.
    Malformed(Error),
    /// TYPE is not 0 (RFC 10049 §5.1.3).
    NotARequest(u32),
    /// A mandatory tag is absent (RFC 10049 §5.1: VER, NONC, TYPE).
    MissingTag(Tag),
    /// None of the offered versions is one this side answers.
    UnsupportedVersion,
    /// NONC has the wrong length for the version.
    BadNonce(usize),
}

impl From<Error> for RequestError {
    fn from(e: Error) -> Self {
        match e {
            Error::MissingTag(t) => RequestError::MissingTag(t),
            e => RequestError::Malformed(e),
        }
    }
}

impl core::fmt::Display for RequestError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RequestError::Malformed(e) => write!(f, "malformed: {e}"),
            RequestError::NotARequest(t) => write!(f, "TYPE {t} is not a request"),
            RequestError::MissingTag(t) => write!(f, "tag {t} missing"),
            RequestError::UnsupportedVersion => f.write_str("no supported version offered"),
            RequestError::BadNonce(n) => write!(f, "nonce of {n} bytes"),
        }
    }
}

/// A decoded request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The version the reply will use.
    pub version: Version,
    /// NONC.
    pub nonce: &'a [u8],
    /// SRV, if sent (RFC 10049 §5.1.4).
    pub srv: Option<&'a [u8]>,
    /// The whole packet (the Merkle leaf of the framed versions).
    pub packet: &'a [u8],
}

impl<'a> Request<'a> {
    /// Decodes `packet` and picks, among the versions it offers and those
    /// in `supported`, the newest. A framed packet is IETF (VER, TYPE
    /// required); a bare one is Google.
    pub fn decode(packet: &'a [u8], supported: VersionSet) -> Result<Self, RequestError> {
        let (version, msg) = if is_framed(packet) {
            let msg = Message::decode(unframe(packet)?)?;
            (ietf_version(&msg, supported)?, msg)
        } else {
            let msg = Message::decode(packet)?;
            if !supported.contains(Version::Google) {
                return Err(RequestError::UnsupportedVersion);
            }
            (Version::Google, msg)
        };
        let nonce = msg.require(Tag::NONC)?;
        if nonce.len() != version.params().nonce_len {
            return Err(RequestError::BadNonce(nonce.len()));
        }
        Ok(Request {
            version,
            nonce,
            srv: msg.get(Tag::SRV),
            packet,
        })
    }

    /// The data this request's Merkle leaf hashes (RFC 10049 §5.3).
    pub fn leaf(&self) -> &'a [u8] {
        match self.version.params().leaf {
            crate::version::LeafInput::Nonce => self.nonce,
            crate::version::LeafInput::Packet => self.packet,
        }
    }
}

/// TYPE must be 0, then the newest offered version this side speaks.
fn ietf_version(msg: &Message<'_>, supported: VersionSet) -> Result<Version, RequestError> {
    let ty = msg.u32(Tag::TYPE)?;
    if ty != TYPE_REQUEST {
        return Err(RequestError::NotARequest(ty));
    }
    let ver = msg.require(Tag::VER)?;
    ver.chunks_exact(4)
        .take(MAX_VERSIONS)
        .filter_map(|w| Version::from_wire(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
        .filter(|v| v.params().framed && supported.contains(*v))
        .max()
        .ok_or(RequestError::UnsupportedVersion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_1024_bytes_and_decode() {
        for v in Version::ALL {
            let nonce = alloc::vec![9u8; v.params().nonce_len];
            for srv in [None, Some(&[5u8; 32])] {
                let pkt = encode_request(v, &nonce, srv).unwrap();
                assert_eq!(pkt.len(), MIN_REQUEST_SIZE, "{v}");
                let r = Request::decode(&pkt, VersionSet::ALL).unwrap();
                assert_eq!(r.version, v);
                assert_eq!(r.nonce, &nonce[..]);
                assert_eq!(r.srv.is_some(), srv.is_some() && v.params().srv);
            }
        }
    }

    #[test]
    fn padded_requests_are_that_long_and_decode() {
        for v in Version::ALL {
            let nonce = alloc::vec![9u8; v.params().nonce_len];
            let pkt = encode_request_padded(v, &nonce, None, 1100).unwrap();
            assert_eq!(pkt.len(), 1100, "{v}");
            assert_eq!(Request::decode(&pkt, VersionSet::ALL).unwrap().version, v);
        }
    }

    #[test]
    fn draft14_layout_matches_roughenough() {
        // roughenough 1.3.0-draft14's request: VER, NONC, TYPE, ZZZZ(940).
        let pkt = encode_request(Version::Draft14, &[1; 32], None).unwrap();
        let msg = Message::decode(&pkt[12..]).unwrap();
        let tags: Vec<Tag> = msg.iter().map(|(t, _)| t).collect();
        assert_eq!(tags, [Tag::VER, Tag::NONC, Tag::TYPE, Tag::ZZZZ]);
        assert_eq!(msg.require(Tag::ZZZZ).unwrap().len(), 940);
        assert_eq!(msg.require(Tag::VER).unwrap(), [0x0c, 0, 0, 0x80]);
    }

    #[test]
    fn version_choice_and_rejections() {
        let mut pkt = encode_request(Version::Rfc, &[1; 32], None).unwrap();
        let only14 = VersionSet::empty().with(Version::Draft14);
        assert_eq!(
            Request::decode(&pkt, only14).unwrap_err(),
            RequestError::UnsupportedVersion
        );
        // TYPE = 1 (a response) is not answered.
        let msg = Message::decode(&pkt[12..]).unwrap();
        let type_at = 12 + 8 * msg.len() + 4 + 32; // after VER and NONC
        pkt[type_at] = 1;
        assert_eq!(
            Request::decode(&pkt, VersionSet::ALL).unwrap_err(),
            RequestError::NotARequest(1)
        );
        // Google disabled.
        let g = encode_request(Version::Google, &[1; 64], None).unwrap();
        assert_eq!(
            Request::decode(&g, only14).unwrap_err(),
            RequestError::UnsupportedVersion
        );
        assert!(encode_request(Version::Rfc, &[1; 64], None).is_err());
    }

    #[test]
    fn picks_the_newest_offered() {
        let b = Builder::new()
            .add(Tag::VER, &[1, 0, 0, 0, 0x0c, 0, 0, 0x80, 7, 0, 0, 0])
            .add(Tag::NONC, &[0; 32])
            .add(Tag::TYPE, &[0; 4])
            .encode()
            .unwrap();
        let pkt = frame(Version::Rfc, &b).unwrap();
        assert_eq!(
            Request::decode(&pkt, VersionSet::ALL).unwrap().version,
            Version::Rfc
        );
        let only14 = VersionSet::empty().with(Version::Draft14);
        assert_eq!(
            Request::decode(&pkt, only14).unwrap().version,
            Version::Draft14
        );
    }
}
