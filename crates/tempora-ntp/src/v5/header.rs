//! The 48-octet NTPv5 header (draft-ietf-ntp-ntpv5, "Message Format").
//!
//! ```text
//! LI(2) VN(3)=5 Mode(3) | Stratum | Poll | Precision
//! Root Delay (time32) | Root Dispersion (time32)
//! Timescale | Era | Flags (16)
//! Server Cookie (64) | Client Cookie (64)
//! Receive Timestamp (64) | Transmit Timestamp (64)
//! ```
//!
//! Every field is kept as it was on the wire (unknown timescales and flag
//! bits included), so a decoded header re-encodes byte for byte.

use core::fmt;

use super::Time32;
use crate::wire::{Error, LeapIndicator, Mode, NtpTimestamp};

/// Length of the NTPv5 header, the minimum length of a message.
pub const V5_HEADER_LEN: usize = 48;
/// The version number of NTPv5.
pub const VERSION: u8 = 5;

/// The timescale of a request (asked for) or a response (of its
/// timestamps) ("Message Format", Timescale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timescale {
    /// 0: UTC.
    Utc,
    /// 1: TAI.
    Tai,
    /// 2: UT1.
    Ut1,
    /// 3: leap-smeared UTC.
    LeapSmearedUtc,
    /// Any other value, kept for an exact round trip.
    Unknown(u8),
}

impl Timescale {
    /// From the wire octet.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Timescale::Utc,
            1 => Timescale::Tai,
            2 => Timescale::Ut1,
            3 => Timescale::LeapSmearedUtc,
            other => Timescale::Unknown(other),
        }
    }

    /// The wire octet.
    pub const fn to_u8(self) -> u8 {
        match self {
            Timescale::Utc => 0,
            Timescale::Tai => 1,
            Timescale::Ut1 => 2,
            Timescale::LeapSmearedUtc => 3,
            Timescale::Unknown(v) => v,
        }
    }
}

impl fmt::Display for Timescale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timescale::Utc => f.write_str("UTC"),
            Timescale::Tai => f.write_str("TAI"),
            Timescale::Ut1 => f.write_str("UT1"),
            Timescale::LeapSmearedUtc => f.write_str("leap-smeared UTC"),
            Timescale::Unknown(v) => write!(f, "unknown ({v})"),
        }
    }
}

/// The 16-bit flags ("Message Format", Flags); unknown bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// 0x1: the server's clock is synchronized (responses only).
    pub const SYNCHRONIZED: u16 = 0x1;
    /// 0x2: interleaved mode asked for (request) or used (response).
    pub const INTERLEAVED: u16 = 0x2;
    /// 0x4: the server failed to authenticate the request.
    pub const AUTH_NAK: u16 = 0x4;

    /// Whether the Synchronized flag is set.
    pub const fn synchronized(self) -> bool {
        self.0 & Self::SYNCHRONIZED != 0
    }

    /// Whether the Interleaved Mode flag is set.
    pub const fn interleaved(self) -> bool {
        self.0 & Self::INTERLEAVED != 0
    }

    /// Whether the Authentication NAK flag is set.
    pub const fn auth_nak(self) -> bool {
        self.0 & Self::AUTH_NAK != 0
    }

    /// These flags with `bit` set or cleared.
    pub const fn with(self, bit: u16, on: bool) -> Self {
        if on {
            Flags(self.0 | bit)
        } else {
            Flags(self.0 & !bit)
        }
    }
}

/// A 64-bit client or server cookie ("Message Format").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cookie(pub [u8; 8]);

impl Cookie {
    /// The zero cookie (a request's server cookie before any response).
    pub const ZERO: Cookie = Cookie([0; 8]);

    /// From a random 64-bit number.
    pub const fn from_u64(v: u64) -> Self {
        Cookie(v.to_be_bytes())
    }

    /// Whether all octets are zero.
    pub fn is_zero(self) -> bool {
        self == Cookie::ZERO
    }
}

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", u64::from_be_bytes(self.0))
    }
}

/// The NTPv5 header ("Message Format"). The version is always 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Leap indicator; 3 means unknown (no source) in NTPv5.
    pub leap: LeapIndicator,
    /// 3 (request) or 4 (response); any mode decodes.
    pub mode: Mode,
    /// Stratum; 0 in requests, and in a response that carries no time.
    pub stratum: u8,
    /// The minimum poll interval (log2 s) the client must follow; 127
    /// means "never again".
    pub poll: i8,
    /// Precision of the timestamps, log2 s.
    pub precision: i8,
    /// Root delay.
    pub root_delay: Time32,
    /// Root dispersion.
    pub root_dispersion: Time32,
    /// Timescale asked for or served.
    pub timescale: Timescale,
    /// NTP era of the receive timestamp.
    pub era: u8,
    /// Flags.
    pub flags: Flags,
    /// The server's cookie (interleaved mode), or zero.
    pub server_cookie: Cookie,
    /// The client's random cookie, echoed in the response.
    pub client_cookie: Cookie,
    /// Server time the request arrived (T2); zero in requests.
    pub receive_timestamp: NtpTimestamp,
    /// Server time the response left (T3); zero in requests.
    pub transmit_timestamp: NtpTimestamp,
}

impl Header {
    /// A request asking for UTC with `client_cookie`, every other field
    /// zero (as the draft requires of requests).
    pub const fn request(client_cookie: Cookie) -> Self {
        Header {
            leap: LeapIndicator::NoWarning,
            mode: Mode::Client,
            stratum: 0,
            poll: 0,
            precision: 0,
            root_delay: Time32::ZERO,
            root_dispersion: Time32::ZERO,
            timescale: Timescale::Utc,
            era: 0,
            flags: Flags(0),
            server_cookie: Cookie::ZERO,
            client_cookie,
            receive_timestamp: NtpTimestamp::ZERO,
            transmit_timestamp: NtpTimestamp::ZERO,
        }
    }

    /// Decodes the first 48 octets of `buf`.
    ///
    /// Errors: [`Error::Truncated`], or [`Error::BadValue`] when the
    /// version is not 5.
    pub fn decode(buf: &[u8]) -> Result<Header, Error> {
        let b: &[u8; V5_HEADER_LEN] = buf
            .get(..V5_HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(Error::Truncated {
                needed: V5_HEADER_LEN,
                available: buf.len(),
            })?;
        if (b[0] >> 3) & 0b111 != VERSION {
            return Err(Error::BadValue { field: "version" });
        }
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let arr8 = |i: usize| -> [u8; 8] { core::array::from_fn(|k| b[i + k]) };
        Ok(Header {
            leap: LeapIndicator::from_bits(b[0] >> 6),
            mode: Mode::from_bits(b[0]),
            stratum: b[1],
            poll: b[2] as i8,
            precision: b[3] as i8,
            root_delay: Time32::from_bits(u32_at(4)),
            root_dispersion: Time32::from_bits(u32_at(8)),
            timescale: Timescale::from_u8(b[12]),
            era: b[13],
            flags: Flags(u16::from_be_bytes([b[14], b[15]])),
            server_cookie: Cookie(arr8(16)),
            client_cookie: Cookie(arr8(24)),
            receive_timestamp: NtpTimestamp::from_bits(u64::from_be_bytes(arr8(32))),
            transmit_timestamp: NtpTimestamp::from_bits(u64::from_be_bytes(arr8(40))),
        })
    }

    /// The 48 wire octets.
    pub fn to_bytes(&self) -> [u8; V5_HEADER_LEN] {
        let mut b = [0u8; V5_HEADER_LEN];
        b[0] = (self.leap.to_bits() << 6) | (VERSION << 3) | self.mode.to_bits();
        b[1] = self.stratum;
        b[2] = self.poll as u8;
        b[3] = self.precision as u8;
        b[4..8].copy_from_slice(&self.root_delay.to_bits().to_be_bytes());
        b[8..12].copy_from_slice(&self.root_dispersion.to_bits().to_be_bytes());
        b[12] = self.timescale.to_u8();
        b[13] = self.era;
        b[14..16].copy_from_slice(&self.flags.0.to_be_bytes());
        b[16..24].copy_from_slice(&self.server_cookie.0);
        b[24..32].copy_from_slice(&self.client_cookie.0);
        b[32..40].copy_from_slice(&self.receive_timestamp.to_bits().to_be_bytes());
        b[40..48].copy_from_slice(&self.transmit_timestamp.to_bits().to_be_bytes());
        b
    }

    /// Encodes into the start of `buf`; returns 48.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let available = buf.len();
        let dst = buf.get_mut(..V5_HEADER_LEN).ok_or(Error::BufferTooSmall {
            needed: V5_HEADER_LEN,
            available,
        })?;
        dst.copy_from_slice(&self.to_bytes());
        Ok(V5_HEADER_LEN)
    }
}

/// Whether `datagram` claims NTP version 5 (VN bits of the first octet).
pub fn is_v5(datagram: &[u8]) -> bool {
    datagram
        .first()
        .is_some_and(|b| (b >> 3) & 0b111 == VERSION)
}
