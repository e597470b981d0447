//! Golden test of client-server PTP (IEEE P1588.1 draft) against ntpd-rs
//! 2.0-alpha: `shared/vectors/next/csptp.pcap` holds its CSPTP client's
//! requests and its server's Sync response and Follow_Up. Every message
//! must decode with the generic codec, re-encode byte for byte (raw and
//! with typed TLVs), be recognised as the CSPTP message it is, and go
//! through Tempora's server (requests) and client (the exchange).
//!
//! `TEMPORA_SHARED_VECTORS` names the shared directory. Without its `next`
//! directory the test prints one line and passes, except under `CI=true`,
//! where that fails; a missing file in it fails.

use etherparse::{SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_clock::Time;
use tempora_ptp::csptp::message::CsptpMessage;
use tempora_ptp::csptp::{
    ClientOutcome, CsptpClient, CsptpClientConfig, CsptpServer, ServerDataSet, ServerOutcome,
};
use tempora_ptp::wire::tlv::Tlv;
use tempora_ptp::wire::{Message, Suffix};

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
    eprintln!("skipped: no {SHARED}/next (TEMPORA_SHARED_VECTORS): ntpd-rs's CSPTP capture");
    false
}

/// The UDP payloads to ports 319/320, with the frame times.
fn payloads() -> Vec<(Time, Vec<u8>)> {
    let path = format!("{SHARED}/next/csptp.pcap");
    let file = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let capture = PcapCapture::from_file(&file).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let mut out = Vec::new();
    for block in &capture.blocks {
        let Ok(sliced) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        if let Some(TransportSlice::Udp(udp)) = &sliced.transport {
            if [319, 320].contains(&udp.destination_port()) {
                let at = Time::from_secs_nanos(i64::from(block.ts_sec), block.ts_usec * 1000);
                out.push((at, udp.payload().to_vec()));
            }
        }
    }
    out
}

#[test]
fn every_csptp_message_decodes_and_re_encodes_byte_exact() {
    if !shared() {
        return;
    }
    let messages = payloads();
    assert_eq!(
        messages.len(),
        7,
        "five requests, one response, one Follow_Up"
    );
    let (mut requests, mut responses, mut follow_ups) = (0, 0, 0);
    for (i, (_, data)) in messages.iter().enumerate() {
        let msg = Message::decode(data).unwrap_or_else(|e| panic!("#{i}: {e}"));
        let mut again = vec![0u8; msg.encoded_len()];
        let n = msg.encode(&mut again).unwrap();
        assert_eq!(&again[..n], &data[..], "#{i}: raw re-encode");
        let tlvs: Vec<Tlv> = msg.tlvs().map(|t| t.unwrap()).collect();
        assert!(
            tlvs.iter().all(|t| !matches!(t, Tlv::Other(_))),
            "#{i}: every TLV typed: {tlvs:?}"
        );
        let typed = Message {
            suffix: Suffix::Tlvs(&tlvs),
            ..msg
        };
        let mut again = vec![0u8; typed.encoded_len()];
        typed.encode(&mut again).unwrap();
        assert_eq!(&again[..], &data[..], "#{i}: typed re-encode");
        match CsptpMessage::parse(data).unwrap_or_else(|e| panic!("#{i}: {e}")) {
            CsptpMessage::Request(r) => {
                assert_eq!(r.header.sequence_id, requests);
                assert!(r.tlv.status_requested());
                requests += 1;
            }
            CsptpMessage::Response(r) => {
                assert!(r.status.is_some());
                responses += 1;
            }
            CsptpMessage::FollowUp(_) => follow_ups += 1,
        }
    }
    assert_eq!((requests, responses, follow_ups), (5, 1, 1));
}

#[test]
fn the_capture_drives_tempora_client_and_server() {
    if !shared() {
        return;
    }
    let messages = payloads();
    let server = CsptpServer::default();
    let mut client = CsptpClient::new(
        CsptpClientConfig {
            domain: 128,
            ..CsptpClientConfig::default()
        },
        messages[0].0,
    );
    let mut buf = [0u8; 128];
    let mut samples = 0;
    for (at, data) in &messages {
        match CsptpMessage::parse(data).unwrap() {
            CsptpMessage::Request(r) => {
                // Tempora's server answers every one, two-step.
                let out = server.handle(*at, data, &ServerDataSet::default(), &mut buf);
                assert!(matches!(
                    out,
                    ServerOutcome::Reply {
                        follow_up: true,
                        ..
                    }
                ));
                // Tempora's client sends the same request at that time.
                let ours = client.poll_request(*at, &mut buf).unwrap().unwrap();
                assert_eq!(ours.sequence_id, r.header.sequence_id);
                assert_eq!(&buf[..ours.len], &data[..]);
                client.handle_transmit_timestamp(ours.sequence_id, *at);
            }
            _ => match client.handle_message(data, *at) {
                ClientOutcome::Sample(s) => {
                    assert_eq!(s.utc_offset_applied, 37);
                    assert!(s.offset.abs().as_secs_f64() < 1e-3);
                    samples += 1;
                }
                ClientOutcome::Waiting => {}
                ClientOutcome::Dropped(r) => panic!("dropped: {r}"),
            },
        }
    }
    assert_eq!(samples, 1);
    assert_eq!(client.counters().requests, 5);
}
