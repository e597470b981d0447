//! The IERS/IANA `leap-seconds.list`, sans-IO: parsed from its bytes, its
//! SHA-1 checked, and asked what TAI − UTC is and whether a leap second is
//! due at the end of the current UTC day.
//!
//! # Format
//!
//! As the IERS publishes it (and IANA's tz database ships it, e.g. Debian's
//! `tzdata` as `/usr/share/zoneinfo/leap-seconds.list`):
//!
//! - `#$ SECONDS`: when the list was last updated (NTP seconds, since
//!   1900-01-01 00:00 UTC);
//! - `#@ SECONDS`: when it expires;
//! - `SECONDS TAI-UTC # comment`: from that instant on, TAI − UTC is that
//!   many seconds (the instant is midnight after the leap second);
//! - `#h HASH`: SHA-1 of the digits of the `#$` and `#@` values and of the
//!   first two fields of every data line, in file order, without white
//!   space, as five 32-bit words in hexadecimal (leading zeros of a word
//!   may be dropped, so each word is read as a number);
//! - every other line starting with `#` is a comment.
//!
//! A file with a missing or wrong hash, no `#@`, lines that do not parse,
//! or times that do not increase is refused with a [`LeapFileError`]; an
//! expired one is accepted and [`LeapSecondsList::is_expired`] says so
//! (like ntpd, which warns and uses it: an expired list still knows every
//! leap second up to its expiry).
//!
//! # Leap warnings
//!
//! [`LeapSecondsList::state_at`] says a leap second is pending during the
//! whole UTC day at whose end it falls: IEEE 1588-2019 §8.2.4.4 and
//! §8.2.4.5 define `leap59`/`leap61` as "the last minute of the current UTC
//! day" having 59/61 seconds, and RFC 5905 §7.3's LI 2/1 is the same
//! warning ("last minute of the day has 61/59 seconds").

use sha1::{Digest, Sha1};

use crate::clock::LeapStatus;
use crate::time::Time;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_TO_UNIX: i64 = 2_208_988_800;

/// Entries a list may hold (28 leap seconds so far, since 1972).
pub const MAX_ENTRIES: usize = 128;

/// Seconds in a UTC day without a leap second.
const DAY: i64 = 86_400;

/// One data line: from `at` (Unix seconds, UTC) on, TAI − UTC is
/// `tai_minus_utc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeapEntry {
    /// The instant, Unix seconds (the NTP value − [`NTP_TO_UNIX`]).
    pub at: i64,
    /// TAI − UTC from then on, s.
    pub tai_minus_utc: i16,
}

/// Why a list was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeapFileError {
    /// A line (1-based) did not parse.
    Syntax {
        /// The line number.
        line: usize,
    },
    /// A data line's time is not after the previous one's.
    NotIncreasing {
        /// The line number.
        line: usize,
    },
    /// More than [`MAX_ENTRIES`] data lines.
    TooManyEntries,
    /// No data lines.
    Empty,
    /// No `#@` (expiry) line.
    MissingExpiry,
    /// No `#h` (hash) line.
    MissingHash,
    /// The data do not hash to the `#h` value: the file was edited or
    /// truncated.
    HashMismatch,
}

impl core::fmt::Display for LeapFileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LeapFileError::Syntax { line } => write!(f, "line {line}: syntax error"),
            LeapFileError::NotIncreasing { line } => {
                write!(f, "line {line}: time not after the previous line's")
            }
            LeapFileError::TooManyEntries => write!(f, "more than {MAX_ENTRIES} entries"),
            LeapFileError::Empty => write!(f, "no leap second entries"),
            LeapFileError::MissingExpiry => write!(f, "no expiry (#@) line"),
            LeapFileError::MissingHash => write!(f, "no hash (#h) line"),
            LeapFileError::HashMismatch => write!(f, "SHA-1 hash does not match the data"),
        }
    }
}

/// A parsed, verified list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeapSecondsList {
    entries: [LeapEntry; MAX_ENTRIES],
    len: usize,
    /// `#$`, Unix seconds, if present.
    updated: Option<i64>,
    /// `#@`, Unix seconds.
    expires: i64,
}

/// TAI − UTC and the leap warning at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeapState {
    /// TAI − UTC now, s (`None` before the list's first entry, 1972).
    pub tai_minus_utc: Option<i16>,
    /// The leap second due at the end of the current UTC day.
    pub pending: LeapStatus,
    /// When it takes effect (midnight UTC after it), if pending.
    pub at: Option<Time>,
}

impl LeapSecondsList {
    /// Parses and verifies the bytes of a `leap-seconds.list`.
    pub fn parse(text: &[u8]) -> Result<Self, LeapFileError> {
        let mut list = LeapSecondsList {
            entries: [LeapEntry::default(); MAX_ENTRIES],
            len: 0,
            updated: None,
            expires: 0,
        };
        let mut expires = None;
        let mut hash = None;
        let mut hasher = Sha1::new();
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = i + 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let bad = LeapFileError::Syntax { line };
            if let Some(rest) = raw.strip_prefix(b"#$") {
                let digits = single_number(rest).ok_or(bad)?;
                hasher.update(digits);
                list.updated = Some(ntp_to_unix(digits).ok_or(bad)?);
            } else if let Some(rest) = raw.strip_prefix(b"#@") {
                let digits = single_number(rest).ok_or(bad)?;
                hasher.update(digits);
                expires = Some(ntp_to_unix(digits).ok_or(bad)?);
            } else if let Some(rest) = raw.strip_prefix(b"#h") {
                hash = Some(parse_hash(rest).ok_or(bad)?);
            } else if raw.first() == Some(&b'#') || is_blank(raw) {
                continue;
            } else {
                let (time, offset) = data_line(raw).ok_or(bad)?;
                hasher.update(time);
                hasher.update(offset);
                list.push(line, ntp_to_unix(time).ok_or(bad)?, offset, bad)?;
            }
        }
        list.expires = expires.ok_or(LeapFileError::MissingExpiry)?;
        if list.len == 0 {
            return Err(LeapFileError::Empty);
        }
        let want = hash.ok_or(LeapFileError::MissingHash)?;
        let got: [u8; 20] = hasher.finalize().into();
        if got != want {
            return Err(LeapFileError::HashMismatch);
        }
        Ok(list)
    }

    fn push(
        &mut self,
        line: usize,
        at: i64,
        offset: &[u8],
        bad: LeapFileError,
    ) -> Result<(), LeapFileError> {
        let tai_minus_utc = parse_u64(offset)
            .and_then(|v| i16::try_from(v).ok())
            .ok_or(bad)?;
        if self.len == MAX_ENTRIES {
            return Err(LeapFileError::TooManyEntries);
        }
        if self.len > 0 && self.entries[self.len - 1].at >= at {
            return Err(LeapFileError::NotIncreasing { line });
        }
        self.entries[self.len] = LeapEntry { at, tai_minus_utc };
        self.len += 1;
        Ok(())
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[LeapEntry] {
        &self.entries[..self.len]
    }

    /// When the list expires (UTC, Unix epoch).
    pub fn expires(&self) -> Time {
        unix_time(self.expires)
    }

    /// When it was last updated (`#$`), if it says.
    pub fn updated(&self) -> Option<Time> {
        self.updated.map(unix_time)
    }

    /// Whether it has expired at `now` (UTC).
    pub fn is_expired(&self, now: Time) -> bool {
        now >= self.expires()
    }

    /// TAI − UTC at `now` (UTC) and the leap second due at the end of
    /// `now`'s UTC day, if any.
    pub fn state_at(&self, now: Time) -> LeapState {
        let secs = now.secs_nanos().0;
        let entries = self.entries();
        let current = entries.iter().rev().find(|e| i128::from(e.at) <= secs);
        let next = entries.iter().find(|e| i128::from(e.at) > secs);
        let tai_minus_utc = current.map(|e| e.tai_minus_utc);
        let pending = match (current, next) {
            (Some(c), Some(n)) if i128::from(n.at) - secs <= i128::from(DAY) => {
                if n.tai_minus_utc > c.tai_minus_utc {
                    LeapStatus::Insert
                } else if n.tai_minus_utc < c.tai_minus_utc {
                    LeapStatus::Delete
                } else {
                    LeapStatus::None
                }
            }
            _ => LeapStatus::None,
        };
        LeapState {
            tai_minus_utc,
            at: (pending != LeapStatus::None)
                .then(|| next.map(|n| unix_time(n.at)))
                .flatten(),
            pending,
        }
    }
}

fn unix_time(secs: i64) -> Time {
    Time::from_secs_nanos(secs, 0)
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The one decimal number of `rest` (white space around it), as digits.
fn single_number(rest: &[u8]) -> Option<&[u8]> {
    let mut fields = rest
        .split(u8::is_ascii_whitespace)
        .filter(|f| !f.is_empty());
    let n = fields.next()?;
    (fields.next().is_none() && is_digits(n)).then_some(n)
}

/// The first two fields of a data line (before any `#`), as digits.
fn data_line(raw: &[u8]) -> Option<(&[u8], &[u8])> {
    let data = raw.split(|&b| b == b'#').next()?;
    let mut fields = data
        .split(u8::is_ascii_whitespace)
        .filter(|f| !f.is_empty());
    let time = fields.next()?;
    let offset = fields.next()?;
    (fields.next().is_none() && is_digits(time) && is_digits(offset)).then_some((time, offset))
}

fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.len() <= 19 && s.iter().all(u8::is_ascii_digit)
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if !is_digits(s) {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

fn ntp_to_unix(digits: &[u8]) -> Option<i64> {
    let ntp = i64::try_from(parse_u64(digits)?).ok()?;
    Some(ntp - NTP_TO_UNIX)
}

/// Five hexadecimal 32-bit words (leading zeros optional).
fn parse_hash(rest: &[u8]) -> Option<[u8; 20]> {
    let mut out = [0u8; 20];
    let mut words = rest
        .split(u8::is_ascii_whitespace)
        .filter(|f| !f.is_empty());
    for chunk in out.chunks_exact_mut(4) {
        let w = words.next()?;
        if w.is_empty() || w.len() > 8 {
            return None;
        }
        let v = w.iter().try_fold(0u32, |acc, &c| {
            let d = char::from(c).to_digit(16)?;
            Some((acc << 4) | d)
        })?;
        chunk.copy_from_slice(&v.to_be_bytes());
    }
    words.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests;
