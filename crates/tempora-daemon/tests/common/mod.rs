//! In-memory ports and clocks for the daemon's runtime, shared by the
//! integration tests: what a port sends arrives at the other end 30 us
//! later; timestamps are the shared base clock's readings.

#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;

use tempora_clock::{Correction, Duration, Time, VirtualState};
use tempora_daemon::runtime::{DisciplinedClock, PortIo, Received};
use tempora_ptp::engine::{Address, Destination};

pub type Wire = Rc<RefCell<VecDeque<(Time, Vec<u8>, bool, Address)>>>;

/// One end of an in-memory link: what it sends arrives at the other end
/// 30 us later; timestamps are the shared base clock's readings.
pub struct FakePort {
    pub base: Rc<Cell<Time>>,
    pub me: Address,
    pub outbox: Wire,
    pub inbox: Wire,
    pub next_id: u64,
    pub tx: VecDeque<(u64, Time)>,
}

impl PortIo for FakePort {
    fn send(
        &mut self,
        event: bool,
        _: Destination,
        data: &[u8],
        want: bool,
    ) -> io::Result<Option<u64>> {
        let now = self.base.get();
        self.outbox.borrow_mut().push_back((
            now + Duration::from_micros(30),
            data.to_vec(),
            event,
            self.me,
        ));
        self.next_id += 1;
        if want {
            self.tx.push_back((self.next_id, now));
            return Ok(Some(self.next_id));
        }
        Ok(None)
    }

    fn recv(&mut self, _socket: usize) -> io::Result<Option<Received>> {
        let now = self.base.get();
        let mut inbox = self.inbox.borrow_mut();
        match inbox.front() {
            Some((at, ..)) if *at <= now => {
                let (at, data, event, source) = inbox.pop_front().unwrap();
                Ok(Some(Received {
                    data,
                    rx: event.then_some(at),
                    source: Some(source),
                }))
            }
            _ => Ok(None),
        }
    }

    fn recv_tx_timestamp(&mut self) -> io::Result<Option<(u64, Time)>> {
        Ok(self.tx.pop_front())
    }
}

/// The "system" clock (the base) or a virtual clock over it.
pub struct FakeClock {
    pub base: Rc<Cell<Time>>,
    pub virtual_state: Option<VirtualState>,
    /// Counts UTC (system, virtual) rather than TAI (a PHC).
    pub utc: bool,
}

impl DisciplinedClock for FakeClock {
    fn now(&self) -> Time {
        self.time_of_raw(self.base.get())
    }
    fn time_of_raw(&self, raw: Time) -> Time {
        self.virtual_state.map_or(raw, |v| v.time_at(raw))
    }
    fn apply(&mut self, c: Correction) -> io::Result<()> {
        let base = self.base.get();
        if let Some(v) = self.virtual_state.as_mut() {
            v.apply_at(base, c);
        }
        Ok(())
    }
    fn kind(&self) -> String {
        if self.virtual_state.is_some() {
            "virtual".into()
        } else {
            "system".into()
        }
    }
    fn error_vs_system(&self) -> Option<Duration> {
        self.virtual_state.map(|v| v.error_at(self.base.get()))
    }
    fn counts_utc(&self) -> bool {
        self.utc
    }
    fn ntp_time(&self, raw: Option<Time>) -> Time {
        raw.map_or_else(|| self.now(), |r| self.time_of_raw(r))
    }
}
