//! Unicast discovery and negotiation (IEEE 1588-2019 §16.1), as used by the
//! telecom profile with partial timing support (ITU-T G.8275.2) and by
//! enterprise networks where multicast is not available.
//!
//! A port that wants unicast service (the *grantee*, normally a slave) asks a
//! port that can give it (the *grantor*, normally a master) for a stream of
//! one message type at a given rate for a given time, with
//! REQUEST_UNICAST_TRANSMISSION TLVs in Signaling messages (§16.1.4.1). The
//! grantor answers with GRANT_UNICAST_TRANSMISSION (§16.1.4.2); a duration of
//! zero denies the request. Either side may end a grant early with
//! CANCEL_UNICAST_TRANSMISSION (§16.1.4.3), which the other side acknowledges
//! with ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4). Grants lapse at
//! the end of their duration unless the grantee renews them in time (§16.1.2).
//!
//! * [`Grantor`]: the master side, a bounded table of grants.
//! * [`Grantee`]: the slave side, driven by a [`UnicastMasterTable`].
//!
//! # Calling contract
//!
//! Both halves are sans-IO and deterministic: they never read a clock and
//! never send anything. The caller (the port engine):
//!
//! 1. decodes Signaling messages and hands every negotiation TLV to the
//!    matching `handle_*` method together with the current time, the
//!    transport address the message came from and the header's
//!    `sourcePortIdentity` ([`NegotiationTlv::from_tlv`] picks them out);
//! 2. sends what the methods return: each [`SendSignaling`] is one Signaling
//!    message (§13.12) to `to`, with `targetPortIdentity` set to `target` and
//!    the TLVs in order, with the unicast flag set (§13.3.2.8);
//! 3. calls `poll(now)` whenever `next_timeout()` has passed (calling it
//!    earlier or more often is harmless) and sends what it returns.
//!
//! Times are on any monotonic timescale the caller likes, as long as it is
//! the same for every call. Message intervals are `log2` seconds, as on the
//! wire.

use alloc::vec::Vec;

use crate::wire::MessageType;
use crate::wire::PortIdentity;
use crate::wire::tlv::{
    CancelUnicastTransmission, GrantUnicastTransmission, RequestUnicastTransmission, Tlv,
};

mod grantee;
mod grantor;

pub use grantee::{Grantee, GranteeConfig, HeldGrant, UnicastMasterTable};
pub use grantor::{Grantor, GrantorConfig, IntervalLimits, IntervalPolicy, Recipient};

/// The message types whose unicast transmission can be negotiated
/// (IEEE 1588-2019 §16.1.1): a grant of Sync also covers the Follow_Up
/// messages that go with it, and a grant of Pdelay_Resp the
/// Pdelay_Resp_Follow_Up messages. A grant of Delay_Resp lets the grantee
/// send Delay_Req messages and have them answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NegotiableType {
    /// Announce (§13.5).
    Announce,
    /// Sync, with its Follow_Up (§13.6, §13.7).
    Sync,
    /// Delay_Resp, answering the grantee's Delay_Req (§13.8).
    DelayResp,
    /// Pdelay_Resp, with its Pdelay_Resp_Follow_Up (§13.10, §13.11).
    PdelayResp,
}

impl NegotiableType {
    /// Every negotiable type, in the order Tempora requests them.
    pub const ALL: [NegotiableType; 4] = [
        NegotiableType::Announce,
        NegotiableType::Sync,
        NegotiableType::DelayResp,
        NegotiableType::PdelayResp,
    ];

    /// The negotiable type for `message_type`, if it is one (§16.1.1).
    pub fn from_message_type(message_type: MessageType) -> Option<Self> {
        match message_type {
            MessageType::Announce => Some(NegotiableType::Announce),
            MessageType::Sync => Some(NegotiableType::Sync),
            MessageType::DelayResp => Some(NegotiableType::DelayResp),
            MessageType::PdelayResp => Some(NegotiableType::PdelayResp),
            _ => None,
        }
    }

    /// The message type.
    pub fn message_type(self) -> MessageType {
        match self {
            NegotiableType::Announce => MessageType::Announce,
            NegotiableType::Sync => MessageType::Sync,
            NegotiableType::DelayResp => MessageType::DelayResp,
            NegotiableType::PdelayResp => MessageType::PdelayResp,
        }
    }

    /// The first octet of a negotiation TLV's value for this type with the
    /// given flags in the low nibble (§16.1.4.1–§16.1.4.4).
    pub fn octet(self, flags: u8) -> u8 {
        (self.message_type().to_nibble() << 4) | (flags & 0x0f)
    }

    /// Position in [`NegotiableType::ALL`].
    pub(crate) fn index(self) -> usize {
        match self {
            NegotiableType::Announce => 0,
            NegotiableType::Sync => 1,
            NegotiableType::DelayResp => 2,
            NegotiableType::PdelayResp => 3,
        }
    }
}

/// The `R` flag of GRANT_UNICAST_TRANSMISSION, bit 0 of its flags octet:
/// the grantor invites the grantee to renew the grant (IEEE 1588-2019
/// §16.1.4.2).
pub const GRANT_RENEWAL_INVITED: u8 = 0x01;

/// The `maintainRequest` flag of CANCEL_UNICAST_TRANSMISSION and its
/// acknowledgement, bit 0 of the first octet's low nibble (IEEE 1588-2019
/// §16.1.4.3): the sender keeps its own *requests* to the receiver, so the
/// cancel ends only grants the sender gave. A grantor ignores a cancel with
/// this flag, as linuxptp's `unicast_service_remove` does.
pub const CANCEL_MAINTAIN_REQUEST: u8 = 0x01;

/// The `maintainGrant` flag of CANCEL_UNICAST_TRANSMISSION and its
/// acknowledgement, bit 1 of the first octet's low nibble (IEEE 1588-2019
/// §16.1.4.3): the sender keeps the *grants* it gave the receiver, so the
/// cancel ends only requests the sender made. A grantee ignores a cancel with
/// this flag, as linuxptp's `unicast_client_cancel` does.
pub const CANCEL_MAINTAIN_GRANT: u8 = 0x02;

/// The four negotiation TLVs (IEEE 1588-2019 §16.1.4), as the grantor and
/// grantee take and give them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NegotiationTlv {
    /// REQUEST_UNICAST_TRANSMISSION (§16.1.4.1).
    Request(RequestUnicastTransmission),
    /// GRANT_UNICAST_TRANSMISSION (§16.1.4.2).
    Grant(GrantUnicastTransmission),
    /// CANCEL_UNICAST_TRANSMISSION (§16.1.4.3).
    Cancel(CancelUnicastTransmission),
    /// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4).
    AcknowledgeCancel(CancelUnicastTransmission),
}

impl NegotiationTlv {
    /// The negotiation TLV in `tlv`, if it is one (§16.1.4).
    pub fn from_tlv(tlv: &Tlv<'_>) -> Option<Self> {
        match *tlv {
            Tlv::RequestUnicastTransmission(r) => Some(NegotiationTlv::Request(r)),
            Tlv::GrantUnicastTransmission(g) => Some(NegotiationTlv::Grant(g)),
            Tlv::CancelUnicastTransmission(c) => Some(NegotiationTlv::Cancel(c)),
            Tlv::AcknowledgeCancelUnicastTransmission(c) => {
                Some(NegotiationTlv::AcknowledgeCancel(c))
            }
            _ => None,
        }
    }

    /// The TLV to put in a Signaling message's suffix (§16.1.4).
    pub fn to_tlv(self) -> Tlv<'static> {
        match self {
            NegotiationTlv::Request(r) => Tlv::RequestUnicastTransmission(r),
            NegotiationTlv::Grant(g) => Tlv::GrantUnicastTransmission(g),
            NegotiationTlv::Cancel(c) => Tlv::CancelUnicastTransmission(c),
            NegotiationTlv::AcknowledgeCancel(c) => Tlv::AcknowledgeCancelUnicastTransmission(c),
        }
    }

    /// The message type the TLV is about (the high nibble of its first
    /// octet, §16.1.4.1–§16.1.4.4).
    pub fn message_type(&self) -> MessageType {
        match self {
            NegotiationTlv::Request(r) => r.message_type(),
            NegotiationTlv::Grant(g) => g.message_type(),
            NegotiationTlv::Cancel(c) | NegotiationTlv::AcknowledgeCancel(c) => c.message_type(),
        }
    }
}

/// One Signaling message to send (IEEE 1588-2019 §13.12, §16.1.4): the
/// caller builds the header (its own `sourcePortIdentity`, a fresh
/// `sequenceId`, the unicast flag) and sends it to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendSignaling<A> {
    /// The transport address to send to.
    pub to: A,
    /// `targetPortIdentity`: the peer's port when known, otherwise
    /// [`PortIdentity::ALL`] (§13.12.1).
    pub target: PortIdentity,
    /// The TLVs of the suffix, in order.
    pub tlvs: Vec<NegotiationTlv>,
}

/// Builds a cancel or acknowledge value for `t` with `flags` (§16.1.4.3,
/// §16.1.4.4).
pub(crate) fn cancel_value(t: NegotiableType, flags: u8) -> CancelUnicastTransmission {
    CancelUnicastTransmission {
        message_type_octet: t.octet(flags),
        reserved: 0,
    }
}

/// Appends `tlv` to the message for (`to`, `target`) in `out`, creating it
/// if needed, so that each peer gets one Signaling message per call.
pub(crate) fn push_tlv<A: Copy + Eq>(
    out: &mut Vec<SendSignaling<A>>,
    to: A,
    target: PortIdentity,
    tlv: NegotiationTlv,
) {
    if let Some(m) = out.iter_mut().find(|m| m.to == to && m.target == target) {
        m.tlvs.push(tlv);
    } else {
        out.push(SendSignaling {
            to,
            target,
            tlvs: alloc::vec![tlv],
        });
    }
}

/// `durationField` seconds as a duration (§16.1.4.1).
pub(crate) fn secs(s: u32) -> tempora_clock::Duration {
    tempora_clock::Duration::from_secs(i64::from(s))
}

#[cfg(test)]
mod tests;
