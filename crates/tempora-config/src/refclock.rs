//! The `[[refclock]]` sections: reference clocks as sources of the one
//! source selection (issue 16; docs/refclocks.md). Each names a driver and
//! the driver's keys; the selection keys (`prefer`, `noselect`, `trust`,
//! `require`, `offset`, `max-delay`) are those of the other source kinds,
//! and `poll`, `filter` and `delay` are as chrony's `refclock` options.
//!
//! One table type holds every driver's keys; which of them a driver
//! needs, allows or forbids is checked by `crate::check_refclock`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tempora_clock::Duration;

use crate::values;

/// gpsd's default address (its TCP port 2947 on the loopback).
pub const DEFAULT_GPSD_ADDRESS: &str = "127.0.0.1:2947";

/// The first NTP SHM key (`NTP0`); segment N has key
/// `SHM_KEY_BASE + N` (ntpd's driver 28).
pub const SHM_KEY_BASE: u32 = 0x4e54_5030;

/// A reference clock's driver (`driver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefclockDriver {
    /// RFC 2783 PPS API on `/dev/ppsN` (PPS_FETCH).
    Pps,
    /// The NTP shared-memory segment (ntpd driver 28), as gpsd writes it.
    Shm,
    /// gpsd's JSON protocol over TCP.
    Gpsd,
    /// chrony's SOCK datagrams on a Unix socket the daemon binds.
    Sock,
    /// NMEA 0183 from a serial device.
    Nmea,
    /// Another PTP hardware clock (`/dev/ptpN`).
    Phc,
    /// A PPS into a PHC's external-timestamp channel, its seconds named by
    /// another (gpsd or NMEA) refclock (`tod`): linuxptp's `ts2phc`.
    Extts,
}

impl RefclockDriver {
    /// The name in the file and the status.
    pub fn name(self) -> &'static str {
        match self {
            RefclockDriver::Pps => "pps",
            RefclockDriver::Shm => "shm",
            RefclockDriver::Gpsd => "gpsd",
            RefclockDriver::Sock => "sock",
            RefclockDriver::Nmea => "nmea",
            RefclockDriver::Phc => "phc",
            RefclockDriver::Extts => "extts",
        }
    }
}

/// Which PPS edge marks the second (`edge`, RFC 2783 §3.3); for an
/// `extts` refclock `rising` is `assert` and `falling` is `clear`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PpsEdgeSetting {
    /// The assert edge (the default); `rising` for an `extts` refclock.
    #[default]
    #[serde(alias = "rising")]
    Assert,
    /// The clear edge; `falling` for an `extts` refclock.
    #[serde(alias = "falling")]
    Clear,
}

/// The timescale a PHC counts (`timescale`, extts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhcTimescaleSetting {
    /// TAI, the PTP timescale (IEEE 1588-2019 §7.2.3; the default).
    #[default]
    Tai,
    /// UTC.
    Utc,
}

/// One `[[refclock]]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RefclockSettings {
    /// `name`: the source's name in the status and in another refclock's
    /// `lock` (unique; letters, digits, `-`, `_`, at most 16).
    pub name: String,
    /// `driver`.
    pub driver: RefclockDriver,
    /// `device`: `/dev/ppsN` (pps), the serial port (nmea), `/dev/ptpN`
    /// (phc), or for gpsd the device path whose reports are used (default:
    /// any).
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub device: Option<PathBuf>,
    /// `edge` (pps): `assert` (default) or `clear`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<PpsEdgeSetting>,
    /// `lock` (pps): the refclock that numbers the pulses' seconds; absent:
    /// the disciplined clock, once its error bound is within 0.4 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// `segment` (shm): 0 to 3, key `0x4e545030` + segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<u8>,
    /// `mode` (shm): the one segment mode accepted, 0 or 1 (default: both,
    /// as the writer chooses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u8>,
    /// `address` (gpsd): `HOST:PORT` (default 127.0.0.1:2947).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `path` (sock): the Unix datagram socket the daemon binds.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub path: Option<PathBuf>,
    /// `baud` (nmea): the serial speed (default 9600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baud: Option<u32>,
    /// `pin` (extts): the PHC pin the PPS is wired to, set to the
    /// external-timestamp function (absent: the channel's input is fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<u32>,
    /// `channel` (extts): the external-timestamp channel (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<u32>,
    /// `tod` (extts): the gpsd or nmea refclock that names the seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tod: Option<String>,
    /// `pulse-delay` (extts): how long after the second the pulse reaches
    /// the pin (cable and receiver output delay; default 0).
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub pulse_delay: Option<Duration>,
    /// `timescale` (extts): what the PHC counts, `tai` (default) or `utc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timescale: Option<PhcTimescaleSetting>,
    /// `poll` (default 16 s): one filtered sample to the selection this
    /// often; a power of two from 1 s to 1024 s.
    #[serde(default = "default_poll", with = "values::text")]
    pub poll: Duration,
    /// `filter` (default 16): samples kept per poll for the median filter.
    #[serde(default = "default_filter")]
    pub filter: u16,
    /// `offset`: added to every offset measured (a receiver's fixed
    /// latency: positive when its time arrives late), as chrony's.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<Duration>,
    /// `delay` (default 1 ns): the source's round-trip delay in the
    /// selection, half of it counted in its error bound, as chrony's.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub delay: Option<Duration>,
    /// `prefer`, as an NTP source's (docs/sources.md).
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefer: bool,
    /// `noselect`, as an NTP source's.
    #[serde(default, skip_serializing_if = "is_false")]
    pub noselect: bool,
    /// `trust`, as an NTP source's.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trust: bool,
    /// `require`, as an NTP source's.
    #[serde(default, skip_serializing_if = "is_false")]
    pub require: bool,
    /// `max-delay`: samples with a larger `delay` are ignored.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_delay: Option<Duration>,
}

fn is_false(v: &bool) -> bool {
    !*v
}

fn default_poll() -> Duration {
    Duration::from_secs(16)
}

fn default_filter() -> u16 {
    16
}

impl RefclockSettings {
    /// The SHM key of the segment (shm).
    pub fn shm_key(&self) -> u32 {
        SHM_KEY_BASE + u32::from(self.segment.unwrap_or(0))
    }

    /// gpsd's address (gpsd): `address` or the default.
    pub fn gpsd_address(&self) -> &str {
        self.address.as_deref().unwrap_or(DEFAULT_GPSD_ADDRESS)
    }

    /// The delay of the source's samples (`delay`, default 1 ns).
    pub fn sample_delay(&self) -> Duration {
        self.delay.unwrap_or(Duration::from_nanos(1))
    }

    /// The poll interval as log2 seconds (`poll` is a power of two).
    pub fn log2_poll(&self) -> i8 {
        let secs = self.poll.as_secs_f64().max(1.0);
        secs.log2().round() as i8
    }
}
