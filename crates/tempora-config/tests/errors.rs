//! Every kind of mistake gives the right `FILE:LINE:COL: message`.

use tempora_config::Config;

const PORT: &str = "[[port]]\ninterface = \"eth0\"\n";

/// The error's display for `text`, which must fail.
fn error(text: &str) -> String {
    match Config::parse(text, "t.toml") {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_key_names_key_and_table() {
    let e = error(&format!(
        "{PORT}\n[clock]\nkind = \"system\"\n  colour = \"blue\"\n"
    ));
    assert!(
        e.starts_with("t.toml:6:3: unknown key `colour` in [clock]; expected one of `kind`"),
        "{e}"
    );
    let e = error("[ptp]\nprofile = \"default\"\ndomian = 3\n");
    assert!(
        e.starts_with("t.toml:3:1: unknown key `domian` in [ptp]"),
        "{e}"
    );
    let e = error(&format!("{PORT}colour = 1\n"));
    assert!(
        e.starts_with("t.toml:3:1: unknown key `colour` in [[port]]"),
        "{e}"
    );
}

#[test]
fn unknown_table() {
    let e = error(&format!("{PORT}[colour]\nx = 1\n"));
    assert_eq!(
        e,
        "t.toml:3:1: unknown table `[colour]`; expected one of `ptp`, `port`, `clock`, \
         `observability`, `ntp-server`, `ntp-source`, `ntp-client`, `nts-ke-server`, \
         `csptp-server`, `csptp-source`, `refclock`, `roughtime-server`, \
         `roughtime-source`, `roughtime`, `daemon`"
    );
}

#[test]
fn wrong_type() {
    let e = error(&format!("[ptp]\ndomain = \"four\"\n{PORT}"));
    assert_eq!(
        e,
        "t.toml:2:10: `domain` in [ptp]: wrong type: string \"four\", expected an integer from 0 to 255"
    );
    let e = error(&format!("[ptp]\nslave-only = 1\n{PORT}"));
    assert_eq!(
        e,
        "t.toml:2:14: `slave-only` in [ptp]: wrong type: integer `1`, expected `true` or `false`"
    );
    let e = error(&format!("[ptp]\npriority1 = 300\n{PORT}"));
    assert!(e.starts_with("t.toml:2:13: `priority1` in [ptp]:"), "{e}");
    assert!(e.contains("expected an integer from 0 to 255"), "{e}");
}

#[test]
fn bad_enum_value_lists_allowed_values() {
    let e = error(&format!("{PORT}transport = \"udp5\"\n"));
    assert_eq!(
        e,
        "t.toml:3:13: `transport` in [[port]]: unknown value `udp5`, expected one of `udp4`, `udp6`, `l2`"
    );
    let e = error(&format!("{PORT}[observability]\nlog-level = \"loud\"\n"));
    assert!(
        e.starts_with("t.toml:4:13: `log-level` in [observability]: unknown value `loud`"),
        "{e}"
    );
    let e = error(&format!("{PORT}[clock]\nkind = \"/dev/sda\"\n"));
    assert!(
        e.starts_with("t.toml:4:8: `kind`: unknown clock `/dev/sda`; expected `system`, `virtual`"),
        "{e}"
    );
    let e = error(&format!("[ptp]\nprofile = \"g8275\"\n{PORT}"));
    assert!(
        e.starts_with("t.toml:2:11: `profile`: unknown profile `g8275`; expected one of `default`"),
        "{e}"
    );
}

#[test]
fn bad_duration() {
    let e = error(&format!("{PORT}delay-asymmetry = \"5 parsecs\"\n"));
    assert_eq!(
        e,
        "t.toml:3:19: `delay-asymmetry`: bad duration `5 parsecs`: unknown unit `parsecs` (units: ns, us, ms, s)"
    );
    let e = error(&format!("{PORT}[clock]\nstep-threshold = \"20\"\n"));
    assert_eq!(
        e,
        "t.toml:4:18: `step-threshold`: bad duration `20`: no unit; write e.g. `20ms` (units: ns, us, ms, s)"
    );
    let e = error(&format!("{PORT}[clock]\nstep-threshold = 20\n"));
    assert!(
        e.starts_with(
            "t.toml:4:18: `step-threshold` in [clock]: wrong type: integer `20`, expected a string"
        ),
        "{e}"
    );
}

#[test]
fn semantic_errors_point_at_the_key() {
    let e = error(&format!(
        "{PORT}\n[clock]\nkind = \"system\"\ninitial-offset = \"5ms\"\n"
    ));
    assert_eq!(
        e,
        "t.toml:6:1: `initial-offset` applies only to kind = \"virtual\", not to the system clock"
    );
    let e = error(&format!(
        "{PORT}[clock]\nkind = \"/dev/ptp1\"\nfrequency-offset-ppm = 3\n"
    ));
    assert_eq!(
        e,
        "t.toml:5:1: `frequency-offset-ppm` applies only to kind = \"virtual\", not to the /dev/ptp1 clock"
    );
    let e = error(&format!("{PORT}[[port]]\n  interface = \"eth0\"\n"));
    assert_eq!(
        e,
        "t.toml:4:3: interface `eth0` is already port 1: each interface can be one port only"
    );
    let e = error(&format!(
        "[ptp]\nprofile = \"gptp\"\n{PORT}transport = \"udp4\"\n"
    ));
    assert_eq!(
        e,
        "t.toml:5:13: `transport` = \"udp4\" contradicts profile `gptp`, which runs over l2"
    );
    let e = error(&format!("[ptp]\nprofile = \"g8275.1\"\ndomain = 4\n{PORT}"));
    assert_eq!(
        e,
        "t.toml:3:10: `domain` = 4 is outside the g8275.1 profile's domains 24..=43"
    );
    let e = error(&format!("{PORT}log-sync-interval = 9\n"));
    assert!(
        e.starts_with("t.toml:3:21: `log-sync-interval` = 9 is out of range"),
        "{e}"
    );
    let e = error(&format!("{PORT}announce-receipt-timeout = 1\n"));
    assert!(
        e.starts_with("t.toml:3:28: `announce-receipt-timeout` = 1 is too small"),
        "{e}"
    );
    let e = error(&format!(
        "[ptp]\nslave-only = true\nclock-class = 6\n{PORT}"
    ));
    assert!(
        e.starts_with("t.toml:3:1: `clock-class` = 6 contradicts `slave-only` = true"),
        "{e}"
    );
    let e = error(&format!(
        "[ptp]\nkind = \"ordinary\"\n{PORT}[[port]]\ninterface = \"eth1\"\n"
    ));
    assert!(
        e.starts_with("t.toml:2:1: `kind` = \"ordinary\" but there are 2 [[port]] sections"),
        "{e}"
    );
    let e = error(&format!(
        "[ptp]\nkind = \"p2p-transparent\"\n{PORT}delay-mechanism = \"e2e\"\n"
    ));
    assert!(e.starts_with("t.toml:5:1: port `eth0` uses the e2e delay mechanism, but a p2p-transparent clock needs p2p"), "{e}");
    let e = error(&format!(
        "{PORT}unicast-masters = [\"192.0.2.1\", \"2001:db8::1\"]\n"
    ));
    assert_eq!(
        e,
        "t.toml:3:33: `unicast-masters`: `2001:db8::1` does not fit transport \"udp4\", which needs an IPv4 address"
    );
    let e = error(&format!(
        "{PORT}[observability]\nmetrics-listen = \"localhost\"\n"
    ));
    assert!(
        e.starts_with("t.toml:4:18: `metrics-listen`: `localhost` is not an address and port"),
        "{e}"
    );
    let e = error(&format!(
        "{PORT}[observability]\ndashboard-listen = \"localhost:80\"\n"
    ));
    assert!(
        e.starts_with("t.toml:4:20: `dashboard-listen`: `localhost:80` is not an address and port"),
        "{e}"
    );
    let e = error(&format!(
        "{PORT}[observability]\nmetrics-listen = \"127.0.0.1:9911\"\n\
         dashboard-listen = \"127.0.0.1:9911\"\n"
    ));
    assert_eq!(
        e,
        "t.toml:5:20: `dashboard-listen` must differ from `metrics-listen`"
    );
    let e = error(&format!(
        "{PORT}[clock]\nstep-threshold = \"1s\"\npanic-threshold = \"1ms\"\n"
    ));
    assert_eq!(
        e,
        "t.toml:5:1: `panic-threshold` (1ms) must be larger than `step-threshold` (1s)"
    );
}

#[test]
fn missing_port_and_missing_interface() {
    let e = error("[ptp]\ndomain = 0\n");
    assert!(
        e.starts_with("t.toml:3:1: nothing to do: no [[port]] section"),
        "{e}"
    );
    let e = error("");
    assert!(
        e.starts_with("t.toml:1:1: nothing to do: no [[port]] section"),
        "{e}"
    );
    let e = error(&format!("{PORT}[[port]]\ntransport = \"udp4\"\n"));
    assert_eq!(e, "t.toml:3:1: missing key `interface` in [[port]]");
}

#[test]
fn syntax_error_has_a_position() {
    let e = error("[ptp\n");
    assert!(e.starts_with("t.toml:1:5: "), "{e}");
    assert!(!e.contains('\n'), "{e}");
    let e = error(&format!("{PORT}transport = udp4\n"));
    assert!(e.starts_with("t.toml:3:13: "), "{e}");
}

#[test]
fn load_names_the_path() {
    let e = Config::load("/nonexistent/tempora.toml").unwrap_err();
    assert_eq!(e.line, 0);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/tempora.toml: cannot read the configuration"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("tempora-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "[[port]]\ninterface = \"eth0\"\nmaster-only = \"yes\"\n",
    )
    .unwrap();
    let e = Config::load(&path).unwrap_err();
    assert_eq!(e.file, path.display().to_string());
    assert_eq!((e.line, e.column), (3, 15));
    assert!(
        e.message
            .starts_with("`master-only` in [[port]]: wrong type"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn timescale_and_utc_offset() {
    let c = Config::parse(
        &format!("[ptp]\ntimescale = \"ptp\"\ncurrent-utc-offset = 37\n{PORT}"),
        "t.toml",
    )
    .unwrap();
    assert_eq!(c.ptp.timescale, Some(tempora_config::Timescale::Ptp));
    assert_eq!(c.ptp.current_utc_offset, Some(37));
    let e = error(&format!("[ptp]\ntimescale = \"gps\"\n{PORT}"));
    assert!(e.starts_with("t.toml:2:13: "), "{e}");
    assert!(e.contains("ptp") && e.contains("arb"), "{e}");
    let e = error(&format!("[ptp]\ncurrent-utc-offset = -5\n{PORT}"));
    assert!(
        e.starts_with("t.toml:2:22: `current-utc-offset` = -5 is not a TAI − UTC offset"),
        "{e}"
    );
}

#[test]
fn sync_system_clock_needs_a_phc() {
    let c = Config::parse(
        &format!("{PORT}[clock]\nkind = \"/dev/ptp0\"\nsync-system-clock = true\n"),
        "t.toml",
    )
    .unwrap();
    assert!(c.clock.sync_system_clock);
    let e = error(&format!(
        "{PORT}[clock]\nkind = \"system\"\nsync-system-clock = true\n"
    ));
    assert!(
        e.starts_with("t.toml:5:1: `sync-system-clock` needs a PTP hardware clock as `kind`, not the system clock"),
        "{e}"
    );
}

#[test]
fn ntp_server_section() {
    let c = Config::parse(
        &format!(
            "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\", \"[::]:123\"]\nlocal-stratum = 2\n"
        ),
        "t.toml",
    )
    .unwrap();
    let n = c.ntp_server.unwrap();
    assert_eq!(n.listen.len(), 2);
    assert_eq!(n.local_stratum, Some(2));
    let e = error(&format!("{PORT}[ntp-server]\nlisten = [\"localhost\"]\n"));
    assert!(
        e.starts_with("t.toml:4:11: `listen`: `localhost` is not an address and port"),
        "{e}"
    );
    let e = error(&format!(
        "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 16\n"
    ));
    assert!(
        e.starts_with("t.toml:5:17: `local-stratum` = 16 is not a stratum from 1 to 15"),
        "{e}"
    );
    let e = error(&format!(
        "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nworkers = 17\n"
    ));
    assert!(
        e.starts_with(
            "t.toml:5:11: `workers` = 17 is out of range: 0 (serve in the timing loop) to 16"
        ),
        "{e}"
    );
    let e = error(&format!("{PORT}[ntp-server]\nlisten = []\n"));
    assert!(e.contains("`listen` needs at least one address"), "{e}");
    let e = error(&format!("{PORT}[ntp-server]\nlisen = []\n"));
    assert!(e.contains("unknown key `lisen`"), "{e}");
}

#[test]
fn ntp_server_access_and_rate_limit() {
    let c = Config::parse(
        &format!(
            "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nallow = [\"10.0.0.0/8\", \"fd00::/8\"]\n\
             deny = [\"10.9.0.0/16\"]\ndeny-action = \"kiss\"\nrate-limit = true\nrate-limit-interval = 1\n"
        ),
        "t.toml",
    )
    .unwrap();
    let n = c.ntp_server.unwrap();
    assert_eq!(n.allow.len(), 2);
    assert_eq!(n.deny_action, tempora_config::DenyAction::Kiss);
    let r = n.rate_limit.unwrap();
    assert_eq!(
        (r.interval, r.burst),
        (tempora_clock::Duration::from_secs(2), 8)
    );
    let e = error(&format!(
        "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nallow = [\"10.0.0.0/40\"]\n"
    ));
    assert!(
        e.starts_with("t.toml:5:10: `10.0.0.0/40` is not an address block such as `10.0.0.0/8`"),
        "{e}"
    );
    let e = error(&format!(
        "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nrate-limit-interval = 20\n"
    ));
    assert!(
        e.contains("`rate-limit-interval` = 20 is out of range"),
        "{e}"
    );
}

#[test]
fn ntp_sources() {
    let c = Config::parse(
        "[[ntp-source]]\naddress = \"10.0.0.1\"\nminpoll = 0\nmaxpoll = 2\n\n\
         [[ntp-source]]\naddress = \"pool.example.org\"\nkind = \"pool\"\niburst = false\n\n\
         [ntp-client]\nminimum-agreeing-sources = 2\n",
        "t.toml",
    )
    .unwrap();
    assert!(c.ports.is_empty());
    assert_eq!(c.ntp_sources.len(), 2);
    assert_eq!((c.ntp_sources[0].minpoll, c.ntp_sources[0].maxpoll), (0, 2));
    assert_eq!(c.ntp_sources[1].kind, tempora_config::NtpSourceKind::Pool);
    assert!(!c.ntp_sources[1].iburst);
    assert_eq!(
        (c.ntp_sources[1].minpoll, c.ntp_sources[1].maxpoll),
        (6, 10)
    );
    assert_eq!(c.minimum_agreeing_sources, 2);
    let e = error("[[ntp-source]]\naddress = \"a\"\nminpoll = 5\nmaxpoll = 3\n");
    assert!(
        e.starts_with("t.toml:4:11: `maxpoll` = 3 is below `minpoll` = 5"),
        "{e}"
    );
    let e = error("[[ntp-source]]\naddress = \"a\"\nminpoll = 18\n");
    assert!(e.contains("`minpoll` = 18 is out of range"), "{e}");
    let e = error("[[ntp-source]]\naddress = \"a\"\nkind = \"peer\"\n");
    assert!(e.starts_with("t.toml:3:8: "), "{e}");
}

#[test]
fn ntp_on_a_phc() {
    let e = error("[[ntp-source]]\naddress = \"192.0.2.1\"\n\n[clock]\nkind = \"/dev/ptp0\"\n");
    assert!(
        e.starts_with(
            "t.toml:2:1: [[ntp-source]] cannot discipline the PTP hardware clock /dev/ptp0"
        ),
        "{e}"
    );
    let e = error(&format!(
        "{PORT}[clock]\nkind = \"/dev/ptp0\"\n\n[ntp-server]\nlisten = [\"0.0.0.0:123\"]\n"
    ));
    assert!(e.contains("needs `sync-system-clock = true`"), "{e}");
    Config::parse(
        &format!(
            "{PORT}[clock]\nkind = \"/dev/ptp0\"\nsync-system-clock = true\n\n[ntp-server]\nlisten = [\"0.0.0.0:123\"]\n"
        ),
        "t.toml",
    )
    .unwrap();
}

#[test]
fn nts_keys_check_and_round_trip() {
    let text = "[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nrequire-nts = true\n\n\
                [nts-ke-server]\nlisten = [\"[::]:4460\"]\ncertificate-chain = \"/etc/tempora/chain.pem\"\n\
                private-key = \"/etc/tempora/key.pem\"\nkey-file = \"/var/lib/tempora/nts-keys\"\n\
                key-rotation = \"43200s\"\nmax-connections = 8\ntimeout = \"2s\"\nntp-port = 1123\n\n\
                [[ntp-source]]\naddress = \"time.example:4460\"\nnts = true\n\n\
                [ntp-client]\nnts-ca-file = \"/etc/tempora/ca.pem\"\n\n[clock]\nkind = \"virtual\"\n";
    let c = Config::parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    let k = c.nts_ke_server.clone().unwrap();
    assert_eq!(k.listen[0].to_string(), "[::]:4460");
    assert_eq!(k.key_rotation.as_secs_f64(), 43_200.0);
    assert_eq!(k.max_connections, 8);
    assert_eq!(k.ntp_port, Some(1123));
    assert!(c.ntp_server.as_ref().unwrap().require_nts);
    assert!(c.ntp_sources[0].nts);
    assert_eq!(
        c.nts_ca_file.as_deref(),
        Some(std::path::Path::new("/etc/tempora/ca.pem"))
    );
    let again = Config::parse(&c.to_toml(), "t.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c, again);
    let e = error(&format!(
        "{PORT}[nts-ke-server]\ncertificate-chain = \"c\"\nprivate-key = \"k\"\n"
    ));
    assert!(e.contains("[nts-ke-server] needs an [ntp-server]"), "{e}");
    let e = error(&format!(
        "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nrequire-nts = true\n"
    ));
    assert!(e.contains("`require-nts` needs an [nts-ke-server]"), "{e}");
    let e = error(&format!(
        "{PORT}[[ntp-source]]\naddress = \"pool.example\"\nkind = \"pool\"\nnts = true\n"
    ));
    assert!(
        e.contains("`nts = true` works with kind = \"server\""),
        "{e}"
    );
    let e = error(&format!(
        "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\n[nts-ke-server]\ncertificate-chain = \"c\"\nprivate-key = \"k\"\nkey-rotation = \"0s\"\n"
    ));
    assert!(e.contains("`key-rotation` must be positive"), "{e}");
}

/// Issue 13: the leak of the NTP rate limit and the NTS-KE server's
/// limits, their defaults and their ranges.
#[test]
fn dos_limits() {
    let base = format!(
        "{PORT}[ntp-server]\nlisten = [\"0.0.0.0:123\"]\nrate-limit = true\n\
         [nts-ke-server]\ncertificate-chain = \"c\"\nprivate-key = \"k\"\n"
    );
    let c = Config::parse(&base, "t.toml").unwrap();
    assert_eq!(c.ntp_server.as_ref().unwrap().rate_limit_leak, 2);
    let k = c.nts_ke_server.as_ref().unwrap();
    assert_eq!(
        (
            k.max_connections_per_address,
            k.address_prefix_v4,
            k.address_prefix_v6
        ),
        (8, 32, 64)
    );
    assert!(k.rate_limit);
    assert_eq!(
        (k.rate_limit_interval, k.rate_limit_burst, k.rate_limit_leak),
        (6, 8, 2)
    );
    // [ntp-server] writes the leak back only when not the default.
    let toml = c.to_toml();
    let ntp = toml.split("[ntp-server]").nth(1).unwrap();
    let ntp = ntp.split("\n[").next().unwrap();
    assert!(!ntp.contains("rate-limit-leak"), "{toml}");
    let c = Config::parse(
        &base
            .replace(
                "rate-limit = true\n",
                "rate-limit = true\nrate-limit-leak = 0\n",
            )
            .replace(
                "private-key = \"k\"\n",
                "private-key = \"k\"\nrate-limit = false\naddress-prefix-v6 = 56\n",
            ),
        "t.toml",
    )
    .unwrap();
    assert_eq!(c.ntp_server.as_ref().unwrap().rate_limit_leak, 0);
    let k = c.nts_ke_server.as_ref().unwrap();
    assert!(!k.rate_limit);
    assert_eq!(k.address_prefix_v6, 56);
    let again = Config::parse(&c.to_toml(), "t.toml").unwrap();
    assert_eq!(again.ntp_server, c.ntp_server);
    assert_eq!(again.nts_ke_server, c.nts_ke_server);
    for (section, key, value, message) in [
        (
            "ntp-server",
            "rate-limit-leak",
            "5",
            "`rate-limit-leak` = 5 is out of range",
        ),
        (
            "nts-ke-server",
            "rate-limit-leak",
            "9",
            "`rate-limit-leak` = 9 is out of range",
        ),
        (
            "nts-ke-server",
            "max-connections-per-address",
            "0",
            "`max-connections-per-address` = 0",
        ),
        (
            "nts-ke-server",
            "address-prefix-v4",
            "33",
            "`address-prefix-v4` = 33 is out of range",
        ),
        (
            "nts-ke-server",
            "address-prefix-v6",
            "129",
            "`address-prefix-v6` = 129 is out of range",
        ),
        (
            "nts-ke-server",
            "rate-limit-interval",
            "13",
            "`rate-limit-interval` = 13 is out of range",
        ),
        (
            "nts-ke-server",
            "rate-limit-burst",
            "0",
            "`rate-limit-burst` = 0 is out of range",
        ),
    ] {
        let anchor = match section {
            "ntp-server" => "rate-limit = true\n",
            _ => "private-key = \"k\"\n",
        };
        let text = base.replace(anchor, &format!("{anchor}{key} = {value}\n"));
        let e = error(&text);
        assert!(e.contains(message), "{section}.{key}: {e}");
    }
}

#[test]
fn source_selection_options() {
    let c = Config::parse(
        &format!(
            "{PORT}trust = true\nmax-delay = \"200us\"\noffset = \"1us\"\n\n\
             [[ntp-source]]\naddress = \"10.0.0.1\"\nprefer = true\nrequire = true\n\
             offset = \"-50us\"\nasymmetry = \"20us\"\nmax-delay = \"5ms\"\n\n\
             [[ntp-source]]\naddress = \"10.0.0.2\"\nnoselect = true\n"
        ),
        "t.toml",
    )
    .unwrap();
    let p = &c.ports[0];
    assert!(p.trust && !p.prefer && !p.noselect && !p.require);
    assert_eq!(p.max_delay, Some(tempora_clock::Duration::from_micros(200)));
    assert_eq!(p.offset, Some(tempora_clock::Duration::from_micros(1)));
    let s = &c.ntp_sources[0];
    assert!(s.prefer && s.require && !s.trust && !s.noselect);
    assert_eq!(s.offset, Some(tempora_clock::Duration::from_micros(-50)));
    assert_eq!(s.asymmetry, Some(tempora_clock::Duration::from_micros(20)));
    assert_eq!(s.max_delay, Some(tempora_clock::Duration::from_millis(5)));
    assert!(c.ntp_sources[1].noselect);
    let e = error(&format!("{PORT}noselect = true\nprefer = true\n"));
    assert_eq!(
        e,
        "t.toml:4:1: `prefer` with `noselect = true`: a noselect source is never selected"
    );
    let e = error("[[ntp-source]]\naddress = \"a\"\nmax-delay = \"0s\"\n");
    assert_eq!(e, "t.toml:3:13: `max-delay` must be more than zero");
    let e = error("[[ntp-source]]\naddress = \"a\"\nasymmetry = \"2s\"\n");
    assert_eq!(
        e,
        "t.toml:3:13: `asymmetry`: more than 1s either way is not a correction of a source"
    );
    // A port's asymmetry is its `delay-asymmetry`, not a second one.
    let e = error(&format!("{PORT}asymmetry = \"1us\"\n"));
    assert!(
        e.starts_with("t.toml:3:1: unknown key `asymmetry` in [[port]]"),
        "{e}"
    );
}

#[test]
fn holdover_and_leap_seconds_keys() {
    let c = Config::parse(PORT, "t.toml").unwrap();
    assert_eq!(
        c.clock.holdover_budget,
        tempora_clock::Duration::from_micros(1)
    );
    assert_eq!(c.clock.holdover_class, 248);
    assert_eq!(c.clock.leap_seconds_file, None);
    let c = Config::parse(
        &format!(
            "{PORT}[clock]\nholdover-budget = \"250ns\"\nholdover-class = 187\nleap-seconds-file = \"/etc/leap.list\"\n"
        ),
        "t.toml",
    )
    .unwrap();
    assert_eq!(
        c.clock.holdover_budget,
        tempora_clock::Duration::from_nanos(250)
    );
    assert_eq!(c.clock.holdover_class, 187);
    assert_eq!(
        c.clock.leap_seconds_file.as_deref(),
        Some(std::path::Path::new("/etc/leap.list"))
    );
    let e = error(&format!("{PORT}[clock]\nholdover-class = 7\n"));
    assert!(
        e.starts_with("t.toml:4:18: `holdover-class` = 7 is not 248, 52 or 187"),
        "{e}"
    );
    let e = error(&format!("{PORT}[clock]\nholdover-budget = \"-1us\"\n"));
    assert!(e.contains("`holdover-budget` cannot be negative"), "{e}");
    let e = error(&format!("{PORT}[clock]\nleap-seconds-file = \"\"\n"));
    assert!(e.contains("`leap-seconds-file` cannot be empty"), "{e}");
}
