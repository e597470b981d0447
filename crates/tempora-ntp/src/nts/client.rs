//! The NTS state of one NTP client source (RFC 8915 §5.7, §6), sans-IO:
//! the keys from key establishment, the cookie stash, the protection of
//! each request and the check of each reply, and when key establishment
//! must run (again). Key establishment itself (TLS, RFC 8915 §4) is the
//! caller's: it passes the keys and cookies in with
//! [`NtsClient::associate`], or reports the failure with
//! [`NtsClient::failed`].
//!
//! The stash is refilled by the replies: each request spends one cookie
//! and carries a placeholder for every other cookie missing from
//! [`MAX_COOKIES`], so the server sends them back (§5.7). With no cookie
//! left, or after an NTS NAK, key establishment runs again (§5.7, §6).
//!
//! Time: the methods that need it take `now`, on any time base that does
//! not jump (the daemon passes a monotonic clock, not the disciplined one,
//! which a step would move); nothing here reads a clock.

mod stash;
#[cfg(test)]
mod tests;
mod v5;

pub use stash::CookieStash;

use rand_core::RngCore;
use tempora_clock::{Duration, Time};

use crate::nts::{self, Keys, MAX_COOKIES, NtsError, UID_LEN};

/// The largest reply a request asks for (placeholders are limited so that
/// the reply with its cookies fits; RFC 8915 §5.7 leaves it to the client).
pub const MAX_REPLY: usize = 1280;

/// Key establishment again after an NTS NAK, at most this often.
pub const NAK_REKEY_INTERVAL: Duration = Duration::from_secs(8);

/// The wait after a first failed key establishment; it doubles with each
/// failure after it, up to [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(8);

/// The longest wait after failed key establishments (10 min).
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// What a reply is, to NTS (RFC 8915 §5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Authentic: use it.
    Authentic,
    /// Not authentic (tampered, forged, replayed, unprotected): dropped.
    Rejected,
    /// An NTS NAK: the cookies are no good; key establishment again.
    Nak,
}

/// What [`NtsClient`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NtsCounters {
    /// Key establishments completed.
    pub key_exchanges: u64,
    /// Replies refused.
    pub rejected: u64,
    /// NTS NAKs received.
    pub naks: u64,
}

/// The NTS state of one source.
#[derive(Debug, Clone)]
pub struct NtsClient {
    keys: Option<Keys>,
    cookies: CookieStash,
    /// The unique identifier of the request in flight.
    uid: Option<[u8; UID_LEN]>,
    /// Key establishment asked for and not answered yet.
    pending: bool,
    /// When to try key establishment again after a failure.
    retry_at: Option<Time>,
    backoff: Duration,
    counters: NtsCounters,
    /// An NTS NAK came since the last key establishment.
    nak_seen: bool,
    /// When the last key establishment completed.
    associated_at: Option<Time>,
    /// The NTPv5 request in flight, when the last request was one.
    v5: Option<super::v5::NtsV5Request>,
}

impl Default for NtsClient {
    fn default() -> Self {
        Self::new()
    }
}

impl NtsClient {
    /// A source with key establishment still to do.
    pub const fn new() -> Self {
        NtsClient {
            keys: None,
            cookies: CookieStash::new(),
            uid: None,
            pending: false,
            retry_at: None,
            backoff: INITIAL_BACKOFF,
            counters: NtsCounters {
                key_exchanges: 0,
                rejected: 0,
                naks: 0,
            },
            nak_seen: false,
            associated_at: None,
            v5: None,
        }
    }

    /// Cookies in the stash.
    pub fn cookies(&self) -> usize {
        self.cookies.len()
    }

    /// Key establishments, replies refused and NAKs, counted.
    pub fn counters(&self) -> NtsCounters {
        self.counters
    }

    /// Whether a request can be protected now: keys and a cookie.
    pub fn ready(&self) -> bool {
        self.keys.is_some() && !self.cookies.is_empty()
    }

    /// Whether key establishment should be asked for at `now`: no keys or
    /// no cookie, or an NTS NAK since the last one (at most once every
    /// [`NAK_REKEY_INTERVAL`]); never while one is pending, nor before the
    /// back-off after a failure has passed.
    pub fn needs_key_exchange(&self, now: Time) -> bool {
        let nak = self.nak_seen
            && self
                .associated_at
                .is_none_or(|t| now - t >= NAK_REKEY_INTERVAL);
        (!self.ready() || nak) && !self.pending && self.retry_at.is_none_or(|t| now >= t)
    }

    /// Whether key establishment is to be asked for at `now` (as
    /// [`needs_key_exchange`](Self::needs_key_exchange)); if so, it is
    /// pending from then on, until [`associate`](Self::associate) or
    /// [`failed`](Self::failed).
    pub fn start_key_exchange(&mut self, now: Time) -> bool {
        let start = self.needs_key_exchange(now);
        self.pending |= start;
        start
    }

    /// Key establishment completed at `now` with `keys` and `cookies` (the
    /// first [`MAX_COOKIES`] kept; RFC 8915 §4): they replace the ones of
    /// before, and the back-off and any NAK are forgotten. Cookies longer
    /// than [`nts::MAX_COOKIE_LEN`] cannot be kept (nor are they taken
    /// from replies); with none left to keep, it counts as a failure
    /// ([`failed`](Self::failed), the keys of before kept) and `false`
    /// is returned.
    pub fn associate<'c>(
        &mut self,
        now: Time,
        keys: Keys,
        cookies: impl IntoIterator<Item = &'c [u8]>,
    ) -> bool {
        let mut stash = CookieStash::new();
        for c in cookies {
            stash.push(c);
        }
        if stash.is_empty() {
            self.failed(now);
            return false;
        }
        self.keys = Some(keys);
        self.cookies = stash;
        self.pending = false;
        self.retry_at = None;
        self.backoff = INITIAL_BACKOFF;
        self.counters.key_exchanges += 1;
        self.nak_seen = false;
        self.associated_at = Some(now);
        true
    }

    /// Key establishment failed at `now`: try again after the back-off,
    /// which doubles up to [`MAX_BACKOFF`]. Keys and cookies are kept.
    pub fn failed(&mut self, now: Time) {
        self.pending = false;
        self.retry_at = Some(now + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    /// Protects the 48-octet request `header` into `out` (RFC 8915 §5.7),
    /// spending a cookie and asking for the missing ones, as many as keep
    /// the reply within [`MAX_REPLY`]; `rng` makes the unique identifier
    /// and the nonce. `None` without keys or cookies (a cookie is spent
    /// only when the request is written).
    pub fn protect(
        &mut self,
        header: &[u8; 48],
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Option<usize> {
        let keys = self.keys.as_ref()?;
        let cookie = self.cookies.front()?;
        let placeholders = placeholders(cookie.len(), self.cookies.len());
        let mut uid = [0u8; UID_LEN];
        rng.fill_bytes(&mut uid);
        let mut nonce = [0u8; nts::NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let n =
            nts::write_request(out, header, &uid, cookie, placeholders, &keys.c2s, &nonce).ok()?;
        self.cookies.pop_front();
        self.uid = Some(uid);
        self.v5 = None;
        Some(n)
    }

    /// Checks a reply against the request in flight (RFC 8915 §5.7); an
    /// authentic one adds its cookies to the stash (up to
    /// [`MAX_COOKIES`]) and ends the request (a replay of it is then
    /// refused).
    pub fn check(&mut self, data: &[u8]) -> Checked {
        let (Some(keys), Some(uid)) = (&self.keys, self.uid) else {
            self.counters.rejected += 1;
            return Checked::Rejected;
        };
        let mut plain = [0u8; 2048];
        // `open_response` hands over cookies only from an authentic reply.
        let cookies = &mut self.cookies;
        let stash = |c: &[u8]| {
            cookies.push(c);
        };
        match nts::open_response(data, &uid, &keys.s2c, &mut plain, stash) {
            Ok(_) => {
                self.uid = None;
                Checked::Authentic
            }
            Err(NtsError::Nak) => {
                // Unauthenticated: keep the keys, the cookies and the
                // request in flight (an authentic reply may still come),
                // and ask for new keys (RFC 8915 §5.7).
                self.counters.naks += 1;
                self.nak_seen = true;
                Checked::Nak
            }
            Err(_) => {
                self.counters.rejected += 1;
                Checked::Rejected
            }
        }
    }
}

/// The placeholders a request spending a cookie of `cookie_len` octets
/// carries with `held` cookies in the stash (the one spent included): one
/// per cookie missing from [`MAX_COOKIES`], but no more than keep the reply
/// (header, unique identifier field, authenticator field with its nonce
/// and tag, and a cookie field per cookie) within [`MAX_REPLY`].
pub fn placeholders(cookie_len: usize, held: usize) -> usize {
    let per_cookie = cookie_len + 4;
    let fixed = 48 + 4 + UID_LEN + 8 + nts::NONCE_LEN + nts::TAG_LEN;
    let fit = MAX_REPLY.saturating_sub(fixed) / per_cookie.max(1);
    MAX_COOKIES.saturating_sub(held).min(fit.saturating_sub(1))
}
