//! A port in SLAVE or UNCALIBRATED state: Sync and Follow_Up reception
//! (§9.5.4, §9.5.5), the delay request-response mechanism (§11.3) and the
//! offset from the master (§11.2).

use tempora_clock::{Duration, Time};

use crate::datasets::{DelayMechanism, PortState};
use crate::profile::StaticRole;
use crate::wire::{Body, Flags, Header, MessageType, PortIdentity, Timestamp};

use super::messages::encode;
use super::port::{DelayReqInFlight, SyncReceipt};
use super::{Action, Destination, Measurement, PendingTx, PortIndex, PtpInstance, Timer};
use crate::time::{duration_from_interval, time_from_timestamp, timestamp_from_time};

impl PtpInstance {
    fn is_from_parent(&mut self, port: PortIndex, h: &Header) -> bool {
        if !matches!(
            self.ports[port].state(),
            PortState::Slave | PortState::Uncalibrated
        ) {
            return false;
        }
        if self.ports[port].config.static_role == Some(StaticRole::Slave)
            && self.parent_ds.parent_port_identity.clock_identity == self.default_ds.clock_identity
        {
            // A static slave has no Announce to choose by: it follows the
            // first master whose Sync it hears.
            self.parent_ds.parent_port_identity = h.source_port_identity;
            self.parent_ds.grandmaster_identity = h.source_port_identity.clock_identity;
            self.current_ds.steps_removed = 1;
        }
        h.source_port_identity == self.parent_ds.parent_port_identity
    }

    pub(super) fn on_sync(
        &mut self,
        now: Time,
        port: PortIndex,
        h: &Header,
        origin: Timestamp,
        t2: Time,
    ) {
        if !self.is_from_parent(port, h) {
            return;
        }
        // §7.4.2: the master-to-slave path is delayAsymmetry longer than the mean.
        let correction = duration_from_interval(h.correction) + self.ports[port].ds.delay_asymmetry;
        let two_step = h.flags.contains(Flags::TWO_STEP);
        let mut receipt = SyncReceipt {
            sequence_id: h.sequence_id,
            source: h.source_port_identity,
            t2,
            correction,
            t1: (!two_step).then(|| time_from_timestamp(origin)),
        };
        if let Some((source, seq, t1, fu_correction)) = self.ports[port].early_follow_up.take() {
            if two_step && source == receipt.source && seq == receipt.sequence_id {
                receipt.t1 = Some(t1);
                receipt.correction += fu_correction;
            }
        }
        let complete = receipt.t1.is_some();
        self.ports[port].sync = Some(receipt);
        if complete {
            self.complete_sync(now, port);
        }
    }

    pub(super) fn on_follow_up(
        &mut self,
        now: Time,
        port: PortIndex,
        h: &Header,
        precise_origin: Timestamp,
    ) {
        if !self.is_from_parent(port, h) {
            return;
        }
        let t1 = time_from_timestamp(precise_origin);
        let correction = duration_from_interval(h.correction);
        let p = &mut self.ports[port];
        match p.sync.as_mut() {
            Some(sync)
                if sync.sequence_id == h.sequence_id
                    && sync.source == h.source_port_identity
                    && sync.t1.is_none() =>
            {
                sync.t1 = Some(t1);
                sync.correction += correction;
                self.complete_sync(now, port);
            }
            // The Follow_Up overtook its Sync (they may take different
            // queues): keep it for the Sync, as ptp4l does.
            _ => p.early_follow_up = Some((h.source_port_identity, h.sequence_id, t1, correction)),
        }
    }

    /// A Sync with its t1 is complete: compute the offset (§11.2) if the
    /// delay is known.
    fn complete_sync(&mut self, now: Time, port: PortIndex) {
        let Some(SyncReceipt {
            t1: Some(t1),
            t2,
            correction,
            ..
        }) = self.ports[port].sync
        else {
            return;
        };
        self.ports[port].last_sync = Some((t1, t2, correction));
        let p = &self.ports[port];
        let delay = match p.ds.delay_mechanism {
            DelayMechanism::P2p => p.ds.mean_link_delay,
            // With the delay request-response mechanism the measurement is
            // made when the exchange completes (see `on_delay_resp`).
            DelayMechanism::E2e => return,
            _ => self.current_ds.mean_delay,
        };
        if !p.delay_measured && p.ds.delay_mechanism != DelayMechanism::NoMechanism {
            return;
        }
        // §11.2: offsetFromMaster = t2 − t1 − meanDelay − corrections.
        let offset = (t2 - t1) - delay - correction;
        self.measured(now, port, t2, offset, delay, false);
    }

    /// Reports a measurement to the servo and, on the first one, completes
    /// the move to SLAVE.
    fn measured(
        &mut self,
        now: Time,
        port: PortIndex,
        ingress: Time,
        offset: Duration,
        delay: Duration,
        own_delay: bool,
    ) {
        self.current_ds.offset_from_master = offset;
        self.actions.push_back(Action::Measurement(Measurement {
            port,
            ingress,
            offset,
            delay,
            own_delay,
        }));
        if self.ports[port].state() == PortState::Uncalibrated {
            // MASTER_CLOCK_SELECTED (§9.2.6.13): the first complete
            // measurement shows the port can follow the master.
            self.set_state(now, port, PortState::Slave);
        }
    }

    pub(super) fn on_delay_req_timer(&mut self, now: Time, port: PortIndex) {
        let Some(p) = self.ports.get_mut(port) else {
            return;
        };
        if !matches!(p.state(), PortState::Slave | PortState::Uncalibrated)
            || p.ds.delay_mechanism != DelayMechanism::E2e
        {
            return;
        }
        let seq = p.delay_req_sequence;
        p.delay_req_sequence = seq.wrapping_add(1);
        p.delay_req = Some(DelayReqInFlight {
            sequence_id: seq,
            t3: None,
        });
        let log_interval = p.ds.log_min_delay_req_interval;
        let destination = self.delay_req_destination(port);
        let unicast = matches!(destination, Destination::Unicast(_));
        let mut header = self.template(port).header(
            MessageType::DelayReq,
            seq,
            0x7f,
            Flags::default().with(Flags::UNICAST, unicast),
        );
        // §7.4.2: the slave-to-master path is delayAsymmetry shorter than the mean.
        header.correction =
            crate::time::interval_from_duration(-self.ports[port].ds.delay_asymmetry);
        let (origin, _) = timestamp_from_time(now);
        let data = encode(
            header,
            Body::DelayReq {
                origin_timestamp: origin,
            },
            &[],
        );
        self.send(
            port,
            MessageType::DelayReq,
            destination,
            data,
            Some(PendingTx::DelayReq {
                port,
                sequence_id: seq,
            }),
        );
        // §9.5.11.2: the next one after a random time in
        // [0, 2^(logMinDelayReqInterval+1)] seconds.
        let next = self.random_part(log_interval.saturating_add(1));
        self.set_timer(Timer::DelayReq(port), now + next);
    }

    pub(super) fn on_delay_req_sent(&mut self, port: PortIndex, sequence_id: u16, t3: Time) {
        if let Some(req) = self.ports.get_mut(port).and_then(|p| p.delay_req.as_mut()) {
            if req.sequence_id == sequence_id {
                req.t3 = Some(t3);
            }
        }
    }

    /// A Delay_Resp completes the delay request-response exchange (§11.3.2).
    pub(super) fn on_delay_resp(
        &mut self,
        now: Time,
        port: PortIndex,
        h: &Header,
        receive: Timestamp,
        requester: PortIdentity,
    ) {
        if !self.is_from_parent(port, h) || requester != self.ports[port].identity() {
            return;
        }
        let p = &mut self.ports[port];
        let Some(DelayReqInFlight {
            sequence_id,
            t3: Some(t3),
        }) = p.delay_req
        else {
            return;
        };
        if sequence_id != h.sequence_id {
            return;
        }
        let Some((t1, t2, sync_correction)) = p.last_sync else {
            return;
        };
        p.delay_req = None;
        let t4 = time_from_timestamp(receive);
        let resp_correction = duration_from_interval(h.correction);
        // §11.3.2: meanPathDelay = ((t2 − t3) + (t4 − t1) − corrections) / 2.
        let mean = ((t2 - t3) + (t4 - t1) - sync_correction - resp_correction) / 2;
        // §9.5.11.2: the master's Delay_Resp sets the request interval; an
        // out-of-range value (e.g. 0x7F, "unspecified") is not adopted.
        if (-7..=16).contains(&h.log_message_interval) {
            p.ds.log_min_delay_req_interval = h.log_message_interval;
        }
        // A negative delay comes from a clock whose frequency is still far
        // off (its offset moved between the Sync and the Delay_Req by more
        // than twice the path delay, easily so on a short link): it is no
        // path delay to report, but the pair still measures the offset, and
        // the servo needs exactly that to correct the frequency.
        if !mean.is_negative() {
            p.delay_measured = true;
            // currentDS.meanDelay is filtered like ptp4l's (moving median
            // of 10), for reporting and management.
            self.current_ds.mean_delay = p.delay_filter.push(mean);
        }
        // §11.2 with §11.3.2: the offset from the Sync this exchange used
        // and the exchange's own path delay. Pairing them makes each
        // measurement unbiased when the path is symmetric (a filtered delay
        // is not: a median of skewed queueing delays sits below their mean),
        // and hands the servo the exchange's round trip as a quality hint.
        let offset = (t2 - t1) - mean - sync_correction;
        self.measured(now, port, t2, offset, mean.max(Duration::ZERO), true);
    }

    /// Starts the slave duties of a port that just entered UNCALIBRATED.
    pub(super) fn start_slave(&mut self, now: Time, port: PortIndex) {
        if self.ports[port].ds.delay_mechanism == DelayMechanism::E2e {
            let first = self.random_part(self.ports[port].ds.log_min_delay_req_interval);
            self.set_timer(Timer::DelayReq(port), now + first);
        }
    }

    /// Stops them when it leaves SLAVE/UNCALIBRATED.
    pub(super) fn stop_slave(&mut self, port: PortIndex) {
        self.cancel_timer(Timer::DelayReq(port));
        self.ports[port].reset_slave();
        if self.ports[port].ds.delay_mechanism == DelayMechanism::E2e {
            self.ports[port].delay_measured = false;
        }
    }
}
