//! PTP messages (IEEE 1588-2019 §13): the common header, the body of each
//! message type, and the TLV suffix.

use super::cursor::{Reader, Writer};
use super::error::{Error, Result};
use super::header::{Header, MessageType};
use super::tlv::{RawTlvs, Tlv};
use super::types::{ClockIdentity, ClockQuality, PortIdentity, Timestamp};

/// The body of an Announce message (IEEE 1588-2019 §13.5, Table 43).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnnounceBody {
    /// `originTimestamp`.
    pub origin_timestamp: Timestamp,
    /// `currentUtcOffset` (§13.5.2.2), TAI − UTC in seconds.
    pub current_utc_offset: i16,
    /// The reserved octet after `currentUtcOffset`.
    pub reserved: u8,
    /// `grandmasterPriority1`.
    pub grandmaster_priority1: u8,
    /// `grandmasterClockQuality`.
    pub grandmaster_clock_quality: ClockQuality,
    /// `grandmasterPriority2`.
    pub grandmaster_priority2: u8,
    /// `grandmasterIdentity`.
    pub grandmaster_identity: ClockIdentity,
    /// `stepsRemoved` (§13.5.2.7).
    pub steps_removed: u16,
    /// `timeSource` (§7.6.2.8, Table 6), e.g. 0x20 GNSS, 0xA0 internal oscillator.
    pub time_source: u8,
}

/// The body of a Management message before its TLVs (IEEE 1588-2019 §15.4.1, Table 88).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ManagementBody {
    /// `targetPortIdentity`.
    pub target_port_identity: PortIdentity,
    /// `startingBoundaryHops`.
    pub starting_boundary_hops: u8,
    /// `boundaryHops`.
    pub boundary_hops: u8,
    /// The octet holding `actionField` in its low nibble; the high nibble is
    /// reserved and kept. See [`ManagementBody::action`].
    pub action_octet: u8,
    /// The reserved octet after it.
    pub reserved: u8,
}

impl ManagementBody {
    /// `actionField` (§15.4.1.6, Table 89).
    pub fn action(&self) -> super::tlv::management::Action {
        super::tlv::management::Action::from_u8(self.action_octet & 0x0f)
    }
}

/// The body of a message: the fields between the header and the TLV suffix
/// (IEEE 1588-2019 §13.5–§13.13, §15.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body<'a> {
    /// Sync (§13.6).
    Sync {
        /// `originTimestamp`: zero or an estimate in two-step mode.
        origin_timestamp: Timestamp,
    },
    /// Delay_Req (§13.6).
    DelayReq {
        /// `originTimestamp`.
        origin_timestamp: Timestamp,
    },
    /// Pdelay_Req (§13.9).
    PdelayReq {
        /// `originTimestamp`.
        origin_timestamp: Timestamp,
        /// Ten reserved octets that make Pdelay_Req as long as Pdelay_Resp.
        reserved: [u8; 10],
    },
    /// Pdelay_Resp (§13.10).
    PdelayResp {
        /// `requestReceiptTimestamp` (t2), or zero in some two-step modes.
        request_receipt_timestamp: Timestamp,
        /// `requestingPortIdentity`.
        requesting_port_identity: PortIdentity,
    },
    /// Follow_Up (§13.7).
    FollowUp {
        /// `preciseOriginTimestamp` (t1).
        precise_origin_timestamp: Timestamp,
    },
    /// Delay_Resp (§13.8).
    DelayResp {
        /// `receiveTimestamp` (t4).
        receive_timestamp: Timestamp,
        /// `requestingPortIdentity`.
        requesting_port_identity: PortIdentity,
    },
    /// Pdelay_Resp_Follow_Up (§13.11).
    PdelayRespFollowUp {
        /// `responseOriginTimestamp` (t3).
        response_origin_timestamp: Timestamp,
        /// `requestingPortIdentity`.
        requesting_port_identity: PortIdentity,
    },
    /// Announce (§13.5).
    Announce(AnnounceBody),
    /// Signaling (§13.12); its content is in the TLV suffix.
    Signaling {
        /// `targetPortIdentity`.
        target_port_identity: PortIdentity,
    },
    /// Management (§15.4); its content is in the TLV suffix.
    Management(ManagementBody),
    /// A reserved message type: everything after the header, kept as received.
    Reserved(&'a [u8]),
}

impl Body<'_> {
    /// The message type this body belongs to.
    pub fn message_type(&self) -> MessageType {
        match self {
            Body::Sync { .. } => MessageType::Sync,
            Body::DelayReq { .. } => MessageType::DelayReq,
            Body::PdelayReq { .. } => MessageType::PdelayReq,
            Body::PdelayResp { .. } => MessageType::PdelayResp,
            Body::FollowUp { .. } => MessageType::FollowUp,
            Body::DelayResp { .. } => MessageType::DelayResp,
            Body::PdelayRespFollowUp { .. } => MessageType::PdelayRespFollowUp,
            Body::Announce(_) => MessageType::Announce,
            Body::Signaling { .. } => MessageType::Signaling,
            Body::Management(_) => MessageType::Management,
            Body::Reserved(_) => MessageType::Reserved(0xf),
        }
    }

    /// Encoded size of the body in bytes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Body::Reserved(raw) => raw.len(),
            other => fixed_body_len(other.message_type()),
        }
    }

    fn read<'b>(message_type: MessageType, r: &mut Reader<'b>) -> Result<Body<'b>> {
        Ok(match message_type {
            MessageType::Sync => Body::Sync {
                origin_timestamp: Timestamp::read(r)?,
            },
            MessageType::DelayReq => Body::DelayReq {
                origin_timestamp: Timestamp::read(r)?,
            },
            MessageType::PdelayReq => Body::PdelayReq {
                origin_timestamp: Timestamp::read(r)?,
                reserved: r.array()?,
            },
            MessageType::PdelayResp => Body::PdelayResp {
                request_receipt_timestamp: Timestamp::read(r)?,
                requesting_port_identity: PortIdentity::read(r)?,
            },
            MessageType::FollowUp => Body::FollowUp {
                precise_origin_timestamp: Timestamp::read(r)?,
            },
            MessageType::DelayResp => Body::DelayResp {
                receive_timestamp: Timestamp::read(r)?,
                requesting_port_identity: PortIdentity::read(r)?,
            },
            MessageType::PdelayRespFollowUp => Body::PdelayRespFollowUp {
                response_origin_timestamp: Timestamp::read(r)?,
                requesting_port_identity: PortIdentity::read(r)?,
            },
            MessageType::Announce => Body::Announce(AnnounceBody {
                origin_timestamp: Timestamp::read(r)?,
                current_utc_offset: r.i16()?,
                reserved: r.u8()?,
                grandmaster_priority1: r.u8()?,
                grandmaster_clock_quality: ClockQuality::read(r)?,
                grandmaster_priority2: r.u8()?,
                grandmaster_identity: ClockIdentity::read(r)?,
                steps_removed: r.u16()?,
                time_source: r.u8()?,
            }),
            MessageType::Signaling => Body::Signaling {
                target_port_identity: PortIdentity::read(r)?,
            },
            MessageType::Management => Body::Management(ManagementBody {
                target_port_identity: PortIdentity::read(r)?,
                starting_boundary_hops: r.u8()?,
                boundary_hops: r.u8()?,
                action_octet: r.u8()?,
                reserved: r.u8()?,
            }),
            MessageType::Reserved(_) => Body::Reserved(r.bytes(r.remaining())?),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        match self {
            Body::Sync { origin_timestamp } | Body::DelayReq { origin_timestamp } => {
                origin_timestamp.write(w)
            }
            Body::PdelayReq {
                origin_timestamp,
                reserved,
            } => {
                origin_timestamp.write(w)?;
                w.bytes(reserved)
            }
            Body::FollowUp {
                precise_origin_timestamp,
            } => precise_origin_timestamp.write(w),
            Body::PdelayResp {
                request_receipt_timestamp: t,
                requesting_port_identity: p,
            }
            | Body::DelayResp {
                receive_timestamp: t,
                requesting_port_identity: p,
            }
            | Body::PdelayRespFollowUp {
                response_origin_timestamp: t,
                requesting_port_identity: p,
            } => {
                t.write(w)?;
                p.write(w)
            }
            Body::Announce(a) => {
                a.origin_timestamp.write(w)?;
                w.i16(a.current_utc_offset)?;
                w.u8(a.reserved)?;
                w.u8(a.grandmaster_priority1)?;
                a.grandmaster_clock_quality.write(w)?;
                w.u8(a.grandmaster_priority2)?;
                a.grandmaster_identity.write(w)?;
                w.u16(a.steps_removed)?;
                w.u8(a.time_source)
            }
            Body::Signaling {
                target_port_identity,
            } => target_port_identity.write(w),
            Body::Management(m) => {
                m.target_port_identity.write(w)?;
                w.u8(m.starting_boundary_hops)?;
                w.u8(m.boundary_hops)?;
                w.u8(m.action_octet)?;
                w.u8(m.reserved)
            }
            Body::Reserved(raw) => w.bytes(raw),
        }
    }
}

/// Size of the fixed body of each message type (IEEE 1588-2019 §13.5–§13.12,
/// §15.4.1); reserved types have none.
pub fn fixed_body_len(message_type: MessageType) -> usize {
    match message_type {
        MessageType::Sync | MessageType::DelayReq | MessageType::FollowUp => 10,
        MessageType::PdelayReq
        | MessageType::PdelayResp
        | MessageType::DelayResp
        | MessageType::PdelayRespFollowUp => 20,
        MessageType::Announce => 30,
        MessageType::Signaling => 10,
        MessageType::Management => 14,
        MessageType::Reserved(_) => 0,
    }
}

/// The message suffix (IEEE 1588-2019 §13.4): zero or more TLVs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suffix<'a> {
    /// TLVs as received; [`Message::decode`] has checked their framing.
    Raw(&'a [u8]),
    /// TLVs to encode.
    Tlvs(&'a [Tlv<'a>]),
}

impl Suffix<'_> {
    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Suffix::Raw(raw) => raw.len(),
            Suffix::Tlvs(tlvs) => tlvs.iter().map(Tlv::encoded_len).sum(),
        }
    }
}

/// A PTP message (IEEE 1588-2019 §13.1): header, body and TLV suffix, plus any
/// bytes that followed `messageLength` in the buffer (kept so that encoding
/// reproduces the input exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The common header; `messageLength` is derived on encoding.
    pub header: Header,
    /// The message body; its variant matches `header.message_type`, except
    /// for reserved types.
    pub body: Body<'a>,
    /// The TLV suffix.
    pub suffix: Suffix<'a>,
    /// Bytes after `messageLength` (e.g. padding a transport added).
    pub trailer: &'a [u8],
}

impl<'a> Message<'a> {
    /// Decodes a message from `buf`. Any byte string gives a message or an
    /// error, never a panic.
    pub fn decode(buf: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(buf);
        let (header, declared) = Header::read(&mut r)?;
        let minimum = Header::LEN + fixed_body_len(header.message_type);
        let length = usize::from(declared);
        if length < minimum || length > buf.len() {
            return Err(Error::BadMessageLength {
                declared,
                minimum,
                available: buf.len(),
            });
        }
        let (message, trailer) = buf.split_at(length);
        let mut r = Reader::new(message);
        r.bytes(Header::LEN)?;
        let body = Body::read(header.message_type, &mut r)?;
        let suffix = r.rest();
        RawTlvs::validate(suffix)?;
        Ok(Message {
            header,
            body,
            suffix: Suffix::Raw(suffix),
            trailer,
        })
    }

    /// The value of `messageLength` this message encodes with.
    pub fn message_length(&self) -> usize {
        Header::LEN + self.body.encoded_len() + self.suffix.encoded_len()
    }

    /// Encoded size in bytes, trailer included.
    pub fn encoded_len(&self) -> usize {
        self.message_length() + self.trailer.len()
    }

    /// Encodes the message into `buf` and returns the number of bytes written.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize> {
        let length = u16::try_from(self.message_length()).map_err(|_| Error::ValueOutOfRange)?;
        let mut w = Writer::new(buf);
        self.header.write(length, &mut w)?;
        self.body.write(&mut w)?;
        match self.suffix {
            Suffix::Raw(raw) => w.bytes(raw)?,
            Suffix::Tlvs(tlvs) => {
                for tlv in tlvs {
                    tlv.write(&mut w)?;
                }
            }
        }
        w.bytes(self.trailer)?;
        Ok(w.position())
    }

    /// The TLVs of the suffix, decoded.
    pub fn tlvs(&self) -> TlvIter<'a> {
        match self.suffix {
            Suffix::Raw(raw) => TlvIter::Raw(RawTlvs::new(raw)),
            Suffix::Tlvs(tlvs) => TlvIter::Typed(tlvs.iter()),
        }
    }
}

/// Iterator over the decoded TLVs of a message; see [`Message::tlvs`].
#[derive(Debug, Clone)]
pub enum TlvIter<'a> {
    /// Decoding TLVs from bytes.
    Raw(RawTlvs<'a>),
    /// Walking already typed TLVs.
    Typed(core::slice::Iter<'a, Tlv<'a>>),
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            TlvIter::Raw(raw) => raw.next().map(|r| r.and_then(Tlv::decode)),
            TlvIter::Typed(it) => it.next().map(|t| Ok(*t)),
        }
    }
}
