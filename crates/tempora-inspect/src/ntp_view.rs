//! Decoding, describing and round-tripping one NTP packet.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use tempora_ntp::v5::UpgradeSignal;
use tempora_ntp::wire::{NtpTimestamp, Packet};

use crate::Verdict;

/// The description of an NTP packet and its round-trip verdict.
pub(crate) struct NtpReport {
    pub text: String,
    pub json: Map<String, Value>,
    pub verdict: Verdict,
}

/// Decodes `payload` as NTP, describes it (timestamps as Unix time in the era
/// nearest the capture time `pivot_ns`) and checks that it re-encodes exactly.
pub(crate) fn inspect_ntp(payload: &[u8], pivot_ns: i128) -> NtpReport {
    let mut json = Map::new();
    json.insert("protocol".into(), json!("NTP"));
    let p = match Packet::decode(payload) {
        Ok(p) => p,
        Err(e) => {
            return NtpReport {
                text: format!("NTP undecodable: {e}"),
                json,
                verdict: Verdict::Failed(e.to_string()),
            };
        }
    };
    let mut text = format!("NTPv{} {}", p.version, p.mode);
    json.insert("version".into(), json!(p.version));
    json.insert("mode".into(), json!(p.mode.to_string()));
    if let Some(raw) = p.raw_body {
        let _ = write!(text, " ({} bytes, not decoded)", raw.len() + 1);
        json.insert("body_length".into(), json!(raw.len()));
    } else {
        let time = |t: NtpTimestamp| {
            if t.is_zero() {
                "0".to_string()
            } else {
                t.unix_display(pivot_ns).to_string()
            }
        };
        // Client requests carry stratum 0 and a zero reference ID: not a kiss code.
        let unset = p.reference_id.0 == [0; 4];
        let refid = if unset {
            "-".to_string()
        } else {
            p.reference_id.interpret(p.stratum).to_string()
        };
        let _ = write!(
            text,
            " leap {} stratum {} poll {} precision {} refid {} root-delay {} root-disp {} ref {} org {} rec {} xmt {}",
            p.leap,
            p.stratum,
            p.poll,
            p.precision,
            refid,
            p.root_delay,
            p.root_dispersion,
            time(p.reference_timestamp),
            time(p.origin_timestamp),
            time(p.receive_timestamp),
            time(p.transmit_timestamp),
        );
        json.insert("leap".into(), json!(p.leap.to_string()));
        json.insert("stratum".into(), json!(p.stratum));
        json.insert("poll".into(), json!(p.poll));
        json.insert("precision".into(), json!(p.precision));
        json.insert("reference_id".into(), json!(refid));
        json.insert("root_delay_s".into(), json!(p.root_delay.to_seconds_f64()));
        json.insert(
            "root_dispersion_s".into(),
            json!(p.root_dispersion.to_seconds_f64()),
        );
        json.insert(
            "reference_timestamp".into(),
            json!(time(p.reference_timestamp)),
        );
        json.insert("origin_timestamp".into(), json!(time(p.origin_timestamp)));
        json.insert("receive_timestamp".into(), json!(time(p.receive_timestamp)));
        json.insert(
            "transmit_timestamp".into(),
            json!(time(p.transmit_timestamp)),
        );
        // The NTPv5 upgrade signal (draft-ietf-ntp-ntpv5): asked, or answered.
        let upgrade = UpgradeSignal::in_request(&p)
            .map(|s| (s, "asks"))
            .or_else(|| UpgradeSignal::in_response(&p).map(|s| (s, "answers")));
        if let Some((signal, how)) = upgrade {
            let _ = write!(text, " ntpv5-upgrade {how} ({signal:?})");
            json.insert("ntpv5_upgrade".into(), json!(how));
        }
        if let Some(kiss) = p.kiss_code().filter(|_| !unset) {
            json.insert("kiss_code".into(), json!(kiss.to_string()));
        }
    }
    let mut fields = Vec::new();
    for ef in p.extensions() {
        let kind = ef.kind();
        let _ = write!(text, " ef {kind}({})", ef.encoded_len());
        fields.push(json!({
            "type": ef.field_type,
            "name": kind.to_string(),
            "length": ef.encoded_len(),
        }));
    }
    json.insert("extension_fields".into(), Value::Array(fields));
    if let Some(mac) = &p.mac {
        let _ = write!(text, " mac {}", mac.encoded_len());
        json.insert("mac_length".into(), json!(mac.encoded_len()));
    }
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
