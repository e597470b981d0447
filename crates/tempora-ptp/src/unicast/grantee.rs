//! The grantee: the slave side of unicast negotiation and discovery
//! (IEEE 1588-2019 §16.1.2, §16.1.3, §16.1.4.1).

use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Debug;

use tempora_clock::{Duration, Time};

use super::{
    CANCEL_MAINTAIN_GRANT, GRANT_RENEWAL_INVITED, NegotiableType, NegotiationTlv, SendSignaling,
    cancel_value, push_tlv, secs,
};
use crate::datasets::DelayMechanism;
use crate::wire::PortIdentity;
use crate::wire::tlv::{
    CancelUnicastTransmission, GrantUnicastTransmission, RequestUnicastTransmission,
};

/// The unicast master table of a port (IEEE 1588-2019 §16.1.3, unicast
/// discovery): the addresses of the masters to ask for Announce, and how
/// often to ask again while unanswered or denied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnicastMasterTable<A> {
    /// `logQueryInterval`: log2 of the seconds between requests to a master
    /// that has not granted them (§16.1.3). linuxptp's default is 0 (1 s).
    /// Values are used within −7..=16 (8 ms to about 18 h).
    pub log_query_interval: i8,
    /// The masters' transport addresses, in order of preference; repeats
    /// are ignored.
    pub masters: Vec<A>,
}

/// Configuration of a [`Grantee`]: what it asks for (IEEE 1588-2019
/// §16.1.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GranteeConfig {
    /// `durationField` requested, in seconds. Default 300 s, the default of
    /// ITU-T G.8265.1 and G.8275.2 (linuxptp asks for 3600 s).
    pub duration: u32,
    /// `logInterMessagePeriod` requested for Announce.
    pub log_announce_interval: i8,
    /// `logInterMessagePeriod` requested for Sync.
    pub log_sync_interval: i8,
    /// `logInterMessagePeriod` requested for Delay_Resp or Pdelay_Resp
    /// (the port's `logMinDelayReqInterval` or `logMinPdelayReqInterval`).
    pub log_delay_interval: i8,
    /// The port's delay mechanism: E2E asks the selected master for
    /// Delay_Resp, P2P for Pdelay_Resp, any other for neither.
    pub delay_mechanism: DelayMechanism,
    /// How many times a CANCEL is sent again, a query interval apart, while
    /// no acknowledgement comes (§16.1.4.3); 0 sends it once.
    pub cancel_retries: u8,
}

impl Default for GranteeConfig {
    /// 300 s grants; Announce every 2 s, Sync and Delay_Resp every second
    /// (the default profile's defaults, Annex I.3); E2E; a cancel sent up to
    /// four times.
    fn default() -> Self {
        GranteeConfig {
            duration: 300,
            log_announce_interval: 1,
            log_sync_interval: 0,
            log_delay_interval: 0,
            delay_mechanism: DelayMechanism::E2e,
            cancel_retries: 3,
        }
    }
}

impl GranteeConfig {
    /// The negotiable type carrying the delay measurement, if any.
    fn delay_type(&self) -> Option<NegotiableType> {
        match self.delay_mechanism {
            DelayMechanism::E2e => Some(NegotiableType::DelayResp),
            DelayMechanism::P2p => Some(NegotiableType::PdelayResp),
            _ => None,
        }
    }

    /// The interval requested for `t`.
    fn log_interval(&self, t: NegotiableType) -> i8 {
        match t {
            NegotiableType::Announce => self.log_announce_interval,
            NegotiableType::Sync => self.log_sync_interval,
            NegotiableType::DelayResp | NegotiableType::PdelayResp => self.log_delay_interval,
        }
    }
}

/// A grant held from a master (IEEE 1588-2019 §16.1.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeldGrant {
    /// The granted `logInterMessagePeriod`: what to expect, and for
    /// Delay_Resp how often Delay_Req may be sent.
    pub log_interval: i8,
    /// When the grant lapses unless renewed.
    pub expires: Time,
    /// Whether the grantor invited renewal (the `R` flag).
    pub renewal_invited: bool,
}

/// The renewal point as a fraction of the granted duration: a grant is
/// renewed once 3/4 of it have passed, as linuxptp's
/// `unicast_client_set_renewal` does, leaving a quarter of the grant (75 s
/// of 300 s) for retries every query interval (§16.1.2: the grantee renews
/// before the grant lapses).
pub const RENEWAL_NUMERATOR: u64 = 3;
/// See [`RENEWAL_NUMERATOR`].
pub const RENEWAL_DENOMINATOR: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Not wanted, nothing held.
    Idle,
    /// Wanted, not held: request at `next`, then every query interval.
    Requesting { next: Time },
    /// Held: renew at `renew_at`, then every query interval until
    /// answered or lapsed.
    Granted { grant: HeldGrant, renew_at: Time },
    /// Held but no longer wanted: CANCEL sent at `next`, then again a
    /// query interval later while no acknowledgement comes, `sends_left`
    /// times in all.
    Cancelling { next: Time, sends_left: u8 },
}

impl Slot {
    fn next_event(&self) -> Option<Time> {
        match *self {
            Slot::Idle => None,
            Slot::Requesting { next } | Slot::Cancelling { next, .. } => Some(next),
            Slot::Granted { grant, renew_at } => Some(renew_at.min(grant.expires)),
        }
    }
}

#[derive(Debug, Clone)]
struct Master<A> {
    address: A,
    port_identity: Option<PortIdentity>,
    slots: [Slot; 4],
}

/// The slave side of unicast negotiation (IEEE 1588-2019 §16.1.2–§16.1.4)
/// with unicast discovery (§16.1.3).
///
/// For every master in the [`UnicastMasterTable`] it requests Announce,
/// repeating the request every `2^logQueryInterval` s until granted, and
/// renews each grant when 3/4 of it have passed. Once the caller reports
/// that the BMCA selected a master ([`Grantee::set_selected`]), it also
/// requests Sync and Delay_Resp (E2E) or Pdelay_Resp (P2P) from it, and
/// cancels those from the master selected before. A master's CANCEL is
/// acknowledged and the grant requested again a query interval later.
/// [`Grantee::cancel_all`] gives everything up.
///
/// Everything it sends comes out of [`Grantee::poll`] (and
/// [`Grantee::cancel_all`], [`Grantee::handle_cancel`]), one Signaling
/// message per master, types in the order of [`NegotiableType::ALL`] and
/// masters in table order.
#[derive(Debug, Clone)]
pub struct Grantee<A> {
    config: GranteeConfig,
    query_interval: Duration,
    masters: Vec<Master<A>>,
    selected: Option<A>,
    running: bool,
}

impl<A: Copy + Eq + Ord + Debug> Grantee<A> {
    /// A grantee that starts asking every master in `table` for Announce at
    /// `now` (§16.1.3).
    pub fn new(config: GranteeConfig, table: &UnicastMasterTable<A>, now: Time) -> Self {
        let mut masters: Vec<Master<A>> = Vec::new();
        for &address in &table.masters {
            if masters.iter().all(|m| m.address != address) {
                masters.push(Master {
                    address,
                    port_identity: None,
                    slots: [Slot::Idle; 4],
                });
            }
        }
        let mut g = Grantee {
            config,
            query_interval: Duration::from_log2_secs(table.log_query_interval.clamp(-7, 16)),
            masters,
            selected: None,
            running: true,
        };
        g.reconcile(now);
        g
    }

    /// The configuration.
    pub fn config(&self) -> &GranteeConfig {
        &self.config
    }

    /// `2^logQueryInterval` seconds (§16.1.3).
    pub fn query_interval(&self) -> Duration {
        self.query_interval
    }

    /// The masters of the table, in order.
    pub fn masters(&self) -> impl Iterator<Item = A> + '_ {
        self.masters.iter().map(|m| m.address)
    }

    /// Whether `address` is in the master table, i.e. whether negotiation
    /// messages from it are for us (§16.1.3).
    pub fn is_master(&self, address: A) -> bool {
        self.master(address).is_some()
    }

    /// The port identity a master last granted from, if it has.
    pub fn master_port_identity(&self, address: A) -> Option<PortIdentity> {
        self.master(address).and_then(|m| m.port_identity)
    }

    /// The master selected by [`Grantee::set_selected`].
    pub fn selected(&self) -> Option<A> {
        self.selected
    }

    /// The grant of `t` held from `master` at `now`, if any (§16.1.4.2).
    pub fn grant(&self, now: Time, master: A, t: NegotiableType) -> Option<HeldGrant> {
        let m = self.master(master)?;
        match m.slots[t.index()] {
            Slot::Granted { grant, .. } if grant.expires > now => Some(grant),
            _ => None,
        }
    }

    /// Tells the grantee which master the BMCA selected for this port (the
    /// port is SLAVE or UNCALIBRATED towards it), or `None`. From the
    /// selected master Sync and the delay type are requested as well as
    /// Announce (§16.1.2); those of a master no longer selected are
    /// cancelled (§16.1.4.3). An address outside the table selects none.
    /// The requests and cancels come out of the next [`Grantee::poll`].
    pub fn set_selected(&mut self, now: Time, master: Option<A>) {
        self.selected = master.filter(|a| self.is_master(*a));
        self.reconcile(now);
    }

    /// Handles a GRANT_UNICAST_TRANSMISSION (§16.1.4.2) from the port
    /// `source` at `from`. Grants from addresses outside the table are
    /// ignored. A grant with a non-zero duration is held until it lapses
    /// and renewed when 3/4 of it have passed if the grantor invited renewal
    /// (otherwise requested again when it lapses); a denial (duration 0)
    /// makes the grantee ask again a query interval later, keeping any
    /// grant still running. A grant of something no longer wanted is
    /// cancelled.
    pub fn handle_grant(
        &mut self,
        now: Time,
        from: A,
        source: PortIdentity,
        tlv: &GrantUnicastTransmission,
    ) {
        let Some(t) = NegotiableType::from_message_type(tlv.message_type()) else {
            return;
        };
        let query = self.query_interval;
        let sends = self.config.cancel_retries.saturating_add(1);
        let wanted = self.wanted(from, t);
        let Some(m) = self.master_mut(from) else {
            return;
        };
        let slot = &mut m.slots[t.index()];
        if tlv.duration == 0 {
            match slot {
                Slot::Granted { grant, renew_at } if grant.expires > now => {
                    *renew_at = now + query;
                }
                Slot::Granted { .. } | Slot::Requesting { .. } => {
                    *slot = Slot::Requesting { next: now + query };
                }
                Slot::Idle | Slot::Cancelling { .. } => {}
            }
            return;
        }
        m.port_identity = Some(source);
        if !wanted {
            if *slot == Slot::Idle {
                *slot = Slot::Cancelling {
                    next: now,
                    sends_left: sends,
                };
            }
            return;
        }
        let length = secs(tlv.duration);
        let expires = now + length;
        let renewal_invited = tlv.flags & GRANT_RENEWAL_INVITED != 0;
        let renew_at = if renewal_invited {
            let scaled = u64::from(tlv.duration) * RENEWAL_NUMERATOR;
            now + Duration::from_millis((scaled * 1000 / RENEWAL_DENOMINATOR) as i64)
        } else {
            expires
        };
        *slot = Slot::Granted {
            grant: HeldGrant {
                log_interval: tlv.log_inter_message_period,
                expires,
                renewal_invited,
            },
            renew_at,
        };
    }

    /// Handles a CANCEL_UNICAST_TRANSMISSION (§16.1.4.3) from the master
    /// port `source` at `from`: the grant of that type ends, is requested
    /// again a query interval later if still wanted, and the
    /// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4) to send back is
    /// returned. Cancels from outside the table, of types that cannot be
    /// negotiated, or with
    /// [`CANCEL_MAINTAIN_GRANT`](super::CANCEL_MAINTAIN_GRANT) set (the
    /// sender ends its requests, not its grants) are left alone: `None`.
    pub fn handle_cancel(
        &mut self,
        now: Time,
        from: A,
        source: PortIdentity,
        tlv: &CancelUnicastTransmission,
    ) -> Option<SendSignaling<A>> {
        if tlv.message_type_octet & CANCEL_MAINTAIN_GRANT != 0 {
            return None;
        }
        let t = NegotiableType::from_message_type(tlv.message_type())?;
        let query = self.query_interval;
        let wanted = self.wanted(from, t);
        let m = self.master_mut(from)?;
        let slot = &mut m.slots[t.index()];
        *slot = if wanted {
            Slot::Requesting { next: now + query }
        } else {
            Slot::Idle
        };
        let tlvs = vec![NegotiationTlv::AcknowledgeCancel(
            CancelUnicastTransmission {
                message_type_octet: tlv.message_type_octet,
                reserved: 0,
            },
        )];
        Some(SendSignaling {
            to: from,
            target: source,
            tlvs,
        })
    }

    /// Handles an ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4) from
    /// `from`: a cancel of ours is complete. Returns whether one was
    /// pending.
    pub fn handle_acknowledge_cancel(&mut self, from: A, tlv: &CancelUnicastTransmission) -> bool {
        let Some(t) = NegotiableType::from_message_type(tlv.message_type()) else {
            return false;
        };
        let Some(m) = self.master_mut(from) else {
            return false;
        };
        let slot = &mut m.slots[t.index()];
        if matches!(slot, Slot::Cancelling { .. }) {
            *slot = Slot::Idle;
            true
        } else {
            false
        }
    }

    /// Handles every negotiation TLV of one Signaling message from `source`
    /// at `from` (§16.1.4) and returns the answer, if any: acknowledgements
    /// of cancels. REQUEST TLVs are for the grantor side and are ignored.
    pub fn handle_tlvs<I>(
        &mut self,
        now: Time,
        from: A,
        source: PortIdentity,
        tlvs: I,
    ) -> Option<SendSignaling<A>>
    where
        I: IntoIterator<Item = NegotiationTlv>,
    {
        let mut out = Vec::new();
        for tlv in tlvs {
            match tlv {
                NegotiationTlv::Grant(g) => self.handle_grant(now, from, source, &g),
                NegotiationTlv::Cancel(c) => {
                    if let Some(ack) = self.handle_cancel(now, from, source, &c) {
                        for a in ack.tlvs {
                            push_tlv(&mut out, from, source, a);
                        }
                    }
                }
                NegotiationTlv::AcknowledgeCancel(c) => {
                    self.handle_acknowledge_cancel(from, &c);
                }
                NegotiationTlv::Request(_) => {}
            }
        }
        out.pop()
    }

    /// When [`Grantee::poll`] next has something to send.
    pub fn next_timeout(&self) -> Option<Time> {
        self.masters
            .iter()
            .flat_map(|m| m.slots.iter().filter_map(Slot::next_event))
            .min()
    }

    /// Sends what is due at `now` (§16.1.2–§16.1.4): requests not yet
    /// granted (every query interval), renewals (from 3/4 of a grant on,
    /// every query interval), requests for grants that lapsed, and cancels
    /// not yet acknowledged (a query interval apart, up to
    /// [`GranteeConfig::cancel_retries`] more times).
    pub fn poll(&mut self, now: Time) -> Vec<SendSignaling<A>> {
        let query = self.query_interval;
        let config = self.config;
        let mut out = Vec::new();
        for m in &mut self.masters {
            // Messages go to the master's port while it holds (or we are
            // cancelling) a grant; otherwise, e.g. when it may have
            // restarted, to all its ports (§13.12.1).
            let known = m.slots.iter().any(|s| match s {
                Slot::Granted { grant, .. } => grant.expires > now,
                Slot::Cancelling { .. } => true,
                _ => false,
            });
            let target = match m.port_identity {
                Some(p) if known => p,
                _ => PortIdentity::ALL,
            };
            for t in NegotiableType::ALL {
                let slot = &mut m.slots[t.index()];
                // A grant that lapsed is requested again, no earlier than a
                // renewal retry would have been.
                if let Slot::Granted { grant, renew_at } = *slot
                    && grant.expires <= now
                {
                    *slot = Slot::Requesting { next: renew_at };
                }
                let tlv = match slot {
                    Slot::Idle => None,
                    Slot::Requesting { next } | Slot::Granted { renew_at: next, .. } => {
                        if *next > now {
                            None
                        } else {
                            *next = now + query;
                            Some(NegotiationTlv::Request(RequestUnicastTransmission {
                                message_type_octet: t.octet(0),
                                log_inter_message_period: config.log_interval(t),
                                duration: config.duration,
                            }))
                        }
                    }
                    Slot::Cancelling { next, sends_left } => {
                        if *next > now {
                            None
                        } else if *sends_left == 0 {
                            *slot = Slot::Idle;
                            None
                        } else {
                            *sends_left -= 1;
                            *next = now + query;
                            Some(NegotiationTlv::Cancel(cancel_value(
                                t,
                                CANCEL_MAINTAIN_GRANT,
                            )))
                        }
                    }
                };
                if let Some(tlv) = tlv {
                    push_tlv(&mut out, m.address, target, tlv);
                }
            }
        }
        out
    }

    /// Gives up unicast service (§16.1.4.3): every grant held is cancelled,
    /// pending requests are dropped, no master is selected, and nothing is
    /// requested until [`Grantee::restart`]. Returns the CANCEL messages to
    /// send now (with
    /// [`CANCEL_MAINTAIN_GRANT`](super::CANCEL_MAINTAIN_GRANT) set, since
    /// only our requests end); [`Grantee::poll`] repeats them until
    /// acknowledged.
    pub fn cancel_all(&mut self, now: Time) -> Vec<SendSignaling<A>> {
        self.running = false;
        self.selected = None;
        self.reconcile(now);
        self.poll(now)
    }

    /// Starts discovery again after [`Grantee::cancel_all`]: Announce is
    /// requested from every master from `now` (§16.1.3).
    pub fn restart(&mut self, now: Time) {
        self.running = true;
        self.reconcile(now);
    }

    fn master(&self, address: A) -> Option<&Master<A>> {
        self.masters.iter().find(|m| m.address == address)
    }

    fn master_mut(&mut self, address: A) -> Option<&mut Master<A>> {
        self.masters.iter_mut().find(|m| m.address == address)
    }

    /// Whether `t` is wanted from `master`: Announce from every master while
    /// running, Sync and the delay type from the selected one (§16.1.2).
    fn wanted(&self, master: A, t: NegotiableType) -> bool {
        wanted(
            self.running,
            self.selected,
            self.config.delay_type(),
            master,
            t,
        )
    }

    /// Brings every slot in line with what is wanted: wanted and not held
    /// is requested from `now`, held and not wanted is cancelled from
    /// `now`, requested and not wanted is dropped.
    fn reconcile(&mut self, now: Time) {
        let sends = self.config.cancel_retries.saturating_add(1);
        let (running, selected, delay) = (self.running, self.selected, self.config.delay_type());
        for m in &mut self.masters {
            for t in NegotiableType::ALL {
                let want = wanted(running, selected, delay, m.address, t);
                let slot = &mut m.slots[t.index()];
                *slot = match (*slot, want) {
                    (Slot::Idle | Slot::Cancelling { .. }, true) => Slot::Requesting { next: now },
                    (Slot::Granted { grant, .. }, false) if grant.expires > now => {
                        Slot::Cancelling {
                            next: now,
                            sends_left: sends,
                        }
                    }
                    (Slot::Granted { .. } | Slot::Requesting { .. }, false) => Slot::Idle,
                    (s, _) => s,
                };
            }
        }
    }
}

/// See [`Grantee::wanted`].
fn wanted<A: Eq>(
    running: bool,
    selected: Option<A>,
    delay: Option<NegotiableType>,
    master: A,
    t: NegotiableType,
) -> bool {
    if !running {
        return false;
    }
    match t {
        NegotiableType::Announce => true,
        NegotiableType::Sync => selected == Some(master),
        NegotiableType::DelayResp | NegotiableType::PdelayResp => {
            selected == Some(master) && delay == Some(t)
        }
    }
}
