//! A simulated PTP network on virtual time: nodes running the real PTP
//! engine, each with a clock (perfect, or a virtual clock over a modelled
//! oscillator, free-running or disciplined by a servo) and an egress
//! latency, joined by point-to-point links with a modelled delay each way
//! (any topology: a node has as many ports as its engine). Nodes can be
//! started and stopped, links cut and restored, the engines operated on
//! between events, and what a node sent and did recorded ([`NodeLog`]).
//! Deterministic for a given seed.
//!
//! Frames carry their sender's [`port_address`]; multicast frames reach
//! the other end of every link on the port they leave by, unicast frames
//! (IEEE 1588-2019 §16.1) only the end with the destination address.

mod clock;
mod link;
mod log;
mod queue;
mod run;

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tempora_clock::{Duration, Time};
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::{InstanceConfig, PortIndex, PtpInstance, Timer};

pub use clock::ClockSpec;
pub use link::port_address;
pub use log::{NodeLog, SentFrame, StateChange};

use crate::model::delay::DelayModel;
use clock::NodeClock;
use link::Link;
use queue::EventQueue;

/// True time at the start of every simulation.
pub const START: Time = Time::from_secs_nanos(1_800_000_000, 0);

/// A node of the network.
pub struct Node {
    /// Its name, for displays.
    pub name: String,
    /// The PTP engine. Calls on it that queue actions should go through
    /// [`Network::operate`], which carries the actions out.
    pub engine: PtpInstance,
    clock: NodeClock,
    generations: BTreeMap<Timer, u64>,
    /// Offset measurements its servo received.
    pub measurements: u64,
    /// Steps its servo made.
    pub steps: u64,
    /// What it did, if recorded ([`Network::record`]; empty otherwise).
    pub log: NodeLog,
    recording: bool,
    /// How long after the engine asks a message leaves its port (and is
    /// timestamped): a transparent clock's residence time, a NIC queue.
    egress_latency: Duration,
    running: bool,
}

/// The network.
pub struct Network {
    /// The nodes, in the order added.
    pub nodes: Vec<Node>,
    links: Vec<Link>,
    queue: EventQueue,
    now: Time,
    seed: u64,
    rng_network: ChaCha8Rng,
}

impl Network {
    /// An empty network; `seed` feeds every random draw.
    pub fn new(seed: u64) -> Self {
        Network {
            nodes: Vec::new(),
            links: Vec::new(),
            queue: EventQueue::default(),
            now: START,
            seed,
            rng_network: Self::stream(seed, 1),
        }
    }

    fn stream(seed: u64, k: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k)
    }

    /// True time now.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Seconds of true time since the start.
    pub fn elapsed_s(&self) -> f64 {
        (self.now - START).as_secs_f64()
    }

    /// The network's random stream, to draw link models from.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng_network
    }

    /// Adds a node, not yet started; returns its index.
    pub fn add_node(&mut self, name: &str, config: InstanceConfig, clock: ClockSpec) -> usize {
        let index = self.nodes.len();
        let k = 16 + index as u64 * 4;
        self.nodes.push(Node {
            name: name.to_string(),
            engine: PtpInstance::new(config, self.seed ^ k),
            clock: NodeClock::new(clock, Self::stream(self.seed, k + 1)),
            generations: BTreeMap::new(),
            measurements: 0,
            steps: 0,
            log: NodeLog::default(),
            recording: false,
            egress_latency: Duration::ZERO,
            running: false,
        });
        index
    }

    /// Joins two ports, (node, port) each; `a_to_b` and `b_to_a` are the
    /// two directions' models. Returns the link's index.
    pub fn add_link(
        &mut self,
        a: (usize, PortIndex),
        b: (usize, PortIndex),
        a_to_b: DelayModel,
        b_to_a: DelayModel,
    ) -> usize {
        self.links.push(Link::new([a, b], [a_to_b, b_to_a], START));
        self.links.len() - 1
    }

    /// Cuts (`false`) or restores (`true`) a link. Frames already on it
    /// still arrive; frames sent while it is cut are lost.
    pub fn set_link_up(&mut self, link: usize, up: bool) {
        if let Some(l) = self.links.get_mut(link) {
            l.up = up;
        }
    }

    /// Sets how long after the engine asks `node`'s messages leave (zero
    /// unless set). Their transmit timestamps are taken as they leave.
    pub fn set_egress_latency(&mut self, node: usize, latency: Duration) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.egress_latency = latency.max(Duration::ZERO);
        }
    }

    /// Keeps a [`NodeLog`] of `node` from now on.
    pub fn record(&mut self, node: usize) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.recording = true;
        }
    }

    /// `node`'s clock reading now.
    pub fn local(&mut self, node: usize) -> Time {
        self.nodes[node].clock.local(self.now)
    }

    /// `node`'s true offset now: its clock minus true time.
    pub fn true_offset(&mut self, node: usize) -> Duration {
        self.local(node) - self.now
    }

    /// The frequency adjustment `node`'s servo applies, in ppb.
    pub fn servo_frequency(&self, node: usize) -> Option<f64> {
        self.nodes[node].clock.servo_frequency()
    }

    /// The state of `node`'s `port` (FAULTY for a port it does not have).
    pub fn port_state(&self, node: usize, port: PortIndex) -> PortState {
        self.nodes[node]
            .engine
            .port_ds(port)
            .map(|d| d.port_state)
            .unwrap_or(PortState::Faulty)
    }

    /// When `node`'s `port` last entered `state` (true time), if it did
    /// while the node was recorded.
    pub fn entered(&self, node: usize, port: PortIndex, state: PortState) -> Option<Time> {
        self.nodes[node].log.entered(port, state)
    }

    /// Every node's port states, e.g. `A: MASTER, B: SLAVE/PASSIVE`, for
    /// displays and assertion messages.
    pub fn summary(&self) -> String {
        self.nodes
            .iter()
            .map(|n| {
                let states: Vec<&str> = (0..n.engine.port_count())
                    .filter_map(|p| n.engine.port_ds(p).map(|d| d.port_state.name()))
                    .collect();
                format!("{}: {}", n.name, states.join("/"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Starts every node that is not running.
    pub fn start(&mut self) {
        for node in 0..self.nodes.len() {
            if !self.nodes[node].running {
                self.start_node(node);
            }
        }
    }

    /// Starts (or restarts) `node`'s engine now.
    pub fn start_node(&mut self, node: usize) {
        self.nodes[node].running = true;
        let local = self.local(node);
        self.nodes[node].engine.start(local);
        self.drain(node);
    }

    /// Stops `node`: from now on it neither sends, receives nor runs
    /// timers (a power failure), until started again.
    pub fn stop_node(&mut self, node: usize) {
        self.nodes[node].running = false;
    }

    /// Calls `f` with `node`'s engine and its clock's reading now (to
    /// report a fault, change its time properties…), then carries out the
    /// actions the engine queued. Returns what `f` returns.
    pub fn operate<R>(&mut self, node: usize, f: impl FnOnce(&mut PtpInstance, Time) -> R) -> R {
        let local = self.local(node);
        let result = f(&mut self.nodes[node].engine, local);
        self.drain(node);
        result
    }

    /// Runs until `until_s` seconds of true time since the start.
    pub fn run_until(&mut self, until_s: f64) {
        self.run_to(START + Duration::from_secs_f64(until_s));
    }

    /// Runs for `duration` of true time from now.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_to(self.now + duration);
    }
}
