//! The NTPv5 keys: `[[ntp-source]] version` and `timescale`, `[ntp-server]
//! versions` and `smear`: defaults, accepted values, and the errors.

use tempora_config::{Config, NtpTimescaleSetting, NtpVersionSetting};

const CLOCK: &str = "[clock]\nkind = \"virtual\"\n";

fn source(extra: &str) -> Result<Config, String> {
    Config::parse(
        &format!("{CLOCK}\n[[ntp-source]]\naddress = \"10.0.0.1\"\n{extra}"),
        "t.toml",
    )
    .map_err(|e| e.to_string())
}

fn server(extra: &str) -> Result<Config, String> {
    Config::parse(
        &format!("{CLOCK}\n[ntp-server]\nlisten = [\"0.0.0.0:123\"]\n{extra}"),
        "t.toml",
    )
    .map_err(|e| e.to_string())
}

#[test]
fn source_version_defaults_to_4_and_takes_5_and_auto() {
    let c = source("").unwrap();
    assert_eq!(c.ntp_sources[0].version, NtpVersionSetting::V4);
    assert_eq!(c.ntp_sources[0].timescale, NtpTimescaleSetting::Utc);
    assert_eq!(
        source("version = 5\n").unwrap().ntp_sources[0].version,
        NtpVersionSetting::V5
    );
    let c = source("version = \"auto\"\ntimescale = \"tai\"\n").unwrap();
    assert_eq!(c.ntp_sources[0].version, NtpVersionSetting::Auto);
    assert_eq!(c.ntp_sources[0].timescale, NtpTimescaleSetting::Tai);
    // Written back out and read again.
    let again = Config::parse(&c.to_toml(), "again.toml").unwrap();
    assert_eq!(again.ntp_sources, c.ntp_sources);
    assert!(
        c.to_toml().contains("version = \"auto\""),
        "{}",
        c.to_toml()
    );
}

#[test]
fn bad_source_versions_are_errors_at_the_value() {
    let e = source("version = 6\n").unwrap_err();
    assert!(e.starts_with("t.toml:6:11:"), "{e}");
    assert!(
        e.contains("6 is not an NTP version; expected 4, 5 or \"auto\""),
        "{e}"
    );
    let e = source("version = 3\n").unwrap_err();
    assert!(e.contains("version 3 is answered by NTPv4 servers"), "{e}");
    let e = source("version = \"automatic\"\n").unwrap_err();
    assert!(
        e.contains("\"automatic\": expected 4, 5 or \"auto\""),
        "{e}"
    );
    let e = source("version = 4.5\n").unwrap_err();
    assert!(e.contains("expected 4, 5 or \"auto\""), "{e}");
}

#[test]
fn draft_is_8_9_or_auto_and_nts_works_with_v5() {
    use tempora_config::NtpDraftSetting;
    assert_eq!(
        source("").unwrap().ntp_sources[0].draft,
        NtpDraftSetting::Auto
    );
    assert_eq!(
        source("version = 5\ndraft = 9\n").unwrap().ntp_sources[0].draft,
        NtpDraftSetting::Draft(9)
    );
    assert_eq!(
        source("version = 5\ndraft = \"auto\"\n")
            .unwrap()
            .ntp_sources[0]
            .draft,
        NtpDraftSetting::Auto
    );
    let e = source("version = 5\ndraft = \"latest\"\n").unwrap_err();
    assert!(e.contains("expected 8, 9 or \"auto\""), "{e}");
    let e = source("version = 5\ndraft = 7\n").unwrap_err();
    assert!(
        e.contains("`draft` = 7 is not an NTPv5 draft spoken here"),
        "{e}"
    );
    // NTS-KE negotiates the version (draft NTPv5 first for "auto").
    for v in ["5", "\"auto\""] {
        let s = source(&format!("version = {v}\nnts = true\n")).unwrap();
        assert!(s.ntp_sources[0].nts);
    }
    let e = source("version = 5\nkey = 3\n").unwrap_err();
    assert!(e.contains("`key` works with version = 4"), "{e}");
    let e = source("version = \"auto\"\nxleave = true\n").unwrap_err();
    assert!(e.contains("`xleave` works with version = 4"), "{e}");
}

#[test]
fn timescale_needs_ntpv5_and_a_known_name() {
    let e = source("timescale = \"tai\"\n").unwrap_err();
    assert!(e.starts_with("t.toml:6:13:"), "{e}");
    assert!(e.contains("needs `version` = 5 or \"auto\""), "{e}");
    let e = source("version = 5\ntimescale = \"gps\"\n").unwrap_err();
    assert!(e.contains("unknown value `gps`"), "{e}");
}

#[test]
fn server_versions_default_to_4() {
    let c = server("").unwrap();
    let n = c.ntp_server.unwrap();
    assert_eq!(n.versions, vec![4]);
    assert!(n.serves_v4() && !n.serves_v5() && !n.smear);
    let n = server("versions = [4, 5]\nsmear = true\n")
        .unwrap()
        .ntp_server
        .unwrap();
    assert!(n.serves_v4() && n.serves_v5() && n.smear);
    let n = server("versions = [5]\n").unwrap().ntp_server.unwrap();
    assert!(!n.serves_v4() && n.serves_v5());
}

#[test]
fn bad_server_versions_are_errors() {
    for (value, needle) in [
        ("[]", "needs at least one version"),
        (
            "[3, 4]",
            "versions 1 to 3 are answered whenever 4 is listed",
        ),
        ("[4, 6]", "lists 6, which is not 4 or 5"),
        ("[5, 5]", "lists 5 twice"),
        ("5", "wrong type"),
    ] {
        let e = server(&format!("versions = {value}\n")).unwrap_err();
        assert!(e.starts_with("t.toml:6:"), "{value}: {e}");
        assert!(e.contains(needle), "{value}: {e}");
    }
    let e = server("smear = true\n").unwrap_err();
    assert!(e.starts_with("t.toml:6:9:"), "{e}");
    assert!(e.contains("needs 5 in `versions`"), "{e}");
}
