//! NTP scenarios: a client whose clock is a virtual clock over the
//! scenario's oscillator polls a perfect server over the scenario's network.
//! The exchange runs through the real code: the client's request and
//! source state (`tempora_ntp::client::source`, with its clock filter), the
//! server's reply (`tempora_ntp::server`). Tempora's servos get each new
//! sample once, with its delay, as the daemon feeds them; the RFC 5905
//! baseline gets the clock filter's output, as RFC 5905 feeds its
//! discipline. Deterministic for a given seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use tempora_clock::{Correction, Duration, Sample, Servo, Time, VirtualState};
use tempora_ntp::access::Unlimited;
use tempora_ntp::client::source::{PollConfig, ReplyOutcome, Source};
use tempora_ntp::server::{Datagram, DenyAction, Outcome, Server, ServerClock, ServerConfig};
use tempora_ntp::wire::{LeapIndicator, ReferenceId};

use crate::model::delay::DelayModel;
use crate::model::oscillator::Oscillator;
use crate::network::START;
use crate::runner::Trace;
use crate::scenario::Scenario;

/// The server: stratum 1, a perfect clock.
const SERVER: ServerClock = ServerClock {
    leap: LeapIndicator::NoWarning,
    stratum: 1,
    precision: -23,
    reference_id: ReferenceId(*b"GPS\0"),
    reference_time: START,
    root_delay: Duration::ZERO,
    root_dispersion: Duration::ZERO,
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
    };
    let mut server = Server::new(config, Unlimited, 0);
    server.set_clock(SERVER);
    server
}

/// The client's address, as the server sees it.
const CLIENT: std::net::SocketAddr = std::net::SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2)),
    123,
);

struct Client {
    oscillator: Oscillator,
    clock: VirtualState,
    rng: ChaCha8Rng,
    noise: Option<Normal<f64>>,
}

impl Client {
    /// The clock's reading at true time `t` (never going back).
    fn read(&mut self, t: Time) -> Time {
        let base = self.oscillator.advance(t, &mut self.rng);
        self.clock.time_at(base)
    }

    /// Records the true offset once a second up to `until` (the clock is
    /// read in true-time order, as the oscillator requires).
    fn record_until(&mut self, until: Time, next: &mut Time, offsets: &mut Vec<(f64, f64)>) {
        while *next <= until {
            let r = self.read(*next);
            offsets.push(((*next - START).as_secs_f64(), (r - *next).as_nanos_f64()));
            *next += Duration::from_secs(1);
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

/// Runs an NTP scenario (one with an `[ntp]` section) with `servo`.
pub fn run(
    scenario: &Scenario,
    mut servo: Box<dyn Servo>,
    seed: u64,
    progress: &mut dyn FnMut(f64),
) -> Trace {
    let settings = scenario.ntp.clone().unwrap_or_default();
    let rfc5905 = servo.name() == "rfc5905";
    let duration = scenario.scenario.duration_s;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = &scenario.network;
    let to_server = DelayModel::new(n.slave_to_master, n.loss, n.bursts, duration, &mut rng);
    let to_client = DelayModel::new(n.master_to_slave, n.loss, n.bursts, duration, &mut rng);
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
    };
    let mut source = Source::new(
        PollConfig {
            minpoll: settings.poll,
            maxpoll: settings.poll,
            iburst: true,
            xleave: false,
        },
        client.read(START),
    );
    let processing = Duration::from_secs_f64(settings.server_processing_us * 1e-6);
    let mut server = server();
    // Plain requests draw nothing from it; its own, so that they never could
    // change the scenario's draws.
    let mut server_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e4e);
    let end = START + Duration::from_secs_f64(duration);
    let mut offsets = Vec::with_capacity(duration as usize + 1);
    let (mut measurements, mut steps) = (0u64, 0u64);
    let mut last_used = Time::EPOCH;
    let mut next_record = START;
    // True time of the next poll, from the client's schedule.
    let mut t = START;
    while t <= end {
        // Readings go in true-time order: t never precedes the last
        // arrival (polls are seconds apart, deliveries milliseconds).
        client.record_until(t.min(end), &mut next_record, &mut offsets);
        progress((t - START).as_secs_f64() / duration);
        let local = client.read(t);
        'exchange: {
            let Some(request) = source.poll_now(local, rng.r#gen()) else {
                break 'exchange;
            };
            let since = (t - START).as_secs_f64();
            let t1 = client.stamp(t);
            source.sent_at(t1);
            let (Some(d1), Some(d2)) = (
                to_server.sample(since, &mut rng),
                to_client.sample(since, &mut rng),
            ) else {
                break 'exchange;
            };
            // The server's clock is true time.
            let t2 = t + d1;
            let t3 = t2 + processing;
            let arrival = t3 + d2;
            let mut reply = [0u8; 64];
            let datagram = Datagram {
                data: &request,
                rx: t2,
            };
            let outcome = server.handle(t3, CLIENT, datagram, None, &mut server_rng, &mut reply);
            let Outcome::Reply { len, .. } = outcome else {
                break 'exchange;
            };
            client.record_until(arrival.min(end), &mut next_record, &mut offsets);
            let t4 = client.stamp(arrival);
            let ReplyOutcome::Sample(sample) = source.handle_reply(&reply[..len], t4) else {
                break 'exchange;
            };
            // The RFC 5905 discipline gets what RFC 5905 gives it: the clock
            // filter's minimum-delay sample when it is newer than the last
            // one used (§10, §11.3). Tempora's servos get each new sample
            // once with its delay, as the daemon does.
            let fed = if rfc5905 {
                source
                    .filtered()
                    .map(|f| (f.best.at, f.best.offset, f.best.delay))
            } else {
                Some((sample.t4, sample.offset, sample.delay))
            };
            let Some((at, theta, delay)) = fed.filter(|(at, ..)| *at > last_used) else {
                break 'exchange;
            };
            last_used = at;
            measurements += 1;
            let c = servo.sample(Sample {
                local_time: at,
                // θ is server − client; the servo wants client − server.
                offset: -theta,
                delay: Some(delay),
            });
            let base = client.oscillator.advance(arrival, &mut client.rng);
            client.clock.apply_at(base, c);
            if matches!(c, Correction::Step { .. }) {
                steps += 1;
                source.clock_stepped(client.read(arrival));
                last_used = Time::EPOCH;
            }
        }
        // The next poll on the client's clock, in true time (the clock
        // runs within 500 ppm of true time: close enough for scheduling).
        let next_local = source
            .next_poll()
            .unwrap_or(local + Duration::from_secs(16));
        let wait = (next_local - client.read(t)).max(Duration::from_millis(1));
        t += wait;
    }
    client.record_until(end, &mut next_record, &mut offsets);
    progress(1.0);
    Trace {
        offsets,
        measurements,
        steps,
        duration_s: duration,
    }
}
