//! chrony's argument values: integers, seconds as decimal fractions,
//! `NAME VALUE` option lists.

use std::str::FromStr;

use tempora_clock::Duration;

use super::{Line, State};
use crate::{ConfigError, format_duration};

/// The largest number of seconds read as a duration (chrony's values
/// that are seconds are far smaller; this keeps the nanoseconds in range).
const MAX_SECONDS: f64 = 1.0e6;

/// A number of seconds (`0.5`, `1e-3`, `-0.0002`) as a duration, rounded to
/// the nanosecond; `None` if it is not a finite number within ±10^6 s.
pub(super) fn seconds(v: &str) -> Option<Duration> {
    let f: f64 = v.parse().ok()?;
    if !f.is_finite() || f.abs() > MAX_SECONDS {
        return None;
    }
    Some(Duration::from_nanos((f * 1e9).round() as i64))
}

/// `HOST:PORT`, with an IPv6 literal in brackets.
pub(super) fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Options as chrony lists them after a directive's fixed arguments:
/// flags, and names followed by one value.
pub(super) struct Opts<'a> {
    /// `(name in lower case, value)` in line order.
    pub list: Vec<(String, Option<&'a str>)>,
}

impl Opts<'_> {
    /// Whether flag `name` is given.
    pub fn flag(&self, name: &str) -> bool {
        self.list.iter().any(|(n, _)| n == name)
    }

    /// The last value of option `name`, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.list
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| *v)
    }
}

impl State<'_> {
    /// Reads `args` as options: `flags` stand alone, `valued` take the
    /// next argument; anything else is an error, as chronyd has it.
    pub(super) fn opts<'a>(
        &self,
        line: &Line,
        args: &[&'a str],
        flags: &[&str],
        valued: &[&str],
    ) -> Result<Opts<'a>, ConfigError> {
        let mut list = Vec::new();
        let mut it = args.iter();
        while let Some(word) = it.next() {
            let name = word.to_ascii_lowercase();
            if flags.contains(&name.as_str()) {
                list.push((name, None));
            } else if valued.contains(&name.as_str()) {
                let Some(v) = it.next() else {
                    return Err(self.error(line, format!("option `{name}` needs a value")));
                };
                list.push((name, Some(*v)));
            } else {
                return Err(self.error(
                    line,
                    format!(
                        "unknown `{}` option `{word}` (chronyd refuses it too)",
                        line.name
                    ),
                ));
            }
        }
        Ok(Opts { list })
    }

    /// `v` as an integer for `what`, or an error at `line`.
    pub(super) fn int<T: FromStr>(
        &self,
        line: &Line,
        what: &str,
        v: &str,
    ) -> Result<T, ConfigError> {
        v.parse().map_err(|_| {
            self.error(
                line,
                format!("`{what}` needs an integer in range, not `{v}`"),
            )
        })
    }

    /// `v` as seconds for `what`, written as a Tempora duration.
    pub(super) fn secs(&self, line: &Line, what: &str, v: &str) -> Result<String, ConfigError> {
        seconds(v).map(format_duration).ok_or_else(|| {
            self.error(
                line,
                format!("`{what}` needs a number of seconds, not `{v}`"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_to_nanoseconds() {
        assert_eq!(seconds("0.0005"), Some(Duration::from_micros(500)));
        assert_eq!(seconds("-1e-3"), Some(Duration::from_millis(-1)));
        assert_eq!(seconds("1"), Some(Duration::from_secs(1)));
        assert_eq!(seconds("nan"), None);
        assert_eq!(seconds("1e300"), None);
        assert_eq!(seconds("x"), None);
    }

    #[test]
    fn ipv6_hosts_get_brackets() {
        assert_eq!(host_port("fd00::1", 123), "[fd00::1]:123");
        assert_eq!(host_port("ntp.example", 4460), "ntp.example:4460");
    }
}
