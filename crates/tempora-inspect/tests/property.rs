//! Property test: no decoder panics, and every decoded value re-encodes to its
//! exact input, over 100,000+ random and mutated inputs. Mutations start from
//! every PTP and NTP message of the real captures in `TEMPORA_VECTORS` (the
//! repository's vectors/ by default, ../shared/vectors in CI's second run).

use std::path::Path;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tempora_inspect::capture::read_capture;
use tempora_inspect::dissect::{Payload, dissect};
use tempora_inspect::roundtrip;

const VECTORS: &str = env!("TEMPORA_VECTORS");
const RANDOM_INPUTS: usize = 40_000;
const MUTATED_INPUTS: usize = 80_000;

/// Seeds: every PTP payload, Ethernet frame and NTP payload of the captures.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let dir = std::fs::read_dir(VECTORS).expect("the golden captures (TEMPORA_VECTORS) must exist");
    let mut paths: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
    {
        read_capture(Path::new(path), |frame| {
            match dissect(frame.linktype, &frame.data) {
                d if matches!(d.payload, Payload::PtpEthernet(_)) => {
                    if let Payload::PtpEthernet(p) = d.payload {
                        seeds.push(p.to_vec());
                    }
                    seeds.push(frame.data.clone());
                }
                d => {
                    if let Payload::PtpUdp(p) | Payload::Ntp(p) = d.payload {
                        seeds.push(p.to_vec());
                    }
                }
            }
        })
        .unwrap();
    }
    seeds
}

fn mutate(rng: &mut SmallRng, seed: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seed.to_vec();
    let rounds = rng.gen_range(1..=4);
    for _ in 0..rounds {
        match rng.gen_range(0..8) {
            // Flip a bit.
            0 if !v.is_empty() => {
                let i = rng.gen_range(0..v.len());
                v[i] ^= 1 << rng.gen_range(0..8);
            }
            // Set a byte to an interesting value.
            1 if !v.is_empty() => {
                let i = rng.gen_range(0..v.len());
                v[i] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x04, 0x10][rng.gen_range(0..7)];
            }
            // Truncate.
            2 => {
                let n = rng.gen_range(0..=v.len());
                v.truncate(n);
            }
            // Append random bytes.
            3 => {
                for _ in 0..rng.gen_range(1..40) {
                    v.push(rng.r#gen());
                }
            }
            // Overwrite a 16-bit field with a length-like value (hits length fields).
            4 if v.len() >= 2 => {
                let i = rng.gen_range(0..v.len() - 1);
                let val: u16 = match rng.gen_range(0..3) {
                    0 => v.len() as u16,
                    1 => rng.gen_range(0..64),
                    _ => rng.r#gen(),
                };
                v[i..i + 2].copy_from_slice(&val.to_be_bytes());
            }
            // Splice the tail of another seed.
            5 => {
                let other = &pool[rng.gen_range(0..pool.len())];
                let at = rng.gen_range(0..=v.len());
                let from = rng.gen_range(0..=other.len());
                v.truncate(at);
                v.extend_from_slice(&other[from..]);
            }
            // Duplicate a chunk (repeats TLVs and extension fields).
            6 if v.len() > 4 => {
                let a = rng.gen_range(0..v.len());
                let b = rng.gen_range(a..=v.len());
                let chunk = v[a..b].to_vec();
                let at = rng.gen_range(0..=v.len());
                v.splice(at..at, chunk);
            }
            // Remove a chunk.
            _ if v.len() > 1 => {
                let a = rng.gen_range(0..v.len());
                let b = rng.gen_range(a..=v.len());
                v.drain(a..b);
            }
            _ => {}
        }
    }
    v
}

/// A random input, often with a plausible first byte or two so that the
/// decoders get past their first checks.
fn random_input(rng: &mut SmallRng) -> Vec<u8> {
    let len = rng.gen_range(0..320);
    let mut v: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
    if v.len() >= 4 && rng.gen_bool(0.5) {
        // PTP: versionPTP 2 and a messageLength that matches.
        v[1] = 0x02 | (rng.gen_range(0..2) << 4);
        let n = v.len() as u16;
        v[2..4].copy_from_slice(&n.to_be_bytes());
    } else if !v.is_empty() && rng.gen_bool(0.5) {
        // NTP: version 4, a random mode.
        v[0] = (v[0] & 0xc7) | (4 << 3);
    }
    v
}

fn check_all(input: &[u8]) {
    for (name, check) in roundtrip::ALL {
        if let Err(e) = check(input) {
            panic!("{name} round trip failed for input {input:02x?}: {e}");
        }
    }
}

#[test]
fn decoders_never_panic_and_round_trip_exactly() {
    let seeds = seeds();
    assert!(
        seeds.len() > 500,
        "expected the golden captures to give many seeds, got {}",
        seeds.len()
    );
    let mut rng = SmallRng::seed_from_u64(0x7e4d_07a5);
    let mut inputs = 0usize;
    let mut decoded = 0usize;
    for seed in &seeds {
        check_all(seed);
        inputs += 1;
    }
    for _ in 0..RANDOM_INPUTS {
        check_all(&random_input(&mut rng));
        inputs += 1;
    }
    for _ in 0..MUTATED_INPUTS {
        let seed = &seeds[rng.gen_range(0..seeds.len())];
        let input = mutate(&mut rng, seed, &seeds);
        if tempora_ptp::wire::Message::decode(&input).is_ok()
            || tempora_ntp::wire::Packet::decode(&input).is_ok()
        {
            decoded += 1;
        }
        check_all(&input);
        inputs += 1;
    }
    assert!(inputs >= 100_000, "only {inputs} inputs");
    // The mutations must keep many inputs decodable, or the round-trip half of
    // the property would go untested.
    assert!(
        decoded > MUTATED_INPUTS / 5,
        "only {decoded} mutated inputs decoded"
    );
    eprintln!("{inputs} inputs, {decoded} mutated inputs decoded");
}

/// Mutated capture files: the reader and the inspector never panic, and a
/// broken file ends in an error rather than a hang.
#[test]
fn mutated_captures_never_panic() {
    use tempora_inspect::capture::read_capture_from;
    use tempora_inspect::{Summary, inspect_frame};

    let mut rng = SmallRng::seed_from_u64(0x9c4a_0001);
    let files: Vec<Vec<u8>> = ["ptp-mgmt-4.pcap", "ntp-chrony.pcap", "ptp-l2-p2p.pcap"]
        .iter()
        .map(|f| std::fs::read(Path::new(VECTORS).join(f)).expect("vector file"))
        .collect();
    let mut errors = 0;
    for i in 0..200 {
        let mut data = files[i % files.len()].clone();
        for _ in 0..rng.gen_range(1..6) {
            match rng.gen_range(0..3) {
                0 => {
                    let n = rng.gen_range(0..=data.len());
                    data.truncate(n);
                }
                1 if !data.is_empty() => {
                    let at = rng.gen_range(0..data.len());
                    data[at] = rng.r#gen();
                }
                _ if data.len() > 40 => {
                    // Corrupt a record header's length fields.
                    let at = rng.gen_range(24..data.len() - 4);
                    data[at..at + 4].copy_from_slice(&rng.r#gen::<u32>().to_le_bytes());
                }
                _ => {}
            }
        }
        let mut summary = Summary::default();
        let mut sink = std::io::sink();
        let result = read_capture_from(&data[..], |frame| {
            inspect_frame(&frame, i % 2 == 0, &mut summary, &mut sink).unwrap();
        });
        if result.is_err() {
            errors += 1;
        }
    }
    assert!(
        errors > 0,
        "no mutated capture was rejected: the mutations are too weak"
    );
}
