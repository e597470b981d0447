//! Fuzz target: the NTS client state of one source
//! (`tempora_ntp::nts::client::NtsClient`) driven by an arbitrary sequence
//! of events — key establishment asked for, completed (with cookies of any
//! size) or failed, time passing, requests protected, and replies that are
//! genuine (made by the server side of `tempora_ntp::nts`), NAKs, replays
//! or arbitrary bytes. It must not panic, the stash never holds more than
//! `MAX_COOKIES`, a protected request fits its buffer, and a genuine reply
//! to the request in flight is authentic while the same bytes again are
//! refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_clock::{Duration, Time};
use tempora_ntp::nts::client::{Checked, NtsClient};
use tempora_ntp::nts::{
    Key, Keys, MAX_COOKIE_LEN, MAX_COOKIES, MasterKey, make_cookie, open_request, request_uid,
    write_nak, write_response,
};
use tempora_ntp::wire::ntske::AeadAlgorithm;
use tempora_ntp::wire::{Mode, Packet, ReferenceId};

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

fn header(mode: Mode, kiss: Option<[u8; 4]>) -> Option<[u8; 48]> {
    let mut p = Packet::new(mode);
    if let Some(code) = kiss {
        p.stratum = 0;
        p.reference_id = ReferenceId(code);
    }
    let mut h = [0u8; 48];
    p.encode(&mut h).ok()?;
    Some(h)
}

/// The server's answer to `request`: a protected response with the
/// cookies asked for, or an NTS NAK.
fn answer(master: &MasterKey, request: &[u8], nak: bool, out: &mut [u8]) -> Option<usize> {
    if nak {
        let uid = request_uid(request)?;
        return write_nak(out, &header(Mode::Server, Some(*b"NTSN"))?, uid).ok();
    }
    let checked = open_request(request, |id| (id == master.id).then_some(master)).ok()?;
    let mut fresh = [[0u8; MAX_COOKIE_LEN]; MAX_COOKIES];
    let mut lens = [0usize; MAX_COOKIES];
    for (i, (c, n)) in fresh.iter_mut().zip(lens.iter_mut()).enumerate() {
        *n = make_cookie(master, &[i as u8; 16], &checked.keys, c).ok()?;
    }
    let list: [&[u8]; MAX_COOKIES] = core::array::from_fn(|i| &fresh[i][..lens[i]]);
    let wanted = checked.cookies_wanted.min(MAX_COOKIES);
    write_response(
        out,
        &header(Mode::Server, None)?,
        checked.uid,
        &checked.keys.s2c,
        &[9; 16],
        &list[..wanted],
    )
    .ok()
}

fuzz_target!(|data: &[u8]| {
    let (Ok(master_key), Ok(c2s), Ok(s2c)) = (
        Key::new(AeadAlgorithm::AesSivCmac256, &[0x33; 32]),
        Key::new(AeadAlgorithm::AesSivCmac256, &[0x11; 32]),
        Key::new(AeadAlgorithm::AesSivCmac256, &[0x22; 32]),
    ) else {
        return;
    };
    let master = MasterKey { id: 3, key: master_key };
    let keys = Keys { c2s, s2c };
    let Some(request_header) = header(Mode::Client, None) else {
        return;
    };
    let mut client = NtsClient::new();
    let mut rng = Counter(7);
    let mut now = Time::from_secs_nanos(1_000, 0);
    let mut request = [0u8; 2048];
    let mut request_len = None;
    let mut reply = [0u8; 2048];
    let mut last_reply_len = None;
    let mut input = data.iter().copied();
    while let Some(op) = input.next() {
        let arg = input.next().unwrap_or(0);
        match op % 8 {
            0 => {
                let _ = client.start_key_exchange(now);
            }
            1 => {
                // Key establishment with `arg % 12` cookies, of a length
                // chosen by the next byte (some too long to keep).
                let len = usize::from(input.next().unwrap_or(0)) * 2;
                let mut made = [[0u8; 512]; 12];
                let mut lens = [0usize; 12];
                for (i, (c, n)) in made.iter_mut().zip(lens.iter_mut()).enumerate() {
                    *n = make_cookie(&master, &[i as u8; 16], &keys, c).unwrap_or(0);
                    if len > *n {
                        *n = len.min(c.len());
                    }
                }
                let count = usize::from(arg % 12);
                let cookies = made.iter().zip(lens).take(count).map(|(c, n)| &c[..n]);
                let _ = client.associate(now, keys.clone(), cookies);
            }
            2 => client.failed(now),
            3 => now = now + Duration::from_secs(i64::from(arg)),
            4 => {
                let before = client.cookies();
                let n = client.protect(&request_header, &mut rng, &mut request);
                assert!(n.is_none_or(|n| n <= request.len()));
                assert!(n.is_none() || client.cookies() + 1 == before);
                if n.is_some() {
                    request_len = n;
                }
            }
            5 => {
                // The server's answer to the last request (a NAK when `arg`
                // is odd), then the same bytes again.
                let Some(len) = request_len else { continue };
                let Some(n) = answer(&master, &request[..len], arg & 1 == 1, &mut reply) else {
                    continue;
                };
                let first = client.check(&reply[..n]);
                if arg & 1 == 0 && request_len.is_some() {
                    last_reply_len = Some(n);
                }
                if first == Checked::Authentic {
                    request_len = None;
                    assert_eq!(client.check(&reply[..n]), Checked::Rejected, "a replay passed");
                }
            }
            6 => {
                // The last genuine reply with one octet changed.
                let Some(n) = last_reply_len else { continue };
                let i = usize::from(arg) % n;
                reply[i] ^= 1 | (arg >> 1);
                assert_ne!(client.check(&reply[..n]), Checked::Authentic, "a tampered reply passed");
                reply[i] ^= 1 | (arg >> 1);
            }
            _ => {
                // Arbitrary bytes as a reply: the rest of the input.
                let rest: Vec<u8> = input.by_ref().take(usize::from(arg) * 8).collect();
                let _ = client.check(&rest);
            }
        }
        assert!(client.cookies() <= MAX_COOKIES);
        assert!(!client.ready() || client.cookies() > 0);
    }
});
