//! Serving NTP from sockets: [`serve_ready`] answers what one socket has
//! queued, for the timing loop and for the worker loops that
//! `[ntp-server] workers = N` starts.
//!
//! Worker loops are auxiliary threads, started only when configured: each
//! has its own SO_REUSEPORT socket per `listen` address, its own `poll(2)`
//! loop, and answers from a [`Snapshot`] of the disciplined clock and of
//! what the server announces, which the timing loop publishes on each of
//! its turns. The timing loop itself stays single-threaded and unchanged
//! (so it still runs under clknetsim with `workers = 0`, the default).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tempora_clock::{BaseClock, Duration, Time, VirtualState};
use tempora_config::NtpServerSettings;
use tempora_linux::clock::RealtimeBase;
use tempora_linux::poll::Poller;
use tempora_linux::udp_server::UdpServer;
use tempora_ntp::server::ServerClock;

use crate::ntp_server::{NtpServer, ServedTime};
use crate::status::NtpServerCounters;

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

/// The running worker loops.
pub struct NtpWorkers {
    snapshot: Arc<Mutex<Snapshot>>,
    counters: Vec<Arc<Mutex<NtpServerCounters>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl NtpWorkers {
    /// Binds `settings.workers` SO_REUSEPORT sockets per listen address
    /// (errors are the caller's, before any thread starts), then starts one
    /// worker loop per socket set, each with a server made from `template`.
    pub fn start(
        settings: &NtpServerSettings,
        template: &NtpServer,
        snapshot: Snapshot,
    ) -> io::Result<NtpWorkers> {
        let mut sockets = Vec::new();
        for _ in 0..settings.workers {
            let mut set = Vec::new();
            for addr in &settings.listen {
                let s = UdpServer::bind_reuseport(*addr, settings.interleaved)
                    .map_err(|e| io::Error::new(e.kind(), format!("{addr}: {e}")))?;
                set.push(s);
            }
            sockets.push(set);
        }
        let shared = Arc::new(Mutex::new(snapshot));
        let stop = Arc::new(AtomicBool::new(false));
        let mut counters = Vec::new();
        let mut threads = Vec::new();
        for (i, set) in sockets.into_iter().enumerate() {
            let ntp = template.for_worker(rand::random());
            let out = Arc::new(Mutex::new(NtpServerCounters::default()));
            counters.push(Arc::clone(&out));
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            let thread = std::thread::Builder::new()
                .name(format!("ntp-worker-{i}"))
                .spawn(move || worker(set, ntp, &shared, &out, &stop))?;
            threads.push(thread);
        }
        tracing::info!(workers = threads.len(), "NTP server worker loops");
        Ok(NtpWorkers {
            snapshot: shared,
            counters,
            stop,
            threads,
        })
    }

    /// Publishes the timing loop's clock and state.
    pub fn publish(&self, snapshot: Snapshot) {
        *lock(&self.snapshot) = snapshot;
    }

    /// The workers' counters, summed.
    pub fn counters(&self) -> NtpServerCounters {
        let mut sum = NtpServerCounters::default();
        for c in &self.counters {
            sum.add(&lock(c));
        }
        sum
    }
}

impl Drop for NtpWorkers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn worker(
    mut sockets: Vec<UdpServer>,
    mut ntp: NtpServer,
    snapshot: &Mutex<Snapshot>,
    out: &Mutex<NtpServerCounters>,
    stop: &AtomicBool,
) {
    let mut poller = Poller::new();
    for s in &sockets {
        poller.register_raw(s.fd());
    }
    while !stop.load(Ordering::Relaxed) {
        let ready = match poller.wait(Duration::from_millis(200)) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(error = %e, "NTP worker: poll");
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        if ready.is_empty() {
            continue;
        }
        let now = *lock(snapshot);
        for r in ready {
            let Some(server) = sockets.iter_mut().find(|s| s.fd() == r.fd) else {
                continue;
            };
            if let Err(e) = serve_ready(server, &mut ntp, &now.clock, &now.state, r.error_queue) {
                tracing::debug!(error = %e, "NTP worker: socket");
            }
        }
        *lock(out) = ntp.counters;
    }
}
