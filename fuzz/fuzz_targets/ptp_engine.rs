//! Fuzz target: the PTP engine must not panic whatever it is fed. The input
//! is a script: the first byte picks the clock (ordinary, boundary,
//! transparent; E2E or P2P), then each step is an operation byte, a length
//! byte and that many bytes (a message, or a timer's port).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_clock::{Duration, Time};
use tempora_ptp::datasets::{DelayMechanism, InstanceType};
use tempora_ptp::engine::{Action, InstanceConfig, PortConfig, PtpInstance, Timer};
use tempora_ptp::wire::ClockIdentity;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, mut rest)) = data.split_first() else {
        return;
    };
    let mut config = InstanceConfig::ordinary(ClockIdentity([2, 0, 0, 0xff, 0xfe, 0, 0, 1]));
    let mechanism = if kind & 1 == 0 {
        DelayMechanism::E2e
    } else {
        DelayMechanism::P2p
    };
    let port = PortConfig {
        delay_mechanism: mechanism,
        ..PortConfig::default()
    };
    config.ports = vec![port; 1 + usize::from(kind >> 1 & 1)];
    config.instance_type = match kind >> 2 & 3 {
        1 => InstanceType::BoundaryClock,
        2 => InstanceType::E2eTransparentClock,
        3 => InstanceType::P2pTransparentClock,
        _ => InstanceType::OrdinaryClock,
    };
    let mut engine = PtpInstance::new(config, u64::from(kind));
    let mut now = Time::from_secs_nanos(1_800_000_000, 0);
    engine.start(now);
    let mut tokens = Vec::new();
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (chunk, next) = tail.split_at(n);
        rest = next;
        now += Duration::from_millis(i64::from(*op >> 4) * 37);
        let port = usize::from(chunk.first().copied().unwrap_or(0) & 3);
        match op & 0x0f {
            0..=7 => {
                let _ = engine.handle_message(now, port, chunk, Some(now), None);
            }
            8 => {
                if let Some(t) = tokens.pop() {
                    engine.handle_tx_timestamp(now, t, now);
                }
            }
            9 => {
                let _ = engine.handle_local_management(now, chunk);
            }
            o => {
                let timer = match o {
                    10 => Timer::AnnounceReceipt(port),
                    11 => Timer::Announce(port),
                    12 => Timer::Sync(port),
                    13 => Timer::DelayReq(port),
                    14 => Timer::PdelayReq(port),
                    _ => Timer::Qualification(port),
                };
                engine.handle_timer(now, timer);
            }
        }
        while let Some(a) = engine.poll_action() {
            if let Action::Send {
                timestamp: Some(t), ..
            } = a
            {
                tokens.push(t);
            }
        }
    }
});
