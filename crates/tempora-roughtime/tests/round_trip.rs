//! Tempora's server answering Tempora's client, in every version; the
//! server's drop reasons and the amplification rule.

use tempora_roughtime::request::encode_request;
use tempora_roughtime::server::{Batch, DropReason, Outcome, Server, ServerConfig};
use tempora_roughtime::{ClientRequest, LongTermKey, Tag, Version, VersionSet};

const NOW_US: u64 = 1_796_440_890_123_456;
const HOUR_US: u64 = 3_600_000_000;

fn server(config: ServerConfig) -> (LongTermKey, Server) {
    let ltk = LongTermKey::from_seed(&[0x11; 32]);
    let d = ltk.delegate(&[0x22; 32], NOW_US - HOUR_US, NOW_US + HOUR_US);
    let s = Server::new(&ltk, d, config);
    (ltk, s)
}

fn nonce(v: Version, i: u8) -> Vec<u8> {
    vec![i; v.params().nonce_len]
}

fn replies(outcomes: Vec<(usize, Outcome)>) -> Vec<Vec<u8>> {
    outcomes
        .into_iter()
        .map(|(_, o)| match o {
            Outcome::Reply { packet, .. } => packet,
            Outcome::Dropped(r) => panic!("dropped: {r}"),
        })
        .collect()
}

#[test]
fn a_mixed_batch_verifies_in_every_version() {
    let (ltk, srv) = server(ServerConfig::default());
    let mut batch = Batch::new();
    let mut requests = Vec::new();
    for i in 0..21u8 {
        let v = Version::ALL[usize::from(i) % 3];
        let key = (i % 2 == 0).then(|| ltk.public());
        let req = ClientRequest::new(v, &nonce(v, i), key.as_ref()).unwrap();
        assert_eq!(batch.push(&srv, req.packet(), requests.len()), Ok(v));
        requests.push(req);
    }
    let outcomes = batch.finish(&srv, NOW_US);
    assert!(batch.is_empty());
    let tokens: Vec<usize> = outcomes.iter().map(|(t, _)| *t).collect();
    assert_eq!(tokens, (0..21).collect::<Vec<_>>());
    for (req, reply) in requests.iter().zip(replies(outcomes)) {
        assert!(reply.len() <= req.packet().len());
        let v = req.verify(&reply, &ltk.public()).unwrap();
        assert_eq!(v.version, req.version());
        match v.version {
            Version::Google => {
                assert_eq!(v.midpoint_us, NOW_US);
                assert_eq!(v.radius_us, 3_000_000);
            }
            _ => {
                // .123456 s rounds down; RADI covers 3 s plus that error.
                assert_eq!(v.midpoint_us, NOW_US / 1_000_000 * 1_000_000);
                assert_eq!(v.radius_us, 4_000_000);
            }
        }
        assert!(v.mint_us <= v.midpoint_us && v.midpoint_us <= v.maxt_us);
    }
}

/// RFC 10049 §5.2.5: the true time must lie within MIDP ± RADI. In the
/// versions counting seconds MIDP is the nearest second (not the second
/// begun), and RADI is the configured radius plus the rounding error.
#[test]
fn midp_is_rounded_to_the_nearest_second_and_radi_covers_the_error() {
    let (ltk, srv) = server(ServerConfig::default());
    let second = NOW_US / 1_000_000 * 1_000_000;
    let cases = [
        (second, second, 3_000_000),
        (second + 499_999, second, 4_000_000),
        (second + 500_000, second + 1_000_000, 4_000_000),
        (second + 999_999, second + 1_000_000, 4_000_000),
    ];
    for version in [Version::Rfc, Version::Draft14] {
        for (now, midpoint, radius) in cases {
            let req = ClientRequest::new(version, &nonce(version, 7), None).unwrap();
            let mut batch = Batch::new();
            batch.push(&srv, req.packet(), 0).unwrap();
            let reply = &replies(batch.finish(&srv, now))[0];
            let v = req.verify(reply, &ltk.public()).unwrap();
            assert_eq!(v.midpoint_us, midpoint, "{version} at {now}");
            assert_eq!(v.radius_us, radius, "{version} at {now}");
            assert!(v.midpoint_us.abs_diff(now) + 3_000_000 <= v.radius_us);
        }
    }
}

#[test]
fn a_reply_does_not_verify_with_another_key_or_request() {
    let (ltk, srv) = server(ServerConfig::default());
    let mut batch = Batch::new();
    let a = ClientRequest::new(Version::Rfc, &[1; 32], None).unwrap();
    let b = ClientRequest::new(Version::Rfc, &[2; 32], None).unwrap();
    batch.push(&srv, a.packet(), 0).unwrap();
    batch.push(&srv, b.packet(), 1).unwrap();
    let r = replies(batch.finish(&srv, NOW_US));
    assert!(a.verify(&r[0], &ltk.public()).is_ok());
    assert!(a.verify(&r[1], &ltk.public()).is_err());
    assert!(a.verify(&r[0], &[9; 32]).is_err());
}

#[test]
fn undersized_unknown_and_foreign_requests_get_no_reply() {
    let (_, srv) = server(ServerConfig::default());
    let mut batch: Batch<()> = Batch::new();
    let good = encode_request(Version::Rfc, &[1; 32], None).unwrap();
    assert_eq!(
        batch.push(&srv, &good[..1023], ()),
        Err(DropReason::TooShort(1023))
    );
    assert_eq!(
        batch.push(&srv, &[0u8; 100], ()),
        Err(DropReason::TooShort(100))
    );
    assert!(matches!(
        batch.push(&srv, &[0xffu8; 1024], ()),
        Err(DropReason::Malformed(_))
    ));
    // Another key's SRV.
    let other = LongTermKey::from_seed(&[0x33; 32]).srv();
    let foreign = encode_request(Version::Rfc, &[1; 32], Some(&other)).unwrap();
    assert_eq!(batch.push(&srv, &foreign, ()), Err(DropReason::WrongServer));
    // A version the server does not answer.
    let (_, only_rfc) = server(ServerConfig {
        versions: VersionSet::empty().with(Version::Rfc),
        ..ServerConfig::default()
    });
    let d14 = encode_request(Version::Draft14, &[1; 32], None).unwrap();
    assert_eq!(
        batch.push(&only_rfc, &d14, ()),
        Err(DropReason::UnsupportedVersion)
    );
    let google = encode_request(Version::Google, &[1; 64], None).unwrap();
    assert_eq!(
        batch.push(&only_rfc, &google, ()),
        Err(DropReason::UnsupportedVersion)
    );
    // A framed message without TYPE (drafts 12-13).
    let no_type = tempora_roughtime::message::Builder::new()
        .add(Tag::VER, &[1, 0, 0, 0])
        .add(Tag::NONC, &[0; 32])
        .add(Tag::ZZZZ, &[0; 960])
        .encode()
        .unwrap();
    let no_type = tempora_roughtime::framing::frame(Version::Rfc, &no_type).unwrap();
    assert_eq!(
        batch.push(&srv, &no_type, ()),
        Err(DropReason::MissingTag(Tag::TYPE))
    );
    assert!(batch.is_empty());
}

#[test]
fn the_batch_has_a_limit() {
    let (_, srv) = server(ServerConfig {
        max_batch: 2,
        ..ServerConfig::default()
    });
    let mut batch = Batch::new();
    let req = encode_request(Version::Rfc, &[1; 32], None).unwrap();
    batch.push(&srv, &req, 0).unwrap();
    batch.push(&srv, &req, 1).unwrap();
    assert_eq!(batch.push(&srv, &req, 2), Err(DropReason::BatchFull));
    assert_eq!(batch.finish(&srv, NOW_US).len(), 2);
}

#[test]
fn replies_never_exceed_their_request() {
    // A deep tree: 1024 requests, draft-14's 64-byte PATH entries (10 of
    // them) make a reply larger than a 1024-byte request.
    let (_, srv) = server(ServerConfig {
        max_batch: 1024,
        ..ServerConfig::default()
    });
    let mut batch = Batch::new();
    let req = encode_request(Version::Draft14, &[1; 32], None).unwrap();
    let mut big = encode_request(Version::Draft14, &[2; 32], None).unwrap();
    // The same request grown by 256 bytes of ZZZZ (last value), length fixed.
    big.extend_from_slice(&[0; 256]);
    let len = (big.len() - 12) as u32;
    big[8..12].copy_from_slice(&len.to_le_bytes());
    batch.push(&srv, &big, true).unwrap();
    for _ in 1..1024 {
        batch.push(&srv, &req, false).unwrap();
    }
    let outcomes = batch.finish(&srv, NOW_US);
    for (is_big, o) in outcomes {
        match (is_big, o) {
            (true, Outcome::Reply { packet, .. }) => assert!(packet.len() <= big.len()),
            (false, Outcome::Dropped(DropReason::ReplyTooLarge { reply, request })) => {
                assert!(reply > request && request == 1024)
            }
            (b, o) => panic!("big={b}: {o:?}"),
        }
    }
}

#[test]
fn no_reply_outside_the_delegation_and_rotation_works() {
    let (ltk, mut srv) = server(ServerConfig::default());
    let req = ClientRequest::new(Version::Rfc, &[1; 32], None).unwrap();
    let mut batch = Batch::new();
    batch.push(&srv, req.packet(), ()).unwrap();
    let later = NOW_US + 2 * HOUR_US;
    let out = batch.finish(&srv, later);
    assert_eq!(out[0].1, Outcome::Dropped(DropReason::DelegationExpired));
    srv.rotate(ltk.delegate(&[0x44; 32], later - HOUR_US, later + HOUR_US));
    batch.push(&srv, req.packet(), ()).unwrap();
    let r = replies(
        batch
            .finish(&srv, later)
            .into_iter()
            .map(|(_, o)| (0, o))
            .collect(),
    );
    let v = req.verify(&r[0], &ltk.public()).unwrap();
    assert_eq!(v.midpoint_us, later / 1_000_000 * 1_000_000);
    assert_eq!(v.online_public, srv.delegation().online_public());
}

#[test]
fn full_default_batches_fit_the_clients_buffers() {
    // 64 requests per version: RFC and draft-14 replies within 1024 bytes,
    // Google replies within the 744 bytes roughenough 1.1.8's client reads.
    let (_, srv) = server(ServerConfig::default());
    for v in Version::ALL {
        let mut batch = Batch::new();
        for i in 0..64u8 {
            let req = encode_request(v, &nonce(v, i), None).unwrap();
            batch.push(&srv, &req, ()).unwrap();
        }
        let limit = if v == Version::Google { 744 } else { 1024 };
        for (_, o) in batch.finish(&srv, NOW_US) {
            let Outcome::Reply { packet, .. } = o else {
                panic!("{v}: {o:?}")
            };
            assert!(packet.len() <= limit, "{v}: {}", packet.len());
        }
    }
}
