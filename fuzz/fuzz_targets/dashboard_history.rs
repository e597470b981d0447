//! Fuzz target: the dashboard's history file
//! (`tempora_daemon::history::History::restore`,
//! `[observability] dashboard-history-file`). The first 8 bytes of the
//! input choose the new second 0 (as an offset from the file's own), the
//! rest is the file. Restoring must not panic; a restored history must
//! save again into a file no larger than any history makes, which
//! restores to the same series.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_daemon::history::{History, MAX_FILE_BYTES};

fuzz_target!(|data: &[u8]| {
    let Some((head, file)) = data.split_first_chunk::<8>() else {
        return;
    };
    let origin = i64::from_le_bytes(*head) % 200_000 * 60;
    let now = 90_000;
    let Ok(h) = History::restore(file, origin, now) else {
        return;
    };
    let bytes = h.save(origin, now);
    assert!(bytes.len() <= MAX_FILE_BYTES, "{}", bytes.len());
    let again = History::restore(&bytes, origin, now).expect("our own file");
    let names = |h: &History| h.series().into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(names(&h), names(&again));
});
