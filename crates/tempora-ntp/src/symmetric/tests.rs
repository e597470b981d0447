//! Tests of the MACs (RFC 4493 and NIST SP 800-38B AES-CMAC vectors), the
//! key file's lines and a keyed source's check.

extern crate std;
use std::format;
use std::string::{String, ToString};

use super::client::{KeyedReply, KeyedSource};
use super::*;
use crate::wire::{HEADER_LEN, Mac, Mode, NtpTimestamp, Packet};

fn hex(s: &str) -> ([u8; 64], usize) {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = [0u8; 64];
    for (i, o) in out.iter_mut().take(s.len() / 2).enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    (out, s.len() / 2)
}

fn digest(key: &SymmetricKey, data: &[u8]) -> ([u8; 20], usize) {
    let mut out = [0u8; 20];
    let n = compute_digest(key, data, &mut out).unwrap();
    (out, n)
}

const RFC4493_M: &str = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
    30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";

#[test]
fn aes_128_cmac_rfc_4493_vectors() {
    let (k, _) = hex("2b7e151628aed2a6abf7158809cf4f3c");
    let key = SymmetricKey::new(1, KeyType::Aes128, &k[..16]).unwrap();
    let (m, _) = hex(RFC4493_M);
    for (len, expected) in [
        (0, "bb1d6929e95937287fa37d129b756746"),
        (16, "070a16b46b4d4144f79bdd9dd04a287c"),
        (40, "dfa66747de9ae63030ca32611497c827"),
        (64, "51f0bebf7e3b9d92fc49741779363cfe"),
    ] {
        let (d, n) = digest(&key, &m[..len]);
        assert_eq!(n, 16);
        assert_eq!(d[..16], hex(expected).0[..16], "length {len}");
    }
}

#[test]
fn aes_256_cmac_sp_800_38b_vectors() {
    let (k, n) = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    let key = SymmetricKey::new(2, KeyType::Aes256, &k[..n]).unwrap();
    let (m, _) = hex(RFC4493_M);
    for (len, expected) in [
        (0, "028962f61b7bf89efc6b551f4667d983"),
        (16, "28a7023f452e8f82bd4bf28d8c37c35c"),
        (64, "e1992190549f6ed5696a2c056c315410"),
    ] {
        let (d, _) = digest(&key, &m[..len]);
        assert_eq!(d[..16], hex(expected).0[..16], "length {len}");
    }
}

#[test]
fn sha1_hashes_the_key_then_the_packet() {
    // SHA-1("abc") (FIPS 180-2 appendix A.1), as key "ab" and data "c".
    let key = SymmetricKey::new(3, KeyType::Sha1, b"ab").unwrap();
    let (d, n) = digest(&key, b"c");
    assert_eq!(n, 20);
    assert_eq!(d, hex("a9993e364706816aba3e25717850c26c9cd0d89d").0[..20]);
}

#[test]
fn keys_are_checked_and_never_shown() {
    assert!(SymmetricKey::new(0, KeyType::Aes128, &[1; 16]).is_none());
    assert!(SymmetricKey::new(1, KeyType::Aes128, &[1; 15]).is_none());
    assert!(SymmetricKey::new(1, KeyType::Aes256, &[1; 16]).is_none());
    assert!(SymmetricKey::new(1, KeyType::Sha1, &[]).is_none());
    assert!(SymmetricKey::new(1, KeyType::Sha1, &[1; 65]).is_none());
    let key = SymmetricKey::new(9, KeyType::Sha1, b"SECRETSECRET").unwrap();
    let shown = format!("{key:?}");
    assert_eq!(shown, "SymmetricKey(9, SHA1, 12 octets)");
    assert!(!shown.contains("SECRET"));
}

fn policy(legacy_sha1: bool) -> KeyPolicy {
    KeyPolicy { legacy_sha1 }
}

#[test]
fn key_file_lines_in_chronys_format() {
    let p = policy(false);
    for blank in ["", "   ", "# comment", "  ; x", "! x", "%x y z w"] {
        assert_eq!(parse_line(blank, p), Ok(None), "{blank:?}");
    }
    let k = parse_line("30 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1", p)
        .unwrap()
        .unwrap();
    assert_eq!((k.id(), k.kind()), (30, KeyType::Aes128));
    assert_eq!(k.secret(), &hex("7ea62ae64d190114d46d5a082f948ec1").0[..16]);
    let k = parse_line(
        "\t31  aes256 HEX:37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39 ",
        p,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (k.id(), k.kind(), k.secret().len()),
        (31, KeyType::Aes256, 32)
    );
    let k = parse_line("4294967295 AES128 ASCII:0123456789abcdef", p)
        .unwrap()
        .unwrap();
    assert_eq!((k.id(), k.secret()), (u32::MAX, &b"0123456789abcdef"[..]));
    let k = parse_line("7 AES128 0123456789abcdef", p).unwrap().unwrap();
    assert_eq!(k.secret(), b"0123456789abcdef");
    // SHA1 only under the legacy policy.
    let line = "25 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70";
    assert_eq!(parse_line(line, p), Err(KeyFileError::Sha1NeedsLegacy));
    let k = parse_line(line, policy(true)).unwrap().unwrap();
    assert_eq!((k.kind(), k.secret().len()), (KeyType::Sha1, 20));
}

#[test]
fn key_file_lines_refused() {
    let p = policy(true);
    let cases = [
        ("10 tulip", KeyFileError::Md5Refused),
        ("20 MD5 ASCII:crocus", KeyFileError::Md5Refused),
        ("21 SHA256 HEX:00", KeyFileError::UnsupportedType),
        (
            "0 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1",
            KeyFileError::BadId,
        ),
        ("-1 AES128 x", KeyFileError::BadId),
        ("+1 AES128 x", KeyFileError::BadId),
        ("4294967296 AES128 x", KeyFileError::BadId),
        ("1", KeyFileError::Syntax),
        ("1 AES128 HEX:00 extra", KeyFileError::Syntax),
        ("1 AES128 HEX:7EA", KeyFileError::BadHex),
        (
            "1 AES128 HEX:7EA62AE64D190114D46D5A082F948EXX",
            KeyFileError::BadHex,
        ),
        ("1 AES128 HEX:", KeyFileError::EmptyKey),
        ("1 SHA1 ASCII:", KeyFileError::EmptyKey),
        (
            "1 AES128 HEX:7EA62AE64D190114",
            KeyFileError::WrongKeyLength {
                expected: 16,
                got: 8,
            },
        ),
        (
            "1 AES256 HEX:7EA62AE64D190114D46D5A082F948EC1",
            KeyFileError::WrongKeyLength {
                expected: 32,
                got: 16,
            },
        ),
    ];
    for (line, e) in cases {
        assert_eq!(parse_line(line, p), Err(e), "{line}");
    }
    let long = format!("1 SHA1 {}", "a".repeat(65));
    assert_eq!(parse_line(&long, p), Err(KeyFileError::KeyTooLong));
    let long = format!("1 SHA1 HEX:{}", "ab".repeat(65));
    assert_eq!(parse_line(&long, p), Err(KeyFileError::KeyTooLong));
    let long = format!("1 SHA1 {}", "a".repeat(MAX_LINE_LEN));
    assert_eq!(parse_line(&long, p), Err(KeyFileError::LineTooLong));
    // Every message says something.
    for (_, e) in cases {
        assert!(!e.to_string().is_empty());
    }
}

fn packet(mode: Mode) -> [u8; HEADER_LEN] {
    let mut p = Packet::new(mode);
    p.stratum = 2;
    p.transmit_timestamp = NtpTimestamp::from_bits(0x1122_3344_5566_7788);
    let mut buf = [0u8; HEADER_LEN];
    p.encode(&mut buf).unwrap();
    buf
}

#[test]
fn sign_then_check_and_every_tampering_refused() {
    let aes = SymmetricKey::new(5, KeyType::Aes128, &[0x42; 16]).unwrap();
    let sha = SymmetricKey::new(6, KeyType::Sha1, b"legacy-secret").unwrap();
    let keys = [aes.clone(), sha.clone()];
    for key in [&aes, &sha] {
        let mut buf = [0u8; 128];
        buf[..HEADER_LEN].copy_from_slice(&packet(Mode::Client));
        let n = sign(&mut buf, HEADER_LEN, key).unwrap();
        assert_eq!(n, HEADER_LEN + 4 + key.kind().digest_len());
        let p = Packet::decode(&buf[..n]).unwrap();
        let mac = p.mac.unwrap();
        assert_eq!(mac.key_id(), key.id());
        assert_eq!(check_mac(&buf[..n], mac, &keys[..]).unwrap().id(), key.id());
        // Any octet changed, before or in the trailer's digest.
        for i in (0..n).filter(|i| !(HEADER_LEN..HEADER_LEN + 4).contains(i)) {
            let mut t = buf;
            t[i] ^= 1;
            let p = Packet::decode(&t[..n]).unwrap();
            assert_eq!(
                check_mac(&t[..n], p.mac.unwrap(), &keys[..]),
                Err(MacError::BadMac(key.id())),
                "octet {i}"
            );
        }
        // Not one of our keys.
        assert_eq!(
            check_mac(&buf[..n], mac, &NoKeys),
            Err(MacError::UnknownKey(key.id()))
        );
        // No room.
        assert_eq!(sign(&mut buf[..n - 1], HEADER_LEN, key), None);
    }
    // A digest of the wrong length for the key's type: a SHA-1-sized MAC
    // naming the AES key.
    let mut buf = [0u8; 72];
    buf[..HEADER_LEN].copy_from_slice(&packet(Mode::Client));
    buf[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&5u32.to_be_bytes());
    let p = Packet::decode(&buf).unwrap();
    assert_eq!(
        check_mac(&buf, p.mac.unwrap(), &keys[..]),
        Err(MacError::BadMac(5))
    );
    assert_eq!(
        check_mac(&buf[..52], Mac::CryptoNak { key_id: 0 }, &keys[..]),
        Err(MacError::CryptoNak)
    );
}

#[test]
fn a_mac_after_extension_fields_covers_them() {
    // RFC 7822 §7: an extension field then the MAC; the MAC covers the
    // header and the field.
    let key = SymmetricKey::new(5, KeyType::Aes128, &[0x42; 16]).unwrap();
    let mut buf = [0u8; 128];
    buf[..HEADER_LEN].copy_from_slice(&packet(Mode::Client));
    // An unknown extension field of 28 octets (type 0x2005).
    buf[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&[0x20, 0x05, 0, 28]);
    let len = HEADER_LEN + 28;
    let n = sign(&mut buf, len, &key).unwrap();
    let p = Packet::decode(&buf[..n]).unwrap();
    assert_eq!(p.extensions().count(), 1);
    assert!(check_mac(&buf[..n], p.mac.unwrap(), &key).is_ok());
    let mut t = buf;
    t[HEADER_LEN + 10] ^= 0x80;
    let p = Packet::decode(&t[..n]).unwrap();
    assert_eq!(
        check_mac(&t[..n], p.mac.unwrap(), &key),
        Err(MacError::BadMac(5))
    );
}

#[test]
fn a_keyed_source_counts_what_it_rejects() {
    let key = SymmetricKey::new(5, KeyType::Aes128, &[0x42; 16]).unwrap();
    let other = SymmetricKey::new(5, KeyType::Aes128, &[0x43; 16]).unwrap();
    let mut source = KeyedSource::new(key.clone());
    assert_eq!(source.key_id(), 5);
    let mut req = [0u8; 128];
    let n = source.protect(&packet(Mode::Client), &mut req).unwrap();
    assert_eq!(n, 68);
    assert!(
        source
            .protect(&packet(Mode::Client), &mut req[..67])
            .is_none()
    );
    let reply = packet(Mode::Server);
    let mut signed = [0u8; 128];
    let n = KeyedSource::new(key).protect(&reply, &mut signed).unwrap();
    assert_eq!(source.check(&signed[..n]), KeyedReply::Authentic);
    assert_eq!(
        source.check(&reply),
        KeyedReply::Rejected(MacError::Missing)
    );
    let mut forged = [0u8; 128];
    let n = KeyedSource::new(other)
        .protect(&reply, &mut forged)
        .unwrap();
    assert_eq!(
        source.check(&forged[..n]),
        KeyedReply::Rejected(MacError::BadMac(5))
    );
    let mut nak = [0u8; 52];
    nak[..HEADER_LEN].copy_from_slice(&reply);
    assert_eq!(source.check(&nak), KeyedReply::CryptoNak);
    assert_eq!(
        source.check(&nak[..20]),
        KeyedReply::Rejected(MacError::Malformed)
    );
    let c = source.counters();
    assert_eq!((c.authentic, c.rejected, c.crypto_naks), (1, 3, 1));
}
