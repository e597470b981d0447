//! Conversion of chrony configuration files: Debian's examples
//! (`/usr/share/doc/chrony/examples/`, plain or gzipped; required when
//! `CI=true`, skipped otherwise) and the hand-written files of
//! `tests/data/chrony/`. Every converted file must load, and every
//! directive line must be either converted (named in a comment of the
//! output) or named in a note.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempora_config::{ChronyConversion, Config, NtpSourceKind, RefclockDriver, from_chrony};

const EXAMPLES: &str = "/usr/share/doc/chrony/examples";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/chrony")
        .join(name)
}

/// The text of `path`, through `gzip -dc` when it ends in `.gz`.
fn read(path: &Path) -> String {
    if path.extension().is_some_and(|e| e == "gz") {
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .output()
            .expect("gzip");
        assert!(out.status.success(), "gzip -dc {}", path.display());
        return String::from_utf8(out.stdout).unwrap();
    }
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Converts `text`, loads the result, and checks that every directive
/// line is accounted for.
fn convert(text: &str, name: &str) -> (ChronyConversion, Config) {
    let conv = from_chrony(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let config =
        Config::parse(&conv.toml, name).unwrap_or_else(|e| panic!("{name}: {e}\n{}", conv.toml));
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with(['#', '!', ';', '%']) {
            continue;
        }
        let converted = conv.toml.contains(&format!("# line {n}: "));
        let noted = conv.notes.iter().any(|x| x.line == n);
        assert!(
            converted || noted,
            "{name}:{n}: `{t}` neither converted nor noted\n{}",
            conv.toml
        );
    }
    for note in &conv.notes {
        assert!(
            note.to_string()
                .starts_with(&format!("{name}:{}: `", note.line)),
            "{note}"
        );
    }
    (conv, config)
}

fn convert_data(name: &str) -> (ChronyConversion, Config) {
    convert(&read(&data(name)), name)
}

fn note_on(conv: &ChronyConversion, line: usize, needle: &str) -> bool {
    conv.notes
        .iter()
        .any(|n| n.line == line && n.reason.contains(needle))
}

#[test]
fn debian_examples_convert_and_load() {
    let dir = PathBuf::from(EXAMPLES);
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{EXAMPLES} is missing (install Debian's chrony package)"
        );
        eprintln!("{EXAMPLES} is missing; skipping chrony's example files");
        return;
    }
    let mut converted = 0;
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("chrony.conf") {
            continue;
        }
        seen += 1;
        let text = read(&path);
        let has_source = text.lines().any(|l| {
            let w = l.split_whitespace().next().unwrap_or("");
            ["server", "pool", "refclock", "allow"].contains(&w)
        });
        if !has_source {
            // example3 has every source commented out: nothing to run.
            let e = from_chrony(&text, &name).unwrap_err();
            assert!(e.to_string().contains("Tempora needs a time source"), "{e}");
            continue;
        }
        let (conv, config) = convert(&text, &name);
        assert!(!config.ntp_sources.is_empty(), "{name}: {}", conv.toml);
        converted += 1;
    }
    assert!(seen >= 3, "only {seen} example files in {EXAMPLES}");
    assert!(converted >= 2, "only {converted} examples with sources");
}

#[test]
fn debian_example_pool_makestep_driftfile() {
    let text =
        "pool pool.ntp.org iburst\ndriftfile /var/lib/chrony/drift\nmakestep 1.0 3\nrtcsync\n";
    let (conv, config) = convert(text, "chrony.conf");
    let s = &config.ntp_sources[0];
    assert_eq!(s.address, "pool.ntp.org");
    assert_eq!(s.kind, NtpSourceKind::Pool);
    assert!(s.iburst);
    assert_eq!(config.clock.step_threshold.nanos(), 1_000_000_000);
    assert_eq!(config.clock.running_step_threshold.nanos(), 0);
    assert_eq!(
        config.clock.frequency_file.as_deref(),
        Some(Path::new("/var/lib/chrony/tempora-frequency"))
    );
    assert!(note_on(&conv, 3, "steps only at its first update"));
    assert!(note_on(&conv, 4, "11-minute mode"));
    assert!(conv.toml.contains("# line 1: pool pool.ntp.org iburst"));
}

#[test]
fn client_options() {
    let (conv, config) = convert_data("client.conf");
    let src = |addr: &str| {
        config
            .ntp_sources
            .iter()
            .find(|s| s.address == addr)
            .unwrap_or_else(|| panic!("no source {addr}:\n{}", conv.toml))
    };
    let a = src("ntp1.example.net");
    assert!(a.iburst && a.prefer);
    assert_eq!((a.minpoll, a.maxpoll), (4, 8));
    let b = src("192.0.2.10");
    // chrony's default is no iburst; Tempora's is iburst: written out.
    assert!(!b.iburst && b.noselect && b.xleave && !b.prefer);
    assert_eq!((b.minpoll, b.maxpoll), (0, 17));
    assert!(note_on(&conv, 7, "`minpoll -2`: changed to 0"));
    assert!(note_on(&conv, 7, "`prefer`: left out"));
    let c = src("[2001:db8::123]:1123");
    assert!(c.trust && c.require);
    assert_eq!(c.max_delay.unwrap().nanos(), 50_000_000);
    assert_eq!(c.offset.unwrap().nanos(), -200_000);
    let d = src("ntp2.example.net");
    assert_eq!(d.key, Some(10));
    assert!(d.iburst, "options are case-insensitive");
    assert_eq!(
        config.client_key_file.as_deref(),
        Some(Path::new("/etc/chrony/chrony.keys"))
    );
    assert!(note_on(&conv, 9, "`burst`"));
    assert!(!note_on(&conv, 9, "version"));
    assert_eq!(src("2.pool.example.org").kind, NtpSourceKind::Pool);
    assert_eq!(config.ntp_sources.len(), 5, "{}", conv.toml);
    assert!(note_on(&conv, 11, "no symmetric mode"));
    assert_eq!(config.minimum_agreeing_sources, 2);
    assert_eq!(config.clock.running_step_threshold.nanos(), 100_000_000);
    assert!(note_on(&conv, 17, "software timestamps"));
    assert!(note_on(&conv, 25, "not a chrony directive"));
}

#[test]
fn nts_sources() {
    let (conv, config) = convert_data("nts-client.conf");
    assert!(config.ntp_sources.iter().all(|s| s.nts));
    assert_eq!(config.ntp_sources[1].address, "nts.example.net:4461");
    // An NTS pool becomes one NTS server (never an unauthenticated pool).
    assert_eq!(config.ntp_sources[2].kind, NtpSourceKind::Server);
    assert!(note_on(&conv, 4, "converted as one server"));
    assert_eq!(
        config.nts_ca_file.as_deref(),
        Some(Path::new("/etc/ssl/certs/ca-certificates.crt"))
    );
    assert!(note_on(&conv, 6, "keeps no cookies"));
}

#[test]
fn server_access_rate_limit_local_nts() {
    let (conv, config) = convert_data("server.conf");
    let n = config.ntp_server.as_ref().expect("[ntp-server]");
    let listen: Vec<String> = n.listen.iter().map(ToString::to_string).collect();
    assert_eq!(listen, ["192.168.1.1:123", "[::]:123"]);
    let allow: Vec<String> = n.allow.iter().map(ToString::to_string).collect();
    assert_eq!(
        allow,
        [
            "192.168.0.0/16",
            "10.0.0.0/8",
            "10.1.2.0/24",
            "2001:db8::/32"
        ]
    );
    let deny: Vec<String> = n.deny.iter().map(ToString::to_string).collect();
    assert_eq!(deny, ["10.1.0.0/16", "192.168.7.7/32"]);
    assert!(note_on(&conv, 6, "Tempora's deny wins"));
    assert!(note_on(&conv, 9, "not host names"));
    let r = n.rate_limit.expect("rate limit");
    assert_eq!(r.burst, 16);
    assert_eq!(r.interval.nanos(), 4_000_000_000);
    assert_eq!(n.rate_limit_leak, 3);
    assert_eq!(n.local_stratum, Some(8));
    let k = config.nts_ke_server.as_ref().expect("[nts-ke-server]");
    assert_eq!(k.certificate_chain, Path::new("/etc/chrony/server.crt"));
    assert_eq!(k.private_key, Path::new("/etc/chrony/server.key"));
    assert_eq!(k.key_rotation.nanos(), 3_600_000_000_000);
    assert_eq!(
        k.key_file.as_deref(),
        Some(Path::new("/var/lib/chrony/tempora-nts-keys"))
    );
    assert_eq!((k.rate_limit_interval, k.rate_limit_burst), (5, 4));
}

#[test]
fn no_allow_means_no_server() {
    let (conv, config) = convert_data("only-denied.conf");
    assert!(config.ntp_server.is_none(), "{}", conv.toml);
    for line in [3, 4, 5, 7] {
        assert!(
            note_on(&conv, line, "without an `allow` line"),
            "line {line}"
        );
    }
    assert!(note_on(&conv, 6, "line 7 overrides it"));
}

#[test]
fn access_order_and_all() {
    let text = "server 192.0.2.1\ndeny 10/8\nallow 10/8\nallow\ndeny\nallow 192.0.2.0/24\n";
    let (conv, config) = convert(text, "c.conf");
    let n = config.ntp_server.expect("server");
    let allow: Vec<String> = n.allow.iter().map(ToString::to_string).collect();
    // The later `allow 10/8` overrides the `deny 10/8`; `deny` (the
    // whole space) overrides the `allow` of everything.
    assert_eq!(allow, ["10.0.0.0/8", "192.0.2.0/24"], "{}", conv.toml);
    assert!(n.deny.is_empty());
    assert!(note_on(&conv, 2, "line 3 overrides it"));
    assert!(note_on(&conv, 4, "line 5 overrides it"));
    let (_, open) = convert("server 192.0.2.1\nallow all\n", "c.conf");
    let allow: Vec<String> = open
        .ntp_server
        .unwrap()
        .allow
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(allow, ["0.0.0.0/0", "::/0"]);
}

#[test]
fn refclocks() {
    let (conv, config) = convert_data("refclocks.conf");
    let rc = |name: &str| {
        config
            .refclocks
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no refclock {name}:\n{}", conv.toml))
    };
    let gps = rc("GPS");
    assert_eq!(gps.driver, RefclockDriver::Shm);
    assert_eq!(gps.segment, Some(0));
    assert_eq!(gps.poll.nanos(), 8_000_000_000);
    assert_eq!(gps.offset.unwrap().nanos(), 500_000_000);
    assert_eq!(gps.delay.unwrap().nanos(), 200_000_000);
    assert!(gps.noselect);
    let pps = rc("PPS");
    assert_eq!(pps.lock.as_deref(), Some("GPS"));
    assert_eq!(pps.filter, 32);
    assert!(pps.trust);
    assert_eq!(rc("PPS3").lock, None, "lock NONE names no refclock");
    assert!(note_on(&conv, 5, "no converted refclock has refid NONE"));
    assert_eq!(rc("NMEA").driver, RefclockDriver::Sock);
    let phc = rc("PHC5");
    assert_eq!(phc.driver, RefclockDriver::Phc);
    assert!(phc.offset.is_none());
    assert!(note_on(&conv, 7, "Tempora refuses it"));
    assert!(note_on(&conv, 8, "extts"));
    assert!(note_on(&conv, 9, "no RTC"));
    assert!(note_on(&conv, 10, "segment"));
    assert_eq!(config.refclocks.len(), 6, "{}", conv.toml);
}

#[test]
fn keys_are_never_dropped_from_a_source() {
    // Without a keyfile the keyed source is left out, not converted
    // without authentication.
    let text = "server 192.0.2.1 key 5\nserver 192.0.2.2\n";
    let (conv, config) = convert(text, "k.conf");
    assert_eq!(config.ntp_sources.len(), 1);
    assert_eq!(config.ntp_sources[0].address, "192.0.2.2");
    assert!(note_on(&conv, 1, "key-file"), "{:?}", conv.notes);
    // Key 0 is no key Tempora takes: the source goes with it.
    let text = "keyfile /etc/chrony/chrony.keys\nserver 192.0.2.1 key 0\nserver 192.0.2.2\n";
    let (conv, config) = convert(text, "k.conf");
    assert_eq!(config.ntp_sources.len(), 1, "{}", conv.toml);
    assert!(config.ntp_sources[0].key.is_none());
    assert!(note_on(&conv, 2, "not converted: Tempora refuses"));
    // `key` and `nts` together: Tempora takes one authentication per
    // source, so the source goes rather than losing either.
    let text = "keyfile /k\nserver 192.0.2.1 key 5 nts\nserver 192.0.2.2\n";
    let (conv, config) = convert(text, "k.conf");
    assert_eq!(config.ntp_sources.len(), 1, "{}", conv.toml);
    assert!(note_on(&conv, 2, "not converted: Tempora refuses"));
}

#[test]
fn nts_server_directives() {
    let text = "server 192.0.2.1\nallow\nntsservercert /c.pem\nntsserverkey /k.pem\n\
                ntsservercert /c2.pem\nntsport 4461\nntsrotate 0\n";
    let (conv, config) = convert(text, "n.conf");
    let k = config.nts_ke_server.expect("[nts-ke-server]");
    let listen: Vec<String> = k.listen.iter().map(ToString::to_string).collect();
    assert_eq!(listen, ["0.0.0.0:4461", "[::]:4461"]);
    assert!(note_on(&conv, 5, "the first pair"));
    assert!(note_on(&conv, 7, "always rotates"));
    // A certificate without its key: no NTS-KE server, noted.
    let (conv, config) = convert("server 192.0.2.1\nallow\nntsservercert /c.pem\n", "n.conf");
    assert!(config.nts_ke_server.is_none());
    assert!(note_on(&conv, 3, "needs both"));
}

#[test]
fn no_makestep_never_steps() {
    let (_, config) = convert("server 192.0.2.1\n", "c.conf");
    assert_eq!(config.clock.step_threshold.nanos(), 0);
    assert!(!config.ntp_sources[0].iburst);
}

#[test]
fn lines_chronyd_refuses_are_errors_with_file_and_line() {
    for (file, want) in [
        (
            "invalid-option.conf",
            "invalid-option.conf:2:1: unknown `server` option `fastpoll`",
        ),
        (
            "invalid-number.conf",
            "invalid-number.conf:2:1: `minpoll` needs an integer",
        ),
        ("no-host.conf", "no-host.conf:2:1: `server` needs a host"),
    ] {
        let e = from_chrony(&read(&data(file)), file).unwrap_err();
        assert!(e.to_string().starts_with(want), "{e}");
    }
    for (text, want) in [
        (
            "allow 10/8 20/8\n",
            ":1:1: `allow` takes at most one subnet",
        ),
        (
            "makestep 1\n",
            ":1:1: `makestep` takes a threshold and a limit",
        ),
        (
            "server a maxdelay x\n",
            ":1:1: `maxdelay` needs a number of seconds",
        ),
        ("refclock GPSD /x\n", ":1:1: unknown refclock driver `GPSD`"),
        ("refclock SHM\n", ":1:1: `refclock` needs a driver"),
        ("local stratum 16\n", ":1:1: `stratum` must be 1 to 15"),
        (
            "ratelimit interval\n",
            ":1:1: option `interval` needs a value",
        ),
        (
            "bindaddress eth0\n",
            ":1:1: `bindaddress`: `eth0` is not an IP address",
        ),
        ("server a port 70000\n", ":1:1: `port` needs an integer"),
        ("server a key x\n", ":1:1: `key` needs an integer"),
    ] {
        let e = from_chrony(text, "x.conf").unwrap_err().to_string();
        assert!(e.starts_with(&format!("x.conf{want}")), "{text:?}: {e}");
    }
}

#[test]
fn odd_input_never_panics() {
    let lines = [
        "server",
        "pool \u{0}",
        "refclock SHM 99999999999",
        "refclock PPS :::",
        "allow all all",
        "allow /",
        "deny ::/200",
        "allow 1.2.3.4/",
        "makestep nan 1",
        "makestep 1e400 -1",
        "driftfile /",
        "local",
        "server [::1]",
        "server a offset 1e30",
        "refclock SOCK \u{7f}",
        "ntsservercert",
        "port -1",
        "minsources 999",
        "server a\u{1}b iburst",
        "refclock PHC /dev/ptp0 refid ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ",
        "server a key 99999999999999999999",
    ];
    for l in lines {
        let text = format!("server 192.0.2.1\n{l}\n");
        if let Ok(c) = from_chrony(&text, "odd.conf") {
            Config::parse(&c.toml, "odd").unwrap_or_else(|e| panic!("{l:?}: {e}\n{}", c.toml));
        }
    }
}

/// A small deterministic fuzz over the data files (the `chrony_conf`
/// fuzz target does this at length): words of every file swapped between
/// lines and replaced by odd values; the conversion must not panic, and
/// what it returns must load.
#[test]
fn mutated_files_never_panic_and_always_load() {
    let mut words: Vec<String> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    for name in [
        "client.conf",
        "nts-client.conf",
        "server.conf",
        "refclocks.conf",
        "only-denied.conf",
    ] {
        for l in read(&data(name)).lines() {
            lines.push(l.to_owned());
            words.extend(l.split_whitespace().map(str::to_owned));
        }
    }
    words.extend(
        [
            "-1", "0", "99999", "1e9", "-0.5", "all", "::", "/", "0/0", ":", "nan", "\u{7}",
        ]
        .map(str::to_owned),
    );
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut loaded = 0;
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..1 + next(6) {
            let line = &lines[next(lines.len())];
            let mut w: Vec<&str> = line.split_whitespace().collect();
            for _ in 0..next(3) {
                if !w.is_empty() {
                    let i = next(w.len());
                    w[i] = &words[next(words.len())];
                }
            }
            text.push_str(&w.join(" "));
            text.push('\n');
        }
        if let Ok(c) = from_chrony(&text, "m.conf") {
            Config::parse(&c.toml, "m").unwrap_or_else(|e| panic!("{text:?}: {e}\n{}", c.toml));
            loaded += 1;
        }
    }
    assert!(loaded > 500, "only {loaded} of 3000 mutations converted");
}
