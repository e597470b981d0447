//! Wire formats, smoltcp-style: borrowed zero-copy representations with
//! `decode`, `encoded_len` and `encode`, precise [`Error`]s and exact round
//! trips.
//!
//! - [`Packet`]: NTP packet header, RFC 5905 §7.3;
//! - [`NtpTimestamp`] and [`NtpShort`]: RFC 5905 §6;
//! - [`ReferenceId`] and [`KissCode`]: RFC 5905 §7.3 and §7.4;
//! - [`ExtensionField`] and [`ExtensionFields`]: RFC 7822;
//! - [`Mac`]: legacy MAC, RFC 5905 §7.3 and RFC 7822 §7;
//! - [`nts`]: NTS extension fields, RFC 8915 §5;
//! - [`ntske`]: NTS Key Establishment records, RFC 8915 §4.

mod cursor;
mod error;
mod extension;
mod mac;
mod mode;
pub mod nts;
pub mod ntske;
mod packet;
mod refid;
mod short;
mod timestamp;

pub use error::Error;
pub use extension::{
    EXTENSION_HEADER_LEN, ExtensionField, ExtensionFieldIter, ExtensionFields, ExtensionKind,
    MIN_EXTENSION_FIELD_LEN, parse_extension_fields, write_zeroed_extension_field,
};
pub use mac::Mac;
pub use mode::{LeapIndicator, Mode};
pub use nts::NtsAuthenticator;
pub use packet::{HEADER_LEN, Packet};
pub use refid::{KissCode, ReferenceId, ReferenceIdKind};
pub use short::NtpShort;
pub use timestamp::{ERA1_UNIX_SECONDS, NtpTimestamp, UNIX_EPOCH_NTP_SECONDS, UnixNanosDisplay};

#[cfg(test)]
mod packet_tests;
