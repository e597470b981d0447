//! The lines of `tempora status` about holdover and the leap second list.

use tempora_daemon::status::Status;

/// The holdover line (with a reference clock, or in holdover) and the leap
/// second list's line.
pub fn lines(s: &Status) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(h) = s.holdover.as_ref().filter(|h| h.state != "free-run") {
        let reference = h.reference.as_deref().unwrap_or("-");
        let error = h
            .estimated_error_ns
            .map_or_else(|| "unknown".to_string(), |e| format!("{e:.0} ns"));
        let mut line = format!(
            "holdover         {} ({reference}), estimated error {error} (budget {:.0} ns)",
            h.state, h.budget_ns
        );
        if h.state != "locked" {
            line.push_str(&format!(", {:.0} s in holdover", h.holdover_s));
        }
        if let Some(c) = h.clock_class {
            line.push_str(&format!(", clockClass {c}"));
        }
        if let Some(st) = h.stratum {
            line.push_str(&format!(", stratum {st}"));
        }
        out.push(line);
    }
    if let Some(l) = &s.leap_seconds {
        let line = if l.loaded {
            let offset = l
                .tai_minus_utc
                .map_or_else(|| "-".to_string(), |o| o.to_string());
            let expires = l.expires.map_or_else(|| "?".to_string(), date);
            format!(
                "leap seconds     {}: TAI-UTC {offset} s, leap pending: {}, expires {expires}{}",
                l.path,
                l.pending,
                if l.expired { " (EXPIRED)" } else { "" }
            )
        } else {
            match &l.problem {
                Some(p) => format!("leap seconds     {}: not used: {p}", l.path),
                None => format!("leap seconds     no list ({} not found)", l.path),
            }
        };
        out.push(line);
        if let Some(armed) = &l.clock_armed {
            let tai = l
                .clock_tai_offset
                .map_or_else(String::new, |t| format!(", TAI-UTC {t} s set"));
            out.push(format!(
                "leap armed       {armed} (in the disciplined clock{tai})"
            ));
        }
    }
    out
}

/// `YYYY-MM-DD` of Unix seconds (UTC), by the civil-from-days algorithm.
fn date(unix: i64) -> String {
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdover_and_leap_lines() {
        let json = r#"{"identity":"x","ports":[],"parent":"p","grandmaster":"g","steps_removed":0,
            "offset_from_master_ns":0.0,"mean_path_delay_ns":0.0,"servo_state":"locked",
            "frequency_ppb":0.0,"clock":"system","measurements":1,"uptime_s":1.0,
            "holdover":{"state":"holdover","reference":"pps","holdover_s":125.2,
              "estimated_error_ns":412.7,"budget_ns":1000.0,"clock_class":7,"stratum":1,
              "hold_frequency_ppb":-1500.0},
            "leap_seconds":{"path":"/usr/share/zoneinfo/leap-seconds.list","loaded":true,
              "expires":1782604800,"expired":true,"tai_minus_utc":37,"pending":"none",
              "clock_armed":"insert","clock_tai_offset":36}}"#;
        let s: Status = serde_json::from_str(json).unwrap();
        let l = lines(&s);
        assert_eq!(
            l[0],
            "holdover         holdover (pps), estimated error 413 ns (budget 1000 ns), 125 s in holdover, clockClass 7, stratum 1"
        );
        assert_eq!(
            l[1],
            "leap seconds     /usr/share/zoneinfo/leap-seconds.list: TAI-UTC 37 s, leap pending: none, expires 2026-06-28 (EXPIRED)"
        );
        assert_eq!(
            l[2],
            "leap armed       insert (in the disciplined clock, TAI-UTC 36 s set)"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_483_228_800), "2017-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
