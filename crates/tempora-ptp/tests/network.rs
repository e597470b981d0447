//! Acceptance tests of the PTP engine on a simulated network with virtual
//! time (issue #3): master selection, boundary clocks, failover, rings and
//! transparent clocks.

use tempora_clock::Duration;
use tempora_ptp::datasets::{DelayMechanism, InstanceType, PortState};
use tempora_ptp::engine::{InstanceConfig, PortConfig, PortIndex};
use tempora_ptp::wire::ClockIdentity;
use tempora_sim::model::delay::DelayModel;
use tempora_sim::network::{ClockSpec, Network};

/// The seed of every simulation here.
const SEED: u64 = 1;

/// Adds a recorded node whose free-running clock is `offset` ahead of true
/// time, with exact timestamps.
fn add(net: &mut Network, name: &str, config: InstanceConfig, offset: Duration) -> usize {
    let node = net.add_node(name, config, ClockSpec::free_running(offset, 0.0));
    net.record(node);
    node
}

/// Joins two ports with a link of constant `delay` each way.
fn link(net: &mut Network, a: (usize, PortIndex), b: (usize, PortIndex), delay: Duration) {
    net.add_link(a, b, DelayModel::fixed(delay), DelayModel::fixed(delay));
}

fn id(n: u8) -> ClockIdentity {
    ClockIdentity::from_mac([0x02, 0, 0, 0, 0, n])
}

fn oc(n: u8, priority1: u8) -> InstanceConfig {
    let mut c = InstanceConfig::ordinary(id(n));
    c.priority1 = priority1;
    c
}

fn bc(n: u8, ports: usize) -> InstanceConfig {
    let mut c = InstanceConfig::ordinary(id(n));
    c.instance_type = InstanceType::BoundaryClock;
    c.ports = vec![PortConfig::default(); ports];
    c
}

fn with_mechanism(mut c: InstanceConfig, m: DelayMechanism) -> InstanceConfig {
    for p in &mut c.ports {
        p.delay_mechanism = m;
    }
    c
}

/// Announce interval of the default profile (2^1 s) and its timeout (3 intervals).
const ANNOUNCE: Duration = Duration::from_secs(2);
const LINK: Duration = Duration::from_micros(50);
/// gPTP links must be shorter than neighborPropDelayThresh (800 ns).
const GPTP_LINK: Duration = Duration::from_nanos(500);

fn announce_timeout_bound() -> Duration {
    // announceReceiptTimeout × interval + the random part (≤ 1 interval).
    ANNOUNCE * 4
}

/// (a) Two ordinary clocks: the better becomes MASTER, the other SLAVE,
/// within the announce receipt and qualification timeouts; the slave
/// measures its true offset and the link delay.
#[test]
fn two_ordinary_clocks() {
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::from_millis(1));
    link(&mut net, (a, 0), (b, 0), LINK);
    let t0 = net.now();
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.port_state(a, 0), PortState::Master);
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    let master_at = net.entered(a, 0, PortState::Master).unwrap() - t0;
    assert!(
        master_at <= announce_timeout_bound(),
        "A became MASTER after {master_at}"
    );
    // B follows once it hears A (qualification: 2 Announces) and completes a
    // Sync and a delay measurement.
    let slave_at = net.entered(b, 0, PortState::Slave).unwrap() - t0;
    assert!(
        slave_at <= announce_timeout_bound() + ANNOUNCE * 3,
        "B became SLAVE after {slave_at}"
    );
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.offset - Duration::from_millis(1)).abs() < Duration::from_nanos(1),
        "offset {}",
        m.offset
    );
    assert!(
        (m.delay - LINK).abs() < Duration::from_nanos(1),
        "delay {}",
        m.delay
    );
    assert!(net.nodes[a].log.measurements.is_empty());
    assert_eq!(net.nodes[b].engine.parent_ds().grandmaster_identity, id(1));
    assert_eq!(net.nodes[b].engine.current_ds().steps_removed, 1);
}

/// (b) OC-A (better priority1) and OC-B started first, both MASTER; then a
/// two-port boundary clock between them: SLAVE towards A, MASTER towards B,
/// and B SLAVE with stepsRemoved 2.
#[test]
fn boundary_clock_between_two_masters() {
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::from_micros(300));
    let c = add(&mut net, "BC", bc(3, 2), Duration::from_micros(-700));
    link(&mut net, (a, 0), (c, 0), LINK);
    link(&mut net, (c, 1), (b, 0), LINK * 2);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.port_state(a, 0), PortState::Master);
    assert_eq!(net.port_state(b, 0), PortState::Master);
    net.start_node(c);
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.port_state(c, 0), PortState::Slave);
    assert_eq!(net.port_state(c, 1), PortState::Master);
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    assert_eq!(net.port_state(a, 0), PortState::Master);
    let bi = &net.nodes[b].engine;
    assert_eq!(bi.current_ds().steps_removed, 2);
    assert_eq!(bi.parent_ds().grandmaster_identity, id(1));
    assert_eq!(bi.parent_ds().parent_port_identity.clock_identity, id(3));
    assert_eq!(bi.parent_ds().parent_port_identity.port_number, 2);
    // B's offset is measured against the BC's clock.
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.offset - Duration::from_micros(1000)).abs() < Duration::from_nanos(1),
        "{}",
        m.offset
    );
}

/// (c) The grandmaster disappears: the next best clock takes over within the
/// announce receipt timeout.
#[test]
fn grandmaster_failover() {
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let c = add(&mut net, "C", oc(4, 110), Duration::from_micros(20));
    let b = add(&mut net, "B", oc(2, 128), Duration::from_micros(40));
    let x = add(&mut net, "BC", bc(3, 3), Duration::ZERO);
    link(&mut net, (a, 0), (x, 0), LINK);
    link(&mut net, (c, 0), (x, 1), LINK);
    link(&mut net, (b, 0), (x, 2), LINK);
    for n in [a, c, b, x] {
        net.start_node(n);
    }
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.nodes[b].engine.parent_ds().grandmaster_identity, id(1));
    assert_eq!(net.port_state(c, 0), PortState::Slave);
    net.stop_node(a);
    let stopped = net.now();
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.port_state(c, 0), PortState::Master);
    assert_eq!(net.nodes[b].engine.parent_ds().grandmaster_identity, id(4));
    assert_eq!(net.nodes[x].engine.parent_ds().grandmaster_identity, id(4));
    assert_eq!(net.port_state(x, 1), PortState::Slave);
    // C takes over once the BC's announce receipt timeout for A expires and
    // C hears the BC announce a worse grandmaster.
    let took_over = net.entered(c, 0, PortState::Master).unwrap() - stopped;
    assert!(
        took_over <= announce_timeout_bound() + ANNOUNCE,
        "C took over after {took_over}"
    );
}

/// (d) Two boundary clocks joined by two links, fed by a grandmaster: one of
/// the second BC's ports goes PASSIVE, so there is no loop.
#[test]
fn boundary_clock_ring_goes_passive() {
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let b1 = add(&mut net, "BC1", bc(2, 3), Duration::ZERO);
    let b2 = add(&mut net, "BC2", bc(3, 2), Duration::ZERO);
    link(&mut net, (a, 0), (b1, 0), LINK);
    link(&mut net, (b1, 1), (b2, 0), LINK);
    link(&mut net, (b1, 2), (b2, 1), LINK);
    for n in [a, b1, b2] {
        net.start_node(n);
    }
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.port_state(b1, 0), PortState::Slave);
    assert_eq!(net.port_state(b1, 1), PortState::Master);
    assert_eq!(net.port_state(b1, 2), PortState::Master);
    // BC2 hears the same grandmaster on both ports; the topology tie-break
    // (§9.3.4) picks port 1, and port 2 goes PASSIVE (P2).
    assert_eq!(net.port_state(b2, 0), PortState::Slave, "{}", net.summary());
    assert_eq!(
        net.port_state(b2, 1),
        PortState::Passive,
        "{}",
        net.summary()
    );
    assert_eq!(net.nodes[b2].engine.current_ds().steps_removed, 2);
    // No loop: once settled, nothing announces back towards BC1 (its ports
    // to BC2 receive no Announce), and the states stay put.
    assert_eq!(net.nodes[b1].engine.current_ds().steps_removed, 1);
    let announces = |net: &Network, port| net.nodes[b1].engine.port_counters(port).unwrap().rx[0xb];
    let before = (announces(&net, 1), announces(&net, 2));
    let changes = net.nodes[b2].log.state_changes.len();
    net.run_for(Duration::from_secs(60));
    assert_eq!((announces(&net, 1), announces(&net, 2)), before);
    assert_eq!(net.nodes[b2].log.state_changes.len(), changes);
    assert_eq!(net.port_state(b2, 1), PortState::Passive);
}

/// (e1) An end-to-end transparent clock with a 3 ms residence time in the
/// path: the slave's delay is the two links' delay, without the residence.
#[test]
fn e2e_transparent_clock_residence_excluded() {
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::from_micros(250));
    let mut tc = bc(3, 2);
    tc.instance_type = InstanceType::E2eTransparentClock;
    let t = add(&mut net, "TC", tc, Duration::from_millis(7));
    net.set_egress_latency(t, Duration::from_millis(3));
    link(&mut net, (a, 0), (t, 0), LINK);
    link(&mut net, (t, 1), (b, 0), LINK * 3);
    for n in [a, b, t] {
        net.start_node(n);
    }
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.delay - LINK * 4).abs() < Duration::from_nanos(1),
        "delay {}",
        m.delay
    );
    assert!(
        (m.offset - Duration::from_micros(250)).abs() < Duration::from_nanos(1),
        "{}",
        m.offset
    );
}

/// (e2) A peer-to-peer transparent clock with a 3 ms residence time: the
/// slave's link delay is its own link's, and its offset is exact.
#[test]
fn p2p_transparent_clock_residence_excluded() {
    let mut net = Network::new(SEED);
    let a = add(
        &mut net,
        "A",
        with_mechanism(oc(1, 100), DelayMechanism::P2p),
        Duration::ZERO,
    );
    let b = add(
        &mut net,
        "B",
        with_mechanism(oc(2, 128), DelayMechanism::P2p),
        Duration::from_micros(-90),
    );
    let mut tc = with_mechanism(bc(3, 2), DelayMechanism::P2p);
    tc.instance_type = InstanceType::P2pTransparentClock;
    let t = add(&mut net, "TC", tc, Duration::from_millis(2));
    net.set_egress_latency(t, Duration::from_millis(3));
    link(&mut net, (a, 0), (t, 0), LINK);
    link(&mut net, (t, 1), (b, 0), LINK * 3);
    for n in [a, b, t] {
        net.start_node(n);
    }
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.delay - LINK * 3).abs() < Duration::from_nanos(1),
        "delay {}",
        m.delay
    );
    assert!(
        (m.offset - Duration::from_micros(-90)).abs() < Duration::from_nanos(1),
        "{}",
        m.offset
    );
    let tc_link = net.nodes[t].engine.port_ds(0).unwrap().mean_link_delay;
    assert!(
        (tc_link - LINK).abs() < Duration::from_nanos(1),
        "TC link delay {tc_link}"
    );
}

/// The automotive profile: static roles, no BMCA, no Announce; the slave
/// follows the master's Sync.
#[test]
fn automotive_static_roles() {
    use tempora_ptp::profile;
    let mut net = Network::new(SEED);
    let master = InstanceConfig::from_profile(&profile::AUTOMOTIVE_MASTER, id(1), 1);
    let slave = InstanceConfig::from_profile(&profile::AUTOMOTIVE_SLAVE, id(2), 1);
    let a = add(&mut net, "A", master, Duration::ZERO);
    let b = add(&mut net, "B", slave, Duration::from_micros(70));
    link(&mut net, (a, 0), (b, 0), LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(5));
    assert_eq!(net.port_state(a, 0), PortState::Master);
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    // Master from the start, without waiting for any timeout.
    assert_eq!(
        net.entered(a, 0, PortState::Master),
        Some(net.nodes[a].log.state_changes[0].at)
    );
    let announces = net.nodes[a]
        .log
        .sent
        .iter()
        .filter(|f| f.data.first().is_some_and(|b| b & 0x0f == 0xb))
        .count();
    assert_eq!(announces, 0, "the automotive master must not send Announce");
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.offset - Duration::from_micros(70)).abs() < Duration::from_nanos(1),
        "{}",
        m.offset
    );
    assert!(
        (m.delay - LINK).abs() < Duration::from_nanos(1),
        "{}",
        m.delay
    );
}

/// gPTP (IEEE 802.1AS): peer delay, Follow_Up information TLVs and path
/// trace in Announce; majorSdoId 1 on every message.
#[test]
fn gptp_profile_on_the_wire() {
    use tempora_ptp::profile;
    use tempora_ptp::wire::tlv::Tlv;
    use tempora_ptp::wire::{Body, Message};
    let mut net = Network::new(SEED);
    let mut gm = InstanceConfig::from_profile(&profile::GPTP, id(1), 1);
    gm.priority1 = 246;
    let a = add(&mut net, "A", gm, Duration::ZERO);
    let b = add(
        &mut net,
        "B",
        InstanceConfig::from_profile(&profile::GPTP, id(2), 1),
        Duration::from_micros(5),
    );
    link(&mut net, (a, 0), (b, 0), GPTP_LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.port_state(a, 0), PortState::Master);
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    let mut follow_ups = 0;
    let mut announces = 0;
    for frame in &net.nodes[a].log.sent {
        let msg = Message::decode(&frame.data).unwrap();
        assert_eq!(msg.header.major_sdo_id, 1);
        let tlvs: Vec<Tlv> = msg.tlvs().map(Result::unwrap).collect();
        match msg.body {
            Body::FollowUp { .. } => {
                follow_ups += 1;
                let Tlv::OrganizationExtension(org) = tlvs[0] else {
                    panic!("{tlvs:?}")
                };
                assert_eq!(org.follow_up_information().unwrap().rate_ratio(), 1.0);
            }
            Body::Announce(_) => {
                announces += 1;
                let Tlv::PathTrace(p) = tlvs[0] else {
                    panic!("{tlvs:?}")
                };
                assert_eq!(p.identities().collect::<Vec<_>>(), vec![id(1)]);
            }
            _ => {}
        }
    }
    assert!(
        follow_ups > 100 && announces > 10,
        "{follow_ups} follow-ups, {announces} announces"
    );
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.offset - Duration::from_micros(5)).abs() < Duration::from_nanos(1),
        "{}",
        m.offset
    );
}

/// Unicast negotiation (§16.1), as G.8275.2 uses: the slave asks its
/// configured master for Announce, then Sync and Delay_Resp; the master
/// sends everything by unicast, and the slave synchronizes.
#[test]
fn unicast_negotiation() {
    use tempora_ptp::engine::Destination;
    use tempora_ptp::wire::{Flags, Message, MessageType};
    use tempora_sim::network::port_address;
    let mut net = Network::new(SEED);
    let mut master = oc(1, 100);
    master.ports[0].unicast_listen = true;
    let mut slave = oc(2, 128);
    slave.slave_only = true;
    slave.ports[0].unicast_masters = vec![port_address(0, 0)];
    let a = add(&mut net, "A", master, Duration::ZERO);
    let b = add(&mut net, "B", slave, Duration::from_micros(-33));
    link(&mut net, (a, 0), (b, 0), LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.port_state(a, 0), PortState::Master, "{}", net.summary());
    assert_eq!(net.port_state(b, 0), PortState::Slave, "{}", net.summary());
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.offset - Duration::from_micros(-33)).abs() < Duration::from_nanos(1),
        "{}",
        m.offset
    );
    assert!(
        (m.delay - LINK).abs() < Duration::from_nanos(1),
        "{}",
        m.delay
    );
    // Every Announce, Sync, Follow_Up and Delay_Resp of the master went by
    // unicast to the slave, flagged unicast (§13.3.2.8).
    let mut kinds = std::collections::BTreeSet::new();
    for frame in &net.nodes[a].log.sent {
        let msg = Message::decode(&frame.data).unwrap();
        let t = msg.header.message_type;
        if matches!(
            t,
            MessageType::Announce
                | MessageType::Sync
                | MessageType::FollowUp
                | MessageType::DelayResp
                | MessageType::Signaling
        ) {
            assert_eq!(
                frame.destination,
                Destination::Unicast(port_address(b, 0)),
                "{t}"
            );
            assert!(msg.header.flags.contains(Flags::UNICAST), "{t}");
            kinds.insert(t.name());
        }
    }
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    // The slave asked by Signaling and its Delay_Req went by unicast too.
    assert!(
        net.nodes[b]
            .log
            .sent
            .iter()
            .all(|f| f.destination == Destination::Unicast(port_address(a, 0)))
    );
}

/// The acceptable master table (§17.6): a boundary clock whose port towards
/// the best grandmaster accepts only another master ignores it.
#[test]
fn acceptable_master_table() {
    use tempora_ptp::wire::PortIdentity;
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let c = add(&mut net, "C", oc(4, 110), Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::ZERO);
    let mut config = bc(3, 3);
    let only_c = PortIdentity {
        clock_identity: id(4),
        port_number: 1,
    };
    for p in &mut config.ports {
        p.acceptable_masters = vec![only_c];
    }
    let x = add(&mut net, "BC", config, Duration::ZERO);
    link(&mut net, (a, 0), (x, 0), LINK);
    link(&mut net, (c, 0), (x, 1), LINK);
    link(&mut net, (b, 0), (x, 2), LINK);
    for n in [a, c, b, x] {
        net.start_node(n);
    }
    net.run_for(Duration::from_secs(60));
    assert_eq!(
        net.nodes[x].engine.parent_ds().grandmaster_identity,
        id(4),
        "{}",
        net.summary()
    );
    assert_eq!(net.port_state(x, 1), PortState::Slave, "{}", net.summary());
    assert_eq!(net.port_state(x, 0), PortState::Master, "{}", net.summary());
    assert_eq!(net.nodes[b].engine.parent_ds().grandmaster_identity, id(4));
}

/// The G.8275.1 alternate BMCA (selected by the profile): priority1 is not
/// used, so the clock with the better priority2 wins even though IEEE 1588's
/// BMCA would pick the other by priority1.
#[test]
fn g8275_1_alternate_bmca() {
    use tempora_ptp::profile;
    for (telecom, expected_master) in [(true, 1usize), (false, 0usize)] {
        let mut net = Network::new(SEED);
        let make = |n: u8, p1: u8, p2: u8| {
            let mut c = InstanceConfig::from_profile(&profile::G8275_1, id(n), 1);
            c.clock_quality.clock_class = 165;
            c.slave_only = false;
            c.priority1 = p1;
            c.priority2 = p2;
            if !telecom {
                c.bmca = tempora_ptp::bmca::BmcaKind::Ieee1588;
            }
            c
        };
        let a = add(&mut net, "A", make(1, 10, 200), Duration::ZERO);
        let b = add(&mut net, "B", make(2, 200, 10), Duration::ZERO);
        link(&mut net, (a, 0), (b, 0), LINK);
        net.start_node(a);
        net.start_node(b);
        net.run_for(Duration::from_secs(20));
        let (m, s) = if expected_master == 0 { (a, b) } else { (b, a) };
        assert_eq!(
            net.port_state(m, 0),
            PortState::Master,
            "telecom {telecom}: {}",
            net.summary()
        );
        assert_eq!(
            net.port_state(s, 0),
            PortState::Slave,
            "telecom {telecom}: {}",
            net.summary()
        );
    }
}

/// Timescale and leap seconds (§7.2, §9.4): the grandmaster announces PTP
/// time with its UTC offset; when its clock layer reports a pending leap
/// second, the slave hands leap61 to its own clock layer, and the flag goes
/// again once the grandmaster clears it.
#[test]
fn leap_second_reaches_the_slave() {
    use tempora_ptp::datasets::TimePropertiesDs;
    let mut gm = oc(1, 100);
    gm.time_properties = TimePropertiesDs {
        current_utc_offset: 37,
        current_utc_offset_valid: true,
        ptp_timescale: true,
        time_traceable: true,
        frequency_traceable: true,
        time_source: 0x20,
        ..TimePropertiesDs::default()
    };
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", gm.clone(), Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::ZERO);
    link(&mut net, (a, 0), (b, 0), LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(20));
    let tp = *net.nodes[b].log.time_properties.last().unwrap();
    assert!(tp.ptp_timescale && tp.current_utc_offset_valid && !tp.leap61);
    assert_eq!((tp.current_utc_offset, tp.time_source), (37, 0x20));

    let mut leap = gm.time_properties;
    leap.leap61 = true;
    net.operate(a, |e, _| e.set_time_properties(leap));
    net.run_for(Duration::from_secs(3));
    assert!(net.nodes[b].log.time_properties.last().unwrap().leap61);
    assert!(net.nodes[b].engine.time_properties_ds().leap61);

    let mut after = gm.time_properties;
    after.current_utc_offset = 38;
    net.operate(a, |e, _| e.set_time_properties(after));
    net.run_for(Duration::from_secs(3));
    let tp = *net.nodes[b].log.time_properties.last().unwrap();
    assert!(!tp.leap61);
    assert_eq!(tp.current_utc_offset, 38);
}

/// A grandmaster's clockQuality changed at run time (locked to GNSS:
/// class 6; holdover: 7; then 248) reaches the slave's parent data set
/// with the next Announces.
#[test]
fn clock_quality_change_reaches_the_slave() {
    use tempora_ptp::wire::ClockQuality;
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::ZERO);
    link(&mut net, (a, 0), (b, 0), LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(20));
    let base = net.nodes[a].engine.default_ds().clock_quality;
    for class in [6u8, 7, 248] {
        let q = ClockQuality {
            clock_class: class,
            clock_accuracy: 0x21,
            ..base
        };
        net.operate(a, |e, now| e.set_clock_quality(now, q));
        assert_eq!(net.nodes[a].engine.default_ds().clock_quality, q);
        assert_eq!(net.nodes[a].engine.parent_ds().grandmaster_clock_quality, q);
        net.run_for(ANNOUNCE * 2);
        let seen = net.nodes[b].engine.parent_ds().grandmaster_clock_quality;
        assert_eq!(seen, q, "class {class}");
        assert_eq!(net.port_state(b, 0), PortState::Slave);
    }
}

/// One-step Sync (§9.5.9.2): no Follow_Up, the transmit time travels in the
/// Sync itself; the slave measures its offset exactly.
#[test]
fn one_step_master() {
    let mut master = oc(1, 100);
    master.two_step = false;
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", master, Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::from_micros(12));
    link(&mut net, (a, 0), (b, 0), LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.port_state(b, 0), PortState::Slave, "{}", net.summary());
    let follow_ups = net.nodes[a]
        .log
        .sent
        .iter()
        .filter(|f| f.data[0] & 0x0f == 0x8)
        .count();
    assert_eq!(follow_ups, 0);
    let m = net.nodes[b].log.measurements.last().unwrap();
    assert!(
        (m.offset - Duration::from_micros(12)).abs() < Duration::from_nanos(1),
        "{}",
        m.offset
    );
    assert!(
        (m.delay - LINK).abs() < Duration::from_nanos(1),
        "{}",
        m.delay
    );
}

/// gPTP peer delay (IEEE 802.1AS-2020 §11.2.19): the neighbor rate ratio is
/// measured from successive exchanges and corrects the link delay of a port
/// whose clock runs 50 ppm fast; a neighbor beyond neighborPropDelayThresh
/// is not asCapable and gets neither Announce nor Sync.
#[test]
fn gptp_neighbor_rate_ratio_and_as_capable() {
    use tempora_ptp::profile;
    let mut net = Network::new(SEED);
    let mut gm = InstanceConfig::from_profile(&profile::GPTP, id(1), 1);
    gm.priority1 = 246;
    let a = add(&mut net, "A", gm.clone(), Duration::ZERO);
    let b = net.add_node(
        "B",
        InstanceConfig::from_profile(&profile::GPTP, id(2), 1),
        ClockSpec::free_running(Duration::ZERO, 50.0),
    );
    net.record(b);
    link(&mut net, (a, 0), (b, 0), GPTP_LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.port_state(b, 0), PortState::Slave, "{}", net.summary());
    let ratio = net.nodes[b].engine.neighbor_rate_ratio(0).unwrap();
    assert!((ratio - 1.0 / 1.000_05).abs() < 1e-9, "ratio {ratio}");
    let link_delay = net.nodes[b].engine.port_ds(0).unwrap().mean_link_delay;
    assert!(
        (link_delay - GPTP_LINK).abs() < Duration::from_nanos(1),
        "link delay {link_delay}"
    );
    assert_eq!(net.nodes[b].engine.as_capable(0), Some(true));

    // 800 ns is the threshold: a 5 us link is too long.
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", gm, Duration::ZERO);
    let b = add(
        &mut net,
        "B",
        InstanceConfig::from_profile(&profile::GPTP, id(2), 1),
        Duration::ZERO,
    );
    link(&mut net, (a, 0), (b, 0), Duration::from_micros(5));
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.nodes[b].engine.as_capable(0), Some(false));
    assert_eq!(net.nodes[a].engine.as_capable(0), Some(false));
    let syncs = net.nodes[a]
        .log
        .sent
        .iter()
        .filter(|f| f.data[0] & 0x0f == 0)
        .count();
    assert_eq!(syncs, 0, "no Sync to a neighbor that is not asCapable");
    assert!(net.nodes[b].log.measurements.is_empty());
}

/// FAULTY (§9.2.6.5, §9.2.6.6): a fault on the slave's port takes it out of
/// service; once cleared it starts over and becomes SLAVE again.
#[test]
fn faulty_and_back() {
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", oc(1, 100), Duration::ZERO);
    let b = add(&mut net, "B", oc(2, 128), Duration::ZERO);
    link(&mut net, (a, 0), (b, 0), LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.port_state(b, 0), PortState::Slave);
    net.operate(b, |e, now| e.handle_port_fault(now, 0));
    net.run_for(Duration::from_secs(10));
    assert_eq!(net.port_state(b, 0), PortState::Faulty);
    let measured = net.nodes[b].log.measurements.len();
    net.run_for(Duration::from_secs(10));
    assert_eq!(
        net.nodes[b].log.measurements.len(),
        measured,
        "no measurements while FAULTY"
    );
    net.operate(b, |e, now| e.handle_port_fault_cleared(now, 0));
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.port_state(b, 0), PortState::Slave, "{}", net.summary());
}
