//! Fuzz target: `tempora ctl` requests (`tempora_control::parse`) from any
//! bytes on the control socket must never panic; a request that parses
//! encodes back to a datagram that parses to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_control::request::{PREFIX, encode, parse};

fuzz_target!(|data: &[u8]| {
    for datagram in [data.to_vec(), [PREFIX, data].concat()] {
        if let Ok(command) = parse(&datagram) {
            assert_eq!(parse(&encode(&command)), Ok(command));
        }
    }
});
