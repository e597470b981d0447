//! The server's answer to an NTS-protected NTPv5 request (RFC 8915 §5.7
//! over draft-ietf-ntp-ntpv5; see [`crate::nts::v5`]): the request checked
//! as for NTPv4 (cookie opened under the master keys, authenticator
//! verified under its C2S key); then the NTPv5 reply answering only the
//! fields before the authenticator, the Unique Identifier and the
//! authenticator under the S2C key encrypting fresh cookies, and Padding
//! after it up to the request's length. A cookie that does not open or a
//! request that does not authenticate gets an NTS NAK: stratum 0, the
//! auth-NAK flag, Draft Identification and the Unique Identifier,
//! unauthenticated; anything else malformed gets nothing.

use rand_core::RngCore;
use tempora_clock::Time;

use super::v5::finish;
use super::{Datagram, DropReason, Outcome, ReplyKind, Server, fresh_cookies};
use crate::access::{Cidr, Limiter};
use crate::nts::v5::{CheckedV5Request, open_request, push_response, request_uid};
use crate::nts::{self, MasterKeys, NtsError};
use crate::symmetric::SymmetricKeys;
use crate::v5::{Builder, Cookie, Draft, Extension, Field, Flags, Header, Packet};
use crate::wire::{KissCode, LeapIndicator, Mode};

impl<C: AsRef<[Cidr]>, L: Limiter, const N: usize, K: SymmetricKeys> Server<C, L, N, K> {
    /// An NTPv5 request with NTS fields, already past the access lists and
    /// the rate limit.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn nts_v5(
        &self,
        now: Time,
        datagram: Datagram<'_>,
        req: &Packet<'_>,
        draft: Draft,
        keys: &dyn MasterKeys,
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Outcome {
        match open_request(datagram.data, req, |id| keys.find(id)) {
            Ok(checked) => {
                self.nts_v5_reply(now, datagram.rx, req, draft, &checked, keys, rng, out)
            }
            Err(NtsError::BadCookie | NtsError::BadAuthenticator) => nak(req, draft, rng, out),
            Err(_) => Outcome::Dropped(DropReason::NtsMalformed),
        }
    }

    /// The protected reply to a checked request.
    #[allow(clippy::too_many_arguments)]
    fn nts_v5_reply(
        &self,
        now: Time,
        rx: Time,
        req: &Packet<'_>,
        draft: Draft,
        checked: &CheckedV5Request<'_>,
        keys: &dyn MasterKeys,
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Outcome {
        let Ok(authenticated) = Packet::decode(checked.authenticated) else {
            return Outcome::Dropped(DropReason::NtsMalformed);
        };
        let header = self.reply_header(&req.header, now, rx, rng);
        let made = match fresh_cookies(keys, &checked.keys, checked.cookies_wanted, rng) {
            Ok(made) => made,
            Err(reason) => return Outcome::Dropped(reason),
        };
        let list = made.list();
        let cookies = list.get(..checked.cookies_wanted).unwrap_or_default();
        let mut nonce = [0u8; nts::NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let written = Builder::new(out, &header).ok().and_then(|mut b| {
            let correction = self.answer_fields(&authenticated, draft, &mut b)?;
            push_response(&mut b, checked.uid, &checked.keys.s2c, &nonce, cookies).ok()?;
            finish(b, req.encoded_len(), correction, draft)
        });
        match written {
            Some(len) => Outcome::Reply {
                len,
                kind: ReplyKind::V5 { draft, nts: true },
            },
            None => Outcome::Dropped(DropReason::BufferTooSmall),
        }
    }
}

/// The NTPv5 NTS NAK ("Message Format", Flags: auth-NAK; RFC 8915 §5.7):
/// stratum 0, the client cookie echoed, Draft Identification and the
/// request's Unique Identifier, padded to the request's length.
fn nak(req: &Packet<'_>, draft: Draft, rng: &mut impl RngCore, out: &mut [u8]) -> Outcome {
    let Some(uid) = request_uid(req) else {
        return Outcome::Dropped(DropReason::NtsMalformed);
    };
    let mut header = Header::request(req.header.client_cookie);
    header.mode = Mode::Server;
    header.leap = LeapIndicator::Unsynchronized;
    header.poll = req.header.poll;
    header.flags = Flags(0).with(Flags::AUTH_NAK, true);
    header.server_cookie = Cookie::from_u64(rng.next_u64());
    let written = Builder::new(out, &header).ok().and_then(|mut b| {
        b.push(&Extension::draft_id(draft), draft).ok()?;
        b.push_field(&Field::new(nts::v5::UNIQUE_IDENTIFIER, uid))
            .ok()?;
        finish(b, req.encoded_len(), None, draft)
    });
    match written {
        Some(len) => Outcome::Kiss {
            code: KissCode::Ntsn,
            len,
        },
        None => Outcome::Dropped(DropReason::BufferTooSmall),
    }
}
