//! The Bloom filter the client keeps for the server: the IDs of the
//! sources in use, here a reference clock's.

use super::*;
use tempora_clock::Duration;
use tempora_system::Measurement;

#[test]
fn a_selected_reference_clock_is_in_the_served_filter() {
    let t0 = Time::from_secs_nanos(1_800_000_000, 0);
    let config = SystemConfig {
        rfc5905: true,
        ..SystemConfig::default()
    };
    let guard = LoopGuard::new(RefId120([5; 15]));
    let mut c = NtpClient::new(&[], config, None, KeyTable::default(), t0, 0.0)
        .unwrap()
        .with_loop_guard(guard.clone());
    let id = c.add_source(SourceKind::Refclock, SourceOptions::default());
    c.add_reference_code(id, *b"GPS\0");
    let gps = RefId120::from_refclock(*b"GPS\0");
    c.maintain(t0);
    assert!(!guard.served().contains(&gps), "not in use yet");
    assert!(guard.served().contains(&guard.own()));
    for i in 0..10 {
        let at = t0 + Duration::from_secs(i);
        let sample = RawSample {
            measurement: Measurement {
                at,
                offset: Duration::from_micros(3),
                delay: Duration::ZERO,
            },
            root: Duration::ZERO,
            interval: Duration::from_secs(1),
            own_delay: false,
        };
        c.system.handle_sample(at, id, sample);
        while c.system.poll_action().is_some() {}
    }
    assert!(c.system.report(id).selected, "{:?}", c.system.report(id));
    c.maintain(t0 + Duration::from_secs(10));
    assert!(guard.served().contains(&gps));
}
