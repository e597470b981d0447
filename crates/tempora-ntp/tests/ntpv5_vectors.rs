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

use std::collections::HashMap;

use etherparse::{SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_ntp::v5::{Cookie, Draft, Extension, Packet, Timescale, UpgradeSignal, is_v5};
use tempora_ntp::wire::{self, Mode};

const SHARED: &str = env!("TEMPORA_SHARED_VECTORS");

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

/// (client port, payload, to the server?) of every NTP datagram.
fn datagrams() -> Vec<(u16, Vec<u8>, bool)> {
    let path = format!("{SHARED}/next/ntpv5.pcap");
    let file = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let capture = PcapCapture::from_file(&file).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let mut out = Vec::new();
    for block in &capture.blocks {
        let Ok(sliced) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        if let Some(TransportSlice::Udp(udp)) = &sliced.transport {
            let (src, dst) = (udp.source_port(), udp.destination_port());
            if dst == 123 {
                out.push((src, udp.payload().to_vec(), true));
            } else if src == 123 {
                out.push((dst, udp.payload().to_vec(), false));
            }
        }
    }
    out
}

/// Decodes, checks the byte-exact round trip and the draft.
fn decode_v5(data: &[u8]) -> Packet<'_> {
    let p = Packet::decode(data).unwrap_or_else(|e| panic!("{e}"));
    let mut out = vec![0; data.len() + 64];
    let n = p.encode(&mut out).unwrap();
    assert_eq!(&out[..n], data, "v5 re-encode");
    assert_eq!(p.draft(), Some(Draft::Draft09));
    assert_eq!(p.header.timescale, Timescale::Utc);
    p
}

/// The (offset, length) of a request's Reference IDs Request, or the
/// chunk length of a response's Reference IDs Response.
fn refids(p: &Packet<'_>) -> (Option<(usize, usize)>, Option<usize>) {
    let (mut req, mut resp) = (None, None);
    for (_, ext) in p.extensions(Draft::Draft09) {
        match ext.unwrap() {
            Extension::RefIdsRequest(r) => req = r.range().map(|r| (r.start, r.len())),
            Extension::RefIdsResponse(c) => resp = Some(c.len()),
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
    let all = datagrams();
    assert_eq!(all.len(), 8, "three v5 exchanges, one v4 upgrade exchange");
    let mut asked: HashMap<u16, (Cookie, usize)> = HashMap::new();
    let (mut requests, mut responses) = (0, 0);
    for (port, data, to_server) in all.iter().filter(|(_, d, _)| is_v5(d)) {
        let p = decode_v5(data);
        let (req, resp) = refids(&p);
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
            assert_eq!(resp, Some(len), "chunk of the length asked for");
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
    let all = datagrams();
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
