//! NTPv5 interop (issue 17) with ntpd-rs 1.9 from crates.io, which speaks
//! draft-ietf-ntp-ntpv5-08: its client (`ntp-version = 5` and `"auto"`)
//! against Tempora's server, and Tempora's client (`version = 5` and
//! `"auto"`) against its server, in two network namespaces. Tempora runs
//! on its virtual clock; ntpd-rs runs without CAP_SYS_TIME and with the
//! noadj shim, so neither touches the system clock, and both read it: the
//! offsets must be near zero.
//!
//! ntpd-rs is judged by its observation socket (a JSON document after an
//! 8-octet length: sources with offsets and unanswered polls, servers with
//! packet counters) and, for the protocol version it uses, by its debug
//! log (the observation socket does not show the version: each source
//! update logs `protocol_version: V5`); Tempora by `tempora status --json`.
//!
//! Needs root and `ntpd-1.9.0` in the peers' directory (common::peer_bin);
//! skipped without them, except under CI=true.

mod common;

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Lab, in_ci, is_root, peer_bin};

/// ntpd-rs 1.9's daemon, if here.
fn ntpd_rs() -> Option<PathBuf> {
    peer_bin("ntpd-1.9.0", "ntp-daemon")
}

/// A Tempora NTP server on a virtual clock (over the system clock), stratum
/// 1, answering NTPv4 and NTPv5.
const TEMPORA_SERVER: &str = "[clock]\nkind = \"virtual\"\n\n\
    [ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 1\nversions = [4, 5]\n";

/// ntpd-rs as an NTS-KE (10.79.0.1:4460, NTPv4 and draft NTPv5) and NTP
/// server (versions 3 to 5, `local-stratum = 1`) in namespace 0, with the
/// lab's certificate `cert` and key `key`.
fn ntpd_rs_nts_server(lab: &mut Lab, daemon: &std::path::Path, cert: &str, key: &str) {
    lab.ntpd_rs(
        "server",
        0,
        daemon,
        &format!(
            "[[server]]\nlisten = \"0.0.0.0:123\"\naccept-ntp-versions = [3, 4, 5]\n\n\
             [[nts-ke-server]]\nlisten = \"10.79.0.1:4460\"\ncertificate-chain-path = \"{cert}\"\n\
             private-key-path = \"{key}\"\naccept-ntp-versions = [4, 5]\n\n\
             [synchronization]\nlocal-stratum = 1\n"
        ),
    );
}

/// What ntpd-rs's observation socket `path` says (None until it answers).
fn observe(path: &str) -> Option<serde_json::Value> {
    let mut stream = UnixStream::connect(path).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut data = Vec::new();
    stream.read_to_end(&mut data).ok()?;
    let len = u64::from_be_bytes(data.get(..8)?.try_into().ok()?) as usize;
    serde_json::from_slice(data.get(8..8 + len)?).ok()
}

/// ntpd-rs's source updates in its log that carry a measurement from an
/// NTPv5 exchange (`protocol_version: V5` with a Kalman message), and all
/// updates that carry one.
fn ntpd_rs_measurements(log: &str) -> (usize, usize) {
    let measured: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("updating source") && l.contains("message: Some("))
        .collect();
    let v5 = measured
        .iter()
        .filter(|l| l.contains("protocol_version: V5"))
        .count();
    (v5, measured.len())
}

/// The ntpd-rs client config: one source, polled every second, one source
/// enough to synchronise.
fn ntpd_rs_client(version: &str) -> String {
    format!(
        "[source-defaults]\npoll-interval-limits = {{ min = 0, max = 0 }}\ninitial-poll-interval = 0\n\n\
         [[source]]\nmode = \"server\"\naddress = \"10.79.0.1:123\"\nntp-version = {version}\n\n\
         [synchronization]\nminimum-agreeing-sources = 1\n"
    )
}

/// ntpd-rs (client, `ntp-version = version`) against a Tempora server:
/// ntpd-rs measures over NTPv5 and assembles our Bloom filter (32 polls of
/// 16 octets), its offset is sane, and the server counted NTPv5 replies.
fn ntpd_rs_client_against_tempora(tag: &str, version: &str) {
    let Some(daemon) = ntpd_rs() else { return };
    let mut lab = Lab::chain(tag, 2);
    lab.tempora("server", 0, TEMPORA_SERVER);
    std::thread::sleep(Duration::from_secs(2));
    lab.ntpd_rs("client", 1, &daemon, &ntpd_rs_client(version));
    let obs = lab.path("client.obs");
    let deadline = Instant::now() + Duration::from_secs(70);
    let (o, v5, all) = loop {
        std::thread::sleep(Duration::from_secs(2));
        let o = observe(&obs);
        let log = lab.output("client");
        let (v5, all) = ntpd_rs_measurements(&log);
        // ntpd-rs asks for 16 octets of the filter per poll: it has all
        // 512 after 32 NTPv5 polls.
        if (v5 >= 10 && log.contains("bloom_filter: Some(")) || Instant::now() > deadline {
            break (o, v5, all);
        }
    };
    let o = o.expect("no answer on ntpd-rs's observation socket");
    let source = &o["sources"][0];
    let s = lab.status("server").expect("no status from the server");
    eprintln!(
        "ntpd-rs {version} client: {v5} of {all} measurements over NTPv5; source {source}; \
         system {}; server counters {}",
        o["system"], s["ntp_server"]
    );
    assert!(
        v5 >= 10,
        "ntpd-rs measured {v5} times over NTPv5 ({all} in all)"
    );
    let offset = source["offset"].as_f64().expect("no offset");
    assert!(offset.abs() < 1e-3, "offset {offset}: {source}");
    assert_eq!(source["unanswered_polls"], 0, "{source}");
    assert_eq!(o["system"]["stratum"], 2, "{}", o["system"]);
    // ntpd-rs fetched our Bloom filter (chunk by chunk) and took it.
    let log = lab.output("client");
    assert!(
        log.contains("bloom_filter: Some("),
        "ntpd-rs has no Bloom filter of ours"
    );
    assert!(
        !log.contains("Invalid ReferenceIdResponse"),
        "ntpd-rs refused a chunk"
    );
    assert!(
        s["ntp_server"]["v5_replied"].as_u64().unwrap_or(0) >= 10,
        "{}",
        s["ntp_server"]
    );
    if version == "\"auto\"" {
        assert!(
            lab.output("client")
                .contains("Received a valid upgrade response, switching to NTPv5"),
            "ntpd-rs did not upgrade"
        );
        assert!(
            s["ntp_server"]["upgrade_replied"].as_u64().unwrap_or(0) >= 1,
            "{}",
            s["ntp_server"]
        );
    }
}

#[test]
fn ntpd_rs_v5_client_against_tempora_server() {
    ntpd_rs_client_against_tempora("v5a", "5");
}

#[test]
fn ntpd_rs_auto_client_against_tempora_server() {
    ntpd_rs_client_against_tempora("v5b", "\"auto\"");
}

/// A Tempora client (`version`) against an ntpd-rs server (stratum 1,
/// answering versions 3 to 5): the source negotiates NTPv5, is reached and
/// selected, and the virtual clock stays within 1 ms of the system clock;
/// ntpd-rs's server counts the requests it accepted.
fn tempora_client_against_ntpd_rs(tag: &str, version: &str) {
    let Some(daemon) = ntpd_rs() else { return };
    let mut lab = Lab::chain(tag, 2);
    lab.ntpd_rs(
        "server",
        0,
        &daemon,
        "[[server]]\nlisten = \"0.0.0.0:123\"\naccept-ntp-versions = [3, 4, 5]\n\n\
         [synchronization]\nlocal-stratum = 1\n",
    );
    std::thread::sleep(Duration::from_secs(2));
    lab.tempora(
        "client",
        1,
        &format!(
            "[[ntp-source]]\naddress = \"10.79.0.1\"\nminpoll = 0\nmaxpoll = 0\nversion = {version}\n\n\
             [clock]\nkind = \"virtual\"\ninitial-offset = \"2ms\"\n"
        ),
    );
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        let src = &s["ntp_sources"][0];
        src["ntp_version"] == 5 && src["reach"] == 255 && src["system_peer"] == true
    });
    let s = s.expect("no status from the client");
    std::thread::sleep(Duration::from_secs(5));
    let s = lab.status("client").unwrap_or(s);
    let src = &s["ntp_sources"][0];
    let o = observe(&lab.path("server.obs")).expect("no answer on ntpd-rs's observation socket");
    let stats = &o["servers"][0]["stats"];
    eprintln!(
        "tempora {version} client after {took:?}: source {src}; error_vs_system_ns {}; \
         ntpd-rs server stats {stats}",
        s["error_vs_system_ns"]
    );
    assert_eq!(src["ntp_version"], 5, "{src}");
    assert_all_answered(src);
    assert_eq!(src["system_peer"], true, "{src}");
    assert_eq!(src["timing_loop"], false, "{src}");
    assert!(
        src["draft"].as_str().is_some_and(|d| d.ends_with("-08")),
        "{src}"
    );
    assert!(src["offset_ns"].as_f64().unwrap().abs() < 1e6, "{src}");
    assert!(s["error_vs_system_ns"].as_f64().unwrap().abs() < 1e6, "{s}");
    assert!(stats["accepted_packets"].as_u64().unwrap() >= 8, "{stats}");
}

#[test]
fn tempora_v5_client_against_ntpd_rs_server() {
    tempora_client_against_ntpd_rs("v5c", "5");
}

#[test]
fn tempora_auto_client_against_ntpd_rs_server() {
    tempora_client_against_ntpd_rs("v5d", "\"auto\"");
}

/// A timing loop between two Tempora daemons speaking NTPv5: S (local
/// stratum 1) polls C, and C polls S (C serves with `local-stratum = 2`:
/// a Tempora server synchronised by NTP alone serves stratum 16 without
/// it). Each serves a Bloom filter holding its own reference id and the
/// filter of the source it follows; whichever first finds its own id in
/// the other's filter marks the other a timing loop and stops following
/// it (which one wins the race varies from run to run). From then on they
/// never follow each other.
#[test]
fn tempora_detects_a_timing_loop() {
    if !is_root() {
        assert!(!in_ci(), "the timing-loop test needs root");
        eprintln!("skipped: needs root");
        return;
    }
    let mut lab = Lab::chain("v5l", 2);
    let source = |addr: &str| {
        format!("[[ntp-source]]\naddress = \"{addr}\"\nminpoll = 0\nmaxpoll = 0\nversion = 5\n\n")
    };
    lab.tempora("s", 0, &format!("{}{TEMPORA_SERVER}", source("10.79.0.2")));
    lab.tempora(
        "c",
        1,
        &format!(
            "{}[clock]\nkind = \"virtual\"\n\n[ntp-server]\nlisten = [\"0.0.0.0:123\"]\n\
             local-stratum = 2\nversions = [4, 5]\n",
            source("10.79.0.1")
        ),
    );
    let marked = |s: &serde_json::Value| s["ntp_sources"][0]["timing_loop"] == true;
    let start = Instant::now();
    let (name, status) = loop {
        std::thread::sleep(Duration::from_secs(1));
        let found = ["s", "c"]
            .into_iter()
            .find_map(|n| lab.status(n).filter(marked).map(|s| (n, s)));
        if let Some(f) = found {
            break f;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no timing loop found: S {:?}, C {:?}",
            lab.status("s").map(|s| s["ntp_sources"][0].clone()),
            lab.status("c").map(|s| s["ntp_sources"][0].clone())
        );
    };
    let looped = &status["ntp_sources"][0];
    eprintln!(
        "{name} marked its source a timing loop after {:?}: {looped}",
        start.elapsed()
    );
    assert_eq!(looped["selection"], "timing-loop", "{looped}");
    assert_eq!(looped["system_peer"], false, "{looped}");
    assert!(
        status["sources"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["selection"] == "timing-loop")),
        "{}",
        status["sources"]
    );
    // Never mutual: over 20 s, S and C do not both follow each other.
    for _ in 0..20 {
        std::thread::sleep(Duration::from_secs(1));
        let (Some(s), Some(c)) = (lab.status("s"), lab.status("c")) else {
            panic!("a daemon is down");
        };
        let (sc, cs) = (&s["ntp_sources"][0], &c["ntp_sources"][0]);
        assert!(
            !(sc["system_peer"] == true && cs["system_peer"] == true),
            "S and C follow each other: {sc} {cs}"
        );
        assert_eq!(cs["ntp_version"], 5, "{cs}");
    }
    let (s, c) = (lab.status("s").unwrap(), lab.status("c").unwrap());
    eprintln!(
        "at the end: S's view of C {}; C's view of S {}",
        s["ntp_sources"][0], c["ntp_sources"][0]
    );
    assert!(marked(&s) || marked(&c), "the loop is no longer seen");
}

/// `version = "auto"` against a server without NTPv5 (chronyd, `-x`): the
/// upgrade signal is not echoed, the source stays on NTPv4 and is used as
/// any NTPv4 source; chronyd's replies are all accepted.
#[test]
fn tempora_auto_client_stays_v4_with_chronyd() {
    if !common::ntp_available() {
        return;
    }
    let mut lab = Lab::chain("v5n", 2);
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    lab.tempora(
        "client",
        1,
        "[[ntp-source]]\naddress = \"10.79.0.1\"\nminpoll = 0\nmaxpoll = 0\nversion = \"auto\"\n\n\
         [clock]\nkind = \"virtual\"\ninitial-offset = \"2ms\"\n",
    );
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        let src = &s["ntp_sources"][0];
        src["reach"] == 255 && src["system_peer"] == true
    });
    let s = s.expect("no status from the client");
    let src = &s["ntp_sources"][0];
    eprintln!("tempora \"auto\" client of chronyd after {took:?}: {src}");
    assert_all_answered(src);
    assert_eq!(src["ntp_version"], 4, "{src}");
    assert_eq!(src["version_setting"], "auto", "{src}");
    assert!(src.get("draft").is_none(), "{src}");
    assert!(src["offset_ns"].as_f64().unwrap().abs() < 1e6, "{src}");
}

/// NTS with NTPv5 (RFC 8915 over the draft; keys from NTS-KE under next
/// protocol 0x8001, as ntpd-rs 1.9 negotiates them): the Tempora server of
/// [`TEMPORA_SERVER`] with an NTS-KE server on 10.79.0.1:4460, the lab's
/// test PKI and a cookie key file.
fn tempora_nts_v5_server(lab: &mut Lab) {
    let (_, cert, key) = lab.pki("10.79.0.1");
    let keys = lab.path("nts-keys");
    lab.tempora(
        "server",
        0,
        &format!(
            "{TEMPORA_SERVER}\n[nts-ke-server]\nlisten = [\"10.79.0.1:4460\"]\n\
             certificate-chain = \"{cert}\"\nprivate-key = \"{key}\"\nkey-file = \"{keys}\"\n"
        ),
    );
}

/// ntpd-rs 1.9 as NTS client (`ntp-version = version`) of Tempora's
/// NTS-KE and NTP server (`versions = [4, 5]`): its key exchange agrees on
/// draft NTPv5 (for "auto" too: it offers 0x8001 first), its NTS-protected
/// NTPv5 requests get protected replies (it measures over NTPv5 only,
/// keeps a full cookie stash, polls stay answered), and Tempora's server
/// counts NTS NTPv5 replies.
fn ntpd_rs_nts_client_against_tempora(tag: &str, version: &str) {
    let Some(daemon) = ntpd_rs() else { return };
    let mut lab = Lab::chain(tag, 2);
    tempora_nts_v5_server(&mut lab);
    std::thread::sleep(Duration::from_secs(2));
    let ca = lab.path("ca.pem");
    lab.ntpd_rs(
        "client",
        1,
        &daemon,
        &format!(
            "[source-defaults]\npoll-interval-limits = {{ min = 0, max = 0 }}\ninitial-poll-interval = 0\n\n\
             [[source]]\nmode = \"nts\"\naddress = \"10.79.0.1:4460\"\ncertificate-authority = \"{ca}\"\n\
             ntp-version = {version}\n\n[synchronization]\nminimum-agreeing-sources = 1\n"
        ),
    );
    let obs = lab.path("client.obs");
    let deadline = Instant::now() + Duration::from_secs(60);
    let (o, v5, all) = loop {
        std::thread::sleep(Duration::from_secs(2));
        let o = observe(&obs);
        let (v5, all) = ntpd_rs_measurements(&lab.output("client"));
        if v5 >= 10 || Instant::now() > deadline {
            break (o, v5, all);
        }
    };
    let o = o.expect("no answer on ntpd-rs's observation socket");
    let source = &o["sources"][0];
    let s = lab.status("server").expect("no status from the server");
    eprintln!(
        "ntpd-rs NTS {version} client: {v5} of {all} measurements over NTPv5; source {source}; \
         system {}; server counters {}; NTS-KE {}",
        o["system"], s["ntp_server"], s["nts_ke"]
    );
    assert!(
        v5 >= 10,
        "ntpd-rs measured {v5} times over NTPv5 ({all} in all)"
    );
    let offset = source["offset"].as_f64().expect("no offset");
    assert!(offset.abs() < 1e-3, "offset {offset}: {source}");
    assert_eq!(source["unanswered_polls"], 0, "{source}");
    // Each reply brings back the cookie spent: the stash stays full.
    assert!(source["nts_cookies"].as_u64().unwrap_or(0) >= 7, "{source}");
    let served = &s["ntp_server"];
    assert!(
        served["nts_replies"].as_u64().unwrap_or(0) >= 10,
        "{served}"
    );
    assert!(served["v5_replied"].as_u64().unwrap_or(0) >= 10, "{served}");
    assert!(
        !lab.output("client").contains("protocol_version: V4"),
        "ntpd-rs used NTPv4"
    );
}

#[test]
fn ntpd_rs_nts_v5_client_against_tempora_server() {
    ntpd_rs_nts_client_against_tempora("v5s", "5");
}

#[test]
fn ntpd_rs_nts_auto_client_against_tempora_server() {
    ntpd_rs_nts_client_against_tempora("v5r", "\"auto\"");
}

/// Tempora as NTS client (`nts = true`, `version`) of ntpd-rs 1.9's NTS-KE
/// server (`accept-ntp-versions = [4, 5]`) and NTP server: key
/// establishment agrees on draft NTPv5, the source speaks NTPv5, is
/// reached and selected with no reply refused and a full cookie stash, the
/// virtual clock stays within 1 ms of the system clock, and ntpd-rs counts
/// the NTS packets it accepted.
fn tempora_nts_client_against_ntpd_rs(tag: &str, version: &str) {
    let Some(daemon) = ntpd_rs() else { return };
    let mut lab = Lab::chain(tag, 2);
    let (ca, cert, key) = lab.pki("10.79.0.1");
    ntpd_rs_nts_server(&mut lab, &daemon, &cert, &key);
    std::thread::sleep(Duration::from_secs(2));
    lab.tempora(
        "client",
        1,
        &format!(
            "[[ntp-source]]\naddress = \"10.79.0.1\"\nnts = true\nminpoll = 0\nmaxpoll = 0\n\
             version = {version}\n\n[ntp-client]\nnts-ca-file = \"{ca}\"\n\n\
             [clock]\nkind = \"virtual\"\ninitial-offset = \"2ms\"\n"
        ),
    );
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        let src = &s["ntp_sources"][0];
        src["ntp_version"] == 5 && src["reach"] == 255 && src["system_peer"] == true
    });
    let s = s.expect("no status from the client");
    std::thread::sleep(Duration::from_secs(5));
    let s = lab.status("client").unwrap_or(s);
    let src = &s["ntp_sources"][0];
    let o = observe(&lab.path("server.obs")).expect("no answer on ntpd-rs's observation socket");
    let stats = &o["servers"][0]["stats"];
    eprintln!(
        "tempora NTS {version} client after {took:?}: source {src}; error_vs_system_ns {}; \
         ntpd-rs server stats {stats}",
        s["error_vs_system_ns"]
    );
    assert_eq!(src["ntp_version"], 5, "{src}");
    assert_all_answered(src);
    assert_eq!(src["system_peer"], true, "{src}");
    let nts = &src["nts"];
    assert!(nts["key_exchanges"].as_u64().unwrap_or(0) >= 1, "{nts}");
    assert_eq!(nts["rejected"], 0, "{nts}");
    assert_eq!(nts["naks"], 0, "{nts}");
    assert!(nts["cookies"].as_u64().unwrap_or(0) >= 7, "{nts}");
    assert!(s["error_vs_system_ns"].as_f64().unwrap().abs() < 1e6, "{s}");
    assert!(
        stats["nts_accepted_packets"].as_u64().unwrap() >= 8,
        "{stats}"
    );
    assert_eq!(stats["nts_nak_packets"], 0, "{stats}");
}

#[test]
fn tempora_nts_v5_client_against_ntpd_rs_server() {
    tempora_nts_client_against_ntpd_rs("v5o", "5");
}

#[test]
fn tempora_nts_auto_client_against_ntpd_rs_server() {
    tempora_nts_client_against_ntpd_rs("v5p", "\"auto\"");
}

/// Two Tempora daemons, NTS with NTPv5 both ways: the client (`version =
/// "auto"`, NTS-KE offering draft NTPv5 first) speaks NTPv5 with the
/// server's NTS-KE and NTP server, and no reply is refused.
#[test]
fn tempora_nts_v5_between_tempora_daemons() {
    if !is_root() {
        assert!(!in_ci(), "this test needs root");
        eprintln!("skipped: needs root");
        return;
    }
    let mut lab = Lab::chain("v5q", 2);
    tempora_nts_v5_server(&mut lab);
    let ca = lab.path("ca.pem");
    lab.tempora(
        "client",
        1,
        &format!(
            "[[ntp-source]]\naddress = \"10.79.0.1\"\nnts = true\nminpoll = 0\nmaxpoll = 0\n\
             version = \"auto\"\n\n[ntp-client]\nnts-ca-file = \"{ca}\"\n\n\
             [clock]\nkind = \"virtual\"\n"
        ),
    );
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        let src = &s["ntp_sources"][0];
        src["ntp_version"] == 5 && src["reach"] == 255 && src["system_peer"] == true
    });
    let s = s.expect("no status from the client");
    let src = &s["ntp_sources"][0];
    let server = lab.status("server").expect("no status from the server");
    eprintln!(
        "tempora NTS auto client of tempora after {took:?}: source {src}; server {}",
        server["ntp_server"]
    );
    assert_eq!(src["ntp_version"], 5, "{src}");
    assert_eq!(src["nts"]["rejected"], 0, "{src}");
    assert!(
        server["ntp_server"]["nts_replies"].as_u64().unwrap_or(0) >= 8,
        "{}",
        server["ntp_server"]
    );
    assert!(
        server["ntp_server"]["v5_replied"].as_u64().unwrap_or(0) >= 8,
        "{}",
        server["ntp_server"]
    );
}

/// The seven polls before the last all answered: the status may be read
/// while the last request is in flight, its bit of `reach` not yet set
/// (`wait_status` saw 255 before this).
fn assert_all_answered(src: &serde_json::Value) {
    let reach = src["reach"].as_u64().unwrap_or(0);
    assert_eq!(reach | 1, 255, "{src}");
}

/// `tempora query --ntpv5` (draft -08) against an ntpd-rs server and a
/// Tempora server in one lab (ntpd-rs in one namespace, Tempora in the
/// other, each asked from the other's): both answer over NTPv5 in UTC, at
/// stratum 1, within 1 ms of the system clock; a query in TAI of the
/// Tempora server is answered in TAI. A server not there gives exit
/// status 1.
#[test]
fn tempora_query_ntpv5_against_ntpd_rs_and_tempora() {
    let Some(daemon) = ntpd_rs() else { return };
    let mut lab = Lab::chain("v5q", 2);
    lab.ntpd_rs(
        "server",
        0,
        &daemon,
        "[[server]]\nlisten = \"0.0.0.0:123\"\naccept-ntp-versions = [3, 4, 5]\n\n\
         [synchronization]\nlocal-stratum = 1\n",
    );
    lab.tempora("tempora", 1, TEMPORA_SERVER);
    std::thread::sleep(Duration::from_secs(2));
    let query = |ns: usize, args: &[&str]| {
        let mut all = vec!["query", "--json", "--ntpv5"];
        all.extend_from_slice(args);
        let out = lab.run(ns, env!("CARGO_BIN_EXE_tempora"), &all);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        (out.status.code(), v)
    };
    let (code, v) = query(1, &["10.79.0.1", "--draft", "8"]);
    eprintln!("ntpd-rs: {v}");
    let (code2, w) = query(0, &["10.79.0.2", "--timescale", "tai"]);
    eprintln!("tempora, TAI: {w}");
    for (code, r, timescale) in [(code, &v[0], "UTC"), (code2, &w[0], "TAI")] {
        assert_eq!(code, Some(0), "{r}");
        assert_eq!(r["version"], 5, "{r}");
        assert_eq!(r["draft"], "draft-ietf-ntp-ntpv5-08", "{r}");
        assert_eq!(r["stratum"], 1, "{r}");
        assert_eq!(r["timescale"], timescale, "{r}");
        let offset = r["offset_s"].as_f64().unwrap();
        let expected = if timescale == "TAI" { 37.0 } else { 0.0 };
        assert!((offset - expected).abs() < 1e-3, "{r}");
    }
    let (code, v) = query(1, &["10.79.0.9", "--timeout", "0.5"]);
    assert_eq!(code, Some(1), "{v}");
    assert!(
        v[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("no reply")),
        "{v}"
    );
}

/// `tempora query --ntpv5 --nts`: key establishment for draft NTPv5 (next
/// protocol 0x8001), then one NTS-protected NTPv5 exchange, against
/// ntpd-rs 1.9's NTS-KE and NTP server and against Tempora's; both answer
/// authenticated, in NTPv5, within 1 ms of the system clock.
#[test]
fn tempora_query_ntpv5_nts_against_ntpd_rs_and_tempora() {
    let Some(daemon) = ntpd_rs() else { return };
    let mut lab = Lab::chain("v5qn", 2);
    // One certificate for both servers' addresses.
    let (ca, cert, key) = lab.pki("10.79.0.1,IP:10.79.0.2");
    ntpd_rs_nts_server(&mut lab, &daemon, &cert, &key);
    let keys = lab.path("nts-keys");
    lab.tempora(
        "tempora",
        1,
        &format!(
            "{TEMPORA_SERVER}\n[nts-ke-server]\nlisten = [\"10.79.0.2:4460\"]\n\
             certificate-chain = \"{cert}\"\nprivate-key = \"{key}\"\nkey-file = \"{keys}\"\n"
        ),
    );
    std::thread::sleep(Duration::from_secs(2));
    for (ns, server) in [(1, "10.79.0.1"), (0, "10.79.0.2")] {
        let args = [
            "query",
            "--json",
            "--ntpv5",
            "--nts",
            "--ca-file",
            &ca,
            server,
        ];
        let out = lab.run(ns, env!("CARGO_BIN_EXE_tempora"), &args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        eprintln!("NTS NTPv5 query of {server}: {v}");
        let r = &v[0];
        assert_eq!(out.status.code(), Some(0), "{v}");
        assert_eq!(r["nts"], true, "{r}");
        assert_eq!(r["version"], 5, "{r}");
        assert_eq!(r["stratum"], 1, "{r}");
        assert!(r["offset_s"].as_f64().unwrap().abs() < 1e-3, "{r}");
    }
    // The CA that did not sign the certificate: no key exchange.
    let other = lab.file("other-ca.pem", "");
    let out = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &[
            "query",
            "--ntpv5",
            "--nts",
            "--ca-file",
            &other.display().to_string(),
            "10.79.0.1",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

/// NTPv5 on the NTP server's worker threads (`workers = 2`): an NTPv5
/// query in UTC, one in TAI (the workers' snapshot carries TAI − UTC) and
/// one over NTS are answered as the timing loop answers them, and the
/// server's counters (summed over the workers) count them.
#[test]
fn tempora_server_workers_answer_ntpv5_in_tai_and_over_nts() {
    if !is_root() {
        assert!(!in_ci(), "this test needs root");
        eprintln!("skipped: needs root");
        return;
    }
    let mut lab = Lab::chain("v5w", 2);
    let (ca, cert, key) = lab.pki("10.79.0.1");
    let keys = lab.path("nts-keys");
    lab.tempora(
        "server",
        0,
        &format!(
            "{TEMPORA_SERVER}workers = 2\n\n[nts-ke-server]\nlisten = [\"10.79.0.1:4460\"]\n\
             certificate-chain = \"{cert}\"\nprivate-key = \"{key}\"\nkey-file = \"{keys}\"\n"
        ),
    );
    std::thread::sleep(Duration::from_secs(2));
    for (args, timescale, expected) in [
        (vec!["10.79.0.1"], "UTC", 0.0),
        (vec!["--timescale", "tai", "10.79.0.1"], "TAI", 37.0),
        (vec!["--nts", "--ca-file", &ca, "10.79.0.1"], "UTC", 0.0),
    ] {
        let mut all = vec!["query", "--json", "--ntpv5"];
        all.extend(args.iter().copied());
        let out = lab.run(1, env!("CARGO_BIN_EXE_tempora"), &all);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        eprintln!("{args:?} against 2 workers: {v}");
        let r = &v[0];
        assert_eq!(out.status.code(), Some(0), "{v}");
        assert_eq!(r["version"], 5, "{r}");
        assert_eq!(r["timescale"], timescale, "{r}");
        let offset = r["offset_s"].as_f64().unwrap();
        assert!((offset - expected).abs() < 1e-3, "{r}");
    }
    let s = lab.status("server").expect("server status");
    let served = &s["ntp_server"];
    eprintln!("server counters: {served}");
    assert!(served["v5_replied"].as_u64().unwrap_or(0) >= 3, "{served}");
    assert!(served["nts_replies"].as_u64().unwrap_or(0) >= 1, "{served}");
}
