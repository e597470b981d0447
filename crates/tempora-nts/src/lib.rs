//! # tempora-nts
//!
//! Network Time Security key establishment (NTS-KE, RFC 8915 §4) over TLS
//! 1.3 with rustls: the records a client sends and the server's answer
//! ([`records`]), and the client's TLS exchange ([`client`]). The
//! NTS-protected NTP packets themselves are in `tempora_ntp::nts` (no_std,
//! sans-IO).
//!
//! Key exchange groups: rustls's aws-lc-rs provider, whose default list
//! puts the post-quantum hybrid X25519MLKEM768 first, then X25519,
//! secp256r1 and secp384r1; a peer without ML-KEM negotiates X25519.

#![forbid(unsafe_code)]

pub mod client;
pub mod records;

/// ALPN protocol id of NTS-KE (RFC 8915 §4).
pub const ALPN: &[u8] = b"ntske/1";

/// The TLS exporter label for NTS keys (RFC 8915 §5.1).
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-network-time-security";

/// The default NTS-KE port (RFC 8915 §4).
pub const KE_PORT: u16 = 4460;
