//! Runs a scenario: a grandmaster with a perfect clock and a slave whose
//! clock is a virtual clock over a modelled oscillator, both running the
//! real PTP engine, the slave's servo disciplining its clock, on virtual
//! time. Records the slave's true offset (its clock minus true time) every
//! second.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use tempora_clock::{Correction, Duration, Sample, Servo, Time, VirtualState};
use tempora_ptp::engine::{Action, InstanceConfig, PtpInstance, Timer, TxToken};
use tempora_ptp::profile;
use tempora_ptp::wire::ClockIdentity;

use crate::model::delay::DelayModel;
use crate::model::oscillator::Oscillator;
use crate::scenario::Scenario;

const MASTER: usize = 0;
const SLAVE: usize = 1;

/// True time at the start of every run.
pub const START: Time = Time::from_secs_nanos(1_800_000_000, 0);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Deliver {
        to: usize,
        data: Vec<u8>,
        event: bool,
    },
    Timer {
        node: usize,
        timer: Timer,
        generation: u64,
    },
    Sample,
}

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
}

struct Sim<'a> {
    scenario: &'a Scenario,
    engines: [PtpInstance; 2],
    generations: [BTreeMap<Timer, u64>; 2],
    queue: BinaryHeap<Reverse<(Time, u64, Event)>>,
    sequence: u64,
    now: Time,
    oscillator: Oscillator,
    clock: VirtualState,
    servo: &'a mut dyn Servo,
    to_slave: DelayModel,
    to_master: DelayModel,
    rng_network: ChaCha8Rng,
    rng_clock: ChaCha8Rng,
    rng_stamps: ChaCha8Rng,
    stamp_noise: Option<Normal<f64>>,
    trace: Trace,
}

fn config(scenario: &Scenario, id: u8, master: bool) -> InstanceConfig {
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
        if let Some(v) = s.log_sync_interval {
            port.log_sync_interval = v;
        }
        if let Some(v) = s.log_min_delay_req_interval {
            port.log_min_delay_req_interval = v;
        }
        if let Some(v) = s.log_min_pdelay_req_interval {
            port.log_min_pdelay_req_interval = v;
        }
        if let Some(v) = s.log_announce_interval {
            port.log_announce_interval = v;
        }
        // The simulated path is one hop: asCapable depends only on its delay.
        port.neighbor_prop_delay_thresh = None;
    }
    c
}

impl Sim<'_> {
    fn push(&mut self, at: Time, event: Event) {
        self.sequence += 1;
        self.queue.push(Reverse((at, self.sequence, event)));
    }

    fn since_start(&self) -> f64 {
        (self.now - START).as_secs_f64()
    }

    /// The slave's free-running base reading now.
    fn base(&mut self) -> Time {
        self.oscillator.advance(self.now, &mut self.rng_clock)
    }

    /// A node's clock reading now (without timestamp noise).
    fn local(&mut self, node: usize) -> Time {
        if node == MASTER {
            self.now
        } else {
            let base = self.base();
            self.clock.time_at(base)
        }
    }

    /// A timestamp taken by `node` now: its clock plus timestamping noise.
    fn timestamp(&mut self, node: usize) -> Time {
        let mut t = self.local(node);
        if let Some(n) = self.stamp_noise {
            t += Duration::from_secs_f64(n.sample(&mut self.rng_stamps) * 1e-9);
        }
        if node == SLAVE {
            t += self.oscillator.phase_noise(&mut self.rng_stamps);
        }
        t
    }

    fn drain(&mut self, node: usize) {
        while let Some(action) = self.engines[node].poll_action() {
            match action {
                Action::Send {
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
                    let to = 1 - node;
                    let since = self.since_start();
                    let model = if node == MASTER {
                        &self.to_slave
                    } else {
                        &self.to_master
                    };
                    if let Some(delay) = model.sample(since, &mut self.rng_network) {
                        self.push(self.now + delay, Event::Deliver { to, data, event });
                    }
                }
                Action::SetTimer { timer, at } => {
                    let g = self.generations[node].entry(timer).or_insert(0);
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
                    *self.generations[node].entry(timer).or_insert(0) += 1;
                }
                Action::Measurement(m) if node == SLAVE => {
                    self.discipline(m.ingress, m.offset, m.delay)
                }
                _ => {}
            }
        }
    }

    fn tx_timestamp(&mut self, node: usize, token: TxToken, tx: Time) {
        let now = self.local(node);
        self.engines[node].handle_tx_timestamp(now, token, tx);
    }

    fn discipline(&mut self, local_time: Time, offset: Duration, delay: Duration) {
        self.trace.measurements += 1;
        let correction = self.servo.sample(Sample {
            local_time,
            offset,
            delay: Some(delay),
        });
        let base = self.base();
        match correction {
            Correction::None => {}
            Correction::Frequency { frequency_ppb } => {
                let _ = self.clock.set_frequency_at(base, frequency_ppb);
            }
            Correction::Step {
                step,
                frequency_ppb,
            } => {
                self.trace.steps += 1;
                self.clock.step_at(base, step);
                let _ = self.clock.set_frequency_at(base, frequency_ppb);
            }
        }
    }

    fn run(&mut self, progress: &mut dyn FnMut(f64)) {
        let end = START + Duration::from_secs_f64(self.scenario.scenario.duration_s);
        for node in [MASTER, SLAVE] {
            let local = self.local(node);
            self.engines[node].start(local);
            self.drain(node);
        }
        self.push(START, Event::Sample);
        let mut next_report = 0.0;
        while let Some(Reverse((at, _, event))) = self.queue.pop() {
            if at > end {
                break;
            }
            self.now = at;
            match event {
                Event::Deliver { to, data, event } => {
                    let rx = event.then(|| self.timestamp(to));
                    let local = self.local(to);
                    let _ = self.engines[to].handle_message(local, 0, &data, rx, None);
                    self.drain(to);
                }
                Event::Timer {
                    node,
                    timer,
                    generation,
                } => {
                    if self.generations[node].get(&timer) != Some(&generation) {
                        continue;
                    }
                    let local = self.local(node);
                    self.engines[node].handle_timer(local, timer);
                    self.drain(node);
                }
                Event::Sample => {
                    let s = self.since_start();
                    let offset = self.local(SLAVE) - self.now;
                    self.trace.offsets.push((s, offset.as_nanos_f64()));
                    self.push(self.now + Duration::from_secs(1), Event::Sample);
                    if s >= next_report {
                        progress(s / self.scenario.scenario.duration_s);
                        next_report = s + 60.0;
                    }
                }
            }
        }
        progress(1.0);
    }
}

/// Runs `scenario` with `servo` and `seed`; `progress` hears the fraction
/// done now and then.
pub fn run(
    scenario: &Scenario,
    servo: &mut dyn Servo,
    seed: u64,
    progress: &mut dyn FnMut(f64),
) -> Trace {
    let stream = |k: u64| ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k);
    let mut rng_network = stream(1);
    let duration = scenario.scenario.duration_s;
    let n = &scenario.network;
    let to_slave = DelayModel::new(
        n.master_to_slave,
        n.loss,
        n.bursts,
        duration,
        &mut rng_network,
    );
    let to_master = DelayModel::new(
        n.slave_to_master,
        n.loss,
        n.bursts,
        duration,
        &mut rng_network,
    );
    let interval = profile::by_name(&scenario.ptp.profile)
        .map(|p| {
            scenario
                .ptp
                .log_sync_interval
                .unwrap_or(p.log_sync_interval)
        })
        .unwrap_or(0);
    servo.set_interval(Duration::from_log2_secs(interval));
    let initial = Duration::from_secs_f64(scenario.clock.initial_offset_us * 1e-6);
    let mut sim = Sim {
        scenario,
        engines: [
            PtpInstance::new(config(scenario, 1, true), seed ^ 1),
            PtpInstance::new(config(scenario, 2, false), seed ^ 2),
        ],
        generations: [BTreeMap::new(), BTreeMap::new()],
        queue: BinaryHeap::new(),
        sequence: 0,
        now: START,
        oscillator: Oscillator::new(scenario.clock.clone(), START),
        clock: VirtualState::new(START, initial, 0.0),
        servo,
        to_slave,
        to_master,
        rng_network,
        rng_clock: stream(2),
        rng_stamps: stream(3),
        stamp_noise: Normal::new(0.0, scenario.timestamping.noise_ns)
            .ok()
            .filter(|_| scenario.timestamping.noise_ns > 0.0),
        trace: Trace {
            offsets: Vec::new(),
            measurements: 0,
            steps: 0,
            duration_s: duration,
        },
    };
    sim.run(progress);
    sim.trace
}
