//! The server core: requests checked one by one into a [`Batch`], then one
//! Merkle tree and one SREP signature per version in the batch (RFC 10049
//! §5.3: the signature is amortised over the batch), and a typed
//! [`Outcome`] per request.
//!
//! For each datagram, in order ([`Server::check`]):
//!
//! 1. shorter than 1024 bytes: no reply (RFC 10049 §5.1 makes answering
//!    these optional; Tempora never does, so that no reply can amplify);
//! 2. not a request packet or message, TYPE not 0, VER, NONC or TYPE
//!    missing, no version offered that this server answers, a nonce of the
//!    wrong size: dropped (RFC 10049 §5.1, §5.1.1, §5.1.3; no error reply,
//!    §5.2);
//! 3. an SRV naming another key: dropped (RFC 10049 §5.2, step 1);
//! 4. the batch full: dropped.
//!
//! [`Batch::finish`] then signs with the current [`Delegation`]; a reply
//! larger than its request is dropped (RFC 10049 §9.7), as is every reply
//! when the time is outside the delegation's MINT..MAXT (the client would
//! reject it: RFC 10049 §5.4). Sans-IO: the caller passes the datagrams,
//! a token per request (e.g. the client's address) and the time.

use alloc::vec::Vec;
use core::fmt;

use crate::error::Error;
use crate::keys::{Delegation, LongTermKey};
use crate::merkle::Tree;
use crate::reply::{ReplyParts, encode_reply, encode_srep};
use crate::request::{MIN_REQUEST_SIZE, Request, RequestError};
use crate::tag::Tag;
use crate::version::{LeafInput, Version, VersionSet};

/// The server's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConfig {
    /// The versions answered.
    pub versions: VersionSet,
    /// The server's uncertainty in microseconds. RADI is this plus the
    /// error of rounding MIDP to the version's unit, rounded up to that
    /// unit (RFC 10049 §5.2.5: the true time must lie within MIDP ± RADI;
    /// at least 3 s without leap second information).
    pub radius_us: u64,
    /// Requests per batch. 64 keeps every reply of a 1024-byte request
    /// within 1024 bytes in every version, and a Google reply within the
    /// 744 bytes roughenough 1.1.8's client reads.
    pub max_batch: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            versions: VersionSet::ALL,
            radius_us: 3_000_000,
            max_batch: 64,
        }
    }
}

/// Why a request gets no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Smaller than 1024 bytes (RFC 10049 §5.1).
    TooShort(usize),
    /// Not a well-formed packet or message (RFC 10049 §4, §5).
    Malformed(Error),
    /// TYPE is not 0 (RFC 10049 §5.1.3).
    NotARequest(u32),
    /// VER, NONC or TYPE missing (RFC 10049 §5.1).
    MissingTag(Tag),
    /// No offered version is one this server answers (RFC 10049 §5.1.1).
    UnsupportedVersion,
    /// NONC of the wrong size (RFC 10049 §5.1.2).
    BadNonce(usize),
    /// SRV names another long-term key (RFC 10049 §5.2).
    WrongServer,
    /// The batch already holds `max_batch` requests.
    BatchFull,
    /// The reply would be larger than the request (RFC 10049 §9.7).
    ReplyTooLarge {
        /// Reply bytes.
        reply: usize,
        /// Request bytes.
        request: usize,
    },
    /// The time is outside the delegation's MINT..MAXT: rotate first.
    DelegationExpired,
}

impl From<RequestError> for DropReason {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Malformed(e) => DropReason::Malformed(e),
            RequestError::NotARequest(t) => DropReason::NotARequest(t),
            RequestError::MissingTag(t) => DropReason::MissingTag(t),
            RequestError::UnsupportedVersion => DropReason::UnsupportedVersion,
            RequestError::BadNonce(n) => DropReason::BadNonce(n),
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::TooShort(n) => write!(f, "request of {n} bytes, under 1024"),
            DropReason::Malformed(e) => write!(f, "malformed: {e}"),
            DropReason::NotARequest(t) => write!(f, "TYPE {t} is not a request"),
            DropReason::MissingTag(t) => write!(f, "tag {t} missing"),
            DropReason::UnsupportedVersion => f.write_str("no supported version offered"),
            DropReason::BadNonce(n) => write!(f, "nonce of {n} bytes"),
            DropReason::WrongServer => f.write_str("SRV names another key"),
            DropReason::BatchFull => f.write_str("batch full"),
            DropReason::ReplyTooLarge { reply, request } => {
                write!(f, "reply of {reply} bytes for a request of {request}")
            }
            DropReason::DelegationExpired => f.write_str("time outside the delegation"),
        }
    }
}

/// What to do for one request of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send this reply packet.
    Reply {
        /// The version answered.
        version: Version,
        /// The packet.
        packet: Vec<u8>,
    },
    /// Send nothing.
    Dropped(DropReason),
}

/// The server: its long-term identity (SRV) and current delegation.
#[derive(Debug, Clone)]
pub struct Server {
    config: ServerConfig,
    srv: [u8; 32],
    delegation: Delegation,
}

impl Server {
    /// A server for `long_term`'s identity signing with `delegation`
    /// (made by [`LongTermKey::delegate`]).
    pub fn new(long_term: &LongTermKey, delegation: Delegation, config: ServerConfig) -> Self {
        Server {
            config,
            srv: long_term.srv(),
            delegation,
        }
    }

    /// Replaces the delegation (key rotation); batches finished from now on
    /// sign with the new one.
    pub fn rotate(&mut self, delegation: Delegation) {
        self.delegation = delegation;
    }

    /// The current delegation.
    pub fn delegation(&self) -> &Delegation {
        &self.delegation
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Checks one datagram (steps 1 to 3 of the module's list).
    pub fn check<'a>(&self, datagram: &'a [u8]) -> Result<Request<'a>, DropReason> {
        if datagram.len() < MIN_REQUEST_SIZE {
            return Err(DropReason::TooShort(datagram.len()));
        }
        let req = Request::decode(datagram, self.config.versions)?;
        if req.srv.is_some_and(|s| s != self.srv.as_slice()) {
            return Err(DropReason::WrongServer);
        }
        Ok(req)
    }

    /// Whether a MIDP of `now_us` in `version`'s units lies in the
    /// delegation's MINT..=MAXT as its certificate states them.
    fn covers(&self, version: Version, now_us: u64) -> bool {
        let d = &self.delegation;
        let midp = version.from_micros_round(now_us);
        (version.from_micros_ceil(d.mint_us())..=version.from_micros(d.maxt_us())).contains(&midp)
    }
}

/// One accepted request waiting for its reply.
#[derive(Debug, Clone)]
struct Pending<T> {
    token: T,
    version: Version,
    packet: Vec<u8>,
    nonce: Vec<u8>,
}

impl<T> Pending<T> {
    fn leaf(&self) -> &[u8] {
        match self.version.params().leaf {
            LeafInput::Nonce => &self.nonce,
            LeafInput::Packet => &self.packet,
        }
    }
}

/// Requests collected in one poll turn.
#[derive(Debug, Clone)]
pub struct Batch<T> {
    pending: Vec<Pending<T>>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            pending: Vec::new(),
        }
    }
}

impl<T> Batch<T> {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no request waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Checks `datagram` ([`Server::check`]) and queues it with `token`
    /// (returned with its outcome); the reason when it gets no reply.
    pub fn push(
        &mut self,
        server: &Server,
        datagram: &[u8],
        token: T,
    ) -> Result<Version, DropReason> {
        if self.pending.len() >= server.config.max_batch {
            return Err(DropReason::BatchFull);
        }
        let req = server.check(datagram)?;
        self.pending.push(Pending {
            token,
            version: req.version,
            packet: datagram.to_vec(),
            nonce: req.nonce.to_vec(),
        });
        Ok(req.version)
    }

    /// Signs the batch at `now_us` (microseconds since the Unix epoch,
    /// UTC: the MIDP) and empties it: each token with its outcome, in the
    /// order pushed.
    pub fn finish(&mut self, server: &Server, now_us: u64) -> Vec<(T, Outcome)> {
        let pending = core::mem::take(&mut self.pending);
        let mut outcomes: Vec<Option<Outcome>> = pending.iter().map(|_| None).collect();
        for version in Version::ALL {
            let members: Vec<usize> = (0..pending.len())
                .filter(|&i| pending[i].version == version)
                .collect();
            if members.is_empty() {
                continue;
            }
            let replies = sign_version(server, version, now_us, &members, &pending);
            for (i, outcome) in members.into_iter().zip(replies) {
                outcomes[i] = Some(outcome);
            }
        }
        pending
            .into_iter()
            .zip(outcomes)
            .map(|(p, o)| {
                (
                    p.token,
                    o.unwrap_or(Outcome::Dropped(DropReason::BatchFull)),
                )
            })
            .collect()
    }
}

/// One tree and one signature over the batch's requests of `version`
/// (`members`, indices into `pending`); their outcomes in order.
fn sign_version<T>(
    server: &Server,
    version: Version,
    now_us: u64,
    members: &[usize],
    pending: &[Pending<T>],
) -> Vec<Outcome> {
    let dropped = |r| members.iter().map(|_| Outcome::Dropped(r)).collect();
    if !server.covers(version, now_us) {
        return dropped(DropReason::DelegationExpired);
    }
    let Some(tree) = Tree::build(version, members.iter().map(|&i| pending[i].leaf())) else {
        return Vec::new();
    };
    let vers: Vec<u32> = server.config.versions.wire_values().collect();
    let (midp, radi) = midpoint_and_radius(version, now_us, server.config.radius_us);
    let srep = match encode_srep(version, midp, radi, tree.root().as_bytes(), &vers) {
        Ok(s) => s,
        Err(e) => return dropped(DropReason::Malformed(e)),
    };
    let sig = server.delegation.sign_srep(version, &srep);
    let cert = server.delegation.cert(version);
    members
        .iter()
        .enumerate()
        .map(|(leaf, &i)| {
            let path = tree.path(leaf);
            let parts = ReplyParts {
                version,
                sig: &sig,
                srep: &srep,
                cert,
                nonce: &pending[i].nonce,
                path: &path,
                index: leaf as u32,
            };
            reply_outcome(&parts, pending[i].packet.len())
        })
        .collect()
}

/// MIDP (`now_us` rounded to the nearest unit of `version`) and RADI: the
/// configured radius plus the rounding error, rounded up, so that the true
/// time lies within MIDP ± RADI (RFC 10049 §5.2.5); never zero.
fn midpoint_and_radius(version: Version, now_us: u64, radius_us: u64) -> (u64, u32) {
    let midp = version.from_micros_round(now_us);
    let rounding_us = version.to_micros(midp).abs_diff(now_us);
    let radi = version
        .from_micros_ceil(radius_us.saturating_add(rounding_us))
        .clamp(1, u64::from(u32::MAX)) as u32;
    (midp, radi)
}

/// The reply, or why not: encoding failed, or larger than the request.
fn reply_outcome(parts: &ReplyParts<'_>, request: usize) -> Outcome {
    match encode_reply(parts) {
        Ok(packet) if packet.len() <= request => Outcome::Reply {
            version: parts.version,
            packet,
        },
        Ok(packet) => Outcome::Dropped(DropReason::ReplyTooLarge {
            reply: packet.len(),
            request,
        }),
        Err(e) => Outcome::Dropped(DropReason::Malformed(e)),
    }
}
