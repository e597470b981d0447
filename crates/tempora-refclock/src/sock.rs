//! chrony's SOCK reference clock datagram: `struct sock_sample` of chrony's
//! `refclock_sock.c` (chrony.conf(5), `refclock SOCK`), as gpsd and other
//! tools send it over a Unix datagram socket.
//!
//! The struct is sent in the sender's native byte order and layout. On
//! 64-bit Linux (LP64: `time_t` and `suseconds_t` 8 bytes, `int` 4 bytes)
//! it is 40 bytes:
//!
//! | offset | size | C field            | meaning                                   |
//! |-------:|-----:|--------------------|-------------------------------------------|
//! | 0      | 8    | `tv.tv_sec`        | local (system) time of the sample, s      |
//! | 8      | 8    | `tv.tv_usec`       | its microseconds, 0..10^6                 |
//! | 16     | 8    | `double offset`    | true time − system time at `tv`, s        |
//! | 24     | 4    | `int pulse`        | non-zero: a pulse, the seconds come from another source |
//! | 28     | 4    | `int leap`         | 0 normal, 1 insert, 2 delete a leap second |
//! | 32     | 4    | `int _pad`         | ignored                                   |
//! | 36     | 4    | `int magic`        | `0x534f434b` ("SOCK")                     |
//!
//! chrony drops a datagram of any other length, another magic, or a leap
//! value other than 0–2; so does [`decode`], which also rejects an offset
//! that is not finite and microseconds out of range. Only the 64-bit Linux
//! layout is decoded (32-bit senders use a 32-bit `time_t` layout).

use crate::Leap;
use tempora_clock::{Duration, Time};

/// The size of `struct sock_sample` on 64-bit Linux.
pub const SOCK_SAMPLE_LEN: usize = 40;

/// `SOCK_MAGIC`: "SOCK" as a 32-bit integer.
pub const SOCK_MAGIC: i32 = 0x534f_434b;

/// A decoded SOCK sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockSample {
    /// The sender's system time of the measurement (`tv`), UTC.
    pub at: Time,
    /// True time − system time at `at` (`offset`).
    pub offset: Duration,
    /// Whether it is a pulse (only the offset within the second counts;
    /// `pulse`).
    pub pulse: bool,
    /// The leap second warning (`leap`: never [`Leap::Unsynchronized`]).
    pub leap: Leap,
}

/// Why a datagram is not a SOCK sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockError {
    /// The datagram is not 40 bytes long.
    Length(usize),
    /// The magic is not `SOCK_MAGIC` (another format, or the other byte order).
    Magic(i32),
    /// `leap` is not 0, 1 or 2.
    Leap(i32),
    /// `offset` is NaN or infinite.
    Offset,
    /// `tv_usec` is outside 0..10^6.
    Microseconds(i64),
}

/// Decodes one datagram (native byte order).
pub fn decode(datagram: &[u8]) -> Result<SockSample, SockError> {
    let d: &[u8; SOCK_SAMPLE_LEN] = datagram
        .try_into()
        .map_err(|_| SockError::Length(datagram.len()))?;
    let magic = i32::from_ne_bytes(field(d, 36));
    if magic != SOCK_MAGIC {
        return Err(SockError::Magic(magic));
    }
    let leap = match i32::from_ne_bytes(field(d, 28)) {
        0 => Leap::None,
        1 => Leap::Insert,
        2 => Leap::Delete,
        other => return Err(SockError::Leap(other)),
    };
    let offset = f64::from_ne_bytes(field(d, 16));
    let usec = i64::from_ne_bytes(field(d, 8));
    let pulse = i32::from_ne_bytes(field(d, 24));
    let sec = i64::from_ne_bytes(field(d, 0));
    if !offset.is_finite() {
        return Err(SockError::Offset);
    }
    let micros = u32::try_from(usec)
        .ok()
        .filter(|&u| u < 1_000_000)
        .ok_or(SockError::Microseconds(usec))?;
    Ok(SockSample {
        at: Time::from_secs_nanos(sec, micros * 1000),
        offset: Duration::from_secs_f64(offset),
        pulse: pulse != 0,
        leap,
    })
}

/// The `N` bytes at `at` of the fixed-size datagram (constant offsets
/// within its 40 bytes).
fn field<const N: usize>(d: &[u8; SOCK_SAMPLE_LEN], at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    for (o, i) in b.iter_mut().zip(d.iter().skip(at)) {
        *o = *i;
    }
    b
}

/// Encodes a sample in the 64-bit Linux layout (what a sender such as gpsd
/// writes; for tests and tools). The time is truncated to microseconds.
pub fn encode(sample: &SockSample) -> [u8; SOCK_SAMPLE_LEN] {
    let (sec, nanos) = sample.at.secs_nanos();
    let mut out = [0u8; SOCK_SAMPLE_LEN];
    let fields: [&[u8]; 7] = [
        &(sec as i64).to_ne_bytes(),
        &i64::from(nanos / 1000).to_ne_bytes(),
        &sample.offset.as_secs_f64().to_ne_bytes(),
        &i32::from(sample.pulse).to_ne_bytes(),
        &sample.leap.code().to_ne_bytes(),
        &0i32.to_ne_bytes(),
        &SOCK_MAGIC.to_ne_bytes(),
    ];
    let mut at = 0;
    for f in fields {
        for (o, b) in out.iter_mut().skip(at).zip(f) {
            *o = *b;
        }
        at += f.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A datagram as a sender (gpsd, for one) lays it out, written field by
    /// field at the offsets of the table in the module docs.
    fn datagram(sec: i64, usec: i64, offset: f64, pulse: i32, leap: i32, magic: i32) -> [u8; 40] {
        let mut d = [0u8; 40];
        d[0..8].copy_from_slice(&sec.to_ne_bytes());
        d[8..16].copy_from_slice(&usec.to_ne_bytes());
        d[16..24].copy_from_slice(&offset.to_ne_bytes());
        d[24..28].copy_from_slice(&pulse.to_ne_bytes());
        d[28..32].copy_from_slice(&leap.to_ne_bytes());
        d[32..36].copy_from_slice(&0x5555i32.to_ne_bytes());
        d[36..40].copy_from_slice(&magic.to_ne_bytes());
        d
    }

    #[test]
    fn decodes_a_sample() {
        let d = datagram(1_715_557_996, 123_456, -0.000_250_5, 0, 1, SOCK_MAGIC);
        let s = decode(&d).unwrap();
        assert_eq!(s.at, Time::from_secs_nanos(1_715_557_996, 123_456_000));
        assert_eq!(s.offset, Duration::from_secs_f64(-0.000_250_5));
        assert!(!s.pulse);
        assert_eq!(s.leap, Leap::Insert);
        assert_eq!(decode(&encode(&s)), Ok(s));
        let p = decode(&datagram(1, 0, 0.25, 1, 0, SOCK_MAGIC)).unwrap();
        assert!(p.pulse);
        assert_eq!(p.leap, Leap::None);
    }

    #[test]
    fn every_check() {
        let good = datagram(1, 2, 0.5, 0, 2, SOCK_MAGIC);
        assert!(decode(&good).is_ok());
        assert_eq!(decode(&good[..39]), Err(SockError::Length(39)));
        assert_eq!(decode(&[0; 41]), Err(SockError::Length(41)));
        assert_eq!(decode(&[]), Err(SockError::Length(0)));
        let swapped = SOCK_MAGIC.swap_bytes();
        assert_eq!(
            decode(&datagram(1, 2, 0.5, 0, 0, swapped)),
            Err(SockError::Magic(swapped))
        );
        assert_eq!(
            decode(&datagram(1, 2, 0.5, 0, 3, SOCK_MAGIC)),
            Err(SockError::Leap(3))
        );
        assert_eq!(
            decode(&datagram(1, 2, 0.5, 0, -1, SOCK_MAGIC)),
            Err(SockError::Leap(-1))
        );
        assert_eq!(
            decode(&datagram(1, 2, f64::NAN, 0, 0, SOCK_MAGIC)),
            Err(SockError::Offset)
        );
        assert_eq!(
            decode(&datagram(1, 2, f64::INFINITY, 0, 0, SOCK_MAGIC)),
            Err(SockError::Offset)
        );
        assert_eq!(
            decode(&datagram(1, 1_000_000, 0.5, 0, 0, SOCK_MAGIC)),
            Err(SockError::Microseconds(1_000_000))
        );
        assert_eq!(
            decode(&datagram(1, -1, 0.5, 0, 0, SOCK_MAGIC)),
            Err(SockError::Microseconds(-1))
        );
    }

    #[test]
    fn layout_offsets() {
        // The magic's bytes sit at 36..40, "SOCK" read as a native integer.
        let d = datagram(0, 0, 0.0, 0, 0, SOCK_MAGIC);
        assert_eq!(&d[36..40], &SOCK_MAGIC.to_ne_bytes());
        if cfg!(target_endian = "little") {
            assert_eq!(&d[36..40], b"KCOS");
        }
    }
}
