//! `tempora inspect --sa-file`: checking the AUTHENTICATION TLV (IEEE
//! 1588-2019 §16.14, Annex P) of every PTP message against the keys of a
//! linuxptp `sa_file`.

use std::path::Path;

use serde_json::{Value, json};
use tempora_ptp::auth::{self, SaDatabase};

/// Counts of the ICV checks of a run with an SA file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthCounts {
    /// PTP messages whose every AUTHENTICATION TLV checked out.
    pub verified: u64,
    /// PTP messages refused: no TLV, unknown SPP or key, or a bad ICV.
    pub refused: u64,
}

/// Reads and parses a `sa_file`; errors read `FILE:LINE: what`.
pub fn load_sa_file(path: &Path) -> Result<SaDatabase, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    SaDatabase::parse(&text).map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.kind))
}

/// Checks one PTP message: the text to append to its line, its JSON, and
/// whether it checked out.
pub(crate) fn check(db: &SaDatabase, message: &[u8]) -> (String, Value, bool) {
    match auth::verify(db, None, message) {
        Ok(v) => (
            format!(" auth ok (spp {} key {})", v.spp, v.key_id),
            json!({ "ok": true, "spp": v.spp, "key_id": v.key_id }),
            true,
        ),
        Err(e) => (
            format!(" !! auth: {e}"),
            json!({ "ok": false, "error": e.to_string() }),
            false,
        ),
    }
}
