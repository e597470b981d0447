//! Golden test of NTPv5 (draft-ietf-ntp-ntpv5-09) against ntpd-rs
//! 2.0-alpha: `shared/vectors/next/ntpv5.pcap` holds a client configured
//! for version 5, one for "auto" (NTPv4 requests with the upgrade signal,
//! then NTPv5), and a server accepting versions 3 to 5. Every v5 message
//! must decode, re-encode byte for byte and say what the capture shows
//! (draft -09, UTC, cookies echoed, Bloom filter chunks the size asked
//! for); the v4 request of the "auto" client and the server's answer must
//! both carry the upgrade signal.
//!
//! `TEMPORA_SHARED_VECTORS` names the shared directory. Without its `next`
//! directory the test prints one line and passes, except under `CI=true`,
//! where that fails; a missing file in it fails.
//!
//! The repository's own `vectors/ntpv5-ntpd-rs-1.9.pcap` (always read from
//! the checkout) holds ntpd-rs 1.9's clients (draft -08; version 5 and
//! "auto") against Tempora's server core: ntpd-rs's requests, Tempora's
//! replies, which ntpd-rs used (see the logs beside it).

use std::collections::HashMap;

use etherparse::{SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_clock::Time;
use tempora_ntp::v5::{
    BloomFilter, Cookie, Draft, Extension, Packet, RefId120, Timescale, UpgradeSignal, is_v5,
};
use tempora_ntp::v5::{Negotiation, RemoteFilter, V5Request, VersionSetting, Wire};
use tempora_ntp::wire::{self, Mode};

const SHARED: &str = env!("TEMPORA_SHARED_VECTORS");
/// The repository's own capture against Tempora's server core.
const OWN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../vectors/ntpv5-ntpd-rs-1.9.pcap"
);
/// The repository's own capture of Tempora's client core against ntpd-rs.
const OWN_CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../vectors/ntpv5-client-ntpd-rs-1.9.pcap"
);

/// Whether the shared captures are there (see the module documentation).
fn shared() -> bool {
    if std::path::Path::new(SHARED).join("next").is_dir() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{SHARED}/next is missing (TEMPORA_SHARED_VECTORS), and CI=true requires it"
    );
    eprintln!("skipped: no {SHARED}/next (TEMPORA_SHARED_VECTORS): ntpd-rs's NTPv5 capture");
    false
}

/// One NTP datagram: (client port, payload, to the server?).
type Datagram = (u16, Vec<u8>, bool);

/// Every NTP datagram of a capture.
fn datagrams(path: &str) -> Vec<Datagram> {
    timed(path).into_iter().map(|(_, d)| d).collect()
}

/// [`datagrams`] with each frame's capture time.
fn timed(path: &str) -> Vec<(Time, Datagram)> {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let capture = PcapCapture::from_file(&file).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let mut out = Vec::new();
    for block in &capture.blocks {
        let Ok(sliced) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        let at = Time::from_secs_nanos(i64::from(block.ts_sec), block.ts_usec * 1000);
        if let Some(TransportSlice::Udp(udp)) = &sliced.transport {
            let (src, dst) = (udp.source_port(), udp.destination_port());
            if dst == 123 {
                out.push((at, (src, udp.payload().to_vec(), true)));
            } else if src == 123 {
                out.push((at, (dst, udp.payload().to_vec(), false)));
            }
        }
    }
    out
}

/// Decodes, checks the byte-exact round trip and the draft.
fn decode_v5(data: &[u8], draft: Draft) -> Packet<'_> {
    let p = Packet::decode(data).unwrap_or_else(|e| panic!("{e}"));
    let mut out = vec![0; data.len() + 64];
    let n = p.encode(&mut out).unwrap();
    assert_eq!(&out[..n], data, "v5 re-encode");
    assert_eq!(p.draft(), Some(draft));
    assert_eq!(p.header.timescale, Timescale::Utc);
    p
}

/// The (offset, length) of a request's Reference IDs Request, or the
/// chunk length of a response's Reference IDs Response.
fn refids<'a>(p: &Packet<'a>, draft: Draft) -> (Option<(usize, usize)>, Option<&'a [u8]>) {
    let (mut req, mut resp) = (None, None);
    for (_, ext) in p.extensions(draft) {
        match ext.unwrap() {
            Extension::RefIdsRequest(r) => req = r.range().map(|r| (r.start, r.len())),
            Extension::RefIdsResponse(c) => resp = Some(c),
            _ => {}
        }
    }
    (req, resp)
}

#[test]
fn every_v5_message_decodes_and_re_encodes_byte_exact() {
    if !shared() {
        return;
    }
    let all = datagrams(&format!("{SHARED}/next/ntpv5.pcap"));
    assert_eq!(all.len(), 8, "three v5 exchanges, one v4 upgrade exchange");
    let mut asked: HashMap<u16, (Cookie, usize)> = HashMap::new();
    let (mut requests, mut responses) = (0, 0);
    for (port, data, to_server) in all.iter().filter(|(_, d, _)| is_v5(d)) {
        let p = decode_v5(data, Draft::Draft09);
        let (req, resp) = refids(&p, Draft::Draft09);
        if *to_server {
            requests += 1;
            assert_eq!(p.header.mode, Mode::Client);
            assert!(!p.header.client_cookie.is_zero());
            assert_eq!(p.header.server_cookie, Cookie::ZERO);
            let (offset, len) = req.expect("a reference IDs request");
            assert!(offset % len == 0 && offset + len <= 512);
            asked.insert(*port, (p.header.client_cookie, len));
        } else {
            responses += 1;
            assert_eq!(p.header.mode, Mode::Server);
            assert_eq!(p.header.stratum, 1);
            assert!(p.header.flags.synchronized());
            let (cookie, len) = asked.remove(port).expect("a request before");
            assert_eq!(p.header.client_cookie, cookie, "client cookie echoed");
            assert!(!p.header.server_cookie.is_zero());
            assert_eq!(
                resp.map(<[u8]>::len),
                Some(len),
                "chunk of the length asked for"
            );
            assert!(p.header.transmit_timestamp >= p.header.receive_timestamp);
        }
    }
    assert_eq!((requests, responses), (3, 3));
}

#[test]
fn the_auto_client_upgrades_through_the_v4_signal() {
    if !shared() {
        return;
    }
    check_upgrade(&datagrams(&format!("{SHARED}/next/ntpv5.pcap")));
}

/// The one v4 exchange of an "auto" client: signal asked and answered.
fn check_upgrade(all: &[Datagram]) {
    let v4: Vec<_> = all.iter().filter(|(_, d, _)| !is_v5(d)).collect();
    assert_eq!(v4.len(), 2, "one v4 request and its answer");
    for (_, data, to_server) in v4 {
        let p = wire::Packet::decode(data).unwrap();
        let mut out = vec![0; data.len()];
        assert_eq!(p.encode(&mut out), Ok(data.len()));
        assert_eq!(&out, data);
        assert_eq!(p.version, 4);
        let signal = if *to_server {
            UpgradeSignal::in_request(&p)
        } else {
            UpgradeSignal::in_response(&p)
        };
        assert_eq!(signal, Some(UpgradeSignal::Draft), "to server: {to_server}");
    }
}

/// The filter Tempora's server core answered with in the own capture.
fn own_filter() -> BloomFilter {
    let mut f = BloomFilter::EMPTY;
    f.insert(&RefId120([0x42; 15]));
    f.insert(&RefId120::from_refclock(*b"XTMP"));
    f
}

#[test]
fn ntpd_rs_1_9_and_our_server_core_speak_draft_08() {
    let all = datagrams(OWN);
    check_upgrade(&all);
    let filter = own_filter();
    let mut asked: HashMap<u16, (Cookie, usize, usize)> = HashMap::new();
    let mut offsets = std::collections::BTreeSet::new();
    let (mut requests, mut responses) = (0, 0);
    for (port, data, to_server) in all.iter().filter(|(_, d, _)| is_v5(d)) {
        let p = decode_v5(data, Draft::Draft08);
        let (req, resp) = refids(&p, Draft::Draft08);
        if *to_server {
            requests += 1;
            let (offset, len) = req.expect("a reference IDs request");
            assert_eq!(len, 16);
            offsets.insert(offset);
            asked.insert(*port, (p.header.client_cookie, offset, len));
        } else {
            responses += 1;
            let (cookie, offset, len) = asked.remove(port).expect("a request before");
            assert_eq!(p.header.client_cookie, cookie);
            assert_eq!(data.len(), 96, "as long as the request");
            assert_eq!(
                resp,
                filter.chunk(offset..offset + len),
                "our filter's chunk"
            );
            assert!(p.header.flags.synchronized() && p.header.stratum == 1);
        }
    }
    assert_eq!((requests, responses), (73, 73));
    // ntpd-rs fetched the whole 512-octet filter, 16 octets at a time.
    assert_eq!(
        offsets.into_iter().collect::<Vec<_>>(),
        (0..512).step_by(16).collect::<Vec<_>>()
    );
}

/// The request a captured NTPv5 request was built from.
fn request_of(p: &Packet<'_>) -> V5Request {
    let (chunk, _) = refids(p, Draft::Draft08);
    V5Request {
        cookie: p.header.client_cookie,
        draft: p.draft().unwrap(),
        timescale: p.header.timescale,
        chunk: chunk.map(|(off, len)| (off as u16, len as u16)),
    }
}

#[test]
fn our_client_core_and_ntpd_rs_1_9s_server() {
    let all = timed(OWN_CLIENT);
    // The "auto" negotiation: one v4 exchange with the signal, echoed.
    let mut negotiation = Negotiation::new(VersionSetting::Auto);
    assert_eq!(negotiation.poll(), Wire::V4Upgrade);
    check_upgrade(&all.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>());
    negotiation.v4_reply(true);
    let mut filter = RemoteFilter::new(64).unwrap();
    let mut sent: Option<(V5Request, Time)> = None;
    let mut good = 0;
    for (at, (_, data, to_server)) in all.iter().filter(|(_, (_, d, _))| is_v5(d)) {
        let p = decode_v5(data, Draft::Draft08);
        if *to_server {
            assert_eq!(negotiation.poll(), Wire::V5);
            let req = request_of(&p);
            assert_eq!(req.chunk, Some(filter.next_chunk()), "the chunks in turn");
            sent = Some((req, *at));
            continue;
        }
        let (req, t1) = sent.take().expect("a request before");
        let reply = req
            .complete(data, t1, *at)
            .unwrap_or_else(|e| panic!("{e}"));
        negotiation.v5_reply();
        assert_eq!(reply.sample.stratum, 1);
        assert!(reply.sample.delay < tempora_clock::Duration::from_millis(5));
        let (offset, chunk) = reply.chunk.expect("the chunk asked for");
        filter.accept(offset, chunk).unwrap();
        good += 1;
    }
    assert_eq!(good, 11);
    assert_eq!(negotiation.version(), 5);
    // The whole filter came in 8 chunks: no loop with an ID it lacks.
    assert_eq!(filter.is_loop(&RefId120([0x11; 15])), Some(false));
}
