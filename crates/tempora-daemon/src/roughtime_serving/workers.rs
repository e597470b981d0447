//! The Roughtime server's worker loops (`[roughtime-server] workers =
//! N`), a part of `crate::roughtime_serving` whose batch state they run:
//! N threads, each with its own SO_REUSEPORT socket per listen address
//! (the kernel keeps a client on one of them), reading with `recvmmsg(2)`,
//! signing the batch of each of its poll turns and replying with
//! `sendmmsg(2)`; the time is the clock the timing loop publishes each
//! turn ([`crate::worker_pool`]). The rate limiter is shared; each worker
//! delegates and rotates its own online key.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;

use tempora_clock::Time;
use tempora_config::RoughtimeServerSettings;
use tempora_linux::poll::Readiness;
use tempora_linux::udp_server::UdpServer;

use super::{Inner, MAX_REQUEST, ReplySocket};
use crate::ntp_server::ServedTime;
use crate::ntp_workers::ClockSnapshot;
use crate::roughtime_status::RoughtimeServerCounters;
use crate::worker_pool::{Worker, WorkerPool};

impl ReplySocket for UdpServer {
    fn reply(&mut self, data: &[u8], to: SocketAddr) -> bool {
        self.queue(data, to) || self.send_to(data, to).is_ok()
    }

    fn done(&mut self) -> usize {
        self.flush().1
    }
}

/// The running worker loops.
pub struct RoughtimeWorkers(WorkerPool<ClockSnapshot, RoughtimeServerCounters>);

impl RoughtimeWorkers {
    /// Binds every worker's sockets (errors before any thread starts),
    /// then starts the loops with `template`'s keys and policy.
    pub(crate) fn start<S>(
        settings: &RoughtimeServerSettings,
        template: &Inner<S>,
        clock: ClockSnapshot,
    ) -> io::Result<Self> {
        let mut workers = Vec::new();
        for _ in 0..settings.workers {
            let mut set = Vec::new();
            for addr in &settings.listen {
                set.push(bind(*addr)?);
            }
            let mut inner = template.for_worker(set);
            inner.counters.online_keys = 1;
            workers.push(RoughtimeWorker(inner));
        }
        WorkerPool::start("roughtime", workers, clock).map(RoughtimeWorkers)
    }

    /// Publishes the clock of this turn.
    pub fn publish(&self, clock: ClockSnapshot) {
        self.0.publish(clock);
    }

    /// The workers' counters, summed (each counts the online key it made
    /// first).
    pub fn counters(&self) -> RoughtimeServerCounters {
        self.0.counters(RoughtimeServerCounters::add)
    }
}

/// One worker loop's server.
struct RoughtimeWorker(Inner<UdpServer>);

impl Worker for RoughtimeWorker {
    type Snapshot = ClockSnapshot;
    type Counters = RoughtimeServerCounters;

    fn fds(&self) -> Vec<RawFd> {
        self.0.sockets.iter().map(UdpServer::fd).collect()
    }

    /// Reads every ready socket into the batch (signing it when full),
    /// signs the rest, rotates the online key when due.
    fn turn(&mut self, ready: &[Readiness], clock: &ClockSnapshot) {
        let inner = &mut self.0;
        let now = || clock.ntp_time(None);
        for r in ready {
            if let Some(i) = inner.sockets.iter().position(|s| s.fd() == r.fd) {
                read(inner, i, &now);
            }
        }
        let at = now();
        inner.rotate_if_due(at);
        inner.flush(at);
    }

    fn counters(&self) -> RoughtimeServerCounters {
        self.0.counters.clone()
    }
}

/// A worker's socket on `addr`: SO_REUSEPORT, and batch buffers of
/// [`MAX_REQUEST`] bytes (Roughtime requests are 1024 bytes and up).
fn bind(addr: SocketAddr) -> io::Result<UdpServer> {
    let socket = UdpServer::bind_reuseport(addr, false)
        .map_err(|e| io::Error::new(e.kind(), format!("[roughtime-server] listen {addr}: {e}")))?;
    Ok(socket.with_max_datagram(MAX_REQUEST))
}

/// Reads socket `i`'s queued datagrams (a few `recvmmsg(2)` batches) into
/// the batch.
fn read(inner: &mut Inner<UdpServer>, i: usize, now: &dyn Fn() -> Time) {
    for _ in 0..4 {
        let mut taken = Vec::new();
        let n = inner.sockets[i].recv_batch(|_, data, d| {
            taken.push((data.to_vec(), d.source, d.truncated));
        });
        for (data, source, truncated) in taken {
            match (source, truncated) {
                (Some(from), false) => inner.take(&data, i, from, now()),
                _ => {
                    inner.counters.requests += 1;
                    *inner
                        .counters
                        .dropped
                        .entry("truncated".into())
                        .or_default() += 1;
                }
            }
            if inner.batch_full() {
                inner.flush(now());
            }
        }
        if !matches!(n, Ok(64..)) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::inner;
    use super::*;
    use tempora_roughtime::ClientRequest;
    use tempora_roughtime::Version;
    use tempora_roughtime::request::encode_request_padded;

    /// A worker's socket as `start` makes it, on a free loopback port.
    fn worker_socket() -> (UdpServer, SocketAddr) {
        let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        (bind(addr).unwrap(), addr)
    }

    /// Requests longer than 1024 bytes (padded further, RFC 10049 §5.1)
    /// are read whole by a worker and answered; longer than
    /// `MAX_REQUEST`, counted `truncated`.
    #[test]
    fn a_worker_answers_a_1100_byte_request() {
        let now = Time::from_secs_nanos(1_800_000_000, 0);
        let (socket, to) = worker_socket();
        let mut s = inner(now, socket);
        let public = tempora_roughtime::LongTermKey::from_seed(&[7; 32]).public();
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let srv = tempora_roughtime::hash::srv_value(&public);
        let packet = encode_request_padded(Version::Rfc, &[4; 32], Some(&srv), 1100).unwrap();
        assert_eq!(packet.len(), 1100);
        client.send_to(&packet, to).unwrap();
        client.send_to(&[0u8; MAX_REQUEST + 1], to).unwrap();
        read(&mut s, 0, &|| now);
        s.flush(now);
        assert_eq!(s.counters.dropped.get("truncated"), Some(&1));
        assert_eq!(s.counters.replies, 1);
        let mut buf = [0u8; 2048];
        let n = client.recv(&mut buf).unwrap();
        let req = ClientRequest::from_packet(&packet).unwrap();
        let v = req.verify(&buf[..n], &public).expect("a verified reply");
        assert_eq!(v.midpoint_us, 1_800_000_000_000_000);
    }
}
