//! Why a CSPTP client or server dropped a message, and how often.

use core::fmt;

/// Why a message was dropped (the client's and the server's reasons; each
/// side uses those that apply to it). Every reason is counted, never a
/// panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Not a PTP message at all (IEEE 1588-2019 §13: header or length broken).
    Malformed,
    /// A PTP message, but not CSPTP: another `sdoId` or message type, or a
    /// Sync with neither a request nor a response TLV.
    NotCsptp,
    /// A TLV runs past the end of the message, or a CSPTP TLV is shorter
    /// than its layout.
    TruncatedTlv,
    /// A CSPTP TLV is longer than its layout.
    OversizedTlv,
    /// A Sync with both a request and a response TLV, or with one twice.
    ConflictingTlvs,
    /// A message for the other side: a request at a client, a response or
    /// Follow_Up at a server (or a Follow_Up asked for a one-step reply).
    UnexpectedMessage,
    /// The `domainNumber` is not the configured one.
    WrongDomain,
    /// A response or Follow_Up while no request is outstanding (none sent,
    /// or it timed out).
    NoMatchingRequest,
    /// A response or Follow_Up whose `sequenceId` is not the outstanding
    /// request's.
    WrongSequence,
    /// A response or Follow_Up from another `sourcePortIdentity` than the
    /// configured server, or than the other half of the same exchange.
    WrongServer,
    /// A response or Follow_Up for an exchange already completed, or a
    /// second copy of a half already held.
    Replayed,
    /// The output buffer is too small for the reply.
    BufferTooSmall,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 12] = [
        DropReason::Malformed,
        DropReason::NotCsptp,
        DropReason::TruncatedTlv,
        DropReason::OversizedTlv,
        DropReason::ConflictingTlvs,
        DropReason::UnexpectedMessage,
        DropReason::WrongDomain,
        DropReason::NoMatchingRequest,
        DropReason::WrongSequence,
        DropReason::WrongServer,
        DropReason::Replayed,
        DropReason::BufferTooSmall,
    ];

    /// A short name for logs and metrics labels.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::NotCsptp => "not_csptp",
            DropReason::TruncatedTlv => "truncated_tlv",
            DropReason::OversizedTlv => "oversized_tlv",
            DropReason::ConflictingTlvs => "conflicting_tlvs",
            DropReason::UnexpectedMessage => "unexpected_message",
            DropReason::WrongDomain => "wrong_domain",
            DropReason::NoMatchingRequest => "no_matching_request",
            DropReason::WrongSequence => "wrong_sequence",
            DropReason::WrongServer => "wrong_server",
            DropReason::Replayed => "replayed",
            DropReason::BufferTooSmall => "buffer_too_small",
        }
    }

    fn index(self) -> usize {
        DropReason::ALL
            .iter()
            .position(|r| *r == self)
            .unwrap_or_default()
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many messages were dropped for each [`DropReason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DropCounters {
    counts: [u64; DropReason::ALL.len()],
}

impl DropCounters {
    /// Counts one drop.
    pub fn count(&mut self, reason: DropReason) {
        if let Some(c) = self.counts.get_mut(reason.index()) {
            *c = c.saturating_add(1);
        }
    }

    /// Drops for `reason`.
    pub fn get(&self, reason: DropReason) -> u64 {
        self.counts.get(reason.index()).copied().unwrap_or(0)
    }

    /// Drops for every reason together.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Each reason with its count.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(|r| (*r, self.get(*r)))
    }
}
