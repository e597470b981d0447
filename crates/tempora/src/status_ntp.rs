//! The lines of `tempora status` about the NTP sources' protocol: the
//! version in use (and the NTPv5 draft) of each source that is not plain
//! NTPv4, and the timing loops, with their reason.

use tempora_daemon::status::{NtpSourceStatus, Status};

/// One line per NTP source set to version 5 or `auto`, or found in a
/// timing loop.
pub fn lines(s: &Status) -> Vec<String> {
    s.ntp_sources
        .iter()
        .filter(|n| n.ntp_version != 4 || n.version_setting != "4" || n.timing_loop)
        .map(line)
        .collect()
}

fn line(n: &NtpSourceStatus) -> String {
    let version = match (&n.draft, n.ntp_version) {
        (Some(d), v) => format!("NTPv{v} ({d})"),
        (None, v) => format!("NTPv{v}"),
    };
    let mut text = format!(
        "ntp version      {} {version}, version = {}",
        n.address, n.version_setting
    );
    if n.timing_loop {
        text.push_str(
            "; TIMING LOOP: its reference ids (NTPv5 Bloom filter) include ours, not selected",
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(json: &str) -> NtpSourceStatus {
        let base = r#""name":"a","address":"192.0.2.1:123","state":"active","reach":255,
            "poll":6,"offset_ns":null,"delay_ns":null,"jitter_ns":null,"stratum":1,
            "selected":false,"system_peer":false"#;
        serde_json::from_str(&format!("{{{base}{json}}}")).unwrap()
    }

    #[test]
    fn versions_and_loops_get_lines() {
        let v4 = source(r#","version_setting":"4""#);
        let auto = source(
            r#","version_setting":"auto","ntp_version":5,"draft":"draft-ietf-ntp-ntpv5-08""#,
        );
        let looped = source(r#","version_setting":"5","ntp_version":5,"timing_loop":true"#);
        assert!(line(&v4).contains("NTPv4"));
        assert_eq!(
            line(&auto),
            "ntp version      192.0.2.1:123 NTPv5 (draft-ietf-ntp-ntpv5-08), version = auto"
        );
        assert!(line(&looped).contains("TIMING LOOP"), "{}", line(&looped));
        let json = r#"{"identity":"x","ports":[],"parent":"p","grandmaster":"g","steps_removed":0,
            "offset_from_master_ns":0.0,"mean_path_delay_ns":0.0,"servo_state":"locked",
            "frequency_ppb":0.0,"clock":"virtual","measurements":1,"uptime_s":1.0}"#;
        let mut s: Status = serde_json::from_str(json).unwrap();
        s.ntp_sources = vec![v4, auto, looped];
        assert_eq!(lines(&s).len(), 2);
    }
}
