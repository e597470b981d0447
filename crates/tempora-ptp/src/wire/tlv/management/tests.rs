//! Unit tests: hand-built data fields laid out as in the tables of IEEE
//! 1588-2019 §15.5.3 (several taken from a linuxptp capture), decoded,
//! checked field by field, and re-encoded.

extern crate std;
use std::vec::Vec;

use super::*;
use crate::wire::tlv::ScaledNs;
use crate::wire::types::{ClockIdentity, ClockQuality, PortIdentity, TimeInterval};

const CID: ClockIdentity = ClockIdentity([0x2e, 0xf8, 0xca, 0xff, 0xfe, 0x92, 0xc8, 0x43]);

fn hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    s.chunks(2)
        .map(|c| u8::from_str_radix(core::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

fn encode(tlv: &ManagementTlv<'_>) -> Vec<u8> {
    let mut buf = std::vec![0u8; tlv.value_len() + 8];
    let mut w = Writer::new(&mut buf);
    tlv.write_value(&mut w).unwrap();
    let n = w.position();
    assert_eq!(
        n,
        tlv.value_len(),
        "value_len matches what write_value wrote"
    );
    buf.truncate(n);
    buf
}

/// Decodes `value`, checks that it re-encodes to the same bytes, returns it.
fn round_trip(value: &[u8]) -> ManagementTlv<'_> {
    let tlv = ManagementTlv::read_value(value).unwrap();
    assert_eq!(encode(&tlv), value, "re-encoding {tlv:?}");
    tlv
}

#[test]
fn default_data_set() {
    // Table "DEFAULT_DATA_SET management TLV data field": flags (TSC, SO),
    // reserved, numberPorts, priority1, clockQuality, priority2,
    // clockIdentity, domainNumber, reserved. From ptp4l's answer to pmc.
    let v = hex("2000 01 00 0001 64 f8feffff 80 2ef8cafffe92c843 00 00");
    let tlv = round_trip(&v);
    assert_eq!(tlv.management_id, management_id::DEFAULT_DATA_SET);
    assert_eq!(tlv.name(), Some("DEFAULT_DATA_SET"));
    let ManagementData::DefaultDataSet(Padded { value: d, pad }) = tlv.data else {
        panic!("{tlv:?}")
    };
    assert!(pad.is_empty());
    assert!(d.two_step());
    assert!(!d.slave_only());
    assert_eq!(d.number_ports, 1);
    assert_eq!(d.priority1, 100);
    assert_eq!(
        d.clock_quality,
        ClockQuality {
            clock_class: 248,
            clock_accuracy: 0xfe,
            offset_scaled_log_variance: 0xffff
        }
    );
    assert_eq!(d.priority2, 128);
    assert_eq!(d.clock_identity, CID);
    assert_eq!(d.domain_number, 0);

    // Unknown flag bits, reserved octets and the domain are kept.
    let v = hex("2000 fe a5 0002 01 06 21 4e5d 02 0011223344556677 18 5a");
    let tlv = round_trip(&v);
    let ManagementData::DefaultDataSet(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.flags, 0xfe);
    assert!(!p.value.two_step() && p.value.slave_only());
    assert_eq!(
        (p.value.reserved0, p.value.reserved1, p.value.domain_number),
        (0xa5, 0x5a, 24)
    );
}

#[test]
fn current_data_set() {
    // stepsRemoved, offsetFromMaster, meanPathDelay (TimeInterval, 2^-16 ns).
    let v = hex("2001 0003 fffffffffffe8000 0000000000640000");
    let tlv = round_trip(&v);
    let ManagementData::CurrentDataSet(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.steps_removed, 3);
    assert_eq!(p.value.offset_from_master, TimeInterval(-(3 << 15)));
    assert_eq!(
        p.value.mean_path_delay,
        TimeInterval::from_nanos(100).unwrap()
    );
}

#[test]
fn parent_data_set() {
    let v = hex("2002 2ef8cafffe92c843 0000 00 00 ffff 7fffffff 64 f8feffff 80 2ef8cafffe92c843");
    let tlv = round_trip(&v);
    let ManagementData::ParentDataSet(p) = tlv.data else {
        panic!()
    };
    let d = p.value;
    assert_eq!(
        d.parent_port_identity,
        PortIdentity {
            clock_identity: CID,
            port_number: 0
        }
    );
    assert_eq!(d.parent_stats, 0);
    assert_eq!(d.observed_parent_offset_scaled_log_variance, 0xffff);
    assert_eq!(d.observed_parent_clock_phase_change_rate, 0x7fff_ffff);
    assert_eq!(d.grandmaster_priority1, 100);
    assert_eq!(d.grandmaster_clock_quality.clock_class, 248);
    assert_eq!(d.grandmaster_priority2, 128);
    assert_eq!(d.grandmaster_identity, CID);

    let v = hex("2002 0011223344556677 0009 81 7e 1234 80000000 01 06 21 0100 02 8899aabbccddeeff");
    let tlv = round_trip(&v);
    let ManagementData::ParentDataSet(p) = tlv.data else {
        panic!()
    };
    assert_eq!((p.value.parent_stats, p.value.reserved), (0x81, 0x7e));
    assert_eq!(p.value.observed_parent_clock_phase_change_rate, i32::MIN);
}

#[test]
fn time_properties_data_set() {
    let v = hex("2003 0025 00 a0");
    let tlv = round_trip(&v);
    let ManagementData::TimePropertiesDataSet(p) = tlv.data else {
        panic!()
    };
    assert_eq!(
        p.value,
        TimePropertiesDataSet {
            current_utc_offset: 37,
            flags: 0,
            time_source: 0xa0
        }
    );

    // All six flags plus an unknown bit 7; negative offset.
    let v = hex("2003 fff6 bf 20");
    let tlv = round_trip(&v);
    let ManagementData::TimePropertiesDataSet(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.current_utc_offset, -10);
    assert_eq!(p.value.flags, 0xbf);
    for f in [
        TimePropertiesDataSet::FLAG_LEAP61,
        TimePropertiesDataSet::FLAG_LEAP59,
        TimePropertiesDataSet::FLAG_UTC_OFFSET_VALID,
        TimePropertiesDataSet::FLAG_PTP_TIMESCALE,
        TimePropertiesDataSet::FLAG_TIME_TRACEABLE,
        TimePropertiesDataSet::FLAG_FREQUENCY_TRACEABLE,
    ] {
        assert!(p.value.has(f));
    }
    assert_eq!(p.value.time_source, 0x20);
}

#[test]
fn port_data_set() {
    // portIdentity, portState, logMinDelayReqInterval, peerMeanPathDelay,
    // logAnnounceInterval, announceReceiptTimeout, logSyncInterval,
    // delayMechanism, logMinPdelayReqInterval, versionNumber.
    let v = hex("2004 2ef8cafffe92c843 0001 06 ff 0000000000000000 00 02 ff 01 ff 02");
    let tlv = round_trip(&v);
    let ManagementData::PortDataSet(p) = tlv.data else {
        panic!()
    };
    let d = p.value;
    assert_eq!(
        d.port_identity,
        PortIdentity {
            clock_identity: CID,
            port_number: 1
        }
    );
    assert_eq!(port_state::name(d.port_state), "MASTER");
    assert_eq!(d.log_min_delay_req_interval, -1);
    assert_eq!(d.peer_mean_path_delay, TimeInterval(0));
    assert_eq!(d.log_announce_interval, 0);
    assert_eq!(d.announce_receipt_timeout, 2);
    assert_eq!(d.log_sync_interval, -1);
    assert_eq!(d.delay_mechanism, delay_mechanism::E2E);
    assert_eq!(d.log_min_pdelay_req_interval, -1);
    assert_eq!(d.version(), 2);

    // 2019 minorVersionNumber in the high nibble is kept.
    let v = hex("2004 0011223344556677 0002 09 00 0000000000123456 01 03 fe 02 00 12");
    let tlv = round_trip(&v);
    let ManagementData::PortDataSet(p) = tlv.data else {
        panic!()
    };
    assert_eq!((p.value.version_number, p.value.version()), (0x12, 2));
    assert_eq!(p.value.peer_mean_path_delay, TimeInterval(0x12_3456));
    assert_eq!(port_state::name(p.value.port_state), "SLAVE");
}

#[test]
fn clock_description() {
    let v = hex(
        "0001 8000 0a 49454545203830322e33 0006 2ef8ca92c843 0003 0006 2ef8ca92c843
         000000 00 02 3b3b 02 3b3b 00 001b19000100",
    );
    let tlv = round_trip(&v);
    let ManagementData::ClockDescription(p) = tlv.data else {
        panic!()
    };
    let d = p.value;
    assert!(p.pad.is_empty());
    assert_eq!(d.clock_type, 0x8000);
    assert_eq!(d.physical_layer_protocol.as_str(), Some("IEEE 802.3"));
    assert_eq!(d.physical_address, [0x2e, 0xf8, 0xca, 0x92, 0xc8, 0x43]);
    assert_eq!(d.protocol_address.network_protocol, 3);
    assert_eq!(d.protocol_address.address, d.physical_address);
    assert_eq!(d.manufacturer_identity, [0, 0, 0]);
    assert_eq!(d.product_description.as_str(), Some(";;"));
    assert_eq!(d.revision_data.as_str(), Some(";;"));
    assert_eq!(d.user_description.as_str(), Some(""));
    assert_eq!(d.profile_identity, [0x00, 0x1b, 0x19, 0x00, 0x01, 0x00]);

    // IPv4 protocol address, odd total length so one pad octet (kept as is).
    let v =
        hex("0001 4000 00 0000 0001 0004 0ad20001 ac1234 ee 01 41 00 03 616263 000000000000 7f");
    let tlv = round_trip(&v);
    let ManagementData::ClockDescription(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.protocol_address.address, [10, 210, 0, 1]);
    assert_eq!(p.value.manufacturer_identity, [0xac, 0x12, 0x34]);
    assert_eq!(p.value.reserved, 0xee);
    assert_eq!(p.value.user_description.as_str(), Some("abc"));
    assert_eq!(p.pad, [0x7f]);

    // pmc's GET carries a zero-filled field; it decodes as all-empty.
    let v = [0u8; 24];
    let mut v = v.to_vec();
    v[1] = 1;
    let tlv = round_trip(&v);
    assert!(matches!(tlv.data, ManagementData::ClockDescription(_)));
}

#[test]
fn user_description_keeps_pad() {
    let v = hex("0002 00 00");
    let tlv = round_trip(&v);
    let ManagementData::UserDescription(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.0, b"");
    assert_eq!(p.pad, [0]);

    let v = hex("0002 05 68656c6c6f");
    let tlv = round_trip(&v);
    let ManagementData::UserDescription(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.as_str(), Some("hello"));
    assert!(p.pad.is_empty());

    // Text longer than the field.
    let v = hex("0002 06 68656c6c6f");
    assert_eq!(
        ManagementTlv::read_value(&v),
        Err(Error::BadManagementData {
            management_id: management_id::USER_DESCRIPTION
        })
    );
}

#[test]
fn single_octet_values_keep_reserved() {
    // pmc's SET PRIORITY1 90 really sends garbage in the reserved octet.
    let v = hex("2005 5a3f");
    let tlv = round_trip(&v);
    assert_eq!(
        tlv.data,
        ManagementData::Priority1(Padded::new(Datum {
            value: 90,
            reserved: 0x3f
        }))
    );
    type Make = fn(Padded<'static, Datum>) -> ManagementData<'static>;
    let cases: [(u16, Make); 10] = [
        (management_id::PRIORITY1, ManagementData::Priority1),
        (management_id::PRIORITY2, ManagementData::Priority2),
        (management_id::DOMAIN, ManagementData::Domain),
        (management_id::SLAVE_ONLY, ManagementData::SlaveOnly),
        (
            management_id::LOG_ANNOUNCE_INTERVAL,
            ManagementData::LogAnnounceInterval,
        ),
        (
            management_id::ANNOUNCE_RECEIPT_TIMEOUT,
            ManagementData::AnnounceReceiptTimeout,
        ),
        (
            management_id::LOG_SYNC_INTERVAL,
            ManagementData::LogSyncInterval,
        ),
        (management_id::VERSION_NUMBER, ManagementData::VersionNumber),
        (
            management_id::DELAY_MECHANISM,
            ManagementData::DelayMechanism,
        ),
        (
            management_id::LOG_MIN_PDELAY_REQ_INTERVAL,
            ManagementData::LogMinPdelayReqInterval,
        ),
    ];
    for (id, make) in cases {
        let mut v = id.to_be_bytes().to_vec();
        v.extend_from_slice(&[0xfd, 0x81]);
        let tlv = round_trip(&v);
        assert_eq!(
            tlv.data,
            make(Padded::new(Datum {
                value: 0xfd,
                reserved: 0x81
            }))
        );
        assert_eq!(tlv.data.management_id(), Some(id));
        // Trailing octets beyond the layout are kept as pad.
        v.extend_from_slice(&[1, 2]);
        let tlv = round_trip(&v);
        assert_eq!(
            tlv.data,
            make(Padded {
                value: Datum {
                    value: 0xfd,
                    reserved: 0x81
                },
                pad: &[1, 2]
            })
        );
    }
    assert_eq!(Datum::new(0xfd).as_i8(), -3);
}

#[test]
fn time_status_np() {
    let v = hex(
        "c000 fffffffffffffc18 17a4c2e9a1b2c3d4 00000400 fffffff6 0003
         ffff fffffffffffffffe 8000 00000001 2ef8cafffe92c843",
    );
    let tlv = round_trip(&v);
    let ManagementData::TimeStatusNp(p) = tlv.data else {
        panic!()
    };
    let d = p.value;
    assert_eq!(d.master_offset, -1000);
    assert_eq!(d.ingress_time, 0x17a4_c2e9_a1b2_c3d4);
    assert_eq!(d.cumulative_scaled_rate_offset, 1024);
    assert_eq!(d.scaled_last_gm_phase_change, -10);
    assert_eq!(d.gm_time_base_indicator, 3);
    assert_eq!(d.last_gm_phase_change, ScaledNs(-(1 << 17) + 0x8000));
    assert_eq!(d.gm_present, 1);
    assert_eq!(d.gm_identity, CID);

    let positive = hex(
        "c000 00000000000000000000000000000000 0000000000000000 0000 7fff ffffffffffffffff ffff 00000000 0000000000000000",
    );
    let tlv = round_trip(&positive);
    let ManagementData::TimeStatusNp(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.last_gm_phase_change, ScaledNs((1 << 95) - 1));
}

#[test]
fn port_properties_np() {
    let v = hex("c004 2ef8cafffe92c843 0001 09 01 04 65746830");
    let tlv = round_trip(&v);
    let ManagementData::PortPropertiesNp(p) = tlv.data else {
        panic!()
    };
    assert_eq!(
        p.value.port_identity,
        PortIdentity {
            clock_identity: CID,
            port_number: 1
        }
    );
    assert_eq!(port_state::name(p.value.port_state), "SLAVE");
    assert_eq!(p.value.timestamping, 1);
    assert_eq!(p.value.interface.as_str(), Some("eth0"));
    assert_eq!(p.pad, [] as [u8; 0]);

    let v = hex("c004 2ef8cafffe92c843 0001 06 00 03 657468 00");
    let tlv = round_trip(&v);
    let ManagementData::PortPropertiesNp(p) = tlv.data else {
        panic!()
    };
    assert_eq!(p.value.interface.as_str(), Some("eth"));
    assert_eq!(p.pad, [0]);
}

#[test]
fn port_stats_np_counters_are_little_endian() {
    let mut v = hex("c005 2ef8cafffe92c843 0001");
    for i in 0..32u64 {
        v.extend_from_slice(&(i * 0x0101 + 1).to_le_bytes());
    }
    let tlv = round_trip(&v);
    let ManagementData::PortStatsNp(p) = tlv.data else {
        panic!()
    };
    let d = p.value;
    assert_eq!(d.port_identity.port_number, 1);
    assert_eq!(d.rx(0), 1);
    assert_eq!(d.rx(13), 13 * 0x0101 + 1);
    assert_eq!(d.tx(0), 16 * 0x0101 + 1);
    assert_eq!(d.tx(15), 31 * 0x0101 + 1);
    assert_eq!((d.rx(16), d.tx(255)), (0, 0));
    let rx: [u64; 16] = core::array::from_fn(|i| i as u64 * 0x0101 + 1);
    let tx: [u64; 16] = core::array::from_fn(|i| (i as u64 + 16) * 0x0101 + 1);
    assert_eq!(PortStatsNp::encode_counters(&rx, &tx)[..], v[12..]);
    assert_eq!(v.len(), 2 + PortStatsNp::LEN);
}

#[test]
fn empty_null_and_raw() {
    let v = hex("2000");
    assert_eq!(round_trip(&v).data, ManagementData::Empty);
    let v = hex("0000");
    assert_eq!(round_trip(&v).data, ManagementData::NullManagement);
    let v = hex("0000 1234");
    assert_eq!(round_trip(&v).data, ManagementData::Raw(&[0x12, 0x34]));
    let v = hex("c001 f8feffff 0025 00 a0");
    let tlv = round_trip(&v);
    assert_eq!(tlv.data, ManagementData::Raw(&v[2..]));
    assert_eq!(tlv.name(), Some("GRANDMASTER_SETTINGS_NP"));
    assert_eq!(management_id::name(0x7777), None);
    // No room for managementId.
    assert_eq!(
        ManagementTlv::read_value(&[0x20]),
        Err(Error::WrongTlvLength {
            tlv_type: 1,
            length: 1
        })
    );
}

#[test]
fn truncated_data_fields_are_errors() {
    let layouts: [(u16, usize); 16] = [
        (management_id::DEFAULT_DATA_SET, DefaultDataSet::LEN),
        (management_id::CURRENT_DATA_SET, CurrentDataSet::LEN),
        (management_id::PARENT_DATA_SET, ParentDataSet::LEN),
        (
            management_id::TIME_PROPERTIES_DATA_SET,
            TimePropertiesDataSet::LEN,
        ),
        (management_id::PORT_DATA_SET, PortDataSet::LEN),
        (management_id::CLOCK_DESCRIPTION, 22),
        (management_id::USER_DESCRIPTION, 1),
        (management_id::PRIORITY1, 2),
        (management_id::DOMAIN, 2),
        (management_id::SLAVE_ONLY, 2),
        (management_id::LOG_SYNC_INTERVAL, 2),
        (management_id::DELAY_MECHANISM, 2),
        (management_id::LOG_MIN_PDELAY_REQ_INTERVAL, 2),
        (management_id::TIME_STATUS_NP, TimeStatusNp::LEN),
        (management_id::PORT_PROPERTIES_NP, 13),
        (management_id::PORT_STATS_NP, PortStatsNp::LEN),
    ];
    for (id, len) in layouts {
        let mut v = id.to_be_bytes().to_vec();
        v.resize(2 + len, 0);
        assert!(!matches!(
            round_trip(&v).data,
            ManagementData::Raw(_) | ManagementData::Empty
        ));
        for short in 1..len {
            assert_eq!(
                ManagementTlv::read_value(&v[..2 + short]),
                Err(Error::BadManagementData { management_id: id }),
                "id {id:#06x} with {short} of {len} octets"
            );
        }
    }
    // Variable parts running past the end.
    for v in [
        hex("0001 0000 00 0009 00"),
        hex("0001 0000 00 0000 0001 0004 0a00"),
        hex("c004 2ef8cafffe92c843 0001 06 00 08 657468"),
    ] {
        assert!(matches!(
            ManagementTlv::read_value(&v),
            Err(Error::BadManagementData { .. })
        ));
    }
}

/// Every byte string that decodes re-encodes to itself.
#[test]
fn arbitrary_values_round_trip() {
    let ids = [
        0x0000, 0x0001, 0x0002, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
        0x2008, 0x2009, 0x200a, 0x200b, 0x200c, 0x6000, 0x6001, 0xc000, 0xc004, 0xc005, 0x1234,
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for round in 0..20_000 {
        let id: u16 = ids[round % ids.len()];
        let len = (next() % 300) as usize;
        let mut v = id.to_be_bytes().to_vec();
        for _ in 0..len {
            // Small length octets make the variable layouts decode often.
            let b = next() as u8;
            v.push(if next() % 3 == 0 { b % 8 } else { b });
        }
        if let Ok(tlv) = ManagementTlv::read_value(&v) {
            assert_eq!(encode(&tlv), v);
            decoded += 1;
        }
        let _ = ManagementErrorStatus::read_value(&v).map(|s| {
            let mut buf = std::vec![0u8; s.value_len()];
            let mut w = Writer::new(&mut buf);
            s.write_value(&mut w).unwrap();
            assert_eq!(buf, v);
        });
    }
    assert!(decoded > 10_000, "{decoded}");
}

#[test]
fn encoding_checks_the_id() {
    let tlv = ManagementTlv {
        management_id: management_id::PRIORITY2,
        data: ManagementData::Priority1(Padded::new(Datum::new(1))),
    };
    let mut buf = [0u8; 8];
    assert_eq!(
        tlv.write_value(&mut Writer::new(&mut buf)),
        Err(Error::BadManagementData {
            management_id: management_id::PRIORITY2
        })
    );
    // Too small a buffer is an error, not a panic.
    let tlv = ManagementTlv {
        management_id: 0x2005,
        ..tlv
    };
    assert!(tlv.write_value(&mut Writer::new(&mut buf[..3])).is_err());
}

#[test]
fn even_padding_for_new_values() {
    let data = ManagementData::UserDescription(Padded::new(PtpText(b"ab"))).with_even_padding();
    let tlv = ManagementTlv {
        management_id: management_id::USER_DESCRIPTION,
        data,
    };
    assert_eq!(encode(&tlv), hex("0002 02 6162 00"));
    let data = ManagementData::UserDescription(Padded::new(PtpText(b"abc"))).with_even_padding();
    assert_eq!(data.encoded_len(), 4);
    let data = ManagementData::Raw(&[1, 2, 3]).with_even_padding();
    assert_eq!(data, ManagementData::Raw(&[1, 2, 3]));
}

#[test]
fn error_status() {
    // ptp4l's answer to a SET PRIORITY1 it does not allow.
    let v = hex("0006 2005 00000000");
    let s = ManagementErrorStatus::read_value(&v).unwrap();
    assert_eq!(
        s,
        ManagementErrorStatus::new(management_error_id::NOT_SUPPORTED, 0x2005)
    );
    assert_eq!(s.error_name(), Some("NOT_SUPPORTED"));
    assert_eq!(s.value_len(), 8);

    let v = hex("0002 c0ff 01020304 05 68656c6c6f 00");
    let s = ManagementErrorStatus::read_value(&v).unwrap();
    assert_eq!(s.error_name(), Some("NO_SUCH_ID"));
    assert_eq!(s.reserved, [1, 2, 3, 4]);
    assert_eq!(s.display_data.and_then(|t| t.as_str()), Some("hello"));
    assert_eq!(s.pad, [0]);
    let mut buf = std::vec![0u8; s.value_len()];
    s.write_value(&mut Writer::new(&mut buf)).unwrap();
    assert_eq!(buf, v);

    for short in 0..8 {
        assert_eq!(
            ManagementErrorStatus::read_value(&v[..short]),
            Err(Error::WrongTlvLength {
                tlv_type: 2,
                length: short as u16
            })
        );
    }
    assert!(ManagementErrorStatus::read_value(&hex("0002 c0ff 01020304 09 6868")).is_err());
    assert_eq!(management_error_id::name(0xfffe), Some("GENERAL_ERROR"));
    assert_eq!(management_error_id::name(7), None);
}

#[test]
fn sizes_stay_small() {
    // Tlv embeds ManagementTlv by value; keep it compact.
    assert!(
        core::mem::size_of::<ManagementTlv<'_>>() <= 160,
        "{}",
        core::mem::size_of::<ManagementTlv<'_>>()
    );
}

#[test]
fn actions() {
    for (v, a, n) in [
        (0, Action::Get, "GET"),
        (1, Action::Set, "SET"),
        (2, Action::Response, "RESPONSE"),
        (3, Action::Command, "COMMAND"),
        (4, Action::Acknowledge, "ACKNOWLEDGE"),
        (9, Action::Reserved(9), "RESERVED"),
    ] {
        assert_eq!(Action::from_u8(v), a);
        assert_eq!(Action::from_u8(v | 0xf0), a);
        assert_eq!(a.to_u8(), v);
        assert_eq!(a.name(), n);
    }
}
