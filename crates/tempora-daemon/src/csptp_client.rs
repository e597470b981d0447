//! The daemon's CSPTP sources (`[[csptp-source]]`): the sans-IO client of
//! each server ([`CsptpClient`]: requests on its poll schedule, the Sync
//! response and Follow_Up matched in either order) behind timestamped
//! sockets, its samples through the source's clock filter
//! ([`CsptpFilter`], RFC 5905 §10) into the same system process as the NTP
//! sources (`SourceKind::Csptp`), which selects over all of them.
//!
//! Sockets: a server answers to the request's source address and sends
//! the Follow_Up to the next port (ntpd-rs: from and to ports 319 and
//! 320), so the sources that share a local port, address family,
//! interface and timestamping share one socket pair and are told apart by
//! the server's address; a datagram from any other address is dropped and
//! counted (`unknown_server`).
//!
//! Times: t1 and t4 are the disciplined clock's in UTC (a software
//! timestamp through the clock, a hardware one from the PHC on the PTP
//! timescale less the UTC offset), the frame the system process works in;
//! the core converts a server's PTP-timescale t2/t3 to UTC. The poll
//! schedule runs on the monotonic clock, so a step of the disciplined
//! clock neither stops nor floods it; the exchange in flight across a step
//! is void.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::RawFd;

use tempora_clock::{Duration, Time};
use tempora_config::{CsptpSourceSettings, split_csptp_address};
use tempora_linux::csptp::{CsptpBind, CsptpSockets};
use tempora_linux::timestamping::{TimestampingMode, TxId};
use tempora_ptp::csptp::message::MAX_LEN;
use tempora_ptp::csptp::{
    ClientOutcome, CsptpClient, CsptpClientConfig, CsptpFilter, CsptpMessage, CsptpSample,
};
use tempora_ptp::wire::tlv::CsptpStatusTlv;
use tempora_system::{Estimate, SourceId, SourceKind};

use crate::csptp_dataset::Upstream;
use crate::csptp_status::{CsptpClientCounters, CsptpDataSet, CsptpSourceStatus, drops_of};
use crate::ntp_client::NtpClient;
use crate::runtime::{DisciplinedClock, PortIo, Runtime};

/// One `[[csptp-source]]` server.
struct Source {
    name: String,
    addr: SocketAddr,
    socket: usize,
    poll: i8,
    client: CsptpClient,
    filter: CsptpFilter,
    id: SourceId,
    /// The request in flight: its transmit-timestamp id and sequenceId.
    in_flight: Option<(TxId, u16)>,
    /// The sequenceId of an exchange begun before a clock step.
    void_sequence: Option<u16>,
    reach: u8,
    last: Option<CsptpSample>,
    last_status: Option<CsptpStatusTlv>,
    /// The filter's state after the last sample.
    estimate: Option<Estimate>,
}

/// The CSPTP sources.
pub struct CsptpSources {
    sockets: Vec<CsptpSockets>,
    sources: Vec<Source>,
    /// The monotonic clock's origin for the poll schedule.
    epoch: std::time::Instant,
    seen_steps: u64,
    counters: CsptpClientCounters,
}

/// The socket pair a source needs: its local port on the wildcard address
/// of the server's family, bound to its interface, timestamping as chosen.
fn bind_of(s: &CsptpSourceSettings, server: IpAddr, mode: TimestampingMode) -> CsptpBind {
    let any: IpAddr = match server {
        IpAddr::V4(_) => std::net::Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
    };
    CsptpBind {
        local: SocketAddr::new(any, s.local_port),
        interface: s.interface.clone(),
        timestamping: mode,
        reuse_port: false,
    }
}

/// The first address `address` names (`HOST[:PORT]`).
fn resolve(address: &str) -> io::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    let (host, port) = split_csptp_address(address);
    (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
}

impl CsptpSources {
    /// Opens the sockets of `settings` (a source whose name does not
    /// resolve is logged and left out), each source timestamping as
    /// `mode_of` chooses for it, and adds each to `ntp`'s system process.
    pub fn new(
        settings: &[CsptpSourceSettings],
        mode_of: impl Fn(&CsptpSourceSettings) -> io::Result<TimestampingMode>,
        ntp: &mut NtpClient,
    ) -> io::Result<Self> {
        let mut me = CsptpSources {
            sockets: Vec::new(),
            sources: Vec::new(),
            epoch: std::time::Instant::now(),
            seen_steps: 0,
            counters: CsptpClientCounters::default(),
        };
        for s in settings {
            let addr = match resolve(&s.address) {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(source = %s.address, error = %e, "cannot resolve CSPTP source; left out");
                    continue;
                }
            };
            let bind = bind_of(s, addr.ip(), mode_of(s)?);
            let socket = match me.sockets.iter().position(|k| *k.bind() == bind) {
                Some(i) => i,
                None => {
                    me.sockets.push(CsptpSockets::open(bind.clone())?);
                    me.sockets.len() - 1
                }
            };
            tracing::info!(source = %s.address, %addr, timestamping = ?bind.timestamping, "CSPTP source");
            let interval = Duration::from_log2_secs(s.poll);
            let config = CsptpClientConfig {
                domain: s.domain,
                poll_interval: interval,
                response_timeout: interval.min(Duration::from_secs(1)),
                burst: s.burst,
                ..CsptpClientConfig::default()
            };
            me.sources.push(Source {
                name: s.address.clone(),
                addr,
                socket,
                poll: s.poll,
                client: CsptpClient::new(config, me.mono_now()),
                filter: CsptpFilter::default(),
                id: ntp.add_source(SourceKind::Csptp, crate::sources::csptp_options(s)),
                in_flight: None,
                void_sequence: None,
                reach: 0,
                last: None,
                last_status: None,
                estimate: None,
            });
        }
        Ok(me)
    }

    /// The monotonic time of the poll schedule.
    fn mono_now(&self) -> Time {
        let d = self.epoch.elapsed();
        Time::EPOCH + Duration::from_nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    /// The sockets to poll.
    pub fn fds(&self) -> Vec<RawFd> {
        self.sockets
            .iter()
            .flat_map(|s| [s.event_fd(), s.general_fd()])
            .collect()
    }

    /// How long until a source wants its next request or timeout.
    pub fn next_wait(&self) -> Option<Duration> {
        let now = self.mono_now();
        self.sources
            .iter()
            .filter_map(|s| s.client.poll_timeout())
            .map(|t| (t - now).max(Duration::ZERO))
            .min()
    }

    /// A clock step since the last look voids the exchanges in flight and
    /// every filtered sample (they are of the old time).
    fn follow_steps<P: PortIo, C: DisciplinedClock>(
        &mut self,
        ntp: &mut NtpClient,
        runtime: &Runtime<P, C>,
    ) {
        if runtime.steps() == self.seen_steps {
            return;
        }
        self.seen_steps = runtime.steps();
        for s in &mut self.sources {
            s.filter.clear();
            s.client.forget_burst();
            s.estimate = None;
            s.void_sequence = s.in_flight.map(|(_, seq)| seq);
            ntp.handle_source_reset(s.id);
        }
    }

    /// Sends the requests that are due and gives up the overdue ones.
    pub fn poll_due<P: PortIo, C: DisciplinedClock>(
        &mut self,
        ntp: &mut NtpClient,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        self.follow_steps(ntp, runtime);
        let now = self.mono_now();
        for i in 0..self.sources.len() {
            // A burst whose last exchange was lost still has its best.
            let outcome = self.sources[i].client.handle_timeout(now);
            self.outcome(i, outcome, ntp, runtime)?;
        }
        for s in &mut self.sources {
            let mut buf = [0u8; MAX_LEN];
            let request = match s.client.poll_request(now, &mut buf) {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(e) => {
                    tracing::debug!(source = %s.addr, error = ?e, "CSPTP request not built");
                    continue;
                }
            };
            if request.first_of_burst {
                s.reach <<= 1;
            }
            let Some(socket) = self.sockets.get_mut(s.socket) else {
                continue;
            };
            let data = buf.get(..request.len).unwrap_or_default();
            match socket.send_event(data, s.addr) {
                Ok(Some(id)) => s.in_flight = Some((id, request.sequence_id)),
                Ok(None) => s.in_flight = None,
                Err(e) => {
                    self.counters.send_errors += 1;
                    tracing::debug!(source = %s.addr, error = %e, "CSPTP send failed");
                }
            }
        }
        Ok(())
    }

    /// The local UTC time of a raw timestamp of a socket in `mode` (see
    /// the module docs), or now.
    fn local_time<P: PortIo, C: DisciplinedClock>(
        runtime: &Runtime<P, C>,
        raw: Option<Time>,
        mode: TimestampingMode,
    ) -> Time {
        match raw {
            Some(t) if mode == TimestampingMode::Hardware => {
                runtime.clock.time_of_raw(t) + runtime.timescale_offset() - runtime.ptp_minus_utc()
            }
            _ => runtime.clock.ntp_time(raw),
        }
    }

    /// Handles readiness of socket `fd`: transmit timestamps (t1), then the
    /// datagrams queued (a bounded batch; poll(2) reports the rest).
    pub fn service<P: PortIo, C: DisciplinedClock>(
        &mut self,
        fd: RawFd,
        readable: bool,
        error_queue: bool,
        ntp: &mut NtpClient,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        let Some(k) = self
            .sockets
            .iter()
            .position(|s| s.event_fd() == fd || s.general_fd() == fd)
        else {
            return Ok(());
        };
        self.follow_steps(ntp, runtime);
        let event = self.sockets.get(k).is_some_and(|s| s.event_fd() == fd);
        if event && error_queue {
            self.transmit_timestamps(k, ntp, runtime)?;
        }
        if readable {
            for _ in 0..16 {
                if !self.receive(k, event, ntp, runtime)? {
                    break;
                }
            }
        }
        Ok(())
    }

    fn transmit_timestamps<P: PortIo, C: DisciplinedClock>(
        &mut self,
        k: usize,
        ntp: &mut NtpClient,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        loop {
            let Some(socket) = self.sockets.get_mut(k) else {
                return Ok(());
            };
            let mode = socket.bind().timestamping;
            let Some(tx) = socket.recv_tx_timestamp()? else {
                return Ok(());
            };
            let t1 = Self::local_time(runtime, Some(tx.time), mode);
            let Some(i) = self
                .sources
                .iter()
                .position(|s| s.socket == k && s.in_flight.is_some_and(|(id, _)| id == tx.id))
            else {
                continue;
            };
            let s = &mut self.sources[i];
            let seq = s.in_flight.map(|(_, q)| q).unwrap_or_default();
            s.in_flight = None;
            let outcome = s.client.handle_transmit_timestamp(seq, t1);
            self.outcome(i, outcome, ntp, runtime)?;
        }
    }

    /// Receives one datagram on socket `k`; false when none was queued.
    fn receive<P: PortIo, C: DisciplinedClock>(
        &mut self,
        k: usize,
        event: bool,
        ntp: &mut NtpClient,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<bool> {
        let mut buf = [0u8; 1500];
        let Some(socket) = self.sockets.get_mut(k) else {
            return Ok(false);
        };
        let mode = socket.bind().timestamping;
        let received = if event {
            socket.recv_event(&mut buf)?
        } else {
            socket.recv_general(&mut buf)?
        };
        let Some(d) = received else {
            return Ok(false);
        };
        let from = d.source;
        let claimed = self.sources.iter().position(|s| {
            let port = if event {
                s.addr.port()
            } else {
                s.addr.port().wrapping_add(1)
            };
            s.socket == k && from == Some(SocketAddr::new(s.addr.ip(), port))
        });
        let Some(i) = claimed else {
            self.counters.unknown_server += 1;
            return Ok(true);
        };
        if event && d.rx.is_none() {
            self.counters.no_timestamp += 1;
            return Ok(true);
        }
        let t4 = Self::local_time(runtime, d.rx, mode);
        let data = buf.get(..d.len).unwrap_or_default();
        let outcome = self.sources[i].client.handle_message(data, t4);
        if let ClientOutcome::Dropped(reason) = outcome {
            let sequence_id = CsptpMessage::parse(data)
                .ok()
                .map(|m| m.header().sequence_id);
            tracing::debug!(source = %self.sources[i].addr, %reason, ?sequence_id, event, "CSPTP message dropped");
        }
        self.outcome(i, outcome, ntp, runtime)?;
        Ok(true)
    }

    /// A complete exchange goes through the source's filter to the system
    /// process (unless it began before a clock step).
    fn outcome<P: PortIo, C: DisciplinedClock>(
        &mut self,
        i: usize,
        outcome: ClientOutcome,
        ntp: &mut NtpClient,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        let ClientOutcome::Sample(sample) = outcome else {
            return Ok(());
        };
        let Some(s) = self.sources.get_mut(i) else {
            return Ok(());
        };
        s.reach |= 1;
        s.last = Some(sample);
        if sample.status.is_some() {
            s.last_status = sample.status;
        }
        if s.void_sequence.take() == Some(sample.sequence_id) {
            return Ok(());
        }
        tracing::trace!(source = %s.addr, offset_ns = sample.offset.as_nanos_f64(), delay_ns = sample.delay.as_nanos_f64(), forward_ns = (sample.t2 - sample.t1).as_nanos_f64(), backward_ns = (sample.t4 - sample.t3).as_nanos_f64(), "CSPTP sample");
        let update = s.filter.add(&sample, Duration::from_log2_secs(s.poll));
        s.estimate = Some(update.estimate);
        ntp.handle_source_update(sample.t4, s.id, update, runtime)
    }

    /// The indices of the sources `name` names (all without one): its
    /// configured address, its server address with or without `csptp:` (as
    /// `tempora sources` shows it), or its IP. `None` if it names none.
    fn matching(&self, name: Option<&str>) -> Option<Vec<usize>> {
        let found: Vec<usize> = (0..self.sources.len())
            .filter(|&i| {
                let s = &self.sources[i];
                name.is_none_or(|n| crate::sources::names_source(n, "csptp:", &s.name, &s.addr))
            })
            .collect();
        (name.is_none() || !found.is_empty()).then_some(found)
    }

    /// Polls the sources `name` names (all without one) now, a burst of
    /// their `burst` exchanges (`tempora ctl burst`). Returns how many did
    /// (not one offline or in a burst already); `None` if `name` names no
    /// CSPTP source.
    pub fn burst(&mut self, name: Option<&str>) -> Option<usize> {
        let now = self.mono_now();
        let found = self.matching(name)?;
        Some(
            found
                .into_iter()
                .filter(|&i| self.sources[i].client.poll_now(now))
                .count(),
        )
    }

    /// Takes the sources `name` names (all without one) offline, their
    /// estimates out of the selection, or back online (polled at once).
    /// Returns how many changed; `None` if `name` names no CSPTP source.
    pub fn set_online(
        &mut self,
        name: Option<&str>,
        online: bool,
        ntp: &mut NtpClient,
    ) -> Option<usize> {
        let now = self.mono_now();
        let found = self.matching(name)?;
        let mut changed = 0;
        for i in found {
            let s = &mut self.sources[i];
            if s.client.is_online() == online {
                continue;
            }
            s.client.set_online(online, now);
            if !online {
                s.filter.clear();
                s.estimate = None;
                ntp.handle_source_reset(s.id);
            }
            changed += 1;
        }
        Some(changed)
    }

    /// The upstream to announce when a CSPTP source is the system peer.
    pub fn upstream(&self, ntp: &NtpClient) -> Option<Upstream> {
        self.sources
            .iter()
            .find(|s| ntp.report(s.id).system_peer)
            .and_then(|s| s.last_status)
            .map(Upstream::Csptp)
    }

    /// Each source's name in the selection (`csptp:ADDRESS`) and its
    /// handle, for the status of every source.
    pub fn names_and_ids(&self) -> Vec<(String, SourceId)> {
        self.sources
            .iter()
            .map(|s| (format!("csptp:{}", s.addr), s.id))
            .collect()
    }

    /// The client-wide counters.
    pub fn counters(&self) -> CsptpClientCounters {
        self.counters
    }

    /// The sources for the status.
    pub fn status(&self, ntp: &NtpClient) -> Vec<CsptpSourceStatus> {
        self.sources
            .iter()
            .map(|s| {
                let report = ntp.report(s.id);
                let f = s.estimate;
                let c = s.client.counters();
                CsptpSourceStatus {
                    name: s.name.clone(),
                    address: s.addr.to_string(),
                    timestamping: self
                        .sockets
                        .get(s.socket)
                        .map(|k| k.bind().timestamping.to_string())
                        .unwrap_or_default(),
                    reach: s.reach,
                    poll: s.poll,
                    offline: !s.client.is_online(),
                    offset_ns: f.map(|f| f.offset.as_nanos_f64()),
                    delay_ns: f.map(|f| f.delay.as_nanos_f64()),
                    jitter_ns: f.map(|f| f.jitter.as_nanos_f64()),
                    last_offset_ns: s.last.map(|l| l.offset.as_nanos_f64()),
                    last_sequence: s.last.map(|l| l.sequence_id),
                    selected: report.selected,
                    system_peer: report.system_peer,
                    requests: c.requests,
                    samples: c.samples,
                    timeouts: c.timeouts,
                    dropped: drops_of(&c.drops),
                    data_set: s.last_status.as_ref().map(CsptpDataSet::from),
                }
            })
            .collect()
    }
}
