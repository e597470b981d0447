//! The `tempora` binary as a user runs it: output format and exit status.

use std::path::PathBuf;
use std::process::Command;

/// The golden captures (the repository's vectors/ by default; CI runs these
/// tests again over ../shared/vectors).
const VECTORS: &str = env!("TEMPORA_VECTORS");

/// The summary line `tempora inspect` must end with for `files`: the
/// library's counts (which tempora-inspect's golden tests check against the
/// captures), with `failed` of the decoded packets failing.
fn summary_line(files: &[PathBuf], failed: u64) -> String {
    let mut s = tempora_inspect::Summary::default();
    for f in files {
        tempora_inspect::inspect_file(f, false, &mut s, &mut std::io::sink()).unwrap();
    }
    assert!(
        s.packets > 0 && s.failed == 0 && s.identical == s.decoded,
        "{s}"
    );
    format!(
        "{} packets, {} decoded, {} identical, {failed} failed, {} skipped",
        s.packets,
        s.decoded - failed,
        s.identical - failed,
        s.skipped
    )
}

fn tempora(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tempora-cli-{}-{name}", std::process::id()))
}

#[test]
fn inspect_all_vectors_exits_zero_with_summary_last() {
    let mut args = vec!["inspect".to_string()];
    let mut files: Vec<_> = std::fs::read_dir(VECTORS)
        .expect("the golden captures (TEMPORA_VECTORS)")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    files.sort();
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = tempora(&args);
    assert_eq!(code, 0, "{err}");
    assert!(files.len() >= 9, "{files:?}");
    assert_eq!(out.lines().last().unwrap(), summary_line(&files, 0));
}

#[test]
fn inspect_json_prints_one_object_per_message() {
    let file = format!("{VECTORS}/ptp-mgmt-4.pcap");
    let (code, out, _) = tempora(&["inspect", "--json", &file]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    let want = summary_line(&[PathBuf::from(&file)], 0);
    assert!(want.ends_with(" 0 skipped"), "{want}");
    assert_eq!(lines.last().unwrap(), &want);
    for line in &lines[..lines.len() - 1] {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v.get("summary").is_some() || v["roundtrip"] == "identical",
            "{line}"
        );
    }
}

/// A PTP packet that does not decode makes the run fail with status 1.
#[test]
fn inspect_fails_on_a_broken_ptp_packet() {
    let original = PathBuf::from(format!("{VECTORS}/ptp-udp4-e2e.pcap"));
    let mut data = std::fs::read(&original).unwrap();
    // First record: 24-byte file header, 16-byte record header, then Ethernet
    // (14) + IPv4 (20) + UDP (8); byte 1 of PTP holds versionPTP.
    let version_at = 24 + 16 + 14 + 20 + 8 + 1;
    assert_eq!(data[version_at] & 0x0f, 2);
    data[version_at] = 0x01;
    let path = scratch("broken.pcap");
    std::fs::write(&path, &data).unwrap();
    let (code, out, _) = tempora(&["inspect", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains("!! unsupported versionPTP 1"),
        "{out}"
    );
    let want = summary_line(&[original], 1);
    assert!(want.ends_with(" 1 failed, 0 skipped"), "{want}");
    assert_eq!(out.lines().last().unwrap(), want);
}

/// A file that is not a capture is reported and gives status 2, without a panic.
#[test]
fn inspect_rejects_a_non_capture() {
    let path = scratch("not.pcap");
    std::fs::write(&path, b"this is not a capture file at all").unwrap();
    let (code, out, err) = tempora(&["inspect", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
    assert_eq!(
        out.lines().last().unwrap(),
        "0 packets, 0 decoded, 0 identical, 0 failed, 0 skipped"
    );
    let (code, _, err) = tempora(&["inspect", "/nonexistent/capture.pcap"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/capture.pcap"), "{err}");
}

/// A bad configuration exits with status 2 and names the file, line and
/// problem; the shipped samples pass.
#[test]
fn config_check_reports_file_line_and_problem() {
    let path = scratch("bad.toml");
    std::fs::write(
        &path,
        "[ptp]\ndomain = 0\n\n[[port]]\ninterface = \"eth0\"\ntransport = \"udp5\"\n",
    )
    .unwrap();
    let (code, _, err) = tempora(&["config", "check", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("{}:6:13:", path.display())),
        "{err}"
    );
    assert!(err.contains("udp5"), "{err}");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/grandmaster.toml"
    );
    let (code, out, err) = tempora(&["config", "check", sample]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok"), "{out}");
}

/// `inspect --sa-file` over linuxptp 4.x's authenticated captures: every
/// ICV checks out with the right keys, none with a wrong key, and a broken
/// SA file is refused with its FILE:LINE.
#[test]
fn inspect_sa_file_verifies_every_icv() {
    // Only in ../shared/vectors (linuxptp 4.x is not in Debian): skipped
    // with a line without it, except under CI=true.
    let shared = env!("TEMPORA_SHARED_VECTORS");
    let next = format!("{shared}/next");
    if !std::path::Path::new(&next).is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{next} is missing (TEMPORA_SHARED_VECTORS), and CI=true requires it"
        );
        eprintln!("skipped: no {next} (TEMPORA_SHARED_VECTORS): linuxptp 4.x's captures");
        return;
    }
    let sa = format!("{next}/ptp-auth.sa.cfg");
    let udp = format!("{next}/ptp-auth-udp4-e2e.pcap");
    let l2 = format!("{next}/ptp-auth-l2-p2p.pcap");
    let (code, out, err) = tempora(&["inspect", "--sa-file", &sa, &udp, &l2]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.last().unwrap(),
        &"208 packets, 208 decoded, 208 identical, 0 failed, 0 skipped, 208 ICVs verified, 0 refused"
    );
    for line in &lines[..lines.len() - 1] {
        assert!(
            line.ends_with("auth ok (spp 1 key 1)") || line.ends_with("auth ok (spp 1 key 2)"),
            "{line}"
        );
    }
    let (code, out, _) = tempora(&["inspect", "--json", "--sa-file", &sa, &udp]);
    assert_eq!(code, 0);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["auth"]["ok"], true);
    assert_eq!(first["auth"]["key_id"], 1);

    let wrong = scratch("wrong.sa.cfg");
    std::fs::write(
        &wrong,
        "[security_association]\nspp 1\n1 AES128 HEX:00F48EBA01E7C5966A76CB787AED4E7B\n",
    )
    .unwrap();
    let (code, out, _) = tempora(&["inspect", "--sa-file", wrong.to_str().unwrap(), &udp]);
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with("!! auth: ICV does not match"),
        "{out}"
    );
    assert!(
        out.ends_with("55 identical, 0 failed, 0 skipped, 0 ICVs verified, 55 refused\n"),
        "{out}"
    );
    // Without the key the message names, each message is refused as such.
    let (code, out, _) = tempora(&["inspect", "--sa-file", wrong.to_str().unwrap(), &l2]);
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with("!! auth: unknown key id 2"),
        "{out}"
    );

    std::fs::write(&wrong, "[security_association]\nspp 1\n1 AES128 HEX:00\n").unwrap();
    let (code, _, err) = tempora(&["inspect", "--sa-file", wrong.to_str().unwrap(), &udp]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("{}:3: key of 1 octets", wrong.display())),
        "{err}"
    );
    let _ = std::fs::remove_file(&wrong);
}

/// `tempora sim` on a mixed-source scenario reports which source was
/// selected over time and each one's share, in text and JSON.
#[test]
fn sim_reports_the_selected_source_over_time() {
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/mixed-ntp-liar.toml"
    );
    let (code, out, err) = tempora(&["sim", scenario]);
    assert_eq!(code, 0, "{err}");
    let timeline = out
        .lines()
        .find(|l| l.starts_with("selected source"))
        .unwrap_or_else(|| panic!("{out}"));
    // Nothing before the sources agree, then the grandmaster until it
    // stops at 1800 s, then NTP; never the liar (server 2).
    assert!(timeline.contains(" s none, "), "{timeline}");
    assert!(timeline.contains(" s ptp:gm, "), "{timeline}");
    assert!(timeline.contains(" s ntp:server"), "{timeline}");
    assert!(!timeline.contains("ntp:server2"), "{timeline}");
    let share = out
        .lines()
        .find(|l| l.starts_with("selected share"))
        .unwrap();
    assert!(
        share.contains("ptp:gm 5") || share.contains("ptp:gm 4"),
        "{share}"
    );
    let (code, out, err) = tempora(&["sim", "--json", scenario]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let timeline = v["selection"]["timeline"].as_array().unwrap();
    assert_eq!(timeline[0]["source"], serde_json::Value::Null, "{v}");
    assert!(timeline.iter().any(|s| s["source"] == "ptp:gm"), "{v}");
    assert!(
        v["selection"]["fractions"].as_array().unwrap().len() >= 3,
        "{v}"
    );
}
