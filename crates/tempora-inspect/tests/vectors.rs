//! Golden tests: `tempora inspect`'s engine over the real captures in
//! ../shared/vectors, over the same frames with an 802.1Q tag added, and over
//! the same packets rewritten as pcapng.

use std::path::{Path, PathBuf};

use tempora_inspect::capture::{Frame, read_capture, read_capture_from};
use tempora_inspect::{Summary, inspect_file, inspect_frame};

const VECTORS: &str = env!("TEMPORA_VECTORS");

fn vector(name: &str) -> PathBuf {
    let path = Path::new(VECTORS).join(name);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

fn frames(name: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    read_capture(&vector(name), |f| out.push(f)).unwrap();
    out
}

/// Every PTP and NTP packet of every capture decodes and re-encodes exactly;
/// the counts are those of the captures.
#[test]
fn every_shared_capture_round_trips() {
    // (file, packets, decoded, skipped)
    let expected = [
        ("ntp-chrony.pcap", 153, 134, 19),
        ("ptp-l2-e2e.pcap", 148, 148, 0),
        ("ptp-l2-p2p.pcap", 328, 328, 0),
        ("ptp-mgmt-2.pcap", 68, 68, 0),
        ("ptp-mgmt-4.pcap", 68, 68, 0),
        ("ptp-mgmt-6.pcap", 68, 68, 0),
        ("ptp-udp4-e2e.pcap", 162, 162, 0),
        ("ptp-udp4-p2p.pcap", 333, 333, 0),
        ("ptp-udp6-e2e.pcap", 164, 164, 0),
    ];
    let mut total = Summary::default();
    for (name, packets, decoded, skipped) in expected {
        let mut s = Summary::default();
        let mut out = Vec::new();
        inspect_file(&vector(name), false, &mut s, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            (s.packets, s.decoded, s.skipped),
            (packets, decoded, skipped),
            "{name}: {s}"
        );
        assert_eq!((s.identical, s.failed), (decoded, 0), "{name}: {s}\n{text}");
        assert!(!text.contains("!!"), "{name}:\n{text}");
        total.packets += s.packets;
        total.decoded += s.decoded;
    }
    assert_eq!((total.packets, total.decoded), (1492, 1473));
}

/// The lines carry the key fields of each message.
#[test]
fn lines_show_key_fields() {
    let mut s = Summary::default();
    let mut out = Vec::new();
    inspect_file(&vector("ptp-udp4-e2e.pcap"), false, &mut s, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let announce = text.lines().find(|l| l.contains("PTP Announce")).unwrap();
    assert!(
        announce.contains("10.210.0.1:320 → 224.0.1.129:320"),
        "{announce}"
    );
    assert!(
        announce.contains("gm 2ef8ca.fffe.92c843 prio 100/128 class 248"),
        "{announce}"
    );
    let resp = text.lines().find(|l| l.contains("PTP Delay_Resp")).unwrap();
    assert!(resp.contains(" for baf9b8.fffe.a4bad6-1"), "{resp}");

    let mut out = Vec::new();
    inspect_file(&vector("ntp-chrony.pcap"), true, &mut s, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let nts: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| {
            v["extension_fields"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .collect();
    assert_eq!(nts.len(), 64);
    let request = &nts[0];
    assert_eq!(request["mode"], "client");
    let types: Vec<u64> = request["extension_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_u64().unwrap())
        .collect();
    assert_eq!(types, [0x0104, 0x0204, 0x0404]);
    assert_eq!(request["roundtrip"], "identical");
}

/// The L2 captures with an 802.1Q tag inserted after the source MAC: still
/// found, decoded and re-encoded exactly (IEEE 1588-2019 Annex E).
#[test]
fn vlan_tagged_frames_round_trip() {
    for name in ["ptp-l2-e2e.pcap", "ptp-l2-p2p.pcap", "ptp-mgmt-2.pcap"] {
        let mut s = Summary::default();
        let mut out = Vec::new();
        let frames = frames(name);
        for f in &frames {
            let mut data = f.data[..12].to_vec();
            data.extend_from_slice(&[0x81, 0x00, 0xa0, 0x64]);
            data.extend_from_slice(&f.data[12..]);
            let tagged = Frame { data, ..f.clone() };
            inspect_frame(&tagged, false, &mut s, &mut out).unwrap();
        }
        assert_eq!(s.packets as usize, frames.len());
        assert_eq!(
            (s.decoded, s.identical, s.failed),
            (s.packets, s.packets, 0),
            "{name}: {s}"
        );
    }
}

fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let len = 12 + body.len().next_multiple_of(4);
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + (body.len().next_multiple_of(4) - body.len()), 0);
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

/// The same packets written as pcapng with nanosecond timestamps
/// (`if_tsresol` 9) read back with the same bytes and times.
#[test]
fn pcapng_reads_like_pcap() {
    let original = frames("ptp-udp6-e2e.pcap");
    let mut file = Vec::new();
    // Section header block: byte-order magic, version 1.0, unknown length.
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut file, 0x0a0d_0d0a, &shb);
    // Interface description: Ethernet, snaplen 0, if_tsresol = 9, end of options.
    let mut idb = Vec::new();
    idb.extend_from_slice(&1u16.to_le_bytes());
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&0u32.to_le_bytes());
    idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    block(&mut file, 1, &idb);
    for f in &original {
        let ts = f.time_ns as u64;
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&f.data);
        epb.resize(epb.len().next_multiple_of(4), 0);
        block(&mut file, 6, &epb);
    }
    let mut read = Vec::new();
    read_capture_from(&file[..], |f| read.push(f)).unwrap();
    assert_eq!(read, original);
    let mut s = Summary::default();
    for f in &read {
        inspect_frame(f, true, &mut s, &mut std::io::sink()).unwrap();
    }
    assert_eq!((s.decoded, s.identical, s.failed), (164, 164, 0));
}
