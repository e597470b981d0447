//! Conversion of linuxptp configuration files: linuxptp's own example
//! files (Debian package `linuxptp`, `/usr/share/doc/linuxptp/configs/`;
//! required when `CI=true`, skipped otherwise) and hand-written cases.

use std::path::PathBuf;

use tempora_config::{Config, from_ptp4l, from_ptp4l_with_interfaces};
use tempora_ptp::wire::ClockIdentity;

const CONFIG_DIR: &str = "/usr/share/doc/linuxptp/configs";

fn config_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TEMPORA_LINUXPTP_CONFIGS")
        .map_or_else(|| PathBuf::from(CONFIG_DIR), PathBuf::from);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing (install Debian's linuxptp package)",
        dir.display()
    );
    eprintln!(
        "{} is missing; skipping linuxptp's example files",
        dir.display()
    );
    None
}

/// Converts linuxptp's `name` and loads the result.
fn convert(name: &str) -> Option<(Config, String, Vec<String>)> {
    let dir = config_dir()?;
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (toml, warnings) = from_ptp4l(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let config = Config::parse(&toml, name).unwrap_or_else(|e| panic!("{name}: {e}\n{toml}"));
    Some((config, toml, warnings))
}

#[test]
fn every_linuxptp_example_converts_and_loads() {
    let Some(dir) = config_dir() else { return };
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".cfg") {
            continue;
        }
        let (config, _, warnings) = convert(&name).unwrap();
        config.instance_config(ClockIdentity([0; 8]));
        for w in &warnings {
            assert!(
                w.contains("line ") || w.contains("no interface"),
                "{name}: {w}"
            );
        }
        count += 1;
    }
    assert!(count >= 10, "only {count} files in {}", dir.display());
}

#[test]
fn profiles_are_recognised() {
    for (file, profile) in [
        ("default.cfg", "default"),
        ("gPTP.cfg", "gptp"),
        ("automotive-master.cfg", "automotive-master"),
        ("automotive-slave.cfg", "automotive-slave"),
        ("G.8275.1.cfg", "g8275.1"),
        ("G.8275.2.cfg", "g8275.2"),
        ("P2P-TC.cfg", "default-p2p"),
        ("E2E-TC.cfg", "default"),
    ] {
        let Some((config, _, _)) = convert(file) else {
            return;
        };
        assert_eq!(config.profile().name, profile, "{file}");
    }
}

#[test]
fn transparent_clocks() {
    let Some((config, _, warnings)) = convert("E2E-TC.cfg") else {
        return;
    };
    assert_eq!(
        config.instance_kind(),
        tempora_config::InstanceKind::E2eTransparent
    );
    assert_eq!(config.ptp.priority1, Some(254));
    assert_eq!(config.ports()[0].transport, tempora_config::Transport::L2);
    for option in [
        "free_running",
        "freq_est_interval",
        "tc_spanning_tree",
        "summary_interval",
    ] {
        assert_eq!(
            warnings
                .iter()
                .filter(|w| w.contains(&format!("`{option} ")))
                .count(),
            1,
            "{option}: {warnings:?}"
        );
    }
    let Some((config, _, _)) = convert("P2P-TC.cfg") else {
        return;
    };
    assert_eq!(
        config.instance_kind(),
        tempora_config::InstanceKind::P2pTransparent
    );
}

#[test]
fn default_cfg_is_carried_over_with_few_warnings() {
    let Some((config, toml, warnings)) = convert("default.cfg") else {
        return;
    };
    // Everything in default.cfg is at linuxptp's default; only the missing
    // interface deserves a warning.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("no interface"));
    assert_eq!(
        config.observability().socket,
        PathBuf::from("/var/run/ptp4l")
    );
    assert_eq!(config.clock().servo, tempora_config::ServoKind::Pi);
    assert_eq!(
        config.ports()[0].timestamping,
        tempora_config::Timestamping::Hardware
    );
    assert!(toml.contains("# logAnnounceInterval 1 (line "), "{toml}");
}

#[test]
fn unicast_tables() {
    let Some((config, _, warnings)) = convert("UNICAST-SLAVE.cfg") else {
        return;
    };
    let ports = config.ports();
    assert_eq!(ports.len(), 2);
    assert_eq!(ports[0].unicast_masters.len(), 3);
    assert_eq!(ports[1].transport, tempora_config::Transport::L2);
    assert_eq!(
        ports[1].unicast_masters,
        vec![tempora_ptp::engine::Address::Mac([
            0, 0x11, 0x22, 0x33, 0x44, 0x55
        ])]
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("line 9: `unicast_req_duration 60`")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`peer_address 192.168.4.44`")),
        "{warnings:?}"
    );
}

#[test]
fn telecom_domain_outside_profile_is_refused_with_a_warning() {
    let text =
        "[global]\ndataset_comparison G.8275.x\nnetwork_transport L2\ndomainNumber 3\n[eth0]\n";
    let (toml, warnings) = from_ptp4l(text).unwrap();
    let config = Config::parse(&toml, "t").unwrap();
    assert_eq!(config.profile().name, "g8275.1");
    assert_eq!(config.ptp.domain, None);
    assert!(
        warnings.iter().any(|w| w.starts_with("line 4: `domainNumber 3`: not carried over: Tempora refuses it: `domain` = 3 is outside")),
        "{warnings:?}"
    );
}

#[test]
fn hand_written_file() {
    let text = "\
# a comment
[global]
domainNumber      4
priority1         100
slaveOnly         1
clockClass        248      # forced to 255 by slaveOnly
time_stamping     software
delayAsymmetry    -120
logging_level     7
uds_address       /run/ptp4l.sock
first_step_threshold 0.001
clock_servo       linreg
colour            blue
summary_interval  3
summary_interval  4

[eth0]
logSyncInterval   -1
network_transport UDPv6
[eth1]
delay_mechanism   Auto
";
    let (toml, warnings) =
        from_ptp4l_with_interfaces(text, "ptp4l.conf", &["eth2", "eth0"]).unwrap();
    let c = Config::parse(&toml, "t").unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(c.interfaces().collect::<Vec<_>>(), ["eth0", "eth1", "eth2"]);
    assert_eq!(c.ptp.domain, Some(4));
    assert_eq!(c.ptp.slave_only, Some(true));
    assert_eq!(c.ptp.clock_class, None);
    assert_eq!(c.ports()[0].log_sync_interval.map(i8::from), Some(-1));
    assert_eq!(c.ports()[0].transport, tempora_config::Transport::Udp6);
    assert_eq!(c.ports()[1].transport, tempora_config::Transport::Udp4);
    assert_eq!(c.ports()[2].delay_asymmetry.map(|d| d.nanos()), Some(-120));
    assert!(
        c.ports()
            .iter()
            .all(|p| p.timestamping == tempora_config::Timestamping::Software)
    );
    assert_eq!(c.observability().log_level, tempora_config::LogLevel::Debug);
    assert_eq!(c.clock().step_threshold.nanos(), 1_000_000);
    let expect = [
        "line 12: `clock_servo linreg`: not carried over",
        "line 13: `colour blue`: not carried over: not a ptp4l option",
        "line 14: `summary_interval 3`: overridden",
        "line 15: `summary_interval 4`: not carried over",
        "line 21: `delay_mechanism Auto`: not carried over",
    ];
    assert_eq!(warnings.len(), expect.len(), "{warnings:#?}");
    for (w, e) in warnings.iter().zip(expect) {
        assert!(w.starts_with(e), "{w} / {e}");
    }
    assert!(
        toml.contains("# Not carried over:\n#   line 12: `clock_servo linreg`"),
        "{toml}"
    );
}

#[test]
fn unreadable_lines_are_errors() {
    let e = from_ptp4l("[global]\npriority1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "ptp4l.conf:2:1: `priority1` has no value: ptp4l options are `key value` lines"
    );
    let e = from_ptp4l("priority1 3\n").unwrap_err();
    assert_eq!((e.line, e.column), (1, 1));
    assert!(e.message.contains("outside any section"));
    let e = from_ptp4l("[global\n").unwrap_err();
    assert_eq!(e.line, 1);
}

#[test]
fn utc_offset_is_carried_over() {
    let (toml, warnings) = from_ptp4l("[global]\nutc_offset 38\n[eth0]\n").unwrap();
    let config = Config::parse(&toml, "t").unwrap();
    assert_eq!(config.ptp.current_utc_offset, Some(38));
    assert!(warnings.is_empty(), "{warnings:?}");
    let (_, warnings) = from_ptp4l("[global]\nutc_offset -3\n[eth0]\n").unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("`utc_offset -3`")),
        "{warnings:?}"
    );
}
