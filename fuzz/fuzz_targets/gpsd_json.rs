//! Fuzz target: gpsd JSON report lines (`tempora_refclock::gpsd::decode`)
//! out of a byte stream cut in pieces must never panic; decoded reports keep
//! their invariants (nanoseconds in range, a fix time only with mode ≥ 2).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_refclock::gpsd::{self, Report};
use tempora_refclock::line::{Line, LineAssembler};

fn check(line: &[u8]) {
    match gpsd::decode(line) {
        Ok(Report::Tpv(t)) => {
            if t.fix_time().is_ok() {
                assert!(t.mode >= 2 && t.time.is_some());
            }
        }
        Ok(Report::Pps(o) | Report::Toff(o)) => {
            assert!(o.real.secs_nanos().1 < 1_000_000_000);
            let _ = o.offset();
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    check(rest);
    if let Ok(s) = core::str::from_utf8(rest) {
        let _ = gpsd::parse_iso8601(s);
    }
    let mut lines = LineAssembler::new(gpsd::MAX_LINE);
    for piece in rest.chunks(usize::from(cut).max(1)) {
        lines.push(piece, |l| {
            if let Line::Complete(b) = l {
                check(b);
            }
        });
    }
});
