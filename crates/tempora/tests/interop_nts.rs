//! NTS interop (issue #7): `tempora query --nts` against chronyd as an NTS
//! server (`ntsserverkey`, `ntsservercert`, `local stratum 1`, `-x`) in a
//! network namespace, with a test CA made by openssl.
//!
//! Needs root, chrony and openssl; skipped without them, except under
//! CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, ntp_available};

/// `tempora query --nts --json` of `server` from namespace 1, retried
/// while chronyd starts.
fn nts_query(lab: &Lab, server: &str, ca: Option<&str>) -> (bool, serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut args = vec!["query", "--json", "--timeout", "2", "--nts"];
        if let Some(ca) = ca {
            args.extend_from_slice(&["--ca-file", ca]);
        }
        args.push(server);
        let out = lab.run(1, env!("CARGO_BIN_EXE_tempora"), &args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let refused = v[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused"));
        if out.status.success() || Instant::now() > deadline || !refused {
            return (out.status.success(), v);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Issue #7 point 3: `tempora query --nts` runs NTS-KE with chronyd (TLS
/// 1.3, ALPN ntske/1, keys from the exporter) and an NTS-protected
/// exchange whose reply authenticates; without the test CA the
/// certificate is refused.
#[test]
fn tempora_query_nts_against_chronyd() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("ts", 2);
    let (ca, cert, key) = lab.pki("10.79.0.1");
    lab.chronyd(
        "server",
        0,
        &format!("local stratum 1\nallow all\nntsserverkey {key}\nntsservercert {cert}\n"),
    );
    let (ok, v) = nts_query(&lab, "10.79.0.1", Some(&ca));
    eprintln!("tempora query --nts: {v}");
    assert!(ok, "{v}");
    assert_eq!(v[0]["nts"], true, "{v}");
    // chronyd (GnuTLS) has no ML-KEM: the hybrid group falls back.
    assert!(
        v[0]["nts_tls_group"]
            .as_str()
            .is_some_and(|g| !g.is_empty()),
        "{v}"
    );
    assert_eq!(v[0]["stratum"], 1, "{v}");
    let offset = v[0]["offset_s"].as_f64().unwrap();
    assert!(offset.abs() < 1e-3, "{v}");
    // The same without the CA: the certificate is not trusted.
    let (ok, v) = nts_query(&lab, "10.79.0.1", None);
    eprintln!("without the CA: {v}");
    assert!(!ok, "{v}");
    let e = v[0]["error"].as_str().unwrap_or_default();
    assert!(
        e.contains("certificate") || e.contains("Certificate"),
        "{v}"
    );
}

/// The Tempora NTS server of these tests in namespace 0: NTS-KE on
/// 10.79.0.1:4460 with the lab's PKI and key file, the NTP server on port
/// 123, `extra` added to [ntp-server] and [nts-ke-server] as given.
fn tempora_nts_server(lab: &mut Lab, name: &str, server_extra: &str, ke_extra: &str) {
    let (cert, key) = (lab.path("server.pem"), lab.path("server.key"));
    let keys = lab.path("nts-keys");
    lab.tempora(
        name,
        0,
        &format!(
            "[clock]\nkind = \"virtual\"\n\n\
             [ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 1\n{server_extra}\n\
             [nts-ke-server]\nlisten = [\"10.79.0.1:4460\"]\ncertificate-chain = \"{cert}\"\n\
             private-key = \"{key}\"\nkey-file = \"{keys}\"\n{ke_extra}\n"
        ),
    );
}

/// A Tempora NTS client in namespace 1 of `server` (KE port 4460), polling
/// every second, on a virtual clock started `offset` off.
fn tempora_nts_client(lab: &mut Lab, name: &str, offset: &str) {
    let ca = lab.path("ca.pem");
    lab.tempora(
        name,
        1,
        &format!(
            "[[ntp-source]]\naddress = \"10.79.0.1\"\nnts = true\nminpoll = 0\nmaxpoll = 0\n\n\
             [ntp-client]\nnts-ca-file = \"{ca}\"\n\n\
             [clock]\nkind = \"virtual\"\ninitial-offset = \"{offset}\"\n"
        ),
    );
}

/// The NTS status of the first source of daemon `name`.
fn nts_of(s: &serde_json::Value) -> serde_json::Value {
    s["ntp_sources"][0]["nts"].clone()
}

/// Issue #7 point 5: chronyd as NTS client (`server ADDR nts`,
/// `ntstrustedcerts`) of Tempora's NTS-KE and NTP server with
/// `require-nts`: `chronyc authdata` shows NTS with cookies, the source is
/// selected, and a plain request gets no answer.
#[test]
fn chronyd_nts_client_against_tempora() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("tc", 2);
    let (ca, _, _) = lab.pki("10.79.0.1");
    tempora_nts_server(&mut lab, "server", "require-nts = true\n", "");
    lab.chronyd(
        "client",
        1,
        &format!("server 10.79.0.1 nts iburst minpoll 0 maxpoll 0\nntstrustedcerts {ca}\n"),
    );
    let socket = lab.path("client.sock");
    let chronyc = |lab: &Lab, args: &[&str]| -> String {
        let mut all = vec!["-h", &socket, "-n", "-c"];
        all.extend_from_slice(args);
        let out = lab.run(1, "chronyc", &all);
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let deadline = Instant::now() + Duration::from_secs(40);
    let (sources, auth) = loop {
        std::thread::sleep(Duration::from_secs(2));
        let sources = chronyc(&lab, &["sources"]);
        let auth = chronyc(&lab, &["authdata"]);
        if sources.lines().any(|l| l.starts_with("^,*,10.79.0.1,")) {
            break (sources, auth);
        }
        assert!(
            Instant::now() < deadline,
            "chronyd did not select the NTS server:\n{sources}\n{auth}"
        );
    };
    eprintln!("chronyc sources: {sources}");
    eprintln!("chronyc authdata: {auth}");
    // CSV: name,mode,keyid,type,klen,last,atmp,nak,cook,clen
    let line = auth
        .lines()
        .find(|l| l.starts_with("10.79.0.1,"))
        .unwrap_or_else(|| panic!("no authdata line: {auth}"));
    let f: Vec<&str> = line.split(',').collect();
    assert_eq!(f[1], "NTS", "{line}");
    assert_eq!(f[7], "0", "no NAK: {line}");
    assert!(f[8].parse::<u32>().unwrap() >= 1, "cookies: {line}");
    let s = lab.status("server").unwrap();
    eprintln!("server: {} {}", s["ntp_server"], s["nts_ke"]);
    assert!(s["nts_ke"]["completed"].as_u64().unwrap() >= 1, "{s}");
    assert!(s["ntp_server"]["nts_replies"].as_u64().unwrap() >= 3, "{s}");
    // A plain request is refused under require-nts.
    let out = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &["query", "--json", "--timeout", "1", "10.79.0.1"],
    );
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let s = lab.status("server").unwrap();
    assert!(
        s["ntp_server"]["nts_rejected"].as_u64().unwrap() >= 1,
        "{s}"
    );
}

/// Issue #7 point 5: a Tempora client (`nts = true`) against chronyd as
/// NTS server: authenticated, and synchronised from 10 ms off.
#[test]
fn tempora_nts_client_against_chronyd() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("tn", 2);
    let (_, cert, key) = lab.pki("10.79.0.1");
    lab.chronyd(
        "server",
        0,
        &format!("local stratum 1\nallow all\nntsserverkey {key}\nntsservercert {cert}\n"),
    );
    tempora_nts_client(&mut lab, "client", "10ms");
    let (s, took) = lab.wait_status("client", Duration::from_secs(60), |s| {
        s["uptime_s"].as_f64().unwrap_or(0.0) > 30.0
    });
    let s = s.expect("no status from the client");
    let nts = nts_of(&s);
    eprintln!(
        "after {took:?}: source {} error {}",
        s["ntp_sources"][0], s["error_vs_system_ns"]
    );
    assert!(nts["key_exchanges"].as_u64().unwrap() >= 1, "{s}");
    assert!(nts["cookies"].as_u64().unwrap() >= 1, "{s}");
    assert_eq!(nts["naks"], 0, "{s}");
    assert_eq!(s["ntp_sources"][0]["system_peer"], true, "{s}");
    let err = s["error_vs_system_ns"].as_f64().unwrap();
    assert!(err.abs() < 100_000.0, "not synchronised: {err} ns");
}

/// A UDP proxy (python3) on 10.79.0.1:11123 in namespace 0 that forwards
/// requests to the NTP server on port 123 and flips one bit of every
/// response, at a different place each time; it writes how many it
/// tampered with to `count`.
const PROXY: &str = r#"
import select, socket, sys
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("10.79.0.1", 11123))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("10.79.0.1", 0))
client, n = None, 0
while True:
    ready, _, _ = select.select([front, back], [], [])
    if front in ready:
        data, client = front.recvfrom(4096)
        back.sendto(data, ("10.79.0.1", 123))
    if back in ready:
        data, _ = back.recvfrom(4096)
        if client is None:
            continue
        b = bytearray(data)
        b[(n * 37) % len(b)] ^= 1 << (n % 8)
        n += 1
        front.sendto(bytes(b), client)
        with open(sys.argv[1], "w") as f:
            f.write(str(n))
"#;

/// Issue #7 point 5: every response tampered with on the way (one bit
/// flipped) is rejected and counted, and the clock is not moved: the
/// client's virtual clock, started 50 ms off, stays 50 ms off.
#[test]
fn tampered_responses_are_rejected() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("tp", 2);
    lab.pki("10.79.0.1");
    // NTS-KE sends clients to the proxy's port.
    tempora_nts_server(&mut lab, "server", "", "ntp-port = 11123\n");
    let script = lab.file("proxy.py", PROXY);
    let count = lab.path("tampered");
    lab.spawn(
        "proxy",
        0,
        "python3",
        &[&script.display().to_string(), &count],
    );
    tempora_nts_client(&mut lab, "client", "50ms");
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        nts_of(s)["rejected"].as_u64().unwrap_or(0) >= 10
    });
    let s = s.expect("no status from the client");
    let tampered: u64 = std::fs::read_to_string(&count)
        .unwrap_or_default()
        .trim()
        .parse()
        .unwrap_or(0);
    let nts = nts_of(&s);
    eprintln!(
        "after {took:?}: tampered {tampered}, client {nts}, measurements {}, error {}",
        s["measurements"], s["error_vs_system_ns"]
    );
    let rejected = nts["rejected"].as_u64().unwrap();
    assert!(rejected >= 10, "{s}");
    // Every tampered response is rejected (one may still be in flight).
    assert!(
        rejected + 1 >= tampered && rejected <= tampered,
        "{rejected} of {tampered}"
    );
    assert_eq!(s["measurements"], 0, "a tampered response was used: {s}");
    let err = s["error_vs_system_ns"].as_f64().unwrap();
    assert!((err - 50e6).abs() < 1e3, "the clock moved: {err} ns");
}

/// Issue #7 point 5: the Tempora server restarts with its key file; the
/// client's cookies from before are still accepted (no NAK, no new key
/// establishment, authentic samples after the restart).
#[test]
fn cookies_survive_a_server_restart() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("tr", 2);
    lab.pki("10.79.0.1");
    tempora_nts_server(&mut lab, "server", "", "");
    tempora_nts_client(&mut lab, "client", "0s");
    let (s, _) = lab.wait_status("client", Duration::from_secs(30), |s| {
        s["ntp_sources"][0]["reach"].as_u64().unwrap_or(0) >= 7
    });
    let before = s.expect("no status from the client");
    eprintln!("before the restart: {}", before["ntp_sources"][0]);
    assert_eq!(nts_of(&before)["key_exchanges"], 1, "{before}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(lab.path("nts-keys"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    lab.kill("server");
    tempora_nts_server(&mut lab, "server-again", "", "");
    let measured = before["measurements"].as_u64().unwrap_or(0);
    let (s, took) = lab.wait_status("client", Duration::from_secs(30), |s| {
        s["measurements"].as_u64().unwrap_or(0) >= measured + 8
    });
    let after = s.expect("no status from the client");
    eprintln!("after the restart ({took:?}): {}", after["ntp_sources"][0]);
    let nts = nts_of(&after);
    assert_eq!(nts["naks"], 0, "{after}");
    assert_eq!(nts["key_exchanges"], 1, "{after}");
    assert!(
        after["measurements"].as_u64().unwrap() >= measured + 8,
        "{after}"
    );
    let s = lab.status("server-again").unwrap();
    eprintln!("restarted server: {} {}", s["ntp_server"], s["nts_ke"]);
    assert_eq!(s["nts_ke"]["completed"], 0, "{s}");
    assert!(s["ntp_server"]["nts_replies"].as_u64().unwrap() >= 8, "{s}");
    // The control: restarted with new keys (the key file gone), the
    // server's NAK sends the client back to key establishment.
    lab.kill("server-again");
    std::fs::remove_file(lab.path("nts-keys")).unwrap();
    tempora_nts_server(&mut lab, "server-new-keys", "", "");
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        nts_of(s)["key_exchanges"].as_u64().unwrap_or(0) >= 2
            && s["ntp_sources"][0]["reach"].as_u64().unwrap_or(0) & 1 == 1
    });
    let s = s.expect("no status from the client");
    eprintln!("after new keys ({took:?}): {}", s["ntp_sources"][0]);
    let nts = nts_of(&s);
    assert!(nts["naks"].as_u64().unwrap() >= 1, "{s}");
    assert!(nts["key_exchanges"].as_u64().unwrap() >= 2, "{s}");
    let server = lab.status("server-new-keys").unwrap();
    assert!(
        server["ntp_server"]["nts_naks"].as_u64().unwrap() >= 1,
        "{server}"
    );
}
