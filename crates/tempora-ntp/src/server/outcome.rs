//! What [`Server::handle`](super::Server::handle) takes and returns: the
//! datagram as it arrived, the server's settings, and the typed outcome the
//! caller sends and counts.

use tempora_clock::Time;

use crate::reply::Ignored;
use crate::v5::Draft;
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
    /// The protocol versions answered.
    pub versions: Versions,
    /// Answer NTPv5 requests for leap-smeared UTC with smeared time
    /// ([`ServerClock::smear_offset`](crate::server::ServerClock)); without
    /// it they get UTC in a reply that says UTC (draft-ietf-ntp-ntpv5,
    /// "Message Format": the reply's timescale is that of its timestamps).
    pub smear: bool,
}

/// The NTP versions a server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Versions {
    /// NTPv4, and with it versions 1–3, each answered in its own version
    /// (RFC 5905 §9.2); also the NTPv5 upgrade signal in them when `v5`.
    pub v4: bool,
    /// NTPv5 (draft-ietf-ntp-ntpv5 -08 and -09).
    pub v5: bool,
}

impl Versions {
    /// NTPv1–v4 only: the default, as before NTPv5.
    pub const V4: Versions = Versions {
        v4: true,
        v5: false,
    };
    /// NTPv1–v4 and NTPv5.
    pub const V4_V5: Versions = Versions { v4: true, v5: true };

    /// From a configured list such as `[4, 5]` (4 stands for 1–4; other
    /// numbers are ignored).
    pub fn from_list(list: &[u8]) -> Self {
        Versions {
            v4: list.contains(&4),
            v5: list.contains(&5),
        }
    }

    /// The list announced in an NTPv5 Server Information field.
    pub fn announced(&self) -> &'static [u8] {
        match (self.v4, self.v5) {
            (true, true) => &[1, 2, 3, 4, 5],
            (true, false) => &[1, 2, 3, 4],
            (false, true) => &[5],
            (false, false) => &[],
        }
    }
}

impl Default for Versions {
    fn default() -> Self {
        Versions::V4
    }
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
    /// An NTPv5 reply (draft-ietf-ntp-ntpv5), in the client's draft.
    V5 {
        /// The draft it was answered in.
        draft: Draft,
        /// NTS-protected, with fresh cookies (RFC 8915 §5.7).
        nts: bool,
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
    /// Version 0, 6 or 7 (RFC 5905 §9.2 drops those), or a version the
    /// configured [`Versions`] leave out.
    BadVersion,
    /// An NTPv5 request without a Draft Identification of a draft this
    /// server speaks (draft-ietf-ntp-ntpv5, "Draft Identification
    /// Extension Field": never answer an unknown draft).
    V5UnknownDraft,
    /// An NTPv5 Reference IDs Request for a chunk outside the 512-octet
    /// Bloom filter (offset past 512 minus its length). The draft has the
    /// field ignored; no correct client sends one, so it is dropped and
    /// counted.
    V5BadChunk,
    /// An NTPv5 request with a field this server cannot answer yet: a MAC
    /// (it has no NTPv5 keys).
    V5Unsupported,
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
