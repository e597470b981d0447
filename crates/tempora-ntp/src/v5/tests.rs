//! Whole-message tests over bytes from the ntpd-rs 2.0-alpha capture
//! (shared/vectors/next/ntpv5.pcap, first exchange), checked by hand
//! against draft-ietf-ntp-ntpv5-09 "Message Format".

use super::*;
use crate::wire::{LeapIndicator, Mode};

/// The first v5 request: VN 5 mode 3, poll 4, client cookie, Draft
/// Identification "-09" (27 octets + 1 padding), Reference IDs Request for
/// 16 octets at offset 0.
const REQUEST: &str = "2b000400000000000000000000000000000000000000000025db5831dd3eea9b\
    00000000000000000000000000000000f5ff001b64726166742d696574662d6e\
    74702d6e747076352d303900f503001400000000000000000000000000000000";

/// Its response: LI 3, VN 5, mode 4, stratum 1, precision -18, flags
/// synchronized, server cookie, the same client cookie, timestamps, the
/// 16-octet chunk, then Draft Identification.
const RESPONSE: &str = "ec0104ee0000000000000000000000019a760b6c6a69f36725db5831dd3eea9b\
    eebadd79f194e783eebadd79f19c27e9f5040014000000000040040000000000\
    00000000f5ff001b64726166742d696574662d6e74702d6e747076352d303900";

fn hex(s: &str, out: &mut [u8]) -> usize {
    let mut n = 0;
    for c in s.bytes().filter(u8::is_ascii_hexdigit) {
        let d = (c as char).to_digit(16).unwrap() as u8;
        out[n / 2] = (out[n / 2] << 4) | d;
        n += 1;
    }
    assert_eq!(n % 2, 0, "odd hex");
    n / 2
}

fn round_trip(wire: &[u8]) -> Packet<'_> {
    let p = Packet::decode(wire).unwrap();
    let mut out = [0u8; 256];
    assert_eq!(p.encoded_len(), wire.len());
    let n = p.encode(&mut out).unwrap();
    assert_eq!(&out[..n], wire);
    p
}

#[test]
fn capture_request_decodes() {
    let mut buf = [0u8; 128];
    let n = hex(REQUEST, &mut buf);
    assert_eq!(n, 96);
    let p = round_trip(&buf[..n]);
    assert_eq!(p.header.mode, Mode::Client);
    assert_eq!(p.header.poll, 4);
    assert_eq!(p.header.timescale, Timescale::Utc);
    assert_eq!(
        p.header.client_cookie,
        Cookie::from_u64(0x25db_5831_dd3e_ea9b)
    );
    assert_eq!(p.draft(), Some(Draft::Draft09));
    let mut exts = p.extensions(Draft::Draft09).map(|(at, e)| (at, e.unwrap()));
    assert_eq!(exts.next(), Some((48, Extension::draft_id(Draft::Draft09))));
    let Some((76, Extension::RefIdsRequest(r))) = exts.next() else {
        panic!("no reference IDs request at 76");
    };
    assert_eq!(r.range(), Some(0..16));
    assert!(exts.next().is_none());
}

#[test]
fn capture_response_decodes() {
    let mut buf = [0u8; 128];
    let n = hex(RESPONSE, &mut buf);
    let p = round_trip(&buf[..n]);
    let h = p.header;
    assert_eq!(
        (h.leap, h.mode, h.stratum),
        (LeapIndicator::Unsynchronized, Mode::Server, 1)
    );
    assert_eq!(h.precision, -18);
    assert!(h.flags.synchronized() && !h.flags.interleaved() && !h.flags.auth_nak());
    assert_eq!(h.server_cookie, Cookie::from_u64(0x9a76_0b6c_6a69_f367));
    assert_eq!(h.client_cookie, Cookie::from_u64(0x25db_5831_dd3e_ea9b));
    assert_eq!(p.draft(), Some(Draft::Draft09));
    let chunk = p.extensions(Draft::Draft09).find_map(|(_, e)| match e {
        Ok(Extension::RefIdsResponse(c)) => Some(c),
        _ => None,
    });
    assert_eq!(chunk.map(<[u8]>::len), Some(16));
    assert_eq!(chunk.unwrap()[5..7], [0x40, 0x04]);
}

#[test]
fn builder_writes_the_capture_request() {
    let mut want = [0u8; 128];
    let n = hex(REQUEST, &mut want);
    let cookie = Cookie([0x25, 0xdb, 0x58, 0x31, 0xdd, 0x3e, 0xea, 0x9b]);
    let mut header = Header::request(cookie);
    header.poll = 4;
    let mut out = [0u8; 128];
    let mut b = Builder::new(&mut out, &header).unwrap();
    b.push(&Extension::draft_id(Draft::Draft09), Draft::Draft09)
        .unwrap()
        .push(
            &Extension::RefIdsRequest(RefIdsRequest::new(0, 16).unwrap()),
            Draft::Draft09,
        )
        .unwrap();
    let len = b.finish();
    assert_eq!(&out[..len], &want[..n]);
}

#[test]
fn non_v5_and_junk_are_errors_not_panics() {
    let mut buf = [0u8; 128];
    let n = hex(REQUEST, &mut buf);
    buf[0] = 0x23; // version 4
    assert_eq!(
        Packet::decode(&buf[..n]),
        Err(crate::wire::Error::BadValue { field: "version" })
    );
    buf[0] = 0x2b;
    for len in 0..n {
        let _ = Packet::decode(&buf[..len]);
    }
    assert!(Packet::decode(&buf[..47]).is_err());
    assert!(Packet::decode(&buf[..50]).is_err());
    assert!(Packet::decode(&buf[..48]).is_ok());
}
