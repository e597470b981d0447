//! Serving NTP from sockets: [`serve_ready`] answers what one socket has
//! queued, for the timing loop and for the worker loops that
//! `[ntp-server] workers = N` starts.
//!
//! Worker loops ([`crate::worker_pool`]) are auxiliary threads, started
//! only when configured: each has its own SO_REUSEPORT socket per `listen`
//! address and answers from a [`Snapshot`] of the disciplined clock and of
//! what the server announces, which the timing loop publishes on each of
//! its turns.

use std::io;
use std::os::fd::RawFd;

use tempora_clock::{BaseClock, Time, VirtualState};
use tempora_config::NtpServerSettings;
use tempora_linux::clock::RealtimeBase;
use tempora_linux::poll::Readiness;
use tempora_linux::udp_server::UdpServer;
use tempora_ntp::server::ServerClock;

use crate::ntp_server::{NtpServer, ServedTime};
use crate::status::NtpServerCounters;
use crate::worker_pool::{Worker, WorkerPool};

/// Answers what `server` has queued (one `recvmmsg(2)` batch, replies sent
/// with one `sendmmsg(2)`, or one by one with transmit timestamps in the
/// interleaved mode), after collecting a transmit timestamp if the error
/// queue has one.
pub fn serve_ready(
    server: &mut UdpServer,
    ntp: &mut NtpServer,
    clock: &impl ServedTime,
    state: &ServerClock,
    error_queue: bool,
) -> io::Result<()> {
    if error_queue {
        if let Some(tx) = server.recv_tx_timestamp()? {
            let at = clock.ntp_time(Some(tx.time));
            ntp.transmitted(u64::from(tx.id.0), at);
        }
    }
    // NTS replies carry up to eight cookies.
    let mut reply = [0u8; 2048];
    server.recv_batch(|server, request, d| {
        let n = match d.source {
            Some(from) if !d.truncated => ntp.handle(clock, state, request, d.rx, from, &mut reply),
            _ => {
                ntp.counters.received += 1;
                ntp.counters.ignored += 1;
                None
            }
        };
        let (Some(n), Some(to)) = (n, d.source) else {
            return;
        };
        let data = reply.get(..n).unwrap_or_default();
        if ntp.wants_tx_timestamps() {
            match server.send_timestamped(data, to) {
                Ok(id) => {
                    ntp.sent(Ok(()));
                    if let Some(id) = id {
                        ntp.sent_with_id(u64::from(id.0));
                    }
                }
                Err(e) => ntp.sent(Err(e)),
            }
        } else if !server.queue(data, to) {
            let result = server.send_to(data, to);
            ntp.sent(result);
        }
    })?;
    let (sent, failed) = server.flush();
    ntp.sent_batch(sent, failed);
    Ok(())
}

/// The disciplined clock as a worker sees it: CLOCK_REALTIME itself (the
/// system clock, or the system clock a PHC daemon keeps in UTC), or a
/// virtual clock's mapping from it, copied from the timing loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockSnapshot {
    /// The virtual clock's state, if the clock is virtual.
    pub virtual_state: Option<VirtualState>,
}

impl ServedTime for ClockSnapshot {
    fn ntp_time(&self, raw: Option<Time>) -> Time {
        let raw = raw.unwrap_or_else(|| RealtimeBase.now());
        match &self.virtual_state {
            Some(v) => v.time_at(raw),
            None => raw,
        }
    }
}

/// What the timing loop publishes to the workers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// The clock.
    pub clock: ClockSnapshot,
    /// What the server announces.
    pub state: ServerClock,
}

/// One worker loop's server: its sockets, one per `listen` address.
struct NtpWorker {
    sockets: Vec<UdpServer>,
    ntp: NtpServer,
}

impl Worker for NtpWorker {
    type Snapshot = Snapshot;
    type Counters = NtpServerCounters;

    fn fds(&self) -> Vec<RawFd> {
        self.sockets.iter().map(UdpServer::fd).collect()
    }

    fn turn(&mut self, ready: &[Readiness], now: &Snapshot) {
        for r in ready {
            let Some(server) = self.sockets.iter_mut().find(|s| s.fd() == r.fd) else {
                continue;
            };
            if let Err(e) =
                serve_ready(server, &mut self.ntp, &now.clock, &now.state, r.error_queue)
            {
                tracing::debug!(error = %e, "NTP worker: socket");
            }
        }
    }

    fn counters(&self) -> NtpServerCounters {
        self.ntp.counters
    }
}

/// The running worker loops.
pub struct NtpWorkers(WorkerPool<Snapshot, NtpServerCounters>);

impl NtpWorkers {
    /// Binds `settings.workers` SO_REUSEPORT sockets per listen address
    /// (errors are the caller's, before any thread starts), then starts one
    /// worker loop per socket set, each with a server made from `template`.
    pub fn start(
        settings: &NtpServerSettings,
        template: &NtpServer,
        snapshot: Snapshot,
    ) -> io::Result<NtpWorkers> {
        let mut workers = Vec::new();
        for _ in 0..settings.workers {
            let mut sockets = Vec::new();
            for addr in &settings.listen {
                let s = UdpServer::bind_reuseport(*addr, settings.interleaved)
                    .map_err(|e| io::Error::new(e.kind(), format!("{addr}: {e}")))?;
                sockets.push(s);
            }
            let ntp = template.for_worker(rand::random());
            workers.push(NtpWorker { sockets, ntp });
        }
        WorkerPool::start("ntp", workers, snapshot).map(NtpWorkers)
    }

    /// Publishes the timing loop's clock and state.
    pub fn publish(&self, snapshot: Snapshot) {
        self.0.publish(snapshot);
    }

    /// The workers' counters, summed.
    pub fn counters(&self) -> NtpServerCounters {
        self.0.counters(NtpServerCounters::add)
    }
}
