//! A chain of two servers where one lies by an hour: the chain proves it,
//! the consensus of three leaves the liar out, and the report carries the
//! proof in the RFC's format.

use tempora_roughtime::base64;
use tempora_roughtime::chain::{Chain, ChainError};
use tempora_roughtime::consensus::{ConsensusConfig, Sample, consensus};
use tempora_roughtime::report;
use tempora_roughtime::server::{Batch, Outcome, Server, ServerConfig};
use tempora_roughtime::{ClientRequest, LongTermKey, Version};

const NOW_US: u64 = 1_796_440_890_000_000;
const HOUR_US: u64 = 3_600_000_000;

struct Peer {
    key: LongTermKey,
    server: Server,
    /// What this server adds to the true time.
    lie_us: i64,
}

impl Peer {
    fn new(seed: u8, lie_us: i64) -> Self {
        let key = LongTermKey::from_seed(&[seed; 32]);
        let d = key.delegate(
            &[seed ^ 0x80; 32],
            NOW_US - 2 * HOUR_US,
            NOW_US + 2 * HOUR_US,
        );
        let server = Server::new(&key, d, ServerConfig::default());
        Peer {
            key,
            server,
            lie_us,
        }
    }

    fn answer(&self, request: &[u8], true_now_us: u64) -> Vec<u8> {
        let mut batch = Batch::new();
        batch.push(&self.server, request, ()).unwrap();
        let at = true_now_us.saturating_add_signed(self.lie_us);
        match batch.finish(&self.server, at).pop().unwrap().1 {
            Outcome::Reply { packet, .. } => packet,
            Outcome::Dropped(r) => panic!("{r}"),
        }
    }
}

/// Queries `peers` in order, chaining nonces; one second between queries.
fn measure(peers: &[&Peer]) -> Chain {
    let mut chain = Chain::new();
    for (i, peer) in peers.iter().enumerate() {
        let rand = [i as u8 + 1; 32];
        let nonce = chain
            .next_nonce(Version::Rfc, &rand)
            .unwrap_or_else(|| vec![0x5a; 32]);
        let req = ClientRequest::new(Version::Rfc, &nonce, Some(&peer.key.public())).unwrap();
        let reply = peer.answer(req.packet(), NOW_US + i as u64 * 1_000_000);
        let rand = (i > 0).then_some(rand);
        chain
            .push(peer.key.public(), rand, req.packet(), &reply)
            .unwrap();
    }
    chain
}

#[test]
fn honest_servers_make_a_consistent_chain() {
    let (a, b) = (Peer::new(1, 0), Peer::new(2, 0));
    let chain = measure(&[&a, &b, &a, &b]);
    assert_eq!(chain.links().len(), 4);
    assert_eq!(chain.malfeasance(), None);
    assert!(chain.to_string().ends_with("consistent\n"));
}

#[test]
fn a_server_an_hour_behind_is_proven_lying() {
    let (honest, liar) = (Peer::new(1, 0), Peer::new(2, -(HOUR_US as i64)));
    // RFC 10049 §8.2: the sequence twice, same order.
    let chain = measure(&[&honest, &liar, &honest, &liar]);
    let m = chain.malfeasance().expect("proof");
    assert_eq!((m.earlier, m.later), (0, 1));
    let text = chain.to_string();
    assert!(text.contains("malfeasance: #0"), "{text}");
    // Offline, the stored parts prove it again.
    let parts: Vec<_> = chain
        .links()
        .iter()
        .map(|l| (l.rand, l.public_key, &l.request[..], &l.response[..]))
        .collect();
    let again = Chain::from_parts(parts).unwrap();
    assert_eq!(again.malfeasance(), Some(m));
    // The consensus of three leaves the liar out.
    let third = Peer::new(3, 0);
    let chain = measure(&[&honest, &liar, &third]);
    let samples: Vec<Sample> = chain
        .links()
        .iter()
        .map(|l| Sample::from(&l.verified))
        .collect();
    let c = consensus(&samples, &ConsensusConfig::default()).unwrap();
    assert_eq!(c.agreeing, [0, 2]);
    assert!((c.midpoint_us - i128::from(NOW_US)).abs() < 5_000_000);
}

#[test]
fn a_forged_link_is_refused() {
    let (a, b) = (Peer::new(1, 0), Peer::new(2, 0));
    let mut chain = measure(&[&a]);
    // A nonce not derived from the previous response.
    let req = ClientRequest::new(Version::Rfc, &[7; 32], None).unwrap();
    let reply = b.answer(req.packet(), NOW_US);
    assert_eq!(
        chain.push(b.key.public(), Some([1; 32]), req.packet(), &reply),
        Err(ChainError::NotChained)
    );
    assert_eq!(
        chain.push(b.key.public(), None, req.packet(), &reply),
        Err(ChainError::MissingRand)
    );
    // A reply checked against the wrong key.
    assert!(matches!(
        chain.push(a.key.public(), Some([1; 32]), req.packet(), &reply),
        Err(ChainError::Verify(_))
    ));
    assert_eq!(chain.links().len(), 1);
}

#[test]
fn the_report_has_the_rfc_format() {
    let (honest, liar) = (Peer::new(1, 0), Peer::new(2, -(HOUR_US as i64)));
    let chain = measure(&[&honest, &liar]);
    let json = report::to_json(&chain);
    assert!(
        json.starts_with("{\"responses\":[{\"publicKey\":\""),
        "{json}"
    );
    // The second object carries rand; every value round-trips.
    let second = json.split("},{").nth(1).unwrap();
    assert!(second.starts_with("\"rand\":\""));
    let field = |obj: &str, key: &str| -> Vec<u8> {
        let start = obj.find(&format!("\"{key}\":\"")).unwrap() + key.len() + 4;
        let end = start + obj[start..].find('"').unwrap();
        base64::decode(&obj[start..end]).unwrap()
    };
    assert_eq!(field(second, "rand"), [2u8; 32]);
    assert_eq!(field(second, "publicKey"), liar.key.public());
    assert_eq!(field(second, "request"), chain.links()[1].request);
    assert_eq!(field(second, "response"), chain.links()[1].response);
    assert_eq!(report::MEDIA_TYPE, "application/roughtime-malfeasance+json");
}

#[test]
fn a_report_loads_back_and_proves_the_lie_again() {
    let (honest, liar) = (Peer::new(1, 0), Peer::new(2, -(HOUR_US as i64)));
    let chain = measure(&[&honest, &liar, &honest]);
    let json = report::to_json(&chain);
    let again = report::from_json(&json).unwrap();
    assert_eq!(again, chain);
    assert_eq!(again.malfeasance(), chain.malfeasance());
    // Whitespace and key order do not matter.
    let spaced = json.replace(",", " ,\n ").replace(":", " : ");
    assert_eq!(report::from_json(&spaced).unwrap(), chain);
    // A tampered response no longer verifies.
    let link = &chain.links()[1];
    let mut bad = link.response.clone();
    let n = bad.len();
    bad[n - 30] ^= 1;
    let tampered = json.replace(&base64::encode(&link.response), &base64::encode(&bad));
    assert!(matches!(
        report::from_json(&tampered),
        Err(report::ReportError::Chain(1, _))
    ));
    for junk in [
        "",
        "{",
        "{\"responses\":[{}]}",
        "[]",
        "{\"responses\":[]} x",
        "{\"responses\":\"x\"}",
    ] {
        assert!(report::from_json(junk).is_err(), "{junk}");
    }
    assert_eq!(
        report::from_json("{\"responses\":[]}")
            .unwrap()
            .links()
            .len(),
        0
    );
}
