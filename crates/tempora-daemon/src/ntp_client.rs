//! The daemon's NTP client: one timestamped socket per source, the sans-IO
//! sources of `tempora_ntp::client` behind them, and the system process's
//! selection over them and the PTP ports (RFC 5905 §11, with chrony's
//! per-source options; docs/sources.md). Each new sample of the system
//! peer, of whatever kind, goes to the servo once (§10: a sample is used
//! once).

use std::io;
use std::net::SocketAddr;

use tempora_clock::Time;
use tempora_config::{NtpSourceKind, NtpSourceSettings};
use tempora_linux::udp_client::UdpClient;
use tempora_ntp::client::source::{PollConfig, ReplyOutcome, Source, SourceState};
use tempora_ntp::client::source_update;
use tempora_system::process::FALSETICKER_SAMPLES;
use tempora_system::{
    Measurement, RawSample, SourceId, SourceKind, SourceOptions, SystemConfig, SystemProcess,
};

use tempora_ntp::symmetric::client::{KeyedReply, KeyedSource};

use crate::dns::{POOL_MEMBERS, Resolver, resolve};
use crate::ntp_client_v5::{V5Outcome, V5Source, mark_loop};
use crate::ntp_keys::KeyTable;
use crate::ntp_loop::LoopGuard;
use crate::ntp_nts::{Checked, KeWorker, NtsSource, nts_now};
use crate::runtime::{DisciplinedClock, NtpUse, PortIo, Runtime};
use crate::sources::{PtpSource, ntp_options, source_status};
use crate::status::{KeyStatus, NtpSourceStatus, NtsStatus, SourceStatus};
use tempora_ntp::v5::RefId120;
use tempora_nts::client::KeOptions;

/// Whether source `origin` may poll: always without NTS, with keys and a
/// cookie with it.
fn nts_ready(nts: &[Option<NtsSource>], origin: usize) -> bool {
    nts.get(origin)
        .and_then(Option::as_ref)
        .is_none_or(|n| n.client.ready())
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
    /// Its handle in the system process.
    id: SourceId,
    /// Its symmetric key (RFC 8573), with `key`.
    keyed: Option<KeyedSource>,
    /// Its NTPv5 state, with `version` 5 or `auto`.
    v5: Option<V5Source>,
}

/// Polls after which a source that never answered is given up (as the
/// reachability register empties after eight).
const UNREACHABLE_POLLS: u64 = 8;

/// How long a dropped pool address is not taken again.
const DROPPED_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// How often a pool short of members is resolved again.
const RESOLVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// The client.
pub struct NtpClient {
    sources: Vec<ClientSource>,
    /// Selection, start-up and what the servo gets (sans-IO).
    system: SystemProcess,
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
    /// The `[ntp-client] key-file`'s keys.
    keys: KeyTable,
    /// The PTP ports, each a source of the system process.
    ptp: Vec<PtpSource>,
    /// Our NTPv5 reference id, and the filter our server serves.
    guard: LoopGuard,
    /// TAI − UTC, for NTPv5 replies in TAI.
    tai_minus_utc: Option<i16>,
    /// The reference clocks' sources and codes (`GPS`, `PPS`, `PHC`), for
    /// the served Bloom filter.
    reference_codes: Vec<(SourceId, [u8; 4])>,
    /// Per `[[ntp-source]]`: removed by `tempora ctl remove-source` (its
    /// pool is not topped up, its NTS keys not asked for again).
    retired: Vec<bool>,
    /// `[ntp-client] nts-ca-file`, for NTS sources added at runtime.
    nts_ca_file: Option<std::path::PathBuf>,
}

/// Sockets the timing loop must start or stop polling.
#[derive(Debug, Default)]
pub struct FdChanges {
    /// New sockets.
    pub added: Vec<std::os::fd::RawFd>,
    /// Closed sockets.
    pub removed: Vec<std::os::fd::RawFd>,
}

impl NtpClient {
    /// Opens a socket per source address, polling from `now`. A name that
    /// does not resolve is logged and left out. `keys` holds the key of
    /// every source with `key` (an error otherwise).
    pub fn new(
        settings: &[NtpSourceSettings],
        system: SystemConfig,
        nts_ca_file: Option<std::path::PathBuf>,
        keys: KeyTable,
        now: Time,
        frequency_ppb: f64,
    ) -> io::Result<Self> {
        if let Some(s) = settings
            .iter()
            .find(|s| s.key.is_some_and(|id| keys.get(id).is_none()))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "[[ntp-source]] {}: key {} is not in the [ntp-client] key-file",
                    s.address,
                    s.key.unwrap_or_default()
                ),
            ));
        }
        if system.minimum_agreeing <= 1 && settings.len() > 1 {
            tracing::info!(
                "minimum-agreeing-sources = 1: after the start-up (while a majority of the sources must agree) one source alone may set the time"
            );
        }
        let mut client = NtpClient {
            sources: Vec::new(),
            system: SystemProcess::new(system, now, frequency_ppb),
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
                        NtsSource::for_version(host, port, s.version)
                    })
                })
                .collect(),
            keys,
            ptp: Vec::new(),
            guard: LoopGuard::random(),
            tai_minus_utc: None,
            reference_codes: Vec::new(),
            retired: vec![false; settings.len()],
            nts_ca_file: nts_ca_file.clone(),
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
        let keyed = s.key.and_then(|id| self.keys.get(id)).map(KeyedSource::new);
        match &keyed {
            Some(k) => tracing::info!(source = %s.address, %addr, key = k.key_id(), "NTP source"),
            None => tracing::info!(source = %s.address, %addr, "NTP source"),
        }
        self.sources.push(ClientSource {
            name: s.address.clone(),
            addr,
            socket,
            source: Source::new(config, now),
            origin,
            polls: 0,
            id: self.system.add_source_with(SourceKind::Ntp, ntp_options(s)),
            keyed,
            v5: V5Source::new(s),
        });
        Ok(fd)
    }

    /// Uses `guard` (shared with the NTP server) for NTPv5: our reference
    /// id, tested against the sources' filters, and the filter served.
    pub fn with_loop_guard(mut self, guard: LoopGuard) -> Self {
        self.guard = guard;
        self
    }

    /// Reference clock `id` stands for `code` (`GPS`, `PPS`, `PHC`): while
    /// it is in use, the served Bloom filter holds the draft's ID of that
    /// code ([`RefId120::from_refclock`]).
    pub fn add_reference_code(&mut self, id: SourceId, code: [u8; 4]) {
        self.reference_codes.push((id, code));
    }

    /// TAI − UTC as known now, for NTPv5 replies in TAI.
    pub fn set_tai_minus_utc(&mut self, tai_minus_utc: Option<i16>) {
        self.tai_minus_utc = tai_minus_utc;
    }

    /// Makes each PTP port a source of the system process, with its
    /// options (in port order: `ports[i]` is engine port `i`); the runtime
    /// then hands their measurements here instead of to the servo.
    pub fn add_ptp_ports<P: PortIo, C: DisciplinedClock>(
        &mut self,
        ports: &[(String, SourceOptions)],
        runtime: &mut Runtime<P, C>,
    ) {
        for (port, (name, options)) in ports.iter().enumerate() {
            let id = self.system.add_source_with(SourceKind::Ptp, *options);
            tracing::info!(source = %name, ?options, "PTP port as a source");
            self.ptp.push(PtpSource {
                port,
                name: name.clone(),
                id,
            });
        }
        runtime.route_ptp_to_system();
    }

    /// The PTP ports' measurements since the last call go to the system
    /// process, and what it asks is carried out at once (the servo gets a
    /// selected port's samples as promptly as it got them directly). A
    /// port that left SLAVE is no source until it measures again.
    pub fn take_ptp<P: PortIo, C: DisciplinedClock>(
        &mut self,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        let (samples, left) = runtime.take_ptp_samples();
        for port in left {
            if let Some(p) = self.ptp.iter().find(|p| p.port == port) {
                self.system.handle_source_reset(p.id);
            }
        }
        for m in samples {
            let Some(id) = self.ptp.iter().find(|p| p.port == m.port).map(|p| p.id) else {
                continue;
            };
            self.follow_steps(runtime);
            let now = runtime.clock.ntp_time(None);
            let sample = RawSample {
                measurement: Measurement {
                    at: m.at,
                    offset: m.offset,
                    delay: m.delay,
                },
                root: tempora_clock::Duration::ZERO,
                interval: m.interval,
                own_delay: m.own_delay,
            };
            self.system.handle_sample(now, id, sample);
            self.act(runtime)?;
        }
        Ok(())
    }

    /// The clock was stepped (by NTP or by PTP; `now` is the new time):
    /// every sample and poll time of before is void; poll again now.
    pub fn clock_stepped(&mut self, now: Time) {
        for s in &mut self.sources {
            s.source.clock_stepped(now);
            self.system.handle_source_reset(s.id);
        }
    }

    /// Follows the corrections and steps the runtime made since the last
    /// call (the PTP servo's too): the system process keeps its samples in
    /// the oscillator's frame.
    pub fn follow_steps<P: PortIo, C: DisciplinedClock>(&mut self, runtime: &mut Runtime<P, C>) {
        for (at, c) in runtime.take_corrections() {
            self.system.handle_correction(at, c);
        }
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
        self.update_served_filter();
        let Some(resolver) = &self.resolver else {
            return changes;
        };
        // New addresses from the resolver.
        let mut fresh = Vec::new();
        let answers = resolver.answers();
        for (origin, answer) in answers {
            if self.retired.get(origin).copied().unwrap_or(true) {
                continue;
            }
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
                || self.system.report(s.id).falseticker_run >= FALSETICKER_SAMPLES;
            if pool && bad {
                tracing::info!(pool = %s.name, addr = %s.addr, "pool member dropped");
                changes.removed.push(s.socket.fd());
                self.dropped.push((s.addr, std::time::Instant::now()));
                self.system.remove_source(s.id);
                self.sources.remove(i);
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
            if settings.kind != NtpSourceKind::Pool || self.retired.get(origin) != Some(&false) {
                continue;
            }
            let members = self.sources.iter().filter(|s| s.origin == origin).count();
            let due = self.last_resolve[origin].is_none_or(|t| t.elapsed() >= RESOLVE_INTERVAL);
            if members < POOL_MEMBERS && due {
                self.last_resolve[origin] = Some(std::time::Instant::now());
                if let Some(r) = &self.resolver {
                    r.request(origin, settings);
                }
            }
        }
        changes
    }

    /// The Bloom filter our server serves: the filters of the NTPv5
    /// sources in use, for the NTPv4 ones the ID of their address, and for
    /// the reference clocks in use the ID of their code.
    fn update_served_filter(&self) {
        let used: Vec<&ClientSource> = self
            .sources
            .iter()
            .filter(|s| self.system.report(s.id).selected && !self.system.is_timing_loop(s.id))
            .collect();
        let filters = used
            .iter()
            .filter_map(|s| s.v5.as_ref().and_then(V5Source::remote_filter));
        let v4 = used
            .iter()
            .filter(|s| s.v5.as_ref().is_none_or(|v| v.version() == 4))
            .map(|s| RefId120::from_address(s.addr.ip()));
        let clocks = self
            .reference_codes
            .iter()
            .filter(|(id, _)| self.system.report(*id).selected)
            .map(|(_, code)| RefId120::from_refclock(*code));
        self.guard.update(filters, v4.chain(clocks));
    }

    /// Key establishment: answers taken in (a new NTS source gets its
    /// socket), and asked for where a source has no keys or cookies.
    fn maintain_nts(&mut self, now: Time, changes: &mut FdChanges) {
        let Some(ke) = &self.ke else {
            return;
        };
        let nts_time = nts_now();
        let mut new_sources = Vec::new();
        let mut agreed = Vec::new();
        for (origin, answer) in ke.answers() {
            let Some(Some(n)) = self.nts.get_mut(origin) else {
                continue;
            };
            match answer {
                Ok((a, addr)) if !n.associate(nts_time, &a) => {
                    tracing::warn!(server = %n.host, ntp = %addr, "NTS key establishment: no usable cookie");
                }
                Ok((a, addr)) => {
                    tracing::info!(server = %n.host, ntp = %addr, cookies = n.client.cookies(), group = %a.kx_group, protocol = ?a.protocol, "NTS key establishment");
                    agreed.push((origin, a.protocol));
                    if !self.sources.iter().any(|s| s.origin == origin) {
                        new_sources.push((origin, addr));
                    }
                }
                Err(e) => {
                    n.client.failed(nts_time);
                    tracing::warn!(server = %n.host, error = %e, "NTS key establishment failed");
                }
            }
        }
        for (origin, n) in self.nts.iter_mut().enumerate() {
            if let Some(n) = n.as_mut()
                && n.client.start_key_exchange(nts_time)
            {
                ke.request(origin, &n.host, n.port, &n.protocols);
            }
        }
        for (origin, addr) in new_sources {
            match self.add(origin, addr, now) {
                Ok(fd) => changes.added.push(fd),
                Err(e) => tracing::warn!(%addr, error = %e, "cannot open NTP socket"),
            }
        }
        // The version is the one NTS-KE agreed (its keys are for it).
        for (origin, protocol) in agreed {
            let pinned = self.sources.iter_mut().filter(|s| s.origin == origin);
            for v5 in pinned.filter_map(|s| s.v5.as_mut()) {
                v5.pin_nts(protocol);
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
            .chain(self.system.poll_timeout())
            .min()
    }

    /// The system process's timeout, when due.
    pub fn handle_timeout<P: PortIo, C: DisciplinedClock>(
        &mut self,
        now: Time,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        if self.system.poll_timeout().is_some_and(|t| t <= now) {
            self.system.handle_timeout(now);
            self.act(runtime)?;
        }
        Ok(())
    }

    /// Sends the requests that are due.
    pub fn poll_due(&mut self, now: Time) {
        for s in &mut self.sources {
            let mut nts = self.nts.get_mut(s.origin).and_then(Option::as_mut);
            if nts.as_ref().is_some_and(|n| !n.client.ready()) {
                continue;
            }
            if let Some(header) = s.source.poll_now(now, rand::random()) {
                s.polls += 1;
                let mut protected = [0u8; 2048];
                let len = match (nts.as_mut(), &s.keyed) {
                    (Some(n), _) => match s.v5.as_mut() {
                        Some(v5) => {
                            v5.nts_request(&mut n.client, &header, rand::random(), &mut protected)
                        }
                        None => n.protect(&header, &mut protected),
                    },
                    (None, Some(k)) => k.protect(&header, &mut protected),
                    (None, None) => None,
                };
                let len = match (len, s.v5.as_mut()) {
                    (None, Some(v5)) => v5.request(&header, rand::random(), &mut protected),
                    (len, _) => len,
                };
                let bytes: &[u8] = match len {
                    Some(len) => protected.get(..len).unwrap_or_default(),
                    None if nts.is_none() && s.keyed.is_none() => &header,
                    None => continue,
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
        let mut len = d.len;
        if let Some(Some(n)) = self.nts.get_mut(s.origin) {
            let (checked, read) = crate::ntp_nts::check(n, buf.get(..d.len).unwrap_or_default());
            match checked {
                Checked::Authentic => len = read,
                Checked::Rejected => {
                    tracing::debug!(source = %s.addr, rejected = n.client.counters().rejected, "NTS: reply not authentic; dropped");
                    return Ok(());
                }
                Checked::Nak => {
                    tracing::warn!(source = %s.addr, "NTS NAK: key establishment again");
                    return Ok(());
                }
            }
        }
        if let Some(k) = &mut s.keyed {
            match k.check(buf.get(..d.len).unwrap_or_default()) {
                KeyedReply::Authentic => {}
                KeyedReply::Rejected(e) => {
                    tracing::debug!(source = %s.addr, error = %e, rejected = k.counters().rejected, "reply without a valid MAC of key {}; dropped", k.key_id());
                    return Ok(());
                }
                KeyedReply::CryptoNak => {
                    tracing::warn!(source = %s.addr, key = k.key_id(), "crypto-NAK: the server refused our MAC (does it have our key?)");
                    return Ok(());
                }
            }
        }
        let t4 = runtime.clock.ntp_time(d.rx);
        let data = buf.get(..len).unwrap_or_default();
        let v5 =
            s.v5.as_mut()
                .map(|v| v.reply(data, s.source.outstanding_since(), t4, self.tai_minus_utc));
        let outcome = match v5 {
            Some(V5Outcome::V5(result)) => s.source.handle_completed(result, t4),
            _ => s.source.handle_reply(data, t4),
        };
        if let (Some(v), Some(o)) = (s.v5.as_mut(), v5) {
            v.accepted(&o, &outcome);
            let looped = v.is_loop(&self.guard.own(), rand::random());
            mark_loop(&mut self.system, s.id, &s.addr, looped);
        }
        match outcome {
            ReplyOutcome::Sample(sample) => {
                tracing::trace!(source = %s.addr, offset_ns = sample.offset.as_nanos_f64(), delay_ns = sample.delay.as_nanos_f64(), "NTP sample");
                if let Some(f) = s.source.filtered() {
                    let (id, update) = (s.id, source_update(&sample, &f, s.source.poll()));
                    self.follow_steps(runtime);
                    self.system.handle_update(t4, id, update);
                    self.act(runtime)?;
                }
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

    /// Carries out what the system process asks: the start-up step, a
    /// settling frequency, the hand-over, or a sample of the selected
    /// source (NTP server or PTP port) for the servo.
    fn act<P: PortIo, C: DisciplinedClock>(
        &mut self,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        // The fit is worked out only for the log (it allocates).
        if tracing::enabled!(tracing::Level::DEBUG) {
            if let Some((offset, slope, sigma)) = self.system.fit_now(runtime.clock.ntp_time(None))
            {
                tracing::debug!(
                    offset_ns = offset.as_nanos_f64(),
                    drift_ppb = slope,
                    sigma_ppb = sigma,
                    stage = ?self.system.stage(),
                    "NTP sources' fit"
                );
            }
        }
        while let Some(action) = self.system.poll_action() {
            let used = runtime.ntp_action(&action)?;
            for (at, c) in runtime.take_corrections() {
                self.system.handle_correction(at, c);
            }
            if used == NtpUse::Stepped {
                let now = runtime.clock.ntp_time(None);
                self.clock_stepped(now);
                self.seen_steps = runtime.steps();
            }
        }
        Ok(())
    }

    // Sources of other kinds (CSPTP, `crate::csptp_client`) share this
    // system process: they are added, updated and reset through these.

    /// Adds a source of another kind to the selection.
    pub fn add_source(&mut self, kind: SourceKind, options: SourceOptions) -> SourceId {
        self.system.add_source_with(kind, options)
    }

    /// A source of another kind forgot its samples (a clock step).
    pub fn handle_source_reset(&mut self, id: SourceId) {
        self.system.handle_source_reset(id);
    }

    /// A new update of a source of another kind, measured at `at`: through
    /// the selection, and what the system process asks carried out.
    pub fn handle_source_update<P: PortIo, C: DisciplinedClock>(
        &mut self,
        at: Time,
        id: SourceId,
        update: tempora_system::SourceUpdate,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        self.follow_steps(runtime);
        self.system.handle_update(at, id, update);
        self.act(runtime)
    }

    /// A raw sample of a source of another kind without its own clock
    /// filter (a reference clock's poll): through the selection, and what
    /// the system process asks carried out.
    pub fn handle_source_sample<P: PortIo, C: DisciplinedClock>(
        &mut self,
        id: SourceId,
        sample: RawSample,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        self.follow_steps(runtime);
        let now = runtime.clock.ntp_time(None);
        self.system.handle_sample(now, id, sample);
        self.act(runtime)
    }

    /// The system peer's last offset (source − us), if there is one.
    pub fn system_peer_offset(&self) -> Option<tempora_clock::Duration> {
        let peer = self.system.system_peer()?;
        self.system.last_measurement(peer).map(|m| m.offset)
    }

    /// What the selection made of source `id`.
    pub fn report(&self, id: SourceId) -> tempora_system::SourceReport {
        self.system.report(id)
    }

    /// The system process (for what is served from a reference clock,
    /// `crate::served`).
    pub fn system(&self) -> &SystemProcess {
        &self.system
    }

    /// The stratum of the system peer, when it is one of the NTP sources.
    pub fn system_peer_stratum(&self) -> Option<u8> {
        self.sources
            .iter()
            .find(|s| self.system.report(s.id).system_peer)
            .and_then(|s| s.source.last.map(|l| l.stratum))
    }

    /// The system peer, when it is one of the NTP sources, as its last
    /// sample says (what the NTP server announces while following it).
    pub fn system_peer_upstream(&self) -> Option<tempora_ntp::server::NtpUpstream> {
        let s = self
            .sources
            .iter()
            .find(|s| self.system.report(s.id).system_peer)?;
        let last = s.source.last?;
        Some(tempora_ntp::server::NtpUpstream {
            stratum: last.stratum,
            reference_id: tempora_ntp::wire::ReferenceId::of_upstream(s.addr.ip()),
            leap: last.leap,
            root_delay: last.root_delay + last.delay,
            root_dispersion: last.root_dispersion + last.offset.abs(),
            at: last.t4,
        })
    }

    /// Every source of the system process, PTP ports first, then the NTP
    /// sources and `others` (sources of other kinds, by name), for the
    /// status; and the system peer's name.
    pub fn sources(&self, others: Vec<(String, SourceId)>) -> (Vec<SourceStatus>, Option<String>) {
        let ptp = self
            .ptp
            .iter()
            .map(|p| (format!("ptp:port{}", p.port + 1), p.id));
        let ntp = self
            .sources
            .iter()
            .map(|s| (format!("ntp:{}", s.addr), s.id));
        let all: Vec<_> = ptp
            .chain(ntp)
            .chain(others)
            .map(|(name, id)| source_status(&self.system, name, id))
            .collect();
        let peer = all
            .iter()
            .find(|s| s.selection == "selected")
            .map(|s| s.name.clone());
        (all, peer)
    }

    /// The sources for the status.
    pub fn status(&self) -> Vec<NtpSourceStatus> {
        self.sources
            .iter()
            .map(|s| {
                let f = s.source.filtered();
                let report = self.system.report(s.id);
                NtpSourceStatus {
                    name: s.name.clone(),
                    address: s.addr.to_string(),
                    state: s.source.state().into(),
                    reach: s.source.reach(),
                    poll: s.source.poll(),
                    offset_ns: f.map(|f| f.best.offset.as_nanos_f64()),
                    delay_ns: f.map(|f| f.best.delay.as_nanos_f64()),
                    jitter_ns: f.map(|f| f.jitter.as_nanos_f64()),
                    stratum: s.source.last.map(|l| l.stratum),
                    selected: report.selected,
                    system_peer: report.system_peer,
                    selection: report.state.name().into(),
                    interleaved_samples: s.source.interleaved_samples,
                    nts: self
                        .nts
                        .get(s.origin)
                        .and_then(Option::as_ref)
                        .map(|n| NtsStatus {
                            cookies: n.client.cookies(),
                            key_exchanges: n.client.counters().key_exchanges,
                            rejected: n.client.counters().rejected,
                            naks: n.client.counters().naks,
                        }),
                    key: s.keyed.as_ref().map(|k| {
                        let c = k.counters();
                        KeyStatus {
                            id: k.key_id(),
                            authentic: c.authentic,
                            rejected: c.rejected,
                            crypto_naks: c.crypto_naks,
                        }
                    }),
                    ntp_version: s.v5.as_ref().map_or(4, V5Source::version),
                    version_setting: self
                        .settings
                        .get(s.origin)
                        .map(|c| c.version.to_string())
                        .unwrap_or_default(),
                    draft: s
                        .v5
                        .as_ref()
                        .filter(|v| v.version() == 5)
                        .map(|v| v.draft().id().to_string()),
                    timing_loop: self.system.is_timing_loop(s.id),
                }
            })
            .collect()
    }
}

pub mod control;

#[cfg(test)]
mod tests;
