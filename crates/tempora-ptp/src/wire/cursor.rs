//! The bounds-checked cursors of `tempora-bytes`, reporting in this codec's
//! [`Error`]: no decoder or encoder built on them can panic on its input.

use super::error::Error;

/// A reader whose failures are PTP codec errors.
pub(crate) type Reader<'a> = tempora_bytes::Reader<'a, Error>;
/// A writer whose failures are PTP codec errors.
pub(crate) type Writer<'a> = tempora_bytes::Writer<'a, Error>;

impl tempora_bytes::CodecError for Error {
    fn truncated(needed: usize, available: usize) -> Self {
        Error::Truncated { needed, available }
    }
    fn buffer_too_small(needed: usize, available: usize) -> Self {
        Error::BufferTooSmall { needed, available }
    }
    fn value_out_of_range() -> Self {
        Error::ValueOutOfRange
    }
}
