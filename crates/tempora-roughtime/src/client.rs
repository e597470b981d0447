//! The client core (RFC 10049 §5.4, §8.2): build a request from a nonce the
//! caller provides (random, or chained with [`crate::chain::next_nonce`]),
//! and verify the reply against the server's long-term public key.
//!
//! Sans-IO: the caller sends [`ClientRequest::packet`], receives a
//! datagram, and calls [`ClientRequest::verify`]. Times are microseconds
//! since the Unix epoch (UTC, 86400-second days; RFC 10049 §4.1.4).

use alloc::vec::Vec;
use core::fmt;

use crate::error::Error;
use crate::hash::srv_value;
use crate::keys::verify;
use crate::merkle::{MerkleError, verify_path};
use crate::reply::Reply;
use crate::request::{Request, RequestError, encode_request};
use crate::version::{LeafInput, Version, VersionSet};

/// A request on its way: its version, nonce and packet, kept to verify
/// the reply (the packet is the Merkle leaf, RFC 10049 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    version: Version,
    nonce: Vec<u8>,
    packet: Vec<u8>,
}

impl ClientRequest {
    /// A request of `version` with `nonce` (32 bytes; 64 for Google),
    /// naming `long_term_public` in SRV when given (RFC 10049 §5.1.4).
    pub fn new(
        version: Version,
        nonce: &[u8],
        long_term_public: Option<&[u8; 32]>,
    ) -> Result<Self, Error> {
        let srv = long_term_public.map(srv_value);
        let packet = encode_request(version, nonce, srv.as_ref())?;
        Ok(ClientRequest {
            version,
            nonce: nonce.to_vec(),
            packet,
        })
    }

    /// The request that `packet` (sent earlier, e.g. kept in a chain) is:
    /// its version and nonce decoded from it.
    pub fn from_packet(packet: &[u8]) -> Result<Self, RequestError> {
        let r = Request::decode(packet, VersionSet::ALL)?;
        Ok(ClientRequest {
            version: r.version,
            nonce: r.nonce.to_vec(),
            packet: packet.to_vec(),
        })
    }

    /// The version asked for.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The nonce.
    pub fn nonce(&self) -> &[u8] {
        &self.nonce
    }

    /// The packet to send.
    pub fn packet(&self) -> &[u8] {
        &self.packet
    }

    /// Verifies `reply` (RFC 10049 §5.4): CERT signed by
    /// `long_term_public`, SREP signed by DELE's key, the Merkle path from
    /// this request to ROOT, MIDP within MINT..MAXT, the version asked for
    /// (and listed in VERS), our nonce, a non-zero radius.
    ///
    /// The cheap checks come first: a reply to another request is refused
    /// by its nonce or, in the Google protocol (whose replies carry no
    /// NONC), by the Merkle path (a few hashes), before the two Ed25519
    /// verifications (tens of microseconds each).
    pub fn verify(
        &self,
        reply: &[u8],
        long_term_public: &[u8; 32],
    ) -> Result<Verified, VerifyError> {
        let r = Reply::decode(reply).map_err(VerifyError::Malformed)?;
        self.check_version(&r)?;
        if r.nonce.is_some_and(|n| n != self.nonce.as_slice()) {
            return Err(VerifyError::NonceMismatch);
        }
        let p = self.version.params();
        let leaf = match p.leaf {
            LeafInput::Nonce => &self.nonce,
            LeafInput::Packet => &self.packet,
        };
        verify_path(self.version, leaf, r.index, r.path, r.srep.root)
            .map_err(VerifyError::Merkle)?;
        if !verify(long_term_public, p.dele_context, r.cert.dele, r.cert.sig) {
            return Err(VerifyError::BadCertSignature);
        }
        if !verify(&r.cert.pubk, p.srep_context, r.srep.bytes, r.sig) {
            return Err(VerifyError::BadSrepSignature);
        }
        self.check_times(&r)
    }

    fn check_version(&self, r: &Reply<'_>) -> Result<(), VerifyError> {
        if r.version != self.version {
            return Err(VerifyError::WrongVersion(r.version));
        }
        let Some(ver) = r.srep.ver else {
            return Ok(());
        };
        let listed = r
            .srep
            .vers
            .chunks_exact(4)
            .any(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) == ver);
        match listed {
            true => Ok(()),
            false => Err(VerifyError::VersionNotInVers),
        }
    }

    fn check_times(&self, r: &Reply<'_>) -> Result<Verified, VerifyError> {
        let (midp, mint, maxt) = (r.srep.midp, r.cert.mint, r.cert.maxt);
        if !(mint..=maxt).contains(&midp) {
            return Err(VerifyError::OutsideDelegation { midp, mint, maxt });
        }
        if r.srep.radi == 0 {
            return Err(VerifyError::ZeroRadius);
        }
        let v = self.version;
        Ok(Verified {
            version: v,
            midpoint_us: v.to_micros(midp),
            radius_us: v.to_micros(u64::from(r.srep.radi)),
            mint_us: v.to_micros(mint),
            maxt_us: v.to_micros(maxt),
            online_public: r.cert.pubk,
        })
    }
}

/// A verified reply's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The version of the exchange.
    pub version: Version,
    /// MIDP, microseconds since the Unix epoch.
    pub midpoint_us: u64,
    /// RADI, microseconds: the true time was within midpoint ± radius
    /// when the server signed (RFC 10049 §5.2.5).
    pub radius_us: u64,
    /// MINT, microseconds since the Unix epoch.
    pub mint_us: u64,
    /// MAXT, microseconds since the Unix epoch.
    pub maxt_us: u64,
    /// The online key that signed.
    pub online_public: [u8; 32],
}

impl Verified {
    /// MIDP - RADI, saturating.
    pub fn earliest_us(&self) -> u64 {
        self.midpoint_us.saturating_sub(self.radius_us)
    }

    /// MIDP + RADI, saturating.
    pub fn latest_us(&self) -> u64 {
        self.midpoint_us.saturating_add(self.radius_us)
    }
}

/// Why a reply is not accepted (RFC 10049 §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The packet does not decode.
    Malformed(Error),
    /// The reply is in another version than asked for.
    WrongVersion(Version),
    /// SREP's VER is not in its VERS (RFC 10049 §5.2.5).
    VersionNotInVers,
    /// NONC is not ours.
    NonceMismatch,
    /// CERT's signature does not verify with the long-term key.
    BadCertSignature,
    /// SREP's signature does not verify with DELE's key.
    BadSrepSignature,
    /// The Merkle path does not lead from our request to ROOT.
    Merkle(MerkleError),
    /// MIDP lies outside MINT..=MAXT (version units).
    OutsideDelegation {
        /// MIDP.
        midp: u64,
        /// MINT.
        mint: u64,
        /// MAXT.
        maxt: u64,
    },
    /// RADI is zero (RFC 10049 §5.2.5: MUST NOT).
    ZeroRadius,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed(e) => write!(f, "malformed reply: {e}"),
            VerifyError::WrongVersion(v) => write!(f, "reply in version {v}"),
            VerifyError::VersionNotInVers => f.write_str("VER not listed in VERS"),
            VerifyError::NonceMismatch => f.write_str("reply for another nonce"),
            VerifyError::BadCertSignature => {
                f.write_str("CERT signature invalid for the long-term key")
            }
            VerifyError::BadSrepSignature => {
                f.write_str("SREP signature invalid for the delegated key")
            }
            VerifyError::Merkle(e) => write!(f, "Merkle proof: {e}"),
            VerifyError::OutsideDelegation { midp, mint, maxt } => {
                write!(f, "MIDP {midp} outside delegation {mint}..={maxt}")
            }
            VerifyError::ZeroRadius => f.write_str("RADI is zero"),
        }
    }
}

impl core::error::Error for VerifyError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LongTermKey;
    use crate::merkle::Tree;
    use crate::reply::{ReplyParts, encode_reply, encode_srep};

    /// A reply to `req` signed by seeds 1 (long-term) and 2 (online), with
    /// the given SREP fields and delegation window (microseconds).
    fn answer(
        req: &ClientRequest,
        midp: u64,
        radi: u32,
        vers: &[u32],
        window: (u64, u64),
    ) -> Vec<u8> {
        let v = req.version();
        let d = LongTermKey::from_seed(&[1; 32]).delegate(&[2; 32], window.0, window.1);
        let leaf = match v.params().leaf {
            LeafInput::Nonce => req.nonce(),
            LeafInput::Packet => req.packet(),
        };
        let tree = Tree::build(v, [leaf]).unwrap();
        let srep = encode_srep(v, midp, radi, tree.root().as_bytes(), vers).unwrap();
        let sig = d.sign_srep(v, &srep);
        let parts = ReplyParts {
            version: v,
            sig: &sig,
            srep: &srep,
            cert: d.cert(v),
            nonce: req.nonce(),
            path: &[],
            index: 0,
        };
        encode_reply(&parts).unwrap()
    }

    fn ltk() -> [u8; 32] {
        LongTermKey::from_seed(&[1; 32]).public()
    }

    const WIDE: (u64, u64) = (0, 4_000_000_000_000_000);

    /// A Google reply (no NONC) to another request is refused by its
    /// Merkle path before any signature is checked: with the wrong key too,
    /// the error is the path's, not the signature's.
    #[test]
    fn a_reply_to_another_request_is_refused_before_the_signatures() {
        let mine = ClientRequest::new(Version::Google, &[6; 64], None).unwrap();
        let other = ClientRequest::new(Version::Google, &[7; 64], None).unwrap();
        let reply = answer(&other, 5_000_000, 1, &[], (0, u64::MAX));
        assert_eq!(
            mine.verify(&reply, &[9; 32]),
            Err(VerifyError::Merkle(MerkleError::RootMismatch))
        );
        assert_eq!(
            other.verify(&reply, &[9; 32]),
            Err(VerifyError::BadCertSignature)
        );
    }

    #[test]
    fn a_good_reply_verifies() {
        let req = ClientRequest::new(Version::Rfc, &[5; 32], None).unwrap();
        let v = req
            .verify(&answer(&req, 1000, 3, &[1], WIDE), &ltk())
            .unwrap();
        assert_eq!((v.midpoint_us, v.radius_us), (1_000_000_000, 3_000_000));
        assert_eq!(
            (v.earliest_us(), v.latest_us()),
            (997_000_000, 1_003_000_000)
        );
    }

    #[test]
    fn checks_fail_as_the_rfc_says() {
        let req = ClientRequest::new(Version::Rfc, &[5; 32], None).unwrap();
        let err = |reply: Vec<u8>| req.verify(&reply, &ltk()).unwrap_err();
        assert_eq!(
            err(answer(&req, 1000, 0, &[1], WIDE)),
            VerifyError::ZeroRadius
        );
        assert_eq!(
            err(answer(&req, 1000, 3, &[0x8000_000c], WIDE)),
            VerifyError::VersionNotInVers
        );
        assert_eq!(
            err(answer(&req, 1000, 3, &[1], (2_000_000_000, 3_000_000_000))),
            VerifyError::OutsideDelegation {
                midp: 1000,
                mint: 2000,
                maxt: 3000
            }
        );
        let other = ClientRequest::new(Version::Draft14, &[5; 32], None).unwrap();
        assert_eq!(
            err(answer(&other, 1000, 3, &[0x8000_000c], WIDE)),
            VerifyError::WrongVersion(Version::Draft14)
        );
        // The same nonce in another packet (another version's request
        // packet is another Merkle leaf).
        let twin = ClientRequest::new(Version::Rfc, &[5; 32], Some(&[9; 32])).unwrap();
        assert!(matches!(
            err(answer(&twin, 1000, 3, &[1], WIDE)),
            VerifyError::Merkle(MerkleError::RootMismatch)
        ));
        let mut bad_sig = answer(&req, 1000, 3, &[1], WIDE);
        bad_sig[12 + 8 * 7] ^= 1; // first byte of SIG's value
        assert_eq!(err(bad_sig), VerifyError::BadSrepSignature);
    }

    #[test]
    fn from_packet_recovers_the_request() {
        let req = ClientRequest::new(Version::Google, &[6; 64], None).unwrap();
        assert_eq!(ClientRequest::from_packet(req.packet()).unwrap(), req);
        assert!(ClientRequest::from_packet(&[0; 8]).is_err());
    }
}
