//! The worker loops of the NTP, CSPTP and Roughtime servers (`workers =
//! N` in their sections): N auxiliary threads, started only when
//! configured, each with its own SO_REUSEPORT sockets and its own
//! `poll(2)` loop. A worker answers from the [`WorkerPool::publish`]ed
//! snapshot (the disciplined clock and what the server announces), which
//! the timing loop updates on each of its turns, and hands its counters
//! back after each of its own. The timing loop itself stays
//! single-threaded (so it runs under clknetsim with `workers = 0`).

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tempora_clock::Duration;
use tempora_linux::poll::{Poller, Readiness};

/// How long a worker waits in `poll(2)` before it looks at the stop flag.
const WAIT: Duration = Duration::from_millis(200);

/// One worker's server: its sockets and what answers on them.
pub trait Worker: Send + 'static {
    /// What the timing loop publishes.
    type Snapshot: Copy + Send + 'static;
    /// What the worker counts.
    type Counters: Default + Clone + Send + 'static;

    /// The descriptors to wait on.
    fn fds(&self) -> Vec<RawFd>;

    /// Serves the descriptors `ready` (possibly none: a turn without
    /// traffic, for work that is due by time) with `snapshot`.
    fn turn(&mut self, ready: &[Readiness], snapshot: &Self::Snapshot);

    /// The counters so far.
    fn counters(&self) -> Self::Counters;
}

/// The running worker loops of one server; dropping it stops and joins
/// them.
pub struct WorkerPool<S, C> {
    snapshot: Arc<Mutex<S>>,
    counters: Vec<Arc<Mutex<C>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

/// The value in `m`, also if a worker panicked holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: Copy + Send + 'static, C: Default + Clone + Send + 'static> WorkerPool<S, C> {
    /// Starts a thread `NAME-worker-I` for each of `workers` (whose
    /// sockets the caller has bound, so that binding errors come before any
    /// thread starts), all reading `snapshot` until the next
    /// [`publish`](Self::publish).
    pub fn start<W>(name: &str, workers: Vec<W>, snapshot: S) -> io::Result<Self>
    where
        W: Worker<Snapshot = S, Counters = C>,
    {
        let shared = Arc::new(Mutex::new(snapshot));
        let stop = Arc::new(AtomicBool::new(false));
        let (mut counters, mut threads) = (Vec::new(), Vec::new());
        for (i, w) in workers.into_iter().enumerate() {
            let out = Arc::new(Mutex::new(C::default()));
            counters.push(Arc::clone(&out));
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            let label = name.to_string();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("{name}-worker-{i}"))
                    .spawn(move || run(w, &label, &shared, &out, &stop))?,
            );
        }
        tracing::info!(server = name, workers = threads.len(), "worker loops");
        Ok(WorkerPool {
            snapshot: shared,
            counters,
            stop,
            threads,
        })
    }

    /// Publishes the timing loop's snapshot of this turn.
    pub fn publish(&self, snapshot: S) {
        *lock(&self.snapshot) = snapshot;
    }

    /// The workers' counters, summed with `add`.
    pub fn counters(&self, add: impl Fn(&mut C, &C)) -> C {
        let mut sum = C::default();
        for c in &self.counters {
            add(&mut sum, &lock(c));
        }
        sum
    }
}

impl<S, C> Drop for WorkerPool<S, C> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// One worker loop: wait, serve, hand back the counters, until `stop`.
fn run<W: Worker>(
    mut w: W,
    name: &str,
    snapshot: &Mutex<W::Snapshot>,
    out: &Mutex<W::Counters>,
    stop: &AtomicBool,
) {
    let mut poller = Poller::new();
    for fd in w.fds() {
        poller.register_raw(fd);
    }
    while !stop.load(Ordering::Relaxed) {
        let ready = match poller.wait(WAIT) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(server = name, error = %e, "worker: poll");
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        let now = *lock(snapshot);
        w.turn(&ready, &now);
        *lock(out) = w.counters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    /// A worker that counts the datagrams on one socket and the turns.
    struct Counting {
        socket: std::net::UdpSocket,
        seen: u64,
    }

    impl Worker for Counting {
        type Snapshot = u64;
        type Counters = (u64, u64);

        fn fds(&self) -> Vec<RawFd> {
            vec![self.socket.as_raw_fd()]
        }

        fn turn(&mut self, ready: &[Readiness], snapshot: &u64) {
            let mut buf = [0u8; 64];
            for _ in ready {
                while self.socket.recv(&mut buf).is_ok() {
                    self.seen += *snapshot;
                }
            }
        }

        fn counters(&self) -> (u64, u64) {
            (self.seen, 1)
        }
    }

    /// Each worker serves its socket with the published snapshot, and the
    /// counters are summed over the workers.
    #[test]
    fn workers_serve_with_the_published_snapshot_and_counters_sum() {
        let workers: Vec<Counting> = (0..2)
            .map(|_| {
                let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                socket.set_nonblocking(true).unwrap();
                Counting { socket, seen: 0 }
            })
            .collect();
        let to: Vec<_> = workers
            .iter()
            .map(|w| w.socket.local_addr().unwrap())
            .collect();
        let pool = WorkerPool::start("test", workers, 0).unwrap();
        pool.publish(10);
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for addr in &to {
            client.send_to(b"x", addr).unwrap();
        }
        let add = |a: &mut (u64, u64), b: &(u64, u64)| {
            a.0 += b.0;
            a.1 += b.1;
        };
        let start = std::time::Instant::now();
        while pool.counters(add).0 < 20 && start.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(pool.counters(add), (20, 2));
    }
}
