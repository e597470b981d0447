//! Fuzz target: NMEA 0183 lines out of a byte stream cut in pieces
//! (`tempora_refclock::line` then `tempora_refclock::nmea`) must never
//! panic, and every accepted sentence must carry a matching checksum and a
//! time in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_refclock::line::{Line, LineAssembler};
use tempora_refclock::nmea;

fn check(line: &[u8]) {
    let Ok(sentence) = nmea::parse(line) else {
        return;
    };
    // Accepted: the text between the last '$' and the last '*' XORs to
    // the two hex digits after the '*'.
    let text = line.trim_ascii_end();
    let start = text.iter().rposition(|&b| b == b'$').unwrap();
    let star = text.iter().rposition(|&b| b == b'*').unwrap();
    let stated = u8::from_str_radix(core::str::from_utf8(&text[star + 1..]).unwrap(), 16).unwrap();
    assert_eq!(nmea::checksum(&text[start + 1..star]), stated);
    if let Some(r) = sentence.reading() {
        let (secs, _) = r.utc.secs_nanos();
        // Years 0..=9999 (ZDA's four digits; RMC's 1980..=2079).
        assert!((-62_167_219_200..=253_402_300_800).contains(&secs));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    check(rest);
    let mut lines = LineAssembler::new(82);
    for piece in rest.chunks(usize::from(cut).max(1)) {
        lines.push(piece, |l| {
            if let Line::Complete(b) = l {
                assert!(b.len() <= 83);
                check(b);
            }
        });
        assert!(lines.pending() <= 83);
    }
});
