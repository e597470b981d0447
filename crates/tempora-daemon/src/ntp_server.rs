//! The daemon's NTP server (RFC 5905): answers clients from the disciplined
//! clock, in UTC, with a stratum and reference that say where its time
//! comes from. With a PTP slave port locked to its grandmaster this is the
//! PTP-to-NTP bridge: stratum 1 and reference id "PTP" when the grandmaster
//! is traceable to a primary reference (clockClass 6, 7, 13 or 14, IEEE
//! 1588-2019 §7.6.2.5 Table 4), stratum 2 otherwise. Following an NTP
//! source, one stratum below it (`tempora_ntp::server::served_clock`). Without a synchronised
//! source it answers with `local-stratum` (reference "LOCL", like chrony's
//! `local stratum`) if configured, else LI 3 and stratum 16. Locked to a
//! reference clock, or in holdover from one, `crate::served` decides
//! instead: stratum 1 with the reference's identifier (`GPS`, `PPS`, `PHC`)
//! and a root dispersion that grows with the holdover estimate; and the
//! leap second list sets LI 1/2 on the last day before a leap second.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};

use rand::RngCore;

use tempora_clock::{Duration, ServoState, Time};
use tempora_config::{DenyAction, NtpServerSettings};
use tempora_ntp::access::{Cidr, Limiter, RateLimiter, Verdict};
use tempora_ntp::nts::{MasterKey, MasterKeys};
use tempora_ntp::server::{
    Datagram, DropReason, NtpUpstream, Outcome, ReplyKind, Server, ServerClock, ServerConfig,
    Versions, served_clock,
};
use tempora_ntp::v5::{UpgradeSignal, is_v5};
use tempora_ntp::wire::{KissCode, LeapIndicator, ReferenceId};
use tempora_nts::keys::CookieKeys;
use tempora_ptp::datasets::PortState;

use crate::ntp_keys::SharedKeyTable;
use crate::ntp_loop::LoopGuard;
use crate::runtime::{DisciplinedClock, PortIo, Runtime};
use crate::status::NtpServerCounters;

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
    upstream: Option<&NtpUpstream>,
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
            ..ServerClock::UNSYNCHRONIZED
        };
    }
    let following = upstream.filter(|_| runtime.servo_state() == ServoState::Locked);
    if let Some(c) = following.and_then(|up| served_clock(up, policy.precision, now_utc)) {
        return c;
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
            ..ServerClock::UNSYNCHRONIZED
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

/// Counts the outcome of a send.
pub fn sent(counters: &mut NtpServerCounters, result: io::Result<()>) {
    match result {
        Ok(()) => counters.replied += 1,
        Err(_) => counters.send_errors += 1,
    }
}

/// Slots of the rate-limiting table and of the interleaved mode's tables:
/// bounded memory whatever the number of clients.
const RATE_SLOTS: usize = 4096;

/// The rate limiter, shared by the worker loops (so that a client's rate is
/// one whatever socket its requests land on) behind a lock the server core
/// does not know of.
#[derive(Clone)]
pub(crate) struct SharedLimiter(Arc<Mutex<RateLimiter<RATE_SLOTS>>>);

impl Limiter for SharedLimiter {
    fn check(&mut self, ip: IpAddr, now: Time) -> Verdict {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check(ip, now)
    }

    fn check_or_leak(&mut self, ip: IpAddr, now: Time, rng: &mut dyn RngCore) -> Verdict {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check_or_leak(ip, now, rng)
    }
}

/// The NTS cookie master keys, shared with the NTS-KE server and rotated by
/// the timing loop; read-locked only for the look-ups of NTS requests.
#[derive(Clone)]
struct NtsKeys(Arc<RwLock<CookieKeys>>);

impl MasterKeys for NtsKeys {
    fn current(&self) -> Option<MasterKey> {
        let keys = self.0.read().unwrap_or_else(|p| p.into_inner());
        Some(keys.current().clone())
    }

    fn find(&self, id: u32) -> Option<MasterKey> {
        let keys = self.0.read().unwrap_or_else(|p| p.into_inner());
        keys.find(id).cloned()
    }
}

/// The server core as the daemon runs it.
type Core = Server<Vec<Cidr>, Option<SharedLimiter>, RATE_SLOTS, SharedKeyTable>;

// The core (about 420 kB of interleaved-mode slots) and the rate limiter
// (about 260 kB) are built in functions of their own, so that no stack
// frame holds both with their moves: in a debug build each move is a copy,
// and together they overflowed a 2 MiB thread stack (a test thread's).

/// The rate limiter of `settings`, shared by the worker loops.
#[inline(never)]
fn shared_limiter(settings: &NtpServerSettings, key: u64) -> Option<SharedLimiter> {
    shared_rate_limiter(settings.rate_limit, settings.rate_limit_leak, key)
}

/// A rate limiter of `rate` with `leak`, shared by the loops that hold a
/// clone (the NTP server's, and the CSPTP server's with its own table).
#[inline(never)]
pub(crate) fn shared_rate_limiter(
    rate: Option<tempora_ntp::access::RateLimit>,
    leak: u8,
    key: u64,
) -> Option<SharedLimiter> {
    let limiter = RateLimiter::new(rate?, key).with_leak(leak);
    Some(SharedLimiter(Arc::new(Mutex::new(limiter))))
}

/// The server core, on the heap.
#[inline(never)]
fn boxed_core(
    config: ServerConfig<Vec<Cidr>>,
    limiter: Option<SharedLimiter>,
    key: u64,
    keys: SharedKeyTable,
) -> Box<Core> {
    Box::new(Server::new(config, limiter, key).with_symmetric_keys(keys))
}

/// The daemon's NTP server: the sans-IO core ([`Server::handle`] decides
/// everything), the cookie keys it is given, and the counters of its
/// outcomes.
pub struct NtpServer {
    policy: NtpServerPolicy,
    core: Box<Core>,
    /// The NTS cookie master keys, with NTS on.
    nts: Option<NtsKeys>,
    /// Its counters.
    pub counters: NtpServerCounters,
    /// What a reference clock decides (`crate::served`), over the rules
    /// of [`server_clock`], and the leap second list's leap indicator.
    served: (Option<ServerClock>, LeapIndicator),
    /// TAI − UTC if known, and the leap smear now (NTPv5 timescales).
    timescales: (Option<i16>, Duration),
    /// Our NTPv5 reference id and the Bloom filter served.
    guard: Option<LoopGuard>,
    /// The system peer when it is an NTP source.
    upstream: Option<NtpUpstream>,
}

impl NtpServer {
    /// The server of `settings`; `key` seeds the rate-limit table's hash.
    pub fn new(settings: &NtpServerSettings, precision: i8, key: u64) -> Self {
        let config = ServerConfig {
            allow: settings.allow.clone(),
            deny: settings.deny.clone(),
            deny_action: match settings.deny_action {
                DenyAction::Drop => tempora_ntp::server::DenyAction::Drop,
                DenyAction::Kiss => tempora_ntp::server::DenyAction::Kiss,
            },
            interleaved: settings.interleaved,
            require_nts: settings.require_nts,
            versions: Versions::from_list(&settings.versions),
            smear: settings.smear,
        };
        let limiter = shared_limiter(settings, key);
        NtpServer {
            policy: NtpServerPolicy {
                local_stratum: settings.local_stratum,
                precision,
            },
            core: boxed_core(
                config,
                limiter,
                key.rotate_left(17),
                SharedKeyTable::default(),
            ),
            nts: None,
            counters: NtpServerCounters::default(),
            served: (None, LeapIndicator::NoWarning),
            timescales: (None, Duration::ZERO),
            guard: None,
            upstream: None,
        }
    }

    /// Answers NTPv5 Reference IDs Requests with `guard`'s filter (our
    /// own reference id and our upstream sources').
    pub fn with_loop_guard(mut self, guard: LoopGuard) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Sets TAI − UTC (`None` when unknown: NTPv5 clients asking for TAI
    /// then get UTC) and smeared UTC − UTC now (`crate::leap_smear`).
    pub fn set_timescales(&mut self, tai_minus_utc: Option<i16>, smear: Duration) {
        self.timescales = (tai_minus_utc, smear);
    }

    /// Turns NTS on: requests with NTS fields are answered with cookies
    /// made and opened under `keys` (RFC 8915 §5.7, §6).
    pub fn with_nts(mut self, keys: Arc<RwLock<CookieKeys>>) -> Self {
        self.nts = Some(NtsKeys(keys));
        self
    }

    /// Answers requests with a MAC of one of `keys` with a MAC of the same
    /// key (RFC 8573); without, every MAC is of an unknown key.
    pub fn with_symmetric_keys(mut self, keys: SharedKeyTable) -> Self {
        self.core = Box::new((*self.core).with_symmetric_keys(keys));
        self
    }

    /// Its rate limiter, when it limits: the Roughtime server counts its
    /// requests in the same table.
    pub(crate) fn shared_limiter(&self) -> Option<SharedLimiter> {
        self.core.limiter().clone()
    }

    /// The server of a worker loop: the same policy and the same rate
    /// limiter; its own interleaved-mode state (a client's requests all
    /// land on one SO_REUSEPORT socket, chosen by the kernel from the
    /// addresses and ports) and counters.
    pub fn for_worker(&self, key: u64) -> Self {
        let c = &self.core;
        NtpServer {
            policy: self.policy,
            core: boxed_core(
                c.config().clone(),
                c.limiter().clone(),
                key,
                c.symmetric_keys().clone(),
            ),
            nts: self.nts.clone(),
            counters: NtpServerCounters::default(),
            served: self.served,
            timescales: self.timescales,
            guard: self.guard.clone(),
            upstream: self.upstream,
        }
    }

    /// What the server announces, from the timing loop's state: a
    /// reference clock's answer ([`NtpServer::set_served`]) if there is
    /// one, else [`server_clock`]'s, with the leap second list's warning
    /// on a synchronized answer.
    pub fn state<P: PortIo, C: DisciplinedClock>(&self, runtime: &Runtime<P, C>) -> ServerClock {
        let (served, leap) = self.served;
        let mut c = served.unwrap_or_else(|| {
            let now = runtime.clock.ntp_time(None);
            server_clock(runtime, &self.policy, self.upstream.as_ref(), now)
        });
        if c.leap == LeapIndicator::NoWarning {
            c.leap = leap;
        }
        (c.tai_offset, c.smear_offset) = self.timescales;
        c
    }

    /// Sets the system peer when it is an NTP source, or `None`.
    pub fn set_upstream(&mut self, upstream: Option<NtpUpstream>) {
        self.upstream = upstream;
    }

    /// Sets what a reference clock decides (`crate::served`): the answer,
    /// if it decides one, and the leap indicator of the leap second list.
    pub fn set_served(&mut self, served: Option<ServerClock>, leap: LeapIndicator) {
        self.served = (served, leap);
    }

    /// The precision announced, log2 s.
    pub fn precision(&self) -> i8 {
        self.policy.precision
    }

    /// Handles one datagram from `source` received at `rx_raw` (its kernel
    /// timestamp, if any) with the server core, announcing `state`
    /// ([`NtpServer::state`]), and counts the outcome: the length of the
    /// reply written into `out`, if any.
    pub fn handle(
        &mut self,
        clock: &impl ServedTime,
        state: &ServerClock,
        request: &[u8],
        rx_raw: Option<Time>,
        source: SocketAddr,
        out: &mut [u8],
    ) -> Option<usize> {
        self.core.set_clock(*state);
        if let Some(g) = self.guard.as_ref().filter(|_| is_v5(request)) {
            self.core.set_reference_ids(&g.served());
        }
        let keys = self.nts.as_ref().map(|k| k as &dyn MasterKeys);
        let mut rng = rand::thread_rng();
        let rx = rx_raw.map(|r| clock.ntp_time(Some(r)));
        // The reply's transmit timestamp (T3): read last, right before the
        // core decides and writes the reply.
        let now = clock.ntp_time(None);
        let datagram = Datagram {
            data: request,
            rx: rx.unwrap_or(now),
        };
        let outcome = self.core.handle(now, source, datagram, keys, &mut rng, out);
        count(&mut self.counters, outcome);
        if let Outcome::Reply { len, kind } = outcome {
            self.counters.upgrade_replied += u64::from(upgrade_reply(kind, out.get(..len)));
        }
        outcome.reply_len()
    }

    /// Whether replies need kernel transmit timestamps (interleaved mode).
    pub fn wants_tx_timestamps(&self) -> bool {
        self.core.wants_tx_timestamps()
    }

    /// The reply just built left with transmit-timestamp id `id`.
    pub fn sent_with_id(&mut self, id: u64) {
        self.core.sent_with_id(id);
    }

    /// The kernel's transmit timestamp `tx` (NTP time) of reply `id`.
    pub fn transmitted(&mut self, id: u64, tx: Time) {
        self.core.transmitted(id, tx);
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

/// Whether `reply` (of `kind`) is an NTPv4 reply carrying the NTPv5
/// upgrade signal (its reference timestamp, octets 16 to 23).
fn upgrade_reply(kind: ReplyKind, reply: Option<&[u8]>) -> bool {
    let magic = reply
        .and_then(|r| r.get(16..24))
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(|b| tempora_ntp::wire::NtpTimestamp::from_bits(u64::from_be_bytes(b)));
    !matches!(kind, ReplyKind::V5 { .. }) && magic.and_then(UpgradeSignal::from_timestamp).is_some()
}

/// Counts what the server core did with a datagram (replies are counted
/// as `replied` once sent).
fn count(counters: &mut NtpServerCounters, outcome: Outcome) {
    counters.received += 1;
    match outcome {
        Outcome::Reply { kind, .. } => match kind {
            ReplyKind::Basic => {}
            ReplyKind::Interleaved => counters.interleaved += 1,
            ReplyKind::Nts => counters.nts_replies += 1,
            ReplyKind::Keyed { interleaved, .. } => {
                counters.keyed_replies += 1;
                counters.interleaved += u64::from(interleaved);
            }
            ReplyKind::V5 { nts, .. } => {
                counters.v5_replied += 1;
                counters.nts_replies += u64::from(nts);
            }
        },
        Outcome::Kiss { code, .. } => {
            counters.kisses += 1;
            match code {
                KissCode::Deny | KissCode::Rstr => counters.denied += 1,
                KissCode::Rate => counters.rate_limited += 1,
                KissCode::Ntsn => counters.nts_naks += 1,
                _ => {}
            }
        }
        Outcome::Dropped(reason) => match reason {
            DropReason::Denied => counters.denied += 1,
            DropReason::RateLimited => counters.rate_limited += 1,
            DropReason::NtsRequired
            | DropReason::NtsUnavailable
            | DropReason::NtsMalformed
            | DropReason::NtsWithMac => counters.nts_rejected += 1,
            DropReason::UnknownKey | DropReason::BadMac => counters.key_rejected += 1,
            DropReason::BadSource
            | DropReason::Malformed
            | DropReason::NotARequest
            | DropReason::BadVersion
            | DropReason::V5UnknownDraft
            | DropReason::V5BadChunk
            | DropReason::V5Unsupported
            | DropReason::BufferTooSmall => counters.ignored += 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora_ntp::access::RateLimit;
    use tempora_ntp::exchange::Request;

    /// The served time stands still.
    struct Fixed(Time);

    impl ServedTime for Fixed {
        fn ntp_time(&self, raw: Option<Time>) -> Time {
            raw.unwrap_or(self.0)
        }
    }

    #[test]
    fn counters_count_the_outcomes_of_the_core() {
        let mut settings = NtpServerSettings::default();
        settings.deny = vec![Cidr::parse("10.9.0.0/16").unwrap()];
        settings.deny_action = DenyAction::Kiss;
        settings.rate_limit = Some(RateLimit {
            interval: Duration::from_secs(60),
            burst: 1,
        });
        settings.interleaved = true;
        // No leak: the counts below are exact (the leak is tested below).
        settings.rate_limit_leak = 0;
        let template = NtpServer::new(&settings, -20, 1);
        let mut server = template.for_worker(2);
        let clock = Fixed(Time::from_secs_nanos(1_800_000_000, 0));
        let state = ServerClock::UNSYNCHRONIZED;
        let (_, req) = Request::new(1);
        let mut out = [0u8; 2048];
        let mut send = |s: &mut NtpServer, data: &[u8], from: &str| {
            s.handle(&clock, &state, data, None, from.parse().unwrap(), &mut out)
        };
        let a = "192.0.2.1:123";
        assert_eq!(send(&mut server, &req, a), Some(48));
        // The rate limiter is the template's, shared: one request per
        // interval, whichever worker gets it; then a RATE kiss, then nothing.
        let mut other = template.for_worker(3);
        assert_eq!(send(&mut other, &req, a), Some(48));
        assert_eq!(
            (other.counters.received, other.counters.rate_limited),
            (1, 1)
        );
        assert_eq!(other.counters.kisses, 1);
        assert_eq!(send(&mut server, &req, a), None);
        assert_eq!(send(&mut server, &req[..20], a), None);
        assert_eq!(send(&mut server, &req, "10.9.0.1:123"), Some(48));
        // With NTS fields and no keys.
        let mut nts = [0u8; 1024];
        let n = tempora_ntp::nts::write_request(
            &mut nts,
            &req,
            &[1; 32],
            &[2; 100],
            0,
            &tempora_ntp::nts::Key::new(
                tempora_ntp::wire::ntske::AeadAlgorithm::AesSivCmac256,
                &[3; 32],
            )
            .unwrap(),
            &[4; 16],
        )
        .unwrap();
        assert_eq!(send(&mut server, &nts[..n], "192.0.2.2:123"), None);
        let c = server.counters;
        assert_eq!(c.received, 5);
        // One DENY kiss; one request dropped over its rate.
        assert_eq!((c.rate_limited, c.kisses), (1, 1));
        assert_eq!((c.ignored, c.denied, c.nts_rejected), (1, 1, 1));
        assert_eq!((c.interleaved, c.nts_replies, c.nts_naks), (0, 0, 0));
    }

    /// Issue 13: a flood of 10,000 requests from one (spoofed) address,
    /// with the `[ntp-server]` defaults and rate limiting on: over its
    /// rate, about one request in four is still answered (leak 2), so the
    /// client whose address is spoofed is never cut off.
    #[test]
    fn a_spoofed_flood_leaves_the_victim_some_replies() {
        let mut settings = NtpServerSettings::default();
        settings.rate_limit = Some(RateLimit {
            interval: Duration::from_secs(8),
            burst: 8,
        });
        let mut server = NtpServer::new(&settings, -20, 1);
        let clock = Fixed(Time::from_secs_nanos(1_800_000_000, 0));
        let state = ServerClock::UNSYNCHRONIZED;
        let (_, req) = Request::new(1);
        let mut out = [0u8; 2048];
        let from = "192.0.2.1:123".parse().unwrap();
        for _ in 0..10_000 {
            server.handle(&clock, &state, &req, None, from, &mut out);
        }
        let c = server.counters;
        let answered = c.received - c.rate_limited;
        // 8 + 9,992/4 = 2,506 expected; the bounds are 11 standard
        // deviations away.
        assert!((2_000..=3_000).contains(&answered), "{c:?}");
    }
}
