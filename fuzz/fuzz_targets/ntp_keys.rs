//! Fuzz target: NTP symmetric keys (RFC 8573). The input's first line
//! onwards is a key file in chrony's format read line by line with
//! `symmetric::parse_line` (must not panic; a key it gives has a secret of
//! the length its type needs); what follows a NUL octet is a datagram
//! whose MAC trailer is checked against those keys with `check_mac` and
//! with a `KeyedSource` (must not panic). Then the datagram (its first 48
//! octets at least, padded) is signed with each key: the signature must
//! verify, and must stop verifying when any one octet before the trailer
//! or in the digest changes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_ntp::symmetric::client::{KeyedReply, KeyedSource};
use tempora_ntp::symmetric::{KeyPolicy, SymmetricKey, check_mac, parse_line, sign};
use tempora_ntp::wire::Packet;

fuzz_target!(|data: &[u8]| {
    let (text, packet) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(text);
    let policy = KeyPolicy {
        legacy_sha1: data.first().is_some_and(|b| b & 1 == 1),
    };
    let mut keys: Vec<SymmetricKey> = Vec::new();
    for line in text.lines() {
        if let Ok(Some(key)) = parse_line(line, policy) {
            assert!(key.id() != 0);
            assert!(!key.secret().is_empty());
            if let Some(n) = key.kind().secret_len() {
                assert_eq!(key.secret().len(), n);
            }
            keys.push(key);
        }
    }
    if let Ok(p) = Packet::decode(packet) {
        if let Some(mac) = p.mac {
            if let Ok(key) = check_mac(packet, mac, &keys[..]) {
                assert_eq!(key.id(), mac.key_id());
            }
        }
    }
    for key in keys.iter().take(4) {
        let _ = KeyedSource::new(key.clone()).check(packet);
        let mut buf = [0u8; 256];
        let len = packet.len().clamp(48, 200);
        buf[..packet.len().min(len)].copy_from_slice(&packet[..packet.len().min(len)]);
        let Some(n) = sign(&mut buf, len, key) else {
            panic!("no room to sign");
        };
        let signed = &buf[..n];
        let mut source = KeyedSource::new(key.clone());
        // A trailer after arbitrary octets may not decode as a MAC (RFC
        // 7822: they may read as extension fields); when it does, it
        // verifies.
        if let Ok(p) = Packet::decode(signed) {
            if let Some(mac) = p.mac.filter(|m| m.encoded_len() == n - len) {
                assert!(check_mac(signed, mac, key).is_ok());
                assert_eq!(source.check(signed), KeyedReply::Authentic);
            }
        }
        for i in (0..n).filter(|i| !(len..len + 4).contains(i)).step_by(7) {
            let mut t = buf;
            t[i] ^= 0x5a;
            let t = &t[..n];
            if let Ok(p) = Packet::decode(t) {
                if let Some(mac) = p.mac.filter(|m| m.encoded_len() == n - len) {
                    assert!(check_mac(t, mac, key).is_err(), "octet {i} changed");
                }
            }
        }
    }
});
