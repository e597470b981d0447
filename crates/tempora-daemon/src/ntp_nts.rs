//! NTS for the daemon's NTP client (RFC 8915): key establishment on an
//! auxiliary thread (TLS and DNS block, the timing loop must not), and per
//! source the keys, the cookie stash, the protection of each request and
//! the check of each reply.
//!
//! The stash is refilled by the replies: each request spends one cookie and
//! carries a placeholder for every other cookie missing from eight, so the
//! server sends them back (§5.7). With no cookie left, or after an NTS NAK,
//! key establishment runs again (§5.7, §6).

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempora_ntp::nts::{self, Keys, MAX_COOKIES, NtsError, UID_LEN};
use tempora_nts::client::{Association, KeOptions, key_exchange};

use crate::dns::server_addresses;

/// What the key-establishment thread answers: the association and the NTP
/// server's address, or why not.
pub type KeAnswer = (usize, Result<(Association, SocketAddr), String>);

/// Key establishment on its own thread, started only when a source has
/// `nts = true`.
pub struct KeWorker {
    requests: mpsc::Sender<(usize, String, u16)>,
    answers: mpsc::Receiver<KeAnswer>,
}

impl KeWorker {
    /// Starts the thread; `opts` says which CAs to trust.
    pub fn start(opts: KeOptions) -> io::Result<KeWorker> {
        let (requests, rx) = mpsc::channel::<(usize, String, u16)>();
        let (tx, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("nts-ke-client".into())
            .spawn(move || {
                for (origin, host, port) in rx {
                    let answer = key_exchange(&host, port, &opts)
                        .map_err(|e| e.to_string())
                        .and_then(|a| {
                            let ntp = a.ntp_server();
                            let addr = server_addresses(&ntp)
                                .map_err(|e| format!("{ntp}: {e}"))?
                                .into_iter()
                                .next()
                                .ok_or_else(|| format!("{ntp}: no address"))?;
                            Ok((a, addr))
                        });
                    if tx.send((origin, answer)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(KeWorker { requests, answers })
    }

    /// Asks for key establishment with `host:port` for source `origin`.
    pub fn request(&self, origin: usize, host: &str, port: u16) {
        let _ = self.requests.send((origin, host.to_string(), port));
    }

    /// The answers that came in.
    pub fn answers(&self) -> Vec<KeAnswer> {
        std::iter::from_fn(|| self.answers.try_recv().ok()).collect()
    }
}

/// What a reply is, to NTS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Authentic: use it.
    Authentic,
    /// Not authentic (tampered, forged, replayed, unprotected): dropped.
    Rejected,
    /// An NTS NAK: the cookies are no good; key establishment again.
    Nak,
}

/// The NTS state of one source.
#[derive(Debug)]
pub struct NtsSource {
    /// The NTS-KE server and port.
    pub host: String,
    /// Its port.
    pub port: u16,
    keys: Option<Keys>,
    cookies: VecDeque<Vec<u8>>,
    /// The unique identifier of the request in flight.
    uid: Option<[u8; UID_LEN]>,
    /// Key establishment asked for and not answered yet.
    pub pending: bool,
    /// When to try key establishment again after a failure.
    retry_at: Option<Instant>,
    backoff: Duration,
    /// Replies refused.
    pub rejected: u64,
    /// NTS NAKs received.
    pub naks: u64,
    /// Key establishments completed.
    pub key_exchanges: u64,
    /// An NTS NAK came since the last key establishment.
    nak_seen: bool,
    /// When the last key establishment completed.
    associated_at: Option<Instant>,
}

/// The largest reply a request asks for (placeholders are limited so that
/// the reply with its cookies fits; RFC 8915 §5.7 leaves it to the client).
pub const MAX_REPLY: usize = 1280;

/// Key establishment again after an NTS NAK, at most this often.
pub const NAK_REKEY_INTERVAL: Duration = Duration::from_secs(8);

impl NtsSource {
    /// A source with key establishment at `host:port` still to do.
    pub fn new(host: String, port: u16) -> Self {
        NtsSource {
            host,
            port,
            keys: None,
            cookies: VecDeque::new(),
            uid: None,
            pending: false,
            retry_at: None,
            backoff: Duration::from_secs(8),
            rejected: 0,
            naks: 0,
            key_exchanges: 0,
            nak_seen: false,
            associated_at: None,
        }
    }

    /// Cookies in the stash.
    pub fn cookies(&self) -> usize {
        self.cookies.len()
    }

    /// Whether a request can be protected now.
    pub fn ready(&self) -> bool {
        self.keys.is_some() && !self.cookies.is_empty()
    }

    /// Whether key establishment should be asked for now: no keys or no
    /// cookie, or an NTS NAK since the last one (at most once every
    /// [`NAK_REKEY_INTERVAL`]).
    pub fn needs_key_exchange(&self, now: Instant) -> bool {
        let nak = self.nak_seen
            && self
                .associated_at
                .is_none_or(|t| now.duration_since(t) >= NAK_REKEY_INTERVAL);
        (!self.ready() || nak) && !self.pending && self.retry_at.is_none_or(|t| now >= t)
    }

    /// Key establishment succeeded.
    pub fn associate(&mut self, a: &Association) {
        self.keys = Some(a.keys.clone());
        self.cookies = a.cookies.iter().take(MAX_COOKIES).cloned().collect();
        self.pending = false;
        self.retry_at = None;
        self.backoff = Duration::from_secs(8);
        self.key_exchanges += 1;
        self.nak_seen = false;
        self.associated_at = Some(Instant::now());
    }

    /// Key establishment failed: try again later, backing off to 10 min.
    pub fn failed(&mut self, now: Instant) {
        self.pending = false;
        self.retry_at = Some(now + self.backoff);
        self.backoff = (self.backoff * 2).min(Duration::from_secs(600));
    }

    /// Protects the 48-octet request `header` into `out` (RFC 8915 §5.7),
    /// spending a cookie and asking for the missing ones, as many as keep
    /// the reply within [`MAX_REPLY`]; `None` without keys or cookies (a
    /// cookie is spent only when the request is written).
    pub fn protect(&mut self, header: &[u8; 48], out: &mut [u8]) -> Option<usize> {
        let keys = self.keys.as_ref()?;
        let cookie = self.cookies.front()?;
        // Reply: header, UID field, authenticator header, nonce, tag, and
        // one cookie field per cookie.
        let per_cookie = cookie.len() + 4;
        let fixed = 48 + 4 + UID_LEN + 8 + nts::NONCE_LEN + nts::TAG_LEN;
        let fit = MAX_REPLY.saturating_sub(fixed) / per_cookie.max(1);
        let placeholders = MAX_COOKIES
            .saturating_sub(self.cookies.len())
            .min(fit.saturating_sub(1));
        let uid: [u8; UID_LEN] = rand::random();
        let nonce: [u8; nts::NONCE_LEN] = rand::random();
        let n =
            nts::write_request(out, header, &uid, cookie, placeholders, &keys.c2s, &nonce).ok()?;
        self.cookies.pop_front();
        self.uid = Some(uid);
        Some(n)
    }

    /// Checks a reply against the request in flight; an authentic one adds
    /// its cookies to the stash and ends the request (a replay of it is
    /// then refused).
    pub fn check(&mut self, data: &[u8]) -> Checked {
        let (Some(keys), Some(uid)) = (&self.keys, self.uid) else {
            self.rejected += 1;
            return Checked::Rejected;
        };
        let mut plain = [0u8; 2048];
        // `open_response` hands over cookies only from an authentic reply.
        let cookies = &mut self.cookies;
        let stash = |c: &[u8]| {
            if cookies.len() < MAX_COOKIES {
                cookies.push_back(c.to_vec());
            }
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
                self.naks += 1;
                self.nak_seen = true;
                Checked::Nak
            }
            Err(_) => {
                self.rejected += 1;
                Checked::Rejected
            }
        }
    }
}
