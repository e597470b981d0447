//! The daemon's JSON status as `tempora sources`, `tracking` and `ports`
//! read it, and how they print numbers.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tempora_daemon::control::query_status;
use tempora_daemon::status::Status;

/// Asks the daemon at `socket` for its status, for command `what`; on
/// failure the message is printed and the exit status returned.
pub fn fetch(socket: &Path, what: &str) -> Result<Status, ExitCode> {
    let text = query_status(socket, Duration::from_secs(2)).map_err(|e| {
        eprintln!("tempora {what}: no answer from {}: {e}", socket.display());
        ExitCode::from(1)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        eprintln!(
            "tempora {what}: unexpected answer from {}: {e}",
            socket.display()
        );
        ExitCode::from(1)
    })
}

/// Prints `value` as JSON.
pub fn print_json(value: &serde_json::Value) -> ExitCode {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tempora: {e}");
            ExitCode::from(1)
        }
    }
}

/// A signed time in ns with a unit that fits (`+12.3us`, `-4.56ms`), or
/// `-` when unknown.
pub fn signed(ns: Option<f64>) -> String {
    ns.map_or("-".into(), |v| {
        let sign = if v < 0.0 { '-' } else { '+' };
        format!("{sign}{}", unsigned(Some(v.abs())))
    })
}

/// A time in ns with a unit that fits (`12.3us`), or `-` when unknown.
pub fn unsigned(ns: Option<f64>) -> String {
    let Some(v) = ns.filter(|v| v.is_finite()) else {
        return "-".into();
    };
    let a = v.abs();
    if a < 1e3 {
        format!("{v:.0}ns")
    } else if a < 1e6 {
        format!("{:.1}us", v * 1e-3)
    } else if a < 1e9 {
        format!("{:.3}ms", v * 1e-6)
    } else {
        format!("{:.3}s", v * 1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_get_units() {
        assert_eq!(signed(Some(12_345.0)), "+12.3us");
        assert_eq!(signed(Some(-4_560_000.0)), "-4.560ms");
        assert_eq!(unsigned(Some(12.0)), "12ns");
        assert_eq!(unsigned(Some(2.5e9)), "2.500s");
        assert_eq!(signed(None), "-");
        assert_eq!(unsigned(Some(f64::NAN)), "-");
    }
}
