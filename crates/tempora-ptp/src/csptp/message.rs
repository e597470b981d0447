//! CSPTP messages (IEEE P1588.1 draft; ntpd-rs's
//! `statime-csptp/src/messages.rs`): which PTP messages are CSPTP requests,
//! responses and Follow_Ups, and how to build them.
//!
//! A CSPTP message is a PTP v2 message (IEEE 1588-2019 §13) with `sdoId`
//! 0x300 (`majorSdoId` 3, `minorSdoId` 0), the unicast flag, a zero
//! `sourcePortIdentity` from ntpd-rs's client, and `logMessageInterval`
//! 0x7F. A request is a Sync with exactly one request TLV; a response is a
//! Sync with exactly one response TLV and at most one status TLV; the
//! Follow_Up is plain (§13.7). The `controlField` is 0 on every CSPTP
//! message, as ntpd-rs sends it (receivers ignore it, §13.3.2.13).

use crate::wire::tlv::{CsptpRequestTlv, CsptpResponseTlv, CsptpStatusTlv, RawTlvs, Tlv, tlv_type};
use crate::wire::{
    Body, Error, Flags, Header, Message, MessageType, PortIdentity, Suffix, TimeInterval, Timestamp,
};

use super::drop_reason::DropReason;

/// `majorSdoId` of CSPTP messages (sdoId 0x300).
pub const MAJOR_SDO_ID: u8 = 3;
/// `minorSdoId` of CSPTP messages (sdoId 0x300).
pub const MINOR_SDO_ID: u8 = 0;
/// `logMessageInterval` of CSPTP messages: 0x7F, "not applicable".
pub const LOG_MESSAGE_INTERVAL: i8 = 0x7f;
/// Length of a request: header, Sync body, request TLV.
pub const REQUEST_LEN: usize = 34 + 10 + 4 + CsptpRequestTlv::VALUE_LEN;
/// Length of a response without the status TLV.
pub const RESPONSE_LEN: usize = 34 + 10 + 4 + CsptpResponseTlv::VALUE_LEN;
/// Length of a response with the status TLV.
pub const RESPONSE_WITH_STATUS_LEN: usize = RESPONSE_LEN + 4 + CsptpStatusTlv::VALUE_LEN;
/// Length of a Follow_Up.
pub const FOLLOW_UP_LEN: usize = 34 + 10;
/// A buffer this long holds any message the client or server builds.
pub const MAX_LEN: usize = 128;

/// A CSPTP request: a Sync with the request TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Its header (IEEE 1588-2019 §13.3).
    pub header: Header,
    /// Its request TLV.
    pub tlv: CsptpRequestTlv,
}

/// A CSPTP response: a Sync with the response TLV and perhaps the status TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// Its header: the flags carry two-step and the time properties.
    pub header: Header,
    /// The Sync's `originTimestamp`: t3 for a one-step server, else zero.
    pub origin_timestamp: Timestamp,
    /// The response TLV: t2 and the request's correction.
    pub response: CsptpResponseTlv,
    /// The status TLV, if the server sent one.
    pub status: Option<CsptpStatusTlv>,
}

/// A CSPTP Follow_Up (IEEE 1588-2019 §13.7) to a two-step response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUp {
    /// Its header.
    pub header: Header,
    /// `preciseOriginTimestamp`: t3.
    pub precise_origin_timestamp: Timestamp,
}

/// A recognised CSPTP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsptpMessage {
    /// A client's request.
    Request(Request),
    /// A server's Sync response.
    Response(Response),
    /// A server's Follow_Up.
    FollowUp(FollowUp),
}

impl CsptpMessage {
    /// Recognises a CSPTP message, or says why `data` is not one.
    pub fn parse(data: &[u8]) -> Result<Self, DropReason> {
        let msg = Message::decode(data).map_err(|e| match e {
            Error::BadTlvLength { .. } | Error::TrailingBytes(_) => DropReason::TruncatedTlv,
            _ => DropReason::Malformed,
        })?;
        let h = msg.header;
        if h.major_sdo_id != MAJOR_SDO_ID || h.minor_sdo_id != MINOR_SDO_ID {
            return Err(DropReason::NotCsptp);
        }
        let suffix = match msg.suffix {
            Suffix::Raw(raw) => raw,
            Suffix::Tlvs(_) => &[],
        };
        match msg.body {
            Body::Sync { origin_timestamp } => parse_sync(h, origin_timestamp, suffix),
            Body::FollowUp {
                precise_origin_timestamp,
            } => Ok(CsptpMessage::FollowUp(FollowUp {
                header: h,
                precise_origin_timestamp,
            })),
            _ => Err(DropReason::NotCsptp),
        }
    }

    /// The message's header.
    pub fn header(&self) -> &Header {
        match self {
            CsptpMessage::Request(m) => &m.header,
            CsptpMessage::Response(m) => &m.header,
            CsptpMessage::FollowUp(m) => &m.header,
        }
    }
}

/// The CSPTP TLVs of a Sync's suffix.
#[derive(Default)]
struct Found {
    request: Option<CsptpRequestTlv>,
    response: Option<CsptpResponseTlv>,
    status: Option<CsptpStatusTlv>,
    duplicate: bool,
}

fn parse_sync(h: Header, origin: Timestamp, suffix: &[u8]) -> Result<CsptpMessage, DropReason> {
    let mut found = Found::default();
    for raw in RawTlvs::new(suffix) {
        let raw = raw.map_err(|_| DropReason::TruncatedTlv)?;
        let expected = match raw.tlv_type {
            tlv_type::CSPTP_REQUEST => CsptpRequestTlv::VALUE_LEN,
            tlv_type::CSPTP_RESPONSE => CsptpResponseTlv::VALUE_LEN,
            tlv_type::CSPTP_STATUS => CsptpStatusTlv::VALUE_LEN,
            _ => continue,
        };
        if raw.value.len() < expected {
            return Err(DropReason::TruncatedTlv);
        }
        if raw.value.len() > expected {
            return Err(DropReason::OversizedTlv);
        }
        let replaced = match Tlv::decode(raw) {
            Ok(Tlv::CsptpRequest(t)) => found.request.replace(t).is_some(),
            Ok(Tlv::CsptpResponse(t)) => found.response.replace(t).is_some(),
            Ok(Tlv::CsptpStatus(t)) => found.status.replace(t).is_some(),
            _ => return Err(DropReason::Malformed),
        };
        found.duplicate |= replaced;
    }
    match found {
        Found {
            duplicate: true, ..
        }
        | Found {
            request: Some(_),
            response: Some(_),
            ..
        } => Err(DropReason::ConflictingTlvs),
        Found {
            request: Some(tlv), ..
        } => Ok(CsptpMessage::Request(Request { header: h, tlv })),
        Found {
            response: Some(response),
            status,
            ..
        } => Ok(CsptpMessage::Response(Response {
            header: h,
            origin_timestamp: origin,
            response,
            status,
        })),
        _ => Err(DropReason::NotCsptp),
    }
}

/// The header every CSPTP message starts from (ntpd-rs's `csptp_header`):
/// sdoId 0x300, version 2.1, unicast, `logMessageInterval` 0x7F,
/// `controlField` 0.
pub fn csptp_header(
    message_type: MessageType,
    domain_number: u8,
    sequence_id: u16,
    source_port_identity: PortIdentity,
) -> Header {
    Header {
        major_sdo_id: MAJOR_SDO_ID,
        message_type,
        minor_version: 1,
        version: 2,
        domain_number,
        minor_sdo_id: MINOR_SDO_ID,
        flags: Flags(Flags::UNICAST),
        correction: TimeInterval(0),
        message_type_specific: [0; 4],
        source_port_identity,
        sequence_id,
        control_field: 0,
        log_message_interval: LOG_MESSAGE_INTERVAL,
    }
}

/// Writes a request (a zero `sourcePortIdentity` and `originTimestamp`, as
/// ntpd-rs's client) into `buf`; returns its length ([`REQUEST_LEN`]).
pub fn encode_request(
    domain_number: u8,
    sequence_id: u16,
    tlv: CsptpRequestTlv,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let tlvs = [Tlv::CsptpRequest(tlv)];
    Message {
        header: csptp_header(
            MessageType::Sync,
            domain_number,
            sequence_id,
            PortIdentity::default(),
        ),
        body: Body::Sync {
            origin_timestamp: Timestamp::default(),
        },
        suffix: Suffix::Tlvs(&tlvs),
        trailer: &[],
    }
    .encode(buf)
}

/// Writes a response (header as given) into `buf`; returns its length.
pub fn encode_response(response: &Response, buf: &mut [u8]) -> Result<usize, Error> {
    let both = [
        Tlv::CsptpResponse(response.response),
        Tlv::CsptpStatus(response.status.unwrap_or_default()),
    ];
    let tlvs = if response.status.is_some() {
        &both[..]
    } else {
        &both[..1]
    };
    Message {
        header: response.header,
        body: Body::Sync {
            origin_timestamp: response.origin_timestamp,
        },
        suffix: Suffix::Tlvs(tlvs),
        trailer: &[],
    }
    .encode(buf)
}

/// Writes a Follow_Up (header as given) into `buf`; returns its length
/// ([`FOLLOW_UP_LEN`]).
pub fn encode_follow_up(follow_up: &FollowUp, buf: &mut [u8]) -> Result<usize, Error> {
    Message {
        header: follow_up.header,
        body: Body::FollowUp {
            precise_origin_timestamp: follow_up.precise_origin_timestamp,
        },
        suffix: Suffix::Tlvs(&[]),
        trailer: &[],
    }
    .encode(buf)
}
