//! Point-to-point links between ports, and the ports' addresses.

use rand_chacha::ChaCha8Rng;
use tempora_clock::{Duration, Time};
use tempora_ptp::engine::{Address, PortIndex};

use crate::model::delay::DelayModel;

/// The transport address of `node`'s `port` in a simulation: a locally
/// administered MAC address holding the two indices (each taken modulo
/// 65536). Frames a node sends carry it as their source, and unicast
/// frames (IEEE 1588-2019 §16.1) reach only the port that has it.
pub fn port_address(node: usize, port: PortIndex) -> Address {
    let n = (node as u16).to_be_bytes();
    let p = (port as u16).to_be_bytes();
    Address::Mac([0x02, 0x53, n[0], n[1], p[0], p[1]])
}

/// A link between two ports.
pub(super) struct Link {
    /// Its two ends, (node, port).
    pub ends: [(usize, PortIndex); 2],
    /// Delay models: [from ends[0] to ends[1], from ends[1] to ends[0]].
    delays: [DelayModel; 2],
    /// The last arrival time each way: a link delivers in order (FIFO).
    last_arrival: [Time; 2],
    /// Whether it carries frames (a cable unplugged: not).
    pub up: bool,
}

impl Link {
    /// A link that is up, from its two ends and their directions' models.
    pub fn new(ends: [(usize, PortIndex); 2], delays: [DelayModel; 2], start: Time) -> Self {
        Link {
            ends,
            delays,
            last_arrival: [start; 2],
            up: true,
        }
    }

    /// When a frame sent from `ends[from]` at `now` (`since_start_s` into
    /// the run) arrives at the other end, or `None` if it is lost.
    pub fn carry(
        &mut self,
        from: usize,
        now: Time,
        since_start_s: f64,
        rng: &mut ChaCha8Rng,
    ) -> Option<Time> {
        let (Some(model), Some(last)) = (self.delays.get(from), self.last_arrival.get_mut(from))
        else {
            return None;
        };
        let delay: Duration = model.sample(since_start_s, rng)?;
        // A link delivers in order (FIFO).
        let arrival = (now + delay).max(*last);
        *last = arrival;
        Some(arrival)
    }
}
