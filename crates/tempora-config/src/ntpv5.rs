//! The NTPv5 settings (draft-ietf-ntp-ntpv5): which protocol version an
//! `[[ntp-source]]` speaks (`version = 4 | 5 | "auto"`), the timescale it
//! asks for (`timescale = "utc" | "tai"`), and the versions an
//! `[ntp-server]` answers (`versions = [4, 5]`).
//!
//! NTPv5 is an Internet-Draft: a client and a server interoperate only when
//! they speak the same draft, so version 4 stays the default on both sides
//! (as in ntpd-rs, whose server accepts v5 only when configured).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// The NTP version an `[[ntp-source]]` speaks (`version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NtpVersionSetting {
    /// `4` (the default): NTPv4 only (RFC 5905).
    #[default]
    V4,
    /// `5`: NTPv5 requests only; a server that does not speak the draft
    /// never answers.
    V5,
    /// `"auto"`: NTPv4 requests carrying the draft's upgrade signal (the
    /// magic reference timestamp); NTPv5 once the server signals it
    /// speaks it, back to NTPv4 after unanswered NTPv5 requests.
    Auto,
}

impl NtpVersionSetting {
    /// The value as the file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            NtpVersionSetting::V4 => "4",
            NtpVersionSetting::V5 => "5",
            NtpVersionSetting::Auto => "auto",
        }
    }

    /// Whether this is the default (4).
    pub(crate) fn is_default(&self) -> bool {
        *self == NtpVersionSetting::V4
    }
}

impl fmt::Display for NtpVersionSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message for a `version` that is none of the three.
const VERSION_EXPECTED: &str = "expected 4, 5 or \"auto\"";

struct VersionVisitor;

impl Visitor<'_> for VersionVisitor {
    type Value = NtpVersionSetting;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(VERSION_EXPECTED)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match v {
            4 => Ok(NtpVersionSetting::V4),
            5 => Ok(NtpVersionSetting::V5),
            1..=3 => Err(E::custom(format_args!(
                "version {v} is answered by NTPv4 servers but not sent by this client; {VERSION_EXPECTED}"
            ))),
            _ => Err(E::custom(format_args!(
                "{v} is not an NTP version; {VERSION_EXPECTED}"
            ))),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "auto" => Ok(NtpVersionSetting::Auto),
            "4" => Ok(NtpVersionSetting::V4),
            "5" => Ok(NtpVersionSetting::V5),
            _ => Err(E::custom(format_args!("\"{v}\": {VERSION_EXPECTED}"))),
        }
    }
}

impl<'de> Deserialize<'de> for NtpVersionSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(VersionVisitor)
    }
}

impl Serialize for NtpVersionSetting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NtpVersionSetting::V4 => s.serialize_u8(4),
            NtpVersionSetting::V5 => s.serialize_u8(5),
            NtpVersionSetting::Auto => s.serialize_str("auto"),
        }
    }
}

/// The timescale an NTPv5 client asks for (`timescale`; the header's
/// timescale field, draft-ietf-ntp-ntpv5 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NtpTimescaleSetting {
    /// `"utc"` (the default): UTC; the offset is measured as it comes.
    #[default]
    Utc,
    /// `"tai"`: TAI. A server that knows TAI − UTC answers in TAI; the
    /// client converts back to UTC with the same offset, and a reply in
    /// another timescale than asked is converted when the offset is known
    /// and dropped otherwise.
    Tai,
}

impl NtpTimescaleSetting {
    /// The value as the file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            NtpTimescaleSetting::Utc => "utc",
            NtpTimescaleSetting::Tai => "tai",
        }
    }

    /// Whether this is the default (UTC).
    pub(crate) fn is_default(&self) -> bool {
        *self == NtpTimescaleSetting::Utc
    }
}

/// The NTPv5 drafts a client can speak (`[[ntp-source]] draft`).
pub const DRAFTS: [u8; 2] = [8, 9];

/// The NTPv5 draft an `[[ntp-source]]` speaks (`draft`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NtpDraftSetting {
    /// `"auto"` (the default): found by trying, -08 first (ntpd-rs 1.9,
    /// the release on crates.io), then -09; kept once answered.
    #[default]
    Auto,
    /// `8` or `9`: that draft only (the configuration check refuses others).
    Draft(u8),
}

impl NtpDraftSetting {
    /// Whether this is the default (`"auto"`).
    pub(crate) fn is_default(&self) -> bool {
        *self == NtpDraftSetting::Auto
    }
}

impl fmt::Display for NtpDraftSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NtpDraftSetting::Auto => f.write_str("auto"),
            NtpDraftSetting::Draft(d) => write!(f, "{d}"),
        }
    }
}

/// The message for a `draft` that is neither a number nor `"auto"`.
const DRAFT_EXPECTED: &str = "expected 8, 9 or \"auto\"";

struct DraftVisitor;

impl Visitor<'_> for DraftVisitor {
    type Value = NtpDraftSetting;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DRAFT_EXPECTED)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u8::try_from(v)
            .map(NtpDraftSetting::Draft)
            .map_err(|_| E::custom(format_args!("{v} is not an NTPv5 draft; {DRAFT_EXPECTED}")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "auto" => Ok(NtpDraftSetting::Auto),
            _ => Err(E::custom(format_args!("\"{v}\": {DRAFT_EXPECTED}"))),
        }
    }
}

impl<'de> Deserialize<'de> for NtpDraftSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DraftVisitor)
    }
}

impl Serialize for NtpDraftSetting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NtpDraftSetting::Auto => s.serialize_str("auto"),
            NtpDraftSetting::Draft(d) => s.serialize_u8(*d),
        }
    }
}

/// The versions an `[ntp-server]` answers by default: NTPv4 (and the
/// versions 1 to 3 it has always answered), as ntpd-rs does; NTPv5 is a
/// draft, so it is answered only when `versions` lists 5.
pub fn default_server_versions() -> Vec<u8> {
    vec![4]
}

/// Whether `v` is the default list of versions.
pub(crate) fn is_default_versions(v: &[u8]) -> bool {
    v == [4]
}

/// The problem with an `[ntp-server] versions` list, if any.
pub(crate) fn check_server_versions(versions: &[u8]) -> Result<(), String> {
    if versions.is_empty() {
        return Err("`versions` needs at least one version: 4, 5 or both".into());
    }
    for (i, v) in versions.iter().enumerate() {
        match v {
            4 | 5 => {}
            1..=3 => {
                return Err(format!(
                    "`versions` lists {v}: versions 1 to 3 are answered whenever 4 is listed; list 4, 5 or both"
                ));
            }
            _ => return Err(format!("`versions` lists {v}, which is not 4 or 5")),
        }
        if versions[..i].contains(v) {
            return Err(format!("`versions` lists {v} twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_versions_are_checked() {
        assert!(check_server_versions(&[4]).is_ok());
        assert!(check_server_versions(&[4, 5]).is_ok());
        assert!(check_server_versions(&[5]).is_ok());
        assert!(
            check_server_versions(&[])
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            check_server_versions(&[3, 4])
                .unwrap_err()
                .contains("1 to 3")
        );
        assert!(
            check_server_versions(&[6])
                .unwrap_err()
                .contains("not 4 or 5")
        );
        assert!(
            check_server_versions(&[5, 5])
                .unwrap_err()
                .contains("twice")
        );
    }
}
