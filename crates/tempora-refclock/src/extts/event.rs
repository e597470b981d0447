//! `struct ptp_extts_event` (`linux/ptp_clock.h`), as `read(2)` on a PHC
//! returns it: a `struct ptp_clock_time` (`__s64 sec`, `__u32 nsec`,
//! `__u32 reserved`), then `unsigned int index` (the channel), `unsigned
//! int flags` and two reserved `unsigned int`s: 32 bytes, in the host's
//! byte order. A read returns whole records only; the kernel fills the
//! event's `flags` with the edge on newer kernels and leaves it zero on
//! older ones, so it is reported but not checked.

use alloc::vec::Vec;
use tempora_clock::Time;

use super::ExttsError;

/// The size of one `struct ptp_extts_event`.
pub const EVENT_SIZE: usize = 32;

/// One external timestamp event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExttsEvent {
    /// The channel (`index`) that produced it.
    pub channel: u32,
    /// The PHC's time of the edge (`t`).
    pub time: Time,
    /// The `flags` field (edge flags on newer kernels, else zero).
    pub flags: u32,
}

impl ExttsEvent {
    /// The record for this event, as the kernel would write it (for tests
    /// and replay).
    pub fn encode(&self) -> [u8; EVENT_SIZE] {
        let mut b = [0u8; EVENT_SIZE];
        let (secs, nanos) = self.time.secs_nanos();
        let secs = i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX });
        b[0..8].copy_from_slice(&secs.to_ne_bytes());
        b[8..12].copy_from_slice(&nanos.to_ne_bytes());
        b[16..20].copy_from_slice(&self.channel.to_ne_bytes());
        b[20..24].copy_from_slice(&self.flags.to_ne_bytes());
        b
    }
}

/// Decodes one record.
fn decode_one(rec: &[u8; EVENT_SIZE]) -> Result<ExttsEvent, ExttsError> {
    let word = |at: usize| u32::from_ne_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]]);
    let mut sec = [0u8; 8];
    sec.copy_from_slice(&rec[0..8]);
    let sec = i64::from_ne_bytes(sec);
    let nsec = word(8);
    if nsec >= 1_000_000_000 {
        return Err(ExttsError::BadNanos { nsec });
    }
    Ok(ExttsEvent {
        channel: word(16),
        time: Time::from_secs_nanos(sec, nsec),
        flags: word(20),
    })
}

/// Decodes the records in `bytes` (what one `read(2)` returned), in
/// order; a partial record at the end gives [`ExttsError::Truncated`].
pub fn decode_events(bytes: &[u8]) -> Vec<Result<ExttsEvent, ExttsError>> {
    let mut chunks = bytes.chunks_exact(EVENT_SIZE);
    let mut out: Vec<Result<ExttsEvent, ExttsError>> = chunks
        .by_ref()
        .map(|c| {
            let mut rec = [0u8; EVENT_SIZE];
            rec.copy_from_slice(c);
            decode_one(&rec)
        })
        .collect();
    let rest = chunks.remainder().len();
    if rest != 0 {
        out.push(Err(ExttsError::Truncated { len: rest }));
    }
    out
}
