//! Tags (RFC 10049 §4.1.3): four octets, compared and sorted as the
//! little-endian uint32 they encode; the registry is RFC 10049 §12.3.

use core::fmt;

/// A Roughtime tag, as its uint32 value (the first octet on the wire is
/// the least significant byte). Unknown tags are representable: a decoder
/// keeps them and a reader ignores them (RFC 10049 §5.1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub u32);

impl Tag {
    /// SIG: an Ed25519 signature (RFC 10049 §5.2.1).
    pub const SIG: Tag = Tag::from_bytes(*b"SIG\0");
    /// VER: version numbers (RFC 10049 §5.1.1, §5.2.5).
    pub const VER: Tag = Tag::from_bytes(*b"VER\0");
    /// SRV: hash of the expected long-term key (RFC 10049 §5.1.4).
    pub const SRV: Tag = Tag::from_bytes(*b"SRV\0");
    /// NONC: the nonce (RFC 10049 §5.1.2, §5.2.2).
    pub const NONC: Tag = Tag::from_bytes(*b"NONC");
    /// DELE: the delegation (RFC 10049 §5.2.6).
    pub const DELE: Tag = Tag::from_bytes(*b"DELE");
    /// TYPE: request (0) or response (1) (RFC 10049 §5.1.3, §5.2.3).
    pub const TYPE: Tag = Tag::from_bytes(*b"TYPE");
    /// PATH: the Merkle path (RFC 10049 §5.2.4).
    pub const PATH: Tag = Tag::from_bytes(*b"PATH");
    /// RADI: the radius (RFC 10049 §5.2.5).
    pub const RADI: Tag = Tag::from_bytes(*b"RADI");
    /// PUBK: the online public key (RFC 10049 §5.2.6).
    pub const PUBK: Tag = Tag::from_bytes(*b"PUBK");
    /// MIDP: the midpoint (RFC 10049 §5.2.5).
    pub const MIDP: Tag = Tag::from_bytes(*b"MIDP");
    /// SREP: the signed response (RFC 10049 §5.2.5).
    pub const SREP: Tag = Tag::from_bytes(*b"SREP");
    /// VERS: the versions the server supports (RFC 10049 §5.2.5).
    pub const VERS: Tag = Tag::from_bytes(*b"VERS");
    /// MINT: start of the delegation's validity (RFC 10049 §5.2.6).
    pub const MINT: Tag = Tag::from_bytes(*b"MINT");
    /// ROOT: the Merkle root (RFC 10049 §5.2.5).
    pub const ROOT: Tag = Tag::from_bytes(*b"ROOT");
    /// CERT: the certificate (RFC 10049 §5.2.6).
    pub const CERT: Tag = Tag::from_bytes(*b"CERT");
    /// MAXT: end of the delegation's validity (RFC 10049 §5.2.6).
    pub const MAXT: Tag = Tag::from_bytes(*b"MAXT");
    /// INDX: the request's leaf index (RFC 10049 §5.2.7).
    pub const INDX: Tag = Tag::from_bytes(*b"INDX");
    /// ZZZZ: request padding (RFC 10049 §5.1.5).
    pub const ZZZZ: Tag = Tag::from_bytes(*b"ZZZZ");
    /// PAD\xff: request padding of the Google protocol (PROTOCOL.md).
    pub const PAD: Tag = Tag::from_bytes(*b"PAD\xff");

    /// The tag whose wire octets are `b`.
    pub const fn from_bytes(b: [u8; 4]) -> Tag {
        Tag(u32::from_le_bytes(b))
    }

    /// The tag's wire octets.
    pub const fn to_bytes(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.to_bytes() {
            match b {
                0 => {}
                b'A'..=b'Z' => write!(f, "{}", b as char)?,
                other => write!(f, "\\x{other:02x}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn values_match_the_iana_registry() {
        // RFC 10049 §12.3.
        assert_eq!(Tag::SIG.0, 0x0047_4953);
        assert_eq!(Tag::VER.0, 0x0052_4556);
        assert_eq!(Tag::SRV.0, 0x0056_5253);
        assert_eq!(Tag::NONC.0, 0x434e_4f4e);
        assert_eq!(Tag::DELE.0, 0x454c_4544);
        assert_eq!(Tag::TYPE.0, 0x4550_5954);
        assert_eq!(Tag::PATH.0, 0x4854_4150);
        assert_eq!(Tag::RADI.0, 0x4944_4152);
        assert_eq!(Tag::PUBK.0, 0x4b42_5550);
        assert_eq!(Tag::MIDP.0, 0x5044_494d);
        assert_eq!(Tag::SREP.0, 0x5045_5253);
        assert_eq!(Tag::VERS.0, 0x5352_4556);
        assert_eq!(Tag::MINT.0, 0x544e_494d);
        assert_eq!(Tag::ROOT.0, 0x544f_4f52);
        assert_eq!(Tag::CERT.0, 0x5452_4543);
        assert_eq!(Tag::MAXT.0, 0x5458_414d);
        assert_eq!(Tag::INDX.0, 0x5844_4e49);
        assert_eq!(Tag::ZZZZ.0, 0x5a5a_5a5a);
        assert_eq!(Tag::PAD.0, 0xff44_4150);
    }

    #[test]
    fn display() {
        assert_eq!(format!("{}", Tag::SIG), "SIG");
        assert_eq!(format!("{}", Tag::PAD), "PAD\\xff");
        assert_eq!(format!("{:?}", Tag::NONC), "Tag(NONC)");
    }
}
