//! Fuzz target: `tempora_inspect::roundtrip::ptp_message` must neither panic nor
//! find an input whose decoding does not re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = tempora_inspect::roundtrip::ptp_message(data) {
        panic!("{e}");
    }
});
