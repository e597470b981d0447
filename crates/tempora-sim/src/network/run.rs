//! Running the network: the engines' actions carried out (messages onto
//! links, timers into the queue, measurements to the servos) and the
//! queued events handed to the engines in order of true time.

use tempora_clock::{Duration, Sample, Time};
use tempora_ptp::engine::{Action, Address, Destination, Measurement, PortIndex, Timer, TxToken};

use super::Network;
use super::link::port_address;
use super::log::{SentFrame, StateChange};
use super::queue::{Event, Outgoing};

impl Network {
    /// Carries out every action `node`'s engine has queued.
    pub(super) fn drain(&mut self, node: usize) {
        while let Some(action) = self.nodes[node].engine.poll_action() {
            match action {
                Action::Send {
                    port,
                    data,
                    event,
                    timestamp,
                    destination,
                    one_step,
                } => {
                    let frame = Outgoing {
                        port,
                        data,
                        event,
                        token: timestamp,
                        one_step,
                        destination,
                    };
                    let latency = self.nodes[node].egress_latency;
                    if latency > Duration::ZERO {
                        let leaves = self.now + latency;
                        self.queue.push(leaves, Event::Transmit { node, frame });
                    } else {
                        self.transmit(node, frame);
                    }
                }
                Action::SetTimer { timer, at } => self.set_timer(node, timer, at),
                Action::CancelTimer(timer) => {
                    *self.nodes[node].generations.entry(timer).or_insert(0) += 1;
                }
                Action::Measurement(m) => self.measured(node, m),
                Action::StateChange { port, from, to } => {
                    let at = self.now;
                    let n = &mut self.nodes[node];
                    if n.recording {
                        n.log.state_changes.push(StateChange { at, port, from, to });
                    }
                }
                Action::TimeProperties(tp) => {
                    let n = &mut self.nodes[node];
                    if n.recording {
                        n.log.time_properties.push(tp);
                    }
                }
                Action::ParentChanged { .. } => {}
            }
        }
    }

    /// Sends `frame` from `node` now: timestamps it (writing a one-step
    /// Sync's originTimestamp, §9.5.9.2), reports the timestamp to the
    /// engine and puts it on every link of its port that it is for.
    fn transmit(&mut self, node: usize, mut frame: Outgoing) {
        if !self.nodes[node].running {
            return;
        }
        let tx = self.nodes[node].clock.timestamp(self.now);
        if frame.one_step && frame.data.len() >= 44 {
            let (secs, nanos) = tx.secs_nanos();
            let secs = u64::try_from(secs).unwrap_or(0).to_be_bytes();
            frame.data[34..40].copy_from_slice(&secs[2..]);
            frame.data[40..44].copy_from_slice(&nanos.to_be_bytes());
        }
        if let Some(token) = frame.token {
            self.tx_timestamp(node, token, tx);
        }
        let since = self.elapsed_s();
        let now = self.now;
        let from = (node, frame.port);
        let mut deliveries = Vec::new();
        for link in self.links.iter_mut().filter(|l| l.up) {
            for dir in 0..2 {
                let to = link.ends[1 - dir];
                if link.ends[dir] != from || !addressed_to(frame.destination, to) {
                    continue;
                }
                if let Some(arrival) = link.carry(dir, now, since, &mut self.rng_network) {
                    deliveries.push((to, arrival));
                }
            }
        }
        let source = port_address(node, frame.port);
        for ((to_node, to_port), arrival) in deliveries {
            let deliver = Event::Deliver {
                node: to_node,
                port: to_port,
                data: frame.data.clone(),
                event: frame.event,
                source,
            };
            self.queue.push(arrival, deliver);
        }
        let n = &mut self.nodes[node];
        if n.recording {
            n.log.sent.push(SentFrame {
                at: now,
                port: frame.port,
                data: frame.data,
                event: frame.event,
                destination: frame.destination,
            });
        }
    }

    fn tx_timestamp(&mut self, node: usize, token: TxToken, tx: Time) {
        let now = self.local(node);
        self.nodes[node].engine.handle_tx_timestamp(now, token, tx);
    }

    /// Queues `timer` for when `node`'s clock reads `at`.
    fn set_timer(&mut self, node: usize, timer: Timer, at: Time) {
        let g = self.nodes[node].generations.entry(timer).or_insert(0);
        *g += 1;
        let generation = *g;
        let local = self.local(node);
        let at_true = (self.now + (at - local)).max(self.now);
        let event = Event::Timer {
            node,
            timer,
            generation,
        };
        self.queue.push(at_true, event);
    }

    /// Records a measurement and hands it to `node`'s servo, if it has one.
    fn measured(&mut self, node: usize, m: Measurement) {
        let now = self.now;
        let n = &mut self.nodes[node];
        if n.recording {
            n.log.measurements.push(m);
        }
        let sample = Sample {
            local_time: m.ingress,
            offset: m.offset,
            delay: m.own_delay.then_some(m.delay),
        };
        let Some(stepped) = n.clock.discipline(now, sample) else {
            return;
        };
        n.measurements += 1;
        if stepped {
            n.steps += 1;
            n.engine.notify_clock_step();
        }
    }

    /// Hands every event due by `end` to its node, then sets the time to
    /// `end` (never backwards).
    pub(super) fn run_to(&mut self, end: Time) {
        while let Some((at, event)) = self.queue.pop_until(end) {
            self.now = at;
            match event {
                Event::Deliver {
                    node,
                    port,
                    data,
                    event,
                    source,
                } => self.deliver(node, port, &data, event, source),
                Event::Timer {
                    node,
                    timer,
                    generation,
                } => {
                    let n = &self.nodes[node];
                    if !n.running || n.generations.get(&timer) != Some(&generation) {
                        continue;
                    }
                    let local = self.local(node);
                    self.nodes[node].engine.handle_timer(local, timer);
                    self.drain(node);
                }
                Event::Transmit { node, frame } => {
                    self.transmit(node, frame);
                    self.drain(node);
                }
            }
        }
        if self.now < end {
            self.now = end;
        }
    }

    fn deliver(&mut self, node: usize, port: PortIndex, data: &[u8], event: bool, source: Address) {
        if !self.nodes[node].running {
            return;
        }
        let rx = event.then(|| self.nodes[node].clock.timestamp(self.now));
        let local = self.local(node);
        let _ = self.nodes[node]
            .engine
            .handle_message(local, port, data, rx, Some(source));
        self.drain(node);
    }
}

/// Whether a frame for `destination` is for the port at `to` (node, port).
fn addressed_to(destination: Destination, to: (usize, PortIndex)) -> bool {
    match destination {
        Destination::Unicast(address) => address == port_address(to.0, to.1),
        Destination::Multicast | Destination::PdelayMulticast => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicast_reaches_only_its_port_multicast_every_port() {
        let to = Destination::Unicast(port_address(3, 1));
        assert!(addressed_to(to, (3, 1)));
        assert!(!addressed_to(to, (3, 0)));
        assert!(!addressed_to(to, (1, 3)));
        assert!(!addressed_to(to, (259, 1)));
        for d in [Destination::Multicast, Destination::PdelayMulticast] {
            assert!(addressed_to(d, (0, 0)) && addressed_to(d, (7, 2)));
        }
    }
}
