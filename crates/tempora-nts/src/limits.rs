//! The NTS-KE server's defences against floods of connections (issue 13):
//! a bound on the connections served at once from one address block, a
//! rate limit on new connections per block (as chrony's `ntsratelimit`,
//! RFC 8633 §3.5's advice for NTP applied to key establishment), and, when
//! a bound is reached, the oldest idle connection (one whose request has
//! not arrived yet) closed to make room rather than the newcomer refused,
//! so that idle connections ("slowloris") cannot lock clients out.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, TcpStream};
use std::time::Duration;

use tempora_ntp::access::RateLimit;

/// The limits of the server (the defaults are those of
/// `[nts-ke-server]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeLimits {
    /// Connections served at once from one address block (at least 1).
    pub max_per_address: usize,
    /// The IPv4 block counted as one address (0–32).
    pub prefix_v4: u8,
    /// The IPv6 block counted as one address (0–128).
    pub prefix_v6: u8,
    /// New connections per address block (a token bucket), if limited.
    pub rate_limit: Option<RateLimit>,
    /// Over the rate, a connection is still served with probability
    /// 2^-leak (0: never).
    pub leak: u8,
}

impl Default for KeLimits {
    /// 8 connections at once per /32 (IPv4) or /64 (IPv6); a burst of 8
    /// new connections, then one per 64 s (chrony's `ntsratelimit`
    /// defaults), leak 2.
    fn default() -> Self {
        KeLimits {
            max_per_address: 8,
            prefix_v4: 32,
            prefix_v6: 64,
            rate_limit: Some(RateLimit {
                interval: tempora_clock::Duration::from_secs(64),
                burst: 8,
            }),
            leak: 2,
        }
    }
}

/// The block `ip` counts in: its first `v4` (IPv4, or IPv4-mapped IPv6)
/// or `v6` (IPv6) bits, the rest zero.
pub fn address_block(ip: IpAddr, v4: u8, v6: u8) -> IpAddr {
    let ip = match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(a) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(v4.min(32)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(v6.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

/// One connection being served.
#[derive(Debug)]
struct Entry {
    id: u64,
    block: IpAddr,
    /// Its request has not arrived yet.
    idle: bool,
    /// A handle on its socket, to close it early (none if the socket
    /// could not be cloned: it is never closed early).
    socket: Option<TcpStream>,
}

/// The connections being served, oldest first.
#[derive(Debug)]
pub(crate) struct Connections {
    entries: Vec<Entry>,
    next_id: u64,
    max: usize,
    max_per_address: usize,
}

/// A connection let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admitted {
    /// Its id, for [`Connections::busy`] and [`Connections::remove`].
    pub id: u64,
    /// Idle connections closed to make room for it.
    pub evicted: u64,
}

impl Connections {
    /// At most `max` connections at once, `max_per_address` from one block.
    pub fn new(max: usize, max_per_address: usize) -> Self {
        Connections {
            entries: Vec::new(),
            next_id: 0,
            max: max.max(1),
            max_per_address: max_per_address.max(1),
        }
    }

    /// How many are being served.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Lets a connection from `block` in, closing the oldest idle one of
    /// the same block when the block is at its bound, and the oldest idle
    /// one of all when the server is; `None` (refused) when a bound is
    /// reached and no connection under it is idle.
    pub fn admit(&mut self, block: IpAddr, socket: Option<TcpStream>) -> Option<Admitted> {
        let mut evicted = 0;
        let same = self.entries.iter().filter(|e| e.block == block).count();
        if same >= self.max_per_address {
            self.evict_oldest_idle(|e| e.block == block)?;
            evicted += 1;
        }
        if self.entries.len() >= self.max {
            self.evict_oldest_idle(|_| true)?;
            evicted += 1;
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.entries.push(Entry {
            id,
            block,
            idle: true,
            socket,
        });
        Some(Admitted { id, evicted })
    }

    /// Closes the oldest idle connection `which` accepts (its thread sees
    /// the end of its stream and ends); `None` if there is none.
    fn evict_oldest_idle(&mut self, which: impl Fn(&Entry) -> bool) -> Option<()> {
        let i = self
            .entries
            .iter()
            .position(|e| e.idle && e.socket.is_some() && which(e))?;
        let e = self.entries.remove(i);
        if let Some(s) = e.socket {
            let _ = s.shutdown(Shutdown::Both);
        }
        Some(())
    }

    /// Connection `id`'s request has arrived: it is no longer idle (and is
    /// never closed early).
    pub fn busy(&mut self, id: u64) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.idle = false;
            e.socket = None;
        }
    }

    /// Connection `id` has ended (if it was not closed early).
    pub fn remove(&mut self, id: u64) {
        self.entries.retain(|e| e.id != id);
    }
}

/// `d` as the rate limiter's time: since the server started.
pub(crate) fn limiter_time(d: Duration) -> tempora_clock::Time {
    let nanos = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    tempora_clock::Time::EPOCH + tempora_clock::Duration::from_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_are_prefixes() {
        assert_eq!(address_block(ip("192.0.2.77"), 32, 64), ip("192.0.2.77"));
        assert_eq!(address_block(ip("192.0.2.77"), 24, 64), ip("192.0.2.0"));
        assert_eq!(address_block(ip("192.0.2.77"), 0, 64), ip("0.0.0.0"));
        assert_eq!(
            address_block(ip("::ffff:192.0.2.77"), 32, 64),
            ip("192.0.2.77")
        );
        assert_eq!(
            address_block(ip("2001:db8:1:2:3:4:5:6"), 32, 64),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            address_block(ip("2001:db8:1:2:3:4:5:6"), 32, 128),
            ip("2001:db8:1:2:3:4:5:6")
        );
    }

    /// A connected pair of sockets on loopback: (ours, the peer's).
    fn pair(l: &TcpListener) -> (TcpStream, TcpStream) {
        let peer = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (ours, _) = l.accept().unwrap();
        (ours, peer)
    }

    #[test]
    fn full_evicts_the_oldest_idle_and_refuses_when_none_is() {
        use std::io::Read;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = Connections::new(3, 2);
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        let mut peers = Vec::new();
        let admit = |c: &mut Connections, block, peers: &mut Vec<TcpStream>| {
            let (ours, peer) = pair(&l);
            peers.push(peer);
            c.admit(block, Some(ours))
        };
        let first = admit(&mut c, a, &mut peers).unwrap();
        let second = admit(&mut c, a, &mut peers).unwrap();
        assert_eq!((first.evicted, second.evicted), (0, 0));
        // A third from `a`: its oldest idle one goes.
        let third = admit(&mut c, a, &mut peers).unwrap();
        assert_eq!((third.evicted, c.len()), (1, 2));
        let mut buf = [0u8; 1];
        assert_eq!(peers[0].read(&mut buf).unwrap(), 0, "closed");
        // `b` fills the server; then `b` again: the oldest idle of all.
        assert_eq!(admit(&mut c, b, &mut peers).unwrap().evicted, 0);
        c.busy(third.id);
        let next = admit(&mut c, b, &mut peers).unwrap();
        assert_eq!((next.evicted, c.len()), (1, 3));
        assert_eq!(peers[1].read(&mut buf).unwrap(), 0, "closed");
        // Every connection of `b` busy, the server full of busy ones: refused.
        c.busy(next.id);
        c.busy(c.entries[1].id);
        assert_eq!(admit(&mut c, ip("192.0.2.3"), &mut peers), None);
        assert_eq!(admit(&mut c, b, &mut peers), None);
        c.remove(third.id);
        assert!(admit(&mut c, ip("192.0.2.3"), &mut peers).is_some());
    }
}
