//! The stateless CSPTP server (IEEE P1588.1 draft; compare ntpd-rs's
//! `statime-csptp/src/server.rs` and `messages.rs`): everything a reply
//! needs comes from the request and the data set, and everything the
//! Follow_Up needs from the reply, so memory does not grow with clients.

use tempora_clock::Time;

use crate::datasets::TimePropertiesDs;
use crate::time::timestamp_from_time;
use crate::wire::tlv::{CsptpResponseTlv, CsptpStatusTlv};
use crate::wire::{ClockIdentity, ClockQuality, Flags, MessageType, PortIdentity, Timestamp};

use super::drop_reason::DropReason;
use super::message::{self, CsptpMessage, FollowUp, Response, csptp_header};

/// One-step or two-step replies (IEEE 1588-2019 §9.5.9, §11.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepMode {
    /// The Sync reply carries a zero `originTimestamp` and the two-step
    /// flag; a Follow_Up carries its transmit time.
    #[default]
    TwoStep,
    /// The Sync reply carries its own transmit time, written by the NIC or
    /// by [`CsptpServer::stamp_one_step`] just before sending; no Follow_Up.
    OneStep,
}

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsptpServerConfig {
    /// One-step or two-step.
    pub step_mode: StepMode,
    /// Answer only requests in this `domainNumber` (`None`: any, echoed).
    pub domain: Option<u8>,
}

/// What the server announces: its parent data set, as the status TLV and
/// the reply's flags carry it (IEEE 1588-2019 §8.2.3, §8.2.4; the daemon
/// fills it from the real parent, PTP port or NTP source, it follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerDataSet {
    /// The server's `sourcePortIdentity` in replies (ntpd-rs's: zero).
    pub port_identity: PortIdentity,
    /// `grandmasterPriority1`.
    pub grandmaster_priority1: u8,
    /// `grandmasterClockQuality`.
    pub grandmaster_clock_quality: ClockQuality,
    /// `grandmasterPriority2`.
    pub grandmaster_priority2: u8,
    /// `stepsRemoved` of the server from the grandmaster.
    pub steps_removed: u16,
    /// `grandmasterIdentity`.
    pub grandmaster_identity: ClockIdentity,
    /// The time properties: the reply's flags and the status TLV's
    /// `currentUtcOffset`. With `ptp_timescale` set, the receive and
    /// transmit times handed to the server must be TAI.
    pub time_properties: TimePropertiesDs,
}

impl Default for ServerDataSet {
    /// A free-running server (IEEE 1588-2019 §8.2.3, §9.4): priorities
    /// 128, class 248, accuracy unknown, ARB timescale.
    fn default() -> Self {
        ServerDataSet {
            port_identity: PortIdentity::default(),
            grandmaster_priority1: 128,
            grandmaster_clock_quality: ClockQuality {
                clock_class: 248,
                clock_accuracy: 0xfe,
                offset_scaled_log_variance: 0xffff,
            },
            grandmaster_priority2: 128,
            steps_removed: 0,
            grandmaster_identity: ClockIdentity::default(),
            time_properties: TimePropertiesDs::default(),
        }
    }
}

impl ServerDataSet {
    /// The status TLV announcing it.
    pub fn status_tlv(&self) -> CsptpStatusTlv {
        CsptpStatusTlv {
            grandmaster_priority1: self.grandmaster_priority1,
            grandmaster_clock_quality: self.grandmaster_clock_quality,
            grandmaster_priority2: self.grandmaster_priority2,
            steps_removed: self.steps_removed,
            current_utc_offset: self.time_properties.current_utc_offset,
            grandmaster_identity: self.grandmaster_identity,
        }
    }

    /// The time-properties flags of a reply (IEEE 1588-2019 §13.3.2.8).
    pub fn flags(&self) -> Flags {
        let tp = &self.time_properties;
        Flags(0)
            .with(Flags::LEAP61, tp.leap61)
            .with(Flags::LEAP59, tp.leap59)
            .with(Flags::CURRENT_UTC_OFFSET_VALID, tp.current_utc_offset_valid)
            .with(Flags::PTP_TIMESCALE, tp.ptp_timescale)
            .with(Flags::TIME_TRACEABLE, tp.time_traceable)
            .with(Flags::FREQUENCY_TRACEABLE, tp.frequency_traceable)
    }
}

/// What [`CsptpServer::handle`] made of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerOutcome {
    /// Send the first `len` bytes of the output from the event port; if
    /// `follow_up`, then build the Follow_Up with the reply's transmit time.
    Reply {
        /// Bytes of the reply.
        len: usize,
        /// Whether a Follow_Up is due (two-step).
        follow_up: bool,
    },
    /// Dropped: no reply.
    Drop(DropReason),
}

/// The stateless CSPTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsptpServer {
    config: CsptpServerConfig,
}

impl CsptpServer {
    /// A server answering as `config` says.
    pub fn new(config: CsptpServerConfig) -> Self {
        CsptpServer { config }
    }

    /// The configuration.
    pub fn config(&self) -> &CsptpServerConfig {
        &self.config
    }

    /// Answers `request`, received at `rx_time` (on the timescale `dataset`
    /// announces), writing the Sync reply into `out` (at least
    /// [`message::RESPONSE_WITH_STATUS_LEN`] bytes).
    pub fn handle(
        &self,
        rx_time: Time,
        request: &[u8],
        dataset: &ServerDataSet,
        out: &mut [u8],
    ) -> ServerOutcome {
        match self.reply(rx_time, request, dataset, out) {
            Ok(len) => ServerOutcome::Reply {
                len,
                follow_up: self.config.step_mode == StepMode::TwoStep,
            },
            Err(reason) => ServerOutcome::Drop(reason),
        }
    }

    fn reply(
        &self,
        rx_time: Time,
        request: &[u8],
        dataset: &ServerDataSet,
        out: &mut [u8],
    ) -> Result<usize, DropReason> {
        let CsptpMessage::Request(req) = CsptpMessage::parse(request)? else {
            return Err(DropReason::UnexpectedMessage);
        };
        let domain = req.header.domain_number;
        if self.config.domain.is_some_and(|d| d != domain) {
            return Err(DropReason::WrongDomain);
        }
        let mut header = csptp_header(
            MessageType::Sync,
            domain,
            req.header.sequence_id,
            dataset.port_identity,
        );
        let two_step = self.config.step_mode == StepMode::TwoStep;
        header.flags = Flags(header.flags.0 | dataset.flags().0).with(Flags::TWO_STEP, two_step);
        let response = Response {
            header,
            origin_timestamp: Timestamp::default(),
            response: CsptpResponseTlv {
                request_ingress_timestamp: timestamp_from_time(rx_time).0,
                request_correction: req.header.correction,
            },
            status: req.tlv.status_requested().then(|| dataset.status_tlv()),
        };
        message::encode_response(&response, out).map_err(|_| DropReason::BufferTooSmall)
    }

    /// Builds into `out` the Follow_Up to `sent_reply` (the bytes of a
    /// two-step reply [`CsptpServer::handle`] wrote), sent at `tx_time`;
    /// returns its length. The sub-nanosecond part of `tx_time` goes into
    /// the Follow_Up's `correctionField` (IEEE 1588-2019 §11.3.2).
    pub fn follow_up(
        &self,
        sent_reply: &[u8],
        tx_time: Time,
        out: &mut [u8],
    ) -> Result<usize, DropReason> {
        let CsptpMessage::Response(reply) = CsptpMessage::parse(sent_reply)? else {
            return Err(DropReason::UnexpectedMessage);
        };
        if !reply.header.flags.contains(Flags::TWO_STEP) {
            return Err(DropReason::UnexpectedMessage);
        }
        let (precise_origin_timestamp, remainder) = timestamp_from_time(tx_time);
        let mut header = csptp_header(
            MessageType::FollowUp,
            reply.header.domain_number,
            reply.header.sequence_id,
            reply.header.source_port_identity,
        );
        header.flags = header.flags.with(Flags::TWO_STEP, true);
        header.correction = crate::time::interval_from_duration(remainder);
        let f = FollowUp {
            header,
            precise_origin_timestamp,
        };
        message::encode_follow_up(&f, out).map_err(|_| DropReason::BufferTooSmall)
    }

    /// Writes `tx_time` as the `originTimestamp` of a one-step `reply` in
    /// place (software one-step: call just before sending).
    pub fn stamp_one_step(reply: &mut [u8], tx_time: Time) -> Result<(), DropReason> {
        const ORIGIN: usize = 34;
        match CsptpMessage::parse(reply)? {
            CsptpMessage::Response(r) if !r.header.flags.contains(Flags::TWO_STEP) => {}
            _ => return Err(DropReason::UnexpectedMessage),
        }
        let (ts, _) = timestamp_from_time(tx_time);
        let field = reply
            .get_mut(ORIGIN..ORIGIN + Timestamp::LEN)
            .ok_or(DropReason::BufferTooSmall)?;
        let secs = ts.seconds.to_be_bytes();
        let (hi, lo) = field.split_at_mut(6);
        hi.copy_from_slice(secs.get(2..).unwrap_or(&[0; 6]));
        lo.copy_from_slice(&ts.nanoseconds.to_be_bytes());
        Ok(())
    }
}
