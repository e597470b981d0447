//! # tempora-nts
//!
//! Network Time Security key establishment (NTS-KE, RFC 8915 §4) over TLS
//! 1.3 with rustls: the records a client sends and the server's answer
//! ([`records`]), the client's TLS exchange ([`client`]), the server
//! ([`server`]), its cookie master keys ([`keys`]) and its limits against
//! floods of connections ([`limits`]); and the crash-safe writing of state
//! files, shared with the daemon's frequency file ([`state_file`]). The
//! NTS-protected NTP packets themselves are in `tempora_ntp::nts` (no_std,
//! sans-IO).
//!
//! Key exchange groups: rustls's aws-lc-rs provider, whose default list
//! puts the post-quantum hybrid X25519MLKEM768 first, then X25519,
//! secp256r1 and secp384r1; a peer without ML-KEM negotiates X25519.

#![forbid(unsafe_code)]

pub mod client;
pub mod keys;
pub mod limits;
pub mod records;
pub mod server;
pub mod state_file;

/// ALPN protocol id of NTS-KE (RFC 8915 §4).
pub const ALPN: &[u8] = b"ntske/1";

/// The TLS exporter label for NTS keys (RFC 8915 §5.1).
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-network-time-security";

/// The default NTS-KE port (RFC 8915 §4).
pub const KE_PORT: u16 = 4460;

/// `HOST`, `HOST:PORT`, `IPV6` or `[IPV6]:PORT` → host and port
/// (`default` when none is given).
pub fn split_host_port(text: &str, default: u16) -> (String, u16) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            let port = tail
                .strip_prefix(':')
                .and_then(|p| p.parse().ok())
                .unwrap_or(default);
            return (host.to_string(), port);
        }
    }
    match text.rsplit_once(':') {
        // One colon: HOST:PORT. More: a bare IPv6 address.
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host.to_string(), p),
            Err(_) => (text.to_string(), default),
        },
        _ => (text.to_string(), default),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_and_port() {
        use super::split_host_port as s;
        assert_eq!(s("time.example", 4460), ("time.example".into(), 4460));
        assert_eq!(s("time.example:1234", 4460), ("time.example".into(), 1234));
        assert_eq!(s("10.0.0.1", 4460), ("10.0.0.1".into(), 4460));
        assert_eq!(s("2001:db8::1", 4460), ("2001:db8::1".into(), 4460));
        assert_eq!(s("[2001:db8::1]:99", 4460), ("2001:db8::1".into(), 99));
        assert_eq!(s("[2001:db8::1]", 4460), ("2001:db8::1".into(), 4460));
    }
}
