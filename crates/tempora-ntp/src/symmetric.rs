//! NTP symmetric-key authentication (RFC 5905 §7.3 and §9.1, RFC 8573),
//! sans-IO and allocation-free: the keys and their types, the key file's
//! lines in chrony's format, the MAC trailer (a 32-bit key identifier and a
//! digest after the header and any extension fields, told apart from an
//! extension field by its size, RFC 7822 §7), and the client's check of a
//! server's replies ([`client::KeyedSource`]). The server's check and
//! signing are part of [`crate::server::Server::handle`].
//!
//! Key types:
//!
//! - `AES128` and `AES256`: AES-CMAC (RFC 4493) with a 128-bit or 256-bit
//!   key, a 16-octet MAC, as RFC 8573 §4 recommends;
//! - `SHA1`: SHA-1 over the key and the packet (RFC 5905 §7.3's
//!   construction, with SHA-1 for MD5), a 20-octet MAC; deprecated by RFC
//!   8573, accepted only under an explicit legacy policy
//!   ([`KeyPolicy::legacy_sha1`]);
//! - `MD5` (chrony's default type) is refused (RFC 8573 §3: not secure).
//!
//! Keys are secrets: their [`Debug`](core::fmt::Debug) shows no octet and
//! they are zeroized when dropped.

pub mod client;
mod key;
mod keyfile;
mod mac;

pub use key::{KeyType, MAX_SECRET_LEN, NoKeys, SymmetricKey, SymmetricKeys};
pub use keyfile::{KeyFileError, KeyPolicy, MAX_LINE_LEN, SHORT_KEY_LEN, parse_line};
pub use mac::{MAX_DIGEST_LEN, MacError, check_mac, compute_digest, sign};

#[cfg(test)]
mod tests;
