//! Client-server PTP (IEEE P1588.1 draft, as ntpd-rs 2.0-alpha speaks it)
//! in `tempora inspect`: which CSPTP message a PTP message is, and the
//! fields of the CSPTP TLVs.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use tempora_ptp::csptp::message::{CsptpMessage, MAJOR_SDO_ID};
use tempora_ptp::wire::tlv::{CsptpRequestTlv, CsptpResponseTlv, CsptpStatusTlv};

/// The CSPTP role of a message with `majorSdoId` 3: "request", "response"
/// or "follow_up", or why it is not a valid CSPTP message; `None` for any
/// other PTP message.
pub(crate) fn csptp_role(major_sdo_id: u8, payload: &[u8]) -> Option<Result<&'static str, String>> {
    if major_sdo_id != MAJOR_SDO_ID {
        return None;
    }
    Some(match CsptpMessage::parse(payload) {
        Ok(CsptpMessage::Request(_)) => Ok("request"),
        Ok(CsptpMessage::Response(_)) => Ok("response"),
        Ok(CsptpMessage::FollowUp(_)) => Ok("follow_up"),
        Err(e) => Err(e.to_string()),
    })
}

/// Describes the CSPTP request TLV.
pub(crate) fn request(r: &CsptpRequestTlv, text: &mut String, obj: &mut Map<String, Value>) {
    let _ = write!(
        text,
        " csptp-request status {} alt-timescale {}",
        yes(r.status_requested()),
        yes(r.alternate_timescale())
    );
    obj.insert("status_requested".into(), json!(r.status_requested()));
    obj.insert("alternate_timescale".into(), json!(r.alternate_timescale()));
    obj.insert("flags".into(), json!(r.flags));
}

/// Describes the CSPTP response TLV.
pub(crate) fn response(r: &CsptpResponseTlv, text: &mut String, obj: &mut Map<String, Value>) {
    let _ = write!(
        text,
        " csptp-response req-ingress {} req-corr {}ns",
        r.request_ingress_timestamp, r.request_correction
    );
    obj.insert(
        "request_ingress_timestamp".into(),
        json!(r.request_ingress_timestamp.to_string()),
    );
    obj.insert(
        "request_correction_ns".into(),
        json!(r.request_correction.as_nanos_f64()),
    );
}

/// Describes the CSPTP status TLV.
pub(crate) fn status(s: &CsptpStatusTlv, text: &mut String, obj: &mut Map<String, Value>) {
    let q = &s.grandmaster_clock_quality;
    let _ = write!(
        text,
        " csptp-status gm {} prio {}/{} class {} acc 0x{:02x} var 0x{:04x} steps {} utc-offset {}",
        s.grandmaster_identity,
        s.grandmaster_priority1,
        s.grandmaster_priority2,
        q.clock_class,
        q.clock_accuracy,
        q.offset_scaled_log_variance,
        s.steps_removed,
        s.current_utc_offset
    );
    obj.insert(
        "grandmaster_identity".into(),
        json!(s.grandmaster_identity.to_string()),
    );
    obj.insert(
        "grandmaster_priority1".into(),
        json!(s.grandmaster_priority1),
    );
    obj.insert(
        "grandmaster_priority2".into(),
        json!(s.grandmaster_priority2),
    );
    obj.insert("clock_class".into(), json!(q.clock_class));
    obj.insert("clock_accuracy".into(), json!(q.clock_accuracy));
    obj.insert(
        "offset_scaled_log_variance".into(),
        json!(q.offset_scaled_log_variance),
    );
    obj.insert("steps_removed".into(), json!(s.steps_removed));
    obj.insert("current_utc_offset".into(), json!(s.current_utc_offset));
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
