//! The server side of the interleaved mode (RFC 9769, basic mode), sans-IO
//! and allocation-free: a client that supports it sends, as the origin
//! timestamp of its next request, the receive timestamp of the server's
//! previous reply; the server then answers with that previous reply's
//! precise transmit time (its kernel transmit timestamp, known only after
//! it left), so the client can compute the previous exchange from four
//! precise timestamps.
//!
//! The table remembers, per client address, the receive timestamp put in
//! the last reply and that reply's transmit time once the kernel reports
//! it. It has a fixed number of slots (a newcomer takes over the slot its
//! address hashes to), so memory stays bounded. [`PendingTx`] holds the
//! replies sent whose kernel transmit timestamps have yet to come back.

use core::net::IpAddr;

use tempora_clock::Time;

use crate::access::slot_index;
use crate::wire::{NtpTimestamp, Packet};

#[derive(Debug, Clone, Copy)]
struct Slot {
    ip: Option<IpAddr>,
    /// The receive timestamp of the last reply, as sent.
    rx: NtpTimestamp,
    /// That reply's precise transmit time.
    tx: Option<Time>,
}

const EMPTY: Slot = Slot {
    ip: None,
    rx: NtpTimestamp::ZERO,
    tx: None,
};

/// Per-client state of the interleaved mode, `N` slots.
#[derive(Debug, Clone)]
pub struct XleaveTable<const N: usize> {
    slots: [Slot; N],
    key: u64,
}

impl<const N: usize> XleaveTable<N> {
    /// An empty table; `key` (random) makes the slots unpredictable.
    pub fn new(key: u64) -> Self {
        XleaveTable {
            slots: [EMPTY; N],
            key,
        }
    }

    fn index(&self, ip: IpAddr) -> Option<usize> {
        (N > 0).then(|| slot_index(self.key, ip, N))
    }

    /// The previous reply's transmit time if `request` from `ip` asks for
    /// an interleaved reply: its origin is the receive timestamp of our
    /// last reply to it (and not its own transmit timestamp, RFC 9769).
    pub fn interleaved_tx(&self, ip: IpAddr, req: &Packet<'_>) -> Option<Time> {
        let slot = self.slots.get(self.index(ip)?)?;
        (slot.ip == Some(ip)
            && !slot.rx.is_zero()
            && req.origin_timestamp == slot.rx
            && req.origin_timestamp != req.transmit_timestamp)
            .then_some(slot.tx)
            .flatten()
    }

    /// Records a reply to `ip` carrying receive timestamp `rx` (its
    /// transmit time comes later, with [`XleaveTable::transmitted`]).
    pub fn replied(&mut self, ip: IpAddr, rx: NtpTimestamp) {
        if let Some(slot) = self.index(ip).and_then(|i| self.slots.get_mut(i)) {
            *slot = Slot {
                ip: Some(ip),
                rx,
                tx: None,
            };
        }
    }

    /// The kernel's transmit time of the reply to `ip` that carried `rx`.
    pub fn transmitted(&mut self, ip: IpAddr, rx: NtpTimestamp, tx: Time) {
        if let Some(slot) = self.index(ip).and_then(|i| self.slots.get_mut(i)) {
            if slot.ip == Some(ip) && slot.rx == rx {
                slot.tx = Some(tx);
            }
        }
    }
}

/// A reply sent, waiting for its kernel transmit timestamp.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// The transmit-timestamp id the kernel gave the reply.
    id: u64,
    /// The client.
    ip: IpAddr,
    /// The receive timestamp the reply carried.
    rx: NtpTimestamp,
}

/// The replies waiting for their kernel transmit timestamps, oldest first,
/// at most `N` (the oldest is forgotten beyond): a ring of fixed size, so
/// that replies whose timestamps never come back cannot exhaust memory.
#[derive(Debug, Clone)]
pub struct PendingTx<const N: usize> {
    /// `None`: empty, or taken out of the middle.
    ring: [Option<Pending>; N],
    /// Where the oldest is.
    head: usize,
    /// How many places from `head` on are in use (taken ones included).
    len: usize,
}

impl<const N: usize> PendingTx<N> {
    /// None waiting.
    pub fn new() -> Self {
        PendingTx {
            ring: [None; N],
            head: 0,
            len: 0,
        }
    }

    /// The reply to `ip` that carried receive timestamp `rx` left with
    /// transmit-timestamp id `id`.
    pub fn push(&mut self, id: u64, ip: IpAddr, rx: NtpTimestamp) {
        if N == 0 {
            return;
        }
        if self.len == N {
            self.take_at(self.head);
        }
        if let Some(place) = self.ring.get_mut((self.head + self.len) % N) {
            *place = Some(Pending { id, ip, rx });
            self.len += 1;
        }
    }

    /// The client and receive timestamp of the oldest reply waiting with
    /// id `id`, no longer waiting.
    pub fn take(&mut self, id: u64) -> Option<(IpAddr, NtpTimestamp)> {
        let at = (0..self.len)
            .map(|i| (self.head + i) % N.max(1))
            .find(|i| matches!(self.ring.get(*i), Some(Some(p)) if p.id == id))?;
        self.take_at(at).map(|p| (p.ip, p.rx))
    }

    /// Takes the entry at `at` out, and drops the taken ones at the front.
    fn take_at(&mut self, at: usize) -> Option<Pending> {
        let taken = self.ring.get_mut(at)?.take();
        while self.len > 0 && matches!(self.ring.get(self.head), Some(None)) {
            self.head = (self.head + 1) % N.max(1);
            self.len -= 1;
        }
        taken
    }
}

impl<const N: usize> Default for PendingTx<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Ignored, ServerClock, check_request, respond, write_reply};
    use crate::time::ntp_from_time;
    use crate::wire::{LeapIndicator, Mode};
    use tempora_clock::Duration;

    /// The interleaved reply (RFC 9769) to `request`, received at `rx`: origin
    /// = the request's receive timestamp, receive = `rx`, transmit = the
    /// previous reply's precise transmit time `prev_tx`.
    fn respond_interleaved(
        request: &[u8],
        rx: Time,
        prev_tx: Time,
        clock: &ServerClock,
        out: &mut [u8],
    ) -> Result<usize, Ignored> {
        let req = check_request(request)?;
        write_reply(
            &req,
            req.receive_timestamp,
            rx,
            ntp_from_time(prev_tx),
            clock,
            out,
        )
    }

    #[test]
    fn pending_transmit_timestamps_oldest_first_and_bounded() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let ts = NtpTimestamp::from_bits;
        let mut p = PendingTx::<3>::new();
        p.push(1, a, ts(10));
        p.push(2, b, ts(20));
        p.push(1, b, ts(30));
        // The oldest with the id comes first; an unknown id gives nothing.
        assert_eq!(p.take(1), Some((a, ts(10))));
        assert_eq!(p.take(9), None);
        // Taken out of the middle, then the front: the ring empties.
        p.push(3, a, ts(40));
        assert_eq!(p.take(1), Some((b, ts(30))));
        assert_eq!(p.take(2), Some((b, ts(20))));
        assert_eq!(p.take(3), Some((a, ts(40))));
        assert_eq!((p.len, p.take(3)), (0, None));
        // Beyond three waiting, the oldest is forgotten.
        for id in 0..5 {
            p.push(id, a, ts(id));
        }
        assert_eq!(p.take(0), None);
        assert_eq!(p.take(1), None);
        assert_eq!(p.take(4), Some((a, ts(4))));
        assert_eq!(p.take(2), Some((a, ts(2))));
        // No room at all: nothing is kept, nothing panics.
        let mut none = PendingTx::<0>::new();
        none.push(1, a, ts(1));
        assert_eq!(none.take(1), None);
    }

    #[test]
    fn second_request_of_an_interleaving_client_gets_the_precise_tx() {
        let clock = ServerClock {
            leap: LeapIndicator::NoWarning,
            stratum: 1,
            ..ServerClock::UNSYNCHRONIZED
        };
        let mut table = XleaveTable::<16>::new(3);
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let t = Time::from_secs_nanos(1_800_000_000, 0);
        // First request: basic reply; the table learns its rx, then its tx.
        let mut req1 = Packet::new(Mode::Client);
        req1.transmit_timestamp = NtpTimestamp::from_bits(111);
        let mut b1 = [0u8; 48];
        req1.encode(&mut b1).unwrap();
        assert_eq!(
            table.interleaved_tx(ip, &Packet::decode(&b1).unwrap()),
            None
        );
        let mut out = [0u8; 48];
        respond(&b1, t, t, &clock, &mut out).unwrap();
        let rx1 = Packet::decode(&out).unwrap().receive_timestamp;
        table.replied(ip, rx1);
        let precise = t + Duration::from_micros(7);
        table.transmitted(ip, rx1, precise);
        // Second request: origin = rx1, receive = the client's T4.
        let mut req2 = Packet::new(Mode::Client);
        req2.origin_timestamp = rx1;
        req2.receive_timestamp = NtpTimestamp::from_bits(222);
        req2.transmit_timestamp = NtpTimestamp::from_bits(333);
        let mut b2 = [0u8; 48];
        req2.encode(&mut b2).unwrap();
        let p2 = Packet::decode(&b2).unwrap();
        let prev = table.interleaved_tx(ip, &p2).unwrap();
        assert_eq!(prev, precise);
        let t2 = t + Duration::from_secs(1);
        let n = respond_interleaved(&b2, t2, prev, &clock, &mut out).unwrap();
        let r = Packet::decode(&out[..n]).unwrap();
        assert_eq!(r.origin_timestamp.to_bits(), 222);
        assert_eq!(r.transmit_timestamp, ntp_from_time(precise));
        assert_eq!(r.receive_timestamp, ntp_from_time(t2));
        // Another client, or a stale origin, gets a basic reply.
        let other: IpAddr = "192.0.2.10".parse().unwrap();
        assert_eq!(table.interleaved_tx(other, &p2), None);
        table.replied(ip, NtpTimestamp::from_bits(999));
        assert_eq!(table.interleaved_tx(ip, &p2), None);
    }
}
