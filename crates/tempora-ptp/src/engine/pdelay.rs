//! The peer delay mechanism (IEEE 1588-2019 §11.4), run on every port whose
//! delayMechanism is P2P, whatever its state: requester (Pdelay_Req, then
//! Pdelay_Resp and Pdelay_Resp_Follow_Up) and two-step responder.

use tempora_clock::{Duration, Time};

use crate::datasets::{DelayMechanism, PortState};
use crate::profile::AsCapable;
use crate::wire::{Body, Flags, Header, Message, MessageType, PortIdentity, Timestamp};

use super::messages::encode;
use super::port::PdelayInFlight;
use super::{Address, Destination, PendingTx, PortIndex, PtpInstance, Timer};
use crate::time::{
    duration_from_interval, interval_from_duration, time_from_timestamp, timestamp_from_time,
};

impl PtpInstance {
    /// Handles a peer delay message (Pdelay_Req, Pdelay_Resp or
    /// Pdelay_Resp_Follow_Up); returns false for any other message.
    pub(super) fn on_peer_delay_message(
        &mut self,
        now: Time,
        port: PortIndex,
        msg: &Message<'_>,
        rx: Time,
        source: Option<Address>,
    ) -> bool {
        let h = &msg.header;
        match msg.body {
            Body::PdelayReq { .. } => self.on_pdelay_req(now, port, h, rx, source),
            Body::PdelayResp {
                request_receipt_timestamp,
                requesting_port_identity,
            } => self.on_pdelay_resp(
                now,
                port,
                h,
                request_receipt_timestamp,
                requesting_port_identity,
                rx,
            ),
            Body::PdelayRespFollowUp {
                response_origin_timestamp,
                requesting_port_identity,
            } => self.on_pdelay_resp_follow_up(
                now,
                port,
                h,
                response_origin_timestamp,
                requesting_port_identity,
            ),
            _ => return false,
        }
        true
    }

    pub(super) fn on_pdelay_req_timer(&mut self, now: Time, port: PortIndex) {
        let Some(p) = self.ports.get_mut(port) else {
            return;
        };
        if p.ds.delay_mechanism != DelayMechanism::P2p || !p.ds.port_enable {
            return;
        }
        if matches!(
            p.state(),
            PortState::Faulty | PortState::Disabled | PortState::Initializing
        ) {
            // Silent while out of service; keep the rhythm for afterwards.
            let next = Duration::from_log2_secs(p.ds.log_min_pdelay_req_interval);
            self.set_timer(Timer::PdelayReq(port), now + next);
            return;
        }
        let seq = p.pdelay_req_sequence;
        p.pdelay_req_sequence = seq.wrapping_add(1);
        p.pdelay = Some(PdelayInFlight {
            sequence_id: seq,
            t1: None,
            t4: None,
            t2: None,
            t3: None,
            correction: Duration::ZERO,
            responder: None,
            two_step: false,
        });
        let log_interval = p.ds.log_min_pdelay_req_interval;
        let header =
            self.template(port)
                .header(MessageType::PdelayReq, seq, 0x7f, Flags::default());
        let (origin, _) = timestamp_from_time(now);
        let body = Body::PdelayReq {
            origin_timestamp: origin,
            reserved: [0; 10],
        };
        let data = encode(header, body, &[]);
        self.send(
            port,
            MessageType::PdelayReq,
            Destination::PdelayMulticast,
            data,
            Some(PendingTx::PdelayReq {
                port,
                sequence_id: seq,
            }),
        );
        self.set_timer(
            Timer::PdelayReq(port),
            now + Duration::from_log2_secs(log_interval),
        );
    }

    pub(super) fn on_pdelay_req_sent(
        &mut self,
        now: Time,
        port: PortIndex,
        sequence_id: u16,
        t1: Time,
    ) {
        if let Some(x) = self.ports.get_mut(port).and_then(|p| p.pdelay.as_mut()) {
            if x.sequence_id == sequence_id {
                x.t1 = Some(t1);
            }
        }
        self.complete_pdelay(now, port);
    }

    /// Answers a Pdelay_Req received at `t2` (§11.4.2, two-step responder).
    pub(super) fn on_pdelay_req(
        &mut self,
        _now: Time,
        port: PortIndex,
        request: &Header,
        t2: Time,
        source: Option<Address>,
    ) {
        if self.ports[port].ds.delay_mechanism != DelayMechanism::P2p {
            return;
        }
        let unicast = request.flags.contains(Flags::UNICAST);
        let mut header = self.template(port).header(
            MessageType::PdelayResp,
            request.sequence_id,
            0x7f,
            Flags::default()
                .with(Flags::TWO_STEP, true)
                .with(Flags::UNICAST, unicast),
        );
        let (receipt, subns) = timestamp_from_time(t2);
        // The sub-nanoseconds of t2 travel in the correctionField (§11.4.2 c 7).
        header.correction = interval_from_duration(-subns);
        let body = Body::PdelayResp {
            request_receipt_timestamp: receipt,
            requesting_port_identity: request.source_port_identity,
        };
        let data = encode(header, body, &[]);
        let destination = match (unicast, source) {
            (true, Some(a)) => Destination::Unicast(a),
            _ => Destination::PdelayMulticast,
        };
        let pending = PendingTx::PdelayResp {
            port,
            sequence_id: request.sequence_id,
            requester: request.source_port_identity,
            correction: duration_from_interval(request.correction),
            destination,
        };
        self.send(
            port,
            MessageType::PdelayResp,
            destination,
            data,
            Some(pending),
        );
    }

    /// Sends the Pdelay_Resp_Follow_Up of a response that left at `t3`.
    pub(super) fn send_pdelay_resp_follow_up(
        &mut self,
        port: PortIndex,
        sequence_id: u16,
        requester: PortIdentity,
        correction: Duration,
        destination: Destination,
        t3: Time,
    ) {
        let mut header = self.template(port).header(
            MessageType::PdelayRespFollowUp,
            sequence_id,
            0x7f,
            Flags::default(),
        );
        let (origin, subns) = timestamp_from_time(t3);
        // §11.4.2 c 8: the request's correction, plus t3's sub-nanoseconds.
        header.correction = interval_from_duration(correction + subns);
        let body = Body::PdelayRespFollowUp {
            response_origin_timestamp: origin,
            requesting_port_identity: requester,
        };
        let data = encode(header, body, &[]);
        self.send(
            port,
            MessageType::PdelayRespFollowUp,
            destination,
            data,
            None,
        );
    }

    pub(super) fn on_pdelay_resp(
        &mut self,
        now: Time,
        port: PortIndex,
        h: &Header,
        request_receipt: Timestamp,
        requester: PortIdentity,
        t4: Time,
    ) {
        if requester != self.ports[port].identity() {
            return;
        }
        let Some(x) = self.ports[port].pdelay.as_mut() else {
            return;
        };
        if x.sequence_id != h.sequence_id || x.t4.is_some() {
            return;
        }
        x.t4 = Some(t4);
        x.responder = Some(h.source_port_identity);
        x.correction += duration_from_interval(h.correction);
        x.two_step = h.flags.contains(Flags::TWO_STEP);
        if x.two_step {
            x.t2 = Some(time_from_timestamp(request_receipt));
        }
        self.complete_pdelay(now, port);
    }

    pub(super) fn on_pdelay_resp_follow_up(
        &mut self,
        now: Time,
        port: PortIndex,
        h: &Header,
        response_origin: Timestamp,
        requester: PortIdentity,
    ) {
        if requester != self.ports[port].identity() {
            return;
        }
        let Some(x) = self.ports[port].pdelay.as_mut() else {
            return;
        };
        if x.sequence_id != h.sequence_id
            || x.responder != Some(h.source_port_identity)
            || x.t3.is_some()
        {
            return;
        }
        x.t3 = Some(time_from_timestamp(response_origin));
        x.correction += duration_from_interval(h.correction);
        self.complete_pdelay(now, port);
    }

    /// Computes meanLinkDelay once all timestamps of an exchange are in (§11.4.2).
    fn complete_pdelay(&mut self, _now: Time, port: PortIndex) {
        let Some(p) = self.ports.get_mut(port) else {
            return;
        };
        let Some(x) = p.pdelay else { return };
        let (Some(t1), Some(t4)) = (x.t1, x.t4) else {
            return;
        };
        let mean = if x.two_step {
            let (Some(t2), Some(t3)) = (x.t2, x.t3) else {
                return;
            };
            if p.config.neighbor_rate_ratio {
                // 802.1AS-2020 §11.2.19.3.3: the neighbor's rate over ours,
                // from successive exchanges with the same responder.
                if let (Some(responder), Some((r, t3_0, t4_0))) = (x.responder, p.rate_reference) {
                    let (d3, d4) = ((t3 - t3_0).as_nanos_f64(), (t4 - t4_0).as_nanos_f64());
                    let ratio = d3 / d4;
                    // Oscillators differ by well under 0.1 % (802.1AS-2020
                    // Annex B.1.1 allows ±100 ppm); anything else is not a
                    // measurement.
                    if r == responder && d4 > 0.0 && (ratio - 1.0).abs() < 1e-3 {
                        p.neighbor_rate_ratio = ratio;
                    }
                }
                if p.rate_reference
                    .is_none_or(|(r, ..)| Some(r) != x.responder)
                {
                    p.rate_reference = x.responder.map(|r| (r, t3, t4));
                }
            }
            // meanLinkDelay = (r·(t4 − t1) − (t3 − t2) − corrections) / 2,
            // with r the neighbor rate ratio (1 unless measured).
            let round_trip =
                Duration::from_secs_f64((t4 - t1).as_secs_f64() * p.neighbor_rate_ratio);
            let round_trip = if p.config.neighbor_rate_ratio {
                round_trip
            } else {
                t4 - t1
            };
            (round_trip - (t3 - t2) - x.correction) / 2
        } else {
            // One-step responder: the turnaround time is in the correction.
            ((t4 - t1) - x.correction) / 2
        };
        p.pdelay = None;
        if mean.is_negative() {
            return;
        }
        p.ds.mean_link_delay = mean;
        p.delay_measured = true;
        if p.config.as_capable == AsCapable::Computed {
            // 802.1AS-2020 §11.2.2: a neighbor farther than the threshold is
            // not a time-aware system.
            p.as_capable = p
                .config
                .neighbor_prop_delay_thresh
                .is_none_or(|t| mean <= t);
        }
    }
}
