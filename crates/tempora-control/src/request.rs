//! A control request: its wire form (`tempora-ctl {json}\n`), the
//! commands, and the parser with its typed error.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What every control request starts with (the status request is
/// `tempora-status\n`, a PTP management message starts with a PTP header:
/// neither can start like this).
pub const PREFIX: &[u8] = b"tempora-ctl ";

/// The version of the request format this crate speaks.
pub const VERSION: u32 = 1;

/// The longest request accepted, bytes (prefix and newline included).
pub const MAX_REQUEST: usize = 1024;

/// The longest source name or address accepted, bytes.
pub const MAX_NAME: usize = 255;

/// The poll exponents (log2 s) a source added at runtime may ask for: the
/// configuration's range for `minpoll` and `maxpoll`.
pub const POLL_RANGE: std::ops::RangeInclusive<i8> = 0..=17;

/// A command of `tempora ctl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Poll NTP sources (one, or all) now, eight requests two seconds
    /// apart, as chronyc's `burst`; CSPTP sources now, one poll's burst.
    Burst {
        /// The source (name or address); all NTP and CSPTP sources
        /// without it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Step the clock by the system peer's offset now, as chronyc's
    /// `makestep`.
    Makestep,
    /// Add an NTP server as a source (not written to the configuration).
    AddSource(AddSource),
    /// Remove an NTP source added at runtime or configured.
    RemoveSource {
        /// The source (name or address).
        source: String,
    },
    /// Stop polling NTP and CSPTP sources (one, or all), as chronyc's
    /// `offline`.
    Offline {
        /// The source (name or address); all NTP and CSPTP sources
        /// without it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Poll NTP and CSPTP sources (one, or all) again, as chronyc's
    /// `online`.
    Online {
        /// The source (name or address); all NTP and CSPTP sources
        /// without it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Reset the servo: it starts over from its current frequency.
    ServoReset,
    /// Set the PTP clock's `priority1` (IEEE 1588-2019 §8.2.1.4.1), as
    /// pmc's `SET PRIORITY1`.
    SetPriority1 {
        /// The new value.
        value: u8,
    },
}

impl Command {
    /// Its name on the wire (and in logs).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Burst { .. } => "burst",
            Command::Makestep => "makestep",
            Command::AddSource(_) => "add-source",
            Command::RemoveSource { .. } => "remove-source",
            Command::Offline { .. } => "offline",
            Command::Online { .. } => "online",
            Command::ServoReset => "servo-reset",
            Command::SetPriority1 { .. } => "set-priority1",
        }
    }
}

/// The NTP source `add-source` adds (the options of `[[ntp-source]]` it
/// may set; the others keep their defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddSource {
    /// `HOST[:PORT]`: an IP address (`[IPV6]:PORT` with a port), or with
    /// `nts` the NTS-KE server's name.
    pub address: String,
    /// Use NTS (RFC 8915).
    #[serde(default)]
    pub nts: bool,
    /// The shortest poll interval, log2 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minpoll: Option<i8>,
    /// The longest poll interval, log2 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxpoll: Option<i8>,
    /// Prefer it in the selection.
    #[serde(default)]
    pub prefer: bool,
    /// Never select it (monitor only).
    #[serde(default)]
    pub noselect: bool,
    /// Do not send the first requests two seconds apart.
    #[serde(default)]
    pub no_iburst: bool,
}

/// Why a datagram is not a valid control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// It does not start with [`PREFIX`]: not meant for this parser.
    NotControl,
    /// Longer than [`MAX_REQUEST`].
    TooLong(usize),
    /// Not UTF-8.
    NotUtf8,
    /// Not the JSON of a request (the JSON parser's message).
    Malformed(String),
    /// A version this daemon does not speak.
    UnsupportedVersion(u64),
    /// A well-formed request with a value out of range.
    Invalid(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NotControl => write!(f, "not a tempora-ctl request"),
            ParseError::TooLong(n) => {
                write!(f, "request of {n} bytes, longer than {MAX_REQUEST}")
            }
            ParseError::NotUtf8 => write!(f, "request is not UTF-8"),
            ParseError::Malformed(e) => write!(f, "malformed request: {e}"),
            ParseError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "request version {v} not supported (this daemon speaks {VERSION})"
                )
            }
            ParseError::Invalid(e) => write!(f, "invalid request: {e}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// The JSON after the prefix.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    version: u32,
    request: Command,
}

/// Only the version, read first (so that a newer client gets told its
/// version is not spoken rather than that its command is unknown).
#[derive(Deserialize)]
struct VersionOnly {
    version: u64,
}

/// The datagram of `command`.
pub fn encode(command: &Command) -> Vec<u8> {
    let envelope = Envelope {
        version: VERSION,
        request: command.clone(),
    };
    let mut out = PREFIX.to_vec();
    // A struct of strings and numbers always serializes.
    out.extend(serde_json::to_vec(&envelope).unwrap_or_default());
    out.push(b'\n');
    out
}

/// Whether `data` is meant as a control request (starts with [`PREFIX`]).
pub fn is_control(data: &[u8]) -> bool {
    data.starts_with(PREFIX)
}

/// Parses a datagram into a command, checked: a bounded length, UTF-8,
/// this version, known fields only, names of at most [`MAX_NAME`] bytes
/// without control characters, poll exponents in [`POLL_RANGE`].
pub fn parse(data: &[u8]) -> Result<Command, ParseError> {
    let body = data.strip_prefix(PREFIX).ok_or(ParseError::NotControl)?;
    if data.len() > MAX_REQUEST {
        return Err(ParseError::TooLong(data.len()));
    }
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|_| ParseError::NotUtf8)?;
    let version: VersionOnly =
        serde_json::from_str(text).map_err(|e| ParseError::Malformed(e.to_string()))?;
    if version.version != u64::from(VERSION) {
        return Err(ParseError::UnsupportedVersion(version.version));
    }
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|e| ParseError::Malformed(e.to_string()))?;
    check(&envelope.request)?;
    Ok(envelope.request)
}

/// The range checks of [`parse`].
fn check(command: &Command) -> Result<(), ParseError> {
    match command {
        Command::Burst { source } | Command::Offline { source } | Command::Online { source } => {
            source.as_deref().map_or(Ok(()), check_name)
        }
        Command::RemoveSource { source } => check_name(source),
        Command::AddSource(a) => check_add(a),
        Command::Makestep | Command::ServoReset | Command::SetPriority1 { .. } => Ok(()),
    }
}

/// A source name or address: not empty, at most [`MAX_NAME`] bytes, no
/// control characters or spaces.
fn check_name(name: &str) -> Result<(), ParseError> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(ParseError::Invalid(format!(
            "a source name must have 1 to {MAX_NAME} bytes"
        )));
    }
    if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ParseError::Invalid(
            "a source name must not contain spaces or control characters".into(),
        ));
    }
    Ok(())
}

/// `add-source`'s address and poll exponents.
fn check_add(a: &AddSource) -> Result<(), ParseError> {
    check_name(&a.address)?;
    for (what, poll) in [("minpoll", a.minpoll), ("maxpoll", a.maxpoll)] {
        if let Some(p) = poll.filter(|p| !POLL_RANGE.contains(p)) {
            return Err(ParseError::Invalid(format!(
                "{what} {p} is outside {}..={}",
                POLL_RANGE.start(),
                POLL_RANGE.end()
            )));
        }
    }
    if let (Some(min), Some(max)) = (a.minpoll, a.maxpoll)
        && min > max
    {
        return Err(ParseError::Invalid(format!(
            "minpoll {min} is above maxpoll {max}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
