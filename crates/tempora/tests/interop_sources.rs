//! One source selection for every kind of source (issue 15, acceptance):
//! in network namespaces, a ptp4l grandmaster (free running) and a chronyd
//! NTP server (`-x`, `local stratum 1`) both serve the machine's own
//! system clock, so they agree; a second NTP server lies by 5 ms (a Tempora
//! NTP server whose virtual clock runs 5 ms ahead: chronyd under
//! libfaketime would stamp its receive times with the kernel's true time
//! and its transmit times with the fake one, a broken server rather than a
//! liar). The Tempora daemon (virtual clock over the system clock) must
//! find the liar a falseticker and select the PTP port; when ptp4l is
//! killed, NTP must take over without a step, the clock staying within
//! the bound below.
//!
//! Needs root, linuxptp, chrony and ntpsec-ntpdate; skipped without them,
//! except under CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, available, ntp_available};

/// The error of the virtual clock after the hand-over to NTP: chronyd on
/// veth at 1 s polls, software timestamps (seen over four runs: 4–14 µs
/// worst over the 38 s after it; NTP selected 5.5–7.3 s after ptp4l was
/// killed).
const NTP_BOUND_NS: f64 = 100_000.0;

/// The error while the PTP port is selected (seen: 0.7–1.3 µs worst; the
/// ptp4l interop tests hold ±5 µs after 60 s with PTP alone).
const PTP_BOUND_NS: f64 = 20_000.0;

fn source<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["sources"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or(&serde_json::Value::Null)
}

#[test]
fn the_liar_is_outvoted_ptp_is_selected_and_ntp_takes_over_without_a_step() {
    if !available() || !ntp_available() {
        return;
    }
    // ns0: grandmaster and honest server — ns1: Tempora — ns2: the liar.
    let mut lab = Lab::chain("ms", 3);
    lab.ptp4l(
        "gm",
        0,
        &["veth0"],
        "priority1 100\nclockClass 6\nfree_running 1\nnetwork_transport UDPv4\n",
    );
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    lab.tempora(
        "liar",
        2,
        "[ptp]\nslave-only = true\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\ninitial-offset = \"5ms\"\n\n\
         [ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 1\n",
    );
    lab.tempora(
        "client",
        1,
        "[ptp]\nslave-only = true\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\ninitial-offset = \"2ms\"\n\n\
         [[ntp-source]]\naddress = \"10.79.0.1\"\nminpoll = 0\nmaxpoll = 0\n\n\
         [[ntp-source]]\naddress = \"10.79.1.2\"\nminpoll = 0\nmaxpoll = 0\n",
    );
    let liar = "ntp:10.79.1.2:123";
    let honest = "ntp:10.79.0.1:123";
    let (s, took) = lab.wait_status("client", Duration::from_secs(90), |s| {
        s["selected_source"] == "ptp:port1"
            && source(s, liar)["selection"] == "falseticker"
            && s["error_vs_system_ns"]
                .as_f64()
                .is_some_and(|e| e.abs() < 20_000.0)
    });
    let s = s.expect("no status");
    eprintln!(
        "PTP selected after {took:?}: {}",
        serde_json::to_string_pretty(&s["sources"]).unwrap()
    );
    assert_eq!(s["selected_source"], "ptp:port1", "{s}");
    assert_eq!(source(&s, liar)["selection"], "falseticker", "{s}");
    assert_eq!(source(&s, "ptp:port1")["kind"], "ptp", "{s}");
    assert_eq!(source(&s, honest)["kind"], "ntp", "{s}");
    assert!(
        matches!(
            source(&s, honest)["selection"].as_str(),
            Some("candidate" | "outlier")
        ),
        "{s}"
    );
    // The liar's offset as measured: about 5 ms.
    let liar_offset = source(&s, liar)["offset_ns"].as_f64().unwrap();
    assert!((liar_offset - 5e6).abs() < 500_000.0, "{s}");
    // Ten seconds on the grandmaster.
    let mut worst_ptp = 0.0f64;
    for _ in 0..10 {
        std::thread::sleep(Duration::from_secs(1));
        let s = lab.status("client").expect("status");
        assert_eq!(s["selected_source"], "ptp:port1", "{s}");
        worst_ptp = worst_ptp.max(s["error_vs_system_ns"].as_f64().unwrap().abs());
    }
    eprintln!("worst error on PTP: {worst_ptp:.0} ns");
    assert!(worst_ptp < PTP_BOUND_NS, "{worst_ptp}");
    // The text status shows every source with its kind and state.
    let text = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &["status", "--socket", &lab.path("client.sock")],
    );
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    eprintln!("{text}");
    assert!(text.contains("selected source  ptp:port1"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("source ntp:10.79.1.2:123") && l.contains("falseticker")),
        "{text}"
    );
    let steps = s["steps"].as_u64().unwrap();
    // The hand-over leaves two NTP sources 5 ms apart: the liar is left
    // out of that vote once its samples were falsetickers 8 in a row
    // (tempora_system's FALSETICKER_SAMPLES), which ten 1 s polls give.
    let (s, _) = lab.wait_status("client", Duration::from_secs(20), |s| {
        source(s, liar)["falseticker_run"].as_u64() >= Some(8)
    });
    let s = s.expect("no status");
    assert!(
        source(&s, liar)["falseticker_run"].as_u64() >= Some(8),
        "the liar is not yet known to lie: {}",
        serde_json::to_string_pretty(&s["sources"]).unwrap()
    );
    // The grandmaster goes away: NTP (the honest server) takes over.
    lab.kill("gm");
    let killed = Instant::now();
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        s["selected_source"] == honest
    });
    let s = s.expect("no status");
    eprintln!("NTP selected {took:?} after ptp4l was killed");
    assert_eq!(s["selected_source"], honest, "{s}");
    let mut worst_ntp = 0.0f64;
    while killed.elapsed() < Duration::from_secs(45) {
        let s = lab.status("client").expect("status");
        assert_eq!(
            s["steps"].as_u64(),
            Some(steps),
            "a step at the hand-over: {s}"
        );
        assert_ne!(s["selected_source"], liar, "{s}");
        worst_ntp = worst_ntp.max(s["error_vs_system_ns"].as_f64().unwrap().abs());
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!("worst error after the hand-over to NTP: {worst_ntp:.0} ns");
    assert!(worst_ntp < NTP_BOUND_NS, "{worst_ntp}");
}
