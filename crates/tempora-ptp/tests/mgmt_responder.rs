//! Golden test of the management responder against linuxptp: the captures
//! `ptp-mgmt-{2,4,6}.pcap` in `TEMPORA_VECTORS` hold `pmc -b 1` querying a lone
//! `ptp4l` 3.1.1 master over Ethernet, UDP/IPv4 and UDP/IPv6. A
//! [`ManagementState`] describing that master is built from the capture
//! (identity, quality, priorities and intervals from its Announce and Sync
//! messages, addresses from its frames, the rest from its configuration as
//! `pmc` printed it), every request `pmc` sent is fed to
//! [`management::handle`], and the answer is compared with `ptp4l`'s: byte
//! for byte for every GET (whole message: header, body, TLV), by field for
//! TIME_STATUS_NP, and with the documented difference for the SET.
//!
//! The vectors are required: a missing file fails the test.

use etherparse::{Ethernet2Slice, NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_clock::{Duration, Time};
use tempora_ptp::datasets::{
    CurrentDs, DefaultDs, DelayMechanism, ParentDs, PortDs, PortState, TimePropertiesDs,
};
use tempora_ptp::management::{
    self, Change, ClockInfo, ManagementState, PortInfo, PortStats, SetLimits, TimeStatus,
};
use tempora_ptp::wire::tlv::Tlv;
use tempora_ptp::wire::tlv::management::{
    Action, ManagementData, PortAddress, management_error_id, management_id,
};
use tempora_ptp::wire::{Body, Flags, ManagementBody, Message, MessageType, PortIdentity};

const VECTORS: &str = env!("TEMPORA_VECTORS");

/// Where a PTP message came from: the protocol address `ptp4l` reports in
/// CLOCK_DESCRIPTION (§7.4.1 networkProtocol and address octets).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Packet {
    payload: Vec<u8>,
    network_protocol: u16,
    source: Vec<u8>,
}

/// The PTP payloads of a capture with their source addresses: Ethernet
/// frames with EtherType 0x88F7, or UDP datagrams to port 319 or 320 (IPv4,
/// IPv6).
fn packets(path: &str) -> Vec<Packet> {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let capture = PcapCapture::from_file(&file).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let mut out = Vec::new();
    for block in &capture.blocks {
        let frame = Ethernet2Slice::from_slice_without_fcs(block.data).expect("Ethernet II");
        if frame.ether_type().0 == 0x88f7 {
            out.push(Packet {
                payload: frame.payload_slice().to_vec(),
                network_protocol: 3,
                source: frame.source().to_vec(),
            });
            continue;
        }
        let Ok(sliced) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        let Some(TransportSlice::Udp(udp)) = &sliced.transport else {
            continue;
        };
        if ![319, 320].contains(&udp.destination_port()) {
            continue;
        }
        let (network_protocol, source) = match &sliced.net {
            Some(NetSlice::Ipv4(ip)) => (1, ip.header().source().to_vec()),
            Some(NetSlice::Ipv6(ip)) => (2, ip.header().source().to_vec()),
            _ => continue,
        };
        out.push(Packet {
            payload: udp.payload().to_vec(),
            network_protocol,
            source,
        });
    }
    out
}

/// The header lines `pmc` printed (one per answer), without the tab.
fn pmc_headers(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| l.starts_with('\t') && !l.starts_with("\t\t"))
        .map(|l| l[1..].to_string())
        .collect()
}

fn management_body(m: &Message<'_>) -> ManagementBody {
    match m.body {
        Body::Management(b) => b,
        other => panic!("not a management body: {other:?}"),
    }
}

/// The only TLV of a management message.
fn only_tlv<'a>(m: &Message<'a>) -> Tlv<'a> {
    let tlvs: Vec<Tlv<'a>> = m.tlvs().collect::<Result<_, _>>().expect("TLVs decode");
    let [tlv] = tlvs.as_slice() else {
        panic!("{} TLVs", tlvs.len())
    };
    *tlv
}

/// The line `pmc` prints for an answer.
fn pmc_header(m: &Message<'_>) -> String {
    let body = management_body(m);
    let what = match only_tlv(m) {
        Tlv::Management(t) => format!("MANAGEMENT {}", t.name().expect("known id")),
        Tlv::ManagementErrorStatus(_) => "MANAGEMENT_ERROR_STATUS".to_string(),
        other => panic!("unexpected TLV {other:?}"),
    };
    format!(
        "{} seq {} {} {what} ",
        m.header.source_port_identity,
        m.header.sequence_id,
        body.action().name()
    )
}

/// What the ptp4l master knows, as far as management shows it.
struct Master {
    default_ds: DefaultDs,
    current_ds: CurrentDs,
    parent_ds: ParentDs,
    time_properties_ds: TimePropertiesDs,
    ports: [PortDs; 1],
    protocol: u16,
    address: Vec<u8>,
    mac: [u8; 6],
    time_status: TimeStatus,
}

impl Master {
    /// Reads the master's state from its own messages in `packets`.
    fn from_capture(packets: &[Packet]) -> Master {
        let decoded: Vec<(&Packet, Message<'_>)> = packets
            .iter()
            .map(|p| (p, Message::decode(&p.payload).expect("PTP message decodes")))
            .collect();
        let (announce_packet, announce) = decoded
            .iter()
            .find(|(_, m)| m.header.message_type == MessageType::Announce)
            .expect("the master's Announce is in the capture");
        let Body::Announce(a) = announce.body else {
            panic!("Announce body")
        };
        let me = announce.header.source_port_identity;
        let (_, sync) = decoded
            .iter()
            .find(|(_, m)| {
                m.header.message_type == MessageType::Sync && m.header.source_port_identity == me
            })
            .expect("the master's Sync is in the capture");
        let flags = announce.header.flags;
        assert_eq!(
            a.grandmaster_identity, me.clock_identity,
            "the master is its own grandmaster"
        );
        let id = me.clock_identity.0;
        let mac = [id[0], id[1], id[2], id[5], id[6], id[7]];

        let mut default_ds = DefaultDs::new(me.clock_identity, 1);
        default_ds.priority1 = a.grandmaster_priority1;
        default_ds.priority2 = a.grandmaster_priority2;
        default_ds.clock_quality = a.grandmaster_clock_quality;
        default_ds.domain_number = announce.header.domain_number;
        default_ds.two_step = sync.header.flags.contains(Flags::TWO_STEP);
        let parent_ds = ParentDs::own(&default_ds);
        let time_properties_ds = TimePropertiesDs {
            current_utc_offset: a.current_utc_offset,
            current_utc_offset_valid: flags.contains(Flags::CURRENT_UTC_OFFSET_VALID),
            leap59: flags.contains(Flags::LEAP59),
            leap61: flags.contains(Flags::LEAP61),
            time_traceable: flags.contains(Flags::TIME_TRACEABLE),
            frequency_traceable: flags.contains(Flags::FREQUENCY_TRACEABLE),
            ptp_timescale: flags.contains(Flags::PTP_TIMESCALE),
            time_source: a.time_source,
        };
        let current_ds = CurrentDs {
            steps_removed: a.steps_removed,
            offset_from_master: Duration::ZERO,
            mean_delay: Duration::ZERO,
        };
        let mut port = PortDs::new(me);
        // It sends Announce and Sync: MASTER.
        port.port_state = PortState::Master;
        port.log_announce_interval = announce.header.log_message_interval;
        port.log_sync_interval = sync.header.log_message_interval;
        // ptp4l 3.1.1 implements the 2008 edition: minorVersionPTP 0.
        port.version_number = announce.header.version;
        port.minor_version_number = announce.header.minor_version;
        // Not on the wire but in ptp4l's configuration (as pmc printed it):
        // announceReceiptTimeout 2, logMinDelayReqInterval and
        // logMinPdelayReqInterval -1, delay request-response.
        port.announce_receipt_timeout = 2;
        port.log_min_delay_req_interval = -1;
        port.log_min_pdelay_req_interval = -1;
        port.delay_mechanism = DelayMechanism::E2e;
        Master {
            default_ds,
            current_ds,
            parent_ds,
            time_properties_ds,
            ports: [port],
            protocol: announce_packet.network_protocol,
            address: announce_packet.source.clone(),
            mac,
            // A free-running master: no servo, no grandmaster but itself.
            time_status: TimeStatus {
                master_offset: Duration::ZERO,
                ingress_time: Time::EPOCH,
                cumulative_scaled_rate_offset: 0,
                scaled_last_gm_phase_change: 0,
                gm_time_base_indicator: 0,
                last_gm_phase_change: 0,
                gm_present: false,
            },
        }
    }
}

/// ptp4l's defaults: no manufacturer, empty product and revision fields
/// (`;;`), no user description, the delay request-response default profile.
const CLOCK_INFO: ClockInfo<'static> = ClockInfo {
    manufacturer_identity: [0, 0, 0],
    product_description: b";;",
    revision_data: b";;",
    user_description: b"",
    profile_identity: [0x00, 0x1b, 0x19, 0x00, 0x01, 0x00],
};

/// Checks one capture; returns the number of GETs compared.
fn check(name: &str) -> usize {
    let packets = packets(&format!("{VECTORS}/{name}.pcap"));
    let headers = pmc_headers(&format!("{VECTORS}/{name}.txt"));
    let master = Master::from_capture(&packets);
    let me = master.ports[0].port_identity;
    let info = [PortInfo {
        physical_layer_protocol: b"IEEE 802.3",
        physical_address: &master.mac,
        protocol_address: PortAddress {
            network_protocol: master.protocol,
            address: &master.address,
        },
        timestamping: 0,
        interface: b"eth0",
        stats: PortStats::ZERO,
    }];
    let mut state = ManagementState {
        default_ds: &master.default_ds,
        current_ds: &master.current_ds,
        parent_ds: &master.parent_ds,
        time_properties_ds: &master.time_properties_ds,
        ports: &master.ports,
        port_info: &info,
        clock_info: &CLOCK_INFO,
        time_status: &master.time_status,
        limits: SetLimits::DEFAULT_PROFILES,
        accept_set_and_command: true,
    };

    let management: Vec<Message<'_>> = packets
        .iter()
        .map(|p| Message::decode(&p.payload).expect("decodes"))
        .filter(|m| m.header.message_type == MessageType::Management)
        .collect();
    assert_eq!(management.len(), 20, "{name}: ten requests, ten answers");
    let mut gets = 0;
    for (pair, pmc_line) in management.chunks(2).zip(&headers) {
        let [request, theirs] = pair else {
            panic!("{name}: unpaired message")
        };
        assert_ne!(
            request.header.source_port_identity, me,
            "{name}: request from pmc"
        );
        assert_eq!(
            theirs.header.source_port_identity, me,
            "{name}: answer from ptp4l"
        );
        // Without the transport's trailer (UDP/IPv6 adds two octets).
        let theirs_bytes = {
            let mut b = vec![0u8; theirs.encoded_len()];
            theirs.encode(&mut b).expect("re-encodes");
            b.truncate(theirs.message_length());
            b
        };
        assert_eq!(
            &pmc_header(theirs),
            pmc_line,
            "{name}: capture and pmc agree"
        );
        let Tlv::Management(request_tlv) = only_tlv(request) else {
            panic!("{name}: request without MANAGEMENT TLV")
        };
        let id = request_tlv.management_id;

        let reply = management::handle(&state, request, 1);
        assert!(
            reply.forwards.is_empty(),
            "{name}: an ordinary clock forwards nothing"
        );
        let [ours_bytes] = reply.responses.as_slice() else {
            panic!("{name}: {} answers to one request", reply.responses.len())
        };
        let ours = Message::decode(ours_bytes).expect("our answer decodes");

        // What pmc prints of the header, and the hops it does not print.
        let (ob, tb) = (management_body(&ours), management_body(theirs));
        assert_eq!(ours.header.source_port_identity, me, "{name}: source");
        assert_eq!(ours.header.sequence_id, request.header.sequence_id);
        assert_eq!(ob.target_port_identity, request.header.source_port_identity);
        assert_eq!(
            (ob.starting_boundary_hops, ob.boundary_hops),
            (tb.starting_boundary_hops, tb.boundary_hops),
            "{name}: hops"
        );
        assert_eq!(
            (ours.header.control_field, ours.header.log_message_interval),
            (4, 0x7f)
        );

        match management_body(request).action() {
            Action::Get => {
                assert!(reply.changes.is_empty());
                assert_eq!(&pmc_header(&ours), pmc_line, "{name}: pmc's line");
                // The whole message, byte for byte.
                assert_eq!(
                    ours_bytes,
                    &theirs_bytes,
                    "{name}: GET {}",
                    management_id::name(id).unwrap_or("?")
                );
                if id == management_id::TIME_STATUS_NP {
                    check_time_status(&ours, theirs, &master);
                }
                gets += 1;
            }
            Action::Set => {
                // ptp4l refuses a SET from the network; Tempora applies it
                // and answers with the new value.
                let Tlv::ManagementErrorStatus(status) = only_tlv(theirs) else {
                    panic!("{name}: ptp4l accepted the SET")
                };
                assert_eq!(
                    status.management_error_id,
                    management_error_id::NOT_SUPPORTED
                );
                assert_eq!(id, management_id::PRIORITY1);
                let ManagementData::Priority1(wanted) = request_tlv.data else {
                    panic!("{name}: SET PRIORITY1 data")
                };
                assert_eq!(reply.changes, [Change::Priority1(wanted.value.value)]);
                let Tlv::Management(answer) = only_tlv(&ours) else {
                    panic!("{name}: SET refused")
                };
                assert_eq!(answer.management_id, management_id::PRIORITY1);
                assert_eq!(answer.data.encoded_len(), 2);
                let mut value = [0u8; 8];
                let n = Tlv::Management(answer).encode(&mut value).unwrap();
                assert_eq!(
                    &value[..n],
                    &[0, 1, 0, 4, 0x20, 0x05, wanted.value.value, 0]
                );

                // Configured like ptp4l, the answer is ptp4l's, byte for byte.
                state.accept_set_and_command = false;
                let strict = management::handle(&state, request, 1);
                state.accept_set_and_command = true;
                assert!(strict.changes.is_empty());
                assert_eq!(strict.responses.len(), 1);
                assert_eq!(strict.responses[0], theirs_bytes, "{name}: SET as ptp4l");
            }
            other => panic!("{name}: pmc sent {other:?}"),
        }
    }
    gets
}

/// TIME_STATUS_NP by meaning: each field against the master's state.
fn check_time_status(ours: &Message<'_>, theirs: &Message<'_>, master: &Master) {
    let field = |m: &Message<'_>| match only_tlv(m) {
        Tlv::Management(t) => match t.data {
            ManagementData::TimeStatusNp(p) => p.value,
            other => panic!("TIME_STATUS_NP data {other:?}"),
        },
        other => panic!("TIME_STATUS_NP answered with {other:?}"),
    };
    let (o, t) = (field(ours), field(theirs));
    assert_eq!(o.gm_identity, t.gm_identity);
    assert_eq!(o.gm_identity, master.parent_ds.grandmaster_identity);
    assert_eq!(o.gm_present != 0, t.gm_present != 0, "gmPresent");
    assert_eq!(o.master_offset, t.master_offset);
    assert_eq!(o.ingress_time, t.ingress_time);
    assert_eq!(
        o.cumulative_scaled_rate_offset,
        t.cumulative_scaled_rate_offset
    );
    assert_eq!(o.last_gm_phase_change, t.last_gm_phase_change);
}

#[test]
fn answers_like_ptp4l_over_ethernet() {
    assert!(check("ptp-mgmt-2") >= 9);
}

#[test]
fn answers_like_ptp4l_over_udp_ipv4() {
    assert!(check("ptp-mgmt-4") >= 9);
}

#[test]
fn answers_like_ptp4l_over_udp_ipv6() {
    assert!(check("ptp-mgmt-6") >= 9);
}

/// The master answers a targeted request for port 1 the same way, and
/// ignores one for another clock.
#[test]
fn targeted_and_foreign_requests() {
    let packets = packets(&format!("{VECTORS}/ptp-mgmt-4.pcap"));
    let master = Master::from_capture(&packets);
    let info = [PortInfo::EMPTY];
    let state = ManagementState {
        default_ds: &master.default_ds,
        current_ds: &master.current_ds,
        parent_ds: &master.parent_ds,
        time_properties_ds: &master.time_properties_ds,
        ports: &master.ports,
        port_info: &info,
        clock_info: &CLOCK_INFO,
        time_status: &master.time_status,
        limits: SetLimits::default(),
        accept_set_and_command: true,
    };
    let request = packets
        .iter()
        .map(|p| Message::decode(&p.payload).expect("decodes"))
        .find(|m| {
            m.header.message_type == MessageType::Management
                && management_body(m).action() == Action::Get
        })
        .expect("a GET");
    let retarget = |target: PortIdentity| {
        let mut m = request;
        m.body = Body::Management(ManagementBody {
            target_port_identity: target,
            ..management_body(&request)
        });
        m
    };
    let targeted = retarget(master.ports[0].port_identity);
    assert_eq!(management::handle(&state, &targeted, 1).responses.len(), 1);
    let targeted = retarget(PortIdentity {
        clock_identity: tempora_ptp::wire::ClockIdentity([1; 8]),
        port_number: 1,
    });
    assert!(
        management::handle(&state, &targeted, 1)
            .responses
            .is_empty()
    );
}
