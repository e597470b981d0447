//! Durations written as strings with a unit: `"20us"`, `"1.5ms"`,
//! `"-250ns"`, `"1000s"`.
//!
//! The grammar is an optional sign, decimal digits with an optional
//! fraction, optional spaces, and one of the units `ns`, `us` (or `µs`),
//! `ms`, `s`. The value must be a whole number of nanoseconds.

use core::fmt;

use tempora_clock::Duration;

/// The units a duration may be written in, for error messages.
pub const UNITS: &str = "ns, us, ms, s";

/// Why a duration string does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    /// What is wrong, naming the offending text.
    pub message: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DurationError {}

fn err(message: String) -> DurationError {
    DurationError { message }
}

/// Parses a duration with a unit, e.g. `"20us"` or `"-1.5ms"`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(err(format!(
            "empty duration: write a number and a unit ({UNITS}), e.g. `20us`"
        )));
    }
    let (negative, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(number_len);
    let unit = unit.trim_start();
    if number.is_empty() {
        return Err(err(format!(
            "bad duration `{text}`: expected a number followed by a unit ({UNITS}), e.g. `20us`"
        )));
    }
    let scale: i128 = match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "" => {
            return Err(err(format!(
                "bad duration `{text}`: no unit; write e.g. `{number}ms` (units: {UNITS})"
            )));
        }
        other => {
            return Err(err(format!(
                "bad duration `{text}`: unknown unit `{other}` (units: {UNITS})"
            )));
        }
    };
    let number: String = number.chars().filter(|&c| c != '_').collect();
    let (int, frac) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number.as_str(), ""),
    };
    if int.is_empty() && frac.is_empty()
        || frac.contains('.')
        || !int.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err(format!(
            "bad duration `{text}`: `{number}` is not a number"
        )));
    }
    let too_big = || err(format!("bad duration `{text}`: too large"));
    let mut nanos: i128 = 0;
    for b in int.bytes() {
        nanos = nanos
            .checked_mul(10)
            .and_then(|n| n.checked_add(i128::from(b - b'0')))
            .ok_or_else(too_big)?;
    }
    nanos = nanos.checked_mul(scale).ok_or_else(too_big)?;
    let mut place = scale;
    for b in frac.bytes() {
        if b == b'0' {
            place /= 10;
            continue;
        }
        if place < 10 {
            return Err(err(format!(
                "bad duration `{text}`: finer than 1 ns; use a smaller unit"
            )));
        }
        place /= 10;
        nanos += i128::from(b - b'0') * place;
    }
    // Durations are stored as 2^-16 ns in an i128; keep to what i64 nanoseconds hold.
    let nanos = i64::try_from(nanos).map_err(|_| too_big())?;
    Ok(Duration::from_nanos(if negative { -nanos } else { nanos }))
}

/// Formats a duration in the largest unit that shows it exactly, e.g.
/// `20us`, `1500us`, `-3ns`; [`parse_duration`] reads it back unchanged.
/// Sub-nanosecond parts are rounded toward zero.
pub fn format_duration(d: Duration) -> String {
    let ns = d.nanos();
    for (unit, scale) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if ns != 0 && ns % scale == 0 {
            return format!("{}{unit}", ns / scale);
        }
    }
    format!("{ns}ns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_fractions() {
        let p = |s| parse_duration(s).map(|d| d.nanos());
        assert_eq!(p("20us"), Ok(20_000));
        assert_eq!(p("20 us"), Ok(20_000));
        assert_eq!(p("20µs"), Ok(20_000));
        assert_eq!(p("1.5ms"), Ok(1_500_000));
        assert_eq!(p("-250ns"), Ok(-250));
        assert_eq!(p("+1s"), Ok(1_000_000_000));
        assert_eq!(p("1000s"), Ok(1_000_000_000_000));
        assert_eq!(p("0ns"), Ok(0));
        assert_eq!(p(".5s"), Ok(500_000_000));
        assert_eq!(p("1_000ns"), Ok(1000));
        assert_eq!(p("0.000000001s"), Ok(1));
        assert_eq!(p("1.0ns"), Ok(1));
    }

    #[test]
    fn precise_errors() {
        let e = |s| parse_duration(s).unwrap_err().message;
        assert!(e("5").contains("no unit; write e.g. `5ms`"), "{}", e("5"));
        assert!(e("5 parsecs").contains("unknown unit `parsecs`"));
        assert!(e("ms").contains("expected a number"));
        assert!(e("").contains("empty duration"));
        assert!(e("1.2.3s").contains("not a number"));
        assert!(e("0.5ns").contains("finer than 1 ns"));
        assert!(e("99999999999999999999999s").contains("too large"));
    }

    #[test]
    fn format_round_trips() {
        for s in ["20us", "1500us", "-3ns", "0ns", "1000s", "5ms", "-1s"] {
            let d = parse_duration(s).unwrap();
            assert_eq!(format_duration(d), s);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}
