//! Fuzz target: the Roughtime server core with a batch of arbitrary
//! datagrams must never panic; every reply must be no larger than its
//! request (RFC 10049 §9.7), answer a request of at least 1024 bytes, and
//! verify for the client that sent it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_roughtime::server::{Batch, Outcome, Server, ServerConfig};
use tempora_roughtime::{ClientRequest, LongTermKey};

const NOW_US: u64 = 1_796_440_890_000_000;

fuzz_target!(|data: &[u8]| {
    let ltk = LongTermKey::from_seed(&[1; 32]);
    let delegation = ltk.delegate(&[2; 32], NOW_US - 1_000_000_000, NOW_US + 1_000_000_000);
    let server = Server::new(&ltk, delegation, ServerConfig::default());
    let mut batch = Batch::new();
    // Datagrams: the input split on a 4-byte separator; each also grown
    // to 1024 bytes with zeros, so that the size check lets some through.
    let mut datagrams: Vec<Vec<u8>> = Vec::new();
    for piece in data.split(|&b| b == 0xa5).take(16) {
        datagrams.push(piece.to_vec());
        let mut grown = piece.to_vec();
        grown.resize(grown.len().max(1024), 0);
        datagrams.push(grown);
    }
    for d in &datagrams {
        let _ = batch.push(&server, d, d.clone());
    }
    for (request, outcome) in batch.finish(&server, NOW_US) {
        if let Outcome::Reply { packet, .. } = outcome {
            assert!(request.len() >= 1024 && packet.len() <= request.len());
            let client = ClientRequest::from_packet(&request).unwrap();
            client.verify(&packet, &ltk.public()).unwrap();
        }
    }
});
