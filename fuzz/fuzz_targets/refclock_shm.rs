//! Fuzz target: NTP SHM segment snapshots (`tempora_refclock::shm`) must
//! never panic; the segment's fields survive encode/decode, and a sample
//! comes out only of a valid segment whose mode-1 count did not change.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_refclock::shm::{self, ShmSegment};

fuzz_target!(|data: &[u8]| {
    let Some((count_after, snapshot)) = data.split_first_chunk::<4>() else {
        return;
    };
    let count_after = i32::from_ne_bytes(*count_after);
    let result = shm::read(snapshot, count_after);
    let Ok(seg) = ShmSegment::decode(snapshot) else {
        assert!(result.is_err());
        return;
    };
    assert_eq!(ShmSegment::decode(&seg.encode()), Ok(seg));
    if let Ok(r) = result {
        assert_ne!(seg.valid, 0);
        assert!(seg.mode == 0 || (seg.mode == 1 && seg.count == count_after));
        assert_eq!(r.sample.offset, r.sample.reference - r.sample.local);
    }
});
