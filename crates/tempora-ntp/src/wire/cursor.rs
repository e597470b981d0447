//! The bounds-checked cursors of `tempora-bytes`, reporting in this codec's
//! [`Error`]. All fields are in network byte order (RFC 5905 §7.3); every
//! access is checked so decoding never panics.

use super::Error;

/// A reader whose failures are NTP codec errors.
pub(crate) type Reader<'a> = tempora_bytes::Reader<'a, Error>;
/// A writer whose failures are NTP codec errors.
pub(crate) type Writer<'a> = tempora_bytes::Writer<'a, Error>;

impl tempora_bytes::CodecError for Error {
    fn truncated(needed: usize, available: usize) -> Self {
        Error::Truncated { needed, available }
    }
    fn buffer_too_small(needed: usize, available: usize) -> Self {
        Error::BufferTooSmall { needed, available }
    }
    fn value_out_of_range() -> Self {
        Error::FieldOutOfRange { field: "integer" }
    }
}

/// Rounds `n` up to a multiple of 4 (saturating at the largest multiple).
pub(crate) fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}
