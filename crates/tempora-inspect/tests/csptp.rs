//! `tempora inspect` over ntpd-rs's client-server PTP capture
//! (`shared/vectors/next/csptp.pcap`, named by `TEMPORA_SHARED_VECTORS`):
//! every message re-encodes exactly and is shown as the CSPTP request,
//! response or Follow_Up it is, with the CSPTP TLVs' fields. Without the
//! shared directory the test prints one line and passes, except under
//! `CI=true`, where that fails.

use std::path::Path;

use tempora_inspect::{Summary, inspect_file};

const SHARED: &str = env!("TEMPORA_SHARED_VECTORS");

fn capture() -> Option<std::path::PathBuf> {
    let next = Path::new(SHARED).join("next");
    if next.is_dir() {
        return Some(next.join("csptp.pcap"));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{SHARED}/next is missing (TEMPORA_SHARED_VECTORS), and CI=true requires it"
    );
    eprintln!("skipped: no {SHARED}/next (TEMPORA_SHARED_VECTORS): ntpd-rs's CSPTP capture");
    None
}

#[test]
fn csptp_messages_are_shown_as_such() {
    let Some(path) = capture() else {
        return;
    };
    let mut s = Summary::default();
    let mut out = Vec::new();
    inspect_file(&path, false, &mut s, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!((s.decoded, s.identical, s.failed), (7, 7, 0), "{s}\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    let requests: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("CSPTP request"))
        .collect();
    assert_eq!(requests.len(), 5, "{text}");
    assert!(
        requests[0].contains("dom 128")
            && requests[0].contains("csptp-request status yes alt-timescale no"),
        "{}",
        requests[0]
    );
    let response = lines.iter().find(|l| l.contains("CSPTP response")).unwrap();
    assert!(
        response
            .contains("csptp-response req-ingress 1796235014.909173437 req-corr 0ns csptp-status"),
        "{response}"
    );
    assert!(
        response.contains(
            "csptp-status gm 000000.0000.000000 prio 128/128 class 248 acc 0xfe var 0x6900 steps 0 utc-offset 0"
        ),
        "{response}"
    );
    assert!(response.contains("ptpTimescale"), "{response}");
    let follow_up = lines
        .iter()
        .find(|l| l.contains("CSPTP follow_up"))
        .unwrap();
    assert!(
        follow_up.contains("precise-origin 1796235014.909617338"),
        "{follow_up}"
    );

    let mut out = Vec::new();
    inspect_file(&path, true, &mut s, &mut out).unwrap();
    let json: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let response = json.iter().find(|v| v["csptp"] == "response").unwrap();
    let tlvs = response["tlvs"].as_array().unwrap();
    assert_eq!(tlvs[0]["name"], "CSPTP_RESPONSE");
    assert_eq!(tlvs[0]["request_ingress_timestamp"], "1796235014.909173437");
    assert_eq!(tlvs[1]["name"], "CSPTP_STATUS");
    assert_eq!(tlvs[1]["clock_class"], 248);
    assert_eq!(tlvs[1]["offset_scaled_log_variance"], 0x6900);
    let request = json.iter().find(|v| v["csptp"] == "request").unwrap();
    assert_eq!(request["tlvs"][0]["status_requested"], true);
    assert_eq!(request["sdo_id"], 0x300);
}
