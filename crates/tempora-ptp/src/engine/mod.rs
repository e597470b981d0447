//! The PTP engine: a PTP instance with its ports (IEEE 1588-2019 §9), as a
//! sans-IO state machine.
//!
//! # Calling contract
//!
//! The engine reads no clock, sets no timer and touches no socket. Its
//! caller (the daemon, the simulator, a test) owns all of that and drives it:
//!
//! 1. Build it with [`PtpInstance::new`] from an [`InstanceConfig`] and a
//!    random seed, then call [`PtpInstance::start`] with the current time.
//! 2. Feed it events, each with the current time `now` of the instance's
//!    clock (the clock the servo disciplines; all times are on it):
//!    * [`PtpInstance::handle_message`]: a received message, with its
//!      receive timestamp for event messages and the sender's address;
//!    * [`PtpInstance::handle_tx_timestamp`]: the transmit timestamp of a
//!      message it sent with a [`TxToken`];
//!    * [`PtpInstance::handle_timer`]: a [`Timer`] it armed has fired.
//! 3. After every call, drain [`PtpInstance::poll_action`] until it returns
//!    `None`, and carry each [`Action`] out in order: send a message, arm or
//!    disarm a timer, hand a [`Measurement`] to the servo, apply new time
//!    properties, note a state change.
//!
//! Timers are one-shot and identified by [`Timer`]; setting one again moves
//! it. Event messages the engine needs a transmit timestamp for carry a
//! [`TxToken`]; report the time the message left (a hardware or software
//! transmit timestamp) as soon as it is known.
//!
//! The engine is deterministic: the same seed and the same sequence of calls
//! give the same actions. That is what lets the simulator run it on virtual
//! time, far faster than real time.

mod action;
mod auth;
mod config;
mod management;
mod master;
mod messages;
mod pdelay;
mod port;
mod rng;
mod slave;
mod state;
mod transparent;
mod unicast;
mod utc_gate;

pub use action::{Action, Address, Destination, Measurement, PortIndex, Timer, TxToken};
pub use auth::PortAuth;
pub use config::{InstanceConfig, NetworkManagement, PortConfig};
pub use utc_gate::{UTC_OFFSET_STEP, UtcOffsetGate, ptp_minus_utc};

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use tempora_clock::{Duration, Time};

use crate::bmca::{AcceptableMaster, AcceptableMasterTable, BmcaKind, ForeignMasters};
use crate::datasets::{
    CurrentDs, DefaultDs, DelayMechanism, ParentDs, PortDs, PortState, TimePropertiesDs,
};
use crate::profile::StaticRole;
use crate::wire::tlv::Tlv;
use crate::wire::{Body, ClockIdentity, ClockQuality, Message, MessageType, PortIdentity};

use self::messages::HeaderTemplate;
use self::port::Port;
use self::rng::Rng;
use self::transparent::Transparent;

/// Why a received message was not processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RxError {
    /// It does not decode (the codec's reason).
    Malformed(crate::wire::Error),
    /// No such port.
    NoSuchPort(PortIndex),
    /// It belongs to another domain or SDO (§7.1).
    OtherDomain,
    /// An event message arrived without its receive timestamp.
    MissingTimestamp,
    /// The port is disabled, faulty or initializing.
    PortNotOperational,
    /// It carries the identity of an acceptable master bound to addresses
    /// (`PortConfig::acceptable_master_addresses`) but came from another.
    WrongAddress,
    /// The port has an SPP and the message's AUTHENTICATION TLV is
    /// missing or does not check out, or it is a replay (§16.14, Annex P).
    Unauthenticated(crate::auth::AuthError),
}

impl core::fmt::Display for RxError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RxError::Malformed(e) => write!(f, "malformed message: {e}"),
            RxError::NoSuchPort(p) => write!(f, "no port with index {p}"),
            RxError::OtherDomain => write!(f, "message of another domain or SDO"),
            RxError::MissingTimestamp => write!(f, "event message without a receive timestamp"),
            RxError::PortNotOperational => write!(f, "port is not operational"),
            RxError::WrongAddress => {
                write!(f, "acceptable master's identity from another address")
            }
            RxError::Unauthenticated(e) => write!(f, "authentication failed: {e}"),
        }
    }
}

impl core::error::Error for RxError {}

/// Message counters of a port, by message type (the nibble of §13.3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortCounters {
    /// Messages received and processed, by type.
    pub rx: [u64; 16],
    /// Messages sent, by type.
    pub tx: [u64; 16],
    /// Messages dropped: malformed, other domain, missing timestamp,
    /// failed authentication.
    pub rx_errors: u64,
    /// Of those, messages that failed authentication on a port with an SPP
    /// (IEEE 1588-2019 §16.14): no or a bad AUTHENTICATION TLV, or a replay.
    pub rx_auth_failures: u64,
    /// Transparent clocks: event messages forwarded out of this port with
    /// a measured residence time (§10.2.2.2).
    pub residence_count: u64,
    /// Their residence times added up (without a P2P TC's link delay).
    pub residence_total: tempora_clock::Duration,
    /// The longest of them.
    pub residence_max: tempora_clock::Duration,
    /// Management messages from the network dropped unanswered because
    /// network management is [`NetworkManagement::Off`].
    pub management_ignored: u64,
    /// SET and COMMAND requests from the network refused because network
    /// management is [`NetworkManagement::ReadOnly`].
    pub management_refused: u64,
}

/// What a transmit timestamp is awaited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingTx {
    /// A two-step Sync: send its Follow_Up.
    Sync {
        port: PortIndex,
        sequence_id: u16,
        destination: Destination,
    },
    /// A Delay_Req: its t3.
    DelayReq { port: PortIndex, sequence_id: u16 },
    /// A Pdelay_Req: its t1.
    PdelayReq { port: PortIndex, sequence_id: u16 },
    /// A two-step Pdelay_Resp: send its follow-up.
    PdelayResp {
        port: PortIndex,
        sequence_id: u16,
        requester: PortIdentity,
        correction: Duration,
        destination: Destination,
    },
    /// A message a transparent clock forwarded: its residence time.
    Forwarded {
        key: transparent::ResidenceKey,
        ingress: Time,
    },
}

/// A PTP instance: an ordinary, boundary or transparent clock with its data
/// sets and ports (IEEE 1588-2019 §6.5, §8, §9). See the module docs for the
/// calling contract.
#[derive(Debug)]
pub struct PtpInstance {
    default_ds: DefaultDs,
    current_ds: CurrentDs,
    parent_ds: ParentDs,
    time_properties_ds: TimePropertiesDs,
    own_time_properties: TimePropertiesDs,
    ports: Vec<Port>,
    foreign: Vec<ForeignMasters>,
    counters: Vec<PortCounters>,
    actions: VecDeque<Action>,
    rng: Rng,
    next_token: u64,
    pending_tx: BTreeMap<TxToken, PendingTx>,
    transparent: Transparent,
    /// The PATH_TRACE of the parent's last Announce (§16.2.2).
    parent_path: Vec<ClockIdentity>,
    path_trace: bool,
    follow_up_info: bool,
    bmca: BmcaKind,
    user_description: Vec<u8>,
    network_management: NetworkManagement,
    /// The UTC offset gate (see [`UtcOffsetGate`]).
    utc_gate: UtcOffsetGate,
    /// Per port: the acceptable master table (§17.6).
    acceptable: Vec<AcceptableMasterTable>,
    /// Security associations and replay state (§16.14, Annex P).
    auth: auth::AuthState,
}

impl PtpInstance {
    /// An instance with the given configuration; `seed` feeds the random
    /// parts of timeouts and intervals.
    pub fn new(config: InstanceConfig, seed: u64) -> Self {
        let number_ports = u16::try_from(config.ports.len()).unwrap_or(u16::MAX);
        let mut default_ds = DefaultDs::new(config.clock_identity, number_ports);
        default_ds.instance_type = config.instance_type;
        default_ds.priority1 = config.priority1;
        default_ds.priority2 = config.priority2;
        default_ds.domain_number = config.domain_number;
        default_ds.sdo_id = config.sdo_id;
        default_ds.clock_quality = config.clock_quality;
        default_ds.slave_only = config.slave_only;
        default_ds.two_step = config.two_step;
        default_ds.max_steps_removed = config.max_steps_removed;
        let ports: Vec<Port> = config
            .ports
            .into_iter()
            .enumerate()
            .map(|(i, pc)| {
                let identity = PortIdentity {
                    clock_identity: config.clock_identity,
                    port_number: u16::try_from(i + 1).unwrap_or(u16::MAX),
                };
                Port::new(identity, pc)
            })
            .collect();
        let n = ports.len();
        let acceptable = ports
            .iter()
            .map(|p| {
                let mut table = AcceptableMasterTable::default();
                let bound = p
                    .config
                    .acceptable_master_addresses
                    .iter()
                    .map(|(pid, _)| pid);
                for pid in p.config.acceptable_masters.iter().chain(bound) {
                    // A table larger than its capacity keeps its first entries.
                    let _ = table.insert(AcceptableMaster {
                        port_identity: *pid,
                        alternate_priority1: 0,
                    });
                }
                table.enabled = table.len_entries() > 0;
                table
            })
            .collect();
        PtpInstance {
            auth: auth::AuthState::new(config.security_associations, n),
            parent_ds: ParentDs::own(&default_ds),
            default_ds,
            current_ds: CurrentDs::default(),
            time_properties_ds: config.time_properties,
            own_time_properties: config.time_properties,
            ports,
            foreign: (0..n).map(|_| ForeignMasters::new(&default_ds)).collect(),
            counters: alloc::vec![PortCounters::default(); n],
            actions: VecDeque::new(),
            rng: Rng::new(seed),
            next_token: 0,
            pending_tx: BTreeMap::new(),
            transparent: Transparent::default(),
            parent_path: Vec::new(),
            path_trace: config.path_trace,
            follow_up_info: config.follow_up_info,
            bmca: config.bmca,
            user_description: config.user_description,
            network_management: config.network_management,
            utc_gate: UtcOffsetGate {
                hold: config.utc_offset_hold,
                ..UtcOffsetGate::default()
            },
            acceptable,
        }
    }

    /// `defaultDS` (§8.2.1).
    pub fn default_ds(&self) -> &DefaultDs {
        &self.default_ds
    }

    /// `currentDS` (§8.2.2).
    pub fn current_ds(&self) -> &CurrentDs {
        &self.current_ds
    }

    /// `parentDS` (§8.2.3).
    pub fn parent_ds(&self) -> &ParentDs {
        &self.parent_ds
    }

    /// `timePropertiesDS` (§8.2.4).
    pub fn time_properties_ds(&self) -> &TimePropertiesDs {
        &self.time_properties_ds
    }

    /// Number of ports.
    pub fn port_count(&self) -> usize {
        self.ports.len()
    }

    /// `portDS` of a port (§8.2.15).
    pub fn port_ds(&self, port: PortIndex) -> Option<&PortDs> {
        self.ports.get(port).map(|p| &p.ds)
    }

    /// The neighbor rate ratio a port measured (802.1AS-2020 §10.2.5.7), 1.0
    /// when not measured.
    pub fn neighbor_rate_ratio(&self, port: PortIndex) -> Option<f64> {
        self.ports.get(port).map(|p| p.neighbor_rate_ratio)
    }

    /// Whether a port is asCapable (802.1AS-2020 §10.2.5.1); always true
    /// outside gPTP.
    pub fn as_capable(&self, port: PortIndex) -> Option<bool> {
        self.ports.get(port).map(|p| p.as_capable)
    }

    /// Message counters of a port.
    pub fn port_counters(&self, port: PortIndex) -> Option<&PortCounters> {
        self.counters.get(port)
    }

    /// The clock was stepped: every exchange in flight mixes times from
    /// before and after the step, so the ports forget them (the Sync and
    /// Delay_Req pending, the last Sync, the peer delay exchange) and start
    /// over with the next messages. Call it after carrying out a step.
    pub fn notify_clock_step(&mut self) {
        for p in &mut self.ports {
            p.sync = None;
            p.early_follow_up = None;
            p.last_sync = None;
            p.delay_req = None;
            p.pdelay = None;
            p.rate_reference = None;
        }
    }

    /// The platform detected a fault on `port` (e.g. its socket or link
    /// failed): FAULT_DETECTED moves it to FAULTY (§9.2.6.5), where it sends
    /// and accepts nothing, and the other ports re-run the BMCA.
    pub fn handle_port_fault(&mut self, now: Time, port: PortIndex) {
        if port >= self.ports.len() || self.ports[port].state() == PortState::Disabled {
            return;
        }
        self.foreign[port].clear();
        self.set_state(now, port, PortState::Faulty);
        self.state_decision(now);
    }

    /// The fault on `port` is gone: FAULT_CLEARED re-initializes it
    /// (§9.2.6.6), and it starts over in LISTENING.
    pub fn handle_port_fault_cleared(&mut self, now: Time, port: PortIndex) {
        if self.ports.get(port).map(|p| p.state()) != Some(PortState::Faulty) {
            return;
        }
        self.set_state(now, port, PortState::Initializing);
        self.set_state(now, port, PortState::Listening);
    }

    /// Sets the time properties this instance announces when it is the
    /// grandmaster (§9.4, §7.2): the clock layer calls it when its reference
    /// announces a leap second (leap61/leap59), after the leap second has
    /// passed (flag cleared, currentUtcOffset changed), or when the
    /// configuration changes. Slaves take theirs from the grandmaster.
    pub fn set_time_properties(&mut self, time_properties: TimePropertiesDs) {
        self.own_time_properties = time_properties;
        let grandmaster =
            self.parent_ds.parent_port_identity.clock_identity == self.default_ds.clock_identity;
        if grandmaster && self.time_properties_ds != time_properties {
            self.time_properties_ds = time_properties;
            self.actions
                .push_back(Action::TimeProperties(time_properties));
        }
    }

    /// Sets this instance's `clockQuality` (`defaultDS.clockQuality`,
    /// IEEE 1588-2019 §8.2.1.3.1): the clock layer calls it when what it
    /// serves changes (locked to a primary reference: clockClass 6; in
    /// holdover: 7; then degraded, Table 4). As grandmaster, the parent data
    /// set's `grandmasterClockQuality` follows at once (§9.3.5, Table 30),
    /// so the next Announce carries it; a change re-runs the state decision
    /// (§9.2.6.8), since the BMCA compares it.
    pub fn set_clock_quality(&mut self, now: Time, quality: ClockQuality) {
        if self.default_ds.clock_quality == quality {
            return;
        }
        self.default_ds.clock_quality = quality;
        let grandmaster =
            self.parent_ds.parent_port_identity.clock_identity == self.default_ds.clock_identity;
        if grandmaster {
            self.parent_ds.grandmaster_clock_quality = quality;
        }
        self.state_decision(now);
    }

    /// Sets `defaultDS.priority1` (IEEE 1588-2019 §8.2.1.4.1), as a local
    /// SET PRIORITY1 does (§15.5.3.3.2): a grandmaster announces it at once
    /// (§9.3.5), and the state decision runs again.
    pub fn set_priority1(&mut self, now: Time, priority1: u8) {
        if self.default_ds.priority1 == priority1 {
            return;
        }
        self.default_ds.priority1 = priority1;
        if self.parent_ds.parent_port_identity.clock_identity == self.default_ds.clock_identity {
            self.parent_ds = ParentDs::own(&self.default_ds);
        }
        self.state_decision(now);
    }

    /// The next action to carry out, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Starts the instance: every enabled port goes from INITIALIZING to
    /// LISTENING (§9.2.5, INITIALIZE complete) and arms its timers.
    pub fn start(&mut self, now: Time) {
        for i in 0..self.ports.len() {
            if !self.ports[i].ds.port_enable {
                self.set_state(now, i, PortState::Disabled);
                continue;
            }
            match self.ports[i].config.static_role {
                // Fixed roles without BMCA (the automotive profile).
                Some(StaticRole::Master) => self.set_state(now, i, PortState::Master),
                Some(StaticRole::Slave) => self.set_state(now, i, PortState::Uncalibrated),
                None => self.set_state(now, i, PortState::Listening),
            }
            self.start_unicast(now, i);
            if self.ports[i].ds.delay_mechanism == DelayMechanism::P2p {
                let at = now + self.random_part(self.ports[i].ds.log_min_pdelay_req_interval);
                self.actions.push_back(Action::SetTimer {
                    timer: Timer::PdelayReq(i),
                    at,
                });
            }
        }
    }

    /// Handles a received message. `rx` is its receive timestamp (required
    /// for event messages), `source` the sender's transport address.
    pub fn handle_message(
        &mut self,
        now: Time,
        port: PortIndex,
        data: &[u8],
        rx: Option<Time>,
        source: Option<Address>,
    ) -> Result<(), RxError> {
        let Some(p) = self.ports.get(port) else {
            return Err(RxError::NoSuchPort(port));
        };
        // A DISABLED port still takes management messages (§9.2.5), so
        // that ENABLE_PORT reaches a port wherever DISABLE_PORT did.
        let management =
            data.first().map(|b| b & 0x0f) == Some(MessageType::Management.to_nibble());
        let operational = match p.state() {
            PortState::Initializing | PortState::Faulty => false,
            PortState::Disabled => management,
            _ => true,
        };
        if !operational {
            return Err(RxError::PortNotOperational);
        }
        let result = self.dispatch(now, port, data, rx, source);
        let counters = &mut self.counters[port];
        match result {
            Ok(Some(t)) => counters.rx[usize::from(t.to_nibble() & 0x0f)] += 1,
            Ok(None) => {}
            Err(RxError::Unauthenticated(_)) => {
                counters.rx_errors += 1;
                counters.rx_auth_failures += 1;
            }
            Err(_) => counters.rx_errors += 1,
        }
        result.map(|_| ())
    }

    fn dispatch(
        &mut self,
        now: Time,
        port: PortIndex,
        data: &[u8],
        rx: Option<Time>,
        source: Option<Address>,
    ) -> Result<Option<MessageType>, RxError> {
        let msg = Message::decode(data).map_err(RxError::Malformed)?;
        let h = msg.header;
        if h.message_type.is_event() && rx.is_none() {
            return Err(RxError::MissingTimestamp);
        }
        let rx = rx.unwrap_or(now);
        if self.default_ds.instance_type.is_transparent() {
            self.authenticate_rx(port, &h, data)
                .map_err(RxError::Unauthenticated)?;
            self.transparent_forward(now, port, &msg, data, rx, source);
            return Ok(Some(h.message_type));
        }
        if h.domain_number != self.default_ds.domain_number
            || h.major_sdo_id != self.default_ds.major_sdo_id()
        {
            return Err(RxError::OtherDomain);
        }
        if h.source_port_identity.clock_identity == self.default_ds.clock_identity {
            // Our own message looped back (§9.5.2.3); nothing to do.
            return Ok(None);
        }
        // §16.14 (Annex P): on a port with an SPP, only authentic messages
        // of our domain go further.
        self.authenticate_rx(port, &h, data)
            .map_err(RxError::Unauthenticated)?;
        if let Some(addr) = source {
            // An acceptable master bound to addresses (§17.6, extended):
            // its identity from any other address is a forgery.
            if !self.ports[port].address_allowed(&h.source_port_identity, &addr) {
                return Err(RxError::WrongAddress);
            }
            self.ports[port].last_peer = Some(addr);
            self.ports[port].note_address(h.source_port_identity, addr);
        }
        // 802.1AS: a port that is not asCapable ignores Announce and Sync
        // (802.1AS-2020 §10.2.5.1, §11.2.13).
        if !self.ports[port].as_capable
            && matches!(
                msg.body,
                Body::Announce(_) | Body::Sync { .. } | Body::FollowUp { .. }
            )
        {
            return Ok(None);
        }
        match msg.body {
            Body::Announce(a) => {
                let path: Vec<ClockIdentity> = msg
                    .tlvs()
                    .filter_map(|t| match t {
                        Ok(Tlv::PathTrace(p)) => Some(p),
                        _ => None,
                    })
                    .flat_map(|p| p.identities())
                    .collect();
                // §16.2.3: an Announce that has already passed through this
                // clock would make a loop.
                if self.path_trace && path.contains(&self.default_ds.clock_identity) {
                    return Ok(None);
                }
                self.on_announce(now, port, &h, &a);
                if h.source_port_identity == self.parent_ds.parent_port_identity {
                    self.parent_path = path;
                }
            }
            Body::Sync { origin_timestamp } => self.on_sync(now, port, &h, origin_timestamp, rx),
            Body::FollowUp {
                precise_origin_timestamp,
            } => self.on_follow_up(now, port, &h, precise_origin_timestamp),
            Body::DelayReq { .. } => self.on_delay_req(now, port, &h, rx, source),
            Body::DelayResp {
                receive_timestamp,
                requesting_port_identity,
            } => self.on_delay_resp(now, port, &h, receive_timestamp, requesting_port_identity),
            Body::PdelayReq { .. } | Body::PdelayResp { .. } | Body::PdelayRespFollowUp { .. } => {
                self.on_peer_delay_message(now, port, &msg, rx, source);
            }
            Body::Signaling { .. } => self.on_signaling(now, port, &msg, source),
            Body::Management(_) => self.on_management(now, port, &msg, source),
            Body::Reserved(_) => {}
        }
        Ok(Some(h.message_type))
    }

    /// Handles the transmit timestamp of a message sent with `token`.
    pub fn handle_tx_timestamp(&mut self, now: Time, token: TxToken, tx: Time) {
        let Some(pending) = self.pending_tx.remove(&token) else {
            return;
        };
        match pending {
            PendingTx::Sync {
                port,
                sequence_id,
                destination,
            } => self.send_follow_up(now, port, sequence_id, destination, tx),
            PendingTx::DelayReq { port, sequence_id } => {
                self.on_delay_req_sent(port, sequence_id, tx)
            }
            PendingTx::PdelayReq { port, sequence_id } => {
                self.on_pdelay_req_sent(now, port, sequence_id, tx)
            }
            PendingTx::PdelayResp {
                port,
                sequence_id,
                requester,
                correction,
                destination,
            } => self.send_pdelay_resp_follow_up(
                port,
                sequence_id,
                requester,
                correction,
                destination,
                tx,
            ),
            PendingTx::Forwarded { key, ingress } => self.on_forwarded(now, key, ingress, tx),
        }
    }

    /// Handles the expiry of `timer`.
    pub fn handle_timer(&mut self, now: Time, timer: Timer) {
        match timer {
            Timer::AnnounceReceipt(p) => self.on_announce_receipt_timeout(now, p),
            Timer::Qualification(p) => self.on_qualification_timeout(now, p),
            Timer::Announce(p) => self.on_announce_timer(now, p),
            Timer::Sync(p) => self.on_sync_timer(now, p),
            Timer::DelayReq(p) => self.on_delay_req_timer(now, p),
            Timer::PdelayReq(p) => self.on_pdelay_req_timer(now, p),
            Timer::Unicast(p) => self.poll_unicast(now, p),
        }
    }

    // --- helpers shared by the submodules ---

    fn template(&self, port: PortIndex) -> HeaderTemplate {
        HeaderTemplate {
            domain_number: self.default_ds.domain_number,
            sdo_id: self.default_ds.sdo_id,
            source: self.ports[port].identity(),
        }
    }

    fn token(&mut self, pending: PendingTx) -> TxToken {
        self.next_token = self.next_token.wrapping_add(1);
        let token = TxToken(self.next_token);
        // Bound the table: a platform that never reports timestamps must not
        // make it grow without limit.
        if self.pending_tx.len() >= 256 {
            if let Some(oldest) = self.pending_tx.keys().next().copied() {
                self.pending_tx.remove(&oldest);
            }
        }
        self.pending_tx.insert(token, pending);
        token
    }

    fn send(
        &mut self,
        port: PortIndex,
        message_type: MessageType,
        destination: Destination,
        data: Vec<u8>,
        pending: Option<PendingTx>,
    ) {
        let Some(data) = self.authenticate_tx(port, data) else {
            return;
        };
        let timestamp = pending.map(|p| self.token(p));
        self.counters[port].tx[usize::from(message_type.to_nibble() & 0x0f)] += 1;
        self.actions.push_back(Action::Send {
            port,
            event: message_type.is_event(),
            destination,
            data,
            timestamp,
            one_step: false,
        });
    }

    /// Sends a one-step Sync: the platform stamps it as it leaves (§9.5.9.2).
    fn send_one_step(&mut self, port: PortIndex, destination: Destination, data: Vec<u8>) {
        let Some(data) = self.authenticate_tx(port, data) else {
            return;
        };
        self.counters[port].tx[usize::from(MessageType::Sync.to_nibble())] += 1;
        self.actions.push_back(Action::Send {
            port,
            event: true,
            destination,
            data,
            timestamp: None,
            one_step: true,
        });
    }

    /// A uniformly random duration in [0, 2^log2 s).
    fn random_part(&mut self, log2: i8) -> Duration {
        // Intervals from the network are bounded first: 2^16 s is far beyond
        // any profile's range, and keeps the product below in range.
        let interval = Duration::from_log2_secs(log2.clamp(-16, 16));
        Duration::from_scaled_nanos(
            (interval.scaled_nanos() * i128::from(self.rng.fraction())) >> 32,
        )
    }

    fn set_timer(&mut self, timer: Timer, at: Time) {
        self.actions.push_back(Action::SetTimer { timer, at });
    }

    fn cancel_timer(&mut self, timer: Timer) {
        self.actions.push_back(Action::CancelTimer(timer));
    }
}
