//! Unit tests of the management responder: SET and COMMAND, errors,
//! per-port answers to wildcard requests, boundary clock forwarding.

extern crate std;

use alloc::vec;
use alloc::vec::Vec;

use tempora_clock::{Duration, Time};

use super::*;
use crate::datasets::{CurrentDs, DefaultDs, ParentDs, TimePropertiesDs};
use crate::wire::tlv::management::{
    ManagementData, PortAddress, management_error_id as err, management_id as id,
};

const ME: ClockIdentity = ClockIdentity([0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55]);
const REQUESTER: PortIdentity = PortIdentity {
    clock_identity: ClockIdentity([0xba, 0xf9, 0xb8, 0xff, 0xfe, 0xa4, 0xba, 0xd6]),
    port_number: 1,
};
const ALL: PortIdentity = PortIdentity::ALL;

/// A three-port boundary clock: port 1 SLAVE, port 2 MASTER, port 3
/// LISTENING.
struct Fixture {
    default_ds: DefaultDs,
    current_ds: CurrentDs,
    parent_ds: ParentDs,
    time_properties_ds: TimePropertiesDs,
    ports: Vec<PortDs>,
    info: Vec<PortInfo<'static>>,
    clock_info: ClockInfo<'static>,
    time_status: TimeStatus,
    accept: bool,
}

impl Fixture {
    fn boundary_clock() -> Self {
        let default_ds = DefaultDs::new(ME, 3);
        let states = [PortState::Slave, PortState::Master, PortState::Listening];
        let ports = states
            .iter()
            .zip(1u16..)
            .map(|(state, n)| {
                let mut p = PortDs::new(PortIdentity {
                    clock_identity: ME,
                    port_number: n,
                });
                p.port_state = *state;
                p.log_sync_interval = 0;
                p
            })
            .collect();
        let mut stats = PortStats::ZERO;
        stats.rx[0] = 7;
        stats.tx[0xb] = 300;
        let info = (1..=3)
            .map(|n| PortInfo {
                physical_layer_protocol: b"IEEE 802.3",
                physical_address: &[2, 0x11, 0x22, 0x33, 0x44, 0x55],
                protocol_address: PortAddress {
                    network_protocol: 1,
                    address: &[10, 0, 0, 1],
                },
                timestamping: 1,
                interface: if n == 1 { b"eth1" } else { b"eth2" },
                stats,
            })
            .collect();
        Fixture {
            parent_ds: ParentDs::own(&default_ds),
            default_ds,
            current_ds: CurrentDs {
                steps_removed: 1,
                offset_from_master: Duration::from_nanos(-12),
                mean_delay: Duration::from_nanos(500),
            },
            time_properties_ds: TimePropertiesDs::default(),
            ports,
            info,
            clock_info: ClockInfo {
                manufacturer_identity: [1, 2, 3],
                product_description: b"Tempora;test;1",
                revision_data: b";;0.1",
                user_description: b"rack 4",
                profile_identity: [0, 0x1b, 0x19, 0, 1, 0],
            },
            time_status: TimeStatus {
                master_offset: Duration::from_nanos(-12),
                ingress_time: Time::from_nanos(1_700_000_000_000_000_000),
                gm_present: true,
                ..TimeStatus::default()
            },
            accept: true,
        }
    }

    fn ordinary_clock() -> Self {
        let mut f = Fixture::boundary_clock();
        f.default_ds = DefaultDs::new(ME, 1);
        f.ports.truncate(1);
        f.ports[0].port_state = PortState::Master;
        f
    }

    fn state(&self) -> ManagementState<'_> {
        ManagementState {
            default_ds: &self.default_ds,
            current_ds: &self.current_ds,
            parent_ds: &self.parent_ds,
            time_properties_ds: &self.time_properties_ds,
            ports: &self.ports,
            port_info: &self.info,
            clock_info: &self.clock_info,
            time_status: &self.time_status,
            limits: SetLimits::default(),
            accept_set_and_command: self.accept,
        }
    }

    fn handle(&self, request: &[u8], port: u16) -> Reply {
        handle_bytes(&self.state(), request, port)
    }
}

/// A management request as a management node would send it.
fn request_with(
    action: Action,
    target: PortIdentity,
    management_id: u16,
    data: &[u8],
    (starting, hops): (u8, u8),
) -> Vec<u8> {
    let mut header = Header::new(MessageType::Management, REQUESTER);
    header.sequence_id = 4711;
    header.log_message_interval = 0x7f;
    let tlvs = [Tlv::Management(ManagementTlv {
        management_id,
        data: ManagementData::Raw(data),
    })];
    let message = Message {
        header,
        body: Body::Management(ManagementBody {
            target_port_identity: target,
            starting_boundary_hops: starting,
            boundary_hops: hops,
            action_octet: action.to_u8(),
            reserved: 0,
        }),
        suffix: Suffix::Tlvs(&tlvs),
        trailer: &[],
    };
    let mut bytes = vec![0u8; message.encoded_len()];
    message.encode(&mut bytes).unwrap();
    bytes
}

fn request(action: Action, target: PortIdentity, management_id: u16, data: &[u8]) -> Vec<u8> {
    request_with(action, target, management_id, data, (0, 0))
}

/// The answer's header, body and only TLV.
fn open(bytes: &[u8]) -> (Header, ManagementBody, Tlv<'_>) {
    let m = Message::decode(bytes).unwrap();
    let Body::Management(body) = m.body else {
        panic!("not management")
    };
    let tlvs: Vec<_> = m.tlvs().collect::<Result<_, _>>().unwrap();
    assert_eq!(tlvs.len(), 1);
    (m.header, body, tlvs[0])
}

/// The managementId and raw data field of a MANAGEMENT answer, or the
/// error of a MANAGEMENT_ERROR_STATUS answer.
fn answer(bytes: &[u8]) -> Result<(u16, Vec<u8>), (u16, u16)> {
    let (_, _, tlv) = open(bytes);
    match tlv {
        Tlv::Management(t) => {
            let mut buf = vec![0u8; tlv.encoded_len()];
            tlv.encode(&mut buf).unwrap();
            Ok((t.management_id, buf[6..].to_vec()))
        }
        Tlv::ManagementErrorStatus(e) => Err((e.management_error_id, e.management_id)),
        other => panic!("{other:?}"),
    }
}

fn only(reply: &Reply) -> &[u8] {
    assert_eq!(reply.responses.len(), 1, "{reply:?}");
    &reply.responses[0]
}

fn source_of(bytes: &[u8]) -> PortIdentity {
    open(bytes).0.source_port_identity
}

fn port(n: u16) -> PortIdentity {
    PortIdentity {
        clock_identity: ME,
        port_number: n,
    }
}

#[test]
fn set_priority1_answers_the_new_value() {
    let f = Fixture::boundary_clock();
    let reply = f.handle(&request(Action::Set, ALL, id::PRIORITY1, &[90, 0x3f]), 2);
    assert_eq!(reply.changes, [Change::Priority1(90)]);
    assert!(reply.forwards.is_empty());
    let bytes = only(&reply);
    let (header, body, _) = open(bytes);
    assert_eq!(body.action(), Action::Response);
    assert_eq!(header.sequence_id, 4711);
    assert_eq!(header.source_port_identity, port(2));
    assert_eq!(body.target_port_identity, REQUESTER);
    assert_eq!(
        (header.control_field, header.log_message_interval),
        (4, 0x7f)
    );
    assert_eq!((header.version, header.minor_version), (2, 1));
    assert_eq!(answer(bytes), Ok((id::PRIORITY1, vec![90, 0])));

    let reply = f.handle(&request(Action::Set, ALL, id::PRIORITY2, &[7, 0]), 1);
    assert_eq!(reply.changes, [Change::Priority2(7)]);
    assert_eq!(answer(only(&reply)), Ok((id::PRIORITY2, vec![7, 0])));
}

#[test]
fn set_clock_values_checks_them() {
    let f = Fixture::boundary_clock();
    let set = |mid, data: &[u8]| f.handle(&request(Action::Set, ALL, mid, data), 1);

    let reply = set(id::DOMAIN, &[4, 0]);
    assert_eq!(reply.changes, [Change::Domain(4)]);
    assert_eq!(answer(only(&reply)), Ok((id::DOMAIN, vec![4, 0])));
    let reply = set(id::DOMAIN, &[200, 0]);
    assert!(reply.changes.is_empty());
    assert_eq!(answer(only(&reply)), Err((err::WRONG_VALUE, id::DOMAIN)));

    // Only an ordinary clock can be slave-only (§8.2.1.4.4).
    let reply = set(id::SLAVE_ONLY, &[1, 0]);
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_VALUE, id::SLAVE_ONLY))
    );
    let reply = set(id::SLAVE_ONLY, &[0, 0]);
    assert_eq!(reply.changes, [Change::SlaveOnly(false)]);
    let oc = Fixture::ordinary_clock();
    let reply = oc.handle(&request(Action::Set, ALL, id::SLAVE_ONLY, &[0xff, 0]), 1);
    assert_eq!(reply.changes, [Change::SlaveOnly(true)]);
    assert_eq!(answer(only(&reply)), Ok((id::SLAVE_ONLY, vec![1, 0])));

    // The data field of a one-value ID is exactly two octets.
    for bad in [&[][..], &[90][..], &[90, 0, 0, 0][..]] {
        let reply = set(id::PRIORITY1, bad);
        assert!(reply.changes.is_empty());
        assert_eq!(
            answer(only(&reply)),
            Err((err::WRONG_LENGTH, id::PRIORITY1))
        );
    }
}

#[test]
fn set_user_description() {
    let f = Fixture::boundary_clock();
    let set = |data: &[u8]| f.handle(&request(Action::Set, ALL, id::USER_DESCRIPTION, data), 1);

    let reply = set(b"\x05lab 7");
    let [Change::UserDescription(text)] = reply.changes.as_slice() else {
        panic!("{reply:?}")
    };
    assert_eq!(text.as_bytes(), b"lab 7");
    assert_eq!(
        answer(only(&reply)),
        Ok((id::USER_DESCRIPTION, b"\x05lab 7".to_vec()))
    );
    // Odd text length: answered with a pad octet.
    let reply = set(b"\x04lab7\x00");
    assert_eq!(
        answer(only(&reply)),
        Ok((id::USER_DESCRIPTION, b"\x04lab7\x00".to_vec()))
    );

    for bad in [&b""[..], b"\x09short", b"\x02ab\x00\x00\x00"] {
        let reply = set(bad);
        assert!(reply.changes.is_empty());
        assert_eq!(
            answer(only(&reply)),
            Err((err::WRONG_LENGTH, id::USER_DESCRIPTION))
        );
    }
    let mut long = vec![129u8];
    long.extend([b'x'; 129]);
    let reply = set(&long);
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_VALUE, id::USER_DESCRIPTION))
    );
    assert!(UserDescription::new(&[b'x'; 128]).is_some());
    assert!(UserDescription::new(&[b'x'; 129]).is_none());
}

#[test]
fn refusals() {
    let f = Fixture::boundary_clock();
    let one = |action, mid, data: &[u8]| {
        let reply = f.handle(&request(action, ALL, mid, data), 1);
        assert!(reply.changes.is_empty());
        answer(only(&reply))
    };
    // Read-only data sets.
    assert_eq!(
        one(Action::Set, id::DEFAULT_DATA_SET, &[0; 20]),
        Err((err::NOT_SETABLE, id::DEFAULT_DATA_SET))
    );
    assert_eq!(
        one(Action::Set, id::TIME_STATUS_NP, &[0; 50]),
        Err((err::NOT_SETABLE, id::TIME_STATUS_NP))
    );
    // COMMAND of an ID that is no command.
    assert_eq!(
        one(Action::Command, id::PRIORITY1, &[]),
        Err((err::NOT_SETABLE, id::PRIORITY1))
    );
    // SET of a command.
    assert_eq!(
        one(Action::Set, id::INITIALIZE, &[0, 0]),
        Err((err::NOT_SETABLE, id::INITIALIZE))
    );
    // Known but not implemented.
    assert_eq!(
        one(Action::Get, id::FAULT_LOG, &[]),
        Err((err::NOT_SUPPORTED, id::FAULT_LOG))
    );
    assert_eq!(
        one(Action::Command, id::SAVE_IN_NON_VOLATILE_STORAGE, &[]),
        Err((err::NOT_SUPPORTED, id::SAVE_IN_NON_VOLATILE_STORAGE))
    );
    // Unknown: one NO_SUCH_ID even for all ports, from the receiving port.
    let reply = f.handle(&request(Action::Get, ALL, 0x7777, &[]), 2);
    assert_eq!(answer(only(&reply)), Err((err::NO_SUCH_ID, 0x7777)));
    assert_eq!(source_of(only(&reply)), port(2));
    // A port that does not exist.
    let reply = f.handle(&request(Action::Get, port(9), id::PORT_DATA_SET, &[]), 1);
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_VALUE, id::PORT_DATA_SET))
    );
}

#[test]
fn ptp4l_like_refuses_set_and_command() {
    let mut f = Fixture::boundary_clock();
    f.accept = false;
    for (action, mid) in [
        (Action::Set, id::PRIORITY1),
        (Action::Command, id::ENABLE_PORT),
    ] {
        let reply = f.handle(&request(action, ALL, mid, &[1, 0]), 1);
        assert!(reply.changes.is_empty());
        assert_eq!(answer(only(&reply)), Err((err::NOT_SUPPORTED, mid)));
    }
    // GET is still answered.
    let reply = f.handle(&request(Action::Get, ALL, id::PRIORITY1, &[0, 0]), 1);
    assert_eq!(answer(only(&reply)), Ok((id::PRIORITY1, vec![128, 0])));
}

#[test]
fn wildcard_port_answers_once_per_port() {
    let f = Fixture::boundary_clock();
    let reply = f.handle(&request(Action::Get, ALL, id::PORT_DATA_SET, &[]), 1);
    assert_eq!(reply.responses.len(), 3);
    for (bytes, n) in reply.responses.iter().zip(1u16..) {
        assert_eq!(source_of(bytes), port(n));
        let (_, _, tlv) = open(bytes);
        let Tlv::Management(ManagementTlv {
            data: ManagementData::PortDataSet(p),
            ..
        }) = tlv
        else {
            panic!("{tlv:?}")
        };
        assert_eq!(p.value.port_identity, port(n));
        assert_eq!(
            p.value.port_state,
            f.ports[usize::from(n) - 1].port_state.to_u8()
        );
        assert_eq!(p.value.version_number, 0x12);
    }
    // A clock-level ID is answered once, from the receiving port.
    let reply = f.handle(&request(Action::Get, ALL, id::DEFAULT_DATA_SET, &[]), 3);
    assert_eq!(source_of(only(&reply)), port(3));
    // A port-level ID for one port: that port answers.
    let reply = f.handle(
        &request(Action::Get, port(2), id::LOG_SYNC_INTERVAL, &[]),
        1,
    );
    assert_eq!(source_of(only(&reply)), port(2));
    assert_eq!(
        answer(only(&reply)),
        Ok((id::LOG_SYNC_INTERVAL, vec![0, 0]))
    );
    // NULL_MANAGEMENT: per port, no data field.
    let reply = f.handle(&request(Action::Get, ALL, id::NULL_MANAGEMENT, &[]), 1);
    assert_eq!(reply.responses.len(), 3);
    assert_eq!(
        answer(&reply.responses[0]),
        Ok((id::NULL_MANAGEMENT, vec![]))
    );
}

#[test]
fn wildcard_set_changes_every_port() {
    let f = Fixture::boundary_clock();
    let reply = f.handle(
        &request(Action::Set, ALL, id::LOG_SYNC_INTERVAL, &[0xff, 0]),
        1,
    );
    assert_eq!(
        reply.changes,
        (1..=3)
            .map(|port| Change::LogSyncInterval { port, value: -1 })
            .collect::<Vec<_>>()
    );
    assert_eq!(reply.responses.len(), 3);
    for bytes in &reply.responses {
        assert_eq!(answer(bytes), Ok((id::LOG_SYNC_INTERVAL, vec![0xff, 0])));
    }
    // Out of the default profile's range: refused on every port.
    let reply = f.handle(
        &request(Action::Set, ALL, id::LOG_SYNC_INTERVAL, &[5, 0]),
        1,
    );
    assert!(reply.changes.is_empty());
    assert_eq!(reply.responses.len(), 3);
    assert_eq!(
        answer(&reply.responses[2]),
        Err((err::WRONG_VALUE, id::LOG_SYNC_INTERVAL))
    );
}

#[test]
fn set_port_values() {
    let f = Fixture::boundary_clock();
    let set = |mid, data: &[u8]| f.handle(&request(Action::Set, port(2), mid, data), 1);
    assert_eq!(
        set(id::LOG_ANNOUNCE_INTERVAL, &[2, 0]).changes,
        [Change::LogAnnounceInterval { port: 2, value: 2 }]
    );
    assert_eq!(
        set(id::ANNOUNCE_RECEIPT_TIMEOUT, &[4, 0]).changes,
        [Change::AnnounceReceiptTimeout { port: 2, value: 4 }]
    );
    let reply = set(id::ANNOUNCE_RECEIPT_TIMEOUT, &[1, 0]);
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_VALUE, id::ANNOUNCE_RECEIPT_TIMEOUT))
    );
    assert_eq!(
        set(id::LOG_MIN_PDELAY_REQ_INTERVAL, &[3, 0]).changes,
        [Change::LogMinPdelayReqInterval { port: 2, value: 3 }]
    );
    let reply = set(id::DELAY_MECHANISM, &[2, 0]);
    assert_eq!(
        reply.changes,
        [Change::DelayMechanism {
            port: 2,
            value: DelayMechanism::P2p
        }]
    );
    assert_eq!(answer(only(&reply)), Ok((id::DELAY_MECHANISM, vec![2, 0])));
    let reply = set(id::DELAY_MECHANISM, &[7, 0]);
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_VALUE, id::DELAY_MECHANISM))
    );
    let reply = set(id::PORT_DATA_SET, &[0; 26]);
    assert_eq!(
        answer(only(&reply)),
        Err((err::NOT_SETABLE, id::PORT_DATA_SET))
    );
}

#[test]
fn commands_are_acknowledged() {
    let f = Fixture::boundary_clock();
    let reply = f.handle(&request(Action::Command, port(3), id::ENABLE_PORT, &[]), 1);
    assert_eq!(reply.changes, [Change::EnablePort(3)]);
    let (_, body, _) = open(only(&reply));
    assert_eq!(body.action(), Action::Acknowledge);
    assert_eq!(answer(only(&reply)), Ok((id::ENABLE_PORT, vec![])));

    let reply = f.handle(&request(Action::Command, ALL, id::DISABLE_PORT, &[]), 1);
    assert_eq!(
        reply.changes,
        [
            Change::DisablePort(1),
            Change::DisablePort(2),
            Change::DisablePort(3)
        ]
    );
    assert_eq!(reply.responses.len(), 3);

    let reply = f.handle(
        &request(Action::Command, port(1), id::DISABLE_PORT, &[0, 0]),
        1,
    );
    assert!(reply.changes.is_empty());
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_LENGTH, id::DISABLE_PORT))
    );

    let reply = f.handle(&request(Action::Command, ALL, id::INITIALIZE, &[0, 0]), 1);
    assert_eq!(reply.changes, [Change::Initialize]);
    assert_eq!(answer(only(&reply)), Ok((id::INITIALIZE, vec![0, 0])));
    let reply = f.handle(
        &request(Action::Command, ALL, id::INITIALIZE, &[0x80, 1]),
        1,
    );
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_VALUE, id::INITIALIZE))
    );
    let reply = f.handle(&request(Action::Command, ALL, id::INITIALIZE, &[]), 1);
    assert_eq!(
        answer(only(&reply)),
        Err((err::WRONG_LENGTH, id::INITIALIZE))
    );
}

#[test]
fn get_values() {
    let f = Fixture::boundary_clock();
    let get = |target, mid| {
        let reply = f.handle(&request(Action::Get, target, mid, &[]), 1);
        assert!(reply.changes.is_empty());
        answer(only(&reply)).unwrap().1
    };
    assert_eq!(get(ALL, id::USER_DESCRIPTION), b"\x06rack 4\x00");
    assert_eq!(get(ALL, id::CLOCK_ACCURACY), [0xfe, 0]);
    assert_eq!(get(ALL, id::UTC_PROPERTIES), [0, 37, 0, 0]);
    assert_eq!(get(ALL, id::TIMESCALE_PROPERTIES), [0, 0xa0]);
    assert_eq!(get(ALL, id::TRACEABILITY_PROPERTIES), [0, 0]);
    assert_eq!(get(ALL, id::SLAVE_ONLY), [0, 0]);
    assert_eq!(get(port(1), id::MASTER_ONLY), [0, 0]);
    assert_eq!(get(port(1), id::VERSION_NUMBER), [0x12, 0]);

    let current = get(ALL, id::CURRENT_DATA_SET);
    assert_eq!(current[..2], [0, 1]);
    assert_eq!(
        i64::from_be_bytes(current[2..10].try_into().unwrap()),
        -12 << 16
    );
    assert_eq!(
        i64::from_be_bytes(current[10..18].try_into().unwrap()),
        500 << 16
    );

    let status = get(ALL, id::TIME_STATUS_NP);
    assert_eq!(i64::from_be_bytes(status[..8].try_into().unwrap()), -12);
    assert_eq!(
        i64::from_be_bytes(status[8..16].try_into().unwrap()),
        1_700_000_000_000_000_000
    );
    assert_eq!(status[38..42], [0, 0, 0, 1], "gmPresent");
    assert_eq!(status[42..50], ME.0);

    let reply = f.handle(
        &request(Action::Get, port(1), id::CLOCK_DESCRIPTION, &[]),
        1,
    );
    let (_, _, tlv) = open(only(&reply));
    let Tlv::Management(ManagementTlv {
        data: ManagementData::ClockDescription(d),
        ..
    }) = tlv
    else {
        panic!("{tlv:?}")
    };
    assert_eq!(d.value.clock_type, 0x4000);
    assert_eq!(d.value.physical_layer_protocol.0, b"IEEE 802.3");
    assert_eq!(d.value.protocol_address.address, [10, 0, 0, 1]);
    assert_eq!(d.value.manufacturer_identity, [1, 2, 3]);
    assert_eq!(d.value.product_description.0, b"Tempora;test;1");
    assert_eq!(d.value.user_description.0, b"rack 4");
    assert_eq!(d.value.profile_identity, [0, 0x1b, 0x19, 0, 1, 0]);

    let reply = f.handle(&request(Action::Get, port(2), id::PORT_STATS_NP, &[]), 1);
    let (_, _, tlv) = open(only(&reply));
    let Tlv::Management(ManagementTlv {
        data: ManagementData::PortStatsNp(s),
        ..
    }) = tlv
    else {
        panic!("{tlv:?}")
    };
    assert_eq!(s.value.port_identity, port(2));
    assert_eq!((s.value.rx(0), s.value.tx(0xb), s.value.tx(0)), (7, 300, 0));

    let reply = f.handle(
        &request(Action::Get, port(1), id::PORT_PROPERTIES_NP, &[]),
        1,
    );
    let (_, _, tlv) = open(only(&reply));
    let Tlv::Management(ManagementTlv {
        data: ManagementData::PortPropertiesNp(p),
        ..
    }) = tlv
    else {
        panic!("{tlv:?}")
    };
    assert_eq!(p.value.port_state, PortState::Slave.to_u8());
    assert_eq!(
        (p.value.timestamping, p.value.interface.0),
        (1, &b"eth1"[..])
    );
}

#[test]
fn boundary_clock_forwards_with_hops_decremented() {
    let f = Fixture::boundary_clock();
    let req = request_with(Action::Get, ALL, id::PRIORITY1, &[], (3, 2));
    let reply = f.handle(&req, 1);
    // Port 1 received it; port 2 (MASTER) forwards, port 3 (LISTENING) not.
    assert_eq!(reply.forwards.len(), 1);
    let fwd = &reply.forwards[0];
    assert_eq!(fwd.port, 2);
    let mut expected = req.clone();
    let hops_at = Header::LEN + 11;
    expected[hops_at] = 1;
    assert_eq!(fwd.bytes, expected);
    // Forwarded, so the answer counts only the crossings so far: 3 − 2.
    let (_, body, _) = open(only(&reply));
    assert_eq!((body.starting_boundary_hops, body.boundary_hops), (1, 1));

    // Responses are forwarded too, but not answered.
    let resp = request_with(Action::Response, REQUESTER, id::PRIORITY1, &[1, 0], (1, 1));
    let reply = f.handle(&resp, 2);
    assert!(reply.responses.is_empty());
    assert_eq!(reply.forwards.len(), 1);
    assert_eq!(reply.forwards[0].port, 1);

    // No hops left: answered, not forwarded.
    let reply = f.handle(
        &request_with(Action::Get, ALL, id::PRIORITY1, &[], (2, 0)),
        1,
    );
    assert!(reply.forwards.is_empty());
    let (_, body, _) = open(only(&reply));
    assert_eq!(body.boundary_hops, 2);

    // Addressed to this clock: not forwarded, and ptp4l's count.
    let reply = f.handle(
        &request_with(Action::Get, port(1), id::PORT_DATA_SET, &[], (1, 1)),
        1,
    );
    assert!(reply.forwards.is_empty());
    let (_, body, _) = open(only(&reply));
    assert_eq!(body.boundary_hops, 1);

    // For another clock: forwarded, not answered.
    let other = PortIdentity {
        clock_identity: ClockIdentity([9; 8]),
        port_number: 0xffff,
    };
    let reply = f.handle(
        &request_with(Action::Get, other, id::PRIORITY1, &[], (1, 1)),
        2,
    );
    assert!(reply.responses.is_empty());
    assert_eq!(reply.forwards.len(), 1);
    assert_eq!(reply.forwards[0].port, 1);

    // Received on a LISTENING port: neither forwarded nor counted.
    let reply = f.handle(
        &request_with(Action::Get, ALL, id::PRIORITY1, &[], (1, 1)),
        3,
    );
    assert!(reply.forwards.is_empty());
    let (_, body, _) = open(only(&reply));
    assert_eq!(body.boundary_hops, 0);

    // From a local channel (port 0): forwarded to every forwarding port.
    let reply = f.handle(
        &request_with(Action::Get, other, id::PRIORITY1, &[], (1, 1)),
        0,
    );
    assert_eq!(
        reply.forwards.iter().map(|f| f.port).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn ordinary_clock_hops_as_ptp4l() {
    // pmc -b 1 to a lone ptp4l master: answered with 1/1.
    let f = Fixture::ordinary_clock();
    let reply = f.handle(
        &request_with(Action::Get, ALL, id::PRIORITY1, &[], (1, 1)),
        1,
    );
    assert!(reply.forwards.is_empty());
    let (_, body, _) = open(only(&reply));
    assert_eq!((body.starting_boundary_hops, body.boundary_hops), (1, 1));
}

#[test]
fn ignored_requests() {
    let f = Fixture::boundary_clock();
    let get = request(Action::Get, ALL, id::PRIORITY1, &[]);

    // Another domain.
    let mut other_domain = get.clone();
    other_domain[4] = 5;
    assert_eq!(f.handle(&other_domain, 1), Reply::default());
    // Another clock.
    let target = PortIdentity {
        clock_identity: ClockIdentity([1; 8]),
        port_number: 1,
    };
    assert_eq!(
        f.handle(&request(Action::Get, target, id::PRIORITY1, &[]), 1),
        Reply::default()
    );
    // Not GET, SET or COMMAND.
    for action in [Action::Response, Action::Acknowledge, Action::Reserved(9)] {
        assert_eq!(
            f.handle(&request(action, ALL, id::PRIORITY1, &[]), 1),
            Reply::default()
        );
    }
    // A port that is not ours.
    assert_eq!(f.handle(&get, 7), Reply::default());
    // Two TLVs, or none, or no managementId.
    let mut two = get.clone();
    two.extend_from_slice(&get[Header::LEN + 14..]);
    let len = u16::try_from(two.len()).unwrap().to_be_bytes();
    two[2..4].copy_from_slice(&len);
    assert_eq!(f.handle(&two, 1), Reply::default());
    let mut none = get[..Header::LEN + 14].to_vec();
    none[2..4].copy_from_slice(&[0, 48]);
    assert_eq!(f.handle(&none, 1), Reply::default());
    let mut short = none.clone();
    short.extend_from_slice(&[0, 1, 0, 0]);
    short[2..4].copy_from_slice(&[0, 52]);
    assert_eq!(f.handle(&short, 1), Reply::default());
    // Not a management message at all.
    let mut sync = get.clone();
    sync[0] = 0x00;
    assert_eq!(f.handle(&sync, 1), Reply::default());
}

#[test]
fn typed_requests_are_answered_like_raw_ones() {
    let f = Fixture::boundary_clock();
    let bytes = request(Action::Set, ALL, id::PRIORITY2, &[3, 0]);
    let decoded = Message::decode(&bytes).unwrap();
    let tlvs: Vec<Tlv<'_>> = decoded.tlvs().collect::<Result<_, _>>().unwrap();
    let typed = Message {
        suffix: Suffix::Tlvs(&tlvs),
        ..decoded
    };
    assert_eq!(handle(&f.state(), &typed, 1), f.handle(&bytes, 1));
}

#[test]
fn unicast_requests_get_unicast_answers() {
    let f = Fixture::boundary_clock();
    let mut req = request(Action::Get, ALL, id::PRIORITY1, &[]);
    req[6] |= 0x04;
    let (header, _, _) = open(only(&f.handle(&req, 1)));
    assert!(header.flags.contains(Flags::UNICAST));
}

/// Every truncation and every single-octet change of valid requests gives a
/// reply or nothing, never a panic.
#[test]
fn no_panics_on_mangled_input() {
    let f = Fixture::boundary_clock();
    let seeds = [
        request_with(Action::Set, ALL, id::USER_DESCRIPTION, b"\x03abc", (2, 2)),
        request_with(Action::Get, ALL, id::PORT_STATS_NP, &[], (1, 1)),
        request_with(Action::Command, port(2), id::INITIALIZE, &[0, 0], (1, 1)),
        request_with(Action::Set, ALL, id::DELAY_MECHANISM, &[2, 0], (0, 0)),
    ];
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for seed in &seeds {
        for cut in 0..seed.len() {
            let _ = f.handle(&seed[..cut], 1);
        }
        for at in 0..seed.len() {
            for _ in 0..16 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let mut m = seed.clone();
                m[at] = rng as u8;
                for receiving in [0, 1, 2, 3] {
                    let reply = f.handle(&m, receiving);
                    for r in &reply.responses {
                        assert!(Message::decode(r).is_ok());
                    }
                }
            }
        }
    }
}
