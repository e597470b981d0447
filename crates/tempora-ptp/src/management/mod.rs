//! The management responder (IEEE 1588-2019 §15): answers GET, SET and
//! COMMAND requests from a snapshot of an instance's state, and says what a
//! boundary clock must forward. Sans-IO and independent of the engine: the
//! engine decodes a Management message, calls [`handle`] with a
//! [`ManagementState`] borrowed from its live data sets, sends
//! [`Reply::responses`] back on the receiving port, sends each of
//! [`Reply::forwards`] on its port, and applies [`Reply::changes`].
//!
//! # Rules
//!
//! * Only GET, SET and COMMAND are answered (§15.4.1.6, Table 89); RESPONSE,
//!   ACKNOWLEDGE and reserved actions are only forwarded.
//! * The request must be in this instance's domain (§15.3.1, §7.1) and carry
//!   exactly one MANAGEMENT TLV (§15.4.1, §15.5.2).
//! * `targetPortIdentity.clockIdentity` must be this clock's or the wildcard
//!   all-ones identity (§15.3.3, §15.4.1.2); otherwise there is no answer.
//! * Clock-level `managementId`s are answered once, from the receiving port
//!   (as `ptp4l` does); port-level ones once per addressed port, from that
//!   port, and once for every port when `portNumber` is 0xFFFF (§15.3.3).
//!   A port number that names no port is answered with WRONG_VALUE, as
//!   `ptp4l` does after IEEE 1588 interpretation #21.
//! * A response carries actionField RESPONSE (ACKNOWLEDGE for a COMMAND),
//!   the request's `sequenceId`, `targetPortIdentity` = the requester's
//!   `sourcePortIdentity`, `controlField` 4 and `logMessageInterval` 0x7F
//!   (§15.4.1, §13.3.2.13, §13.3.2.14).
//! * `startingBoundaryHops` and `boundaryHops` of a response are both
//!   `startingBoundaryHops − boundaryHops` of the request (§15.4.1.3,
//!   §15.4.1.4), computed the way `ptp4l` computes them: when the request
//!   could have been forwarded (boundaryHops > 0, receiving port in a
//!   forwarding state) but no port to forward it to exists, the answering
//!   clock's own crossing is counted too. A lone `ptp4l` master answers
//!   `pmc -b 1` with 1/1, and so does Tempora.
//! * A SET is answered with the new value (§15.3.3); the change itself comes
//!   back as a [`Change`]. Errors are MANAGEMENT_ERROR_STATUS TLVs
//!   (§15.5.4): NO_SUCH_ID for unknown IDs, NOT_SUPPORTED for known ones this
//!   responder does not implement, WRONG_LENGTH for a data field of the
//!   wrong size, WRONG_VALUE for a value out of range ([`SetLimits`]),
//!   NOT_SETABLE for a SET or COMMAND of an ID that does not allow it.
//! * Boundary clocks forward every management message with boundaryHops > 0
//!   on their other ports, with boundaryHops decremented (§15.3.4).
//!
//! # Differences from `ptp4l` 3.1.1
//!
//! * `ptp4l` refuses SET over the network with NOT_SUPPORTED (it accepts them
//!   only on its Unix socket), and so does the engine by default
//!   ([`crate::engine::NetworkManagement::ReadOnly`]). When
//!   [`ManagementState::accept_set_and_command`] is true (the local channel,
//!   or network management `ReadWrite`) Tempora accepts SET PRIORITY1,
//!   PRIORITY2, DOMAIN, SLAVE_ONLY, USER_DESCRIPTION and the port
//!   intervals, and the COMMANDs ENABLE_PORT, DISABLE_PORT and INITIALIZE.
//! * PORT_PROPERTIES_NP is answered on any port (`ptp4l`: Unix socket only).
//! * SLAVE_ONLY is answered with the SO flag in bit 0 as §15.5.3.3.5 says
//!   (`ptp4l` sends its internal bit 1).
//! * A message addressed to this very clock is not forwarded (nothing beyond
//!   it can match its target); `ptp4l` forwards it anyway.
//! * GET UTC_PROPERTIES, TIMESCALE_PROPERTIES (with `timeSource`, which
//!   `ptp4l` leaves out) and MASTER_ONLY are answered; `ptp4l` does not know
//!   them.
//! * The header's `minorVersionPTP` and the high nibble of PORT_DATA_SET's
//!   version octet are the answering port's `minorVersionNumber` (1 for
//!   IEEE 1588-2019; `ptp4l` 3.1.1, a 2008 implementation, sends 0).
//!
//! The transport adds what it needs (UDP/IPv6 appends two octets, Annex
//! D); [`Reply`] holds bare PTP messages.

mod answer;
mod state;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;

use crate::datasets::{DelayMechanism, InstanceType, PortDs, PortState};
use crate::wire::tlv::management::{
    Action, ManagementData, ManagementErrorStatus, ManagementTlv, management_error_id,
};
use crate::wire::tlv::{RawTlvs, Tlv, tlv_type};
use crate::wire::{Body, ClockIdentity, Flags, Header, ManagementBody, Message, MessageType};
use crate::wire::{PortIdentity, Suffix};

pub use state::{ClockInfo, ManagementState, PortInfo, PortStats, SetLimits, TimeStatus};

/// What to do about one management message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// Encoded RESPONSE or ACKNOWLEDGE messages (§15.3.3), to be sent on the
    /// port the request came in on, the way it came (to the multicast group,
    /// or unicast back to the requester when the request was unicast; the
    /// unicast flag is copied from the request).
    pub responses: Vec<Vec<u8>>,
    /// Copies of the request to send on other ports, with boundaryHops
    /// decremented (§15.3.4).
    pub forwards: Vec<Forward>,
    /// Changes a SET or COMMAND asked for, already confirmed in
    /// [`Reply::responses`]; the engine applies them in order.
    pub changes: Vec<Change>,
}

/// A management message a boundary clock retransmits (§15.3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The port (1-based `portNumber`) to send it on.
    pub port: u16,
    /// The encoded message.
    pub bytes: Vec<u8>,
}

/// A change to the instance that a SET or COMMAND asked for (§15.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// SET PRIORITY1 (§15.5.3.3.2): `defaultDS.priority1`.
    Priority1(u8),
    /// SET PRIORITY2 (§15.5.3.3.3): `defaultDS.priority2`.
    Priority2(u8),
    /// SET DOMAIN (§15.5.3.3.4): `defaultDS.domainNumber`.
    Domain(u8),
    /// SET SLAVE_ONLY (§15.5.3.3.5): `defaultDS.slaveOnly`.
    SlaveOnly(bool),
    /// SET LOG_ANNOUNCE_INTERVAL (§15.5.3.7.2): `portDS.logAnnounceInterval`.
    LogAnnounceInterval {
        /// The port's `portNumber`.
        port: u16,
        /// The new value.
        value: i8,
    },
    /// SET ANNOUNCE_RECEIPT_TIMEOUT (§15.5.3.7.3):
    /// `portDS.announceReceiptTimeout`.
    AnnounceReceiptTimeout {
        /// The port's `portNumber`.
        port: u16,
        /// The new value.
        value: u8,
    },
    /// SET LOG_SYNC_INTERVAL (§15.5.3.7.4): `portDS.logSyncInterval`.
    LogSyncInterval {
        /// The port's `portNumber`.
        port: u16,
        /// The new value.
        value: i8,
    },
    /// SET LOG_MIN_PDELAY_REQ_INTERVAL (§15.5.3.7.6):
    /// `portDS.logMinPdelayReqInterval`.
    LogMinPdelayReqInterval {
        /// The port's `portNumber`.
        port: u16,
        /// The new value.
        value: i8,
    },
    /// SET DELAY_MECHANISM (§15.5.3.7.5): `portDS.delayMechanism`.
    DelayMechanism {
        /// The port's `portNumber`.
        port: u16,
        /// The new value.
        value: DelayMechanism,
    },
    /// SET USER_DESCRIPTION (§15.5.3.1.3).
    UserDescription(UserDescription),
    /// COMMAND ENABLE_PORT (§15.5.3.2.3): the DESIGNATED_ENABLED event on
    /// this port (§9.2.6).
    EnablePort(u16),
    /// COMMAND DISABLE_PORT (§15.5.3.2.4): the DESIGNATED_DISABLED event on
    /// this port (§9.2.6).
    DisablePort(u16),
    /// COMMAND INITIALIZE with key INITIALIZE_EVENT (§15.5.3.1.6): the
    /// INITIALIZE event on every port (§9.2.6).
    Initialize,
}

/// A `userDescription` (§15.5.3.1.3): up to 128 octets, held without
/// allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserDescription {
    bytes: [u8; UserDescription::MAX_LEN],
    len: u8,
}

impl UserDescription {
    /// The longest `userDescription` the standard allows, in octets.
    pub const MAX_LEN: usize = 128;

    /// The description `text`, or `None` if it is longer than
    /// [`UserDescription::MAX_LEN`].
    pub fn new(text: &[u8]) -> Option<Self> {
        let len = u8::try_from(text.len())
            .ok()
            .filter(|n| usize::from(*n) <= Self::MAX_LEN)?;
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(UserDescription { bytes, len })
    }

    /// The octets of the description.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// The wildcard clock identity, all ones (§15.4.1.2, §7.5.2.4).
const ALL_CLOCKS: ClockIdentity = ClockIdentity([0xff; 8]);
/// The wildcard port number (§7.5.2.4).
const ALL_PORTS: u16 = 0xffff;

/// Answers the management message `request`, received on the port whose
/// `portNumber` is `receiving_port` (1-based; 0 stands for a local
/// management channel such as a Unix socket, which may forward like any
/// port but is not a PTP port).
///
/// Anything that is not an answerable management message for this instance
/// gives an empty or forward-only [`Reply`]; no input panics.
pub fn handle(state: &ManagementState<'_>, request: &Message<'_>, receiving_port: u16) -> Reply {
    let mut reply = Reply::default();
    let Body::Management(body) = request.body else {
        return reply;
    };
    if request.header.message_type != MessageType::Management {
        return reply;
    }
    // §15.3.1, §7.1: only messages of this instance's domain are processed.
    if request.header.domain_number != state.default_ds.domain_number {
        return reply;
    }
    let ingress = if receiving_port == 0 {
        None
    } else {
        match find_port(state.ports, receiving_port) {
            Some(port) => Some(port),
            // Not one of our ports: nothing sensible to answer from.
            None => return reply,
        }
    };

    // §15.3.4: a boundary clock retransmits the message on its other ports
    // with boundaryHops decremented. Like ptp4l, only from and to ports in
    // states that take part in the protocol.
    let eligible = body.boundary_hops > 0
        && !state.default_ds.instance_type.is_transparent()
        && ingress.is_none_or(|p| forwards(p.port_state));
    let for_us = body.target_port_identity.clock_identity == state.default_ds.clock_identity;
    if eligible && !for_us {
        forward(state, request, body, receiving_port, &mut reply);
    }
    // ptp4l decrements boundaryHops in place and restores it only if it
    // forwarded the message; the answer's hop count follows from that.
    let hops_left = if eligible && reply.forwards.is_empty() {
        body.boundary_hops - 1
    } else {
        body.boundary_hops
    };
    let reply_hops = body.starting_boundary_hops.saturating_sub(hops_left);

    // §15.3.3, §15.4.1.2: the target clock is this one or all clocks.
    let target = body.target_port_identity;
    if target.clock_identity != ALL_CLOCKS && !for_us {
        return reply;
    }
    // §15.4.1.6: only GET, SET and COMMAND are answered.
    let action = body.action();
    let response_action = match action {
        Action::Get | Action::Set => Action::Response,
        Action::Command => Action::Acknowledge,
        _ => return reply,
    };
    // §15.4.1, §15.5.2: exactly one MANAGEMENT TLV with a managementId.
    let Some(value) = management_value(request) else {
        return reply;
    };
    let Some((id_bytes, data)) = value.split_first_chunk::<2>() else {
        return reply;
    };
    let id = u16::from_be_bytes(*id_bytes);

    let ingress_source = Source::of(state, ingress, receiving_port);
    let ctx = answer::Request {
        state,
        header: &request.header,
        action,
        response_action,
        reply_hops,
        id,
        data,
    };
    if action != Action::Get && !state.accept_set_and_command {
        // As ptp4l on a network port: SET and COMMAND refused.
        let tlv = error_tlv(management_error_id::NOT_SUPPORTED, id);
        push(&mut reply, ctx.encode(ingress_source, tlv));
        return reply;
    }
    match answer::scope(id) {
        None => {
            // §15.5.4.3: an unrecognized managementId.
            let tlv = error_tlv(management_error_id::NO_SUCH_ID, id);
            push(&mut reply, ctx.encode(ingress_source, tlv));
        }
        Some(answer::Scope::Clock) => {
            let message = answer::clock(&ctx, ingress_source, &mut reply.changes);
            push(&mut reply, message);
        }
        Some(answer::Scope::Port) => {
            if target.port_number == ALL_PORTS {
                // §15.3.3: one answer per port.
                for (index, port) in state.ports.iter().enumerate() {
                    let info = port_info(state, index);
                    let message = answer::port(&ctx, port, info, &mut reply.changes);
                    push(&mut reply, message);
                }
            } else if let Some((index, port)) = state
                .ports
                .iter()
                .enumerate()
                .find(|(_, p)| p.port_identity.port_number == target.port_number)
            {
                let info = port_info(state, index);
                let message = answer::port(&ctx, port, info, &mut reply.changes);
                push(&mut reply, message);
            } else {
                // No such port: WRONG_VALUE, as ptp4l (IEEE 1588
                // interpretation #21).
                let tlv = error_tlv(management_error_id::WRONG_VALUE, id);
                push(&mut reply, ctx.encode(ingress_source, tlv));
            }
        }
    }
    reply
}

/// Decodes `bytes` and answers it like [`handle`]; bytes that do not decode
/// give an empty [`Reply`].
pub fn handle_bytes(state: &ManagementState<'_>, bytes: &[u8], receiving_port: u16) -> Reply {
    match Message::decode(bytes) {
        Ok(message) => handle(state, &message, receiving_port),
        Err(_) => Reply::default(),
    }
}

fn push(reply: &mut Reply, message: Option<Vec<u8>>) {
    if let Some(m) = message {
        reply.responses.push(m);
    }
}

/// A MANAGEMENT_ERROR_STATUS TLV without displayData (§15.5.4).
fn error_tlv(error_id: u16, management_id: u16) -> Tlv<'static> {
    Tlv::ManagementErrorStatus(ManagementErrorStatus::new(error_id, management_id))
}

/// Port states in which ptp4l forwards management messages (§15.3.4 leaves
/// the choice to the implementation): those that exchange PTP messages.
fn forwards(state: PortState) -> bool {
    matches!(
        state,
        PortState::Master | PortState::PreMaster | PortState::Slave | PortState::Uncalibrated
    )
}

fn find_port(ports: &[PortDs], number: u16) -> Option<&PortDs> {
    ports.iter().find(|p| p.port_identity.port_number == number)
}

/// The [`PortInfo`] of the port at `index` in [`ManagementState::ports`].
fn port_info<'s>(state: &ManagementState<'s>, index: usize) -> &'s PortInfo<'s> {
    state.port_info.get(index).unwrap_or(&PortInfo::EMPTY)
}

/// §15.3.4: copies of `request` with boundaryHops − 1 for every other port
/// in a forwarding state.
fn forward(
    state: &ManagementState<'_>,
    request: &Message<'_>,
    body: ManagementBody,
    receiving_port: u16,
    reply: &mut Reply,
) {
    let copy = Message {
        body: Body::Management(ManagementBody {
            boundary_hops: body.boundary_hops.saturating_sub(1),
            ..body
        }),
        trailer: &[],
        ..*request
    };
    let mut bytes = alloc::vec![0u8; copy.encoded_len()];
    if copy.encode(&mut bytes).is_err() {
        return;
    }
    for port in state.ports {
        let number = port.port_identity.port_number;
        if number != receiving_port && forwards(port.port_state) {
            reply.forwards.push(Forward {
                port: number,
                bytes: bytes.clone(),
            });
        }
    }
}

/// The value (managementId and data field) of the request's only TLV, if it
/// is a MANAGEMENT TLV (§15.5.2) long enough to hold a managementId.
fn management_value(request: &Message<'_>) -> Option<Vec<u8>> {
    let owned;
    let raw: &[u8] = match request.suffix {
        Suffix::Raw(raw) => raw,
        Suffix::Tlvs(tlvs) => {
            let mut bytes = alloc::vec![0u8; request.suffix.encoded_len()];
            let mut at = 0;
            for tlv in tlvs {
                at += tlv.encode(bytes.get_mut(at..)?).ok()?;
            }
            owned = bytes;
            &owned
        }
    };
    let mut tlvs = RawTlvs::new(raw);
    let first = tlvs.next()?.ok()?;
    if tlvs.next().is_some() || first.tlv_type != tlv_type::MANAGEMENT || first.value.len() < 2 {
        return None;
    }
    Some(first.value.to_vec())
}

/// The port an answer is sent from: its identity and the version numbers for
/// the header (§13.3.2.3, §13.3.2.4).
#[derive(Debug, Clone, Copy)]
struct Source {
    identity: PortIdentity,
    version: u8,
    minor_version: u8,
}

impl Source {
    fn of(state: &ManagementState<'_>, port: Option<&PortDs>, number: u16) -> Self {
        match port {
            Some(p) => Source::port(p),
            None => Source {
                identity: PortIdentity {
                    clock_identity: state.default_ds.clock_identity,
                    port_number: number,
                },
                version: 2,
                minor_version: 1,
            },
        }
    }

    fn port(port: &PortDs) -> Self {
        Source {
            identity: port.port_identity,
            version: port.version_number,
            minor_version: port.minor_version_number,
        }
    }
}

impl answer::Request<'_, '_> {
    /// Encodes a RESPONSE or ACKNOWLEDGE carrying `tlv` from `source`
    /// (§15.4.1); a TLV that cannot be encoded gives a GENERAL_ERROR status
    /// instead.
    fn encode(&self, source: Source, tlv: Tlv<'_>) -> Option<Vec<u8>> {
        let state = self.state;
        let mut header = Header::new(MessageType::Management, source.identity);
        header.major_sdo_id = state.default_ds.major_sdo_id();
        header.minor_sdo_id = state.default_ds.minor_sdo_id();
        header.version = source.version & 0x0f;
        header.minor_version = source.minor_version & 0x0f;
        header.domain_number = state.default_ds.domain_number;
        header.flags = Flags(0).with(Flags::UNICAST, self.header.flags.contains(Flags::UNICAST));
        header.sequence_id = self.header.sequence_id;
        header.log_message_interval = 0x7f;
        let body = Body::Management(ManagementBody {
            target_port_identity: self.header.source_port_identity,
            starting_boundary_hops: self.reply_hops,
            boundary_hops: self.reply_hops,
            action_octet: self.response_action.to_u8(),
            reserved: 0,
        });
        let encode = |tlv: Tlv<'_>| {
            let tlvs = [tlv];
            let message = Message {
                header,
                body,
                suffix: Suffix::Tlvs(&tlvs),
                trailer: &[],
            };
            let mut bytes = alloc::vec![0u8; message.encoded_len()];
            message.encode(&mut bytes).ok().map(|_| bytes)
        };
        encode(tlv).or_else(|| encode(error_tlv(management_error_id::GENERAL_ERROR, self.id)))
    }
}

/// The `clockType` bits of CLOCK_DESCRIPTION (§15.5.3.1.2.1).
fn clock_type(instance: InstanceType) -> u16 {
    match instance {
        InstanceType::OrdinaryClock => 0x8000,
        InstanceType::BoundaryClock => 0x4000,
        InstanceType::P2pTransparentClock => 0x2000,
        InstanceType::E2eTransparentClock => 0x1000,
    }
}

/// A MANAGEMENT TLV (§15.5.2).
fn management_tlv<'x>(id: u16, data: ManagementData<'x>) -> Tlv<'x> {
    Tlv::Management(ManagementTlv {
        management_id: id,
        data,
    })
}
