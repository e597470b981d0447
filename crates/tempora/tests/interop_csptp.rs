//! Client-server PTP (issue 15), Tempora against Tempora in network
//! namespaces over veth with software timestamps:
//!
//! * a CSPTP client (virtual clock 3 ms and 30 ppm off) converges on a
//!   CSPTP server; both statuses show it; bad input from a raw UDP sender
//!   (truncated and oversized TLVs, a response to no request, a replayed
//!   response, one from the wrong server, and at the server a truncated,
//!   an oversized and a misdirected message) is dropped and counted by
//!   reason, and both daemons carry on;
//! * the accuracy acceptance: one server that is both PTP master and CSPTP
//!   server, a CSPTP client on one side and a PTP slave on the other; the
//!   CSPTP client's true error (`error_vs_system_ns`, worst over 15 s
//!   after 60 s) must be no worse than 1.2 × the PTP slave's.
//!
//! Needs root (and python3 for the bad-input sender); skipped without,
//! except under CI=true.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Lab;
use tempora_ptp::csptp::message::{Response, csptp_header, encode_request, encode_response};
use tempora_ptp::wire::tlv::{CsptpRequestTlv, CsptpResponseTlv};
use tempora_ptp::wire::{Flags, MessageType, PortIdentity, TimeInterval, Timestamp};

/// Whether the lab can run: root and python3.
fn available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let python = Command::new("python3").arg("-V").output().is_ok();
    if root && python {
        return true;
    }
    assert!(
        !ci,
        "CSPTP interop needs root and python3 (root {root}, python3 {python})"
    );
    eprintln!("skipped: needs root and python3");
    false
}

/// Sends each packet from `from` (bound with SO_REUSEADDR, beside a daemon
/// on the same address) to `to`, from namespace `ns`.
fn send(lab: &Lab, ns: usize, from: &str, to: &str, packets: &[Vec<u8>]) {
    let script = "import socket,sys\n\
        s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
        s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
        h,p=sys.argv[1].rsplit(':',1); s.bind((h,int(p)))\n\
        h,p=sys.argv[2].rsplit(':',1)\n\
        for x in sys.argv[3:]: s.sendto(bytes.fromhex(x),(h,int(p)))\n";
    let hex: Vec<String> = packets
        .iter()
        .map(|p| p.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let mut args = vec!["-c", script, from, to];
    args.extend(hex.iter().map(String::as_str));
    let out = lab.run(ns, "python3", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A request in domain 128.
fn request() -> Vec<u8> {
    let mut buf = [0u8; 128];
    let n = encode_request(128, 1, CsptpRequestTlv::new(true, false), &mut buf).unwrap();
    buf[..n].to_vec()
}

/// A two-step response in domain 128 with sequenceId `seq`.
fn response(seq: u16) -> Vec<u8> {
    let mut header = csptp_header(MessageType::Sync, 128, seq, PortIdentity::default());
    header.flags = header.flags.with(Flags::TWO_STEP, true);
    let r = Response {
        header,
        origin_timestamp: Timestamp::default(),
        response: CsptpResponseTlv {
            request_ingress_timestamp: Timestamp::default(),
            request_correction: TimeInterval::default(),
        },
        status: None,
    };
    let mut buf = [0u8; 128];
    let n = encode_response(&r, &mut buf).unwrap();
    buf[..n].to_vec()
}

/// `message` with its first TLV's length field claiming 40 bytes more
/// than there are.
fn truncated(mut message: Vec<u8>) -> Vec<u8> {
    let len = u16::from_be_bytes([message[46], message[47]]) + 40;
    message[46..48].copy_from_slice(&len.to_be_bytes());
    message
}

/// `message` with its first TLV 4 bytes longer than its layout (and the
/// message as long as it says).
fn oversized(mut message: Vec<u8>) -> Vec<u8> {
    let len = u16::from_be_bytes([message[46], message[47]]) + 4;
    message[46..48].copy_from_slice(&len.to_be_bytes());
    message.splice(48..48, [0u8; 4]);
    let total = message.len() as u16;
    message[2..4].copy_from_slice(&total.to_be_bytes());
    message
}

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

const SERVER: &str = "[clock]\nkind = \"virtual\"\n\n[csptp-server]\nlisten = [\"10.79.0.1\"]\n";
const CLIENT: &str = "[clock]\nkind = \"virtual\"\ninitial-offset = \"3ms\"\nfrequency-offset-ppm = 30.0\n\n\
                      [[csptp-source]]\naddress = \"10.79.0.1\"\npoll = 0\n";

#[test]
fn csptp_client_converges_on_tempora_server_and_bad_input_is_counted() {
    if !available() {
        return;
    }
    let mut lab = Lab::chain("cs", 2);
    lab.tempora("server", 0, SERVER);
    lab.tempora("client", 1, CLIENT);
    let (s, took) = lab.wait_status("client", Duration::from_secs(90), |s| {
        let c = &s["csptp_sources"][0];
        n(&c["samples"]) >= 10
            && c["system_peer"] == true
            && s["error_vs_system_ns"]
                .as_f64()
                .is_some_and(|e| e.abs() < 20_000.0)
    });
    let s = s.expect("no client status");
    let c = &s["csptp_sources"][0];
    eprintln!(
        "converged after {took:?}: error {} ns, source {c}",
        s["error_vs_system_ns"]
    );
    assert_eq!(c["system_peer"], true, "{s}");
    assert!(
        s["error_vs_system_ns"].as_f64().unwrap().abs() < 20_000.0,
        "{s}"
    );
    assert_eq!(c["address"], "10.79.0.1:319");
    assert!(c["data_set"]["grandmaster"].is_string(), "{c}");
    let server = lab.status("server").expect("no server status");
    let counters = &server["csptp_server"];
    eprintln!("server counters: {counters}");
    assert!(n(&counters["follow_ups"]) >= 10, "{server}");
    assert_eq!(counters["replies"], counters["follow_ups"], "{server}");

    // Bad input at the client, from the server's own address and port (a
    // spoofed sender) and from another address.
    let last = c["last_sequence"].as_u64().unwrap() as u16;
    assert!(
        lab.run(0, "ip", &["addr", "add", "10.79.0.3/24", "dev", "veth0"])
            .status
            .success()
    );
    let bad = [
        truncated(response(last.wrapping_add(1000))),
        oversized(response(last.wrapping_add(1000))),
        response(last.wrapping_add(1000)),
        response(last),
    ];
    send(&lab, 0, "10.79.0.1:319", "10.79.0.2:319", &bad);
    send(&lab, 0, "10.79.0.3:319", "10.79.0.2:319", &[response(last)]);
    // At the server: truncated and oversized requests, and a response.
    let at_server = [truncated(request()), oversized(request()), response(1)];
    send(&lab, 1, "10.79.0.2:3190", "10.79.0.1:319", &at_server);
    std::thread::sleep(Duration::from_secs(3));

    let s = lab.status("client").expect("the client died");
    let c = &s["csptp_sources"][0];
    let d = &c["dropped"];
    eprintln!("client drops: {d}, client counters: {}", s["csptp_client"]);
    assert!(n(&d["truncated_tlv"]) >= 1, "{s}");
    assert!(n(&d["oversized_tlv"]) >= 1, "{s}");
    assert!(
        n(&d["wrong_sequence"]) + n(&d["no_matching_request"]) >= 1,
        "{s}"
    );
    // Sequence `last` was completed before; unless another exchange has
    // completed since, this is a replay, else a stale sequence.
    assert!(
        n(&d["replayed"]) + n(&d["wrong_sequence"]) + n(&d["no_matching_request"]) >= 2,
        "{s}"
    );
    assert!(n(&s["csptp_client"]["unknown_server"]) >= 1, "{s}");
    let server = lab.status("server").expect("the server died");
    let d = &server["csptp_server"]["dropped"];
    eprintln!("server drops: {d}");
    assert!(n(&d["truncated_tlv"]) >= 1, "{server}");
    assert!(n(&d["oversized_tlv"]) >= 1, "{server}");
    assert!(n(&d["unexpected_message"]) >= 1, "{server}");
    // Both carry on: new samples, still on time.
    let before = n(&c["samples"]);
    let (s, _) = lab.wait_status("client", Duration::from_secs(10), |s| {
        n(&s["csptp_sources"][0]["samples"]) >= before + 3
    });
    let s = s.expect("the client died");
    assert!(n(&s["csptp_sources"][0]["samples"]) >= before + 3, "{s}");
    assert!(
        s["error_vs_system_ns"].as_f64().unwrap().abs() < 20_000.0,
        "{s}"
    );
}

/// With `workers = 2` the server answers from its worker loops (their own
/// SO_REUSEPORT sockets, the clock and data set the timing loop publishes):
/// the client gets complete exchanges and the summed counters show them.
/// `tempora ctl ARGS` against the client daemon: its reply.
fn ctl(lab: &Lab, args: &[&str]) -> String {
    let socket = lab.path("client.sock");
    let mut all = vec!["ctl"];
    all.extend_from_slice(args);
    all.extend(["--socket", &socket]);
    let out = lab.run(1, env!("CARGO_BIN_EXE_tempora"), &all);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "tempora {all:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn csptp_server_workers_answer_and_ctl_takes_the_source_offline() {
    if !available() {
        return;
    }
    let mut lab = Lab::chain("cw", 2);
    lab.tempora("server", 0, &format!("{SERVER}workers = 2\n"));
    lab.tempora("client", 1, CLIENT);
    let (s, _) = lab.wait_status("client", Duration::from_secs(60), |s| {
        n(&s["csptp_sources"][0]["samples"]) >= 5
    });
    let s = s.expect("no client status");
    assert!(n(&s["csptp_sources"][0]["samples"]) >= 5, "{s}");
    let server = lab.status("server").expect("no server status");
    let c = &server["csptp_server"];
    eprintln!("worker counters: {c}");
    assert!(n(&c["follow_ups"]) >= 5, "{server}");
    assert_eq!(n(&c["follow_ups_lost"]), 0, "{server}");

    // `tempora ctl offline`: no more requests; `tempora sources` says so.
    let text = ctl(&lab, &["offline", "csptp:10.79.0.1:319"]);
    assert!(
        text.contains("0 NTP and 1 CSPTP sources taken offline"),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let before = lab.status("client").expect("status");
    let source = &before["csptp_sources"][0];
    assert_eq!(source["offline"], true, "{source}");
    std::thread::sleep(Duration::from_secs(3));
    let after = lab.status("client").expect("status");
    assert_eq!(
        after["csptp_sources"][0]["requests"], source["requests"],
        "polled while offline: {after}"
    );
    let out = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &["sources", "--json", "--socket", &lab.path("client.sock")],
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sources --json");
    let row = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "csptp:10.79.0.1:319"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["state"], "offline", "{rows}");
    // A burst skips it; online polls again; an unknown name is refused.
    let text = ctl(&lab, &["burst"]);
    assert!(
        text.contains("0 NTP and 0 CSPTP sources polled in a burst"),
        "{text}"
    );
    let text = ctl(&lab, &["online", "10.79.0.1"]);
    assert!(
        text.contains("0 NTP and 1 CSPTP sources back online"),
        "{text}"
    );
    let (s, _) = lab.wait_status("client", Duration::from_secs(10), |s| {
        n(&s["csptp_sources"][0]["samples"]) >= n(&source["samples"]) + 3
    });
    let s = s.expect("no client status");
    assert_eq!(s["csptp_sources"][0]["offline"], false, "{s}");
    assert!(
        n(&s["csptp_sources"][0]["samples"]) >= n(&source["samples"]) + 3,
        "{s}"
    );
    let socket = lab.path("client.sock");
    let out = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &["ctl", "offline", "csptp:10.79.0.9:319", "--socket", &socket],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

/// Each daemon's |error_vs_system_ns| over `window`, sampled every 250 ms:
/// its worst, mean and standard deviation.
fn errors(lab: &Lab, names: &[&str], window: Duration) -> Vec<(f64, f64, f64)> {
    let mut series = vec![Vec::new(); names.len()];
    let start = Instant::now();
    while start.elapsed() < window {
        for (v, name) in series.iter_mut().zip(names) {
            let s = lab.status(name).expect("a daemon died");
            v.push(s["error_vs_system_ns"].as_f64().expect("a virtual clock"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    series
        .iter()
        .map(|v| {
            assert!(v.len() >= 20, "only {} samples", v.len());
            let worst = v.iter().fold(0.0f64, |w, e| w.max(e.abs()));
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / v.len() as f64;
            (worst, mean, var.sqrt())
        })
        .collect()
}

/// The acceptance measurement of issue 15: on veth with software
/// timestamps, a CSPTP client polling every second is no worse than 1.2 ×
/// a PTP slave (Sync and Delay_Req every second) of the same server.
///
/// It holds because the client sends a burst of two exchanges per poll and
/// uses the warm one (docs/csptp.md, "Measurements"): with one exchange
/// per poll the first datagram's cold path biased the client by about
/// +0.8 µs and the bound held in 2 runs of 6 (ratios 0.81 to 2.98); with
/// the burst the ratios measured were 0.07 and 0.20.
#[test]
fn csptp_client_is_as_accurate_as_a_ptp_slave_of_the_same_server() {
    if !available() {
        return;
    }
    // ns0: CSPTP client; ns1: the server (CSPTP on veth0, PTP master on
    // veth1); ns2: PTP slave.
    let mut lab = Lab::chain("ca", 3);
    lab.tempora(
        "server",
        1,
        "[ptp]\npriority1 = 100\n\n[[port]]\ninterface = \"veth1\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\n\n\
         [csptp-server]\nlisten = [\"10.79.0.2\"]\ninterfaces = [\"veth0\"]\n",
    );
    lab.tempora(
        "csptp",
        0,
        "[clock]\nkind = \"virtual\"\ninitial-offset = \"3ms\"\nfrequency-offset-ppm = 30.0\n\n\
         [[csptp-source]]\naddress = \"10.79.0.2\"\npoll = 0\n",
    );
    lab.tempora(
        "ptp",
        2,
        "[ptp]\nslave-only = true\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\ninitial-offset = \"3ms\"\n\
         frequency-offset-ppm = 30.0\n",
    );
    std::thread::sleep(Duration::from_secs(60));
    let e = errors(&lab, &["csptp", "ptp"], Duration::from_secs(15));
    let ((csptp, cm, cs), (ptp, pm, ps)) = (e[0], e[1]);
    eprintln!(
        "worst |error_vs_system| over 15 s after 60 s: CSPTP client {csptp:.0} ns (mean {cm:+.0}, sd {cs:.0}), \
         PTP slave {ptp:.0} ns (mean {pm:+.0}, sd {ps:.0}); ratio {:.2}",
        csptp / ptp
    );
    let s = lab.status("csptp").unwrap();
    assert_eq!(s["csptp_sources"][0]["system_peer"], true, "{s}");
    let p = lab.status("ptp").unwrap();
    assert_eq!(p["ports"][0]["state"], "SLAVE", "{p}");
    assert!(
        csptp <= 1.2 * ptp,
        "CSPTP client {csptp:.0} ns is worse than 1.2 × the PTP slave's {ptp:.0} ns"
    );
}
