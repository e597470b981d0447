//! The sample configurations in `configs/` load, mean what they say, and
//! survive a round trip through `Config::to_toml`.

use std::path::PathBuf;

use tempora_config::{ClockKind, Config, InstanceKind, RefclockDriver, Timestamping, Transport};
use tempora_ptp::datasets::{DelayMechanism, InstanceType};
use tempora_ptp::engine::Address;
use tempora_ptp::wire::ClockIdentity;

fn configs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs")
}

fn load(name: &str) -> Config {
    let path = configs_dir().join(name);
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

const ID: ClockIdentity = ClockIdentity([0, 1, 2, 0xff, 0xfe, 3, 4, 5]);

#[test]
fn every_sample_loads_and_round_trips() {
    let mut names: Vec<String> = std::fs::read_dir(configs_dir())
        .expect("configs/ exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    for required in [
        "boundary.toml",
        "grandmaster.toml",
        "gptp.toml",
        "slave.toml",
        "transparent.toml",
        "ts2phc.toml",
        "unicast.toml",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "configs/{required} is missing"
        );
    }
    for name in &names {
        let config = load(name);
        let text = config.to_toml();
        let again =
            Config::parse(&text, name).unwrap_or_else(|e| panic!("{name} round trip: {e}\n{text}"));
        assert_eq!(config, again, "{name} round trip\n{text}");
        assert_eq!(again.to_toml(), text, "{name}: to_toml is stable");
        let ic = config.instance_config(ID);
        assert_eq!(ic.ports.len(), config.ports().len(), "{name}");
    }
}

#[test]
fn slave() {
    let c = load("slave.toml");
    let ic = c.instance_config(ID);
    assert_eq!(c.instance_kind(), InstanceKind::Ordinary);
    assert!(ic.slave_only);
    assert_eq!(ic.clock_quality.clock_class, 255);
    assert_eq!(ic.instance_type, InstanceType::OrdinaryClock);
    assert_eq!(c.ports()[0].transport, Transport::Udp4);
    assert_eq!(c.ports()[0].timestamping, Timestamping::Hardware);
    assert_eq!(ic.ports[0].interface, b"eth0");
    assert_eq!(ic.ports[0].protocol_address.0, 1);
    assert_eq!(c.clock().kind, ClockKind::Phc("/dev/ptp0".into()));
    assert_eq!(
        c.observability().dashboard_listen,
        Some("127.0.0.1:9912".parse().unwrap())
    );
}

#[test]
fn grandmaster() {
    let c = load("grandmaster.toml");
    let ic = c.instance_config(ID);
    assert_eq!((ic.priority1, ic.priority2), (10, 10));
    assert_eq!(ic.clock_quality.clock_class, 6);
    assert!(ic.ports[0].master_only);
    assert_eq!(ic.user_description, b"lab grandmaster;rack 3");
    assert_eq!(
        c.observability().metrics_listen,
        Some("127.0.0.1:9911".parse().unwrap())
    );
    assert_eq!(
        c.observability().dashboard_listen,
        Some("127.0.0.1:9912".parse().unwrap())
    );
}

#[test]
fn boundary() {
    let c = load("boundary.toml");
    let ic = c.instance_config(ID);
    assert_eq!(ic.instance_type, InstanceType::BoundaryClock);
    assert_eq!(c.interfaces().collect::<Vec<_>>(), ["eth0", "eth1"]);
    assert_eq!(ic.ports[0].log_sync_interval, 0);
    assert_eq!(ic.ports[1].log_sync_interval, -1);
}

#[test]
fn transparent() {
    let c = load("transparent.toml");
    let ic = c.instance_config(ID);
    assert_eq!(ic.instance_type, InstanceType::E2eTransparentClock);
    assert!(ic.ports.iter().all(|p| p.protocol_address.0 == 3));
}

#[test]
fn gptp() {
    let c = load("gptp.toml");
    let ic = c.instance_config(ID);
    assert_eq!(c.profile().name, "gptp");
    assert_eq!(ic.sdo_id, 0x100);
    assert_eq!(ic.priority1, 248);
    assert!(ic.follow_up_info && ic.path_trace);
    assert_eq!(ic.ports[0].delay_mechanism, DelayMechanism::P2p);
    assert_eq!(ic.ports[0].log_sync_interval, -3);
}

#[test]
fn unicast() {
    let c = load("unicast.toml");
    let ic = c.instance_config(ID);
    assert_eq!(ic.domain_number, 44);
    assert_eq!(ic.clock_quality.clock_class, 255);
    assert_eq!(
        ic.ports[0].unicast_masters,
        vec![
            Address::Ip("192.0.2.1".parse().unwrap()),
            Address::Ip("192.0.2.2".parse().unwrap())
        ]
    );
    assert_eq!(ic.ports[0].log_sync_interval, -4);
    assert!(c.clock().panic_threshold.is_some());
}

#[test]
fn defaults_come_from_the_profile() {
    let c = Config::parse(
        "[ptp]\nprofile = \"g8275.1\"\n[[port]]\ninterface = \"eth0\"\n",
        "t",
    )
    .unwrap();
    let ic = c.instance_config(ID);
    let p = tempora_ptp::profile::G8275_1;
    assert_eq!(ic, {
        let mut want = tempora_ptp::engine::InstanceConfig::from_profile(&p, ID, 1);
        want.ports[0].interface = b"eth0".to_vec();
        want.ports[0].protocol_address = (3, Vec::new());
        want
    });
    assert_eq!(c.ports()[0].transport, Transport::L2);
    let s = c.clock();
    assert_eq!(s.step_threshold, tempora_config::DEFAULT_STEP_THRESHOLD);
    assert_eq!(
        c.observability().socket,
        PathBuf::from(tempora_config::DEFAULT_SOCKET)
    );
}

#[test]
fn round_trip_of_every_key() {
    let text = r#"
[ptp]
profile = "default"
domain = 7
priority1 = 1
priority2 = 2
clock-class = 13
slave-only = false
two-step = false
kind = "boundary"
user-description = "a \"quoted\" name"

[[port]]
interface = "eth0"
transport = "udp6"
delay-mechanism = "p2p"
log-announce-interval = 2
log-sync-interval = -2
log-min-delay-req-interval = 1
log-min-pdelay-req-interval = -1
announce-receipt-timeout = 4
delay-asymmetry = "-1.5us"
timestamping = "software"
unicast-masters = ["2001:db8::1"]
unicast-listen = true
master-only = true

[[port]]
interface = "eth1"
transport = "l2"
unicast-masters = ["00:11:22:aa:bb:cc"]

[clock]
kind = "virtual"
initial-offset = "-5ms"
frequency-offset-ppm = -20.5
servo = "pi"
step-threshold = "0ns"
running-step-threshold = "1s"
panic-threshold = "1000s"
frequency-file = "/tmp/freq"

[observability]
socket = "/tmp/t.sock"
metrics-listen = "[::1]:9911"
dashboard-listen = "[::1]:9912"
log-level = "trace"
"#;
    let c = Config::parse(text, "t").unwrap_or_else(|e| panic!("{e}"));
    let out = c.to_toml();
    let again = Config::parse(&out, "t").unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(c, again, "{out}");
    let ic = c.instance_config(ID);
    assert_eq!(ic.ports[0].delay_asymmetry.nanos(), -1500);
    assert!(!ic.two_step);
    assert_eq!(ic.clock_quality.clock_class, 13);
    assert_eq!(
        ic.ports[1].unicast_masters,
        vec![Address::Mac([0, 0x11, 0x22, 0xaa, 0xbb, 0xcc])]
    );
}

#[test]
fn ts2phc() {
    let c = load("ts2phc.toml");
    let [tod, pps] = &c.refclocks[..] else {
        panic!("{:?}", c.refclocks)
    };
    assert_eq!((tod.driver, tod.noselect), (RefclockDriver::Gpsd, true));
    assert_eq!(pps.driver, RefclockDriver::Extts);
    assert_eq!(pps.tod.as_deref(), Some(tod.name.as_str()));
    // The PHC the pulses discipline is the clock.
    assert_eq!(c.clock.kind, ClockKind::Phc(pps.device.clone().unwrap()));
}
