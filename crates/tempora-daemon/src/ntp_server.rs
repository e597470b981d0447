//! The daemon's NTP server (RFC 5905): answers clients from the disciplined
//! clock, in UTC, with a stratum and reference that say where its time
//! comes from. With a PTP slave port locked to its grandmaster this is the
//! PTP-to-NTP bridge: stratum 1 and reference id "PTP" when the grandmaster
//! is traceable to a primary reference (clockClass 6, 7, 13 or 14, IEEE
//! 1588-2019 §7.6.2.5 Table 4), stratum 2 otherwise. Without a synchronised
//! source it answers with `local-stratum` (reference "LOCL", like chrony's
//! `local stratum`) if configured, else LI 3 and stratum 16.

use std::io;
use std::sync::{Arc, Mutex, RwLock};

use tempora_ntp::nts::{self, NtsError};
use tempora_nts::keys::CookieKeys;

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use tempora_clock::{Duration, ServoState, Time};

use tempora_config::{DenyAction, NtpServerSettings};
use tempora_ntp::access::{self, Cidr, RateLimiter, Verdict};
use tempora_ntp::server::{ServerClock, respond};
use tempora_ntp::wire::{KissCode, LeapIndicator, ReferenceId};
use tempora_ntp::wire::{NtpTimestamp, Packet};
use tempora_ntp::xleave::{XleaveTable, respond_interleaved};
use tempora_ptp::datasets::PortState;

use crate::runtime::{DisciplinedClock, PortIo, Runtime};

/// Counters of the NTP server (status and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtpServerCounters {
    /// Datagrams received.
    pub received: u64,
    /// Replies sent.
    pub replied: u64,
    /// Datagrams not answered (malformed, not a request, bad version).
    pub ignored: u64,
    /// Replies the socket refused to send.
    pub send_errors: u64,
    /// Requests refused by the access lists.
    #[serde(default)]
    pub denied: u64,
    /// Requests over a client's rate.
    #[serde(default)]
    pub rate_limited: u64,
    /// Kiss-o'-death replies sent (DENY, RATE).
    #[serde(default)]
    pub kisses: u64,
    /// Interleaved replies (RFC 9769) sent.
    #[serde(default)]
    pub interleaved: u64,
    /// NTS-protected replies sent (RFC 8915 §5.7).
    #[serde(default)]
    pub nts_replies: u64,
    /// NTS NAKs sent (cookies that did not open: unknown or expired master
    /// key, or forged; requests that did not authenticate).
    #[serde(default)]
    pub nts_naks: u64,
    /// NTS requests dropped (malformed, placeholders not as long as the
    /// cookie, nonce too short), and plain requests refused under
    /// `require-nts`.
    #[serde(default)]
    pub nts_rejected: u64,
}

impl NtpServerCounters {
    /// Adds `other` to these counters (the worker loops' sum).
    pub fn add(&mut self, other: &NtpServerCounters) {
        self.received += other.received;
        self.replied += other.replied;
        self.ignored += other.ignored;
        self.send_errors += other.send_errors;
        self.denied += other.denied;
        self.rate_limited += other.rate_limited;
        self.kisses += other.kisses;
        self.interleaved += other.interleaved;
        self.nts_replies += other.nts_replies;
        self.nts_naks += other.nts_naks;
        self.nts_rejected += other.nts_rejected;
    }
}

/// What the server needs to know from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpServerPolicy {
    /// `local-stratum`, if any.
    pub local_stratum: Option<u8>,
    /// The precision announced, log2 s.
    pub precision: i8,
}

/// The state the server announces now.
pub fn server_clock<P: PortIo, C: DisciplinedClock>(
    runtime: &Runtime<P, C>,
    policy: &NtpServerPolicy,
    now_utc: Time,
) -> ServerClock {
    let engine = &runtime.engine;
    let slave = (0..engine.port_count())
        .filter_map(|i| engine.port_ds(i))
        .any(|ds| ds.port_state == PortState::Slave);
    if slave && runtime.servo_state() == ServoState::Locked {
        let class = engine.parent_ds().grandmaster_clock_quality.clock_class;
        let traceable = matches!(class, 6 | 7 | 13 | 14);
        let current = engine.current_ds();
        return ServerClock {
            leap: leap_of(engine.time_properties_ds()),
            stratum: if traceable { 1 } else { 2 },
            precision: policy.precision,
            reference_id: ReferenceId(*b"PTP\0"),
            reference_time: now_utc,
            root_delay: Duration::ZERO,
            root_dispersion: current.offset_from_master.abs() + Duration::from_micros(1),
        };
    }
    match policy.local_stratum {
        Some(stratum) => ServerClock {
            leap: LeapIndicator::NoWarning,
            stratum,
            precision: policy.precision,
            reference_id: ReferenceId(*b"LOCL"),
            reference_time: now_utc,
            root_delay: Duration::ZERO,
            root_dispersion: Duration::ZERO,
        },
        None => ServerClock {
            precision: policy.precision,
            ..ServerClock::UNSYNCHRONIZED
        },
    }
}

fn leap_of(tp: &tempora_ptp::datasets::TimePropertiesDs) -> LeapIndicator {
    if tp.leap61 {
        LeapIndicator::AddSecond
    } else if tp.leap59 {
        LeapIndicator::DeleteSecond
    } else {
        LeapIndicator::NoWarning
    }
}

/// The time the server serves: NTP (UTC) time now, or of a raw kernel
/// timestamp. The daemon's disciplined clock in the timing loop, or a
/// worker's snapshot of it.
pub trait ServedTime {
    /// NTP time of the raw kernel timestamp `raw`, or now.
    fn ntp_time(&self, raw: Option<Time>) -> Time;
}

impl<C: DisciplinedClock> ServedTime for C {
    fn ntp_time(&self, raw: Option<Time>) -> Time {
        DisciplinedClock::ntp_time(self, raw)
    }
}

/// Answers one datagram: `rx_raw` is its kernel receive timestamp, `state`
/// what the server announces. Returns the reply to send, or `None`
/// (counted) if it gets none.
#[allow(clippy::too_many_arguments)]
pub fn answer(
    clock: &impl ServedTime,
    state: &ServerClock,
    counters: &mut NtpServerCounters,
    request: &[u8],
    rx_raw: Option<Time>,
    prev_tx: Option<Time>,
    out: &mut [u8],
) -> Option<usize> {
    counters.received += 1;
    let now = clock.ntp_time(None);
    let rx = rx_raw.map_or(now, |r| clock.ntp_time(Some(r)));
    let result = match prev_tx {
        Some(prev) => respond_interleaved(request, rx, prev, state, out),
        // T3 as late as possible: read the clock again right before sending.
        None => respond(request, rx, clock.ntp_time(None), state, out),
    };
    match result {
        Ok(n) => Some(n),
        Err(_) => {
            counters.ignored += 1;
            None
        }
    }
}

/// Counts the outcome of a send.
pub fn sent(counters: &mut NtpServerCounters, result: io::Result<()>) {
    match result {
        Ok(()) => counters.replied += 1,
        Err(_) => counters.send_errors += 1,
    }
}

/// Slots of the rate-limiting table: bounded memory (about 160 kB)
/// whatever the number of clients.
const RATE_SLOTS: usize = 4096;

/// The server's policy and state across requests.
pub struct NtpServer {
    policy: NtpServerPolicy,
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
    deny_action: DenyAction,
    /// Shared by the worker loops, so that a client's rate is one whatever
    /// socket its requests land on.
    limiter: Option<Arc<Mutex<RateLimiter<RATE_SLOTS>>>>,
    xleave: Option<Box<XleaveTable<RATE_SLOTS>>>,
    /// Replies waiting for their transmit timestamp: (id, client, the
    /// receive timestamp the reply carried).
    awaiting_tx: std::collections::VecDeque<(u64, std::net::IpAddr, NtpTimestamp)>,
    /// The client and receive timestamp of the reply just built.
    last_reply: Option<(std::net::IpAddr, NtpTimestamp)>,
    /// The NTS cookie master keys, with NTS on.
    nts: Option<Arc<RwLock<CookieKeys>>>,
    /// `require-nts`.
    require_nts: bool,
    /// Its counters.
    pub counters: NtpServerCounters,
}

impl NtpServer {
    /// The server of `settings`; `key` seeds the rate-limit table's hash.
    pub fn new(settings: &NtpServerSettings, precision: i8, key: u64) -> Self {
        NtpServer {
            policy: NtpServerPolicy {
                local_stratum: settings.local_stratum,
                precision,
            },
            allow: settings.allow.clone(),
            deny: settings.deny.clone(),
            deny_action: settings.deny_action,
            limiter: settings
                .rate_limit
                .map(|r| Arc::new(Mutex::new(RateLimiter::new(r, key)))),
            xleave: settings
                .interleaved
                .then(|| Box::new(XleaveTable::new(key.rotate_left(17)))),
            awaiting_tx: std::collections::VecDeque::new(),
            last_reply: None,
            nts: None,
            require_nts: settings.require_nts,
            counters: NtpServerCounters::default(),
        }
    }

    /// Turns NTS on: requests with NTS fields are answered with cookies
    /// made and opened under `keys` (RFC 8915 §5.7, §6).
    pub fn with_nts(mut self, keys: Arc<RwLock<CookieKeys>>) -> Self {
        self.nts = Some(keys);
        self
    }

    /// The server of a worker loop: the same policy and the same rate
    /// limiter; its own interleave table (a client's requests all land on
    /// one SO_REUSEPORT socket, chosen by the kernel from the addresses and
    /// ports) and counters.
    pub fn for_worker(&self, key: u64) -> Self {
        NtpServer {
            policy: self.policy,
            allow: self.allow.clone(),
            deny: self.deny.clone(),
            deny_action: self.deny_action,
            limiter: self.limiter.clone(),
            xleave: self
                .xleave
                .as_ref()
                .map(|_| Box::new(XleaveTable::new(key))),
            awaiting_tx: std::collections::VecDeque::new(),
            last_reply: None,
            nts: self.nts.clone(),
            require_nts: self.require_nts,
            counters: NtpServerCounters::default(),
        }
    }

    /// What the server announces, from the timing loop's state.
    pub fn state<P: PortIo, C: DisciplinedClock>(&self, runtime: &Runtime<P, C>) -> ServerClock {
        server_clock(runtime, &self.policy, runtime.clock.ntp_time(None))
    }

    /// Handles one datagram from `source`: the reply to send, written into
    /// `out`, if any. Access lists first (RFC 8633 §3.5), then the rate
    /// limit, then the answer; junk is dropped before either. `state` is
    /// what the server announces ([`NtpServer::state`]).
    #[allow(clippy::too_many_arguments)]
    pub fn handle(
        &mut self,
        clock: &impl ServedTime,
        state: &ServerClock,
        request: &[u8],
        rx_raw: Option<Time>,
        source: SocketAddr,
        out: &mut [u8],
    ) -> Option<usize> {
        let checked = match tempora_ntp::server::check_request(request) {
            Ok(req) if source.port() != 0 => req,
            _ => {
                self.counters.received += 1;
                self.counters.ignored += 1;
                return None;
            }
        };
        let ip = source.ip();
        if !access::allowed(&self.allow, &self.deny, ip) {
            self.counters.received += 1;
            self.counters.denied += 1;
            return match self.deny_action {
                DenyAction::Drop => None,
                DenyAction::Kiss => self.kiss(request, *b"DENY", out),
            };
        }
        if let Some(limiter) = &self.limiter {
            let now = clock.ntp_time(None);
            let verdict = limiter
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .check(ip, now);
            match verdict {
                Verdict::Answer => {}
                Verdict::Kiss => {
                    self.counters.received += 1;
                    self.counters.rate_limited += 1;
                    return self.kiss(request, *b"RATE", out);
                }
                Verdict::Drop => {
                    self.counters.received += 1;
                    self.counters.rate_limited += 1;
                    return None;
                }
            }
        }
        if tempora_ntp::nts::is_nts(&checked) || self.require_nts {
            return self.handle_nts(clock, state, request, rx_raw, out);
        }
        let prev_tx = self
            .xleave
            .as_ref()
            .and_then(|t| t.interleaved_tx(ip, &checked));
        let n = answer(
            clock,
            state,
            &mut self.counters,
            request,
            rx_raw,
            prev_tx,
            out,
        )?;
        if prev_tx.is_some() {
            self.counters.interleaved += 1;
        }
        if let Some(table) = &mut self.xleave {
            if let Ok(p) = Packet::decode(out.get(..n).unwrap_or_default()) {
                table.replied(ip, p.receive_timestamp);
                self.last_reply = Some((ip, p.receive_timestamp));
            }
        }
        Some(n)
    }

    /// Answers an NTS request (RFC 8915 §5.7): a protected reply with one
    /// fresh cookie per cookie spent or asked for, an NTS NAK when the
    /// cookie does not open or the request does not authenticate, nothing
    /// when it is malformed (or without NTS, or for a plain request under
    /// `require-nts`).
    fn handle_nts(
        &mut self,
        clock: &impl ServedTime,
        state: &ServerClock,
        request: &[u8],
        rx_raw: Option<Time>,
        out: &mut [u8],
    ) -> Option<usize> {
        let Some(keys) = self.nts.clone() else {
            self.counters.received += 1;
            self.counters.nts_rejected += 1;
            return None;
        };
        let guard = keys.read().unwrap_or_else(|p| p.into_inner());
        let checked = match nts::open_request(request, |id| guard.find(id)) {
            Ok(c) => c,
            // RFC 8915 §5.7: a cookie that does not open, or a request
            // that does not authenticate, gets an NTS NAK (no larger than
            // the request).
            Err(NtsError::BadCookie | NtsError::BadAuthenticator) => {
                self.counters.received += 1;
                let uid = nts::request_uid(request)?;
                let mut header = [0u8; 48];
                access::kiss(request, KissCode::Ntsn, &mut header)?;
                let n = nts::write_nak(out, &header, uid).ok()?;
                self.counters.nts_naks += 1;
                self.counters.kisses += 1;
                return Some(n);
            }
            Err(_) => {
                self.counters.received += 1;
                self.counters.nts_rejected += 1;
                return None;
            }
        };
        let mut header = [0u8; 48];
        answer(
            clock,
            state,
            &mut self.counters,
            request,
            rx_raw,
            None,
            &mut header,
        )?;
        let current = guard.current();
        let mut cookies = [[0u8; nts::COOKIE_LEN_512]; nts::MAX_COOKIES];
        let mut lens = [0usize; nts::MAX_COOKIES];
        for (c, len) in cookies
            .iter_mut()
            .zip(&mut lens)
            .take(checked.cookies_wanted)
        {
            let nonce: [u8; nts::NONCE_LEN] = rand::random();
            *len = nts::make_cookie(current, &nonce, &checked.keys, c).ok()?;
        }
        let list: [&[u8]; nts::MAX_COOKIES] =
            std::array::from_fn(|i| cookies[i].get(..lens[i]).unwrap_or_default());
        let nonce: [u8; nts::NONCE_LEN] = rand::random();
        let n = nts::write_response(
            out,
            &header,
            checked.uid,
            &checked.keys.s2c,
            &nonce,
            list.get(..checked.cookies_wanted).unwrap_or_default(),
        )
        .ok()?;
        self.counters.nts_replies += 1;
        Some(n)
    }

    /// Whether replies need kernel transmit timestamps (interleaved mode).
    pub fn wants_tx_timestamps(&self) -> bool {
        self.xleave.is_some()
    }

    /// The reply just built left with transmit-timestamp id `id`.
    pub fn sent_with_id(&mut self, id: u64) {
        if let Some((ip, rx)) = self.last_reply.take() {
            if self.awaiting_tx.len() >= 4096 {
                self.awaiting_tx.pop_front();
            }
            self.awaiting_tx.push_back((id, ip, rx));
        }
    }

    /// The kernel's transmit timestamp `tx` (NTP time) of reply `id`.
    pub fn transmitted(&mut self, id: u64, tx: Time) {
        let Some(pos) = self.awaiting_tx.iter().position(|(i, ..)| *i == id) else {
            return;
        };
        let Some((_, ip, rx)) = self.awaiting_tx.remove(pos) else {
            return;
        };
        if let Some(table) = &mut self.xleave {
            table.transmitted(ip, rx, tx);
        }
    }

    fn kiss(&mut self, request: &[u8], code: [u8; 4], out: &mut [u8]) -> Option<usize> {
        let n = access::kiss(request, KissCode::from_bytes(code), out)?;
        self.counters.kisses += 1;
        Some(n)
    }

    /// Counts the outcome of a send.
    pub fn sent(&mut self, result: io::Result<()>) {
        sent(&mut self.counters, result);
    }

    /// Counts the outcome of a batch send.
    pub fn sent_batch(&mut self, sent: usize, failed: usize) {
        self.counters.replied += sent as u64;
        self.counters.send_errors += failed as u64;
    }
}
