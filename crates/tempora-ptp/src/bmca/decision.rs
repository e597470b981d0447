//! The state decision algorithm (IEEE 1588-2019 §9.3.3, Figure 33) and the
//! choice of `Ebest` (§9.3.2.2).

use super::compare::{Comparison, compare};
use super::dataset::ComparisonDataSet;
use crate::datasets::PortState;

/// The state decision code the algorithm of IEEE 1588-2019 §9.3.3
/// (Figure 33) recommends for a port, with the data set updates of §9.3.5
/// it implies ([`apply_decision`](super::apply_decision)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecommendedState {
    /// BMC_MASTER, M1: the instance has clockClass 1–127 and `D0` beats the
    /// port's `Erbest`; it is grandmaster (§9.3.5, Table 30).
    M1,
    /// BMC_MASTER, M2: `D0` beats `Ebest`; the instance is grandmaster
    /// (§9.3.5, Table 30).
    M2,
    /// BMC_MASTER, M3: another port is SLAVE and this port serves its path
    /// as master; no data set changes (§9.3.5, Table 31).
    M3,
    /// BMC_PASSIVE, P1: the instance has clockClass 1–127 and the port's
    /// `Erbest` beats `D0`; no data set changes (§9.3.5, Table 32).
    P1,
    /// BMC_PASSIVE, P2: `Ebest` is better by topology than this port's
    /// `Erbest`: another port already follows that grandmaster; no data set
    /// changes (§9.3.5, Table 32).
    P2,
    /// BMC_SLAVE, S1: `Ebest` was received on this port; the instance
    /// follows it (§9.3.5, Table 33).
    S1,
    /// No decision: the port is LISTENING and has no qualified Announce
    /// (Figure 33's first test), or it is a slave-only port that may not take
    /// the recommended MASTER or PASSIVE state (§9.2.2.1). Stay LISTENING.
    Listening,
}

impl RecommendedState {
    /// M1, M2 or M3.
    pub fn is_master(self) -> bool {
        matches!(
            self,
            RecommendedState::M1 | RecommendedState::M2 | RecommendedState::M3
        )
    }

    /// P1 or P2.
    pub fn is_passive(self) -> bool {
        matches!(self, RecommendedState::P1 | RecommendedState::P2)
    }

    /// S1.
    pub fn is_slave(self) -> bool {
        self == RecommendedState::S1
    }

    /// M1 or M2: the instance is its own grandmaster (§9.3.5, Table 30).
    pub fn is_grandmaster(self) -> bool {
        matches!(self, RecommendedState::M1 | RecommendedState::M2)
    }

    /// The code as the standard writes it, e.g. `"M1"`.
    pub fn code(self) -> &'static str {
        match self {
            RecommendedState::M1 => "M1",
            RecommendedState::M2 => "M2",
            RecommendedState::M3 => "M3",
            RecommendedState::P1 => "P1",
            RecommendedState::P2 => "P2",
            RecommendedState::S1 => "S1",
            RecommendedState::Listening => "LISTENING",
        }
    }
}

/// Everything the state decision algorithm (IEEE 1588-2019 §9.3.3) needs for
/// one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecisionInput {
    /// `D0`, from `defaultDS` ([`ComparisonDataSet::from_default_ds`]).
    pub d0: ComparisonDataSet,
    /// This port's `Erbest` (§9.3.2.3), `None` when it has no qualified
    /// Announce.
    pub erbest: Option<ComparisonDataSet>,
    /// `Ebest`, the best `Erbest` over all ports (§9.3.2.2), see [`ebest`].
    pub ebest: Option<ComparisonDataSet>,
    /// Whether `Ebest` is this port's `Erbest` (received on this port).
    pub ebest_on_this_port: bool,
    /// The port's current state (`portDS.portState`).
    pub port_state: PortState,
    /// `defaultDS.slaveOnly` (§8.2.1.4.4, §9.2.2.1): the port never becomes
    /// MASTER or PASSIVE.
    pub slave_only: bool,
    /// `portDS.masterOnly` (§8.2.15.5.2, §9.2.2.2): the port never becomes
    /// SLAVE; the Announce messages it receives do not count for it.
    pub master_only: bool,
}

/// The state decision algorithm of IEEE 1588-2019 §9.3.3 (Figure 33) with
/// the default data set comparison ([`compare`]).
///
/// * No `Erbest` and the port is LISTENING: [`RecommendedState::Listening`].
/// * `D0`'s clockClass is 1–127: M1 if `D0` is better (or better by
///   topology) than `Erbest`, else P1.
/// * Otherwise M2 if `D0` is better than `Ebest`; else S1 if `Ebest` came in
///   on this port; else P2 if `Ebest` is better by topology than `Erbest`;
///   else M3.
///
/// An empty `Erbest` or `Ebest` loses every comparison. On a `masterOnly`
/// port (§9.2.2.2) the port's own `Erbest` is treated as empty, so the port
/// is recommended M1, M2 or M3. On a `slaveOnly` instance (§9.2.2.1) every
/// MASTER or PASSIVE recommendation becomes
/// [`RecommendedState::Listening`]: the slave-only state machine has neither
/// state.
pub fn state_decision(input: &DecisionInput) -> RecommendedState {
    state_decision_by(compare, input)
}

/// [`state_decision`] with another data set comparison, for alternate
/// BMCAs (§9.3.1) such as ITU-T G.8275.1's.
pub fn state_decision_by<F>(cmp: F, input: &DecisionInput) -> RecommendedState
where
    F: Fn(&ComparisonDataSet, &ComparisonDataSet) -> Comparison,
{
    if input.erbest.is_none() && input.port_state == PortState::Listening {
        return RecommendedState::Listening;
    }
    let (erbest, ebest_here) = if input.master_only {
        (None, false)
    } else {
        (input.erbest, input.ebest_on_this_port)
    };
    // "Is A better (or better by topology) than B?", where an absent B
    // always loses and an absent A never wins.
    let beats = |a: &ComparisonDataSet, b: Option<&ComparisonDataSet>| {
        b.is_none_or(|b| cmp(a, b).is_better())
    };
    let d0 = &input.d0;
    let recommended = if (1..=127).contains(&d0.gm_clock_quality.clock_class) {
        if beats(d0, erbest.as_ref()) {
            RecommendedState::M1
        } else {
            RecommendedState::P1
        }
    } else if beats(d0, input.ebest.as_ref()) {
        RecommendedState::M2
    } else if ebest_here {
        RecommendedState::S1
    } else {
        match (&input.ebest, &erbest) {
            (Some(e), Some(r)) if cmp(e, r) == Comparison::BetterByTopology => RecommendedState::P2,
            _ => RecommendedState::M3,
        }
    };
    if input.slave_only && recommended != RecommendedState::S1 {
        RecommendedState::Listening
    } else {
        recommended
    }
}

/// `Ebest` (IEEE 1588-2019 §9.3.2.2): the index of the best of the ports'
/// `Erbest` data sets by [`compare`], or `None` when no port has one. Pass
/// `None` for ports without an `Erbest`, and for `masterOnly` ports
/// (§9.2.2.2), whose Announce messages do not count. Of equal candidates
/// (an Error result) the first wins.
pub fn ebest(candidates: &[Option<ComparisonDataSet>]) -> Option<usize> {
    ebest_by(compare, candidates)
}

/// [`ebest`] with another data set comparison (alternate BMCA, §9.3.1).
pub fn ebest_by<F>(cmp: F, candidates: &[Option<ComparisonDataSet>]) -> Option<usize>
where
    F: Fn(&ComparisonDataSet, &ComparisonDataSet) -> Comparison,
{
    let mut best: Option<(usize, &ComparisonDataSet)> = None;
    for (i, candidate) in candidates.iter().enumerate() {
        if let Some(c) = candidate {
            match best {
                Some((_, b)) if !cmp(c, b).is_better() => {}
                _ => best = Some((i, c)),
            }
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bmca::compare::tests::{base, id, port};

    /// D0 of clock 30: class 248, priorities 128.
    fn d0() -> ComparisonDataSet {
        ComparisonDataSet {
            gm_identity: id(30),
            steps_removed: 0,
            sender: port(30, 0),
            receiver: port(30, 0),
            ..base()
        }
    }

    /// An Announce for grandmaster `gm` with class `class` received on our
    /// port `rx`, `steps` away, from clock `from`.
    fn heard(gm: u8, class: u8, steps: u16, from: u8, rx: u16) -> ComparisonDataSet {
        let mut ds = base();
        ds.gm_identity = id(gm);
        ds.gm_clock_quality.clock_class = class;
        ds.steps_removed = steps;
        ds.sender = port(from, 1);
        ds.receiver = port(30, rx);
        ds
    }

    fn input(d0: ComparisonDataSet) -> DecisionInput {
        DecisionInput {
            d0,
            erbest: None,
            ebest: None,
            ebest_on_this_port: false,
            port_state: PortState::Master,
            slave_only: false,
            master_only: false,
        }
    }

    fn gm_d0(class: u8) -> ComparisonDataSet {
        let mut d = d0();
        d.gm_clock_quality.clock_class = class;
        d
    }

    #[test]
    fn bmca_decision_table() {
        let better_gm = heard(1, 6, 1, 10, 1);
        let worse_gm = heard(40, 250, 1, 10, 1);
        // Same grandmaster as better_gm, heard on port 2 one step further
        // from a sender (clock 11) below our identity (clock 30).
        let better_gm_far = heard(1, 6, 2, 11, 2);
        // Same grandmaster as better_gm, heard on port 2 at the same
        // distance from a sender with a higher identity.
        let better_gm_port2_same_steps = heard(1, 6, 1, 12, 2);
        #[rustfmt::skip]
        let rows: &[(&str, DecisionInput, RecommendedState)] = &[
            ("listening, no Erbest: stay",
             DecisionInput { port_state: PortState::Listening, ..input(d0()) },
             RecommendedState::Listening),
            ("listening, no Erbest, Ebest elsewhere: stay",
             DecisionInput { port_state: PortState::Listening, ebest: Some(better_gm), ..input(d0()) },
             RecommendedState::Listening),
            ("class<=127, D0 better than Erbest: M1",
             DecisionInput { erbest: Some(heard(1, 7, 1, 10, 1)), ebest: Some(heard(1, 7, 1, 10, 1)), ebest_on_this_port: true, ..input(gm_d0(6)) },
             RecommendedState::M1),
            ("class<=127, no Erbest: M1",
             input(gm_d0(6)),
             RecommendedState::M1),
            ("class<=127, Erbest better: P1",
             DecisionInput { erbest: Some(better_gm), ebest: Some(better_gm), ebest_on_this_port: true, ..input(gm_d0(7)) },
             RecommendedState::P1),
            ("class 0 is not grandmaster-only: D0 vs Ebest",
             DecisionInput { erbest: Some(better_gm), ebest: Some(better_gm), ebest_on_this_port: true, ..input(gm_d0(0)) },
             RecommendedState::M2),
            ("class 128, D0 better than Ebest: M2",
             DecisionInput { erbest: Some(worse_gm), ebest: Some(worse_gm), ebest_on_this_port: true, ..input(gm_d0(128)) },
             RecommendedState::M2),
            ("no Erbest, no Ebest, not listening: M2",
             input(d0()),
             RecommendedState::M2),
            ("Ebest better, received here: S1",
             DecisionInput { erbest: Some(better_gm), ebest: Some(better_gm), ebest_on_this_port: true, ..input(d0()) },
             RecommendedState::S1),
            ("Ebest better by topology than Erbest: P2",
             DecisionInput { erbest: Some(better_gm_port2_same_steps), ebest: Some(better_gm), ..input(d0()) },
             RecommendedState::P2),
            ("Ebest better (same GM, 2 steps closer) than Erbest: M3",
             DecisionInput { erbest: Some(heard(1, 6, 3, 11, 2)), ebest: Some(better_gm), ..input(d0()) },
             RecommendedState::M3),
            ("Ebest one step closer, Erbest receiver above its sender: P2",
             DecisionInput { erbest: Some(better_gm_far), ebest: Some(better_gm), ..input(d0()) },
             RecommendedState::P2),
            ("Ebest one step closer, Erbest receiver below its sender: M3",
             DecisionInput { erbest: Some(heard(1, 6, 2, 40, 2)), ebest: Some(better_gm), ..input(d0()) },
             RecommendedState::M3),
            ("Erbest from worse GM: M3",
             DecisionInput { erbest: Some(worse_gm), ebest: Some(better_gm), ..input(d0()) },
             RecommendedState::M3),
            ("no Erbest, Ebest elsewhere: M3",
             DecisionInput { ebest: Some(better_gm), ..input(d0()) },
             RecommendedState::M3),
            ("slaveOnly, Ebest here: S1",
             DecisionInput { erbest: Some(better_gm), ebest: Some(better_gm), ebest_on_this_port: true, slave_only: true, ..input(d0()) },
             RecommendedState::S1),
            ("slaveOnly, would be M2: LISTENING",
             DecisionInput { slave_only: true, ..input(d0()) },
             RecommendedState::Listening),
            ("slaveOnly, would be M3: LISTENING",
             DecisionInput { erbest: Some(worse_gm), ebest: Some(better_gm), slave_only: true, ..input(d0()) },
             RecommendedState::Listening),
            ("slaveOnly, would be P2: LISTENING",
             DecisionInput { erbest: Some(better_gm_port2_same_steps), ebest: Some(better_gm), slave_only: true, ..input(d0()) },
             RecommendedState::Listening),
            ("masterOnly, would be S1: M3",
             DecisionInput { erbest: Some(better_gm), ebest: Some(better_gm), ebest_on_this_port: true, master_only: true, ..input(d0()) },
             RecommendedState::M3),
            ("masterOnly, would be P2: M3",
             DecisionInput { erbest: Some(better_gm_port2_same_steps), ebest: Some(better_gm), master_only: true, ..input(d0()) },
             RecommendedState::M3),
            ("masterOnly, class<=127, would be P1: M1",
             DecisionInput { erbest: Some(better_gm), ebest: Some(better_gm), master_only: true, ..input(gm_d0(7)) },
             RecommendedState::M1),
            ("masterOnly, D0 best: M2",
             DecisionInput { erbest: Some(worse_gm), ebest: Some(worse_gm), master_only: true, ..input(d0()) },
             RecommendedState::M2),
            ("masterOnly, listening, no Erbest: stay",
             DecisionInput { port_state: PortState::Listening, master_only: true, ..input(d0()) },
             RecommendedState::Listening),
        ];
        for (name, inp, expected) in rows {
            assert_eq!(state_decision(inp), *expected, "{name}");
        }
    }

    #[test]
    fn bmca_decision_state_predicates() {
        use RecommendedState::*;
        assert!(M1.is_master() && M1.is_grandmaster() && M2.is_grandmaster());
        assert!(M3.is_master() && !M3.is_grandmaster());
        assert!(P1.is_passive() && P2.is_passive() && !P2.is_master());
        assert!(S1.is_slave() && !Listening.is_slave() && !Listening.is_master());
        assert_eq!(P2.code(), "P2");
        assert_eq!(Listening.code(), "LISTENING");
    }

    #[test]
    fn bmca_ebest_picks_best_over_ports() {
        let a = heard(1, 6, 2, 10, 1);
        let b = heard(1, 6, 1, 11, 2);
        let c = heard(2, 248, 0, 12, 3);
        assert_eq!(ebest(&[]), None);
        assert_eq!(ebest(&[None, None]), None);
        assert_eq!(ebest(&[None, Some(c)]), Some(1));
        assert_eq!(ebest(&[Some(a), Some(b), Some(c)]), Some(1));
        assert_eq!(ebest(&[Some(c), None, Some(a)]), Some(2));
        // Same grandmaster, same steps: lower sender identity by topology.
        let d = heard(1, 6, 1, 9, 3);
        assert_eq!(ebest(&[Some(b), Some(d)]), Some(1));
        // Equal data sets (Error-2): the first stays.
        assert_eq!(ebest(&[Some(b), Some(b)]), Some(0));
    }
}
