//! The PTP grandmaster of a mixed-source scenario (`[ntp.ptp]`): a
//! grandmaster and a slave port run by the real PTP engine on the
//! simulated [`Network`], over the scenario's delay models, and the slave
//! port's measurements handed to the client's system process as a PTP
//! source (the daemon's `RawSample`s).
//!
//! The slave port's engine runs on a perfect clock (with the scenario's
//! timestamp noise), so its measurement is the grandmaster's offset from
//! true time as the exchange sees it (path asymmetry, queueing and noise
//! included); the client's own offset from true time at the Sync's
//! arrival is added to it, which makes it the measurement a port on the
//! client's clock would have taken.

use tempora_clock::{Duration, Time};
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::Measurement;
use tempora_system::SourceId;

use crate::model::delay::DelayModel;
use crate::network::{ClockSpec, Network, START};
use crate::runner::{node_config, sync_interval};
use crate::scenario::{ClockModel, PtpSourceSpec, Scenario};

/// The grandmaster, the slave port and the source they make.
pub(crate) struct PtpPart {
    net: Network,
    gm: usize,
    slave: usize,
    /// The port's handle in the system process.
    pub id: SourceId,
    /// The slave's measurements already handed on.
    seen: usize,
    /// True time of the next hand-over (once a Sync interval).
    pub next_tick: Time,
    /// The Sync interval.
    pub interval: Duration,
    stop_at: Option<Time>,
    /// The port was SLAVE at the last hand-over.
    was_slave: bool,
}

impl PtpPart {
    /// The grandmaster of `spec` and its slave, on `scenario`'s network.
    pub fn new(scenario: &Scenario, spec: &PtpSourceSpec, seed: u64, id: SourceId) -> Self {
        let duration = scenario.scenario.duration_s;
        let mut net = Network::new(seed ^ 0x9e37_79b9);
        let n = &scenario.network;
        let to_slave = DelayModel::new(n.master_to_slave, n.loss, n.bursts, duration, net.rng());
        let to_master = DelayModel::new(n.slave_to_master, n.loss, n.bursts, duration, net.rng());
        let noise = scenario.timestamping.noise_ns;
        let gm = net.add_node(
            "grandmaster",
            node_config(scenario, 1, true),
            ClockSpec {
                model: Some(ClockModel {
                    initial_offset_us: spec.offset_us,
                    ..ClockModel::default()
                }),
                servo: None,
                timestamp_noise_ns: noise,
            },
        );
        let slave = net.add_node(
            "port",
            node_config(scenario, 2, false),
            ClockSpec {
                model: None,
                servo: None,
                timestamp_noise_ns: noise,
            },
        );
        net.add_link((gm, 0), (slave, 0), to_slave, to_master);
        net.record(slave);
        net.start();
        let interval = sync_interval(scenario);
        PtpPart {
            net,
            gm,
            slave,
            id,
            seen: 0,
            next_tick: START + interval,
            interval,
            stop_at: spec.stop_s.map(|s| START + Duration::from_secs_f64(s)),
            was_slave: false,
        }
    }

    /// Whether the port left SLAVE since the last call (the daemon then
    /// resets its source).
    pub fn left_slave(&mut self) -> bool {
        let slave = self.net.port_state(self.slave, 0) == PortState::Slave;
        let left = self.was_slave && !slave;
        self.was_slave = slave;
        left
    }

    /// Runs the PTP network to true time `t` (stopping the grandmaster
    /// when due) and returns the port's new measurements.
    pub fn advance(&mut self, t: Time) -> Vec<Measurement> {
        if let Some(stop) = self.stop_at.filter(|s| *s <= t) {
            self.net.run_until((stop - START).as_secs_f64());
            self.net.stop_node(self.gm);
            self.stop_at = None;
        }
        self.net.run_until((t - START).as_secs_f64());
        let log = &self.net.nodes[self.slave].log.measurements;
        let new = log.get(self.seen..).unwrap_or_default().to_vec();
        self.seen = log.len();
        new
    }
}
