//! Fuzz target: the NTP server core, `Server::handle`, on an arbitrary
//! datagram — the request check, the access lists and their DENY kiss, the
//! rate limiter and its RATE kiss, the interleaved mode with transmit
//! timestamps fed back, NTS (protected replies and NAKs), and symmetric
//! keys (RFC 8573: the datagram, when bit 4 of its first octet is set,
//! signed with one of the server's keys; a MAC that verifies gets a reply
//! signed with its key) — must not panic, and what it says to send must
//! fit the buffer.
#![no_main]

use core::net::{IpAddr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use tempora_clock::{Duration, Time};
use tempora_ntp::access::{Cidr, RateLimit, RateLimiter};
use tempora_ntp::nts::{Key, MasterKey, MasterKeys};
use tempora_ntp::server::{
    Datagram, DenyAction, Outcome, ReplyKind, Server, ServerClock, ServerConfig, Versions,
};
use tempora_ntp::symmetric::{KeyType, SymmetricKey, sign};
use tempora_ntp::wire::ntske::AeadAlgorithm;

/// A deterministic generator, so that a crash replays.
struct Counter(u64);

impl rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(key) = Key::new(AeadAlgorithm::AesSivCmac256, &[7; 32]) else {
        return;
    };
    let master = MasterKey { id: 1, key };
    let first = data.first().copied().unwrap_or(0);
    // The first octet of a request is mostly fixed (version, mode 3): the
    // versions answered and the NTS master keys follow the last octet, so
    // that NTPv5 requests (version bits 101, bit 3 set) reach the NTPv5
    // and NTS-over-NTPv5 paths too.
    let last = data.last().copied().unwrap_or(0);
    let (Ok(allow), Ok(deny)) = (Cidr::parse("192.0.2.0/24"), Cidr::parse("192.0.2.128/25")) else {
        return;
    };
    let config = ServerConfig {
        allow: [allow],
        deny: [deny],
        deny_action: if first & 1 == 0 {
            DenyAction::Drop
        } else {
            DenyAction::Kiss
        },
        interleaved: first & 2 == 0,
        require_nts: first & 4 != 0,
        versions: if last & 8 == 0 {
            Versions::V4_V5
        } else {
            Versions::V4
        },
        smear: first & 16 != 0,
    };
    let limit = RateLimit {
        interval: Duration::from_secs(1),
        burst: 2,
    };
    let (Some(aes), Some(sha1)) = (
        SymmetricKey::new(1, KeyType::Aes128, &[0x11; 16]),
        SymmetricKey::new(2, KeyType::Sha1, b"legacy"),
    ) else {
        return;
    };
    let keys = [aes, sha1];
    let mut signed = [0u8; 2048];
    let data = match (first & 16 != 0).then(|| {
        let len = data.len().min(2000);
        signed[..len].copy_from_slice(&data[..len]);
        sign(&mut signed, len, &keys[usize::from(first & 32 != 0)])
    }) {
        Some(Some(n)) => &signed[..n],
        _ => data,
    };
    let mut server = Server::<_, _, 4>::new(config, RateLimiter::<8>::new(limit, 1), 7)
        .with_symmetric_keys(keys);
    server.set_clock(ServerClock::UNSYNCHRONIZED);
    let remote = SocketAddr::new(IpAddr::from([192, 0, 2, first]), u16::from(first) * 3);
    let keys: Option<&dyn MasterKeys> = (last & 64 == 0).then_some(&master as &dyn MasterKeys);
    let mut rng = Counter(u64::from(first));
    let mut out = [0u8; 2048];
    let t = Time::from_secs_nanos(1_800_000_000, 0);
    // Four times, 300 ms apart: answered, interleaved, kissed, dropped.
    for i in 0..4u8 {
        let now = t + Duration::from_millis(300 * i64::from(i));
        let datagram = Datagram {
            data,
            rx: now - Duration::from_micros(5),
        };
        let outcome = server.handle(now, remote, datagram, keys, &mut rng, &mut out);
        assert!(outcome.reply_len().is_none_or(|n| n <= out.len()));
        if let Outcome::Reply {
            kind: ReplyKind::Keyed { key_id, .. },
            ..
        } = outcome
        {
            assert!(key_id == 1 || key_id == 2);
        }
        if let Outcome::Reply { .. } = outcome {
            server.sent_with_id(u64::from(i));
            server.transmitted(u64::from(i), now + Duration::from_micros(3));
        }
    }
});
