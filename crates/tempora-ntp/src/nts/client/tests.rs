//! [`NtsClient`]: the cookie stash, the placeholders, the NAK and failure
//! timers (driven by the `now` passed in), and the counters, against the
//! server side of [`crate::nts`].

use super::*;
use crate::nts::{
    COOKIE_LEN_256, COOKIE_LEN_512, Key, MAX_COOKIE_LEN, MasterKey, make_cookie, open_request,
    request_uid, write_nak, write_response,
};
use crate::wire::ntske::AeadAlgorithm;
use crate::wire::{ExtensionKind, Mode, Packet, ReferenceId};

/// A deterministic generator (a counter).
struct Counter(u64);

impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let n = chunk.len();
            chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..n]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// `ms` milliseconds on the caller's time base.
fn at(ms: i64) -> Time {
    Time::EPOCH + Duration::from_millis(1_000_000 + ms)
}

fn keys(alg: AeadAlgorithm) -> Keys {
    let n = nts::key_len(alg).unwrap();
    Keys {
        c2s: Key::new(alg, &[0x11; 64][..n]).unwrap(),
        s2c: Key::new(alg, &[0x22; 64][..n]).unwrap(),
    }
}

/// The server: its master key and a nonce counter for its cookies.
struct Server {
    master: MasterKey,
    nonce: u8,
}

impl Server {
    fn new() -> Self {
        Server {
            master: MasterKey {
                id: 3,
                key: Key::new(AeadAlgorithm::AesSivCmac256, &[0x33; 32]).unwrap(),
            },
            nonce: 0,
        }
    }

    /// A cookie holding `keys`, as key establishment hands it out.
    fn cookie(&mut self, keys: &Keys) -> ([u8; MAX_COOKIE_LEN], usize) {
        self.nonce += 1;
        let mut c = [0u8; MAX_COOKIE_LEN];
        let n = make_cookie(&self.master, &[self.nonce; 16], keys, &mut c).unwrap();
        (c, n)
    }

    /// Key establishment: `count` cookies for `keys`, associated at `now`.
    fn associate(&mut self, client: &mut NtsClient, now: Time, keys: &Keys, count: usize) {
        let cookies: [_; 10] = core::array::from_fn(|_| self.cookie(keys));
        let list = cookies.iter().take(count).map(|(c, n)| &c[..*n]);
        assert!(client.associate(now, keys.clone(), list));
    }

    /// The answer to `request`, with every cookie it asks for; returns
    /// the reply and how many cookies it carries.
    fn answer(&mut self, request: &[u8]) -> ([u8; 2048], usize, usize) {
        let checked = open_request(request, |id| (id == 3).then_some(&self.master)).unwrap();
        let fresh: [_; MAX_COOKIES] = core::array::from_fn(|_| self.cookie(&checked.keys));
        let list: [&[u8]; MAX_COOKIES] = core::array::from_fn(|i| &fresh[i].0[..fresh[i].1]);
        let mut out = [0u8; 2048];
        let n = write_response(
            &mut out,
            &header(Mode::Server),
            checked.uid,
            &checked.keys.s2c,
            &[7; 16],
            &list[..checked.cookies_wanted],
        )
        .unwrap();
        (out, n, checked.cookies_wanted)
    }
}

fn header(mode: Mode) -> [u8; 48] {
    let mut h = [0u8; 48];
    Packet::new(mode).encode(&mut h).unwrap();
    h
}

/// An NTS NAK for `request` (RFC 8915 §5.7: stratum 0, kiss code NTSN).
fn nak(request: &[u8]) -> ([u8; 128], usize) {
    let mut p = Packet::new(Mode::Server);
    p.stratum = 0;
    p.reference_id = ReferenceId(*b"NTSN");
    let mut h = [0u8; 48];
    p.encode(&mut h).unwrap();
    let mut out = [0u8; 128];
    let n = write_nak(&mut out, &h, request_uid(request).unwrap()).unwrap();
    (out, n)
}

/// Protects a client request; returns it and its length.
fn request(client: &mut NtsClient, rng: &mut Counter) -> ([u8; 2048], usize) {
    let mut out = [0u8; 2048];
    let n = client
        .protect(&header(Mode::Client), rng, &mut out)
        .expect("ready");
    (out, n)
}

fn placeholders_in(request: &[u8]) -> usize {
    Packet::decode(request)
        .unwrap()
        .extension_fields
        .iter()
        .filter(|f| f.kind() == ExtensionKind::NtsCookiePlaceholder)
        .count()
}

#[test]
fn a_new_source_needs_key_establishment_and_protects_nothing() {
    let mut c = NtsClient::new();
    assert!(!c.ready());
    assert_eq!(c.cookies(), 0);
    assert!(c.needs_key_exchange(at(0)));
    let mut out = [0u8; 2048];
    assert_eq!(
        c.protect(&header(Mode::Client), &mut Counter(1), &mut out),
        None
    );
    // A reply with no request in flight is refused and counted.
    assert_eq!(c.check(&header(Mode::Server)), Checked::Rejected);
    assert_eq!(
        c.counters(),
        NtsCounters {
            key_exchanges: 0,
            rejected: 1,
            naks: 0
        }
    );
}

#[test]
fn key_establishment_keeps_at_most_eight_cookies() {
    let mut c = NtsClient::new();
    let k = keys(AeadAlgorithm::AesSivCmac256);
    Server::new().associate(&mut c, at(0), &k, 10);
    assert_eq!(c.cookies(), MAX_COOKIES);
    assert!(c.ready());
    assert!(!c.needs_key_exchange(at(0)));
    assert_eq!(c.counters().key_exchanges, 1);
}

#[test]
fn each_request_spends_a_cookie_and_its_reply_refills_the_stash() {
    let mut c = NtsClient::new();
    let mut rng = Counter(5);
    let mut server = Server::new();
    let k = keys(AeadAlgorithm::AesSivCmac256);
    server.associate(&mut c, at(0), &k, 3);
    let (req, n) = request(&mut c, &mut rng);
    assert_eq!(c.cookies(), 2);
    // One placeholder per cookie missing from eight before the spend.
    assert_eq!(placeholders_in(&req[..n]), 5);
    let (reply, rn, sent) = server.answer(&req[..n]);
    assert_eq!(sent, 6);
    assert_eq!(c.check(&reply[..rn]), Checked::Authentic);
    assert_eq!(c.cookies(), MAX_COOKIES);
    // A full stash asks for the spent cookie only.
    let (req, n) = request(&mut c, &mut rng);
    assert_eq!(c.cookies(), MAX_COOKIES - 1);
    assert_eq!(placeholders_in(&req[..n]), 0);
    let (reply, rn, sent) = server.answer(&req[..n]);
    assert_eq!(sent, 1);
    assert_eq!(c.check(&reply[..rn]), Checked::Authentic);
    assert_eq!(c.cookies(), MAX_COOKIES);
    // The stash takes no more than eight, whatever the server sends.
    let (req, n) = request(&mut c, &mut rng);
    let checked = open_request(&req[..n], |_| Some(&server.master)).unwrap();
    let fresh: [_; MAX_COOKIES] = core::array::from_fn(|_| server.cookie(&k));
    let list: [&[u8]; MAX_COOKIES] = core::array::from_fn(|i| &fresh[i].0[..fresh[i].1]);
    let mut out = [0u8; 2048];
    let rn = write_response(
        &mut out,
        &header(Mode::Server),
        checked.uid,
        &k.s2c,
        &[1; 16],
        &list,
    )
    .unwrap();
    assert_eq!(c.check(&out[..rn]), Checked::Authentic);
    assert_eq!(c.cookies(), MAX_COOKIES);
    assert_eq!(c.counters().rejected, 0);
}

#[test]
fn spending_every_cookie_calls_for_key_establishment() {
    let mut c = NtsClient::new();
    let mut rng = Counter(9);
    let mut server = Server::new();
    server.associate(&mut c, at(0), &keys(AeadAlgorithm::AesSivCmac256), 2);
    let _ = request(&mut c, &mut rng);
    assert!(c.ready());
    let (req, n) = request(&mut c, &mut rng);
    // The last cookie asks for all eight back.
    assert_eq!(placeholders_in(&req[..n]), 7);
    assert!(!c.ready());
    assert!(c.needs_key_exchange(at(1)));
    let mut out = [0u8; 2048];
    assert_eq!(c.protect(&header(Mode::Client), &mut rng, &mut out), None);
    assert_eq!(c.cookies(), 0);
}

#[test]
fn placeholders_keep_the_reply_within_1280_octets() {
    // Fixed part of a reply: header, unique identifier field, and the
    // authenticator's header, lengths, nonce and tag.
    let fixed = 48 + 4 + UID_LEN + 4 + 4 + nts::NONCE_LEN + nts::TAG_LEN;
    for len in [COOKIE_LEN_256, COOKIE_LEN_512, 200, 250, 1000, 1300] {
        let p = placeholders(len, 1);
        let reply = fixed + (1 + p) * (len + 4);
        assert!(p == 0 || reply <= MAX_REPLY, "{len}: {p} placeholders");
        // As many as fit, or all seven missing.
        assert!(p == 7 || reply + len + 4 > MAX_REPLY, "{len}: {p} too few");
    }
    assert_eq!(placeholders(COOKIE_LEN_256, 1), 7);
    assert_eq!(placeholders(COOKIE_LEN_512, 1), 5);
    assert_eq!(placeholders(250, 1), 3);
    assert_eq!(placeholders(1300, 1), 0);
    assert_eq!(placeholders(COOKIE_LEN_512, 8), 0);
    // The real thing with the largest cookies the server makes.
    let mut c = NtsClient::new();
    let mut rng = Counter(2);
    let mut server = Server::new();
    server.associate(&mut c, at(0), &keys(AeadAlgorithm::AesSivCmac512), 1);
    let (req, n) = request(&mut c, &mut rng);
    assert_eq!(placeholders_in(&req[..n]), 5);
    let (reply, rn, sent) = server.answer(&req[..n]);
    assert_eq!(sent, 6);
    assert!(
        rn <= MAX_REPLY && rn + COOKIE_LEN_512 + 4 > MAX_REPLY,
        "{rn}"
    );
    assert_eq!(c.check(&reply[..rn]), Checked::Authentic);
    assert_eq!(c.cookies(), 6);
    // Cookies too large for one placeholder to fit: none asked for.
    let mut c = NtsClient::new();
    let big = [0x44u8; 250];
    assert!(c.associate(at(0), keys(AeadAlgorithm::AesSivCmac256), [&big[..]]));
    let (req, n) = request(&mut c, &mut rng);
    assert_eq!(placeholders_in(&req[..n]), 3);
}

#[test]
fn an_nts_nak_keeps_the_keys_and_rekeys_no_sooner_than_8_s() {
    let mut c = NtsClient::new();
    let mut rng = Counter(3);
    let mut server = Server::new();
    server.associate(&mut c, at(0), &keys(AeadAlgorithm::AesSivCmac256), 4);
    let (req, n) = request(&mut c, &mut rng);
    let (nak_bytes, nn) = nak(&req[..n]);
    assert_eq!(c.check(&nak_bytes[..nn]), Checked::Nak);
    assert_eq!(c.counters().naks, 1);
    assert_eq!(c.counters().rejected, 0);
    // Unauthenticated: keys, cookies and the request in flight stay.
    assert!(c.ready());
    assert_eq!(c.cookies(), 3);
    let (reply, rn, _) = server.answer(&req[..n]);
    assert_eq!(c.check(&reply[..rn]), Checked::Authentic);
    assert_eq!(c.cookies(), MAX_COOKIES);
    // New keys, but not within 8 s of the last key establishment.
    assert!(!c.needs_key_exchange(at(1_000)));
    assert!(!c.needs_key_exchange(at(7_999)));
    assert!(c.needs_key_exchange(at(8_000)));
    // Asked for once: pending until answered.
    assert!(c.start_key_exchange(at(8_000)));
    assert!(!c.needs_key_exchange(at(9_000)));
    assert!(!c.start_key_exchange(at(9_000)));
    server.associate(&mut c, at(9_000), &keys(AeadAlgorithm::AesSivCmac256), 8);
    assert_eq!(c.counters().key_exchanges, 2);
    // The NAK is forgotten with the new keys.
    assert!(!c.needs_key_exchange(at(100_000)));
    // A NAK long after the key establishment: new keys at once.
    let (req, n) = request(&mut c, &mut rng);
    let (nak_bytes, nn) = nak(&req[..n]);
    assert_eq!(c.check(&nak_bytes[..nn]), Checked::Nak);
    assert!(c.needs_key_exchange(at(20_000)));
    assert_eq!(c.counters().naks, 2);
}

#[test]
fn a_nak_for_another_request_is_rejected() {
    let mut c = NtsClient::new();
    let mut rng = Counter(4);
    let mut server = Server::new();
    server.associate(&mut c, at(0), &keys(AeadAlgorithm::AesSivCmac256), 4);
    let (old, on) = request(&mut c, &mut rng);
    let _ = request(&mut c, &mut rng);
    let (nak_bytes, nn) = nak(&old[..on]);
    assert_eq!(c.check(&nak_bytes[..nn]), Checked::Rejected);
    assert_eq!(c.counters().naks, 0);
    assert_eq!(c.counters().rejected, 1);
    assert!(!c.needs_key_exchange(at(60_000)));
}

#[test]
fn failed_key_establishment_backs_off_doubling_to_10_min() {
    let mut c = NtsClient::new();
    let mut now = at(0);
    for wait_s in [8, 16, 32, 64, 128, 256, 512, 600, 600] {
        assert!(c.start_key_exchange(now));
        c.failed(now);
        let wait = Duration::from_secs(wait_s);
        assert!(!c.needs_key_exchange(now + wait - Duration::from_millis(1)));
        now += wait;
        assert!(c.needs_key_exchange(now), "after {wait_s} s");
    }
    // Success resets the back-off.
    let k = keys(AeadAlgorithm::AesSivCmac256);
    let mut server = Server::new();
    server.associate(&mut c, now, &k, 1);
    assert!(!c.needs_key_exchange(now));
    let _ = request(&mut c, &mut Counter(8));
    assert!(c.start_key_exchange(now));
    c.failed(now);
    assert!(!c.needs_key_exchange(now + Duration::from_millis(7_999)));
    assert!(c.needs_key_exchange(now + Duration::from_secs(8)));
    // A failure keeps the keys of before.
    let mut c = NtsClient::new();
    server.associate(&mut c, at(0), &k, 2);
    let (req, n) = request(&mut c, &mut Counter(6));
    let (nak_bytes, nn) = nak(&req[..n]);
    assert_eq!(c.check(&nak_bytes[..nn]), Checked::Nak);
    assert!(c.start_key_exchange(at(8_000)));
    c.failed(at(8_000));
    assert!(c.ready());
    assert!(!c.needs_key_exchange(at(15_999)));
    assert!(c.needs_key_exchange(at(16_000)));
}

#[test]
fn key_establishment_without_a_usable_cookie_is_a_failure() {
    let mut c = NtsClient::new();
    let long = [0u8; MAX_COOKIE_LEN + 1];
    assert!(!c.associate(at(0), keys(AeadAlgorithm::AesSivCmac256), [&long[..]]));
    assert!(!c.associate(at(0), keys(AeadAlgorithm::AesSivCmac256), []));
    assert!(!c.ready());
    assert_eq!(c.counters().key_exchanges, 0);
    // The second failure doubled the back-off: 16 s from then.
    assert!(!c.needs_key_exchange(at(15_999)));
    assert!(c.needs_key_exchange(at(16_000)));
}

#[test]
fn replies_not_authentic_are_rejected_and_counted() {
    let mut c = NtsClient::new();
    let mut rng = Counter(7);
    let mut server = Server::new();
    server.associate(&mut c, at(0), &keys(AeadAlgorithm::AesSivCmac256), 3);
    let (req, n) = request(&mut c, &mut rng);
    let (reply, rn, _) = server.answer(&req[..n]);
    // Tampered: refused, no cookie taken, the request still in flight.
    let mut bad = reply;
    bad[rn - 1] ^= 1;
    assert_eq!(c.check(&bad[..rn]), Checked::Rejected);
    assert_eq!(c.cookies(), 2);
    // Unprotected.
    assert_eq!(c.check(&header(Mode::Server)), Checked::Rejected);
    // Not a packet at all.
    assert_eq!(c.check(&[1, 2, 3]), Checked::Rejected);
    assert_eq!(c.check(&reply[..rn]), Checked::Authentic);
    // A replay of the authentic reply.
    assert_eq!(c.check(&reply[..rn]), Checked::Rejected);
    assert_eq!(c.cookies(), MAX_COOKIES);
    assert_eq!(
        c.counters(),
        NtsCounters {
            key_exchanges: 1,
            rejected: 4,
            naks: 0
        }
    );
}

#[test]
fn the_stash_is_first_in_first_out_across_its_end() {
    let mut s = CookieStash::new();
    assert!(s.is_empty() && s.front().is_none());
    for i in 0..MAX_COOKIES as u8 {
        assert!(s.push(&[i; 4]));
    }
    assert!(!s.push(&[9; 4]));
    for round in 0..20u8 {
        let first = s.front().unwrap()[0];
        s.pop_front();
        assert!(s.push(&[first.wrapping_add(MAX_COOKIES as u8); 4]));
        assert_eq!(s.len(), MAX_COOKIES);
        assert_eq!(first, round);
    }
    s.clear();
    assert!(s.is_empty());
    assert!(!s.push(&[0; MAX_COOKIE_LEN + 1]));
    assert!(s.push(&[5; MAX_COOKIE_LEN]));
    assert_eq!(s.front(), Some(&[5; MAX_COOKIE_LEN][..]));
    s.pop_front();
    s.pop_front();
    assert_eq!(s.len(), 0);
    assert!(s.push(&[]));
    assert_eq!(s.front(), Some(&[][..]));
}
