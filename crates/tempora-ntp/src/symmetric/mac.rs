//! The MAC trailer (RFC 5905 §7.3 "Key Identifier" and "Message Digest",
//! §9.1; RFC 8573 §4): computing a digest over the packet before the
//! trailer, appending the trailer, and checking one.

use aes::{Aes128, Aes256};
use cmac::digest::KeyInit;
use cmac::{Cmac, Mac as _};
use sha1::{Digest as _, Sha1};

use super::key::{KeyType, SymmetricKey, SymmetricKeys};
use crate::wire::Mac;

/// The longest digest (SHA-1's 20 octets; CMAC's are 16).
pub const MAX_DIGEST_LEN: usize = 20;

/// Why a MAC was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacError {
    /// The packet does not decode.
    Malformed,
    /// It has no MAC where one is required.
    Missing,
    /// A crypto-NAK: a trailer of the 4-octet key identifier alone (RFC
    /// 5905 §7.3), which authenticates nothing.
    CryptoNak,
    /// The key identifier is not one of ours.
    UnknownKey(u32),
    /// The digest is not the key's: wrong length for its type, or wrong
    /// octets (tampered, or another secret).
    BadMac(u32),
}

impl core::fmt::Display for MacError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MacError::Malformed => f.write_str("malformed packet"),
            MacError::Missing => f.write_str("no MAC"),
            MacError::CryptoNak => f.write_str("crypto-NAK"),
            MacError::UnknownKey(id) => write!(f, "unknown key {id}"),
            MacError::BadMac(id) => write!(f, "MAC of key {id} does not verify"),
        }
    }
}

impl core::error::Error for MacError {}

/// Writes the digest of `data` under `key` into the start of `out` (RFC
/// 8573 §4: AES-CMAC of the packet; RFC 5905 §7.3: the hash of the key
/// followed by the packet, with SHA-1); returns its length
/// ([`KeyType::digest_len`]), or `None` when `out` is too short.
pub fn compute_digest(key: &SymmetricKey, data: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = key.kind().digest_len();
    let out = out.get_mut(..n)?;
    match key.kind() {
        KeyType::Aes128 => {
            let mut m = <Cmac<Aes128> as KeyInit>::new_from_slice(key.secret()).ok()?;
            m.update(data);
            out.copy_from_slice(&m.finalize().into_bytes());
        }
        KeyType::Aes256 => {
            let mut m = <Cmac<Aes256> as KeyInit>::new_from_slice(key.secret()).ok()?;
            m.update(data);
            out.copy_from_slice(&m.finalize().into_bytes());
        }
        KeyType::Sha1 => {
            let mut h = Sha1::new();
            h.update(key.secret());
            h.update(data);
            out.copy_from_slice(&h.finalize());
        }
    }
    Some(n)
}

/// Appends the MAC trailer of `key` to the packet in `buf[..len]` (its
/// header and extension fields): the key identifier, then the digest of
/// those `len` octets. Returns the new length, or `None` when `buf` has no
/// room for the trailer.
pub fn sign(buf: &mut [u8], len: usize, key: &SymmetricKey) -> Option<usize> {
    let (data, rest) = buf.split_at_mut_checked(len)?;
    let (id, digest) = rest.split_first_chunk_mut::<4>()?;
    *id = key.id().to_be_bytes();
    let n = compute_digest(key, data, digest)?;
    len.checked_add(4)?.checked_add(n)
}

/// Checks the trailer `mac` of the packet `data` (as received, `mac` its
/// decoded [`Mac`]) against `keys`: the key it names, if its digest is
/// that key's digest of every octet before the trailer.
pub fn check_mac<'k, K: SymmetricKeys + ?Sized>(
    data: &[u8],
    mac: Mac<'_>,
    keys: &'k K,
) -> Result<&'k SymmetricKey, MacError> {
    let id = mac.key_id();
    if let Mac::CryptoNak { .. } = mac {
        return Err(MacError::CryptoNak);
    }
    let key = keys.key(id).ok_or(MacError::UnknownKey(id))?;
    let covered = data
        .len()
        .checked_sub(mac.encoded_len())
        .and_then(|n| data.get(..n))
        .ok_or(MacError::Malformed)?;
    if mac.digest().len() != key.kind().digest_len() {
        return Err(MacError::BadMac(id));
    }
    let mut expected = [0u8; MAX_DIGEST_LEN];
    let n = compute_digest(key, covered, &mut expected).ok_or(MacError::BadMac(id))?;
    if constant_time_eq(expected.get(..n).unwrap_or_default(), mac.digest()) {
        Ok(key)
    } else {
        Err(MacError::BadMac(id))
    }
}

/// Whether `a` and `b` are equal, in time that does not depend on where
/// they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| core::hint::black_box(acc | (x ^ y)));
    a.len() == b.len() && diff == 0
}
