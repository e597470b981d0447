//! Legacy message authentication code trailer (RFC 5905 §7.3 "Key
//! Identifier" / "Message Digest", RFC 8573, RFC 7822 §7).

use super::Error;
use super::cursor::Writer;

/// A legacy MAC at the end of an NTP packet: a 32-bit key identifier
/// followed by a digest (RFC 5905 §7.3, Figure 8). The size tells the
/// variants apart (RFC 7822 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mac<'a> {
    /// 4 octets: key identifier only, a crypto-NAK (RFC 5905 §7.4 /
    /// RFC 5906 §10).
    CryptoNak {
        /// The key identifier (normally 0).
        key_id: u32,
    },
    /// 20 octets: key identifier and 128-bit digest (MD5 per RFC 5905
    /// §7.3, or AES-128-CMAC per RFC 8573).
    Digest16 {
        /// The key identifier.
        key_id: u32,
        /// The 128-bit digest.
        digest: &'a [u8; 16],
    },
    /// 24 octets: key identifier and 160-bit digest (SHA-1).
    Digest20 {
        /// The key identifier.
        key_id: u32,
        /// The 160-bit digest.
        digest: &'a [u8; 20],
    },
}

impl<'a> Mac<'a> {
    /// Reads `bytes` as a MAC if it has one of the MAC sizes (4, 20 or 24
    /// octets, RFC 7822 §7); `None` otherwise.
    pub fn from_bytes(bytes: &'a [u8]) -> Option<Self> {
        let (id, digest) = bytes.split_first_chunk::<4>()?;
        let key_id = u32::from_be_bytes(*id);
        match digest.len() {
            0 => Some(Mac::CryptoNak { key_id }),
            16 => Some(Mac::Digest16 {
                key_id,
                digest: digest.try_into().ok()?,
            }),
            20 => Some(Mac::Digest20 {
                key_id,
                digest: digest.try_into().ok()?,
            }),
            _ => None,
        }
    }

    /// The key identifier.
    pub const fn key_id(&self) -> u32 {
        match *self {
            Mac::CryptoNak { key_id }
            | Mac::Digest16 { key_id, .. }
            | Mac::Digest20 { key_id, .. } => key_id,
        }
    }

    /// The digest (empty for a crypto-NAK).
    pub const fn digest(&self) -> &'a [u8] {
        match *self {
            Mac::CryptoNak { .. } => &[],
            Mac::Digest16 { digest, .. } => digest,
            Mac::Digest20 { digest, .. } => digest,
        }
    }

    /// Encoded size: 4, 20 or 24 octets.
    pub const fn encoded_len(&self) -> usize {
        4 + self.digest().len()
    }

    /// Writes the MAC into the start of `buf`; returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer::new(buf);
        w.ensure(self.encoded_len())?;
        w.u32(self.key_id())?;
        w.bytes(self.digest())?;
        Ok(w.position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let mut buf = [0u8; 24];
        buf[..4].copy_from_slice(&7u32.to_be_bytes());
        for (i, b) in buf[4..].iter_mut().enumerate() {
            *b = i as u8;
        }
        assert_eq!(
            Mac::from_bytes(&buf[..4]),
            Some(Mac::CryptoNak { key_id: 7 })
        );
        let m = Mac::from_bytes(&buf[..20]).unwrap();
        assert!(matches!(m, Mac::Digest16 { key_id: 7, .. }));
        assert_eq!(m.digest(), &buf[4..20]);
        let m = Mac::from_bytes(&buf).unwrap();
        assert!(matches!(m, Mac::Digest20 { key_id: 7, .. }));
        assert_eq!(m.key_id(), 7);
        let mut out = [0u8; 24];
        assert_eq!(m.encode(&mut out), Ok(24));
        assert_eq!(out, buf);
        assert_eq!(
            m.encode(&mut out[..23]),
            Err(Error::BufferTooSmall {
                needed: 24,
                available: 23
            })
        );
        for len in [0, 1, 3, 5, 16, 19, 21, 23, 25, 28] {
            let v = [0u8; 28];
            assert_eq!(Mac::from_bytes(&v[..len]), None, "{len}");
        }
    }
}
