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
    /// the poll interval divided by `burst`: a new request abandons the
    /// old one).
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
    /// Exchanges per poll, each sent as soon as the one before it ended
    /// (at least 1); the poll's sample is the exchange with the least
    /// delay. The first datagram a host sends after a quiet second takes a
    /// slower (cold) path through its own stack than one sent right after
    /// another: on a veth pair with software timestamps we measured 2.3 µs
    /// out against 0.26 µs for the next one, while the server's immediate
    /// reply is always warm, so a lone exchange reads about 1 µs of false
    /// offset. The second exchange of a burst is warm both ways. (NTP's
    /// `burst` and `iburst` send several requests for other reasons; SPTP
    /// and ntpd-rs poll once.)
    pub burst: u8,
}

impl Default for CsptpClientConfig {
    /// Domain 128 (ntpd-rs's default), 1 s polls, a 1 s response timeout,
    /// status requested, UTC offset fallback 37 s (since 2017), bursts of
    /// two exchanges.
    fn default() -> Self {
        CsptpClientConfig {
            domain: DEFAULT_DOMAIN,
            poll_interval: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            request_status: true,
            alternate_timescale: false,
            server_identity: None,
            fallback_utc_offset: 37,
            burst: 2,
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
    /// Whether it opens a poll's burst (the source's reach counts polls).
    pub first_of_burst: bool,
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
    /// Samples handed out (one per poll: the best exchange of its burst).
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
    /// When the next burst starts.
    next_poll: Time,
    /// When the next request of the current burst is due, if any.
    next_in_burst: Option<Time>,
    /// Requests of the current burst still to send.
    burst_left: u8,
    /// The least-delay sample of the current burst so far.
    best: Option<CsptpSample>,
    /// The latest `now` handed in: the next request of a burst is due then.
    last_now: Time,
    next_sequence: u16,
    pending: Option<Pending>,
    completed: Option<u16>,
    counters: ClientCounters,
    /// Whether it polls (`tempora ctl offline` stops it, as chronyc's
    /// `offline` stops an NTP source).
    online: bool,
}

impl CsptpClient {
    /// A client whose first request is due at `now`.
    pub fn new(config: CsptpClientConfig, now: Time) -> Self {
        CsptpClient {
            config,
            next_poll: now,
            next_in_burst: None,
            burst_left: 0,
            best: None,
            last_now: now,
            next_sequence: 0,
            pending: None,
            completed: None,
            counters: ClientCounters::default(),
            online: true,
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

    /// When the client next wants [`CsptpClient::handle_timeout`] and
    /// [`CsptpClient::poll_request`]: the next request (of this burst, or
    /// the next poll's), or the outstanding request's deadline if earlier;
    /// offline, only that deadline (`None` without one).
    pub fn poll_timeout(&self) -> Option<Time> {
        let deadline = self.pending.map(|p| p.deadline);
        if !self.online {
            return deadline;
        }
        let next = self.next_in_burst.unwrap_or(self.next_poll);
        Some(deadline.map_or(next, |d| d.min(next)))
    }

    /// Whether the client polls.
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// Stops polling, or starts again with a poll due at `now`. Offline,
    /// the burst under way sends no more requests; the outstanding one is
    /// still answered (or times out) and the burst's best sample given.
    pub fn set_online(&mut self, online: bool, now: Time) {
        if online && !self.online {
            self.next_poll = now;
        }
        if !online {
            self.burst_left = 0;
            self.next_in_burst = None;
        }
        self.online = online;
    }

    /// Makes the next poll due at `now` (`tempora ctl burst`), unless the
    /// client is offline or a burst is under way; returns whether it did.
    pub fn poll_now(&mut self, now: Time) -> bool {
        if !self.online || self.pending.is_some() || self.burst_left > 0 {
            return false;
        }
        self.next_poll = self.next_poll.min(now);
        true
    }

    /// Abandons the outstanding request if its deadline has passed. If it
    /// was the last of its burst, the burst's best sample so far (if any)
    /// is the outcome.
    pub fn handle_timeout(&mut self, now: Time) -> ClientOutcome {
        self.last_now = self.last_now.max(now);
        if self.pending.is_none_or(|p| p.deadline > now) {
            return ClientOutcome::Waiting;
        }
        self.pending = None;
        self.counters.timeouts += 1;
        self.exchange_ended(now)
    }

    /// An exchange of the burst ended (complete or abandoned) at `now`:
    /// the next one is due at once, or the burst's best sample is out.
    fn exchange_ended(&mut self, now: Time) -> ClientOutcome {
        if self.burst_left > 0 {
            self.next_in_burst = Some(now);
            return ClientOutcome::Waiting;
        }
        self.next_in_burst = None;
        match self.best.take() {
            Some(best) => {
                self.counters.samples += 1;
                ClientOutcome::Sample(best)
            }
            None => ClientOutcome::Waiting,
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
        self.last_now = self.last_now.max(now);
        if !self.online {
            return Ok(None);
        }
        let in_burst = self.next_in_burst.is_some_and(|t| t <= now);
        if !in_burst && now < self.next_poll {
            return Ok(None);
        }
        let sequence_id = self.next_sequence;
        let tlv = CsptpRequestTlv::new(self.config.request_status, self.config.alternate_timescale);
        let len = message::encode_request(self.config.domain, sequence_id, tlv, buf)?;
        if self.pending.take().is_some() {
            self.counters.timeouts += 1;
        }
        let first_of_burst = !in_burst;
        if first_of_burst {
            // A new poll: whatever the last burst left is abandoned.
            self.best = None;
            self.burst_left = self.config.burst.max(1);
            self.next_poll = now + self.config.poll_interval;
        }
        self.burst_left = self.burst_left.saturating_sub(1);
        self.next_in_burst = None;
        self.next_sequence = sequence_id.wrapping_add(1);
        // Each request of a burst waits at most its share of the poll, so
        // a lost one leaves the rest of the burst time before the next poll.
        let share = self.config.poll_interval / i64::from(self.config.burst.max(1));
        let timeout = self.config.response_timeout.min(share);
        self.pending = Some(Pending {
            sequence_id,
            deadline: now + timeout,
            t1: None,
            sync: None,
            follow_up: None,
        });
        self.counters.requests += 1;
        Ok(Some(ClientRequest {
            len,
            sequence_id,
            first_of_burst,
        }))
    }

    /// Forgets the current burst's samples (after a clock step they are of
    /// the old time); the poll schedule is kept.
    pub fn forget_burst(&mut self) {
        self.best = None;
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
        if self.best.is_none_or(|b| sample.delay < b.delay) {
            self.best = Some(sample);
        }
        self.exchange_ended(self.last_now)
    }
}
