//! Fuzz target: the NTS-protected NTP paths of `tempora_ntp::nts` must not
//! panic on any input, whether it fails authentication (server and client
//! checks of raw bytes, cookies) or passes it: the last case seals the
//! input under a known key as the encrypted fields of a response, so that
//! the parsing of decrypted fields is reached too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_ntp::nts::{self, Key, MasterKey};
use tempora_ntp::wire::ntske::AeadAlgorithm;
use tempora_ntp::wire::{ExtensionField, ExtensionKind, Mode, Packet};

fuzz_target!(|data: &[u8]| {
    let key = Key::new(AeadAlgorithm::AesSivCmac256, &[7; 32]).unwrap();
    let master = MasterKey { id: 1, key: key.clone() };
    // Not authenticated: raw bytes as request, response and cookie.
    let _ = nts::open_request(data, |id| (id == 1).then_some(&master));
    let mut plain = [0u8; 4096];
    let _ = nts::open_response(data, &[1; 32], &key, &mut plain, |_| {});
    let _ = nts::open_cookie(data, |id| (id == 1).then_some(&master));
    let _ = nts::request_uid(data);
    // Authenticated: `data` as the decrypted fields of a response.
    let mut out = [0u8; 8192];
    let mut header = [0u8; 48];
    if Packet::new(Mode::Server).encode(&mut header).is_err() {
        return;
    }
    out[..48].copy_from_slice(&header);
    let Ok(n) = ExtensionField::new(ExtensionKind::UNIQUE_IDENTIFIER, &[1; 32]).encode(&mut out[48..])
    else {
        return;
    };
    let ad_len = 48 + n;
    let mut sealed = vec![0u8; nts::TAG_LEN + data.len()];
    sealed[nts::TAG_LEN..].copy_from_slice(data);
    if key.seal(&out[..ad_len], &[2; 16], &mut sealed).is_err() {
        return;
    }
    let Ok(m) = tempora_ntp::wire::nts::write_authenticator(&mut out[ad_len..], &[2; 16], &sealed)
    else {
        return;
    };
    let mut cookies = 0;
    let r = nts::open_response(&out[..ad_len + m], &[1; 32], &key, &mut plain, |_| cookies += 1);
    // Fields that parse, sealed as they should be, must open.
    let well_formed = tempora_ntp::wire::ExtensionFields::new(data).is_ok();
    if r.is_err() && data.len() <= 4000 && well_formed {
        panic!("a well-formed sealed response was refused: {r:?}");
    }
});
