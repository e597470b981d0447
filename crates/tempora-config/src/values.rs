//! How values that the file writes as strings or bare numbers become
//! typed settings and back: durations, paths, addresses, address blocks,
//! the profile, the clock, the delay mechanism and log2 intervals.
//!
//! Each is read as the plain TOML type first (so a wrong type gets serde's
//! message), then converted; a conversion error is a serde custom error
//! `MARK START MARK MESSAGE` (see [`error`]) with the byte offset of the
//! value and [`KEY`] for the key's name: `check::toml_error` fills the key
//! in and positions the error at the value (toml gives array elements the
//! array's position).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use tempora_clock::Duration;
use tempora_ptp::datasets::DelayMechanism;
use tempora_ptp::engine::Address;
use tempora_ptp::interval::LogInterval;
use tempora_ptp::profile::{self, Profile};
use toml::Spanned;

use crate::{Cidr, ClockKind, format_address, format_duration, parse_address, parse_duration};

/// The start of a conversion error's message.
pub(crate) const MARK: char = '\u{1}';
/// Stands for the key's name in a conversion error's message.
pub(crate) const KEY: char = '\u{2}';

/// A value the file writes as a string.
pub(crate) trait Text: Sized {
    /// The value of `text`, or the error message (with [`KEY`] for the key).
    fn parse(text: &str) -> Result<Self, String>;
    /// The string written to the file; [`Text::parse`] reads it back.
    fn format(&self) -> String;
}

impl Text for Duration {
    fn parse(text: &str) -> Result<Self, String> {
        parse_duration(text).map_err(|e| format!("`{KEY}`: {}", e.message))
    }
    fn format(&self) -> String {
        format_duration(*self)
    }
}

impl Text for PathBuf {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
    fn format(&self) -> String {
        self.display().to_string()
    }
}

impl Text for &'static Profile {
    fn parse(text: &str) -> Result<Self, String> {
        profile::by_name(text).ok_or_else(|| {
            let names: Vec<String> = profile::PROFILES
                .iter()
                .map(|p| format!("`{}`", p.name))
                .collect();
            format!(
                "`{KEY}`: unknown profile `{text}`; expected one of {}",
                names.join(", ")
            )
        })
    }
    fn format(&self) -> String {
        self.name.to_owned()
    }
}

impl Text for ClockKind {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "system" => Ok(ClockKind::System),
            "virtual" => Ok(ClockKind::Virtual),
            path if path
                .strip_prefix("/dev/ptp")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
            {
                Ok(ClockKind::Phc(PathBuf::from(path)))
            }
            other => Err(format!(
                "`{KEY}`: unknown clock `{other}`; expected `system`, `virtual` or a PTP hardware clock such as `/dev/ptp0`"
            )),
        }
    }
    fn format(&self) -> String {
        self.to_file_value()
    }
}

impl Text for Address {
    fn parse(text: &str) -> Result<Self, String> {
        parse_address(text)
            .ok_or_else(|| format!("`{KEY}`: `{text}` is not an IPv4, IPv6 or MAC address"))
    }
    fn format(&self) -> String {
        format_address(self)
    }
}

impl Text for crate::Threshold {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(crate::Threshold::Auto),
            "off" => Ok(crate::Threshold::Off),
            d => match parse_duration(d) {
                Ok(v) if v > Duration::ZERO => Ok(crate::Threshold::Fixed(v)),
                _ => Err(format!(
                    "`{KEY}`: `{text}` is not `auto`, `off` or a positive duration such as \"1s\""
                )),
            },
        }
    }
    fn format(&self) -> String {
        match self {
            crate::Threshold::Auto => "auto".into(),
            crate::Threshold::Off => "off".into(),
            crate::Threshold::Fixed(d) => format_duration(*d),
        }
    }
}

impl Text for crate::AcceptableMaster {
    fn parse(text: &str) -> Result<Self, String> {
        crate::AcceptableMaster::parse(text).ok_or_else(|| {
            format!(
                "`{KEY}`: `{text}` is not a clock identity (`aabbcc.fffe.ddeeff`) or port identity \
                 (`aabbcc.fffe.ddeeff-1`), optionally followed by `@ADDRESS`"
            )
        })
    }
    fn format(&self) -> String {
        self.to_string()
    }
}

impl Text for tempora_ptp::wire::ClockIdentity {
    fn parse(text: &str) -> Result<Self, String> {
        match crate::AcceptableMaster::parse(text) {
            Some(m) if m.address.is_none() && !text.contains('-') => Ok(m.identity.clock_identity),
            _ => Err(format!(
                "`{KEY}`: `{text}` is not a clock identity such as `aabbcc.fffe.ddeeff`"
            )),
        }
    }
    fn format(&self) -> String {
        self.to_string()
    }
}

impl Text for Cidr {
    fn parse(text: &str) -> Result<Self, String> {
        Cidr::parse(text).map_err(|e| {
            format!("`{text}` is not an address block such as `10.0.0.0/8` or `fd00::/8`: {e}")
        })
    }
    fn format(&self) -> String {
        self.to_string()
    }
}

/// A socket address; the examples in the error differ by key.
fn socket_addr(text: &str, examples: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("`{KEY}`: `{text}` is not an address and port such as {examples}"))
}

/// A conversion error for serde about the value at byte `start`.
fn error<E: de::Error>(start: usize, message: &str) -> E {
    E::custom(format_args!("{MARK}{start}{MARK}{message}"))
}

/// The byte offset and message of a conversion error made by [`error`].
pub(crate) fn conversion_error(message: &str) -> Option<(usize, &str)> {
    let (start, message) = message.strip_prefix(MARK)?.split_once(MARK)?;
    Some((start.parse().ok()?, message))
}

/// Reads a string and converts it with `F`, inside the value's own
/// deserializer so that errors carry the value's position.
struct Convert<F>(F);

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> DeserializeSeed<'de> for Convert<F> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let text = Spanned::<String>::deserialize(d)?;
        (self.0)(text.get_ref()).map_err(|m| error(text.span().start, &m))
    }
}

/// An array of strings, each converted with `f`.
fn convert_seq<'de, D, T, F>(d: D, f: F) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    F: Fn(&str) -> Result<T, String> + Copy,
{
    struct Seq<F>(F);
    impl<'de, T, F: Fn(&str) -> Result<T, String> + Copy> Visitor<'de> for Seq<F> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element_seed(Convert(self.0))? {
                out.push(v);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Seq(f))
}

fn write_seq<S: Serializer>(
    items: impl ExactSizeIterator<Item = String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&item)?;
    }
    seq.end()
}

/// `#[serde(with)]` for a [`Text`] value.
pub(crate) mod text {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Text>(d: D) -> Result<T, D::Error> {
        Convert(T::parse).deserialize(d)
    }

    pub(crate) fn serialize<S: Serializer, T: Text>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.format())
    }
}

/// `#[serde(with)]` for an optional [`Text`] value (with `default`).
pub(crate) mod opt_text {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Text>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Convert(T::parse).deserialize(d).map(Some)
    }

    pub(crate) fn serialize<S: Serializer, T: Text>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&v.format()),
            None => s.serialize_none(),
        }
    }
}

/// `#[serde(with)]` for an array of [`Text`] values.
pub(crate) mod vec_text {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Text>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        convert_seq(d, T::parse)
    }

    pub(crate) fn serialize<S: Serializer, T: Text>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        write_seq(v.iter().map(Text::format), s)
    }
}

/// `[ntp-server] listen`.
pub(crate) fn ntp_listen<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    convert_seq(d, |t| socket_addr(t, "`0.0.0.0:123` or `[::]:123`"))
}

/// `[csptp-server] listen`: `ADDRESS` (port 319) or `ADDRESS:PORT`.
pub(crate) fn csptp_listen<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    convert_seq(d, |t| match t.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, crate::CSPTP_EVENT_PORT)),
        Err(_) => socket_addr(t, "`10.0.0.1`, `::` or `10.0.0.1:319`"),
    })
}

/// `[roughtime-server] listen`: `ADDRESS` (port 2002) or `ADDRESS:PORT`.
pub(crate) fn roughtime_listen<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<SocketAddr>, D::Error> {
    convert_seq(d, |t| match t.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, crate::ROUGHTIME_PORT)),
        Err(_) => socket_addr(t, "`0.0.0.0`, `::` or `10.0.0.1:2002`"),
    })
}

/// `[nts-ke-server] listen`.
pub(crate) fn nts_ke_listen<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    convert_seq(d, |t| socket_addr(t, "`0.0.0.0:4460`"))
}

/// `[observability] metrics-listen`.
pub(crate) fn metrics_listen<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    Convert(|t: &str| socket_addr(t, "`127.0.0.1:9911` or `[::1]:9911`"))
        .deserialize(d)
        .map(Some)
}

/// `[observability] dashboard-listen`.
pub(crate) fn dashboard_listen<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    Convert(|t: &str| socket_addr(t, "`127.0.0.1:9912` or `[::1]:9912`"))
        .deserialize(d)
        .map(Some)
}

/// Socket addresses as strings.
pub(crate) fn write_addrs<S: Serializer>(v: &[SocketAddr], s: S) -> Result<S::Ok, S::Error> {
    write_seq(v.iter().map(ToString::to_string), s)
}

/// An optional socket address as a string.
pub(crate) fn write_opt_addr<S: Serializer>(
    v: &Option<SocketAddr>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(a) => s.serialize_some(&a.to_string()),
        None => s.serialize_none(),
    }
}

/// `#[serde(with)]` for `delay-mechanism`: `e2e` or `p2p` (IEEE 1588-2019
/// §8.2.15.4.4; `NO_MECHANISM` and the others are not configurable).
pub(crate) mod delay {
    use super::*;

    #[derive(Deserialize, Serialize)]
    #[serde(rename_all = "kebab-case")]
    enum Name {
        E2e,
        P2p,
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DelayMechanism>, D::Error> {
        Ok(Some(match Name::deserialize(d)? {
            Name::E2e => DelayMechanism::E2e,
            Name::P2p => DelayMechanism::P2p,
        }))
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DelayMechanism>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(DelayMechanism::P2p) => s.serialize_some(&Name::P2p),
            Some(_) => s.serialize_some(&Name::E2e),
            None => s.serialize_none(),
        }
    }
}

/// `#[serde(with)]` for the `log-*-interval` keys: an integer, range-checked
/// as a [`LogInterval`].
pub(crate) mod log_interval {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<LogInterval>, D::Error> {
        let spanned = Spanned::<i8>::deserialize(d)?;
        let v = *spanned.get_ref();
        LogInterval::new(v).map(Some).ok_or_else(|| {
            error(spanned.span().start, &format!(
                "`{KEY}` = {v} is out of range: log2 seconds from {} (128 per second) to {} (every 128 s)",
                LogInterval::MIN,
                LogInterval::MAX
            ))
        })
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<LogInterval>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&v.get()),
            None => s.serialize_none(),
        }
    }
}
