//! No input makes the engine panic: real messages from the captures, mutated,
//! fed to ordinary, boundary and transparent clocks in every delay mode, with
//! arbitrary receive timestamps, transmit timestamps and timer expiries.

use etherparse::{SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;
use tempora_clock::{Duration, Time};
use tempora_ptp::datasets::{DelayMechanism, InstanceType};
use tempora_ptp::engine::{
    Action, Address, InstanceConfig, PortConfig, PtpInstance, Timer, TxToken,
};
use tempora_ptp::wire::ClockIdentity;

const VECTORS: &str = env!("TEMPORA_VECTORS");

/// A small xorshift generator: the test needs no crate for randomness.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for name in [
        "ptp-udp4-e2e.pcap",
        "ptp-l2-p2p.pcap",
        "ptp-mgmt-4.pcap",
        "ptp-udp6-e2e.pcap",
    ] {
        let file = std::fs::read(format!("{VECTORS}/{name}")).expect("vector file");
        let capture = PcapCapture::from_file(&file).expect("pcap");
        for block in &capture.blocks {
            let data = block.data;
            if data.len() > 14 && data[12..14] == [0x88, 0xf7] {
                out.push(data[14..].to_vec());
            } else if let Ok(s) = SlicedPacket::from_ethernet(data) {
                if let Some(TransportSlice::Udp(u)) = s.transport {
                    out.push(u.payload().to_vec());
                }
            }
        }
    }
    out
}

fn config(kind: usize, mechanism: DelayMechanism) -> InstanceConfig {
    let mut c = InstanceConfig::ordinary(ClockIdentity::from_mac([2, 0, 0, 0, 0, kind as u8]));
    let port = PortConfig {
        delay_mechanism: mechanism,
        ..PortConfig::default()
    };
    match kind % 5 {
        0 => c.ports = vec![port],
        1 => {
            c.instance_type = InstanceType::BoundaryClock;
            c.ports = vec![port.clone(), port.clone(), port];
        }
        2 => {
            c.instance_type = InstanceType::E2eTransparentClock;
            c.ports = vec![port.clone(), port];
        }
        3 => {
            c.instance_type = InstanceType::P2pTransparentClock;
            c.ports = vec![port.clone(), port];
        }
        _ => {
            let mut p = port;
            p.unicast_listen = true;
            p.unicast_masters = vec![Address::Mac([2, 0, 0, 0, 0, 1])];
            c.two_step = false;
            c.path_trace = true;
            c.follow_up_info = true;
            c.ports = vec![p];
        }
    }
    c
}

#[test]
fn engine_survives_mutated_traffic() {
    let seeds = seeds();
    assert!(seeds.len() > 300);
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut steps = 0;
    for round in 0..40 {
        let mechanism = if round % 2 == 0 {
            DelayMechanism::E2e
        } else {
            DelayMechanism::P2p
        };
        let mut instance = PtpInstance::new(config(round, mechanism), round as u64);
        let ports = instance.port_count();
        let mut now = Time::from_secs_nanos(1_795_268_959, 0);
        instance.start(now);
        let mut tokens: Vec<TxToken> = Vec::new();
        for _ in 0..1000 {
            now += Duration::from_micros(rng.below(500_000) as i64);
            match rng.below(10) {
                0..=5 => {
                    let mut m = seeds[rng.below(seeds.len())].clone();
                    for _ in 0..rng.below(4) {
                        if !m.is_empty() {
                            let i = rng.below(m.len());
                            m[i] = rng.next() as u8;
                        }
                    }
                    if rng.below(8) == 0 {
                        m.truncate(rng.below(m.len() + 1));
                    }
                    let rx = match rng.below(4) {
                        0 => None,
                        1 => Some(Time::from_nanos(rng.next() as i128 - (1 << 62))),
                        _ => Some(now),
                    };
                    let source = (rng.below(2) == 0).then_some(Address::Mac([2, 0, 0, 0, 0, 1]));
                    let _ = instance.handle_message(now, rng.below(ports + 1), &m, rx, source);
                }
                6 => {
                    if let Some(t) = tokens.pop() {
                        let tx = now + Duration::from_nanos(rng.below(1_000_000) as i64 - 500_000);
                        instance.handle_tx_timestamp(now, t, tx);
                    }
                }
                _ => {
                    let p = rng.below(ports + 1);
                    let timer = match rng.below(7) {
                        0 => Timer::AnnounceReceipt(p),
                        1 => Timer::Qualification(p),
                        2 => Timer::Announce(p),
                        3 => Timer::Sync(p),
                        4 => Timer::DelayReq(p),
                        5 => Timer::PdelayReq(p),
                        _ => Timer::Unicast(p),
                    };
                    instance.handle_timer(now, timer);
                }
            }
            while let Some(a) = instance.poll_action() {
                if let Action::Send {
                    timestamp: Some(t), ..
                } = a
                {
                    tokens.push(t);
                }
            }
            let local = instance.handle_local_management(now, &seeds[rng.below(seeds.len())]);
            assert!(local.len() <= 8);
            steps += 1;
        }
    }
    assert_eq!(steps, 40_000);
}
