//! Port states and the BMCA's place in them: the state machine of
//! IEEE 1588-2019 §9.2.5 (Figures 30 and 31), driven by the state decision
//! algorithm (§9.3.3) and the data set updates (§9.3.5).

use alloc::vec::Vec;

use tempora_clock::{Duration, Time};

use crate::bmca::{self, Bmca, ComparisonDataSet, RecommendedState};
use crate::datasets::{CurrentDs, ParentDs, PortState};
use crate::wire::{AnnounceBody, Header};

use super::{Action, PortIndex, PtpInstance, Timer};

impl PtpInstance {
    /// Moves a port to `new`, stopping the duties of the state it leaves and
    /// starting those of the state it enters.
    pub(super) fn set_state(&mut self, now: Time, port: PortIndex, new: PortState) {
        let old = self.ports[port].state();
        if old == new {
            return;
        }
        let slave_like = |s: PortState| matches!(s, PortState::Slave | PortState::Uncalibrated);
        if old == PortState::Master {
            self.stop_master(port);
        }
        if slave_like(old) && !slave_like(new) {
            self.stop_slave(port);
        }
        if old == PortState::PreMaster {
            self.cancel_timer(Timer::Qualification(port));
        }
        self.ports[port].ds.port_state = new;
        self.auth.on_state(port, new);
        self.actions.push_back(Action::StateChange {
            port,
            from: old,
            to: new,
        });
        match new {
            PortState::Master => self.start_master(now, port),
            PortState::Uncalibrated if !slave_like(old) => self.start_slave(now, port),
            _ => {}
        }
        match new {
            PortState::Listening | PortState::Passive => self.arm_announce_receipt(now, port),
            PortState::Uncalibrated if !slave_like(old) => self.arm_announce_receipt(now, port),
            PortState::Master | PortState::PreMaster | PortState::Disabled | PortState::Faulty => {
                self.cancel_timer(Timer::AnnounceReceipt(port))
            }
            _ => {}
        }
    }

    /// Arms ANNOUNCE_RECEIPT_TIMEOUT: announceReceiptTimeout announce
    /// intervals plus a random part of up to one interval (§9.2.6.12), so
    /// that clocks started together do not all claim MASTER at once.
    fn arm_announce_receipt(&mut self, now: Time, port: PortIndex) {
        if self.default_ds.instance_type.is_transparent()
            || self.ports[port].config.static_role.is_some()
        {
            // A transparent clock's ports forward, a static port keeps its
            // role: neither has a master to lose.
            return;
        }
        let ds = self.ports[port].ds;
        let interval = Duration::from_log2_secs(ds.log_announce_interval);
        let timeout = interval * i64::from(ds.announce_receipt_timeout)
            + self.random_part(ds.log_announce_interval);
        self.set_timer(Timer::AnnounceReceipt(port), now + timeout);
    }

    pub(super) fn on_announce(&mut self, now: Time, port: PortIndex, h: &Header, a: &AnnounceBody) {
        let state = self.ports[port].state();
        if matches!(
            state,
            PortState::Initializing | PortState::Faulty | PortState::Disabled
        ) {
            return;
        }
        let log_interval = self.ports[port].ds.log_announce_interval;
        let acceptable = self.acceptable.get(port).filter(|t| t.enabled);
        if self.foreign[port]
            .record(now, h, a, log_interval, acceptable)
            .is_err()
        {
            return;
        }
        let from_parent = h.source_port_identity == self.parent_ds.parent_port_identity;
        match state {
            PortState::Slave | PortState::Uncalibrated if from_parent => {
                self.arm_announce_receipt(now, port);
                // §9.3.5 Table 33: the time properties follow the parent's Announce.
                // (held back by the UTC offset gate when it jumps).
                let tp = bmca::time_properties_from_announce(h, a);
                let same = a.grandmaster_identity == self.parent_ds.grandmaster_identity;
                self.take_time_properties(now, tp, same);
            }
            PortState::Listening | PortState::Passive => self.arm_announce_receipt(now, port),
            _ => {}
        }
        self.state_decision(now);
    }

    pub(super) fn on_announce_receipt_timeout(&mut self, now: Time, port: PortIndex) {
        let Some(p) = self.ports.get(port) else {
            return;
        };
        if !matches!(
            p.state(),
            PortState::Listening | PortState::Uncalibrated | PortState::Slave | PortState::Passive
        ) {
            return;
        }
        // ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES (§9.2.6.12): the masters heard on
        // this port are gone.
        self.foreign[port].clear();
        if self.default_ds.slave_only {
            self.set_state(now, port, PortState::Listening);
            self.arm_announce_receipt(now, port);
        } else {
            self.set_state(now, port, PortState::Master);
        }
        self.state_decision(now);
    }

    pub(super) fn on_qualification_timeout(&mut self, now: Time, port: PortIndex) {
        if self.ports.get(port).map(|p| p.state()) == Some(PortState::PreMaster) {
            self.set_state(now, port, PortState::Master);
        }
    }

    /// A STATE_DECISION_EVENT (§9.2.6.8): runs the state decision algorithm
    /// for every port and applies its recommendations.
    pub(super) fn state_decision(&mut self, now: Time) {
        if self.default_ds.instance_type.is_transparent() {
            return;
        }
        // The comparison of the configured BMCA: IEEE 1588's or an alternate
        // one (§9.3.1).
        let kind = self.bmca;
        let cmp = |a: &ComparisonDataSet, b: &ComparisonDataSet| kind.compare(a, b);
        let d0 = ComparisonDataSet::from_default_ds(&self.default_ds);
        let erbests: Vec<_> = (0..self.ports.len())
            .map(|i| {
                let p = &self.ports[i];
                if matches!(
                    p.state(),
                    PortState::Initializing | PortState::Faulty | PortState::Disabled
                ) {
                    None
                } else {
                    self.foreign[i].erbest_by(now, p.identity(), p.config.local_priority, cmp)
                }
            })
            .collect();
        // masterOnly ports do not take part in choosing Ebest (§9.2.2.2).
        let candidates: Vec<Option<ComparisonDataSet>> = erbests
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.filter(|_| !self.ports[i].ds.master_only)
                    .map(|(ds, _)| ds)
            })
            .collect();
        let ebest_port = bmca::ebest_by(cmp, &candidates);
        let ebest = ebest_port.and_then(|i| erbests.get(i).copied().flatten());
        for (i, erbest) in erbests.iter().enumerate() {
            let state = self.ports[i].state();
            if matches!(
                state,
                PortState::Initializing | PortState::Faulty | PortState::Disabled
            ) || self.ports[i].config.static_role.is_some()
            {
                continue;
            }
            let recommendation = bmca::state_decision_by(
                cmp,
                &bmca::DecisionInput {
                    d0,
                    erbest: erbest.map(|(ds, _)| ds),
                    ebest: ebest.map(|(ds, _)| ds),
                    ebest_on_this_port: ebest_port == Some(i),
                    port_state: state,
                    slave_only: self.default_ds.slave_only,
                    master_only: self.ports[i].ds.master_only,
                },
            );
            self.apply(now, i, recommendation, ebest.as_ref());
        }
        for i in 0..self.ports.len() {
            self.unicast_select(now, i);
        }
    }

    fn apply(
        &mut self,
        now: Time,
        port: PortIndex,
        recommendation: RecommendedState,
        ebest: Option<&(ComparisonDataSet, bmca::AnnounceRecord)>,
    ) {
        let state = self.ports[port].state();
        match recommendation {
            RecommendedState::Listening => {}
            RecommendedState::M1 | RecommendedState::M2 => {
                self.become_grandmaster();
                self.recommend_master(now, port, 0);
            }
            RecommendedState::M3 => {
                let n = i64::from(self.current_ds.steps_removed) + 1;
                self.recommend_master(now, port, n);
            }
            RecommendedState::P1 | RecommendedState::P2 => {
                self.set_state(now, port, PortState::Passive)
            }
            RecommendedState::S1 => {
                let Some((_, record)) = ebest else { return };
                let new_parent = record.header.source_port_identity;
                let changed = new_parent != self.parent_ds.parent_port_identity;
                self.follow(now, record);
                match state {
                    PortState::Slave | PortState::Uncalibrated if !changed => {}
                    PortState::Slave | PortState::Uncalibrated => {
                        // A new master: start over (§9.2.5, Figure 31).
                        self.set_state(now, port, PortState::Listening);
                        self.set_state(now, port, PortState::Uncalibrated);
                    }
                    _ => self.set_state(now, port, PortState::Uncalibrated),
                }
            }
        }
    }

    /// Recommended MASTER: through PRE_MASTER for `n` announce intervals
    /// (the qualification timeout, §9.2.6.11), or directly when `n` is 0.
    fn recommend_master(&mut self, now: Time, port: PortIndex, n: i64) {
        let state = self.ports[port].state();
        if matches!(state, PortState::Master | PortState::PreMaster) {
            return;
        }
        if n == 0 {
            self.set_state(now, port, PortState::Master);
            return;
        }
        self.set_state(now, port, PortState::PreMaster);
        let interval = Duration::from_log2_secs(self.ports[port].ds.log_announce_interval);
        self.set_timer(Timer::Qualification(port), now + interval * n);
    }

    /// §9.3.5 Table 30: the instance is the grandmaster.
    fn become_grandmaster(&mut self) {
        let own = ParentDs::own(&self.default_ds);
        if self.parent_ds != own {
            self.parent_ds = own;
            self.actions.push_back(Action::ParentChanged {
                parent: own.parent_port_identity,
            });
        }
        self.current_ds = CurrentDs::default();
        if self.time_properties_ds != self.own_time_properties {
            self.time_properties_ds = self.own_time_properties;
            self.actions
                .push_back(Action::TimeProperties(self.time_properties_ds));
        }
    }

    /// §9.3.5 Table 33: follow the master of `record` (its time properties
    /// through the UTC offset gate).
    fn follow(&mut self, now: Time, record: &bmca::AnnounceRecord) {
        let before = self.parent_ds.parent_port_identity;
        let same_grandmaster = self.parent_ds.grandmaster_identity
            == record.body.grandmaster_identity
            && self.parent_ds.grandmaster_identity != self.default_ds.clock_identity;
        let mut tp = self.time_properties_ds;
        bmca::update_as_slave(
            &record.header,
            &record.body,
            &mut self.current_ds,
            &mut self.parent_ds,
            &mut tp,
        );
        if before != self.parent_ds.parent_port_identity {
            self.actions.push_back(Action::ParentChanged {
                parent: self.parent_ds.parent_port_identity,
            });
        }
        self.take_time_properties(now, tp, same_grandmaster);
    }
}
