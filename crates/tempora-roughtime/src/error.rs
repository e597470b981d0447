//! Why a message, packet or field does not decode (RFC 10049 §4, §5).

use core::fmt;

use crate::tag::Tag;

/// A decoding or encoding error. Decoders return these; none panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The input ended: `needed` bytes were required, `available` there.
    Truncated {
        /// Bytes required.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// A message's length is not a multiple of four (RFC 10049 §4.2).
    Misaligned(usize),
    /// A message claims more pairs than its bytes can hold.
    TooManyTags(u32),
    /// An offset is not a multiple of four (RFC 10049 §4.2).
    OffsetMisaligned(u32),
    /// An offset is smaller than the one before or points past the end.
    OffsetOutOfRange(u32),
    /// Tags are not strictly ascending, or one repeats (RFC 10049 §4.2).
    TagsNotSorted(Tag),
    /// A message with no pairs has bytes after its header.
    TrailingBytes(usize),
    /// The packet does not start with "ROUGHTIM" (RFC 10049 §5).
    BadFraming,
    /// The packet's length field disagrees with its size (RFC 10049 §5).
    LengthMismatch {
        /// The length field.
        claimed: u32,
        /// The bytes after the header.
        actual: usize,
    },
    /// A required tag is absent.
    MissingTag(Tag),
    /// A value has the wrong length for its tag.
    BadLength {
        /// The tag.
        tag: Tag,
        /// Its value's length.
        len: usize,
    },
    /// A response's VER names a version Tempora does not speak.
    UnknownVersion(u32),
    /// TYPE has the wrong value (RFC 10049 §5.1.3, §5.2.3).
    WrongType(u32),
    /// A value is not a whole number of four-byte words (encoder).
    ValueMisaligned(Tag),
    /// A value is too large for a uint32 offset (encoder).
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { needed, available } => {
                write!(f, "truncated: {needed} bytes needed, {available} there")
            }
            Error::Misaligned(len) => write!(f, "length {len} is not a multiple of 4"),
            Error::TooManyTags(n) => write!(f, "{n} tags do not fit the message"),
            Error::OffsetMisaligned(o) => write!(f, "offset {o} is not a multiple of 4"),
            Error::OffsetOutOfRange(o) => write!(f, "offset {o} out of range"),
            Error::TagsNotSorted(t) => write!(f, "tag {t} out of order or repeated"),
            Error::TrailingBytes(n) => write!(f, "{n} bytes after an empty message"),
            Error::BadFraming => f.write_str("no ROUGHTIM header"),
            Error::LengthMismatch { claimed, actual } => {
                write!(f, "length field {claimed}, {actual} bytes follow")
            }
            Error::MissingTag(t) => write!(f, "tag {t} missing"),
            Error::BadLength { tag, len } => write!(f, "tag {tag} has bad length {len}"),
            Error::UnknownVersion(v) => write!(f, "unknown version {v:#x}"),
            Error::WrongType(t) => write!(f, "wrong TYPE {t}"),
            Error::ValueMisaligned(t) => write!(f, "value of {t} is not a multiple of 4"),
            Error::TooLarge => f.write_str("message too large"),
        }
    }
}

impl core::error::Error for Error {}
