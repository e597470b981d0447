//! Assembling the daemon from its configuration: the PTP ports and the
//! clock, the runtime over them, the control socket and the metrics
//! endpoint, the NTS keys and the NTS-KE server, the NTP server, the system
//! clock's follower and the NTP client. [`assemble`] opens them all, in
//! that order, and hands them to the timing loop (`crate::run`) in a
//! [`Daemon`].

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempora_clock::servo::pi::{PiConfig, PiServo};
use tempora_clock::servo::policy::{PolicyConfig, StepPolicy};
use tempora_clock::{BaseClock, Clock, Duration, Servo, VirtualState};
use tempora_config::{ClockKind, Config, ServoKind, Timescale, Timestamping, Transport};
use tempora_linux::clock::{PhcClock, RealtimeBase, SystemClock};
use tempora_linux::interface::Interface;
use tempora_linux::raw::{RawConfig, RawTransport};
use tempora_linux::timestamping::{TimestampingMode, TimestampingRequest, TsInfo};
use tempora_linux::udp::{IpVersion, UdpConfig, UdpTransport};
use tempora_linux::udp_server::UdpServer;
use tempora_nts::server::KeServer;
use tempora_ptp::datasets::TimePropertiesDs;
use tempora_ptp::engine::PtpInstance;
use tempora_ptp::wire::ClockIdentity;
use tempora_system::servo::{ServoChoice, ServoSettings};

use crate::control::{Access, ControlSocket};
use crate::csptp_client::CsptpSources;
use crate::csptp_serving::{CsptpServing, CsptpSnapshot, served_clock};
use crate::dashboard;
use crate::freqfile;
use crate::linux::{LinuxClock, LinuxPort};
use crate::metrics::{self, Published};
use crate::ntp_client::NtpClient;
use crate::ntp_keys::{self, SharedKeyTable};
use crate::ntp_loop::LoopGuard;
use crate::ntp_server::NtpServer;
use crate::ntp_workers::{NtpWorkers, Snapshot};
use crate::nts_server::{self, SharedKeys};
use crate::privileges;
use crate::refclock::Refclocks;
use crate::runtime::{DisciplinedClock, Runtime};
use crate::served::Served;
use crate::status::NtpServerCounters;
use crate::system_sync::SystemSync;

/// The runtime the daemon drives: the engine and servo over Linux ports
/// and a Linux clock.
pub type LinuxRuntime = Runtime<LinuxPort, LinuxClock>;

/// Everything the timing loop drives, opened and started.
pub struct Daemon {
    /// The PTP engine, the servo, the clock and the ports.
    pub runtime: LinuxRuntime,
    /// The control socket.
    pub control: ControlSocket,
    /// The read-only status socket, with `status-socket`.
    pub status_socket: Option<ControlSocket>,
    /// The text the metrics endpoint serves.
    pub published: Published,
    /// The dashboard's feed, with `dashboard-listen`.
    pub dashboard: Option<dashboard::Feed>,
    /// The dashboard's recorder: it saves the history when the feed is
    /// dropped; the daemon waits for it at stop.
    pub dashboard_recorder: Option<std::thread::JoinHandle<()>>,
    /// The NTS master keys, with `[nts-ke-server]`.
    pub nts_keys: Option<SharedKeys>,
    /// The NTS-KE server, with `[nts-ke-server]`.
    pub nts_ke: Option<KeServer>,
    /// The NTP server, with `[ntp-server]`.
    pub ntp_server: NtpServing,
    /// With `sync-system-clock` and a PHC: the system clock and its servo.
    pub system_sync: Option<(SystemClock, SystemSync)>,
    /// The NTP client, with `[[ntp-source]]`s or `[[csptp-source]]`s (its
    /// system process selects over both).
    pub ntp_client: Option<NtpClient>,
    /// The CSPTP sources, with `[[csptp-source]]`s.
    pub csptp_sources: Option<CsptpSources>,
    /// The CSPTP server, with `[csptp-server]`.
    pub csptp_server: CsptpServing,
    /// The reference clocks, with `[[refclock]]`s.
    pub refclocks: Option<Refclocks>,
    /// Where the frequency estimate is saved.
    pub frequency_file: Option<PathBuf>,
    /// What is served from a reference clock, holdover and leap seconds.
    pub served: Served,
    /// The leap second armed in the disciplined clock, when the daemon
    /// steers a clock that counts UTC (`crate::leap_kernel`).
    pub kernel_leap: Option<crate::leap_kernel::KernelLeap>,
    /// What the `[[roughtime-source]]`s said at start-up.
    pub roughtime: Option<crate::roughtime_status::RoughtimeStartup>,
    /// The Roughtime server, with `[roughtime-server]`.
    pub roughtime_server: crate::roughtime_serving::RoughtimeServing,
}

/// The NTP server: its state, and either its sockets (served by the timing
/// loop) or its worker loops.
#[derive(Default)]
pub struct NtpServing {
    /// The server's state, with `[ntp-server]`.
    pub server: Option<NtpServer>,
    /// The sockets the timing loop serves (no workers).
    pub sockets: Vec<UdpServer>,
    /// The worker loops, with `workers` > 0.
    pub workers: Option<NtpWorkers>,
}

impl NtpServing {
    /// The server's counters: the timing loop's, or the worker loops'.
    pub fn counters(&self) -> Option<NtpServerCounters> {
        match (&self.server, &self.workers) {
            (Some(_), Some(w)) => Some(w.counters()),
            (Some(n), None) => Some(n.counters),
            _ => None,
        }
    }
}

/// Opens and starts everything `config` asks for; the engine is started
/// (its first messages sent), the timing loop's descriptors not yet polled.
pub fn assemble(config: &Config, config_path: &Path) -> io::Result<Daemon> {
    let (mut runtime, max_ppb) = build_runtime(config)?;
    // Before anything that needs the time (NTS key establishment checks
    // certificates against it): the Roughtime consensus.
    let roughtime = roughtime_startup(config, &mut runtime)?;
    // Before the start the instance is its own grandmaster: its data sets
    // are the configured ones.
    let mut served = Served::new(
        config,
        runtime.engine.default_ds().clock_quality,
        *runtime.engine.time_properties_ds(),
    );
    let (control, status_socket) = control_sockets(config)?;
    let published = Published::default();
    if let Some(listen) = config.observability.metrics_listen {
        metrics::serve(listen, published.clone()).map_err(context("metrics-listen"))?;
    }
    let (dashboard, dashboard_recorder) = match config.observability.dashboard_listen {
        Some(listen) => {
            let file = config.observability.dashboard_history_file.as_deref();
            let (addr, feed, threads) =
                dashboard::serve(listen, file).map_err(context("dashboard-listen"))?;
            tracing::info!(%addr, "dashboard");
            (Some(feed), Some(threads.recorder))
        }
        None => (None, None),
    };
    tracing::info!(
        config = %config_path.display(),
        ports = runtime.ports.len(),
        clock = %runtime.status().clock,
        socket = %config.observability.socket.display(),
        "running"
    );
    runtime.start()?;
    // NTS: the cookie master keys, shared by the NTS-KE server (its own
    // threads, started only when configured) and the NTP server.
    let nts_keys = match &config.nts_ke_server {
        Some(k) => Some(nts_server::open_keys(k)?),
        None => None,
    };
    let nts_ke = match (&config.nts_ke_server, &nts_keys) {
        (Some(k), Some(keys)) => Some(nts_server::start_ke_server(
            k,
            config.ntp_server.as_ref(),
            keys,
        )?),
        _ => None,
    };
    // NTPv5: our reference id, the filter the server serves and the
    // client keeps up to date.
    let guard = LoopGuard::random();
    let ntp_server = ntp_serving(config, &nts_keys, &runtime, &guard)?;
    let system_sync = system_sync(config, &runtime.clock)?;
    let mut ntp_client = ntp_client(config, &mut runtime, max_ppb, &guard)?;
    let csptp_sources = match ntp_client.as_mut() {
        Some(client) if !config.csptp_sources.is_empty() => Some(CsptpSources::new(
            &config.csptp_sources,
            |s| source_timestamping(s, &config.clock.kind),
            client,
        )?),
        _ => None,
    };
    let refclocks = match ntp_client.as_mut() {
        Some(client) if !config.refclocks.is_empty() => Some(Refclocks::new(
            &config.refclocks,
            &config.clock.kind,
            client,
        )?),
        _ => None,
    };
    for (id, kind, poll) in refclocks.iter().flat_map(Refclocks::references) {
        served.register_reference(id, kind, poll);
        if let Some(client) = ntp_client.as_mut() {
            client.add_reference_code(id, kind.reference_id());
        }
    }
    let csptp_server = csptp_server(config, &runtime)?;
    let roughtime_server = crate::roughtime_serving::RoughtimeServing::open(
        config.roughtime_server.as_ref(),
        ntp_server
            .server
            .as_ref()
            .and_then(NtpServer::shared_limiter),
        &runtime.clock,
    )?;
    let kernel_leap = steers_utc_clock(config, &runtime).then(Default::default);
    Ok(Daemon {
        kernel_leap,
        runtime,
        control,
        status_socket,
        published,
        dashboard,
        dashboard_recorder,
        nts_keys,
        nts_ke,
        ntp_server,
        system_sync,
        ntp_client,
        csptp_sources,
        csptp_server,
        refclocks,
        frequency_file: config.clock.frequency_file.clone(),
        served,
        roughtime,
        roughtime_server,
    })
}

/// Whether the daemon steers a clock that counts UTC (the system clock or
/// a virtual one): it has a source to follow (an NTP, CSPTP or reference
/// clock source, or a PTP port that is not master-only). A grandmaster
/// that only reads the system clock leaves its leap seconds alone.
fn steers_utc_clock(config: &Config, runtime: &LinuxRuntime) -> bool {
    use crate::runtime::DisciplinedClock;
    let follows = !config.ntp_sources.is_empty()
        || !config.csptp_sources.is_empty()
        || !config.refclocks.is_empty()
        || config.ports.iter().any(|p| p.master_only != Some(true));
    follows && runtime.clock.counts_utc()
}

/// With `[[roughtime-source]]`s: asks them (`crate::roughtime_startup`)
/// and steps the clock to their consensus when it is due. A PHC is never
/// stepped from Roughtime.
fn roughtime_startup(
    config: &Config,
    runtime: &mut LinuxRuntime,
) -> io::Result<Option<crate::roughtime_status::RoughtimeStartup>> {
    if config.roughtime_sources.is_empty() {
        return Ok(None);
    }
    let clock = &runtime.clock;
    let (step, mut startup) =
        crate::roughtime_startup::decide(&config.roughtime_sources, &config.roughtime, &|| {
            clock.ntp_time(None)
        });
    for s in &startup.sources {
        match &s.error {
            None => {
                tracing::info!(source = %s.name, version = %s.version, midpoint_s = s.midpoint_s, radius_s = s.radius_s, offset_s = s.offset_s, "Roughtime source verified")
            }
            Some(e) => tracing::warn!(source = %s.name, error = %e, "Roughtime source"),
        }
    }
    if let Some(m) = &startup.malfeasance {
        tracing::error!(proof = %m.report, "Roughtime malfeasance: {}", m.summary);
    }
    match (step, &config.clock.kind) {
        (Some(_), ClockKind::Phc(_)) => {
            startup.stepped_s = None;
            startup.outcome = "not stepped: a PHC is not stepped from Roughtime".into();
        }
        (Some(step), _) => {
            runtime.step_clock(step)?;
            tracing::info!(
                step_s = step.as_secs_f64(),
                "clock stepped to the Roughtime consensus"
            );
        }
        (None, _) => {}
    }
    tracing::info!(outcome = %startup.outcome, agreeing = startup.agreeing, "Roughtime start-up");
    Ok(Some(startup))
}

/// The control socket and, with `status-socket`, the read-only status
/// socket, owned by the user the daemon will run as.
fn control_sockets(config: &Config) -> io::Result<(ControlSocket, Option<ControlSocket>)> {
    let o = &config.observability;
    let owner = privileges::run_as(&config.daemon)?.map(|u| (u.uid, u.gid));
    let control = ControlSocket::bind_with(
        &o.socket,
        Access {
            group: privileges::group_id(o.socket_group.as_deref())?,
            owner,
            ..Access::CONTROL
        },
    )
    .map_err(context(&o.socket.to_string_lossy()))?;
    let Some(path) = &o.status_socket else {
        return Ok((control, None));
    };
    let group = privileges::group_id(o.status_socket_group.as_deref())?;
    let access = Access {
        mode: if group.is_some() { 0o660 } else { 0o666 },
        group,
        owner,
        read_only: true,
    };
    let status =
        ControlSocket::bind_with(path, access).map_err(context(&path.to_string_lossy()))?;
    Ok((control, Some(status)))
}

/// The runtime over the configured ports and clock (the saved frequency
/// applied), and the largest frequency adjustment the clock takes.
fn build_runtime(config: &Config) -> io::Result<(LinuxRuntime, f64)> {
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
    // The daemon reads [ptp] sa-file; the engine checks and signs sans-IO.
    instance.security_associations = config
        .security_associations()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    for (pc, port) in instance.ports.iter_mut().zip(&config.ports) {
        if let Ok(i) = Interface::lookup(&port.interface) {
            pc.physical_address = i.mac.0.to_vec();
        }
    }
    let ports = open_ports(config)?;
    let saved = match &config.clock.frequency_file {
        Some(path) => freqfile::load_or_fresh(path)?,
        None => None,
    };
    let clock = open_clock(config, saved)?;
    let max_ppb = max_frequency_ppb(&clock);
    // The engine's seed (its randomised timeouts and intervals) comes from
    // the OS's random source, not the process id: under clknetsim that
    // source is the simulation's seed, so a run repeats exactly.
    let engine = PtpInstance::new(
        instance,
        u64::from_le_bytes(identity.0) ^ rand::random::<u64>(),
    );
    let servo = servo(config, saved.unwrap_or(0.0), ports.hardware, max_ppb);
    let mut runtime = Runtime::new(engine, ports.ports, ports.names, clock, servo);
    runtime.set_sanity(config.sanity());
    runtime.set_frequency_limit(max_ppb);
    Ok((runtime, max_ppb))
}

/// The configured PTP ports, opened.
struct OpenPorts {
    /// In configuration (engine) order.
    ports: Vec<LinuxPort>,
    /// Each one's interface and transport name, for the status.
    names: Vec<(String, String)>,
    /// Whether all of them timestamp in hardware.
    hardware: bool,
}

/// Opens the configured PTP ports.
fn open_ports(config: &Config) -> io::Result<OpenPorts> {
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
    Ok(OpenPorts {
        ports,
        names,
        hardware,
    })
}

/// The clock to discipline, with the saved frequency (if any) applied.
fn open_clock(config: &Config, saved: Option<f64>) -> io::Result<LinuxClock> {
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
    Ok(clock)
}

/// The NTP server, when configured: with workers, their loops started;
/// without, its sockets bound for the timing loop.
fn ntp_serving(
    config: &Config,
    nts_keys: &Option<SharedKeys>,
    runtime: &LinuxRuntime,
    guard: &LoopGuard,
) -> io::Result<NtpServing> {
    let Some(n) = &config.ntp_server else {
        return Ok(NtpServing::default());
    };
    // Software timestamps: about a microsecond (2^-20 s).
    let mut server = NtpServer::new(n, -20, rand::random()).with_loop_guard(guard.clone());
    if let Some(path) = &n.key_file {
        let keys = ntp_keys::load_logged(Some(path), n.legacy_sha1)?;
        server = server.with_symmetric_keys(SharedKeyTable(Arc::new(keys)));
    }
    if let Some(keys) = nts_keys {
        server = server.with_nts(Arc::clone(keys));
    }
    let mut serving = NtpServing::default();
    if n.workers > 0 {
        let snapshot = Snapshot {
            clock: runtime.clock.snapshot(),
            state: server.state(runtime),
        };
        serving.workers = Some(NtpWorkers::start(n, &server, snapshot)?);
    } else {
        for addr in &n.listen {
            let socket =
                UdpServer::bind_with(*addr, n.interleaved).map_err(context(&addr.to_string()))?;
            serving.sockets.push(socket);
        }
    }
    for addr in &n.listen {
        tracing::info!(listen = %addr, workers = n.workers, "NTP server");
    }
    serving.server = Some(server);
    Ok(serving)
}

/// With `sync-system-clock` and a PHC: the system clock and a phc2sys-like
/// servo for it (PI, stepping at once, then at `step-threshold`).
fn system_sync(
    config: &Config,
    clock: &LinuxClock,
) -> io::Result<Option<(SystemClock, SystemSync)>> {
    if !matches!(clock, LinuxClock::Phc(_)) || !config.clock.sync_system_clock {
        return Ok(None);
    }
    let system = SystemClock::new()?;
    let mut pi = PiConfig::hardware();
    pi.first_step_threshold = Duration::ZERO;
    let policy = PolicyConfig {
        step_threshold: config.clock.step_threshold,
        max_frequency_ppb: system.info().max_frequency_ppb as f64,
        ..PolicyConfig::default()
    };
    let servo = StepPolicy::new(PiServo::new(pi), policy);
    Ok(Some((system, SystemSync::new(Box::new(servo)))))
}

/// The NTP client, when sources are configured; the runtime then keeps its
/// corrections for the client's system process, and its PTP ports become
/// sources of that process too.
fn ntp_client(
    config: &Config,
    runtime: &mut LinuxRuntime,
    max_ppb: f64,
    guard: &LoopGuard,
) -> io::Result<Option<NtpClient>> {
    if config.ntp_sources.is_empty()
        && config.csptp_sources.is_empty()
        && config.refclocks.is_empty()
    {
        return Ok(None);
    }
    let now = runtime.clock.ntp_time(None);
    runtime.keep_corrections();
    let system = tempora_system::SystemConfig {
        minimum_agreeing: usize::from(config.minimum_agreeing_sources),
        step_threshold: config.clock.step_threshold,
        max_frequency_ppb: max_ppb,
        ..tempora_system::SystemConfig::default()
    };
    let mut client = NtpClient::new(
        &config.ntp_sources,
        system,
        config.nts_ca_file.clone(),
        ntp_keys::load_logged(config.client_key_file.as_deref(), config.client_legacy_sha1)?,
        now,
        runtime.frequency_ppb(),
    )?
    .with_loop_guard(guard.clone());
    // The PTP ports are sources beside the NTP ones: one selection.
    let ports: Vec<_> = config
        .ports
        .iter()
        .map(|p| (p.interface.clone(), crate::sources::port_options(p)))
        .collect();
    client.add_ptp_ports(&ports, runtime);
    Ok(Some(client))
}

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
pub(crate) fn port_timestamping(
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

/// The timestamping of a `[[csptp-source]]`: as a PTP port's on its
/// interface; software without one.
fn source_timestamping(
    s: &tempora_config::CsptpSourceSettings,
    clock: &ClockKind,
) -> io::Result<TimestampingMode> {
    match &s.interface {
        Some(interface) => port_timestamping(interface, s.timestamping, clock),
        None => Ok(TimestampingMode::Software),
    }
}

/// The CSPTP server, when configured; its interfaces timestamp as a PTP
/// port's would.
fn csptp_server(config: &Config, runtime: &LinuxRuntime) -> io::Result<CsptpServing> {
    let Some(s) = &config.csptp_server else {
        return Ok(CsptpServing::default());
    };
    let snapshot = CsptpSnapshot {
        clock: served_clock(runtime),
        data_set: tempora_ptp::csptp::ServerDataSet::default(),
    };
    let mode_of =
        |interface: &str| port_timestamping(interface, s.timestamping, &config.clock.kind);
    CsptpServing::open(Some(s), snapshot, &mode_of)
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
