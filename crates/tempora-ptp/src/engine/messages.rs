//! Building the messages the engine sends (IEEE 1588-2019 §13).

use alloc::vec;
use alloc::vec::Vec;

use crate::wire::tlv::Tlv;
use crate::wire::{Body, Flags, Header, Message, MessageType, PortIdentity, Suffix};

/// Common header fields of the messages an instance sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderTemplate {
    pub domain_number: u8,
    pub sdo_id: u16,
    pub source: PortIdentity,
}

impl HeaderTemplate {
    pub(crate) fn header(
        &self,
        message_type: MessageType,
        sequence_id: u16,
        log_message_interval: i8,
        flags: Flags,
    ) -> Header {
        let mut h = Header::new(message_type, self.source);
        h.major_sdo_id = ((self.sdo_id >> 8) & 0x0f) as u8;
        h.minor_sdo_id = (self.sdo_id & 0xff) as u8;
        h.domain_number = self.domain_number;
        h.sequence_id = sequence_id;
        h.log_message_interval = log_message_interval;
        h.flags = flags;
        h
    }
}

/// Encodes a message; the engine only builds messages that fit.
pub(crate) fn encode(header: Header, body: Body<'_>, tlvs: &[Tlv<'_>]) -> Vec<u8> {
    let message = Message {
        header,
        body,
        suffix: Suffix::Tlvs(tlvs),
        trailer: &[],
    };
    let mut buf = vec![0u8; message.encoded_len()];
    match message.encode(&mut buf) {
        Ok(n) => buf.truncate(n),
        Err(_) => buf.clear(),
    }
    buf
}
