//! The daemon's CSPTP server (IEEE P1588.1 draft, as ntpd-rs 2.0 answers):
//! a request (a Sync with the CSPTP request TLV) on the event port is
//! checked against the access lists and the rate limiter the NTP server
//! uses, answered by the sans-IO core ([`CsptpServer::handle`]) with a
//! two-step Sync from the event port, and once that reply's transmit
//! timestamp comes back from the error queue, followed by a Follow_Up
//! from the general port with the precise transmit time
//! ([`CsptpServer::follow_up`]) to the client's general port (its event
//! port + 1: 320 for the standard 319).
//!
//! Stateless: nothing is kept per client but the rate limiter's bounded
//! table; a reply waits for its transmit timestamp in a small bounded
//! queue ([`MAX_IN_FLIGHT`]), whatever the number of clients.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;

use tempora_clock::Time;
use tempora_config::{AnnounceOverrides, Cidr, CsptpServerSettings};
use tempora_linux::csptp::CsptpSockets;
use tempora_linux::timestamping::{TimestampingMode, TxId};
use tempora_ntp::access::{Limiter, Verdict, allowed};
use tempora_ptp::csptp::message::RESPONSE_WITH_STATUS_LEN;
use tempora_ptp::csptp::{
    CsptpServer, CsptpServerConfig, DropCounters, ServerDataSet, ServerOutcome,
};

use crate::csptp_dataset::ServedClock;
use crate::csptp_status::{CsptpServerCounters, drops_of};
use crate::ntp_server::{SharedLimiter, shared_rate_limiter};

/// Replies waiting for their transmit timestamp, at most: beyond, the
/// oldest is given up (counted as `follow_ups_lost`).
pub const MAX_IN_FLIGHT: usize = 256;

/// The largest reply kept for its Follow_Up.
const REPLY_MAX: usize = 160;

/// A reply sent, waiting for its transmit timestamp.
struct InFlight {
    id: TxId,
    to: SocketAddr,
    len: usize,
    reply: [u8; REPLY_MAX],
}

/// The server's policy and state of one loop (the timing loop's, or a
/// worker's): the core, the access lists, the shared rate limiter, the
/// replies in flight and the counters.
pub struct CsptpServerHandler {
    core: CsptpServer,
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
    limiter: Option<SharedLimiter>,
    /// The data set overrides.
    pub overrides: AnnounceOverrides,
    in_flight: VecDeque<InFlight>,
    drops: DropCounters,
    counters: CsptpServerCounters,
}

impl CsptpServerHandler {
    /// The server of `settings`; `key` seeds the rate-limit table's hash.
    pub fn new(settings: &CsptpServerSettings, key: u64) -> Self {
        CsptpServerHandler {
            core: CsptpServer::new(CsptpServerConfig::default()),
            allow: settings.allow.clone(),
            deny: settings.deny.clone(),
            limiter: shared_rate_limiter(settings.rate_limit, settings.rate_limit_leak, key),
            overrides: settings.announce,
            in_flight: VecDeque::new(),
            drops: DropCounters::default(),
            counters: CsptpServerCounters::default(),
        }
    }

    /// The handler of a worker loop: the same policy and rate limiter, its
    /// own replies in flight and counters.
    pub fn for_worker(&self) -> Self {
        CsptpServerHandler {
            core: self.core,
            allow: self.allow.clone(),
            deny: self.deny.clone(),
            limiter: self.limiter.clone(),
            overrides: self.overrides,
            in_flight: VecDeque::new(),
            drops: DropCounters::default(),
            counters: CsptpServerCounters::default(),
        }
    }

    /// Its counters.
    pub fn counters(&self) -> CsptpServerCounters {
        let mut c = self.counters.clone();
        c.dropped = drops_of(&self.drops);
        c
    }

    /// Decides about one request from `from` received at `rx` (announced
    /// time): the reply's length in `out`, if it is to be answered.
    pub fn answer(
        &mut self,
        request: &[u8],
        rx: Time,
        from: SocketAddr,
        data_set: &ServerDataSet,
        out: &mut [u8],
    ) -> Option<usize> {
        self.counters.requests += 1;
        if !allowed(&self.allow, &self.deny, from.ip()) {
            self.counters.denied += 1;
            return None;
        }
        let mut rng = rand::thread_rng();
        if self.limiter.check_or_leak(from.ip(), rx, &mut rng) != Verdict::Answer {
            self.counters.rate_limited += 1;
            return None;
        }
        match self.core.handle(rx, request, data_set, out) {
            ServerOutcome::Reply { len, .. } => Some(len),
            ServerOutcome::Drop(reason) => {
                self.drops.count(reason);
                None
            }
        }
    }

    /// The reply `reply` left for `to` with transmit-timestamp id `id`.
    fn sent(&mut self, id: TxId, to: SocketAddr, reply: &[u8]) {
        self.counters.replies += 1;
        let mut kept = [0u8; REPLY_MAX];
        let Some(slot) = kept.get_mut(..reply.len()) else {
            return;
        };
        slot.copy_from_slice(reply);
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            self.in_flight.pop_front();
            self.counters.follow_ups_lost += 1;
        }
        self.in_flight.push_back(InFlight {
            id,
            to,
            len: reply.len(),
            reply: kept,
        });
    }

    /// The Follow_Up of the reply sent with `id` at `tx` (announced time),
    /// built into `out`: its length and destination.
    fn follow_up(&mut self, id: TxId, tx: Time, out: &mut [u8]) -> Option<(usize, SocketAddr)> {
        let i = self.in_flight.iter().position(|f| f.id == id)?;
        let f = self.in_flight.remove(i)?;
        let reply = f.reply.get(..f.len)?;
        match self.core.follow_up(reply, tx, out) {
            Ok(len) => Some((len, general_of(f.to))),
            Err(reason) => {
                self.drops.count(reason);
                None
            }
        }
    }
}

/// Where a client's Follow_Up goes: its event port + 1 (320 for 319).
pub fn general_of(event: SocketAddr) -> SocketAddr {
    SocketAddr::new(event.ip(), event.port().wrapping_add(1))
}

/// Serves what one socket pair has ready: a transmit timestamp (then the
/// Follow_Up), requests on the event socket, stray datagrams on the
/// general socket (read and counted).
pub fn serve_ready(
    sockets: &mut CsptpSockets,
    fd: std::os::fd::RawFd,
    handler: &mut CsptpServerHandler,
    clock: &ServedClock,
    data_set: &ServerDataSet,
    error_queue: bool,
) -> io::Result<()> {
    let hardware = sockets.bind().timestamping == TimestampingMode::Hardware;
    let mut buf = [0u8; 1500];
    if fd == sockets.general_fd() {
        while sockets.recv_general(&mut buf)?.is_some() {
            handler.counters.general_ignored += 1;
        }
        return Ok(());
    }
    if error_queue {
        while let Some(tx) = sockets.recv_tx_timestamp()? {
            let at = clock.served(Some(tx.time), hardware);
            if let Some((len, to)) = handler.follow_up(tx.id, at, &mut buf) {
                let data = buf.get(..len).unwrap_or_default();
                match sockets.send_general(data, to) {
                    Ok(()) => handler.counters.follow_ups += 1,
                    Err(_) => handler.counters.send_errors += 1,
                }
            }
        }
    }
    let mut out = [0u8; RESPONSE_WITH_STATUS_LEN + 64];
    // A bounded batch per readiness: poll(2) reports the socket again.
    for _ in 0..64 {
        let Some(d) = sockets.recv_event(&mut buf)? else {
            break;
        };
        let Some(from) = d.source.filter(|_| !d.truncated) else {
            handler.counters.requests += 1;
            handler
                .drops
                .count(tempora_ptp::csptp::DropReason::Malformed);
            continue;
        };
        let rx = clock.served(d.rx, hardware);
        let request = buf.get(..d.len).unwrap_or_default();
        let Some(len) = handler.answer(request, rx, from, data_set, &mut out) else {
            continue;
        };
        let reply = out.get(..len).unwrap_or_default();
        match sockets.send_event(reply, from) {
            Ok(Some(id)) => handler.sent(id, from, reply),
            Ok(None) => handler.counters.replies += 1,
            Err(_) => handler.counters.send_errors += 1,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora_clock::Duration;
    use tempora_ntp::access::RateLimit;
    use tempora_ptp::csptp::CsptpClient;
    use tempora_ptp::csptp::CsptpClientConfig;

    fn request() -> Vec<u8> {
        let mut c = CsptpClient::new(
            CsptpClientConfig {
                domain: 128,
                ..Default::default()
            },
            Time::EPOCH,
        );
        let mut buf = [0u8; 256];
        let r = c.poll_request(Time::EPOCH, &mut buf).unwrap().unwrap();
        buf[..r.len].to_vec()
    }

    #[test]
    fn access_lists_rate_limit_and_core_drops_are_counted() {
        let mut settings = CsptpServerSettings::default();
        settings.deny = vec![Cidr::parse("10.9.0.0/16").unwrap()];
        settings.rate_limit = Some(RateLimit {
            interval: Duration::from_secs(60),
            burst: 1,
        });
        settings.rate_limit_leak = 0;
        let template = CsptpServerHandler::new(&settings, 1);
        let mut h = template.for_worker();
        let ds = ServerDataSet::default();
        let at = Time::from_secs_nanos(1_800_000_000, 0);
        let mut out = [0u8; 256];
        let req = request();
        let a: SocketAddr = "192.0.2.1:319".parse().unwrap();
        let len = h.answer(&req, at, a, &ds, &mut out).expect("answered");
        // The rate limiter is shared: the second request, on another
        // worker, is over the rate.
        let mut other = template.for_worker();
        assert_eq!(other.answer(&req, at, a, &ds, &mut out), None);
        assert_eq!(other.counters().rate_limited, 1);
        assert_eq!(
            h.answer(&req, at, "10.9.0.1:319".parse().unwrap(), &ds, &mut out),
            None
        );
        assert_eq!(
            h.answer(
                &req[..10],
                at,
                "192.0.2.2:319".parse().unwrap(),
                &ds,
                &mut out
            ),
            None
        );
        let c = h.counters();
        assert_eq!((c.requests, c.denied), (3, 1));
        assert_eq!(c.dropped.values().sum::<u64>(), 1, "{c:?}");
        // The reply's Follow_Up, once its transmit timestamp is known.
        let (_, req2) = (0, request());
        let len2 = h
            .answer(&req2, at, "192.0.2.3:319".parse().unwrap(), &ds, &mut out)
            .unwrap();
        let reply = out[..len2].to_vec();
        h.sent(TxId(7), "192.0.2.3:319".parse().unwrap(), &reply);
        let mut fu = [0u8; 128];
        let (n, to) = h.follow_up(TxId(7), at, &mut fu).expect("a follow-up");
        assert!(n > 0 && len > 0);
        assert_eq!(to, "192.0.2.3:320".parse().unwrap());
        assert!(h.follow_up(TxId(7), at, &mut fu).is_none(), "sent once");
    }

    #[test]
    fn replies_in_flight_are_bounded() {
        let mut h = CsptpServerHandler::new(&CsptpServerSettings::default(), 1);
        let to: SocketAddr = "192.0.2.1:319".parse().unwrap();
        for i in 0..(MAX_IN_FLIGHT as u32 + 10) {
            h.sent(TxId(i), to, &[0u8; 64]);
        }
        assert_eq!(h.in_flight.len(), MAX_IN_FLIGHT);
        assert_eq!(h.counters().follow_ups_lost, 10);
    }
}
