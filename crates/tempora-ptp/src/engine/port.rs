//! Per-port state of the engine (IEEE 1588-2019 §8.2.15 and the protocol
//! state behind it: sequence numbers, pending exchanges, delay estimates).

use alloc::collections::BTreeMap;

use tempora_clock::{Duration, Time};

use crate::unicast::{Grantee, Grantor};

use crate::datasets::{PortDs, PortState};
use crate::wire::PortIdentity;

use super::action::Address;
use super::config::PortConfig;

/// A Sync received from the parent, waiting for its Follow_Up (two-step) or
/// complete (one-step) (§11.3.2, §9.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyncReceipt {
    pub sequence_id: u16,
    pub source: PortIdentity,
    /// t2: when the Sync arrived.
    pub t2: Time,
    /// The Sync's correctionField.
    pub correction: Duration,
    /// t1, once known (one-step Sync or after Follow_Up).
    pub t1: Option<Time>,
}

/// A Delay_Req in flight (§11.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DelayReqInFlight {
    pub sequence_id: u16,
    /// t3: when it left, once the platform reported it.
    pub t3: Option<Time>,
}

/// A peer delay exchange in flight as requester (§11.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PdelayInFlight {
    pub sequence_id: u16,
    /// t1: when the Pdelay_Req left.
    pub t1: Option<Time>,
    /// t4: when the Pdelay_Resp arrived.
    pub t4: Option<Time>,
    /// t2 from the Pdelay_Resp (two-step) and accumulated corrections.
    pub t2: Option<Time>,
    /// t3 from the Pdelay_Resp_Follow_Up (two-step).
    pub t3: Option<Time>,
    /// Sum of the Pdelay_Resp and Pdelay_Resp_Follow_Up corrections.
    pub correction: Duration,
    /// The responder, from the Pdelay_Resp.
    pub responder: Option<PortIdentity>,
    /// Whether the Pdelay_Resp said a follow-up comes.
    pub two_step: bool,
}

/// A moving median over the last [`DelayFilter::LEN`] path delay
/// measurements (linuxptp's `delay_filter moving_median`, length 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DelayFilter {
    values: [Duration; DelayFilter::LEN],
    len: usize,
    next: usize,
}

impl DelayFilter {
    pub(crate) const LEN: usize = 10;

    pub(crate) fn new() -> Self {
        DelayFilter {
            values: [Duration::ZERO; Self::LEN],
            len: 0,
            next: 0,
        }
    }

    /// Adds a measurement and returns the median of those kept.
    pub(crate) fn push(&mut self, value: Duration) -> Duration {
        self.values[self.next] = value;
        self.next = (self.next + 1) % Self::LEN;
        self.len = (self.len + 1).min(Self::LEN);
        let mut sorted = self.values;
        let kept = &mut sorted[..self.len];
        kept.sort_unstable();
        let mid = self.len / 2;
        if self.len % 2 == 1 {
            kept[mid]
        } else {
            (kept[mid - 1] + kept[mid]) / 2
        }
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.next = 0;
    }
}

/// One port of the instance.
#[derive(Debug, Clone)]
pub(crate) struct Port {
    pub ds: PortDs,
    pub config: PortConfig,
    pub announce_sequence: u16,
    pub sync_sequence: u16,
    pub delay_req_sequence: u16,
    pub pdelay_req_sequence: u16,
    /// Slave side: the latest Sync from the parent.
    pub sync: Option<SyncReceipt>,
    /// Slave side: a Follow_Up that arrived before its Sync (source,
    /// sequenceId, t1, correction).
    pub early_follow_up: Option<(PortIdentity, u16, Time, Duration)>,
    /// Slave side: the latest complete (t1, t2, correction) Sync measurement.
    pub last_sync: Option<(Time, Time, Duration)>,
    /// Slave side: the Delay_Req in flight.
    pub delay_req: Option<DelayReqInFlight>,
    /// The peer delay exchange in flight.
    pub pdelay: Option<PdelayInFlight>,
    /// Slave side: the filter over path delay measurements.
    pub delay_filter: DelayFilter,
    /// Whether a path or link delay has been measured yet.
    pub delay_measured: bool,
    /// The peer's address, from the last Pdelay or unicast message (for replies).
    pub last_peer: Option<Address>,
    /// Transport addresses of the ports heard on this port (bounded).
    pub addresses: BTreeMap<PortIdentity, Address>,
    /// Master side of unicast negotiation (§16.1), when `unicast_listen`.
    pub grantor: Option<Grantor<Address>>,
    /// Slave side of unicast negotiation, when unicast masters are configured.
    pub grantee: Option<Grantee<Address>>,
    pub signaling_sequence: u16,
    /// The last peer delay exchange's responder, t3 (responder's clock) and
    /// t4 (ours), for the neighbor rate ratio.
    pub rate_reference: Option<(PortIdentity, Time, Time)>,
    /// `neighborRateRatio` (802.1AS-2020 §10.2.5.7): the neighbor's clock
    /// rate over ours.
    pub neighbor_rate_ratio: f64,
    /// 802.1AS asCapable (§10.2.5.1).
    pub as_capable: bool,
}

impl Port {
    pub(crate) fn new(port_identity: PortIdentity, config: PortConfig) -> Self {
        let mut ds = PortDs::new(port_identity);
        ds.log_announce_interval = config.log_announce_interval.get();
        ds.announce_receipt_timeout = config.announce_receipt_timeout;
        ds.log_sync_interval = config.log_sync_interval.get();
        ds.log_min_delay_req_interval = config.log_min_delay_req_interval.get();
        ds.log_min_pdelay_req_interval = config.log_min_pdelay_req_interval.get();
        ds.delay_mechanism = config.delay_mechanism;
        ds.delay_asymmetry = config.delay_asymmetry;
        ds.master_only = config.master_only;
        ds.port_enable = config.enabled;
        Port {
            ds,
            as_capable: !matches!(config.as_capable, crate::profile::AsCapable::Computed),
            config,
            announce_sequence: 0,
            sync_sequence: 0,
            delay_req_sequence: 0,
            pdelay_req_sequence: 0,
            sync: None,
            early_follow_up: None,
            last_sync: None,
            delay_req: None,
            pdelay: None,
            delay_filter: DelayFilter::new(),
            delay_measured: false,
            last_peer: None,
            addresses: BTreeMap::new(),
            grantor: None,
            grantee: None,
            signaling_sequence: 0,
            rate_reference: None,
            neighbor_rate_ratio: 1.0,
        }
    }

    /// Notes the transport address of a peer port.
    pub(crate) fn note_address(&mut self, port: PortIdentity, address: Address) {
        if self.addresses.len() >= 64 && !self.addresses.contains_key(&port) {
            if let Some(first) = self.addresses.keys().next().copied() {
                self.addresses.remove(&first);
            }
        }
        self.addresses.insert(port, address);
    }

    /// Whether a message with sourcePortIdentity `source` may come from
    /// `address`: always, unless `source` is an acceptable master bound to
    /// addresses and `address` is not one of its.
    pub(crate) fn address_allowed(&self, source: &PortIdentity, address: &Address) -> bool {
        let bound = &self.config.acceptable_master_addresses;
        let matches = |pid: &PortIdentity| {
            pid.clock_identity == source.clock_identity
                && (pid.port_number == source.port_number
                    || pid.port_number == PortIdentity::ALL.port_number)
        };
        let mut listed = bound.iter().filter(|(pid, _)| matches(pid)).peekable();
        listed.peek().is_none() || listed.any(|(_, a)| a == address)
    }

    pub(crate) fn state(&self) -> PortState {
        self.ds.port_state
    }

    pub(crate) fn identity(&self) -> PortIdentity {
        self.ds.port_identity
    }

    /// Forgets the slave-side exchanges (on leaving SLAVE/UNCALIBRATED).
    pub(crate) fn reset_slave(&mut self) {
        self.delay_filter.clear();
        self.sync = None;
        self.early_follow_up = None;
        self.last_sync = None;
        self.delay_req = None;
    }
}
