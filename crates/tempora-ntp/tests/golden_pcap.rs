//! Golden test over a chrony 4.3 capture (`ntp-chrony.pcap` in
//! `TEMPORA_VECTORS`: the repository's vectors/, and ../shared/vectors in
//! CI): plain NTPv4 client/server exchanges over IPv4 (interleaved mode) and
//! NTS exchanges over IPv6 (RFC 8915 §5), plus ntpdig's one-shot queries
//! (`ntpdig.json` beside the capture, one line per query). Every NTP datagram
//! must decode, re-encode byte for byte and have plausible contents.

use std::collections::HashMap;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_ntp::wire::{
    ExtensionKind, LeapIndicator, Mode, NtpTimestamp, NtsAuthenticator, Packet, ReferenceId,
    parse_extension_fields,
};

const PCAP: &str = concat!(env!("TEMPORA_VECTORS"), "/ntp-chrony.pcap");
const NTPDIG: &str = concat!(env!("TEMPORA_VECTORS"), "/ntpdig.json");

/// ntpdig's queries, from what it printed (one JSON object per answer):
/// (over IPv4, over IPv6).
fn ntpdig_queries() -> (usize, usize) {
    let text = std::fs::read_to_string(NTPDIG).unwrap_or_else(|e| panic!("{NTPDIG}: {e}"));
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with('{') && l.contains("\"stratum\":1"))
    );
    let v6 = lines.iter().filter(|l| l.contains("\"ip\":\"fd")).count();
    (lines.len() - v6, v6)
}

struct Datagram {
    capture_unix_nanos: i128,
    ipv6: bool,
    src_port: u16,
    dst_port: u16,
    payload: Vec<u8>,
}

fn ntp_datagrams() -> Vec<Datagram> {
    let file = std::fs::read(PCAP).unwrap_or_else(|e| panic!("golden capture {PCAP} missing: {e}"));
    let capture = PcapCapture::from_file(&file).expect("pcap file");
    let mut out = Vec::new();
    for pkt in &capture.blocks {
        let sliced = SlicedPacket::from_ethernet(pkt.data).expect("ethernet frame");
        let Some(TransportSlice::Udp(udp)) = &sliced.transport else {
            continue;
        };
        if udp.source_port() != 123 && udp.destination_port() != 123 {
            continue;
        }
        out.push(Datagram {
            capture_unix_nanos: i128::from(pkt.ts_sec) * 1_000_000_000
                + i128::from(pkt.ts_usec) * 1_000,
            ipv6: matches!(sliced.net, Some(NetSlice::Ipv6(_))),
            src_port: udp.source_port(),
            dst_port: udp.destination_port(),
            payload: udp.payload().to_vec(),
        });
    }
    out
}

struct Pending {
    receive: NtpTimestamp,
    transmit: NtpTimestamp,
    uid: Option<Vec<u8>>,
    one_shot: bool,
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Counts {
    requests: usize,
    unsynchronized_requests: usize,
    responses: usize,
    plain_v4: usize,
    plain_v6: usize,
    nts_requests: usize,
    nts_responses: usize,
    interleaved_requests: usize,
    interleaved_responses: usize,
    matched_responses: usize,
}

#[test]
fn chrony_capture_round_trips() {
    let datagrams = ntp_datagrams();
    let mut counts = Counts::default();
    // Client port -> the last request.
    let mut pending: HashMap<u16, Pending> = HashMap::new();
    // Per association (address family, NTS or not): the server receive
    // timestamp of the last response.
    let mut last_server_receive: HashMap<(bool, bool), NtpTimestamp> = HashMap::new();
    // The server's precision: chronyd measures it when it starts (2^-26 s
    // and 2^-25 s on the machines that made the captures); one value for
    // the whole run.
    let mut server_precision = None;

    for d in &datagrams {
        let p = Packet::decode(&d.payload)
            .unwrap_or_else(|e| panic!("decode failed ({e}) for {:02x?}", d.payload));
        // Exact round trip.
        assert_eq!(p.encoded_len(), d.payload.len());
        let mut buf = vec![0u8; p.encoded_len()];
        assert_eq!(p.encode(&mut buf), Ok(d.payload.len()));
        assert_eq!(buf, d.payload, "re-encoding differs");
        assert_eq!(Packet::decode(&buf).unwrap(), p);

        assert_eq!(p.version, 4);
        assert_eq!(p.mac, None);
        assert_eq!(p.raw_body, None);
        let kinds: Vec<ExtensionKind> = p.extensions().map(|f| f.kind()).collect();

        if d.dst_port == 123 {
            counts.requests += 1;
            assert_eq!(p.mode, Mode::Client);
            assert_eq!(p.stratum, 0);
            assert_eq!(p.poll, 0);
            assert_eq!(p.reference_id, ReferenceId([0; 4]));
            // Two one-shot queries from another client (`e3 00 00 00`: LI 3,
            // ntpdig-style) versus chronyd's regular requests
            // (`23 00 00 20`).
            if p.leap == LeapIndicator::Unsynchronized {
                assert_eq!(p.precision, 0);
                counts.unsynchronized_requests += 1;
            } else {
                assert_eq!(p.leap, LeapIndicator::NoWarning);
                assert_eq!(p.precision, 0x20);
            }
            assert!(p.reference_timestamp.is_zero());
            // Interleaved mode (chrony xleave): the origin timestamp echoes
            // the server receive timestamp of the previous exchange.
            if !p.origin_timestamp.is_zero() {
                assert_eq!(
                    Some(&p.origin_timestamp),
                    last_server_receive.get(&(d.ipv6, !kinds.is_empty()))
                );
                counts.interleaved_requests += 1;
            }
            let uid = if kinds.is_empty() {
                assert_eq!(d.payload.len(), 48);
                None
            } else {
                counts.nts_requests += 1;
                assert!(d.ipv6, "NTS runs over IPv6 in this capture");
                assert_eq!(d.payload.len(), 228);
                assert_eq!(
                    kinds,
                    [
                        ExtensionKind::UniqueIdentifier,
                        ExtensionKind::NtsCookie,
                        ExtensionKind::NtsAuthenticatorAndEncrypted
                    ]
                );
                let fields: Vec<_> = p.extensions().collect();
                assert_eq!(fields[0].body.len(), 32);
                assert_eq!(fields[1].body.len(), 100);
                let (offset, auth) = p.nts_authenticator().unwrap();
                assert_eq!(offset, 48 + 36 + 104);
                let auth = auth.unwrap();
                assert_eq!(auth.nonce.len(), 16);
                // Empty plaintext: only the 16-octet SIV tag.
                assert_eq!(auth.ciphertext.len(), 16);
                assert!(auth.additional_padding.is_empty());
                Some(fields[0].body.to_vec())
            };
            pending.insert(
                d.src_port,
                Pending {
                    receive: p.receive_timestamp,
                    transmit: p.transmit_timestamp,
                    uid,
                    one_shot: p.leap == LeapIndicator::Unsynchronized,
                },
            );
        } else {
            counts.responses += 1;
            assert_eq!(d.src_port, 123);
            assert_eq!(p.mode, Mode::Server);
            assert_eq!(p.leap, LeapIndicator::NoWarning);
            assert_eq!(p.stratum, 1);
            assert!((-30..=-20).contains(&p.precision), "{}", p.precision);
            assert_eq!(*server_precision.get_or_insert(p.precision), p.precision);
            assert_eq!(p.reference_id, ReferenceId([127, 127, 1, 1]));
            assert_eq!(p.kiss_code(), None);
            let gap = p.transmit_timestamp.nanos_since(p.receive_timestamp);
            if gap < 0 {
                // Interleaved response: the transmit timestamp is that of
                // the previous response, one poll interval earlier.
                assert!(gap > -10_000_000_000, "{gap}");
                counts.interleaved_responses += 1;
            } else {
                assert!(gap < 10_000_000, "{gap}");
            }
            // Server clock agrees with the capture clock within seconds.
            let rx = p.receive_timestamp.to_unix_nanos(d.capture_unix_nanos);
            assert!(
                (rx - d.capture_unix_nanos).abs() < 5_000_000_000,
                "{}",
                p.receive_timestamp.unix_display(d.capture_unix_nanos)
            );
            let Pending {
                receive: req_rx,
                transmit: req_tx,
                uid: req_uid,
                one_shot,
            } = pending
                .remove(&d.dst_port)
                .expect("response without request");
            // Basic mode echoes the request transmit timestamp; interleaved
            // mode echoes the request receive timestamp (RFC 5905 §9.2
            // interleaved extension as implemented by chrony).
            if gap < 0 {
                assert_eq!(p.origin_timestamp, req_rx, "interleaved origin");
            } else {
                assert_eq!(p.origin_timestamp, req_tx, "basic origin");
            }
            counts.matched_responses += 1;
            if !one_shot {
                last_server_receive.insert((d.ipv6, req_uid.is_some()), p.receive_timestamp);
            }
            match req_uid {
                None => {
                    assert!(kinds.is_empty());
                    if d.ipv6 {
                        counts.plain_v6 += 1;
                    } else {
                        counts.plain_v4 += 1;
                    }
                }
                Some(uid) => {
                    counts.nts_responses += 1;
                    assert_eq!(d.payload.len(), 228);
                    assert_eq!(
                        kinds,
                        [
                            ExtensionKind::UniqueIdentifier,
                            ExtensionKind::NtsAuthenticatorAndEncrypted
                        ]
                    );
                    let fields: Vec<_> = p.extensions().collect();
                    assert_eq!(fields[0].body, uid, "response echoes unique identifier");
                    let auth = NtsAuthenticator::from_extension_field(&fields[1]).unwrap();
                    assert_eq!(auth.nonce.len(), 16);
                    // Tag plus one encrypted 104-octet NTS Cookie field.
                    assert_eq!(auth.ciphertext.len(), 16 + 104);
                    let (offset, _) = p.nts_authenticator().unwrap();
                    assert_eq!(offset, 48 + 36);
                    // The ciphertext is not a plaintext field sequence we
                    // can check, but parsing it must not panic.
                    let _ = parse_extension_fields(auth.ciphertext);
                }
            }
        }
    }

    // The expected counts follow from what ran: ntpdig's queries (from its
    // output beside the capture) are the requests with LI 3, one plain
    // exchange per query; chronyd's IPv4 association is plain and
    // interleaved, its IPv6 one NTS.
    let (ntpdig_v4, ntpdig_v6) = ntpdig_queries();
    let chronyd_v4 = counts.plain_v4 - ntpdig_v4;
    assert!(chronyd_v4 >= 10 && counts.nts_requests >= 10, "{counts:?}");
    assert_eq!(
        counts,
        Counts {
            requests: chronyd_v4 + ntpdig_v4 + ntpdig_v6 + counts.nts_requests,
            unsynchronized_requests: ntpdig_v4 + ntpdig_v6,
            responses: counts.requests,
            plain_v4: chronyd_v4 + ntpdig_v4,
            plain_v6: ntpdig_v6,
            nts_requests: counts.nts_requests,
            nts_responses: counts.nts_requests,
            // Only the plain IPv4 association runs interleaved (xleave): its
            // first request is basic, and the server answers the first
            // interleaved one in basic mode (it has no transmit timestamp of
            // an earlier response to that client yet).
            interleaved_requests: chronyd_v4 - 1,
            interleaved_responses: chronyd_v4 - 2,
            matched_responses: counts.requests,
        }
    );
    assert!(pending.is_empty());
}
