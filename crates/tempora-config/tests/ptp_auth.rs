//! The AUTHENTICATION TLV keys: [ptp] `sa-file` and
//! `allow-mutable-correction`, [[port]] `spp` and `active-key-id`; what the
//! checks refuse, and reading the file with FILE:LINE errors.

use tempora_config::Config;
use tempora_ptp::engine::PortAuth;
use tempora_ptp::wire::ClockIdentity;

fn scratch(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("tempora-auth-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn config(sa_file: &str, port: &str) -> String {
    format!("[ptp]\nsa-file = \"{sa_file}\"\n\n[[port]]\ninterface = \"eth0\"\n{port}")
}

const SA: &str = "[security_association]\nspp 1\n1 AES128 HEX:FAF48EBA01E7C5966A76CB787AED4E7B\n2 SHA256-128 ASCII:secret\n";

#[test]
fn keys_reach_the_engine_and_the_file_is_read() {
    let sa = scratch("ok.cfg", SA);
    let text = format!(
        "{}allow-mutable-correction = true\n",
        config(sa.to_str().unwrap(), "spp = 1\nactive-key-id = 2\n").replacen(
            "[[port]]",
            "allow-mutable-correction = true\n\n[[port]]",
            1
        )
    );
    // `allow-mutable-correction` belongs to [ptp], not [[port]].
    assert!(Config::parse(&text, "t.toml").is_err());
    let text = config(sa.to_str().unwrap(), "spp = 1\nactive-key-id = 2\n").replacen(
        "[[port]]",
        "allow-mutable-correction = true\n\n[[port]]",
        1,
    );
    let c = Config::parse(&text, "t.toml").unwrap();
    let ic = c.instance_config(ClockIdentity([0; 8]));
    assert_eq!(
        ic.ports[0].auth,
        Some(PortAuth {
            spp: 1,
            active_key_id: 2
        })
    );
    let db = c.security_associations().unwrap();
    assert!(db.get(1).unwrap().allow_mutable);
    assert_eq!(db.get(1).unwrap().keys.len(), 2);
    // Round trip through TOML.
    assert_eq!(Config::parse(&c.to_toml(), "t.toml").unwrap(), c);
    let _ = std::fs::remove_file(sa);
}

#[test]
fn checks_refuse_incomplete_settings() {
    let cases = [
        (config("/x", "spp = 1\n"), "`spp` needs `active-key-id`"),
        (
            config("/x", "active-key-id = 1\n"),
            "`active-key-id` needs `spp`",
        ),
        (
            config("/x", "spp = 1\nactive-key-id = 0\n"),
            "1 to 4294967295",
        ),
        (
            "[[port]]\ninterface = \"eth0\"\nspp = 1\nactive-key-id = 1\n".to_string(),
            "needs [ptp] `sa-file`",
        ),
        (
            config("/x", "spp = 1\nactive-key-id = 1\n").replacen(
                "[ptp]",
                "[ptp]\ntwo-step = false",
                1,
            ),
            "needs two-step operation",
        ),
        (config("/x", "spp = 256\nactive-key-id = 1\n"), ""),
    ];
    for (text, expected) in cases {
        let e = Config::parse(&text, "t.toml").unwrap_err().to_string();
        assert!(e.starts_with("t.toml:"), "{e}");
        assert!(e.contains(expected), "{text}\n{e}");
    }
}

#[test]
fn sa_file_errors_name_file_and_line() {
    let bad = scratch(
        "bad.cfg",
        "[security_association]\nspp 1\n1 AES128 HEX:00\n",
    );
    let c = Config::parse(
        &config(bad.to_str().unwrap(), "spp = 1\nactive-key-id = 1\n"),
        "t.toml",
    )
    .unwrap();
    let e = c.security_associations().unwrap_err();
    assert_eq!(
        e,
        format!(
            "{}:3: key of 1 octets does not match its length or cipher",
            bad.display()
        )
    );
    let sa = scratch("nokey.cfg", SA);
    let c = Config::parse(
        &config(sa.to_str().unwrap(), "spp = 2\nactive-key-id = 1\n"),
        "t.toml",
    )
    .unwrap();
    assert_eq!(
        c.security_associations().unwrap_err(),
        format!("port 1 (eth0): spp 2 is not in {}", sa.display())
    );
    let c = Config::parse(
        &config(sa.to_str().unwrap(), "spp = 1\nactive-key-id = 3\n"),
        "t.toml",
    )
    .unwrap();
    assert!(
        c.security_associations()
            .unwrap_err()
            .contains("active-key-id 3 is not a key of spp 1")
    );
    let c = Config::parse(
        &config("/nonexistent/sa.cfg", "spp = 1\nactive-key-id = 1\n"),
        "t.toml",
    )
    .unwrap();
    assert!(
        c.security_associations()
            .unwrap_err()
            .starts_with("/nonexistent/sa.cfg: ")
    );
    let _ = std::fs::remove_file(bad);
    let _ = std::fs::remove_file(sa);
}
