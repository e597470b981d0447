//! Decoding, describing and round-tripping one PTP message.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use tempora_ptp::wire::tlv::management::management_id;
use tempora_ptp::wire::tlv::{Tlv, tlv_type_name};
use tempora_ptp::wire::{Body, Message, PortIdentity, Suffix, Timestamp};

use crate::Verdict;

/// The description of a PTP message and its round-trip verdict.
pub(crate) struct PtpReport {
    pub text: String,
    pub json: Map<String, Value>,
    pub verdict: Verdict,
}

fn ts(t: &Timestamp) -> Value {
    json!(t.to_string())
}

fn pid(p: &PortIdentity) -> Value {
    json!(p.to_string())
}

/// Decodes `payload` as a PTP message, describes it and checks that
/// re-encoding it, TLV by TLV, gives the same bytes. `reencode_outer` wraps
/// the re-encoded message in its transport (e.g. the Ethernet frame) so that
/// the framing is checked too.
pub(crate) fn inspect_ptp(
    payload: &[u8],
    original: &[u8],
    reencode_outer: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> PtpReport {
    let mut json = Map::new();
    json.insert("protocol".into(), json!("PTP"));
    let msg = match Message::decode(payload) {
        Ok(m) => m,
        Err(e) => {
            return PtpReport {
                text: format!("PTP undecodable: {e}"),
                json,
                verdict: Verdict::Failed(e.to_string()),
            };
        }
    };
    let h = &msg.header;
    let mut text = format!(
        "PTP {} seq {} dom {} from {}",
        h.message_type, h.sequence_id, h.domain_number, h.source_port_identity
    );
    match crate::csptp_view::csptp_role(h.major_sdo_id, payload) {
        Some(Ok(role)) => {
            let rest = text.strip_prefix("PTP ").unwrap_or(&text);
            text = format!("CSPTP {role} {rest}");
            json.insert("csptp".into(), json!(role));
        }
        Some(Err(why)) => {
            json.insert("csptp_error".into(), json!(why));
        }
        None => {}
    }
    json.insert("message_type".into(), json!(h.message_type.name()));
    json.insert("sequence_id".into(), json!(h.sequence_id));
    json.insert("domain".into(), json!(h.domain_number));
    json.insert("source_port_identity".into(), pid(&h.source_port_identity));
    json.insert(
        "version".into(),
        json!(format!("{}.{}", h.version, h.minor_version)),
    );
    json.insert(
        "sdo_id".into(),
        json!((u16::from(h.major_sdo_id) << 8) | u16::from(h.minor_sdo_id)),
    );
    json.insert("correction_ns".into(), json!(h.correction.as_nanos_f64()));
    json.insert("log_message_interval".into(), json!(h.log_message_interval));
    let flags: Vec<&str> = h.flags.names().collect();
    json.insert("flags".into(), json!(flags));
    if h.correction.0 != 0 {
        let _ = write!(text, " corr {}ns", h.correction);
    }
    if !flags.is_empty() {
        let _ = write!(text, " [{}]", flags.join(","));
    }
    describe_body(&msg.body, &mut text, &mut json);

    let mut tlvs = Vec::new();
    let mut tlv_json = Vec::new();
    for tlv in msg.tlvs() {
        match tlv {
            Ok(t) => {
                tlv_json.push(describe_tlv(&t, &mut text));
                tlvs.push(t);
            }
            Err(e) => {
                json.insert("tlvs".into(), Value::Array(tlv_json));
                return PtpReport {
                    text,
                    json,
                    verdict: Verdict::Failed(format!("TLV: {e}")),
                };
            }
        }
    }
    json.insert("tlvs".into(), Value::Array(tlv_json));

    let rebuilt = Message {
        suffix: Suffix::Tlvs(&tlvs),
        ..msg
    };
    let mut buf = vec![0u8; rebuilt.encoded_len()];
    let verdict = match rebuilt.encode(&mut buf) {
        Err(e) => Verdict::Failed(format!("re-encoding: {e}")),
        Ok(n) if n != buf.len() => Verdict::Failed("re-encoding: length mismatch".into()),
        Ok(_) => match reencode_outer(&buf) {
            Some(outer) if outer == original => Verdict::Identical,
            Some(_) => Verdict::Mismatch,
            None => Verdict::Failed("re-encoding the transport failed".into()),
        },
    };
    PtpReport {
        text,
        json,
        verdict,
    }
}

fn describe_body(body: &Body<'_>, text: &mut String, json: &mut Map<String, Value>) {
    let mut put = |k: &str, v: Value| {
        json.insert(k.into(), v);
    };
    match body {
        Body::Sync {
            origin_timestamp: t,
        }
        | Body::DelayReq {
            origin_timestamp: t,
        } => {
            let _ = write!(text, " origin {t}");
            put("origin_timestamp", ts(t));
        }
        Body::PdelayReq {
            origin_timestamp: t,
            ..
        } => {
            let _ = write!(text, " origin {t}");
            put("origin_timestamp", ts(t));
        }
        Body::FollowUp {
            precise_origin_timestamp: t,
        } => {
            let _ = write!(text, " precise-origin {t}");
            put("precise_origin_timestamp", ts(t));
        }
        Body::DelayResp {
            receive_timestamp: t,
            requesting_port_identity: p,
        } => {
            let _ = write!(text, " receive {t} for {p}");
            put("receive_timestamp", ts(t));
            put("requesting_port_identity", pid(p));
        }
        Body::PdelayResp {
            request_receipt_timestamp: t,
            requesting_port_identity: p,
        } => {
            let _ = write!(text, " request-receipt {t} for {p}");
            put("request_receipt_timestamp", ts(t));
            put("requesting_port_identity", pid(p));
        }
        Body::PdelayRespFollowUp {
            response_origin_timestamp: t,
            requesting_port_identity: p,
        } => {
            let _ = write!(text, " response-origin {t} for {p}");
            put("response_origin_timestamp", ts(t));
            put("requesting_port_identity", pid(p));
        }
        Body::Announce(a) => {
            let q = &a.grandmaster_clock_quality;
            let _ = write!(
                text,
                " gm {} prio {}/{} class {} acc 0x{:02x} var 0x{:04x} steps {} utc-offset {} source 0x{:02x}",
                a.grandmaster_identity,
                a.grandmaster_priority1,
                a.grandmaster_priority2,
                q.clock_class,
                q.clock_accuracy,
                q.offset_scaled_log_variance,
                a.steps_removed,
                a.current_utc_offset,
                a.time_source
            );
            put("origin_timestamp", ts(&a.origin_timestamp));
            put(
                "grandmaster_identity",
                json!(a.grandmaster_identity.to_string()),
            );
            put("grandmaster_priority1", json!(a.grandmaster_priority1));
            put("grandmaster_priority2", json!(a.grandmaster_priority2));
            put("clock_class", json!(q.clock_class));
            put("clock_accuracy", json!(q.clock_accuracy));
            put(
                "offset_scaled_log_variance",
                json!(q.offset_scaled_log_variance),
            );
            put("steps_removed", json!(a.steps_removed));
            put("current_utc_offset", json!(a.current_utc_offset));
            put("time_source", json!(a.time_source));
        }
        Body::Signaling {
            target_port_identity: p,
        } => {
            let _ = write!(text, " to {p}");
            put("target_port_identity", pid(p));
        }
        Body::Management(m) => {
            let _ = write!(
                text,
                " {} to {} hops {}/{}",
                m.action().name(),
                m.target_port_identity,
                m.boundary_hops,
                m.starting_boundary_hops
            );
            put("action", json!(m.action().name()));
            put("target_port_identity", pid(&m.target_port_identity));
            put("boundary_hops", json!(m.boundary_hops));
            put("starting_boundary_hops", json!(m.starting_boundary_hops));
        }
        Body::Reserved(raw) => {
            let _ = write!(text, " ({} bytes)", raw.len());
            put("body_length", json!(raw.len()));
        }
    }
}

fn management_name(id: u16) -> String {
    management_id::name(id).map_or_else(|| format!("0x{id:04x}"), str::to_string)
}

fn describe_tlv(tlv: &Tlv<'_>, text: &mut String) -> Value {
    let t = tlv.tlv_type();
    let mut obj = Map::new();
    obj.insert("type".into(), json!(t));
    obj.insert("name".into(), json!(tlv_type_name(t)));
    obj.insert("length".into(), json!(tlv.value_len()));
    match tlv {
        Tlv::Management(m) => {
            let name = management_name(m.management_id);
            let _ = write!(text, " {name}");
            obj.insert("management_id".into(), json!(name));
        }
        Tlv::ManagementErrorStatus(e) => {
            let name = management_name(e.management_id);
            let _ = write!(text, " ERROR 0x{:04x} for {name}", e.management_error_id);
            obj.insert("management_id".into(), json!(name));
            obj.insert("error_id".into(), json!(e.management_error_id));
        }
        Tlv::OrganizationExtension(o) => {
            let id = o.organization_id;
            let sub = o.organization_sub_type;
            obj.insert(
                "organization_id".into(),
                json!(format!("{:02x}-{:02x}-{:02x}", id[0], id[1], id[2])),
            );
            obj.insert(
                "organization_sub_type".into(),
                json!(u32::from_be_bytes([0, sub[0], sub[1], sub[2]])),
            );
            if let Some(f) = o.follow_up_information() {
                let _ = write!(text, " follow-up-info rate {:.12}", f.rate_ratio());
                obj.insert(
                    "cumulative_scaled_rate_offset".into(),
                    json!(f.cumulative_scaled_rate_offset),
                );
                obj.insert(
                    "gm_time_base_indicator".into(),
                    json!(f.gm_time_base_indicator),
                );
            } else {
                let _ = write!(text, " org-ext {:02x}{:02x}{:02x}", id[0], id[1], id[2]);
            }
        }
        Tlv::RequestUnicastTransmission(r) => {
            let _ = write!(
                text,
                " request-unicast {} 2^{}s {}s",
                r.message_type(),
                r.log_inter_message_period,
                r.duration
            );
            obj.insert("message_type".into(), json!(r.message_type().name()));
            obj.insert(
                "log_inter_message_period".into(),
                json!(r.log_inter_message_period),
            );
            obj.insert("duration".into(), json!(r.duration));
        }
        Tlv::GrantUnicastTransmission(g) => {
            let _ = write!(
                text,
                " grant-unicast {} 2^{}s {}s",
                g.message_type(),
                g.log_inter_message_period,
                g.duration
            );
            obj.insert("message_type".into(), json!(g.message_type().name()));
            obj.insert(
                "log_inter_message_period".into(),
                json!(g.log_inter_message_period),
            );
            obj.insert("duration".into(), json!(g.duration));
            obj.insert("renewal_invited".into(), json!(g.renewal_invited()));
        }
        Tlv::CancelUnicastTransmission(c) | Tlv::AcknowledgeCancelUnicastTransmission(c) => {
            let _ = write!(text, " {} {}", tlv_type_name(t), c.message_type());
            obj.insert("message_type".into(), json!(c.message_type().name()));
        }
        Tlv::PathTrace(p) => {
            let ids: Vec<String> = p.identities().map(|i| i.to_string()).collect();
            let _ = write!(text, " path-trace [{}]", ids.join(" "));
            obj.insert("path".into(), json!(ids));
        }
        Tlv::AlternateTimeOffsetIndicator(a) => {
            let _ = write!(
                text,
                " alt-time {} offset {}s",
                a.display_name, a.current_offset
            );
            obj.insert("key".into(), json!(a.key_field));
            obj.insert("current_offset".into(), json!(a.current_offset));
            obj.insert("display_name".into(), json!(a.display_name.to_string()));
        }
        Tlv::Authentication(a) => {
            let _ = write!(text, " auth-tlv spp {} key {}", a.spp, a.key_id);
            obj.insert("spp".into(), json!(a.spp));
            obj.insert("sec_param_indicator".into(), json!(a.sec_param_indicator));
            obj.insert("key_id".into(), json!(a.key_id));
        }
        Tlv::CsptpRequest(r) => crate::csptp_view::request(r, text, &mut obj),
        Tlv::CsptpResponse(r) => crate::csptp_view::response(r, text, &mut obj),
        Tlv::CsptpStatus(st) => crate::csptp_view::status(st, text, &mut obj),
        _ => {
            let _ = write!(text, " tlv 0x{t:04x}");
        }
    }
    Value::Object(obj)
}
