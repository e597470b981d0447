use super::*;
use crate::wire::Mode;

fn keys(alg: AeadAlgorithm, seed: u8) -> Keys {
    let n = key_len(alg).unwrap();
    let c: [u8; 64] = core::array::from_fn(|i| seed.wrapping_add(i as u8));
    let s: [u8; 64] = core::array::from_fn(|i| seed.wrapping_mul(3).wrapping_add(i as u8));
    Keys {
        c2s: Key::new(alg, &c[..n]).unwrap(),
        s2c: Key::new(alg, &s[..n]).unwrap(),
    }
}

fn master(id: u32) -> MasterKey {
    MasterKey {
        id,
        key: Key::new(AeadAlgorithm::AesSivCmac256, &[id as u8; 32]).unwrap(),
    }
}

fn header(mode: Mode) -> [u8; 48] {
    let mut h = [0u8; 48];
    Packet::new(mode).encode(&mut h).unwrap();
    h
}

/// RFC 5297 Appendix A.1 (deterministic AEAD, no nonce): our seal with an
/// empty nonce header list differs, so check the known vector through the
/// raw SIV with one header.
#[test]
fn aes_siv_cmac_256_matches_rfc5297_a1() {
    let key: [u8; 32] = [
        0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6, 0xf5, 0xf4, 0xf3, 0xf2, 0xf1,
        0xf0, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
        0xfe, 0xff,
    ];
    let ad: [u8; 24] = core::array::from_fn(|i| 0x10 + i as u8);
    let mut text: [u8; 14] = [
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
    ];
    let tag = Aes128Siv::new_from_slice(&key)
        .unwrap()
        .encrypt_in_place_detached([&ad[..]], &mut text)
        .unwrap();
    assert_eq!(
        tag.as_slice(),
        &[
            0x85, 0x63, 0x2d, 0x07, 0xc6, 0xe8, 0xf3, 0x7f, 0x95, 0x0a, 0xcd, 0x32, 0x0a, 0x2e,
            0xcc, 0x93
        ]
    );
    assert_eq!(
        text,
        [
            0x40, 0xc0, 0x2b, 0x96, 0x90, 0xc4, 0xdc, 0x04, 0xda, 0xef, 0x7f, 0x6a, 0xfe, 0x5c
        ]
    );
}

#[test]
fn request_response_round_trip_both_algorithms() {
    for alg in [AeadAlgorithm::AesSivCmac256, AeadAlgorithm::AesSivCmac512] {
        let k = keys(alg, 7);
        let m = master(1);
        let mut cookie = [0u8; 200];
        let clen = make_cookie(&m, &[9; 16], &k, &mut cookie).unwrap();
        let cookie = &cookie[..clen];
        let uid = [0x5a; UID_LEN];
        let mut req = [0u8; 1024];
        let n = write_request(
            &mut req,
            &header(Mode::Client),
            &uid,
            cookie,
            3,
            &k.c2s,
            &[1; 16],
        )
        .unwrap();
        let checked = open_request(&req[..n], |id| (id == 1).then_some(&m)).unwrap();
        assert_eq!(checked.uid, &uid);
        assert_eq!(checked.keys, k);
        assert_eq!(checked.cookies_wanted, 4);
        // The server answers with four fresh cookies.
        let mut fresh = [[0u8; 200]; 4];
        let mut lens = [0usize; 4];
        for (i, f) in fresh.iter_mut().enumerate() {
            lens[i] = make_cookie(&m, &[i as u8; 16], &checked.keys, f).unwrap();
        }
        let list: [&[u8]; 4] = core::array::from_fn(|i| &fresh[i][..lens[i]]);
        let mut resp = [0u8; 2048];
        let rn = write_response(
            &mut resp,
            &header(Mode::Server),
            checked.uid,
            &checked.keys.s2c,
            &[2; 16],
            &list,
        )
        .unwrap();
        let mut plain = [0u8; 2048];
        let mut got = 0;
        let p = open_response(&resp[..rn], &uid, &k.s2c, &mut plain, |c| {
            assert_eq!(c.len(), clen);
            got += 1;
        })
        .unwrap();
        assert_eq!(p.mode, Mode::Server);
        assert_eq!(got, 4);
        // Every flipped byte of the response is caught.
        for i in 0..rn {
            let mut t = resp;
            t[i] ^= 0x01;
            let r = open_response(&t[..rn], &uid, &k.s2c, &mut plain, |_| {});
            assert!(r.is_err(), "flip at {i} of {rn} accepted ({alg:?})");
        }
        // And of the request.
        for i in 0..n {
            let mut t = req;
            t[i] ^= 0x80;
            let r = open_request(&t[..n], |id| (id == 1).then_some(&m));
            assert!(r.is_err(), "request flip at {i} accepted ({alg:?})");
        }
    }
}

#[test]
fn wrong_uid_key_or_master_is_refused() {
    let k = keys(AeadAlgorithm::AesSivCmac256, 1);
    let m = master(5);
    let mut cookie = [0u8; 200];
    let clen = make_cookie(&m, &[3; 16], &k, &mut cookie).unwrap();
    assert_eq!(clen, COOKIE_LEN_256);
    let mut req = [0u8; 512];
    let n = write_request(
        &mut req,
        &header(Mode::Client),
        &[1; 32],
        &cookie[..clen],
        0,
        &k.c2s,
        &[4; 16],
    )
    .unwrap();
    // Unknown master key (rotated out): a cookie error, answered by a NAK.
    assert_eq!(
        open_request(&req[..n], |_| None).unwrap_err(),
        NtsError::BadCookie
    );
    let other = master(6);
    assert_eq!(
        open_request(&req[..n], |_| Some(&other)).unwrap_err(),
        NtsError::BadCookie
    );
    let checked = open_request(&req[..n], |id| (id == 5).then_some(&m)).unwrap();
    let mut resp = [0u8; 1024];
    let rn = write_response(
        &mut resp,
        &header(Mode::Server),
        checked.uid,
        &k.s2c,
        &[8; 16],
        &[&cookie[..clen]],
    )
    .unwrap();
    let mut plain = [0u8; 1024];
    assert_eq!(
        open_response(&resp[..rn], &[2; 32], &k.s2c, &mut plain, |_| {}).unwrap_err(),
        NtsError::UidMismatch
    );
    assert_eq!(
        open_response(&resp[..rn], &[1; 32], &k.c2s, &mut plain, |_| {}).unwrap_err(),
        NtsError::BadAuthenticator
    );
    // An unauthenticated plain reply is refused.
    assert_eq!(
        open_response(&header(Mode::Server), &[1; 32], &k.s2c, &mut plain, |_| {}).unwrap_err(),
        NtsError::MissingField
    );
}

/// A request whose placeholders are shorter than its cookie would make the
/// server amplify (RFC 8915 §5.5): refused. So is a nonce under 16 octets
/// with its padding (§5.6).
#[test]
fn short_placeholders_and_nonces_are_refused() {
    let k = keys(AeadAlgorithm::AesSivCmac256, 3);
    let m = master(1);
    let mut cookie = [0u8; 200];
    let clen = make_cookie(&m, &[9; 16], &k, &mut cookie).unwrap();
    let uid = [1u8; 32];
    // Header, UID, cookie, a 16-octet placeholder, then the authenticator.
    let mut req = [0u8; 1024];
    req[..48].copy_from_slice(&header(Mode::Client));
    let mut n = 48;
    n += ExtensionField::new(ExtensionKind::UNIQUE_IDENTIFIER, &uid)
        .encode(&mut req[n..])
        .unwrap();
    n += ExtensionField::new(ExtensionKind::NTS_COOKIE, &cookie[..clen])
        .encode(&mut req[n..])
        .unwrap();
    n += crate::wire::nts::write_cookie_placeholder(&mut req[n..], 16).unwrap();
    let mut sealed = [0u8; TAG_LEN];
    let (ad, rest) = req.split_at_mut(n);
    k.c2s.seal(ad, &[5; 16], &mut sealed).unwrap();
    n += crate::wire::nts::write_authenticator(rest, &[5; 16], &sealed).unwrap();
    assert_eq!(
        open_request(&req[..n], |id| (id == 1).then_some(&m)).unwrap_err(),
        NtsError::Malformed
    );
    // Placeholders of the cookie's length are fine.
    let mut ok = [0u8; 1024];
    let len = write_request(
        &mut ok,
        &header(Mode::Client),
        &uid,
        &cookie[..clen],
        2,
        &k.c2s,
        &[5; 16],
    )
    .unwrap();
    assert_eq!(
        open_request(&ok[..len], |id| (id == 1).then_some(&m))
            .unwrap()
            .cookies_wanted,
        3
    );
    // A 4-octet nonce without padding to 16 is refused.
    let mut short = [0u8; 1024];
    short[..48].copy_from_slice(&header(Mode::Client));
    let mut n = 48;
    n += ExtensionField::new(ExtensionKind::UNIQUE_IDENTIFIER, &uid)
        .encode(&mut short[n..])
        .unwrap();
    n += ExtensionField::new(ExtensionKind::NTS_COOKIE, &cookie[..clen])
        .encode(&mut short[n..])
        .unwrap();
    let mut sealed = [0u8; TAG_LEN];
    let (ad, rest) = short.split_at_mut(n);
    k.c2s.seal(ad, &[5; 4], &mut sealed).unwrap();
    // Nonce length 4, ciphertext 16, no additional padding.
    let body_len = 4 + 4 + 16;
    rest[..4].copy_from_slice(&[0x04, 0x04, 0, (4 + body_len) as u8]);
    rest[4..8].copy_from_slice(&[0, 4, 0, 16]);
    rest[8..12].copy_from_slice(&[5; 4]);
    rest[12..28].copy_from_slice(&sealed);
    n += 28;
    assert_eq!(
        open_request(&short[..n], |id| (id == 1).then_some(&m)).unwrap_err(),
        NtsError::Malformed
    );
}

#[test]
fn nak_is_recognised() {
    let mut h = [0u8; 48];
    let mut p = Packet::new(Mode::Server);
    p.stratum = 0;
    p.reference_id = crate::wire::ReferenceId(*b"NTSN");
    p.encode(&mut h).unwrap();
    let mut out = [0u8; 128];
    let n = write_nak(&mut out, &h, &[7; 32]).unwrap();
    let mut plain = [0u8; 64];
    assert_eq!(
        open_response(
            &out[..n],
            &[7; 32],
            &keys(AeadAlgorithm::AesSivCmac256, 2).s2c,
            &mut plain,
            |_| {}
        )
        .unwrap_err(),
        NtsError::Nak
    );
}
