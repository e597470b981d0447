//! The NTP shared-memory reference clock segment: `struct shmTime` of
//! ntpd's `refclock_shm.c` (ntpd driver 28, "Shared Memory Driver"), as
//! gpsd and other drivers write it into the SysV segment with key
//! `0x4e545030 + unit` ("NTP0"...).
//!
//! The caller maps the segment and hands in what it read; this module
//! decodes it and runs the reader's side of the handshake. On 64-bit Linux
//! (LP64: `int` and `unsigned` 4 bytes, `time_t` 8 bytes, aligned to 8) the
//! segment is 96 bytes:
//!
//! | offset | size | field                  | meaning                                          |
//! |-------:|-----:|------------------------|--------------------------------------------------|
//! | 0      | 4    | `mode`                 | 0 or 1: the handshake the writer uses            |
//! | 4      | 4    | `count`                | bumped by the writer around each update (mode 1) |
//! | 8      | 8    | `clockTimeStampSec`    | the reference's time, s                          |
//! | 16     | 4    | `clockTimeStampUSec`   | its microseconds                                 |
//! | 20     | 4    | (padding)              | aligns the next `time_t`                         |
//! | 24     | 8    | `receiveTimeStampSec`  | the local clock's time when it was taken, s      |
//! | 32     | 4    | `receiveTimeStampUSec` | its microseconds                                 |
//! | 36     | 4    | `leap`                 | 0 none, 1 insert, 2 delete, 3 not synchronized   |
//! | 40     | 4    | `precision`            | log2 of the precision in seconds                 |
//! | 44     | 4    | `nsamples`             | unused by readers                                |
//! | 48     | 4    | `valid`                | non-zero: a new sample is there                  |
//! | 52     | 4    | `clockTimeStampNSec`   | the reference's nanoseconds (unsigned)           |
//! | 56     | 4    | `receiveTimeStampNSec` | the local nanoseconds (unsigned)                 |
//! | 60     | 32   | `dummy[8]`             | reserved                                         |
//! | 92     | 4    | (padding)              | the struct's size is a multiple of 8             |
//!
//! The handshake (driver 28's documentation, "Operation mode=0/1"): the
//! reader checks `valid`; in mode 1 it remembers `count`, copies the
//! fields, and compares the remembered `count` with the segment's current
//! one: if they differ the writer changed the record during the copy (a
//! torn read) and the sample is dropped. A sample that was used is marked
//! consumed by clearing `valid`, which is a write to shared memory the
//! caller performs ([`ShmAction::ClearValid`]). Mode 0 has no way to detect
//! a torn read. A dropped sample is left valid, as chrony's `refclock_shm.c`
//! leaves it: the caller reads again at its next poll.
//!
//! The nanosecond fields are newer than the microsecond ones: as chrony
//! and ntpd do, they are used only when both agree with the microsecond
//! fields (`nsec / 1000 == usec`), which tells a writer that fills them from
//! one that leaves them zero.

use crate::Leap;
use tempora_clock::{Duration, Time};

/// The size of the segment on 64-bit Linux.
pub const SHM_SEGMENT_LEN: usize = 96;
/// The offset of `count`.
pub const COUNT_OFFSET: usize = 4;
/// The offset of `valid`.
pub const VALID_OFFSET: usize = 48;
/// The SysV IPC key of unit 0 ("NTP0"); unit `u` is this + `u`.
pub const SHM_KEY_BASE: u32 = 0x4e54_5030;

/// Every field of the segment, as read (native byte order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShmSegment {
    /// `mode`.
    pub mode: i32,
    /// `count`.
    pub count: i32,
    /// `clockTimeStampSec`.
    pub clock_sec: i64,
    /// `clockTimeStampUSec`.
    pub clock_usec: i32,
    /// `receiveTimeStampSec`.
    pub receive_sec: i64,
    /// `receiveTimeStampUSec`.
    pub receive_usec: i32,
    /// `leap`.
    pub leap: i32,
    /// `precision`.
    pub precision: i32,
    /// `nsamples`.
    pub nsamples: i32,
    /// `valid`.
    pub valid: i32,
    /// `clockTimeStampNSec`.
    pub clock_nsec: u32,
    /// `receiveTimeStampNSec`.
    pub receive_nsec: u32,
}

/// A sample taken from the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShmSample {
    /// The reference's time (`clockTimeStamp`), UTC.
    pub reference: Time,
    /// The local clock's time when the writer took it (`receiveTimeStamp`).
    pub local: Time,
    /// reference − local: the source's offset θ at `local`.
    pub offset: Duration,
    /// The leap indicator.
    pub leap: Leap,
    /// log2 of the writer's precision in seconds.
    pub precision: i32,
}

/// What the caller must do to the segment after a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShmAction {
    /// Write a zero `int` at [`VALID_OFFSET`]: the sample was consumed.
    ClearValid,
}

/// A successful read: the sample and what to do to the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShmRead {
    /// The sample.
    pub sample: ShmSample,
    /// The action to carry out on the segment.
    pub action: ShmAction,
}

/// Why no sample came out of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShmError {
    /// The snapshot is shorter than the segment.
    Length(usize),
    /// `valid` is zero: no new sample since the last one was consumed.
    NotValid,
    /// `mode` is neither 0 nor 1.
    Mode(i32),
    /// Mode 1 and `count` changed during the copy: a torn read.
    Torn {
        /// `count` in the copy (read before the fields).
        before: i32,
        /// `count` read again after the copy.
        after: i32,
    },
    /// `leap` is outside 0..=3.
    Leap(i32),
    /// A microsecond field is outside 0..10^6.
    Microseconds(i32),
}

impl ShmSegment {
    /// Decodes a snapshot of at least [`SHM_SEGMENT_LEN`] bytes.
    pub fn decode(bytes: &[u8]) -> Result<ShmSegment, ShmError> {
        let d: &[u8; SHM_SEGMENT_LEN] = bytes
            .get(..SHM_SEGMENT_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(ShmError::Length(bytes.len()))?;
        let i = |at| i32::from_ne_bytes(field(d, at));
        let l = |at| i64::from_ne_bytes(field(d, at));
        let u = |at| u32::from_ne_bytes(field(d, at));
        Ok(ShmSegment {
            mode: i(0),
            count: i(COUNT_OFFSET),
            clock_sec: l(8),
            clock_usec: i(16),
            receive_sec: l(24),
            receive_usec: i(32),
            leap: i(36),
            precision: i(40),
            nsamples: i(44),
            valid: i(VALID_OFFSET),
            clock_nsec: u(52),
            receive_nsec: u(56),
        })
    }

    /// Encodes the segment (what a writer such as gpsd puts there; for tests
    /// and tools). Padding and `dummy` are zero.
    pub fn encode(&self) -> [u8; SHM_SEGMENT_LEN] {
        let mut out = [0u8; SHM_SEGMENT_LEN];
        let fields: [(usize, &[u8]); 12] = [
            (0, &self.mode.to_ne_bytes()),
            (COUNT_OFFSET, &self.count.to_ne_bytes()),
            (8, &self.clock_sec.to_ne_bytes()),
            (16, &self.clock_usec.to_ne_bytes()),
            (24, &self.receive_sec.to_ne_bytes()),
            (32, &self.receive_usec.to_ne_bytes()),
            (36, &self.leap.to_ne_bytes()),
            (40, &self.precision.to_ne_bytes()),
            (44, &self.nsamples.to_ne_bytes()),
            (VALID_OFFSET, &self.valid.to_ne_bytes()),
            (52, &self.clock_nsec.to_ne_bytes()),
            (56, &self.receive_nsec.to_ne_bytes()),
        ];
        for (at, bytes) in fields {
            for (o, b) in out.iter_mut().skip(at).zip(bytes) {
                *o = *b;
            }
        }
        out
    }
}

/// The `N` bytes at the constant offset `at` of the segment.
fn field<const N: usize>(d: &[u8; SHM_SEGMENT_LEN], at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    for (o, i) in b.iter_mut().zip(d.iter().skip(at)) {
        *o = *i;
    }
    b
}

/// The reader's side of the handshake. `snapshot` is the copy of the
/// segment the caller made after reading `count` (the copy holds that
/// `count`); `count_after` is `count` read again once the copy is done.
/// The order matters in mode 1: read the copy first, then `count_after`.
pub fn read(snapshot: &[u8], count_after: i32) -> Result<ShmRead, ShmError> {
    let s = ShmSegment::decode(snapshot)?;
    if s.valid == 0 {
        return Err(ShmError::NotValid);
    }
    match s.mode {
        0 => {}
        1 if s.count != count_after => {
            return Err(ShmError::Torn {
                before: s.count,
                after: count_after,
            });
        }
        1 => {}
        m => return Err(ShmError::Mode(m)),
    }
    let leap = Leap::from_code(s.leap).ok_or(ShmError::Leap(s.leap))?;
    let nanos = |usec: i32| {
        u32::try_from(usec)
            .ok()
            .filter(|&u| u < 1_000_000)
            .map(|u| u * 1000)
            .ok_or(ShmError::Microseconds(usec))
    };
    let (mut clock_ns, mut receive_ns) = (nanos(s.clock_usec)?, nanos(s.receive_usec)?);
    if s.clock_nsec / 1000 == clock_ns / 1000 && s.receive_nsec / 1000 == receive_ns / 1000 {
        clock_ns = s.clock_nsec;
        receive_ns = s.receive_nsec;
    }
    let reference = Time::from_secs_nanos(s.clock_sec, clock_ns);
    let local = Time::from_secs_nanos(s.receive_sec, receive_ns);
    Ok(ShmRead {
        sample: ShmSample {
            reference,
            local,
            offset: reference - local,
            leap,
            precision: s.precision,
        },
        action: ShmAction::ClearValid,
    })
}

#[cfg(test)]
mod tests;
