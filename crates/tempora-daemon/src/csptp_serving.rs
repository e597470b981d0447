//! Running the CSPTP server (`[csptp-server]`): its socket pairs (one per
//! listen address and interface), served by the timing loop, or with
//! `workers = N` by N worker loops, each with its own SO_REUSEPORT pairs,
//! answering from the [`CsptpSnapshot`] the timing loop publishes on each
//! of its turns ([`crate::worker_pool`]).

use std::io;
use std::os::fd::RawFd;

use tempora_clock::Duration;
use tempora_config::CsptpServerSettings;
use tempora_linux::csptp::{CsptpBind, CsptpSockets};
use tempora_linux::poll::Readiness;
use tempora_linux::timestamping::TimestampingMode;
use tempora_ptp::csptp::ServerDataSet;

use crate::csptp_dataset::{ARB_SERVED_UTC_OFFSET, ServedClock, Upstream, served_data_set};
use crate::csptp_server::{CsptpServerHandler, serve_ready};
use crate::csptp_status::CsptpServerCounters;
use crate::runtime::{DisciplinedClock, PortIo, Runtime};
use crate::worker_pool::{Worker, WorkerPool};

/// What the timing loop publishes each turn: the clock and the data set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsptpSnapshot {
    /// The clock, on the announced timescale.
    pub clock: ServedClock,
    /// What the server announces.
    pub data_set: ServerDataSet,
}

/// The clock as the server serves it, from the runtime: PTP time is the
/// clock's time plus the timescale offset in force (IEEE 1588-2019
/// §7.2.3), and UTC plus `currentUtcOffset` with the PTP timescale.
///
/// A daemon on the ARB timescale (PTP − UTC zero) still serves PTP time,
/// UTC + [`ARB_SERVED_UTC_OFFSET`], as its data set says
/// ([`served_data_set`]).
pub fn served_clock<P: PortIo>(runtime: &Runtime<P, crate::linux::LinuxClock>) -> ServedClock {
    let arb = runtime.ptp_minus_utc() == Duration::ZERO;
    let fix = if arb {
        Duration::from_secs(i64::from(ARB_SERVED_UTC_OFFSET))
    } else {
        Duration::ZERO
    };
    let counts_utc = runtime.clock.counts_utc();
    ServedClock {
        clock: runtime.clock.snapshot(),
        utc_to_served: runtime.ptp_minus_utc() + fix,
        hardware_to_served: runtime.timescale_offset()
            + if counts_utc { fix } else { Duration::ZERO },
    }
}

/// The server: its handler, and its sockets (timing loop) or its workers.
#[derive(Default)]
pub struct CsptpServing {
    handler: Option<CsptpServerHandler>,
    sockets: Vec<CsptpSockets>,
    workers: Option<CsptpWorkers>,
}

/// Every socket pair of `settings`: each listen address on each interface
/// (or unbound), timestamping as `mode_of` says for the interface.
fn open_pairs(
    settings: &CsptpServerSettings,
    reuse_port: bool,
    mode_of: &dyn Fn(&str) -> io::Result<TimestampingMode>,
) -> io::Result<Vec<CsptpSockets>> {
    let interfaces: Vec<Option<&str>> = if settings.interfaces.is_empty() {
        vec![None]
    } else {
        settings
            .interfaces
            .iter()
            .map(|i| Some(i.as_str()))
            .collect()
    };
    let mut pairs = Vec::new();
    for addr in &settings.listen {
        for interface in &interfaces {
            let timestamping = match interface {
                Some(i) => mode_of(i)?,
                None => TimestampingMode::Software,
            };
            let bind = CsptpBind {
                local: *addr,
                interface: interface.map(str::to_string),
                timestamping,
                reuse_port,
            };
            pairs.push(CsptpSockets::open(bind)?);
        }
    }
    Ok(pairs)
}

impl CsptpServing {
    /// Opens the server of `settings` (none: nothing), on the clock of
    /// `clock`; `mode_of` chooses an interface's timestamping.
    pub fn open(
        settings: Option<&CsptpServerSettings>,
        snapshot: CsptpSnapshot,
        mode_of: &dyn Fn(&str) -> io::Result<TimestampingMode>,
    ) -> io::Result<Self> {
        let Some(s) = settings else {
            return Ok(CsptpServing::default());
        };
        let handler = CsptpServerHandler::new(s, rand::random());
        let mut serving = CsptpServing::default();
        if s.workers > 0 {
            serving.workers = Some(start_workers(s, &handler, snapshot, mode_of)?);
        } else {
            serving.sockets = open_pairs(s, false, mode_of)?;
            for p in &serving.sockets {
                tracing::info!(listen = %p.bind().local, interface = ?p.bind().interface, timestamping = %p.bind().timestamping, "CSPTP server");
            }
        }
        serving.handler = Some(handler);
        Ok(serving)
    }

    /// Whether a server runs.
    pub fn is_on(&self) -> bool {
        self.handler.is_some()
    }

    /// The data set it announces now.
    pub fn data_set<P: PortIo, C: DisciplinedClock>(
        &self,
        runtime: &Runtime<P, C>,
        upstream: Option<Upstream>,
    ) -> Option<ServerDataSet> {
        let h = self.handler.as_ref()?;
        Some(served_data_set(&runtime.engine, upstream, &h.overrides))
    }

    /// The timing loop's sockets to poll.
    pub fn fds(&self) -> Vec<RawFd> {
        self.sockets
            .iter()
            .flat_map(|s| [s.event_fd(), s.general_fd()])
            .collect()
    }

    /// Serves socket `fd` (the timing loop's).
    pub fn serve(&mut self, fd: RawFd, error_queue: bool, now: &CsptpSnapshot) -> io::Result<()> {
        let (Some(h), Some(s)) = (
            self.handler.as_mut(),
            self.sockets
                .iter_mut()
                .find(|s| s.event_fd() == fd || s.general_fd() == fd),
        ) else {
            return Ok(());
        };
        serve_ready(s, fd, h, &now.clock, &now.data_set, error_queue)
    }

    /// Publishes the clock and data set to the worker loops.
    pub fn publish(&self, now: CsptpSnapshot) {
        if let Some(w) = &self.workers {
            w.publish(now);
        }
    }

    /// The counters: the timing loop's, or the workers' summed.
    pub fn counters(&self) -> Option<CsptpServerCounters> {
        let h = self.handler.as_ref()?;
        Some(match &self.workers {
            Some(w) => w.counters(CsptpServerCounters::add),
            None => h.counters(),
        })
    }
}

/// The running worker loops.
type CsptpWorkers = WorkerPool<CsptpSnapshot, CsptpServerCounters>;

/// Binds every worker's SO_REUSEPORT pairs (errors before any thread
/// starts), then starts the loops.
fn start_workers(
    settings: &CsptpServerSettings,
    template: &CsptpServerHandler,
    snapshot: CsptpSnapshot,
    mode_of: &dyn Fn(&str) -> io::Result<TimestampingMode>,
) -> io::Result<CsptpWorkers> {
    let mut workers = Vec::new();
    for _ in 0..settings.workers {
        let pairs = open_pairs(settings, true, mode_of)?;
        workers.push(CsptpWorker {
            pairs,
            handler: template.for_worker(),
        });
    }
    WorkerPool::start("csptp", workers, snapshot)
}

/// One worker loop's server: its socket pairs.
struct CsptpWorker {
    pairs: Vec<CsptpSockets>,
    handler: CsptpServerHandler,
}

impl Worker for CsptpWorker {
    type Snapshot = CsptpSnapshot;
    type Counters = CsptpServerCounters;

    fn fds(&self) -> Vec<RawFd> {
        let fds = self.pairs.iter().map(|p| [p.event_fd(), p.general_fd()]);
        fds.flatten().collect()
    }

    fn turn(&mut self, ready: &[Readiness], now: &CsptpSnapshot) {
        for r in ready {
            let Some(p) = self
                .pairs
                .iter_mut()
                .find(|p| p.event_fd() == r.fd || p.general_fd() == r.fd)
            else {
                continue;
            };
            let h = &mut self.handler;
            if let Err(e) = serve_ready(p, r.fd, h, &now.clock, &now.data_set, r.error_queue) {
                tracing::debug!(error = %e, "CSPTP worker: socket");
            }
        }
    }

    fn counters(&self) -> CsptpServerCounters {
        self.handler.counters()
    }
}
