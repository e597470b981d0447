//! Golden tests: `tempora inspect`'s engine over the real captures in
//! `TEMPORA_VECTORS` (the repository's vectors/ by default; CI runs them
//! again over ../shared/vectors), over the same frames with an 802.1Q tag
//! added, and over the same packets rewritten as pcapng.
//!
//! The expected counts are not written here: a small reader of its own (the
//! pcap record headers, Ethernet, IPv4/IPv6, UDP) counts each capture's
//! records and its PTP and NTP packets, independently of the inspector.

use std::path::{Path, PathBuf};

use tempora_inspect::capture::{Frame, read_capture, read_capture_from};
use tempora_inspect::{Summary, inspect_file, inspect_frame};

const VECTORS: &str = env!("TEMPORA_VECTORS");

fn vector(name: &str) -> PathBuf {
    let path = Path::new(VECTORS).join(name);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// What the test's own reader finds in a classic pcap file of Ethernet
/// frames: every record, and the PTP (EtherType 0x88F7, UDP 319/320) and NTP
/// (UDP 123) packets among them, with the NTP payloads' lengths.
#[derive(Debug, Default)]
struct Census {
    records: u64,
    ptp: u64,
    ntp_lengths: Vec<usize>,
}

fn census(name: &str) -> Census {
    let data = std::fs::read(vector(name)).unwrap();
    // Classic pcap, little-endian, microseconds; LINKTYPE_ETHERNET.
    assert_eq!(data[..4], [0xd4, 0xc3, 0xb2, 0xa1], "{name}: pcap magic");
    assert_eq!(u32::from_le_bytes(data[20..24].try_into().unwrap()), 1);
    let mut c = Census::default();
    let mut at = 24;
    while at < data.len() {
        let len = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap()) as usize;
        let frame = &data[at + 16..at + 16 + len];
        at += 16 + len;
        c.records += 1;
        let ether_type = u16::from_be_bytes([frame[12], frame[13]]);
        let udp = match ether_type {
            0x88f7 => {
                c.ptp += 1;
                continue;
            }
            0x0800 if frame[23] == 17 => &frame[14 + 4 * usize::from(frame[14] & 0x0f)..],
            0x86dd if frame[20] == 17 => &frame[54..],
            _ => continue,
        };
        let ports = [
            u16::from_be_bytes([udp[0], udp[1]]),
            u16::from_be_bytes([udp[2], udp[3]]),
        ];
        if ports.iter().any(|p| [319, 320].contains(p)) {
            c.ptp += 1;
        } else if ports.contains(&123) {
            c.ntp_lengths.push(udp.len() - 8);
        }
    }
    assert_eq!(at, data.len(), "{name}: records end with the file");
    c
}

/// The clock identities in a ptp4l slave's log: (grandmaster, the slave).
fn identities_from_log(name: &str) -> (String, String) {
    let log = std::fs::read_to_string(vector(name)).unwrap();
    let after = |prefix: &str| {
        log.lines()
            .find_map(|l| l.split_once(prefix).map(|(_, rest)| rest))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{name}: no line with {prefix:?}"))
            .to_string()
    };
    (
        after("selected best master clock "),
        after("selected local clock "),
    )
}

fn frames(name: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    read_capture(&vector(name), |f| out.push(f)).unwrap();
    out
}

/// Every PTP and NTP packet of every capture decodes and re-encodes exactly;
/// the counts are those the test's own reader finds in the captures.
#[test]
fn every_shared_capture_round_trips() {
    let names = [
        "ntp-chrony.pcap",
        "ptp-l2-e2e.pcap",
        "ptp-l2-p2p.pcap",
        "ptp-mgmt-2.pcap",
        "ptp-mgmt-4.pcap",
        "ptp-mgmt-6.pcap",
        "ptp-udp4-e2e.pcap",
        "ptp-udp4-p2p.pcap",
        "ptp-udp6-e2e.pcap",
    ];
    let mut total = Summary::default();
    let mut expected_total = (0, 0);
    for name in names {
        let c = census(name);
        let decoded = c.ptp + c.ntp_lengths.len() as u64;
        let (packets, skipped) = (c.records, c.records - decoded);
        // The PTP captures hold nothing else; the NTP one has NTS-KE too.
        assert!(decoded > 50, "{name}: {c:?}");
        if name.starts_with("ptp-") {
            assert_eq!(skipped, 0, "{name}: {c:?}");
        } else {
            assert!(skipped > 0 && c.ptp == 0, "{name}: {c:?}");
        }
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
        expected_total.0 += packets;
        expected_total.1 += decoded;
    }
    assert_eq!((total.packets, total.decoded), expected_total);
}

/// The lines carry the key fields of each message.
#[test]
fn lines_show_key_fields() {
    let mut s = Summary::default();
    let mut out = Vec::new();
    inspect_file(&vector("ptp-udp4-e2e.pcap"), false, &mut s, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    // Both sets of captures put the master at 10.210.0.1 with priority1
    // 100; the clock identities are in the slave's log.
    let (master, slave) = identities_from_log("ptp-udp4-e2e.slave.log");
    let announce = text.lines().find(|l| l.contains("PTP Announce")).unwrap();
    assert!(
        announce.contains("10.210.0.1:320 → 224.0.1.129:320"),
        "{announce}"
    );
    assert!(
        announce.contains(&format!("gm {master} prio 100/128 class 248")),
        "{announce}"
    );
    let resp = text.lines().find(|l| l.contains("PTP Delay_Resp")).unwrap();
    assert!(resp.contains(&format!(" for {slave}-1")), "{resp}");

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
    // NTS packets: the NTP datagrams longer than the 48-octet header.
    let longer = census("ntp-chrony.pcap")
        .ntp_lengths
        .iter()
        .filter(|&&n| n > 48)
        .count();
    assert!(longer > 10);
    assert_eq!(nts.len(), longer);
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
    let ptp = census("ptp-udp6-e2e.pcap").ptp;
    assert!(ptp > 50);
    assert_eq!((s.decoded, s.identical, s.failed), (ptp, ptp, 0));
}
