//! Foreign master records and Announce qualification (IEEE 1588-2019
//! §9.3.2.4, §9.3.2.5), and `Erbest` (§9.3.2.3).

use tempora_clock::{Duration, Time};

use super::acceptable::AcceptableMasterTable;
use super::compare::{Comparison, compare};
use super::dataset::{ComparisonDataSet, DEFAULT_LOCAL_PRIORITY};
use crate::datasets::DefaultDs;
use crate::wire::{AnnounceBody, ClockIdentity, Header, PortIdentity};

/// `FOREIGN_MASTER_TIME_WINDOW` (IEEE 1588-2019 §9.3.2.4.2): the window in
/// which Announce messages are counted, in announce intervals.
pub const FOREIGN_MASTER_TIME_WINDOW: i64 = 4;

/// `FOREIGN_MASTER_THRESHOLD` (IEEE 1588-2019 §9.3.2.4.2): how many Announce
/// messages from a foreign master must arrive within the window before its
/// Announce messages are qualified.
pub const FOREIGN_MASTER_THRESHOLD: usize = 2;

/// How many foreign masters a port remembers (§9.3.2.4.2 asks for at least
/// five); when full, the one heard from least recently is dropped.
pub const FOREIGN_MASTER_CAPACITY: usize = 16;

/// The most recent Announce message from one foreign master (IEEE 1588-2019
/// §9.3.2.4.2 `foreignMasterDS` record), kept whole so that the data set
/// updates of §9.3.5 can read its header flags and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnnounceRecord {
    /// The Announce's header: `sourcePortIdentity` (the foreign master's
    /// identity), `sequenceId`, `flagField`, `logMessageInterval`.
    pub header: Header,
    /// The Announce's body.
    pub body: AnnounceBody,
    /// When it was received.
    pub received: Time,
    /// The acceptable master table's `alternatePriority1` for this master,
    /// replacing `grandmasterPriority1` in the BMCA (§17.6.5).
    pub alternate_priority1: Option<u8>,
}

impl AnnounceRecord {
    /// The foreign master's port identity (`sourcePortIdentity`).
    pub fn sender(&self) -> PortIdentity {
        self.header.source_port_identity
    }

    /// The record's comparison data set as received on port `receiver`
    /// (§9.3.4), with `alternatePriority1` applied (§17.6.5).
    pub fn dataset(&self, receiver: PortIdentity) -> ComparisonDataSet {
        let ds = ComparisonDataSet::from_announce(&self.header, &self.body, receiver);
        match self.alternate_priority1 {
            Some(p) => ds.with_gm_priority1(p),
            None => ds,
        }
    }
}

/// Why an Announce message was not recorded (IEEE 1588-2019 §9.3.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// Sent by this PTP instance (its own clockIdentity), §9.3.2.5 a). The
    /// port state machine may still act on it (e.g. §9.5.2.3 for a
    /// boundary clock's ports seeing each other).
    OwnInstance,
    /// `stepsRemoved` at or above `defaultDS.maxStepsRemoved` (§9.3.2.5,
    /// §8.2.1.4.8).
    StepsRemoved,
    /// The `sequenceId` is not newer than that of the foreign master's most
    /// recent Announce (§9.3.2.5: only the most recent Announce counts).
    NotNewer,
    /// The acceptable master table is enabled and does not list the sender
    /// (§9.3.2.5, §17.6.4).
    NotAcceptable,
}

/// What [`ForeignMasters::record`] did with an accepted Announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recorded {
    /// A foreign master not heard from before; a new record.
    New,
    /// A new record that displaced the least recently heard foreign master,
    /// whose identity this is.
    NewEvicting(PortIdentity),
    /// The foreign master's record now holds this Announce.
    Updated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Entry {
    record: AnnounceRecord,
    /// Receipt times of the latest Announce messages, newest first.
    recent: [Option<Time>; FOREIGN_MASTER_THRESHOLD],
    /// FOREIGN_MASTER_TIME_WINDOW announce intervals, as of the last record.
    window: Duration,
}

impl Entry {
    fn in_window(&self, now: Time) -> usize {
        let since = now - self.window;
        self.recent
            .iter()
            .flatten()
            .filter(|&&t| t >= since)
            .count()
    }

    fn qualified(&self, now: Time) -> bool {
        self.in_window(now) >= FOREIGN_MASTER_THRESHOLD
    }

    fn last_heard(&self) -> Time {
        self.record.received
    }
}

/// One port's foreign master data set (IEEE 1588-2019 §9.3.2.4): the most
/// recent Announce of each foreign master, keyed by `sourcePortIdentity`,
/// with the count that qualifies it (§9.3.2.5). Bounded by
/// [`FOREIGN_MASTER_CAPACITY`]; no allocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForeignMasters {
    /// This instance's `defaultDS.clockIdentity`: its own Announce messages
    /// are rejected (§9.3.2.5 a).
    pub own_clock_identity: ClockIdentity,
    /// `defaultDS.maxStepsRemoved` (§8.2.1.4.8): Announce messages with
    /// stepsRemoved at or above it are rejected.
    pub max_steps_removed: u8,
    /// Reject Announce messages whose `sequenceId` is not newer than the
    /// last one recorded from the same master within the window (default
    /// on). A master heard from longer ago than the window may restart its
    /// sequence.
    pub check_sequence: bool,
    entries: [Option<Entry>; FOREIGN_MASTER_CAPACITY],
}

impl ForeignMasters {
    /// An empty set for an instance with this `defaultDS`.
    pub fn new(default_ds: &DefaultDs) -> Self {
        ForeignMasters {
            own_clock_identity: default_ds.clock_identity,
            max_steps_removed: default_ds.max_steps_removed,
            check_sequence: true,
            entries: [None; FOREIGN_MASTER_CAPACITY],
        }
    }

    /// Records an Announce message received at `now` on a port whose
    /// `portDS.logAnnounceInterval` is `log_announce_interval` (the window is
    /// [`FOREIGN_MASTER_TIME_WINDOW`] of those intervals), after the checks
    /// of IEEE 1588-2019 §9.3.2.5: not from this instance, stepsRemoved below
    /// `maxStepsRemoved`, a newer `sequenceId` (when
    /// [`check_sequence`](Self::check_sequence)), and a sender in
    /// `acceptable` when that table is given and enabled (§17.6.4).
    ///
    /// The caller has already checked the domain and SdoId (§7.1).
    pub fn record(
        &mut self,
        now: Time,
        header: &Header,
        body: &AnnounceBody,
        log_announce_interval: i8,
        acceptable: Option<&AcceptableMasterTable>,
    ) -> Result<Recorded, Rejection> {
        let source = header.source_port_identity;
        if source.clock_identity == self.own_clock_identity {
            return Err(Rejection::OwnInstance);
        }
        if body.steps_removed >= u16::from(self.max_steps_removed) {
            return Err(Rejection::StepsRemoved);
        }
        if acceptable.is_some_and(|t| !t.is_acceptable(&source)) {
            return Err(Rejection::NotAcceptable);
        }
        let record = AnnounceRecord {
            header: *header,
            body: *body,
            received: now,
            alternate_priority1: acceptable.and_then(|t| t.alternate_priority1(&source)),
        };
        let window = Duration::from_log2_secs(log_announce_interval) * FOREIGN_MASTER_TIME_WINDOW;

        let check_sequence = self.check_sequence;
        if let Some(entry) = self.find_mut(&source) {
            if check_sequence && entry.in_window(now) > 0 {
                let delta = header
                    .sequence_id
                    .wrapping_sub(entry.record.header.sequence_id);
                if delta == 0 || delta >= 0x8000 {
                    return Err(Rejection::NotNewer);
                }
            }
            entry.record = record;
            entry.recent.rotate_right(1);
            if let Some(first) = entry.recent.first_mut() {
                *first = Some(now);
            }
            entry.window = window;
            return Ok(Recorded::Updated);
        }

        let mut recent = [None; FOREIGN_MASTER_THRESHOLD];
        if let Some(first) = recent.first_mut() {
            *first = Some(now);
        }
        let new = Entry {
            record,
            recent,
            window,
        };
        if let Some(slot) = self.entries.iter_mut().find(|e| e.is_none()) {
            *slot = Some(new);
            return Ok(Recorded::New);
        }
        // Full: replace the foreign master heard from least recently.
        let oldest = self
            .entries
            .iter_mut()
            .flatten()
            .min_by_key(|e| e.last_heard());
        match oldest {
            Some(slot) => {
                let evicted = slot.record.sender();
                *slot = new;
                Ok(Recorded::NewEvicting(evicted))
            }
            // Unreachable with a non-zero capacity; keeps the function total.
            None => Ok(Recorded::New),
        }
    }

    fn find_mut(&mut self, sender: &PortIdentity) -> Option<&mut Entry> {
        self.entries
            .iter_mut()
            .flatten()
            .find(|e| e.record.sender() == *sender)
    }

    fn find(&self, sender: &PortIdentity) -> Option<&Entry> {
        self.entries
            .iter()
            .flatten()
            .find(|e| e.record.sender() == *sender)
    }

    /// The most recent Announce recorded from `sender`, qualified or not.
    pub fn get(&self, sender: &PortIdentity) -> Option<&AnnounceRecord> {
        self.find(sender).map(|e| &e.record)
    }

    /// Whether `sender`'s Announce messages are qualified at `now`: at least
    /// [`FOREIGN_MASTER_THRESHOLD`] of them within the last
    /// [`FOREIGN_MASTER_TIME_WINDOW`] announce intervals (§9.3.2.5).
    pub fn is_qualified(&self, now: Time, sender: &PortIdentity) -> bool {
        self.find(sender).is_some_and(|e| e.qualified(now))
    }

    /// Every record, qualified or not.
    pub fn iter(&self) -> impl Iterator<Item = &AnnounceRecord> {
        self.entries.iter().flatten().map(|e| &e.record)
    }

    /// The records whose Announce messages are qualified at `now`.
    pub fn qualified(&self, now: Time) -> impl Iterator<Item = &AnnounceRecord> {
        self.entries
            .iter()
            .flatten()
            .filter(move |e| e.qualified(now))
            .map(|e| &e.record)
    }

    /// How many foreign masters are recorded.
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// Whether no foreign master is recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(Option::is_none)
    }

    /// `Erbest` (IEEE 1588-2019 §9.3.2.3): the best of the qualified
    /// Announce messages at `now` by [`compare`], as received on port
    /// `receiver`, with its record.
    pub fn erbest(
        &self,
        now: Time,
        receiver: PortIdentity,
    ) -> Option<(ComparisonDataSet, AnnounceRecord)> {
        self.erbest_by(now, receiver, DEFAULT_LOCAL_PRIORITY, compare)
    }

    /// [`erbest`](Self::erbest) with another data set comparison (alternate
    /// BMCA, §9.3.1) and the `localPriority` to give the data sets (ITU-T
    /// G.8275.1 §6.3: the receiving port's `localPriority`).
    pub fn erbest_by<F>(
        &self,
        now: Time,
        receiver: PortIdentity,
        local_priority: u8,
        cmp: F,
    ) -> Option<(ComparisonDataSet, AnnounceRecord)>
    where
        F: Fn(&ComparisonDataSet, &ComparisonDataSet) -> Comparison,
    {
        let mut best: Option<(ComparisonDataSet, AnnounceRecord)> = None;
        for record in self.qualified(now) {
            let ds = record.dataset(receiver).with_local_priority(local_priority);
            match &best {
                Some((b, _)) if !cmp(&ds, b).is_better() => {}
                _ => best = Some((ds, *record)),
            }
        }
        best
    }

    /// Drops the foreign masters with no Announce within the window before
    /// `now`: they can no longer be qualified (§9.3.2.4.2).
    pub fn prune(&mut self, now: Time) {
        for slot in &mut self.entries {
            if slot.as_ref().is_some_and(|e| e.in_window(now) == 0) {
                *slot = None;
            }
        }
    }

    /// Drops the record of `sender`; whether there was one.
    pub fn remove(&mut self, sender: &PortIdentity) -> bool {
        for slot in &mut self.entries {
            if slot.as_ref().is_some_and(|e| e.record.sender() == *sender) {
                *slot = None;
                return true;
            }
        }
        false
    }

    /// Drops every record, e.g. when the port leaves LISTENING, SLAVE,
    /// UNCALIBRATED or PASSIVE for a state that ignores Announce messages.
    pub fn clear(&mut self) {
        self.entries = [None; FOREIGN_MASTER_CAPACITY];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bmca::acceptable::AcceptableMaster;
    use crate::bmca::compare::tests::{id, port};
    use crate::wire::{ClockQuality, MessageType, Timestamp};

    const RX: u8 = 30;

    fn dds() -> DefaultDs {
        DefaultDs::new(id(RX), 2)
    }

    fn receiver() -> PortIdentity {
        port(RX, 1)
    }

    fn announce(from: PortIdentity, seq: u16, class: u8, steps: u16) -> (Header, AnnounceBody) {
        let mut header = Header::new(MessageType::Announce, from);
        header.sequence_id = seq;
        header.log_message_interval = 0;
        let body = AnnounceBody {
            origin_timestamp: Timestamp::default(),
            current_utc_offset: 37,
            reserved: 0,
            grandmaster_priority1: 128,
            grandmaster_clock_quality: ClockQuality {
                clock_class: class,
                clock_accuracy: 0x21,
                offset_scaled_log_variance: 0x4e5d,
            },
            grandmaster_priority2: 128,
            grandmaster_identity: from.clock_identity,
            steps_removed: steps,
            time_source: 0x20,
        };
        (header, body)
    }

    fn at(secs: i64) -> Time {
        Time::from_secs_nanos(secs, 0)
    }

    fn rec(
        fm: &mut ForeignMasters,
        secs: i64,
        from: PortIdentity,
        seq: u16,
        class: u8,
    ) -> Result<Recorded, Rejection> {
        let (h, b) = announce(from, seq, class, 0);
        fm.record(at(secs), &h, &b, 0, None)
    }

    #[test]
    fn bmca_foreign_qualification_needs_two_in_window() {
        let mut fm = ForeignMasters::new(&dds());
        let a = port(1, 1);
        assert_eq!(rec(&mut fm, 100, a, 1, 6), Ok(Recorded::New));
        assert!(!fm.is_qualified(at(100), &a));
        assert!(fm.erbest(at(100), receiver()).is_none());
        assert_eq!(rec(&mut fm, 101, a, 2, 6), Ok(Recorded::Updated));
        assert!(fm.is_qualified(at(101), &a));
        let (ds, record) = fm.erbest(at(101), receiver()).unwrap();
        assert_eq!(ds.sender, a);
        assert_eq!(ds.receiver, receiver());
        assert_eq!(record.header.sequence_id, 2);
        assert_eq!(record.received, at(101));
        // Window = 4 s at logAnnounceInterval 0: still qualified at 104,
        // not once the older Announce is more than 4 s old.
        assert!(fm.is_qualified(at(104), &a));
        assert!(!fm.is_qualified(at(105), &a));
        assert_eq!(fm.qualified(at(105)).count(), 0);
        assert_eq!(fm.len(), 1);
        // Two Announce messages 5 s apart never qualify.
        let b = port(2, 1);
        rec(&mut fm, 100, b, 1, 6).unwrap();
        rec(&mut fm, 105, b, 2, 6).unwrap();
        assert!(!fm.is_qualified(at(105), &b));
    }

    #[test]
    fn bmca_foreign_window_follows_announce_interval() {
        let mut fm = ForeignMasters::new(&dds());
        let a = port(1, 1);
        let (h, b) = announce(a, 1, 6, 0);
        fm.record(at(100), &h, &b, 2, None).unwrap();
        let (h, b) = announce(a, 2, 6, 0);
        fm.record(at(110), &h, &b, 2, None).unwrap();
        // 4 × 2^2 s = 16 s window.
        assert!(fm.is_qualified(at(116), &a));
        assert!(!fm.is_qualified(at(117), &a));
    }

    #[test]
    fn bmca_foreign_rejections() {
        let mut fm = ForeignMasters::new(&dds());
        // Own instance (any port of our clock).
        assert_eq!(
            rec(&mut fm, 1, port(RX, 2), 1, 6),
            Err(Rejection::OwnInstance)
        );
        // stepsRemoved at maxStepsRemoved.
        fm.max_steps_removed = 10;
        let (h, b) = announce(port(1, 1), 1, 6, 10);
        assert_eq!(
            fm.record(at(1), &h, &b, 0, None),
            Err(Rejection::StepsRemoved)
        );
        let (h, b) = announce(port(1, 1), 1, 6, 9);
        assert_eq!(fm.record(at(1), &h, &b, 0, None), Ok(Recorded::New));
        // Same or older sequence within the window.
        assert_eq!(rec(&mut fm, 2, port(1, 1), 1, 6), Err(Rejection::NotNewer));
        assert_eq!(rec(&mut fm, 2, port(1, 1), 0, 6), Err(Rejection::NotNewer));
        assert!(!fm.is_qualified(at(2), &port(1, 1)));
        // Wrapping sequence numbers are newer.
        let mut fm2 = ForeignMasters::new(&dds());
        rec(&mut fm2, 1, port(1, 1), 0xffff, 6).unwrap();
        assert_eq!(rec(&mut fm2, 2, port(1, 1), 0, 6), Ok(Recorded::Updated));
        // A restarted master (sequence back to 0) is accepted once the
        // window has passed.
        assert_eq!(rec(&mut fm2, 20, port(1, 1), 0, 6), Ok(Recorded::Updated));
        // Sequence checks can be disabled.
        fm2.check_sequence = false;
        assert_eq!(rec(&mut fm2, 21, port(1, 1), 0, 6), Ok(Recorded::Updated));
        // Acceptable master table.
        let mut table = AcceptableMasterTable::new();
        table.enabled = true;
        table
            .insert(AcceptableMaster {
                port_identity: port(3, 1),
                alternate_priority1: 7,
            })
            .unwrap();
        let (h, b) = announce(port(4, 1), 1, 6, 0);
        assert_eq!(
            fm.record(at(1), &h, &b, 0, Some(&table)),
            Err(Rejection::NotAcceptable)
        );
        let (h, b) = announce(port(3, 1), 1, 6, 0);
        fm.record(at(1), &h, &b, 0, Some(&table)).unwrap();
        let (h, b) = announce(port(3, 1), 2, 6, 0);
        fm.record(at(2), &h, &b, 0, Some(&table)).unwrap();
        let (ds, record) = fm.erbest(at(2), receiver()).unwrap();
        // alternatePriority1 replaces grandmasterPriority1 in the comparison.
        assert_eq!(ds.gm_priority1, 7);
        assert_eq!(record.body.grandmaster_priority1, 128);
        // A disabled table accepts everyone.
        table.enabled = false;
        let (h, b) = announce(port(4, 1), 1, 6, 0);
        assert!(fm.record(at(3), &h, &b, 0, Some(&table)).is_ok());
    }

    #[test]
    fn bmca_foreign_erbest_picks_best_qualified() {
        let mut fm = ForeignMasters::new(&dds());
        let (good, better, best) = (port(1, 1), port(2, 1), port(3, 1));
        for (t, seq) in [(10, 1), (11, 2)] {
            rec(&mut fm, t, good, seq, 7).unwrap();
            rec(&mut fm, t, better, seq, 6).unwrap();
        }
        // `best` has only one Announce: not qualified yet.
        rec(&mut fm, 11, best, 1, 5).unwrap();
        let (ds, _) = fm.erbest(at(11), receiver()).unwrap();
        assert_eq!(ds.sender, better);
        rec(&mut fm, 12, best, 2, 5).unwrap();
        let (ds, _) = fm.erbest(at(12), receiver()).unwrap();
        assert_eq!(ds.sender, best);
        // A custom comparison and localPriority.
        let (ds, _) = fm
            .erbest_by(at(12), receiver(), 9, |a, b| compare(a, b).reverse())
            .unwrap();
        assert_eq!(ds.sender, good);
        assert_eq!(ds.local_priority, 9);
    }

    #[test]
    fn bmca_foreign_capacity_prune_clear() {
        let mut fm = ForeignMasters::new(&dds());
        for n in 0..FOREIGN_MASTER_CAPACITY {
            let t = 100 + n as i64;
            assert_eq!(
                rec(&mut fm, t, port(n as u8 + 1, 1), 1, 6),
                Ok(Recorded::New)
            );
        }
        assert_eq!(fm.len(), FOREIGN_MASTER_CAPACITY);
        // Refresh the first so that the second is now the least recent.
        rec(&mut fm, 200, port(1, 1), 2, 6).unwrap();
        assert_eq!(
            rec(&mut fm, 201, port(99, 1), 1, 6),
            Ok(Recorded::NewEvicting(port(2, 1)))
        );
        assert_eq!(fm.len(), FOREIGN_MASTER_CAPACITY);
        assert!(fm.get(&port(2, 1)).is_none());
        assert!(fm.get(&port(99, 1)).is_some());
        // Prune at 204: only those heard within 4 s stay (200 and 201).
        fm.prune(at(204));
        assert_eq!(fm.len(), 2);
        assert_eq!(fm.iter().count(), 2);
        assert!(fm.remove(&port(1, 1)));
        assert!(!fm.remove(&port(1, 1)));
        fm.clear();
        assert!(fm.is_empty());
        assert!(fm.erbest(at(204), receiver()).is_none());
    }

    #[test]
    fn bmca_foreign_extreme_inputs_do_not_panic() {
        let mut fm = ForeignMasters::new(&dds());
        let mut rng = crate::bmca::compare::tests::Rng(42);
        for i in 0..2000u32 {
            let from = port(rng.pick(5), u16::from(rng.pick(3)));
            let (mut h, mut b) = announce(
                from,
                rng.next() as u16,
                rng.pick(255),
                u16::from(rng.pick(255)) * 257,
            );
            h.log_message_interval = rng.next() as i8;
            b.grandmaster_identity = id(rng.pick(4));
            let interval = rng.next() as i8;
            let now = Time::from_scaled_nanos(i128::from(rng.next() as i64) * i128::from(i % 7));
            let _ = fm.record(now, &h, &b, interval, None);
            let _ = fm.erbest(now, receiver());
            if i % 100 == 0 {
                fm.prune(now);
            }
        }
    }
}
