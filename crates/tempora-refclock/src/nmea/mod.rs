//! NMEA 0183 sentences that carry UTC time (NMEA 0183 v4.11 §5–§6):
//! RMC (recommended minimum data: time, status, date), ZDA (time and date)
//! and GGA (fix data: time and fix quality).
//!
//! A sentence is `$` + address (a two-character talker ID and a
//! three-character sentence formatter) + `,`-separated fields + `*hh` + CR LF,
//! where `hh` is the XOR of every character between `$` and `*` in two hex
//! digits (§5.3.1). The checksum is required here: a sentence without one is
//! rejected. Parsing never panics: every failure is an [`NmeaError`].
//!
//! A receiver sends its sentences some time after the second they name; the
//! reading's time is the start of that second as the receiver labelled it.
//! The receiver's fixed latency is the source's configured `offset`, and a
//! PPS ([`crate::pps`]) gives the precise edge.

use crate::civil::{self, Date, TimeOfDay};
use tempora_clock::Time;

/// Why a line is not a usable sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NmeaError {
    /// No `$` start, no address, or not ASCII: not an NMEA sentence.
    NotASentence,
    /// No `*hh` checksum at the end.
    MissingChecksum,
    /// The checksum does not match the sentence (`computed` is ours).
    BadChecksum {
        /// The checksum in the sentence.
        stated: u8,
        /// The XOR of the characters between `$` and `*`.
        computed: u8,
    },
    /// A well-formed sentence of a type this parser does not read
    /// (including proprietary `$P...` sentences).
    Unsupported,
    /// Field `index` (0 = first after the address) is missing or malformed.
    InvalidField {
        /// The field's position after the address.
        index: usize,
    },
}

/// The talker that sent a sentence (NMEA 0183 §6.1.4, the first two
/// characters of the address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Talker {
    /// `GP`: GPS.
    Gps,
    /// `GL`: GLONASS.
    Glonass,
    /// `GA`: Galileo.
    Galileo,
    /// `BD` or `GB`: BeiDou.
    Beidou,
    /// `GQ`: QZSS.
    Qzss,
    /// `GI`: NavIC (IRNSS).
    Navic,
    /// `GN`: a combination of GNSS systems.
    Gnss,
    /// Any other two-character talker.
    Other([u8; 2]),
}

impl Talker {
    fn from_id(id: [u8; 2]) -> Talker {
        match &id {
            b"GP" => Talker::Gps,
            b"GL" => Talker::Glonass,
            b"GA" => Talker::Galileo,
            b"BD" | b"GB" => Talker::Beidou,
            b"GQ" => Talker::Qzss,
            b"GI" => Talker::Navic,
            b"GN" => Talker::Gnss,
            _ => Talker::Other(id),
        }
    }
}

/// RMC: recommended minimum specific GNSS data (NMEA 0183 §6.3, RMC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rmc {
    /// UTC time of the position fix (field 1).
    pub time: TimeOfDay,
    /// Status (field 2): `A` valid, `V` navigation receiver warning.
    pub status_valid: bool,
    /// The date (field 9, `ddmmyy`; two-digit years 80–99 are 1980–1999,
    /// 00–79 are 2000–2079).
    pub date: Date,
    /// The mode indicator (field 12, NMEA 0183 v2.3 and later), if present:
    /// `N` means the data are not valid.
    pub mode: Option<u8>,
}

/// ZDA: time and date (NMEA 0183 §6.3, ZDA). ZDA has no status field;
/// receivers leave the fields empty until they know the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zda {
    /// UTC time (field 1).
    pub time: TimeOfDay,
    /// Day (field 2), month (field 3) and four-digit year (field 4).
    pub date: Date,
}

/// GGA: global positioning system fix data (NMEA 0183 §6.3, GGA). It has
/// a time of day but no date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gga {
    /// UTC time of the position (field 1).
    pub time: TimeOfDay,
    /// GPS quality indicator (field 6): 0 fix not available, 1 GPS fix,
    /// 2 differential, 3 PPS, 4 RTK, 5 float RTK, 6 estimated (dead
    /// reckoning), 7 manual input, 8 simulator.
    pub quality: u8,
}

/// The sentences the parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// An RMC sentence.
    Rmc(Rmc),
    /// A ZDA sentence.
    Zda(Zda),
    /// A GGA sentence.
    Gga(Gga),
}

/// One parsed sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    /// Who sent it.
    pub talker: Talker,
    /// What it says.
    pub message: Message,
}

/// A UTC time read from a sentence, with whether the receiver vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The second the sentence names (with its fraction, usually zero), UTC
    /// on the POSIX timescale ([`civil::utc`]).
    pub utc: Time,
    /// Whether it names a leap second (23:59:60).
    pub leap_second: bool,
    /// RMC: status `A` and mode not `N`; ZDA: always (it has no status).
    pub valid: bool,
}

impl Sentence {
    /// The UTC time this sentence names, if it carries a date (RMC and ZDA;
    /// GGA has only a time of day).
    pub fn reading(&self) -> Option<Reading> {
        let (date, time, valid) = match self.message {
            Message::Rmc(r) => (r.date, r.time, r.status_valid && r.mode != Some(b'N')),
            Message::Zda(z) => (z.date, z.time, true),
            Message::Gga(_) => return None,
        };
        Some(Reading {
            utc: civil::utc(date, time),
            leap_second: time.second == 60,
            valid,
        })
    }
}

/// The NMEA 0183 checksum of `body` (the characters between `$` and `*`):
/// their XOR (§5.3.1).
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0, |a, b| a ^ b)
}

/// Parses one line (with or without its CR LF). Bytes before the last `$`
/// are ignored (noise on a serial line that was just opened).
pub fn parse(line: &[u8]) -> Result<Sentence, NmeaError> {
    let line = line.trim_ascii_end();
    let start = line
        .iter()
        .rposition(|&b| b == b'$')
        .ok_or(NmeaError::NotASentence)?;
    let sentence = line.get(start + 1..).ok_or(NmeaError::NotASentence)?;
    if !sentence.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Err(NmeaError::NotASentence);
    }
    let star = sentence
        .iter()
        .rposition(|&b| b == b'*')
        .ok_or(NmeaError::MissingChecksum)?;
    let (body, tail) = sentence.split_at(star);
    let stated = match tail {
        [b'*', h, l] => hex(*h)
            .zip(hex(*l))
            .map(|(h, l)| h << 4 | l)
            .ok_or(NmeaError::MissingChecksum)?,
        _ => return Err(NmeaError::MissingChecksum),
    };
    let computed = checksum(body);
    if stated != computed {
        return Err(NmeaError::BadChecksum { stated, computed });
    }
    parse_body(body)
}

fn parse_body(body: &[u8]) -> Result<Sentence, NmeaError> {
    let mut fields = body.split(|&b| b == b',');
    let address = fields.next().unwrap_or_default();
    let (talker, formatter) = match address {
        [b'P', ..] => return Err(NmeaError::Unsupported),
        [a, b, f @ ..]
            if f.len() == 3 && a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() =>
        {
            (Talker::from_id([*a, *b]), f)
        }
        _ => return Err(NmeaError::NotASentence),
    };
    let mut f = [&b""[..]; 13];
    for (slot, field) in f.iter_mut().zip(fields) {
        *slot = field;
    }
    let message = match formatter {
        b"RMC" => Message::Rmc(Rmc {
            time: time_field(f[0], 0)?,
            status_valid: match f[1] {
                b"A" => true,
                b"V" => false,
                _ => return Err(NmeaError::InvalidField { index: 1 }),
            },
            date: rmc_date(f[8])?,
            mode: match f[11] {
                [] => None,
                [m, ..] => Some(*m),
            },
        }),
        b"ZDA" => Message::Zda(Zda {
            time: time_field(f[0], 0)?,
            date: zda_date(f[1], f[2], f[3])?,
        }),
        b"GGA" => Message::Gga(Gga {
            time: time_field(f[0], 0)?,
            quality: match f[5] {
                [q @ b'0'..=b'9'] => q - b'0',
                _ => return Err(NmeaError::InvalidField { index: 5 }),
            },
        }),
        _ => return Err(NmeaError::Unsupported),
    };
    Ok(Sentence { talker, message })
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The value of an all-digit field, if it has exactly `len` digits (any
/// length if `len` is 0).
fn digits(field: &[u8], len: usize) -> Option<u32> {
    if field.is_empty() || (len != 0 && field.len() != len) || field.len() > 9 {
        return None;
    }
    field.iter().try_fold(0u32, |a, &c| {
        c.is_ascii_digit().then(|| a * 10 + u32::from(c - b'0'))
    })
}

/// `hhmmss` or `hhmmss.f...` (up to nine fraction digits).
fn time_field(field: &[u8], index: usize) -> Result<TimeOfDay, NmeaError> {
    let bad = NmeaError::InvalidField { index };
    let (whole, frac) = match field.iter().position(|&b| b == b'.') {
        Some(dot) => (&field[..dot], &field[dot + 1..]),
        None => (field, &b""[..]),
    };
    let hms = digits(whole, 6).ok_or(bad)?;
    let nanos = if frac.is_empty() {
        0
    } else {
        let n = digits(frac, 0).ok_or(bad)?;
        n * 10u32.pow(9 - frac.len() as u32)
    };
    // Each part is at most two digits, so the casts cannot truncate.
    TimeOfDay::new(
        (hms / 10_000) as u8,
        (hms / 100 % 100) as u8,
        (hms % 100) as u8,
        nanos,
    )
    .ok_or(bad)
}

fn rmc_date(field: &[u8]) -> Result<Date, NmeaError> {
    let bad = NmeaError::InvalidField { index: 8 };
    let dmy = digits(field, 6).ok_or(bad)?;
    let yy = (dmy % 100) as i32;
    let year = if yy >= 80 { 1900 + yy } else { 2000 + yy };
    Date::new(year, (dmy / 100 % 100) as u8, (dmy / 10_000) as u8).ok_or(bad)
}

fn zda_date(day: &[u8], month: &[u8], year: &[u8]) -> Result<Date, NmeaError> {
    let d = digits(day, 2).ok_or(NmeaError::InvalidField { index: 1 })?;
    let m = digits(month, 2)
        .filter(|m| (1..=12).contains(m))
        .ok_or(NmeaError::InvalidField { index: 2 })?;
    let y = digits(year, 4).ok_or(NmeaError::InvalidField { index: 3 })?;
    Date::new(y as i32, m as u8, d as u8).ok_or(NmeaError::InvalidField { index: 1 })
}

#[cfg(test)]
mod tests;
