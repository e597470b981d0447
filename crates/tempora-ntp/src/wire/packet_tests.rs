//! Packet tests built from the RFC 5905 §7.3 / RFC 7822 layouts.

extern crate std;

use std::vec;
use std::vec::Vec;

use super::*;

/// Decodes, re-encodes byte for byte and checks decode(encode(p)) == p.
fn round_trip(bytes: &[u8]) -> Packet<'_> {
    let p = Packet::decode(bytes).unwrap();
    assert_eq!(p.encoded_len(), bytes.len());
    let mut out = vec![0u8; bytes.len()];
    assert_eq!(p.encode(&mut out), Ok(bytes.len()));
    assert_eq!(out, bytes);
    assert_eq!(Packet::decode(&out).unwrap(), p);
    for short in 0..bytes.len() {
        assert_eq!(
            p.encode(&mut out[..short]),
            Err(Error::BufferTooSmall {
                needed: bytes.len(),
                available: short
            })
        );
    }
    p
}

/// A client request: LI 0, VN 4, mode 3, poll 6, precision -20,
/// transmit timestamp set.
fn client_request() -> [u8; 48] {
    let mut b = [0u8; 48];
    b[0] = 0b00_100_011;
    b[2] = 6;
    b[3] = (-20i8) as u8;
    b[40..48].copy_from_slice(&0xeeac_2059_076a_386du64.to_be_bytes());
    b
}

/// A server response as captured from chrony (stratum 1, precision -26).
fn server_response() -> [u8; 48] {
    let hex = "240100e600000000000000007f7f0101eeac2059076a386d\
               bf0861640b13e291eeac205ad8c00dddeeac205ad8cb4b7e";
    let mut b = [0u8; 48];
    for (i, out) in b.iter_mut().enumerate() {
        *out = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    b
}

fn ef(field_type: u16, len: u16, fill: u8) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&field_type.to_be_bytes());
    v.extend_from_slice(&len.to_be_bytes());
    v.resize(usize::from(len).max(4), fill);
    v
}

#[test]
fn client_header_fields() {
    let b = client_request();
    let p = round_trip(&b);
    assert_eq!(p.leap, LeapIndicator::NoWarning);
    assert_eq!(p.version, 4);
    assert_eq!(p.mode, Mode::Client);
    assert_eq!(p.stratum, 0);
    assert_eq!(p.poll, 6);
    assert_eq!(p.precision, -20);
    assert_eq!(p.root_delay, NtpShort::ZERO);
    assert!(p.reference_timestamp.is_zero());
    assert_eq!(
        p.transmit_timestamp,
        NtpTimestamp::new(0xeeac_2059, 0x076a_386d)
    );
    assert!(p.extension_fields.is_empty());
    assert_eq!(p.extensions().count(), 0);
    assert_eq!(p.mac, None);
    assert_eq!(p.raw_body, None);
    // Built from scratch, the same packet encodes identically.
    let mut q = Packet::new(Mode::Client);
    q.poll = 6;
    q.precision = -20;
    q.transmit_timestamp = NtpTimestamp::from_bits(0xeeac_2059_076a_386d);
    let mut out = [0u8; 48];
    assert_eq!(q.encode(&mut out), Ok(48));
    assert_eq!(out, b);
    assert_eq!(q, p);
}

#[test]
fn server_header_fields() {
    let b = server_response();
    let p = round_trip(&b);
    assert_eq!(p.mode, Mode::Server);
    assert_eq!(p.stratum, 1);
    assert_eq!(p.poll, 0);
    assert_eq!(p.precision, -26);
    assert_eq!(p.reference_id, ReferenceId([127, 127, 1, 1]));
    assert_eq!(p.kiss_code(), None);
    assert_eq!(
        p.origin_timestamp,
        NtpTimestamp::from_bits(0xbf08_6164_0b13_e291)
    );
    assert_eq!(
        p.receive_timestamp,
        NtpTimestamp::from_bits(0xeeac_205a_d8c0_0ddd)
    );
    assert!(p.transmit_timestamp > p.receive_timestamp);
    // 2026-11-21T13:51:22Z-ish.
    let unix = p
        .transmit_timestamp
        .to_unix_nanos(1_795_000_000_000_000_000);
    assert_eq!(unix / 1_000_000_000, 0xeeac_205a - 2_208_988_800);
}

#[test]
fn first_octet_bits() {
    let mut b = client_request();
    for leap in 0..4u8 {
        for version in 0..8u8 {
            b[0] = (leap << 6) | (version << 3) | 4;
            let p = round_trip(&b);
            assert_eq!(p.leap.to_bits(), leap);
            assert_eq!(p.version, version);
            assert_eq!(p.mode, Mode::Server);
        }
    }
    b[0] = 0xe3;
    assert_eq!(
        Packet::decode(&b).unwrap().leap,
        LeapIndicator::Unsynchronized
    );
    let mut p = Packet::decode(&b).unwrap();
    p.version = 8;
    assert_eq!(
        p.encode(&mut [0u8; 48]),
        Err(Error::FieldOutOfRange { field: "version" })
    );
}

#[test]
fn kiss_of_death() {
    let mut b = server_response();
    b[1] = 0;
    b[12..16].copy_from_slice(b"RATE");
    let p = round_trip(&b);
    assert_eq!(p.kiss_code(), Some(KissCode::Rate));
    assert_eq!(
        p.reference_id.interpret(p.stratum),
        ReferenceIdKind::Kiss(KissCode::Rate)
    );
}

#[test]
fn truncated_header() {
    assert_eq!(
        Packet::decode(&[]),
        Err(Error::Truncated {
            needed: 1,
            available: 0
        })
    );
    let b = client_request();
    for n in 1..48 {
        assert_eq!(
            Packet::decode(&b[..n]),
            Err(Error::Truncated {
                needed: 48,
                available: n
            }),
            "{n}"
        );
    }
}

#[test]
fn control_and_private_modes_are_raw() {
    // Mode 6 READVAR request: LI 0, VN 2, mode 6; opcode 2, sequence 1.
    let ctl = [0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
    let p = round_trip(&ctl);
    assert_eq!(p.mode, Mode::Control);
    assert_eq!(p.version, 2);
    assert_eq!(p.raw_body, Some(&ctl[1..]));
    assert_eq!(p.kiss_code(), None);
    // Mode 7 (ntpdc): R/M bits in the leap position are kept.
    let private = [0x97, 0x00, 0x03, 0x2a];
    let p = round_trip(&private);
    assert_eq!(p.mode, Mode::Private);
    assert_eq!(p.leap, LeapIndicator::DeleteSecond);
    assert_eq!(p.raw_body, Some(&private[1..]));
    // A single octet is enough to recognise these modes.
    for one in [[0x16u8], [0x17], [0xff]] {
        let p = round_trip(&one);
        assert_eq!(p.raw_body, Some(&[][..]));
    }
    // Odd lengths and garbage are kept verbatim.
    let mut long = [0xa5u8; 301];
    long[0] = 0x1e;
    round_trip(&long);
}

#[test]
fn legacy_macs() {
    let mut b = client_request().to_vec();
    // RFC 7822 §7: 4, 20 or 24 remaining octets are a MAC.
    b.extend_from_slice(&[0, 0, 0, 0]);
    let p = round_trip(&b);
    assert_eq!(p.mac, Some(Mac::CryptoNak { key_id: 0 }));
    b.truncate(48);
    b.extend_from_slice(&20u32.to_be_bytes()); // key ID 20 looks like length 20
    b.extend_from_slice(&[0x5a; 16]);
    let p = round_trip(&b);
    assert_eq!(
        p.mac,
        Some(Mac::Digest16 {
            key_id: 20,
            digest: &[0x5a; 16]
        })
    );
    assert!(p.extension_fields.is_empty());
    b.extend_from_slice(&[0x5a; 4]);
    let p = round_trip(&b);
    assert!(matches!(p.mac, Some(Mac::Digest20 { key_id: 20, .. })));
    assert_eq!(p.mac.unwrap().digest(), &[0x5a; 20]);
}

#[test]
fn extension_fields_then_mac() {
    let mut b = client_request().to_vec();
    b.extend(ef(0x0104, 36, 0x11));
    b.extend(ef(0x2005, 16, 0x22));
    let p = round_trip(&b);
    assert_eq!(p.mac, None);
    let fields: Vec<_> = p.extensions().collect();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].kind(), ExtensionKind::UniqueIdentifier);
    assert_eq!(fields[0].body, &[0x11; 32]);
    assert_eq!(fields[1].kind(), ExtensionKind::Unknown(0x2005));
    assert_eq!(fields[1].body, &[0x22; 12]);
    b.extend_from_slice(&[0, 0, 0, 9]);
    b.extend_from_slice(&[0x77; 20]);
    let p = round_trip(&b);
    assert_eq!(p.extensions().count(), 2);
    assert_eq!(p.mac.map(|m| m.key_id()), Some(9));
    assert_eq!(p.extension_fields.as_bytes().len(), 52);
}

#[test]
fn extension_errors() {
    let base = client_request().to_vec();
    // 1 to 3 stray octets.
    for n in 1..4 {
        let mut b = base.clone();
        b.resize(48 + n, 0);
        assert_eq!(
            Packet::decode(&b),
            Err(Error::TrailingBytes { offset: 48, len: n })
        );
    }
    // Lengths below 16 or not a multiple of 4.
    for (len, total) in [(0u16, 8usize), (8, 8), (12, 12), (17, 28), (30, 32)] {
        let mut b = base.clone();
        b.extend(ef(0x0104, len, 0));
        b.resize(48 + total, 0);
        assert_eq!(
            Packet::decode(&b),
            Err(Error::BadExtensionLength {
                offset: 48,
                length: len
            }),
            "{len}"
        );
    }
    // A length past the end.
    let mut b = base.clone();
    b.extend(ef(0x0104, 36, 0));
    b.truncate(48 + 32);
    assert_eq!(
        Packet::decode(&b),
        Err(Error::ExtensionOverrun {
            offset: 48,
            length: 36,
            available: 32
        })
    );
    // A valid field followed by junk: offsets point at the junk.
    let mut b = base.clone();
    b.extend(ef(0x0104, 36, 0));
    b.extend_from_slice(&[1, 2]);
    assert_eq!(
        Packet::decode(&b),
        Err(Error::TrailingBytes { offset: 84, len: 2 })
    );
    let mut b = base.clone();
    b.extend(ef(0x0104, 36, 0));
    b.extend_from_slice(&[0; 5]);
    assert_eq!(
        Packet::decode(&b),
        Err(Error::BadExtensionLength {
            offset: 84,
            length: 0
        })
    );
    // Every truncation of a valid NTS-like packet either fails cleanly or
    // round-trips (the 4/20/24 remainders are read as MACs).
    let mut b = base.clone();
    b.extend(ef(0x0104, 36, 0x11));
    b.extend(ef(0x0204, 104, 0x22));
    b.extend(ef(0x0404, 40, 0x00));
    for n in 0..b.len() {
        if let Ok(p) = Packet::decode(&b[..n]) {
            round_trip(&b[..n]);
            assert!(n == 48 || p.mac.is_some() || n == 84 || n == 188, "{n}");
        }
    }
}

#[test]
fn nts_authenticator_lookup() {
    let mut buf = [0u8; 256];
    let mut n = client_request().len();
    buf[..n].copy_from_slice(&client_request());
    n += nts::write_unique_identifier(&mut buf[n..], &[0xab; 32]).unwrap();
    n += nts::write_cookie(&mut buf[n..], &[0xcd; 100]).unwrap();
    let aad_len = n;
    n += nts::write_authenticator(&mut buf[n..], &[1; 16], &[2; 16]).unwrap();
    let p = round_trip(&buf[..n]);
    let (offset, auth) = p.nts_authenticator().unwrap();
    assert_eq!(offset, aad_len);
    let auth = auth.unwrap();
    assert_eq!(auth.nonce, &[1; 16]);
    assert_eq!(auth.ciphertext, &[2; 16]);
    assert!(
        Packet::decode(&client_request())
            .unwrap()
            .nts_authenticator()
            .is_none()
    );
    // Building a packet around pre-encoded fields.
    let req = client_request();
    let mut q = Packet::decode(&req).unwrap();
    q.extension_fields = ExtensionFields::new(&buf[48..n]).unwrap();
    let mut out = [0u8; 256];
    assert_eq!(q.encode(&mut out), Ok(n));
    assert_eq!(out[..n], buf[..n]);
}

/// Small deterministic no-panic sweep: random and mutated inputs either
/// fail cleanly or round-trip exactly.
#[test]
fn random_inputs_never_panic() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut valid = client_request().to_vec();
    valid.extend(ef(0x0104, 36, 0x11));
    valid.extend(ef(0x0204, 104, 0x22));
    valid.extend(ef(0x0404, 40, 0x00));
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut b = valid.clone();
        let len = (next() % 260) as usize;
        b.resize(len, 0);
        for _ in 0..(next() % 4) {
            if !b.is_empty() {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
        }
        if next() % 5 == 0 {
            for x in b.iter_mut() {
                *x = next() as u8;
            }
        }
        if let Ok(p) = Packet::decode(&b) {
            decoded += 1;
            let mut out = vec![0u8; p.encoded_len()];
            assert_eq!(p.encode(&mut out), Ok(b.len()));
            assert_eq!(out, b);
            for f in p.extensions() {
                let _ = NtsAuthenticator::decode(f.body);
                let _ = parse_extension_fields(f.body);
            }
        }
        let _ = ntske::Records::new(&b).count();
    }
    assert!(decoded > 1000, "{decoded}");
}
