//! The symmetric keys' settings (RFC 8573): `[ntp-server] key-file` and
//! `legacy-sha1`, `[ntp-client] key-file` and `legacy-sha1`,
//! `[[ntp-source]] key`; and the mistakes with them.

use std::path::Path;

use tempora_config::Config;

fn error(text: &str) -> String {
    match Config::parse(text, "t.toml") {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

const SERVER: &str = "[ntp-server]\nlisten = [\"127.0.0.1:123\"]\n";

#[test]
fn keys_are_read_and_written_back() {
    let text = format!(
        "{SERVER}key-file = \"/etc/tempora/server.keys\"\nlegacy-sha1 = true\n\n\
         [ntp-client]\nkey-file = \"/etc/tempora/client.keys\"\n\n\
         [[ntp-source]]\naddress = \"192.0.2.1\"\nkey = 10\n\n\
         [[ntp-source]]\naddress = \"192.0.2.2\"\n"
    );
    let c = Config::parse(&text, "t.toml").unwrap();
    let n = c.ntp_server.as_ref().unwrap();
    assert_eq!(
        n.key_file.as_deref(),
        Some(Path::new("/etc/tempora/server.keys"))
    );
    assert!(n.legacy_sha1);
    assert_eq!(
        c.client_key_file.as_deref(),
        Some(Path::new("/etc/tempora/client.keys"))
    );
    assert!(!c.client_legacy_sha1);
    assert_eq!(c.ntp_sources[0].key, Some(10));
    assert_eq!(c.ntp_sources[1].key, None);
    let again = Config::parse(&c.to_toml(), "t.toml").unwrap();
    assert_eq!(again, c);
}

#[test]
fn mistakes_with_keys() {
    let e = error("[[ntp-source]]\naddress = \"192.0.2.1\"\nkey = 10\n");
    assert_eq!(
        e,
        "t.toml:3:1: `key` needs the keys: `key-file` in [ntp-client]"
    );
    let e =
        error("[ntp-client]\nkey-file = \"k\"\n[[ntp-source]]\naddress = \"192.0.2.1\"\nkey = 0\n");
    assert_eq!(e, "t.toml:5:7: `key` = 0 is not a key id: 1 to 4294967295");
    let e = error(
        "[ntp-client]\nkey-file = \"k\"\n[[ntp-source]]\naddress = \"a.example\"\nnts = true\nkey = 1\n",
    );
    assert!(
        e.starts_with("t.toml:6:1: `key` and `nts = true` cannot both"),
        "{e}"
    );
    let e = error(&format!("{SERVER}legacy-sha1 = true\n"));
    assert!(e.starts_with("t.toml:3:15: `legacy-sha1` is about"), "{e}");
    let e = error("[ntp-client]\nlegacy-sha1 = true\n[[ntp-source]]\naddress = \"192.0.2.1\"\n");
    assert!(e.starts_with("t.toml:2:15: `legacy-sha1` is about"), "{e}");
    let e = error(&format!("{SERVER}key-file = \"\"\n"));
    assert_eq!(e, "t.toml:3:12: `key-file` cannot be empty");
    let e = error("[[ntp-source]]\naddress = \"192.0.2.1\"\nkey = -1\n");
    assert!(e.starts_with("t.toml:3:"), "{e}");
}
