//! Fuzz target: NTS over NTPv5 (`tempora_ntp::nts::v5`) must not panic on
//! any input: raw bytes as a protected request (the server's check) and as
//! a reply (the client's check); and the input cut into cookies, sealed
//! into a reply by `push_response`, must open again to exactly those
//! cookies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_ntp::nts::v5::{self, NtsV5Request, V5Params};
use tempora_ntp::nts::{Key, MAX_COOKIE_LEN, MasterKey};
use tempora_ntp::v5::{Builder, Cookie, Draft, Header, Packet, Timescale, V5Request};
use tempora_ntp::wire::Mode;
use tempora_ntp::wire::ntske::AeadAlgorithm;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = Key::new(AeadAlgorithm::AesSivCmac256, &[7; 32]) else {
        return;
    };
    let master = MasterKey { id: 1, key: key.clone() };
    // Not authenticated: raw bytes as a request and as a reply.
    if let Ok(p) = Packet::decode(data) {
        let _ = v5::is_nts(&p);
        let _ = v5::request_uid(&p);
        let _ = v5::open_request(data, &p, |id| (id == 1).then_some(&master));
    }
    let params = V5Params {
        cookie: 1,
        draft: Draft::Draft08,
        timescale: Timescale::Utc,
        chunk: None,
    };
    let mut scratch = [0u8; 256];
    let Ok((request, _)) = V5Request::new(1, params.draft, params.timescale, None, &mut scratch)
    else {
        return;
    };
    let nts_request = NtsV5Request { request, uid: [1; 32] };
    let mut plain = [0u8; 4096];
    let _ = nts_request.open(data, &key, &mut plain, |_| {});
    // Authenticated: the input as up to 8 cookies (a length octet each).
    let mut cookies: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len()).min(MAX_COOKIE_LEN);
        cookies.push(&tail[..len]);
        rest = &tail[len..];
        if cookies.len() == 8 {
            break;
        }
    }
    let mut header = Header::request(Cookie::from_u64(1));
    header.mode = Mode::Server;
    let mut out = [0u8; 4096];
    let Ok(mut b) = Builder::new(&mut out, &header) else {
        return;
    };
    if v5::push_response(&mut b, &[1; 32], &key, &[2; 16], &cookies).is_err() {
        return;
    }
    let n = b.finish();
    let mut got: Vec<Vec<u8>> = Vec::new();
    let r = nts_request.open(&out[..n], &key, &mut plain, |c| got.push(c.to_vec()));
    assert!(r.is_ok(), "a sealed reply was refused: {r:?}");
    assert_eq!(got, cookies, "the cookies sealed are not those opened");
});
