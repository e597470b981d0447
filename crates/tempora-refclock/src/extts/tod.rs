//! A time-of-day reading: which UTC second a receiver names, and when the
//! driver saw it, from an NMEA sentence ([`crate::nmea::Reading`]) or a
//! gpsd TPV report ([`crate::gpsd::Tpv`]).

use tempora_clock::Time;

use super::ExttsError;
use crate::gpsd::Tpv;
use crate::nmea::Reading;

/// TAI − GPS time in seconds: GPS time began at 1980-01-06 00:00:00 UTC,
/// when TAI − UTC was 19 s, and has no leap seconds (IS-GPS-200 §3.3.4),
/// so TAI − UTC = (GPS − UTC) + 19 s.
const TAI_MINUS_GPS: i32 = 19;

/// A ToD reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TodReading {
    /// The UTC second it names (POSIX timescale, whole second).
    pub second: Time,
    /// When the driver saw it, on the clock of the edges' seen times.
    pub seen: Time,
    /// TAI − UTC in seconds, if the source says.
    pub tai_offset: Option<i16>,
}

impl TodReading {
    /// A reading of `second` seen at `seen`; `second` must be whole.
    pub fn new(second: Time, seen: Time, tai_offset: Option<i16>) -> Result<Self, ExttsError> {
        if second.secs_nanos().1 != 0 || second.subnano_units() != 0 {
            return Err(ExttsError::TodNotOnSecond);
        }
        Ok(TodReading {
            second,
            seen,
            tai_offset,
        })
    }

    /// From an NMEA RMC or ZDA reading seen at `seen` (NMEA carries no
    /// TAI − UTC).
    pub fn from_nmea(reading: &Reading, seen: Time) -> Result<Self, ExttsError> {
        if !reading.valid {
            return Err(ExttsError::TodInvalid);
        }
        if reading.leap_second {
            return Err(ExttsError::TodLeapSecond);
        }
        Self::new(reading.utc, seen, None)
    }

    /// From a gpsd TPV report seen at `seen`: its fix time (a fix of at
    /// least 2D), and TAI − UTC from `leapseconds` (GPS − UTC) + 19 s.
    pub fn from_gpsd(tpv: &Tpv, seen: Time) -> Result<Self, ExttsError> {
        let second = tpv.fix_time().map_err(|_| ExttsError::TodInvalid)?;
        let tai_offset = tpv
            .leapseconds
            .and_then(|l| l.checked_add(TAI_MINUS_GPS))
            .and_then(|o| i16::try_from(o).ok());
        Self::new(second, seen, tai_offset)
    }
}
