//! The simulation's event queue: events in order of true time, and events
//! due at the same time in the order they were queued (so that a run is
//! deterministic).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tempora_clock::Time;
use tempora_ptp::engine::{Address, Destination, PortIndex, Timer, TxToken};

/// A message the engine asked to send, until it leaves its port.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    /// The port it leaves by.
    pub port: PortIndex,
    /// The message.
    pub data: Vec<u8>,
    /// Event message (timestamped) or general.
    pub event: bool,
    /// The token to report its transmit timestamp with, if the engine asked.
    pub token: Option<TxToken>,
    /// One-step: the transmit time goes into originTimestamp as it leaves.
    pub one_step: bool,
    /// Where it goes.
    pub destination: Destination,
}

/// Something that happens at a given true time.
#[derive(Debug, Clone)]
pub(super) enum Event {
    /// A message arrives at a port.
    Deliver {
        node: usize,
        port: PortIndex,
        data: Vec<u8>,
        event: bool,
        source: Address,
    },
    /// A timer of the engine expires (unless set again or cancelled since:
    /// `generation` no longer current).
    Timer {
        node: usize,
        timer: Timer,
        generation: u64,
    },
    /// A message leaves its port, after the node's egress latency.
    Transmit { node: usize, frame: Outgoing },
}

/// An event and when it is due; ordered by (due, order queued) only.
#[derive(Debug)]
struct Queued {
    at: Time,
    sequence: u64,
    event: Event,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.sequence) == (other.at, other.sequence)
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.sequence).cmp(&(other.at, other.sequence))
    }
}

/// The queue of pending events.
#[derive(Debug, Default)]
pub(super) struct EventQueue {
    heap: BinaryHeap<Reverse<Queued>>,
    sequence: u64,
}

impl EventQueue {
    /// Queues `event` at true time `at`.
    pub fn push(&mut self, at: Time, event: Event) {
        self.sequence += 1;
        let sequence = self.sequence;
        self.heap.push(Reverse(Queued {
            at,
            sequence,
            event,
        }));
    }

    /// Takes the next event if it is due at or before `end`.
    pub fn pop_until(&mut self, end: Time) -> Option<(Time, Event)> {
        if self.heap.peek()?.0.at > end {
            return None;
        }
        self.heap.pop().map(|Reverse(q)| (q.at, q.event))
    }
}
