//! Replies captured from roughenough 1.3.0-draft14 and 1.1.8 servers
//! (tests/data/README.md), verified offline, and re-encoded byte-exact.

use tempora_roughtime::message::{Message, reencode};
use tempora_roughtime::reply::Reply;
use tempora_roughtime::{ClientRequest, Verified, VerifyError, Version};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn public_key() -> [u8; 32] {
    let hex = std::fs::read_to_string(format!("{DATA}/roughenough.pub")).unwrap();
    let hex = hex.trim();
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn pair(name: &str) -> (Vec<u8>, Vec<u8>) {
    let req = std::fs::read(format!("{DATA}/{name}.req")).unwrap();
    let rep = std::fs::read(format!("{DATA}/{name}.rep")).unwrap();
    (req, rep)
}

fn verify(name: &str) -> Result<Verified, VerifyError> {
    let (req, rep) = pair(name);
    ClientRequest::from_packet(&req)
        .unwrap()
        .verify(&rep, &public_key())
}

/// Captured on 2026-12-05 around 03:21 UTC.
const CAPTURED_S: u64 = 1_796_440_890;

fn check_time(v: &Verified) {
    let mid_s = v.midpoint_us / 1_000_000;
    assert!(mid_s.abs_diff(CAPTURED_S) < 3600, "midpoint {mid_s}");
}

#[test]
fn draft14_replies_verify() {
    let names = ["draft14-single-0", "draft14-srv-0", "draft14-batch-0"]
        .map(String::from)
        .into_iter()
        .chain((1..5).map(|i| format!("draft14-batch-{i}")));
    for name in names {
        let name = name.as_str();
        let v = verify(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.version, Version::Draft14);
        assert_eq!(v.radius_us, 5_000_000, "{name}: roughenough's RADI is 5 s");
        check_time(&v);
    }
}

#[test]
fn draft14_batch_has_64_byte_path_entries() {
    let (_, rep) = pair("draft14-batch-2");
    let r = Reply::decode(&rep).unwrap();
    assert_eq!(r.path.len(), 2 * 64);
}

#[test]
fn google_replies_verify() {
    let names = ["google118-single-0", "google13-single-0"]
        .map(String::from)
        .into_iter()
        .chain((0..5).map(|i| format!("google118-batch-{i}")));
    for name in names {
        let name = name.as_str();
        let v = verify(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.version, Version::Google);
        check_time(&v);
    }
    let v = verify("google118-single-0").unwrap();
    assert_eq!(v.radius_us, 1_000_000, "roughenough 1.1.8's RADI is 1 s");
}

#[test]
fn a_reply_for_another_request_fails() {
    let (req, _) = pair("draft14-batch-1");
    let (_, rep) = pair("draft14-batch-2");
    let r = ClientRequest::from_packet(&req).unwrap();
    assert!(r.verify(&rep, &public_key()).is_err());
    let (_, rep) = pair("draft14-single-0");
    assert_eq!(
        r.verify(&rep, &public_key()),
        Err(VerifyError::NonceMismatch)
    );
}

#[test]
fn a_wrong_key_or_flipped_bit_fails() {
    let (req, mut rep) = pair("draft14-single-0");
    let r = ClientRequest::from_packet(&req).unwrap();
    assert_eq!(r.verify(&rep, &[7; 32]), Err(VerifyError::BadCertSignature));
    let last = rep.len() - 20;
    rep[last] ^= 1; // inside CERT or INDX
    assert!(r.verify(&rep, &public_key()).is_err());
}

#[test]
fn every_captured_message_reencodes_byte_exact() {
    for entry in std::fs::read_dir(DATA).unwrap() {
        let path = entry.unwrap().path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "req" && ext != "rep" {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let body = if bytes.starts_with(b"ROUGHTIM") {
            &bytes[12..]
        } else {
            &bytes[..]
        };
        let msg = Message::decode(body).unwrap();
        assert_eq!(reencode(&msg).unwrap(), body, "{}", path.display());
        for (tag, value) in msg.iter() {
            if [*b"SREP", *b"CERT"].contains(&tag.to_bytes()) {
                let nested = Message::decode(value).unwrap();
                assert_eq!(reencode(&nested).unwrap(), value);
            }
        }
    }
}
