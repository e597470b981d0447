//! The grantor: the master side of unicast negotiation (IEEE 1588-2019
//! §16.1.2, §16.1.4.2, §16.1.4.3).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt::Debug;

use tempora_clock::{Duration, Time};

use super::{
    CANCEL_MAINTAIN_REQUEST, GRANT_RENEWAL_INVITED, NegotiableType, NegotiationTlv, SendSignaling,
    cancel_value, push_tlv, secs,
};
use crate::wire::PortIdentity;
use crate::wire::tlv::{
    CancelUnicastTransmission, GrantUnicastTransmission, RequestUnicastTransmission,
};

/// The message intervals a grantor is willing to serve for one message type,
/// as `log2` seconds (IEEE 1588-2019 §16.1.4.2: the grantor decides what it
/// grants). `min_log` is the fastest rate, `max_log` the slowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntervalLimits {
    /// The smallest `logInterMessagePeriod` granted (the highest rate).
    pub min_log: i8,
    /// The largest `logInterMessagePeriod` granted (the lowest rate).
    pub max_log: i8,
}

impl IntervalLimits {
    /// Limits from `min_log` to `max_log`, both included.
    pub const fn new(min_log: i8, max_log: i8) -> Self {
        IntervalLimits { min_log, max_log }
    }

    /// Whether `log` lies within the limits.
    pub fn contains(&self, log: i8) -> bool {
        self.min_log <= log && log <= self.max_log
    }

    /// `log` moved into the limits; if the limits are empty
    /// (`min_log > max_log`) the slower bound wins. Never panics.
    pub fn clamp(&self, log: i8) -> i8 {
        if log > self.max_log {
            self.max_log
        } else if log < self.min_log {
            self.min_log.min(self.max_log)
        } else {
            log
        }
    }
}

/// What a grantor does with a request whose `logInterMessagePeriod` is
/// outside its [`IntervalLimits`] (IEEE 1588-2019 §16.1.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalPolicy {
    /// Grant at the nearest interval within the limits; the grant's
    /// `logInterMessagePeriod` tells the grantee what it got (linuxptp's
    /// client adopts the granted interval).
    Clamp,
    /// Deny the request (duration 0), so that the grantee may ask again at
    /// another rate, as ITU-T G.8265.1 masters do.
    Deny,
}

/// Configuration of a [`Grantor`] (IEEE 1588-2019 §16.1.2, §16.1.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantorConfig {
    /// The most grants held at once, one per (address, requester port,
    /// message type); requests for new grants beyond it are denied.
    pub max_grants: usize,
    /// The longest grant in seconds; longer requests are granted this long.
    /// Default 300 s, the default of ITU-T G.8265.1 and G.8275.2 (linuxptp
    /// grants whatever is asked; its own clients ask for 3600 s).
    pub max_duration: u32,
    /// Intervals served for Announce.
    pub announce: IntervalLimits,
    /// Intervals served for Sync.
    pub sync: IntervalLimits,
    /// Intervals served for Delay_Resp.
    pub delay_resp: IntervalLimits,
    /// Intervals served for Pdelay_Resp.
    pub pdelay_resp: IntervalLimits,
    /// What to do with requests outside the limits.
    pub interval_policy: IntervalPolicy,
    /// Whether grants invite renewal (the `R` flag, §16.1.4.2).
    pub renewal_invited: bool,
    /// How many times a CANCEL is sent again while no acknowledgement
    /// comes (§16.1.4.3, §16.1.4.4); 0 sends it once.
    pub cancel_retries: u8,
    /// The wait between those sends.
    pub cancel_retry_interval: Duration,
}

impl Default for GrantorConfig {
    /// 256 grants of up to 300 s; Announce at 2^-3..2^4 s, Sync, Delay_Resp
    /// and Pdelay_Resp at 2^-7..2^4 s (covering the default profiles of
    /// Annex I and G.8275.2); clamping; renewal invited; a cancel sent up to
    /// four times a second apart.
    fn default() -> Self {
        GrantorConfig {
            max_grants: 256,
            max_duration: 300,
            announce: IntervalLimits::new(-3, 4),
            sync: IntervalLimits::new(-7, 4),
            delay_resp: IntervalLimits::new(-7, 5),
            pdelay_resp: IntervalLimits::new(-7, 5),
            interval_policy: IntervalPolicy::Clamp,
            renewal_invited: true,
            cancel_retries: 3,
            cancel_retry_interval: Duration::from_secs(1),
        }
    }
}

impl GrantorConfig {
    /// The limits for message type `t`.
    pub fn limits(&self, t: NegotiableType) -> IntervalLimits {
        match t {
            NegotiableType::Announce => self.announce,
            NegotiableType::Sync => self.sync,
            NegotiableType::DelayResp => self.delay_resp,
            NegotiableType::PdelayResp => self.pdelay_resp,
        }
    }
}

/// A grantee the grantor serves (IEEE 1588-2019 §16.1.2): whom to send a
/// negotiated message type to, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recipient<A> {
    /// The grantee's transport address.
    pub address: A,
    /// The grantee's port (the requester's `sourcePortIdentity`).
    pub port_identity: PortIdentity,
    /// The granted `logInterMessagePeriod`.
    pub log_interval: i8,
    /// When the grant lapses unless renewed.
    pub expires: Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Granted and served.
    Active,
    /// Cancelled by us (§16.1.4.3); no longer served, waiting for the
    /// acknowledgement (§16.1.4.4).
    Cancelling { next: Time, retries_left: u8 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    log_interval: i8,
    expires: Time,
    state: State,
}

type Key<A> = (A, PortIdentity, NegotiableType);

/// The master side of unicast negotiation (IEEE 1588-2019 §16.1.2,
/// §16.1.4.2–§16.1.4.4): a bounded table of grants, one per (requester
/// address, requester port, message type).
///
/// The caller feeds it the REQUEST, CANCEL and ACKNOWLEDGE_CANCEL TLVs it
/// receives, sends the answers, asks [`Grantor::recipients`] whom to send
/// Announce and Sync to (and whose Delay_Req or Pdelay_Req to answer), and
/// calls [`Grantor::poll`] at [`Grantor::next_timeout`] to let grants lapse
/// and cancels be repeated. When the port stops being able to serve (it
/// leaves MASTER), [`Grantor::cancel_all`] cancels every grant (§16.1.4.3)
/// and [`Grantor::set_accepting`] denies new requests.
#[derive(Debug, Clone)]
pub struct Grantor<A> {
    config: GrantorConfig,
    accepting: bool,
    grants: BTreeMap<Key<A>, Entry>,
}

impl<A: Copy + Eq + Ord + Debug> Grantor<A> {
    /// An empty grantor that accepts requests.
    pub fn new(config: GrantorConfig) -> Self {
        Grantor {
            config,
            accepting: true,
            grants: BTreeMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GrantorConfig {
        &self.config
    }

    /// Whether new requests can be granted.
    pub fn accepting(&self) -> bool {
        self.accepting
    }

    /// Sets whether requests are granted; when not, every request is denied
    /// (§16.1.4.2) and existing grants are kept until they lapse or are
    /// cancelled.
    pub fn set_accepting(&mut self, accepting: bool) {
        self.accepting = accepting;
    }

    /// Entries in the table: active grants and grants being cancelled.
    pub fn len(&self) -> usize {
        self.grants.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// Answers one REQUEST_UNICAST_TRANSMISSION (§16.1.4.1) from the port
    /// `requester` at `from` with a GRANT_UNICAST_TRANSMISSION (§16.1.4.2):
    ///
    /// * a type that is not negotiable (§16.1.1), a zero duration, or a
    ///   grantor not accepting is denied (duration 0);
    /// * the interval is clamped to the configured limits, or the request
    ///   denied, per [`IntervalPolicy`];
    /// * the duration is cut to [`GrantorConfig::max_duration`];
    /// * a request for a grant already held renews it: the new grant
    ///   replaces the old and runs from `now` (§16.1.2);
    /// * a new grant beyond [`GrantorConfig::max_grants`] is denied, once
    ///   lapsed grants have been cleared;
    /// * a grant sets the `R` flag per [`GrantorConfig::renewal_invited`];
    ///   a denial never does.
    ///
    /// The answer goes back to `from` in a Signaling message targeted at
    /// `requester`.
    pub fn handle_request(
        &mut self,
        now: Time,
        from: A,
        requester: PortIdentity,
        tlv: &RequestUnicastTransmission,
    ) -> GrantUnicastTransmission {
        let deny = GrantUnicastTransmission {
            message_type_octet: tlv.message_type_octet & 0xf0,
            log_inter_message_period: tlv.log_inter_message_period,
            duration: 0,
            reserved: 0,
            flags: 0,
        };
        let Some(t) = NegotiableType::from_message_type(tlv.message_type()) else {
            return deny;
        };
        if !self.accepting || tlv.duration == 0 {
            return deny;
        }
        let limits = self.config.limits(t);
        let requested = tlv.log_inter_message_period;
        let log_interval = if limits.contains(requested) {
            requested
        } else {
            match self.config.interval_policy {
                IntervalPolicy::Clamp => limits.clamp(requested),
                IntervalPolicy::Deny => return deny,
            }
        };
        let duration = tlv.duration.min(self.config.max_duration);
        if duration == 0 {
            return deny;
        }
        let key = (from, requester, t);
        if !self.grants.contains_key(&key) {
            if self.grants.len() >= self.config.max_grants {
                self.expire(now);
            }
            if self.grants.len() >= self.config.max_grants {
                return deny;
            }
        }
        self.grants.insert(
            key,
            Entry {
                log_interval,
                expires: now + secs(duration),
                state: State::Active,
            },
        );
        GrantUnicastTransmission {
            message_type_octet: t.octet(0),
            log_inter_message_period: log_interval,
            duration,
            reserved: 0,
            flags: if self.config.renewal_invited {
                GRANT_RENEWAL_INVITED
            } else {
                0
            },
        }
    }

    /// Handles a CANCEL_UNICAST_TRANSMISSION (§16.1.4.3) from the grantee
    /// `requester` at `from`: the grant of that type ends, and the
    /// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION to send back (§16.1.4.4) is
    /// returned, echoing the message type and flags. A cancel with
    /// [`CANCEL_MAINTAIN_REQUEST`](super::CANCEL_MAINTAIN_REQUEST) set is
    /// about grants the sender gave, not about ours: it is left to the
    /// grantee side and `None` is returned. Cancels of types that cannot be
    /// negotiated are acknowledged and otherwise ignored.
    pub fn handle_cancel(
        &mut self,
        _now: Time,
        from: A,
        requester: PortIdentity,
        tlv: &CancelUnicastTransmission,
    ) -> Option<CancelUnicastTransmission> {
        if tlv.message_type_octet & CANCEL_MAINTAIN_REQUEST != 0 {
            return None;
        }
        if let Some(t) = NegotiableType::from_message_type(tlv.message_type()) {
            self.grants.remove(&(from, requester, t));
        }
        Some(CancelUnicastTransmission {
            message_type_octet: tlv.message_type_octet,
            reserved: 0,
        })
    }

    /// Handles an ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4) from
    /// `requester` at `from`: a grant we cancelled is forgotten. Returns
    /// whether one was. An acknowledgement for a grant we did not cancel
    /// changes nothing.
    pub fn handle_acknowledge_cancel(
        &mut self,
        from: A,
        requester: PortIdentity,
        tlv: &CancelUnicastTransmission,
    ) -> bool {
        let Some(t) = NegotiableType::from_message_type(tlv.message_type()) else {
            return false;
        };
        let key = (from, requester, t);
        match self.grants.get(&key) {
            Some(e) if matches!(e.state, State::Cancelling { .. }) => {
                self.grants.remove(&key);
                true
            }
            _ => false,
        }
    }

    /// Handles every negotiation TLV of one Signaling message from
    /// `requester` at `from` (§16.1.4) and returns the answer to send, if
    /// any: grants for requests and acknowledgements for cancels, in order.
    /// GRANT TLVs are for the grantee side and are ignored here.
    pub fn handle_tlvs<I>(
        &mut self,
        now: Time,
        from: A,
        requester: PortIdentity,
        tlvs: I,
    ) -> Option<SendSignaling<A>>
    where
        I: IntoIterator<Item = NegotiationTlv>,
    {
        let mut out = Vec::new();
        for tlv in tlvs {
            let answer = match tlv {
                NegotiationTlv::Request(r) => Some(NegotiationTlv::Grant(
                    self.handle_request(now, from, requester, &r),
                )),
                NegotiationTlv::Cancel(c) => self
                    .handle_cancel(now, from, requester, &c)
                    .map(NegotiationTlv::AcknowledgeCancel),
                NegotiationTlv::AcknowledgeCancel(c) => {
                    self.handle_acknowledge_cancel(from, requester, &c);
                    None
                }
                NegotiationTlv::Grant(_) => None,
            };
            if let Some(a) = answer {
                push_tlv(&mut out, from, requester, a);
            }
        }
        out.pop()
    }

    /// Forgets every grant, active or being cancelled, whose duration has
    /// run out by `now` (§16.1.2); returns how many.
    pub fn expire(&mut self, now: Time) -> usize {
        let before = self.grants.len();
        self.grants.retain(|_, e| e.expires > now);
        before - self.grants.len()
    }

    /// The grantees to send message type `t` to at `now` (§16.1.2): every
    /// active grant that has not lapsed, in address order. For Delay_Resp
    /// and Pdelay_Resp these are the ports whose Delay_Req or Pdelay_Req
    /// may be answered.
    pub fn recipients(
        &self,
        now: Time,
        t: NegotiableType,
    ) -> impl Iterator<Item = Recipient<A>> + '_ {
        self.grants
            .iter()
            .filter(move |((_, _, ty), e)| *ty == t && e.state == State::Active && e.expires > now)
            .map(|((address, port_identity, _), e)| Recipient {
                address: *address,
                port_identity: *port_identity,
                log_interval: e.log_interval,
                expires: e.expires,
            })
    }

    /// The granted `logInterMessagePeriod` if the port `requester` at `from`
    /// holds an active grant of `t` at `now` (§16.1.2), e.g. to decide
    /// whether to answer its Delay_Req.
    pub fn granted(
        &self,
        now: Time,
        from: A,
        requester: PortIdentity,
        t: NegotiableType,
    ) -> Option<i8> {
        self.grants
            .get(&(from, requester, t))
            .filter(|e| e.state == State::Active && e.expires > now)
            .map(|e| e.log_interval)
    }

    /// When the next grant lapses, if any is held.
    pub fn next_expiry(&self) -> Option<Time> {
        self.grants.values().map(|e| e.expires).min()
    }

    /// When [`Grantor::poll`] next has something to do: a grant lapsing or
    /// a cancel to send again.
    pub fn next_timeout(&self) -> Option<Time> {
        self.grants
            .values()
            .map(|e| match e.state {
                State::Active => e.expires,
                State::Cancelling { next, .. } => next.min(e.expires),
            })
            .min()
    }

    /// Lets lapsed grants go and sends again the cancels that were not
    /// acknowledged in time (§16.1.4.3); a cancel whose retries are used up
    /// is dropped, as if acknowledged.
    pub fn poll(&mut self, now: Time) -> Vec<SendSignaling<A>> {
        self.expire(now);
        let mut out = Vec::new();
        let retry = self.config.cancel_retry_interval;
        self.grants
            .retain(|&(address, port, t), e| match &mut e.state {
                State::Active => true,
                State::Cancelling { next, retries_left } => {
                    if *next > now {
                        return true;
                    }
                    if *retries_left == 0 {
                        return false;
                    }
                    *retries_left -= 1;
                    *next = now + retry;
                    push_tlv(
                        &mut out,
                        address,
                        port,
                        NegotiationTlv::Cancel(cancel_value(t, CANCEL_MAINTAIN_REQUEST)),
                    );
                    true
                }
            });
        out
    }

    /// Cancels every active grant (§16.1.4.3), e.g. because the port leaves
    /// MASTER, and returns the CANCEL_UNICAST_TRANSMISSION messages to send:
    /// one per grantee port, with
    /// [`CANCEL_MAINTAIN_REQUEST`](super::CANCEL_MAINTAIN_REQUEST) set since
    /// only our grants end. The grants stop being served at once and are
    /// forgotten when acknowledged (§16.1.4.4), when they lapse, or after
    /// [`GrantorConfig::cancel_retries`] further sends.
    pub fn cancel_all(&mut self, now: Time) -> Vec<SendSignaling<A>> {
        let mut out = Vec::new();
        let retry = self.config.cancel_retry_interval;
        let retries = self.config.cancel_retries;
        for (&(address, port, t), e) in self.grants.iter_mut() {
            if e.state == State::Active && e.expires > now {
                e.state = State::Cancelling {
                    next: now + retry,
                    retries_left: retries,
                };
                push_tlv(
                    &mut out,
                    address,
                    port,
                    NegotiationTlv::Cancel(cancel_value(t, CANCEL_MAINTAIN_REQUEST)),
                );
            }
        }
        self.expire(now);
        out
    }
}
