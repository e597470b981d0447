//! Fuzz target: the NTS-KE message readers of `tempora_nts::records` (the
//! server reading a client's request, the client reading a server's
//! response) must not panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tempora_nts::records::parse_request(data);
    let _ = tempora_nts::records::parse_response(data);
});
