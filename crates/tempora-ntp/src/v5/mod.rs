//! NTPv5 (draft-ietf-ntp-ntpv5, drafts -08 and -09), sans-IO and
//! allocation-free. Section names cited are the draft's.
//!
//! Wire formats (decoders borrow, never panic, and every value that
//! decodes re-encodes byte for byte):
//!
//! - [`Header`] ("Message Format") with [`Timescale`], [`Flags`],
//!   [`Cookie`] and the [`Time32`] root delay and dispersion;
//! - [`Field`] and [`Fields`]: the NTPv5 extension field framing
//!   ("Extension Fields": the length excludes the alignment padding);
//! - [`Extension`]: the typed fields (Draft Identification, Padding, MAC,
//!   Reference IDs Request/Response, Server Information, Correction);
//! - [`Packet`] and [`Builder`]: a whole message;
//! - [`BloomFilter`] and [`RefId120`]: the reference-ID filter;
//! - [`UpgradeSignal`]: the magic reference timestamp of NTPv4 requests and
//!   responses ("NTPv5 Negotiation in Previous NTP Versions").
//!
//! What differs between drafts (type numbers, identification strings, the
//! upgrade magic) is in one table, [`draft::TABLE`], keyed by [`Draft`].

mod bloom;
mod correction;
pub mod draft;
mod extension;
mod fields;
mod header;
mod packet;
mod refids;
mod server_info;
mod time32;
mod upgrade;

pub use bloom::{BLOOM_BYTES, BloomFilter, RefId120};
pub use correction::{CORRECTION_DATA_LEN, Correction};
pub use draft::{Draft, DraftConstants, FieldTypes};
pub use extension::{FIELD_HEADER_LEN, Field, FieldIter, Fields, encode_parts};
pub use fields::Extension;
pub use header::{Cookie, Flags, Header, Timescale, V5_HEADER_LEN, VERSION, is_v5};
pub use packet::{Builder, Packet};
pub use refids::RefIdsRequest;
pub use server_info::{SERVER_INFO_DATA_LEN, ServerInfo};
pub use time32::Time32;
pub use upgrade::UpgradeSignal;

#[cfg(test)]
mod tests;
