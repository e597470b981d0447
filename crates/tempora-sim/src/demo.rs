//! The network of `tempora demo`: a grandmaster, a boundary clock and three
//! slaves behind it, each with its own oscillator, every clock but the
//! grandmaster disciplined by the Kalman servo.

use tempora_ptp::datasets::InstanceType;
use tempora_ptp::engine::{InstanceConfig, PortConfig};
use tempora_ptp::wire::ClockIdentity;

use crate::model::delay::DelayModel;
use crate::network::{ClockSpec, Network};
use crate::scenario::{ClockModel, Direction, Distribution};
use crate::servos::{ServoKind, make_servo};

/// A node of the demo and its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoNode {
    /// Index in the network.
    pub index: usize,
    /// Display name.
    pub name: &'static str,
    /// Whether its clock is perfect (the grandmaster).
    pub reference: bool,
}

fn identity(n: u8) -> ClockIdentity {
    ClockIdentity::from_mac([2, 0x44, 0x45, 0x4d, 0x4f, n])
}

fn oscillator(ppm: f64, initial_us: f64) -> ClockModel {
    ClockModel {
        frequency_offset_ppm: ppm,
        wander_ppb_per_sqrt_s: 0.3,
        initial_offset_us: initial_us,
        ..ClockModel::default()
    }
}

/// Builds the demo network with `servo` on every disciplined clock.
pub fn build(seed: u64, servo: ServoKind) -> (Network, Vec<DemoNode>) {
    let mut net = Network::new(seed);
    let lan = Direction {
        base_us: 40.0,
        jitter: Distribution::Exponential { mean_us: 8.0 },
    };
    let noise = 500.0;
    let mut nodes = Vec::new();

    let mut gm = InstanceConfig::ordinary(identity(1));
    gm.priority1 = 10;
    gm.clock_quality.clock_class = 6;
    let g = net.add_node(
        "grandmaster",
        gm,
        ClockSpec {
            model: None,
            servo: None,
            timestamp_noise_ns: noise,
        },
    );
    nodes.push(DemoNode {
        index: g,
        name: "grandmaster",
        reference: true,
    });

    let mut bc = InstanceConfig::ordinary(identity(2));
    bc.instance_type = InstanceType::BoundaryClock;
    bc.ports = vec![PortConfig::default(); 4];
    let b = net.add_node(
        "boundary",
        bc,
        ClockSpec {
            model: Some(oscillator(-12.0, 800.0)),
            servo: Some(make_servo(servo, false)),
            timestamp_noise_ns: noise,
        },
    );
    nodes.push(DemoNode {
        index: b,
        name: "boundary",
        reference: false,
    });

    let slaves = [
        ("slave-1", 25.0, -2000.0),
        ("slave-2", -40.0, 150.0),
        ("slave-3", 8.0, 5000.0),
    ];
    for (i, (name, ppm, initial)) in slaves.into_iter().enumerate() {
        let mut c = InstanceConfig::ordinary(identity(3 + i as u8));
        c.slave_only = true;
        let s = net.add_node(
            name,
            c,
            ClockSpec {
                model: Some(oscillator(ppm, initial)),
                servo: Some(make_servo(servo, false)),
                timestamp_noise_ns: noise,
            },
        );
        nodes.push(DemoNode {
            index: s,
            name,
            reference: false,
        });
    }
    let link = |net: &mut Network| {
        let a = DelayModel::new(lan, 0.0, None, 1.0, net.rng());
        let b = DelayModel::new(lan, 0.0, None, 1.0, net.rng());
        (a, b)
    };
    let (x, y) = link(&mut net);
    net.add_link((g, 0), (b, 0), x, y);
    for i in 0..3 {
        let (x, y) = link(&mut net);
        net.add_link((b, 1 + i), (nodes[2 + i].index, 0), x, y);
    }
    net.start();
    (net, nodes)
}
