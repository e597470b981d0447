//! The client's version choice per source (draft-ietf-ntp-ntpv5, "NTPv5
//! Negotiation in Previous NTP Versions"), sans-IO: with `version =
//! "auto"`, start in NTPv4 with the upgrade signal; switch to NTPv5 when
//! the server echoes it; after [`FALLBACK_AFTER`] NTPv5 requests without a
//! valid reply, go back to NTPv4 for [`RETRY_AFTER`] requests, then signal
//! again. The daemon calls [`Negotiation::poll`] once per request and
//! reports each valid reply.
//!
//! The draft spoken is configured, or found ([`DraftSetting::Auto`]): a
//! server answers only the drafts it knows (ntpd-rs 1.9 -08, 2.0-alpha
//! -09), and the upgrade signal is the same for all, so the draft is found
//! by trying. Until an NTPv5 reply confirms a draft, each unanswered
//! NTPv5 request moves to the next one (oldest first: -08, -09, -08, …);
//! once confirmed it is kept until [`DRAFT_RETRY_AFTER`] NTPv5 requests in
//! a row go unanswered (a server replaced or upgraded). With `"auto"` for
//! the version too, the two drafts are each tried once before the
//! fallback to NTPv4.

use super::Draft;

/// NTPv5 requests left unanswered before falling back ("e.g. 2").
pub const FALLBACK_AFTER: u8 = 2;
/// NTPv4 requests before trying the upgrade again ("e.g. 256").
pub const RETRY_AFTER: u16 = 256;
/// NTPv5 requests in a row unanswered in a confirmed draft before the
/// next draft is tried (the reachability register's length).
pub const DRAFT_RETRY_AFTER: u8 = 8;

/// The configured draft of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DraftSetting {
    /// This draft only.
    Fixed(Draft),
    /// Found by trying, oldest first.
    Auto,
}

/// The configured version of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionSetting {
    /// NTPv4 only.
    V4,
    /// NTPv5 only.
    V5,
    /// Negotiated.
    Auto,
}

/// What to send next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wire {
    /// A plain NTPv4 request.
    V4,
    /// An NTPv4 request with the upgrade signal
    /// ([`super::UpgradeSignal::mark`]).
    V4Upgrade,
    /// An NTPv5 request.
    V5,
}

/// Where the negotiation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum State {
    /// Asking with the signal.
    Probing,
    /// Speaking NTPv5; `missed` requests in a row unanswered.
    V5 { missed: u8 },
    /// Back in NTPv4 for `left` more requests.
    V4 { left: u16 },
}

/// The version negotiation of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Negotiation {
    setting: VersionSetting,
    state: State,
    /// The last request has had no valid reply yet.
    outstanding: bool,
    /// What the last request was.
    last: Wire,
    drafts: DraftSetting,
    /// The draft spoken now.
    draft: Draft,
    /// An NTPv5 reply came in `draft`.
    confirmed: bool,
    /// NTPv5 requests in a row unanswered in `draft`.
    dry: u8,
}

impl Negotiation {
    /// A source configured with `setting`, speaking draft -08.
    pub const fn new(setting: VersionSetting) -> Self {
        Self::with_drafts(setting, DraftSetting::Fixed(Draft::Draft08))
    }

    /// A source configured with `setting` and `drafts`.
    pub const fn with_drafts(setting: VersionSetting, drafts: DraftSetting) -> Self {
        let state = match setting {
            // Never counted down: only `Auto` moves between states.
            VersionSetting::V4 => State::V4 { left: u16::MAX },
            VersionSetting::V5 => State::V5 { missed: 0 },
            VersionSetting::Auto => State::Probing,
        };
        let draft = match drafts {
            DraftSetting::Fixed(d) => d,
            DraftSetting::Auto => Draft::ALL[0],
        };
        Negotiation {
            setting,
            state,
            outstanding: false,
            last: Wire::V4,
            drafts,
            draft,
            confirmed: false,
            dry: 0,
        }
    }

    /// What to send now; counts the previous request as missed when it had
    /// no valid reply. Call once per request sent.
    pub fn poll(&mut self) -> Wire {
        if core::mem::replace(&mut self.outstanding, true) {
            self.missed();
        }
        if let State::V4 { left: 0 } = self.state {
            self.state = State::Probing;
        }
        self.last = match (self.setting, &mut self.state) {
            (VersionSetting::V4, _) => Wire::V4,
            (VersionSetting::V5, _) => Wire::V5,
            (VersionSetting::Auto, State::Probing) => Wire::V4Upgrade,
            (VersionSetting::Auto, State::V5 { .. }) => Wire::V5,
            (VersionSetting::Auto, State::V4 { left }) => {
                *left -= 1;
                Wire::V4
            }
        };
        self.last
    }

    /// A valid NTPv4 reply; `upgrade_echoed` when it carries the upgrade
    /// signal ([`super::UpgradeSignal::in_response`]).
    pub fn v4_reply(&mut self, upgrade_echoed: bool) {
        self.outstanding = false;
        if self.last == Wire::V4Upgrade && self.state == State::Probing {
            self.state = if upgrade_echoed {
                State::V5 { missed: 0 }
            } else {
                State::V4 { left: RETRY_AFTER }
            };
        }
    }

    /// A valid NTPv5 reply (in the draft of [`Negotiation::draft`]).
    pub fn v5_reply(&mut self) {
        self.outstanding = false;
        self.confirmed = true;
        self.dry = 0;
        if let State::V5 { missed } = &mut self.state {
            *missed = 0;
        }
    }

    /// The previous request went unanswered.
    fn missed(&mut self) {
        if self.last == Wire::V5 {
            self.draft_missed();
        }
        if self.setting != VersionSetting::Auto {
            return;
        }
        if let State::V5 { missed } = &mut self.state {
            *missed = missed.saturating_add(1);
            if *missed >= FALLBACK_AFTER {
                self.state = State::V4 { left: RETRY_AFTER };
            }
        }
    }

    /// An NTPv5 request in the current draft went unanswered: with
    /// [`DraftSetting::Auto`], the next draft is tried (see the module).
    fn draft_missed(&mut self) {
        if self.drafts != DraftSetting::Auto {
            return;
        }
        self.dry = self.dry.saturating_add(1);
        if self.confirmed && self.dry < DRAFT_RETRY_AFTER {
            return;
        }
        let i = Draft::ALL
            .iter()
            .position(|d| *d == self.draft)
            .unwrap_or(0);
        self.draft = Draft::ALL[(i + 1) % Draft::ALL.len()];
        self.confirmed = false;
        self.dry = 0;
    }

    /// The draft to speak in the next NTPv5 request (read after
    /// [`Negotiation::poll`]), and the one of a confirmed source.
    pub fn draft(&self) -> Draft {
        self.draft
    }

    /// The configured draft setting.
    pub fn draft_setting(&self) -> DraftSetting {
        self.drafts
    }

    /// Whether an NTPv5 reply confirmed [`Negotiation::draft`].
    pub fn draft_confirmed(&self) -> bool {
        self.confirmed
    }

    /// The version in use now (4 or 5), for status.
    pub fn version(&self) -> u8 {
        match self.state {
            State::V5 { .. } => 5,
            _ => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_settings_never_change() {
        let mut v4 = Negotiation::new(VersionSetting::V4);
        let mut v5 = Negotiation::new(VersionSetting::V5);
        for _ in 0..10 {
            assert_eq!(v4.poll(), Wire::V4);
            v4.v4_reply(true);
            assert_eq!(v5.poll(), Wire::V5);
        }
        assert_eq!((v4.version(), v5.version()), (4, 5));
    }

    #[test]
    fn auto_upgrades_when_the_server_echoes() {
        let mut n = Negotiation::new(VersionSetting::Auto);
        assert_eq!(n.poll(), Wire::V4Upgrade);
        assert_eq!(n.poll(), Wire::V4Upgrade); // no reply: keep asking
        n.v4_reply(true);
        assert_eq!(n.version(), 5);
        assert_eq!(n.poll(), Wire::V5);
        n.v5_reply();
        assert_eq!(n.poll(), Wire::V5);
    }

    #[test]
    fn auto_falls_back_after_missed_replies_and_retries_later() {
        let mut n = Negotiation::new(VersionSetting::Auto);
        n.poll();
        n.v4_reply(true);
        assert_eq!(n.poll(), Wire::V5);
        assert_eq!(n.poll(), Wire::V5); // one missed
        assert_eq!(n.poll(), Wire::V4); // two missed: back to v4
        assert_eq!(n.version(), 4);
        n.v4_reply(false);
        for _ in 1..RETRY_AFTER {
            assert_eq!(n.poll(), Wire::V4);
            n.v4_reply(false);
        }
        assert_eq!(n.poll(), Wire::V4Upgrade);
    }

    #[test]
    fn auto_draft_tries_each_draft_until_one_is_answered() {
        let mut n = Negotiation::with_drafts(VersionSetting::V5, DraftSetting::Auto);
        assert_eq!(n.poll(), Wire::V5);
        assert_eq!(n.draft(), Draft::Draft08);
        // -08 unanswered: -09 next, then -08 again.
        assert_eq!(n.poll(), Wire::V5);
        assert_eq!(n.draft(), Draft::Draft09);
        n.poll();
        assert_eq!(n.draft(), Draft::Draft08);
        n.poll();
        assert_eq!(n.draft(), Draft::Draft09);
        n.v5_reply();
        assert!(n.draft_confirmed());
        // Confirmed: kept through seven unanswered requests, not eight.
        for _ in 0..DRAFT_RETRY_AFTER {
            assert_eq!(n.draft(), Draft::Draft09);
            n.poll();
        }
        n.poll();
        assert_eq!(n.draft(), Draft::Draft08);
        assert!(!n.draft_confirmed());
    }

    #[test]
    fn a_fixed_draft_never_changes() {
        let mut n =
            Negotiation::with_drafts(VersionSetting::V5, DraftSetting::Fixed(Draft::Draft09));
        for _ in 0..20 {
            n.poll();
            assert_eq!(n.draft(), Draft::Draft09);
        }
    }

    #[test]
    fn auto_version_and_draft_try_both_drafts_before_falling_back() {
        let mut n = Negotiation::with_drafts(VersionSetting::Auto, DraftSetting::Auto);
        assert_eq!(n.poll(), Wire::V4Upgrade);
        n.v4_reply(true);
        assert_eq!(n.poll(), Wire::V5);
        assert_eq!(n.draft(), Draft::Draft08);
        assert_eq!(n.poll(), Wire::V5);
        assert_eq!(n.draft(), Draft::Draft09);
        n.v5_reply();
        assert_eq!(n.poll(), Wire::V5);
        assert_eq!(n.draft(), Draft::Draft09);
        // A server speaking neither: both tried, then NTPv4.
        let mut m = Negotiation::with_drafts(VersionSetting::Auto, DraftSetting::Auto);
        m.poll();
        m.v4_reply(true);
        assert_eq!(m.poll(), Wire::V5);
        assert_eq!(m.poll(), Wire::V5);
        assert_eq!(m.poll(), Wire::V4);
    }

    #[test]
    fn a_server_without_v5_keeps_v4_for_a_while() {
        let mut n = Negotiation::new(VersionSetting::Auto);
        assert_eq!(n.poll(), Wire::V4Upgrade);
        n.v4_reply(false);
        assert_eq!(n.poll(), Wire::V4);
        assert_eq!(n.version(), 4);
    }
}
