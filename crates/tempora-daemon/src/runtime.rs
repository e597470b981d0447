//! The timing loop's logic, separate from the system calls that feed it:
//! the engine, the servo, the clock, the timers and the ports, stepped by
//! events. `crate::run` (or a test) polls the descriptors and calls in.

use std::collections::BTreeMap;
use std::io;

use tempora_clock::servo::{SanityConfig, SanityGate, Verdict};
use tempora_clock::{Correction, Duration, Sample, Servo, Time};
use tempora_ptp::engine::{Action, Address, Destination, PtpInstance, Timer, TxToken};

use crate::status::{MasterSanityStatus, ServoState, Status, port_statuses};

/// A message received on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The PTP message.
    pub data: Vec<u8>,
    /// Its receive timestamp, raw (as the socket reported it).
    pub rx: Option<Time>,
    /// Who sent it.
    pub source: Option<Address>,
}

/// One PTP port's transport: sockets with timestamps.
pub trait PortIo {
    /// Sends a message; for event messages that need it, returns the id its
    /// transmit timestamp will come back with.
    fn send(
        &mut self,
        event: bool,
        destination: Destination,
        data: &[u8],
        want_timestamp: bool,
    ) -> io::Result<Option<u64>>;
    /// Reads one message from the port's socket number `socket` (for UDP,
    /// 0 is the event socket and 1 the general one), if one is queued.
    fn recv(&mut self, socket: usize) -> io::Result<Option<Received>>;
    /// The next transmit timestamp (id, raw time), if any.
    fn recv_tx_timestamp(&mut self) -> io::Result<Option<(u64, Time)>>;
}

/// What the runtime did with an action of the system process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NtpUse {
    /// The servo (or the clock) took it.
    Used,
    /// The servo took it and stepped the clock: earlier samples are void.
    Stepped,
}

/// A PTP port's measurement for the system process, when the port is one
/// source among others (see [`Runtime::route_ptp_to_system`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtpSample {
    /// The port (engine index).
    pub port: usize,
    /// When the Sync arrived, in the NTP time the system process works in
    /// ([`DisciplinedClock::ntp_time`]).
    pub at: Time,
    /// θ: the master's time minus ours (−offsetFromMaster).
    pub offset: Duration,
    /// The round-trip delay: twice the mean path delay.
    pub delay: Duration,
    /// Whether the delay is this measurement's own (the engine's
    /// `own_delay`).
    pub own_delay: bool,
    /// The time since the port's previous measurement (its Sync interval),
    /// or its configured Sync interval for the first.
    pub interval: Duration,
}

/// The clock the daemon disciplines.
pub trait DisciplinedClock {
    /// Its time now.
    fn now(&self) -> Time;
    /// The clock's time for a raw timestamp from a socket (identity, except
    /// for a virtual clock over the timestamps' clock).
    fn time_of_raw(&self, raw: Time) -> Time;
    /// Applies a servo correction.
    fn apply(&mut self, correction: Correction) -> io::Result<()>;
    /// What it is: `system`, `virtual`, `/dev/ptp0`.
    fn kind(&self) -> String;
    /// For a virtual clock: its error against CLOCK_REALTIME.
    fn error_vs_system(&self) -> Option<Duration>;
    /// Whether the clock counts UTC (the system clock and a virtual clock
    /// over it) rather than the PTP timescale (a PHC, which counts TAI).
    fn counts_utc(&self) -> bool;
    /// The UTC time NTP works in for a raw software timestamp (`None`:
    /// now): the disciplined clock's own for the system and a virtual
    /// clock; for a PHC, the system clock, which `sync-system-clock` keeps
    /// on the PHC (NTP sockets timestamp in system time).
    fn ntp_time(&self, raw: Option<Time>) -> Time;
    /// Arms a leap second at the end of the current UTC day, or disarms
    /// (`crate::leap_kernel`). A clock that counts no UTC (a PHC on the
    /// PTP timescale) has none: the default does nothing.
    fn set_leap(&mut self, leap: tempora_clock::LeapStatus) -> io::Result<()> {
        let _ = leap;
        Ok(())
    }
    /// Tells the clock TAI − UTC (`crate::leap_kernel`); the default does
    /// nothing.
    fn set_tai_offset(&mut self, seconds: i16) -> io::Result<()> {
        let _ = seconds;
        Ok(())
    }
}

/// The daemon's state.
pub struct Runtime<P, C> {
    /// The PTP engine.
    pub engine: PtpInstance,
    /// The ports, in engine order.
    pub ports: Vec<P>,
    /// Interface and transport of each port, for the status.
    pub port_names: Vec<(String, String)>,
    /// The clock.
    pub clock: C,
    servo: Box<dyn Servo>,
    /// Corrections applied, for the NTP system process's ledger.
    corrections: Vec<(Time, Correction)>,
    keep_corrections: bool,
    timers: BTreeMap<Timer, Time>,
    pending: BTreeMap<(usize, u64), TxToken>,
    measurements: u64,
    started: Time,
    /// Engine time − clock time: the UTC offset when a UTC clock serves or
    /// follows the PTP timescale, zero otherwise.
    ptp_offset: Duration,
    /// `ptp_offset` when the engine started: engine `now` − clock time.
    now_offset: Duration,
    /// Clock steps made (PTP or NTP).
    steps: u64,
    /// Engine time of each port's last PTP measurement.
    last_ptp_measurement: BTreeMap<usize, Time>,
    /// PTP measurements go to the system process (with
    /// [`Runtime::take_ptp_samples`]), not straight to the servo.
    route_ptp: bool,
    /// PTP measurements for the system process, not taken yet.
    ptp_samples: Vec<PtpSample>,
    /// Ports that left the SLAVE state since the last
    /// [`Runtime::take_ptp_samples`].
    ptp_left: Vec<usize>,
    /// The platform reported a nonzero transmit-timestamp id: ids work, so
    /// timestamps are never matched by order.
    ids_seen: bool,
    /// The master sanity gate in front of the servo.
    sanity: SanityGate,
    /// The largest frequency adjustment the servo asks for, ppb.
    frequency_limit_ppb: f64,
    /// What was last logged about the gates: (masters held, UTC offset
    /// changes held) and when.
    gate_log: ((u64, u64), Option<Time>),
}

impl<P: PortIo, C: DisciplinedClock> Runtime<P, C> {
    /// A runtime; call [`Runtime::start`] next.
    pub fn new(
        engine: PtpInstance,
        ports: Vec<P>,
        port_names: Vec<(String, String)>,
        clock: C,
        servo: Box<dyn Servo>,
    ) -> Self {
        let started = clock.now();
        Runtime {
            engine,
            ports,
            port_names,
            clock,
            servo,
            corrections: Vec::new(),
            keep_corrections: false,
            timers: BTreeMap::new(),
            pending: BTreeMap::new(),
            measurements: 0,
            started,
            ptp_offset: Duration::ZERO,
            now_offset: Duration::ZERO,
            steps: 0,
            last_ptp_measurement: BTreeMap::new(),
            route_ptp: false,
            ptp_samples: Vec::new(),
            ptp_left: Vec::new(),
            ids_seen: false,
            sanity: SanityGate::new(SanityConfig::default()),
            frequency_limit_ppb: 500_000.0,
            gate_log: ((0, 0), None),
        }
    }

    /// Configures the master sanity gate (on by default).
    pub fn set_sanity(&mut self, config: SanityConfig) {
        self.sanity = SanityGate::new(config);
    }

    /// Tells the runtime the largest frequency adjustment its servo asks
    /// for (the clock's limit), ppb.
    pub fn set_frequency_limit(&mut self, max_ppb: f64) {
        self.frequency_limit_ppb = max_ppb;
    }

    /// The largest frequency adjustment the servo asks for, ppb.
    pub fn frequency_limit_ppb(&self) -> f64 {
        self.frequency_limit_ppb
    }

    /// The engine's `now`, which runs its timers and ages its records: the
    /// clock's time on the timescale in force when the engine started. It
    /// does not jump when the timescale changes later (a new grandmaster),
    /// so timers and foreign-master records stay valid; only approximate
    /// origin timestamps (Announce, two-step Sync, Delay_Req) use it.
    fn engine_now(&self) -> Time {
        self.clock.now() + self.now_offset
    }

    /// A raw socket timestamp on the PTP timescale in force.
    fn engine_time(&self, raw: Time) -> Time {
        self.clock.time_of_raw(raw) + self.ptp_offset
    }

    /// Engine time − clock time for the time properties in force (IEEE
    /// 1588-2019 §7.2.3, §8.2.4): with `ptpTimescale`, the PTP (TAI) time
    /// of a clock that counts UTC is its time plus `currentUtcOffset`.
    pub fn timescale_offset(&self) -> Duration {
        if !self.clock.counts_utc() {
            return Duration::ZERO;
        }
        self.ptp_minus_utc()
    }

    /// PTP time − UTC for the time properties in force: `currentUtcOffset`
    /// with the PTP timescale, zero with ARB. Like ptp4l, an offset that is
    /// not flagged valid is taken as at least 37 s (TAI − UTC since 2017),
    /// since a smaller one cannot be current.
    pub fn ptp_minus_utc(&self) -> Duration {
        let tp = self.engine.time_properties_ds();
        if !tp.ptp_timescale {
            return Duration::ZERO;
        }
        let seconds = if tp.current_utc_offset_valid {
            tp.current_utc_offset
        } else {
            tp.current_utc_offset.max(37)
        };
        Duration::from_secs(i64::from(seconds))
    }

    /// Follows a change of timescale (a new grandmaster, or our own time
    /// properties): the exchanges in flight, which mix the two timescales,
    /// are dropped.
    fn follow_timescale(&mut self) {
        let wanted = self.timescale_offset();
        if wanted == self.ptp_offset {
            return;
        }
        self.ptp_offset = wanted;
        self.pending.clear();
        self.engine.notify_clock_step();
        tracing::info!(
            offset_s = wanted.as_secs_f64(),
            "PTP time is the clock's time plus this offset"
        );
    }

    /// Starts the engine.
    pub fn start(&mut self) -> io::Result<()> {
        self.ptp_offset = self.timescale_offset();
        self.now_offset = self.ptp_offset;
        let now = self.engine_now();
        self.engine.start(now);
        self.drain()
    }

    /// When the next timer is due, on the disciplined clock.
    pub fn next_deadline(&self) -> Option<Time> {
        self.timers.values().min().map(|at| *at - self.now_offset)
    }

    /// How long to wait before the next timer, from now.
    pub fn timeout(&self) -> Option<Duration> {
        self.next_deadline()
            .map(|at| (at - self.clock.now()).max(Duration::ZERO))
    }

    /// Fires the timers that are due.
    pub fn run_timers(&mut self) -> io::Result<()> {
        loop {
            let now = self.engine_now();
            let due: Vec<Timer> = self
                .timers
                .iter()
                .filter(|(_, at)| **at <= now)
                .map(|(t, _)| *t)
                .collect();
            if due.is_empty() {
                return Ok(());
            }
            for t in due {
                self.timers.remove(&t);
                self.engine.handle_timer(now, t);
                self.drain()?;
            }
        }
    }

    /// Handles what poll(2) reported for socket `socket` of port `port`:
    /// one transmit timestamp if the error queue has one, one message if it
    /// is readable. One read each per readiness: under clknetsim a read of
    /// an empty queue returns the next packet instead of nothing.
    pub fn service_port(
        &mut self,
        port: usize,
        socket: usize,
        readable: bool,
        error_queue: bool,
    ) -> io::Result<()> {
        if error_queue {
            let Some(io) = self.ports.get_mut(port) else {
                return Ok(());
            };
            if let Some((id, raw)) = io.recv_tx_timestamp()? {
                tracing::trace!(port = port + 1, id, "transmit timestamp");
                if let Some(token) = self.take_pending(port, id) {
                    let now = self.engine_now();
                    let tx = self.engine_time(raw);
                    self.engine.handle_tx_timestamp(now, token, tx);
                    self.drain()?;
                }
            }
        }
        if readable {
            let Some(io) = self.ports.get_mut(port) else {
                return Ok(());
            };
            if let Some(msg) = io.recv(socket)? {
                let now = self.engine_now();
                let rx = msg.rx.map(|t| self.engine_time(t));
                // Malformed or foreign messages are counted by the engine.
                match self
                    .engine
                    .handle_message(now, port, &msg.data, rx, msg.source)
                {
                    Ok(kind) => tracing::trace!(
                        port = port + 1,
                        len = msg.data.len(),
                        timestamped = rx.is_some(),
                        ?kind,
                        "received"
                    ),
                    Err(e @ tempora_ptp::engine::RxError::Unauthenticated(_)) => {
                        // Logged on the 1st, 2nd, 4th, 8th... failure of the
                        // port: visible, but a flood cannot fill the log.
                        let n = self
                            .engine
                            .port_counters(port)
                            .map_or(0, |c| c.rx_auth_failures);
                        if n.is_power_of_two() {
                            tracing::warn!(port = port + 1, error = %e, failures = n, "PTP message refused");
                        } else {
                            tracing::debug!(port = port + 1, error = %e, "PTP message refused");
                        }
                    }
                    Err(e) => tracing::debug!(port = port + 1, error = %e, "message dropped"),
                }
                self.drain()?;
            }
        }
        Ok(())
    }

    /// The exchange waiting for the transmit timestamp `id` of `port`. A
    /// platform that does not report ids (clknetsim built without
    /// SOF_TIMESTAMPING_OPT_ID reports 0 for all) still works while one
    /// timestamp at a time is awaited on the port, as ptp4l expects.
    fn take_pending(&mut self, port: usize, id: u64) -> Option<TxToken> {
        if id != 0 {
            self.ids_seen = true;
        }
        if let Some(token) = self.pending.remove(&(port, id)) {
            return Some(token);
        }
        if self.ids_seen {
            return None;
        }
        let mut on_port = self.pending.range((port, 0)..=(port, u64::MAX));
        let (&key, _) = on_port.next()?;
        if on_port.next().is_some() {
            return None;
        }
        self.pending.remove(&key)
    }

    /// Answers a management message from the local socket.
    pub fn local_management(&mut self, data: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let now = self.engine_now();
        let out = self.engine.handle_local_management(now, data);
        self.drain()?;
        Ok(out)
    }

    /// Answers a management message from the read-only status socket
    /// (GETs only; SET and COMMAND refused).
    pub fn read_only_management(&mut self, data: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let now = self.engine_now();
        let out = self.engine.handle_read_only_management(now, data);
        self.drain()?;
        Ok(out)
    }

    /// Carries out the engine's actions.
    fn drain(&mut self) -> io::Result<()> {
        while let Some(action) = self.engine.poll_action() {
            match action {
                Action::Send {
                    port,
                    event,
                    destination,
                    data,
                    timestamp,
                    ..
                } => {
                    let Some(io) = self.ports.get_mut(port) else {
                        continue;
                    };
                    // A failed send is the network's problem, not the loop's:
                    // the engine's timeouts deal with lost messages.
                    let sent = io.send(event, destination, &data, timestamp.is_some());
                    tracing::trace!(port = port + 1, len = data.len(), ?sent, "sent");
                    if let Ok(Some(id)) = sent {
                        if let Some(token) = timestamp {
                            if self.pending.len() > 1024 {
                                self.pending.clear();
                            }
                            self.pending.insert((port, id), token);
                        }
                    }
                }
                Action::SetTimer { timer, at } => {
                    self.timers.insert(timer, at);
                }
                Action::CancelTimer(timer) => {
                    self.timers.remove(&timer);
                }
                Action::Measurement(m) => {
                    let verdict = self.sanity.check(m.ingress, m.offset, self.servo.state());
                    self.log_gates();
                    match verdict {
                        Verdict::Hold => continue,
                        Verdict::Release if self.route_ptp => {
                            // The selection decides whether to follow it:
                            // against other sources it may be a falseticker.
                            tracing::warn!(
                                offset_s = m.offset.as_secs_f64(),
                                "the master has disagreed with the clock for the sanity hold time: its port is a source of the selection again"
                            );
                        }
                        Verdict::Release => {
                            tracing::warn!(
                                offset_s = m.offset.as_secs_f64(),
                                "the master has disagreed with the clock for the sanity hold time: following it"
                            );
                            self.servo.reset();
                        }
                        Verdict::Follow => {}
                    }
                    let previous = self.last_ptp_measurement.insert(m.port, m.ingress);
                    if self.route_ptp {
                        self.queue_ptp(m, previous);
                        continue;
                    }
                    self.measurements += 1;
                    let sample = Sample {
                        local_time: m.ingress,
                        offset: m.offset,
                        delay: m.own_delay.then_some(m.delay),
                    };
                    let correction = self.servo.sample(sample);
                    tracing::trace!(
                        offset_ns = m.offset.as_nanos_f64(),
                        delay_ns = m.delay.as_nanos_f64(),
                        ?correction,
                        "measurement"
                    );
                    self.apply_correction(correction)?;
                    if let Correction::Step { step, .. } = correction {
                        tracing::info!(step_ns = step.as_nanos_f64(), "clock stepped");
                        self.steps += 1;
                        self.engine.notify_clock_step();
                    }
                }
                Action::TimeProperties(tp) => {
                    self.log_gates();
                    tracing::info!(
                        ptp_timescale = tp.ptp_timescale,
                        current_utc_offset = tp.current_utc_offset,
                        valid = tp.current_utc_offset_valid,
                        leap61 = tp.leap61,
                        leap59 = tp.leap59,
                        "time properties"
                    );
                    self.follow_timescale();
                }
                Action::ParentChanged { parent } => {
                    tracing::info!(parent = %parent, "new parent");
                    self.follow_timescale();
                }
                Action::StateChange { port, from, to } => {
                    if from == tempora_ptp::datasets::PortState::Slave && self.route_ptp {
                        self.ptp_left.push(port);
                    }
                    tracing::info!(
                        port = port + 1,
                        "port state {} -> {}",
                        from.name(),
                        to.name()
                    );
                }
            }
        }
        Ok(())
    }

    /// Logs a master or a UTC offset newly held back by the gates: once
    /// per disagreement, and at most once a minute.
    fn log_gates(&mut self) {
        let counts = (
            self.sanity.held_count(),
            self.engine.utc_offset_gate().held_count(),
        );
        let ((masters, offsets), last) = self.gate_log;
        if counts == (masters, offsets) {
            return;
        }
        let now = self.clock.now();
        if last.is_some_and(|t| (now - t).abs() < Duration::from_secs(60)) {
            return;
        }
        self.gate_log = (counts, Some(now));
        let parent = self.engine.parent_ds().parent_port_identity;
        if counts.0 > masters {
            tracing::warn!(
                %parent,
                offset_s = self.sanity.held_offset().map(|o| o.as_secs_f64()),
                threshold_s = self.sanity.threshold().map(|t| t.as_secs_f64()),
                held_total = counts.0,
                "master disagrees with the disciplined clock beyond the sanity threshold: not followed unless it persists for master-sanity-hold"
            );
        }
        if counts.1 > offsets {
            let offered = self.engine.utc_offset_gate().pending().map(|(tp, _)| tp);
            tracing::warn!(
                %parent,
                offered = offered.map(|tp| tp.current_utc_offset),
                in_force = self.engine.time_properties_ds().current_utc_offset,
                held_total = counts.1,
                "the grandmaster's UTC offset jumped: not taken unless it persists for master-sanity-hold"
            );
        }
    }

    /// The master sanity gate and the UTC offset gate, for the status.
    fn sanity_status(&self) -> MasterSanityStatus {
        let utc = self.engine.utc_offset_gate();
        MasterSanityStatus {
            holding: self.sanity.holding(),
            held_offset_ns: self.sanity.held_offset().map(|o| o.as_nanos_f64()),
            threshold_ns: self.sanity.threshold().map(|t| t.as_nanos_f64()),
            masters_held: self.sanity.held_count(),
            utc_offset_holding: utc.pending().is_some(),
            utc_offset_offered: utc.pending().map(|(tp, _)| tp.current_utc_offset),
            utc_offset_changes_held: utc.held_count(),
        }
    }

    /// The status snapshot.
    pub fn status(&self) -> Status {
        let parent = self.engine.parent_ds();
        let current = self.engine.current_ds();
        Status {
            identity: self.engine.default_ds().clock_identity.to_string(),
            ports: port_statuses(&self.engine, &self.port_names),
            parent: parent.parent_port_identity.to_string(),
            grandmaster: parent.grandmaster_identity.to_string(),
            steps_removed: current.steps_removed,
            offset_from_master_ns: current.offset_from_master.as_nanos_f64(),
            mean_path_delay_ns: current.mean_delay.as_nanos_f64(),
            servo_state: self.servo_status(),
            frequency_ppb: self.servo.frequency_ppb(),
            clock: self.clock.kind(),
            error_vs_system_ns: self.clock.error_vs_system().map(|e| e.as_nanos_f64()),
            system_clock_offset_ns: None,
            system_clock_frequency_ppb: None,
            ntp_sources: Vec::new(),
            sources: Vec::new(),
            selected_source: None,
            steps: self.steps,
            ntp_server: None,
            nts_ke: None,
            csptp_sources: Vec::new(),
            csptp_client: None,
            csptp_server: None,
            roughtime_server: None,
            roughtime: None,
            holdover: None,
            leap_seconds: None,
            refclocks: Vec::new(),
            measurements: self.measurements,
            uptime_s: (self.clock.now() - self.started).as_secs_f64(),
            master_sanity: self.sanity_status(),
            tracking: None,
            control: Default::default(),
        }
    }

    /// The servo's state for the status: never locked while a gate holds
    /// the master (or its UTC offset) back.
    fn servo_status(&self) -> ServoState {
        if self.sanity.holding() || self.engine.utc_offset_gate().pending().is_some() {
            ServoState::Held
        } else {
            self.servo.state().into()
        }
    }

    /// PTP measurements (past the master sanity gate) go to the system
    /// process as one source per port, with the NTP sources and the
    /// others, instead of straight to the servo: the servo gets them when
    /// the selection picks the port (docs/sources.md).
    pub fn route_ptp_to_system(&mut self) {
        self.route_ptp = true;
    }

    /// Queues a measurement for the system process (`previous`: the port's
    /// last measurement's ingress, for its interval).
    fn queue_ptp(&mut self, m: tempora_ptp::engine::Measurement, previous: Option<Time>) {
        let configured = self
            .engine
            .port_ds(m.port)
            .map_or(0, |ds| ds.log_sync_interval);
        let interval = previous
            .map(|p| m.ingress - p)
            .filter(|d| *d > Duration::ZERO && *d <= Duration::from_secs(128))
            .unwrap_or(Duration::from_log2_secs(configured));
        // The ingress on the engine's timescale, as the clock's time, then
        // as NTP time: the same for a clock that counts UTC, the system
        // clock's for a PHC (taken over the two clocks' readings now).
        let clock_time = m.ingress - self.ptp_offset;
        let at = if self.clock.counts_utc() {
            clock_time
        } else {
            self.clock.ntp_time(None) + (clock_time - self.clock.now())
        };
        // Bounded: the NTP client takes them on every loop turn.
        if self.ptp_samples.len() < 1024 {
            self.ptp_samples.push(PtpSample {
                port: m.port,
                at,
                offset: -m.offset,
                delay: m.delay * 2,
                own_delay: m.own_delay,
                interval,
            });
        }
    }

    /// The PTP measurements queued for the system process, and the ports
    /// that left SLAVE (their samples are void), since the last call.
    pub fn take_ptp_samples(&mut self) -> (Vec<PtpSample>, Vec<usize>) {
        (
            std::mem::take(&mut self.ptp_samples),
            std::mem::take(&mut self.ptp_left),
        )
    }

    /// Steps the clock by `step` at the current frequency (the start-up
    /// step from the Roughtime consensus, `crate::roughtime_startup`),
    /// counted with the other steps.
    pub fn step_clock(&mut self, step: Duration) -> io::Result<()> {
        let frequency_ppb = self.servo.frequency_ppb();
        self.apply_correction(Correction::Step {
            step,
            frequency_ppb,
        })?;
        self.steps += 1;
        self.engine.notify_clock_step();
        Ok(())
    }

    /// Clock steps made so far (PTP or NTP).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Carries out what the system process asks (the start-up step, a
    /// settling frequency, the hand-over to the servo, a sample of the
    /// selected source for it, of whatever kind). Returns what was done.
    pub fn ntp_action(&mut self, action: &tempora_system::Action) -> io::Result<NtpUse> {
        use tempora_system::Action;
        let current = self.servo.frequency_ppb();
        let mut dated = *action;
        // The servo's times are on the engine's timescale (PTP's are): an
        // NTP time on a UTC clock plus the PTP − UTC offset in force, so a
        // switch between PTP and NTP is no jump (a PTP port's samples come
        // back to their ingress time).
        match &mut dated {
            Action::Servo { sample, .. } => {
                self.measurements += 1;
                sample.local_time += self.ptp_offset;
            }
            Action::Handover(h) => h.at += self.ptp_offset,
            Action::Start { .. } | Action::Slew { .. } => {}
        }
        let correction = tempora_system::carry_out(&dated, self.servo.as_mut(), current);
        match dated {
            Action::Servo { sample, .. } => tracing::debug!(
                offset_ns = sample.offset.as_nanos_f64(),
                ?correction,
                "selected source's measurement"
            ),
            _ => tracing::info!(?action, "system process"),
        }
        self.apply_correction(correction)?;
        if let Correction::Step { step, .. } = correction {
            tracing::info!(
                step_ns = step.as_nanos_f64(),
                "clock stepped (system process)"
            );
            self.steps += 1;
            self.engine.notify_clock_step();
            return Ok(NtpUse::Stepped);
        }
        Ok(NtpUse::Used)
    }

    /// Applies `correction` to the clock, and keeps it for
    /// [`take_corrections`](Self::take_corrections) when asked to.
    fn apply_correction(&mut self, correction: Correction) -> io::Result<()> {
        if self.keep_corrections && correction != Correction::None {
            // Bounded: the NTP client takes them on every loop turn.
            if self.corrections.len() < 4096 {
                self.corrections
                    .push((self.clock.ntp_time(None), correction));
            }
        }
        self.clock.apply(correction)
    }

    /// Keep every correction applied (with the clock's NTP time just
    /// before it) for the NTP system process.
    pub fn keep_corrections(&mut self) {
        self.keep_corrections = true;
    }

    /// The corrections applied since the last call.
    pub fn take_corrections(&mut self) -> Vec<(Time, Correction)> {
        std::mem::take(&mut self.corrections)
    }

    /// The PTP servo's state; unlocked while a gate holds the master back.
    pub fn servo_state(&self) -> tempora_clock::ServoState {
        match self.servo_status() {
            ServoState::Held => tempora_clock::ServoState::Unlocked,
            _ => self.servo.state(),
        }
    }

    /// The servo's frequency, to persist across restarts.
    pub fn frequency_ppb(&self) -> f64 {
        self.servo.frequency_ppb()
    }

    /// The servo's state and covariance for holdover
    /// ([`tempora_clock::Servo::holdover_model`]).
    pub fn holdover_model(&self) -> Option<tempora_clock::servo::HoldoverModel> {
        self.servo.holdover_model()
    }

    /// Holdover (`crate::served`): the clock runs at `frequency_ppb`, the
    /// servo's last frequency estimate without its offset-removal term, and
    /// the servo is told so (known within `sigma_ppb`), so that it resumes
    /// from there when samples come back.
    pub fn hold_frequency(&mut self, frequency_ppb: f64, sigma_ppb: f64) -> io::Result<()> {
        self.servo.frequency_set(frequency_ppb, sigma_ppb);
        self.apply_correction(Correction::Frequency { frequency_ppb })
    }

    /// `tempora ctl servo reset`: the servo forgets everything but its
    /// frequency estimate and starts over from its next sample.
    pub fn reset_servo(&mut self) {
        tracing::info!(servo = self.servo.name(), "servo reset by tempora ctl");
        self.servo.reset();
    }

    /// `tempora ctl set priority1`: the engine's `defaultDS.priority1`
    /// (IEEE 1588-2019 §8.2.1.4.1), and the state decision that follows.
    pub fn set_priority1(&mut self, priority1: u8) -> io::Result<()> {
        let now = self.engine_now();
        self.engine.set_priority1(now, priority1);
        self.drain()
    }

    /// What the daemon serves as grandmaster (`crate::served`): its
    /// `clockQuality` and time properties, applied when they change.
    pub fn set_served(
        &mut self,
        quality: tempora_ptp::wire::ClockQuality,
        time_properties: tempora_ptp::datasets::TimePropertiesDs,
    ) -> io::Result<()> {
        let now = self.engine_now();
        self.engine.set_clock_quality(now, quality);
        self.engine.set_time_properties(time_properties);
        self.drain()
    }
}
