//! Tempora to Tempora with the AUTHENTICATION TLV (IEEE 1588-2019 §16.14,
//! Annex P): engines on the simulated network with security associations
//! in linuxptp's `sa_file` format, so that CI needs no linuxptp 4.x. The
//! same key gives an exact synchronization; a wrong key, a missing TLV or a
//! replayed Sync/Follow_Up is refused and counted; a transparent clock
//! without the key passes the messages on when the association allows a
//! mutable correctionField, and one with the key recomputes the ICVs.

use tempora_clock::{Duration, Time};
use tempora_ptp::auth::{self, AuthError, SaDatabase};
use tempora_ptp::datasets::{DelayMechanism, InstanceType, PortState};
use tempora_ptp::engine::{InstanceConfig, PortAuth, PortConfig, PortIndex, PtpInstance, RxError};
use tempora_ptp::wire::{
    AnnounceBody, Body, ClockIdentity, ClockQuality, Flags, Header, Message, MessageType,
    PortIdentity, Suffix, Timestamp,
};
use tempora_sim::model::delay::DelayModel;
use tempora_sim::network::{ClockSpec, Network};

const SEED: u64 = 1;
const LINK: Duration = Duration::from_micros(50);

const SA_FILE: &str = "\
[security_association]
spp 1
seqid_window 20
1 AES128 HEX:FAF48EBA01E7C5966A76CB787AED4E7B
2 SHA256-128 HEX:F8ADC6B8B8E9AA709106BA42481EC9E29607334DE2C3C737A11A12931DB27F8C
3 SHA256 32 HEX:EE91D469B3A8ADC6AC8EB28E21794C706E08FDE48863828A7B0281AFCA81B17D
4 AES256 B64:PKTF9VQz94qPaoAzW4eE3JtFoQ8Ov1OTQSojalWyMbs=
";

/// The same ids with other secrets.
const WRONG_SA_FILE: &str = "\
[security_association]
spp 1
1 AES128 HEX:00F48EBA01E7C5966A76CB787AED4E7B
2 SHA256-128 ASCII:not-the-key
";

fn db(text: &str, allow_mutable: bool) -> SaDatabase {
    let mut db = SaDatabase::parse(text).unwrap();
    for sa in &mut db.associations {
        sa.allow_mutable = allow_mutable;
    }
    db
}

fn id(n: u8) -> ClockIdentity {
    ClockIdentity::from_mac([0x02, 0, 0, 0, 0, n])
}

/// An ordinary clock; with `key`, its port has spp 1 and that active key.
fn oc(n: u8, priority1: u8, sa: &SaDatabase, key: Option<u32>) -> InstanceConfig {
    let mut c = InstanceConfig::ordinary(id(n));
    c.priority1 = priority1;
    c.security_associations = sa.clone();
    c.ports[0].auth = key.map(|active_key_id| PortAuth {
        spp: 1,
        active_key_id,
    });
    c
}

fn add(net: &mut Network, name: &str, config: InstanceConfig, offset: Duration) -> usize {
    let node = net.add_node(name, config, ClockSpec::free_running(offset, 0.0));
    net.record(node);
    node
}

fn link(net: &mut Network, a: (usize, PortIndex), b: (usize, PortIndex), delay: Duration) {
    net.add_link(a, b, DelayModel::fixed(delay), DelayModel::fixed(delay));
}

/// A master (priority1 100) and a slave 1 ms off, for 40 s.
fn pair(master: InstanceConfig, slave: InstanceConfig) -> (Network, usize, usize) {
    let mut net = Network::new(SEED);
    let a = add(&mut net, "A", master, Duration::ZERO);
    let b = add(&mut net, "B", slave, Duration::from_millis(1));
    link(&mut net, (a, 0), (b, 0), LINK);
    net.start_node(a);
    net.start_node(b);
    net.run_for(Duration::from_secs(40));
    (net, a, b)
}

fn auth_failures(net: &Network, node: usize) -> u64 {
    net.nodes[node]
        .engine
        .port_counters(0)
        .unwrap()
        .rx_auth_failures
}

/// The same security association: exact synchronization for every key
/// type, E2E and P2P, with the master and slave signing with different keys
/// of it; nothing refused.
#[test]
fn same_keys_synchronize() {
    let sa = db(SA_FILE, false);
    for (mechanism, master_key, slave_key) in [
        (DelayMechanism::E2e, 1, 2),
        (DelayMechanism::P2p, 3, 4),
        (DelayMechanism::E2e, 4, 1),
    ] {
        let mut m = oc(1, 100, &sa, Some(master_key));
        let mut s = oc(2, 128, &sa, Some(slave_key));
        m.ports[0].delay_mechanism = mechanism;
        s.ports[0].delay_mechanism = mechanism;
        let (net, a, b) = pair(m, s);
        assert_eq!(net.port_state(b, 0), PortState::Slave, "{mechanism:?}");
        let meas = net.nodes[b].log.measurements.last().unwrap();
        assert!(
            (meas.offset - Duration::from_millis(1)).abs() < Duration::from_nanos(1),
            "{mechanism:?}: offset {}",
            meas.offset
        );
        assert!((meas.delay - LINK).abs() < Duration::from_nanos(1));
        assert_eq!((auth_failures(&net, a), auth_failures(&net, b)), (0, 0));
        let rx = net.nodes[b].engine.port_counters(0).unwrap().rx;
        assert!(rx[MessageType::Sync.to_nibble() as usize] > 30);
    }
}

/// A wrong key, either way round: the messages are refused and counted,
/// the slave never follows, and both think they are the only master.
#[test]
fn wrong_key_is_refused_both_ways() {
    let right = db(SA_FILE, false);
    let wrong = db(WRONG_SA_FILE, false);
    for (m_sa, s_sa) in [(&right, &wrong), (&wrong, &right)] {
        let (net, a, b) = pair(oc(1, 100, m_sa, Some(1)), oc(2, 128, s_sa, Some(1)));
        assert_eq!(net.port_state(b, 0), PortState::Master);
        assert_eq!(net.port_state(a, 0), PortState::Master);
        assert!(net.nodes[b].log.measurements.is_empty());
        assert!(auth_failures(&net, a) > 10, "{}", auth_failures(&net, a));
        assert!(auth_failures(&net, b) > 10, "{}", auth_failures(&net, b));
    }
}

/// A master without authentication: a slave with an SPP refuses all of
/// its messages (no TLV). A slave without an SPP ignores an authenticating
/// master's TLVs and takes it as parent, but the master refuses its
/// Delay_Reqs, so it never completes a delay measurement.
#[test]
fn missing_tlv_is_refused() {
    let sa = db(SA_FILE, false);
    let (net, _, b) = pair(oc(1, 100, &sa, None), oc(2, 128, &sa, Some(1)));
    assert_ne!(net.port_state(b, 0), PortState::Slave);
    assert!(auth_failures(&net, b) > 10);
    let (net, a, b) = pair(oc(1, 100, &sa, Some(1)), oc(2, 128, &sa, None));
    assert_eq!(net.port_state(b, 0), PortState::Uncalibrated);
    assert!(net.nodes[b].log.measurements.is_empty());
    let delay_reqs = net.nodes[b].engine.port_counters(0).unwrap().tx[1];
    assert!(delay_reqs > 10 && auth_failures(&net, a) == delay_reqs);
}

/// An E2E transparent clock with a 3 ms residence time between master and
/// slave: it changes the Follow_Up's and Delay_Resp's correctionField.
/// Without the key and without allow_mutable the slave refuses them; with
/// allow_mutable it accepts them; a TC holding the key recomputes the ICVs.
#[test]
fn transparent_clock_and_mutable_correction() {
    let run = |end_sa: &SaDatabase, tc_sa: &SaDatabase| {
        let mut net = Network::new(SEED);
        let a = add(&mut net, "A", oc(1, 100, end_sa, Some(2)), Duration::ZERO);
        let b = add(
            &mut net,
            "B",
            oc(2, 128, end_sa, Some(2)),
            Duration::from_micros(250),
        );
        let mut tc = InstanceConfig::ordinary(id(3));
        tc.instance_type = InstanceType::E2eTransparentClock;
        tc.ports = vec![PortConfig::default(); 2];
        tc.security_associations = tc_sa.clone();
        let t = add(&mut net, "TC", tc, Duration::from_millis(7));
        net.set_egress_latency(t, Duration::from_millis(3));
        link(&mut net, (a, 0), (t, 0), LINK);
        link(&mut net, (t, 1), (b, 0), LINK * 3);
        for n in [a, b, t] {
            net.start_node(n);
        }
        net.run_for(Duration::from_secs(40));
        let offset = net.nodes[b].log.measurements.last().map(|m| m.offset);
        (offset, auth_failures(&net, b))
    };
    let exact = |o: Option<Duration>| {
        o.is_some_and(|o| (o - Duration::from_micros(250)).abs() < Duration::from_nanos(1))
    };
    // No key at the TC, correction protected: the corrected messages fail.
    let (offset, failures) = run(&db(SA_FILE, false), &SaDatabase::default());
    assert!(offset.is_none() && failures > 10, "{offset:?} {failures}");
    // allow_mutable: the TC needs no key.
    let (offset, failures) = run(&db(SA_FILE, true), &SaDatabase::default());
    assert!(exact(offset) && failures == 0, "{offset:?} {failures}");
    // The TC holds the key: it recomputes the ICVs.
    let (offset, failures) = run(&db(SA_FILE, false), &db(SA_FILE, false));
    assert!(exact(offset) && failures == 0, "{offset:?} {failures}");
}

// --- A slave engine fed crafted messages: replays and tampering. ---

fn master_port() -> PortIdentity {
    PortIdentity {
        clock_identity: id(9),
        port_number: 1,
    }
}

/// A signed message from the crafted master.
fn signed(sa: &SaDatabase, key: u32, message_type: MessageType, seq: u16, body: Body) -> Vec<u8> {
    let mut header = Header::new(message_type, master_port());
    header.sequence_id = seq;
    if message_type == MessageType::Sync {
        header.flags = Flags(Flags::TWO_STEP);
    }
    let m = Message {
        header,
        body,
        suffix: Suffix::Raw(&[]),
        trailer: &[],
    };
    let mut buf = vec![0u8; m.encoded_len()];
    m.encode(&mut buf).unwrap();
    auth::append(sa.get(1).unwrap(), key, &mut buf).unwrap();
    buf
}

fn announce(sa: &SaDatabase, seq: u16) -> Vec<u8> {
    signed(
        sa,
        1,
        MessageType::Announce,
        seq,
        Body::Announce(AnnounceBody {
            origin_timestamp: Timestamp::default(),
            current_utc_offset: 37,
            reserved: 0,
            grandmaster_priority1: 1,
            grandmaster_clock_quality: ClockQuality {
                clock_class: 6,
                clock_accuracy: 0x21,
                offset_scaled_log_variance: 0x4e5d,
            },
            grandmaster_priority2: 128,
            grandmaster_identity: id(9),
            steps_removed: 0,
            time_source: 0x20,
        }),
    )
}

fn sync(sa: &SaDatabase, seq: u16) -> Vec<u8> {
    signed(
        sa,
        1,
        MessageType::Sync,
        seq,
        Body::Sync {
            origin_timestamp: Timestamp::default(),
        },
    )
}

fn follow_up(sa: &SaDatabase, seq: u16) -> Vec<u8> {
    signed(
        sa,
        2,
        MessageType::FollowUp,
        seq,
        Body::FollowUp {
            precise_origin_timestamp: Timestamp {
                seconds: 1_800_000_000,
                nanoseconds: 0,
            },
        },
    )
}

/// A slave that took the crafted master as parent.
fn slave_of_crafted_master(sa: &SaDatabase) -> (PtpInstance, Time) {
    let mut c = oc(2, 128, sa, Some(1));
    c.slave_only = true;
    let mut e = PtpInstance::new(c, 7);
    let mut now = Time::from_secs_nanos(1_800_000_000, 0);
    e.start(now);
    for seq in 0..4 {
        now += Duration::from_secs(1);
        e.handle_message(now, 0, &announce(sa, seq), None, None)
            .unwrap();
        while e.poll_action().is_some() {}
    }
    assert_eq!(e.port_ds(0).unwrap().port_state, PortState::Uncalibrated);
    (e, now)
}

#[test]
fn replayed_sync_and_follow_up_are_refused() {
    let sa = db(SA_FILE, false);
    let (mut e, mut now) = slave_of_crafted_master(&sa);
    let mut feed = |e: &mut PtpInstance, data: &[u8]| {
        now += Duration::from_millis(10);
        let r = e.handle_message(now, 0, data, Some(now), None);
        while e.poll_action().is_some() {}
        r
    };
    for seq in 10..13 {
        feed(&mut e, &sync(&sa, seq)).unwrap();
        feed(&mut e, &follow_up(&sa, seq)).unwrap();
    }
    let replay = |last, received| {
        Err(RxError::Unauthenticated(AuthError::Replay {
            last,
            received,
        }))
    };
    // The last pair again, and an older one: replays.
    assert_eq!(feed(&mut e, &sync(&sa, 12)), replay(12, 12));
    assert_eq!(feed(&mut e, &follow_up(&sa, 12)), replay(12, 12));
    assert_eq!(feed(&mut e, &sync(&sa, 5)), replay(12, 5));
    // Beyond the window of 20.
    assert_eq!(feed(&mut e, &sync(&sa, 33)), replay(12, 33));
    // The next ones, with a few lost: fine.
    feed(&mut e, &sync(&sa, 20)).unwrap();
    feed(&mut e, &follow_up(&sa, 20)).unwrap();
    // A flipped bit, a stripped TLV, the wrong key: refused.
    let mut bad = sync(&sa, 21);
    bad[40] ^= 1;
    assert_eq!(
        feed(&mut e, &bad),
        Err(RxError::Unauthenticated(AuthError::BadIcv))
    );
    let good = sync(&sa, 21);
    let mut bare = good[..44].to_vec();
    bare[2..4].copy_from_slice(&44u16.to_be_bytes());
    assert_eq!(
        feed(&mut e, &bare),
        Err(RxError::Unauthenticated(AuthError::Missing))
    );
    let wrong = db(WRONG_SA_FILE, false);
    assert_eq!(
        feed(&mut e, &sync(&wrong, 21)),
        Err(RxError::Unauthenticated(AuthError::BadIcv))
    );
    feed(&mut e, &good).unwrap();
    let c = e.port_counters(0).unwrap();
    assert_eq!(c.rx_auth_failures, 7);
    assert_eq!(c.rx_errors, 7);
}
