//! Describing and round-tripping one NTPv5 packet (draft-ietf-ntp-ntpv5):
//! its header, each extension field typed under the draft it names, and
//! the byte-exact re-encoding.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use tempora_ntp::v5::{Draft, Extension, Packet};
use tempora_ntp::wire::NtpTimestamp;

use crate::Verdict;
use crate::ntp_view::NtpReport;

/// Decodes `payload` as NTPv5, describes it (timestamps as Unix time in the
/// era nearest `pivot_ns`) and checks that it re-encodes exactly.
pub(crate) fn inspect_ntpv5(payload: &[u8], pivot_ns: i128) -> NtpReport {
    let mut json = Map::new();
    json.insert("protocol".into(), json!("NTP"));
    json.insert("version".into(), json!(5));
    let p = match Packet::decode(payload) {
        Ok(p) => p,
        Err(e) => {
            return NtpReport {
                text: format!("NTPv5 undecodable: {e}"),
                json,
                verdict: Verdict::Failed(e.to_string()),
            };
        }
    };
    let mut text = header(&p, pivot_ns, &mut json);
    let draft = p.draft();
    let draft_id = p
        .draft_id()
        .map(|d| String::from_utf8_lossy(d).into_owned());
    let _ = write!(text, " draft {}", draft_id.as_deref().unwrap_or("-"));
    json.insert("draft".into(), json!(draft_id));
    let mut fields = Vec::new();
    for (_, f) in p.iter() {
        let name = draft.map_or_else(|| format!("{:#06x}", f.field_type), |d| describe(f, d));
        let _ = write!(text, " ef {name}({})", f.length());
        fields.push(json!({"type": f.field_type, "name": name, "length": f.length()}));
    }
    json.insert("extension_fields".into(), Value::Array(fields));
    let mut buf = vec![0u8; p.encoded_len()];
    let verdict = match p.encode(&mut buf) {
        Err(e) => Verdict::Failed(format!("re-encoding: {e}")),
        Ok(n) if buf.get(..n) == Some(payload) => Verdict::Identical,
        Ok(_) => Verdict::Mismatch,
    };
    NtpReport {
        text,
        json,
        verdict,
    }
}

/// The header's fields, as text and into `json`.
fn header(p: &Packet<'_>, pivot_ns: i128, json: &mut Map<String, Value>) -> String {
    let h = &p.header;
    let time = |t: NtpTimestamp| {
        if t.is_zero() {
            "0".to_string()
        } else {
            t.unix_display(pivot_ns).to_string()
        }
    };
    let flags = [
        (h.flags.synchronized(), "synchronized"),
        (h.flags.interleaved(), "interleaved"),
        (h.flags.auth_nak(), "auth-nak"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect::<Vec<_>>();
    let delay = h.root_delay.to_nanos() as f64 / 1e9;
    let disp = h.root_dispersion.to_nanos() as f64 / 1e9;
    json.insert("mode".into(), json!(h.mode.to_string()));
    json.insert("leap".into(), json!(h.leap.to_string()));
    json.insert("stratum".into(), json!(h.stratum));
    json.insert("poll".into(), json!(h.poll));
    json.insert("precision".into(), json!(h.precision));
    json.insert("root_delay_s".into(), json!(delay));
    json.insert("root_dispersion_s".into(), json!(disp));
    json.insert("timescale".into(), json!(h.timescale.to_string()));
    json.insert("era".into(), json!(h.era));
    json.insert("flags".into(), json!(flags));
    json.insert("server_cookie".into(), json!(h.server_cookie.to_string()));
    json.insert("client_cookie".into(), json!(h.client_cookie.to_string()));
    json.insert("receive_timestamp".into(), json!(time(h.receive_timestamp)));
    json.insert(
        "transmit_timestamp".into(),
        json!(time(h.transmit_timestamp)),
    );
    format!(
        "NTPv5 {} leap {} stratum {} poll {} precision {} root-delay {delay} root-disp {disp} \
         timescale {} era {} flags [{}] server-cookie {} client-cookie {} rec {} xmt {}",
        h.mode,
        h.leap,
        h.stratum,
        h.poll,
        h.precision,
        h.timescale,
        h.era,
        flags.join(","),
        h.server_cookie,
        h.client_cookie,
        time(h.receive_timestamp),
        time(h.transmit_timestamp),
    )
}

/// One field, typed under `draft`.
fn describe(f: tempora_ntp::v5::Field<'_>, draft: Draft) -> String {
    match Extension::decode(f, draft) {
        Err(e) => format!("{:#06x}[bad: {e}]", f.field_type),
        Ok(Extension::DraftId(_)) => "draft-id".into(),
        Ok(Extension::Padding(_)) => "padding".into(),
        Ok(Extension::Mac { key_id, .. }) => format!("mac[key {key_id}]"),
        Ok(Extension::RefIdsRequest(r)) => format!("refids-request[{}+{}]", r.offset, r.len()),
        Ok(Extension::RefIdsResponse(c)) => {
            let set: u32 = c.iter().map(|b| b.count_ones()).sum();
            format!("refids-response[{} octets, {set} bits]", c.len())
        }
        Ok(Extension::ServerInfo(i)) => {
            let v: Vec<String> = (1..=16)
                .filter(|&v| i.supports(v))
                .map(|v| v.to_string())
                .collect();
            format!("server-info[{}]", v.join(","))
        }
        Ok(Extension::Correction(c)) => format!("correction[{}]", c.delay_correction),
        Ok(Extension::Other(f)) => format!("{:#06x}", f.field_type),
    }
}
