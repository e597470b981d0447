//! Fuzz target: chrony SOCK datagrams (`tempora_refclock::sock::decode`)
//! must never panic; an accepted one has the length and magic, and encodes
//! back to a datagram that decodes to the same time, pulse and leap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_refclock::sock;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = sock::decode(data) else {
        return;
    };
    assert_eq!(data.len(), sock::SOCK_SAMPLE_LEN);
    let again = sock::decode(&sock::encode(&s)).expect("an encoded sample decodes");
    assert_eq!((again.at, again.pulse, again.leap), (s.at, s.pulse, s.leap));
});
