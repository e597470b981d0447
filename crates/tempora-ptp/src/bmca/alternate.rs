//! Alternate BMCAs (IEEE 1588-2019 §9.3.1: a PTP profile may specify its own
//! BMCA): the [`Bmca`] hook, the default IEEE 1588 algorithm and the
//! alternate BMCA of ITU-T G.8275.1.

use super::compare::{Comparison, compare, compare_topology, lower_wins};
use super::dataset::ComparisonDataSet;
use super::decision::{DecisionInput, RecommendedState, ebest_by, state_decision_by};

/// A best master clock algorithm (IEEE 1588-2019 §9.3.1): a data set
/// comparison, and the state decision and `Ebest` choice built on it.
///
/// Object safe, so an engine can hold a `&dyn Bmca`; [`BmcaKind`] is the
/// enum alternative. The provided methods run the IEEE 1588 state decision
/// (§9.3.3, Figure 33) and `Ebest` selection (§9.3.2.2) with
/// [`Bmca::compare`]; an algorithm that decides differently overrides them.
pub trait Bmca {
    /// Compares data set `a` with `b` (the role of §9.3.4).
    fn compare(&self, a: &ComparisonDataSet, b: &ComparisonDataSet) -> Comparison;

    /// The recommended state of one port (the role of §9.3.3).
    fn decide(&self, input: &DecisionInput) -> RecommendedState {
        state_decision_by(|a, b| self.compare(a, b), input)
    }

    /// The index of `Ebest` among the ports' `Erbest` (the role of
    /// §9.3.2.2); see [`ebest`](super::ebest).
    fn ebest(&self, candidates: &[Option<ComparisonDataSet>]) -> Option<usize> {
        ebest_by(|a, b| self.compare(a, b), candidates)
    }
}

/// The default BMCA of IEEE 1588-2019 (§9.3.2–§9.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ieee1588Bmca;

impl Bmca for Ieee1588Bmca {
    fn compare(&self, a: &ComparisonDataSet, b: &ComparisonDataSet) -> Comparison {
        compare(a, b)
    }
}

/// The alternate BMCA of ITU-T G.8275.1 (§6.3, "Alternate BMCA"): the
/// [`g8275_1_compare`] data set comparison in the IEEE 1588 state decision
/// of §9.3.3. Its other rules map onto [`DecisionInput`]: a T-TSC is
/// `slaveOnly`; a port's `masterOnly` (called `notSlave` in the first
/// editions) keeps it from SLAVE; and an instance with clockClass 1–127
/// (a T-GM locked to its PRTC) is grandmaster-only through the M1/P1 branch.
/// `D0` takes `defaultDS.localPriority` and each `Erbest` its port's
/// `localPriority` ([`ComparisonDataSet::with_local_priority`],
/// [`ForeignMasters::erbest_by`](super::ForeignMasters::erbest_by)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct G8275Dot1Bmca;

impl Bmca for G8275Dot1Bmca {
    fn compare(&self, a: &ComparisonDataSet, b: &ComparisonDataSet) -> Comparison {
        g8275_1_compare(a, b)
    }
}

/// The data set comparison of the ITU-T G.8275.1 alternate BMCA (§6.3).
/// Priority1 is not used (the profile fixes it at 128). Lower wins, in this
/// order: GM clockClass, clockAccuracy, offsetScaledLogVariance, priority2,
/// then `localPriority`. Then, when the (equal) clockClass is at most 127,
/// several grandmasters locked to a PRTC are equally good and the topology
/// decides ([`compare_topology`]: stepsRemoved, then sender and receiver
/// identities) so that the nearest is chosen; otherwise GM identity decides,
/// and the topology only for the same grandmaster.
pub fn g8275_1_compare(a: &ComparisonDataSet, b: &ComparisonDataSet) -> Comparison {
    let (qa, qb) = (&a.gm_clock_quality, &b.gm_clock_quality);
    let by_attributes = lower_wins(qa.clock_class, qb.clock_class)
        .or_else(|| lower_wins(qa.clock_accuracy, qb.clock_accuracy))
        .or_else(|| lower_wins(qa.offset_scaled_log_variance, qb.offset_scaled_log_variance))
        .or_else(|| lower_wins(a.gm_priority2, b.gm_priority2))
        .or_else(|| lower_wins(a.local_priority, b.local_priority));
    if let Some(result) = by_attributes {
        return result;
    }
    if qa.clock_class <= 127 {
        return compare_topology(a, b);
    }
    lower_wins(a.gm_identity, b.gm_identity).unwrap_or_else(|| compare_topology(a, b))
}

/// The BMCA an engine runs, as an enum (the alternative to `&dyn Bmca`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BmcaKind {
    /// IEEE 1588-2019 default BMCA ([`Ieee1588Bmca`]).
    #[default]
    Ieee1588,
    /// ITU-T G.8275.1 alternate BMCA ([`G8275Dot1Bmca`]).
    G8275Dot1,
}

impl Bmca for BmcaKind {
    fn compare(&self, a: &ComparisonDataSet, b: &ComparisonDataSet) -> Comparison {
        match self {
            BmcaKind::Ieee1588 => compare(a, b),
            BmcaKind::G8275Dot1 => g8275_1_compare(a, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bmca::compare::tests::{Rng, base, id, port};
    use crate::datasets::PortState;

    type Edit = fn(&mut ComparisonDataSet);

    /// (case, edit A, edit B, IEEE 1588 result, G.8275.1 result), starting
    /// from two data sets of different grandmasters (A's identity lower).
    #[rustfmt::skip]
    const ROWS: &[(&str, Edit, Edit, Comparison, Comparison)] = &[
        ("identity tie-break", |_| {}, |_| {}, Comparison::Better, Comparison::Better),
        ("localPriority breaks the tie before identity",
            |a| a.local_priority = 200, |b| b.local_priority = 100,
            Comparison::Better, Comparison::Worse),
        ("priority1 is ignored",
            |a| a.gm_priority1 = 200, |b| b.gm_priority1 = 1,
            Comparison::Worse, Comparison::Better),
        ("clockClass first",
            |a| { a.gm_clock_quality.clock_class = 7; a.local_priority = 1; }, |b| b.gm_clock_quality.clock_class = 6,
            Comparison::Worse, Comparison::Worse),
        ("clockAccuracy before localPriority",
            |a| a.gm_clock_quality.clock_accuracy = 0x20, |b| b.local_priority = 1,
            Comparison::Better, Comparison::Better),
        ("variance before localPriority",
            |a| a.local_priority = 1, |b| b.gm_clock_quality.offset_scaled_log_variance = 0x4000,
            Comparison::Worse, Comparison::Worse),
        ("priority2 before localPriority",
            |a| a.local_priority = 1, |b| b.gm_priority2 = 1,
            Comparison::Worse, Comparison::Worse),
        ("class > 127: identity before steps",
            |a| a.steps_removed = 9, |_| {},
            Comparison::Better, Comparison::Better),
        ("class <= 127: nearest grandmaster wins",
            |a| { a.gm_clock_quality.clock_class = 6; a.steps_removed = 9; }, |b| b.gm_clock_quality.clock_class = 6,
            Comparison::Better, Comparison::Worse),
        ("class <= 127: equal steps, sender decides",
            |a| { a.gm_clock_quality.clock_class = 6; a.sender = port(21, 1); }, |b| b.gm_clock_quality.clock_class = 6,
            Comparison::Better, Comparison::WorseByTopology),
        ("same grandmaster: topology",
            |a| a.steps_removed = 0, |b| b.gm_identity = id(1),
            Comparison::Better, Comparison::Better),
        ("same data sets: Error-2",
            |_| {}, |b| b.gm_identity = id(1),
            Comparison::Error2, Comparison::Error2),
    ];

    fn pair() -> (ComparisonDataSet, ComparisonDataSet) {
        let a = base();
        let b = ComparisonDataSet {
            gm_identity: id(2),
            ..base()
        };
        (a, b)
    }

    #[test]
    fn bmca_g8275_1_ordering_table() {
        for (name, edit_a, edit_b, ieee, itu) in ROWS {
            let (mut a, mut b) = pair();
            edit_a(&mut a);
            edit_b(&mut b);
            assert_eq!(Ieee1588Bmca.compare(&a, &b), *ieee, "{name}: IEEE");
            assert_eq!(G8275Dot1Bmca.compare(&a, &b), *itu, "{name}: G.8275.1");
            assert_eq!(
                G8275Dot1Bmca.compare(&b, &a),
                itu.reverse(),
                "{name}: G.8275.1 B vs A"
            );
            assert_eq!(
                BmcaKind::Ieee1588.compare(&a, &b),
                *ieee,
                "{name}: enum IEEE"
            );
            assert_eq!(
                BmcaKind::G8275Dot1.compare(&a, &b),
                *itu,
                "{name}: enum G.8275.1"
            );
        }
    }

    #[test]
    fn bmca_g8275_1_is_antisymmetric() {
        let mut rng = Rng(0x8275_0001);
        for _ in 0..20_000 {
            let (a, b) = (rng.dataset(), rng.dataset());
            assert_eq!(g8275_1_compare(&b, &a), g8275_1_compare(&a, &b).reverse());
        }
    }

    #[test]
    fn bmca_alternate_decision_through_dyn_and_enum() {
        // Two ports hear two different grandmasters of the same quality;
        // IEEE picks by identity (gm 1 on port 1), G.8275.1 by the ports'
        // localPriority (port 2 preferred).
        let mut on1 = base();
        on1.receiver = port(30, 1);
        let mut on2 = ComparisonDataSet {
            gm_identity: id(2),
            ..base()
        };
        on2.receiver = port(30, 2);
        let on1 = on1.with_local_priority(128);
        let on2 = on2.with_local_priority(10);
        let candidates = [Some(on1), Some(on2)];
        let engines: [(&dyn Bmca, usize); 4] = [
            (&Ieee1588Bmca, 0),
            (&G8275Dot1Bmca, 1),
            (&BmcaKind::Ieee1588, 0),
            (&BmcaKind::G8275Dot1, 1),
        ];
        let d0 = ComparisonDataSet {
            gm_identity: id(30),
            steps_removed: 0,
            sender: port(30, 0),
            receiver: port(30, 0),
            ..base()
        }
        .with_gm_priority1(255);
        for (bmca, best) in engines {
            assert_eq!(bmca.ebest(&candidates), Some(best));
            let ebest = candidates.get(best).copied().flatten();
            for (i, erbest) in candidates.iter().enumerate() {
                let input = DecisionInput {
                    d0: d0.with_local_priority(128),
                    erbest: *erbest,
                    ebest,
                    ebest_on_this_port: i == best,
                    port_state: PortState::Listening,
                    slave_only: false,
                    master_only: false,
                };
                let expected = if i == best {
                    RecommendedState::S1
                } else {
                    RecommendedState::M3
                };
                assert_eq!(bmca.decide(&input), expected);
            }
        }
    }

    #[test]
    fn bmca_g8275_1_grandmaster_only_class() {
        // A T-GM with class 6 stays PASSIVE (never SLAVE) when a better
        // T-GM is heard, and MASTER otherwise.
        let mut d0 = base();
        d0.gm_identity = id(30);
        d0.steps_removed = 0;
        d0.sender = port(30, 0);
        d0.receiver = port(30, 0);
        d0.gm_clock_quality.clock_class = 6;
        let mut heard = base();
        heard.gm_clock_quality.clock_class = 6;
        heard.gm_clock_quality.clock_accuracy = 0x20;
        heard.receiver = port(30, 1);
        let input = DecisionInput {
            d0,
            erbest: Some(heard),
            ebest: Some(heard),
            ebest_on_this_port: true,
            port_state: PortState::Master,
            slave_only: false,
            master_only: false,
        };
        assert_eq!(G8275Dot1Bmca.decide(&input), RecommendedState::P1);
        heard.gm_clock_quality.clock_accuracy = 0xfe;
        let input = DecisionInput {
            erbest: Some(heard),
            ebest: Some(heard),
            ..input
        };
        assert_eq!(G8275Dot1Bmca.decide(&input), RecommendedState::M1);
    }
}
