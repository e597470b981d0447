//! Every profile preset, run by the engine, puts its settings on the wire:
//! domain, majorSdoId, message intervals, delay mechanism and destinations
//! (the presets themselves are compared with linuxptp's configuration files
//! in `profiles_vs_linuxptp.rs`).

use tempora_clock::Time;
use tempora_ptp::datasets::DelayMechanism;
use tempora_ptp::engine::{Action, Destination, InstanceConfig, PtpInstance, Timer};
use tempora_ptp::profile::{self, StaticRole};
use tempora_ptp::wire::{ClockIdentity, Message, MessageType};

#[test]
fn presets_reach_the_wire() {
    for p in profile::ALL {
        let id = ClockIdentity::from_mac([2, 0, 0, 0, 0, 9]);
        let mut config = InstanceConfig::from_profile(p, id, 1);
        // Let the clock be master so that it sends everything it can.
        config.slave_only = false;
        if config.ports[0].static_role == Some(StaticRole::Slave) {
            config.ports[0].static_role = Some(StaticRole::Master);
        }
        config.clock_quality.clock_class = 248;
        // Alone, a gPTP port has no neighbor to be asCapable with; that is
        // tested on the simulated network.
        config.ports[0].as_capable = profile::AsCapable::NotUsed;
        let mut instance = PtpInstance::new(config, 7);
        let mut now = Time::from_secs_nanos(1_900_000_000, 0);
        instance.start(now);
        let mut timers = Vec::new();
        let mut sent = Vec::new();
        // Drive it for 30 s of timers, answering every transmit timestamp.
        for _ in 0..5000 {
            while let Some(action) = instance.poll_action() {
                match action {
                    Action::SetTimer { timer, at } => {
                        timers.retain(|(t, _)| *t != timer);
                        timers.push((timer, at));
                    }
                    Action::CancelTimer(timer) => timers.retain(|(t, _)| *t != timer),
                    Action::Send {
                        data,
                        destination,
                        timestamp,
                        ..
                    } => {
                        if let Some(token) = timestamp {
                            instance.handle_tx_timestamp(now, token, now);
                        }
                        sent.push((data, destination));
                    }
                    _ => {}
                }
            }
            timers.sort_by_key(|(_, at)| *at);
            if timers.is_empty() || timers[0].1 > Time::from_secs_nanos(1_900_000_030, 0) {
                break;
            }
            let (timer, at) = timers.remove(0);
            now = at;
            if matches!(timer, Timer::Unicast(_)) {
                continue;
            }
            instance.handle_timer(now, timer);
        }
        let mut seen = std::collections::BTreeSet::new();
        for (data, destination) in &sent {
            let msg = Message::decode(data).unwrap();
            let h = msg.header;
            assert_eq!(h.domain_number, p.domain_number, "{}", p.name);
            assert_eq!(h.major_sdo_id, p.major_sdo_id, "{}", p.name);
            assert_eq!(h.minor_sdo_id, p.minor_sdo_id, "{}", p.name);
            let t = h.message_type;
            seen.insert(t.name());
            match t {
                MessageType::Announce => {
                    assert_eq!(
                        h.log_message_interval, p.log_announce_interval,
                        "{}",
                        p.name
                    )
                }
                MessageType::Sync | MessageType::FollowUp => {
                    assert_eq!(h.log_message_interval, p.log_sync_interval, "{}", p.name)
                }
                MessageType::PdelayReq => {
                    assert_eq!(*destination, Destination::PdelayMulticast, "{}", p.name)
                }
                _ => {}
            }
            if !p.unicast
                && !matches!(
                    t,
                    MessageType::PdelayReq
                        | MessageType::PdelayResp
                        | MessageType::PdelayRespFollowUp
                )
            {
                assert_eq!(*destination, Destination::Multicast, "{} {t}", p.name);
            }
        }
        if p.unicast {
            // A unicast master sends only to slaves that were granted
            // service: alone, nothing (tested with negotiation elsewhere).
            assert!(
                !seen.contains("Sync") && !seen.contains("Announce"),
                "{}: {seen:?}",
                p.name
            );
            continue;
        }
        assert!(seen.contains("Sync"), "{}: {seen:?}", p.name);
        assert_eq!(
            seen.contains("Follow_Up"),
            p.two_step,
            "{}: {seen:?}",
            p.name
        );
        assert_eq!(
            seen.contains("Announce"),
            p.sends_announce,
            "{}: {seen:?}",
            p.name
        );
        assert_eq!(
            seen.contains("Pdelay_Req"),
            p.delay_mechanism == DelayMechanism::P2p,
            "{}: {seen:?}",
            p.name
        );
    }
}
