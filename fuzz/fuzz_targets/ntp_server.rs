//! Fuzz target: the server's handling of an arbitrary datagram — the
//! request check, the reply, the kiss-o'-death, the rate limiter and the
//! interleaved mode — must not panic.
#![no_main]

use core::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use tempora_clock::{Duration, Time};
use tempora_ntp::access::{RateLimit, RateLimiter, kiss};
use tempora_ntp::server::{ServerClock, check_request, respond};
use tempora_ntp::wire::{KissCode, NtpTimestamp};
use tempora_ntp::xleave::{XleaveTable, respond_interleaved};

fuzz_target!(|data: &[u8]| {
    let t = Time::from_secs_nanos(1_800_000_000, 0);
    let mut out = [0u8; 64];
    let _ = check_request(data);
    let _ = respond(data, t, t, &ServerClock::UNSYNCHRONIZED, &mut out);
    let _ = kiss(data, KissCode::from_bytes(*b"RATE"), &mut out);
    let _ = respond_interleaved(data, t, t, &ServerClock::UNSYNCHRONIZED, &mut out);
    let mut table = XleaveTable::<4>::new(7);
    let ip = IpAddr::from([192, 0, 2, data.first().copied().unwrap_or(0)]);
    let decoded = tempora_ntp::wire::Packet::decode(data).ok();
    if let Some(p) = &decoded {
        let _ = table.interleaved_tx(ip, p);
    }
    if data.len() >= 32 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[24..32]);
        table.replied(ip, NtpTimestamp::from_bits(u64::from_be_bytes(b)));
        table.transmitted(ip, NtpTimestamp::from_bits(u64::from_be_bytes(b)), t);
        if let Some(p) = &decoded {
            let _ = table.interleaved_tx(ip, p);
        }
    }
    let mut limiter = RateLimiter::<8>::new(
        RateLimit {
            interval: Duration::from_secs(1),
            burst: 2,
        },
        1,
    );
    for chunk in data.chunks(5) {
        let mut b = [0u8; 4];
        for (d, s) in b.iter_mut().zip(chunk) {
            *d = *s;
        }
        let dt = i64::from(chunk.get(4).copied().unwrap_or(0));
        let _ = limiter.check(IpAddr::from(b), t + Duration::from_millis(dt * 10));
    }
});
