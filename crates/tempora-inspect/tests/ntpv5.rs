//! `tempora inspect` over ntpd-rs 2.0-alpha's NTPv5 capture
//! (`shared/vectors/next/ntpv5.pcap`, named by `TEMPORA_SHARED_VECTORS`):
//! every packet re-encodes exactly; the v5 ones are shown with their header
//! fields, each extension field and the draft; the v4 ones of the "auto"
//! client show the upgrade signal asked and answered. Without the shared
//! directory the test prints one line and passes, except under `CI=true`,
//! where that fails.

use std::path::Path;

use tempora_inspect::{Summary, inspect_file};

const SHARED: &str = env!("TEMPORA_SHARED_VECTORS");

fn capture() -> Option<std::path::PathBuf> {
    let next = Path::new(SHARED).join("next");
    if next.is_dir() {
        return Some(next.join("ntpv5.pcap"));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{SHARED}/next is missing (TEMPORA_SHARED_VECTORS), and CI=true requires it"
    );
    eprintln!("skipped: no {SHARED}/next (TEMPORA_SHARED_VECTORS): ntpd-rs's NTPv5 capture");
    None
}

#[test]
fn ntpv5_packets_and_the_upgrade_signal_are_shown() {
    let Some(path) = capture() else {
        return;
    };
    let mut s = Summary::default();
    let mut out = Vec::new();
    inspect_file(&path, false, &mut s, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!((s.decoded, s.identical, s.failed), (8, 8, 0), "{s}\n{text}");
    let v5: Vec<&str> = text.lines().filter(|l| l.contains("NTPv5 ")).collect();
    assert_eq!(v5.len(), 6, "{text}");
    assert!(
        v5.iter()
            .all(|l| l.contains("draft draft-ietf-ntp-ntpv5-09")),
        "{text}"
    );
    let first = v5[0];
    assert!(
        first.contains("NTPv5 client") || first.contains("NTPv5 3"),
        "{first}"
    );
    assert!(first.contains("client-cookie 25db5831dd3eea9b"), "{first}");
    assert!(
        first.contains("ef draft-id(27) ef refids-request[0+16](20)"),
        "{first}"
    );
    let reply = v5[1];
    assert!(
        reply.contains("timescale UTC era 0 flags [synchronized]"),
        "{reply}"
    );
    assert!(
        reply.contains("ef refids-response[16 octets, 2 bits](20)"),
        "{reply}"
    );
    assert!(text.contains("ntpv5-upgrade asks (Draft)"), "{text}");
    assert!(text.contains("ntpv5-upgrade answers (Draft)"), "{text}");
}
