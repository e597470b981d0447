//! A simulated PTP network on virtual time: nodes running the real PTP
//! engine, each with a clock (perfect, or a virtual clock over a modelled
//! oscillator, disciplined by a servo), joined by point-to-point links with
//! modelled delays. Deterministic for a given seed.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use tempora_clock::{Correction, Duration, Sample, Servo, Time, VirtualState};
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::{Action, InstanceConfig, PortIndex, PtpInstance, Timer, TxToken};

use crate::model::delay::DelayModel;
use crate::model::oscillator::Oscillator;
use crate::scenario::ClockModel;

/// True time at the start of every simulation.
pub const START: Time = Time::from_secs_nanos(1_800_000_000, 0);

/// A node's clock.
struct NodeClock {
    /// None: a perfect clock (a grandmaster locked to GNSS).
    oscillator: Option<Oscillator>,
    virtual_state: VirtualState,
    servo: Option<Box<dyn Servo>>,
    stamp_noise: Option<Normal<f64>>,
    rng: ChaCha8Rng,
}

/// A node of the network.
pub struct Node {
    /// Its name, for displays.
    pub name: String,
    /// The PTP engine.
    pub engine: PtpInstance,
    clock: NodeClock,
    generations: BTreeMap<Timer, u64>,
    /// Offset measurements its servo received.
    pub measurements: u64,
    /// Steps its servo made.
    pub steps: u64,
}

struct Link {
    ends: [(usize, PortIndex); 2],
    /// Delay models: [from ends[0] to ends[1], from ends[1] to ends[0]].
    delays: [DelayModel; 2],
    /// The last arrival time each way: a link delivers in order (FIFO).
    last_arrival: [Time; 2],
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Deliver {
        node: usize,
        port: PortIndex,
        data: Vec<u8>,
        event: bool,
    },
    Timer {
        node: usize,
        timer: Timer,
        generation: u64,
    },
}

/// The network.
pub struct Network {
    /// The nodes, in the order added.
    pub nodes: Vec<Node>,
    links: Vec<Link>,
    queue: BinaryHeap<Reverse<(Time, u64, Event)>>,
    sequence: u64,
    now: Time,
    seed: u64,
    rng_network: ChaCha8Rng,
}

/// How a node's clock behaves.
pub struct ClockSpec {
    /// The oscillator; `None` for a perfect clock.
    pub model: Option<ClockModel>,
    /// The servo that disciplines it (needed with an oscillator).
    pub servo: Option<Box<dyn Servo>>,
    /// Timestamping noise, ns (standard deviation).
    pub timestamp_noise_ns: f64,
}

impl Network {
    /// An empty network; `seed` feeds every random draw.
    pub fn new(seed: u64) -> Self {
        Network {
            nodes: Vec::new(),
            links: Vec::new(),
            queue: BinaryHeap::new(),
            sequence: 0,
            now: START,
            seed,
            rng_network: Self::stream(seed, 1),
        }
    }

    fn stream(seed: u64, k: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k)
    }

    /// Seconds of true time since the start.
    pub fn elapsed_s(&self) -> f64 {
        (self.now - START).as_secs_f64()
    }

    /// The network's random stream, to draw link models from.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng_network
    }

    /// Adds a node.
    pub fn add_node(&mut self, name: &str, config: InstanceConfig, clock: ClockSpec) -> usize {
        let index = self.nodes.len();
        let k = 16 + index as u64 * 4;
        let initial = clock
            .model
            .as_ref()
            .map(|m| Duration::from_secs_f64(m.initial_offset_us * 1e-6))
            .unwrap_or(Duration::ZERO);
        let stamp_noise = Normal::new(0.0, clock.timestamp_noise_ns)
            .ok()
            .filter(|_| clock.timestamp_noise_ns > 0.0);
        let virtual_state = VirtualState::new(START, initial, 0.0);
        let mut servo = clock.servo;
        if let Some(s) = servo.as_mut() {
            // The servo must know what the clock accepts, so that what it
            // asks for is what the clock does.
            s.set_max_frequency(virtual_state.max_frequency());
        }
        self.nodes.push(Node {
            name: name.to_string(),
            engine: PtpInstance::new(config, self.seed ^ k),
            clock: NodeClock {
                oscillator: clock.model.map(|m| Oscillator::new(m, START)),
                virtual_state,
                servo,
                stamp_noise,
                rng: Self::stream(self.seed, k + 1),
            },
            generations: BTreeMap::new(),
            measurements: 0,
            steps: 0,
        });
        index
    }

    /// Joins two ports; `a_to_b` and `b_to_a` are the two directions' models.
    pub fn add_link(
        &mut self,
        a: (usize, PortIndex),
        b: (usize, PortIndex),
        a_to_b: DelayModel,
        b_to_a: DelayModel,
    ) {
        self.links.push(Link {
            ends: [a, b],
            delays: [a_to_b, b_to_a],
            last_arrival: [START; 2],
        });
    }

    fn push(&mut self, at: Time, event: Event) {
        self.sequence += 1;
        self.queue.push(Reverse((at, self.sequence, event)));
    }

    /// `node`'s base reading now: its oscillator, or true time.
    fn base(&mut self, node: usize) -> Time {
        let now = self.now;
        let c = &mut self.nodes[node].clock;
        match c.oscillator.as_mut() {
            Some(o) => o.advance(now, &mut c.rng),
            None => now,
        }
    }

    /// `node`'s clock reading now.
    pub fn local(&mut self, node: usize) -> Time {
        let base = self.base(node);
        self.nodes[node].clock.virtual_state.time_at(base)
    }

    /// `node`'s true offset now: its clock minus true time.
    pub fn true_offset(&mut self, node: usize) -> Duration {
        self.local(node) - self.now
    }

    /// The frequency adjustment `node`'s servo applies, in ppb.
    pub fn servo_frequency(&self, node: usize) -> Option<f64> {
        self.nodes[node]
            .clock
            .servo
            .as_ref()
            .map(|s| s.frequency_ppb())
    }

    /// The state of `node`'s `port`.
    pub fn port_state(&self, node: usize, port: PortIndex) -> PortState {
        self.nodes[node]
            .engine
            .port_ds(port)
            .map(|d| d.port_state)
            .unwrap_or(PortState::Faulty)
    }

    fn timestamp(&mut self, node: usize) -> Time {
        let mut t = self.local(node);
        let c = &mut self.nodes[node].clock;
        if let Some(n) = c.stamp_noise {
            t += Duration::from_secs_f64(n.sample(&mut c.rng) * 1e-9);
        }
        if let Some(o) = c.oscillator.as_ref() {
            t += o.phase_noise(&mut c.rng);
        }
        t
    }

    /// Starts every node's engine.
    pub fn start(&mut self) {
        for node in 0..self.nodes.len() {
            let local = self.local(node);
            self.nodes[node].engine.start(local);
            self.drain(node);
        }
    }

    fn drain(&mut self, node: usize) {
        while let Some(action) = self.nodes[node].engine.poll_action() {
            match action {
                Action::Send {
                    port,
                    mut data,
                    event,
                    timestamp,
                    one_step,
                    ..
                } => {
                    let tx = self.timestamp(node);
                    if one_step && data.len() >= 44 {
                        let (secs, nanos) = tx.secs_nanos();
                        let secs = u64::try_from(secs).unwrap_or(0).to_be_bytes();
                        data[34..40].copy_from_slice(&secs[2..]);
                        data[40..44].copy_from_slice(&nanos.to_be_bytes());
                    }
                    if let Some(token) = timestamp {
                        self.tx_timestamp(node, token, tx);
                    }
                    let since = self.elapsed_s();
                    let mut deliveries = Vec::new();
                    let now = self.now;
                    for link in &mut self.links {
                        for dir in 0..2 {
                            if link.ends[dir] != (node, port) {
                                continue;
                            }
                            let to = link.ends[1 - dir];
                            if let Some(d) = link.delays[dir].sample(since, &mut self.rng_network) {
                                // A link delivers in order (FIFO).
                                let arrival = (now + d).max(link.last_arrival[dir]);
                                link.last_arrival[dir] = arrival;
                                deliveries.push((to, arrival));
                            }
                        }
                    }
                    for ((to_node, to_port), arrival) in deliveries {
                        let data = data.clone();
                        self.push(
                            arrival,
                            Event::Deliver {
                                node: to_node,
                                port: to_port,
                                data,
                                event,
                            },
                        );
                    }
                }
                Action::SetTimer { timer, at } => {
                    let g = self.nodes[node].generations.entry(timer).or_insert(0);
                    *g += 1;
                    let generation = *g;
                    let local = self.local(node);
                    let at_true = (self.now + (at - local)).max(self.now);
                    self.push(
                        at_true,
                        Event::Timer {
                            node,
                            timer,
                            generation,
                        },
                    );
                }
                Action::CancelTimer(timer) => {
                    *self.nodes[node].generations.entry(timer).or_insert(0) += 1;
                }
                Action::Measurement(m) => {
                    let delay = m.own_delay.then_some(m.delay);
                    self.discipline(node, m.ingress, m.offset, delay)
                }
                _ => {}
            }
        }
    }

    fn tx_timestamp(&mut self, node: usize, token: TxToken, tx: Time) {
        let now = self.local(node);
        self.nodes[node].engine.handle_tx_timestamp(now, token, tx);
    }

    fn discipline(
        &mut self,
        node: usize,
        local_time: Time,
        offset: Duration,
        delay: Option<Duration>,
    ) {
        let base = self.base(node);
        let n = &mut self.nodes[node];
        let Some(servo) = n.clock.servo.as_mut() else {
            return;
        };
        n.measurements += 1;
        let correction = servo.sample(Sample {
            local_time,
            offset,
            delay,
        });
        if matches!(correction, Correction::Step { .. }) {
            n.steps += 1;
            n.engine.notify_clock_step();
        }
        n.clock.virtual_state.apply_at(base, correction);
    }

    /// Runs until `until` seconds of true time since the start.
    pub fn run_until(&mut self, until_s: f64) {
        let end = START + Duration::from_secs_f64(until_s);
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
                } => {
                    let rx = event.then(|| self.timestamp(node));
                    let local = self.local(node);
                    let _ = self.nodes[node]
                        .engine
                        .handle_message(local, port, &data, rx, None);
                    self.drain(node);
                }
                Event::Timer {
                    node,
                    timer,
                    generation,
                } => {
                    if self.nodes[node].generations.get(&timer) != Some(&generation) {
                        continue;
                    }
                    let local = self.local(node);
                    self.nodes[node].engine.handle_timer(local, timer);
                    self.drain(node);
                }
            }
        }
        if self.now < end {
            self.now = end;
        }
    }
}
