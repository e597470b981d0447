//! The daemon's NTP client: one timestamped socket per source, the sans-IO
//! sources of `tempora_ntp::client` behind them, and selection over all of
//! them (RFC 5905 §11). Each new sample of the system peer goes to the
//! servo once (§10: a sample is used once),
//! unless a PTP port is SLAVE: PTP is preferred while it is healthy, and
//! NTP takes over when it is not.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};
use tempora_clock::{Duration, Time};
use tempora_config::{NtpSourceKind, NtpSourceSettings};
use tempora_linux::udp_client::UdpClient;
use tempora_ntp::client::candidate;
use tempora_ntp::client::select::{self, Candidate, MAX_CANDIDATES};
use tempora_ntp::client::source::{PollConfig, ReplyOutcome, Source, SourceState};

use crate::ntp_nts::{Checked, KeWorker, NtsSource};
use crate::runtime::{DisciplinedClock, NtpUse, PortIo, Runtime};
use tempora_nts::client::KeOptions;

/// Whether source `origin` may poll: always without NTS, with keys and a
/// cookie with it.
fn nts_ready(nts: &[Option<NtsSource>], origin: usize) -> bool {
    nts.get(origin)
        .and_then(Option::as_ref)
        .is_none_or(NtsSource::ready)
}

/// The NTP port.
const NTP_PORT: u16 = 123;

/// Addresses a pool keeps in use (RFC 5905 does not say; chrony's
/// `maxsources` default is 4).
const POOL_MEMBERS: usize = 4;

/// One source as `tempora status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NtpSourceStatus {
    /// The configured name.
    pub name: String,
    /// The address polled.
    pub address: String,
    /// `active` or `demobilized`.
    pub state: String,
    /// Reachability register (377 octal: the last eight answered).
    pub reach: u8,
    /// Poll interval, log2 s.
    pub poll: i8,
    /// Filtered offset (server − us), ns.
    pub offset_ns: Option<f64>,
    /// Filtered delay, ns.
    pub delay_ns: Option<f64>,
    /// Jitter, ns.
    pub jitter_ns: Option<f64>,
    /// The server's stratum in its last reply.
    pub stratum: Option<u8>,
    /// Survived the last selection.
    pub selected: bool,
    /// The system peer.
    pub system_peer: bool,
    /// Samples from interleaved replies (RFC 9769).
    #[serde(default)]
    pub interleaved_samples: u64,
    /// NTS, for a source with `nts = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nts: Option<NtsStatus>,
}

/// The NTS state of a source, as `tempora status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtsStatus {
    /// Cookies in the stash.
    pub cookies: usize,
    /// Key establishments completed.
    pub key_exchanges: u64,
    /// Replies refused (tampered, forged, replayed or unprotected).
    pub rejected: u64,
    /// NTS NAKs received.
    pub naks: u64,
}

struct ClientSource {
    name: String,
    addr: SocketAddr,
    socket: UdpClient,
    source: Source,
    /// The `[[ntp-source]]` it comes from.
    origin: usize,
    /// Requests sent.
    polls: u64,
    /// Its own samples in a row found a falseticker by the selection.
    false_samples: u32,
    /// The last sample counted in `false_samples` (its T4).
    judged: Time,
}

/// A pool member whose own last samples were all falsetickers, this many in
/// a row, is replaced (like a member that does not answer).
const FALSETICKER_SAMPLES: u32 = 8;

/// Polls after which a source that never answered is given up (as the
/// reachability register empties after eight).
const UNREACHABLE_POLLS: u64 = 8;

/// How long a dropped pool address is not taken again.
const DROPPED_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// How often a pool short of members is resolved again.
const RESOLVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Resolves names on its own thread (getaddrinfo blocks), so that the
/// timing loop never waits on DNS. Started only when a pool is configured.
struct Resolver {
    requests: mpsc::Sender<(usize, NtpSourceSettings)>,
    answers: mpsc::Receiver<(usize, io::Result<Vec<SocketAddr>>)>,
}

impl Resolver {
    fn start() -> io::Result<Resolver> {
        let (requests, rx) = mpsc::channel::<(usize, NtpSourceSettings)>();
        let (tx, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("tempora-resolver".into())
            .spawn(move || {
                for (origin, settings) in rx {
                    if tx.send((origin, resolve(&settings))).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Resolver { requests, answers })
    }
}

/// The client.
pub struct NtpClient {
    sources: Vec<ClientSource>,
    minimum_agreeing: usize,
    last_used: Time,
    survivors: Vec<bool>,
    system_peer: Option<usize>,
    settings: Vec<NtpSourceSettings>,
    resolver: Option<Resolver>,
    /// Per `[[ntp-source]]`: when it was last sent to the resolver.
    last_resolve: Vec<Option<std::time::Instant>>,
    /// Pool addresses dropped, not taken again for an hour.
    dropped: Vec<(SocketAddr, std::time::Instant)>,
    /// The runtime's step count last seen (PTP steps the clock too).
    seen_steps: u64,
    /// Key establishment, when a source has `nts = true`.
    ke: Option<KeWorker>,
    /// Per `[[ntp-source]]`: its NTS state, with `nts = true`.
    nts: Vec<Option<NtsSource>>,
}

/// Sockets the timing loop must start or stop polling.
#[derive(Debug, Default)]
pub struct FdChanges {
    /// New sockets.
    pub added: Vec<std::os::fd::RawFd>,
    /// Closed sockets.
    pub removed: Vec<std::os::fd::RawFd>,
}

/// The addresses of an NTP server named `HOST`, `HOST:PORT`, an IP address
/// or `[IPV6]:PORT` (port 123 by default), as the resolver gives them.
pub fn server_addresses(text: &str) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, NTP_PORT)]);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    let with_port = if text.rsplit_once(':').is_some() {
        text.to_string()
    } else {
        format!("{text}:{NTP_PORT}")
    };
    Ok(with_port.to_socket_addrs()?.collect())
}

/// The addresses of a source: a pool gives up to [`POOL_MEMBERS`]
/// addresses, a server its first.
fn resolve(s: &NtpSourceSettings) -> io::Result<Vec<SocketAddr>> {
    let addrs = server_addresses(&s.address)?;
    Ok(match s.kind {
        NtpSourceKind::Server => addrs.into_iter().take(1).collect(),
        NtpSourceKind::Pool => addrs.into_iter().take(POOL_MEMBERS).collect(),
    })
}

impl NtpClient {
    /// Opens a socket per source address, polling from `now`. A name that
    /// does not resolve is logged and left out.
    pub fn new(
        settings: &[NtpSourceSettings],
        minimum_agreeing: u8,
        nts_ca_file: Option<std::path::PathBuf>,
        now: Time,
    ) -> io::Result<Self> {
        let mut client = NtpClient {
            sources: Vec::new(),
            minimum_agreeing: usize::from(minimum_agreeing.max(1)),
            last_used: Time::EPOCH,
            survivors: Vec::new(),
            system_peer: None,
            settings: settings.to_vec(),
            resolver: None,
            last_resolve: vec![None; settings.len()],
            dropped: Vec::new(),
            seen_steps: 0,
            ke: None,
            nts: settings
                .iter()
                .map(|s| {
                    s.nts.then(|| {
                        let (host, port) =
                            tempora_nts::split_host_port(&s.address, tempora_nts::KE_PORT);
                        NtsSource::new(host, port)
                    })
                })
                .collect(),
        };
        if settings.iter().any(|s| s.nts) {
            client.ke = Some(KeWorker::start(KeOptions {
                ca_file: nts_ca_file,
                system_roots: true,
                timeout: std::time::Duration::from_secs(5),
            })?);
        }
        if settings.iter().any(|s| s.kind == NtpSourceKind::Pool) {
            client.resolver = Some(Resolver::start()?);
        }
        for (origin, s) in settings.iter().enumerate() {
            if s.nts {
                // Added when key establishment names the NTP server.
                continue;
            }
            match resolve(s) {
                Ok(addrs) if !addrs.is_empty() => {
                    for addr in addrs {
                        client.add(origin, addr, now)?;
                    }
                }
                Ok(_) | Err(_) => {
                    tracing::warn!(source = %s.address, "cannot resolve NTP source; left out");
                }
            }
        }
        Ok(client)
    }

    /// Adds a source for `addr` of `[[ntp-source]]` number `origin`.
    fn add(
        &mut self,
        origin: usize,
        addr: SocketAddr,
        now: Time,
    ) -> io::Result<std::os::fd::RawFd> {
        let s = &self.settings[origin];
        let socket = UdpClient::open_for(addr)?;
        let fd = socket.fd();
        let config = PollConfig {
            minpoll: s.minpoll,
            maxpoll: s.maxpoll,
            iburst: s.iburst,
            xleave: s.xleave,
        };
        tracing::info!(source = %s.address, %addr, "NTP source");
        self.sources.push(ClientSource {
            name: s.address.clone(),
            addr,
            socket,
            source: Source::new(config, now),
            origin,
            polls: 0,
            false_samples: 0,
            judged: Time::EPOCH,
        });
        self.survivors.push(false);
        Ok(fd)
    }

    /// The clock was stepped (by NTP or by PTP; `now` is the new time):
    /// every sample and poll time of before is void; poll again now.
    pub fn clock_stepped(&mut self, now: Time) {
        self.last_used = Time::EPOCH;
        for s in &mut self.sources {
            s.source.clock_stepped(now);
        }
    }

    /// Follows steps the runtime made since the last call (a PTP servo
    /// step while NTP waited).
    pub fn follow_steps<P: PortIo, C: DisciplinedClock>(&mut self, runtime: &Runtime<P, C>) {
        if runtime.steps() != self.seen_steps {
            self.seen_steps = runtime.steps();
            self.clock_stepped(runtime.clock.ntp_time(None));
        }
    }

    /// Pool upkeep: members that were demobilized or never answered eight
    /// polls are dropped, and a pool short of members is resolved again
    /// (at most once a minute, on the resolver thread) and topped up with
    /// addresses it does not use yet. Returns the sockets opened and
    /// closed.
    pub fn maintain(&mut self, now: Time) -> FdChanges {
        let mut changes = FdChanges::default();
        self.maintain_nts(now, &mut changes);
        let Some(resolver) = &self.resolver else {
            return changes;
        };
        // New addresses from the resolver.
        let mut fresh = Vec::new();
        let answers: Vec<_> = std::iter::from_fn(|| resolver.answers.try_recv().ok()).collect();
        for (origin, answer) in answers {
            match answer {
                Ok(addrs) => fresh.push((origin, addrs)),
                Err(e) => {
                    tracing::warn!(pool = %self.settings[origin].address, error = %e, "cannot resolve pool")
                }
            }
        }
        // Drop the bad members of pools.
        let mut i = 0;
        while i < self.sources.len() {
            let s = &self.sources[i];
            let pool = self.settings[s.origin].kind == NtpSourceKind::Pool;
            let bad = s.source.state() == SourceState::Demobilized
                || (s.polls >= UNREACHABLE_POLLS && s.source.reach() == 0)
                || s.false_samples >= FALSETICKER_SAMPLES;
            if pool && bad {
                tracing::info!(pool = %s.name, addr = %s.addr, "pool member dropped");
                changes.removed.push(s.socket.fd());
                self.dropped.push((s.addr, std::time::Instant::now()));
                self.sources.remove(i);
                self.survivors.remove(i);
                self.system_peer = None;
            } else {
                i += 1;
            }
        }
        self.dropped.retain(|(_, at)| at.elapsed() < DROPPED_FOR);
        for (origin, addrs) in fresh {
            for addr in addrs {
                let members = self.sources.iter().filter(|s| s.origin == origin).count();
                if members >= POOL_MEMBERS {
                    break;
                }
                if self.sources.iter().any(|s| s.addr == addr)
                    || self.dropped.iter().any(|(a, _)| *a == addr)
                {
                    continue;
                }
                match self.add(origin, addr, now) {
                    Ok(fd) => changes.added.push(fd),
                    Err(e) => tracing::warn!(%addr, error = %e, "cannot open NTP socket"),
                }
            }
        }
        // Ask again for pools short of members.
        for (origin, settings) in self.settings.iter().enumerate() {
            if settings.kind != NtpSourceKind::Pool {
                continue;
            }
            let members = self.sources.iter().filter(|s| s.origin == origin).count();
            let due = self.last_resolve[origin].is_none_or(|t| t.elapsed() >= RESOLVE_INTERVAL);
            if members < POOL_MEMBERS && due {
                self.last_resolve[origin] = Some(std::time::Instant::now());
                if let Some(r) = &self.resolver {
                    let _ = r.requests.send((origin, settings.clone()));
                }
            }
        }
        changes
    }

    /// Key establishment: answers taken in (a new NTS source gets its
    /// socket), and asked for where a source has no keys or cookies.
    fn maintain_nts(&mut self, now: Time, changes: &mut FdChanges) {
        let Some(ke) = &self.ke else {
            return;
        };
        let instant = std::time::Instant::now();
        let mut new_sources = Vec::new();
        for (origin, answer) in ke.answers() {
            let Some(Some(n)) = self.nts.get_mut(origin) else {
                continue;
            };
            match answer {
                Ok((a, addr)) => {
                    n.associate(&a);
                    tracing::info!(server = %n.host, ntp = %addr, cookies = n.cookies(), group = %a.kx_group, "NTS key establishment");
                    if !self.sources.iter().any(|s| s.origin == origin) {
                        new_sources.push((origin, addr));
                    }
                }
                Err(e) => {
                    n.failed(instant);
                    tracing::warn!(server = %n.host, error = %e, "NTS key establishment failed");
                }
            }
        }
        for (origin, n) in self.nts.iter_mut().enumerate() {
            if let Some(n) = n.as_mut().filter(|n| n.needs_key_exchange(instant)) {
                n.pending = true;
                ke.request(origin, &n.host, n.port);
            }
        }
        for (origin, addr) in new_sources {
            match self.add(origin, addr, now) {
                Ok(fd) => changes.added.push(fd),
                Err(e) => tracing::warn!(%addr, error = %e, "cannot open NTP socket"),
            }
        }
    }

    /// The sockets to poll.
    pub fn fds(&self) -> Vec<std::os::fd::RawFd> {
        self.sources.iter().map(|s| s.socket.fd()).collect()
    }

    /// When the next poll is due (on the disciplined clock).
    pub fn next_deadline(&self) -> Option<Time> {
        // An NTS source waiting for keys or cookies does not poll.
        self.sources
            .iter()
            .filter(|s| nts_ready(&self.nts, s.origin))
            .filter_map(|s| s.source.next_poll())
            .min()
    }

    /// Sends the requests that are due.
    pub fn poll_due(&mut self, now: Time) {
        for s in &mut self.sources {
            let mut nts = self.nts.get_mut(s.origin).and_then(Option::as_mut);
            if nts.as_ref().is_some_and(|n| !n.ready()) {
                continue;
            }
            if let Some(header) = s.source.poll_now(now, rand::random()) {
                s.polls += 1;
                let mut protected = [0u8; 2048];
                let bytes: &[u8] = match nts.as_mut() {
                    None => &header,
                    Some(n) => match n.protect(&header, &mut protected) {
                        Some(len) => protected.get(..len).unwrap_or_default(),
                        None => continue,
                    },
                };
                if let Err(e) = s.socket.send_to(bytes, s.addr) {
                    tracing::debug!(source = %s.addr, error = %e, "NTP send failed");
                }
            }
        }
    }

    /// Handles readiness of socket `fd`: a transmit timestamp, a reply.
    /// Times are the disciplined clock's, in UTC (NTP's timescale).
    pub fn service<P: PortIo, C: DisciplinedClock>(
        &mut self,
        fd: std::os::fd::RawFd,
        readable: bool,
        error_queue: bool,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        let Some(i) = self.sources.iter().position(|s| s.socket.fd() == fd) else {
            return Ok(());
        };
        if error_queue {
            let s = &mut self.sources[i];
            if let Ok(Some(tx)) = s.socket.recv_tx_timestamp() {
                s.source.sent_at(runtime.clock.ntp_time(Some(tx.time)));
            }
        }
        if !readable {
            return Ok(());
        }
        // NTS replies carry cookies: up to about 1.3 kB.
        let mut buf = [0u8; 4096];
        let s = &mut self.sources[i];
        let Some(d) = s.socket.recv(&mut buf)? else {
            return Ok(());
        };
        if d.source != Some(s.addr) || d.truncated {
            return Ok(());
        }
        if let Some(Some(n)) = self.nts.get_mut(s.origin) {
            match n.check(buf.get(..d.len).unwrap_or_default()) {
                Checked::Authentic => {}
                Checked::Rejected => {
                    tracing::debug!(source = %s.addr, rejected = n.rejected, "NTS: reply not authentic; dropped");
                    return Ok(());
                }
                Checked::Nak => {
                    tracing::warn!(source = %s.addr, "NTS NAK: key establishment again");
                    return Ok(());
                }
            }
        }
        let t4 = runtime.clock.ntp_time(d.rx);
        match s
            .source
            .handle_reply(buf.get(..d.len).unwrap_or_default(), t4)
        {
            ReplyOutcome::Sample(sample) => {
                tracing::trace!(source = %s.addr, offset_ns = sample.offset.as_nanos_f64(), "NTP sample");
                self.update(runtime, t4)?;
            }
            ReplyOutcome::SlowedDown => {
                tracing::warn!(source = %s.addr, poll = s.source.poll(), "RATE kiss: polling less often");
            }
            ReplyOutcome::Demobilized => {
                tracing::warn!(source = %s.addr, "DENY/RSTR kiss: source demobilized");
            }
            ReplyOutcome::Rejected(e) => {
                tracing::debug!(source = %s.addr, error = %e, "NTP reply rejected");
            }
        }
        Ok(())
    }

    /// Selection over every source; the servo gets the combined offset
    /// when the system peer has a sample newer than the last one used.
    fn update<P: PortIo, C: DisciplinedClock>(
        &mut self,
        runtime: &mut Runtime<P, C>,
        now: Time,
    ) -> io::Result<()> {
        let mut cands = [Candidate {
            offset: Duration::ZERO,
            root_distance: Duration::ZERO,
            jitter: Duration::ZERO,
        }; MAX_CANDIDATES];
        let mut index = [0usize; MAX_CANDIDATES];
        let mut n = 0;
        for (i, s) in self.sources.iter().enumerate() {
            if n == MAX_CANDIDATES {
                break;
            }
            if let Some(f) = s.source.filtered() {
                cands[n] = candidate(&f, now);
                index[n] = i;
                n += 1;
            }
        }
        self.survivors.iter_mut().for_each(|v| *v = false);
        let selection = match select::select(&cands[..n], self.minimum_agreeing) {
            Ok(sel) => sel,
            Err(e) => {
                self.system_peer = None;
                tracing::debug!(?e, candidates = n, "no NTP selection");
                return Ok(());
            }
        };
        for (k, i) in index.iter().take(n).enumerate() {
            let survivor = selection.survivors[k];
            if survivor {
                if let Some(v) = self.survivors.get_mut(*i) {
                    *v = true;
                }
            }
            // Each new sample of a source is judged once: a falseticker's
            // interval misses the intersection (RFC 5905 §11.2.1); one
            // only clustered out is not counted.
            let c = &cands[k];
            let lambda = c.root_distance.max(Duration::ZERO);
            let falseticker =
                c.offset + lambda < selection.low || c.offset - lambda > selection.high;
            if let Some(s) = self.sources.get_mut(*i) {
                if let Some(last) = s.source.last.filter(|l| l.t4 > s.judged) {
                    s.judged = last.t4;
                    s.false_samples = if falseticker { s.false_samples + 1 } else { 0 };
                }
            }
        }
        let peer = index[selection.system_peer];
        self.system_peer = Some(peer);
        // The servo gets each new sample of the system peer as it comes:
        // a sample is only valid for the clock as it was when it was taken,
        // so an older minimum-delay sample picked by the filter would be
        // stale after a correction; the servo weights samples by their
        // delay itself (the Kalman filter's delay-weighted noise).
        let Some(last) = self.sources[peer].source.last else {
            return Ok(());
        };
        if last.t4 <= self.last_used {
            return Ok(());
        }
        self.last_used = last.t4;
        // A sample delayed far beyond the source's best (queueing) is kept
        // out of the servo: with a PI servo its error would go straight
        // into the clock. It still counts in the filter.
        if let Some(f) = self.sources[peer].source.filtered() {
            let limit = f.best.delay * 3 + Duration::from_millis(1);
            if f.count >= 4 && last.delay > limit {
                tracing::debug!(
                    delay_ns = last.delay.as_nanos_f64(),
                    "NTP sample delayed; not used"
                );
                return Ok(());
            }
        }
        // θ is the server's time minus ours; the servo wants ours minus it.
        match runtime.ntp_sample(-last.offset, last.delay, last.t4)? {
            NtpUse::Stepped => {
                let now = runtime.clock.ntp_time(None);
                self.clock_stepped(now);
                self.seen_steps = runtime.steps();
            }
            NtpUse::Used | NtpUse::PtpPreferred => {}
        }
        Ok(())
    }

    /// The sources for the status.
    pub fn status(&self) -> Vec<NtpSourceStatus> {
        self.sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let f = s.source.filtered();
                NtpSourceStatus {
                    name: s.name.clone(),
                    address: s.addr.to_string(),
                    state: match s.source.state() {
                        SourceState::Active => "active".into(),
                        SourceState::Demobilized => "demobilized".into(),
                    },
                    reach: s.source.reach(),
                    poll: s.source.poll(),
                    offset_ns: f.map(|f| f.best.offset.as_nanos_f64()),
                    delay_ns: f.map(|f| f.best.delay.as_nanos_f64()),
                    jitter_ns: f.map(|f| f.jitter.as_nanos_f64()),
                    stratum: s.source.last.map(|l| l.stratum),
                    selected: self.survivors.get(i).copied().unwrap_or(false),
                    system_peer: self.system_peer == Some(i),
                    interleaved_samples: s.source.interleaved_samples,
                    nts: self
                        .nts
                        .get(s.origin)
                        .and_then(Option::as_ref)
                        .map(|n| NtsStatus {
                            cookies: n.cookies(),
                            key_exchanges: n.key_exchanges,
                            rejected: n.rejected,
                            naks: n.naks,
                        }),
                }
            })
            .collect()
    }
}
