//! Symmetric keys (RFC 5905 §7.3 "Key Identifier", RFC 8573) and the key
//! tables the server and client look them up in.

use zeroize::Zeroize;

/// The longest secret accepted, in octets: 32 for AES256, and as long as a
/// SHA-1 block for SHA1 keys.
pub const MAX_SECRET_LEN: usize = 64;

/// The type of a key: the MAC algorithm it is used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// AES-128-CMAC (RFC 8573 §4, RFC 4493): a 16-octet key and MAC.
    Aes128,
    /// AES-256-CMAC (as chrony's `AES256`): a 32-octet key, a 16-octet MAC.
    Aes256,
    /// SHA-1 over the key and the packet (RFC 5905 §7.3's construction): a
    /// key of any length, a 20-octet MAC. Legacy (RFC 8573 §3).
    Sha1,
}

impl KeyType {
    /// The length of the secret, if the type fixes it (the AES ciphers).
    pub const fn secret_len(self) -> Option<usize> {
        match self {
            KeyType::Aes128 => Some(16),
            KeyType::Aes256 => Some(32),
            KeyType::Sha1 => None,
        }
    }

    /// The length of the digest in the MAC trailer: 16 octets for CMAC, 20
    /// for SHA-1 (RFC 7822 §7: a MAC is 20 or 24 octets with its key id).
    pub const fn digest_len(self) -> usize {
        match self {
            KeyType::Aes128 | KeyType::Aes256 => 16,
            KeyType::Sha1 => 20,
        }
    }

    /// The name in a key file (chrony's).
    pub const fn name(self) -> &'static str {
        match self {
            KeyType::Aes128 => "AES128",
            KeyType::Aes256 => "AES256",
            KeyType::Sha1 => "SHA1",
        }
    }
}

/// A symmetric key: its identifier, its type and its secret. The secret
/// never shows in [`Debug`](core::fmt::Debug) and is zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SymmetricKey {
    id: u32,
    kind: KeyType,
    secret: [u8; MAX_SECRET_LEN],
    len: usize,
}

impl SymmetricKey {
    /// Key `id` of type `kind` with `secret`; `None` when the secret is
    /// empty, longer than [`MAX_SECRET_LEN`] or not of the length the type
    /// needs, or `id` is 0 (not a key: RFC 5905 §7.3 gives no key id 0,
    /// and a MAC of key id 0 alone is a crypto-NAK).
    pub fn new(id: u32, kind: KeyType, secret: &[u8]) -> Option<Self> {
        let ok_len = kind.secret_len().is_none_or(|n| n == secret.len());
        if id == 0 || secret.is_empty() || secret.len() > MAX_SECRET_LEN || !ok_len {
            return None;
        }
        let mut key = SymmetricKey {
            id,
            kind,
            secret: [0; MAX_SECRET_LEN],
            len: secret.len(),
        };
        key.secret.get_mut(..secret.len())?.copy_from_slice(secret);
        Some(key)
    }

    /// Its identifier.
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// Its type.
    pub const fn kind(&self) -> KeyType {
        self.kind
    }

    /// Its secret.
    pub fn secret(&self) -> &[u8] {
        self.secret.get(..self.len).unwrap_or_default()
    }
}

impl Drop for SymmetricKey {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl core::fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "SymmetricKey({}, {}, {} octets)",
            self.id,
            self.kind.name(),
            self.len
        )
    }
}

/// Where keys are found by identifier: the server's table of every key it
/// answers with, a client's key.
pub trait SymmetricKeys {
    /// Key `id`, if there is one.
    fn key(&self, id: u32) -> Option<&SymmetricKey>;
}

/// No keys: every MAC is of an unknown key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoKeys;

impl SymmetricKeys for NoKeys {
    fn key(&self, _id: u32) -> Option<&SymmetricKey> {
        None
    }
}

impl SymmetricKeys for [SymmetricKey] {
    fn key(&self, id: u32) -> Option<&SymmetricKey> {
        self.iter().find(|k| k.id == id)
    }
}

impl<const M: usize> SymmetricKeys for [SymmetricKey; M] {
    fn key(&self, id: u32) -> Option<&SymmetricKey> {
        self.as_slice().key(id)
    }
}

impl SymmetricKeys for SymmetricKey {
    fn key(&self, id: u32) -> Option<&SymmetricKey> {
        (self.id == id).then_some(self)
    }
}

impl<K: SymmetricKeys + ?Sized> SymmetricKeys for &K {
    fn key(&self, id: u32) -> Option<&SymmetricKey> {
        (**self).key(id)
    }
}

impl<K: SymmetricKeys> SymmetricKeys for Option<K> {
    fn key(&self, id: u32) -> Option<&SymmetricKey> {
        self.as_ref()?.key(id)
    }
}
