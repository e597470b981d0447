//! Interop 7e (issue #5): a Tempora end-to-end transparent clock between a
//! ptp4l grandmaster and a ptp4l slave (three namespaces in a chain). The
//! slave's path delay must exclude the time messages spend inside the
//! transparent clock (IEEE 1588-2019 §10.2.2): it must match two plain
//! links — measured in the same run by a second ptp4l pair joined directly
//! — and not that plus the residence time the TC reports.
//!
//! Needs root and linuxptp; skipped without them, except under CI=true.

use std::time::Duration;

use crate::common::{Lab, Ptp4lSample, available, last_seconds, median, ptp4l_offsets};

const GM: &str = "priority1 100\nfree_running 1\nnetwork_transport UDPv4\n";
const SLAVE: &str = "slaveOnly 1\nfree_running 1\nnetwork_transport UDPv4\n";

#[test]
fn transparent_clock_between_ptp4l_nodes() {
    if !available() {
        return;
    }
    // ns0 (GM) — ns1 (Tempora TC) — ns2 (slave); ns3 (GM) — ns4 (slave).
    let mut lab = Lab::chain("tc", 3);
    let mut direct = Lab::chain("dl", 2);
    lab.ptp4l("gm", 0, &["veth0"], GM);
    lab.tempora(
        "tc",
        1,
        "[ptp]\nkind = \"e2e-transparent\"\n\n\
         [[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\ntimestamping = \"software\"\n\n\
         [[port]]\ninterface = \"veth1\"\ntransport = \"udp4\"\ntimestamping = \"software\"\n\n\
         [clock]\nkind = \"virtual\"\n",
    );
    lab.ptp4l("slave", 2, &["veth0"], SLAVE);
    direct.ptp4l("gm", 0, &["veth0"], GM);
    direct.ptp4l("slave", 1, &["veth0"], SLAVE);

    std::thread::sleep(Duration::from_secs(50));

    let via_tc = ptp4l_offsets(&lab.output("slave"));
    let plain = ptp4l_offsets(&direct.output("slave"));
    assert!(via_tc.len() >= 15, "slave behind the TC: {via_tc:?}");
    assert!(plain.len() >= 15, "direct slave: {plain:?}");
    let last = |v: &[Ptp4lSample]| last_seconds(v, 25.0);
    let delay_tc = median(last(&via_tc).iter().map(|p| p.delay as f64).collect());
    let delay_link = median(last(&plain).iter().map(|p| p.delay as f64).collect());
    let offset_tc = median(
        last(&via_tc)
            .iter()
            .map(|p| p.offset.abs() as f64)
            .collect(),
    );

    let s = lab.status("tc").expect("TC status");
    let residence = |port: usize| -> (f64, u64) {
        (
            s["ports"][port]["residence_mean_ns"]
                .as_f64()
                .unwrap_or(0.0),
            s["ports"][port]["residence_count"].as_u64().unwrap_or(0),
        )
    };
    // Out of port 2: Syncs towards the slave; out of port 1: Delay_Reqs.
    let (sync_residence, syncs) = residence(1);
    let (req_residence, reqs) = residence(0);
    let mean_residence = (sync_residence + req_residence) / 2.0;
    eprintln!(
        "TC: {syncs} Syncs ({sync_residence:.0} ns mean residence), {reqs} Delay_Reqs \
         ({req_residence:.0} ns); slave behind the TC: median path delay {delay_tc:.0} ns, \
         median |offset| {offset_tc:.0} ns; direct link: median path delay {delay_link:.0} ns"
    );
    assert!(syncs >= 30 && reqs >= 10, "{s}");
    // The delay through the TC is that of two links: the residence time is
    // taken out. Without the corrections it would be larger by the mean
    // residence time; the tolerance is a third of it.
    let expected = 2.0 * delay_link;
    let error = (delay_tc - expected).abs();
    assert!(
        error < mean_residence / 3.0,
        "path delay through the TC {delay_tc:.0} ns, two direct links {expected:.0} ns, \
         mean residence {mean_residence:.0} ns"
    );
    // The slave shares the grandmaster's clock: its offset stays small.
    assert!(offset_tc < 10_000.0, "median |offset| {offset_tc:.0} ns");
}
