//! The NTPv5 side of one NTP source (draft-ietf-ntp-ntpv5, "Client
//! Operation" and "NTPv5 Negotiation in Previous NTP Versions"), for
//! `crate::ntp_client`: the version negotiation of the core
//! ([`Negotiation`]) decides what each poll sends — the NTPv4 request of
//! `tempora_ntp::client::source::Source`, the same with the upgrade signal,
//! or an NTPv5 request in its place (with a chunk of the server's Bloom
//! filter asked for); replies are checked by the core ([`V5Request`]),
//! brought back to UTC, and handed to the same `Source` (reach, filter,
//! poll), so that v5 samples go to the one selection. The server's filter,
//! assembled chunk by chunk ([`RemoteFilter`]), tells whether the source
//! takes its time from us.

use std::net::SocketAddr;

use tempora_clock::{Duration, Time};
use tempora_config::{NtpDraftSetting, NtpSourceSettings, NtpTimescaleSetting, NtpVersionSetting};
use tempora_ntp::client::source::ReplyOutcome;
use tempora_ntp::exchange::{ReplyError, Sample};
use tempora_ntp::v5::{
    BloomFilter, Draft, DraftSetting, Negotiation, RefId120, RemoteFilter, Timescale,
    UpgradeSignal, V5Request, VersionSetting, Wire,
};
use tempora_ntp::wire::{HEADER_LEN, Packet};
use tempora_system::{SourceId, SystemProcess};

/// Octets of the server's Bloom filter asked for per NTPv5 request: the
/// whole 512-octet filter in eight polls (ntpd-rs asks for 16, 32 polls).
pub const CHUNK_LEN: u16 = 64;

/// Offset of the reference timestamp in an NTPv4 header (RFC 5905 §7.3).
const REFERENCE_TIMESTAMP: core::ops::Range<usize> = 16..24;

/// The NTPv5 state of a source whose `version` is 5 or `auto`.
#[derive(Debug, Clone)]
pub struct V5Source {
    negotiation: Negotiation,
    timescale: Timescale,
    /// The NTPv5 request in flight, if the last request was one.
    request: Option<V5Request>,
    filter: RemoteFilter,
    /// Samples from NTPv5 replies.
    pub samples: u64,
    /// Marked a timing loop, and the clean looks at its filter since.
    looped: Option<LoopHold>,
}

/// A timing loop's mark: kept until the server's filter has looked clean
/// `hold` times in a row (a random 8 to 64 replies, one to eight passes
/// over the filter). Two servers polling each other may both see the loop
/// at once; were both to clear it after the same number of polls, they
/// would select each other again and again. A random hold breaks the tie:
/// the first to clear follows the other, whose mark its filter renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LoopHold {
    clean: u16,
    hold: u16,
}

/// The fewest and most clean looks before a loop's mark is cleared.
const LOOP_HOLD: core::ops::RangeInclusive<u16> = 8..=64;

/// What a reply was, for the negotiation and the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum V5Outcome {
    /// Not an NTPv5 reply: for the NTPv4 path; `upgrade_echoed` when it
    /// carries the upgrade signal.
    V4 {
        /// The server signalled NTPv5.
        upgrade_echoed: bool,
    },
    /// An NTPv5 reply, checked and in UTC (or why not).
    V5(Result<Sample, ReplyError>),
}

impl V5Source {
    /// The NTPv5 state of `settings`, `None` for `version = 4`.
    pub fn new(settings: &NtpSourceSettings) -> Option<Self> {
        let setting = match settings.version {
            NtpVersionSetting::V4 => return None,
            NtpVersionSetting::V5 => VersionSetting::V5,
            NtpVersionSetting::Auto => VersionSetting::Auto,
        };
        Some(V5Source {
            negotiation: Negotiation::with_drafts(setting, draft_setting(settings.draft)),
            timescale: match settings.timescale {
                NtpTimescaleSetting::Utc => Timescale::Utc,
                NtpTimescaleSetting::Tai => Timescale::Tai,
            },
            request: None,
            filter: RemoteFilter::new(CHUNK_LEN)?,
            samples: 0,
            looped: None,
        })
    }

    /// The version in use (4 or 5).
    pub fn version(&self) -> u8 {
        self.negotiation.version()
    }

    /// The draft spoken (with `draft = "auto"`, the one tried now until a
    /// reply confirms it).
    pub fn draft(&self) -> Draft {
        self.negotiation.draft()
    }

    /// The server's whole Bloom filter, once assembled.
    pub fn remote_filter(&self) -> Option<&BloomFilter> {
        self.filter.full()
    }

    /// Whether the source is a timing loop with us, given our id `own`:
    /// its filter holds `own`, or did until fewer than the hold's clean
    /// looks ago (`LoopHold`); `None` until its filter is assembled.
    /// `draw`: a random number for the next hold.
    pub fn is_loop(&mut self, own: &RefId120, draw: u16) -> Option<bool> {
        let seen = self.filter.is_loop(own)?;
        let span = LOOP_HOLD.end() - LOOP_HOLD.start() + 1;
        self.looped = match (seen, self.looped) {
            (true, _) => Some(LoopHold {
                clean: 0,
                hold: LOOP_HOLD.start() + draw % span,
            }),
            (false, Some(h)) if h.clean + 1 < h.hold => Some(LoopHold {
                clean: h.clean + 1,
                ..h
            }),
            (false, _) => None,
        };
        Some(self.looped.is_some())
    }

    /// The request to send in place of `v4` (the NTPv4 request the
    /// source made), written into `out`: its length. `cookie`: 64 random
    /// bits for an NTPv5 client cookie.
    pub fn request(&mut self, v4: &[u8; HEADER_LEN], cookie: u64, out: &mut [u8]) -> Option<usize> {
        self.request = None;
        let wire = self.negotiation.poll();
        if wire == Wire::V5 {
            let chunk = Some(self.filter.next_chunk());
            let (request, len) =
                V5Request::new(cookie, self.draft(), self.timescale, chunk, out).ok()?;
            self.request = Some(request);
            return Some(len);
        }
        let dst = out.get_mut(..HEADER_LEN)?;
        dst.copy_from_slice(v4);
        if wire == Wire::V4Upgrade {
            let magic = UpgradeSignal::Draft.timestamp().to_bits().to_be_bytes();
            dst.get_mut(REFERENCE_TIMESTAMP)?.copy_from_slice(&magic);
        }
        Some(HEADER_LEN)
    }

    /// A reply `data` to the request sent at `t1` (the source's
    /// [`outstanding_since`]), received at `t4`. `tai_minus_utc`: to bring
    /// a TAI reply back to UTC.
    ///
    /// [`outstanding_since`]: tempora_ntp::client::source::Source::outstanding_since
    pub fn reply(
        &mut self,
        data: &[u8],
        t1: Option<Time>,
        t4: Time,
        tai_minus_utc: Option<i16>,
    ) -> V5Outcome {
        let (Some(request), Some(t1), true) = (self.request, t1, tempora_ntp::v5::is_v5(data))
        else {
            let upgrade_echoed = Packet::decode(data)
                .ok()
                .and_then(|p| UpgradeSignal::in_response(&p))
                .is_some();
            return V5Outcome::V4 { upgrade_echoed };
        };
        let reply = match request.complete(data, t1, t4) {
            Ok(r) => r,
            Err(e) => return V5Outcome::V5(Err(e)),
        };
        let Some(utc) = in_utc(reply.sample, reply.timescale, tai_minus_utc) else {
            return V5Outcome::V5(Err(ReplyError::Bogus));
        };
        self.request = None;
        if let Some((offset, chunk)) = reply.chunk {
            if let Err(e) = self.filter.accept(offset, chunk) {
                tracing::debug!(?e, offset, "NTPv5 Bloom filter chunk not taken");
            }
        }
        V5Outcome::V5(Ok(utc))
    }

    /// What the source made of a reply (`taken`), for the negotiation: a
    /// reply to our request counts as an answer even when its time is not
    /// usable (unsynchronised, too distant: the upgrade signal and the
    /// version are about the protocol, not the time; ntpd-rs 2.0-alpha
    /// answers NTPv4 unsynchronised when it serves `local-stratum` alone).
    pub fn accepted(&mut self, outcome: &V5Outcome, taken: &ReplyOutcome) {
        let answered = match taken {
            ReplyOutcome::Sample(_) => true,
            ReplyOutcome::Rejected(e) => {
                matches!(e, ReplyError::Unsynchronized | ReplyError::TooDistant(_))
            }
            _ => false,
        };
        if !answered {
            return;
        }
        match outcome {
            V5Outcome::V4 { upgrade_echoed } => self.negotiation.v4_reply(*upgrade_echoed),
            V5Outcome::V5(result) => {
                self.samples += u64::from(result.is_ok());
                self.negotiation.v5_reply();
            }
        }
    }
}

/// The core's draft setting of `[[ntp-source]] draft`.
fn draft_setting(d: NtpDraftSetting) -> DraftSetting {
    match d {
        NtpDraftSetting::Auto => DraftSetting::Auto,
        NtpDraftSetting::Draft(9) => DraftSetting::Fixed(Draft::Draft09),
        NtpDraftSetting::Draft(_) => DraftSetting::Fixed(Draft::Draft08),
    }
}

/// Marks source `id` (at `addr`) a timing loop in the selection when
/// `looped` says so (its filter holds our reference id), or clears the
/// mark; logs each change. `None` (filter not assembled yet) changes
/// nothing.
pub fn mark_loop(
    system: &mut SystemProcess,
    id: SourceId,
    addr: &SocketAddr,
    looped: Option<bool>,
) {
    let Some(looped) = looped else {
        return;
    };
    if looped == system.is_timing_loop(id) {
        return;
    }
    if looped {
        tracing::warn!(source = %addr, "timing loop: the server's NTPv5 reference ids include ours; not selected");
    } else {
        tracing::info!(source = %addr, "timing loop over: the server's reference ids no longer include ours");
    }
    system.set_timing_loop(id, looped);
}

/// `sample`, taken in `timescale`, as UTC: a TAI sample less TAI − UTC
/// (which must be known); UTC as it is; UT1 and leap-smeared UTC, never
/// asked for, refused.
fn in_utc(mut sample: Sample, timescale: Timescale, tai_minus_utc: Option<i16>) -> Option<Sample> {
    let shift = match timescale {
        Timescale::Utc => Duration::ZERO,
        Timescale::Tai => Duration::from_secs(i64::from(tai_minus_utc?)),
        _ => return None,
    };
    sample.offset -= shift;
    sample.t2 = sample.t2 - shift;
    sample.t3 = sample.t3 - shift;
    Some(sample)
}

mod nts;
#[cfg(test)]
mod tests;
