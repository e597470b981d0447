//! Fuzz target: NTPv5 (draft-ietf-ntp-ntpv5). Any input must neither panic
//! nor decode to something that re-encodes differently
//! (`tempora_inspect::roundtrip::ntpv5_packet`); and the server core, with
//! NTPv5 on, must answer it without panicking, never with more octets than
//! it received.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand_core::RngCore;
use tempora_clock::{Duration, Time};
use tempora_ntp::access::{Cidr, Unlimited};
use tempora_ntp::server::{
    Datagram, DenyAction, Outcome, Server, ServerClock, ServerConfig, Versions,
};
use tempora_ntp::v5::{BloomFilter, RefId120};

/// A counter as the random source.
struct Counter(u64);

impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(self.0 as u8);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = tempora_inspect::roundtrip::ntpv5_packet(data) {
        panic!("{e}");
    }
    let config = ServerConfig {
        allow: [] as [Cidr; 0],
        deny: [],
        deny_action: DenyAction::Kiss,
        interleaved: false,
        require_nts: false,
        versions: Versions::V4_V5,
        smear: data.len() % 2 == 0,
    };
    let mut server: Server<[Cidr; 0], Unlimited, 2> = Server::new(config, Unlimited, 7);
    server.set_clock(ServerClock {
        stratum: 2,
        tai_offset: Some(37),
        smear_offset: Duration::from_millis(100),
        ..ServerClock::UNSYNCHRONIZED
    });
    let mut filter = BloomFilter::EMPTY;
    filter.insert(&RefId120([0xa5; 15]));
    server.set_reference_ids(&filter);
    let t = Time::from_secs_nanos(1_800_000_000, 0);
    let mut out = [0u8; 2048];
    let datagram = Datagram { data, rx: t };
    let outcome = server.handle(t, "192.0.2.1:123".parse().unwrap(), datagram, None, &mut Counter(0), &mut out);
    if let Outcome::Reply { len, .. } | Outcome::Kiss { len, .. } = outcome {
        assert!(len <= data.len().max(48), "amplification: {len} > {}", data.len());
    }
});
