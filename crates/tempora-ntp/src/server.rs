//! The NTP server, sans-IO: [`Server::handle`] decides everything about one
//! datagram, once, and returns a typed [`Outcome`] for the caller to send
//! and count. The daemon's timing loop and worker loops, the simulator and
//! the `ntp_server` fuzz target all call it.
//!
//! In order, for each datagram (decoded once):
//!
//! 1. junk is dropped before any state is touched: port 0, not NTP, not a
//!    client request (mode 3), version 0, 6 or 7 (RFC 5905 §9.2), or a
//!    version [`ServerConfig::versions`] leaves out. NTPv5 requests
//!    (draft-ietf-ntp-ntpv5) take their own path, described in the `v5`
//!    submodule ([`Server::set_reference_ids`]); an NTPv4 request carrying
//!    the NTPv5 upgrade signal gets it back in its reply's reference
//!    timestamp when NTPv5 is on;
//! 2. the access lists (RFC 8633 §3.5): a refused client gets nothing or a
//!    DENY kiss-o'-death (RFC 5905 §7.4);
//! 3. the rate limit ([`Limiter`]; RFC 8633 §3.5): over its rate, a client
//!    gets a RATE kiss at most once per interval, else nothing, except
//!    that with a leak L a request over its rate is answered all the same
//!    with probability 2^-L (a draw from the `rng` passed in), so that a
//!    flood spoofing a victim's address cannot cut the victim off;
//! 4. NTS (RFC 8915 §5.7): a request with NTS fields (or any request under
//!    `require-nts`) is answered protected, with fresh cookies made under
//!    the master keys passed in, or with an NTS NAK when its cookie does
//!    not open or it does not authenticate, or not at all when malformed;
//! 5. a request with a MAC trailer (RFC 5905 §7.3, §9.1; RFC 8573) is
//!    answered only when the key it names is one of the server's
//!    ([`Server::with_symmetric_keys`]) and its MAC verifies, with the
//!    reply of step 6 signed by the same key; otherwise it is dropped, as
//!    chronyd does (no crypto-NAK). A request with both NTS fields and a
//!    MAC is dropped: one association, one kind of authentication;
//! 6. otherwise a basic reply (RFC 5905 §9.2), or an interleaved one (RFC
//!    9769) when the client asks for it and the previous reply's kernel
//!    transmit timestamp came back ([`Server::sent_with_id`],
//!    [`Server::transmitted`]).
//!
//! A DENY or RATE kiss to a request whose MAC verifies is signed with its
//! key (a keyed client ignores an unsigned one).
//!
//! The caller passes the time (`now`, the reply's transmit timestamp and
//! the rate limiter's clock), the datagram with its receive time, the
//! cookie master keys and a random number generator (cookie and response
//! nonces); nothing here reads a clock, draws entropy or touches a socket.
//! [`Server::handle`] is the one way to answer a request: the daemon, the
//! simulator and the `ntp_server` fuzz target all call it.

use core::net::{IpAddr, SocketAddr};

use rand_core::RngCore;
use tempora_clock::Time;

use crate::access::{self, Cidr, Limiter, Verdict};
use crate::nts::{self, CheckedRequest, MasterKeys, NtsError};
use crate::reply::write_reply;
pub use crate::reply::{Ignored, ServerClock, check_request};
use crate::symmetric::{self, MacError, NoKeys, SymmetricKeys};
use crate::time::ntp_from_time;
use crate::v5::{BloomFilter, UpgradeSignal};
use crate::wire::{HEADER_LEN, KissCode, Mac, NtpTimestamp, Packet};
use crate::xleave::{PendingTx, XleaveTable};

mod outcome;
mod upstream;
mod v5;
mod v5_nts;

pub use outcome::{Datagram, DenyAction, DropReason, Outcome, ReplyKind, ServerConfig, Versions};
pub use upstream::{NtpUpstream, served_clock};

/// The server: its settings, what it announces of its clock, its rate
/// limiter `L`, the state of the interleaved mode for `N` clients
/// (bounded memory, whatever the number of clients), and its symmetric
/// keys `K` (none unless [`Server::with_symmetric_keys`]). Allocation-free;
/// about 100 octets per slot, so a large `N` belongs in a `Box`.
#[derive(Debug, Clone)]
pub struct Server<C, L, const N: usize, K = NoKeys> {
    config: ServerConfig<C>,
    clock: ServerClock,
    limiter: L,
    xleave: XleaveTable<N>,
    pending: PendingTx<N>,
    /// The client and receive timestamp of the interleavable reply just
    /// built, until [`Server::sent_with_id`].
    last_reply: Option<(IpAddr, NtpTimestamp)>,
    /// The symmetric keys requests with a MAC are checked and answered
    /// with (RFC 8573).
    keys: K,
    /// The reference IDs answered to NTPv5 clients.
    bloom: BloomFilter,
}

impl<C: AsRef<[Cidr]>, L: Limiter, const N: usize> Server<C, L, N> {
    /// A server with `config` and `limiter`, announcing an unsynchronised
    /// clock until [`Server::set_clock`]; `key` (random) makes the
    /// interleaved mode's slots unpredictable to clients.
    pub fn new(config: ServerConfig<C>, limiter: L, key: u64) -> Self {
        Server {
            config,
            clock: ServerClock::UNSYNCHRONIZED,
            limiter,
            xleave: XleaveTable::new(key),
            pending: PendingTx::new(),
            last_reply: None,
            keys: NoKeys,
            bloom: BloomFilter::EMPTY,
        }
    }
}

impl<C: AsRef<[Cidr]>, L: Limiter, const N: usize, K: SymmetricKeys> Server<C, L, N, K> {
    /// The same server answering requests with a MAC of one of `keys`
    /// (RFC 5905 §9.1, RFC 8573); every other MAC is refused.
    pub fn with_symmetric_keys<K2: SymmetricKeys>(self, keys: K2) -> Server<C, L, N, K2> {
        Server {
            config: self.config,
            clock: self.clock,
            limiter: self.limiter,
            xleave: self.xleave,
            pending: self.pending,
            last_reply: self.last_reply,
            keys,
            bloom: self.bloom,
        }
    }

    /// Its symmetric keys.
    pub fn symmetric_keys(&self) -> &K {
        &self.keys
    }

    /// Its settings.
    pub fn config(&self) -> &ServerConfig<C> {
        &self.config
    }

    /// Its rate limiter.
    pub fn limiter(&self) -> &L {
        &self.limiter
    }

    /// What it announces of its clock from now on (RFC 5905 §7.3).
    pub fn set_clock(&mut self, clock: ServerClock) {
        self.clock = clock;
    }

    /// What it announces of its clock.
    pub fn clock(&self) -> &ServerClock {
        &self.clock
    }

    /// Whether replies need kernel transmit timestamps (the interleaved
    /// mode is on).
    pub fn wants_tx_timestamps(&self) -> bool {
        self.config.interleaved
    }

    /// Handles one datagram from `remote`, writing what to send into `out`
    /// (NTS replies carry up to eight cookies: 2 KiB is room enough). `now`
    /// is the served time as late as the caller can read it: the reply's
    /// transmit timestamp (T3) and the rate limiter's clock. `keys` are the
    /// NTS cookie master keys, if NTS is on; `rng` makes the NTS nonces and
    /// decides the rate limiter's leak.
    pub fn handle(
        &mut self,
        now: Time,
        remote: SocketAddr,
        datagram: Datagram<'_>,
        keys: Option<&dyn MasterKeys>,
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Outcome {
        self.last_reply = None;
        if remote.port() == 0 {
            return Outcome::Dropped(DropReason::BadSource);
        }
        if crate::v5::is_v5(datagram.data) {
            return self.handle_v5(now, remote, datagram, keys, rng, out);
        }
        let req = match check_request(datagram.data) {
            Ok(req) if self.config.versions.v4 => req,
            Ok(_) => return Outcome::Dropped(DropReason::BadVersion),
            Err(e) => return Outcome::Dropped(e.into()),
        };
        let ip = remote.ip();
        let config = &self.config;
        if !access::allowed(config.allow.as_ref(), config.deny.as_ref(), ip) {
            return match config.deny_action {
                DenyAction::Drop => Outcome::Dropped(DropReason::Denied),
                DenyAction::Kiss => self.kiss(datagram.data, &req, KissCode::Deny, out),
            };
        }
        match self.limiter.check_or_leak(ip, now, rng) {
            Verdict::Answer => {}
            Verdict::Kiss => return self.kiss(datagram.data, &req, KissCode::Rate, out),
            Verdict::Drop => return Outcome::Dropped(DropReason::RateLimited),
        }
        let is_nts = nts::is_nts(&req);
        if is_nts && req.mac.is_some() {
            return Outcome::Dropped(DropReason::NtsWithMac);
        }
        if is_nts {
            let Some(keys) = keys else {
                return Outcome::Dropped(DropReason::NtsUnavailable);
            };
            return self.nts(now, datagram, req, keys, rng, out);
        }
        if self.config.require_nts {
            return Outcome::Dropped(DropReason::NtsRequired);
        }
        match req.mac {
            Some(mac) => self.keyed(now, ip, &req, datagram, mac, out),
            None => self.plain(now, ip, &req, datagram.rx, out),
        }
    }

    /// A request with a MAC (RFC 5905 §9.1, RFC 8573): the reply of
    /// [`Server::plain`] signed with the request's key when its MAC
    /// verifies; nothing otherwise (as chronyd: no crypto-NAK).
    fn keyed(
        &mut self,
        now: Time,
        ip: IpAddr,
        req: &Packet<'_>,
        datagram: Datagram<'_>,
        mac: Mac<'_>,
        out: &mut [u8],
    ) -> Outcome {
        let id = match symmetric::check_mac(datagram.data, mac, &self.keys) {
            Ok(key) => key.id(),
            Err(e) => return Outcome::Dropped(mac_refused(e)),
        };
        let (len, interleaved) = match self.plain(now, ip, req, datagram.rx, out) {
            Outcome::Reply { len, kind } => (len, kind == ReplyKind::Interleaved),
            other => return other,
        };
        match self
            .keys
            .key(id)
            .and_then(|key| symmetric::sign(out, len, key))
        {
            Some(len) => Outcome::Reply {
                len,
                kind: ReplyKind::Keyed {
                    key_id: id,
                    interleaved,
                },
            },
            None => Outcome::Dropped(DropReason::BufferTooSmall),
        }
    }

    /// A kiss-o'-death with `code` for `req` (from `data`), signed with
    /// the request's key when its MAC verifies; the drop of `code`'s cause
    /// if it does not fit.
    fn kiss(&self, data: &[u8], req: &Packet<'_>, code: KissCode, out: &mut [u8]) -> Outcome {
        let otherwise = match code {
            KissCode::Deny => DropReason::Denied,
            _ => DropReason::RateLimited,
        };
        let Some(len) = access::kiss_reply(req, code, out) else {
            return Outcome::Dropped(otherwise);
        };
        let key = req
            .mac
            .and_then(|mac| symmetric::check_mac(data, mac, &self.keys).ok());
        match key {
            None => Outcome::Kiss { code, len },
            Some(key) => match symmetric::sign(out, len, key) {
                Some(len) => Outcome::Kiss { code, len },
                None => Outcome::Dropped(otherwise),
            },
        }
    }

    /// A basic reply, or an interleaved one (RFC 9769) when `req` asks for
    /// it and the previous reply's transmit time is known.
    fn plain(
        &mut self,
        now: Time,
        ip: IpAddr,
        req: &Packet<'_>,
        rx: Time,
        out: &mut [u8],
    ) -> Outcome {
        let interleaved = self.config.interleaved;
        let prev_tx = interleaved
            .then(|| self.xleave.interleaved_tx(ip, req))
            .flatten();
        let (origin, transmit, kind) = match prev_tx {
            Some(prev) => (
                req.receive_timestamp,
                ntp_from_time(prev),
                ReplyKind::Interleaved,
            ),
            None => (req.transmit_timestamp, ntp_from_time(now), ReplyKind::Basic),
        };
        let len = match write_reply(req, origin, rx, transmit, &self.clock, out) {
            Ok(len) => len,
            Err(e) => return Outcome::Dropped(e.into()),
        };
        mark_upgrade(self.upgrade_answer(req), out);
        if interleaved {
            let rx = ntp_from_time(rx);
            self.xleave.replied(ip, rx);
            self.last_reply = Some((ip, rx));
        }
        Outcome::Reply { len, kind }
    }

    /// An NTS request (RFC 8915 §5.7): a protected reply, an NTS NAK when
    /// the cookie does not open or the request does not authenticate,
    /// nothing when it is malformed.
    fn nts(
        &mut self,
        now: Time,
        datagram: Datagram<'_>,
        req: Packet<'_>,
        keys: &dyn MasterKeys,
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Outcome {
        match nts::open_packet(datagram.data, req, |id| keys.find(id)) {
            Ok(checked) => self.nts_reply(now, datagram.rx, &checked, keys, rng, out),
            // No larger than the request (RFC 8915 §5.7).
            Err(NtsError::BadCookie | NtsError::BadAuthenticator) => nak(&req, out),
            Err(_) => Outcome::Dropped(DropReason::NtsMalformed),
        }
    }

    /// The protected reply to `checked`: one fresh cookie under the current
    /// master key per cookie spent or asked for (RFC 8915 §5.7, §6).
    fn nts_reply(
        &self,
        now: Time,
        rx: Time,
        checked: &CheckedRequest<'_>,
        keys: &dyn MasterKeys,
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Outcome {
        let req = &checked.packet;
        let mut header = [0u8; HEADER_LEN];
        let transmit = ntp_from_time(now);
        if let Err(e) = write_reply(
            req,
            req.transmit_timestamp,
            rx,
            transmit,
            &self.clock,
            &mut header,
        ) {
            return Outcome::Dropped(e.into());
        }
        mark_upgrade(self.upgrade_answer(req), &mut header);
        let made = match fresh_cookies(keys, &checked.keys, checked.cookies_wanted, rng) {
            Ok(made) => made,
            Err(reason) => return Outcome::Dropped(reason),
        };
        let list = made.list();
        let mut nonce = [0u8; nts::NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let cookies = list.get(..checked.cookies_wanted).unwrap_or_default();
        match nts::write_response(
            out,
            &header,
            checked.uid,
            &checked.keys.s2c,
            &nonce,
            cookies,
        ) {
            Ok(len) => Outcome::Reply {
                len,
                kind: ReplyKind::Nts,
            },
            Err(_) => Outcome::Dropped(DropReason::BufferTooSmall),
        }
    }

    /// The reply just handled left with kernel transmit-timestamp id `id`
    /// (only interleavable replies are remembered).
    pub fn sent_with_id(&mut self, id: u64) {
        if let Some((ip, rx)) = self.last_reply.take() {
            self.pending.push(id, ip, rx);
        }
    }

    /// The kernel's transmit timestamp `tx` (served time) of the reply
    /// that left with id `id`: the interleaved mode's next reply to that
    /// client carries it (RFC 9769).
    pub fn transmitted(&mut self, id: u64, tx: Time) {
        if let Some((ip, rx)) = self.pending.take(id) {
            self.xleave.transmitted(ip, rx, tx);
        }
    }
}

/// Puts the NTPv5 upgrade signal in the reference timestamp of the NTPv4
/// reply header at the start of `out` (draft-ietf-ntp-ntpv5, "NTPv5
/// Negotiation in Previous NTP Versions"): the server speaks NTPv5.
/// Fresh cookies for an NTS reply (RFC 8915 §5.7, §6).
pub(crate) struct FreshCookies {
    cookies: [[u8; nts::COOKIE_LEN_512]; nts::MAX_COOKIES],
    lens: [usize; nts::MAX_COOKIES],
}

impl FreshCookies {
    /// The cookies, as slices (the unused ones empty).
    pub(crate) fn list(&self) -> [&[u8]; nts::MAX_COOKIES] {
        core::array::from_fn(|i| self.cookies[i].get(..self.lens[i]).unwrap_or_default())
    }
}

/// Makes `wanted` cookies holding `inside` under the current master key.
pub(crate) fn fresh_cookies(
    keys: &dyn MasterKeys,
    inside: &nts::Keys,
    wanted: usize,
    rng: &mut impl RngCore,
) -> Result<FreshCookies, DropReason> {
    let current = keys.current().ok_or(DropReason::NtsUnavailable)?;
    let mut made = FreshCookies {
        cookies: [[0u8; nts::COOKIE_LEN_512]; nts::MAX_COOKIES],
        lens: [0; nts::MAX_COOKIES],
    };
    for (c, len) in made.cookies.iter_mut().zip(&mut made.lens).take(wanted) {
        let mut nonce = [0u8; nts::NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        *len = nts::make_cookie(&current, &nonce, inside, c)
            .map_err(|_| DropReason::BufferTooSmall)?;
    }
    Ok(made)
}

fn mark_upgrade(signal: Option<UpgradeSignal>, out: &mut [u8]) {
    if let Some(signal) = signal {
        signal.mark_bytes(out);
    }
}

/// Why a request's MAC was refused.
fn mac_refused(e: MacError) -> DropReason {
    match e {
        MacError::UnknownKey(_) => DropReason::UnknownKey,
        MacError::Malformed | MacError::Missing | MacError::CryptoNak | MacError::BadMac(_) => {
            DropReason::BadMac
        }
    }
}

/// An NTS NAK for `req` (RFC 8915 §5.7): a kiss-o'-death with code NTSN
/// and the request's unique identifier, unauthenticated.
fn nak(req: &Packet<'_>, out: &mut [u8]) -> Outcome {
    let mut header = [0u8; HEADER_LEN];
    let written = nts::packet_uid(req).and_then(|uid| {
        access::kiss_reply(req, KissCode::Ntsn, &mut header)?;
        nts::write_nak(out, &header, uid).ok()
    });
    match written {
        Some(len) => Outcome::Kiss {
            code: KissCode::Ntsn,
            len,
        },
        None => Outcome::Dropped(DropReason::BufferTooSmall),
    }
}

#[cfg(test)]
mod handle_tests;
#[cfg(test)]
mod keyed_tests;
#[cfg(test)]
mod v5_nts_tests;
#[cfg(test)]
mod v5_tests;
