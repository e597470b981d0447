//! Issue 13's keys: `[ptp] network-management`, `master-sanity-threshold`,
//! `master-sanity-hold` and `[[port]] acceptable-masters` reach the engine
//! and the gate, are written back, and bad values are errors.

use tempora_clock::Duration;
use tempora_config::{AcceptableMaster, Config, NetworkManagement, Threshold};
use tempora_ptp::engine::NetworkManagement as Engine;
use tempora_ptp::wire::{ClockIdentity, PortIdentity};

const ME: ClockIdentity = ClockIdentity([1, 2, 3, 0xff, 0xfe, 4, 5, 6]);

#[test]
fn defaults_are_safe() {
    let c = Config::parse("[[port]]\ninterface = \"eth0\"\n", "t.toml").unwrap();
    assert_eq!(c.ptp.network_management, NetworkManagement::ReadOnly);
    let e = c.instance_config(ME);
    assert_eq!(e.network_management, Engine::ReadOnly);
    assert_eq!(e.utc_offset_hold, Some(Duration::from_secs(60)));
    let s = c.sanity();
    assert_eq!(s.threshold, Threshold::Auto);
    assert_eq!(s.hold, Duration::from_secs(60));
    assert!(e.ports[0].acceptable_masters.is_empty());
}

#[test]
fn keys_reach_the_engine_and_round_trip() {
    let text = "[ptp]\nnetwork-management = \"off\"\nmaster-sanity-threshold = \"10ms\"\n\
                master-sanity-hold = \"30s\"\n\n[[port]]\ninterface = \"eth0\"\n\
                acceptable-masters = [\"aabbcc.fffe.ddeeff\", \"001122.fffe.334455-2@10.0.0.1\"]\n";
    let c = Config::parse(text, "t.toml").unwrap();
    let e = c.instance_config(ME);
    assert_eq!(e.network_management, Engine::Off);
    assert_eq!(e.utc_offset_hold, Some(Duration::from_secs(30)));
    assert_eq!(
        c.sanity().threshold,
        Threshold::Fixed(Duration::from_millis(10))
    );
    let any_port = PortIdentity {
        clock_identity: ClockIdentity([0xaa, 0xbb, 0xcc, 0xff, 0xfe, 0xdd, 0xee, 0xff]),
        port_number: 0xffff,
    };
    assert_eq!(e.ports[0].acceptable_masters, vec![any_port]);
    let bound = &e.ports[0].acceptable_master_addresses;
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].0.port_number, 2);
    assert_eq!(
        tempora_config::format_address(&bound[0].1),
        "10.0.0.1".to_string()
    );
    let again = Config::parse(&c.to_toml(), "again.toml").unwrap();
    assert_eq!(again, c);
    let rw = Config::parse(
        "[ptp]\nnetwork-management = \"read-write\"\nmaster-sanity-threshold = \"off\"\n\n\
         [[port]]\ninterface = \"eth0\"\n",
        "t.toml",
    )
    .unwrap();
    assert_eq!(rw.instance_config(ME).network_management, Engine::ReadWrite);
    assert_eq!(rw.instance_config(ME).utc_offset_hold, None);
    assert_eq!(rw.sanity().threshold, Threshold::Off);
}

#[test]
fn bad_values_are_errors() {
    for (text, needle) in [
        (
            "[ptp]\nnetwork-management = \"yes\"\n",
            "network-management",
        ),
        (
            "[ptp]\nmaster-sanity-threshold = \"soon\"\n",
            "master-sanity-threshold",
        ),
        (
            "[ptp]\nmaster-sanity-threshold = \"0s\"\n",
            "master-sanity-threshold",
        ),
        ("[ptp]\nmaster-sanity-hold = \"0s\"\n", "master-sanity-hold"),
        (
            "[[port]]\ninterface = \"eth0\"\nacceptable-masters = [\"aabbcc.fffe.ddee\"]\n",
            "acceptable-masters",
        ),
        (
            "[[port]]\ninterface = \"eth0\"\nacceptable-masters = [\"aabbcc.fffe.ddeeff-0\"]\n",
            "acceptable-masters",
        ),
    ] {
        let e = Config::parse(text, "t.toml").unwrap_err().to_string();
        assert!(e.contains(needle), "{text}: {e}");
    }
    let many: Vec<String> = (0..17)
        .map(|i| format!("\"aabbcc.fffe.dd00{i:02x}\""))
        .collect();
    let text = format!(
        "[[port]]\ninterface = \"eth0\"\nacceptable-masters = [{}]\n",
        many.join(", ")
    );
    let e = Config::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(e.contains("at most 16"), "{e}");
}

#[test]
fn acceptable_master_text() {
    for text in [
        "aabbcc.fffe.ddeeff",
        "aabbcc.fffe.ddeeff-1",
        "aabbcc.fffe.ddeeff-1@fd00::1",
        "aabbcc.fffe.ddeeff@00:11:22:33:44:55",
    ] {
        let m = AcceptableMaster::parse(text).unwrap();
        assert_eq!(m.to_string(), text);
    }
    assert!(AcceptableMaster::parse("aabbcc.fffe.ddeeff@nowhere").is_none());
    assert!(AcceptableMaster::parse("aabbccfffeddeeff").is_none());
}
