//! Tests of unicast negotiation (IEEE 1588-2019 §16.1).

use alloc::vec;
use alloc::vec::Vec;

use tempora_clock::{Duration, Time};

use super::*;
use crate::datasets::DelayMechanism;
use crate::wire::tlv::{RawTlv, Tlv};
use crate::wire::{ClockIdentity, MessageType, PortIdentity};

type Addr = u32;

fn pid(n: u8) -> PortIdentity {
    PortIdentity {
        clock_identity: ClockIdentity([n; 8]),
        port_number: 1,
    }
}

fn at(secs: i64) -> Time {
    Time::from_secs_nanos(secs, 0)
}

fn at_ms(ms: i64) -> Time {
    Time::EPOCH + Duration::from_millis(ms)
}

fn req(t: NegotiableType, log: i8, duration: u32) -> RequestUnicastTransmission {
    RequestUnicastTransmission {
        message_type_octet: t.octet(0),
        log_inter_message_period: log,
        duration,
    }
}

fn grant(t: NegotiableType, log: i8, duration: u32, renew: bool) -> GrantUnicastTransmission {
    GrantUnicastTransmission {
        message_type_octet: t.octet(0),
        log_inter_message_period: log,
        duration,
        reserved: 0,
        flags: u8::from(renew),
    }
}

fn cancel(t: NegotiableType, flags: u8) -> CancelUnicastTransmission {
    cancel_value(t, flags)
}

/// The (type, kind) of each TLV of a message, kind being 'R', 'G', 'C', 'A'.
fn kinds(m: &SendSignaling<Addr>) -> Vec<(NegotiableType, char)> {
    m.tlvs
        .iter()
        .map(|t| {
            let ty = NegotiableType::from_message_type(t.message_type()).unwrap();
            let k = match t {
                NegotiationTlv::Request(_) => 'R',
                NegotiationTlv::Grant(_) => 'G',
                NegotiationTlv::Cancel(_) => 'C',
                NegotiationTlv::AcknowledgeCancel(_) => 'A',
            };
            (ty, k)
        })
        .collect()
}

use NegotiableType::{Announce, DelayResp, PdelayResp, Sync};

// ---------------------------------------------------------------- shared

#[test]
fn negotiable_types_and_tlv_conversion() {
    for t in NegotiableType::ALL {
        assert_eq!(NegotiableType::from_message_type(t.message_type()), Some(t));
        assert_eq!(NegotiableType::ALL[t.index()], t);
    }
    for m in [
        MessageType::DelayReq,
        MessageType::FollowUp,
        MessageType::Signaling,
        MessageType::Reserved(5),
    ] {
        assert_eq!(NegotiableType::from_message_type(m), None);
    }
    assert_eq!(Announce.octet(0x1f), 0xbf);
    let all = [
        NegotiationTlv::Request(req(Sync, -4, 300)),
        NegotiationTlv::Grant(grant(Sync, -4, 300, true)),
        NegotiationTlv::Cancel(cancel(DelayResp, CANCEL_MAINTAIN_GRANT)),
        NegotiationTlv::AcknowledgeCancel(cancel(DelayResp, 0)),
    ];
    for n in all {
        let tlv = n.to_tlv();
        let mut buf = [0u8; 16];
        let len = tlv.encode(&mut buf).unwrap();
        let raw = RawTlv {
            tlv_type: u16::from_be_bytes([buf[0], buf[1]]),
            value: &buf[4..len],
        };
        assert_eq!(
            NegotiationTlv::from_tlv(&Tlv::decode(raw).unwrap()),
            Some(n)
        );
    }
}

// ---------------------------------------------------------------- grantor

#[test]
fn grant_clamps_interval_and_duration() {
    let mut g = Grantor::<Addr>::new(GrantorConfig::default());
    let r = g.handle_request(at(0), 7, pid(1), &req(Sync, -9, 1000));
    assert_eq!(r.message_type(), MessageType::Sync);
    assert_eq!((r.log_inter_message_period, r.duration), (-7, 300));
    assert!(r.renewal_invited());
    let r = g.handle_request(at(0), 7, pid(1), &req(Announce, 6, 60));
    assert_eq!((r.log_inter_message_period, r.duration), (4, 60));
    let r = g.handle_request(at(0), 7, pid(1), &req(DelayResp, -4, 300));
    assert_eq!((r.log_inter_message_period, r.duration), (-4, 300));
    assert_eq!(g.len(), 3);
    assert_eq!(g.granted(at(1), 7, pid(1), Sync), Some(-7));
    assert_eq!(g.granted(at(1), 7, pid(2), Sync), None);
}

#[test]
fn deny_policy_non_negotiable_zero_duration_and_not_accepting() {
    let config = GrantorConfig {
        interval_policy: IntervalPolicy::Deny,
        renewal_invited: false,
        ..GrantorConfig::default()
    };
    let mut g = Grantor::<Addr>::new(config);
    let r = g.handle_request(at(0), 1, pid(1), &req(Sync, -9, 300));
    assert_eq!(
        (r.log_inter_message_period, r.duration, r.flags),
        (-9, 0, 0)
    );
    let r = g.handle_request(at(0), 1, pid(1), &req(Sync, -3, 300));
    assert_eq!(r.duration, 300);
    assert!(!r.renewal_invited());
    // Delay_Req is not negotiable (§16.1.1).
    let bad = RequestUnicastTransmission {
        message_type_octet: 0x10,
        log_inter_message_period: 0,
        duration: 300,
    };
    let r = g.handle_request(at(0), 1, pid(1), &bad);
    assert_eq!((r.message_type_octet, r.duration), (0x10, 0));
    assert_eq!(
        g.handle_request(at(0), 1, pid(1), &req(Announce, 0, 0))
            .duration,
        0
    );
    g.set_accepting(false);
    assert!(!g.accepting());
    assert_eq!(
        g.handle_request(at(0), 2, pid(2), &req(Announce, 0, 60))
            .duration,
        0
    );
    assert_eq!(g.len(), 1);
}

#[test]
fn denial_when_full_and_room_after_expiry() {
    let config = GrantorConfig {
        max_grants: 2,
        ..GrantorConfig::default()
    };
    let mut g = Grantor::<Addr>::new(config);
    assert_eq!(
        g.handle_request(at(0), 1, pid(1), &req(Announce, 0, 10))
            .duration,
        10
    );
    assert_eq!(
        g.handle_request(at(0), 2, pid(2), &req(Announce, 0, 60))
            .duration,
        60
    );
    // A third grantee is denied, but renewals of held grants are not.
    let r = g.handle_request(at(1), 3, pid(3), &req(Announce, 0, 60));
    assert_eq!((r.duration, r.flags), (0, 0));
    assert_eq!(
        g.handle_request(at(1), 2, pid(2), &req(Announce, 0, 60))
            .duration,
        60
    );
    // Same address, other port: a new grant, denied too.
    assert_eq!(
        g.handle_request(at(1), 2, pid(9), &req(Announce, 0, 60))
            .duration,
        0
    );
    // Once the first grant lapses there is room again.
    assert_eq!(
        g.handle_request(at(10), 3, pid(3), &req(Announce, 0, 60))
            .duration,
        60
    );
    assert_eq!(g.len(), 2);
}

#[test]
fn grants_expire_and_renewals_extend() {
    let mut g = Grantor::<Addr>::new(GrantorConfig::default());
    g.handle_request(at(0), 1, pid(1), &req(Sync, 0, 10));
    g.handle_request(at(0), 2, pid(2), &req(Sync, -1, 300));
    assert_eq!(g.next_expiry(), Some(at(10)));
    assert_eq!(g.next_timeout(), Some(at(10)));
    let who: Vec<_> = g.recipients(at_ms(9_999), Sync).collect();
    assert_eq!(who.len(), 2);
    assert_eq!(
        who[0],
        Recipient {
            address: 1,
            port_identity: pid(1),
            log_interval: 0,
            expires: at(10)
        }
    );
    // At the end of its duration a grant is no longer served, even before
    // expire() runs.
    let who: Vec<_> = g.recipients(at(10), Sync).map(|r| r.address).collect();
    assert_eq!(who, vec![2]);
    assert_eq!(g.recipients(at(0), Announce).count(), 0);
    assert!(g.poll(at(10)).is_empty());
    assert_eq!(g.len(), 1);
    assert_eq!(g.expire(at(10)), 0);
    // Renewal replaces the grant and runs from the renewal.
    g.handle_request(at(200), 2, pid(2), &req(Sync, -2, 300));
    assert_eq!(g.next_expiry(), Some(at(500)));
    assert_eq!(g.granted(at(499), 2, pid(2), Sync), Some(-2));
    assert_eq!(g.expire(at(500)), 1);
    assert!(g.is_empty());
    assert_eq!(g.next_timeout(), None);
}

#[test]
fn grantor_acknowledges_cancels() {
    let mut g = Grantor::<Addr>::new(GrantorConfig::default());
    g.handle_request(at(0), 1, pid(1), &req(Sync, 0, 300));
    g.handle_request(at(0), 1, pid(1), &req(Announce, 0, 300));
    let ack = g.handle_cancel(at(1), 1, pid(1), &cancel(Sync, CANCEL_MAINTAIN_GRANT));
    assert_eq!(ack, Some(cancel(Sync, CANCEL_MAINTAIN_GRANT)));
    assert_eq!(g.granted(at(1), 1, pid(1), Sync), None);
    // maintainRequest: the sender cancels its own grants, not its requests.
    assert_eq!(
        g.handle_cancel(at(1), 1, pid(1), &cancel(Announce, CANCEL_MAINTAIN_REQUEST)),
        None
    );
    assert!(g.granted(at(1), 1, pid(1), Announce).is_some());
    // Unknown grants are acknowledged all the same.
    assert!(
        g.handle_cancel(at(1), 5, pid(5), &cancel(PdelayResp, 0))
            .is_some()
    );
    // handle_tlvs answers a whole message at once.
    let reply = g
        .handle_tlvs(
            at(2),
            1,
            pid(1),
            [
                NegotiationTlv::Request(req(Sync, 0, 60)),
                NegotiationTlv::Cancel(cancel(Announce, 0)),
                NegotiationTlv::Grant(grant(Sync, 0, 60, true)),
            ],
        )
        .unwrap();
    assert_eq!((reply.to, reply.target), (1, pid(1)));
    assert_eq!(kinds(&reply), vec![(Sync, 'G'), (Announce, 'A')]);
    assert_eq!(g.len(), 1);
}

#[test]
fn grantor_cancel_all_retries_until_acknowledged() {
    let mut g = Grantor::<Addr>::new(GrantorConfig::default());
    for t in [Announce, Sync, DelayResp] {
        g.handle_request(at(0), 1, pid(1), &req(t, 0, 300));
    }
    g.handle_request(at(0), 2, pid(2), &req(Announce, 0, 300));
    let out = g.cancel_all(at(10));
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].to, out[0].target), (1, pid(1)));
    assert_eq!(
        kinds(&out[0]),
        vec![(Announce, 'C'), (Sync, 'C'), (DelayResp, 'C')]
    );
    for tlv in &out[0].tlvs {
        let NegotiationTlv::Cancel(c) = tlv else {
            panic!()
        };
        assert_eq!(c.message_type_octet & 0x0f, CANCEL_MAINTAIN_REQUEST);
    }
    assert_eq!(kinds(&out[1]), vec![(Announce, 'C')]);
    assert_eq!(g.recipients(at(10), Announce).count(), 0);
    assert_eq!(g.granted(at(10), 1, pid(1), Sync), None);
    // Acknowledgements complete the cancels.
    for t in [Announce, Sync, DelayResp] {
        assert!(g.handle_acknowledge_cancel(1, pid(1), &cancel(t, CANCEL_MAINTAIN_REQUEST)));
    }
    assert!(!g.handle_acknowledge_cancel(1, pid(1), &cancel(Sync, 0)));
    assert_eq!(g.len(), 1);
    // The unacknowledged one is sent again every second, 3 more times.
    assert_eq!(g.next_timeout(), Some(at(11)));
    assert!(g.poll(at_ms(10_500)).is_empty());
    for s in 11..=13 {
        let out = g.poll(at(s));
        assert_eq!(out.len(), 1, "at {s}");
        assert_eq!(kinds(&out[0]), vec![(Announce, 'C')]);
    }
    assert!(g.poll(at(14)).is_empty());
    assert!(g.is_empty());
    // A new request after the cancel is granted afresh.
    assert_eq!(
        g.handle_request(at(15), 2, pid(2), &req(Announce, 0, 60))
            .duration,
        60
    );
}

#[test]
fn interval_limits_never_panic() {
    let l = IntervalLimits::new(3, -3);
    assert!(!l.contains(0));
    assert_eq!(l.clamp(-100), -3);
    assert_eq!(l.clamp(100), -3);
    let l = IntervalLimits::new(-7, 4);
    assert_eq!((l.clamp(i8::MIN), l.clamp(i8::MAX), l.clamp(0)), (-7, 4, 0));
}

// ---------------------------------------------------------------- grantee

fn table(masters: Vec<Addr>, log_query_interval: i8) -> UnicastMasterTable<Addr> {
    UnicastMasterTable {
        log_query_interval,
        masters,
    }
}

#[test]
fn grantee_requests_announce_from_every_master_until_granted() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10, 20, 10], 1), at(0));
    assert_eq!(g.masters().collect::<Vec<_>>(), vec![10, 20]);
    assert_eq!(g.query_interval(), Duration::from_secs(2));
    assert_eq!(g.next_timeout(), Some(at(0)));
    let out = g.poll(at(0));
    assert_eq!(out.len(), 2);
    for (m, to) in out.iter().zip([10, 20]) {
        assert_eq!((m.to, m.target), (to, PortIdentity::ALL));
        let [NegotiationTlv::Request(r)] = m.tlvs[..] else {
            panic!("{m:?}")
        };
        assert_eq!(r, req(Announce, 1, 300));
    }
    // No answer: asked again every 2^logQueryInterval s.
    assert!(g.poll(at(1)).is_empty());
    assert_eq!(g.next_timeout(), Some(at(2)));
    assert_eq!(g.poll(at(2)).len(), 2);
    // Master 20 denies: retry a query interval after the denial.
    g.handle_grant(at(3), 20, pid(20), &grant(Announce, 1, 0, false));
    assert_eq!(g.grant(at(3), 20, Announce), None);
    let out = g.poll(at(4));
    assert_eq!(out.iter().map(|m| m.to).collect::<Vec<_>>(), vec![10]);
    assert_eq!(
        g.poll(at(5)).iter().map(|m| m.to).collect::<Vec<_>>(),
        vec![20]
    );
}

#[test]
fn grantee_renews_at_three_quarters_and_retries() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10], 0), at(0));
    g.poll(at(0));
    g.handle_grant(at(0), 10, pid(10), &grant(Announce, 2, 300, true));
    assert_eq!(g.master_port_identity(10), Some(pid(10)));
    let held = g.grant(at(1), 10, Announce).unwrap();
    assert_eq!(
        held,
        HeldGrant {
            log_interval: 2,
            expires: at(300),
            renewal_invited: true
        }
    );
    assert_eq!(g.next_timeout(), Some(at(225)));
    assert!(g.poll(at(224)).is_empty());
    let out = g.poll(at(225));
    assert_eq!(out.len(), 1);
    // A renewal goes to the master's port.
    assert_eq!((out[0].to, out[0].target), (10, pid(10)));
    assert_eq!(kinds(&out[0]), vec![(Announce, 'R')]);
    // Unanswered: again every second.
    assert!(g.poll(at_ms(225_500)).is_empty());
    assert_eq!(g.poll(at(226)).len(), 1);
    // A denied renewal keeps the running grant and retries.
    g.handle_grant(at(226), 10, pid(10), &grant(Announce, 2, 0, true));
    assert!(g.grant(at(226), 10, Announce).is_some());
    assert_eq!(g.poll(at(227)).len(), 1);
    g.handle_grant(at(227), 10, pid(10), &grant(Announce, 2, 100, true));
    assert_eq!(g.grant(at(228), 10, Announce).unwrap().expires, at(327));
    assert_eq!(g.next_timeout(), Some(at(302)));
}

#[test]
fn grantee_requests_again_when_a_grant_lapses() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10], 3), at(0));
    g.poll(at(0));
    g.handle_grant(at(0), 10, pid(10), &grant(Announce, 1, 20, true));
    assert_eq!(g.poll(at(15)).len(), 1);
    assert_eq!(g.next_timeout(), Some(at(20)));
    // Lapsed at 20: no grant, and requests (to any port) carry on every 8 s
    // from the last renewal attempt.
    assert!(g.poll(at(20)).is_empty());
    assert_eq!(g.grant(at(20), 10, Announce), None);
    let out = g.poll(at(23));
    assert_eq!(out[0].target, PortIdentity::ALL);
    assert!(g.poll(at(30)).is_empty());
    assert_eq!(g.poll(at(31)).len(), 1);
}

#[test]
fn grantee_without_renewal_invitation_asks_at_expiry() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10], 0), at(0));
    g.poll(at(0));
    g.handle_grant(at(0), 10, pid(10), &grant(Announce, 1, 60, false));
    assert_eq!(g.next_timeout(), Some(at(60)));
    assert!(g.poll(at(59)).is_empty());
    assert_eq!(kinds(&g.poll(at(60))[0]), vec![(Announce, 'R')]);
}

#[test]
fn selection_requests_sync_and_delay_and_cancels_the_old_master() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10, 20], 0), at(0));
    g.poll(at(0));
    g.handle_grant(at(0), 10, pid(10), &grant(Announce, 1, 300, true));
    g.handle_grant(at(0), 20, pid(20), &grant(Announce, 1, 300, true));
    g.set_selected(at(5), Some(10));
    assert_eq!(g.selected(), Some(10));
    let out = g.poll(at(5));
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].to, out[0].target), (10, pid(10)));
    assert_eq!(kinds(&out[0]), vec![(Sync, 'R'), (DelayResp, 'R')]);
    let NegotiationTlv::Request(r) = out[0].tlvs[0] else {
        panic!()
    };
    assert_eq!(r, req(Sync, 0, 300));
    g.handle_grant(at(5), 10, pid(10), &grant(Sync, -3, 300, true));
    g.handle_grant(at(5), 10, pid(10), &grant(DelayResp, -3, 300, true));
    assert_eq!(g.grant(at(6), 10, Sync).unwrap().log_interval, -3);
    // Switch to master 20.
    g.set_selected(at(10), Some(20));
    let out = g.poll(at(10));
    assert_eq!(out.len(), 2);
    assert_eq!(kinds(&out[0]), vec![(Sync, 'C'), (DelayResp, 'C')]);
    let NegotiationTlv::Cancel(c) = out[0].tlvs[0] else {
        panic!()
    };
    assert_eq!(c.message_type_octet & 0x0f, CANCEL_MAINTAIN_GRANT);
    assert_eq!(
        (out[1].to, kinds(&out[1])),
        (20, vec![(Sync, 'R'), (DelayResp, 'R')])
    );
    assert_eq!(g.grant(at(10), 10, Sync), None);
    // Master 10 acknowledges one cancel; the other is sent again.
    assert!(g.handle_acknowledge_cancel(10, &cancel(Sync, CANCEL_MAINTAIN_GRANT)));
    assert!(!g.handle_acknowledge_cancel(10, &cancel(Sync, CANCEL_MAINTAIN_GRANT)));
    let out = g.poll(at(11));
    let to10: Vec<_> = out.iter().filter(|m| m.to == 10).collect();
    assert_eq!(kinds(to10[0]), vec![(DelayResp, 'C')]);
    // Announce from master 10 is kept.
    assert!(g.grant(at(11), 10, Announce).is_some());
    // Selecting an address outside the table selects none.
    g.set_selected(at(12), Some(99));
    assert_eq!(g.selected(), None);
}

#[test]
fn p2p_requests_pdelay_resp() {
    let config = GranteeConfig {
        delay_mechanism: DelayMechanism::P2p,
        ..GranteeConfig::default()
    };
    let mut g = Grantee::new(config, &table(vec![10], 0), at(0));
    g.poll(at(0));
    g.set_selected(at(0), Some(10));
    let out = g.poll(at(1));
    assert_eq!(
        kinds(&out[0]),
        vec![(Announce, 'R'), (Sync, 'R'), (PdelayResp, 'R')]
    );
}

#[test]
fn grantee_acknowledges_master_cancel_and_asks_again() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10], 1), at(0));
    g.poll(at(0));
    g.handle_grant(at(0), 10, pid(10), &grant(Announce, 1, 300, true));
    let ack = g
        .handle_cancel(
            at(50),
            10,
            pid(10),
            &cancel(Announce, CANCEL_MAINTAIN_REQUEST),
        )
        .unwrap();
    assert_eq!((ack.to, ack.target), (10, pid(10)));
    assert_eq!(
        ack.tlvs,
        vec![NegotiationTlv::AcknowledgeCancel(cancel(
            Announce,
            CANCEL_MAINTAIN_REQUEST
        ))]
    );
    assert_eq!(g.grant(at(50), 10, Announce), None);
    assert!(g.poll(at(51)).is_empty());
    assert_eq!(kinds(&g.poll(at(52))[0]), vec![(Announce, 'R')]);
    // maintainGrant: the master ends its requests, not its grants.
    g.handle_grant(at(52), 10, pid(10), &grant(Announce, 1, 300, true));
    assert_eq!(
        g.handle_cancel(
            at(53),
            10,
            pid(10),
            &cancel(Announce, CANCEL_MAINTAIN_GRANT)
        ),
        None
    );
    assert!(g.grant(at(53), 10, Announce).is_some());
    // Cancels from strangers are not ours to acknowledge.
    assert_eq!(
        g.handle_cancel(at(53), 11, pid(11), &cancel(Announce, 0)),
        None
    );
}

#[test]
fn grantee_ignores_strangers_and_cancels_unwanted_grants() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10], 0), at(0));
    g.poll(at(0));
    g.handle_grant(at(0), 11, pid(11), &grant(Announce, 1, 300, true));
    assert!(!g.is_master(11));
    assert_eq!(g.grant(at(0), 11, Announce), None);
    // An unasked Sync grant from a master that is not selected.
    g.handle_grant(at(0), 10, pid(10), &grant(Sync, 0, 300, true));
    assert_eq!(g.grant(at(0), 10, Sync), None);
    let out = g.poll(at(0));
    assert_eq!(kinds(&out[0]), vec![(Sync, 'C')]);
}

#[test]
fn grantee_cancel_all_and_restart() {
    let mut g = Grantee::new(GranteeConfig::default(), &table(vec![10, 20], 0), at(0));
    g.poll(at(0));
    g.handle_grant(at(0), 10, pid(10), &grant(Announce, 1, 300, true));
    g.set_selected(at(0), Some(10));
    g.poll(at(0));
    g.handle_grant(at(0), 10, pid(10), &grant(Sync, 0, 300, true));
    let out = g.cancel_all(at(1));
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].to, out[0].target), (10, pid(10)));
    assert_eq!(kinds(&out[0]), vec![(Announce, 'C'), (Sync, 'C')]);
    assert_eq!(g.selected(), None);
    // Repeated 3 more times a query interval apart, then given up.
    for s in 2..=4 {
        assert_eq!(g.poll(at(s)).len(), 1);
    }
    assert!(g.poll(at(5)).is_empty());
    assert_eq!(g.next_timeout(), None);
    assert!(g.poll(at(100)).is_empty());
    g.restart(at(200));
    assert_eq!(g.poll(at(200)).len(), 2);
}

// ---------------------------------------------------------------- together

/// A grantor and a grantee exchanging TLVs over 20 minutes of virtual time,
/// losing every third message the grantee sends: the grants are held without
/// a gap once established, and a cancel is acknowledged.
#[test]
fn grantor_and_grantee_over_twenty_minutes() {
    const MASTER: Addr = 1;
    const SLAVE: Addr = 2;
    let (mpid, spid) = (pid(1), pid(2));
    let mut grantor = Grantor::<Addr>::new(GrantorConfig::default());
    let config = GranteeConfig {
        log_sync_interval: -4,
        log_delay_interval: -4,
        ..GranteeConfig::default()
    };
    let mut grantee = Grantee::new(config, &table(vec![MASTER], 0), at(0));
    let step = Duration::from_millis(100);
    let end = at(20 * 60);
    let cancel_at = at(900);
    let mut now = at(0);
    let mut sent = 0u32;
    let mut requests = 0u32;
    let mut acked = false;
    let mut cancelled = false;
    let mut established: Option<Time> = None;
    let mut reset = at(0);
    while now < end {
        // Grantee → grantor, losing every third message.
        for m in grantee.poll(now) {
            assert_eq!(m.to, MASTER);
            sent += 1;
            requests += m
                .tlvs
                .iter()
                .filter(|t| matches!(t, NegotiationTlv::Request(_)))
                .count() as u32;
            if sent % 3 == 0 {
                continue;
            }
            if let Some(reply) = grantor.handle_tlvs(now, SLAVE, spid, m.tlvs) {
                assert_eq!((reply.to, reply.target), (SLAVE, spid));
                if let Some(ack) = grantee.handle_tlvs(now, MASTER, mpid, reply.tlvs) {
                    grantor.handle_tlvs(now, SLAVE, spid, ack.tlvs);
                }
            }
        }
        // The engine: once Announce is granted, the BMCA picks the master.
        if grantee.selected().is_none() && grantee.grant(now, MASTER, Announce).is_some() {
            grantee.set_selected(now, Some(MASTER));
        }
        // Grantor → grantee.
        for m in grantor.poll(now) {
            if let Some(ack) = grantee.handle_tlvs(now, MASTER, mpid, m.tlvs) {
                acked |= grantor.handle_tlvs(now, SLAVE, spid, ack.tlvs).is_none();
            }
        }
        let served = [Announce, Sync, DelayResp].map(|t| {
            grantor
                .recipients(now, t)
                .any(|r| r.address == SLAVE && r.port_identity == spid)
        });
        if now >= cancel_at && !cancelled {
            // The master leaves MASTER: everything is cancelled and acked.
            let out = grantor.cancel_all(now);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].tlvs.len(), 3);
            let ack = grantee
                .handle_tlvs(now, MASTER, mpid, out[0].tlvs.clone())
                .unwrap();
            assert_eq!(
                kinds(&ack),
                vec![(Announce, 'A'), (Sync, 'A'), (DelayResp, 'A')]
            );
            grantor.handle_tlvs(now, SLAVE, spid, ack.tlvs);
            assert!(grantor.is_empty());
            assert_eq!(grantee.grant(now, MASTER, Announce), None);
            cancelled = true;
            acked = true;
            established = None;
            reset = now;
        } else if let Some(since) = established {
            assert_eq!(served, [true; 3], "gap at {now} (held since {since})");
            for t in [Announce, Sync, DelayResp] {
                assert!(grantee.grant(now, MASTER, t).is_some(), "{t:?} at {now}");
            }
        } else if served == [true; 3] {
            assert!(now - reset < Duration::from_secs(10), "took until {now}");
            established = Some(now);
        }
        // The grantee's view never outlives the grantor's.
        for t in NegotiableType::ALL {
            if grantee.grant(now, MASTER, t).is_some() {
                assert!(
                    grantor.granted(now, SLAVE, spid, t).is_some(),
                    "{t:?} at {now}"
                );
            }
        }
        now += step;
    }
    assert!(acked && cancelled);
    // After the cancel, the grants came back (the grantor still accepts).
    assert!(established.is_some());
    assert!(grantee.grant(end, MASTER, Announce).is_some());
    // Renewals, not a flood: about one request per type every 225 s plus
    // the lost ones' retries.
    assert!(requests < 60, "{requests} requests");
}

/// Arbitrary TLV values and times never make either side panic.
#[test]
fn arbitrary_input_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let config = GrantorConfig {
        max_grants: 8,
        cancel_retries: u8::MAX,
        ..GrantorConfig::default()
    };
    let mut grantor = Grantor::<u8>::new(config);
    let gconfig = GranteeConfig {
        cancel_retries: u8::MAX,
        duration: u32::MAX,
        ..GranteeConfig::default()
    };
    let mut grantee = Grantee::new(gconfig, &table_u8(vec![1, 2, 3], i8::MIN), at(0));
    let times = [
        Time::from_scaled_nanos(i128::MIN),
        at(0),
        at(1),
        Time::from_scaled_nanos(i128::MAX),
    ];
    for i in 0..20_000u32 {
        let r = next();
        let now = if i % 100 == 99 {
            times[(r % 4) as usize]
        } else {
            at(i64::from(i / 10))
        };
        let from = (r >> 8) as u8 % 5;
        let who = pid((r >> 16) as u8 % 3);
        let octet = (r >> 24) as u8;
        let log = (r >> 32) as i8;
        let duration = match (r >> 40) % 4 {
            0 => 0,
            1 => u32::MAX,
            _ => (r >> 44) as u32 % 400,
        };
        let tlv = match (r >> 60) % 4 {
            0 => NegotiationTlv::Request(RequestUnicastTransmission {
                message_type_octet: octet,
                log_inter_message_period: log,
                duration,
            }),
            1 => NegotiationTlv::Grant(GrantUnicastTransmission {
                message_type_octet: octet,
                log_inter_message_period: log,
                duration,
                reserved: 0,
                flags: (r >> 48) as u8,
            }),
            2 => NegotiationTlv::Cancel(CancelUnicastTransmission {
                message_type_octet: octet,
                reserved: 0,
            }),
            _ => NegotiationTlv::AcknowledgeCancel(CancelUnicastTransmission {
                message_type_octet: octet,
                reserved: 0,
            }),
        };
        grantor.handle_tlvs(now, from, who, [tlv]);
        grantee.handle_tlvs(now, from, who, [tlv]);
        if r % 7 == 0 {
            grantee.set_selected(now, Some(from));
        }
        if r % 11 == 0 {
            grantor.cancel_all(now);
        }
        if r % 13 == 0 {
            grantee.cancel_all(now);
            grantee.restart(now);
        }
        grantor.poll(now);
        grantee.poll(now);
        assert!(grantor.len() <= 8);
        let _ = (grantor.next_timeout(), grantee.next_timeout());
        let _ = grantor.recipients(now, Sync).count();
    }
}

fn table_u8(masters: Vec<u8>, log_query_interval: i8) -> UnicastMasterTable<u8> {
    UnicastMasterTable {
        log_query_interval,
        masters,
    }
}
