//! The CSPTP client of one server (IEEE P1588.1 draft; compare ntpd-rs's
//! `statime-csptp/src/source.rs`): builds requests on a poll schedule,
//! matches the server's Sync response and Follow_Up to the outstanding
//! request in either order, and hands out complete samples. See the
//! [module docs](super) for the call order.

use tempora_clock::{Duration, Time};

use crate::time::{duration_from_interval, time_from_timestamp};
use crate::wire::tlv::CsptpRequestTlv;
use crate::wire::{Error, Flags, PortIdentity};

use super::drop_reason::{DropCounters, DropReason};
use super::message::{self, CsptpMessage, FollowUp, Response};
use super::sample::CsptpSample;

/// The `domainNumber` ntpd-rs's CSPTP client uses unless configured
/// (`ntpd/src/daemon/config/ntp_source.rs`).
pub const DEFAULT_DOMAIN: u8 = 128;

/// How a client polls its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsptpClientConfig {
    /// `domainNumber` of requests; responses in another domain are dropped.
    /// ntpd-rs uses 128 by default and accepts 128–239.
    pub domain: u8,
    /// Time between requests.
    pub poll_interval: Duration,
    /// How long a request waits for its response and Follow_Up (at most
    /// the poll interval: a new request abandons the old one).
    pub response_timeout: Duration,
    /// Ask for the status TLV (request TLV flags bit 0).
    pub request_status: bool,
    /// Ask for the alternate timescale (request TLV flags bit 1).
    pub alternate_timescale: bool,
    /// Accept responses only from this `sourcePortIdentity` (ntpd-rs's
    /// server sends zero); `None` accepts any, as long as both halves of an
    /// exchange agree.
    pub server_identity: Option<PortIdentity>,
    /// TAI − UTC in seconds for converting PTP-timescale responses whose
    /// server does not announce a valid UTC offset (ntpd-rs's does not).
    pub fallback_utc_offset: i16,
}

impl Default for CsptpClientConfig {
    /// Domain 128 (ntpd-rs's default), 1 s polls, a 1 s response timeout,
    /// status requested, UTC offset fallback 37 s (since 2017).
    fn default() -> Self {
        CsptpClientConfig {
            domain: DEFAULT_DOMAIN,
            poll_interval: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            request_status: true,
            alternate_timescale: false,
            server_identity: None,
            fallback_utc_offset: 37,
        }
    }
}

/// A request [`CsptpClient::poll_request`] wrote: send `len` bytes to the
/// server's event port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRequest {
    /// Bytes written.
    pub len: usize,
    /// The request's `sequenceId`, for [`CsptpClient::handle_transmit_timestamp`].
    pub sequence_id: u16,
}

/// What a message or transmit timestamp did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOutcome {
    /// The exchange is complete.
    Sample(CsptpSample),
    /// Accepted; the exchange waits for its other parts.
    Waiting,
    /// Dropped (and counted).
    Dropped(DropReason),
}

/// A client's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientCounters {
    /// Requests built.
    pub requests: u64,
    /// Complete samples.
    pub samples: u64,
    /// Requests abandoned without a complete sample.
    pub timeouts: u64,
    /// Dropped messages, by reason.
    pub drops: DropCounters,
}

/// The Sync response's half of an exchange.
#[derive(Debug, Clone, Copy)]
struct SyncHalf {
    response: Response,
    t4: Time,
}

/// The outstanding request.
#[derive(Debug, Clone, Copy)]
struct Pending {
    sequence_id: u16,
    deadline: Time,
    t1: Option<Time>,
    sync: Option<SyncHalf>,
    follow_up: Option<FollowUp>,
}

/// The client of one CSPTP server.
#[derive(Debug, Clone)]
pub struct CsptpClient {
    config: CsptpClientConfig,
    next_poll: Time,
    next_sequence: u16,
    pending: Option<Pending>,
    completed: Option<u16>,
    counters: ClientCounters,
}

impl CsptpClient {
    /// A client whose first request is due at `now`.
    pub fn new(config: CsptpClientConfig, now: Time) -> Self {
        CsptpClient {
            config,
            next_poll: now,
            next_sequence: 0,
            pending: None,
            completed: None,
            counters: ClientCounters::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CsptpClientConfig {
        &self.config
    }

    /// Changes the poll interval, from the next request on.
    pub fn set_poll_interval(&mut self, interval: Duration) {
        self.config.poll_interval = interval;
    }

    /// The counters.
    pub fn counters(&self) -> &ClientCounters {
        &self.counters
    }

    /// When the client next wants [`CsptpClient::handle_timeout`]: the next
    /// poll, or the outstanding request's deadline if earlier.
    pub fn poll_timeout(&self) -> Time {
        match self.pending {
            Some(p) if p.deadline < self.next_poll => p.deadline,
            _ => self.next_poll,
        }
    }

    /// Abandons the outstanding request if its deadline has passed.
    pub fn handle_timeout(&mut self, now: Time) {
        if self.pending.is_some_and(|p| p.deadline <= now) {
            self.pending = None;
            self.counters.timeouts += 1;
        }
    }

    /// Writes the next request into `buf` (at least
    /// [`message::REQUEST_LEN`] bytes) if one is due at `now`; `Ok(None)`
    /// if not yet. A new request abandons any outstanding one.
    pub fn poll_request(
        &mut self,
        now: Time,
        buf: &mut [u8],
    ) -> Result<Option<ClientRequest>, Error> {
        if now < self.next_poll {
            return Ok(None);
        }
        let sequence_id = self.next_sequence;
        let tlv = CsptpRequestTlv::new(self.config.request_status, self.config.alternate_timescale);
        let len = message::encode_request(self.config.domain, sequence_id, tlv, buf)?;
        if self.pending.take().is_some() {
            self.counters.timeouts += 1;
        }
        self.next_sequence = sequence_id.wrapping_add(1);
        self.next_poll = now + self.config.poll_interval;
        let timeout = self.config.response_timeout.min(self.config.poll_interval);
        self.pending = Some(Pending {
            sequence_id,
            deadline: now + timeout,
            t1: None,
            sync: None,
            follow_up: None,
        });
        self.counters.requests += 1;
        Ok(Some(ClientRequest { len, sequence_id }))
    }

    /// The transmit time t1 of request `sequence_id` (from the kernel or
    /// the NIC, or the time just before sending).
    pub fn handle_transmit_timestamp(&mut self, sequence_id: u16, t1: Time) -> ClientOutcome {
        match self.pending.as_mut() {
            Some(p) if p.sequence_id == sequence_id && p.t1.is_none() => {
                p.t1 = Some(t1);
                self.try_complete()
            }
            // A late timestamp of an abandoned request: nothing to do.
            _ => ClientOutcome::Waiting,
        }
    }

    /// A datagram from the server, received at `rx_time` (t4 if it is the
    /// Sync response).
    pub fn handle_message(&mut self, data: &[u8], rx_time: Time) -> ClientOutcome {
        match self.accept(data, rx_time) {
            Ok(()) => self.try_complete(),
            Err(reason) => {
                self.counters.drops.count(reason);
                ClientOutcome::Dropped(reason)
            }
        }
    }

    /// Checks a message against the outstanding request and keeps its half.
    fn accept(&mut self, data: &[u8], rx_time: Time) -> Result<(), DropReason> {
        let msg = CsptpMessage::parse(data)?;
        let h = *msg.header();
        if matches!(msg, CsptpMessage::Request(_)) {
            return Err(DropReason::UnexpectedMessage);
        }
        if h.domain_number != self.config.domain {
            return Err(DropReason::WrongDomain);
        }
        if self.completed == Some(h.sequence_id) {
            return Err(DropReason::Replayed);
        }
        let expected = self.config.server_identity;
        let pending = self.pending.as_mut().ok_or(DropReason::NoMatchingRequest)?;
        if pending.sequence_id != h.sequence_id {
            return Err(DropReason::WrongSequence);
        }
        let other_half = match msg {
            CsptpMessage::Response(_) => pending.follow_up.map(|f| f.header),
            _ => pending.sync.map(|s| s.response.header),
        };
        let identity = h.source_port_identity;
        if expected.is_some_and(|e| e != identity)
            || other_half.is_some_and(|o| o.source_port_identity != identity)
        {
            return Err(DropReason::WrongServer);
        }
        match msg {
            CsptpMessage::Response(response) if pending.sync.is_none() => {
                pending.sync = Some(SyncHalf {
                    response,
                    t4: rx_time,
                });
                Ok(())
            }
            CsptpMessage::FollowUp(f) if pending.follow_up.is_none() => {
                pending.follow_up = Some(f);
                Ok(())
            }
            _ => Err(DropReason::Replayed),
        }
    }

    /// Completes the exchange if every part is there.
    fn try_complete(&mut self) -> ClientOutcome {
        let Some(p) = self.pending else {
            return ClientOutcome::Waiting;
        };
        let (Some(t1), Some(sync)) = (p.t1, p.sync) else {
            return ClientOutcome::Waiting;
        };
        let r = sync.response;
        let two_step = r.header.flags.contains(Flags::TWO_STEP);
        let (t3, follow_up_correction) = match (two_step, p.follow_up) {
            (false, _) => (r.origin_timestamp, Duration::ZERO),
            (true, Some(f)) => (
                f.precise_origin_timestamp,
                duration_from_interval(f.header.correction),
            ),
            (true, None) => return ClientOutcome::Waiting,
        };
        let sample = CsptpSample::compute(
            p.sequence_id,
            r.header.source_port_identity,
            (
                t1,
                time_from_timestamp(r.response.request_ingress_timestamp),
                time_from_timestamp(t3),
                sync.t4,
            ),
            (
                duration_from_interval(r.response.request_correction),
                duration_from_interval(r.header.correction) + follow_up_correction,
            ),
            r.header.flags,
            r.status,
            self.config.fallback_utc_offset,
        );
        self.pending = None;
        self.completed = Some(p.sequence_id);
        self.counters.samples += 1;
        ClientOutcome::Sample(sample)
    }
}
