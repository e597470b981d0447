//! Interop with linuxptp's ptp4l in network namespaces joined by a veth pair
//! (issue #5, 7a): a ptp4l grandmaster (free_running, software timestamps)
//! and a Tempora slave on a virtual clock started 5 ms and 20 ppm off. After
//! 60 s, `error_vs_system_ns` stays within ±5 µs. Needs root and ptp4l; when
//! either is missing the test is skipped, except under CI=true, where it
//! fails.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Lab, available};

/// Runs 7a over `transport` (udp4, udp6, l2) with `mechanism` (e2e, p2p).
fn slave_follows_ptp4l(transport: &str, mechanism: &str) {
    if !available() {
        return;
    }
    let mut lab = Lab::chain(&format!("{transport}{}", &mechanism[..1]), 2);
    let ptp4l_transport = match transport {
        "udp4" => "UDPv4",
        "udp6" => "UDPv6",
        _ => "L2",
    };
    lab.ptp4l(
        "gm",
        0,
        &["veth0"],
        &format!(
            "priority1 100\nfree_running 1\nnetwork_transport {ptp4l_transport}\n\
             delay_mechanism {}\n",
            mechanism.to_uppercase()
        ),
    );
    let profile = if mechanism == "p2p" {
        "default-p2p"
    } else {
        "default"
    };
    lab.tempora(
        "slave",
        1,
        &format!(
            "[ptp]\nprofile = \"{profile}\"\nslave-only = true\n\n[[port]]\ninterface = \"veth0\"\n\
             transport = \"{transport}\"\ndelay-mechanism = \"{mechanism}\"\ntimestamping = \"software\"\n\n\
             [clock]\nkind = \"virtual\"\ninitial-offset = \"5ms\"\nfrequency-offset-ppm = 20.0\n"
        ),
    );
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(60));
    let mut worst = 0.0f64;
    let mut samples = 0;
    while started.elapsed() < Duration::from_secs(75) {
        let s = lab.status("slave").expect("no status from the daemon");
        assert_eq!(s["ports"][0]["state"], "SLAVE", "{s}");
        let e = s["error_vs_system_ns"].as_f64().unwrap();
        worst = worst.max(e.abs());
        samples += 1;
        std::thread::sleep(Duration::from_secs(1));
    }
    eprintln!(
        "{transport}/{mechanism}: worst |error_vs_system| over {samples} samples after 60 s: {worst:.0} ns"
    );
    assert!(samples >= 10);
    assert!(
        worst <= 5_000.0,
        "{transport}/{mechanism}: |error_vs_system_ns| reached {worst:.0}"
    );
}

/// 7a over the three transports with `mechanism` at once, each in its own
/// lab (the tests mostly wait: run one after the other they took six
/// minutes of the suite); fails naming every transport that failed.
fn all_transports_follow_ptp4l(mechanism: &'static str) {
    let failed: Vec<&str> = std::thread::scope(|s| {
        let runs: Vec<_> = ["udp4", "udp6", "l2"]
            .map(|t| (t, s.spawn(move || slave_follows_ptp4l(t, mechanism))))
            .into_iter()
            .collect();
        runs.into_iter()
            .filter_map(|(t, h)| h.join().is_err().then_some(t))
            .collect()
    });
    assert!(failed.is_empty(), "{mechanism} failed over {failed:?}");
}

#[test]
fn ptp4l_grandmaster_e2e() {
    all_transports_follow_ptp4l("e2e");
}

#[test]
fn ptp4l_grandmaster_p2p() {
    all_transports_follow_ptp4l("p2p");
}

/// 7d: linuxptp's pmc, over UDPv4 and over the daemon's Unix socket, gets an
/// answer to every management ID of the codec from a Tempora grandmaster,
/// and `SET PRIORITY1` / `SET PRIORITY2` take effect. The same daemon's
/// Prometheus endpoint is scraped.
#[test]
fn pmc_over_udp_and_unix_socket() {
    if !available() {
        return;
    }
    let mut lab = Lab::chain("pmc", 2);
    lab.tempora(
        "gm",
        0,
        "[ptp]\nprofile = \"default\"\npriority1 = 90\nnetwork-management = \"read-write\"\n\n[[port]]\ninterface = \"veth0\"\n\
         transport = \"udp4\"\ntimestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\n\n\
         [observability]\nmetrics-listen = \"127.0.0.1:9911\"\n",
    );
    let socket = lab.path("gm.sock");
    // Ready once it answers on its control socket (a loaded machine may take
    // a few seconds to start it).
    let (ready, _) = lab.wait_status("gm", Duration::from_secs(30), |_| true);
    assert!(ready.is_some(), "the daemon did not start");
    std::thread::sleep(Duration::from_secs(1));
    let ids = [
        "NULL_MANAGEMENT",
        "CLOCK_DESCRIPTION",
        "USER_DESCRIPTION",
        "DEFAULT_DATA_SET",
        "CURRENT_DATA_SET",
        "PARENT_DATA_SET",
        "TIME_PROPERTIES_DATA_SET",
        "PORT_DATA_SET",
        "PRIORITY1",
        "PRIORITY2",
        "DOMAIN",
        "SLAVE_ONLY",
        "LOG_ANNOUNCE_INTERVAL",
        "ANNOUNCE_RECEIPT_TIMEOUT",
        "LOG_SYNC_INTERVAL",
        "VERSION_NUMBER",
        "DELAY_MECHANISM",
        "LOG_MIN_PDELAY_REQ_INTERVAL",
        "TIME_STATUS_NP",
        "PORT_STATS_NP",
        "PORT_PROPERTIES_NP",
    ];
    let pmc = |ns: &str, transport: &[&str], commands: &[String]| -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", ns, "pmc"])
            .args(transport)
            .args(commands)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let gets: Vec<String> = ids.iter().map(|id| format!("GET {id}")).collect();
    let unix = ["-u", "-b", "0", "-s", socket.as_str()];
    let udp = ["-4", "-i", "veth0", "-b", "1"];
    for (ns, transport) in [
        (lab.ns[0].clone(), &unix[..]),
        (lab.ns[1].clone(), &udp[..]),
    ] {
        // One pmc per request: pmc gives up 100 ms after its last request,
        // which a loaded CI machine can exceed for a burst of 21; a request
        // that got no answer is asked again (at most three times).
        let text: String = gets
            .iter()
            .map(|get| {
                let mut out = String::new();
                for _ in 0..3 {
                    out = pmc(&ns, transport, std::slice::from_ref(get));
                    if out.contains("RESPONSE MANAGEMENT") {
                        break;
                    }
                }
                out
            })
            .collect();
        // One answer per request (pmc prints NULL_MANAGEMENT's with no name).
        let answers = text.matches("RESPONSE MANAGEMENT").count();
        assert_eq!(answers, ids.len(), "{transport:?}:\n{text}");
        for id in ids.iter().filter(|id| **id != "NULL_MANAGEMENT") {
            assert!(
                text.contains(&format!("RESPONSE MANAGEMENT {id}")),
                "{transport:?}: no answer to GET {id}:\n{text}"
            );
        }
        assert!(
            !text.contains("MANAGEMENT_ERROR_STATUS"),
            "{transport:?}:\n{text}"
        );
        assert!(text.contains("priority1               90"), "{text}");
    }
    // Metrics are published every second; the port becomes MASTER once
    // the announce receipt timeout has passed.
    let master = "tempora_ptp_port_state{port=\"1\",interface=\"veth0\",state=\"MASTER\"} 1";
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut metrics = scrape(&lab.ns[0]);
    while !metrics.contains(master) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        metrics = scrape(&lab.ns[0]);
    }
    // An HTTP/1.0 request; the answer may be HTTP/1.1 (RFC 9110 §6.2).
    assert!(
        metrics.starts_with("HTTP/1.0 200") || metrics.starts_with("HTTP/1.1 200"),
        "{metrics}"
    );
    for line in [
        master,
        "# TYPE tempora_ptp_messages_sent_total counter",
        "# TYPE tempora_virtual_clock_error_seconds gauge",
    ] {
        assert!(metrics.contains(line), "no `{line}` in:\n{metrics}");
    }
    let announces: u64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("tempora_ptp_messages_sent_total{port=\"1\",type=\"announce\"} ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(announces >= 1, "{metrics}");
    // SET over each transport, then GET shows the new value.
    for (ns, transport, p1, p2) in [
        (lab.ns[0].clone(), &unix[..], "77", "66"),
        (lab.ns[1].clone(), &udp[..], "55", "44"),
    ] {
        let set = [format!("SET PRIORITY1 {p1}"), format!("SET PRIORITY2 {p2}")];
        pmc(&ns, transport, &set);
        let text = pmc(&ns, transport, &["GET DEFAULT_DATA_SET".to_string()]);
        assert!(
            text.contains(&format!("priority1               {p1}")),
            "{transport:?}:\n{text}"
        );
        assert!(
            text.contains(&format!("priority2               {p2}")),
            "{transport:?}:\n{text}"
        );
    }
}

/// Issue #5 point 5: a Prometheus scrape of the running daemon (inside its
/// namespace) returns the status as metrics.
fn scrape(ns: &str) -> String {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "bash", "-c"])
        .arg(
            "exec 3<>/dev/tcp/127.0.0.1/9911 && \
             printf 'GET /metrics HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' >&3 && cat <&3",
        )
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Unicast negotiation (IEEE 1588-2019 §16.1) with a real peer: ptp4l as a
/// unicast master (`unicast_listen 1`, as linuxptp's UNICAST-MASTER.cfg)
/// grants Announce, Sync and Delay_Resp to a Tempora slave that asks for
/// them (`unicast-masters`); the slave, on a virtual clock started 5 ms and
/// 20 ppm off, ends within ±5 µs of the system clock.
#[test]
fn ptp4l_unicast_master() {
    if !available() {
        return;
    }
    let mut lab = Lab::chain("uc", 2);
    lab.ptp4l(
        "gm",
        0,
        &["veth0"],
        "priority1 100\nfree_running 1\nnetwork_transport UDPv4\nunicast_listen 1\n",
    );
    lab.tempora(
        "slave",
        1,
        "[ptp]\nslave-only = true\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\nunicast-masters = [\"10.79.0.1\"]\n\n\
         [clock]\nkind = \"virtual\"\ninitial-offset = \"5ms\"\nfrequency-offset-ppm = 20.0\n",
    );
    std::thread::sleep(Duration::from_secs(45));
    let mut worst = 0.0f64;
    for _ in 0..10 {
        let s = lab.status("slave").expect("no status from the daemon");
        assert_eq!(s["ports"][0]["state"], "SLAVE", "{s}");
        let e = s["error_vs_system_ns"].as_f64().unwrap();
        worst = worst.max(e.abs());
        std::thread::sleep(Duration::from_secs(1));
    }
    let s = lab.status("slave").unwrap();
    let rx = |t: &str| {
        s["ports"][0]["rx"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p[0] == t))
            .and_then(|p| p[1].as_u64())
            .unwrap_or(0)
    };
    eprintln!(
        "unicast: worst |error_vs_system| {worst:.0} ns; received {} Sync, {} Delay_Resp, {} Signaling",
        rx("sync"),
        rx("delay_resp"),
        rx("signaling")
    );
    assert!(rx("signaling") >= 3, "no grants: {s}");
    assert!(rx("delay_resp") >= 10, "{s}");
    assert!(worst <= 5_000.0, "|error_vs_system_ns| reached {worst:.0}");
}
