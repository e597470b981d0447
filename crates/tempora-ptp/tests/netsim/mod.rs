//! A deterministic simulated network of PTP instances on virtual time, for
//! the engine's acceptance tests. Each node has a clock with a fixed offset
//! from true time and an egress latency (the time between the engine asking
//! to send and the message leaving, e.g. a transparent clock's residence
//! time); links are point-to-point with a fixed delay per direction.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use tempora_clock::{Duration, Time};
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::{
    Action, Address, Destination, InstanceConfig, Measurement, PortIndex, PtpInstance, Timer,
};

/// The (MAC) address of a node's port in the simulation.
pub fn address(node: usize, port: PortIndex) -> Address {
    Address::Mac([0x02, 0xee, 0, 0, node as u8, port as u8])
}

/// True time when the simulation starts.
const EPOCH: Time = Time::from_secs_nanos(1_000_000, 0);

/// A node of the network.
pub struct Node {
    pub name: &'static str,
    pub instance: PtpInstance,
    /// Local clock minus true time at the start of the simulation.
    pub clock_offset: Duration,
    /// How fast the local clock runs, in parts per million.
    pub clock_rate_ppm: f64,
    /// How long after the engine asks a message leaves.
    pub egress_latency: Duration,
    pub running: bool,
    timer_generation: BTreeMap<Timer, u64>,
    pub measurements: Vec<Measurement>,
    /// Time properties the engine handed to the clock layer.
    pub time_properties: Vec<tempora_ptp::datasets::TimePropertiesDs>,
    /// Every message the node sent, with its port and destination.
    pub sent: Vec<(PortIndex, Vec<u8>, Destination)>,
    pub state_log: Vec<(Time, PortIndex, PortState, PortState)>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Deliver {
        node: usize,
        port: PortIndex,
        data: Vec<u8>,
        event: bool,
        source: Address,
    },
    Timer {
        node: usize,
        timer: Timer,
        generation: u64,
    },
    TxTimestamp {
        node: usize,
        token: tempora_ptp::engine::TxToken,
    },
}

/// A link between two ports.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub a: (usize, PortIndex),
    pub b: (usize, PortIndex),
    /// Delay from a to b.
    pub delay_ab: Duration,
    /// Delay from b to a.
    pub delay_ba: Duration,
    pub up: bool,
}

/// The simulated network.
pub struct Network {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    queue: BinaryHeap<Reverse<(Time, u64, Event)>>,
    sequence: u64,
    pub now: Time,
}

impl Network {
    pub fn new() -> Self {
        Network {
            nodes: Vec::new(),
            links: Vec::new(),
            queue: BinaryHeap::new(),
            sequence: 0,
            now: EPOCH,
        }
    }

    /// Adds a node; it starts when [`Network::start`] is called for it.
    pub fn add(
        &mut self,
        name: &'static str,
        config: InstanceConfig,
        clock_offset: Duration,
    ) -> usize {
        let seed = self.nodes.len() as u64 * 7919 + 17;
        self.nodes.push(Node {
            name,
            instance: PtpInstance::new(config, seed),
            clock_offset,
            clock_rate_ppm: 0.0,
            egress_latency: Duration::from_micros(1),
            running: false,
            timer_generation: BTreeMap::new(),
            measurements: Vec::new(),
            sent: Vec::new(),
            time_properties: Vec::new(),
            state_log: Vec::new(),
        });
        self.nodes.len() - 1
    }

    pub fn link(&mut self, a: (usize, PortIndex), b: (usize, PortIndex), delay: Duration) -> usize {
        self.links.push(Link {
            a,
            b,
            delay_ab: delay,
            delay_ba: delay,
            up: true,
        });
        self.links.len() - 1
    }

    fn local(&self, node: usize, t: Time) -> Time {
        let n = &self.nodes[node];
        let drift = Duration::from_secs_f64((t - EPOCH).as_secs_f64() * n.clock_rate_ppm * 1e-6);
        t + n.clock_offset + drift
    }

    /// The true time at which `node`'s clock shows `local`.
    fn true_time(&self, node: usize, local: Time) -> Time {
        let n = &self.nodes[node];
        let since =
            (local - n.clock_offset - EPOCH).as_secs_f64() / (1.0 + n.clock_rate_ppm * 1e-6);
        EPOCH + Duration::from_secs_f64(since)
    }

    fn push(&mut self, at: Time, event: Event) {
        self.sequence += 1;
        self.queue.push(Reverse((at, self.sequence, event)));
    }

    pub fn start(&mut self, node: usize) {
        self.nodes[node].running = true;
        let local = self.local(node, self.now);
        self.nodes[node].instance.start(local);
        self.drain(node);
    }

    /// Stops a node: it no longer sends, receives or runs timers.
    pub fn stop(&mut self, node: usize) {
        self.nodes[node].running = false;
    }

    fn drain(&mut self, node: usize) {
        while let Some(action) = self.nodes[node].instance.poll_action() {
            match action {
                Action::Send {
                    port,
                    event,
                    data,
                    timestamp,
                    destination,
                    one_step,
                } => {
                    let mut data = data;
                    if one_step {
                        // The "hardware" writes the transmit time into
                        // originTimestamp (octets 34..44) as it leaves.
                        let leaves = self.now + self.nodes[node].egress_latency;
                        let (secs, nanos) = self.local(node, leaves).secs_nanos();
                        data[34..40].copy_from_slice(&(secs as u64).to_be_bytes()[2..]);
                        data[40..44].copy_from_slice(&nanos.to_be_bytes());
                    }
                    self.nodes[node]
                        .sent
                        .push((port, data.clone(), destination));
                    let leaves = self.now + self.nodes[node].egress_latency;
                    if let Some(token) = timestamp {
                        self.push(leaves, Event::TxTimestamp { node, token });
                    }
                    for l in self.links.clone().iter().filter(|l| l.up) {
                        let (to, delay) = if l.a == (node, port) {
                            (l.b, l.delay_ab)
                        } else if l.b == (node, port) {
                            (l.a, l.delay_ba)
                        } else {
                            continue;
                        };
                        if let Destination::Unicast(addr) = destination {
                            if addr != address(to.0, to.1) {
                                continue;
                            }
                        }
                        self.push(
                            leaves + delay,
                            Event::Deliver {
                                node: to.0,
                                port: to.1,
                                data: data.clone(),
                                event,
                                source: address(node, port),
                            },
                        );
                    }
                }
                Action::SetTimer { timer, at } => {
                    let g = self.nodes[node].timer_generation.entry(timer).or_insert(0);
                    *g += 1;
                    let generation = *g;
                    let true_at = self.true_time(node, at);
                    self.push(
                        true_at.max(self.now),
                        Event::Timer {
                            node,
                            timer,
                            generation,
                        },
                    );
                }
                Action::CancelTimer(timer) => {
                    *self.nodes[node].timer_generation.entry(timer).or_insert(0) += 1;
                }
                Action::Measurement(m) => self.nodes[node].measurements.push(m),
                Action::StateChange { port, from, to } => {
                    let now = self.now;
                    self.nodes[node].state_log.push((now, port, from, to));
                }
                Action::TimeProperties(tp) => self.nodes[node].time_properties.push(tp),
                Action::ParentChanged { .. } => {}
            }
        }
    }

    /// Runs until `duration` of true time has passed.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        while let Some(Reverse((at, _, _))) = self.queue.peek() {
            if *at > end {
                break;
            }
            let Some(Reverse((at, _, event))) = self.queue.pop() else {
                break;
            };
            self.now = at;
            match event {
                Event::Deliver {
                    node,
                    port,
                    data,
                    event,
                    source,
                } => {
                    if !self.nodes[node].running {
                        continue;
                    }
                    let local = self.local(node, at);
                    let rx = event.then_some(local);
                    let _ = self.nodes[node].instance.handle_message(
                        local,
                        port,
                        &data,
                        rx,
                        Some(source),
                    );
                    self.drain(node);
                }
                Event::Timer {
                    node,
                    timer,
                    generation,
                } => {
                    if !self.nodes[node].running
                        || self.nodes[node].timer_generation.get(&timer) != Some(&generation)
                    {
                        continue;
                    }
                    let local = self.local(node, at);
                    self.nodes[node].instance.handle_timer(local, timer);
                    self.drain(node);
                }
                Event::TxTimestamp { node, token } => {
                    if !self.nodes[node].running {
                        continue;
                    }
                    let local = self.local(node, at);
                    self.nodes[node]
                        .instance
                        .handle_tx_timestamp(local, token, local);
                    self.drain(node);
                }
            }
        }
        self.now = end;
    }

    pub fn state(&self, node: usize, port: PortIndex) -> PortState {
        self.nodes[node]
            .instance
            .port_ds(port)
            .map(|d| d.port_state)
            .unwrap_or(PortState::Faulty)
    }

    /// Every node's port states, for assertion messages.
    pub fn summary(&self) -> String {
        self.nodes
            .iter()
            .map(|n| {
                let states: Vec<&str> = (0..n.instance.port_count())
                    .filter_map(|p| n.instance.port_ds(p).map(|d| d.port_state.name()))
                    .collect();
                format!("{}: {}", n.name, states.join("/"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// When `node`'s `port` last entered `state`, if it did.
    pub fn entered(&self, node: usize, port: PortIndex, state: PortState) -> Option<Time> {
        self.nodes[node]
            .state_log
            .iter()
            .rev()
            .find(|(_, p, _, to)| *p == port && *to == state)
            .map(|(t, ..)| *t)
    }
}
