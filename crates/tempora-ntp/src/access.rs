//! Who the server answers, and how often (sans-IO, allocation-free): CIDR
//! allow and deny lists, and per-client rate limiting over a table of fixed
//! size, as RFC 8633 §3.5 (BCP 223) advises: rate-limit by client address,
//! answer over-eager clients with a RATE kiss-o'-death (RFC 5905 §7.4) at
//! most once per interval, and keep the state bounded so that a flood from
//! many addresses cannot exhaust memory.

use core::net::IpAddr;

use rand_core::RngCore;
use tempora_clock::{Duration, Time};

use crate::wire::{HEADER_LEN, KissCode, LeapIndicator, Mode, NtpTimestamp, Packet, ReferenceId};

/// An address block, `ADDRESS/PREFIX` (an address alone is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl core::fmt::Display for Cidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Why a CIDR block did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidrError {
    /// The address part is not an IP address.
    BadAddress,
    /// The prefix is not a number within the address's length.
    BadPrefix,
}

impl core::fmt::Display for CidrError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CidrError::BadAddress => "not an IP address",
            CidrError::BadPrefix => "prefix length out of range",
        })
    }
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `fd00::/8`, `192.0.2.1`.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().map_err(|_| CidrError::BadAddress)?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or(CidrError::BadPrefix)?,
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the block (an IPv4-mapped IPv6 address counts as
    /// its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The slot of `ip` in a per-client table of `n` slots: FNV-1a over the
/// table's random `key` and the address bytes, so that clients cannot aim
/// at one another's slots.
pub(crate) fn slot_index(key: u64, ip: IpAddr, n: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ key;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    match ip {
        IpAddr::V4(a) => a.octets().into_iter().for_each(&mut eat),
        IpAddr::V6(a) => a.octets().into_iter().for_each(&mut eat),
    }
    (h % n.max(1) as u64) as usize
}

/// The access lists: a client is refused if a deny block holds it, else
/// answered if the allow list is empty or one of its blocks holds it.
pub fn allowed(allow: &[Cidr], deny: &[Cidr], ip: IpAddr) -> bool {
    if deny.iter().any(|c| c.contains(ip)) {
        return false;
    }
    allow.is_empty() || allow.iter().any(|c| c.contains(ip))
}

/// Rate limiting settings (as chrony's `ratelimit interval burst`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The average interval allowed between a client's requests.
    pub interval: Duration,
    /// How many requests a client may send at once after a quiet spell.
    pub burst: u32,
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answer it.
    Answer,
    /// Over its rate: answer with a RATE kiss (at most once per interval).
    Kiss,
    /// Over its rate: drop it.
    Drop,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    ip: Option<IpAddr>,
    /// Tokens × 2^16 (fixed point), at `at`.
    tokens: u64,
    at: Time,
    last_kiss: Time,
}

const EMPTY: Slot = Slot {
    ip: None,
    tokens: 0,
    at: Time::EPOCH,
    last_kiss: Time::EPOCH,
};

/// Per-client token buckets in a table of `N` slots. A client is found by
/// the hash of its address; a newcomer whose slot holds another client
/// takes it over (that client starts afresh, with a full bucket): memory
/// never grows, whatever the number of addresses.
///
/// With a leak `L` (as chrony's `ratelimit leak`), a request over its rate
/// is still answered with probability 2^-L, drawn from the generator the
/// caller passes ([`RateLimiter::check_or_leak`]): an attacker who floods
/// with a victim's spoofed source address can thin the victim's replies
/// but never cut them off (RFC 8633 §3.5 warns of exactly this abuse of
/// rate limiting).
#[derive(Debug, Clone)]
pub struct RateLimiter<const N: usize> {
    limit: RateLimit,
    slots: [Slot; N],
    key: u64,
    leak: u8,
}

/// The largest leak (2^-16: one request in 65,536 leaks through).
pub const MAX_LEAK: u8 = 16;

/// Whether a request over its rate leaks through: with probability 2^-`leak`
/// (never with `leak` 0), one draw from `rng`. Nothing is drawn with
/// `leak` 0.
pub fn leaks(leak: u8, rng: &mut dyn RngCore) -> bool {
    if leak == 0 {
        return false;
    }
    let mask = (1u32 << leak.min(MAX_LEAK)) - 1;
    rng.next_u32() & mask == 0
}

const ONE: u64 = 1 << 16;

impl<const N: usize> RateLimiter<N> {
    /// A limiter; `key` (random) makes the slots unpredictable to clients.
    pub fn new(limit: RateLimit, key: u64) -> Self {
        RateLimiter {
            limit,
            slots: [EMPTY; N],
            key,
            leak: 0,
        }
    }

    /// The same limiter with leak `leak` (0: none, the default of
    /// [`RateLimiter::new`]; at most [`MAX_LEAK`]): a request over its
    /// rate is answered with probability 2^-`leak` by
    /// [`RateLimiter::check_or_leak`].
    pub fn with_leak(mut self, leak: u8) -> Self {
        self.leak = leak.min(MAX_LEAK);
        self
    }

    /// Its leak.
    pub fn leak(&self) -> u8 {
        self.leak
    }

    fn slot_of(&self, ip: IpAddr) -> usize {
        slot_index(self.key, ip, N)
    }

    /// Accounts a request from `ip` at `now` (no leak: a request over its
    /// rate is never answered).
    pub fn check(&mut self, ip: IpAddr, now: Time) -> Verdict {
        self.account(ip, now, || false)
    }

    /// Accounts a request from `ip` at `now`; over its rate, the request
    /// is answered all the same with probability 2^-leak, drawn from `rng`
    /// (drawn from only then). A leaked request takes no token and no
    /// kiss.
    pub fn check_or_leak(&mut self, ip: IpAddr, now: Time, rng: &mut dyn RngCore) -> Verdict {
        let leak = self.leak;
        self.account(ip, now, || leaks(leak, rng))
    }

    /// Refills the client's bucket and takes a token; over its rate,
    /// `leaked` says whether the request is answered all the same.
    fn account(&mut self, ip: IpAddr, now: Time, leaked: impl FnOnce() -> bool) -> Verdict {
        if N == 0 {
            return Verdict::Answer;
        }
        let i = self.slot_of(ip);
        let limit = self.limit;
        let full = u64::from(limit.burst.max(1)) * ONE;
        let Some(slot) = self.slots.get_mut(i) else {
            return Verdict::Answer;
        };
        if slot.ip != Some(ip) {
            *slot = Slot {
                ip: Some(ip),
                tokens: full,
                at: now,
                last_kiss: Time::EPOCH,
            };
        }
        // Refill: one token per interval since the last request.
        let elapsed = (now - slot.at).max(Duration::ZERO);
        let interval = limit.interval.scaled_nanos().max(1);
        let refill = (elapsed.scaled_nanos().saturating_mul(i128::from(ONE)) / interval)
            .clamp(0, i128::from(full)) as u64;
        slot.tokens = slot.tokens.saturating_add(refill).min(full);
        slot.at = now;
        if slot.tokens >= ONE {
            slot.tokens -= ONE;
            return Verdict::Answer;
        }
        if leaked() {
            return Verdict::Answer;
        }
        if now - slot.last_kiss >= limit.interval {
            slot.last_kiss = now;
            Verdict::Kiss
        } else {
            Verdict::Drop
        }
    }
}

/// A rate limiter as the server core consults it, once per request that
/// passed the access lists (RFC 8633 §3.5): a [`RateLimiter`] of its own,
/// one shared between threads behind the caller's lock (the core needs no
/// lock itself), or [`Unlimited`].
pub trait Limiter {
    /// Accounts a request from `ip` at `now`.
    fn check(&mut self, ip: IpAddr, now: Time) -> Verdict;

    /// Accounts a request from `ip` at `now`, letting a request over its
    /// rate leak through as the limiter's leak says, by a draw from `rng`
    /// ([`RateLimiter::check_or_leak`]); [`Server::handle`] calls this one.
    /// By default no leak: [`Limiter::check`].
    ///
    /// [`Server::handle`]: crate::server::Server::handle
    fn check_or_leak(&mut self, ip: IpAddr, now: Time, rng: &mut dyn RngCore) -> Verdict {
        let _ = rng;
        self.check(ip, now)
    }
}

impl<const N: usize> Limiter for RateLimiter<N> {
    fn check(&mut self, ip: IpAddr, now: Time) -> Verdict {
        RateLimiter::check(self, ip, now)
    }

    fn check_or_leak(&mut self, ip: IpAddr, now: Time, rng: &mut dyn RngCore) -> Verdict {
        RateLimiter::check_or_leak(self, ip, now, rng)
    }
}

/// No limit when `None`.
impl<L: Limiter> Limiter for Option<L> {
    fn check(&mut self, ip: IpAddr, now: Time) -> Verdict {
        self.as_mut().map_or(Verdict::Answer, |l| l.check(ip, now))
    }

    fn check_or_leak(&mut self, ip: IpAddr, now: Time, rng: &mut dyn RngCore) -> Verdict {
        self.as_mut()
            .map_or(Verdict::Answer, |l| l.check_or_leak(ip, now, rng))
    }
}

/// No rate limit: every request is answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unlimited;

impl Limiter for Unlimited {
    fn check(&mut self, _: IpAddr, _: Time) -> Verdict {
        Verdict::Answer
    }
}

/// A kiss-o'-death reply to `request` with `code` (RFC 5905 §7.4: stratum
/// 0, the code as reference id, LI 3; the request's transmit timestamp as
/// origin so that the client can match it). `None` if `request` is not a
/// client request.
pub fn kiss(request: &[u8], code: KissCode, out: &mut [u8]) -> Option<usize> {
    let req = Packet::decode(request).ok()?;
    if req.mode != Mode::Client || req.version == 0 || req.version > 4 {
        return None;
    }
    kiss_reply(&req, code, out)
}

/// [`kiss`] for a request already decoded and checked (mode 3, version
/// 1–4). `None` if `out` is too small.
pub(crate) fn kiss_reply(req: &Packet<'_>, code: KissCode, out: &mut [u8]) -> Option<usize> {
    if out.len() < HEADER_LEN {
        return None;
    }
    let mut p = Packet::new(Mode::Server);
    p.leap = LeapIndicator::Unsynchronized;
    p.version = req.version;
    p.stratum = 0;
    p.poll = req.poll;
    p.reference_id = ReferenceId(code.to_bytes());
    p.origin_timestamp = req.transmit_timestamp;
    p.transmit_timestamp = NtpTimestamp::ZERO;
    p.encode(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{ReplyError, Request};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("203.0.113.1"))
        );
        assert!(
            !Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("2001:db8::1"))
        );
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(Cidr::parse("192.0.2.7").unwrap().contains(ip("192.0.2.7")));
        assert!(!Cidr::parse("192.0.2.7").unwrap().contains(ip("192.0.2.8")));
        assert_eq!(Cidr::parse("10.0.0.0/33"), Err(CidrError::BadPrefix));
        assert_eq!(Cidr::parse("ten/8"), Err(CidrError::BadAddress));
        let allow = [Cidr::parse("10.0.0.0/8").unwrap()];
        let deny = [Cidr::parse("10.9.0.0/16").unwrap()];
        assert!(allowed(&allow, &deny, ip("10.1.1.1")));
        assert!(!allowed(&allow, &deny, ip("10.9.1.1")));
        assert!(!allowed(&allow, &deny, ip("192.0.2.1")));
        assert!(allowed(&[], &deny, ip("192.0.2.1")));
    }

    #[test]
    fn token_bucket_per_client() {
        let limit = RateLimit {
            interval: Duration::from_secs(1),
            burst: 4,
        };
        let mut rl = RateLimiter::<64>::new(limit, 7);
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let a = ip("192.0.2.1");
        // A burst of 4 is answered; the 5th gets a kiss, the rest nothing.
        let verdicts: [Verdict; 8] =
            core::array::from_fn(|i| rl.check(a, t0 + Duration::from_millis(i as i64)));
        assert_eq!(&verdicts[..4], &[Verdict::Answer; 4]);
        assert_eq!(verdicts[4], Verdict::Kiss);
        assert!(verdicts[5..].iter().all(|v| *v == Verdict::Drop));
        // Another client is not affected.
        assert_eq!(rl.check(ip("192.0.2.2"), t0), Verdict::Answer);
        // One request a second is always answered.
        for s in 2..20 {
            assert_eq!(rl.check(a, t0 + Duration::from_secs(s)), Verdict::Answer);
        }
        // A flood from 100,000 addresses keeps the table at 64 slots.
        for n in 0..100_000u32 {
            let b = n.to_be_bytes();
            rl.check(IpAddr::from([10, b[1], b[2], b[3]]), t0);
        }
        assert_eq!(
            core::mem::size_of_val(&rl.slots),
            64 * core::mem::size_of::<Slot>()
        );
    }

    #[test]
    fn kiss_reaches_the_client_as_rate() {
        let (req, bytes) = Request::new(99);
        let mut out = [0u8; 48];
        let n = kiss(&bytes, KissCode::from_bytes(*b"RATE"), &mut out).unwrap();
        let t = Time::from_secs_nanos(1_800_000_000, 0);
        assert_eq!(
            req.complete(&out[..n], t, t),
            Err(ReplyError::Kiss(KissCode::from_bytes(*b"RATE")))
        );
        assert_eq!(
            kiss(&out[..n], KissCode::from_bytes(*b"RATE"), &mut [0u8; 48]),
            None
        );
    }
}
