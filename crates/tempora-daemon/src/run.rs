//! `tempora daemon -c FILE`: the single-threaded poll(2) timing loop. It
//! polls the ports' sockets and the control socket, hands what arrives to
//! the runtime, fires the timers, publishes the status, and on SIGTERM or
//! SIGINT saves the frequency estimate and stops. The metrics endpoint, when
//! configured, is the only other thread.

use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tempora_clock::servo::pi::{PiConfig, PiServo};
use tempora_clock::servo::policy::{PolicyConfig, StepPolicy};
use tempora_clock::{BaseClock, Clock, Duration, Servo, Time, VirtualState};
use tempora_config::{ClockKind, Config, ServoKind, Timescale, Timestamping, Transport};
use tempora_linux::clock::{PhcClock, RealtimeBase, SystemClock};
use tempora_linux::interface::Interface;
use tempora_linux::poll::Poller;
use tempora_linux::raw::{RawConfig, RawTransport};
use tempora_linux::timestamping::{TimestampingMode, TimestampingRequest, TsInfo};
use tempora_linux::udp::{IpVersion, UdpConfig, UdpTransport};
use tempora_linux::udp_server::UdpServer;
use tempora_ptp::datasets::TimePropertiesDs;
use tempora_ptp::engine::PtpInstance;
use tempora_ptp::wire::ClockIdentity;
use tempora_system::servo::{ServoChoice, ServoSettings};

use crate::control::{ControlSocket, Request};
use crate::freqfile;
use crate::linux::{LinuxClock, LinuxPort};
use crate::metrics::{self, Published};
use crate::ntp_client::NtpClient;
use crate::ntp_server::NtpServer;
use crate::ntp_workers::{NtpWorkers, Snapshot, serve_ready};
use crate::prometheus;
use crate::runtime::{DisciplinedClock, Runtime};
use crate::status::NtpServerCounters;
use crate::system_sync::SystemSync;
use std::sync::RwLock;
use tempora_nts::keys::CookieKeys;
use tempora_nts::server::{KeServer, KeServerSettings};

fn context(what: &str) -> impl Fn(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// The PHC index of a clock path `/dev/ptpN`.
fn phc_index_of(path: &Path) -> Option<u32> {
    path.to_str()?.strip_prefix("/dev/ptp")?.parse().ok()
}

/// The timestamping a port uses (IEEE 1588-2019 §7.3.4: timestamps from the
/// clock being disciplined). Hardware timestamps come from the interface's
/// PHC, so they need `[clock] kind` to be that PHC: `hardware` without it is
/// an error, and `auto` picks hardware only then (otherwise software, which
/// every interface has), as ptp4l ties its clock to the interface's PHC.
fn port_timestamping(
    interface: &str,
    request: Timestamping,
    clock: &ClockKind,
) -> io::Result<TimestampingMode> {
    let request = match request {
        Timestamping::Software => return Ok(TimestampingMode::Software),
        Timestamping::Hardware => TimestampingRequest::Hardware,
        Timestamping::Auto => TimestampingRequest::Auto,
    };
    // An interface the kernel cannot describe (no ethtool support) can
    // still timestamp in software.
    let info = match TsInfo::query(interface) {
        Ok(info) => info,
        Err(e) if request == TimestampingRequest::Hardware => return Err(e),
        Err(_) => return Ok(TimestampingMode::Software),
    };
    let clock_phc = match clock {
        ClockKind::Phc(path) => phc_index_of(path),
        ClockKind::System | ClockKind::Virtual => None,
    };
    match (info.choose(request)?, request) {
        (TimestampingMode::Hardware, _) if clock_phc.is_some() && clock_phc == info.phc_index => {
            Ok(TimestampingMode::Hardware)
        }
        (TimestampingMode::Hardware, TimestampingRequest::Hardware) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "hardware timestamps on {interface} come from /dev/ptp{}: set [clock] kind = \"/dev/ptp{}\"",
                info.phc_index.unwrap_or(0),
                info.phc_index.unwrap_or(0)
            ),
        )),
        _ => Ok(TimestampingMode::Software),
    }
}

fn open_port(
    interface: &str,
    transport: Transport,
    mode: TimestampingMode,
) -> io::Result<LinuxPort> {
    Ok(match transport {
        Transport::Udp4 => LinuxPort::Udp(UdpTransport::open(UdpConfig::new(
            interface,
            IpVersion::V4,
            mode,
        ))?),
        Transport::Udp6 => LinuxPort::Udp(UdpTransport::open(UdpConfig::new(
            interface,
            IpVersion::V6,
            mode,
        ))?),
        Transport::L2 => LinuxPort::Raw(RawTransport::open(RawConfig {
            interface: interface.into(),
            timestamping: mode,
        })?),
    })
}

/// The time properties this instance announces as grandmaster (IEEE
/// 1588-2019 §8.2.4, §7.2.1): the configured timescale, by default PTP for a
/// PHC and ARB for the system and virtual clocks (as ptp4l serves them);
/// with the PTP timescale, `currentUtcOffset` from the file, else the
/// kernel's TAI offset if it is set (then flagged valid), else 37 s.
fn time_properties(config: &Config) -> TimePropertiesDs {
    let mut tp = TimePropertiesDs::default();
    let timescale = config.ptp.timescale.unwrap_or(match config.clock.kind {
        ClockKind::Phc(_) => Timescale::Ptp,
        ClockKind::System | ClockKind::Virtual => Timescale::Arb,
    });
    if timescale == Timescale::Ptp {
        tp.ptp_timescale = true;
        let kernel = SystemClock::kernel_state()
            .ok()
            .map(|s| s.tai_offset)
            .filter(|t| *t > 0)
            .and_then(|t| i16::try_from(t).ok());
        match (config.ptp.current_utc_offset, kernel) {
            (Some(o), _) | (None, Some(o)) => {
                tp.current_utc_offset = o;
                tp.current_utc_offset_valid = true;
            }
            (None, None) => {}
        }
    }
    tp
}

/// The largest frequency adjustment `clock` takes, ppb (the kernel's
/// tolerance for the system clock, the PHC's max_adj).
fn max_frequency_ppb(clock: &LinuxClock) -> f64 {
    match clock {
        LinuxClock::System(c) => c.info().max_frequency_ppb as f64,
        LinuxClock::Phc(c) => c.info().max_frequency_ppb as f64,
        LinuxClock::Virtual(_) => 500_000.0,
    }
}

fn servo(config: &Config, initial_ppb: f64, hardware: bool, max_ppb: f64) -> Box<dyn Servo> {
    let c = &config.clock;
    tempora_system::servo::build(&ServoSettings {
        choice: match c.servo {
            ServoKind::Kalman => ServoChoice::Kalman,
            ServoKind::Pi => ServoChoice::Pi,
        },
        hardware,
        initial_ppb,
        step_threshold: c.step_threshold,
        panic_threshold: c.panic_threshold.unwrap_or(Duration::ZERO),
        max_frequency_ppb: max_ppb,
    })
}

/// The status, with the system clock's when it follows the PHC.
fn status(
    runtime: &Runtime<LinuxPort, LinuxClock>,
    system_sync: &Option<(SystemClock, SystemSync)>,
    ntp: Option<NtpServerCounters>,
    client: &Option<NtpClient>,
    nts_ke: Option<crate::status::NtsKeStatus>,
) -> crate::status::Status {
    let mut s = runtime.status();
    s.ntp_server = ntp;
    s.nts_ke = nts_ke;
    s.ntp_sources = client.as_ref().map(|c| c.status()).unwrap_or_default();
    if let Some((_, sync)) = system_sync {
        s.system_clock_offset_ns = sync.last_offset.map(|o| o.as_nanos_f64());
        s.system_clock_frequency_ppb = Some(sync.frequency_ppb());
    }
    s
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

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(config: &Config, config_path: &Path) -> io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    // The clock identity comes from the first port's MAC (IEEE 1588-2019
    // §7.5.2.2.2); an NTP-only daemon makes one up (it has no PTP port).
    let identity = match config.ports.first() {
        Some(first) => {
            let iface = Interface::lookup(&first.interface).map_err(context(&first.interface))?;
            ClockIdentity(iface.clock_identity())
        }
        None => ClockIdentity(rand::random()),
    };
    let mut instance = config.instance_config(identity);
    instance.time_properties = time_properties(config);
    for (pc, port) in instance.ports.iter_mut().zip(&config.ports) {
        if let Ok(i) = Interface::lookup(&port.interface) {
            pc.physical_address = i.mac.0.to_vec();
        }
    }
    let mut ports = Vec::new();
    let mut names = Vec::new();
    let mut hardware = true;
    for p in &config.ports {
        let mode = port_timestamping(&p.interface, p.timestamping, &config.clock.kind)
            .map_err(context(&p.interface))?;
        tracing::info!(interface = %p.interface, timestamping = ?mode, "port");
        hardware &= mode == TimestampingMode::Hardware;
        ports.push(open_port(&p.interface, p.transport, mode).map_err(context(&p.interface))?);
        let t = match p.transport {
            Transport::Udp4 => "udp4",
            Transport::Udp6 => "udp6",
            Transport::L2 => "l2",
        };
        names.push((p.interface.clone(), t.to_string()));
    }
    let saved = match &config.clock.frequency_file {
        Some(path) => freqfile::load(path)?,
        None => None,
    };
    let mut clock = match &config.clock.kind {
        ClockKind::System => LinuxClock::System(SystemClock::new()?),
        ClockKind::Phc(path) => LinuxClock::Phc(
            PhcClock::open(&path.to_string_lossy()).map_err(context(&path.to_string_lossy()))?,
        ),
        ClockKind::Virtual => {
            let offset = config.clock.initial_offset.unwrap_or(Duration::ZERO);
            let ppm = config.clock.frequency_offset_ppm.unwrap_or(0.0);
            LinuxClock::Virtual(VirtualState::new(RealtimeBase.now(), offset, ppm * 1000.0))
        }
    };
    if let Some(ppb) = saved {
        clock.apply(tempora_clock::Correction::Frequency { frequency_ppb: ppb })?;
    }
    let max_ppb = max_frequency_ppb(&clock);
    let engine = PtpInstance::new(
        instance,
        u64::from_le_bytes(identity.0) ^ std::process::id() as u64,
    );
    let mut runtime = Runtime::new(
        engine,
        ports,
        names,
        clock,
        servo(config, saved.unwrap_or(0.0), hardware, max_ppb),
    );
    let control = ControlSocket::bind(&config.observability.socket)
        .map_err(context(&config.observability.socket.to_string_lossy()))?;
    let published = Published::default();
    if let Some(listen) = config.observability.metrics_listen {
        metrics::serve(listen, published.clone()).map_err(context("metrics-listen"))?;
    }
    tracing::info!(
        config = %config_path.display(),
        ports = runtime.ports.len(),
        clock = %runtime.status().clock,
        socket = %config.observability.socket.display(),
        "running"
    );
    runtime.start()?;

    let mut poller = Poller::new();
    // (fd, port, socket within the port)
    let mut fd_port = Vec::new();
    for (i, p) in runtime.ports.iter().enumerate() {
        match p {
            LinuxPort::Udp(u) => {
                for (socket, fd) in [u.event_fd().as_raw_fd(), u.general_fd().as_raw_fd()]
                    .into_iter()
                    .enumerate()
                {
                    poller.register_raw(fd);
                    fd_port.push((fd, i, socket));
                }
            }
            LinuxPort::Raw(r) => {
                let fd = r.as_raw_fd();
                poller.register_raw(fd);
                fd_port.push((fd, i, 0));
            }
        }
    }
    poller.register_raw(control.fd());
    // NTS: the cookie master keys, shared by the NTS-KE server (its own
    // threads, started only when configured) and the NTP server.
    let nts_keys = match &config.nts_ke_server {
        Some(k) => Some(Arc::new(RwLock::new(
            CookieKeys::new(
                k.key_file.clone(),
                k.key_rotation.as_secs_f64() as u64,
                unix_seconds(),
            )
            .map_err(|e| io::Error::new(e.kind(), format!("NTS key file: {e}")))?,
        ))),
        None => None,
    };
    let nts_ke = match (&config.nts_ke_server, &nts_keys) {
        (Some(k), Some(keys)) => {
            let settings = KeServerSettings {
                listen: k.listen.clone(),
                certificate_chain: k.certificate_chain.clone(),
                private_key: k.private_key.clone(),
                max_connections: usize::from(k.max_connections),
                timeout: std::time::Duration::from_secs_f64(k.timeout.as_secs_f64()),
                ntp_server: k.ntp_server.clone(),
                ntp_port: k.ntp_port,
            };
            let server = KeServer::start(settings, Arc::clone(keys)).map_err(io::Error::other)?;
            for addr in server.local_addrs() {
                tracing::info!(listen = %addr, "NTS-KE server");
            }
            Some(server)
        }
        _ => None,
    };
    // Software timestamps: about a microsecond (2^-20 s).
    let mut ntp = config.ntp_server.as_ref().map(|n| {
        let server = NtpServer::new(n, -20, rand::random());
        match &nts_keys {
            Some(keys) => server.with_nts(Arc::clone(keys)),
            None => server,
        }
    });
    let mut ntp_servers = Vec::new();
    let mut ntp_workers = None;
    if let (Some(n), Some(server)) = (&config.ntp_server, &ntp) {
        if n.workers > 0 {
            let snapshot = Snapshot {
                clock: runtime.clock.snapshot(),
                state: server.state(&runtime),
            };
            ntp_workers = Some(NtpWorkers::start(n, server, snapshot)?);
        } else {
            for addr in &n.listen {
                let server = UdpServer::bind_with(*addr, n.interleaved)
                    .map_err(context(&addr.to_string()))?;
                poller.register_raw(server.fd());
                ntp_servers.push(server);
            }
        }
        for addr in &n.listen {
            tracing::info!(listen = %addr, workers = n.workers, "NTP server");
        }
    }
    let mut system_sync = match (&runtime.clock, config.clock.sync_system_clock) {
        (LinuxClock::Phc(_), true) => {
            let system = SystemClock::new()?;
            let mut pi = PiConfig::hardware();
            pi.first_step_threshold = Duration::ZERO;
            let policy = PolicyConfig {
                step_threshold: config.clock.step_threshold,
                max_frequency_ppb: system.info().max_frequency_ppb as f64,
                ..PolicyConfig::default()
            };
            let servo = StepPolicy::new(PiServo::new(pi), policy);
            Some((system, SystemSync::new(Box::new(servo))))
        }
        _ => None,
    };
    let mut ntp_client = if config.ntp_sources.is_empty() {
        None
    } else {
        let now = runtime.clock.ntp_time(None);
        runtime.keep_corrections();
        let system = tempora_system::SystemConfig {
            minimum_agreeing: usize::from(config.minimum_agreeing_sources),
            step_threshold: config.clock.step_threshold,
            max_frequency_ppb: max_ppb,
            ..tempora_system::SystemConfig::default()
        };
        let client = NtpClient::new(
            &config.ntp_sources,
            system,
            config.nts_ca_file.clone(),
            now,
            runtime.frequency_ppb(),
        )?;
        for fd in client.fds() {
            poller.register_raw(fd);
        }
        Some(client)
    };
    let mut last_system_sync = Time::EPOCH;
    let mut last_publish = Time::EPOCH;
    let mut last_save = RealtimeBase.now();
    while !stop.load(Ordering::Relaxed) {
        let mut timeout = runtime
            .timeout()
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_millis(500));
        if let Some(at) = ntp_client.as_ref().and_then(|c| c.next_deadline()) {
            let now = runtime.clock.ntp_time(None);
            timeout = timeout.min((at - now).max(Duration::ZERO));
        }
        let ready = match poller.wait(timeout) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for r in ready {
            if r.fd == control.fd() {
                while let Some(request) = control.recv()? {
                    match request {
                        Request::Status(from) => {
                            let json = serde_json::to_string(&status(
                                &runtime,
                                &system_sync,
                                ntp_counters(&ntp, &ntp_workers),
                                &ntp_client,
                                nts_ke_status(&nts_ke),
                            ))
                            .map_err(io::Error::other)?;
                            control.reply(&from, json.as_bytes())?;
                        }
                        Request::Management(from, data) => {
                            for answer in runtime.local_management(&data)? {
                                control.reply(&from, &answer)?;
                            }
                        }
                    }
                }
            } else if let Some(client) = ntp_client.as_mut().filter(|c| c.fds().contains(&r.fd)) {
                client.service(r.fd, r.readable, r.error_queue, &mut runtime)?;
            } else if let Some(server) = ntp_servers.iter_mut().find(|s| s.fd() == r.fd) {
                // A batch per readiness (recvmmsg); poll(2) reports the
                // socket again while more are queued.
                if let Some(ntp) = ntp.as_mut() {
                    let state = ntp.state(&runtime);
                    serve_ready(server, ntp, &runtime.clock, &state, r.error_queue)?;
                }
            } else if let Some((_, port, socket)) = fd_port.iter().find(|(fd, ..)| *fd == r.fd) {
                runtime.service_port(*port, *socket, r.readable, r.error_queue)?;
            }
        }
        runtime.run_timers()?;
        if let (Some(w), Some(server)) = (&ntp_workers, &ntp) {
            w.publish(Snapshot {
                clock: runtime.clock.snapshot(),
                state: server.state(&runtime),
            });
        }
        if let Some(client) = ntp_client.as_mut() {
            let now = runtime.clock.ntp_time(None);
            client.follow_steps(&mut runtime);
            client.handle_timeout(now, &mut runtime)?;
            let changes = client.maintain(now);
            for fd in changes.removed {
                poller.deregister(fd);
            }
            for fd in changes.added {
                poller.register_raw(fd);
            }
            client.poll_due(now);
        }
        let now = RealtimeBase.now();
        if let (Some((system, sync)), LinuxClock::Phc(phc)) = (&mut system_sync, &runtime.clock) {
            // Like phc2sys -w: follow the PHC once it is locked to its
            // master, not while the PTP servo still steps it.
            let locked = runtime.servo_state() == tempora_clock::ServoState::Locked;
            if locked && (now - last_system_sync).abs() >= Duration::from_secs(1) {
                last_system_sync = now;
                sync_system_clock(phc, system, sync, runtime.ptp_minus_utc());
            }
        }
        if (now - last_publish).abs() >= Duration::from_secs(1) {
            if let Some(keys) = &nts_keys {
                rotate_nts_keys(keys);
            }
            published.set(prometheus::render(&status(
                &runtime,
                &system_sync,
                ntp_counters(&ntp, &ntp_workers),
                &ntp_client,
                nts_ke_status(&nts_ke),
            )));
            last_publish = now;
        }
        if now - last_save >= Duration::from_secs(60) {
            if let Some(path) = &config.clock.frequency_file {
                freqfile::save(path, runtime.frequency_ppb())?;
            }
            last_save = now;
        }
    }
    if let Some(path) = &config.clock.frequency_file {
        freqfile::save(path, runtime.frequency_ppb())?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The NTP server's counters: the timing loop's, or the worker loops'.
fn ntp_counters(
    ntp: &Option<NtpServer>,
    workers: &Option<NtpWorkers>,
) -> Option<NtpServerCounters> {
    match (ntp, workers) {
        (Some(_), Some(w)) => Some(w.counters()),
        (Some(n), None) => Some(n.counters),
        _ => None,
    }
}

/// Seconds since the Unix epoch, by the system clock (for the NTS key
/// file's creation times).
fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Rotates the NTS master keys when due (RFC 8915 §6); a failure to save
/// them is logged, and the new key is used anyway.
fn rotate_nts_keys(keys: &RwLock<CookieKeys>) {
    let now = unix_seconds();
    if !keys.read().is_ok_and(|k| k.due(now)) {
        return;
    }
    let mut k = keys.write().unwrap_or_else(|p| p.into_inner());
    match k.rotate_if_due(now) {
        Ok(true) => tracing::info!(keys = k.len(), "NTS master key rotated"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "NTS master key rotated but not saved"),
    }
}

/// The NTS-KE server's counters.
fn nts_ke_status(server: &Option<KeServer>) -> Option<crate::status::NtsKeStatus> {
    use std::sync::atomic::Ordering::Relaxed;
    server.as_ref().map(|s| crate::status::NtsKeStatus {
        completed: s.counters.completed.load(Relaxed),
        failed: s.counters.failed.load(Relaxed),
        refused: s.counters.refused.load(Relaxed),
    })
}
