//! The CSPTP client against the server in memory, every drop reason, a
//! replay, and the messages of ntpd-rs's capture
//! (`shared/vectors/next/csptp.pcap`) through both.

extern crate std;

use std::vec::Vec;

use tempora_clock::{Duration, Time};

use super::message::{self, CsptpMessage};
use super::*;
use crate::datasets::TimePropertiesDs;
use crate::wire::tlv::CsptpStatusTlv;
use crate::wire::{ClockIdentity, ClockQuality, Flags, Message, PortIdentity};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// ntpd-rs's client's first request, its server's Sync response and Follow_Up.
const CAPTURE_REQUEST: &str = "3012003480000400000000000000000000000000000000000000000000000000007f00000000000000000000ff00000401000000";
const CAPTURE_RESPONSE: &str = "3012005880000608000000000000000000000000000000000000000000000000007f00000000000000000000ff01001200006b105f063630e2bd0000000000000000f002001280f8fe690080000000000000000000000000";
const CAPTURE_FOLLOW_UP: &str =
    "3812002c80000600000000000000000000000000000000000000000000000000007f00006b105f063637a8ba";

fn t(secs: i64, nanos: u32) -> Time {
    Time::from_secs_nanos(secs, nanos)
}

fn config() -> CsptpClientConfig {
    assert_eq!(CsptpClientConfig::default().domain, 128);
    CsptpClientConfig {
        burst: 1,
        ..CsptpClientConfig::default()
    }
}

/// The data set ntpd-rs's server announced in the capture.
fn capture_dataset() -> ServerDataSet {
    ServerDataSet {
        port_identity: PortIdentity::default(),
        grandmaster_priority1: 128,
        grandmaster_clock_quality: ClockQuality {
            clock_class: 248,
            clock_accuracy: 0xfe,
            offset_scaled_log_variance: 0x6900,
        },
        grandmaster_priority2: 128,
        steps_removed: 0,
        grandmaster_identity: ClockIdentity::default(),
        time_properties: TimePropertiesDs {
            current_utc_offset: 0,
            current_utc_offset_valid: false,
            ptp_timescale: true,
            ..TimePropertiesDs::default()
        },
    }
}

/// One exchange: client request at `t1`, server receive `t2`, reply sent
/// `t3`, client receive `t4`; returns the server's reply and Follow_Up.
fn exchange(
    client: &mut CsptpClient,
    server: &CsptpServer,
    ds: &ServerDataSet,
    times: [Time; 4],
) -> (Vec<u8>, Option<Vec<u8>>, ClientOutcome) {
    let mut req = [0u8; message::MAX_LEN];
    let r = client.poll_request(times[0], &mut req).unwrap().unwrap();
    assert_eq!(r.len, message::REQUEST_LEN);
    exchange_of(client, server, ds, &req[..r.len], r.sequence_id, times)
}

/// The rest of an exchange whose request `req` (`sequence_id`) was built.
fn exchange_of(
    client: &mut CsptpClient,
    server: &CsptpServer,
    ds: &ServerDataSet,
    req: &[u8],
    sequence_id: u16,
    times: [Time; 4],
) -> (Vec<u8>, Option<Vec<u8>>, ClientOutcome) {
    let [t1, t2, t3, t4] = times;
    assert_eq!(
        client.handle_transmit_timestamp(sequence_id, t1),
        ClientOutcome::Waiting
    );
    let mut reply = [0u8; message::MAX_LEN];
    let ServerOutcome::Reply { len, follow_up } = server.handle(t2, req, ds, &mut reply) else {
        panic!("no reply")
    };
    let reply = reply[..len].to_vec();
    if !follow_up {
        let mut one = reply.clone();
        CsptpServer::stamp_one_step(&mut one, t3).unwrap();
        let out = client.handle_message(&one, t4);
        return (one, None, out);
    }
    let mut fu = [0u8; message::MAX_LEN];
    let n = server.follow_up(&reply, t3, &mut fu).unwrap();
    assert_eq!(n, message::FOLLOW_UP_LEN);
    assert_eq!(client.handle_message(&reply, t4), ClientOutcome::Waiting);
    let out = client.handle_message(&fu[..n], t4 + Duration::from_micros(5));
    (reply, Some(fu[..n].to_vec()), out)
}

fn utc_dataset() -> ServerDataSet {
    ServerDataSet {
        time_properties: TimePropertiesDs {
            ptp_timescale: false,
            ..TimePropertiesDs::default()
        },
        ..ServerDataSet::default()
    }
}

#[test]
fn client_against_server_two_step_is_exact() {
    let mut client = CsptpClient::new(config(), t(100, 0));
    let server = CsptpServer::default();
    // Server 1.5 ms ahead, 40 µs each way: t2 = t1 + 40 µs + 1.5 ms.
    let times = [
        t(100, 0),
        t(100, 1_540_000),
        t(100, 1_600_000),
        t(100, 140_000),
    ];
    let (_, _, out) = exchange(&mut client, &server, &utc_dataset(), times);
    let ClientOutcome::Sample(s) = out else {
        panic!("{out:?}")
    };
    assert_eq!(s.offset, Duration::from_micros(1500));
    assert_eq!(s.server_offset, s.offset);
    assert_eq!(s.delay, Duration::from_micros(80));
    assert_eq!(
        (s.t1, s.t2, s.t3, s.t4),
        (times[0], times[1], times[2], times[3])
    );
    assert_eq!(s.status, Some(utc_dataset().status_tlv()));
    assert_eq!(s.utc_offset_applied, 0);
    assert_eq!(client.counters().samples, 1);
    assert_eq!(client.counters().drops.total(), 0);
}

#[test]
fn follow_up_first_and_sub_nanoseconds() {
    let mut client = CsptpClient::new(config(), t(10, 0));
    let server = CsptpServer::default();
    let ds = utc_dataset();
    let mut req = [0u8; 128];
    let r = client.poll_request(t(10, 0), &mut req).unwrap().unwrap();
    let mut reply = [0u8; 128];
    let ServerOutcome::Reply { len, .. } =
        server.handle(t(10, 500), &req[..r.len], &ds, &mut reply)
    else {
        panic!()
    };
    // t3 with a quarter nanosecond: it travels in the Follow_Up's correction.
    let t3 = t(10, 700) + Duration::from_scaled_nanos(1 << 14);
    let mut fu = [0u8; 128];
    let n = server.follow_up(&reply[..len], t3, &mut fu).unwrap();
    assert_eq!(
        client.handle_message(&fu[..n], t(10, 1200)),
        ClientOutcome::Waiting
    );
    assert_eq!(
        client.handle_message(&reply[..len], t(10, 1000)),
        ClientOutcome::Waiting
    );
    let ClientOutcome::Sample(s) = client.handle_transmit_timestamp(r.sequence_id, t(10, 0)) else {
        panic!()
    };
    assert_eq!(s.t3 + s.response_correction, t3);
    // forward 500 ns, backward 300 ns − ¼ ns.
    assert_eq!(
        s.delay,
        Duration::from_nanos(800) - Duration::from_scaled_nanos(1 << 14)
    );
    assert_eq!(
        s.offset,
        (Duration::from_nanos(200) + Duration::from_scaled_nanos(1 << 14)) / 2
    );
}

#[test]
fn one_step_server() {
    let mut client = CsptpClient::new(config(), t(5, 0));
    let server = CsptpServer::new(CsptpServerConfig {
        step_mode: StepMode::OneStep,
        domain: None,
    });
    let times = [t(5, 0), t(5, 10_000), t(5, 20_000), t(5, 30_000)];
    let (reply, fu, out) = exchange(&mut client, &server, &utc_dataset(), times);
    assert!(fu.is_none());
    let ClientOutcome::Sample(s) = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        (s.offset, s.delay),
        (Duration::ZERO, Duration::from_micros(20))
    );
    assert_eq!(s.t3, times[2]);
    // A one-step reply has no Follow_Up.
    assert_eq!(
        server.follow_up(&reply, t(5, 0), &mut [0u8; 128]),
        Err(DropReason::UnexpectedMessage)
    );
}

#[test]
fn ptp_timescale_is_converted_to_utc() {
    let server = CsptpServer::default();
    // A TAI server exactly 37 s ahead of a UTC client: offset zero after
    // conversion, whether the offset is announced or assumed.
    for (valid, announced, fallback) in [(true, 37, 0), (false, 0, 37)] {
        let mut ds = capture_dataset();
        ds.time_properties.current_utc_offset_valid = valid;
        ds.time_properties.current_utc_offset = announced;
        let mut client = CsptpClient::new(
            CsptpClientConfig {
                fallback_utc_offset: fallback,
                ..config()
            },
            t(0, 0),
        );
        let times = [t(1000, 0), t(1037, 5_000), t(1037, 6_000), t(1000, 11_000)];
        let (_, _, out) = exchange(&mut client, &server, &ds, times);
        let ClientOutcome::Sample(s) = out else {
            panic!()
        };
        assert!(s.ptp_timescale());
        assert_eq!(s.announced_utc_offset(), valid.then_some(37));
        assert_eq!(s.utc_offset_applied, 37);
        assert_eq!(s.server_offset, Duration::from_secs(37));
        assert_eq!(s.offset, Duration::ZERO);
        assert_eq!(s.delay, Duration::from_micros(10));
    }
}

#[test]
fn status_only_when_asked() {
    let mut client = CsptpClient::new(
        CsptpClientConfig {
            request_status: false,
            ..config()
        },
        t(1, 0),
    );
    let times = [t(1, 0), t(1, 1), t(1, 2), t(1, 3)];
    let (reply, _, out) = exchange(&mut client, &CsptpServer::default(), &utc_dataset(), times);
    assert_eq!(reply.len(), message::RESPONSE_LEN);
    let ClientOutcome::Sample(s) = out else {
        panic!()
    };
    assert_eq!(s.status, None);
}

#[test]
fn polls_on_schedule_with_one_outstanding_request() {
    let mut client = CsptpClient::new(config(), t(0, 0));
    let mut buf = [0u8; 128];
    assert_eq!(client.poll_timeout(), Some(t(0, 0)));
    let first = client.poll_request(t(0, 0), &mut buf).unwrap().unwrap();
    assert_eq!(client.poll_request(t(0, 5), &mut buf).unwrap(), None);
    // The response deadline (1 s) and the next poll (1 s) coincide.
    assert_eq!(client.poll_timeout(), Some(t(1, 0)));
    client.set_poll_interval(Duration::from_secs(4));
    client.handle_timeout(t(1, 0));
    assert_eq!(client.counters().timeouts, 1);
    let second = client.poll_request(t(1, 0), &mut buf).unwrap().unwrap();
    assert_eq!(second.sequence_id, first.sequence_id + 1);
    assert_eq!(client.poll_timeout(), Some(t(2, 0)));
    client.handle_timeout(t(2, 0));
    assert_eq!(client.poll_timeout(), Some(t(5, 0)));
    assert!(matches!(
        client.poll_request(t(5, 0), &mut [0u8; 10]),
        Err(crate::wire::Error::BufferTooSmall { .. })
    ));
    assert_eq!(client.counters().requests, 2);
}

/// A client with one outstanding request (sequence 0) and its reply.
fn outstanding() -> (CsptpClient, Vec<u8>, Vec<u8>) {
    outstanding_with(config())
}

fn outstanding_with(config: CsptpClientConfig) -> (CsptpClient, Vec<u8>, Vec<u8>) {
    let mut client = CsptpClient::new(config, t(0, 0));
    let mut req = [0u8; 128];
    let r = client.poll_request(t(0, 0), &mut req).unwrap().unwrap();
    client.handle_transmit_timestamp(r.sequence_id, t(0, 0));
    let server = CsptpServer::default();
    let mut reply = [0u8; 128];
    let ServerOutcome::Reply { len, .. } =
        server.handle(t(0, 100), &req[..r.len], &utc_dataset(), &mut reply)
    else {
        panic!()
    };
    let mut fu = [0u8; 128];
    let n = server.follow_up(&reply[..len], t(0, 200), &mut fu).unwrap();
    (client, reply[..len].to_vec(), fu[..n].to_vec())
}

fn dropped(client: &mut CsptpClient, data: &[u8]) -> DropReason {
    match client.handle_message(data, t(0, 300)) {
        ClientOutcome::Dropped(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn client_drop_reasons_are_typed_and_counted() {
    let (mut c, reply, fu) = outstanding();
    let request = hex(CAPTURE_REQUEST);
    assert_eq!(dropped(&mut c, &reply[..20]), DropReason::Malformed);
    // Sync with the PTP (not CSPTP) sdoId.
    let mut other = reply.clone();
    other[0] = 0x00;
    assert_eq!(dropped(&mut c, &other), DropReason::NotCsptp);
    // A response TLV that claims more octets than the message has.
    let mut bad = reply.clone();
    bad[47] = 0x40;
    assert_eq!(dropped(&mut c, &bad), DropReason::TruncatedTlv);
    // A response TLV of 17 octets (the message shortened to match).
    let short = shorten_response_tlv(&reply, -1);
    assert_eq!(dropped(&mut c, &short), DropReason::TruncatedTlv);
    let long = shorten_response_tlv(&reply, 2);
    assert_eq!(dropped(&mut c, &long), DropReason::OversizedTlv);
    assert_eq!(dropped(&mut c, &request), DropReason::UnexpectedMessage);
    let mut domain = reply.clone();
    domain[4] = 0;
    assert_eq!(dropped(&mut c, &domain), DropReason::WrongDomain);
    let mut seq = reply.clone();
    seq[31] = 9;
    assert_eq!(dropped(&mut c, &seq), DropReason::WrongSequence);
    // The Follow_Up from another port than the Sync.
    assert_eq!(c.handle_message(&reply, t(0, 300)), ClientOutcome::Waiting);
    let mut wrong = fu.clone();
    wrong[20] = 0xaa;
    assert_eq!(dropped(&mut c, &wrong), DropReason::WrongServer);
    // A second copy of the Sync while waiting for the Follow_Up.
    assert_eq!(dropped(&mut c, &reply), DropReason::Replayed);
    assert!(matches!(
        c.handle_message(&fu, t(0, 300)),
        ClientOutcome::Sample(_)
    ));
    // The whole exchange replayed.
    assert_eq!(dropped(&mut c, &reply), DropReason::Replayed);
    assert_eq!(dropped(&mut c, &fu), DropReason::Replayed);
    let counts = c.counters().drops;
    for r in DropReason::ALL {
        let expected = match r {
            DropReason::TruncatedTlv | DropReason::Replayed => {
                2 + u64::from(r == DropReason::Replayed)
            }
            DropReason::ConflictingTlvs
            | DropReason::NoMatchingRequest
            | DropReason::BufferTooSmall => 0,
            _ => 1,
        };
        assert_eq!(counts.get(r), expected, "{r}");
    }
    assert_eq!(c.counters().samples, 1);
}

/// The reply with its response TLV's length changed by `by` octets.
fn shorten_response_tlv(reply: &[u8], by: i32) -> Vec<u8> {
    let mut v = reply[..44].to_vec();
    let tlv_len = 18 + by;
    v.extend_from_slice(&[0xff, 0x01, 0, tlv_len as u8]);
    v.extend(std::iter::repeat_n(0u8, tlv_len as usize));
    let total = v.len() as u16;
    v[2..4].copy_from_slice(&total.to_be_bytes());
    v
}

#[test]
fn no_matching_request_and_configured_server_identity() {
    let (_, reply, _) = outstanding();
    // A fresh client has sent nothing.
    let mut c = CsptpClient::new(config(), t(0, 0));
    assert_eq!(dropped(&mut c, &reply), DropReason::NoMatchingRequest);
    // After the request timed out.
    let (mut c, reply, _) = outstanding();
    c.handle_timeout(t(1, 0));
    assert_eq!(dropped(&mut c, &reply), DropReason::NoMatchingRequest);
    // From another server than the configured one.
    let (mut c, reply, _) = outstanding_with(CsptpClientConfig {
        server_identity: Some(PortIdentity {
            clock_identity: ClockIdentity([1; 8]),
            port_number: 1,
        }),
        ..config()
    });
    assert_eq!(dropped(&mut c, &reply), DropReason::WrongServer);
}

#[test]
fn conflicting_tlvs() {
    let mut both = hex(CAPTURE_RESPONSE);
    both.extend_from_slice(&[0xff, 0x00, 0, 4, 1, 0, 0, 0]);
    let total = both.len() as u16;
    both[2..4].copy_from_slice(&total.to_be_bytes());
    assert_eq!(CsptpMessage::parse(&both), Err(DropReason::ConflictingTlvs));
    let mut twice = hex(CAPTURE_REQUEST);
    twice.extend_from_slice(&[0xff, 0x00, 0, 4, 1, 0, 0, 0]);
    let total = twice.len() as u16;
    twice[2..4].copy_from_slice(&total.to_be_bytes());
    assert_eq!(
        CsptpMessage::parse(&twice),
        Err(DropReason::ConflictingTlvs)
    );
}

#[test]
fn server_drop_reasons() {
    let server = CsptpServer::new(CsptpServerConfig {
        step_mode: StepMode::TwoStep,
        domain: Some(0),
    });
    let ds = ServerDataSet::default();
    let drop = |data: &[u8], out: &mut [u8]| match server.handle(t(0, 0), data, &ds, out) {
        ServerOutcome::Drop(r) => r,
        other => panic!("{other:?}"),
    };
    let mut out = [0u8; 128];
    let request = hex(CAPTURE_REQUEST);
    assert_eq!(drop(&request, &mut out), DropReason::WrongDomain);
    assert_eq!(
        drop(&hex(CAPTURE_RESPONSE), &mut out),
        DropReason::UnexpectedMessage
    );
    assert_eq!(
        drop(&hex(CAPTURE_FOLLOW_UP), &mut out),
        DropReason::UnexpectedMessage
    );
    assert_eq!(drop(&request[..40], &mut out), DropReason::Malformed);
    let mut trunc = request.clone();
    trunc[47] = 5;
    assert_eq!(drop(&trunc, &mut out), DropReason::TruncatedTlv);
    let any = CsptpServer::default();
    assert_eq!(
        any.handle(t(0, 0), &request, &ds, &mut [0u8; 60]),
        ServerOutcome::Drop(DropReason::BufferTooSmall)
    );
    assert_eq!(
        any.follow_up(&request, t(0, 0), &mut out),
        Err(DropReason::UnexpectedMessage)
    );
    assert_eq!(
        CsptpServer::stamp_one_step(&mut hex(CAPTURE_RESPONSE), t(0, 0)),
        Err(DropReason::UnexpectedMessage)
    );
}

#[test]
fn server_answers_the_capture_request_as_ntpd_rs_did() {
    let server = CsptpServer::default();
    let request = hex(CAPTURE_REQUEST);
    let response = hex(CAPTURE_RESPONSE);
    let follow_up = hex(CAPTURE_FOLLOW_UP);
    // The receive and transmit times ntpd-rs's server put in them.
    let CsptpMessage::Response(r) = CsptpMessage::parse(&response).unwrap() else {
        panic!()
    };
    let CsptpMessage::FollowUp(f) = CsptpMessage::parse(&follow_up).unwrap() else {
        panic!()
    };
    let t2 = crate::time::time_from_timestamp(r.response.request_ingress_timestamp);
    let t3 = crate::time::time_from_timestamp(f.precise_origin_timestamp);
    let mut out = [0u8; 128];
    let ServerOutcome::Reply {
        len,
        follow_up: true,
    } = server.handle(t2, &request, &capture_dataset(), &mut out)
    else {
        panic!()
    };
    assert_eq!(&out[..len], &response[..]);
    let mut fu = [0u8; 128];
    let n = server.follow_up(&out[..len], t3, &mut fu).unwrap();
    assert_eq!(&fu[..n], &follow_up[..]);
}

#[test]
fn client_takes_the_capture_exchange() {
    let request = hex(CAPTURE_REQUEST);
    let mut client = CsptpClient::new(config(), t(0, 0));
    let mut buf = [0u8; 128];
    let r = client.poll_request(t(0, 0), &mut buf).unwrap().unwrap();
    // Our request is ntpd-rs's, byte for byte.
    assert_eq!(&buf[..r.len], &request[..]);
    // t1 and t4 from the capture's frame times (UTC, 1796234977.909173 and
    // .909609), t2/t3 from the server (TAI, no valid UTC offset: the 37 s
    // fallback applies).
    let t1 = t(1_796_234_977, 909_173_000);
    let t4 = t(1_796_234_977, 909_609_000);
    client.handle_transmit_timestamp(r.sequence_id, t1);
    assert_eq!(
        client.handle_message(&hex(CAPTURE_RESPONSE), t4),
        ClientOutcome::Waiting
    );
    let ClientOutcome::Sample(s) = client.handle_message(&hex(CAPTURE_FOLLOW_UP), t4) else {
        panic!()
    };
    assert!(s.ptp_timescale());
    assert_eq!(s.utc_offset_applied, 37);
    assert_eq!(
        s.status,
        Some(CsptpStatusTlv {
            grandmaster_priority1: 128,
            grandmaster_clock_quality: capture_dataset().grandmaster_clock_quality,
            grandmaster_priority2: 128,
            ..CsptpStatusTlv::default()
        })
    );
    // t2 − t1 = 437 ns; t4 − t3 = −8338 ns: ntpd-rs's server's t3 is 8.3 µs
    // later than the capture saw its Sync leave (it is not the kernel's
    // transmit timestamp), so the delay comes out negative.
    assert_eq!(s.offset, Duration::from_nanos(437 + 8338) / 2);
    assert_eq!(s.delay, Duration::from_nanos(437 - 8338));
    assert!(s.flags.contains(Flags::TWO_STEP | Flags::UNICAST));
}

#[test]
fn capture_messages_round_trip_through_the_generic_codec() {
    for m in [CAPTURE_REQUEST, CAPTURE_RESPONSE, CAPTURE_FOLLOW_UP] {
        let data = hex(m);
        let msg = Message::decode(&data).unwrap();
        let tlvs: Vec<_> = msg.tlvs().map(|t| t.unwrap()).collect();
        let typed = Message {
            suffix: crate::wire::Suffix::Tlvs(&tlvs),
            ..msg
        };
        let mut out = [0u8; 128];
        let n = typed.encode(&mut out).unwrap();
        assert_eq!(&out[..n], &data[..]);
    }
}

#[test]
fn filter_gives_the_system_process_its_update() {
    let mut f = CsptpFilter::default();
    let mut client = CsptpClient::new(config(), t(0, 0));
    let server = CsptpServer::default();
    let mut last = None;
    for (i, (offset_us, delay_us)) in [(100i64, 80i64), (130, 40), (90, 120)].iter().enumerate() {
        let base = t(10 + 2 * i as i64, 0);
        let half = Duration::from_micros(delay_us / 2);
        let times = [
            base,
            base + half + Duration::from_micros(*offset_us),
            base + half + Duration::from_micros(*offset_us + 10),
            base + half + half + Duration::from_micros(10),
        ];
        let (_, _, out) = exchange(&mut client, &server, &utc_dataset(), times);
        let ClientOutcome::Sample(s) = out else {
            panic!()
        };
        last = Some(f.add(&s, Duration::from_secs(2)));
    }
    let u = last.unwrap();
    assert_eq!(u.measurement.offset, Duration::from_micros(90));
    assert_eq!(u.estimate.offset, Duration::from_micros(130));
    assert_eq!(u.estimate.delay, Duration::from_micros(40));
    assert_eq!(u.estimate.count, 3);
    assert_eq!(u.interval, Duration::from_secs(2));
    assert!(u.estimate.jitter > Duration::ZERO);
    f.clear();
}

/// A burst of two: the second request goes out as soon as the first
/// exchange ends, and the poll's one sample is the exchange with the least
/// delay (the warm one), not the first.
#[test]
fn a_burst_reports_its_least_delay_exchange() {
    let burst = CsptpClientConfig {
        burst: 2,
        ..config()
    };
    let mut client = CsptpClient::new(burst, t(100, 0));
    let server = CsptpServer::default();
    let ds = utc_dataset();
    // Cold first exchange: 2.3 µs out, 0.3 µs back (true offset 0).
    let cold = [t(100, 0), t(100, 2_300), t(100, 10_000), t(100, 10_300)];
    let (_, _, out) = exchange(&mut client, &server, &ds, cold);
    assert_eq!(out, ClientOutcome::Waiting);
    // The next request of the burst is due at once, not at the next poll.
    assert!(client.poll_timeout() <= Some(t(100, 0)));
    let mut buf = [0u8; message::MAX_LEN];
    let mut probe = client.clone();
    let r = probe
        .poll_request(t(100, 20_000), &mut buf)
        .unwrap()
        .unwrap();
    assert!(!r.first_of_burst);
    // Warm second exchange: 0.3 µs each way.
    let warm = [
        t(100, 20_000),
        t(100, 20_300),
        t(100, 30_000),
        t(100, 30_300),
    ];
    let (_, _, out) = exchange(&mut client, &server, &ds, warm);
    let ClientOutcome::Sample(s) = out else {
        panic!("{out:?}")
    };
    assert_eq!(s.offset, Duration::ZERO);
    assert_eq!(s.delay, Duration::from_nanos(600));
    assert_eq!(client.counters().samples, 1);
    assert_eq!(client.counters().requests, 2);
    // Then nothing until the next poll.
    assert_eq!(client.poll_timeout(), Some(t(101, 0)));
    let next = client.poll_request(t(101, 0), &mut buf).unwrap().unwrap();
    assert!(next.first_of_burst);
}

/// A burst whose last exchange is lost still reports its best exchange,
/// when that request times out; after a clock step, the burst's samples
/// are forgotten.
#[test]
fn a_burst_with_its_last_exchange_lost_reports_at_the_timeout() {
    let burst = CsptpClientConfig {
        burst: 2,
        ..config()
    };
    let server = CsptpServer::default();
    let ds = utc_dataset();
    let first = [t(100, 0), t(100, 40_000), t(100, 50_000), t(100, 90_000)];
    for forget in [false, true] {
        let mut client = CsptpClient::new(burst, t(100, 0));
        let (_, _, out) = exchange(&mut client, &server, &ds, first);
        assert_eq!(out, ClientOutcome::Waiting);
        let mut buf = [0u8; message::MAX_LEN];
        let r = client
            .poll_request(t(100, 100_000), &mut buf)
            .unwrap()
            .unwrap();
        assert!(!r.first_of_burst);
        if forget {
            client.forget_burst();
        }
        // Lost: the deadline passes.
        assert_eq!(
            client.handle_timeout(t(100, 500_000)),
            ClientOutcome::Waiting
        );
        let out = client.handle_timeout(t(101, 100_000));
        match out {
            ClientOutcome::Sample(s) if !forget => assert_eq!(s.delay, Duration::from_micros(80)),
            ClientOutcome::Waiting if forget => {}
            other => panic!("forget {forget}: {other:?}"),
        }
        assert_eq!(client.counters().timeouts, 1);
    }
}

/// A burst whose first exchange is lost still gets its second one in
/// before the next poll, even when the response timeout is the whole poll
/// interval: each request of a burst waits at most its share of the poll.
#[test]
fn a_burst_with_its_first_exchange_lost_still_samples_in_its_poll() {
    let burst = CsptpClientConfig {
        burst: 2,
        poll_interval: Duration::from_secs(1),
        response_timeout: Duration::from_secs(1),
        ..config()
    };
    let mut client = CsptpClient::new(burst, t(100, 0));
    let server = CsptpServer::default();
    let ds = utc_dataset();
    let mut buf = [0u8; message::MAX_LEN];
    let lost = client.poll_request(t(100, 0), &mut buf).unwrap().unwrap();
    assert!(lost.first_of_burst);
    // The lost request is given up before the next poll is due.
    let given_up = client.poll_timeout().unwrap();
    assert!(given_up < t(101, 0), "{given_up:?}");
    assert_eq!(client.handle_timeout(given_up), ClientOutcome::Waiting);
    let second = [
        given_up,
        given_up + Duration::from_micros(10),
        given_up + Duration::from_micros(20),
        given_up + Duration::from_micros(30),
    ];
    let (_, _, out) = exchange(&mut client, &server, &ds, second);
    let ClientOutcome::Sample(s) = out else {
        panic!("{out:?}")
    };
    assert_eq!(s.delay, Duration::from_micros(20));
    assert_eq!(client.counters().timeouts, 1);
    assert_eq!(client.counters().requests, 2);
}

#[test]
fn offline_stops_polling_online_and_poll_now_poll_at_once() {
    let mut client = CsptpClient::new(
        CsptpClientConfig {
            poll_interval: Duration::from_secs(64),
            burst: 2,
            ..config()
        },
        t(0, 0),
    );
    let server = CsptpServer::default();
    let ds = utc_dataset();
    let mut buf = [0u8; message::MAX_LEN];
    // First request of a poll's burst out, then offline: the outstanding
    // request still completes, the burst sends no second request, and
    // its best sample comes out.
    let ten = |s| [t(s, 0), t(s, 10), t(s, 20), t(s, 30)];
    let (_, _, out) = {
        let r = client.poll_request(t(0, 0), &mut buf).unwrap().unwrap();
        assert!(r.first_of_burst);
        client.set_online(false, t(0, 5));
        assert!(!client.is_online());
        // Only the outstanding request's deadline is wanted.
        assert_eq!(client.poll_timeout(), Some(t(1, 0)));
        exchange_of(
            &mut client,
            &server,
            &ds,
            &buf[..r.len],
            r.sequence_id,
            ten(0),
        )
    };
    assert!(matches!(out, ClientOutcome::Sample(_)), "{out:?}");
    assert_eq!(client.poll_timeout(), None);
    assert_eq!(client.poll_request(t(500, 0), &mut buf).unwrap(), None);
    assert!(!client.poll_now(t(500, 0)));
    // Online again: a poll at once, then every 64 s.
    client.set_online(true, t(600, 0));
    assert_eq!(client.poll_timeout(), Some(t(600, 0)));
    let r = client.poll_request(t(600, 0), &mut buf).unwrap().unwrap();
    assert!(r.first_of_burst);
    // A burst under way is not restarted by poll_now.
    assert!(!client.poll_now(t(600, 1)));
    client.handle_timeout(t(601, 0));
    let r2 = client.poll_request(t(601, 0), &mut buf).unwrap().unwrap();
    assert!(!r2.first_of_burst);
    client.handle_timeout(t(602, 0));
    assert_eq!(client.poll_timeout(), Some(t(664, 0)));
    // poll_now: the next poll is due now, not in 62 s.
    assert!(client.poll_now(t(602, 0)));
    assert_eq!(client.poll_timeout(), Some(t(602, 0)));
    let r3 = client.poll_request(t(602, 0), &mut buf).unwrap().unwrap();
    assert!(r3.first_of_burst);
}
