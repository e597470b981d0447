//! The derived data types of IEEE 1588-2019 §5.3 and §7.5–7.6 as they appear
//! on the wire.

use core::fmt;

use super::cursor::{Reader, Writer};
use super::error::Result;

/// A clock's identity, `ClockIdentity` (IEEE 1588-2019 §5.3.4, §7.5.2.2): eight
/// octets, usually derived from an EUI-48 as `aa:bb:cc:ff:fe:dd:ee:ff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClockIdentity(pub [u8; 8]);

impl ClockIdentity {
    /// The identity an EUI-48 (MAC address) maps to by inserting `FF FE` in the
    /// middle (IEEE 1588-2019 §7.5.2.2.2).
    pub fn from_mac(mac: [u8; 6]) -> Self {
        ClockIdentity([mac[0], mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]])
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(ClockIdentity(r.array()?))
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.bytes(&self.0)
    }
}

/// Formats as linuxptp does: `001122.fffe.334455`.
impl fmt::Display for ClockIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
        )
    }
}

/// A port's identity, `PortIdentity` (IEEE 1588-2019 §5.3.5): clock identity
/// and port number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PortIdentity {
    /// `clockIdentity`.
    pub clock_identity: ClockIdentity,
    /// `portNumber`; 0xFFFF addresses all ports (IEEE 1588-2019 §7.5.2.3).
    pub port_number: u16,
}

impl PortIdentity {
    /// Encoded size in bytes.
    pub const LEN: usize = 10;

    /// The wildcard identity (all ones) that addresses every port of every
    /// clock, as used in management messages (IEEE 1588-2019 §15.4.1.2).
    pub const ALL: PortIdentity = PortIdentity {
        clock_identity: ClockIdentity([0xff; 8]),
        port_number: 0xffff,
    };

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(PortIdentity {
            clock_identity: ClockIdentity::read(r)?,
            port_number: r.u16()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        self.clock_identity.write(w)?;
        w.u16(self.port_number)
    }
}

/// Formats as linuxptp does: `001122.fffe.334455-1`.
impl fmt::Display for PortIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.clock_identity, self.port_number)
    }
}

/// `ClockQuality` (IEEE 1588-2019 §5.3.7, §7.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClockQuality {
    /// `clockClass` (§7.6.2.5), e.g. 6 for a locked GNSS grandmaster, 248 default.
    pub clock_class: u8,
    /// `clockAccuracy` (§7.6.2.6, Table 5), e.g. 0x21 for 100 ns, 0xFE unknown.
    pub clock_accuracy: u8,
    /// `offsetScaledLogVariance` (§7.6.3).
    pub offset_scaled_log_variance: u16,
}

impl ClockQuality {
    /// Encoded size in bytes.
    pub const LEN: usize = 4;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(ClockQuality {
            clock_class: r.u8()?,
            clock_accuracy: r.u8()?,
            offset_scaled_log_variance: r.u16()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.clock_class)?;
        w.u8(self.clock_accuracy)?;
        w.u16(self.offset_scaled_log_variance)
    }
}

/// A PTP `Timestamp` (IEEE 1588-2019 §5.3.3): 48-bit seconds and 32-bit
/// nanoseconds. The nanoseconds field is kept as received even when it is not
/// below 10^9, so that decoding and encoding round-trip exactly; see
/// [`Timestamp::is_valid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// `secondsField`, 48 bits.
    pub seconds: u64,
    /// `nanosecondsField`.
    pub nanoseconds: u32,
}

impl Timestamp {
    /// Encoded size in bytes.
    pub const LEN: usize = 10;
    /// The largest value `secondsField` can hold.
    pub const MAX_SECONDS: u64 = (1 << 48) - 1;

    /// True when the nanoseconds field is below 10^9 (IEEE 1588-2019 §5.3.3).
    pub fn is_valid(&self) -> bool {
        self.nanoseconds < 1_000_000_000
    }

    /// The timestamp in nanoseconds since the PTP epoch.
    pub fn total_nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanoseconds)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Timestamp {
            seconds: r.u48()?,
            nanoseconds: r.u32()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u48(self.seconds)?;
        w.u32(self.nanoseconds)
    }
}

/// Formats as `seconds.nanoseconds` with nine decimals.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.seconds, self.nanoseconds)
    }
}

/// `TimeInterval` (IEEE 1588-2019 §5.3.2): a signed time in units of
/// 2^-16 ns. The `correctionField` of the common header (§13.3.2.9) has the
/// same representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeInterval(pub i64);

impl TimeInterval {
    /// The value in (fractional) nanoseconds.
    pub fn as_nanos_f64(&self) -> f64 {
        self.0 as f64 / 65536.0
    }

    /// The whole nanoseconds, rounded toward negative infinity, and the
    /// remaining fraction in 2^-16 ns (0..65536).
    pub fn split_nanos(&self) -> (i64, u16) {
        (self.0 >> 16, (self.0 & 0xffff) as u16)
    }

    /// The interval that is `nanos` whole nanoseconds, or `None` if it does
    /// not fit.
    pub fn from_nanos(nanos: i64) -> Option<Self> {
        nanos.checked_mul(1 << 16).map(TimeInterval)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(TimeInterval(r.i64()?))
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.i64(self.0)
    }
}

/// Formats as nanoseconds with the fraction, e.g. `-12.5`.
impl fmt::Display for TimeInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let whole = abs >> 16;
        let frac = ((abs & 0xffff) * 1_000_000) >> 16;
        let sign = if neg { "-" } else { "" };
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let mut digits = frac;
            let mut width = 6;
            while digits % 10 == 0 {
                digits /= 10;
                width -= 1;
            }
            write!(f, "{sign}{whole}.{digits:0width$}")
        }
    }
}

/// A `PTPText` (IEEE 1588-2019 §5.3.9): a one-octet length and that many
/// octets of UTF-8. The bytes are kept as received; [`PtpText::as_str`] checks
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PtpText<'a>(pub &'a [u8]);

impl<'a> PtpText<'a> {
    /// Encoded size in bytes (length octet and text, without padding).
    pub fn encoded_len(&self) -> usize {
        1 + self.0.len()
    }

    /// The text, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.0).ok()
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self> {
        let n = r.u8()?;
        Ok(PtpText(r.bytes(usize::from(n))?))
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        let n = u8::try_from(self.0.len()).map_err(|_| super::Error::ValueOutOfRange)?;
        w.u8(n)?;
        w.bytes(self.0)
    }
}

/// Formats the text, replacing invalid UTF-8.
impl fmt::Display for PtpText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_interval_display() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(TimeInterval(0).to_string(), "0");
        assert_eq!(TimeInterval(1 << 16).to_string(), "1");
        assert_eq!(TimeInterval((12 << 16) + 32768).to_string(), "12.5");
        assert_eq!(TimeInterval(-((12 << 16) + 32768)).to_string(), "-12.5");
        assert_eq!(TimeInterval::from_nanos(-3).unwrap().split_nanos(), (-3, 0));
    }

    #[test]
    fn timestamp_layout() {
        // IEEE 1588-2019 §5.3.3: UInteger48 secondsField, UInteger32 nanosecondsField.
        let bytes = [0, 0, 0x6b, 0x01, 0xa1, 0x34, 0x31, 0x27, 0xd9, 0x42];
        let ts = Timestamp::read(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(ts.seconds, 0x6b01_a134);
        assert_eq!(ts.nanoseconds, 0x3127_d942);
        let mut out = [0u8; 10];
        ts.write(&mut Writer::new(&mut out)).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn clock_identity_format() {
        extern crate std;
        use std::string::ToString;
        let id = ClockIdentity::from_mac([0x2e, 0xf8, 0xca, 0x92, 0xc8, 0x43]);
        assert_eq!(id.to_string(), "2ef8ca.fffe.92c843");
    }
}
