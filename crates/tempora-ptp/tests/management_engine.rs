//! The engine answers linuxptp's `pmc` from its live state: the GET and SET
//! requests pmc really sent (from ptp-mgmt-4.pcap in `TEMPORA_VECTORS`) go to a
//! Tempora instance, and its answers carry its own data sets; SET PRIORITY1
//! takes effect in the BMCA and in the Announce messages.

use etherparse::{SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_clock::Time;
use tempora_ptp::engine::{Action, InstanceConfig, NetworkManagement, PtpInstance, Timer};
use tempora_ptp::wire::tlv::Tlv;
use tempora_ptp::wire::tlv::management::{Action as MgmtAction, ManagementData, management_id};
use tempora_ptp::wire::{Body, ClockIdentity, Message};

const CAPTURE: &str = concat!(env!("TEMPORA_VECTORS"), "/ptp-mgmt-4.pcap");

/// pmc's requests (GET and SET) in capture order.
fn pmc_requests() -> Vec<Vec<u8>> {
    let file = std::fs::read(CAPTURE).expect("ptp-mgmt-4.pcap");
    let capture = PcapCapture::from_file(&file).expect("pcap");
    let mut out = Vec::new();
    for block in &capture.blocks {
        let Ok(sliced) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        let Some(TransportSlice::Udp(udp)) = sliced.transport else {
            continue;
        };
        let payload = udp.payload();
        let Ok(msg) = Message::decode(payload) else {
            continue;
        };
        if let Body::Management(m) = msg.body {
            if matches!(m.action(), MgmtAction::Get | MgmtAction::Set) {
                out.push(payload.to_vec());
            }
        }
    }
    out
}

fn responses(instance: &mut PtpInstance) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(a) = instance.poll_action() {
        if let Action::Send { data, .. } = a {
            if Message::decode(&data).is_ok_and(|m| matches!(m.body, Body::Management(_))) {
                out.push(data);
            }
        }
    }
    out
}

fn data_of(bytes: &[u8]) -> (u16, Option<ManagementData<'_>>) {
    let msg = Message::decode(bytes).unwrap();
    match msg.tlvs().next().unwrap().unwrap() {
        Tlv::Management(m) => (m.management_id, Some(m.data)),
        Tlv::ManagementErrorStatus(e) => (e.management_id, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pmc_gets_live_state_and_set_priority1_takes_effect() {
    let me = ClockIdentity::from_mac([0x02, 0x54, 0x4d, 0, 0, 1]);
    let mut config = InstanceConfig::ordinary(me);
    config.priority1 = 100;
    // SET from the network is refused unless allowed (issue 13).
    config.network_management = NetworkManagement::ReadWrite;
    let mut instance = PtpInstance::new(config, 1);
    let t0 = Time::from_secs_nanos(1_800_000_000, 0);
    instance.start(t0);
    // Become grandmaster: no other master is heard.
    instance.handle_timer(t0, Timer::AnnounceReceipt(0));
    let _ = responses(&mut instance);

    let requests = pmc_requests();
    assert_eq!(
        requests.len(),
        10,
        "pmc sent 9 GETs and a SET in the capture"
    );
    let mut answered = 0;
    for request in &requests {
        let req = Message::decode(request).unwrap();
        let (asked, _) = data_of(request);
        instance.handle_message(t0, 0, request, None, None).unwrap();
        let out = responses(&mut instance);
        assert_eq!(out.len(), 1, "one answer to {asked:#06x}");
        let resp = Message::decode(&out[0]).unwrap();
        let Body::Management(body) = resp.body else {
            panic!()
        };
        assert_eq!(body.action(), MgmtAction::Response);
        assert_eq!(resp.header.sequence_id, req.header.sequence_id);
        assert_eq!(body.target_port_identity, req.header.source_port_identity);
        assert_eq!(resp.header.source_port_identity.clock_identity, me);
        let (id, data) = data_of(&out[0]);
        assert_eq!(id, asked);
        match (id, data) {
            (management_id::DEFAULT_DATA_SET, Some(ManagementData::DefaultDataSet(d))) => {
                assert_eq!(d.value.clock_identity, me);
                assert_eq!((d.value.priority1, d.value.priority2), (100, 128));
                assert_eq!(d.value.number_ports, 1);
                assert_eq!(d.value.clock_quality.clock_class, 248);
            }
            (management_id::PARENT_DATA_SET, Some(ManagementData::ParentDataSet(p))) => {
                assert_eq!(p.value.grandmaster_identity, me);
                assert_eq!(p.value.grandmaster_priority1, 100);
            }
            (management_id::PORT_DATA_SET, Some(ManagementData::PortDataSet(p))) => {
                assert_eq!(p.value.port_identity.clock_identity, me);
                assert_eq!(p.value.port_state, 6, "MASTER");
            }
            (management_id::PRIORITY1, Some(ManagementData::Priority1(p))) => {
                // pmc's SET PRIORITY1 90 (0x5a), then its GET: both say 90.
                assert_eq!(p.value.value, 90);
            }
            (_, Some(_)) => {}
            (id, None) => panic!("error status for {id:#06x}"),
        }
        answered += 1;
    }
    assert_eq!(answered, 10);
    assert_eq!(instance.default_ds().priority1, 90);
    assert_eq!(instance.parent_ds().grandmaster_priority1, 90);
    // The next Announce carries the new priority.
    instance.handle_timer(t0, Timer::Announce(0));
    let announce = std::iter::from_fn(|| instance.poll_action())
        .find_map(|a| match a {
            Action::Send { data, .. } => Message::decode(&data).ok().and_then(|m| match m.body {
                Body::Announce(a) => Some(a),
                _ => None,
            }),
            _ => None,
        })
        .expect("an Announce");
    assert_eq!(announce.grandmaster_priority1, 90);
}

#[test]
fn set_priority1_from_the_control_socket_is_announced_as_grandmaster() {
    let me = ClockIdentity::from_mac([0x02, 0x54, 0x4d, 0, 0, 2]);
    let mut instance = PtpInstance::new(InstanceConfig::ordinary(me), 1);
    let t0 = Time::from_secs_nanos(1_800_000_000, 0);
    instance.start(t0);
    instance.handle_timer(t0, Timer::AnnounceReceipt(0));
    let _ = responses(&mut instance);
    assert_eq!(instance.default_ds().priority1, 128);
    instance.set_priority1(t0, 7);
    assert_eq!(instance.default_ds().priority1, 7);
    assert_eq!(instance.parent_ds().grandmaster_priority1, 7);
}
