//! Fuzz target: `leap-seconds.list` parsing (`tempora_clock::leap_seconds`)
//! must never panic; an accepted list has strictly increasing entries, an
//! answer for any instant, and a pending leap only within a day of an
//! entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_clock::leap_seconds::LeapSecondsList;
use tempora_clock::{LeapStatus, Time};

fuzz_target!(|data: &[u8]| {
    let Ok(list) = LeapSecondsList::parse(data) else {
        return;
    };
    let entries = list.entries();
    assert!(!entries.is_empty());
    assert!(entries.windows(2).all(|w| w[0].at < w[1].at));
    let _ = list.is_expired(list.expires());
    for e in entries {
        for delta in [-86_401, -86_400, -1, 0, 1] {
            let now = Time::from_secs_nanos(e.at.saturating_add(delta), 0);
            let s = list.state_at(now);
            if s.pending != LeapStatus::None {
                let at = s.at.expect("a pending leap has its time");
                let ahead = (at - now).as_secs_f64();
                assert!(ahead > 0.0 && ahead <= 86_400.0);
            }
        }
    }
});
