//! The master sanity gate: a defence against a rogue or spoofed master in
//! front of any [`Servo`](super::Servo).
//!
//! IEEE 1588-2019 leaves the choice of master to the BMCA (§9.3) and
//! offers the acceptable master table (§17.6) and authentication (Annex P)
//! to restrict it; neither helps against a master that is acceptable but
//! wrong, or one that forges a trusted master's identity. Like chrony's
//! `maxchange` and ntpd's panic gate, the gate looks at what the servo is
//! asked to correct: once the servo has locked, a measurement whose offset
//! (the disciplined clock minus the master) is beyond a threshold is held
//! back, and it is followed only when the disagreement has lasted for the
//! hold time without a single measurement back within the threshold. A
//! master that is right after all (the local clock was wrong) is followed
//! after the hold; a rogue that comes and goes is never followed.
//!
//! Sans-IO: the caller gives the time of each measurement and the servo's
//! state; the gate says [`Verdict::Follow`] or [`Verdict::Hold`] and keeps
//! the count and state for the status.

use crate::servo::ServoState;
use crate::time::{Duration, Time};

/// The default threshold once the servo has locked: no locked servo is a
/// second off (its own error estimate is microseconds to milliseconds), so
/// a master a second or more away is a different clock, not noise.
pub const DEFAULT_THRESHOLD: Duration = Duration::from_secs(1);

/// The default hold time.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(60);

/// How far a master may disagree with the disciplined clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Threshold {
    /// [`DEFAULT_THRESHOLD`] once the servo has reported locked; no gate
    /// before the first lock (a clock that was never set may be any
    /// distance from the truth).
    #[default]
    Auto,
    /// This distance, once the servo has reported locked.
    Fixed(Duration),
    /// No gate.
    Off,
}

/// The gate's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SanityConfig {
    /// The largest |offset| followed at once.
    pub threshold: Threshold,
    /// How long a disagreement must last before it is followed.
    pub hold: Duration,
}

impl Default for SanityConfig {
    fn default() -> Self {
        SanityConfig {
            threshold: Threshold::Auto,
            hold: DEFAULT_HOLD,
        }
    }
}

/// What to do with a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Hand it to the servo.
    Follow,
    /// Drop it: the master disagrees with the disciplined clock and has not
    /// done so for the hold time yet.
    Hold,
    /// Hand it to the servo: the master has disagreed for the hold time,
    /// and this is the first measurement followed. The servo should start
    /// over (its state belongs to the old time).
    Release,
}

/// The master sanity gate (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SanityGate {
    config: SanityConfig,
    /// The servo has reported locked at least once.
    armed: bool,
    /// When the disagreement in force started.
    disagreement: Option<Time>,
    /// The offset of the last measurement held.
    last_held: Option<Duration>,
    /// Disagreements held (each counted once, when it starts).
    held: u64,
    /// A disagreement was released: followed until the offset is back
    /// within the threshold.
    following: bool,
}

impl SanityGate {
    /// A gate; it arms when the servo first reports locked.
    pub fn new(config: SanityConfig) -> Self {
        SanityGate {
            config,
            armed: false,
            disagreement: None,
            last_held: None,
            held: 0,
            following: false,
        }
    }

    /// The configured threshold, armed or not (`None`: off).
    fn limit(&self) -> Option<Duration> {
        match self.config.threshold {
            Threshold::Auto => Some(DEFAULT_THRESHOLD),
            Threshold::Fixed(d) => Some(d.abs()),
            Threshold::Off => None,
        }
    }

    /// The threshold in force now, if the gate is armed.
    pub fn threshold(&self) -> Option<Duration> {
        self.limit().filter(|_| self.armed && !self.following)
    }

    /// Judges a measurement taken at `at` with `offset` (disciplined clock
    /// minus master), the servo being in `servo` before it.
    pub fn check(&mut self, at: Time, offset: Duration, servo: ServoState) -> Verdict {
        let Some(limit) = self.limit() else {
            return Verdict::Follow;
        };
        let within = offset.abs() <= limit;
        if self.following {
            // A released disagreement is followed until the clock has
            // caught up; only then does the gate arm again.
            self.following = !within;
            return Verdict::Follow;
        }
        if servo == ServoState::Locked {
            self.armed = true;
        }
        if !self.armed || within {
            self.disagreement = None;
            self.last_held = None;
            return Verdict::Follow;
        }
        match self.disagreement {
            Some(since) if at - since >= self.config.hold => {
                self.disagreement = None;
                self.last_held = None;
                self.following = true;
                self.armed = false;
                Verdict::Release
            }
            Some(_) => {
                self.last_held = Some(offset);
                Verdict::Hold
            }
            None => {
                self.disagreement = Some(at);
                self.last_held = Some(offset);
                self.held += 1;
                Verdict::Hold
            }
        }
    }

    /// Whether a master is being held off now.
    pub fn holding(&self) -> bool {
        self.disagreement.is_some()
    }

    /// The offset of the last measurement held, while holding.
    pub fn held_offset(&self) -> Option<Duration> {
        self.last_held.filter(|_| self.holding())
    }

    /// Since when the master has been held off, while holding.
    pub fn holding_since(&self) -> Option<Time> {
        self.disagreement
    }

    /// Disagreements held so far (each counted once).
    pub fn held_count(&self) -> u64 {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Time {
        Time::from_secs_nanos(1_800_000_000 + s, 0)
    }

    const AHEAD: Duration = Duration::from_secs(-1_000_000_000);

    #[test]
    fn no_gate_before_the_first_lock() {
        let mut g = SanityGate::new(SanityConfig::default());
        assert_eq!(g.check(t(0), AHEAD, ServoState::Unlocked), Verdict::Follow);
        assert_eq!(g.held_count(), 0);
        assert!(!g.holding());
    }

    #[test]
    fn a_rogue_master_is_held_counted_once_and_not_followed() {
        let mut g = SanityGate::new(SanityConfig::default());
        assert_eq!(
            g.check(t(0), Duration::from_micros(3), ServoState::Locked),
            Verdict::Follow
        );
        for s in 1..60 {
            assert_eq!(g.check(t(s), AHEAD, ServoState::Locked), Verdict::Hold);
        }
        assert!(g.holding());
        assert_eq!(g.held_count(), 1);
        assert_eq!(g.held_offset(), Some(AHEAD));
        assert_eq!(g.holding_since(), Some(t(1)));
        // The real master is back: the disagreement is over.
        assert_eq!(
            g.check(t(61), Duration::from_micros(2), ServoState::Locked),
            Verdict::Follow
        );
        assert!(!g.holding());
        // A rogue that comes and goes is never followed: each time it starts over.
        for round in 0..5 {
            let base = 100 + round * 40;
            for s in 0..30 {
                assert_eq!(
                    g.check(t(base + s), AHEAD, ServoState::Locked),
                    Verdict::Hold
                );
            }
            assert_eq!(
                g.check(t(base + 31), Duration::ZERO, ServoState::Locked),
                Verdict::Follow
            );
        }
        assert_eq!(g.held_count(), 6);
    }

    #[test]
    fn a_lasting_disagreement_is_followed_after_the_hold() {
        let config = SanityConfig {
            threshold: Threshold::Fixed(Duration::from_millis(10)),
            hold: Duration::from_secs(30),
        };
        let mut g = SanityGate::new(config);
        g.check(t(0), Duration::ZERO, ServoState::Locked);
        let off = Duration::from_millis(50);
        assert_eq!(g.check(t(1), off, ServoState::Locked), Verdict::Hold);
        assert_eq!(g.check(t(30), off, ServoState::Locked), Verdict::Hold);
        assert_eq!(g.check(t(31), off, ServoState::Locked), Verdict::Release);
        assert!(!g.holding());
        // Followed until the clock has caught up, even if the servo says
        // locked meanwhile.
        assert_eq!(g.check(t(32), off, ServoState::Unlocked), Verdict::Follow);
        assert_eq!(g.check(t(33), off, ServoState::Locked), Verdict::Follow);
        assert_eq!(g.threshold(), None);
        assert_eq!(
            g.check(t(34), Duration::from_millis(1), ServoState::Locked),
            Verdict::Follow
        );
        // Small offsets within the threshold always pass; a locked servo
        // arms the gate again.
        assert_eq!(
            g.check(t(35), Duration::from_millis(9), ServoState::Locked),
            Verdict::Follow
        );
        assert_eq!(g.threshold(), Some(Duration::from_millis(10)));
        assert_eq!(g.held_count(), 1);
    }

    #[test]
    fn off_never_holds() {
        let config = SanityConfig {
            threshold: Threshold::Off,
            hold: DEFAULT_HOLD,
        };
        let mut g = SanityGate::new(config);
        g.check(t(0), Duration::ZERO, ServoState::Locked);
        assert_eq!(g.check(t(1), AHEAD, ServoState::Locked), Verdict::Follow);
        assert_eq!(g.held_count(), 0);
    }
}
