//! Fuzz target: the stateless CSPTP server (`tempora_ptp::csptp::CsptpServer`)
//! given arbitrary bytes as a request, in both step modes and with output
//! buffers of any size. It must not panic; a reply must be a CSPTP response
//! to that request (same `sequenceId` and domain, the status TLV exactly
//! when asked for) that the generic codec re-encodes byte for byte, and its
//! Follow_Up (two-step) must carry the transmit time given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_clock::Time;
use tempora_ptp::csptp::message::{CsptpMessage, MAX_LEN};
use tempora_ptp::csptp::{
    CsptpServer, CsptpServerConfig, DropReason, ServerDataSet, ServerOutcome, StepMode,
};
use tempora_ptp::wire::Message;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, request)) = data.split_first() else {
        return;
    };
    let server = CsptpServer::new(CsptpServerConfig {
        step_mode: if mode & 1 == 0 {
            StepMode::TwoStep
        } else {
            StepMode::OneStep
        },
        domain: (mode & 2 != 0).then_some(mode >> 2),
    });
    let ds = ServerDataSet::default();
    let rx = Time::from_secs_nanos(1_700_000_000, 123_456_789);
    let mut out = [0u8; MAX_LEN];
    let size = if mode & 0x80 != 0 {
        usize::from(mode & 0x7f)
    } else {
        MAX_LEN
    };
    let outcome = server.handle(rx, request, &ds, &mut out[..size]);
    let ServerOutcome::Reply { len, follow_up } = outcome else {
        return;
    };
    let Ok(CsptpMessage::Request(req)) = CsptpMessage::parse(request) else {
        panic!("answered a non-request");
    };
    let reply = &out[..len];
    let Ok(CsptpMessage::Response(resp)) = CsptpMessage::parse(reply) else {
        panic!("the reply is not a CSPTP response");
    };
    assert_eq!(resp.header.sequence_id, req.header.sequence_id);
    assert_eq!(resp.header.domain_number, req.header.domain_number);
    assert_eq!(resp.status.is_some(), req.tlv.status_requested());
    assert_eq!(resp.response.request_correction, req.header.correction);
    let msg = Message::decode(reply).expect("decodes");
    let mut again = [0u8; MAX_LEN];
    let n = msg.encode(&mut again).expect("re-encodes");
    assert_eq!(&again[..n], reply);
    let tx = rx + tempora_clock::Duration::from_micros(u32::from(mode).into());
    let mut fu = [0u8; MAX_LEN];
    match server.follow_up(reply, tx, &mut fu) {
        Ok(n) => {
            assert!(follow_up);
            let Ok(CsptpMessage::FollowUp(f)) = CsptpMessage::parse(&fu[..n]) else {
                panic!("the Follow_Up does not parse");
            };
            assert_eq!(f.header.sequence_id, req.header.sequence_id);
            assert_eq!(
                tempora_ptp::time::time_from_timestamp(f.precise_origin_timestamp),
                tx
            );
        }
        Err(e) => assert!(!follow_up && e == DropReason::UnexpectedMessage),
    }
});
