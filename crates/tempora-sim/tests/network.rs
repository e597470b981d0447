//! The simulated network's own API: free-running clocks, egress latency,
//! cut links, recording, and determinism for a seed. (The PTP engine's
//! acceptance tests on this network are in tempora-ptp's tests/network.rs.)

use tempora_clock::Duration;
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::InstanceConfig;
use tempora_ptp::wire::ClockIdentity;
use tempora_sim::model::delay::DelayModel;
use tempora_sim::network::{ClockSpec, Network, START};
use tempora_sim::scenario::{ClockModel, Direction, Distribution};

const LINK: Duration = Duration::from_micros(50);

fn oc(n: u8, priority1: u8) -> InstanceConfig {
    let mut c = InstanceConfig::ordinary(ClockIdentity::from_mac([2, 0, 0, 0, 0, n]));
    c.priority1 = priority1;
    c
}

/// A master and a slave whose free-running clock is 20 us ahead, joined by
/// a link of 50 us each way, both recorded.
fn pair(seed: u64) -> (Network, usize, usize) {
    let mut net = Network::new(seed);
    let a = net.add_node("A", oc(1, 100), ClockSpec::perfect());
    let offset = Duration::from_micros(20);
    let b = net.add_node("B", oc(2, 128), ClockSpec::free_running(offset, 0.0));
    net.add_link(
        (a, 0),
        (b, 0),
        DelayModel::fixed(LINK),
        DelayModel::fixed(LINK),
    );
    net.record(a);
    net.record(b);
    (net, a, b)
}

#[test]
fn free_running_clock_keeps_its_offset_and_rate() {
    let mut net = Network::new(3);
    let offset = Duration::from_micros(-250);
    let n = net.add_node("X", oc(1, 128), ClockSpec::free_running(offset, 12.5));
    net.start();
    net.run_for(Duration::from_secs(100));
    assert_eq!(net.now() - START, Duration::from_secs(100));
    // -250 us + 100 s × 12.5 ppm = +1000 us.
    let expected = Duration::from_micros(1000);
    let got = net.true_offset(n);
    assert!((got - expected).abs() < Duration::from_nanos(1), "{got}");
    // No servo: nothing counted as disciplined.
    assert_eq!((net.nodes[n].measurements, net.nodes[n].steps), (0, 0));
    assert_eq!(net.servo_frequency(n), None);
}

#[test]
fn recorded_measurements_are_exact_on_fixed_links() {
    let (mut net, a, b) = pair(1);
    net.start();
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.port_state(a, 0), PortState::Master, "{}", net.summary());
    assert_eq!(net.port_state(b, 0), PortState::Slave, "{}", net.summary());
    let m = net.nodes[b].log.measurements.last().copied().unwrap();
    assert!((m.offset - Duration::from_micros(20)).abs() < Duration::from_nanos(1));
    assert!((m.delay - LINK).abs() < Duration::from_nanos(1));
    let slave_at = net.entered(b, 0, PortState::Slave).unwrap();
    assert!(slave_at > START && slave_at <= net.now());
    // An unrecorded node keeps no log.
    let mut quiet = Network::new(1);
    let q = quiet.add_node("Q", oc(1, 100), ClockSpec::perfect());
    quiet.start();
    quiet.run_for(Duration::from_secs(30));
    assert_eq!(quiet.port_state(q, 0), PortState::Master);
    assert_eq!(quiet.nodes[q].log, Default::default());
}

#[test]
fn egress_latency_delays_every_frame() {
    let (mut plain, a, _) = pair(1);
    plain.start();
    plain.run_for(Duration::from_secs(20));
    let (mut slow, a2, _) = pair(1);
    let latency = Duration::from_micros(700);
    slow.set_egress_latency(a2, latency);
    slow.start();
    slow.run_for(Duration::from_secs(20));
    // The master alone decides when it sends Announce and Sync: the same
    // frames, each leaving 700 us later.
    let kinds = |net: &Network| -> Vec<(Duration, u8)> {
        net.nodes[a]
            .log
            .sent
            .iter()
            .filter(|f| matches!(f.data.first().map(|b| b & 0x0f), Some(0x0 | 0xb)))
            .map(|f| (f.at - START, f.data[0] & 0x0f))
            .collect()
    };
    let (p, s) = (kinds(&plain), kinds(&slow));
    assert!(p.len() > 10, "{p:?}");
    let n = p.len().min(s.len());
    assert!(n + 1 >= p.len().max(s.len()));
    for (x, y) in p.iter().zip(&s).take(n) {
        assert_eq!((x.0 + latency, x.1), *y);
    }
}

#[test]
fn a_cut_link_loses_the_master_and_a_restored_one_finds_it() {
    let (mut net, _, b) = pair(1);
    let link = 0;
    net.start();
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    net.set_link_up(link, false);
    let measured = net.nodes[b].log.measurements.len();
    net.run_for(Duration::from_secs(30));
    // Announce receipt timeout: B takes over as master.
    assert_eq!(net.port_state(b, 0), PortState::Master, "{}", net.summary());
    let lost = net.nodes[b].log.measurements.len();
    assert!(lost <= measured + 1, "{measured} then {lost}");
    net.set_link_up(link, true);
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.port_state(b, 0), PortState::Slave, "{}", net.summary());
    assert!(net.nodes[b].log.measurements.len() > lost + 10);
}

#[test]
fn stopped_node_neither_sends_nor_receives() {
    let (mut net, a, b) = pair(1);
    net.start();
    net.run_for(Duration::from_secs(20));
    net.stop_node(a);
    let sent = net.nodes[a].log.sent.len();
    let rx = net.nodes[a].engine.port_counters(0).unwrap().rx;
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.nodes[a].log.sent.len(), sent);
    assert_eq!(net.nodes[a].engine.port_counters(0).unwrap().rx, rx);
    assert_eq!(net.port_state(b, 0), PortState::Master, "{}", net.summary());
    net.start_node(a);
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.port_state(b, 0), PortState::Slave, "{}", net.summary());
}

/// A noisy pair: oscillator wander and phase noise, timestamp noise and
/// exponential delays, all drawn from the seed.
fn noisy_run(seed: u64) -> (Vec<tempora_ptp::engine::Measurement>, Duration) {
    let mut net = Network::new(seed);
    let a = net.add_node("A", oc(1, 100), ClockSpec::perfect());
    let clock = ClockSpec {
        model: Some(ClockModel {
            frequency_offset_ppm: 3.0,
            wander_ppb_per_sqrt_s: 1.0,
            phase_noise_ns: 20.0,
            ..ClockModel::default()
        }),
        servo: None,
        timestamp_noise_ns: 100.0,
    };
    let b = net.add_node("B", oc(2, 128), clock);
    let lan = Direction {
        base_us: 40.0,
        jitter: Distribution::Exponential { mean_us: 8.0 },
    };
    let x = DelayModel::new(lan, 0.01, None, 60.0, net.rng());
    let y = DelayModel::new(lan, 0.01, None, 60.0, net.rng());
    net.add_link((a, 0), (b, 0), x, y);
    net.record(b);
    net.start();
    net.run_for(Duration::from_secs(60));
    let offset = net.true_offset(b);
    (net.nodes[b].log.measurements.clone(), offset)
}

#[test]
fn runs_are_deterministic_for_a_seed() {
    let one = noisy_run(7);
    assert!(one.0.len() > 30, "{}", one.0.len());
    assert_eq!(one, noisy_run(7));
    assert_ne!(one, noisy_run(8));
}
