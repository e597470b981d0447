//! Transparent clocks (IEEE 1588-2019 §10.2): forward every PTP message to
//! the other ports, adding the residence time of event messages to the
//! correctionField, two-step: in the Follow_Up of a Sync and in the
//! Delay_Resp of a Delay_Req (§10.2.2.3). A peer-to-peer transparent clock
//! also adds the ingress link delay to Sync corrections and answers peer
//! delay on each port itself (§10.2.3, §11.4).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use tempora_clock::{Duration, Time};

use crate::datasets::{DelayMechanism, InstanceType};
use crate::wire::{Body, Message, MessageType, PortIdentity, Suffix};

use super::{Address, Destination, PendingTx, PortIndex, PtpInstance};
use crate::time::{duration_from_interval, interval_from_duration};

/// Identifies the forwarding of one event message on one egress port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ResidenceKey {
    message_type: u8,
    source: PortIdentity,
    sequence_id: u16,
    ingress: PortIndex,
    egress: PortIndex,
}

/// A general message held until the residence time it must carry is known.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    data: Vec<u8>,
    destination: Destination,
    message_type: MessageType,
}

/// The forwarding state of a transparent clock: residence times measured, and
/// messages waiting for one. Both tables are bounded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Transparent {
    residence: BTreeMap<ResidenceKey, Duration>,
    held: BTreeMap<ResidenceKey, Held>,
}

const TABLE_LIMIT: usize = 512;

fn bounded_insert<V>(map: &mut BTreeMap<ResidenceKey, V>, key: ResidenceKey, value: V) {
    if map.len() >= TABLE_LIMIT {
        if let Some(first) = map.keys().next().copied() {
            map.remove(&first);
        }
    }
    map.insert(key, value);
}

impl PtpInstance {
    fn is_p2p_tc(&self) -> bool {
        self.default_ds.instance_type == InstanceType::P2pTransparentClock
    }

    /// Forwards a message received on `ingress` at `rx` (§10.2).
    pub(super) fn transparent_forward(
        &mut self,
        now: Time,
        ingress: PortIndex,
        msg: &Message<'_>,
        data: &[u8],
        rx: Time,
        source: Option<Address>,
    ) {
        let h = msg.header;
        let p2p = self.is_p2p_tc();
        if p2p {
            // A P2P TC answers and measures peer delay itself, and drops the
            // end-to-end delay messages (§10.2.3).
            if self.on_peer_delay_message(now, ingress, msg, rx, source) {
                return;
            }
            if matches!(msg.body, Body::DelayReq { .. } | Body::DelayResp { .. }) {
                return;
            }
        }
        if h.source_port_identity.clock_identity == self.default_ds.clock_identity {
            return;
        }
        let destination = if matches!(
            h.message_type,
            MessageType::PdelayReq | MessageType::PdelayResp | MessageType::PdelayRespFollowUp
        ) {
            Destination::PdelayMulticast
        } else {
            Destination::Multicast
        };
        for egress in 0..self.ports.len() {
            if egress == ingress || !self.ports[egress].ds.port_enable {
                continue;
            }
            if h.message_type.is_event() {
                let key = ResidenceKey {
                    message_type: h.message_type.to_nibble(),
                    source: h.source_port_identity,
                    sequence_id: h.sequence_id,
                    ingress,
                    egress,
                };
                self.send(
                    egress,
                    h.message_type,
                    destination,
                    data.to_vec(),
                    Some(PendingTx::Forwarded { key, ingress: rx }),
                );
                continue;
            }
            // General messages that carry a residence time: the Follow_Up of
            // a two-step Sync, the Delay_Resp of a Delay_Req (§10.2.2.3).
            let key = match msg.body {
                Body::FollowUp { .. } => Some(ResidenceKey {
                    message_type: MessageType::Sync.to_nibble(),
                    source: h.source_port_identity,
                    sequence_id: h.sequence_id,
                    ingress,
                    egress,
                }),
                // The Delay_Req went the other way: in at `egress`, out at `ingress`.
                Body::DelayResp {
                    requesting_port_identity,
                    ..
                } => Some(ResidenceKey {
                    message_type: MessageType::DelayReq.to_nibble(),
                    source: requesting_port_identity,
                    sequence_id: h.sequence_id,
                    ingress: egress,
                    egress: ingress,
                }),
                // An E2E TC forwards peer delay messages too: the turnaround
                // includes the Pdelay_Resp's residence.
                Body::PdelayRespFollowUp { .. } => Some(ResidenceKey {
                    message_type: MessageType::PdelayResp.to_nibble(),
                    source: h.source_port_identity,
                    sequence_id: h.sequence_id,
                    ingress,
                    egress,
                }),
                _ => None,
            };
            let Some(key) = key else {
                self.send(egress, h.message_type, destination, data.to_vec(), None);
                continue;
            };
            match self.transparent.residence.remove(&key) {
                Some(residence) => {
                    let out = with_added_correction(msg, residence);
                    self.send(egress, h.message_type, destination, out, None);
                }
                None => bounded_insert(
                    &mut self.transparent.held,
                    key,
                    Held {
                        data: data.to_vec(),
                        destination,
                        message_type: h.message_type,
                    },
                ),
            }
        }
    }

    /// The transmit timestamp of a forwarded event message: its residence
    /// time is known (§10.2.2.2).
    pub(super) fn on_forwarded(&mut self, _now: Time, key: ResidenceKey, ingress: Time, tx: Time) {
        let mut residence = tx - ingress;
        if let Some(c) = self.counters.get_mut(key.egress) {
            c.residence_count += 1;
            c.residence_total += residence;
            c.residence_max = c.residence_max.max(residence);
        }
        // A P2P TC adds the link delay of the port the Sync came in on (§10.2.3).
        if self.is_p2p_tc() && key.message_type == MessageType::Sync.to_nibble() {
            if let Some(p) = self.ports.get(key.ingress) {
                if p.ds.delay_mechanism == DelayMechanism::P2p {
                    residence += p.ds.mean_link_delay;
                }
            }
        }
        match self.transparent.held.remove(&key) {
            Some(held) => {
                let out = match Message::decode(&held.data) {
                    Ok(msg) => with_added_correction(&msg, residence),
                    Err(_) => return,
                };
                self.send(key.egress, held.message_type, held.destination, out, None);
            }
            None => bounded_insert(&mut self.transparent.residence, key, residence),
        }
    }
}

/// The message re-encoded with `extra` added to its correctionField; every
/// other byte stays as received.
fn with_added_correction(msg: &Message<'_>, extra: Duration) -> Vec<u8> {
    let mut header = msg.header;
    header.correction = interval_from_duration(duration_from_interval(header.correction) + extra);
    let out = Message {
        header,
        body: msg.body,
        suffix: msg.suffix,
        trailer: msg.trailer,
    };
    let suffix_ok = matches!(out.suffix, Suffix::Raw(_));
    let mut buf = alloc::vec![0u8; out.encoded_len()];
    match out.encode(&mut buf) {
        Ok(n) if suffix_ok => {
            buf.truncate(n);
            buf
        }
        _ => Vec::new(),
    }
}
