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
//! The client's sans-IO cores:
//!
//! - [`V5Request`]: build a request and check its reply ([`V5Reply`]);
//! - [`RemoteFilter`]: a server's Bloom filter assembled chunk by chunk
//!   over polls, and the timing-loop check against our own [`RefId120`];
//! - [`Negotiation`]: `version = 4 | 5 | "auto"` per source.
//!
//! The server's answers are in [`crate::server`].
//!
//! What differs between drafts (type numbers, identification strings, the
//! upgrade magic) is in one table, [`draft::TABLE`], keyed by [`Draft`].

mod bloom;
mod correction;
pub mod draft;
mod exchange;
mod extension;
mod fields;
mod header;
mod negotiation;
mod packet;
mod refids;
mod remote_filter;
mod server_info;
mod time32;
mod upgrade;

pub use bloom::{BLOOM_BYTES, BloomFilter, RefId120};
pub use correction::{CORRECTION_DATA_LEN, Correction};
pub use draft::{Draft, DraftConstants, FieldTypes};
pub use exchange::{V5Reply, V5Request};
pub use extension::{FIELD_HEADER_LEN, Field, FieldIter, Fields, encode_parts};
pub use fields::Extension;
pub use header::{Cookie, Flags, Header, Timescale, V5_HEADER_LEN, VERSION, is_v5};
pub use negotiation::{
    DRAFT_RETRY_AFTER, DraftSetting, FALLBACK_AFTER, Negotiation, RETRY_AFTER, VersionSetting, Wire,
};
pub use packet::{Builder, Packet};
pub use refids::RefIdsRequest;
pub use remote_filter::{ChunkError, RemoteFilter};
pub use server_info::{SERVER_INFO_DATA_LEN, ServerInfo};
pub use time32::Time32;
pub use upgrade::UpgradeSignal;

#[cfg(test)]
mod tests;
