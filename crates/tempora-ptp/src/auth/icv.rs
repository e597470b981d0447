//! The integrity check value (IEEE 1588-2019 §16.14.3.8, Annex P.3.2): a MAC
//! over the message from its first octet up to the ICV field itself, with
//! correctionField taken as zero when the association allows a mutable
//! correction (as linuxptp's `allow_mutable`).

use aes::{Aes128, Aes256};
use cmac::Cmac;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::sa::{Algorithm, SaKey};

/// The octets of correctionField in the common header (§13.3.1, Table 35).
const CORRECTION: core::ops::Range<usize> = 8..16;

/// The largest ICV: HMAC-SHA256 untruncated.
pub const MAX_ICV_LEN: usize = 32;

/// Feeds `data` to `mac`, with correctionField as zeros if `zero_correction`.
fn feed(mac: &mut impl Mac, data: &[u8], zero_correction: bool) {
    match (
        zero_correction,
        data.get(..CORRECTION.start),
        data.get(CORRECTION.end..),
    ) {
        (true, Some(head), Some(tail)) => {
            mac.update(head);
            mac.update(&[0; 8]);
            mac.update(tail);
        }
        _ => mac.update(data),
    }
}

/// The full MAC of `data` under `M` keyed with `secret`, into `out`.
fn full_mac<M: Mac + KeyInit>(
    secret: &[u8],
    data: &[u8],
    zero_correction: bool,
    out: &mut [u8; MAX_ICV_LEN],
) -> Option<usize> {
    let mut mac = <M as KeyInit>::new_from_slice(secret).ok()?;
    feed(&mut mac, data, zero_correction);
    let tag = mac.finalize().into_bytes();
    out.get_mut(..tag.len())?.copy_from_slice(&tag);
    Some(tag.len())
}

/// The ICV of `data` (the message up to the ICV field) under `key`:
/// `key.algorithm.icv_len()` octets in `out`. `None` only for a key the
/// algorithm cannot take, which [`SaKey::new`] prevents.
pub fn compute(
    key: &SaKey,
    data: &[u8],
    zero_correction: bool,
    out: &mut [u8; MAX_ICV_LEN],
) -> Option<usize> {
    let secret = key.secret();
    match key.algorithm {
        Algorithm::HmacSha256_128 | Algorithm::HmacSha256 => {
            full_mac::<Hmac<Sha256>>(secret, data, zero_correction, out)
        }
        Algorithm::CmacAes128 => full_mac::<Cmac<Aes128>>(secret, data, zero_correction, out),
        Algorithm::CmacAes256 => full_mac::<Cmac<Aes256>>(secret, data, zero_correction, out),
    }?;
    // HMAC-SHA256-128 keeps the leftmost 16 octets (RFC 2104 §5).
    Some(key.algorithm.icv_len())
}

/// Whether `icv` is the ICV of `data` under `key`, compared in constant time.
pub fn verify(key: &SaKey, data: &[u8], zero_correction: bool, icv: &[u8]) -> bool {
    let mut expected = [0u8; MAX_ICV_LEN];
    let Some(n) = compute(key, data, zero_correction, &mut expected) else {
        return false;
    };
    let Some(expected) = expected.get(..n) else {
        return false;
    };
    if icv.len() != n {
        return false;
    }
    let diff = expected
        .iter()
        .zip(icv)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 test case 2 (HMAC-SHA-256) and RFC 4493 example 2 (AES-CMAC).
    #[test]
    fn published_vectors() {
        let key = SaKey::new(1, Algorithm::HmacSha256, b"Jefe".to_vec()).unwrap();
        let mut out = [0u8; MAX_ICV_LEN];
        let n = compute(&key, b"what do ya want for nothing?", false, &mut out).unwrap();
        assert_eq!(
            &out[..n],
            &hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")[..]
        );
        let key = SaKey::new(1, Algorithm::HmacSha256_128, b"Jefe".to_vec()).unwrap();
        assert!(verify(
            &key,
            b"what do ya want for nothing?",
            false,
            &hex("5bdcc146bf60754e6a042426089575c7")
        ));
        let key = SaKey::new(
            2,
            Algorithm::CmacAes128,
            hex("2b7e151628aed2a6abf7158809cf4f3c"),
        )
        .unwrap();
        let msg = hex("6bc1bee22e409f96e93d7e117393172a");
        assert!(verify(
            &key,
            &msg,
            false,
            &hex("070a16b46b4d4144f79bdd9dd04a287c")
        ));
        assert!(!verify(
            &key,
            &msg,
            false,
            &hex("070a16b46b4d4144f79bdd9dd04a287d")
        ));
    }

    #[test]
    fn mutable_correction_is_zeroed() {
        let key = SaKey::new(1, Algorithm::HmacSha256_128, b"k".to_vec()).unwrap();
        let mut a = [7u8; 40];
        let mut icv = [0u8; MAX_ICV_LEN];
        compute(&key, &a, true, &mut icv).unwrap();
        a[CORRECTION].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(verify(&key, &a, true, &icv[..16]));
        assert!(!verify(&key, &a, false, &icv[..16]));
    }
}
