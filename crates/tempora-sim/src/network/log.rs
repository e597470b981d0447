//! What a node did, for tests and tools that inspect a run: the messages
//! it sent, its port state changes, the measurements and time properties
//! its engine handed to the clock layer. Kept only for nodes that
//! [`Network::record`](super::Network::record) was called for, so that
//! long runs do not grow without bound.

use tempora_clock::Time;
use tempora_ptp::datasets::{PortState, TimePropertiesDs};
use tempora_ptp::engine::{Destination, Measurement, PortIndex};

/// A message as it left a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFrame {
    /// True time at which it left (after the node's egress latency).
    pub at: Time,
    /// The port it left by.
    pub port: PortIndex,
    /// The message, as on the wire (a one-step Sync with its
    /// originTimestamp written).
    pub data: Vec<u8>,
    /// Event message (timestamped) or general.
    pub event: bool,
    /// Where the engine sent it.
    pub destination: Destination,
}

/// A change of a port's state (IEEE 1588-2019 §9.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    /// True time of the change.
    pub at: Time,
    /// The port.
    pub port: PortIndex,
    /// Its previous state.
    pub from: PortState,
    /// Its new state.
    pub to: PortState,
}

/// The record of one node, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeLog {
    /// Every offset measurement the engine reported (§11.2), whether or not
    /// a servo used it.
    pub measurements: Vec<Measurement>,
    /// Every time properties data set the engine handed to the clock layer
    /// (§8.2.4).
    pub time_properties: Vec<TimePropertiesDs>,
    /// Every message the node sent.
    pub sent: Vec<SentFrame>,
    /// Every port state change.
    pub state_changes: Vec<StateChange>,
}

impl NodeLog {
    /// When `port` last entered `state` (true time), if it ever did.
    pub fn entered(&self, port: PortIndex, state: PortState) -> Option<Time> {
        self.state_changes
            .iter()
            .rev()
            .find(|c| c.port == port && c.to == state)
            .map(|c| c.at)
    }
}
