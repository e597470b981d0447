//! NTS over NTPv5 at the field level: the request's layout and framing,
//! the server's check, the response's cookies, tampering and NAKs.

extern crate std;

use std::{vec, vec::Vec};

use super::*;
use crate::nts::make_cookie;
use crate::v5::{Cookie, Flags, Header};
use crate::wire::ntske::AeadAlgorithm;
use crate::wire::{LeapIndicator, Mode};

fn keys() -> Keys {
    Keys {
        c2s: Key::new(AeadAlgorithm::AesSivCmac256, &[1; 32]).unwrap(),
        s2c: Key::new(AeadAlgorithm::AesSivCmac256, &[2; 32]).unwrap(),
    }
}

fn master() -> MasterKey {
    MasterKey {
        id: 7,
        key: Key::new(AeadAlgorithm::AesSivCmac256, &[9; 32]).unwrap(),
    }
}

fn v5() -> V5Params {
    V5Params {
        cookie: 0x1234,
        draft: Draft::Draft08,
        timescale: Timescale::Utc,
        chunk: Some((0, 16)),
    }
}

/// A request spending `cookie` with `placeholders` placeholders.
fn request(cookie: &[u8], placeholders: usize, buf: &mut [u8]) -> (NtsV5Request, usize) {
    let k = keys();
    let nts = NtsParams {
        uid: [0xAB; UID_LEN],
        cookie,
        placeholders,
        c2s: &k.c2s,
        nonce: [0x11; NONCE_LEN],
    };
    NtsV5Request::new(v5(), &nts, buf).unwrap()
}

fn types(data: &[u8]) -> Vec<(u16, usize)> {
    Packet::decode(data)
        .unwrap()
        .iter()
        .map(|(_, f)| (f.field_type, f.length()))
        .collect()
}

#[test]
fn request_is_v5_fields_then_nts_fields_then_authenticator() {
    // A cookie of 102 octets (not a multiple of 4): NTPv5 framing gives
    // Length 106 and 2 octets of padding, and the cookie comes back whole.
    let cookie = [0x5C; 102];
    let mut buf = [0u8; 1024];
    let (req, n) = request(&cookie, 2, &mut buf);
    let t = Draft::Draft08.types();
    assert_eq!(
        types(&buf[..n]),
        [
            (t.draft_id, 4 + 23),
            (t.reference_ids_request, 20),
            (UNIQUE_IDENTIFIER, 36),
            (NTS_COOKIE, 106),
            (NTS_COOKIE_PLACEHOLDER, 106),
            (NTS_COOKIE_PLACEHOLDER, 106),
            // Lengths 4 + nonce 16 + tag 16.
            (NTS_AUTHENTICATOR, 40),
        ]
    );
    let p = Packet::decode(&buf[..n]).unwrap();
    assert!(is_nts(&p));
    let s = scan(&p).unwrap();
    assert_eq!(s.cookie, Some(&cookie[..]));
    assert_eq!(s.uid, Some(&req.uid[..]));
    assert_eq!(req.request.cookie, Cookie::from_u64(0x1234));
}

#[test]
fn server_opens_the_request_and_the_client_its_response() {
    let mut cookie = [0u8; 256];
    let clen = make_cookie(&master(), &[3; NONCE_LEN], &keys(), &mut cookie).unwrap();
    let cookie = &cookie[..clen];
    let mut buf = [0u8; 1024];
    let (req, n) = request(cookie, 3, &mut buf);
    let p = Packet::decode(&buf[..n]).unwrap();
    let m = master();
    let checked = open_request(&buf[..n], &p, |id| (id == 7).then_some(&m)).unwrap();
    assert_eq!(checked.keys, keys());
    assert_eq!(checked.cookies_wanted, 4);
    assert_eq!(checked.uid, &[0xAB; UID_LEN][..]);
    // The authenticated part is the message up to the authenticator.
    assert_eq!(checked.authenticated.len(), n - 40);

    // A response: header, Draft Identification, UID, authenticator with
    // two cookies of odd length, then unauthenticated padding.
    let mut header = Header::request(req.request.cookie);
    header.mode = Mode::Server;
    let mut out = [0u8; 1024];
    let mut b = Builder::new(&mut out, &header).unwrap();
    b.push(
        &crate::v5::Extension::draft_id(Draft::Draft08),
        Draft::Draft08,
    )
    .unwrap();
    let fresh: [&[u8]; 2] = [&[0x61; 102], &[0x62; 101]];
    push_response(&mut b, checked.uid, &keys().s2c, &[0x22; 16], &fresh).unwrap();
    b.push(&crate::v5::Extension::Padding(&[0; 8]), Draft::Draft08)
        .unwrap();
    let len = b.finish();
    let mut plain = [0u8; 1024];
    let mut got = Vec::new();
    let authenticated = req
        .open(&out[..len], &keys().s2c, &mut plain, |c| {
            got.push(c.to_vec())
        })
        .unwrap();
    assert_eq!(got, [vec![0x61; 102], vec![0x62; 101]]);
    assert_eq!(
        authenticated.len(),
        len - 12 - (4 + 4 + 16 + 16 + 108 + 108)
    );

    // Tampered: a header octet, or the ciphertext.
    for at in [20, len - 20] {
        let mut bad = out;
        bad[at] ^= 1;
        assert_eq!(
            req.open(&bad[..len], &keys().s2c, &mut plain, |_| {}),
            Err(NtsError::BadAuthenticator),
            "octet {at}"
        );
    }
    // Under another key.
    assert_eq!(
        req.open(&out[..len], &keys().c2s, &mut plain, |_| {}),
        Err(NtsError::BadAuthenticator)
    );
    // A tampered request: the server refuses it (a NAK).
    let mut bad = buf;
    bad[2] ^= 1;
    let p = Packet::decode(&bad[..n]).unwrap();
    assert_eq!(
        open_request(&bad[..n], &p, |id| (id == 7).then_some(&m)),
        Err(NtsError::BadAuthenticator)
    );
    // A cookie of an unknown master key.
    let p = Packet::decode(&buf[..n]).unwrap();
    assert_eq!(
        open_request(&buf[..n], &p, |_| None::<&MasterKey>),
        Err(NtsError::BadCookie)
    );
    assert_eq!(request_uid(&p), Some(&[0xAB; UID_LEN][..]));
}

#[test]
fn a_nak_is_recognised_only_for_our_request() {
    let mut buf = [0u8; 1024];
    let (req, _) = request(&[5; 104], 0, &mut buf);
    let nak = |client: Cookie, uid: &[u8], flags: Flags| {
        let mut h = Header::request(client);
        h.mode = Mode::Server;
        h.leap = LeapIndicator::Unsynchronized;
        h.flags = flags;
        let mut out = [0u8; 256];
        let mut b = Builder::new(&mut out, &h).unwrap();
        b.push_field(&Field::new(UNIQUE_IDENTIFIER, uid)).unwrap();
        let n = b.finish();
        (out, n)
    };
    let mut plain = [0u8; 64];
    let nak_flag = Flags(0).with(Flags::AUTH_NAK, true);
    let (out, n) = nak(req.request.cookie, &req.uid, nak_flag);
    assert_eq!(
        req.open(&out[..n], &keys().s2c, &mut plain, |_| {}),
        Err(NtsError::Nak)
    );
    let (out, n) = nak(req.request.cookie, &req.uid, Flags(0));
    assert_eq!(
        req.open(&out[..n], &keys().s2c, &mut plain, |_| {}),
        Err(NtsError::MissingField)
    );
    let (out, n) = nak(req.request.cookie, &[0xCD; UID_LEN], nak_flag);
    assert_eq!(
        req.open(&out[..n], &keys().s2c, &mut plain, |_| {}),
        Err(NtsError::UidMismatch)
    );
    let (out, n) = nak(Cookie::from_u64(99), &req.uid, nak_flag);
    assert_eq!(
        req.open(&out[..n], &keys().s2c, &mut plain, |_| {}),
        Err(NtsError::UidMismatch)
    );
}

#[test]
fn malformed_requests_are_refused_without_panic() {
    let mut buf = [0u8; 1024];
    let (_, n) = request(&[5; 104], 1, &mut buf);
    let m = master();
    // Every truncation at a field boundary that still decodes: missing
    // fields, never a panic.
    for cut in 48..n {
        let Ok(p) = Packet::decode(&buf[..cut]) else {
            continue;
        };
        assert!(
            open_request(&buf[..cut], &p, |_| Some(&m)).is_err(),
            "cut {cut}"
        );
    }
    // A placeholder shorter than the cookie.
    let mut b = Builder::new(&mut buf, &Header::request(Cookie::ZERO)).unwrap();
    b.push(
        &crate::v5::Extension::draft_id(Draft::Draft08),
        Draft::Draft08,
    )
    .unwrap();
    b.push_field(&Field::new(UNIQUE_IDENTIFIER, &[1; 32]))
        .unwrap();
    b.push_field(&Field::new(NTS_COOKIE, &[1; 104])).unwrap();
    b.push_field(&Field::new(NTS_COOKIE_PLACEHOLDER, &[0; 100]))
        .unwrap();
    push_authenticator(&mut b, &keys().c2s, &[0; 16], &[]).unwrap();
    let n = b.finish();
    let p = Packet::decode(&buf[..n]).unwrap();
    assert_eq!(
        open_request(&buf[..n], &p, |_| Some(&m)),
        Err(NtsError::Malformed)
    );
}
