//! The Roughtime sections (RFC 10049, which is draft-ietf-ntp-roughtime-19;
//! draft 14 as roughenough 1.3 speaks it; Google's original protocol):
//! `[roughtime-server]` answers clients with signed rough time,
//! `[[roughtime-source]]` names servers to ask at start-up, and
//! `[roughtime]` says when their consensus steps the clock.
//!
//! The server's access lists and rate limiter are the NTP server's
//! ([`Cidr`], [`RateLimit`], the same `rate-limit*` keys read by the same
//! code: [`crate::rate_limit_of`]).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tempora_clock::Duration;

use crate::values;
use crate::{Cidr, RateLimit};

/// The Roughtime port (RFC 10049 §4.1: UDP and TCP port 2002).
pub const ROUGHTIME_PORT: u16 = 2002;

/// A Roughtime protocol version, as the configuration names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum RoughtimeVersion {
    /// `"rfc"`: RFC 10049 (draft-ietf-ntp-roughtime-19; version
    /// 0x00000001 in VER).
    #[serde(rename = "rfc")]
    Rfc,
    /// `"draft-14"`: draft-ietf-ntp-roughtime-14 (VER 0x8000000c), as
    /// roughenough 1.3.0-draft14 speaks it.
    #[serde(rename = "draft-14")]
    Draft14,
    /// `"google"`: Google's original Roughtime (no VER tag, microsecond
    /// MIDP and RADI), as roughenough 1.1 speaks it.
    #[serde(rename = "google")]
    Google,
}

impl RoughtimeVersion {
    /// The name in the configuration file.
    pub fn name(self) -> &'static str {
        match self {
            RoughtimeVersion::Rfc => "rfc",
            RoughtimeVersion::Draft14 => "draft-14",
            RoughtimeVersion::Google => "google",
        }
    }
}

/// The `[roughtime-server]` section: the daemon answers Roughtime requests
/// with its clock's time, signed by an online key that its long-term key
/// delegates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RoughtimeServerSettings {
    /// `listen` (default `["0.0.0.0:2002"]`): `ADDRESS` (port 2002) or
    /// `ADDRESS:PORT`.
    #[serde(
        default = "default_listen",
        deserialize_with = "values::roughtime_listen",
        serialize_with = "values::write_addrs"
    )]
    pub listen: Vec<SocketAddr>,
    /// `key-file`: the long-term Ed25519 key (`tempora roughtime keygen`
    /// writes one). The daemon refuses a file that others or its group may
    /// read, or that is not owned by the user it starts as.
    #[serde(with = "values::text")]
    pub key_file: PathBuf,
    /// `online-key-lifetime` (default 1 day, 1 minute to 30 days): how long
    /// each delegated online key is valid (its certificate's MINT to
    /// MAXT); a new one is made before the old one expires.
    #[serde(default = "default_online_key_lifetime", with = "values::text")]
    pub online_key_lifetime: Duration,
    /// `batch-size` (default 64, 1 to 64): the most requests signed
    /// together (one Merkle tree, one signature). 64 is the most whose
    /// replies to a 1024-byte request stay within 1024 bytes in every
    /// version (RFC 10049 §9.7: a reply is never larger than its request).
    #[serde(default = "default_batch_size")]
    pub batch_size: u16,
    /// `versions` (default all three): the versions answered.
    #[serde(default = "default_versions")]
    pub versions: Vec<RoughtimeVersion>,
    /// `radius` (default 3 s, whole seconds, 1 s to 1 day): the uncertainty
    /// announced in RADI (RFC 10049 §5.2.5: at least 3 s for a server
    /// without leap second information).
    #[serde(default = "default_radius", with = "values::text")]
    pub radius: Duration,
    /// `allow`: CIDR blocks answered (empty: everyone not denied).
    #[serde(
        default,
        with = "values::vec_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub allow: Vec<Cidr>,
    /// `deny`: CIDR blocks never answered, whatever `allow` says.
    #[serde(
        default,
        with = "values::vec_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub deny: Vec<Cidr>,
    /// `rate-limit`, `rate-limit-interval`, `rate-limit-burst`: per-client
    /// rate limiting, if on (the `[ntp-server]` keys; with an NTP server
    /// that limits too, one table counts both protocols' requests).
    #[serde(skip)]
    pub rate_limit: Option<RateLimit>,
    #[serde(rename = "rate-limit", default, skip_serializing_if = "is_false")]
    pub(crate) rate_limit_on: bool,
    #[serde(default = "crate::default_rate_limit_interval")]
    pub(crate) rate_limit_interval: i8,
    #[serde(default = "crate::default_rate_limit_burst")]
    pub(crate) rate_limit_burst: u8,
    /// `workers`: 0 (the default) answers in the timing loop, one batch per
    /// turn; N (1 to 16) starts N worker threads with SO_REUSEPORT sockets,
    /// each signing the batch of its own poll turn.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub workers: u8,
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

fn default_listen() -> Vec<SocketAddr> {
    vec![SocketAddr::new(
        IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        ROUGHTIME_PORT,
    )]
}

fn default_online_key_lifetime() -> Duration {
    Duration::from_secs(86_400)
}

fn default_batch_size() -> u16 {
    64
}

fn default_versions() -> Vec<RoughtimeVersion> {
    vec![
        RoughtimeVersion::Rfc,
        RoughtimeVersion::Draft14,
        RoughtimeVersion::Google,
    ]
}

fn default_radius() -> Duration {
    Duration::from_secs(3)
}

impl RoughtimeServerSettings {
    /// A section with this key file and every default.
    pub fn with_key_file(key_file: PathBuf) -> Self {
        RoughtimeServerSettings {
            listen: default_listen(),
            key_file,
            online_key_lifetime: default_online_key_lifetime(),
            batch_size: default_batch_size(),
            versions: default_versions(),
            radius: default_radius(),
            allow: Vec::new(),
            deny: Vec::new(),
            rate_limit: None,
            rate_limit_on: false,
            rate_limit_interval: crate::default_rate_limit_interval(),
            rate_limit_burst: crate::default_rate_limit_burst(),
            workers: 0,
        }
    }

    /// Puts the file's `rate-limit*` keys into `rate_limit`.
    pub(crate) fn rate_limit_from_keys(&mut self) {
        self.rate_limit = crate::rate_limit_of(
            self.rate_limit_on,
            self.rate_limit_interval,
            self.rate_limit_burst,
        );
    }

    /// Puts `rate_limit` into the file's `rate-limit*` keys.
    pub(crate) fn rate_limit_to_keys(&mut self) {
        (
            self.rate_limit_on,
            self.rate_limit_interval,
            self.rate_limit_burst,
        ) = crate::rate_limit_keys(
            self.rate_limit,
            self.rate_limit_interval,
            self.rate_limit_burst,
        );
    }
}

/// One `[[roughtime-source]]` section: a Roughtime server asked at
/// start-up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RoughtimeSourceSettings {
    /// `address`: `HOST`, `HOST:PORT`, an IP address or `[IPV6]:PORT`
    /// (default port 2002).
    pub address: String,
    /// `public-key`: the server's long-term Ed25519 public key, 32 bytes in
    /// base64 or hex.
    pub public_key: String,
    /// `version` (default `"rfc"`): the version to ask in.
    #[serde(default = "default_version")]
    pub version: RoughtimeVersion,
}

fn default_version() -> RoughtimeVersion {
    RoughtimeVersion::Rfc
}

/// The `[roughtime]` section: what the `[[roughtime-source]]` answers do
/// at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct RoughtimeSettings {
    /// `step-window` (default 10 s): the clock is stepped to the consensus
    /// when it is further than this from the consensus's midpoint.
    #[serde(with = "values::text")]
    pub step_window: Duration,
    /// `minimum-agreeing` (default 2): how many servers must agree (their
    /// intervals overlap) before the clock is stepped.
    pub minimum_agreeing: u8,
    /// `timeout` (default 1 s): how long to wait for each server's reply
    /// (each is asked up to three times, backing off as RFC 10049 §5
    /// says).
    #[serde(with = "values::text")]
    pub timeout: Duration,
}

impl Default for RoughtimeSettings {
    fn default() -> Self {
        RoughtimeSettings {
            step_window: Duration::from_secs(10),
            minimum_agreeing: 2,
            timeout: Duration::from_secs(1),
        }
    }
}

/// The server's address of `address` (`HOST`, `HOST:PORT`, `[V6]:PORT`,
/// IP): the host and the port (default [`ROUGHTIME_PORT`]).
pub fn split_roughtime_address(address: &str) -> (String, u16) {
    if let Ok(a) = address.parse::<SocketAddr>() {
        return (a.ip().to_string(), a.port());
    }
    if let Ok(ip) = address.parse::<IpAddr>() {
        return (ip.to_string(), ROUGHTIME_PORT);
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host.to_string(), p),
            Err(_) => (address.to_string(), ROUGHTIME_PORT),
        },
        _ => (address.trim_matches(['[', ']']).to_string(), ROUGHTIME_PORT),
    }
}

/// Decodes a 32-byte public key written in hex (64 digits) or base64
/// (RFC 4648 §4, padded: 44 characters).
pub fn decode_public_key(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        decode_hex(t)
    } else {
        tempora_roughtime::base64::decode(t).ok_or_else(|| {
            format!("`{t}` is neither hex nor base64 (a public key is 32 bytes: 64 hex digits or 44 base64 characters)")
        })?
    };
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "`{t}` is {} bytes: a Roughtime public key is 32 (64 hex digits or 44 base64 characters)",
            bytes.len()
        )
    })
}

fn decode_hex(t: &str) -> Vec<u8> {
    let nibble = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    };
    t.as_bytes()
        .chunks(2)
        .map(|p| nibble(p[0]) << 4 | nibble(p[1]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_decode_from_hex_and_base64() {
        let key: Vec<u8> = (0u8..32).collect();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(decode_public_key(&hex).unwrap().to_vec(), key);
        // base64 of 0..32 (RFC 4648 §4), padded.
        let b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert_eq!(decode_public_key(b64).unwrap().to_vec(), key);
        assert!(decode_public_key(b64.trim_end_matches('=')).is_err());
        assert!(decode_public_key("AAEC").unwrap_err().contains("3 bytes"));
        assert!(
            decode_public_key("not a key!")
                .unwrap_err()
                .contains("neither hex nor base64")
        );
    }

    #[test]
    fn addresses_split_into_host_and_port() {
        assert_eq!(
            split_roughtime_address("10.0.0.1"),
            ("10.0.0.1".into(), 2002)
        );
        assert_eq!(
            split_roughtime_address("[fd00::1]:9"),
            ("fd00::1".into(), 9)
        );
        assert_eq!(
            split_roughtime_address("time.example:2003"),
            ("time.example".into(), 2003)
        );
    }
}
