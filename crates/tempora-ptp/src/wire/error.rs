//! Errors of the PTP wire codec.

use core::fmt;

/// Why a PTP message, TLV or frame could not be decoded or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before a field: `needed` bytes were required where
    /// only `available` remained.
    Truncated {
        /// Bytes the field needed, counted from the start of the structure.
        needed: usize,
        /// Bytes the structure had.
        available: usize,
    },
    /// The output buffer is too small for the encoding.
    BufferTooSmall {
        /// Bytes the encoding needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// `versionPTP` is not 2 (IEEE 1588-2019 §13.3.2.4): the layout is unknown.
    UnsupportedVersion(u8),
    /// `messageLength` (IEEE 1588-2019 §13.3.2.5) is shorter than the message
    /// type's fixed part or longer than the buffer.
    BadMessageLength {
        /// The value of `messageLength`.
        declared: u16,
        /// The smallest acceptable value for this message type.
        minimum: usize,
        /// The bytes available.
        available: usize,
    },
    /// A TLV's `lengthField` runs past the end of the message (IEEE 1588-2019 §14.1).
    BadTlvLength {
        /// The TLV's `tlvType`.
        tlv_type: u16,
        /// Its `lengthField`.
        length: u16,
    },
    /// A TLV with a fixed layout has a `lengthField` that does not fit it.
    WrongTlvLength {
        /// The TLV's `tlvType`.
        tlv_type: u16,
        /// Its `lengthField`.
        length: u16,
    },
    /// Fewer than four bytes remained in the message suffix, too few for a
    /// TLV header (IEEE 1588-2019 §13.4).
    TrailingBytes(usize),
    /// A management TLV's data field does not match its `managementId`
    /// (IEEE 1588-2019 §15.5).
    BadManagementData {
        /// The `managementId`.
        management_id: u16,
    },
    /// A value does not fit the field it must be encoded in.
    ValueOutOfRange,
    /// The frame is not a PTP frame (wrong EtherType or UDP port).
    NotPtp,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { needed, available } => {
                write!(f, "truncated: needed {needed} bytes, {available} available")
            }
            Error::BufferTooSmall { needed, available } => {
                write!(
                    f,
                    "output buffer too small: needed {needed} bytes, {available} available"
                )
            }
            Error::UnsupportedVersion(v) => write!(f, "unsupported versionPTP {v}"),
            Error::BadMessageLength {
                declared,
                minimum,
                available,
            } => write!(
                f,
                "bad messageLength {declared} (minimum {minimum}, {available} bytes available)"
            ),
            Error::BadTlvLength { tlv_type, length } => {
                write!(
                    f,
                    "TLV 0x{tlv_type:04x} length {length} runs past the message"
                )
            }
            Error::WrongTlvLength { tlv_type, length } => {
                write!(
                    f,
                    "TLV 0x{tlv_type:04x} has length {length}, which its layout does not allow"
                )
            }
            Error::TrailingBytes(n) => write!(f, "{n} trailing bytes too short for a TLV"),
            Error::BadManagementData { management_id } => {
                write!(
                    f,
                    "management TLV 0x{management_id:04x} has a malformed data field"
                )
            }
            Error::ValueOutOfRange => write!(f, "value out of range for its field"),
            Error::NotPtp => write!(f, "not a PTP frame"),
        }
    }
}

impl core::error::Error for Error {}

/// The result type of the PTP wire codec.
pub type Result<T> = core::result::Result<T, Error>;
