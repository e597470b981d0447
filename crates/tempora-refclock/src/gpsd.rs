//! gpsd's JSON protocol (`gpsd_json(5)`, <https://gpsd.gitlab.io/gpsd/gpsd_json.html>),
//! as a time source reads it over TCP port 2947.
//!
//! The client sends [`WATCH_COMMAND`] (`?WATCH=` with `enable`, `json` and
//! `pps`: gpsd then streams reports, with TOFF and PPS ones); each report is
//! one JSON object on one line, whose `class` names its type. [`decode`]
//! reads one line into a [`Report`]: TPV (time-position-velocity: `mode`,
//! `time`, `leapseconds`), PPS and TOFF (the GPS time and the system clock's
//! time of a pulse edge, or of the start of the reporting cycle), VERSION
//! and DEVICES. Reports of other classes (SKY, WATCH, ATT, ...) are
//! [`Report::Ignored`]. Use [`crate::line::LineAssembler`] with
//! [`MAX_LINE`] to split the stream.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;
use tempora_clock::{Duration, Time};

use crate::civil::{self, Date, TimeOfDay};

/// The command that starts the report stream: JSON reports, with PPS and
/// TOFF ones (`gpsd_json(5)`, WATCH: `enable`, `json`, `pps`). A request
/// line is at most 80 characters.
pub const WATCH_COMMAND: &[u8] = b"?WATCH={\"enable\":true,\"json\":true,\"pps\":true};\n";

/// The longest report line kept: far above gpsd's own response limit
/// (`GPS_JSON_RESPONSE_MAX`, a few kilobytes), so that only a broken stream
/// hits it.
pub const MAX_LINE: usize = 16 * 1024;

/// One report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A TPV report.
    Tpv(Tpv),
    /// A PPS report: a pulse edge.
    Pps(TimeOffset),
    /// A TOFF report: the serial time at the start of a reporting cycle.
    Toff(TimeOffset),
    /// A VERSION report (the first line gpsd sends).
    Version(Version),
    /// A DEVICES report: the devices gpsd knows.
    Devices(Vec<Device>),
    /// A report of another class, ignored.
    Ignored,
}

/// TPV: time-position-velocity (`gpsd_json(5)`, TPV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tpv {
    /// The device it came from, if named.
    pub device: Option<String>,
    /// NMEA-style fix mode: 0 unknown, 1 no fix, 2 2D, 3 3D.
    pub mode: u8,
    /// `time`: the fix's UTC time, if present.
    pub time: Option<Time>,
    /// `leapseconds`: GPS − UTC in seconds, as the receiver knows it, if sent.
    pub leapseconds: Option<i32>,
}

/// PPS and TOFF (`gpsd_json(5)`): the GPS's time of an instant (`real_*`)
/// and the system clock's (`clock_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOffset {
    /// The device it came from.
    pub device: Option<String>,
    /// The GPS time (`real_sec`, `real_nsec`), UTC.
    pub real: Time,
    /// The system clock's time (`clock_sec`, `clock_nsec`).
    pub clock: Time,
    /// `precision`: log2 of the precision in seconds, if sent.
    pub precision: Option<i32>,
}

/// VERSION (`gpsd_json(5)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// `release`: gpsd's version.
    pub release: String,
    /// `proto_major`.
    pub proto_major: u32,
    /// `proto_minor`.
    pub proto_minor: u32,
}

/// One DEVICE object of a DEVICES report (`gpsd_json(5)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// `path`: the device's name.
    pub path: Option<String>,
    /// `driver`: gpsd's driver for it, once it knows.
    pub driver: Option<String>,
}

/// Why a line is not a usable report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpsdError {
    /// Not a JSON object with a string `class`.
    NotJson,
    /// A known class with a missing or malformed field.
    InvalidField(&'static str),
    /// A TPV without a fix good enough for time (`mode` below 2) or
    /// without a `time`.
    NoFix {
        /// Its mode.
        mode: u8,
    },
}

impl TimeOffset {
    /// real − clock: the source's offset θ at `clock`.
    pub fn offset(&self) -> Duration {
        self.real - self.clock
    }
}

impl Tpv {
    /// The fix's time, if the fix is at least 2D (`mode` ≥ 2) and has one.
    pub fn fix_time(&self) -> Result<Time, GpsdError> {
        match self.time {
            Some(t) if self.mode >= 2 => Ok(t),
            _ => Err(GpsdError::NoFix { mode: self.mode }),
        }
    }
}

#[derive(Deserialize)]
struct Class<'a> {
    #[serde(borrow)]
    class: &'a str,
}

#[derive(Deserialize)]
struct RawTpv {
    device: Option<String>,
    mode: Option<u8>,
    time: Option<String>,
    leapseconds: Option<i32>,
}

#[derive(Deserialize)]
struct RawOffset {
    device: Option<String>,
    real_sec: Option<i64>,
    real_nsec: Option<i64>,
    clock_sec: Option<i64>,
    clock_nsec: Option<i64>,
    precision: Option<i32>,
}

#[derive(Deserialize)]
struct RawVersion {
    release: Option<String>,
    proto_major: Option<u32>,
    proto_minor: Option<u32>,
}

#[derive(Deserialize)]
struct RawDevices {
    devices: Option<Vec<RawDevice>>,
}

#[derive(Deserialize)]
struct RawDevice {
    path: Option<String>,
    driver: Option<String>,
}

/// Decodes one report line (without its line end).
pub fn decode(line: &[u8]) -> Result<Report, GpsdError> {
    let class: Class<'_> = serde_json::from_slice(line).map_err(|_| GpsdError::NotJson)?;
    let bad = |_| GpsdError::InvalidField("object");
    Ok(match class.class {
        "TPV" => Report::Tpv(tpv(serde_json::from_slice(line).map_err(bad)?)?),
        "PPS" => Report::Pps(offset(serde_json::from_slice(line).map_err(bad)?)?),
        "TOFF" => Report::Toff(offset(serde_json::from_slice(line).map_err(bad)?)?),
        "VERSION" => {
            let v: RawVersion = serde_json::from_slice(line).map_err(bad)?;
            Report::Version(Version {
                release: v.release.ok_or(GpsdError::InvalidField("release"))?,
                proto_major: v
                    .proto_major
                    .ok_or(GpsdError::InvalidField("proto_major"))?,
                proto_minor: v
                    .proto_minor
                    .ok_or(GpsdError::InvalidField("proto_minor"))?,
            })
        }
        "DEVICES" => {
            let d: RawDevices = serde_json::from_slice(line).map_err(bad)?;
            let devices = d.devices.ok_or(GpsdError::InvalidField("devices"))?;
            Report::Devices(
                devices
                    .into_iter()
                    .map(|d| Device {
                        path: d.path,
                        driver: d.driver,
                    })
                    .collect(),
            )
        }
        _ => Report::Ignored,
    })
}

fn tpv(raw: RawTpv) -> Result<Tpv, GpsdError> {
    let time = match raw.time {
        Some(t) => Some(parse_iso8601(&t).ok_or(GpsdError::InvalidField("time"))?),
        None => None,
    };
    Ok(Tpv {
        device: raw.device,
        mode: raw.mode.ok_or(GpsdError::InvalidField("mode"))?,
        time,
        leapseconds: raw.leapseconds,
    })
}

fn offset(raw: RawOffset) -> Result<TimeOffset, GpsdError> {
    let time = |sec: Option<i64>, nsec: Option<i64>, name| {
        let nsec = nsec
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n < 1_000_000_000)
            .ok_or(GpsdError::InvalidField(name))?;
        Ok(Time::from_secs_nanos(
            sec.ok_or(GpsdError::InvalidField(name))?,
            nsec,
        ))
    };
    Ok(TimeOffset {
        device: raw.device,
        real: time(raw.real_sec, raw.real_nsec, "real")?,
        clock: time(raw.clock_sec, raw.clock_nsec, "clock")?,
        precision: raw.precision,
    })
}

/// `YYYY-MM-DDThh:mm:ss[.f...]Z` (ISO 8601 / RFC 3339 in UTC, as gpsd
/// writes `time`), to the POSIX timescale.
pub fn parse_iso8601(s: &str) -> Option<Time> {
    let b = s.as_bytes();
    let num = |r: core::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        d.iter().try_fold(0u32, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + u32::from(c - b'0'))
        })
    };
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return None;
    }
    let date = Date::new(num(0..4)? as i32, num(5..7)? as u8, num(8..10)? as u8)?;
    let rest = b.get(19..)?;
    let (frac, zulu) = match rest.split_first() {
        Some((b'.', f)) => f.split_at(f.iter().position(|&c| c == b'Z')?),
        _ => (&b""[..], rest),
    };
    if zulu != b"Z" || frac.len() > 9 || (rest.first() == Some(&b'.') && frac.is_empty()) {
        return None;
    }
    let mut nanos = 0u32;
    for (i, &c) in frac.iter().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
    }
    let time = TimeOfDay::new(
        num(11..13)? as u8,
        num(14..16)? as u8,
        num(17..19)? as u8,
        nanos,
    )?;
    Some(civil::utc(date, time))
}

#[cfg(test)]
mod tests;
