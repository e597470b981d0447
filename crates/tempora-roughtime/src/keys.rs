//! The server's keys (RFC 10049 §5.2.6): a long-term Ed25519 key that
//! signs a delegation (DELE: an online key with its validity window MINT to
//! MAXT) into a certificate (CERT), and the online key that signs each
//! batch's SREP (RFC 10049 §5.2.1). Signatures cover a context string
//! (terminating zero included) followed by the signed value.
//!
//! Sans-IO: keys come from 32-byte seeds the caller generates (RFC 10049
//! §9.3: per RFC 8032 §5.1.5, i.e. 32 random bytes) and stores.

use alloc::vec::Vec;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::error::Error;
use crate::hash::srv_value;
use crate::message::Builder;
use crate::tag::Tag;
use crate::version::Version;

/// Signs `context || value` with `key` (RFC 10049 §5.2.1).
pub fn sign(key: &SigningKey, context: &[u8], value: &[u8]) -> [u8; 64] {
    let mut buf = Vec::with_capacity(context.len() + value.len());
    buf.extend_from_slice(context);
    buf.extend_from_slice(value);
    key.sign(&buf).to_bytes()
}

/// Whether `signature` is `public`'s over `context || value` (RFC 8032
/// §5.1.7, strict: no small-order keys, canonical encodings).
pub fn verify(public: &[u8; 32], context: &[u8], value: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public) else {
        return false;
    };
    let mut buf = Vec::with_capacity(context.len() + value.len());
    buf.extend_from_slice(context);
    buf.extend_from_slice(value);
    key.verify_strict(&buf, &Signature::from_bytes(signature))
        .is_ok()
}

/// The server's long-term key: its identity, which clients configure.
#[derive(Clone)]
pub struct LongTermKey {
    key: SigningKey,
}

impl LongTermKey {
    /// The key from its 32-byte secret seed (RFC 8032 §5.1.5).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        LongTermKey {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The public key clients verify CERT with.
    pub fn public(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The SRV value requests name this key by (RFC 10049 §5.1.4).
    pub fn srv(&self) -> [u8; 32] {
        srv_value(&self.public())
    }

    /// Delegates to the online key of seed `online_seed` for MIDP from
    /// `mint_us` to `maxt_us` (microseconds since the Unix epoch, UTC):
    /// the certificates of every version (rotation: call again with a new
    /// seed and window, and pass the result to the server).
    pub fn delegate(&self, online_seed: &[u8; 32], mint_us: u64, maxt_us: u64) -> Delegation {
        let online = SigningKey::from_bytes(online_seed);
        let pubk = online.verifying_key().to_bytes();
        let certs = Version::ALL.map(|v| self.cert(v, &pubk, mint_us, maxt_us));
        Delegation {
            online,
            mint_us,
            maxt_us,
            certs,
        }
    }

    /// CERT for `version`: SIG over DELE {PUBK, MINT, MAXT}, MINT and MAXT
    /// in the version's units, MAXT rounded down (RFC 10049 §5.2.6).
    fn cert(&self, version: Version, pubk: &[u8; 32], mint_us: u64, maxt_us: u64) -> Vec<u8> {
        let mint = version.from_micros_ceil(mint_us).to_le_bytes();
        let maxt = version.from_micros(maxt_us).to_le_bytes();
        let dele = encode(
            Builder::new()
                .add(Tag::PUBK, pubk)
                .add(Tag::MINT, &mint)
                .add(Tag::MAXT, &maxt),
        );
        let sig = sign(&self.key, version.params().dele_context, &dele);
        encode(Builder::new().add(Tag::SIG, &sig).add(Tag::DELE, &dele))
    }
}

impl core::fmt::Debug for LongTermKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "LongTermKey(public {:02x?})", self.public())
    }
}

/// Encodes a builder whose values are all fixed, aligned sizes.
fn encode(b: Builder<'_>) -> Vec<u8> {
    // Only called with distinct tags and 4-byte-multiple values.
    b.encode().unwrap_or_default()
}

/// An online key and its certificates: what the server signs with until
/// MAXT; make the next one with [`LongTermKey::delegate`].
#[derive(Clone)]
pub struct Delegation {
    online: SigningKey,
    mint_us: u64,
    maxt_us: u64,
    certs: [Vec<u8>; 3],
}

impl Delegation {
    /// The online public key (PUBK).
    pub fn online_public(&self) -> [u8; 32] {
        self.online.verifying_key().to_bytes()
    }

    /// Start of validity, microseconds since the Unix epoch.
    pub fn mint_us(&self) -> u64 {
        self.mint_us
    }

    /// End of validity, microseconds since the Unix epoch.
    pub fn maxt_us(&self) -> u64 {
        self.maxt_us
    }

    /// Whether a MIDP of `now_us` lies in MINT..=MAXT.
    pub fn covers(&self, now_us: u64) -> bool {
        (self.mint_us..=self.maxt_us).contains(&now_us)
    }

    /// The encoded CERT for `version`.
    pub fn cert(&self, version: Version) -> &[u8] {
        &self.certs[version as usize]
    }

    /// Signs an encoded SREP of `version` (RFC 10049 §5.2.1).
    pub fn sign_srep(&self, version: Version, srep: &[u8]) -> [u8; 64] {
        sign(&self.online, version.params().srep_context, srep)
    }
}

impl core::fmt::Debug for Delegation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Delegation")
            .field("online_public", &self.online_public())
            .field("mint_us", &self.mint_us)
            .field("maxt_us", &self.maxt_us)
            .finish()
    }
}

/// A long-term public key as configured: 64 hex digits (roughenough's
/// form) or base64 (RFC 10049 §8.3's server lists, "publicKey").
pub fn parse_public_key(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        return Some(out);
    }
    crate::base64::decode(text)?.try_into().ok()
}

/// Checks a decoded value's length (for typed readers elsewhere).
pub(crate) fn key32(tag: Tag, v: &[u8]) -> Result<[u8; 32], Error> {
    v.try_into()
        .map_err(|_| Error::BadLength { tag, len: v.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 §7.1 TEST 1 (empty message).
        let seed = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            key.verifying_key().to_bytes(),
            hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let sig = sign(&key, b"", b"");
        assert_eq!(sig[..4], [0xe5, 0x56, 0x43, 0x00]);
        assert!(verify(&key.verifying_key().to_bytes(), b"", b"", &sig));
    }

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn public_keys_parse_from_hex_or_base64() {
        let hex = "15ac557afeb7920a819693a8d86be0cec1e0831add8f36f7f06039789f68057a";
        let key = parse_public_key(hex).unwrap();
        assert_eq!(key[..2], [0x15, 0xac]);
        let b64 = crate::base64::encode(&key);
        assert_eq!(parse_public_key(&b64), Some(key));
        assert_eq!(parse_public_key(&hex[..62]), None);
        assert_eq!(parse_public_key("AAAA"), None);
        assert_eq!(parse_public_key(&hex.replace('a', "g")), None);
    }

    #[test]
    fn certificates_verify_with_their_context() {
        let ltk = LongTermKey::from_seed(&[1; 32]);
        let d = ltk.delegate(&[2; 32], 1_000_000, 5_000_000);
        for v in Version::ALL {
            let cert = Message::decode(d.cert(v)).unwrap();
            let dele = cert.require(Tag::DELE).unwrap();
            let sig = cert.fixed::<64>(Tag::SIG).unwrap();
            assert!(verify(&ltk.public(), v.params().dele_context, dele, sig));
            let other = match v {
                Version::Google => Version::Rfc,
                _ => Version::Google,
            };
            assert!(!verify(
                &ltk.public(),
                other.params().dele_context,
                dele,
                sig
            ));
            let dele = Message::decode(dele).unwrap();
            assert_eq!(dele.u64(Tag::MINT).unwrap(), v.from_micros_ceil(1_000_000));
            assert_eq!(dele.u64(Tag::MAXT).unwrap(), v.from_micros(5_000_000));
            assert_eq!(dele.require(Tag::PUBK).unwrap(), d.online_public());
        }
        assert!(d.covers(1_000_000) && d.covers(5_000_000) && !d.covers(5_000_001));
    }
}
