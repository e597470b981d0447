//! Interop 7b (issue #5): a Tempora grandmaster on the system clock (which
//! it only reads) and a ptp4l slave (`free_running 1`). The median |master
//! offset| ptp4l prints over the last 30 s (60 s or 90 s when 30 s do not
//! decide, see below) must be at most 1.5 × that of a ptp4l grandmaster
//! measured in the same run, and there must be no 37 s UTC/TAI error in
//! either direction.
//!
//! Three kinds of pairs of namespaces run at once (three pairs of each),
//! each pair a grandmaster and a ptp4l slave: ptp4l as grandmaster (the baseline), Tempora serving the ARB
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

/// Pairs per kind of grandmaster: the medians pool the last 30 s of three
/// slaves, so that one unlucky pair does not decide (a median of 30
/// sub-microsecond software-timestamp offsets varies by a factor of 1.5
/// from run to run).
const PAIRS: usize = 3;

#[test]
fn tempora_grandmaster_against_ptp4l_grandmaster() {
    if !available() {
        return;
    }
    let kinds = ["ptp4l", "tempora", "tempora-tai"];
    let mut labs: Vec<(usize, Lab)> = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        for i in 0..PAIRS {
            let mut lab = Lab::chain(&format!("g{}{i}", &kind[kind.len() - 1..]), 2);
            match k {
                0 => lab.ptp4l(
                    "gm",
                    0,
                    &["veth0"],
                    "priority1 100\nfree_running 1\nnetwork_transport UDPv4\nlogSyncInterval -1\n",
                ),
                1 => lab.tempora("gm", 0, &tempora_gm("")),
                _ => lab.tempora(
                    "gm",
                    0,
                    &tempora_gm("timescale = \"ptp\"\ncurrent-utc-offset = 37\n"),
                ),
            }
            lab.ptp4l("slave", 1, &["veth0"], SLAVE);
            labs.push((k, lab));
        }
    }
    std::thread::sleep(Duration::from_secs(55));

    // A median of 90 software-timestamped offsets varies by up to 2× from
    // run to run (ptp4l's own: 319–614 ns over three runs on one quiet
    // machine): when a Tempora median is over the bound after 30 s, the
    // slaves are measured for longer (60 s, then 90 s, pooled) before the
    // test decides.
    let mut window = 30.0;
    let mut medians = measure(&labs, &kinds, window);
    while !within_bound(&medians) && window < 90.0 {
        std::thread::sleep(Duration::from_secs(30));
        window += 30.0;
        eprintln!("measuring again over the last {window} s");
        medians = measure(&labs, &kinds, window);
    }
    for (k, lab) in labs.iter().filter(|(k, _)| *k > 0) {
        let status = lab.status("gm").expect("status of a Tempora grandmaster");
        assert_eq!(
            status["ports"][0]["state"], "MASTER",
            "{}: {status}",
            kinds[*k]
        );
    }
    for (name, m) in [("ARB", medians[1]), ("PTP timescale", medians[2])] {
        assert!(
            m <= 1.5 * medians[0].max(1.0),
            "Tempora grandmaster ({name}): median |offset| {m:.0} ns, ptp4l's {:.0} ns over {window} s",
            medians[0]
        );
    }
}

/// Whether both Tempora medians are within 1.5 × ptp4l's.
fn within_bound(medians: &[f64]) -> bool {
    medians[1..].iter().all(|m| *m <= 1.5 * medians[0].max(1.0))
}

/// The median |master offset| the slaves of each kind printed over the
/// last `window` seconds, pooled; checks every offset is under 1 ms (no
/// UTC/TAI error) and that the slaves printed one a second.
fn measure(labs: &[(usize, Lab)], kinds: &[&str], window: f64) -> Vec<f64> {
    let mut medians = Vec::new();
    for (k, name) in kinds.iter().enumerate() {
        let mut offsets = Vec::new();
        let mut delays = Vec::new();
        let mut worst = 0;
        for (_, lab) in labs.iter().filter(|(kk, _)| *kk == k) {
            let log = lab.output("slave");
            let all = ptp4l_offsets(&log);
            let last = last_seconds(&all, window);
            let want = (window * 25.0 / 30.0) as usize;
            assert!(last.len() >= want, "{name}: {} offsets\n{log}", all.len());
            // Never a UTC/TAI error: every offset under 1 ms.
            let w = all.iter().map(|p| p.offset.abs()).max().unwrap_or(0);
            assert!(w < 1_000_000, "{name}: |offset| up to {w} ns\n{log}");
            worst = worst.max(w);
            offsets.extend(last.iter().map(|p| p.offset.abs() as f64));
            delays.extend(last.iter().map(|p| p.delay as f64));
        }
        let n = offsets.len();
        let m = median(offsets);
        let delay = median(delays);
        eprintln!(
            "{name}: median |master offset| {m:.0} ns, worst {worst} ns, median path delay {delay:.0} ns over {n} samples ({PAIRS} slaves)"
        );
        medians.push(m);
    }
    medians
}
