//! Interop 7b (issue #5): a Tempora grandmaster on the system clock (which
//! it only reads) and a ptp4l slave (`free_running 1`). The median |master
//! offset| ptp4l prints over the last 30 s must be at most 1.5 × that of a
//! ptp4l grandmaster measured in the same run, and there must be no 37 s
//! UTC/TAI error in either direction.
//!
//! Three pairs of namespaces run at once, each a grandmaster and a ptp4l
//! slave: ptp4l as grandmaster (the baseline), Tempora serving the ARB
//! timescale (its default on the system clock, as ptp4l does), and Tempora
//! serving the PTP timescale (`timescale = "ptp"`: TAI, currentUtcOffset
//! 37 flagged valid), which the ptp4l slave must turn back into UTC.
//!
//! Needs root and linuxptp; skipped without them, except under CI=true.

mod common;

use std::time::Duration;

use common::{Lab, available, last_seconds, median, ptp4l_offsets};

/// `summary_interval -1` and `freq_est_interval 0`: with two Syncs a
/// second, a free-running ptp4l prints a line for every other Sync (one a
/// second) rather than summaries or every fourth.
const SLAVE: &str = "slaveOnly 1\nfree_running 1\nnetwork_transport UDPv4\nlogSyncInterval -1\n\
                     summary_interval -1\nfreq_est_interval 0\n";

fn tempora_gm(timescale: &str) -> String {
    format!(
        "[ptp]\npriority1 = 100\n{timescale}\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\nmaster-only = true\nlog-sync-interval = -1\n\n\
         [clock]\nkind = \"system\"\n"
    )
}

#[test]
fn tempora_grandmaster_against_ptp4l_grandmaster() {
    if !available() {
        return;
    }
    let mut baseline = Lab::chain("gp", 2);
    let mut arb = Lab::chain("ga", 2);
    let mut tai = Lab::chain("gt", 2);
    baseline.ptp4l(
        "gm",
        0,
        &["veth0"],
        "priority1 100\nfree_running 1\nnetwork_transport UDPv4\nlogSyncInterval -1\n",
    );
    arb.tempora("gm", 0, &tempora_gm(""));
    tai.tempora(
        "gm",
        0,
        &tempora_gm("timescale = \"ptp\"\ncurrent-utc-offset = 37\n"),
    );
    for lab in [&mut baseline, &mut arb, &mut tai] {
        lab.ptp4l("slave", 1, &["veth0"], SLAVE);
    }
    std::thread::sleep(Duration::from_secs(55));

    let mut medians = Vec::new();
    for (name, lab) in [
        ("ptp4l", &baseline),
        ("tempora", &arb),
        ("tempora-tai", &tai),
    ] {
        let log = lab.output("slave");
        let all = ptp4l_offsets(&log);
        let last = last_seconds(&all, 30.0);
        assert!(last.len() >= 25, "{name}: {} offsets\n{log}", all.len());
        // Never a UTC/TAI error: every offset under 1 ms.
        let worst = all.iter().map(|p| p.offset.abs()).max().unwrap_or(0);
        assert!(
            worst < 1_000_000,
            "{name}: |offset| up to {worst} ns\n{log}"
        );
        let m = median(last.iter().map(|p| p.offset.abs() as f64).collect());
        let delay = median(last.iter().map(|p| p.delay as f64).collect());
        eprintln!(
            "{name}: median |master offset| {m:.0} ns, worst {worst} ns, median path delay {delay:.0} ns over {} samples",
            last.len()
        );
        medians.push(m);
    }
    let status = tai.status("gm").expect("status of the TAI grandmaster");
    assert_eq!(status["ports"][0]["state"], "MASTER", "{status}");
    for (name, m) in [("ARB", medians[1]), ("PTP timescale", medians[2])] {
        assert!(
            m <= 1.5 * medians[0].max(1.0),
            "Tempora grandmaster ({name}): median |offset| {m:.0} ns, ptp4l's {:.0} ns",
            medians[0]
        );
    }
}
