//! Unicast negotiation in the engine (IEEE 1588-2019 §16.1): Signaling
//! messages in and out, grants turned into unicast Announce, Sync and
//! Delay_Resp on the master side, and requests to the selected master on the
//! slave side. The negotiation state machines are in [`crate::unicast`].

use alloc::vec::Vec;

use tempora_clock::Time;

use crate::datasets::PortState;
use crate::unicast::{
    Grantee, GranteeConfig, Grantor, GrantorConfig, IntervalLimits, NegotiationTlv, SendSignaling,
    UnicastMasterTable,
};
use crate::wire::tlv::Tlv;
use crate::wire::{Body, Flags, Header, Message, MessageType};

use super::messages::encode;
use super::{Address, Destination, PortIndex, PtpInstance, Timer};

impl PtpInstance {
    /// Sets up the negotiation state of the ports that use unicast.
    pub(super) fn start_unicast(&mut self, now: Time, port: PortIndex) {
        let p = &mut self.ports[port];
        if p.config.unicast_listen {
            // Serve exactly the port's own intervals: slaves asking for
            // others get those (IntervalPolicy::Clamp).
            let ds = p.ds;
            p.grantor = Some(Grantor::new(GrantorConfig {
                announce: IntervalLimits::new(ds.log_announce_interval, ds.log_announce_interval),
                sync: IntervalLimits::new(ds.log_sync_interval, ds.log_sync_interval),
                ..GrantorConfig::default()
            }));
        }
        if !p.config.unicast_masters.is_empty() {
            let table = UnicastMasterTable {
                log_query_interval: 0,
                masters: p.config.unicast_masters.clone(),
            };
            let config = GranteeConfig {
                log_announce_interval: p.ds.log_announce_interval,
                log_sync_interval: p.ds.log_sync_interval,
                log_delay_interval: p.ds.log_min_delay_req_interval,
                delay_mechanism: p.ds.delay_mechanism,
                ..GranteeConfig::default()
            };
            p.grantee = Some(Grantee::new(config, &table, now));
        }
        self.poll_unicast(now, port);
    }

    /// Sends what the negotiation wants sent and re-arms its timer.
    pub(super) fn poll_unicast(&mut self, now: Time, port: PortIndex) {
        let Some(p) = self.ports.get_mut(port) else {
            return;
        };
        let mut out: Vec<SendSignaling<Address>> = Vec::new();
        if let Some(g) = p.grantor.as_mut() {
            out.extend(g.poll(now));
        }
        if let Some(g) = p.grantee.as_mut() {
            out.extend(g.poll(now));
        }
        let next = [
            p.grantor.as_ref().and_then(|g| g.next_timeout()),
            p.grantee.as_ref().and_then(|g| g.next_timeout()),
        ]
        .into_iter()
        .flatten()
        .min();
        for s in out {
            self.send_signaling(port, s);
        }
        match next {
            Some(at) => self.set_timer(Timer::Unicast(port), at.max(now)),
            None => self.cancel_timer(Timer::Unicast(port)),
        }
    }

    fn send_signaling(&mut self, port: PortIndex, s: SendSignaling<Address>) {
        let p = &mut self.ports[port];
        let seq = p.signaling_sequence;
        p.signaling_sequence = seq.wrapping_add(1);
        let header = self.template(port).header(
            MessageType::Signaling,
            seq,
            0x7f,
            Flags::default().with(Flags::UNICAST, true),
        );
        let tlvs: Vec<Tlv<'static>> = s.tlvs.iter().copied().map(NegotiationTlv::to_tlv).collect();
        let data = encode(
            header,
            Body::Signaling {
                target_port_identity: s.target,
            },
            &tlvs,
        );
        self.send(
            port,
            MessageType::Signaling,
            Destination::Unicast(s.to),
            data,
            None,
        );
    }

    /// A Signaling message: hand its negotiation TLVs to both sides (§16.1.4).
    pub(super) fn on_signaling(
        &mut self,
        now: Time,
        port: PortIndex,
        msg: &Message<'_>,
        source: Option<Address>,
    ) {
        let Some(from) = source else { return };
        let h = msg.header;
        let tlvs: Vec<NegotiationTlv> = msg
            .tlvs()
            .filter_map(|t| t.ok())
            .filter_map(|t| NegotiationTlv::from_tlv(&t))
            .collect();
        if tlvs.is_empty() {
            return;
        }
        let p = &mut self.ports[port];
        let mut replies = Vec::new();
        if let Some(g) = p.grantor.as_mut() {
            replies.extend(g.handle_tlvs(now, from, h.source_port_identity, tlvs.iter().copied()));
        }
        if let Some(g) = p.grantee.as_mut() {
            replies.extend(g.handle_tlvs(now, from, h.source_port_identity, tlvs.iter().copied()));
        }
        for r in replies {
            self.send_signaling(port, r);
        }
        self.poll_unicast(now, port);
    }

    /// Tells the slave side which master (if any) the BMCA chose on `port`.
    pub(super) fn unicast_select(&mut self, now: Time, port: PortIndex) {
        let Some(p) = self.ports.get_mut(port) else {
            return;
        };
        if p.grantee.is_none() {
            return;
        }
        let selected = matches!(p.state(), PortState::Slave | PortState::Uncalibrated)
            .then(|| {
                p.addresses
                    .get(&self.parent_ds.parent_port_identity)
                    .copied()
            })
            .flatten();
        if let Some(g) = p.grantee.as_mut() {
            if g.selected() != selected {
                g.set_selected(now, selected);
            }
        }
        self.poll_unicast(now, port);
    }

    /// Where a master port sends `t`: its multicast address, or one unicast
    /// destination per granted slave (§16.1.2).
    pub(super) fn master_destinations(
        &self,
        now: Time,
        port: PortIndex,
        t: crate::unicast::NegotiableType,
    ) -> Vec<Destination> {
        match self.ports[port].grantor.as_ref() {
            None => alloc::vec![Destination::Multicast],
            Some(g) => g
                .recipients(now, t)
                .map(|r| Destination::Unicast(r.address))
                .collect(),
        }
    }

    /// The destination of this slave port's Delay_Req: its master by
    /// unicast when negotiated, otherwise multicast.
    pub(super) fn delay_req_destination(&self, port: PortIndex) -> Destination {
        let p = &self.ports[port];
        match p.grantee.as_ref().and_then(|g| g.selected()) {
            Some(addr) => Destination::Unicast(addr),
            None => Destination::Multicast,
        }
    }

    /// Whether the header asks for a unicast reply.
    pub(super) fn wants_unicast(h: &Header) -> bool {
        h.flags.contains(Flags::UNICAST)
    }
}
