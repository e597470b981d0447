//! Fuzz target: a client checking an arbitrary reply against its request
//! (`tempora_ntp::exchange`) must not panic, whatever the reply's bytes and
//! the local timestamps (taken from the input too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_clock::Time;
use tempora_ntp::exchange::Request;

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 {
        return;
    }
    let (head, reply) = data.split_at(24);
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&head[i * 8..i * 8 + 8]);
        u64::from_le_bytes(b)
    };
    let (request, _) = Request::new(word(0));
    // Times within ±2^62 ns of the epoch: every Time a clock can read.
    let t1 = Time::from_secs_nanos((word(1) as i64) >> 32, 0);
    let t4 = Time::from_secs_nanos((word(2) as i64) >> 32, (word(2) as u32) % 1_000_000_000);
    let _ = request.complete(reply, t1, t4);
    // And with the cookie the reply carries, so the arithmetic runs.
    if reply.len() >= 48 {
        let mut cookie = [0u8; 8];
        cookie.copy_from_slice(&reply[24..32]);
        let (request, _) = Request::new(u64::from_be_bytes(cookie));
        let _ = request.complete(reply, t1, t4);
    }
});
