//! The NTS state of a source speaking draft NTPv5 (keys from NTS-KE under
//! next protocol 0x8001): the same stash, keys and timers as NTPv4, the
//! request and reply of [`crate::nts::v5`].

use rand_core::RngCore;

use super::{Checked, NtsClient, placeholders};
use crate::nts::v5::{NtsParams, NtsV5Request, V5Params};
use crate::nts::{self, NtsError, UID_LEN};

impl NtsClient {
    /// Writes the NTPv5 request `v5` protected with the next cookie into
    /// `out`, asking for the cookies missing from the stash; returns it
    /// (also kept for [`NtsClient::check_v5`]) and its length. `None`
    /// without keys or cookies, or when `out` is too small.
    pub fn protect_v5(
        &mut self,
        v5: V5Params,
        rng: &mut impl RngCore,
        out: &mut [u8],
    ) -> Option<(NtsV5Request, usize)> {
        let keys = self.keys.as_ref()?;
        let cookie = self.cookies.front()?;
        let mut uid = [0u8; UID_LEN];
        rng.fill_bytes(&mut uid);
        let mut nonce = [0u8; nts::NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let params = NtsParams {
            uid,
            cookie,
            placeholders: placeholders(cookie.len(), self.cookies.len()),
            c2s: &keys.c2s,
            nonce,
        };
        let (request, n) = NtsV5Request::new(v5, &params, out).ok()?;
        self.cookies.pop_front();
        self.uid = Some(uid);
        self.v5 = Some(request);
        Some((request, n))
    }

    /// Checks an NTPv5 reply to the request of [`NtsClient::protect_v5`]:
    /// authentic (its new cookies stashed; with the length of its
    /// authenticated part, the only part to read), rejected, or an NTS NAK
    /// (then key establishment runs again, as for NTPv4).
    pub fn check_v5(&mut self, data: &[u8]) -> (Checked, usize) {
        let (Some(keys), Some(request)) = (&self.keys, self.v5) else {
            self.counters.rejected += 1;
            return (Checked::Rejected, 0);
        };
        let mut plain = [0u8; 2048];
        let cookies = &mut self.cookies;
        let stash = |c: &[u8]| {
            cookies.push(c);
        };
        match request.open(data, &keys.s2c, &mut plain, stash) {
            Ok(authenticated) => {
                self.uid = None;
                self.v5 = None;
                (Checked::Authentic, authenticated.len())
            }
            Err(NtsError::Nak) => {
                self.counters.naks += 1;
                self.nak_seen = true;
                (Checked::Nak, 0)
            }
            Err(_) => {
                self.counters.rejected += 1;
                (Checked::Rejected, 0)
            }
        }
    }

    /// Whether the request in flight is an NTPv5 one.
    pub fn v5_in_flight(&self) -> bool {
        self.v5.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nts::v5::{UNIQUE_IDENTIFIER, push_response};
    use crate::nts::{Key, Keys};
    use crate::v5::{Builder, Draft, Field, Flags, Header, Packet, Timescale};
    use crate::wire::Mode;
    use crate::wire::ntske::AeadAlgorithm;
    use tempora_clock::Time;

    struct Fill(u8);

    impl RngCore for Fill {
        fn next_u32(&mut self) -> u32 {
            0
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            self.0 = self.0.wrapping_add(1);
            dest.fill(self.0);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    fn keys() -> Keys {
        Keys {
            c2s: Key::new(AeadAlgorithm::AesSivCmac256, &[1; 32]).unwrap(),
            s2c: Key::new(AeadAlgorithm::AesSivCmac256, &[2; 32]).unwrap(),
        }
    }

    const V5: V5Params = V5Params {
        cookie: 42,
        draft: Draft::Draft08,
        timescale: Timescale::Utc,
        chunk: None,
    };

    /// A server reply to `req` with `cookies`, under `s2c`, or a NAK.
    fn reply(req: &NtsV5Request, s2c: &Key, cookies: &[&[u8]], nak: bool) -> ([u8; 1024], usize) {
        let mut h = Header::request(req.request.cookie);
        h.mode = Mode::Server;
        h.stratum = if nak { 0 } else { 2 };
        h.flags = Flags(0).with(Flags::AUTH_NAK, nak);
        let mut out = [0u8; 1024];
        let mut b = Builder::new(&mut out, &h).unwrap();
        if nak {
            b.push_field(&Field::new(UNIQUE_IDENTIFIER, &req.uid))
                .unwrap();
        } else {
            push_response(&mut b, &req.uid, s2c, &[9; 16], cookies).unwrap();
        }
        let n = b.finish();
        (out, n)
    }

    #[test]
    fn v5_requests_spend_cookies_and_replies_refill_them() {
        let mut c = NtsClient::new();
        let t0 = Time::from_secs_nanos(100, 0);
        assert!(c.associate(t0, keys(), [&[7u8; 104][..], &[8u8; 104][..]]));
        let mut out = [0u8; 2048];
        let (req, n) = c.protect_v5(V5, &mut Fill(0), &mut out).unwrap();
        assert!(c.v5_in_flight());
        assert_eq!(c.cookies(), 1);
        // Six placeholders: the stash wants eight.
        let p = Packet::decode(&out[..n]).unwrap();
        let count = p.iter().filter(|(_, f)| f.field_type == 0x0304).count();
        assert_eq!(count, 6);
        // A reply under the wrong key is rejected and gives no cookie.
        let fresh: [&[u8]; 2] = [&[5; 104], &[6; 104]];
        let (bad, len) = reply(&req, &keys().c2s, &fresh, false);
        assert_eq!(c.check_v5(&bad[..len]).0, Checked::Rejected);
        assert_eq!((c.cookies(), c.counters().rejected), (1, 1));
        // An NTPv4 datagram is no reply to an NTPv5 request.
        let mut v4 = [0u8; 48];
        v4[0] = 0x24;
        assert_eq!(c.check_v5(&v4).0, Checked::Rejected);
        assert_eq!(c.counters().rejected, 2);
        let (good, len) = reply(&req, &keys().s2c, &fresh, false);
        let (checked, authenticated) = c.check_v5(&good[..len]);
        assert_eq!(checked, Checked::Authentic);
        // Header and Unique Identifier.
        assert_eq!(authenticated, 48 + 36);
        assert_eq!(c.cookies(), 3);
        assert!(!c.v5_in_flight());
        // A NAK to the next request: key establishment again.
        let (req, _) = c.protect_v5(V5, &mut Fill(50), &mut out).unwrap();
        let (nak, len) = reply(&req, &keys().s2c, &[], true);
        assert_eq!(c.check_v5(&nak[..len]).0, Checked::Nak);
        assert_eq!(c.counters().naks, 1);
        assert!(c.needs_key_exchange(t0 + super::super::NAK_REKEY_INTERVAL));
    }
}
