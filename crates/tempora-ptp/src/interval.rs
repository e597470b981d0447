//! [`LogInterval`]: a configured message interval, written as the base-2
//! logarithm of seconds (IEEE 1588-2019 §7.7.2).

use core::fmt;

use tempora_clock::Duration;

/// The mean or minimum interval between messages of one kind as a port is
/// configured with it: the base-2 logarithm of the interval in seconds, as
/// IEEE 1588-2019 §7.7.2 writes `logAnnounceInterval` (§7.7.2.2),
/// `logSyncInterval` (§7.7.2.3), `logMinDelayReqInterval` (§7.7.2.4) and
/// `logMinPdelayReqInterval` (§7.7.2.5).
///
/// The value is range-checked: from [`LogInterval::MIN`] (2^-7 s, 128
/// messages a second) to [`LogInterval::MAX`] (2^7 s, one message every
/// 128 s). The port data set and the wire carry the bare `Integer8`, which
/// a peer or a management message may set outside this range.
///
/// ```
/// use tempora_ptp::interval::LogInterval;
/// let i = LogInterval::new(-3).unwrap();
/// assert_eq!(i.get(), -3);
/// assert_eq!(i.duration().as_secs_f64(), 0.125);
/// assert_eq!(LogInterval::new(8), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogInterval(i8);

impl LogInterval {
    /// The shortest interval accepted: 2^-7 s.
    pub const MIN: LogInterval = LogInterval(-7);
    /// The longest interval accepted: 2^7 s.
    pub const MAX: LogInterval = LogInterval(7);
    /// One second (log2 0).
    pub const ONE_SECOND: LogInterval = LogInterval(0);

    /// The interval of `log2_seconds`, if it is within
    /// [`LogInterval::MIN`]`..=`[`LogInterval::MAX`].
    pub const fn new(log2_seconds: i8) -> Option<LogInterval> {
        if log2_seconds >= Self::MIN.0 && log2_seconds <= Self::MAX.0 {
            Some(LogInterval(log2_seconds))
        } else {
            None
        }
    }

    /// The base-2 logarithm of the interval in seconds, as the data sets
    /// and the `logMessageInterval` header field (§13.3.2.14) carry it.
    pub const fn get(self) -> i8 {
        self.0
    }

    /// The interval as a duration: 2^`self` seconds.
    pub fn duration(self) -> Duration {
        Duration::from_log2_secs(self.0)
    }
}

impl From<LogInterval> for i8 {
    fn from(v: LogInterval) -> i8 {
        v.0
    }
}

impl From<LogInterval> for i64 {
    fn from(v: LogInterval) -> i64 {
        i64::from(v.0)
    }
}

impl TryFrom<i8> for LogInterval {
    type Error = OutOfRange;

    fn try_from(v: i8) -> Result<Self, OutOfRange> {
        LogInterval::new(v).ok_or(OutOfRange(v))
    }
}

impl PartialEq<i8> for LogInterval {
    fn eq(&self, other: &i8) -> bool {
        self.0 == *other
    }
}

impl PartialEq<LogInterval> for i8 {
    fn eq(&self, other: &LogInterval) -> bool {
        *self == other.0
    }
}

impl fmt::Display for LogInterval {
    /// The logarithm, as written in configuration files (e.g. `-3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A log2 interval outside [`LogInterval::MIN`]`..=`[`LogInterval::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange(pub i8);

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "log2 interval {} is outside {}..={}",
            self.0,
            LogInterval::MIN.0,
            LogInterval::MAX.0
        )
    }
}

impl core::error::Error for OutOfRange {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_checked() {
        assert_eq!(LogInterval::new(-7).map(LogInterval::get), Some(-7));
        assert_eq!(LogInterval::new(7).map(LogInterval::get), Some(7));
        assert_eq!(LogInterval::new(-8), None);
        assert_eq!(LogInterval::new(8), None);
        assert_eq!(LogInterval::try_from(100), Err(OutOfRange(100)));
        assert_eq!(LogInterval::ONE_SECOND.duration(), Duration::from_secs(1));
        assert!(LogInterval::new(2).unwrap() == 2i8 && 2i8 == LogInterval::new(2).unwrap());
    }
}
