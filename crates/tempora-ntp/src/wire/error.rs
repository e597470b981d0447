//! Error type shared by all decoders and encoders of this crate.

use core::fmt;

/// Everything that can go wrong while decoding or encoding NTP/NTS wire data.
///
/// Offsets are relative to the start of the buffer handed to the decoder
/// that reported them (the NTP packet, the plaintext of an NTS encrypted
/// extension field, or the NTS-KE record stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The input ends before a fixed-size part of the structure.
    Truncated {
        /// Number of bytes the structure needs at least.
        needed: usize,
        /// Number of bytes that were available.
        available: usize,
    },
    /// The output buffer passed to an encoder is too short.
    BufferTooSmall {
        /// Number of bytes the encoder needs.
        needed: usize,
        /// Number of bytes the buffer has.
        available: usize,
    },
    /// An extension field length is below 16 octets or not a multiple of
    /// 4 (RFC 7822 §3).
    BadExtensionLength {
        /// Offset of the extension field header.
        offset: usize,
        /// The offending length field.
        length: u16,
    },
    /// An extension field length points past the end of the input
    /// (RFC 7822 §3).
    ExtensionOverrun {
        /// Offset of the extension field header.
        offset: usize,
        /// The length field of the extension field.
        length: u16,
        /// Bytes left in the input from `offset`.
        available: usize,
    },
    /// Bytes that form neither an extension field nor a legacy MAC remain
    /// at the end of the input (RFC 7822 §7).
    TrailingBytes {
        /// Offset of the first unparseable byte.
        offset: usize,
        /// Number of unparseable bytes.
        len: usize,
    },
    /// A typed view was requested for an extension field of another type.
    UnexpectedExtensionType {
        /// The field type the typed view accepts.
        expected: u16,
        /// The field type that was found.
        found: u16,
    },
    /// The nonce or ciphertext length of an NTS Authenticator and
    /// Encrypted Extension Fields body points past its end (RFC 8915 §5.6).
    AuthenticatorOverrun {
        /// Body bytes the lengths require (including padding).
        needed: usize,
        /// Body bytes available.
        available: usize,
    },
    /// An NTS-KE record whose type fixes the body length carries a body of
    /// another length (RFC 8915 §4.1).
    BadRecordLength {
        /// The record type (without the critical bit).
        record_type: u16,
        /// The body length found.
        length: u16,
    },
    /// A value to be encoded does not fit its wire field (for example a
    /// version above 7, a body longer than 65535 octets, or padding slices
    /// of the wrong size).
    FieldOutOfRange {
        /// Name of the field.
        field: &'static str,
    },
    /// A decoded field holds a value its format forbids (NTPv5: a version
    /// other than 5, non-zero padding after an extension field, a
    /// fixed-length extension field of another length).
    BadValue {
        /// Name of the field.
        field: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated { needed, available } => {
                write!(f, "truncated input: need {needed} bytes, have {available}")
            }
            Error::BufferTooSmall { needed, available } => write!(
                f,
                "output buffer too small: need {needed} bytes, have {available}"
            ),
            Error::BadExtensionLength { offset, length } => write!(
                f,
                "bad extension field length {length} at offset {offset} \
                 (must be >= 16 and a multiple of 4)"
            ),
            Error::ExtensionOverrun {
                offset,
                length,
                available,
            } => write!(
                f,
                "extension field at offset {offset} has length {length} \
                 but only {available} bytes remain"
            ),
            Error::TrailingBytes { offset, len } => write!(
                f,
                "{len} trailing bytes at offset {offset} are neither an \
                 extension field nor a MAC"
            ),
            Error::UnexpectedExtensionType { expected, found } => write!(
                f,
                "expected extension field type {expected:#06x}, found {found:#06x}"
            ),
            Error::AuthenticatorOverrun { needed, available } => write!(
                f,
                "NTS authenticator lengths need {needed} body bytes, have {available}"
            ),
            Error::BadRecordLength {
                record_type,
                length,
            } => write!(
                f,
                "NTS-KE record type {record_type} cannot have a {length}-byte body"
            ),
            Error::FieldOutOfRange { field } => {
                write!(f, "value of field `{field}` does not fit its wire encoding")
            }
            Error::BadValue { field } => write!(f, "field `{field}` holds a forbidden value"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn display_is_precise() {
        let cases: [(Error, &str); 9] = [
            (
                Error::Truncated {
                    needed: 48,
                    available: 3,
                },
                "truncated input: need 48 bytes, have 3",
            ),
            (
                Error::BufferTooSmall {
                    needed: 48,
                    available: 0,
                },
                "output buffer too small: need 48 bytes, have 0",
            ),
            (
                Error::BadExtensionLength {
                    offset: 48,
                    length: 8,
                },
                "bad extension field length 8 at offset 48 (must be >= 16 and a multiple of 4)",
            ),
            (
                Error::ExtensionOverrun {
                    offset: 48,
                    length: 36,
                    available: 32,
                },
                "extension field at offset 48 has length 36 but only 32 bytes remain",
            ),
            (
                Error::TrailingBytes { offset: 84, len: 2 },
                "2 trailing bytes at offset 84 are neither an extension field nor a MAC",
            ),
            (
                Error::UnexpectedExtensionType {
                    expected: 0x0404,
                    found: 0x0204,
                },
                "expected extension field type 0x0404, found 0x0204",
            ),
            (
                Error::AuthenticatorOverrun {
                    needed: 12,
                    available: 11,
                },
                "NTS authenticator lengths need 12 body bytes, have 11",
            ),
            (
                Error::BadRecordLength {
                    record_type: 7,
                    length: 3,
                },
                "NTS-KE record type 7 cannot have a 3-byte body",
            ),
            (
                Error::FieldOutOfRange { field: "version" },
                "value of field `version` does not fit its wire encoding",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
            let _: &dyn core::error::Error = &e;
        }
    }
}
