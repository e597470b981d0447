//! One NTP source (RFC 5905 §9, §13), sans-IO: when to poll, the request to
//! send, and what a reply (or its absence) does to the source: the
//! reachability register, the clock filter, the poll interval, and the
//! kiss-o'-death codes. The caller owns the socket and the clock.

use tempora_clock::{Duration, Time};

use super::filter::{ClockFilter, FilterSample, Filtered};
use crate::exchange::{ReplyError, Request, Sample};
use crate::wire::HEADER_LEN;

/// How a source is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollConfig {
    /// The shortest poll interval, log2 s (RFC 5905 §7.3: MINPOLL 4; down
    /// to 0 here, as chrony allows on LANs).
    pub minpoll: i8,
    /// The longest, log2 s (MAXPOLL 17).
    pub maxpoll: i8,
    /// Send the first eight requests two seconds apart (RFC 5905 §13).
    pub iburst: bool,
    /// Ask for the interleaved mode (RFC 9769): each reply then carries
    /// the server's precise transmit time of the previous one.
    pub xleave: bool,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            minpoll: 6,
            maxpoll: 10,
            iburst: true,
            xleave: false,
        }
    }
}

/// The state of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    /// Polling.
    Active,
    /// Told to go away (DENY or RSTR kiss, RFC 5905 §7.4): never polled
    /// again.
    Demobilized,
    /// Taken offline by the operator (chronyc's `offline`): not polled
    /// until [`Source::set_online`]; its samples are kept.
    Offline,
}

/// What happened to a reply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplyOutcome {
    /// A new sample went into the filter.
    Sample(Sample),
    /// A RATE kiss: the poll interval was raised.
    SlowedDown,
    /// A DENY or RSTR kiss: the source is demobilized.
    Demobilized,
    /// Not used (bogus, unsynchronised, malformed...), with why.
    Rejected(ReplyError),
}

/// An NTP source.
#[derive(Debug, Clone)]
pub struct Source {
    config: PollConfig,
    state: SourceState,
    /// Current poll exponent.
    poll: i8,
    /// RFC 5905 §13: shifted left at each poll, bit 0 set on a reply.
    reach: u8,
    burst_left: u8,
    next_poll: Time,
    outstanding: Option<(Request, Time)>,
    filter: ClockFilter,
    /// Good samples in a row at this poll (for raising it).
    stable: u8,
    /// The last good sample.
    pub last: Option<Sample>,
    /// The last answered exchange, for the next interleaved request:
    /// (T1, the server's receive field, T4).
    previous: Option<(Time, crate::wire::NtpTimestamp, Time)>,
    /// Samples that came from interleaved replies.
    pub interleaved_samples: u64,
}

/// The earliest poll interval after a RATE kiss (chrony backs off at least
/// this far too).
const RATE_MIN_POLL: i8 = 4;

impl Source {
    /// A source polled from `now` on.
    pub fn new(config: PollConfig, now: Time) -> Self {
        let maxpoll = config.maxpoll.max(config.minpoll);
        Source {
            config: PollConfig { maxpoll, ..config },
            state: SourceState::Active,
            poll: config.minpoll,
            reach: 0,
            burst_left: if config.iburst { 8 } else { 0 },
            next_poll: now,
            outstanding: None,
            filter: ClockFilter::default(),
            stable: 0,
            last: None,
            previous: None,
            interleaved_samples: 0,
        }
    }

    /// Its state.
    pub fn state(&self) -> SourceState {
        self.state
    }

    /// The reachability register (octal 377: the last eight polls answered).
    pub fn reach(&self) -> u8 {
        self.reach
    }

    /// The current poll exponent, log2 s.
    pub fn poll(&self) -> i8 {
        self.poll
    }

    /// When to poll next (`None` once demobilized).
    pub fn next_poll(&self) -> Option<Time> {
        (self.state == SourceState::Active).then_some(self.next_poll)
    }

    /// Time to poll: the request to send (`cookie`: 64 random bits). The
    /// register shifts; an unanswered previous request counts as lost.
    pub fn poll_now(&mut self, now: Time, cookie: u64) -> Option<[u8; HEADER_LEN]> {
        if self.state != SourceState::Active || now < self.next_poll {
            return None;
        }
        self.reach <<= 1;
        if self.outstanding.is_some() {
            // The last request went unanswered: its exchange cannot be
            // completed, so the next request is a basic one (RFC 9769).
            self.previous = None;
        }
        if self.outstanding.is_some() && self.reach & 0x0e == 0 {
            // Three polls unanswered: poll half as often, up to maxpoll, so
            // that a dead server is not hammered (RFC 8633 §3.4; RFC 5905
            // §13 raises the poll of an unreachable source too).
            self.poll = (self.poll + 1).min(self.config.maxpoll);
            self.stable = 0;
            self.burst_left = 0;
        }
        let (request, bytes) = match (self.config.xleave, self.previous) {
            (true, Some((t1, server_receive, t4))) => {
                Request::new_interleaved(cookie, t1, server_receive, t4)
            }
            _ => Request::new(cookie),
        };
        self.outstanding = Some((request, now));
        let interval = if self.burst_left > 0 {
            self.burst_left -= 1;
            Duration::from_secs(2)
        } else {
            Duration::from_log2_secs(self.poll)
        };
        self.next_poll = now + interval;
        Some(bytes)
    }

    /// The request just sent left at `t1` (its transmit timestamp).
    pub fn sent_at(&mut self, t1: Time) {
        if let Some((_, at)) = &mut self.outstanding {
            *at = t1;
        }
    }

    /// A datagram from the source's address arrived at `t4`.
    pub fn handle_reply(&mut self, data: &[u8], t4: Time) -> ReplyOutcome {
        let Some((request, t1)) = self.outstanding else {
            return ReplyOutcome::Rejected(ReplyError::Bogus);
        };
        self.handle_completed(request.complete(data, t1, t4), t4)
    }

    /// The transmit time (T1) of the request in flight, if one is: for an
    /// exchange the caller completes itself (an NTPv5 request sent in its
    /// place, `crate::v5::V5Request`).
    pub fn outstanding_since(&self) -> Option<Time> {
        self.outstanding.map(|(_, t1)| t1)
    }

    /// The result of the exchange in flight, completed by the caller (an
    /// NTPv5 exchange) from a reply that arrived at `t4`: what
    /// [`Source::handle_reply`] does with a decoded reply, the same for
    /// every version (RFC 5905 §8 and §13 are unchanged in NTPv5).
    pub fn handle_completed(
        &mut self,
        result: Result<Sample, ReplyError>,
        t4: Time,
    ) -> ReplyOutcome {
        if self.outstanding.is_none() {
            return ReplyOutcome::Rejected(ReplyError::Bogus);
        }
        match result {
            Ok(sample) => {
                let t1 = sample.t1;
                self.outstanding = None;
                self.reach |= 1;
                // This exchange, for the next interleaved request.
                self.previous = Some((t1, sample.reply_receive, t4));
                if sample.interleaved {
                    self.interleaved_samples += 1;
                }
                self.filter.add(FilterSample {
                    offset: sample.offset,
                    delay: sample.delay,
                    root: sample.root_delay / 2 + sample.root_dispersion,
                    at: t4,
                });
                self.last = Some(sample);
                self.adapt_poll();
                ReplyOutcome::Sample(sample)
            }
            Err(ReplyError::Kiss(code)) => {
                self.outstanding = None;
                match &code.to_bytes() {
                    b"DENY" | b"RSTR" => {
                        self.state = SourceState::Demobilized;
                        ReplyOutcome::Demobilized
                    }
                    b"RATE" => {
                        // RFC 5905 §7.4: reduce the rate: double the poll
                        // interval (at least 16 s), and stop bursting.
                        self.poll = (self.poll + 1)
                            .max(RATE_MIN_POLL)
                            .min(self.config.maxpoll.max(RATE_MIN_POLL));
                        self.burst_left = 0;
                        self.next_poll = t4 + Duration::from_log2_secs(self.poll);
                        ReplyOutcome::SlowedDown
                    }
                    _ => ReplyOutcome::Rejected(ReplyError::Kiss(code)),
                }
            }
            Err(e) => ReplyOutcome::Rejected(e),
        }
    }

    /// Poll adaptation (as RFC 5905 §13's "stable" rule): after eight good
    /// samples whose jitter is small against the poll interval, poll half
    /// as often, up to maxpoll.
    fn adapt_poll(&mut self) {
        self.stable = self.stable.saturating_add(1);
        if self.burst_left > 0 || self.stable < 8 || self.poll >= self.config.maxpoll {
            return;
        }
        let jitter = self.filter.best().map_or(Duration::MAX, |f| f.jitter);
        // Jitter under 1/16 of a millisecond per poll second is stable.
        if jitter < Duration::from_micros(64) {
            self.poll += 1;
            self.stable = 0;
        }
    }

    /// Polls now and then `count` more times two seconds apart (as
    /// chronyc's `burst`; RFC 5905 §13's BURST sends eight), then at the
    /// poll interval again. False (nothing done) unless active.
    pub fn burst(&mut self, now: Time, count: u8) -> bool {
        if self.state != SourceState::Active {
            return false;
        }
        self.burst_left = count;
        self.next_poll = now;
        true
    }

    /// Takes the source offline (no polls; an outstanding request is
    /// forgotten, unanswered polls do not empty the reachability register)
    /// or back online at `now` (polled at once). A demobilized source stays
    /// so. Returns whether the state changed.
    pub fn set_online(&mut self, now: Time, online: bool) -> bool {
        match (self.state, online) {
            (SourceState::Active, false) => {
                self.state = SourceState::Offline;
                self.outstanding = None;
                self.burst_left = 0;
                true
            }
            (SourceState::Offline, true) => {
                self.state = SourceState::Active;
                self.next_poll = now;
                true
            }
            _ => false,
        }
    }

    /// The filtered state, if the source has samples and is reachable.
    pub fn filtered(&self) -> Option<Filtered> {
        if self.reach == 0 || self.state != SourceState::Active {
            return None;
        }
        self.filter.best()
    }

    /// The clock was stepped (`now` is the new time): samples and the poll
    /// schedule of before no longer apply; poll again now.
    pub fn clock_stepped(&mut self, now: Time) {
        self.filter.clear();
        self.outstanding = None;
        self.last = None;
        self.previous = None;
        if self.state == SourceState::Active {
            self.next_poll = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ntp_from_time;
    use crate::wire::{Mode, Packet, ReferenceId};

    fn reply_to(req: &[u8], t2: Time, stratum: u8, refid: [u8; 4]) -> [u8; 48] {
        let r = Packet::decode(req).unwrap();
        let mut p = Packet::new(Mode::Server);
        p.stratum = stratum;
        p.reference_id = ReferenceId(refid);
        p.origin_timestamp = r.transmit_timestamp;
        p.receive_timestamp = ntp_from_time(t2);
        p.transmit_timestamp = ntp_from_time(t2);
        let mut out = [0u8; 48];
        p.encode(&mut out).unwrap();
        out
    }

    #[test]
    fn burst_offline_and_online() {
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let cfg = PollConfig {
            minpoll: 6,
            maxpoll: 10,
            iburst: false,
            xleave: false,
        };
        let mut s = Source::new(cfg, t0);
        // Polls at `now`, answered 100 µs later.
        let answered = |s: &mut Source, now: Time, cookie: u64| {
            let req = s.poll_now(now, cookie).unwrap();
            let reply = reply_to(&req, now + Duration::from_micros(50), 1, *b"GPS\0");
            s.handle_reply(&reply, now + Duration::from_micros(100));
        };
        answered(&mut s, t0, 1);
        assert_eq!(s.next_poll(), Some(t0 + Duration::from_secs(64)));
        // A burst: now, then four more 2 s apart, then the poll interval.
        let t1 = t0 + Duration::from_secs(10);
        assert!(s.burst(t1, 4));
        assert_eq!(s.next_poll(), Some(t1));
        let mut at = t1;
        for i in 0..4 {
            answered(&mut s, at, 2 + i);
            assert_eq!(s.next_poll(), Some(at + Duration::from_secs(2)));
            at += Duration::from_secs(2);
        }
        answered(&mut s, at, 9);
        assert_eq!(s.next_poll(), Some(at + Duration::from_secs(64)));
        // Offline: no polls, no burst, the register kept.
        let reach = s.reach();
        assert_eq!(reach, 0x3f);
        assert!(s.set_online(at, false));
        assert!(!s.set_online(at, false), "already offline");
        assert_eq!(s.state(), SourceState::Offline);
        assert_eq!(s.next_poll(), None);
        assert!(s.poll_now(at + Duration::from_secs(999), 4).is_none());
        assert!(!s.burst(at, 8));
        assert_eq!(s.reach(), reach);
        // Online: polled at once.
        let t2 = at + Duration::from_secs(1000);
        assert!(s.set_online(t2, true));
        assert_eq!(s.next_poll(), Some(t2));
        assert!(s.poll_now(t2, 5).is_some());
    }

    #[test]
    fn iburst_reach_and_poll_adaptation() {
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let mut s = Source::new(
            PollConfig {
                minpoll: 0,
                maxpoll: 3,
                iburst: true,
                xleave: false,
            },
            t0,
        );
        let mut polls = [Time::EPOCH; 60];
        for i in 0..60u64 {
            let now = s.next_poll().unwrap();
            let req = s.poll_now(now, i).unwrap();
            polls[i as usize] = now;
            // The server is 5 ms ahead, 100 µs away.
            let t2 = now + Duration::from_micros(50) + Duration::from_millis(5);
            let out = s.handle_reply(
                &reply_to(&req, t2, 1, *b"GPS\0"),
                now + Duration::from_micros(100),
            );
            assert!(matches!(out, ReplyOutcome::Sample(_)), "{out:?}");
        }
        // Eight 2 s iburst polls first.
        assert_eq!(polls[1] - polls[0], Duration::from_secs(2));
        assert_eq!(polls[8] - polls[7], Duration::from_secs(2));
        assert_eq!(s.reach(), 0xff);
        assert_eq!(s.poll(), 3, "stable: up to maxpoll");
        let f = s.filtered().unwrap();
        assert!((f.best.offset - Duration::from_millis(5)).abs() < Duration::from_micros(1));
        // Unanswered polls: reach decays; the poll stays long (at maxpoll).
        for i in 0..4 {
            let now = s.next_poll().unwrap();
            s.poll_now(now, 100 + i).unwrap();
        }
        assert_eq!(s.reach(), 0xf0);
        assert_eq!(s.poll(), 3);
        // After a step the source polls at once, with an empty filter.
        let later = s.next_poll().unwrap() - Duration::from_secs(3);
        s.clock_stepped(later);
        assert_eq!(s.next_poll(), Some(later));
        assert!(s.filtered().is_none() || s.reach() != 0);
    }

    /// An exchange completed by the caller (NTPv5) is taken as a decoded
    /// reply is: only with a request in flight, from its T1.
    #[test]
    fn completed_elsewhere() {
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let mut s = Source::new(PollConfig::default(), t0);
        let sample = |s: &mut Source| {
            let req = s.poll_now(s.next_poll().unwrap(), 7).unwrap();
            let t1 = s.outstanding_since().unwrap();
            let t2 = t1 + Duration::from_millis(3);
            let reply = reply_to(&req, t2, 2, *b"ABCD");
            let (request, _) = Request::new(7);
            (
                request.complete(&reply, t1, t1 + Duration::from_micros(10)),
                t1,
            )
        };
        assert_eq!(s.outstanding_since(), None);
        let (result, t1) = sample(&mut s);
        let out = s.handle_completed(result, t1 + Duration::from_micros(10));
        assert!(matches!(out, ReplyOutcome::Sample(_)), "{out:?}");
        assert_eq!((s.reach(), s.outstanding_since()), (1, None));
        // Nothing in flight: refused.
        let again = s.handle_completed(result, t1);
        assert_eq!(again, ReplyOutcome::Rejected(ReplyError::Bogus));
        let f = s.filtered().unwrap();
        assert!((f.best.offset - Duration::from_millis(3)).abs() < Duration::from_micros(10));
    }

    #[test]
    fn kisses() {
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let cfg = PollConfig {
            minpoll: 0,
            maxpoll: 6,
            iburst: true,
            xleave: false,
        };
        let mut s = Source::new(cfg, t0);
        let req = s.poll_now(t0, 1).unwrap();
        assert_eq!(
            s.handle_reply(&reply_to(&req, t0, 0, *b"RATE"), t0),
            ReplyOutcome::SlowedDown
        );
        assert_eq!(s.poll(), 4);
        assert_eq!(s.next_poll(), Some(t0 + Duration::from_secs(16)));
        let now = t0 + Duration::from_secs(16);
        let req = s.poll_now(now, 2).unwrap();
        assert_eq!(
            s.handle_reply(&reply_to(&req, now, 0, *b"DENY"), now),
            ReplyOutcome::Demobilized
        );
        assert_eq!(s.state(), SourceState::Demobilized);
        assert_eq!(s.next_poll(), None);
        assert!(s.poll_now(now + Duration::from_secs(100), 3).is_none());
        // A reply nobody asked for.
        let mut t = Source::new(cfg, t0);
        assert!(matches!(
            t.handle_reply(&[0u8; 48], t0),
            ReplyOutcome::Rejected(_)
        ));
    }
}
