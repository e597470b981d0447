//! `tempora tracking`: how the clock follows the selected source (like
//! `chronyc tracking`), from the daemon's JSON status.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use tempora_daemon::control_status::TrackingStatus;
use tempora_daemon::status::Status;

use crate::daemon_status::{fetch, print_json};

/// The lines of the report.
fn lines(s: &Status, t: &TrackingStatus) -> Vec<String> {
    let secs = |ns: Option<f64>| ns.map_or("-".into(), |v| format!("{:.9} seconds", v * 1e-9));
    let ppb = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:+.3} ppb"));
    let offset = t.system_offset_ns.map_or("-".into(), |o| {
        let side = if o >= 0.0 { "slow" } else { "fast" };
        format!("{:.9} seconds {side} of the reference", o.abs() * 1e-9)
    });
    let stratum = t.stratum.map_or("-".into(), |s| s.to_string());
    let ref_time = t
        .ref_time_unix_s
        .map_or("-".into(), |r| format!("{r:.3} (Unix seconds)"));
    let freq_side = if s.frequency_ppb >= 0.0 {
        "fast"
    } else {
        "slow"
    };
    vec![
        format!(
            "Reference       : {}",
            t.reference.as_deref().unwrap_or("none")
        ),
        format!("Stratum         : {stratum}"),
        format!("Ref time        : {ref_time}"),
        format!("System time     : {offset}"),
        format!(
            "Frequency       : {:.3} ppb {freq_side} (servo {}, clock {})",
            s.frequency_ppb.abs(),
            s.servo_state,
            s.clock
        ),
        format!("Residual freq   : {}", ppb(t.residual_frequency_ppb)),
        format!(
            "Skew            : {}",
            t.skew_ppb.map_or("-".into(), |v| format!("{v:.3} ppb"))
        ),
        format!("Root delay      : {}", secs(t.root_delay_ns)),
        format!("Root dispersion : {}", secs(t.root_dispersion_ns)),
        format!(
            "Update interval : {}",
            t.update_interval_s
                .map_or("-".into(), |i| format!("{i:.1} seconds"))
        ),
        format!("Leap status     : {}", t.leap),
        format!("Estimated error : {}", secs(t.estimated_error_ns)),
    ]
}

/// The report of a daemon without a selection (PTP only): the PTP
/// servo's view.
fn ptp_only(s: &Status) -> TrackingStatus {
    let synced = s.ports.iter().any(|p| p.state == "SLAVE");
    TrackingStatus {
        reference: synced.then(|| s.grandmaster.clone()),
        stratum: None,
        ref_time_unix_s: None,
        system_offset_ns: synced.then_some(-s.offset_from_master_ns),
        residual_frequency_ppb: None,
        skew_ppb: None,
        root_delay_ns: synced.then_some(s.mean_path_delay_ns),
        root_dispersion_ns: None,
        update_interval_s: None,
        leap: if synced { "normal" } else { "not synchronised" }.into(),
        estimated_error_ns: None,
    }
}

/// Runs the command.
pub fn tracking(socket: &Path, json: bool) -> ExitCode {
    let s = match fetch(socket, "tracking") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let t = s.tracking.clone().unwrap_or_else(|| ptp_only(&s));
    if json {
        let mut v = serde_json::to_value(&t).unwrap_or_default();
        if let Some(map) = v.as_object_mut() {
            map.insert("frequency_ppb".into(), json!(s.frequency_ppb));
            map.insert("servo_state".into(), json!(s.servo_state.name()));
            map.insert("clock".into(), json!(s.clock));
            map.insert("steps".into(), json!(s.steps));
        }
        return print_json(&v);
    }
    for line in lines(&s, &t) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_reads_like_chronyc_tracking() {
        let s: Status = serde_json::from_str(
            r#"{"identity":"x","ports":[],"parent":"p","grandmaster":"g","steps_removed":0,
            "offset_from_master_ns":0.0,"mean_path_delay_ns":0.0,"servo_state":"locked",
            "frequency_ppb":-1234.5,"clock":"virtual","measurements":1,"uptime_s":1.0,
            "tracking":{"reference":"ntp:192.0.2.1:123","stratum":3,"system_offset_ns":-2500.0,
            "update_interval_s":16.0,"leap":"normal","estimated_error_ns":150000.0}}"#,
        )
        .unwrap();
        let t = s.tracking.clone().unwrap();
        let text = lines(&s, &t).join("\n");
        assert!(
            text.contains("Reference       : ntp:192.0.2.1:123"),
            "{text}"
        );
        assert!(text.contains("Stratum         : 3"), "{text}");
        assert!(
            text.contains("0.000002500 seconds fast of the reference"),
            "{text}"
        );
        assert!(text.contains("1234.500 ppb slow"), "{text}");
        assert!(text.contains("Update interval : 16.0 seconds"), "{text}");
        assert!(
            text.contains("Estimated error : 0.000150000 seconds"),
            "{text}"
        );
        assert!(text.contains("Root delay      : -"), "{text}");
        assert_eq!(ptp_only(&s).leap, "not synchronised");
    }
}
