//! The first header octet: leap indicator and association mode
//! (RFC 5905 §7.3, Figure 8 and Figure 10).

use core::fmt;

/// Leap indicator, the two most significant bits of the first header octet
/// (RFC 5905 §7.3, Figure 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeapIndicator {
    /// 0: no warning.
    NoWarning,
    /// 1: the last minute of the day has 61 seconds.
    AddSecond,
    /// 2: the last minute of the day has 59 seconds.
    DeleteSecond,
    /// 3: unknown (clock unsynchronized).
    Unsynchronized,
}

impl LeapIndicator {
    /// Decodes the two low bits of `bits` (higher bits are ignored).
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => LeapIndicator::NoWarning,
            1 => LeapIndicator::AddSecond,
            2 => LeapIndicator::DeleteSecond,
            _ => LeapIndicator::Unsynchronized,
        }
    }

    /// The 2-bit wire value.
    pub const fn to_bits(self) -> u8 {
        match self {
            LeapIndicator::NoWarning => 0,
            LeapIndicator::AddSecond => 1,
            LeapIndicator::DeleteSecond => 2,
            LeapIndicator::Unsynchronized => 3,
        }
    }
}

impl fmt::Display for LeapIndicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeapIndicator::NoWarning => "no warning",
            LeapIndicator::AddSecond => "+1 s leap second",
            LeapIndicator::DeleteSecond => "-1 s leap second",
            LeapIndicator::Unsynchronized => "unsynchronized",
        })
    }
}

/// Association mode, the three least significant bits of the first header
/// octet (RFC 5905 §7.3, Figure 10).
///
/// Modes 6 (control, RFC 1305 Appendix B / RFC 9327) and 7 (private,
/// ntpd-specific) use a different packet layout; see
/// [`Packet::raw_body`](super::Packet::raw_body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// 0: reserved.
    Reserved0,
    /// 1: symmetric active.
    SymmetricActive,
    /// 2: symmetric passive.
    SymmetricPassive,
    /// 3: client.
    Client,
    /// 4: server.
    Server,
    /// 5: broadcast.
    Broadcast,
    /// 6: NTP control message.
    Control,
    /// 7: reserved for private use.
    Private,
}

impl Mode {
    /// Decodes the three low bits of `bits` (higher bits are ignored).
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b111 {
            0 => Mode::Reserved0,
            1 => Mode::SymmetricActive,
            2 => Mode::SymmetricPassive,
            3 => Mode::Client,
            4 => Mode::Server,
            5 => Mode::Broadcast,
            6 => Mode::Control,
            _ => Mode::Private,
        }
    }

    /// The 3-bit wire value.
    pub const fn to_bits(self) -> u8 {
        match self {
            Mode::Reserved0 => 0,
            Mode::SymmetricActive => 1,
            Mode::SymmetricPassive => 2,
            Mode::Client => 3,
            Mode::Server => 4,
            Mode::Broadcast => 5,
            Mode::Control => 6,
            Mode::Private => 7,
        }
    }

    /// Whether packets of this mode use the RFC 5905 §7.3 48-octet header
    /// (modes 0 to 5); modes 6 and 7 have their own formats.
    pub const fn has_ntp_header(self) -> bool {
        !matches!(self, Mode::Control | Mode::Private)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Reserved0 => "reserved",
            Mode::SymmetricActive => "symmetric active",
            Mode::SymmetricPassive => "symmetric passive",
            Mode::Client => "client",
            Mode::Server => "server",
            Mode::Broadcast => "broadcast",
            Mode::Control => "control",
            Mode::Private => "private",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        for b in 0..8u8 {
            assert_eq!(Mode::from_bits(b).to_bits(), b);
        }
        for b in 0..4u8 {
            assert_eq!(LeapIndicator::from_bits(b).to_bits(), b);
        }
        assert_eq!(LeapIndicator::from_bits(3), LeapIndicator::Unsynchronized);
        assert_eq!(Mode::from_bits(6), Mode::Control);
        assert_eq!(Mode::from_bits(7), Mode::Private);
        assert!(Mode::Client.has_ntp_header());
        assert!(!Mode::Control.has_ntp_header());
    }
}
