//! NTS for an NTPv5 source (RFC 8915 over draft-ietf-ntp-ntpv5, see
//! `tempora_ntp::nts::v5`): with `nts = true` the version is the one
//! NTS-KE agreed (its keys are exported for that protocol), not the one
//! the upgrade signal would find, so the negotiation is pinned to it; an
//! NTPv5 request is protected by the source's NTS state and its reply
//! checked there before the NTPv5 checks read its authenticated part.

use tempora_ntp::nts::client::NtsClient;
use tempora_ntp::nts::v5::V5Params;
use tempora_ntp::v5::{Negotiation, VersionSetting, Wire};
use tempora_ntp::wire::HEADER_LEN;
use tempora_ntp::wire::ntske::NextProtocol;

use super::V5Source;

impl V5Source {
    /// Pins the version to `protocol`, the one NTS-KE agreed: draft NTPv5
    /// (0x8001) or NTPv4.
    pub fn pin_nts(&mut self, protocol: NextProtocol) {
        let setting = match protocol {
            NextProtocol::DraftNtpv5 => VersionSetting::V5,
            _ => VersionSetting::V4,
        };
        self.negotiation = Negotiation::with_drafts(setting, self.negotiation.draft_setting());
    }

    /// The NTS-protected request to send in place of `v4` (the source's
    /// NTPv4 request) into `out`: an NTPv5 one when the version is 5 (with
    /// a chunk of the server's filter asked for), else `v4` protected for
    /// NTPv4. `cookie`: 64 random bits for the NTPv5 client cookie.
    pub fn nts_request(
        &mut self,
        nts: &mut NtsClient,
        v4: &[u8; HEADER_LEN],
        cookie: u64,
        out: &mut [u8],
    ) -> Option<usize> {
        self.request = None;
        let mut rng = rand::thread_rng();
        if self.negotiation.poll() != Wire::V5 {
            return nts.protect(v4, &mut rng, out);
        }
        let v5 = V5Params {
            cookie,
            draft: self.draft(),
            timescale: self.timescale,
            chunk: Some(self.filter.next_chunk()),
        };
        let (request, len) = nts.protect_v5(v5, &mut rng, out)?;
        self.request = Some(request.request);
        Some(len)
    }
}
