//! A client's source with a symmetric key (RFC 5905 §9.1, RFC 8573): its
//! requests carry the key's MAC, and a reply is used only when it carries
//! a valid MAC of the same key. Kept beside the source's
//! [`crate::client::source::Source`]: the caller protects each request and
//! checks each reply here before the source sees it.

use super::key::SymmetricKey;
use super::mac::{MacError, check_mac, sign};
use crate::wire::{Mac, Packet};

/// What the check of a reply found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyedReply {
    /// Its MAC is our key's: use it.
    Authentic,
    /// No MAC, another key, a bad digest, or not NTP: drop it.
    Rejected(MacError),
    /// A crypto-NAK (RFC 5905 §7.3): the server does not know our key or
    /// did not accept our MAC. Unauthenticated, so only counted.
    CryptoNak,
}

/// The counters of a keyed source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyCounters {
    /// Replies whose MAC verified.
    pub authentic: u64,
    /// Replies rejected: no MAC, another key, a bad digest.
    pub rejected: u64,
    /// Crypto-NAKs received.
    pub crypto_naks: u64,
}

/// A source's key and its counters.
#[derive(Debug, Clone)]
pub struct KeyedSource {
    key: SymmetricKey,
    counters: KeyCounters,
}

impl KeyedSource {
    /// A source authenticated with `key`.
    pub fn new(key: SymmetricKey) -> Self {
        KeyedSource {
            key,
            counters: KeyCounters::default(),
        }
    }

    /// Its key's identifier.
    pub fn key_id(&self) -> u32 {
        self.key.id()
    }

    /// Its counters.
    pub fn counters(&self) -> KeyCounters {
        self.counters
    }

    /// Writes `request` (a header, with any extension fields) followed by
    /// the key's MAC into `out`; returns the length, or `None` when `out`
    /// is too small.
    pub fn protect(&self, request: &[u8], out: &mut [u8]) -> Option<usize> {
        out.get_mut(..request.len())?.copy_from_slice(request);
        sign(out, request.len(), &self.key)
    }

    /// Checks `reply` and counts the result.
    pub fn check(&mut self, reply: &[u8]) -> KeyedReply {
        let result = match Packet::decode(reply) {
            Err(_) => KeyedReply::Rejected(MacError::Malformed),
            Ok(p) => match p.mac {
                None => KeyedReply::Rejected(MacError::Missing),
                Some(Mac::CryptoNak { .. }) => KeyedReply::CryptoNak,
                Some(mac) => match check_mac(reply, mac, &self.key) {
                    Ok(_) => KeyedReply::Authentic,
                    Err(e) => KeyedReply::Rejected(e),
                },
            },
        };
        match result {
            KeyedReply::Authentic => self.counters.authentic += 1,
            KeyedReply::Rejected(_) => self.counters.rejected += 1,
            KeyedReply::CryptoNak => self.counters.crypto_naks += 1,
        }
        result
    }
}
