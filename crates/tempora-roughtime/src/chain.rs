//! Chained measurements and the proof of malfeasance (RFC 10049 §8.2).
//!
//! The first request of a measurement sequence carries a random nonce;
//! each next one carries H(previous response packet || rand), with `rand`
//! 32 random bytes (the caller's) and H the first `nonce_len` bytes of
//! SHA-512 (32 for the IETF versions, whole for Google). Each server's
//! signed MIDP thus provably follows the previous response, so for every
//! pair i before j, MIDP_i - RADI_i <= MIDP_j + RADI_j must hold; a pair
//! where it does not, with valid signatures, proves that a server lied.
//! [`Chain`] holds the links and finds such a pair; [`crate::report`]
//! writes it as the RFC's malfeasance report.

use alloc::vec::Vec;
use core::fmt;

use crate::client::{ClientRequest, Verified, VerifyError};
use crate::hash::Hash;
use crate::request::RequestError;
use crate::version::Version;

/// The nonce of the request that follows `previous_response` (the whole
/// packet as received, header included): H(previous_response || rand)
/// (RFC 10049 §8.2).
pub fn next_nonce(version: Version, previous_response: &[u8], rand: &[u8; 32]) -> Vec<u8> {
    let len = version.params().nonce_len;
    Hash::of(len, &[previous_response, rand])
        .as_bytes()
        .to_vec()
}

/// One exchange of a chain, with the values a report needs (RFC 10049
/// §8.4.1) and what verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The 32 bytes the nonce was derived with (`None` for a first link
    /// with a random nonce).
    pub rand: Option<[u8; 32]>,
    /// The server's long-term public key.
    pub public_key: [u8; 32],
    /// The request packet as sent.
    pub request: Vec<u8>,
    /// The response packet as received.
    pub response: Vec<u8>,
    /// The verified time.
    pub verified: Verified,
}

/// Why a link is not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainError {
    /// The request packet does not decode.
    Request(RequestError),
    /// The response does not verify (RFC 10049 §5.4).
    Verify(VerifyError),
    /// A link after the first has no `rand`.
    MissingRand,
    /// The request's nonce is not H(previous response || rand).
    NotChained,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::Request(e) => write!(f, "request: {e}"),
            ChainError::Verify(e) => write!(f, "response: {e}"),
            ChainError::MissingRand => f.write_str("no rand for a chained link"),
            ChainError::NotChained => f.write_str("nonce not derived from the previous response"),
        }
    }
}

impl core::error::Error for ChainError {}

/// A pair of links whose times contradict their order: proof that at
/// least one of the two servers signed a wrong time (RFC 10049 §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malfeasance {
    /// Index of the earlier link.
    pub earlier: usize,
    /// Index of the later link, whose latest possible time
    /// (MIDP + RADI) precedes the earlier one's earliest (MIDP - RADI).
    pub later: usize,
}

/// A chain of verified exchanges, in the order made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    links: Vec<Link>,
}

impl Chain {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// The links, oldest first.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The nonce for the next request of `version` with `rand`, or `None`
    /// while the chain is empty (the first nonce is the caller's random
    /// one).
    pub fn next_nonce(&self, version: Version, rand: &[u8; 32]) -> Option<Vec<u8>> {
        self.links
            .last()
            .map(|l| next_nonce(version, &l.response, rand))
    }

    /// Verifies `response` to `request` against `public_key`, checks that
    /// the request's nonce is chained to the previous response with
    /// `rand`, and appends the link; returns its time.
    pub fn push(
        &mut self,
        public_key: [u8; 32],
        rand: Option<[u8; 32]>,
        request: &[u8],
        response: &[u8],
    ) -> Result<Verified, ChainError> {
        let req = ClientRequest::from_packet(request).map_err(ChainError::Request)?;
        let verified = req
            .verify(response, &public_key)
            .map_err(ChainError::Verify)?;
        if let Some(prev) = self.links.last() {
            let rand = rand.ok_or(ChainError::MissingRand)?;
            if next_nonce(req.version(), &prev.response, &rand) != req.nonce() {
                return Err(ChainError::NotChained);
            }
        }
        self.links.push(Link {
            rand,
            public_key,
            request: request.to_vec(),
            response: response.to_vec(),
            verified,
        });
        Ok(verified)
    }

    /// Rebuilds a chain from its links' raw parts (e.g. a stored report),
    /// verifying everything again.
    pub fn from_parts<'p>(
        parts: impl IntoIterator<Item = (Option<[u8; 32]>, [u8; 32], &'p [u8], &'p [u8])>,
    ) -> Result<Chain, (usize, ChainError)> {
        let mut chain = Chain::new();
        for (i, (rand, key, req, resp)) in parts.into_iter().enumerate() {
            chain.push(key, rand, req, resp).map_err(|e| (i, e))?;
        }
        Ok(chain)
    }

    /// The first pair (in order of the earlier link, then the later) whose
    /// times contradict causal order (RFC 10049 §8.2), if any.
    pub fn malfeasance(&self) -> Option<Malfeasance> {
        let n = self.links.len();
        (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .find(|&(i, j)| {
                self.links[i].verified.earliest_us() > self.links[j].verified.latest_us()
            })
            .map(|(earlier, later)| Malfeasance { earlier, later })
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.links.iter().enumerate() {
            write!(f, "#{i} key ")?;
            for b in &l.public_key[..8] {
                write!(f, "{b:02x}")?;
            }
            writeln!(
                f,
                "... {} midpoint {} us radius {} us",
                l.verified.version, l.verified.midpoint_us, l.verified.radius_us
            )?;
        }
        match self.malfeasance() {
            Some(m) => writeln!(
                f,
                "malfeasance: #{} (earliest {} us) precedes #{} (latest {} us)",
                m.earlier,
                self.links[m.earlier].verified.earliest_us(),
                m.later,
                self.links[m.later].verified.latest_us()
            ),
            None => writeln!(f, "consistent"),
        }
    }
}
