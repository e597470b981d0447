//! The client's version choice per source (draft-ietf-ntp-ntpv5, "NTPv5
//! Negotiation in Previous NTP Versions"), sans-IO: with `version =
//! "auto"`, start in NTPv4 with the upgrade signal; switch to NTPv5 when
//! the server echoes it; after [`FALLBACK_AFTER`] NTPv5 requests without a
//! valid reply, go back to NTPv4 for [`RETRY_AFTER`] requests, then signal
//! again. The daemon calls [`Negotiation::poll`] once per request and
//! reports each valid reply.

/// NTPv5 requests left unanswered before falling back ("e.g. 2").
pub const FALLBACK_AFTER: u8 = 2;
/// NTPv4 requests before trying the upgrade again ("e.g. 256").
pub const RETRY_AFTER: u16 = 256;

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
}

impl Negotiation {
    /// A source configured with `setting`.
    pub const fn new(setting: VersionSetting) -> Self {
        let state = match setting {
            // Never counted down: only `Auto` moves between states.
            VersionSetting::V4 => State::V4 { left: u16::MAX },
            VersionSetting::V5 => State::V5 { missed: 0 },
            VersionSetting::Auto => State::Probing,
        };
        Negotiation {
            setting,
            state,
            outstanding: false,
            last: Wire::V4,
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

    /// A valid NTPv5 reply.
    pub fn v5_reply(&mut self) {
        self.outstanding = false;
        if let State::V5 { missed } = &mut self.state {
            *missed = 0;
        }
    }

    /// The previous request went unanswered.
    fn missed(&mut self) {
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
    fn a_server_without_v5_keeps_v4_for_a_while() {
        let mut n = Negotiation::new(VersionSetting::Auto);
        assert_eq!(n.poll(), Wire::V4Upgrade);
        n.v4_reply(false);
        assert_eq!(n.poll(), Wire::V4);
        assert_eq!(n.version(), 4);
    }
}
