//! The daemon's Roughtime server (`[roughtime-server]`, RFC 10049): UDP
//! sockets served by the timing loop. Each ready socket is read into one
//! batch ([`tempora_roughtime::server::Batch`]); at the end of the loop's
//! turn ([`RoughtimeServing::flush`]) the batch is signed once (one Merkle
//! tree and one signature per version) with the time of the disciplined
//! clock, and the replies go out. A batch that fills up is signed at once.
//!
//! Policy around the core: the access lists, the rate limiter (the NTP
//! server's own table when it limits too, so that a client's NTP and
//! Roughtime requests count together), and the online key, delegated by
//! the long-term key for `online-key-lifetime` and replaced when a quarter
//! of its lifetime is left.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};

use tempora_clock::{Duration, Time};
use tempora_config::{Cidr, RoughtimeServerSettings};
use tempora_ntp::access::{Limiter, Verdict, allowed};
use tempora_roughtime::LongTermKey;
use tempora_roughtime::server::{Batch, DropReason, Outcome, Server, ServerConfig};
use tempora_roughtime::version::VersionSet;

use crate::ntp_server::SharedLimiter;
use crate::roughtime_client::version_of;
use crate::roughtime_status::RoughtimeServerCounters;
use crate::runtime::DisciplinedClock;

mod workers;

/// The largest request read, in the timing loop and in the worker loops'
/// `recvmmsg(2)` buffers (RFC 10049 §5.1: requests are at least 1024
/// bytes, plus the 12-byte framing header, and clients may pad more): a
/// whole Ethernet MTU. Longer datagrams are not answered.
pub(crate) const MAX_REQUEST: usize = 1500;

/// How far before now an online key's validity starts (a client whose
/// clock is a little behind still accepts it).
const MINT_MARGIN: Duration = Duration::from_secs(60);

/// The name of a drop reason in counters and metrics.
pub fn reason_name(r: &DropReason) -> &'static str {
    match r {
        DropReason::TooShort(_) => "undersized",
        DropReason::Malformed(_) => "malformed",
        DropReason::NotARequest(_) => "not_a_request",
        DropReason::MissingTag(_) => "missing_tag",
        DropReason::UnsupportedVersion => "unsupported_version",
        DropReason::BadNonce(_) => "bad_nonce",
        DropReason::WrongServer => "wrong_server",
        DropReason::BatchFull => "batch_full",
        DropReason::ReplyTooLarge { .. } => "reply_too_large",
        DropReason::DelegationExpired => "delegation_expired",
    }
}

/// Microseconds since the Unix epoch of a UTC time (0 before 1970).
fn micros(t: Time) -> u64 {
    u64::try_from(t.nanos() / 1000).unwrap_or(0)
}

/// A socket replies go out on: a plain one (the timing loop's) or a
/// worker's SO_REUSEPORT one, whose replies are queued for one
/// `sendmmsg(2)`.
pub(crate) trait ReplySocket {
    /// Sends (or queues) `data` to `to`; false if it failed.
    fn reply(&mut self, data: &[u8], to: SocketAddr) -> bool;
    /// Sends what was queued; the replies that failed.
    fn done(&mut self) -> usize {
        0
    }
}

impl ReplySocket for UdpSocket {
    fn reply(&mut self, data: &[u8], to: SocketAddr) -> bool {
        self.send_to(data, to).is_ok()
    }
}

/// The server's policy and state of one loop (the timing loop's, or a
/// worker's): the core, the access lists, the shared rate limiter, the
/// batch being collected and the counters.
pub(crate) struct Inner<S> {
    pub(crate) sockets: Vec<S>,
    long_term: LongTermKey,
    core: Server,
    lifetime: Duration,
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
    limiter: Option<SharedLimiter>,
    batch: Batch<(usize, SocketAddr)>,
    pub(crate) counters: RoughtimeServerCounters,
}

/// The Roughtime server, when configured: its state and sockets (the
/// timing loop serves them), or its worker loops.
#[derive(Default)]
pub struct RoughtimeServing {
    inner: Option<Inner<UdpSocket>>,
    workers: Option<workers::RoughtimeWorkers>,
}

impl RoughtimeServing {
    /// Loads the long-term key, delegates the first online key at the
    /// clock's time and binds the sockets of `settings` (none: nothing).
    /// `ntp_limiter` is the NTP server's rate limiter, shared when both
    /// limit.
    pub(crate) fn open(
        settings: Option<&RoughtimeServerSettings>,
        ntp_limiter: Option<SharedLimiter>,
        clock: &crate::linux::LinuxClock,
    ) -> io::Result<Self> {
        let Some(s) = settings else {
            return Ok(RoughtimeServing::default());
        };
        let seed = crate::roughtime_key::load(&s.key_file)?;
        let long_term = LongTermKey::from_seed(&seed);
        let config = ServerConfig {
            versions: s
                .versions
                .iter()
                .fold(VersionSet::empty(), |set, v| set.with(version_of(*v))),
            radius_us: micros(Time::EPOCH + s.radius),
            max_batch: usize::from(s.batch_size),
        };
        let now = clock.ntp_time(None);
        let delegation = long_term.delegate(
            &rand::random(),
            micros(now - MINT_MARGIN),
            micros(now + s.online_key_lifetime),
        );
        let core = Server::new(&long_term, delegation, config);
        let mut sockets = Vec::new();
        for addr in s.listen.iter().filter(|_| s.workers == 0) {
            let socket = UdpSocket::bind(addr).map_err(|e| {
                io::Error::new(e.kind(), format!("[roughtime-server] listen {addr}: {e}"))
            })?;
            socket.set_nonblocking(true)?;
            // A burst of requests (1 kB each) waits in a deeper queue
            // instead of being dropped; failing to get it is no error.
            let _ = tempora_linux::udp_server::set_receive_buffer(
                &socket,
                tempora_linux::udp_server::RECEIVE_BUFFER,
            );
            sockets.push(socket);
        }
        let limiter = match (s.rate_limit, ntp_limiter) {
            (None, _) => None,
            (Some(_), Some(shared)) => Some(shared),
            (Some(rate), None) => {
                crate::ntp_server::shared_rate_limiter(Some(rate), 2, rand::random())
            }
        };
        tracing::info!(
            listen = ?s.listen,
            public_key = %tempora_roughtime::base64::encode(&long_term.public()),
            "Roughtime server"
        );
        let inner = Inner {
            sockets,
            long_term,
            core,
            lifetime: s.online_key_lifetime,
            allow: s.allow.clone(),
            deny: s.deny.clone(),
            limiter,
            batch: Batch::new(),
            counters: RoughtimeServerCounters {
                online_keys: 1,
                ..Default::default()
            },
        };
        if s.workers == 0 {
            return Ok(RoughtimeServing {
                inner: Some(inner),
                workers: None,
            });
        }
        let workers = workers::RoughtimeWorkers::start(s, &inner, clock.snapshot())?;
        Ok(RoughtimeServing {
            inner: None,
            workers: Some(workers),
        })
    }

    /// Publishes the clock to the worker loops (each turn).
    pub fn publish(&self, clock: crate::ntp_workers::ClockSnapshot) {
        if let Some(w) = &self.workers {
            w.publish(clock);
        }
    }

    /// The sockets to poll.
    pub fn fds(&self) -> Vec<RawFd> {
        self.inner
            .iter()
            .flat_map(|i| i.sockets.iter().map(AsRawFd::as_raw_fd))
            .collect()
    }

    /// Reads what socket `fd` holds into the batch (signing it whenever it
    /// fills up); the batch's last part waits for [`Self::flush`].
    pub fn serve(&mut self, fd: RawFd, clock: &dyn DisciplinedClock) {
        let Some(inner) = self.inner.as_mut() else {
            return;
        };
        let Some(index) = inner.sockets.iter().position(|s| s.as_raw_fd() == fd) else {
            return;
        };
        let mut buf = [0u8; MAX_REQUEST];
        // Bounded per readiness: poll(2) reports the socket again.
        for _ in 0..256 {
            let (n, from) = match inner.sockets[index].recv_from(&mut buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::debug!(error = %e, "Roughtime server: receive");
                    break;
                }
            };
            let request = buf.get(..n).unwrap_or_default();
            inner.take(request, index, from, clock.ntp_time(None));
            if inner.batch.len() >= inner.core.config().max_batch {
                inner.flush(clock.ntp_time(None));
            }
        }
    }

    /// Signs and sends the batch (the end of the loop's turn), after
    /// rotating the online key when a quarter of its lifetime is left.
    pub fn flush(&mut self, clock: &dyn DisciplinedClock) {
        if let Some(inner) = self.inner.as_mut() {
            let now = clock.ntp_time(None);
            inner.rotate_if_due(now);
            if !inner.batch.is_empty() {
                inner.flush(now);
            }
        }
    }

    /// The counters, when the server runs: the timing loop's, or the
    /// workers' summed.
    pub fn counters(&self) -> Option<RoughtimeServerCounters> {
        match (&self.inner, &self.workers) {
            (Some(i), _) => Some(i.counters.clone()),
            (None, Some(w)) => Some(w.counters()),
            (None, None) => None,
        }
    }
}

impl<S> Inner<S> {
    /// The state of a worker loop over `sockets`: the same keys, policy
    /// and rate limiter, its own batch and counters.
    pub(crate) fn for_worker<T>(&self, sockets: Vec<T>) -> Inner<T> {
        Inner {
            sockets,
            long_term: self.long_term.clone(),
            core: self.core.clone(),
            lifetime: self.lifetime,
            allow: self.allow.clone(),
            deny: self.deny.clone(),
            limiter: self.limiter.clone(),
            batch: Batch::new(),
            counters: RoughtimeServerCounters::default(),
        }
    }

    /// Whether the batch is full (sign it now).
    pub(crate) fn batch_full(&self) -> bool {
        self.batch.len() >= self.core.config().max_batch
    }
}

impl<S: ReplySocket> Inner<S> {
    /// One datagram: access lists, rate limit, then the core's checks
    /// into the batch.
    pub(crate) fn take(&mut self, request: &[u8], socket: usize, from: SocketAddr, now: Time) {
        self.counters.requests += 1;
        if !allowed(&self.allow, &self.deny, from.ip()) {
            self.counters.denied += 1;
            return;
        }
        if let Some(limiter) = self.limiter.as_mut() {
            if limiter.check_or_leak(from.ip(), now, &mut rand::thread_rng()) != Verdict::Answer {
                self.counters.rate_limited += 1;
                return;
            }
        }
        if let Err(reason) = self.batch.push(&self.core, request, (socket, from)) {
            self.drop_counted(&reason);
        }
    }

    pub(crate) fn drop_counted(&mut self, reason: &DropReason) {
        *self
            .counters
            .dropped
            .entry(reason_name(reason).to_string())
            .or_default() += 1;
    }

    /// Signs the batch at `now` and sends the replies.
    pub(crate) fn flush(&mut self, now: Time) {
        if self.batch.is_empty() {
            return;
        }
        let outcomes = self.batch.finish(&self.core, micros(now));
        self.counters.batches += 1;
        for ((socket, to), outcome) in outcomes {
            match outcome {
                Outcome::Reply { packet, .. } => {
                    match self
                        .sockets
                        .get_mut(socket)
                        .is_some_and(|s| s.reply(&packet, to))
                    {
                        true => self.counters.replies += 1,
                        false => self.counters.send_errors += 1,
                    }
                }
                Outcome::Dropped(reason) => self.drop_counted(&reason),
            }
        }
        for s in &mut self.sockets {
            let failed = s.done() as u64;
            self.counters.replies -= failed.min(self.counters.replies);
            self.counters.send_errors += failed;
        }
    }

    /// A new online key when the current one has a quarter of its
    /// lifetime left (or the clock left its validity: a step).
    pub(crate) fn rotate_if_due(&mut self, now: Time) {
        let d = self.core.delegation();
        let now_us = micros(now);
        let quarter = micros(Time::EPOCH + self.lifetime) / 4;
        let due = now_us + quarter >= d.maxt_us() || now_us < d.mint_us();
        if !due {
            return;
        }
        let mint = micros(now - MINT_MARGIN);
        let maxt = micros(now + self.lifetime);
        let next = self.long_term.delegate(&rand::random(), mint, maxt);
        self.core.rotate(next);
        self.counters.online_keys += 1;
        tracing::info!(
            mint_us = mint,
            maxt_us = maxt,
            "Roughtime online key rotated"
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tempora_ntp::access::RateLimit;
    use tempora_roughtime::{ClientRequest, Version};

    /// A server with a fixed key (seed 7), rate limit 2 per minute and
    /// 10.0.0.0/8 denied, reading `socket`.
    pub(crate) fn inner<S>(now: Time, socket: S) -> Inner<S> {
        let long_term = LongTermKey::from_seed(&[7; 32]);
        let lifetime = Duration::from_secs(86_400);
        let delegation =
            long_term.delegate(&[8; 32], micros(now - MINT_MARGIN), micros(now + lifetime));
        let core = Server::new(&long_term, delegation, ServerConfig::default());
        let rate = RateLimit {
            interval: Duration::from_secs(60),
            burst: 2,
        };
        Inner {
            sockets: vec![socket],
            long_term,
            core,
            lifetime,
            allow: Vec::new(),
            deny: vec![Cidr::parse("10.0.0.0/8").unwrap()],
            limiter: crate::ntp_server::shared_rate_limiter(Some(rate), 0, 1),
            batch: Batch::new(),
            counters: RoughtimeServerCounters::default(),
        }
    }

    #[test]
    fn one_batch_one_signature_policy_and_drops_counted() {
        let now = Time::from_secs_nanos(1_800_000_000, 0);
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let mut s = inner(now, server);
        let public = s.long_term.public();
        let me = client.local_addr().unwrap();
        let requests: Vec<ClientRequest> = [Version::Rfc, Version::Draft14, Version::Google]
            .iter()
            .map(|v| {
                let nonce = vec![3u8; v.params().nonce_len];
                ClientRequest::new(*v, &nonce, Some(&public)).unwrap()
            })
            .collect();
        for r in &requests {
            s.take(r.packet(), 0, me, now);
        }
        // Over the client's rate (burst 2): the third was dropped.
        assert_eq!(s.counters.rate_limited, 1);
        s.take(
            requests[0].packet(),
            0,
            "10.1.2.3:2002".parse().unwrap(),
            now,
        );
        assert_eq!(s.counters.denied, 1);
        s.take(&[0u8; 100], 0, "192.0.2.1:2002".parse().unwrap(), now);
        assert_eq!(s.counters.dropped.get("undersized"), Some(&1));
        s.flush(now);
        assert_eq!((s.counters.batches, s.counters.replies), (1, 2));
        let mut buf = [0u8; 2048];
        for r in &requests[..2] {
            let n = client.recv(&mut buf).unwrap();
            let v = r.verify(&buf[..n], &public).expect("a verified reply");
            assert_eq!(v.midpoint_us / 1_000_000, 1_800_000_000);
            assert!(n <= r.packet().len(), "no amplification");
        }
        // A quarter of the lifetime left: a new online key.
        s.rotate_if_due(now + Duration::from_secs(70_000));
        assert_eq!(s.counters.online_keys, 1);
    }
}
