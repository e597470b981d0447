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

#[test]
fn the_long_term_key_derives_from_roughenoughs_seed() {
    // The test-only seed both servers ran with (tests/data/README.md).
    let seed = "6f1a2d3b4c5d6e7f808192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).unwrap();
    }
    assert_eq!(
        tempora_roughtime::LongTermKey::from_seed(&bytes).public(),
        public_key()
    );
}

#[test]
fn tempora_encodes_roughenoughs_replies_byte_exact() {
    use tempora_roughtime::reply::{ReplyParts, encode_reply, encode_srep};
    use tempora_roughtime::request::encode_request;
    for name in [
        "draft14-batch-3",
        "draft14-srv-0",
        "google118-batch-2",
        "google13-single-0",
    ] {
        let (req, rep) = pair(name);
        let r = Reply::decode(&rep).unwrap();
        let vers: Vec<u32> = r
            .srep
            .vers
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
            .collect();
        let srep = encode_srep(r.version, r.srep.midp, r.srep.radi, r.srep.root, &vers).unwrap();
        assert_eq!(srep, r.srep.bytes, "{name}: SREP");
        let parts = ReplyParts {
            version: r.version,
            sig: r.sig,
            srep: &srep,
            cert: Message::decode(&rep[if r.version == Version::Google { 0 } else { 12 }..])
                .unwrap()
                .get(tempora_roughtime::Tag::CERT)
                .unwrap(),
            nonce: r.nonce.unwrap_or(&[]),
            path: r.path,
            index: r.index,
        };
        let again = encode_reply(&parts).unwrap();
        if name == "google13-single-0" {
            // roughenough 1.3.0 adds NONC to Google replies; Tempora, like
            // the Google protocol and roughenough 1.1.8, does not.
            assert_eq!(again.len(), rep.len() - 64 - 8);
        } else {
            assert_eq!(again, rep, "{name}: reply");
        }
        // The request too, from its nonce (and SRV).
        let c = ClientRequest::from_packet(&req).unwrap();
        let srv = Message::decode(if c.version() == Version::Google {
            &req[..]
        } else {
            &req[12..]
        })
        .unwrap()
        .get(tempora_roughtime::Tag::SRV)
        .map(|s| <[u8; 32]>::try_from(s).unwrap());
        assert_eq!(
            encode_request(c.version(), c.nonce(), srv.as_ref()).unwrap(),
            req,
            "{name}: request"
        );
    }
}
