use super::*;

fn status(extra: &str) -> Status {
    let json = format!(
        r#"{{"identity":"x","ports":[{{"number":1,"interface":"veth0","transport":"udp4",
        "state":"SLAVE","rx":[],"tx":[],"rx_errors":0,"residence_count":0}}],"parent":"p","grandmaster":"g",
        "steps_removed":1,"offset_from_master_ns":-1500.0,"mean_path_delay_ns":400.0,
        "servo_state":"locked","frequency_ppb":0.0,"clock":"virtual","measurements":1,
        "uptime_s":1.0{extra}}}"#
    );
    serde_json::from_str(&json).unwrap()
}

fn source(name: &str, kind: &str, selection: &str) -> String {
    format!(
        r#"{{"name":"{name}","kind":"{kind}","selection":"{selection}","offset_ns":1000.0,
        "delay_ns":2000.0,"frequency_ppb":-213.25,"frequency_sigma_ppb":4.5,"falseticker_run":0,"delay_rejected":0,"options":{{"prefer":false,
        "noselect":false,"trust":false,"require":false,"offset_ns":0.0,"asymmetry_ns":0.0}}}}"#
    )
}

#[test]
fn the_selection_is_joined_with_each_kinds_details() {
    let ntp = r#"{"name":"192.0.2.1","address":"192.0.2.1:123","state":"offline","reach":127,
        "poll":4,"offset_ns":1.0,"delay_ns":2.0,"jitter_ns":30.0,"stratum":2,"selected":false,
        "system_peer":false}"#;
    let s = status(&format!(
        r#","sources":[{},{}],"ntp_sources":[{ntp}]"#,
        source("ptp:port1", "ptp", "selected"),
        source("ntp:192.0.2.1:123", "ntp", "falseticker")
    ));
    let rows = rows(&s);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].state, "selected");
    assert_eq!(rows[0].reason, None);
    assert_eq!(
        rows[0].stratum,
        Some(2),
        "steps removed + 1 for the SLAVE port"
    );
    let n = &rows[1];
    assert_eq!(n.state, "offline", "the NTP source's own state wins");
    assert!(n.reason.as_deref().unwrap().contains("offline"));
    assert_eq!((n.reach, n.poll, n.stratum), (Some(127), Some(4), Some(2)));
    assert_eq!(n.jitter_ns, Some(30.0));
    let text = lines(&rows).join("\n");
    assert!(text.contains("* ptp"), "{text}");
    assert!(text.contains("? ntp       ntp:192.0.2.1:123"), "{text}");
    assert!(text.contains("177"), "reach in octal: {text}");
    assert_eq!(to_json(&rows[1])["reach"], 127);
    // Each source's own frequency (chrony's sourcestats).
    assert!(text.contains("  -213.2ppb"), "{text}");
    assert_eq!(to_json(&rows[0])["frequency_sigma_ppb"], 4.5);
}

#[test]
fn without_a_selection_the_ports_are_the_sources() {
    let rows = rows(&status(""));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "ptp:port1");
    assert_eq!(rows[0].state, "selected");
    assert_eq!(rows[0].offset_ns, Some(1500.0), "source − us");
    assert_eq!(rows[0].delay_ns, Some(800.0), "round trip");
}

#[test]
fn every_state_but_selected_has_a_reason() {
    for state in [
        "candidate",
        "outlier",
        "falseticker",
        "unusable",
        "noselect",
        "unselected",
        "timing-loop",
        "offline",
        "demobilized",
    ] {
        assert!(reason(state).is_some(), "{state}");
    }
    assert_eq!(reason("selected"), None);
}
