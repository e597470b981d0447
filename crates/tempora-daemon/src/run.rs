//! `tempora daemon -c FILE`: the single-threaded poll(2) timing loop. It
//! polls the ports' sockets, the control socket and the NTP sockets (each
//! dispatched through the token table, `crate::tokens`), hands what
//! arrives to the runtime and the NTP client and server, fires the timers
//! (waking for the engine's and the NTP client's next deadlines), publishes
//! the status, and on SIGTERM or SIGINT saves the frequency estimate and
//! stops. What it drives is opened by `crate::assembly`. The metrics
//! endpoint, the dashboard (`crate::dashboard`, fed a status snapshot once
//! a second without waiting), the NTP workers and the NTS and DNS helpers
//! are the only other threads.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tempora_clock::{BaseClock, Duration, Time};
use tempora_config::Config;
use tempora_linux::clock::{PhcClock, RealtimeBase, SystemClock};
use tempora_linux::poll::Readiness;

use crate::assembly::{Daemon, assemble};
use crate::control::Request;
use crate::control_apply::ControlService;
use crate::csptp_dataset::Upstream;
use crate::csptp_serving::{CsptpSnapshot, served_clock};
use crate::freqfile;
use crate::linux::LinuxClock;
use crate::ntp_client::NtpClient;
use crate::ntp_workers::{Snapshot, serve_ready};
use crate::nts_server;
use crate::prometheus;
use crate::runtime::DisciplinedClock;
use crate::status::Status;
use crate::system_sync::SystemSync;
use crate::tokens::{Token, Tokens};

/// Requests answered per readiness of a control socket.
const REQUESTS_PER_TURN: usize = 64;

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(config: &Config, config_path: &Path) -> io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let mut timing = TimingLoop::new(assemble(config, config_path)?);
    // Everything is open: give up what is no longer needed.
    crate::privileges::after_start(config)?;
    while !stop.load(Ordering::Relaxed) {
        timing.turn()?;
    }
    timing.save_frequency(RealtimeBase.now());
    // The dashboard's recorder saves its history once the feed is gone.
    timing.d.dashboard = None;
    if let Some(recorder) = timing.d.dashboard_recorder.take() {
        let _ = recorder.join();
    }
    tracing::info!("stopped");
    Ok(())
}

/// The loop's state: what it drives, the descriptors it polls, and when
/// it last did its once-a-second and once-a-minute chores.
struct TimingLoop {
    d: Daemon,
    tokens: Tokens,
    last_system_sync: Time,
    last_publish: Time,
    last_save: Time,
    frequency_saver: freqfile::Saver,
    /// The `tempora ctl` requests' counters and log limit.
    control: ControlService,
}

impl TimingLoop {
    /// The token table over `d`'s descriptors: the ports' sockets, the
    /// control socket, the NTP server's and the NTP client's.
    fn new(d: Daemon) -> Self {
        let mut tokens = Tokens::new();
        for (port, p) in d.runtime.ports.iter().enumerate() {
            for (socket, fd) in p.fds().into_iter().enumerate() {
                tokens.add(fd, Token::PtpPort { port, socket });
            }
        }
        tokens.add(d.control.fd(), Token::Control);
        if let Some(s) = &d.status_socket {
            tokens.add(s.fd(), Token::StatusSocket);
        }
        for (i, s) in d.ntp_server.sockets.iter().enumerate() {
            tokens.add(s.fd(), Token::NtpServer(i));
        }
        for fd in d.ntp_client.iter().flat_map(NtpClient::fds) {
            tokens.add(fd, Token::NtpClient);
        }
        for fd in d.csptp_server.fds() {
            tokens.add(fd, Token::CsptpServer);
        }
        for fd in d.csptp_sources.iter().flat_map(|c| c.fds()) {
            tokens.add(fd, Token::CsptpClient);
        }
        for fd in d.roughtime_server.fds() {
            tokens.add(fd, Token::RoughtimeServer);
        }
        for fd in d.refclocks.iter().flat_map(|r| r.fds()) {
            tokens.add(fd, Token::Refclock);
        }
        TimingLoop {
            d,
            tokens,
            last_system_sync: Time::EPOCH,
            last_publish: Time::EPOCH,
            last_save: RealtimeBase.now(),
            frequency_saver: freqfile::Saver::default(),
            control: ControlService::default(),
        }
    }

    /// How long to wait: until the engine's next timer or the NTP client's
    /// next deadline, and at most 500 ms (for the chores).
    fn timeout(&self) -> Duration {
        let runtime = &self.d.runtime;
        let mut timeout = runtime
            .timeout()
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_millis(500));
        if let Some(at) = self
            .d
            .ntp_client
            .as_ref()
            .and_then(NtpClient::next_deadline)
        {
            let now = runtime.clock.ntp_time(None);
            timeout = timeout.min((at - now).max(Duration::ZERO));
        }
        if let Some(wait) = self.d.csptp_sources.as_ref().and_then(|c| c.next_wait()) {
            timeout = timeout.min(wait);
        }
        if let Some(r) = &self.d.refclocks {
            timeout = timeout.min(r.next_wait());
        }
        timeout
    }

    /// One turn: wait, dispatch what is ready, fire the timers, the NTP
    /// workers' snapshot and the NTP client's upkeep, then the chores.
    fn turn(&mut self) -> io::Result<()> {
        let ready = match self.tokens.wait(self.timeout()) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        };
        for (token, r) in ready {
            self.dispatch(token, &r)?;
        }
        // One signature over the Roughtime requests of this turn.
        self.d.roughtime_server.flush(&self.d.runtime.clock);
        self.d
            .roughtime_server
            .publish(self.d.runtime.clock.snapshot());
        self.d.runtime.run_timers()?;
        self.served_upkeep()?;
        let (ntp, runtime) = (&self.d.ntp_server, &self.d.runtime);
        if let (Some(w), Some(server)) = (&ntp.workers, &ntp.server) {
            w.publish(Snapshot {
                clock: runtime.clock.snapshot(),
                state: server.state(runtime),
            });
        }
        self.ntp_client_upkeep()?;
        self.csptp_upkeep()?;
        self.refclock_upkeep()?;
        self.chores(RealtimeBase.now())
    }

    /// Hands a ready descriptor to its owner.
    fn dispatch(&mut self, token: Token, r: &Readiness) -> io::Result<()> {
        let d = &mut self.d;
        match token {
            Token::Control => self.serve_control(false)?,
            Token::StatusSocket => self.serve_control(true)?,
            Token::NtpClient => {
                if let Some(client) = d.ntp_client.as_mut() {
                    client.service(r.fd, r.readable, r.error_queue, &mut d.runtime)?;
                }
            }
            Token::NtpServer(i) => {
                // A batch per readiness (recvmmsg); poll(2) reports the
                // socket again while more are queued.
                let ntp = &mut d.ntp_server;
                if let (Some(socket), Some(server)) = (ntp.sockets.get_mut(i), ntp.server.as_mut())
                {
                    let state = server.state(&d.runtime);
                    serve_ready(socket, server, &d.runtime.clock, &state, r.error_queue)?;
                }
            }
            Token::CsptpServer => {
                if let Some(now) = self.csptp_snapshot() {
                    self.d.csptp_server.serve(r.fd, r.error_queue, &now)?;
                }
            }
            Token::CsptpClient => {
                if let (Some(c), Some(ntp)) = (d.csptp_sources.as_mut(), d.ntp_client.as_mut()) {
                    c.service(r.fd, r.readable, r.error_queue, ntp, &mut d.runtime)?;
                }
            }
            Token::RoughtimeServer => d.roughtime_server.serve(r.fd, &d.runtime.clock),
            Token::Refclock => {
                if let (Some(rc), Some(ntp)) = (d.refclocks.as_mut(), d.ntp_client.as_ref()) {
                    rc.service(r.fd, ntp, &d.runtime);
                }
            }
            Token::PtpPort { port, socket } => {
                d.runtime
                    .service_port(port, socket, r.readable, r.error_queue)?;
                // A measurement goes to the selection (and, from the
                // selected port, to the servo) at once.
                if let Some(client) = d.ntp_client.as_mut() {
                    client.take_ptp(&mut d.runtime)?;
                }
            }
        }
        Ok(())
    }

    /// Answers the requests queued on the control socket, or on the
    /// read-only status socket (which refuses SET and COMMAND and the
    /// control requests), at most [`REQUESTS_PER_TURN`] at a time (poll(2)
    /// reports the socket again while more are queued: a flood of requests
    /// does not hold up the timing loop).
    fn serve_control(&mut self, read_only: bool) -> io::Result<()> {
        for _ in 0..REQUESTS_PER_TURN {
            let Some(socket) = self.socket(read_only) else {
                return Ok(());
            };
            let Some(request) = socket.recv()? else {
                return Ok(());
            };
            self.answer(read_only, request)?;
        }
        Ok(())
    }

    /// The control socket, or the read-only status socket if there is one.
    fn socket(&self, read_only: bool) -> Option<&crate::control::ControlSocket> {
        match read_only {
            false => Some(&self.d.control),
            true => self.d.status_socket.as_ref(),
        }
    }

    /// Answers one request that came on the control socket, or the
    /// read-only status socket if `read_only`.
    fn answer(&mut self, read_only: bool, request: Request) -> io::Result<()> {
        match request {
            Request::Status(from) => {
                let json = serde_json::to_string(&self.status()).map_err(io::Error::other)?;
                self.reply(read_only, &from, json.as_bytes())
            }
            Request::Ctl(from, parsed) => {
                let reply = self
                    .control
                    .handle(&mut self.d, &mut self.tokens, read_only, parsed);
                self.reply(read_only, &from, &reply.encode())
            }
            Request::Management(from, data) => {
                let runtime = &mut self.d.runtime;
                let answers = if read_only {
                    runtime.read_only_management(&data)?
                } else {
                    runtime.local_management(&data)?
                };
                for answer in answers {
                    self.reply(read_only, &from, &answer)?;
                }
                Ok(())
            }
        }
    }

    /// Sends `data` to `to` from the socket the request came on.
    fn reply(
        &self,
        read_only: bool,
        to: &std::os::unix::net::SocketAddr,
        data: &[u8],
    ) -> io::Result<()> {
        match self.socket(read_only) {
            Some(s) => s.reply(to, data),
            None => Ok(()),
        }
    }

    /// The NTP client follows the runtime's steps and corrections, runs
    /// its system process's timeout, keeps its pools (its sockets come and
    /// go in the token table) and sends the requests due.
    fn ntp_client_upkeep(&mut self) -> io::Result<()> {
        let d = &mut self.d;
        let Some(client) = d.ntp_client.as_mut() else {
            return Ok(());
        };
        client.take_ptp(&mut d.runtime)?;
        let now = d.runtime.clock.ntp_time(None);
        client.follow_steps(&mut d.runtime);
        client.handle_timeout(now, &mut d.runtime)?;
        let changes = client.maintain(now);
        for fd in changes.removed {
            self.tokens.remove(fd);
        }
        for fd in changes.added {
            self.tokens.add(fd, Token::NtpClient);
        }
        client.poll_due(now);
        Ok(())
    }

    /// What is served from a reference clock (`crate::served`): the
    /// holdover state, the engine's quality and time properties, the NTP
    /// server's answer and leap indicator.
    fn served_upkeep(&mut self) -> io::Result<()> {
        let d = &mut self.d;
        let now = d.runtime.clock.ntp_time(None);
        let system = d.ntp_client.as_ref().map(NtpClient::system);
        for (id, leap) in d.refclocks.iter().flat_map(|r| r.leap_warnings()) {
            d.served.set_reference_leap(id, leap);
        }
        d.served.update(now, system, &mut d.runtime)?;
        kernel_leap_upkeep(d, now);
        if let Some(server) = d.ntp_server.server.as_mut() {
            server.set_upstream(
                d.ntp_client
                    .as_ref()
                    .and_then(NtpClient::system_peer_upstream),
            );
            let clock = d.served.ntp_clock(server.precision(), now);
            server.set_served(clock, d.served.leap_indicator());
            let smear = crate::leap_smear::smear_offset(d.served.leap_state(), now);
            server.set_timescales(d.served.tai_minus_utc(), smear);
        }
        if let Some(client) = d.ntp_client.as_mut() {
            client.set_tai_minus_utc(d.served.tai_minus_utc());
        }
        Ok(())
    }

    /// What the daemon follows when no PTP port is SLAVE: the system peer,
    /// a CSPTP or an NTP source.
    fn upstream(&self) -> Option<Upstream> {
        let ntp = self.d.ntp_client.as_ref()?;
        self.d
            .csptp_sources
            .as_ref()
            .and_then(|c| c.upstream(ntp))
            .or_else(|| ntp.system_peer_stratum().map(Upstream::Ntp))
    }

    /// The CSPTP server's clock and data set now, if it runs.
    fn csptp_snapshot(&self) -> Option<CsptpSnapshot> {
        let runtime = &self.d.runtime;
        let data_set = self.d.csptp_server.data_set(runtime, self.upstream())?;
        Some(CsptpSnapshot {
            clock: served_clock(runtime),
            data_set,
        })
    }

    /// The CSPTP sources send the requests due; the server's workers get
    /// the clock and data set of this turn.
    fn csptp_upkeep(&mut self) -> io::Result<()> {
        if let Some(now) = self.csptp_snapshot() {
            self.d.csptp_server.publish(now);
        }
        let d = &mut self.d;
        if let (Some(c), Some(ntp)) = (d.csptp_sources.as_mut(), d.ntp_client.as_mut()) {
            c.poll_due(ntp, &mut d.runtime)?;
        }
        Ok(())
    }

    /// The reference clocks read their timers and hand in the polls that
    /// are due; a gpsd connection's socket comes and goes in the token
    /// table.
    fn refclock_upkeep(&mut self) -> io::Result<()> {
        let d = &mut self.d;
        let (Some(rc), Some(ntp)) = (d.refclocks.as_mut(), d.ntp_client.as_mut()) else {
            return Ok(());
        };
        // TAI − UTC for an extts refclock's PHC counting TAI (the
        // configured one, the leap-second list's or the kernel's).
        rc.set_tai_offset(d.served.tai_minus_utc());
        let changes = rc.upkeep(ntp, &mut d.runtime)?;
        for fd in changes.removed {
            self.tokens.remove(fd);
        }
        for fd in changes.added {
            self.tokens.add(fd, Token::Refclock);
        }
        Ok(())
    }

    /// The chores, by the system clock: the system clock follows the PHC
    /// once a second; the NTS keys rotate and the metrics are published
    /// once a second, and the status handed to the dashboard; the frequency
    /// is saved once a minute.
    fn chores(&mut self, now: Time) -> io::Result<()> {
        let d = &mut self.d;
        if let (Some((system, sync)), LinuxClock::Phc(phc)) = (&mut d.system_sync, &d.runtime.clock)
        {
            // Like phc2sys -w: follow the PHC once it is locked to its
            // master, not while the PTP servo still steps it.
            let locked = d.runtime.servo_state() == tempora_clock::ServoState::Locked;
            if locked && (now - self.last_system_sync).abs() >= Duration::from_secs(1) {
                self.last_system_sync = now;
                sync_system_clock(phc, system, sync, d.runtime.ptp_minus_utc());
            }
        }
        if (now - self.last_publish).abs() >= Duration::from_secs(1) {
            if let Some(keys) = &self.d.nts_keys {
                nts_server::rotate_if_due(keys);
            }
            let status = self.status();
            self.d.published.set(prometheus::render(&status));
            if let Some(feed) = &self.d.dashboard {
                feed.offer(status);
            }
            self.last_publish = now;
        }
        if now - self.last_save >= Duration::from_secs(60) {
            self.save_frequency(now);
            self.last_save = now;
        }
        Ok(())
    }

    /// Saves the servo's frequency to the frequency file, if configured; a
    /// failure is a warning naming the file (rate-limited), never an exit.
    fn save_frequency(&mut self, now: Time) {
        if let Some(path) = &self.d.frequency_file {
            let ppb = self.d.runtime.frequency_ppb();
            let limit = self.d.runtime.frequency_limit_ppb();
            self.frequency_saver.save(path, ppb, limit, now);
        }
    }

    /// The status: the runtime's, with the NTP server's and NTS-KE
    /// server's counters, the NTP sources, and the system clock's when it
    /// follows the PHC.
    fn status(&self) -> Status {
        let d = &self.d;
        let mut s = d.runtime.status();
        s.ntp_server = d.ntp_server.counters();
        s.nts_ke = d.nts_ke.as_ref().map(nts_server::ke_status);
        s.ntp_sources = d
            .ntp_client
            .as_ref()
            .map(NtpClient::status)
            .unwrap_or_default();
        if let (Some(c), Some(ntp)) = (&d.csptp_sources, &d.ntp_client) {
            s.csptp_sources = c.status(ntp);
            s.csptp_client = Some(c.counters());
        }
        s.csptp_server = d.csptp_server.counters();
        s.roughtime_server = d.roughtime_server.counters();
        s.roughtime = d.roughtime.clone();
        if let (Some(rc), Some(ntp)) = (&d.refclocks, &d.ntp_client) {
            s.refclocks = rc.status(ntp);
        }
        if let Some(client) = &d.ntp_client {
            let mut others = d
                .csptp_sources
                .as_ref()
                .map(|c| c.names_and_ids())
                .unwrap_or_default();
            others.extend(d.refclocks.iter().flat_map(|r| r.names_and_ids()));
            (s.sources, s.selected_source) = client.sources(others);
        }
        let now = d.runtime.clock.ntp_time(None);
        if let Some(client) = &d.ntp_client {
            s.tracking = Some(crate::tracking::tracking(
                client,
                &d.served,
                s.selected_source.clone(),
                now,
            ));
        }
        s.control = self.control.counters();
        s.holdover = Some(d.served.holdover_report(now));
        s.leap_seconds = Some(d.served.leap_report(now));
        if let (Some(l), Some(k)) = (s.leap_seconds.as_mut(), d.kernel_leap) {
            l.clock_armed = Some(crate::served_status::leap_name(k.armed()).into());
            l.clock_tai_offset = k.tai_offset();
        }
        if let Some((_, sync)) = &d.system_sync {
            s.system_clock_offset_ns = sync.last_offset.map(|o| o.as_nanos_f64());
            s.system_clock_frequency_ppb = Some(sync.frequency_ppb());
        }
        s
    }
}

/// The leap second and TAI − UTC in a clock the daemon steers
/// (`crate::leap_kernel`): each change carried out once and logged.
fn kernel_leap_upkeep(d: &mut Daemon, now: Time) {
    let Some(k) = d.kernel_leap.as_mut() else {
        return;
    };
    let clock = &mut d.runtime.clock;
    if let Some(change) = k.update(d.served.leap_state(), now) {
        match clock.set_leap(change) {
            Ok(()) => {
                tracing::info!(leap = ?change, clock = %clock.kind(), "leap second at the end of the UTC day armed in the clock (None: disarmed)")
            }
            Err(e) => {
                tracing::warn!(leap = ?change, error = %e, "cannot arm the leap second in the clock")
            }
        }
    }
    if let Some(tai) = k.update_tai(d.served.tai_minus_utc()) {
        match clock.set_tai_offset(tai) {
            Ok(()) => {
                tracing::info!(tai_minus_utc = tai, clock = %clock.kind(), "TAI - UTC set in the clock")
            }
            Err(e) => {
                tracing::warn!(tai_minus_utc = tai, error = %e, "cannot set TAI - UTC in the clock")
            }
        }
    }
}

/// One phc2sys-like step: compare the PHC with the system clock and steer
/// the system clock. A failed reading or adjustment is logged and retried
/// at the next second.
fn sync_system_clock(
    phc: &PhcClock,
    system: &mut SystemClock,
    sync: &mut SystemSync,
    ptp_minus_utc: Duration,
) {
    let reading = match phc.sys_offset(5) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "cannot compare the PHC with the system clock");
            return;
        }
    };
    let correction = sync.sample(
        reading.system_time,
        reading.offset,
        ptp_minus_utc,
        reading.delay,
    );
    tracing::debug!(
        offset_ns = sync.last_offset.map(|o| o.as_nanos_f64()),
        ?correction,
        "system clock"
    );
    if let Err(e) = crate::linux::apply_to(system, correction) {
        tracing::warn!(error = %e, "cannot adjust the system clock");
    }
}
