//! Reading `[ptp] sa-file`: the security associations of the
//! AUTHENTICATION TLV (IEEE 1588-2019 §16.14, Annex P) in linuxptp's
//! `sa_file` format, checked against the ports that name them.

use std::io::Read;

use tempora_ptp::auth::SaDatabase;

use crate::Config;

/// The largest `sa-file` read: far beyond any real set of keys.
const MAX_SA_FILE: u64 = 1 << 20;

impl Config {
    /// The security associations of `[ptp] sa-file` (empty without one),
    /// with `allow-mutable-correction` applied, after checking that every
    /// port's `spp` and `active-key-id` are in it. Errors name the file and,
    /// for its content, the line: `FILE:LINE: what`.
    pub fn security_associations(&self) -> Result<SaDatabase, String> {
        let Some(path) = &self.ptp.sa_file else {
            return Ok(SaDatabase::default());
        };
        let shown = path.display();
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_SA_FILE + 1).read_to_string(&mut text))
            .map_err(|e| format!("{shown}: {e}"))?;
        if text.len() as u64 > MAX_SA_FILE {
            return Err(format!("{shown}: larger than {MAX_SA_FILE} bytes"));
        }
        let mut db =
            SaDatabase::parse(&text).map_err(|e| format!("{shown}:{}: {}", e.line, e.kind))?;
        if let Some(mutable) = self.ptp.allow_mutable_correction {
            for sa in &mut db.associations {
                sa.allow_mutable = mutable;
            }
        }
        for (i, port) in self.ports.iter().enumerate() {
            let (Some(spp), Some(key)) = (port.spp, port.active_key_id) else {
                continue;
            };
            let name = format!("port {} ({})", i + 1, port.interface);
            let sa = db
                .get(spp)
                .ok_or_else(|| format!("{name}: spp {spp} is not in {shown}"))?;
            if sa.key(key).is_none() {
                return Err(format!(
                    "{name}: active-key-id {key} is not a key of spp {spp} in {shown}"
                ));
            }
        }
        Ok(db)
    }
}
