//! The dashboard's history in a file, so that a restart keeps its charts
//! (`[observability] dashboard-history-file`). Sans-IO: [`History::save`]
//! makes the bytes, [`History::restore`] takes them; the dashboard's
//! recorder writes and reads the file.
//!
//! The seconds of a history count from its own second 0, whose Unix time
//! (a whole minute) is saved with it; a restored history is moved onto
//! the new second 0 by the difference of the two, a whole number of
//! minutes, so its one-minute buckets stay the clock's minutes. What falls
//! before the new second 0, or after the new now (the system clock went
//! back), is left out.
//!
//! The format (little-endian): the magic [`MAGIC`]; second 0's Unix time
//! (i64) and the saved now (u32); the number of series (u16); per series
//! its name (u8 length, UTF-8), first and last seconds (u32), samples
//! (u64), the one-second points (u16 count, each second u32 and three f32,
//! NaN for none), the closed buckets (u16 count, each minute u32 and nine
//! f32) and the bucket being filled (u8 flag, then minute u32, minimum,
//! maximum and sum f64 ×3 each, counts u32 ×3). Every count and length is
//! checked against the history's bounds before anything is allocated, so
//! a file can never make it larger than one built by recording.

use super::{
    Accumulator, BUCKETS, Bucket, EMPTY, History, MAX_NAME_BYTES, MAX_SERIES, RECENT_SECONDS,
    Series, Slot,
};

/// The first bytes of a history file (version 1).
pub const MAGIC: &[u8; 16] = b"TEMPORA-HISTORY1";

/// The largest file a history makes (every series full), with room to
/// spare: a reader may refuse anything longer unread.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Why a history file was not restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryFileError {
    /// Not a history file of this version.
    BadMagic,
    /// It ends inside a record.
    Truncated,
    /// A count, length or second out of bounds, or a name not UTF-8.
    Malformed(&'static str),
    /// Bytes after the last series.
    TrailingBytes,
    /// Saved in the future of the new history's now (the clock went back).
    FromTheFuture,
}

impl std::fmt::Display for HistoryFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistoryFileError::BadMagic => write!(f, "not a dashboard history file"),
            HistoryFileError::Truncated => write!(f, "truncated"),
            HistoryFileError::Malformed(what) => write!(f, "malformed: {what}"),
            HistoryFileError::TrailingBytes => write!(f, "bytes after the last series"),
            HistoryFileError::FromTheFuture => {
                write!(f, "saved after now (the system clock went back)")
            }
        }
    }
}

/// A cursor over the file's bytes.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HistoryFileError> {
        if self.data.len() < n {
            return Err(HistoryFileError::Truncated);
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], HistoryFileError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, HistoryFileError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, HistoryFileError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, HistoryFileError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, HistoryFileError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, HistoryFileError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> Result<f32, HistoryFileError> {
        Ok(f32::from_le_bytes(self.array()?))
    }
    fn f64(&mut self) -> Result<f64, HistoryFileError> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

/// Moves a saved second onto the new second 0: `None` when it falls
/// before it or after `now`.
#[derive(Debug, Clone, Copy)]
struct Shift {
    by: i64,
    now: u32,
}

impl Shift {
    fn second(self, saved: u32) -> Option<u32> {
        u32::try_from(i64::from(saved) + self.by)
            .ok()
            .filter(|s| *s != EMPTY && *s <= self.now)
    }

    fn minute(self, saved: u32) -> Option<u32> {
        let second = i64::from(saved) * i64::from(super::BUCKET_SECONDS) + self.by;
        u32::try_from(second)
            .ok()
            .filter(|s| *s <= self.now)
            .map(|s| s / super::BUCKET_SECONDS)
    }
}

impl Series {
    fn save(&self, out: &mut Vec<u8>) {
        out.push(self.name.len() as u8);
        out.extend_from_slice(self.name.as_bytes());
        for v in [self.first, self.last] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.samples.to_le_bytes());
        let slots: Vec<&Slot> = self.recent.iter().filter(|s| s.second != EMPTY).collect();
        out.extend_from_slice(&(slots.len() as u16).to_le_bytes());
        for s in slots {
            out.extend_from_slice(&s.second.to_le_bytes());
            s.values
                .iter()
                .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        }
        let buckets: Vec<&Bucket> = self.buckets.iter().filter(|b| b.minute != EMPTY).collect();
        out.extend_from_slice(&(buckets.len() as u16).to_le_bytes());
        for b in buckets {
            out.extend_from_slice(&b.minute.to_le_bytes());
            b.stats
                .iter()
                .flatten()
                .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        }
        match &self.open {
            None => out.push(0),
            Some(a) => {
                out.push(1);
                out.extend_from_slice(&a.minute.to_le_bytes());
                for v in a.min.iter().chain(&a.max).chain(&a.sum) {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                a.count
                    .iter()
                    .for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
            }
        }
    }

    fn restore(r: &mut Reader<'_>, shift: Shift) -> Result<Series, HistoryFileError> {
        let len = usize::from(r.u8()?);
        if len > MAX_NAME_BYTES {
            return Err(HistoryFileError::Malformed("series name too long"));
        }
        let name = std::str::from_utf8(r.take(len)?)
            .map_err(|_| HistoryFileError::Malformed("series name not UTF-8"))?;
        let mut series = Series::new(name, 0);
        let (first, last) = (r.u32()?, r.u32()?);
        series.samples = r.u64()?;
        let slots = r.u16()?;
        if u32::from(slots) > RECENT_SECONDS {
            return Err(HistoryFileError::Malformed("too many points"));
        }
        for _ in 0..slots {
            let (second, values) = (r.u32()?, [r.f32()?, r.f32()?, r.f32()?]);
            if let Some(second) = shift.second(second) {
                series.recent[(second % RECENT_SECONDS) as usize] = Slot { second, values };
            }
        }
        let buckets = r.u16()?;
        if u32::from(buckets) > BUCKETS {
            return Err(HistoryFileError::Malformed("too many buckets"));
        }
        for _ in 0..buckets {
            let minute = r.u32()?;
            let mut stats = [[0f32; 3]; 3];
            for v in stats.iter_mut().flatten() {
                *v = r.f32()?;
            }
            if let Some(minute) = shift.minute(minute) {
                series.buckets[(minute % BUCKETS) as usize] = Bucket { minute, stats };
            }
        }
        series.open = match r.u8()? {
            0 => None,
            1 => restore_open(r, shift)?,
            _ => return Err(HistoryFileError::Malformed("bad open-bucket flag")),
        };
        series.first = shift.second(first).unwrap_or(0);
        series.last = if last == EMPTY {
            EMPTY
        } else {
            shift.second(last).unwrap_or(EMPTY)
        };
        Ok(series)
    }
}

/// The bucket being filled, read and moved (`None` if it falls outside).
fn restore_open(r: &mut Reader<'_>, shift: Shift) -> Result<Option<Accumulator>, HistoryFileError> {
    let minute = r.u32()?;
    let mut a = Accumulator::new(0);
    for v in a
        .min
        .iter_mut()
        .chain(a.max.iter_mut())
        .chain(a.sum.iter_mut())
    {
        *v = r.f64()?;
    }
    for c in &mut a.count {
        *c = r.u32()?;
    }
    Ok(shift.minute(minute).map(|m| Accumulator { minute: m, ..a }))
}

impl History {
    /// The history as a file's bytes; `origin_unix` is the Unix time of
    /// its second 0 and `now` its current second.
    pub fn save(&self, origin_unix: i64, now: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.series.len() * 64 * 1024);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&origin_unix.to_le_bytes());
        out.extend_from_slice(&now.to_le_bytes());
        out.extend_from_slice(&(self.series.len() as u16).to_le_bytes());
        for s in &self.series {
            s.save(&mut out);
        }
        out
    }

    /// The history saved in `data`, moved onto a new second 0 at Unix
    /// time `origin_unix` (a whole minute) whose current second is `now`.
    pub fn restore(data: &[u8], origin_unix: i64, now: u32) -> Result<History, HistoryFileError> {
        let mut r = Reader { data };
        if r.take(MAGIC.len())
            .map_err(|_| HistoryFileError::BadMagic)?
            != MAGIC
        {
            return Err(HistoryFileError::BadMagic);
        }
        let saved_origin = r.i64()?;
        let saved_now = r.u32()?;
        let by = saved_origin
            .checked_sub(origin_unix)
            .ok_or(HistoryFileError::Malformed("second 0 out of range"))?;
        if by % i64::from(super::BUCKET_SECONDS) != 0 {
            return Err(HistoryFileError::Malformed("second 0 not a whole minute"));
        }
        if i64::from(saved_now) + by > i64::from(now) {
            return Err(HistoryFileError::FromTheFuture);
        }
        let count = usize::from(r.u16()?);
        if count > MAX_SERIES {
            return Err(HistoryFileError::Malformed("too many series"));
        }
        let shift = Shift { by, now };
        let mut history = History::new();
        for _ in 0..count {
            let s = Series::restore(&mut r, shift)?;
            if history.series.iter().any(|t| t.name == s.name) {
                return Err(HistoryFileError::Malformed("a series twice"));
            }
            history.series.push(s);
        }
        if !r.data.is_empty() {
            return Err(HistoryFileError::TrailingBytes);
        }
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BUCKET_SECONDS, Sample};
    use super::*;

    fn sample(v: f64) -> Sample {
        Sample {
            offset_ns: Some(v),
            frequency_ppb: None,
            delay_ns: Some(2.0 * v),
        }
    }

    /// A history recorded over two hours from second 0 (Unix 600,000).
    fn recorded() -> History {
        let mut h = History::new();
        for s in 0..7200u32 {
            h.record(s, "ntp:a", &sample(f64::from(s)));
            if s % 2 == 0 {
                h.record(s, "clock", &sample(-f64::from(s)));
            }
        }
        h
    }

    #[test]
    fn a_restart_keeps_the_charts_moved_onto_the_new_second_0() {
        let h = recorded();
        let bytes = h.save(600_000, 7199);
        assert!(bytes.len() < MAX_FILE_BYTES);
        // Restarted ten minutes later, its second 0 a day and an hour
        // before now (the dashboard's offset), now = 90,000.
        let restart_unix = 600_000 + 7200 + 600;
        let origin = restart_unix - 90_000;
        let r = History::restore(&bytes, origin, 90_000).unwrap();
        let by = 600_000 - origin;
        let before = h.recent("ntp:a", 7199, 0).unwrap();
        let after = r.recent("ntp:a", 90_000, 0).unwrap();
        // Its last second was 601 s before the restart's now: 2999 s of
        // it are still within the hour.
        assert_eq!(after.len(), 2999);
        assert_eq!(after.last().unwrap().second as i64, 7199 + by);
        assert_eq!(after.last().unwrap().values, before.last().unwrap().values);
        let buckets = r.downsampled("ntp:a", 90_000, 0).unwrap();
        assert_eq!(buckets.len(), 120, "two hours of minutes");
        assert_eq!(i64::from(buckets[0].second), by);
        assert_eq!(buckets[0].second % BUCKET_SECONDS, 0);
        assert!(r.contains("clock"));
        // New samples go on after it.
        let mut r = r;
        assert_eq!(
            r.record(90_000, "ntp:a", &sample(1.0)),
            super::super::Recorded::Kept
        );
    }

    #[test]
    fn what_is_too_old_or_from_the_future_is_left_out() {
        let h = recorded();
        let bytes = h.save(600_000, 7199);
        // Two days later: nothing within the day is left.
        let later = 600_000 + 7200 + 2 * 86_400 - 90_000;
        let r = History::restore(&bytes, later, 90_000).unwrap();
        assert!(r.recent("ntp:a", 90_000, 0).unwrap().is_empty());
        assert!(r.downsampled("ntp:a", 90_000, 0).unwrap().is_empty());
        // The clock went back an hour: refused.
        let earlier = 600_000 - 3600 - 90_000 + 7200;
        assert_eq!(
            History::restore(&bytes, earlier, 90_000).unwrap_err(),
            HistoryFileError::FromTheFuture
        );
    }

    #[test]
    fn malformed_files_are_refused_without_panicking() {
        let bytes = recorded().save(600_000, 7199);
        let origin = 600_000 + 7800 - 90_000;
        assert_eq!(
            History::restore(b"TEMPORA", origin, 90_000).unwrap_err(),
            HistoryFileError::BadMagic
        );
        for cut in [20, 31, 100, bytes.len() - 1] {
            assert_eq!(
                History::restore(&bytes[..cut], origin, 90_000).unwrap_err(),
                HistoryFileError::Truncated,
                "{cut}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            History::restore(&long, origin, 90_000).unwrap_err(),
            HistoryFileError::TrailingBytes
        );
        let mut many = bytes.clone();
        many[28..30].copy_from_slice(&500u16.to_le_bytes());
        assert!(matches!(
            History::restore(&many, origin, 90_000),
            Err(HistoryFileError::Malformed(_))
        ));
        assert!(matches!(
            History::restore(&bytes, origin + 30, 90_000),
            Err(HistoryFileError::Malformed(_))
        ));
    }
}
