//! Responses (RFC 10049 §5.2): SIG, NONC, TYPE = 1, PATH, SREP {VER, RADI,
//! MIDP, VERS, ROOT}, CERT {SIG, DELE {PUBK, MINT, MAXT}}, INDX; the Google
//! protocol's SIG, PATH, SREP {RADI, MIDP, ROOT}, CERT, INDX.
//!
//! [`Reply::decode`] reads every field typed (borrowing, no signature
//! checked: that is [`crate::client`]'s job); [`encode_reply`] builds one.

use alloc::vec::Vec;

use crate::error::Error;
use crate::framing::{frame, message_of};
use crate::keys::key32;
use crate::message::{Builder, Message};
use crate::request::TYPE_RESPONSE;
use crate::tag::Tag;
use crate::version::Version;

/// SREP (RFC 10049 §5.2.5).
#[derive(Debug, Clone, Copy)]
pub struct Srep<'a> {
    /// The encoded SREP, which SIG covers.
    pub bytes: &'a [u8],
    /// VER: the version of the response (`None` for Google).
    pub ver: Option<u32>,
    /// RADI, in the version's units.
    pub radi: u32,
    /// MIDP, in the version's units.
    pub midp: u64,
    /// VERS: the server's versions, raw uint32s (empty for Google).
    pub vers: &'a [u8],
    /// ROOT.
    pub root: &'a [u8],
}

/// CERT and its DELE (RFC 10049 §5.2.6).
#[derive(Debug, Clone, Copy)]
pub struct Cert<'a> {
    /// SIG: the long-term key's signature over DELE.
    pub sig: &'a [u8; 64],
    /// The encoded DELE, which SIG covers.
    pub dele: &'a [u8],
    /// PUBK: the online key.
    pub pubk: [u8; 32],
    /// MINT, in the version's units.
    pub mint: u64,
    /// MAXT, in the version's units.
    pub maxt: u64,
}

/// A decoded response.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// The version the reply is in.
    pub version: Version,
    /// SIG: the online key's signature over SREP.
    pub sig: &'a [u8; 64],
    /// NONC, if present (RFC 10049 §5.2.2; absent in Google replies).
    pub nonce: Option<&'a [u8]>,
    /// PATH.
    pub path: &'a [u8],
    /// INDX.
    pub index: u32,
    /// SREP.
    pub srep: Srep<'a>,
    /// CERT.
    pub cert: Cert<'a>,
}

impl<'a> Reply<'a> {
    /// Decodes a response packet: framed ones are IETF (the version from
    /// SREP's VER; TYPE must be 1), bare ones Google.
    pub fn decode(packet: &'a [u8]) -> Result<Self, Error> {
        let framed = crate::framing::is_framed(packet);
        let guess = if framed {
            Version::Rfc
        } else {
            Version::Google
        };
        let msg = Message::decode(message_of(guess, packet)?)?;
        let srep = decode_srep(msg.nested(Tag::SREP)?, framed)?;
        let version = match srep.ver {
            None => Version::Google,
            Some(w) => Version::from_wire(w).ok_or(Error::UnknownVersion(w))?,
        };
        if version.params().type_tag {
            let ty = msg.u32(Tag::TYPE)?;
            if ty != TYPE_RESPONSE {
                return Err(Error::WrongType(ty));
            }
        }
        Ok(Reply {
            version,
            sig: msg.fixed::<64>(Tag::SIG)?,
            nonce: msg.get(Tag::NONC),
            path: msg.require(Tag::PATH)?,
            index: msg.u32(Tag::INDX)?,
            srep,
            cert: decode_cert(msg.nested(Tag::CERT)?)?,
        })
    }
}

fn decode_srep<'a>(m: Message<'a>, ietf: bool) -> Result<Srep<'a>, Error> {
    let ver = if ietf { Some(m.u32(Tag::VER)?) } else { None };
    Ok(Srep {
        bytes: m.as_bytes(),
        ver,
        radi: m.u32(Tag::RADI)?,
        midp: m.u64(Tag::MIDP)?,
        vers: if ietf { m.require(Tag::VERS)? } else { &[] },
        root: m.require(Tag::ROOT)?,
    })
}

fn decode_cert(m: Message<'_>) -> Result<Cert<'_>, Error> {
    let dele_bytes = m.require(Tag::DELE)?;
    let dele = Message::decode(dele_bytes)?;
    Ok(Cert {
        sig: m.fixed::<64>(Tag::SIG)?,
        dele: dele_bytes,
        pubk: key32(Tag::PUBK, dele.require(Tag::PUBK)?)?,
        mint: dele.u64(Tag::MINT)?,
        maxt: dele.u64(Tag::MAXT)?,
    })
}

/// Encodes SREP for a batch (RFC 10049 §5.2.5): `midp` and `radi` in the
/// version's units, `vers` the server's VER values ascending.
pub fn encode_srep(
    version: Version,
    midp: u64,
    radi: u32,
    root: &[u8],
    vers: &[u32],
) -> Result<Vec<u8>, Error> {
    let midp = midp.to_le_bytes();
    let radi = radi.to_le_bytes();
    let ver = version.wire().map(u32::to_le_bytes);
    let vers: Vec<u8> = vers.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut b = Builder::new()
        .add(Tag::MIDP, &midp)
        .add(Tag::RADI, &radi)
        .add(Tag::ROOT, root);
    if let (true, Some(ver)) = (version.params().srep_versions, &ver) {
        b.push(Tag::VER, ver);
        b.push(Tag::VERS, &vers);
    }
    b.encode()
}

/// The parts of one reply in a batch.
#[derive(Debug, Clone, Copy)]
pub struct ReplyParts<'a> {
    /// The version.
    pub version: Version,
    /// The online key's signature over `srep`.
    pub sig: &'a [u8; 64],
    /// The encoded SREP.
    pub srep: &'a [u8],
    /// The encoded CERT.
    pub cert: &'a [u8],
    /// The request's nonce (sent back where the version does).
    pub nonce: &'a [u8],
    /// PATH.
    pub path: &'a [u8],
    /// INDX.
    pub index: u32,
}

/// Encodes a reply packet (RFC 10049 §5.2; Google PROTOCOL.md).
pub fn encode_reply(parts: &ReplyParts<'_>) -> Result<Vec<u8>, Error> {
    let p = parts.version.params();
    let index = parts.index.to_le_bytes();
    let ty = TYPE_RESPONSE.to_le_bytes();
    let mut b = Builder::new()
        .add(Tag::SIG, parts.sig)
        .add(Tag::PATH, parts.path)
        .add(Tag::SREP, parts.srep)
        .add(Tag::CERT, parts.cert)
        .add(Tag::INDX, &index);
    if p.reply_nonce {
        b.push(Tag::NONC, parts.nonce);
    }
    if p.type_tag {
        b.push(Tag::TYPE, &ty);
    }
    frame(parts.version, &b.encode()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LongTermKey;

    fn reply(version: Version, radi: u32, midp: u64) -> Vec<u8> {
        let ltk = LongTermKey::from_seed(&[1; 32]);
        let d = ltk.delegate(&[2; 32], 0, u64::MAX);
        let root = alloc::vec![3u8; version.params().root_len];
        let srep = encode_srep(version, midp, radi, &root, &[1, 0x8000_000c]).unwrap();
        let sig = d.sign_srep(version, &srep);
        let nonce = alloc::vec![4u8; version.params().nonce_len];
        let parts = ReplyParts {
            version,
            sig: &sig,
            srep: &srep,
            cert: d.cert(version),
            nonce: &nonce,
            path: &[],
            index: 0,
        };
        encode_reply(&parts).unwrap()
    }

    #[test]
    fn replies_decode_typed_in_every_version() {
        for v in Version::ALL {
            let pkt = reply(v, 7, 123_456);
            let r = Reply::decode(&pkt).unwrap();
            assert_eq!(r.version, v);
            assert_eq!((r.srep.radi, r.srep.midp), (7, 123_456));
            assert_eq!(r.srep.root.len(), v.params().root_len);
            assert_eq!(r.index, 0);
            assert!(r.path.is_empty());
            assert_eq!(r.nonce.is_some(), v.params().reply_nonce);
            assert_eq!(r.cert.mint, 0);
            assert_eq!(r.cert.maxt, v.from_micros(u64::MAX));
            let srep = Message::decode(r.srep.bytes).unwrap();
            assert_eq!(srep.get(Tag::VER).is_some(), v.params().srep_versions);
            assert_eq!(
                srep.get(Tag::VERS).map(<[u8]>::len),
                v.params().srep_versions.then_some(8)
            );
        }
    }

    #[test]
    fn rfc_reply_layout() {
        // RFC 10049 §5.2, figure 3: the response's tags, and SREP's.
        let pkt = reply(Version::Rfc, 3, 1);
        let msg = Message::decode(&pkt[12..]).unwrap();
        let tags: Vec<Tag> = msg.iter().map(|(t, _)| t).collect();
        assert_eq!(
            tags,
            [
                Tag::SIG,
                Tag::NONC,
                Tag::TYPE,
                Tag::PATH,
                Tag::SREP,
                Tag::CERT,
                Tag::INDX
            ]
        );
        let srep = msg.nested(Tag::SREP).unwrap();
        let tags: Vec<Tag> = srep.iter().map(|(t, _)| t).collect();
        assert_eq!(tags, [Tag::VER, Tag::RADI, Tag::MIDP, Tag::VERS, Tag::ROOT]);
        let google = reply(Version::Google, 3, 1);
        let msg = Message::decode(&google).unwrap();
        let tags: Vec<Tag> = msg.iter().map(|(t, _)| t).collect();
        assert_eq!(tags, [Tag::SIG, Tag::PATH, Tag::SREP, Tag::CERT, Tag::INDX]);
    }

    #[test]
    fn wrong_type_and_unknown_version_are_errors() {
        let mut pkt = reply(Version::Rfc, 3, 1);
        let msg = Message::decode(&pkt[12..]).unwrap();
        let type_value = msg.require(Tag::TYPE).unwrap().as_ptr() as usize - pkt.as_ptr() as usize;
        pkt[type_value] = 0;
        assert!(matches!(Reply::decode(&pkt), Err(Error::WrongType(0))));
        let mut pkt = reply(Version::Rfc, 3, 1);
        let srep_ver = {
            let msg = Message::decode(&pkt[12..]).unwrap();
            let srep = msg.nested(Tag::SREP).unwrap();
            srep.require(Tag::VER).unwrap().as_ptr() as usize - pkt.as_ptr() as usize
        };
        pkt[srep_ver] = 9;
        assert!(matches!(Reply::decode(&pkt), Err(Error::UnknownVersion(9))));
        assert!(Reply::decode(&pkt[..pkt.len() - 4]).is_err());
    }
}
