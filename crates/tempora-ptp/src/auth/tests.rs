use super::*;
use crate::wire::{Body, Header, MessageType, PortIdentity, Suffix, Timestamp};
use alloc::vec;

const SA_FILE: &str = "\
# linuxptp's example (ptp4l(8))
[security_association]
spp 0
allow_mutable 1
1 SHA256-128 HEX:F8ADC6B8B8E9AA709106BA42481EC9E29607334DE2C3C737A11A12931DB27F8C
2 SHA256 32 HEX:EE91D469B3A8ADC6AC8EB28E21794C706E08FDE48863828A7B0281AFCA81B17D

[security_association]
spp 1
seqid_window 20
1 AES128 HEX:FAF48EBA01E7C5966A76CB787AED4E7B
2 AES256 B64:PKTF9VQz94qPaoAzW4eE3JtFoQ8Ov1OTQSojalWyMbs=
3 SHA256 26 abcdefghijklmnopqrstuvwxyz
";

fn sync(correction: i64) -> Vec<u8> {
    let mut header = Header::new(MessageType::Sync, PortIdentity::default());
    header.correction = crate::wire::TimeInterval(correction);
    let m = Message {
        header,
        body: Body::Sync {
            origin_timestamp: Timestamp::default(),
        },
        suffix: Suffix::Raw(&[]),
        trailer: &[],
    };
    let mut buf = vec![0u8; m.encoded_len()];
    m.encode(&mut buf).unwrap();
    buf
}

#[test]
fn parses_linuxptp_example() {
    let db = SaDatabase::parse(SA_FILE).unwrap();
    assert_eq!(db.associations.len(), 2);
    let sa0 = db.get(0).unwrap();
    assert!(sa0.allow_mutable);
    assert_eq!(sa0.seqid_window, 3);
    assert_eq!(sa0.key(2).unwrap().secret().len(), 32);
    let sa1 = db.get(1).unwrap();
    assert_eq!(sa1.seqid_window, 20);
    assert_eq!(sa1.key(2).unwrap().algorithm, Algorithm::CmacAes256);
    assert_eq!(sa1.key(2).unwrap().secret().len(), 32);
    assert_eq!(sa1.key(3).unwrap().secret(), b"abcdefghijklmnopqrstuvwxyz");
    assert!(!alloc::format!("{db:?}").contains("abcdef"));
}

#[test]
fn refuses_bad_lines_with_their_number() {
    let cases: &[(&str, usize, SaErrorKind)] = &[
        ("spp 1\n", 1, SaErrorKind::OutsideSection),
        (
            "[security_association]\n1 AES128 HEX:00\n",
            2,
            SaErrorKind::MissingSpp,
        ),
        (
            "[security_association]\nspp 256\n",
            2,
            SaErrorKind::OutOfRange,
        ),
        (
            "[security_association]\nspp 1\n\nspp 1\n",
            4,
            SaErrorKind::DuplicateSpp(1),
        ),
        (
            "[security_association]\nspp 1\nseqid_window 40000\n",
            3,
            SaErrorKind::OutOfRange,
        ),
        (
            "[security_association]\nspp 1\n1 AES128 HEX:00\n",
            3,
            SaErrorKind::KeyLength(1),
        ),
        (
            "[security_association]\nspp 1\n1 MD5 abc\n",
            3,
            SaErrorKind::UnknownAlgorithm,
        ),
        (
            "[security_association]\nspp 1\n0 SHA256 abc\n",
            3,
            SaErrorKind::BadKeyId,
        ),
        (
            "[security_association]\nspp 1\n1 SHA256 HEX:0G\n",
            3,
            SaErrorKind::BadKeyValue,
        ),
        (
            "[security_association]\nspp 1\n1 SHA256 4 abc\n",
            3,
            SaErrorKind::KeyLength(3),
        ),
        (
            "[security_association]\nspp 1\n1 SHA256 a\n1 SHA256 b\n",
            4,
            SaErrorKind::DuplicateKeyId(1),
        ),
        (
            "[security_association]\nspp 1\nres_length 4\n",
            3,
            SaErrorKind::Unsupported,
        ),
        (
            "[security_association]\nspp 1\n1 SHA256 B64:abc\n",
            3,
            SaErrorKind::BadKeyValue,
        ),
        (
            "[security_association]\nspp 1\nallow_mutable 2\n",
            3,
            SaErrorKind::OutOfRange,
        ),
        (
            "[security_association]\nspp 1\nbogus\n",
            3,
            SaErrorKind::Syntax,
        ),
    ];
    for (text, line, kind) in cases {
        let e = SaDatabase::parse(text).unwrap_err();
        assert_eq!((e.line, &e.kind), (*line, kind), "{text:?}");
    }
}

#[test]
fn append_then_verify_every_algorithm() {
    let db = SaDatabase::parse(SA_FILE).unwrap();
    for (spp, key) in [(0, 1), (0, 2), (1, 1), (1, 2), (1, 3)] {
        let sa = db.get(spp).unwrap();
        let mut m = sync(0);
        append(sa, key, &mut m).unwrap();
        let v = verify(&db, Some(spp), &m).unwrap();
        assert_eq!((v.spp, v.key_id, v.count), (spp, key, 1));
        // The message still decodes, with its length fixed.
        let decoded = Message::decode(&m).unwrap();
        assert_eq!(decoded.message_length(), m.len());
        // Another port's SPP, any flipped bit, or a trailer-free truncation fails.
        assert_eq!(
            verify(&db, Some(spp ^ 1), &m),
            Err(AuthError::UnknownSpp(spp))
        );
        for bit in 0..m.len() * 8 {
            let mut bad = m.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let in_correction = (64..128).contains(&bit);
            if in_correction && sa.allow_mutable {
                assert!(verify(&db, Some(spp), &bad).is_ok());
            } else {
                assert!(verify(&db, Some(spp), &bad).is_err(), "bit {bit}");
            }
        }
    }
}

#[test]
fn missing_last_and_update() {
    let db = SaDatabase::parse(SA_FILE).unwrap();
    assert_eq!(verify(&db, Some(1), &sync(0)), Err(AuthError::Missing));
    // A TLV after the AUTHENTICATION TLV.
    let mut m = sync(0);
    append(db.get(1).unwrap(), 1, &mut m).unwrap();
    let mut tail = m.clone();
    tail.extend_from_slice(&[0x00, 0x08, 0x00, 0x00]);
    let len = tail.len() as u16;
    tail[2..4].copy_from_slice(&len.to_be_bytes());
    assert_eq!(verify(&db, Some(1), &tail), Err(AuthError::NotLast));
    // A transparent clock's new correction, then update(): valid again.
    m[8..16].copy_from_slice(&1000i64.to_be_bytes());
    assert_eq!(verify(&db, Some(1), &m), Err(AuthError::BadIcv));
    assert_eq!(update(&db, &mut m), Ok(1));
    assert!(verify(&db, Some(1), &m).is_ok());
}

#[test]
fn append_refuses_what_it_cannot_sign() {
    let sa = SaDatabase::parse(SA_FILE).unwrap();
    let sa = sa.get(1).unwrap();
    // A trailer after messageLength, a reserved message type, garbage.
    let mut trailer = sync(0);
    trailer.push(0);
    assert_eq!(append(sa, 1, &mut trailer), Err(AuthError::Malformed));
    let mut reserved = sync(0);
    reserved[0] = 0x0f;
    assert_eq!(append(sa, 1, &mut reserved), Err(AuthError::Malformed));
    assert_eq!(append(sa, 1, &mut vec![1, 2, 3]), Err(AuthError::Malformed));
    assert_eq!(append(sa, 9, &mut sync(0)), Err(AuthError::UnknownKey(9)));
    let mut signed = sync(0);
    append(sa, 1, &mut signed).unwrap();
    assert_eq!(append(sa, 1, &mut signed), Err(AuthError::AlreadySigned));
}

#[test]
fn replay_window() {
    assert!(seqid_in_window(None, 7, 3));
    assert!(seqid_in_window(Some(7), 7, 0));
    assert!(!seqid_in_window(Some(7), 7, 3));
    assert!(!seqid_in_window(Some(7), 6, 3));
    assert!(seqid_in_window(Some(7), 8, 3));
    assert!(seqid_in_window(Some(7), 10, 3));
    assert!(!seqid_in_window(Some(7), 11, 3));
    assert!(seqid_in_window(Some(65535), 1, 3));
    assert!(!seqid_in_window(Some(1), 65535, 3));
}
