//! Fuzz target: reading a pcap/pcapng stream and inspecting every frame in it
//! (dissection, decoding, description, round trip) must never panic, whatever
//! the bytes; malformed captures end in a `CaptureError`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_inspect::capture::read_capture_from;
use tempora_inspect::{Summary, inspect_frame};

fuzz_target!(|data: &[u8]| {
    let mut summary = Summary::default();
    let mut sink = std::io::sink();
    let _ = read_capture_from(data, |frame| {
        let _ = inspect_frame(&frame, false, &mut summary, &mut sink);
        let _ = inspect_frame(&frame, true, &mut summary, &mut sink);
    });
});
