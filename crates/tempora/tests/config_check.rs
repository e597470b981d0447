//! `tempora config check` checks what the daemon will need, with the
//! daemon's own start-up checks: certificates and keys that parse and
//! match, writable directories, a frequency file that is a file, socket
//! paths that fit, reachable ports, present interfaces (a warning), and a
//! bounded input. The daemon refuses the same configurations with the
//! same exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `tempora ARGS`: exit status, stdout, stderr.
fn tempora(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A private directory with a certificate, its key and a foreign key
/// (made with openssl), removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tempora-check-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    /// `cert.pem` with `cert.key`, and `other.key` (another key).
    fn pki(&self) {
        let script = "set -e; \
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
              -keyout cert.key -out cert.pem -days 2 -subj '/CN=localhost' 2>/dev/null; \
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
              -out other.key 2>/dev/null";
        let out = Command::new("sh")
            .args(["-c", script])
            .current_dir(&self.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A configuration serving NTP on a virtual clock, with `extra`
    /// appended; returns its path.
    fn config(&self, name: &str, extra: &str) -> String {
        let text = format!(
            "[ntp-server]\nlisten = [\"127.0.0.1:0\"]\n\n[clock]\nkind = \"virtual\"\n\
             {extra}\n\n[observability]\nsocket = \"{}\"\n",
            self.path("control.sock")
        );
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// An `[nts-ke-server]` section over `cert` and `key`.
    fn nts(&self, cert: &str, key: &str, more: &str) -> String {
        format!(
            "\n[nts-ke-server]\nlisten = [\"127.0.0.1:0\"]\ncertificate-chain = \"{cert}\"\n\
             private-key = \"{key}\"\n{more}"
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `config check` refuses `file` with status 2 and a message containing
/// `needle`; so does the daemon, before opening anything.
fn refused_by_both(file: &str, needle: &str) {
    let (code, out, err) = tempora(&["config", "check", file]);
    assert_eq!(code, 2, "config check passed: {out}{err}");
    assert!(err.contains(needle), "{err}");
    let (code, _, err) = tempora(&["daemon", "-c", file]);
    assert_eq!(code, 2, "the daemon: {err}");
    assert!(err.contains(needle), "the daemon: {err}");
}

#[test]
fn a_good_configuration_passes() {
    let s = Scratch::new("good");
    s.pki();
    let nts = s.nts(&s.path("cert.pem"), &s.path("cert.key"), "");
    let file = s.config(
        "good.toml",
        &format!("frequency-file = \"{}\"\n{nts}", s.path("freq/f")),
    );
    let (code, out, err) = tempora(&["config", "check", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok"), "{out}");
}

#[test]
fn a_missing_certificate_is_refused() {
    let s = Scratch::new("nocert");
    s.pki();
    let nts = s.nts(&s.path("missing.pem"), &s.path("cert.key"), "");
    let file = s.config("c.toml", &nts);
    refused_by_both(&file, "missing.pem");
    // --syntax-only checks the file alone (as CI does for the samples).
    let (code, _, err) = tempora(&["config", "check", "--syntax-only", &file]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_garbage_private_key_is_refused() {
    let s = Scratch::new("badkey");
    s.pki();
    std::fs::write(
        s.path("garbage.key"),
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let nts = s.nts(&s.path("cert.pem"), &s.path("garbage.key"), "");
    refused_by_both(&s.config("c.toml", &nts), "garbage.key");
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let s = Scratch::new("otherkey");
    s.pki();
    let nts = s.nts(&s.path("cert.pem"), &s.path("other.key"), "");
    refused_by_both(&s.config("c.toml", &nts), "other.key");
}

#[test]
fn an_unwritable_key_file_directory_is_refused() {
    let s = Scratch::new("keydir");
    s.pki();
    // A regular file where the directory should be, and /proc, where no
    // one (not even root) creates files.
    std::fs::write(s.path("plain"), "").unwrap();
    for key_file in [s.path("plain/nts-keys"), "/proc/tempora-nts-keys".into()] {
        let more = format!("key-file = \"{key_file}\"\n");
        let nts = s.nts(&s.path("cert.pem"), &s.path("cert.key"), &more);
        let dir = Path::new(&key_file).parent().unwrap().display().to_string();
        refused_by_both(&s.config("c.toml", &nts), &dir);
    }
}

#[test]
fn a_frequency_file_that_is_a_directory_is_refused() {
    let s = Scratch::new("freqdir");
    std::fs::create_dir_all(s.path("freq")).unwrap();
    let file = s.config(
        "c.toml",
        &format!("frequency-file = \"{}\"\n", s.path("freq")),
    );
    refused_by_both(&file, "is a directory");
}

#[test]
fn a_socket_path_over_107_bytes_is_refused() {
    let s = Scratch::new("longsock");
    let long = format!("/run/tempora/{}.sock", "x".repeat(100));
    let file = s.config("c.toml", "");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace(&s.path("control.sock"), &long);
    std::fs::write(&file, text).unwrap();
    refused_by_both(&file, "at most 107 bytes");
}

#[test]
fn ntp_port_zero_is_refused() {
    let s = Scratch::new("port0");
    s.pki();
    let nts = s.nts(&s.path("cert.pem"), &s.path("cert.key"), "ntp-port = 0\n");
    refused_by_both(&s.config("c.toml", &nts), "`ntp-port` = 0");
}

#[test]
fn a_missing_interface_is_a_warning() {
    let s = Scratch::new("noiface");
    let file = s.config("c.toml", "\n[[port]]\ninterface = \"tmpr-none0\"\n");
    let (code, _, err) = tempora(&["config", "check", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: interface tmpr-none0"), "{err}");
}

/// The CSPTP sections: a server beside a UDP port without `interfaces` is
/// refused at the key; a missing CSPTP interface is a warning, as a
/// port's.
#[test]
fn csptp_sections_are_checked() {
    let s = Scratch::new("csptp");
    let port = "\n[[port]]\ninterface = \"lo\"\ntransport = \"udp4\"\n";
    let file = s.config(
        "a.toml",
        &format!("{port}[csptp-server]\nlisten = [\"0.0.0.0\"]\n"),
    );
    let (code, _, err) = tempora(&["config", "check", &file]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a.toml:11:1: beside PTP [[port]]s over UDP (lo)"),
        "{err}"
    );
    let file = s.config(
        "b.toml",
        "\n[[csptp-source]]\naddress = \"192.0.2.1\"\ninterface = \"tmpr-none1\"\n",
    );
    let (code, _, err) = tempora(&["config", "check", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: interface tmpr-none1"), "{err}");
}

/// `/dev/zero` never ends: the check stops at 1 MiB with an error, quickly
/// and in little memory (run under a 1 GiB address-space limit).
#[test]
fn an_endless_input_is_refused_quickly() {
    let script = format!(
        "ulimit -v 1048576; exec {} config check /dev/zero",
        env!("CARGO_BIN_EXE_tempora")
    );
    let start = Instant::now();
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("config check /dev/zero still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("larger than 1024 KiB"),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_key_file_the_daemon_would_refuse_is_refused() {
    let s = Scratch::new("ntpkeys");
    let keys = s.path("ntp.keys");
    // MD5 (chrony's default type) is refused (RFC 8573).
    std::fs::write(
        &keys,
        "1 AES128 HEX:000102030405060708090A0B0C0D0E0F\n2 MD5 secret\n",
    )
    .unwrap();
    let path = s.0.join("keys.toml");
    let text = format!(
        "[ntp-server]\nlisten = [\"127.0.0.1:0\"]\nkey-file = \"{keys}\"\n\n[clock]\nkind = \"virtual\"\n\n\
         [observability]\nsocket = \"{}\"\n",
        s.path("control.sock")
    );
    std::fs::write(&path, text).unwrap();
    let file = path.display().to_string();
    refused_by_both(&file, &format!("{keys}:2"));
    // Without the MD5 line it passes.
    std::fs::write(&keys, "1 AES128 HEX:000102030405060708090A0B0C0D0E0F\n").unwrap();
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let (code, out, err) = tempora(&["config", "check", &file]);
    assert_eq!(code, 0, "{out}{err}");
}

/// The NTPv5 keys: good values pass `config check`; a bad `version`, a
/// `timescale` without NTPv5, and `smear` without 5 in `versions` are
/// refused by both at the key.
#[test]
fn ntpv5_keys_are_checked() {
    let s = Scratch::new("ntpv5");
    let good = s.config(
        "good.toml",
        "\n[[ntp-source]]\naddress = \"127.0.0.1\"\nversion = \"auto\"\ntimescale = \"tai\"\n",
    );
    let (code, out, err) = tempora(&["config", "check", &good]);
    assert_eq!(code, 0, "{out}{err}");
    refused_by_both(
        &s.config(
            "v.toml",
            "\n[[ntp-source]]\naddress = \"127.0.0.1\"\nversion = 6\n",
        ),
        "6 is not an NTP version; expected 4, 5 or \"auto\"",
    );
    refused_by_both(
        &s.config(
            "t.toml",
            "\n[[ntp-source]]\naddress = \"127.0.0.1\"\ntimescale = \"tai\"\n",
        ),
        "needs `version` = 5 or \"auto\"",
    );
    let text = std::fs::read_to_string(&good).unwrap().replace(
        "listen = [\"127.0.0.1:0\"]\n",
        "listen = [\"127.0.0.1:0\"]\nsmear = true\n",
    );
    let smear = s.path("smear.toml");
    std::fs::write(&smear, text).unwrap();
    refused_by_both(&smear, "needs 5 in `versions`");
}

/// The Roughtime long-term key: made by `tempora roughtime keygen` (mode
/// 0600), refused by both when its group or others may read it, or (as
/// root) when another user owns it.
#[test]
fn a_roughtime_key_others_may_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new("roughtime");
    let key = s.path("rt.key");
    let (code, out, err) = tempora(&["roughtime", "keygen", "--out", &key]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("public key (base64) "), "{out}");
    let section =
        format!("\n[roughtime-server]\nkey-file = \"{key}\"\nlisten = [\"127.0.0.1:12999\"]\n");
    let file = s.config("rt.toml", &section);
    let (code, _, err) = tempora(&["config", "check", &file]);
    assert_eq!(code, 0, "{err}");
    // Never over an existing key.
    assert_eq!(tempora(&["roughtime", "keygen", "--out", &key]).0, 2);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused_by_both(
        &file,
        "has mode 0644: its group or others may read the long-term key",
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if tempora_linux::account::effective_uid() == 0 {
        std::os::unix::fs::chown(&key, Some(65534), None).unwrap();
        refused_by_both(&file, "is owned by uid 65534, not by the daemon (uid 0)");
    }
}
