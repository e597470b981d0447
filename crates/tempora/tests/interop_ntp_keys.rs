//! NTP symmetric keys (issue #13, point 4; RFC 5905 §9.1, RFC 8573)
//! against chronyd, both ways, in network namespaces (chronyd `-x`):
//!
//! - a Tempora client with `key = N` against chronyd serving with a
//!   `keyfile`: AES128, AES256 and (legacy) SHA1 replies accepted; a key
//!   chronyd does not have, or has with another secret, gets no reply; a
//!   forged server (a MAC of our key id that does not verify, or none) is
//!   rejected and counted;
//! - chronyd as a client of a Tempora server with `server ... key N`:
//!   `chronyc ntpdata` says its replies are authenticated (AES128 and
//!   SHA1), and with a wrong or unknown key chronyd gets nothing and the
//!   server counts the requests it dropped; ntpdig (`-a N -k FILE`) gets
//!   authenticated answers with the right key and none with a wrong one.
//!
//! Needs root, chrony and ntpsec-ntpdate (and its python3); skipped
//! without them, except under CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, ntp_available};

const AES128: &str = "HEX:0F1E2D3C4B5A69788796A5B4C3D2E1F0";
const AES256: &str = "HEX:00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210";
const SHA1: &str = "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70";
const OTHER: &str = "HEX:FFEEDDCCBBAA99887766554433221100";

/// A key file, readable by its owner only (chronyd and Tempora both).
fn key_file(lab: &Lab, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = lab.file(name, text);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.display().to_string()
}

/// A server that answers every request with a reply carrying a MAC of key
/// 1 whose digest is random (odd requests) or no MAC (even ones).
const FORGER: &str = r#"
import os, socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.79.0.1", 1123))
n = 0
while True:
    req, peer = s.recvfrom(2048)
    if len(req) < 48:
        continue
    now = time.time() + 2208988800
    ts = struct.pack("!II", int(now), int((now % 1) * 2**32))
    reply = bytes([0x24, 1, 0, 0xec]) + bytes(8) + b"GPS\0" + ts + req[40:48] + ts + ts
    n += 1
    if n % 2:
        reply += struct.pack("!I", 1) + os.urandom(16)
    s.sendto(reply, peer)
"#;

#[test]
fn tempora_keyed_client_against_chronyd() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nk", 2);
    let chrony_keys = key_file(
        &lab,
        "chrony.keys",
        &format!("1 AES128 {AES128}\n2 AES256 {AES256}\n3 SHA1 {SHA1}\n5 AES128 {AES128}\n"),
    );
    lab.chronyd(
        "server",
        0,
        &format!("local stratum 1\nallow all\nkeyfile {chrony_keys}\n"),
    );
    let forger = lab.file("forger.py", FORGER).display().to_string();
    lab.spawn("forger", 0, "python3", &[&forger]);
    // Key 4 is not chronyd's; key 5 is, with another secret.
    let keys = key_file(
        &lab,
        "tempora.keys",
        &format!(
            "# Tempora's copy\n1 AES128 {AES128}\n2 AES256 {AES256}\n3 SHA1 {SHA1}\n\
             4 AES128 {AES128}\n5 AES128 {OTHER}\n"
        ),
    );
    let source = |address: &str, key: u32| {
        format!(
            "[[ntp-source]]\naddress = \"{address}\"\nkey = {key}\nminpoll = 0\nmaxpoll = 0\n\n"
        )
    };
    let mut toml = format!("[ntp-client]\nkey-file = \"{keys}\"\nlegacy-sha1 = true\n\n");
    for (address, key) in [
        ("10.79.0.1", 1),
        ("[fd79:0::1]:123", 2),
        ("10.79.0.1", 3),
        ("10.79.0.1", 4),
        ("10.79.0.1", 5),
        ("10.79.0.1:1123", 1),
    ] {
        toml.push_str(&source(address, key));
    }
    // The forger without a key: its replies are otherwise good NTP.
    toml.push_str(
        "[[ntp-source]]\naddress = \"10.79.0.1:1123\"\nminpoll = 0\nmaxpoll = 0\n\n\
         [clock]\nkind = \"virtual\"\n",
    );
    lab.tempora("client", 1, &toml);
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        let n = |i: usize, what: &str| s["ntp_sources"][i]["key"][what].as_u64().unwrap_or(0);
        (0..3).all(|i| n(i, "authentic") >= 4) && n(5, "rejected") >= 4
    });
    let s = s.expect("no status from the client");
    eprintln!("after {took:?}:");
    for src in s["ntp_sources"].as_array().unwrap() {
        eprintln!(
            "  {} reach {} key {}",
            src["address"], src["reach"], src["key"]
        );
    }
    let src = |i: usize| &s["ntp_sources"][i];
    for i in 0..3 {
        assert!(src(i)["key"]["authentic"].as_u64().unwrap() >= 4, "{s}");
        assert_eq!(src(i)["key"]["rejected"], 0, "{s}");
        assert_ne!(src(i)["reach"], 0, "{s}");
    }
    assert_eq!(src(0)["key"]["id"], 1, "{s}");
    // chronyd drops requests of a key it does not have, or whose MAC does
    // not verify: no reply, never reachable.
    for i in [3, 4] {
        assert_eq!(src(i)["key"]["authentic"], 0, "{s}");
        assert_eq!(src(i)["reach"], 0, "{s}");
    }
    // The forger's replies are all rejected and counted.
    assert_eq!(src(5)["key"]["authentic"], 0, "{s}");
    assert!(src(5)["key"]["rejected"].as_u64().unwrap() >= 4, "{s}");
    assert_eq!(src(5)["reach"], 0, "{s}");
    assert_ne!(src(6)["reach"], 0, "{s}");
    assert!(src(6)["key"].is_null(), "{s}");
}

/// `chronyc ntpdata ADDRESS` of the chronyd client `name`, as
/// `(authenticated, total valid RX, total TX, the whole text)`.
fn ntpdata(lab: &Lab, name: &str, address: &str) -> (bool, u64, u64, String) {
    let socket = lab.path(&format!("{name}.sock"));
    let out = lab.run(1, "chronyc", &["-h", &socket, "-n", "ntpdata", address]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let auth = field("Authenticated") == "Yes";
    let valid = field("Total valid RX").parse().unwrap_or(0);
    let tx = field("Total TX").parse().unwrap_or(0);
    (auth, valid, tx, text)
}

fn authdata(lab: &Lab, name: &str) -> String {
    let socket = lab.path(&format!("{name}.sock"));
    let out = lab.run(1, "chronyc", &["-h", &socket, "-n", "authdata"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn chronyd_keyed_client_against_tempora_server() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nK", 2);
    let keys = key_file(
        &lab,
        "tempora.keys",
        &format!("1 AES128 {AES128}\n3 SHA1 {SHA1}\n5 AES128 {AES128}\n"),
    );
    lab.tempora(
        "server",
        0,
        &format!(
            "[clock]\nkind = \"virtual\"\n\n[ntp-server]\nlisten = [\"0.0.0.0:123\", \"[::]:123\"]\n\
             local-stratum = 1\nkey-file = \"{keys}\"\nlegacy-sha1 = true\n"
        ),
    );
    // The right keys: AES128 over IPv4, SHA1 over IPv6.
    let chrony_keys = key_file(
        &lab,
        "chrony.keys",
        &format!("1 AES128 {AES128}\n3 SHA1 {SHA1}\n5 AES128 {OTHER}\n7 AES128 {AES128}\n"),
    );
    lab.chronyd(
        "good",
        1,
        &format!(
            "keyfile {chrony_keys}\nserver 10.79.0.1 key 1 iburst minpoll 0 maxpoll 0\n\
             server fd79:0::1 key 3 iburst minpoll 0 maxpoll 0\n"
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let v4 = ntpdata(&lab, "good", "10.79.0.1");
        let v6 = ntpdata(&lab, "good", "fd79:0::1");
        if v4.0 && v6.0 && v4.1 >= 4 && v6.1 >= 4 {
            eprintln!("chronyc ntpdata 10.79.0.1:\n{}", v4.3);
            eprintln!("chronyc authdata:\n{}", authdata(&lab, "good"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chronyd did not accept authenticated replies:\n{}\n{}\n{}",
            v4.3,
            v6.3,
            authdata(&lab, "good")
        );
    }
    let s = lab.status("server").expect("no status from the server");
    let keyed = s["ntp_server"]["keyed_replies"].as_u64().unwrap();
    assert!(keyed >= 8, "{}", s["ntp_server"]);
    assert_eq!(s["ntp_server"]["key_rejected"], 0, "{}", s["ntp_server"]);
    lab.kill("good");

    // ntpdig (ntpsec) with the AES128 and SHA1 keys, in its own key-file
    // format; with key 5 (another secret) it gets no reply.
    let ntp_keys = key_file(
        &lab,
        "ntpdig.keys",
        &format!(
            "1 AES128CMAC {}\n3 SHA1 {}\n5 AES128CMAC {}\n",
            &AES128[4..],
            &SHA1[4..],
            &OTHER[4..]
        ),
    );
    for (key, address) in [("1", "10.79.0.1"), ("3", "fd79:0::1")] {
        let out = lab.run(
            1,
            "ntpdig",
            &["-j", "-t", "2", "-a", key, "-k", &ntp_keys, address],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let err = String::from_utf8_lossy(&out.stderr);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap_or(""))
            .unwrap_or_else(|e| panic!("ntpdig -a {key}: {e}: {text} {err}"));
        eprintln!("ntpdig -a {key} {address}: {v}");
        assert_eq!(v["stratum"], 1, "{v}");
    }
    let out = lab.run(
        1,
        "ntpdig",
        &["-j", "-t", "1", "-a", "5", "-k", &ntp_keys, "10.79.0.1"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("\"stratum\""),
        "ntpdig with a wrong key: {text}"
    );
    assert!(!out.status.success());
    let s = lab.status("server").expect("no status from the server");
    let keyed = s["ntp_server"]["keyed_replies"].as_u64().unwrap();
    let rejected = s["ntp_server"]["key_rejected"].as_u64().unwrap();
    assert!(rejected >= 1, "{}", s["ntp_server"]);

    // Key 5 with another secret, key 7 the server does not have: nothing
    // comes back, and the server counts what it dropped.
    lab.chronyd(
        "wrong",
        1,
        &format!(
            "keyfile {chrony_keys}\nserver 10.79.0.1 key 5 iburst minpoll 0 maxpoll 0\n\
             server fd79:0::1 key 7 iburst minpoll 0 maxpoll 0\n"
        ),
    );
    let (s, _) = lab.wait_status("server", Duration::from_secs(30), |s| {
        s["ntp_server"]["key_rejected"].as_u64().unwrap_or(0) >= rejected + 8
    });
    let s = s.expect("no status from the server");
    eprintln!("server counters: {}", s["ntp_server"]);
    assert!(
        s["ntp_server"]["key_rejected"].as_u64().unwrap() >= rejected + 8,
        "{}",
        s["ntp_server"]
    );
    assert_eq!(s["ntp_server"]["keyed_replies"].as_u64().unwrap(), keyed);
    for address in ["10.79.0.1", "fd79:0::1"] {
        let (auth, valid, tx, text) = ntpdata(&lab, "wrong", address);
        eprintln!("wrong key, {address}: sent {tx}, valid replies {valid}");
        assert!(tx >= 4, "{text}");
        assert_eq!((auth, valid), (false, 0), "{text}");
    }
}
