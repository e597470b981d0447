//! Golden test against linuxptp: decodes the management traffic of
//! `pmc -2|-4|-6 -b 1` talking to a lone `ptp4l` master (captured in
//! `ptp-mgmt-*.pcap` in `TEMPORA_VECTORS`), renders every RESPONSE the way `pmc`
//! prints it, and compares with what `pmc` really printed
//! (`ptp-mgmt-*.txt` beside them), line by line.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use etherparse::{Ethernet2Slice, SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_ptp::wire::tlv::management::{
    Action, ManagementData, ManagementTlv, management_id, port_state,
};
use tempora_ptp::wire::tlv::{ManagementErrorStatus, Tlv};
use tempora_ptp::wire::{Body, Message, MessageType, PtpText, Suffix, TimeInterval};

const VECTORS: &str = env!("TEMPORA_VECTORS");

/// The PTP payloads of a capture: Ethernet frames with EtherType 0x88F7, or
/// UDP datagrams to or from port 320 over IPv4 or IPv6.
fn ptp_payloads(path: &str) -> Vec<Vec<u8>> {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let capture = PcapCapture::from_file(&file).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let mut out = Vec::new();
    for packet in &capture.blocks {
        let frame = Ethernet2Slice::from_slice_without_fcs(packet.data).expect("Ethernet II");
        if frame.ether_type().0 == 0x88f7 {
            out.push(frame.payload_slice().to_vec());
            continue;
        }
        let Ok(sliced) = SlicedPacket::from_ethernet(packet.data) else {
            continue;
        };
        if let Some(TransportSlice::Udp(udp)) = sliced.transport
            && (udp.destination_port() == 320 || udp.source_port() == 320)
        {
            out.push(udp.payload().to_vec());
        }
    }
    out
}

/// One answer as `pmc` printed it: the request it sent (`GET DEFAULT_DATA_SET`),
/// the header line and the field lines, without their leading tabs.
#[derive(Debug)]
struct Block {
    request_action: String,
    request_id: String,
    header: String,
    fields: Vec<String>,
}

fn pmc_blocks(path: &str) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut blocks: Vec<Block> = Vec::new();
    let mut request = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("sending: ") {
            let mut words = rest.split_whitespace();
            let action = words.next().expect("action").to_string();
            let id = words.next().expect("managementId").to_string();
            request = Some((action, id));
        } else if let Some(field) = line.strip_prefix("\t\t") {
            blocks
                .last_mut()
                .expect("field before header")
                .fields
                .push(field.to_string());
        } else if let Some(header) = line.strip_prefix('\t') {
            let (request_action, request_id) = request.take().expect("answer without request");
            blocks.push(Block {
                request_action,
                request_id,
                header: header.to_string(),
                fields: Vec::new(),
            });
        } else if !line.is_empty() {
            panic!("{path}: unexpected line {line:?}");
        }
    }
    blocks
}

/// linuxptp's `bin2str`: octets as colon-separated hex.
fn bin2str(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// linuxptp's `text2str`.
fn text(t: PtpText<'_>) -> String {
    t.to_string()
}

/// `%.1f` of a TimeInterval in nanoseconds, as pmc prints offsetFromMaster.
fn ns_1f(t: TimeInterval) -> String {
    format!("{:.1}", t.0 as f64 / 65536.0)
}

/// Renders fields as pmc does: the names padded to one column past the
/// longest (pmc's format strings are written that way).
fn columns(fields: &[(&str, String)]) -> Vec<String> {
    let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 1;
    fields
        .iter()
        .map(|(n, v)| format!("{n:<width$}{v}"))
        .collect()
}

/// The field lines pmc prints for a MANAGEMENT TLV (linuxptp `pmc_show`).
fn render_fields(tlv: &ManagementTlv<'_>) -> Vec<String> {
    match tlv.data {
        ManagementData::DefaultDataSet(p) => {
            let d = p.value;
            columns(&[
                ("twoStepFlag", u8::from(d.two_step()).to_string()),
                ("slaveOnly", u8::from(d.slave_only()).to_string()),
                ("numberPorts", d.number_ports.to_string()),
                ("priority1", d.priority1.to_string()),
                ("clockClass", d.clock_quality.clock_class.to_string()),
                (
                    "clockAccuracy",
                    format!("0x{:02x}", d.clock_quality.clock_accuracy),
                ),
                (
                    "offsetScaledLogVariance",
                    format!("0x{:04x}", d.clock_quality.offset_scaled_log_variance),
                ),
                ("priority2", d.priority2.to_string()),
                ("clockIdentity", d.clock_identity.to_string()),
                ("domainNumber", d.domain_number.to_string()),
            ])
        }
        ManagementData::CurrentDataSet(p) => {
            let d = p.value;
            columns(&[
                ("stepsRemoved", (d.steps_removed as i16).to_string()),
                ("offsetFromMaster", ns_1f(d.offset_from_master)),
                ("meanPathDelay", ns_1f(d.mean_path_delay)),
            ])
        }
        ManagementData::ParentDataSet(p) => {
            let d = p.value;
            let q = d.grandmaster_clock_quality;
            columns(&[
                ("parentPortIdentity", d.parent_port_identity.to_string()),
                ("parentStats", d.parent_stats.to_string()),
                (
                    "observedParentOffsetScaledLogVariance",
                    format!("0x{:04x}", d.observed_parent_offset_scaled_log_variance),
                ),
                (
                    "observedParentClockPhaseChangeRate",
                    format!("0x{:08x}", d.observed_parent_clock_phase_change_rate as u32),
                ),
                ("grandmasterPriority1", d.grandmaster_priority1.to_string()),
                ("gm.ClockClass", q.clock_class.to_string()),
                ("gm.ClockAccuracy", format!("0x{:02x}", q.clock_accuracy)),
                (
                    "gm.OffsetScaledLogVariance",
                    format!("0x{:04x}", q.offset_scaled_log_variance),
                ),
                ("grandmasterPriority2", d.grandmaster_priority2.to_string()),
                ("grandmasterIdentity", d.grandmaster_identity.to_string()),
            ])
        }
        ManagementData::TimePropertiesDataSet(p) => {
            let d = p.value;
            let bit = |m: u8| u8::from(d.flags & m != 0).to_string();
            columns(&[
                ("currentUtcOffset", d.current_utc_offset.to_string()),
                ("leap61", bit(0x01)),
                ("leap59", bit(0x02)),
                ("currentUtcOffsetValid", bit(0x04)),
                ("ptpTimescale", bit(0x08)),
                ("timeTraceable", bit(0x10)),
                ("frequencyTraceable", bit(0x20)),
                ("timeSource", format!("0x{:02x}", d.time_source)),
            ])
        }
        ManagementData::PortDataSet(p) => {
            let d = p.value;
            columns(&[
                ("portIdentity", d.port_identity.to_string()),
                ("portState", port_state::name(d.port_state).to_string()),
                (
                    "logMinDelayReqInterval",
                    d.log_min_delay_req_interval.to_string(),
                ),
                (
                    "peerMeanPathDelay",
                    (d.peer_mean_path_delay.0 >> 16).to_string(),
                ),
                ("logAnnounceInterval", d.log_announce_interval.to_string()),
                (
                    "announceReceiptTimeout",
                    d.announce_receipt_timeout.to_string(),
                ),
                ("logSyncInterval", d.log_sync_interval.to_string()),
                ("delayMechanism", d.delay_mechanism.to_string()),
                (
                    "logMinPdelayReqInterval",
                    d.log_min_pdelay_req_interval.to_string(),
                ),
                ("versionNumber", d.version().to_string()),
            ])
        }
        ManagementData::ClockDescription(p) => {
            let d = p.value;
            let pa = d.protocol_address;
            let address = match (pa.network_protocol, pa.address) {
                (1, a) if a.len() == 4 => {
                    Ipv4Addr::from(<[u8; 4]>::try_from(a).expect("4 octets")).to_string()
                }
                (2, a) if a.len() == 16 => {
                    Ipv6Addr::from(<[u8; 16]>::try_from(a).expect("16 octets")).to_string()
                }
                (_, a) => bin2str(a),
            };
            columns(&[
                ("clockType", format!("0x{:x}", d.clock_type)),
                ("physicalLayerProtocol", text(d.physical_layer_protocol)),
                ("physicalAddress", bin2str(d.physical_address)),
                (
                    "protocolAddress",
                    format!("{} {address}", pa.network_protocol),
                ),
                ("manufacturerId", bin2str(&d.manufacturer_identity)),
                ("productDescription", text(d.product_description)),
                ("revisionData", text(d.revision_data)),
                ("userDescription", text(d.user_description)),
                ("profileId", bin2str(&d.profile_identity)),
            ])
        }
        // pmc's format string has two spaces here.
        ManagementData::UserDescription(p) => vec![format!("userDescription  {}", text(p.value))],
        ManagementData::TimeStatusNp(p) => {
            let d = p.value;
            let b = d.last_gm_phase_change.0.to_be_bytes();
            let msb = u16::from_be_bytes([b[4], b[5]]);
            let lsb = u64::from_be_bytes(b[6..14].try_into().expect("8 octets"));
            let frac = u16::from_be_bytes([b[14], b[15]]);
            let rate = (f64::from(d.cumulative_scaled_rate_offset) + 0.0) / (1u64 << 41) as f64;
            columns(&[
                ("master_offset", d.master_offset.to_string()),
                ("ingress_time", d.ingress_time.to_string()),
                ("cumulativeScaledRateOffset", format!("{rate:+.9}")),
                (
                    "scaledLastGmPhaseChange",
                    d.scaled_last_gm_phase_change.to_string(),
                ),
                ("gmTimeBaseIndicator", d.gm_time_base_indicator.to_string()),
                (
                    "lastGmPhaseChange",
                    format!("0x{msb:04x}'{lsb:016x}.{frac:04x}"),
                ),
                (
                    "gmPresent",
                    (if d.gm_present != 0 { "true" } else { "false" }).to_string(),
                ),
                ("gmIdentity", d.gm_identity.to_string()),
            ])
        }
        ManagementData::Priority1(p) => vec![format!("priority1 {}", p.value.value)],
        ManagementData::Priority2(p) => vec![format!("priority2 {}", p.value.value)],
        ManagementData::Domain(p) => vec![format!("domainNumber {}", p.value.value)],
        ManagementData::SlaveOnly(p) => vec![format!("slaveOnly {}", p.value.value)],
        ManagementData::PortPropertiesNp(p) => {
            let d = p.value;
            let ts = ["SOFTWARE", "HARDWARE", "LEGACY_HW", "ONESTEP", "P2P1STEP"];
            columns(&[
                ("portIdentity", d.port_identity.to_string()),
                ("portState", port_state::name(d.port_state).to_string()),
                (
                    "timestamping",
                    ts.get(usize::from(d.timestamping))
                        .unwrap_or(&"???")
                        .to_string(),
                ),
                ("interface", text(d.interface)),
            ])
        }
        other => panic!("no pmc rendering for {other:?} in this test"),
    }
}

/// Checks one capture against what pmc printed for it.
fn check(name: &str) {
    let pcap = format!("{VECTORS}/{name}.pcap");
    let txt = format!("{VECTORS}/{name}.txt");
    let blocks = pmc_blocks(&txt);
    let mut responses = 0;
    let mut lines_checked = 0;
    let mut management_messages = 0;
    for payload in ptp_payloads(&pcap) {
        let message = Message::decode(&payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        if message.header.message_type != MessageType::Management {
            continue;
        }
        management_messages += 1;
        let Body::Management(body) = message.body else {
            panic!("{name}: Management message with body {:?}", message.body)
        };
        let tlvs: Vec<Tlv<'_>> = message
            .tlvs()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        // Every management TLV, request or response, re-encodes exactly.
        let Suffix::Raw(raw_suffix) = message.suffix else {
            panic!("decoded suffix is raw")
        };
        let mut encoded = Vec::new();
        for tlv in &tlvs {
            let mut buf = vec![0u8; tlv.encoded_len()];
            assert_eq!(tlv.encode(&mut buf).expect("encode"), buf.len());
            encoded.extend_from_slice(&buf);
        }
        assert_eq!(encoded, raw_suffix, "{name}: TLVs re-encode to the suffix");

        if body.action() != Action::Response {
            continue;
        }
        let block = blocks
            .get(responses)
            .unwrap_or_else(|| panic!("{name}: more responses than pmc printed"));
        responses += 1;

        let [tlv] = tlvs.as_slice() else {
            panic!("{name}: {} TLVs in a response", tlvs.len())
        };
        let mut header = format!(
            "{} seq {} {} ",
            message.header.source_port_identity,
            message.header.sequence_id,
            body.action().name()
        );
        let (answered_id, fields) = match tlv {
            Tlv::Management(m) => {
                let id_name = management_id::name(m.management_id).expect("known managementId");
                write!(header, "MANAGEMENT {id_name} ").unwrap();
                (m.management_id, render_fields(m))
            }
            Tlv::ManagementErrorStatus(ManagementErrorStatus { management_id, .. }) => {
                // pmc prints no details of an error status.
                header.push_str("MANAGEMENT_ERROR_STATUS ");
                (*management_id, Vec::new())
            }
            other => panic!("{name}: unexpected TLV {other:?}"),
        };
        assert_eq!(header, block.header, "{name}: header line");
        assert_eq!(
            management_id::name(answered_id),
            Some(block.request_id.as_str()),
            "{name}: the answer is for the managementId pmc asked about"
        );
        assert_eq!(
            fields.len(),
            block.fields.len(),
            "{name}: {}: field count",
            block.header
        );
        for (got, want) in fields.iter().zip(&block.fields) {
            assert_eq!(got, want, "{name}: {}", block.header);
            lines_checked += 1;
        }
        // ptp4l refused the network SET; pmc printed only the header line, the
        // capture holds the reason.
        if block.request_action == "SET" {
            let Tlv::ManagementErrorStatus(status) = tlv else {
                panic!("{name}: SET answered with {tlv:?}")
            };
            assert_eq!(status.error_name(), Some("NOT_SUPPORTED"));
        }
    }
    assert_eq!(
        responses,
        blocks.len(),
        "{name}: every block pmc printed has a response"
    );
    let fields: usize = blocks.iter().map(|b| b.fields.len()).sum();
    assert_eq!(lines_checked, fields);
    assert!(
        responses >= 10 && lines_checked >= 60,
        "{name}: {responses} responses"
    );
    assert_eq!(
        management_messages,
        2 * responses,
        "{name}: one request per response"
    );
}

#[test]
fn pmc_over_ethernet() {
    check("ptp-mgmt-2");
}

#[test]
fn pmc_over_udp_ipv4() {
    check("ptp-mgmt-4");
}

#[test]
fn pmc_over_udp_ipv6() {
    check("ptp-mgmt-6");
}
