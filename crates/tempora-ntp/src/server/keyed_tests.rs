//! [`Server::handle`] with symmetric keys (RFC 5905 §9.1, RFC 8573): what
//! a keyed client sends and reads back, and what is refused.

use super::*;
use crate::access::{RateLimit, RateLimiter, Unlimited};
use crate::exchange::Request;
use crate::nts::Key;
use crate::symmetric::client::{KeyedReply, KeyedSource};
use crate::symmetric::{KeyType, SymmetricKey};
use crate::wire::ntske::AeadAlgorithm;
use crate::wire::{LeapIndicator, ReferenceId};
use tempora_clock::Duration;

/// A generator that must not be drawn from (no NTS here).
struct Untouched;

impl RngCore for Untouched {
    fn next_u32(&mut self) -> u32 {
        panic!("drawn from")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("drawn from")
    }
    fn fill_bytes(&mut self, _: &mut [u8]) {
        panic!("drawn from")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), rand_core::Error> {
        panic!("drawn from")
    }
}

const T: Time = Time::from_secs_nanos(1_800_000_000, 0);

fn aes(id: u32, fill: u8) -> SymmetricKey {
    SymmetricKey::new(id, KeyType::Aes128, &[fill; 16]).unwrap()
}

fn keys() -> [SymmetricKey; 3] {
    [
        aes(1, 0x11),
        SymmetricKey::new(2, KeyType::Aes256, &[0x22; 32]).unwrap(),
        SymmetricKey::new(3, KeyType::Sha1, b"legacy").unwrap(),
    ]
}

fn server<L: Limiter>(
    limiter: L,
    interleaved: bool,
) -> Server<[Cidr; 0], L, 16, [SymmetricKey; 3]> {
    let config = ServerConfig {
        allow: [],
        deny: [],
        deny_action: DenyAction::Drop,
        interleaved,
        require_nts: false,
        versions: Versions::V4,
        smear: false,
    };
    let mut s = Server::new(config, limiter, 5).with_symmetric_keys(keys());
    s.set_clock(ServerClock {
        leap: LeapIndicator::NoWarning,
        stratum: 1,
        precision: -23,
        reference_id: ReferenceId(*b"PTP\0"),
        reference_time: T,
        root_delay: Duration::ZERO,
        root_dispersion: Duration::ZERO,
        ..ServerClock::UNSYNCHRONIZED
    });
    s
}

fn handle<L: Limiter, K: SymmetricKeys>(
    s: &mut Server<[Cidr; 0], L, 16, K>,
    data: &[u8],
    out: &mut [u8],
) -> Outcome {
    let datagram = Datagram {
        data,
        rx: T - Duration::from_millis(1),
    };
    let from: SocketAddr = "192.0.2.1:40000".parse().unwrap();
    s.handle(T, from, datagram, None, &mut Untouched, out)
}

/// A request of `source`'s key: its bytes in `buf`, and its length.
fn keyed_request(source: &KeyedSource, cookie: u64, buf: &mut [u8]) -> (Request, usize) {
    let (req, header) = Request::new(cookie);
    (req, source.protect(&header, buf).unwrap())
}

#[test]
fn a_keyed_request_gets_a_reply_signed_with_its_key() {
    let mut s = server(Unlimited, false);
    for key in keys() {
        let id = key.id();
        let mut client = KeyedSource::new(key);
        let mut buf = [0u8; 128];
        let (req, n) = keyed_request(&client, 7, &mut buf);
        let mut out = [0u8; 2048];
        let outcome = handle(&mut s, &buf[..n], &mut out);
        let digest = if id == 3 { 20 } else { 16 };
        assert_eq!(
            outcome,
            Outcome::Reply {
                len: 48 + 4 + digest,
                kind: ReplyKind::Keyed {
                    key_id: id,
                    interleaved: false
                }
            },
            "key {id}"
        );
        let reply = &out[..outcome.reply_len().unwrap()];
        assert_eq!(client.check(reply), KeyedReply::Authentic);
        let t1 = T - Duration::from_millis(2);
        assert!(req.complete(reply, t1, T).is_ok());
        // Another client's key of the same id does not verify.
        let mut other = KeyedSource::new(aes(id, 0x99));
        if id != 3 {
            assert!(matches!(other.check(reply), KeyedReply::Rejected(_)));
        }
    }
}

#[test]
fn unknown_keys_and_bad_macs_are_dropped_like_chronyd_does() {
    let mut s = server(Unlimited, false);
    let mut out = [0u8; 2048];
    let mut buf = [0u8; 128];
    // Key 9 is not the server's.
    let (_, n) = keyed_request(&KeyedSource::new(aes(9, 0x11)), 1, &mut buf);
    assert_eq!(
        handle(&mut s, &buf[..n], &mut out),
        Outcome::Dropped(DropReason::UnknownKey)
    );
    // Key 1 with another secret; then tampered after signing.
    let (_, n) = keyed_request(&KeyedSource::new(aes(1, 0x12)), 1, &mut buf);
    assert_eq!(
        handle(&mut s, &buf[..n], &mut out),
        Outcome::Dropped(DropReason::BadMac)
    );
    let (_, n) = keyed_request(&KeyedSource::new(aes(1, 0x11)), 1, &mut buf);
    buf[40] ^= 4;
    assert_eq!(
        handle(&mut s, &buf[..n], &mut out),
        Outcome::Dropped(DropReason::BadMac)
    );
    // A 4-octet trailer (crypto-NAK shape), and a SHA-1-sized digest
    // naming the AES key.
    let (_, header) = Request::new(1);
    let mut short = [0u8; 52];
    short[..48].copy_from_slice(&header);
    assert_eq!(
        handle(&mut s, &short, &mut out),
        Outcome::Dropped(DropReason::BadMac)
    );
    let mut long = [0u8; 72];
    long[..48].copy_from_slice(&header);
    long[48..52].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(
        handle(&mut s, &long, &mut out),
        Outcome::Dropped(DropReason::BadMac)
    );
    // A server with no keys knows no key.
    let (_, n) = keyed_request(&KeyedSource::new(aes(1, 0x11)), 1, &mut buf);
    let config = ServerConfig {
        allow: [],
        deny: [],
        deny_action: DenyAction::Drop,
        interleaved: false,
        require_nts: false,
        versions: Versions::V4,
        smear: false,
    };
    let mut plain: Server<[Cidr; 0], _, 16> = Server::new(config, Unlimited, 5);
    assert_eq!(
        handle(&mut plain, &buf[..n], &mut out),
        Outcome::Dropped(DropReason::UnknownKey)
    );
}

#[test]
fn a_keyed_server_still_answers_plain_requests_unsigned() {
    let mut s = server(Unlimited, false);
    let (_, header) = Request::new(1);
    let mut out = [0u8; 2048];
    assert_eq!(
        handle(&mut s, &header, &mut out),
        Outcome::Reply {
            len: 48,
            kind: ReplyKind::Basic
        }
    );
    assert!(matches!(
        KeyedSource::new(aes(1, 0x11)).check(&out[..48]),
        KeyedReply::Rejected(MacError::Missing)
    ));
}

#[test]
fn interleaved_replies_are_signed_too() {
    let mut s = server(Unlimited, true);
    let mut client = KeyedSource::new(aes(1, 0x11));
    let mut buf = [0u8; 128];
    let (_, n) = keyed_request(&client, 1, &mut buf);
    let mut out = [0u8; 2048];
    let first = handle(&mut s, &buf[..n], &mut out);
    assert!(matches!(
        first,
        Outcome::Reply {
            kind: ReplyKind::Keyed {
                interleaved: false,
                ..
            },
            ..
        }
    ));
    let reply = Packet::decode(&out[..68]).unwrap();
    s.sent_with_id(1);
    s.transmitted(1, T + Duration::from_micros(3));
    let (_, header) =
        Request::new_interleaved(2, T, reply.receive_timestamp, T + Duration::from_millis(1));
    let n = client.protect(&header, &mut buf).unwrap();
    let second = handle(&mut s, &buf[..n], &mut out);
    assert_eq!(
        second,
        Outcome::Reply {
            len: 68,
            kind: ReplyKind::Keyed {
                key_id: 1,
                interleaved: true
            }
        }
    );
    assert_eq!(client.check(&out[..68]), KeyedReply::Authentic);
}

#[test]
fn a_rate_kiss_to_a_keyed_client_is_signed() {
    let limit = RateLimit {
        interval: Duration::from_secs(1),
        burst: 1,
    };
    let mut s = server(RateLimiter::<16>::new(limit, 9), false);
    let mut client = KeyedSource::new(aes(1, 0x11));
    let mut buf = [0u8; 128];
    let (req, n) = keyed_request(&client, 1, &mut buf);
    let mut out = [0u8; 2048];
    assert!(matches!(
        handle(&mut s, &buf[..n], &mut out),
        Outcome::Reply { .. }
    ));
    let kiss = handle(&mut s, &buf[..n], &mut out);
    assert_eq!(
        kiss,
        Outcome::Kiss {
            code: KissCode::Rate,
            len: 68
        }
    );
    assert_eq!(client.check(&out[..68]), KeyedReply::Authentic);
    assert_eq!(
        req.complete(&out[..68], T, T),
        Err(crate::exchange::ReplyError::Kiss(KissCode::Rate))
    );
}

#[test]
fn nts_fields_with_a_mac_are_dropped() {
    let mut s = server(Unlimited, false);
    let (_, header) = Request::new(1);
    let c2s = Key::new(AeadAlgorithm::AesSivCmac256, &[3; 32]).unwrap();
    let mut buf = [0u8; 1024];
    let n = nts::write_request(&mut buf, &header, &[1; 32], &[2; 100], 0, &c2s, &[4; 16]).unwrap();
    let n = symmetric::sign(&mut buf, n, &aes(1, 0x11)).unwrap();
    let mut out = [0u8; 2048];
    assert_eq!(
        handle(&mut s, &buf[..n], &mut out),
        Outcome::Dropped(DropReason::NtsWithMac)
    );
}
