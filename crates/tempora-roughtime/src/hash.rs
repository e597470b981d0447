//! The hash of every version: SHA-512 (RFC 6234), kept whole (Google) or
//! truncated to its first 32 bytes (RFC 10049 §5.3: "H(x)"), and the SRV
//! value (RFC 10049 §5.1.4).

use sha2::{Digest, Sha512};

/// A SHA-512 value, possibly truncated: the first `len` bytes count.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hash {
    bytes: [u8; 64],
    len: u8,
}

impl Hash {
    /// SHA-512 of the concatenation of `parts`, keeping `len` bytes
    /// (at most 64).
    pub fn of(len: usize, parts: &[&[u8]]) -> Hash {
        let mut h = Sha512::new();
        for p in parts {
            h.update(p);
        }
        let mut bytes = [0u8; 64];
        bytes.copy_from_slice(&h.finalize());
        Hash::from_full(bytes, len)
    }

    /// A value of `len` bytes (at most 64) from the start of `bytes`,
    /// rest zeroed.
    pub fn from_full(mut bytes: [u8; 64], len: usize) -> Hash {
        let len = len.min(64);
        bytes[len..].fill(0);
        Hash {
            bytes,
            len: len as u8,
        }
    }

    /// A value copied from `slice` (at most 64 bytes are kept).
    pub fn from_slice(slice: &[u8]) -> Hash {
        let len = slice.len().min(64);
        let mut bytes = [0u8; 64];
        bytes[..len].copy_from_slice(&slice[..len]);
        Hash {
            bytes,
            len: len as u8,
        }
    }

    /// The all-zero value of `len` bytes (fills a Merkle level of odd width).
    pub fn zero(len: usize) -> Hash {
        Hash::from_full([0; 64], len)
    }

    /// The value's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// This value cut to its first `len` bytes.
    pub fn truncated(&self, len: usize) -> Hash {
        Hash::from_full(self.bytes, len.min(self.len as usize))
    }
}

impl core::fmt::Debug for Hash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The SRV value for a long-term public key: H(0xff || key), the first 32
/// bytes of SHA-512 (RFC 10049 §5.1.4).
pub fn srv_value(long_term_public: &[u8; 32]) -> [u8; 32] {
    let h = Hash::of(32, &[&[0xff], long_term_public]);
    let mut out = [0u8; 32];
    out.copy_from_slice(h.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha512_of_abc() {
        // FIPS 180-2 appendix C.1.
        let h = Hash::of(64, &[b"a", b"bc"]);
        assert_eq!(
            h.as_bytes()[..8],
            [0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba]
        );
        assert_eq!(
            h.as_bytes()[56..],
            [0x2a, 0x9a, 0xc9, 0x4f, 0xa5, 0x4c, 0xa4, 0x9f]
        );
        let t = Hash::of(32, &[b"abc"]);
        assert_eq!(t.as_bytes(), &h.as_bytes()[..32]);
        assert_eq!(h.truncated(32), t);
    }

    #[test]
    fn srv_is_truncated_hash_of_ff_and_key() {
        let key = [3u8; 32];
        let srv = srv_value(&key);
        assert_eq!(
            &srv[..],
            Hash::of(64, &[&[0xff], &key]).as_bytes()[..32].as_ref()
        );
        assert_ne!(srv_value(&[4u8; 32]), srv);
    }
}
