//! What [`Server::handle`](super::Server::handle) takes and returns: the
//! datagram as it arrived, the server's settings, and the typed outcome the
//! caller sends and counts.

use tempora_clock::Time;

use crate::reply::Ignored;
use crate::wire::KissCode;

/// A datagram as it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Its octets.
    pub data: &'a [u8],
    /// When it arrived (T2, RFC 5905 §8) on the served timescale: the
    /// kernel's receive timestamp, or the time it was read.
    pub rx: Time,
}

/// What a client refused by the access lists gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyAction {
    /// Nothing.
    Drop,
    /// A DENY kiss-o'-death (RFC 5905 §7.4).
    Kiss,
}

/// The server's settings (RFC 8633 §3.5 access control, RFC 9769
/// interleaved mode, RFC 8915 §5.7 NTS). `C` holds the address blocks: a
/// `Vec`, an array or a slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig<C> {
    /// Blocks answered (all when empty).
    pub allow: C,
    /// Blocks refused (before `allow`).
    pub deny: C,
    /// What a refused client gets.
    pub deny_action: DenyAction,
    /// Answer clients that ask for it in the interleaved mode.
    pub interleaved: bool,
    /// Answer only NTS-protected requests.
    pub require_nts: bool,
}

/// The kind of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// A basic reply (RFC 5905 §9.2).
    Basic,
    /// An interleaved reply: the previous reply's precise transmit time
    /// (RFC 9769).
    Interleaved,
    /// An NTS-protected reply with fresh cookies (RFC 8915 §5.7).
    Nts,
    /// A reply signed with the symmetric key of the request's MAC (RFC
    /// 5905 §9.1, RFC 8573), basic or interleaved.
    Keyed {
        /// The key's identifier.
        key_id: u32,
        /// An interleaved reply (RFC 9769).
        interleaved: bool,
    },
}

/// Why a datagram gets nothing back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// It came from port 0, which cannot be answered.
    BadSource,
    /// It does not decode as NTP.
    Malformed,
    /// Not a client request (mode 3).
    NotARequest,
    /// Version 0 or above 4 (RFC 5905 §9.2 drops those).
    BadVersion,
    /// The answer does not fit the buffer given.
    BufferTooSmall,
    /// Refused by the access lists, with [`DenyAction::Drop`] (or no room
    /// for the kiss).
    Denied,
    /// Over its rate, within the interval after its RATE kiss (or no room
    /// for the kiss).
    RateLimited,
    /// A plain request under `require-nts`.
    NtsRequired,
    /// An NTS request to a server without cookie keys.
    NtsUnavailable,
    /// An NTS request that is malformed (fields missing or repeated,
    /// placeholders not as long as the cookie, nonce too short: RFC 8915
    /// §5.5–§5.7).
    NtsMalformed,
    /// A request with both NTS fields and a MAC: one association, one kind
    /// of authentication.
    NtsWithMac,
    /// A MAC of a key the server does not have (RFC 5905 §9.1; chronyd
    /// drops these too, sending no crypto-NAK).
    UnknownKey,
    /// A MAC that does not verify: tampered, another secret, a digest of
    /// the wrong length for the key's type, or a 4-octet crypto-NAK.
    BadMac,
}

impl From<Ignored> for DropReason {
    fn from(e: Ignored) -> DropReason {
        match e {
            Ignored::Malformed => DropReason::Malformed,
            Ignored::NotARequest => DropReason::NotARequest,
            Ignored::BadVersion => DropReason::BadVersion,
            Ignored::BufferTooSmall => DropReason::BufferTooSmall,
        }
    }
}

/// What the server did with a datagram: what to send, and what to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Send the reply of `len` octets written at the start of the buffer.
    Reply {
        /// Its length.
        len: usize,
        /// Its kind.
        kind: ReplyKind,
    },
    /// Send the kiss-o'-death (RFC 5905 §7.4) of `len` octets written at
    /// the start of the buffer: DENY (access lists), RATE (rate limit), or
    /// NTSN (an NTS NAK, RFC 8915 §5.7: a cookie that does not open, a
    /// request that does not authenticate).
    Kiss {
        /// Its code.
        code: KissCode,
        /// Its length.
        len: usize,
    },
    /// Send nothing.
    Dropped(DropReason),
}

impl Outcome {
    /// The length of what to send, if anything.
    pub fn reply_len(&self) -> Option<usize> {
        match *self {
            Outcome::Reply { len, .. } | Outcome::Kiss { len, .. } => Some(len),
            Outcome::Dropped(_) => None,
        }
    }
}
