//! The server's NTPv5 answers (draft-ietf-ntp-ntpv5, "Server Operation"
//! and "Extension Fields"), and its answer to the upgrade signal in older
//! versions ("NTPv5 Negotiation in Previous NTP Versions").
//!
//! A request is checked in full before any state is touched: version 5
//! allowed, mode 3, a Draft Identification of a draft spoken here (the
//! reply is in that draft), every field well formed, no MAC field (not
//! answered yet), every Reference IDs Request inside the filter; a request
//! with NTS fields is answered by the `v5_nts` submodule. Then
//! the access lists and the rate limit as for NTPv4; their refusals are
//! the NTPv5 forms (stratum 0 with poll 127 for DENY, a longer poll for
//! RATE). The reply echoes the client cookie, carries a fresh server
//! cookie, the timescale asked for when it can be served (else UTC, saying
//! so), and answers Draft Identification, Padding, Reference IDs, Server
//! Information and Correction; a Padding field makes up for what it leaves
//! out, so the reply is exactly as long as the request.

use core::net::SocketAddr;

use rand_core::RngCore;
use tempora_clock::{Duration, Time};

use super::{Datagram, DropReason, Outcome, ReplyKind, Server};
use crate::access::{self, Cidr, Limiter, Verdict};
use crate::nts::MasterKeys;
use crate::nts::v5::is_nts_type;
use crate::symmetric::SymmetricKeys;
use crate::time::ntp_from_time;
use crate::v5::{
    BloomFilter, Builder, Cookie, Correction, Draft, Extension, Flags, Header, Packet, ServerInfo,
    Time32, Timescale, UpgradeSignal,
};
use crate::wire::{KissCode, LeapIndicator, Mode, UNIX_EPOCH_NTP_SECONDS};

/// Poll value meaning "do not send again" ("Message Format", Poll).
const POLL_NEVER: i8 = 127;

impl<C: AsRef<[Cidr]>, L: Limiter, const N: usize, K: SymmetricKeys> Server<C, L, N, K> {
    /// The filter of reference IDs answered to Reference IDs Requests: the
    /// union of the selected sources' filters and the server's own ID,
    /// composed by the caller ("Reference IDs Request and Response
    /// Extension Fields").
    pub fn set_reference_ids(&mut self, filter: &BloomFilter) {
        self.bloom = filter.clone();
    }

    /// An NTPv5 datagram (the caller saw version 5).
    pub(super) fn handle_v5(
        &mut self,
        now: Time,
        remote: SocketAddr,
        datagram: Datagram<'_>,
        keys: Option<&dyn MasterKeys>,
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Outcome {
        if !self.config.versions.v5 {
            return Outcome::Dropped(DropReason::BadVersion);
        }
        let (data, rx) = (datagram.data, datagram.rx);
        let (req, draft, nts) = match check_v5(data) {
            Ok(ok) => ok,
            Err(reason) => return Outcome::Dropped(reason),
        };
        let ip = remote.ip();
        let config = &self.config;
        if !access::allowed(config.allow.as_ref(), config.deny.as_ref(), ip) {
            return match config.deny_action {
                super::DenyAction::Drop => Outcome::Dropped(DropReason::Denied),
                super::DenyAction::Kiss => kiss(&req, draft, KissCode::Deny, rng, out),
            };
        }
        match self.limiter.check_or_leak(ip, now, rng) {
            Verdict::Answer => {}
            Verdict::Kiss => return kiss(&req, draft, KissCode::Rate, rng, out),
            Verdict::Drop => return Outcome::Dropped(DropReason::RateLimited),
        }
        if nts {
            let Some(keys) = keys else {
                return Outcome::Dropped(DropReason::NtsUnavailable);
            };
            return self.nts_v5(now, datagram, &req, draft, keys, rng, out);
        }
        if self.config.require_nts {
            return Outcome::Dropped(DropReason::NtsRequired);
        }
        let header = self.reply_header(&req.header, now, rx, rng);
        match self.write_fields(&req, draft, &header, out) {
            Some(len) => Outcome::Reply {
                len,
                kind: ReplyKind::V5 { draft, nts: false },
            },
            None => Outcome::Dropped(DropReason::BufferTooSmall),
        }
    }

    /// The reply's header: the clock's state in the timescale served.
    pub(super) fn reply_header(
        &self,
        req: &Header,
        now: Time,
        rx: Time,
        rng: &mut impl RngCore,
    ) -> Header {
        let clock = &self.clock;
        let (timescale, shift) = self.timescale(req.timescale);
        let rx = rx + shift;
        let synced = clock.stratum < 16 && clock.leap != LeapIndicator::Unsynchronized;
        Header {
            // A smeared timescale has no leap second to announce.
            leap: match timescale {
                Timescale::LeapSmearedUtc => LeapIndicator::NoWarning,
                _ => clock.leap,
            },
            mode: Mode::Server,
            stratum: clock.stratum,
            poll: req.poll,
            precision: clock.precision,
            root_delay: time32(clock.root_delay),
            root_dispersion: time32(clock.root_dispersion),
            timescale,
            era: era(rx),
            flags: Flags(0).with(Flags::SYNCHRONIZED, synced),
            server_cookie: Cookie::from_u64(rng.next_u64()),
            client_cookie: req.client_cookie,
            receive_timestamp: ntp_from_time(rx),
            transmit_timestamp: ntp_from_time(now + shift),
        }
    }

    /// The timescale served for one asked for, and its offset from UTC:
    /// TAI when the TAI − UTC offset is known, leap-smeared UTC when
    /// `smear` is on, UTC otherwise (UT1 is not served).
    fn timescale(&self, asked: Timescale) -> (Timescale, Duration) {
        match (asked, self.clock.tai_offset) {
            (Timescale::Tai, Some(off)) => (Timescale::Tai, Duration::from_secs(i64::from(off))),
            (Timescale::LeapSmearedUtc, _) if self.config.smear => {
                (Timescale::LeapSmearedUtc, self.clock.smear_offset)
            }
            _ => (Timescale::Utc, Duration::ZERO),
        }
    }

    /// Writes the reply: `header`, the answers to the request's fields,
    /// and Padding up to the request's length.
    fn write_fields(
        &self,
        req: &Packet<'_>,
        draft: Draft,
        header: &Header,
        out: &mut [u8],
    ) -> Option<usize> {
        let mut b = Builder::new(out, header).ok()?;
        let correction = self.answer_fields(req, draft, &mut b)?;
        finish(b, req.encoded_len(), correction, draft)
    }

    /// Appends the answers to `req`'s fields (but Correction, returned to
    /// be answered last).
    pub(super) fn answer_fields(
        &self,
        req: &Packet<'_>,
        draft: Draft,
        b: &mut Builder<'_>,
    ) -> Option<Option<Correction>> {
        let mut correction = None;
        for (_, ext) in req.extensions(draft) {
            let answer = match ext.ok()? {
                Extension::RefIdsRequest(r) => {
                    Extension::RefIdsResponse(self.bloom.chunk(r.range()?)?)
                }
                Extension::ServerInfo(_) => Extension::ServerInfo(ServerInfo::with_versions(
                    self.config.versions.announced(),
                )),
                Extension::Correction(c) => {
                    correction = Some(c.answer());
                    continue;
                }
                e @ (Extension::DraftId(_) | Extension::Padding(_)) => e,
                _ => continue,
            };
            b.push(&answer, draft).ok()?;
        }
        Some(correction)
    }

    /// The reference timestamp of the NTPv4 (or older) reply to `req`: the
    /// upgrade signal echoed when NTPv5 is on and `req` carries it.
    pub(super) fn upgrade_answer(&self, req: &crate::wire::Packet<'_>) -> Option<UpgradeSignal> {
        self.config
            .versions
            .v5
            .then(|| UpgradeSignal::in_request(req))
            .flatten()
    }
}

/// Whether `data` is an NTPv5 request this server answers, in which
/// draft, and whether it carries NTS fields: decodes, mode 3, a known
/// draft, well-formed fields, nothing it cannot answer.
fn check_v5(data: &[u8]) -> Result<(Packet<'_>, Draft, bool), DropReason> {
    let req = Packet::decode(data).map_err(|_| DropReason::Malformed)?;
    if req.header.mode != Mode::Client {
        return Err(DropReason::NotARequest);
    }
    let draft = req.draft().ok_or(DropReason::V5UnknownDraft)?;
    let mut nts = false;
    for (_, field) in req.iter() {
        if is_nts_type(field.field_type) {
            nts = true;
            continue;
        }
        match Extension::decode(field, draft) {
            Err(_) => return Err(DropReason::Malformed),
            Ok(Extension::Mac { .. }) => return Err(DropReason::V5Unsupported),
            Ok(Extension::RefIdsRequest(r)) if r.range().is_none() => {
                return Err(DropReason::V5BadChunk);
            }
            Ok(_) => {}
        }
    }
    Ok((req, draft, nts))
}

/// The NTPv5 form of a DENY or RATE kiss ("Message Format", Poll: it
/// supersedes the NTPv4 kiss codes): stratum 0, no time, poll 127 (DENY)
/// or one longer than asked (RATE); Draft Identification and Padding to
/// the request's length.
fn kiss(
    req: &Packet<'_>,
    draft: Draft,
    code: KissCode,
    rng: &mut impl RngCore,
    out: &mut [u8],
) -> Outcome {
    let mut header = Header::request(req.header.client_cookie);
    header.mode = Mode::Server;
    header.leap = LeapIndicator::Unsynchronized;
    header.server_cookie = Cookie::from_u64(rng.next_u64());
    header.poll = match code {
        KissCode::Deny => POLL_NEVER,
        _ => req.header.poll.saturating_add(1).clamp(4, 17),
    };
    let written = Builder::new(out, &header).ok().and_then(|mut b| {
        b.push(&Extension::draft_id(draft), draft).ok()?;
        pad_to(&mut b, req.encoded_len(), draft)?;
        Some(b.finish())
    });
    match (written, code) {
        (Some(len), _) => Outcome::Kiss { code, len },
        (None, KissCode::Deny) => Outcome::Dropped(DropReason::Denied),
        (None, _) => Outcome::Dropped(DropReason::RateLimited),
    }
}

/// Pads the reply to `len` octets (less the Correction field's), then
/// appends the Correction answer, which must be the last field.
pub(super) fn finish(
    mut b: Builder<'_>,
    len: usize,
    correction: Option<Correction>,
    draft: Draft,
) -> Option<usize> {
    pad_to(
        &mut b,
        len.saturating_sub(correction.map_or(0, |_| 28)),
        draft,
    )?;
    if let Some(c) = correction {
        b.push(&Extension::Correction(c), draft).ok()?;
    }
    Some(b.finish())
}

/// Appends Padding fields so that the message reaches `len` octets
/// (nothing when it is within 4 of it: a field has at least 4).
fn pad_to(b: &mut Builder<'_>, len: usize, draft: Draft) -> Option<()> {
    static ZEROS: [u8; 512] = [0; 512];
    while len.saturating_sub(b.len()) >= 4 {
        let data_len = (len - b.len() - 4).min(ZEROS.len());
        b.push(&Extension::Padding(&ZEROS[..data_len]), draft)
            .ok()?;
    }
    Some(())
}

/// A non-negative duration as `time32`, saturating.
fn time32(d: Duration) -> Time32 {
    Time32::from_nanos(u64::try_from(d.nanos()).unwrap_or(0))
}

/// The NTP era of a time (era 0 began in 1900).
fn era(t: Time) -> u8 {
    let (secs, _) = t.secs_nanos();
    let ntp_secs = secs.saturating_add(i128::from(UNIX_EPOCH_NTP_SECONDS));
    (ntp_secs >> 32) as u8
}
