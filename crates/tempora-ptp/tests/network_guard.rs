//! Issue 13 in the engine, without root: management from the network is
//! read-only by default (IEEE 1588-2019 §15.5.4.4: SET and COMMAND get
//! MANAGEMENT_ERROR_STATUS NOT_SUPPORTED, as from ptp4l), `off` answers
//! nothing, the local channel keeps full control, and ENABLE_PORT reaches a
//! port wherever DISABLE_PORT did; the UTC offset gate holds back a forged
//! Announce with currentUtcOffset 32767 from the grandmaster's identity;
//! an acceptable master bound to an address (§17.6) is not taken from
//! another address.

use std::net::{IpAddr, Ipv4Addr};

use tempora_clock::{Duration, Time};
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::{
    Action, Address, InstanceConfig, NetworkManagement, PtpInstance, RxError, Timer,
};
use tempora_ptp::wire::tlv::Tlv;
use tempora_ptp::wire::tlv::management::{
    Action as MgmtAction, ManagementData, ManagementTlv, management_error_id, management_id,
};
use tempora_ptp::wire::{
    AnnounceBody, Body, ClockIdentity, ClockQuality, Flags, Header, ManagementBody, Message,
    MessageType, PortIdentity, Suffix, Timestamp,
};

const ME: ClockIdentity = ClockIdentity([0x02, 0x54, 0x4d, 0xff, 0xfe, 0, 0, 1]);
const GM: ClockIdentity = ClockIdentity([0x02, 0x47, 0x4d, 0xff, 0xfe, 0, 0, 9]);
const REQUESTER: PortIdentity = PortIdentity {
    clock_identity: ClockIdentity([0x0a; 8]),
    port_number: 1,
};

fn t0() -> Time {
    Time::from_secs_nanos(1_800_000_000, 0)
}

fn encode(message: &Message<'_>) -> Vec<u8> {
    let mut bytes = vec![0u8; message.encoded_len()];
    message.encode(&mut bytes).unwrap();
    bytes
}

/// A management request as pmc sends it (`-b 1`, to every clock and port).
fn request(action: MgmtAction, id: u16, data: &[u8]) -> Vec<u8> {
    let mut header = Header::new(MessageType::Management, REQUESTER);
    header.sequence_id = 7;
    header.log_message_interval = 0x7f;
    let tlvs = [Tlv::Management(ManagementTlv {
        management_id: id,
        data: ManagementData::Raw(data),
    })];
    encode(&Message {
        header,
        body: Body::Management(ManagementBody {
            target_port_identity: PortIdentity::ALL,
            starting_boundary_hops: 1,
            boundary_hops: 1,
            action_octet: action.to_u8(),
            reserved: 0,
        }),
        suffix: Suffix::Tlvs(&tlvs),
        trailer: &[],
    })
}

/// A grandmaster instance (MASTER: no other master heard), with `mode`.
fn grandmaster(mode: Option<NetworkManagement>) -> PtpInstance {
    let mut config = InstanceConfig::ordinary(ME);
    if let Some(mode) = mode {
        config.network_management = mode;
    }
    let mut instance = PtpInstance::new(config, 1);
    instance.start(t0());
    instance.handle_timer(t0(), Timer::AnnounceReceipt(0));
    let _ = management_sent(&mut instance);
    instance
}

/// The management messages the instance sent since the last call.
fn management_sent(instance: &mut PtpInstance) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| instance.poll_action())
        .filter_map(|a| match a {
            Action::Send { data, .. } => Some(data),
            _ => None,
        })
        .filter(|d| Message::decode(d).is_ok_and(|m| matches!(m.body, Body::Management(_))))
        .collect()
}

/// The managementErrorId of an answer, or None for a MANAGEMENT TLV.
fn error_id(bytes: &[u8]) -> Option<u16> {
    let m = Message::decode(bytes).unwrap();
    match m.tlvs().next().unwrap().unwrap() {
        Tlv::ManagementErrorStatus(e) => Some(e.management_error_id),
        Tlv::Management(_) => None,
        other => panic!("{other:?}"),
    }
}

fn from_network(instance: &mut PtpInstance, bytes: &[u8]) -> Result<(), RxError> {
    let source = Address::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 66)));
    instance.handle_message(t0(), 0, bytes, None, Some(source))
}

#[test]
fn network_management_is_read_only_by_default() {
    let mut gm = grandmaster(None);
    // GET is answered.
    from_network(
        &mut gm,
        &request(MgmtAction::Get, management_id::PRIORITY1, &[]),
    )
    .unwrap();
    let out = management_sent(&mut gm);
    assert_eq!(out.len(), 1);
    assert_eq!(error_id(&out[0]), None);
    // SET PRIORITY1 7: NOT_SUPPORTED, as ptp4l 3.1.1 answers it; no change.
    let set = request(MgmtAction::Set, management_id::PRIORITY1, &[7, 0]);
    from_network(&mut gm, &set).unwrap();
    let out = management_sent(&mut gm);
    assert_eq!(out.len(), 1);
    assert_eq!(error_id(&out[0]), Some(management_error_id::NOT_SUPPORTED));
    assert_eq!(gm.default_ds().priority1, 128);
    // COMMAND DISABLE_PORT: refused; the port stays MASTER.
    let disable = request(MgmtAction::Command, management_id::DISABLE_PORT, &[]);
    from_network(&mut gm, &disable).unwrap();
    let out = management_sent(&mut gm);
    assert_eq!(out.len(), 1);
    assert_eq!(error_id(&out[0]), Some(management_error_id::NOT_SUPPORTED));
    assert_eq!(gm.port_ds(0).unwrap().port_state, PortState::Master);
    assert_eq!(gm.port_counters(0).unwrap().management_refused, 2);
    // The local channel keeps full control.
    let answers = gm.handle_local_management(t0(), &set);
    assert_eq!(answers.len(), 1);
    assert_eq!(error_id(&answers[0]), None);
    assert_eq!(gm.default_ds().priority1, 7);
}

#[test]
fn network_management_off_answers_nothing() {
    let mut gm = grandmaster(Some(NetworkManagement::Off));
    for req in [
        request(MgmtAction::Get, management_id::PRIORITY1, &[]),
        request(MgmtAction::Set, management_id::PRIORITY1, &[7, 0]),
        request(MgmtAction::Command, management_id::DISABLE_PORT, &[]),
    ] {
        from_network(&mut gm, &req).unwrap();
        assert!(management_sent(&mut gm).is_empty());
    }
    assert_eq!(gm.port_counters(0).unwrap().management_ignored, 3);
    assert_eq!(gm.default_ds().priority1, 128);
    assert_eq!(gm.port_ds(0).unwrap().port_state, PortState::Master);
    // Still the local channel answers.
    let get = request(MgmtAction::Get, management_id::PRIORITY1, &[]);
    assert_eq!(gm.handle_local_management(t0(), &get).len(), 1);
}

#[test]
fn read_write_enable_port_reaches_a_port_disable_port_reached() {
    let mut gm = grandmaster(Some(NetworkManagement::ReadWrite));
    let disable = request(MgmtAction::Command, management_id::DISABLE_PORT, &[]);
    from_network(&mut gm, &disable).unwrap();
    assert_eq!(gm.port_ds(0).unwrap().port_state, PortState::Disabled);
    let _ = management_sent(&mut gm);
    // A DISABLED port takes management messages (§9.2.5), and nothing else.
    let enable = request(MgmtAction::Command, management_id::ENABLE_PORT, &[]);
    from_network(&mut gm, &enable).unwrap();
    let out = management_sent(&mut gm);
    assert_eq!(out.len(), 1);
    assert_eq!(error_id(&out[0]), None);
    assert_ne!(gm.port_ds(0).unwrap().port_state, PortState::Disabled);
}

#[test]
fn a_disabled_port_drops_everything_but_management() {
    let mut gm = grandmaster(None);
    let disable = request(MgmtAction::Command, management_id::DISABLE_PORT, &[]);
    gm.handle_local_management(t0(), &disable);
    assert_eq!(gm.port_ds(0).unwrap().port_state, PortState::Disabled);
    let before = management_sent(&mut gm);
    let announce = announce(0, 37, false, GM);
    assert_eq!(
        from_network(&mut gm, &announce),
        Err(RxError::PortNotOperational)
    );
    // Read-only: a GET is answered on the DISABLED port, ENABLE_PORT refused.
    from_network(
        &mut gm,
        &request(MgmtAction::Get, management_id::PRIORITY1, &[]),
    )
    .unwrap();
    let enable = request(MgmtAction::Command, management_id::ENABLE_PORT, &[]);
    from_network(&mut gm, &enable).unwrap();
    let out = management_sent(&mut gm);
    assert_eq!(out.len(), 2, "{before:?}");
    assert_eq!(error_id(&out[1]), Some(management_error_id::NOT_SUPPORTED));
    assert_eq!(gm.port_ds(0).unwrap().port_state, PortState::Disabled);
}

/// An Announce from the grandmaster GM's port 1 with the PTP timescale and
/// `utc_offset` (flagged valid when `valid`).
fn announce(sequence_id: u16, utc_offset: i16, valid: bool, gm: ClockIdentity) -> Vec<u8> {
    let source = PortIdentity {
        clock_identity: gm,
        port_number: 1,
    };
    let mut header = Header::new(MessageType::Announce, source);
    header.sequence_id = sequence_id;
    header.log_message_interval = 1;
    header.flags = Flags(Flags::PTP_TIMESCALE).with(Flags::CURRENT_UTC_OFFSET_VALID, valid);
    encode(&Message {
        header,
        body: Body::Announce(AnnounceBody {
            origin_timestamp: Timestamp::default(),
            current_utc_offset: utc_offset,
            reserved: 0,
            grandmaster_priority1: 100,
            grandmaster_clock_quality: ClockQuality {
                clock_class: 6,
                clock_accuracy: 0x21,
                offset_scaled_log_variance: 0x4e5d,
            },
            grandmaster_priority2: 128,
            grandmaster_identity: gm,
            steps_removed: 0,
            time_source: 0x20,
        }),
        suffix: Suffix::Tlvs(&[]),
        trailer: &[],
    })
}

/// A slave-only instance following GM (its Announces every 2 s from t0),
/// with the UTC offset gate's hold `hold`.
fn slave_of_gm(hold: Option<Duration>) -> (PtpInstance, Time) {
    let mut config = InstanceConfig::ordinary(ME);
    config.slave_only = true;
    config.clock_quality.clock_class = 255;
    config.utc_offset_hold = hold;
    let mut slave = PtpInstance::new(config, 3);
    slave.start(t0());
    let mut now = t0();
    for seq in 0..3 {
        now = t0() + Duration::from_secs(2 * i64::from(seq));
        slave
            .handle_message(now, 0, &announce(seq, 37, true, GM), None, None)
            .unwrap();
    }
    while slave.poll_action().is_some() {}
    assert_eq!(slave.parent_ds().grandmaster_identity, GM);
    assert_eq!(slave.time_properties_ds().current_utc_offset, 37);
    (slave, now)
}

#[test]
fn a_forged_utc_offset_from_the_grandmaster_is_held() {
    let (mut slave, mut now) = slave_of_gm(Some(Duration::from_secs(60)));
    let forged = |seq| announce(seq, 32767, true, GM);
    // Forged Announces between the real ones, for minutes: never taken.
    for seq in 3..100u16 {
        now += Duration::from_secs(1);
        let bytes = if seq % 2 == 0 {
            forged(seq)
        } else {
            announce(seq, 37, true, GM)
        };
        slave.handle_message(now, 0, &bytes, None, None).unwrap();
        assert_eq!(slave.time_properties_ds().current_utc_offset, 37, "{seq}");
        let changed = std::iter::from_fn(|| slave.poll_action())
            .any(|a| matches!(a, Action::TimeProperties(_)));
        assert!(!changed, "{seq}");
    }
    assert!(slave.utc_offset_gate().held_count() >= 40);
    // A leap second (a change of 1 s) is taken at once.
    now += Duration::from_secs(1);
    slave
        .handle_message(now, 0, &announce(200, 38, true, GM), None, None)
        .unwrap();
    assert_eq!(slave.time_properties_ds().current_utc_offset, 38);
    let held = slave.utc_offset_gate().held_count();
    // A new offset every Announce says for the hold time is taken after it.
    let start = now;
    let mut seq = 201;
    while now - start < Duration::from_secs(58) {
        now += Duration::from_secs(2);
        slave
            .handle_message(now, 0, &announce(seq, 50, true, GM), None, None)
            .unwrap();
        assert_eq!(slave.time_properties_ds().current_utc_offset, 38);
        seq += 1;
    }
    now += Duration::from_secs(4);
    slave
        .handle_message(now, 0, &announce(seq, 50, true, GM), None, None)
        .unwrap();
    assert_eq!(slave.time_properties_ds().current_utc_offset, 50);
    assert_eq!(slave.utc_offset_gate().held_count(), held + 1);
}

#[test]
fn without_the_gate_a_forged_utc_offset_is_taken() {
    // What the gate prevents (and what the engine did before it).
    let (mut slave, now) = slave_of_gm(None);
    slave
        .handle_message(now, 0, &announce(9, 32767, true, GM), None, None)
        .unwrap();
    assert_eq!(slave.time_properties_ds().current_utc_offset, 32767);
}

#[test]
fn an_acceptable_master_bound_to_an_address_is_not_taken_from_another() {
    let good = Address::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    let bad = Address::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 66)));
    let mut config = InstanceConfig::ordinary(ME);
    config.slave_only = true;
    config.clock_quality.clock_class = 255;
    config.ports[0].acceptable_master_addresses = vec![(
        PortIdentity {
            clock_identity: GM,
            port_number: PortIdentity::ALL.port_number,
        },
        good,
    )];
    let mut slave = PtpInstance::new(config, 3);
    slave.start(t0());
    for seq in 0..3u16 {
        let now = t0() + Duration::from_secs(2 * i64::from(seq));
        let bytes = announce(seq, 37, true, GM);
        assert_eq!(
            slave.handle_message(now, 0, &bytes, None, Some(bad)),
            Err(RxError::WrongAddress)
        );
    }
    assert_ne!(slave.parent_ds().grandmaster_identity, GM);
    // Another master is not in the table at all.
    let other = ClockIdentity([0x0b; 8]);
    for seq in 0..3u16 {
        let now = t0() + Duration::from_secs(2 * i64::from(seq));
        let bytes = announce(seq, 37, true, other);
        slave
            .handle_message(now, 0, &bytes, None, Some(bad))
            .unwrap();
    }
    assert_ne!(slave.parent_ds().grandmaster_identity, other);
    for seq in 3..6u16 {
        let now = t0() + Duration::from_secs(2 * i64::from(seq));
        let bytes = announce(seq, 37, true, GM);
        slave
            .handle_message(now, 0, &bytes, None, Some(good))
            .unwrap();
    }
    assert_eq!(slave.parent_ds().grandmaster_identity, GM);
}
