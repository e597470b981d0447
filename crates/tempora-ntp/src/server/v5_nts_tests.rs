//! NTS-protected NTPv5 through both cores: the server's `handle` and the
//! client's `NtsV5Request` (RFC 8915 §5.7 over draft-ietf-ntp-ntpv5).

extern crate std;

use std::vec::Vec;

use super::*;
use crate::access::{Cidr, Unlimited};
use crate::nts::v5::{NtsParams, NtsV5Error, NtsV5Request, V5Params};
use crate::nts::{Key, Keys, MasterKey, open_cookie};
use crate::v5::{Draft, Timescale};
use crate::wire::ntske::AeadAlgorithm;
use crate::wire::{LeapIndicator, ReferenceId};
use tempora_clock::Duration;

/// A counter as the random source.
struct Counter(u64);

impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0 += 1;
        dest.fill(self.0 as u8);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

const T: Time = Time::from_secs_nanos(1_800_000_000, 0);

type TestServer = Server<[Cidr; 0], Unlimited, 4>;

fn server(versions: Versions) -> TestServer {
    let config = ServerConfig {
        allow: [],
        deny: [],
        deny_action: DenyAction::Drop,
        interleaved: false,
        require_nts: false,
        versions,
        smear: false,
    };
    let mut s = Server::new(config, Unlimited, 1);
    s.set_clock(ServerClock {
        leap: LeapIndicator::NoWarning,
        stratum: 2,
        precision: -20,
        reference_id: ReferenceId(*b"TEST"),
        reference_time: T,
        root_delay: Duration::from_millis(1),
        root_dispersion: Duration::from_millis(2),
        tai_offset: Some(37),
        smear_offset: Duration::ZERO,
    });
    s
}

fn keys() -> Keys {
    Keys {
        c2s: Key::new(AeadAlgorithm::AesSivCmac512, &[1; 64]).unwrap(),
        s2c: Key::new(AeadAlgorithm::AesSivCmac512, &[2; 64]).unwrap(),
    }
}

fn master(id: u32) -> MasterKey {
    MasterKey {
        id,
        key: Key::new(AeadAlgorithm::AesSivCmac256, &[id as u8; 32]).unwrap(),
    }
}

fn handle(s: &mut TestServer, data: &[u8], m: Option<&dyn MasterKeys>, out: &mut [u8]) -> Outcome {
    let rx = T - Duration::from_millis(1);
    let datagram = Datagram { data, rx };
    s.handle(
        T,
        "192.0.2.1:40000".parse().unwrap(),
        datagram,
        m,
        &mut Counter(0),
        out,
    )
}

/// A protected request spending a cookie made under `under`, asking for
/// a chunk of the filter and `placeholders` more cookies.
fn request(under: &MasterKey, placeholders: usize) -> (NtsV5Request, [u8; 1024], usize) {
    let mut cookie = [0u8; nts::COOKIE_LEN_512];
    let clen = nts::make_cookie(under, &[4; 16], &keys(), &mut cookie).unwrap();
    let k = keys();
    let params = NtsParams {
        uid: [0x77; 32],
        cookie: &cookie[..clen],
        placeholders,
        c2s: &k.c2s,
        nonce: [0x33; 16],
    };
    let v5 = V5Params {
        cookie: 0xfeed,
        draft: Draft::Draft08,
        timescale: Timescale::Utc,
        chunk: Some((0, 32)),
    };
    let mut buf = [0u8; 1024];
    let (req, n) = NtsV5Request::new(v5, &params, &mut buf).unwrap();
    (req, buf, n)
}

#[test]
fn a_protected_v5_request_gets_a_protected_reply_with_cookies() {
    let mut s = server(Versions::V4_V5);
    let m = master(5);
    let (req, bytes, n) = request(&m, 3);
    let mut out = [0u8; 1024];
    let outcome = handle(&mut s, &bytes[..n], Some(&m), &mut out);
    let kind = ReplyKind::V5 {
        draft: Draft::Draft08,
        nts: true,
    };
    // No larger than the request (RFC 8915 §5.7), padded to it.
    assert_eq!(outcome, Outcome::Reply { len: n, kind });
    let mut plain = [0u8; 1024];
    let mut cookies = Vec::new();
    let t1 = T - Duration::from_millis(2);
    let reply = req
        .complete(&out[..n], t1, T, &keys().s2c, &mut plain, |c| {
            cookies.push(open_cookie(c, |id| (id == 5).then_some(&m)).unwrap())
        })
        .unwrap();
    assert_eq!(cookies, [keys(), keys(), keys(), keys()]);
    assert_eq!(reply.sample.stratum, 2);
    assert_eq!(reply.chunk.map(|(o, c)| (o, c.len())), Some((0, 32)));
    // One octet changed anywhere before the padding: refused.
    let mut tampered = out;
    tampered[40] ^= 0x80;
    assert_eq!(
        req.complete(&tampered[..n], t1, T, &keys().s2c, &mut plain, |_| {}),
        Err(NtsV5Error::Nts(NtsError::BadAuthenticator))
    );
    // A plain NTPv5 reply to a protected request: no authenticator.
    let plain_reply = {
        let mut r = [0u8; 640];
        let (_, len) =
            crate::v5::V5Request::new(0xfeed, Draft::Draft08, Timescale::Utc, None, &mut r)
                .unwrap();
        let len = handle(&mut s, &r[..len], None, &mut out)
            .reply_len()
            .unwrap();
        out[..len].to_vec()
    };
    assert!(matches!(
        req.complete(&plain_reply, t1, T, &keys().s2c, &mut plain, |_| {}),
        Err(NtsV5Error::Nts(
            NtsError::UidMismatch | NtsError::MissingField
        ))
    ));
}

#[test]
fn an_unknown_cookie_or_a_tampered_request_gets_an_auth_nak() {
    let mut s = server(Versions::V4_V5);
    let (req, bytes, n) = request(&master(9), 0);
    let m = master(5);
    let mut out = [0u8; 1024];
    let outcome = handle(&mut s, &bytes[..n], Some(&m), &mut out);
    assert_eq!(
        outcome,
        Outcome::Kiss {
            code: KissCode::Ntsn,
            len: n
        }
    );
    let mut plain = [0u8; 64];
    let t1 = T - Duration::from_millis(2);
    assert_eq!(
        req.complete(&out[..n], t1, T, &keys().s2c, &mut plain, |_| {}),
        Err(NtsV5Error::Nts(NtsError::Nak))
    );
    // Its cookie opens, but the request was changed on the way.
    let (_, mut bytes, n) = request(&m, 0);
    bytes[2] ^= 1;
    assert!(matches!(
        handle(&mut s, &bytes[..n], Some(&m), &mut out),
        Outcome::Kiss {
            code: KissCode::Ntsn,
            ..
        }
    ));
}

#[test]
fn nts_v5_without_keys_or_malformed_is_dropped() {
    let m = master(5);
    let (_, bytes, n) = request(&m, 1);
    let mut out = [0u8; 1024];
    let mut s = server(Versions::V4_V5);
    assert_eq!(
        handle(&mut s, &bytes[..n], None, &mut out),
        Outcome::Dropped(DropReason::NtsUnavailable)
    );
    // Without its authenticator (the last 40 octets: 4 + 4 + 16 + 16).
    let cut = n - 40;
    assert_eq!(
        handle(&mut s, &bytes[..cut], Some(&m), &mut out),
        Outcome::Dropped(DropReason::NtsMalformed)
    );
    // NTPv5 off: not answered at all.
    let mut v4 = server(Versions::V4);
    assert_eq!(
        handle(&mut v4, &bytes[..n], Some(&m), &mut out),
        Outcome::Dropped(DropReason::BadVersion)
    );
    // Under require-nts a protected request is answered.
    let mut strict = server(Versions::V4_V5);
    strict.config.require_nts = true;
    assert!(
        handle(&mut strict, &bytes[..n], Some(&m), &mut out)
            .reply_len()
            .is_some()
    );
}
