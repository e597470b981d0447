//! Fuzz target: the AUTHENTICATION TLV (IEEE 1588-2019 §16.14, Annex P).
//! The input is split at its first NUL: the part before is parsed as a
//! linuxptp `sa_file` (must never panic; the keys it gives must sign and
//! verify), the part after as a PTP message, checked against a fixed
//! database and the parsed one. Invariants: verification never panics; a
//! message that verifies is left unchanged by `update`; any message that
//! decodes verifies once `append` signed it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_ptp::auth::{self, SaDatabase};
use tempora_ptp::wire::Message;

const FIXED: &str = "[security_association]\nspp 1\n\
    1 AES128 HEX:FAF48EBA01E7C5966A76CB787AED4E7B\n\
    2 SHA256-128 HEX:F8ADC6B8B8E9AA709106BA42481EC9E29607334DE2C3C737A11A12931DB27F8C\n\
    3 SHA256 ASCII:key\n\
    [security_association]\nspp 2\nallow_mutable 1\n\
    4 AES256 B64:PKTF9VQz94qPaoAzW4eE3JtFoQ8Ov1OTQSojalWyMbs=\n";

fn check(db: &SaDatabase, message: &[u8]) {
    if auth::verify(db, None, message).is_ok() {
        let mut again = message.to_vec();
        let _ = auth::update(db, &mut again);
        assert_eq!(again, message, "update changed a valid message");
    }
    let _ = auth::verify(db, Some(1), message);
    let Ok(decoded) = Message::decode(message) else {
        return;
    };
    let exact = &message[..decoded.message_length()];
    for sa in &db.associations {
        for key in &sa.keys {
            let mut signed = exact.to_vec();
            if auth::append(sa, key.id, &mut signed).is_ok() {
                let v = auth::verify(db, Some(sa.spp), &signed);
                assert!(v.is_ok(), "signed message refused: {v:?}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (text, message) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let fixed = SaDatabase::parse(FIXED).expect("fixed database");
    check(&fixed, message);
    if let Ok(text) = std::str::from_utf8(text) {
        if let Ok(db) = SaDatabase::parse(text) {
            check(&db, message);
        }
    }
});
