//! A port in MASTER state: Announce (§9.5.8), Sync and Follow_Up (§9.5.9,
//! §9.5.10), and answers to Delay_Req (§9.5.12, §11.3.2).

use tempora_clock::{Duration, Time};

use alloc::vec::Vec;

use crate::datasets::PortState;
use crate::unicast::NegotiableType;
use crate::wire::tlv::{
    FollowUpInformation, IEEE_802_1_OUI, OrganizationExtension, PathTrace, Tlv, tlv_type,
};
use crate::wire::{AnnounceBody, Body, Flags, Header, MessageType};

use super::messages::encode;
use super::{Address, Destination, PendingTx, PortIndex, PtpInstance, Timer};
use crate::time::{duration_from_interval, interval_from_duration, timestamp_from_time};

impl PtpInstance {
    /// The flags every message carries about time properties (§13.3.2.8).
    pub(super) fn time_flags(&self) -> Flags {
        let t = &self.time_properties_ds;
        Flags::default()
            .with(Flags::LEAP61, t.leap61)
            .with(Flags::LEAP59, t.leap59)
            .with(Flags::CURRENT_UTC_OFFSET_VALID, t.current_utc_offset_valid)
            .with(Flags::PTP_TIMESCALE, t.ptp_timescale)
            .with(Flags::TIME_TRACEABLE, t.time_traceable)
            .with(Flags::FREQUENCY_TRACEABLE, t.frequency_traceable)
    }

    pub(super) fn on_announce_timer(&mut self, now: Time, port: PortIndex) {
        if self.ports.get(port).map(|p| p.state()) != Some(PortState::Master) {
            return;
        }
        if !self.ports[port].as_capable {
            // 802.1AS: nothing is sent to a neighbor that is not asCapable;
            // try again next interval.
            let next = Duration::from_log2_secs(self.ports[port].ds.log_announce_interval);
            self.set_timer(Timer::Announce(port), now + next);
            return;
        }
        let p = &mut self.ports[port];
        let seq = p.announce_sequence;
        p.announce_sequence = seq.wrapping_add(1);
        let log_interval = p.ds.log_announce_interval;
        let destinations = self.master_destinations(now, port, NegotiableType::Announce);
        let unicast = self.ports[port].grantor.is_some();
        let flags = self.time_flags().with(Flags::UNICAST, unicast);
        let header = self
            .template(port)
            .header(MessageType::Announce, seq, log_interval, flags);
        let (origin, _) = timestamp_from_time(now);
        let body = AnnounceBody {
            origin_timestamp: origin,
            current_utc_offset: self.time_properties_ds.current_utc_offset,
            reserved: 0,
            grandmaster_priority1: self.parent_ds.grandmaster_priority1,
            grandmaster_clock_quality: self.parent_ds.grandmaster_clock_quality,
            grandmaster_priority2: self.parent_ds.grandmaster_priority2,
            grandmaster_identity: self.parent_ds.grandmaster_identity,
            steps_removed: self.current_ds.steps_removed,
            time_source: self.time_properties_ds.time_source,
        };
        // §16.2.2: the path so far, then this clock.
        let mut path: Vec<u8> = Vec::new();
        if self.path_trace {
            if self.parent_ds.parent_port_identity.clock_identity != self.default_ds.clock_identity
            {
                path.extend(self.parent_path.iter().flat_map(|c| c.0));
            }
            path.extend_from_slice(&self.default_ds.clock_identity.0);
        }
        let tlvs: Vec<Tlv<'_>> = PathTrace::new(&path)
            .ok()
            .filter(|_| self.path_trace)
            .map(Tlv::PathTrace)
            .into_iter()
            .collect();
        let data = encode(header, Body::Announce(body), &tlvs);
        for destination in destinations {
            self.send(port, MessageType::Announce, destination, data.clone(), None);
        }
        self.set_timer(
            Timer::Announce(port),
            now + Duration::from_log2_secs(log_interval),
        );
    }

    pub(super) fn on_sync_timer(&mut self, now: Time, port: PortIndex) {
        if self.ports.get(port).map(|p| p.state()) != Some(PortState::Master) {
            return;
        }
        if !self.ports[port].as_capable {
            // 802.1AS: nothing is sent to a neighbor that is not asCapable;
            // try again next interval.
            let next = Duration::from_log2_secs(self.ports[port].ds.log_sync_interval);
            self.set_timer(Timer::Sync(port), now + next);
            return;
        }
        let p = &mut self.ports[port];
        let seq = p.sync_sequence;
        p.sync_sequence = seq.wrapping_add(1);
        let log_interval = p.ds.log_sync_interval;
        let two_step = self.default_ds.two_step;
        let unicast = self.ports[port].grantor.is_some();
        let flags = self
            .time_flags()
            .with(Flags::TWO_STEP, two_step)
            .with(Flags::UNICAST, unicast);
        let header = self
            .template(port)
            .header(MessageType::Sync, seq, log_interval, flags);
        // Two-step: originTimestamp is an estimate (§9.5.9.3); the precise
        // time follows in the Follow_Up once the platform reports it.
        // One-step: the platform overwrites it with the transmit time.
        let (origin, _) = timestamp_from_time(now);
        let data = encode(
            header,
            Body::Sync {
                origin_timestamp: origin,
            },
            &[],
        );
        for destination in self.master_destinations(now, port, NegotiableType::Sync) {
            if !two_step {
                // One-step (§9.5.9.2): no Follow_Up; the platform stamps it.
                self.send_one_step(port, destination, data.clone());
                continue;
            }
            let pending = PendingTx::Sync {
                port,
                sequence_id: seq,
                destination,
            };
            self.send(
                port,
                MessageType::Sync,
                destination,
                data.clone(),
                Some(pending),
            );
        }
        self.set_timer(
            Timer::Sync(port),
            now + Duration::from_log2_secs(log_interval),
        );
    }

    /// Sends the Follow_Up of a two-step Sync that left at `t1` (§9.5.10).
    pub(super) fn send_follow_up(
        &mut self,
        _now: Time,
        port: PortIndex,
        sequence_id: u16,
        destination: Destination,
        t1: Time,
    ) {
        let log_interval = self.ports[port].ds.log_sync_interval;
        let unicast = matches!(destination, Destination::Unicast(_));
        let mut header = self.template(port).header(
            MessageType::FollowUp,
            sequence_id,
            log_interval,
            self.time_flags().with(Flags::UNICAST, unicast),
        );
        let (precise, subns) = timestamp_from_time(t1);
        header.correction = interval_from_duration(subns);
        // IEEE 802.1AS-2020 §11.4.4.3: a grandmaster's Follow_Up information
        // (rate ratio 1, no phase or frequency change).
        let mut info = [0u8; FollowUpInformation::DATA_LEN];
        let tlvs: Vec<Tlv<'_>> = if self.follow_up_info
            && FollowUpInformation::default().write_data(&mut info).is_ok()
        {
            alloc::vec![Tlv::OrganizationExtension(OrganizationExtension {
                tlv_type: tlv_type::ORGANIZATION_EXTENSION,
                organization_id: IEEE_802_1_OUI,
                organization_sub_type: FollowUpInformation::SUB_TYPE,
                data: &info,
            })]
        } else {
            Vec::new()
        };
        let data = encode(
            header,
            Body::FollowUp {
                precise_origin_timestamp: precise,
            },
            &tlvs,
        );
        self.send(port, MessageType::FollowUp, destination, data, None);
    }

    /// Answers a Delay_Req received at `t4` with a Delay_Resp (§9.5.12, §11.3.2).
    pub(super) fn on_delay_req(
        &mut self,
        _now: Time,
        port: PortIndex,
        request: &Header,
        t4: Time,
        source: Option<Address>,
    ) {
        if self.ports[port].state() != PortState::Master {
            return;
        }
        let log_interval = self.ports[port].ds.log_min_delay_req_interval;
        let unicast = Self::wants_unicast(request);
        let mut header = self.template(port).header(
            MessageType::DelayResp,
            request.sequence_id,
            log_interval,
            Flags::default().with(Flags::UNICAST, unicast),
        );
        let (receive, subns) = timestamp_from_time(t4);
        // §11.3.2 c): the Delay_Resp's correction is the Delay_Req's, less
        // the sub-nanoseconds of t4 that the timestamp cannot carry.
        header.correction =
            interval_from_duration(duration_from_interval(request.correction) - subns);
        let body = Body::DelayResp {
            receive_timestamp: receive,
            requesting_port_identity: request.source_port_identity,
        };
        let data = encode(header, body, &[]);
        let destination = match (unicast, source) {
            (true, Some(addr)) => Destination::Unicast(addr),
            _ => Destination::Multicast,
        };
        self.send(port, MessageType::DelayResp, destination, data, None);
    }

    /// Starts the master duties of a port that just entered MASTER.
    pub(super) fn start_master(&mut self, now: Time, port: PortIndex) {
        if self.ports[port].config.send_announce {
            self.set_timer(Timer::Announce(port), now);
        }
        self.set_timer(Timer::Sync(port), now);
    }

    /// Stops them when it leaves.
    pub(super) fn stop_master(&mut self, port: PortIndex) {
        self.cancel_timer(Timer::Announce(port));
        self.cancel_timer(Timer::Sync(port));
    }
}
