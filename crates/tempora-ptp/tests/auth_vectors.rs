//! Golden test of the AUTHENTICATION TLV (IEEE 1588-2019 §16.14, Annex P)
//! against linuxptp 4.x: `shared/vectors/next/ptp-auth-udp4-e2e.pcap` (key 1,
//! AES128 CMAC, UDP/IPv4, E2E) and `ptp-auth-l2-p2p.pcap` (key 2,
//! HMAC-SHA256-128, Ethernet, P2P) hold a ptp4l master and slave with
//! `spp 1` on every message; `ptp-auth.sa.cfg` holds their keys. Every
//! message must decode, re-encode byte for byte, carry an AUTHENTICATION
//! TLV last, and have its ICV check out; any flipped bit, the other key and
//! a wrong key must be refused.
//!
//! The captures exist only in `../shared/vectors/next` (linuxptp 4.x is not
//! in Debian, so they cannot be remade here): `TEMPORA_SHARED_VECTORS`
//! names that directory. Without it each test prints one line and passes,
//! except under `CI=true`, where that fails; a missing file in it fails.

use etherparse::{Ethernet2Slice, SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_ptp::auth::{self, AuthError, SaDatabase};
use tempora_ptp::wire::tlv::{Tlv, tlv_type};
use tempora_ptp::wire::{Message, MessageType};

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
    eprintln!("skipped: no {SHARED}/next (TEMPORA_SHARED_VECTORS): linuxptp 4.x's captures");
    false
}

fn read(name: &str) -> Vec<u8> {
    let path = format!("{SHARED}/next/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn database() -> SaDatabase {
    let text = String::from_utf8(read("ptp-auth.sa.cfg")).unwrap();
    SaDatabase::parse(&text).unwrap()
}

/// The PTP payloads of a capture: EtherType 0x88F7 frames, or UDP to 319/320.
fn payloads(name: &str) -> Vec<Vec<u8>> {
    let file = read(name);
    let capture = PcapCapture::from_file(&file).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let mut out = Vec::new();
    for block in &capture.blocks {
        let frame = Ethernet2Slice::from_slice_without_fcs(block.data).expect("Ethernet II");
        if frame.ether_type().0 == 0x88f7 {
            out.push(frame.payload_slice().to_vec());
            continue;
        }
        let Ok(sliced) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        if let Some(TransportSlice::Udp(udp)) = &sliced.transport {
            if [319, 320].contains(&udp.destination_port()) {
                out.push(udp.payload().to_vec());
            }
        }
    }
    out
}

/// Checks one capture; returns the message types seen.
fn check_capture(name: &str, key_id: u32) -> Vec<MessageType> {
    let db = database();
    let messages = payloads(name);
    assert!(
        messages.len() >= 20,
        "{name}: only {} messages",
        messages.len()
    );
    let mut types = Vec::new();
    for (i, data) in messages.iter().enumerate() {
        let msg = Message::decode(data).unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
        // Byte-exact re-encode.
        let mut again = vec![0u8; msg.encoded_len()];
        let n = msg.encode(&mut again).unwrap();
        assert_eq!(&again[..n], &data[..], "{name} #{i}: re-encode");
        // The TLV decodes as AUTHENTICATION and is the last one.
        let tlvs: Vec<Tlv> = msg.tlvs().map(|t| t.unwrap()).collect();
        let Some(Tlv::Authentication(a)) = tlvs.last() else {
            panic!("{name} #{i}: last TLV {:?}", tlvs.last());
        };
        assert_eq!((a.spp, a.sec_param_indicator, a.key_id), (1, 0, key_id));
        assert_eq!(a.rest.len(), 16, "{name} #{i}: a 16-octet ICV");
        // A typed re-encode of the TLVs gives the same octets.
        let mut typed = vec![0u8; msg.message_length()];
        let typed_msg = Message {
            suffix: tempora_ptp::wire::Suffix::Tlvs(&tlvs),
            trailer: &[],
            ..msg
        };
        typed_msg.encode(&mut typed).unwrap();
        assert_eq!(&typed[..], &data[..msg.message_length()], "{name} #{i}");
        // The ICV checks out, for the port's SPP and for any.
        let v = auth::verify(&db, Some(1), data).unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
        assert_eq!((v.spp, v.key_id, v.count), (1, key_id, 1));
        assert!(auth::verify(&db, None, data).is_ok());
        assert_eq!(
            auth::verify(&db, Some(0), data),
            Err(AuthError::UnknownSpp(1))
        );
        types.push(msg.header.message_type);
    }
    types
}

#[test]
fn udp4_e2e_every_icv_verifies() {
    if !shared() {
        return;
    }
    let types = check_capture("ptp-auth-udp4-e2e.pcap", 1);
    for t in [
        MessageType::Announce,
        MessageType::Sync,
        MessageType::FollowUp,
        MessageType::DelayReq,
        MessageType::DelayResp,
    ] {
        assert!(types.contains(&t), "no {t:?}");
    }
}

#[test]
fn l2_p2p_every_icv_verifies() {
    if !shared() {
        return;
    }
    let types = check_capture("ptp-auth-l2-p2p.pcap", 2);
    for t in [
        MessageType::Announce,
        MessageType::Sync,
        MessageType::FollowUp,
        MessageType::PdelayReq,
        MessageType::PdelayResp,
        MessageType::PdelayRespFollowUp,
    ] {
        assert!(types.contains(&t), "no {t:?}");
    }
}

/// Every single flipped bit of a message's covered octets or ICV is
/// refused (over one message of each type; `allow_mutable` is off here).
#[test]
fn a_flipped_bit_is_refused() {
    if !shared() {
        return;
    }
    let db = database();
    for name in ["ptp-auth-udp4-e2e.pcap", "ptp-auth-l2-p2p.pcap"] {
        let mut seen = std::collections::BTreeSet::new();
        for data in payloads(name) {
            let msg = Message::decode(&data).unwrap();
            if !seen.insert(msg.header.message_type.to_nibble()) {
                continue;
            }
            let len = msg.message_length();
            for bit in 0..len * 8 {
                let mut bad = data.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                assert!(
                    auth::verify(&db, Some(1), &bad).is_err(),
                    "{name}: bit {bit}"
                );
            }
        }
        assert!(seen.len() >= 5, "{name}: {seen:?}");
    }
}

/// The wrong key, as in `ptp-auth-wrongkey.slave.log` ("auth: bad
/// message"): the same SPP and key ids with other secrets refuse every
/// message, and so does an association without the message's key.
#[test]
fn a_wrong_key_is_refused() {
    if !shared() {
        return;
    }
    let wrong = SaDatabase::parse(
        "[security_association]\nspp 1\nseqid_window 20\n\
         1 AES128 HEX:FAF48EBA01E7C5966A76CB787AED4E7C\n\
         2 SHA256-128 HEX:F8ADC6B8B8E9AA709106BA42481EC9E29607334DE2C3C737A11A12931DB27F8D\n",
    )
    .unwrap();
    let swapped = SaDatabase::parse(
        "[security_association]\nspp 1\n\
         2 AES128 HEX:FAF48EBA01E7C5966A76CB787AED4E7B\n\
         1 SHA256-128 HEX:F8ADC6B8B8E9AA709106BA42481EC9E29607334DE2C3C737A11A12931DB27F8C\n",
    )
    .unwrap();
    let mut refused = 0;
    for name in ["ptp-auth-udp4-e2e.pcap", "ptp-auth-l2-p2p.pcap"] {
        for data in payloads(name) {
            assert_eq!(auth::verify(&wrong, Some(1), &data), Err(AuthError::BadIcv));
            assert_eq!(
                auth::verify(&swapped, Some(1), &data),
                Err(AuthError::BadIcv)
            );
            refused += 1;
        }
    }
    assert!(refused > 40);
}

/// A message stripped of its AUTHENTICATION TLV is refused as missing, and
/// re-signing it with the right key gives linuxptp's ICV back.
#[test]
fn stripped_and_resigned() {
    if !shared() {
        return;
    }
    let db = database();
    let sa = db.get(1).unwrap();
    for (name, key) in [("ptp-auth-udp4-e2e.pcap", 1), ("ptp-auth-l2-p2p.pcap", 2)] {
        for data in payloads(name) {
            let msg = Message::decode(&data).unwrap();
            let len = msg.message_length();
            let auth_len = 4 + 6 + 16;
            let mut bare = data[..len - auth_len].to_vec();
            let bare_len = (bare.len() as u16).to_be_bytes();
            bare[2..4].copy_from_slice(&bare_len);
            assert_eq!(auth::verify(&db, Some(1), &bare), Err(AuthError::Missing));
            auth::append(sa, key, &mut bare).unwrap();
            assert_eq!(
                &bare[..],
                &data[..len],
                "{name}: Tempora's ICV is linuxptp's"
            );
            assert_eq!(
                u16::from_be_bytes([data[len - auth_len], data[len - auth_len + 1]]),
                tlv_type::AUTHENTICATION
            );
        }
    }
}
