//! The server's NTPv5 answers and upgrade signal, through the client core
//! (draft-ietf-ntp-ntpv5 "Server Operation", "Client Operation").

use super::*;
use crate::access::{Cidr, Unlimited};
use crate::exchange::{ReplyError, Request};
use crate::v5::{
    self, BloomFilter, Draft, Extension, Negotiation, RefId120, RemoteFilter, Timescale, V5Request,
    VersionSetting, Wire,
};
use crate::wire::{LeapIndicator, ReferenceId};
use tempora_clock::Duration;

/// A counter as the random source: cookies differ, tests repeat.
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
        dest.fill(self.0 as u8);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

const T: Time = Time::from_secs_nanos(1_800_000_000, 0);
const FROM: &str = "192.0.2.1:40000";

fn server(versions: Versions, smear: bool) -> Server<[Cidr; 0], Unlimited, 4> {
    let config = ServerConfig {
        allow: [],
        deny: [],
        deny_action: DenyAction::Drop,
        interleaved: false,
        require_nts: false,
        versions,
        smear,
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
        smear_offset: Duration::from_millis(-250),
    });
    s
}

fn handle(s: &mut Server<[Cidr; 0], Unlimited, 4>, data: &[u8], out: &mut [u8]) -> Outcome {
    let rx = T - Duration::from_millis(1);
    s.handle(
        T,
        FROM.parse().unwrap(),
        Datagram { data, rx },
        None,
        &mut Counter(0),
        out,
    )
}

/// A request: (request, its bytes).
fn request(ts: Timescale, chunk: Option<(u16, u16)>) -> (V5Request, [u8; 640], usize) {
    let mut buf = [0u8; 640];
    let (req, n) = V5Request::new(0xfeed, Draft::Draft09, ts, chunk, &mut buf).unwrap();
    (req, buf, n)
}

#[test]
fn a_v5_request_round_trips_through_both_cores() {
    let own = RefId120([0x5a; 15]);
    let mut filter = BloomFilter::EMPTY;
    filter.insert(&own);
    let mut s = server(Versions::V4_V5, false);
    s.set_reference_ids(&filter);
    let mut remote = RemoteFilter::new(256).unwrap();
    for _ in 0..2 {
        let (req, bytes, n) = request(Timescale::Utc, Some(remote.next_chunk()));
        let mut out = [0u8; 640];
        let outcome = handle(&mut s, &bytes[..n], &mut out);
        let kind = ReplyKind::V5 {
            draft: Draft::Draft09,
            nts: false,
        };
        assert_eq!(
            outcome,
            Outcome::Reply { len: n, kind },
            "as long as the request"
        );
        let t1 = T - Duration::from_millis(3);
        let reply = req
            .complete(&out[..n], t1, T + Duration::from_millis(2))
            .unwrap();
        assert_eq!(reply.timescale, Timescale::Utc);
        assert_eq!(reply.sample.stratum, 2);
        let close = |d: Duration, want| (d - want).abs() < Duration::from_nanos(1);
        assert!(close(reply.sample.delay, Duration::from_millis(4)));
        assert!(close(reply.sample.offset, Duration::ZERO));
        let (off, chunk) = reply.chunk.unwrap();
        remote.accept(off, chunk).unwrap();
    }
    assert_eq!(remote.is_loop(&own), Some(true));
    assert_eq!(remote.is_loop(&RefId120([1; 15])), Some(false));
}

#[test]
fn v5_is_dropped_unless_configured() {
    let (_, bytes, n) = request(Timescale::Utc, None);
    let mut out = [0u8; 256];
    let mut s = server(Versions::V4, false);
    let bad = Outcome::Dropped(DropReason::BadVersion);
    assert_eq!(handle(&mut s, &bytes[..n], &mut out), bad);
    let mut s = server(
        Versions {
            v4: false,
            v5: true,
        },
        false,
    );
    let (_, v4) = Request::new(3);
    assert_eq!(handle(&mut s, &v4, &mut out), bad);
}

#[test]
fn timescales_served_and_refused() {
    let mut out = [0u8; 256];
    let cases = [
        (false, Timescale::Tai, Timescale::Tai, 37_000),
        (false, Timescale::LeapSmearedUtc, Timescale::Utc, 0),
        (
            true,
            Timescale::LeapSmearedUtc,
            Timescale::LeapSmearedUtc,
            -250,
        ),
        (false, Timescale::Ut1, Timescale::Utc, 0),
    ];
    for (smear, asked, served, shift_ms) in cases {
        let mut s = server(Versions::V4_V5, smear);
        let (req, bytes, n) = request(asked, None);
        assert!(handle(&mut s, &bytes[..n], &mut out).reply_len().is_some());
        let t1 = T - Duration::from_millis(2);
        let reply = req
            .complete(&out[..n], t1, T + Duration::from_millis(1))
            .unwrap();
        assert_eq!(reply.timescale, served, "{asked:?}");
        let error = reply.sample.offset - Duration::from_millis(shift_ms);
        assert!(error.abs() < Duration::from_nanos(1), "{asked:?}: {error}");
        assert_eq!(reply.era, 0);
    }
    // TAI unknown: UTC, saying so.
    let mut s = server(Versions::V4_V5, false);
    s.clock.tai_offset = None;
    let (req, bytes, n) = request(Timescale::Tai, None);
    handle(&mut s, &bytes[..n], &mut out);
    let t1 = T - Duration::from_millis(2);
    let reply = req
        .complete(&out[..n], t1, T + Duration::from_millis(1))
        .unwrap();
    assert_eq!(reply.timescale, Timescale::Utc);
}

/// Replaces the field of type `ft` in a request with `data` (same length).
fn patch(bytes: &mut [u8], ft: u16, data: &[u8]) {
    let p = v5::Packet::decode(bytes).unwrap();
    let at = p.iter().find(|(_, f)| f.field_type == ft).unwrap().0;
    bytes[at + 4..at + 4 + data.len()].copy_from_slice(data);
}

#[test]
fn bad_requests_are_dropped_and_counted() {
    let mut out = [0u8; 256];
    let mut s = server(Versions::V4_V5, false);
    let (_, mut bytes, n) = request(Timescale::Utc, Some((0, 16)));
    patch(&mut bytes[..n], 0xF503, &497u16.to_be_bytes());
    let drop = |r| Outcome::Dropped(r);
    assert_eq!(
        handle(&mut s, &bytes[..n], &mut out),
        drop(DropReason::V5BadChunk)
    );
    patch(&mut bytes[..n], 0xF503, &0xFFFFu16.to_be_bytes());
    assert_eq!(
        handle(&mut s, &bytes[..n], &mut out),
        drop(DropReason::V5BadChunk)
    );
    patch(&mut bytes[..n], 0xF5FF, b"draft-ietf-ntp-ntpv5-99");
    assert_eq!(
        handle(&mut s, &bytes[..n], &mut out),
        drop(DropReason::V5UnknownDraft)
    );
    // A bare header names no draft.
    let (_, bytes, _) = request(Timescale::Utc, None);
    assert_eq!(
        handle(&mut s, &bytes[..48], &mut out),
        drop(DropReason::V5UnknownDraft)
    );
    assert_eq!(
        handle(&mut s, &bytes[..47], &mut out),
        drop(DropReason::Malformed)
    );
    let mut server_mode = bytes;
    server_mode[0] = 0x2c;
    assert_eq!(
        handle(&mut s, &server_mode[..76], &mut out),
        drop(DropReason::NotARequest)
    );
    // A MAC field: no NTPv5 keys.
    let mut mac = [0u8; 640];
    mac[..76].copy_from_slice(&bytes[..76]);
    mac[76..84].copy_from_slice(&[0xF5, 0x02, 0, 8, 0, 0, 0, 1]);
    assert_eq!(
        handle(&mut s, &mac[..84], &mut out),
        drop(DropReason::V5Unsupported)
    );
}

#[test]
fn unknown_fields_are_padded_and_server_info_answered() {
    let mut s = server(Versions::V4_V5, false);
    let mut bytes = [0u8; 640];
    let (_, req, n) = request(Timescale::Utc, None);
    bytes[..n].copy_from_slice(&req[..n]);
    let extra = [0xF5, 0x05, 0, 8, 0, 0, 0, 0, 0xF5, 0x09, 0, 16];
    bytes[n..n + 12].copy_from_slice(&extra);
    let len = n + 24;
    let mut out = [0u8; 256];
    assert_eq!(
        handle(&mut s, &bytes[..len], &mut out).reply_len(),
        Some(len)
    );
    let p = v5::Packet::decode(&out[..len]).unwrap();
    let mut exts = p.extensions(Draft::Draft09).map(|(_, e)| e.unwrap());
    assert_eq!(exts.next(), Some(Extension::draft_id(Draft::Draft09)));
    assert!(matches!(exts.next(), Some(Extension::ServerInfo(i)) if i.versions == 0b1_1111));
    assert!(matches!(exts.next(), Some(Extension::Padding(d)) if d.len() == 12));
    assert_eq!(exts.next(), None);
}

#[test]
fn the_upgrade_signal_is_echoed_only_with_v5_on() {
    let (_, mut bytes) = Request::new(9);
    bytes[16..24].copy_from_slice(b"NTP5DRFT");
    let mut out = [0u8; 256];
    for (versions, echoed) in [(Versions::V4_V5, true), (Versions::V4, false)] {
        let mut s = server(versions, false);
        let n = handle(&mut s, &bytes, &mut out).reply_len().unwrap();
        let reply = crate::wire::Packet::decode(&out[..n]).unwrap();
        let got = v5::UpgradeSignal::in_response(&reply).is_some();
        assert_eq!(got, echoed, "{versions:?}");
        let mut n2 = Negotiation::new(VersionSetting::Auto);
        assert_eq!(n2.poll(), Wire::V4Upgrade);
        n2.v4_reply(got);
        assert_eq!(n2.version(), if echoed { 5 } else { 4 });
    }
}

#[test]
fn refusals_take_the_v5_form() {
    let config = ServerConfig {
        allow: [Cidr::parse("192.0.2.0/24").unwrap()],
        deny: [Cidr::parse("192.0.2.0/24").unwrap()],
        deny_action: DenyAction::Kiss,
        interleaved: false,
        require_nts: false,
        versions: Versions::V4_V5,
        smear: false,
    };
    let mut s: Server<[Cidr; 1], Unlimited, 4> = Server::new(config, Unlimited, 1);
    let (req, bytes, n) = request(Timescale::Utc, Some((0, 16)));
    let mut out = [0u8; 256];
    let rx = T - Duration::from_millis(1);
    let outcome = s.handle(
        T,
        FROM.parse().unwrap(),
        Datagram {
            data: &bytes[..n],
            rx,
        },
        None,
        &mut Counter(0),
        &mut out,
    );
    assert_eq!(
        outcome,
        Outcome::Kiss {
            code: KissCode::Deny,
            len: n
        }
    );
    assert_eq!(
        req.complete(&out[..n], T, T),
        Err(ReplyError::Kiss(KissCode::Deny))
    );
}

/// A request with one Reference IDs Request of `data` (offset and padding).
fn with_refids(data: &[u8], out: &mut [u8; 640]) -> usize {
    let (_, req, _) = request(Timescale::Utc, None);
    let mut b = v5::Builder::new(out, &v5::Packet::decode(&req[..76]).unwrap().header).unwrap();
    b.push(&Extension::draft_id(Draft::Draft09), Draft::Draft09)
        .unwrap()
        .push_field(&v5::Field::new(0xF503, data))
        .unwrap();
    b.finish()
}

#[test]
fn chunk_edge_cases() {
    let mut filter = BloomFilter::EMPTY;
    filter.0[509] = 0xAB;
    filter.0[511] = 0xCD;
    let mut s = server(Versions::V4_V5, false);
    s.set_reference_ids(&filter);
    let mut out = [0u8; 640];
    let mut req = [0u8; 640];
    // Odd length: 3 octets at 509 (the data is the offset and one octet).
    let n = with_refids(&[0x01, 0xFD, 0], &mut req);
    assert_eq!(handle(&mut s, &req[..n], &mut out).reply_len(), Some(n));
    let p = v5::Packet::decode(&out[..n]).unwrap();
    let chunk = p.extensions(Draft::Draft09).find_map(|(_, e)| match e {
        Ok(Extension::RefIdsResponse(c)) => Some(c),
        _ => None,
    });
    assert_eq!(chunk, Some(&[0xAB, 0, 0xCD][..]));
    // The last 2 octets: offset 510, length 2 (no padding at all).
    let n = with_refids(&[0x01, 0xFE], &mut req);
    assert_eq!(handle(&mut s, &req[..n], &mut out).reply_len(), Some(n));
    // Offset 511 with 2 octets runs past the filter; so does 512 with 2.
    let bad = Outcome::Dropped(DropReason::V5BadChunk);
    let n = with_refids(&[0x01, 0xFF], &mut req);
    assert_eq!(handle(&mut s, &req[..n], &mut out), bad);
    let n = with_refids(&[0x02, 0x00], &mut req);
    assert_eq!(handle(&mut s, &req[..n], &mut out), bad);
    // No data at all (zero length): not even an offset.
    let n = with_refids(&[], &mut req);
    assert_eq!(
        handle(&mut s, &req[..n], &mut out),
        Outcome::Dropped(DropReason::Malformed)
    );
    // The whole filter at once.
    let mut whole = [0u8; 512];
    whole[..2].copy_from_slice(&[0, 0]);
    let n = with_refids(&whole, &mut req);
    assert_eq!(handle(&mut s, &req[..n], &mut out).reply_len(), Some(n));
    assert_eq!(&out[n - 512..n], &filter.0[..]);
}
