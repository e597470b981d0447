//! Runs a scenario: a grandmaster with a perfect clock and a slave whose
//! clock is a virtual clock over the scenario's oscillator, disciplined by
//! the servo under test, joined by the scenario's network. Records the
//! slave's true offset (its clock minus true time) every second.

use tempora_clock::{Duration, Servo};
use tempora_ptp::engine::InstanceConfig;
use tempora_ptp::interval::LogInterval;
use tempora_ptp::profile;
use tempora_ptp::wire::ClockIdentity;

use crate::model::delay::DelayModel;
use crate::network::{ClockSpec, Network};
use crate::scenario::Scenario;

/// The slave's true offset over a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// (seconds since start, true offset in ns), once a second.
    pub offsets: Vec<(f64, f64)>,
    /// Measurements the servo received.
    pub measurements: u64,
    /// Steps the servo made.
    pub steps: u64,
    /// Simulated seconds.
    pub duration_s: f64,
    /// The system peer's changes (seconds since the start, its name; `None`
    /// when no source was selected), for scenarios with a system process.
    pub selection: Vec<(f64, Option<String>)>,
}

/// The configuration of a node of a scenario.
pub fn node_config(scenario: &Scenario, id: u8, master: bool) -> InstanceConfig {
    let p = profile::by_name(&scenario.ptp.profile).unwrap_or(&profile::DEFAULT);
    let mut c =
        InstanceConfig::from_profile(p, ClockIdentity::from_mac([2, 0x51, 0x4d, 0, 0, id]), 1);
    if master {
        c.priority1 = 1;
        c.clock_quality.clock_class = 6;
        c.slave_only = false;
    } else {
        c.slave_only = true;
        c.clock_quality.clock_class = 255;
    }
    for port in &mut c.ports {
        let s = &scenario.ptp;
        if let Some(v) = s.log_sync_interval.and_then(LogInterval::new) {
            port.log_sync_interval = v;
        }
        if let Some(v) = s.log_min_delay_req_interval.and_then(LogInterval::new) {
            port.log_min_delay_req_interval = v;
        }
        if let Some(v) = s.log_min_pdelay_req_interval.and_then(LogInterval::new) {
            port.log_min_pdelay_req_interval = v;
        }
        if let Some(v) = s.log_announce_interval.and_then(LogInterval::new) {
            port.log_announce_interval = v;
        }
        // One simulated hop: asCapable would only test the link's length.
        port.neighbor_prop_delay_thresh = None;
    }
    c
}

/// The Sync interval of a scenario.
pub fn sync_interval(scenario: &Scenario) -> Duration {
    let log = profile::by_name(&scenario.ptp.profile)
        .map(|p| {
            scenario
                .ptp
                .log_sync_interval
                .and_then(LogInterval::new)
                .unwrap_or(p.log_sync_interval)
        })
        .unwrap_or(LogInterval::ONE_SECOND);
    log.duration()
}

/// Runs `scenario` with `servo` and `seed`; `progress` hears the fraction
/// done now and then.
pub fn run(
    scenario: &Scenario,
    mut servo: Box<dyn Servo>,
    seed: u64,
    progress: &mut dyn FnMut(f64),
) -> Trace {
    if scenario.ntp.is_some() {
        return crate::ntp::run(scenario, servo, seed, progress);
    }
    let duration = scenario.scenario.duration_s;
    let mut net = Network::new(seed);
    let n = &scenario.network;
    let to_slave = DelayModel::new(n.master_to_slave, n.loss, n.bursts, duration, net.rng());
    let to_master = DelayModel::new(n.slave_to_master, n.loss, n.bursts, duration, net.rng());
    servo.set_interval(sync_interval(scenario));
    let noise = scenario.timestamping.noise_ns;
    let master = net.add_node(
        "grandmaster",
        node_config(scenario, 1, true),
        ClockSpec {
            model: None,
            servo: None,
            timestamp_noise_ns: noise,
        },
    );
    let slave = net.add_node(
        "slave",
        node_config(scenario, 2, false),
        ClockSpec {
            model: Some(scenario.clock.clone()),
            servo: Some(servo),
            timestamp_noise_ns: noise,
        },
    );
    net.add_link((master, 0), (slave, 0), to_slave, to_master);
    net.start();
    let mut offsets = Vec::with_capacity(duration as usize + 1);
    let mut t = 0.0;
    while t <= duration {
        net.run_until(t);
        offsets.push((t, net.true_offset(slave).as_nanos_f64()));
        if (t as u64) % 60 == 0 {
            progress(t / duration);
        }
        t += 1.0;
    }
    progress(1.0);
    Trace {
        offsets,
        measurements: net.nodes[slave].measurements,
        steps: net.nodes[slave].steps,
        duration_s: duration,
        selection: Vec::new(),
    }
}
