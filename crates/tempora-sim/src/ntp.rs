//! NTP scenarios: a client whose clock is a virtual clock over the
//! scenario's oscillator polls one or more servers (some of them liars)
//! over the scenario's network. Everything between the wire and the clock
//! is the daemon's own code: the sources' requests and clock filters
//! (`tempora_ntp::client::source`), the servers' replies
//! (`tempora_ntp::server`), the system process with its selection and
//! start-up policy (`tempora_system::SystemProcess`) and the daemon's servo
//! (`tempora_system::servo`). The RFC 5905 baseline runs through the same
//! system process with RFC 5905's own rules (no start-up policy; the
//! system peer's clock filter output goes to its discipline). Deterministic
//! for a given seed.
//!
//! With `[ntp.ptp]` a PTP grandmaster joins the servers (see
//! the `mixed` module): its port is one more source of the same system
//! process, which selects among all of them; the trace records which
//! source was selected over time.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use tempora_clock::{Correction, Duration, Servo, Time, VirtualState};
use tempora_ntp::access::Unlimited;
use tempora_ntp::client::source::{PollConfig, ReplyOutcome, Source};
use tempora_ntp::client::source_update;
use tempora_ntp::server::{
    Datagram, DenyAction, Outcome, Server, ServerClock, ServerConfig, Versions,
};
use tempora_ntp::wire::{LeapIndicator, ReferenceId};
use tempora_system::{
    Action, Measurement, RawSample, SourceId, SourceKind, SourceOptions, SystemConfig,
    SystemProcess, carry_out,
};

use crate::mixed::PtpPart;
use crate::model::delay::DelayModel;
use crate::model::oscillator::Oscillator;
use crate::network::START;
use crate::runner::Trace;
use crate::scenario::Scenario;

/// A server: stratum 1, a perfect clock (plus its configured error).
const SERVER: ServerClock = ServerClock {
    leap: LeapIndicator::NoWarning,
    stratum: 1,
    precision: -23,
    reference_id: ReferenceId(*b"GPS\0"),
    reference_time: START,
    root_delay: Duration::ZERO,
    root_dispersion: Duration::ZERO,
    ..ServerClock::UNSYNCHRONIZED
};

/// The server core the daemon runs, with no access lists, rate limit,
/// interleaved mode or NTS.
fn server() -> Server<[tempora_ntp::access::Cidr; 0], Unlimited, 0> {
    let config = ServerConfig {
        allow: [],
        deny: [],
        deny_action: DenyAction::Drop,
        interleaved: false,
        require_nts: false,
        versions: Versions::V4,
        smear: false,
    };
    let mut server = Server::new(config, Unlimited, 0);
    server.set_clock(SERVER);
    server
}

/// The client's address, as the servers see it.
const CLIENT: std::net::SocketAddr = std::net::SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2)),
    123,
);

struct Client {
    oscillator: Oscillator,
    clock: VirtualState,
    rng: ChaCha8Rng,
    noise: Option<Normal<f64>>,
    offsets: Vec<(f64, f64)>,
    next_record: Time,
}

impl Client {
    /// The clock's reading at true time `t` (never going back).
    fn read(&mut self, t: Time) -> Time {
        let base = self.oscillator.advance(t, &mut self.rng);
        self.clock.time_at(base)
    }

    /// Records the true offset once a second up to `until` (the clock is
    /// read in true-time order, as the oscillator requires).
    fn record_until(&mut self, until: Time) {
        while self.next_record <= until {
            let t = self.next_record;
            let r = self.read(t);
            self.offsets
                .push(((t - START).as_secs_f64(), (r - t).as_nanos_f64()));
            self.next_record += Duration::from_secs(1);
        }
    }

    /// A timestamp at `t`: the reading plus timestamping noise.
    fn stamp(&mut self, t: Time) -> Time {
        let mut r = self.read(t);
        if let Some(n) = self.noise {
            r += Duration::from_secs_f64(n.sample(&mut self.rng) * 1e-9);
        }
        r + self.oscillator.phase_noise(&mut self.rng)
    }
}

/// One server as the client sees it, with its core.
struct Peer {
    source: Source,
    id: SourceId,
    /// True time of the next poll.
    next_poll: Time,
    to_server: DelayModel,
    to_client: DelayModel,
    /// The server's clock minus true time.
    error: Duration,
    /// Its core: what the daemon runs.
    core: Server<[tempora_ntp::access::Cidr; 0], Unlimited, 0>,
}

/// A reply on its way: (true arrival time, server, reply).
type InFlight = (Time, usize, [u8; 64], usize);

/// The run's state.
struct Run {
    client: Client,
    servers: Vec<Peer>,
    system: SystemProcess,
    servo: Box<dyn Servo>,
    in_flight: Vec<InFlight>,
    rng: ChaCha8Rng,
    processing: Duration,
    measurements: u64,
    steps: u64,
    /// True time of the event being handled.
    now: Time,
    /// The PTP grandmaster of a mixed-source scenario.
    ptp: Option<PtpPart>,
    /// Each source's name: `ptp:gm`, `ntp:server1`, ...
    names: Vec<(SourceId, String)>,
    /// The system peer's changes: (seconds since the start, its name).
    selection: Vec<(f64, Option<String>)>,
}

/// Runs an NTP scenario (one with an `[ntp]` section) with `servo`.
pub fn run(
    scenario: &Scenario,
    servo: Box<dyn Servo>,
    seed: u64,
    progress: &mut dyn FnMut(f64),
) -> Trace {
    let duration = scenario.scenario.duration_s;
    let end = START + Duration::from_secs_f64(duration);
    let mut run = Run::new(scenario, servo, seed);
    while let Some((t, event)) = run.next_event() {
        if t > end {
            break;
        }
        run.client.record_until(t);
        run.now = t;
        progress((t - START).as_secs_f64() / duration);
        match event {
            Event::Poll(i) => run.poll(i, t),
            Event::Arrival(k) => run.arrive(k, t),
            Event::Timeout => {
                let local = run.client.read(t);
                run.system.handle_timeout(local);
                run.act(t);
            }
            Event::PtpTick => run.ptp_tick(t),
        }
    }
    run.client.record_until(end);
    progress(1.0);
    Trace {
        offsets: run.client.offsets,
        measurements: run.measurements,
        steps: run.steps,
        duration_s: duration,
        selection: run.selection,
    }
}

enum Event {
    Poll(usize),
    Arrival(usize),
    Timeout,
    PtpTick,
}

/// A scenario source's options.
fn options(trust: bool, prefer: bool, noselect: bool) -> SourceOptions {
    SourceOptions {
        trust,
        prefer,
        noselect,
        ..SourceOptions::default()
    }
}

impl Run {
    fn new(scenario: &Scenario, mut servo: Box<dyn Servo>, seed: u64) -> Run {
        let settings = scenario.ntp.clone().unwrap_or_default();
        let duration = scenario.scenario.duration_s;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let initial = Duration::from_secs_f64(scenario.clock.initial_offset_us * 1e-6);
        let clock = VirtualState::new(START, initial, 0.0);
        servo.set_max_frequency(clock.max_frequency());
        servo.set_interval(Duration::from_log2_secs(settings.poll));
        let noise_ns = scenario.timestamping.noise_ns;
        let mut client = Client {
            oscillator: Oscillator::new(scenario.clock.clone(), START),
            clock,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed),
            noise: Normal::new(0.0, noise_ns).ok().filter(|_| noise_ns > 0.0),
            offsets: Vec::with_capacity(duration as usize + 1),
            next_record: START,
        };
        let local = client.read(START);
        let rfc5905 = servo.name() == "rfc5905";
        let mut system = SystemProcess::new(
            SystemConfig {
                minimum_agreeing: settings.minimum_agreeing,
                rfc5905,
                max_frequency_ppb: client.clock.max_frequency(),
                ..SystemConfig::default()
            },
            local,
            0.0,
        );
        let n = &scenario.network;
        let servers = settings
            .servers
            .iter()
            .map(|spec| Peer {
                source: Source::new(
                    PollConfig {
                        minpoll: settings.poll,
                        maxpoll: settings.poll,
                        iburst: true,
                        xleave: false,
                    },
                    local,
                ),
                id: system.add_source_with(
                    SourceKind::Ntp,
                    options(spec.trust, spec.prefer, spec.noselect),
                ),
                next_poll: START,
                to_server: DelayModel::new(n.slave_to_master, n.loss, n.bursts, duration, &mut rng),
                to_client: DelayModel::new(n.master_to_slave, n.loss, n.bursts, duration, &mut rng),
                error: Duration::from_secs_f64(spec.offset_us * 1e-6),
                core: server(),
            })
            .collect::<Vec<Peer>>();
        let mut names: Vec<_> = servers
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, format!("ntp:server{}", i + 1)))
            .collect();
        let ptp = settings.ptp.as_ref().map(|spec| {
            let o = options(spec.trust, spec.prefer, spec.noselect);
            let id = system.add_source_with(SourceKind::Ptp, o);
            names.insert(0, (id, "ptp:gm".to_string()));
            PtpPart::new(scenario, spec, seed, id)
        });
        Run {
            client,
            servers,
            system,
            servo,
            in_flight: Vec::new(),
            rng,
            processing: Duration::from_secs_f64(settings.server_processing_us * 1e-6),
            measurements: 0,
            steps: 0,
            now: START,
            ptp,
            names,
            selection: Vec::new(),
        }
    }

    /// The earliest event and its true time.
    fn next_event(&mut self) -> Option<(Time, Event)> {
        let mut best: Option<(Time, Event)> = None;
        let mut consider = |t: Time, e: Event| {
            if best.as_ref().is_none_or(|(b, _)| t < *b) {
                best = Some((t, e));
            }
        };
        for (i, s) in self.servers.iter().enumerate() {
            consider(s.next_poll, Event::Poll(i));
        }
        for (k, f) in self.in_flight.iter().enumerate() {
            consider(f.0, Event::Arrival(k));
        }
        if let Some(p) = &self.ptp {
            consider(p.next_tick, Event::PtpTick);
        }
        if let Some(local) = self.system.poll_timeout() {
            // The clock runs within 500 ppm of true time: close enough to
            // schedule by (a timeout is checked against the clock anyway).
            let now = self.now;
            let reading = self.client.read(now);
            let at = now + (local - reading).max(Duration::from_millis(1));
            consider(at, Event::Timeout);
        }
        best
    }

    /// Server `i`'s poll at true time `t`.
    fn poll(&mut self, i: usize, t: Time) {
        let local = self.client.read(t);
        let s = &mut self.servers[i];
        let request = s.source.poll_now(local, self.rng.r#gen());
        let next_local = s
            .source
            .next_poll()
            .unwrap_or(local + Duration::from_secs(16));
        s.next_poll = t + (next_local - local).max(Duration::from_millis(1));
        let Some(request) = request else {
            return;
        };
        let since = (t - START).as_secs_f64();
        let t1 = self.client.stamp(t);
        let s = &mut self.servers[i];
        s.source.sent_at(t1);
        let (Some(d1), Some(d2)) = (
            s.to_server.sample(since, &mut self.rng),
            s.to_client.sample(since, &mut self.rng),
        ) else {
            return;
        };
        let t2 = t + d1 + s.error;
        let t3 = t2 + self.processing;
        let mut reply = [0u8; 64];
        let datagram = Datagram {
            data: &request,
            rx: t2,
        };
        let outcome = s
            .core
            .handle(t3, CLIENT, datagram, None, &mut self.rng, &mut reply);
        if let Outcome::Reply { len, .. } = outcome {
            self.in_flight
                .push((t + d1 + self.processing + d2, i, reply, len));
        }
    }

    /// Reply `k` in flight arrives at true time `t`.
    fn arrive(&mut self, k: usize, t: Time) {
        let (_, i, reply, len) = self.in_flight.swap_remove(k);
        let t4 = self.client.stamp(t);
        let s = &mut self.servers[i];
        let ReplyOutcome::Sample(sample) = s.source.handle_reply(&reply[..len], t4) else {
            return;
        };
        let Some(f) = s.source.filtered() else {
            return;
        };
        let id = s.id;
        self.system
            .handle_update(t4, id, source_update(&sample, &f, s.source.poll()));
        self.act(t);
    }

    /// The PTP port's measurements up to true time `t` go to the system
    /// process (a quarter of a Sync interval after they arrive at most).
    fn ptp_tick(&mut self, t: Time) {
        let Some(p) = self.ptp.as_mut() else {
            return;
        };
        let new = p.advance(t);
        p.next_tick = t + p.interval / 4;
        let (id, interval) = (p.id, p.interval);
        if p.left_slave() {
            self.system.handle_source_reset(id);
        }
        let local = self.client.read(t);
        for m in new {
            // The perfect port's ingress is true time: the client read
            // `local − (t − ingress)` then (its rate error over a quarter
            // interval aside).
            let at = local - (t - m.ingress);
            let sample = RawSample {
                measurement: Measurement {
                    at,
                    offset: -m.offset + (m.ingress - at),
                    delay: m.delay * 2,
                },
                root: Duration::ZERO,
                interval,
                own_delay: m.own_delay,
            };
            self.system.handle_sample(local, id, sample);
            self.act(t);
        }
    }

    /// Records a change of the system peer at true time `t`.
    fn track(&mut self, t: Time) {
        let peer = self.system.system_peer().and_then(|id| {
            self.names
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, n)| n.clone())
        });
        if self.selection.last().is_none_or(|(_, last)| *last != peer) {
            self.selection.push(((t - START).as_secs_f64(), peer));
        }
    }

    /// Carries out what the system process asks, at true time `t`.
    fn act(&mut self, t: Time) {
        self.track(t);
        while let Some(action) = self.system.poll_action() {
            if matches!(action, Action::Servo { .. }) {
                self.measurements += 1;
            }
            let c = carry_out(&action, self.servo.as_mut(), self.client.clock.frequency());
            self.apply(t, c);
        }
    }

    fn apply(&mut self, t: Time, c: Correction) {
        if c == Correction::None {
            return;
        }
        let base = self.client.oscillator.advance(t, &mut self.client.rng);
        let before = self.client.clock.time_at(base);
        self.client.clock.apply_at(base, c);
        self.system.handle_correction(before, c);
        if matches!(c, Correction::Step { .. }) {
            self.steps += 1;
            let after = self.client.clock.time_at(base);
            for s in &mut self.servers {
                s.source.clock_stepped(after);
                s.next_poll = t;
            }
            // Replies to requests of before the step are refused as bogus.
        }
    }
}
