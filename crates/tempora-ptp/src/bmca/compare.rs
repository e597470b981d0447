//! The data set comparison algorithm (IEEE 1588-2019 §9.3.4, Figures 34 and
//! 35).

use core::cmp::Ordering;

use super::dataset::ComparisonDataSet;

/// The outcome of comparing data set A with data set B (IEEE 1588-2019
/// §9.3.4, the results of Figures 34 and 35), from A's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// "A better than B": A describes a better grandmaster (Figure 34), or
    /// the same grandmaster over a better path (Figure 35).
    Better,
    /// "A better by topology than B": same grandmaster, A preferred only
    /// for the path it arrived by.
    BetterByTopology,
    /// "B better than A".
    Worse,
    /// "B better by topology than A".
    WorseByTopology,
    /// Error-1 (Figure 35): the data sets differ by one step and the one
    /// further from the grandmaster has receiver equal to sender, i.e. the
    /// instance's own message came back to it.
    Error1,
    /// Error-2 (Figure 35): the data sets are the same (same grandmaster,
    /// steps, sender and receiver port): the same message counted twice.
    Error2,
}

impl Comparison {
    /// A is better or better by topology.
    pub fn is_better(self) -> bool {
        matches!(self, Comparison::Better | Comparison::BetterByTopology)
    }

    /// B is better or better by topology.
    pub fn is_worse(self) -> bool {
        matches!(self, Comparison::Worse | Comparison::WorseByTopology)
    }

    /// The result decided only by topology (Figure 35 with a topology
    /// outcome).
    pub fn is_by_topology(self) -> bool {
        matches!(
            self,
            Comparison::BetterByTopology | Comparison::WorseByTopology
        )
    }

    /// Error-1 or Error-2.
    pub fn is_error(self) -> bool {
        matches!(self, Comparison::Error1 | Comparison::Error2)
    }

    /// The result of comparing B with A instead: better and worse swap, the
    /// errors stay (the algorithm of §9.3.4 is antisymmetric).
    pub fn reverse(self) -> Self {
        match self {
            Comparison::Better => Comparison::Worse,
            Comparison::BetterByTopology => Comparison::WorseByTopology,
            Comparison::Worse => Comparison::Better,
            Comparison::WorseByTopology => Comparison::BetterByTopology,
            Comparison::Error1 => Comparison::Error1,
            Comparison::Error2 => Comparison::Error2,
        }
    }
}

/// Lower values win (§9.3.4, Figure 34): `Better` when `a < b`, `Worse`
/// when `a > b`.
pub(crate) fn lower_wins<T: Ord>(a: T, b: T) -> Option<Comparison> {
    match a.cmp(&b) {
        Ordering::Less => Some(Comparison::Better),
        Ordering::Greater => Some(Comparison::Worse),
        Ordering::Equal => None,
    }
}

/// The data set comparison algorithm of IEEE 1588-2019 §9.3.4: compares A
/// with B and says which is better and why.
///
/// Part 1 (Figure 34): when the GM identities differ, the grandmasters are
/// compared by priority1, clockClass, clockAccuracy, offsetScaledLogVariance,
/// priority2 and finally GM identity, lower values winning. Part 2 (Figure 35,
/// [`compare_topology`]): the same grandmaster is compared by topology.
pub fn compare(a: &ComparisonDataSet, b: &ComparisonDataSet) -> Comparison {
    if a.gm_identity == b.gm_identity {
        return compare_topology(a, b);
    }
    let (qa, qb) = (&a.gm_clock_quality, &b.gm_clock_quality);
    lower_wins(a.gm_priority1, b.gm_priority1)
        .or_else(|| lower_wins(qa.clock_class, qb.clock_class))
        .or_else(|| lower_wins(qa.clock_accuracy, qb.clock_accuracy))
        .or_else(|| lower_wins(qa.offset_scaled_log_variance, qb.offset_scaled_log_variance))
        .or_else(|| lower_wins(a.gm_priority2, b.gm_priority2))
        .or_else(|| lower_wins(a.gm_identity, b.gm_identity))
        // The identities differ, so the last step always decides; this
        // fallback only keeps the function total.
        .unwrap_or(Comparison::Error2)
}

/// Part 2 of the data set comparison algorithm (IEEE 1588-2019 §9.3.4,
/// Figure 35), for two data sets with the same grandmaster:
///
/// * stepsRemoved differing by more than 1: fewer steps is better;
/// * differing by exactly 1: compare receiver and sender of the data set with
///   more steps. Receiver lower than sender: the other is better; higher: the
///   other is better by topology; equal: Error-1;
/// * equal: lower sender identity is better by topology, then lower receiver
///   port number; all equal: Error-2.
///
/// Identities compare as `PortIdentity` values: clockIdentity as an unsigned
/// octet string, then portNumber (as linuxptp does).
pub fn compare_topology(a: &ComparisonDataSet, b: &ComparisonDataSet) -> Comparison {
    let (sa, sb) = (u32::from(a.steps_removed), u32::from(b.steps_removed));
    if sa > sb + 1 {
        return Comparison::Worse;
    }
    if sa + 1 < sb {
        return Comparison::Better;
    }
    if sa > sb {
        // A is one step further from the grandmaster than B.
        return match a.receiver.cmp(&a.sender) {
            Ordering::Less => Comparison::Worse,
            Ordering::Greater => Comparison::WorseByTopology,
            Ordering::Equal => Comparison::Error1,
        };
    }
    if sa < sb {
        return match b.receiver.cmp(&b.sender) {
            Ordering::Less => Comparison::Better,
            Ordering::Greater => Comparison::BetterByTopology,
            Ordering::Equal => Comparison::Error1,
        };
    }
    match a.sender.cmp(&b.sender) {
        Ordering::Less => Comparison::BetterByTopology,
        Ordering::Greater => Comparison::WorseByTopology,
        Ordering::Equal => match a.receiver.port_number.cmp(&b.receiver.port_number) {
            Ordering::Less => Comparison::BetterByTopology,
            Ordering::Greater => Comparison::WorseByTopology,
            Ordering::Equal => Comparison::Error2,
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bmca::dataset::DEFAULT_LOCAL_PRIORITY;
    use crate::wire::{ClockIdentity, ClockQuality, PortIdentity};

    pub(crate) fn id(n: u8) -> ClockIdentity {
        ClockIdentity([0, 0, 0, 0xff, 0xfe, 0, 0, n])
    }

    pub(crate) fn port(clock: u8, number: u16) -> PortIdentity {
        PortIdentity {
            clock_identity: id(clock),
            port_number: number,
        }
    }

    /// A data set for grandmaster 1 with the default-profile quality, two
    /// steps away, sent by clock 20 port 1 and received by clock 30 port 1.
    pub(crate) fn base() -> ComparisonDataSet {
        ComparisonDataSet {
            gm_priority1: 128,
            gm_identity: id(1),
            gm_clock_quality: ClockQuality {
                clock_class: 248,
                clock_accuracy: 0xfe,
                offset_scaled_log_variance: 0xffff,
            },
            gm_priority2: 128,
            steps_removed: 2,
            sender: port(20, 1),
            receiver: port(30, 1),
            local_priority: DEFAULT_LOCAL_PRIORITY,
        }
    }

    type Edit = fn(&mut ComparisonDataSet);

    /// One row per branch of Figures 34 and 35: (branch, edit A, edit B, A vs B).
    #[rustfmt::skip]
    const ROWS: &[(&str, Edit, Edit, Comparison)] = &[
        // Figure 34, GM identities differ.
        ("fig34 priority1 A<B", |a| { a.gm_identity = id(2); a.gm_priority1 = 127; }, |_| {}, Comparison::Better),
        ("fig34 priority1 A>B", |a| a.gm_priority1 = 129, |b| b.gm_identity = id(2), Comparison::Worse),
        ("fig34 clockClass A<B", |a| { a.gm_identity = id(2); a.gm_clock_quality.clock_class = 6; }, |_| {}, Comparison::Better),
        ("fig34 clockClass A>B", |a| a.gm_clock_quality.clock_class = 255, |b| b.gm_identity = id(2), Comparison::Worse),
        ("fig34 clockAccuracy A<B", |a| { a.gm_identity = id(2); a.gm_clock_quality.clock_accuracy = 0x21; }, |_| {}, Comparison::Better),
        ("fig34 clockAccuracy A>B", |_| {}, |b| { b.gm_identity = id(2); b.gm_clock_quality.clock_accuracy = 0x21; }, Comparison::Worse),
        ("fig34 variance A<B", |a| { a.gm_identity = id(2); a.gm_clock_quality.offset_scaled_log_variance = 0x4e5d; }, |_| {}, Comparison::Better),
        ("fig34 variance A>B", |_| {}, |b| { b.gm_identity = id(2); b.gm_clock_quality.offset_scaled_log_variance = 0x4e5d; }, Comparison::Worse),
        ("fig34 priority2 A<B", |a| { a.gm_identity = id(2); a.gm_priority2 = 1; }, |_| {}, Comparison::Better),
        ("fig34 priority2 A>B", |a| a.gm_priority2 = 200, |b| b.gm_identity = id(2), Comparison::Worse),
        ("fig34 identity A<B", |_| {}, |b| b.gm_identity = id(2), Comparison::Better),
        ("fig34 identity A>B", |a| a.gm_identity = id(2), |_| {}, Comparison::Worse),
        // Priority1 outranks every later attribute, and steps do not matter
        // between different grandmasters.
        ("fig34 priority1 beats class", |a| { a.gm_identity = id(2); a.gm_priority1 = 1; a.gm_clock_quality.clock_class = 255; }, |_| {}, Comparison::Better),
        ("fig34 ignores steps", |a| { a.steps_removed = 40; }, |b| { b.gm_identity = id(2); }, Comparison::Better),
        // Figure 35, GM identities equal.
        ("fig35 steps A > B+1", |a| a.steps_removed = 4, |_| {}, Comparison::Worse),
        ("fig35 steps A+1 < B", |a| a.steps_removed = 0, |_| {}, Comparison::Better),
        ("fig35 A=B+1 receiver<sender", |a| { a.steps_removed = 3; a.receiver = port(5, 1); }, |_| {}, Comparison::Worse),
        ("fig35 A=B+1 receiver>sender", |a| { a.steps_removed = 3; a.receiver = port(40, 1); }, |_| {}, Comparison::WorseByTopology),
        ("fig35 A=B+1 receiver=sender", |a| { a.steps_removed = 3; a.receiver = a.sender; }, |_| {}, Comparison::Error1),
        ("fig35 A+1=B receiver<sender", |_| {}, |b| { b.steps_removed = 3; b.receiver = port(5, 1); }, Comparison::Better),
        ("fig35 A+1=B receiver>sender", |_| {}, |b| { b.steps_removed = 3; b.receiver = port(40, 1); }, Comparison::BetterByTopology),
        ("fig35 A+1=B receiver=sender", |_| {}, |b| { b.steps_removed = 3; b.receiver = b.sender; }, Comparison::Error1),
        ("fig35 A=B+1 receiver port decides", |a| { a.steps_removed = 3; a.receiver = port(20, 0); }, |_| {}, Comparison::Worse),
        ("fig35 equal steps sender A<B", |a| a.sender = port(19, 1), |_| {}, Comparison::BetterByTopology),
        ("fig35 equal steps sender A>B", |a| a.sender = port(21, 1), |_| {}, Comparison::WorseByTopology),
        ("fig35 equal steps sender port A<B", |a| a.sender = port(20, 0), |_| {}, Comparison::BetterByTopology),
        ("fig35 equal steps receiver port A<B", |_| {}, |b| b.receiver = port(30, 2), Comparison::BetterByTopology),
        ("fig35 equal steps receiver port A>B", |a| a.receiver = port(30, 2), |_| {}, Comparison::WorseByTopology),
        ("fig35 receiver clock ignored", |a| a.receiver = port(31, 1), |_| {}, Comparison::Error2),
        ("fig35 equal data sets", |_| {}, |_| {}, Comparison::Error2),
        ("fig35 ignores priority1", |a| { a.gm_priority1 = 0; a.steps_removed = 5; }, |_| {}, Comparison::Worse),
    ];

    #[test]
    fn bmca_compare_table() {
        for (name, edit_a, edit_b, expected) in ROWS {
            let (mut a, mut b) = (base(), base());
            edit_a(&mut a);
            edit_b(&mut b);
            assert_eq!(compare(&a, &b), *expected, "{name}: A vs B");
            assert_eq!(compare(&b, &a), expected.reverse(), "{name}: B vs A");
        }
    }

    #[test]
    fn bmca_compare_d0_against_own_announce_is_error1() {
        // Our own Announce (we are the grandmaster, so it says one step)
        // came back to the very port that sent it.
        let d0 = ComparisonDataSet {
            steps_removed: 0,
            sender: port(30, 0),
            receiver: port(30, 0),
            gm_identity: id(30),
            ..base()
        };
        let looped = ComparisonDataSet {
            steps_removed: 1,
            sender: port(30, 1),
            receiver: port(30, 1),
            gm_identity: id(30),
            ..base()
        };
        assert_eq!(compare(&d0, &looped), Comparison::Error1);
    }

    /// A small deterministic generator (xorshift64*), enough to explore
    /// the comparison over small value domains.
    pub(crate) struct Rng(pub u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        pub(crate) fn pick(&mut self, n: u64) -> u8 {
            (self.next() % n) as u8
        }

        pub(crate) fn dataset(&mut self) -> ComparisonDataSet {
            ComparisonDataSet {
                gm_priority1: 127 + self.pick(2),
                gm_identity: id(self.pick(3)),
                gm_clock_quality: ClockQuality {
                    clock_class: [6, 7, 248][usize::from(self.pick(3))],
                    clock_accuracy: 0x20 + self.pick(2),
                    offset_scaled_log_variance: 0x4e5d + u16::from(self.pick(2)),
                },
                gm_priority2: 127 + self.pick(2),
                steps_removed: u16::from(self.pick(4)),
                sender: port(self.pick(3), u16::from(self.pick(2))),
                receiver: port(self.pick(3), u16::from(self.pick(2))),
                local_priority: 127 + self.pick(2),
            }
        }
    }

    #[test]
    fn bmca_compare_is_antisymmetric() {
        let mut rng = Rng(0x1588_2019);
        for _ in 0..20_000 {
            let (a, b) = (rng.dataset(), rng.dataset());
            let ab = compare(&a, &b);
            assert_eq!(compare(&b, &a), ab.reverse(), "{a:?} vs {b:?}");
            // A data set never beats itself.
            assert!(!compare(&a, &a).is_better() && !compare(&a, &a).is_worse());
            // Between different grandmasters only part 1 decides.
            if a.gm_identity != b.gm_identity {
                assert!(matches!(ab, Comparison::Better | Comparison::Worse));
            }
        }
    }

    #[test]
    fn bmca_compare_extreme_steps_do_not_overflow() {
        let (mut a, b) = (base(), base());
        a.steps_removed = u16::MAX;
        assert_eq!(compare(&a, &b), Comparison::Worse);
        assert_eq!(compare(&b, &a), Comparison::Better);
    }
}
