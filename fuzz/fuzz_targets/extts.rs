//! Fuzz target: a ts2phc source (`tempora_refclock::extts`) fed arbitrary
//! PHC event bytes and ToD readings (raw seconds and NMEA lines), in any
//! order and with any seen times, must never panic; decoded records must
//! re-encode to the same fields, and every pulse's offset must be its
//! reference time minus its PHC time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_clock::{Duration, Time};
use tempora_refclock::extts::{EVENT_SIZE, ExttsParams, TodReading, Ts2Phc, decode_events};
use tempora_refclock::nmea;

/// Takes `n` bytes off the front of `data` (fewer at its end).
fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(n.min(data.len()));
    *data = tail;
    head
}

fn u32_of(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x))
}

fn check_decoding(bytes: &[u8]) {
    let events = decode_events(bytes);
    assert_eq!(events.len(), bytes.len().div_ceil(EVENT_SIZE));
    for (rec, ev) in bytes.chunks(EVENT_SIZE).zip(&events) {
        if let Ok(ev) = ev {
            let again = ev.encode();
            // Everything but the reserved words comes back.
            assert_eq!(again[..12], rec[..12]);
            assert_eq!(again[16..24], rec[16..24]);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let params = ExttsParams {
        channel: u32::from(take(&mut data, 1).first().copied().unwrap_or(0) & 3),
        ..ExttsParams::default()
    };
    let Ok(mut s) = Ts2Phc::new(params) else {
        return;
    };
    let mut seen = Time::from_secs_nanos(1000, 0);
    while let Some(&op) = take(&mut data, 1).first() {
        // Each step moves the seen clock by up to ~1 s.
        seen += Duration::from_micros(i64::from(u32_of(take(&mut data, 2))) * 16);
        match op % 6 {
            0 => {
                let n = usize::from(take(&mut data, 1).first().copied().unwrap_or(0) % 97);
                let bytes = take(&mut data, n);
                check_decoding(bytes);
                s.push_bytes(bytes, seen);
            }
            1 => {
                let sec = i64::from(u32_of(take(&mut data, 4)));
                s.push_tod(TodReading::new(Time::from_secs_nanos(sec, 0), seen, Some(37)));
            }
            2 => {
                let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
                let line = take(&mut data, end + 1);
                if let Ok(Some(r)) = nmea::parse(line).map(|m| m.reading()) {
                    s.push_tod(TodReading::from_nmea(&r, seen));
                }
            }
            3 => s.advance(seen),
            4 => {
                let _ = s.poll(Duration::from_secs(16));
            }
            _ => {
                let o = take(&mut data, 1).first().copied().unwrap_or(0);
                s.set_tai_offset((o & 1 == 1).then_some(i16::from(o >> 1)));
                if o == 0 {
                    s.reset();
                }
            }
        }
        while let Some(outcome) = s.next_outcome() {
            if let Ok(p) = outcome {
                assert_eq!(p.offset, p.reference - p.phc);
            }
        }
        let c = s.counters();
        assert!(c.pulses <= c.events && c.pulses <= c.tods);
    }
});
