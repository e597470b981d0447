//! The client-server PTP sections (IEEE P1588.1 draft; the exchange as
//! ntpd-rs 2.0 does it: a unicast Sync request with the CSPTP request TLV,
//! a two-step Sync response and its Follow_Up): `[csptp-server]` answers
//! clients, each `[[csptp-source]]` is a server to take time from.
//!
//! The server's access lists and rate limiter are the NTP server's
//! ([`Cidr`], [`RateLimit`] and the same `rate-limit*` keys, read by the
//! same code: [`crate::rate_limit_of`]).

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use tempora_ptp::wire::ClockIdentity;

use crate::values;
use crate::{Cidr, RateLimit, Timestamping};
use tempora_clock::Duration;

/// The CSPTP event port (PTP's, IEEE 1588-2019 Annex C.2); the general port
/// (Follow_Up) is the next one, 320.
pub const CSPTP_EVENT_PORT: u16 = 319;

/// The domain a CSPTP client asks in unless told otherwise: the engine's
/// (ntpd-rs's default, 128).
pub const DEFAULT_CSPTP_DOMAIN: u8 = tempora_ptp::csptp::DEFAULT_DOMAIN;

/// What the server's status TLV announces instead of the daemon's real
/// parent data set (IEEE 1588-2019 §8.2.3) and time properties (§8.2.4):
/// `None` keeps the real value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct AnnounceOverrides {
    /// `clock-class`: grandmasterClockQuality.clockClass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_class: Option<u8>,
    /// `clock-accuracy`: grandmasterClockQuality.clockAccuracy (§7.6.2.6
    /// Table 5, e.g. `0x21` for 100 ns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_accuracy: Option<u8>,
    /// `offset-scaled-log-variance`:
    /// grandmasterClockQuality.offsetScaledLogVariance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_scaled_log_variance: Option<u16>,
    /// `priority1`: grandmasterPriority1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority1: Option<u8>,
    /// `priority2`: grandmasterPriority2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority2: Option<u8>,
    /// `steps-removed`: stepsRemoved (§8.2.2.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps_removed: Option<u16>,
    /// `current-utc-offset`: currentUtcOffset, s (TAI − UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_utc_offset: Option<i16>,
    /// `grandmaster-identity`: grandmasterIdentity (`aabbcc.fffe.ddeeff`).
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub grandmaster_identity: Option<ClockIdentity>,
}

/// The `[csptp-server]` section: the daemon answers CSPTP clients from its
/// disciplined clock. Stateless: nothing is kept per client but the rate
/// limiter's bounded table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CsptpServerSettings {
    /// `listen`: the addresses to answer on, `ADDRESS` (event port 319,
    /// general port 320) or `ADDRESS:PORT` (event port PORT, general port
    /// PORT + 1).
    #[serde(
        deserialize_with = "values::csptp_listen",
        serialize_with = "values::write_addrs"
    )]
    pub listen: Vec<SocketAddr>,
    /// `interfaces`: bind the sockets to these interfaces (one socket pair
    /// per address and interface); needed for hardware timestamps and
    /// beside PTP `[[port]]`s over UDP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<String>,
    /// `timestamping` (default auto: hardware where the interface has it,
    /// software otherwise; without `interfaces`, software).
    #[serde(default)]
    pub timestamping: Timestamping,
    /// `announce`: overrides of the data set the status TLV announces.
    #[serde(default, skip_serializing_if = "is_default_overrides")]
    pub announce: AnnounceOverrides,
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
    /// rate limiting, if on (the `[ntp-server]` keys).
    #[serde(skip)]
    pub rate_limit: Option<RateLimit>,
    #[serde(rename = "rate-limit", default, skip_serializing_if = "is_false")]
    pub(crate) rate_limit_on: bool,
    #[serde(default = "crate::default_rate_limit_interval")]
    pub(crate) rate_limit_interval: i8,
    #[serde(default = "crate::default_rate_limit_burst")]
    pub(crate) rate_limit_burst: u8,
    /// `rate-limit-leak` (default 2): a request over its rate is still
    /// answered with probability 2^-leak.
    #[serde(default = "crate::default_rate_limit_leak")]
    pub rate_limit_leak: u8,
    /// `workers`: 0 (the default) answers in the timing loop; N (1 to 16)
    /// starts N worker threads with SO_REUSEPORT sockets, like
    /// `[ntp-server] workers`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub workers: u8,
}

fn is_false(v: &bool) -> bool {
    !*v
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

fn is_default_overrides(o: &AnnounceOverrides) -> bool {
    *o == AnnounceOverrides::default()
}

impl Default for CsptpServerSettings {
    /// A section with no keys (and nowhere to listen).
    fn default() -> Self {
        CsptpServerSettings {
            listen: Vec::new(),
            interfaces: Vec::new(),
            timestamping: Timestamping::Auto,
            announce: AnnounceOverrides::default(),
            allow: Vec::new(),
            deny: Vec::new(),
            rate_limit: None,
            rate_limit_on: false,
            rate_limit_interval: crate::default_rate_limit_interval(),
            rate_limit_burst: crate::default_rate_limit_burst(),
            rate_limit_leak: crate::default_rate_limit_leak(),
            workers: 0,
        }
    }
}

impl CsptpServerSettings {
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

/// One `[[csptp-source]]` section: a CSPTP server to take time from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CsptpSourceSettings {
    /// `address`: `HOST`, `HOST:PORT`, an IP address or `[IPV6]:PORT`; the
    /// port is the server's event port (default 319; its general port is
    /// the next one).
    pub address: String,
    /// `poll`, log2 s (default 0: a request every second; -4 to 10).
    #[serde(default)]
    pub poll: i8,
    /// `domain` (default 128): the domainNumber of the requests.
    #[serde(default = "default_domain")]
    pub domain: u8,
    /// `interface`: the interface the server is reached through; its
    /// sockets are bound to it (needed beside PTP `[[port]]`s over UDP, and
    /// for hardware timestamps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// `timestamping` (default auto: hardware where `interface` has it and
    /// its PHC is the disciplined clock, software otherwise).
    #[serde(default)]
    pub timestamping: Timestamping,
    /// `local-port` (default 319): the client's own event port (the
    /// general port is the next one); servers answer Sync to it and send
    /// the Follow_Up to port 320 when it is 319, to it otherwise.
    #[serde(default = "default_local_port")]
    pub local_port: u16,
    /// `burst` (default 2, 1 to 8): exchanges per poll, each sent as soon
    /// as the one before ended; the poll's sample is the one with the least
    /// delay (see `tempora_ptp::csptp::CsptpClientConfig::burst`).
    #[serde(default = "default_burst")]
    pub burst: u8,
    /// `prefer`, as an NTP source's (docs/sources.md).
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefer: bool,
    /// `noselect`, as an NTP source's.
    #[serde(default, skip_serializing_if = "is_false")]
    pub noselect: bool,
    /// `trust`, as an NTP source's.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trust: bool,
    /// `require`, as an NTP source's.
    #[serde(default, skip_serializing_if = "is_false")]
    pub require: bool,
    /// `offset`: added to every offset measured of the source.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<Duration>,
    /// `asymmetry`: the path's delay asymmetry, positive when the path
    /// from the server to us is the longer one (ptp4l's `delayAsymmetry`
    /// sign); θ + asymmetry is used.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub asymmetry: Option<Duration>,
    /// `max-delay`: exchanges whose round-trip delay exceeds this are
    /// ignored and counted.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_delay: Option<Duration>,
}

fn default_burst() -> u8 {
    2
}

fn default_domain() -> u8 {
    DEFAULT_CSPTP_DOMAIN
}

fn default_local_port() -> u16 {
    CSPTP_EVENT_PORT
}

/// The server's address of `address` (`HOST`, `HOST:PORT`, `[V6]:PORT`,
/// IP): the host and the event port.
pub fn split_csptp_address(address: &str) -> (String, u16) {
    if let Ok(a) = address.parse::<SocketAddr>() {
        return (a.ip().to_string(), a.port());
    }
    if let Ok(ip) = address.parse::<IpAddr>() {
        return (ip.to_string(), CSPTP_EVENT_PORT);
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host.to_string(), p),
            Err(_) => (address.to_string(), CSPTP_EVENT_PORT),
        },
        _ => (
            address.trim_matches(['[', ']']).to_string(),
            CSPTP_EVENT_PORT,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_host_and_event_port() {
        assert_eq!(split_csptp_address("10.0.0.1"), ("10.0.0.1".into(), 319));
        assert_eq!(
            split_csptp_address("10.0.0.1:3190"),
            ("10.0.0.1".into(), 3190)
        );
        assert_eq!(split_csptp_address("fd00::1"), ("fd00::1".into(), 319));
        assert_eq!(
            split_csptp_address("[fd00::1]:400"),
            ("fd00::1".into(), 400)
        );
        assert_eq!(
            split_csptp_address("time.example"),
            ("time.example".into(), 319)
        );
        assert_eq!(
            split_csptp_address("time.example:9"),
            ("time.example".into(), 9)
        );
    }
}
