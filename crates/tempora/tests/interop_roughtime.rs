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
    let Some(d14) = peer_bin(D14, "roughenough-server") else {
        return;
    };
    let Some(v118) = peer_bin(V118, "roughenough-server") else {
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
fn client_of(server: &Path) -> PathBuf {
    server.with_file_name("roughenough-client")
}

/// Makes a key with `tempora roughtime keygen`; returns (path, base64
/// public key, hex public key).
fn keygen(lab: &Lab, name: &str) -> (String, String, String) {
    let path = lab.path(&format!("{name}.key"));
    let out = lab.run(
        0,
        env!("CARGO_BIN_EXE_tempora"),
        &["roughtime", "keygen", "--out", &path],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {label} in {text}"))
    };
    (
        path,
        field("public key (base64)"),
        field("public key (hex)"),
    )
}

/// Starts a Tempora Roughtime server as `name` in namespace `ns` on
/// `listen`, on a virtual clock `offset` from the system clock (a liar
/// when not zero); returns its public key (base64, hex).
fn tempora_server(
    lab: &mut Lab,
    name: &str,
    ns: usize,
    listen: &str,
    offset: &str,
) -> (String, String) {
    tempora_server_with(lab, name, ns, listen, offset, "")
}

/// [`tempora_server`] with more `[roughtime-server]` keys.
fn tempora_server_with(
    lab: &mut Lab,
    name: &str,
    ns: usize,
    listen: &str,
    offset: &str,
    more: &str,
) -> (String, String) {
    let (key, b64, hex) = keygen(lab, name);
    lab.tempora(
        name,
        ns,
        &format!(
            "[clock]\nkind = \"virtual\"\ninitial-offset = \"{offset}\"\n\n\
             [roughtime-server]\nkey-file = \"{key}\"\nlisten = [\"{listen}\"]\nradius = \"1s\"\n{more}"
        ),
    );
    let (s, _) = lab.wait_status(name, std::time::Duration::from_secs(10), |s| {
        s.get("roughtime_server").is_some()
    });
    assert!(s.is_some(), "{name} did not start: {}", lab.output(name));
    (b64, hex)
}

/// The system clock now, s since 1970.
fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// roughenough's client `client` against `host port` with the key `hex`
/// and `extra` options (protocol, for 1.3): its midpoint (whole seconds),
/// after checking that it says the reply verified.
fn roughenough_query(
    lab: &Lab,
    client: &Path,
    extra: &[&str],
    hex_key: &str,
    host: &str,
    port: &str,
) -> f64 {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["-j", "-z", "-f", "%s", host, port]);
    let out = lab.run(0, &client.display().to_string(), &args);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{client:?} {args:?}: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `{ "midpoint": "1796441157", "radius": 1, "verified": Yes, ... }`
    // (1.3 prints Yes/No, 1.1.8 true/false): not quite JSON.
    assert!(
        text.contains("\"verified\": Yes") || text.contains("\"verified\": true"),
        "not verified: {text}"
    );
    let _ = hex_key;
    text.split("\"midpoint\": \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("no midpoint in {text}"))
}

#[test]
fn roughenough_clients_against_tempora_server() {
    let Some(d14) = peer_bin(D14, "roughenough-server") else {
        return;
    };
    let Some(v118) = peer_bin(V118, "roughenough-server") else {
        return;
    };
    let mut lab = Lab::chain("rts", 2);
    let (b64, hex) = tempora_server(&mut lab, "srv", 1, "10.79.0.2:2002", "0s");
    let (c14, c118) = (client_of(&d14), client_of(&v118));
    for (client, extra) in [
        (&c14, vec!["-p", "14", "-k", hex.as_str()]),
        (&c14, vec!["-p", "0", "-k", hex.as_str()]),
        (&c118, vec!["-p", hex.as_str()]),
    ] {
        let mid = roughenough_query(&lab, client, &extra, &hex, "10.79.0.2", "2002");
        // Whole seconds (draft 14 truncates, the client prints %s).
        assert!(
            (mid - now_s()).abs() < 2.0,
            "{client:?} {extra:?}: midpoint {mid}"
        );
    }
    // A request naming another key (SRV, RFC 10049 §5.1.4): no reply,
    // counted as wrong_server.
    let wrong = "00".repeat(32);
    let out = lab.run(
        0,
        &c14.display().to_string(),
        &[
            "-p",
            "14",
            "-t",
            "2",
            "-j",
            "-k",
            &wrong,
            "10.79.0.2",
            "2002",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("midpoint"),
        "answered another key's request: {text}"
    );
    // Tempora's client too, in the three versions: MIDP is rounded to the
    // nearest second (within 0.5 s), and RADI (1 s configured) covers the
    // rounding error too (RFC 10049 §5.2.5).
    for v in ["rfc", "draft-14", "google"] {
        let r = query(&lab, 0, "10.79.0.2:2002", &b64, v);
        assert_eq!(r["verified"], true, "{r}");
        let offset = r["offset_s"].as_f64().unwrap().abs();
        let rtt = r["rtt_s"].as_f64().unwrap();
        assert!(offset < 0.5 + rtt + 0.01, "{r}");
        assert!(r["radius_s"].as_f64().unwrap() + rtt >= 1.0 + offset, "{r}");
    }
    let s = lab.status("srv").unwrap();
    let c = &s["roughtime_server"];
    assert_eq!(c["replies"], 6, "{s}");
    // An undersized request (RFC 10049 §5.1: no reply) is dropped and
    // counted, never answered.
    let out = lab.run(
        0,
        "python3",
        &["-c", "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(1);s.sendto(b'ROUGHTIM'+bytes(100),('10.79.0.2',2002))\ntry:\n print(len(s.recv(2048)))\nexcept Exception: print('none')"],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "none");
    let s = lab.status("srv").unwrap();
    assert_eq!(s["roughtime_server"]["dropped"]["undersized"], 1, "{s}");
    assert_eq!(s["roughtime_server"]["dropped"]["wrong_server"], 1, "{s}");
    // The same with two worker loops.
    let (b64, hex) =
        tempora_server_with(&mut lab, "srvw", 1, "10.79.0.2:2004", "0s", "workers = 2\n");
    let mid = roughenough_query(
        &lab,
        &c14,
        &["-p", "14", "-k", &hex],
        &hex,
        "10.79.0.2",
        "2004",
    );
    assert!((mid - now_s()).abs() < 2.0, "workers: midpoint {mid}");
    for v in ["rfc", "google"] {
        let r = query(&lab, 0, "10.79.0.2:2004", &b64, v);
        assert_eq!(r["verified"], true, "{r}");
    }
    let (s, _) = lab.wait_status("srvw", std::time::Duration::from_secs(5), |s| {
        // Each worker publishes its counters (its first online key
        // included) at the end of its poll turns.
        s["roughtime_server"]["replies"].as_u64() >= Some(3)
            && s["roughtime_server"]["online_keys"] == 2
    });
    let s = s.unwrap_or_else(|| panic!("no status from srvw: {}", lab.output("srvw")));
    assert_eq!(s["roughtime_server"]["online_keys"], 2, "{s}");
}

#[test]
fn a_lying_server_is_caught_by_the_chain() {
    if peer_bin(D14, "roughenough-server").is_none() {
        return;
    }
    let mut lab = Lab::chain("rtl", 2);
    let (liar, _) = tempora_server(&mut lab, "liar", 1, "10.79.0.2:2002", "3600s");
    let (honest, _) = tempora_server(&mut lab, "honest", 1, "10.79.0.2:2003", "0s");
    // The liar first: the honest server's reply, chained to the liar's,
    // proves that one of them lied.
    let out = lab.run(
        0,
        env!("CARGO_BIN_EXE_tempora"),
        &[
            "query",
            "--roughtime",
            "10.79.0.2:2002",
            "10.79.0.2:2003",
            "--public-key",
            &liar,
            "--public-key",
            &honest,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("MALFEASANCE: 10.79.0.2:2002 signed"),
        "{text}"
    );
    let report = text
        .lines()
        .find_map(|l| l.split_once("report): "))
        .map(|(_, r)| r)
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(report).unwrap();
    assert_eq!(report["responses"].as_array().unwrap().len(), 2, "{report}");
    // The other order proves nothing (time may have gone on), and both
    // replies verify.
    let out = lab.run(
        0,
        env!("CARGO_BIN_EXE_tempora"),
        &[
            "query",
            "--roughtime",
            "10.79.0.2:2003",
            "10.79.0.2:2002",
            "--public-key",
            &honest,
            "--public-key",
            &liar,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A daemon starting from the two: no step, the proof in its status.
    lab.tempora(
        "client",
        0,
        &format!(
            "[clock]\nkind = \"virtual\"\ninitial-offset = \"-86400s\"\n\n\
             [ntp-server]\nlisten = [\"127.0.0.1:11123\"]\n\n\
             [[roughtime-source]]\naddress = \"10.79.0.2:2002\"\npublic-key = \"{liar}\"\n\n\
             [[roughtime-source]]\naddress = \"10.79.0.2:2003\"\npublic-key = \"{honest}\"\n"
        ),
    );
    let (s, _) = lab.wait_status("client", std::time::Duration::from_secs(20), |s| {
        s.get("roughtime").is_some()
    });
    let s = s.expect("client status");
    let r = &s["roughtime"];
    assert!(
        r["malfeasance"]["summary"]
            .as_str()
            .unwrap()
            .contains("lied"),
        "{s}"
    );
    assert!(r.get("stepped_s").is_none(), "{s}");
    let error_s = s["error_vs_system_ns"].as_f64().unwrap() * 1e-9;
    assert!((error_s + 86400.0).abs() < 1.0, "stepped anyway: {error_s}");
    let text = lab.run(
        0,
        env!("CARGO_BIN_EXE_tempora"),
        &["status", "--socket", &lab.path("client.sock")],
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("MALFEASANCE") && text.contains("proof "),
        "{text}"
    );
}

#[test]
fn a_daemon_steps_its_clock_from_two_agreeing_servers_at_start() {
    let Some(d14) = peer_bin(D14, "roughenough-server") else {
        return;
    };
    let mut lab = Lab::chain("rtu", 2);
    let (tempora_key, _) = tempora_server(&mut lab, "srv", 1, "10.79.0.2:2002", "0s");
    let rough_key = roughenough_server(&mut lab, &d14, "rd14", 1, "10.79.0.2", 2003);
    // A machine without a battery-backed clock: a day behind.
    lab.tempora(
        "client",
        0,
        &format!(
            "[clock]\nkind = \"virtual\"\ninitial-offset = \"-86400s\"\n\n\
             [ntp-server]\nlisten = [\"127.0.0.1:11123\"]\n\n\
             [roughtime]\nstep-window = \"5s\"\n\n\
             [[roughtime-source]]\naddress = \"10.79.0.2:2002\"\npublic-key = \"{tempora_key}\"\n\n\
             [[roughtime-source]]\naddress = \"10.79.0.2:2003\"\npublic-key = \"{rough_key}\"\nversion = \"draft-14\"\n"
        ),
    );
    let (s, _) = lab.wait_status("client", std::time::Duration::from_secs(20), |s| {
        s.get("roughtime").is_some()
    });
    let s = s.expect("client status");
    let r = &s["roughtime"];
    assert_eq!(r["agreeing"], 2, "{s}");
    let stepped = r["stepped_s"]
        .as_f64()
        .unwrap_or_else(|| panic!("not stepped: {s}"));
    assert!((stepped - 86400.0).abs() < 2.0, "{s}");
    for src in r["sources"].as_array().unwrap() {
        assert_eq!(src["verified"], true, "{s}");
    }
    // The virtual clock is now within the servers' radius of the system
    // clock (draft 14 counts whole seconds).
    let error_s = s["error_vs_system_ns"].as_f64().unwrap() * 1e-9;
    assert!(
        error_s.abs() < 1.5,
        "clock {error_s} s from the system clock after the step"
    );
    assert_eq!(s["steps"], 1, "{s}");
    let metrics_free = lab.run(
        0,
        env!("CARGO_BIN_EXE_tempora"),
        &["status", "--socket", &lab.path("client.sock")],
    );
    let text = String::from_utf8_lossy(&metrics_free.stdout);
    assert!(
        text.contains("roughtime start  stepped to the consensus"),
        "{text}"
    );
}
