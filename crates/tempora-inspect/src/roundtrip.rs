//! The round-trip property of every decoder, as functions shared by the fuzz
//! targets, the property test and the inspector's own checks: for any input,
//! decoding either fails with an error or gives a value that encodes back to
//! exactly the input (and so decodes to the same value again).
//!
//! Each function returns `Err` with a description when the property fails;
//! a panic inside a decoder propagates to the caller (the fuzzer's crash).

use tempora_ntp::wire::ntske::Record;
use tempora_ntp::wire::{ExtensionField, NtsAuthenticator, Packet, parse_extension_fields};
use tempora_ptp::wire::framing::EthernetFrame;
use tempora_ptp::wire::tlv::{RawTlvs, Tlv};
use tempora_ptp::wire::{Message, Suffix};

/// Outcome of a round-trip check.
pub type Check = Result<(), String>;

fn same(what: &str, original: &[u8], encoded: &[u8]) -> Check {
    if original == encoded {
        Ok(())
    } else {
        Err(format!(
            "{what}: re-encoding differs\n in:  {original:02x?}\n out: {encoded:02x?}"
        ))
    }
}

/// PTP message: decode → encode (raw suffix, then TLV by TLV) → identical → decode equal.
pub fn ptp_message(data: &[u8]) -> Check {
    let Ok(msg) = Message::decode(data) else {
        return Ok(());
    };
    let mut buf = vec![0u8; msg.encoded_len()];
    let n = msg
        .encode(&mut buf)
        .map_err(|e| format!("PTP encode failed: {e}"))?;
    same("PTP message", data, &buf[..n])?;
    let again = Message::decode(&buf).map_err(|e| format!("PTP re-decode failed: {e}"))?;
    if again != msg {
        return Err("PTP message decodes differently after re-encoding".into());
    }
    let tlvs: Result<Vec<Tlv<'_>>, _> = msg.tlvs().collect();
    if let Ok(tlvs) = tlvs {
        let typed = Message {
            suffix: Suffix::Tlvs(&tlvs),
            ..msg
        };
        let mut buf = vec![0u8; typed.encoded_len()];
        let n = typed
            .encode(&mut buf)
            .map_err(|e| format!("PTP typed encode failed: {e}"))?;
        same("PTP message with typed TLVs", data, &buf[..n])?;
    }
    Ok(())
}

/// PTP TLV sequence: each TLV that decodes to a typed value re-encodes to its bytes.
pub fn ptp_tlvs(data: &[u8]) -> Check {
    let mut rest = data;
    for raw in RawTlvs::new(data) {
        let Ok(raw) = raw else { return Ok(()) };
        let len = raw.encoded_len();
        let (this, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        let Ok(tlv) = Tlv::decode(raw) else { continue };
        let mut buf = vec![0u8; tlv.encoded_len()];
        let n = tlv
            .encode(&mut buf)
            .map_err(|e| format!("TLV encode failed: {e}"))?;
        same("PTP TLV", this, &buf[..n])?;
        let again = Tlv::decode(tempora_ptp::wire::tlv::RawTlv {
            tlv_type: tlv.tlv_type(),
            value: buf.get(4..n).unwrap_or_default(),
        })
        .map_err(|e| format!("TLV re-decode failed: {e}"))?;
        if again != tlv {
            return Err("PTP TLV decodes differently after re-encoding".into());
        }
    }
    Ok(())
}

/// Ethernet framing of PTP (IEEE 1588-2019 Annex E), then the message inside.
pub fn ptp_ethernet(data: &[u8]) -> Check {
    let Ok(frame) = EthernetFrame::decode(data) else {
        return Ok(());
    };
    let mut buf = vec![0u8; frame.encoded_len()];
    let n = frame
        .encode(&mut buf)
        .map_err(|e| format!("frame encode failed: {e}"))?;
    same("Ethernet frame", data, &buf[..n])?;
    ptp_message(frame.payload)
}

/// NTP packet: decode → encode identical → decode equal; the NTS authenticator
/// field, if any, also decodes and re-encodes exactly.
pub fn ntp_packet(data: &[u8]) -> Check {
    let Ok(packet) = Packet::decode(data) else {
        return Ok(());
    };
    let mut buf = vec![0u8; packet.encoded_len()];
    let n = packet
        .encode(&mut buf)
        .map_err(|e| format!("NTP encode failed: {e}"))?;
    same("NTP packet", data, &buf[..n])?;
    let again = Packet::decode(&buf[..n]).map_err(|e| format!("NTP re-decode failed: {e}"))?;
    if again != packet {
        return Err("NTP packet decodes differently after re-encoding".into());
    }
    for field in packet.extensions() {
        extension_field(&field)?;
    }
    Ok(())
}

/// NTPv5 packet (draft-ietf-ntp-ntpv5): decode → encode → identical →
/// decode equal; every field typed under each supported draft re-encodes
/// to its own bytes.
pub fn ntpv5_packet(data: &[u8]) -> Check {
    use tempora_ntp::v5;
    let Ok(packet) = v5::Packet::decode(data) else {
        return Ok(());
    };
    let mut buf = vec![0u8; packet.encoded_len()];
    let n = packet
        .encode(&mut buf)
        .map_err(|e| format!("NTPv5 encode failed: {e}"))?;
    same("NTPv5 packet", data, &buf[..n])?;
    let again = v5::Packet::decode(&buf[..n]).map_err(|e| format!("NTPv5 re-decode: {e}"))?;
    if again != packet {
        return Err("NTPv5 packet decodes differently after re-encoding".into());
    }
    for (at, field) in packet.iter() {
        let wire = &data[at..at + field.encoded_len()];
        for draft in v5::Draft::ALL {
            let Ok(ext) = v5::Extension::decode(field, draft) else {
                continue;
            };
            let mut out = vec![0u8; wire.len()];
            let n = ext
                .encode(draft, &mut out)
                .map_err(|e| format!("NTPv5 field encode failed: {e}"))?;
            same("NTPv5 extension field", wire, &out[..n])?;
        }
    }
    Ok(())
}

/// One extension field, and its NTS authenticator view when it has one.
fn extension_field(field: &ExtensionField<'_>) -> Check {
    let mut buf = vec![0u8; field.encoded_len()];
    let n = field
        .encode(&mut buf)
        .map_err(|e| format!("EF encode failed: {e}"))?;
    let (again, used) =
        ExtensionField::decode(&buf[..n]).map_err(|e| format!("EF re-decode failed: {e}"))?;
    if again != *field || used != n {
        return Err("extension field decodes differently after re-encoding".into());
    }
    if let Ok(auth) = NtsAuthenticator::from_extension_field(field) {
        let mut body = vec![0u8; auth.body_len()];
        let n = auth
            .encode_body(&mut body)
            .map_err(|e| format!("NTS auth encode: {e}"))?;
        same("NTS authenticator", field.body, &body[..n])?;
    }
    Ok(())
}

/// A sequence of extension fields, as in a decrypted NTS plaintext
/// (RFC 8915 §5.7): each field re-encodes to its bytes.
pub fn ntp_extension_fields(data: &[u8]) -> Check {
    let Ok(fields) = parse_extension_fields(data) else {
        return Ok(());
    };
    let mut out = Vec::new();
    for field in fields.iter() {
        extension_field(&field)?;
        let mut buf = vec![0u8; field.encoded_len()];
        let n = field
            .encode(&mut buf)
            .map_err(|e| format!("EF encode failed: {e}"))?;
        out.extend_from_slice(&buf[..n]);
    }
    same("extension field sequence", data, &out)
}

/// NTS-KE records (RFC 8915 §4): the records that decode re-encode to their bytes.
pub fn nts_ke_records(data: &[u8]) -> Check {
    let mut rest = data;
    while !rest.is_empty() {
        let Ok((record, used)) = Record::decode(rest) else {
            return Ok(());
        };
        let mut buf = vec![0u8; record.encoded_len()];
        let n = record
            .encode(&mut buf)
            .map_err(|e| format!("NTS-KE encode failed: {e}"))?;
        same(
            "NTS-KE record",
            rest.get(..used).unwrap_or_default(),
            &buf[..n],
        )?;
        let (again, _) =
            Record::decode(&buf[..n]).map_err(|e| format!("NTS-KE re-decode failed: {e}"))?;
        if again != record {
            return Err("NTS-KE record decodes differently after re-encoding".into());
        }
        rest = rest.get(used..).unwrap_or_default();
        if used == 0 {
            return Err("NTS-KE record consumed no bytes".into());
        }
    }
    Ok(())
}

/// A named round-trip check.
pub type NamedCheck = (&'static str, fn(&[u8]) -> Check);

/// Every check, by the name of its fuzz target.
pub const ALL: [NamedCheck; 7] = [
    ("ptp_message", ptp_message),
    ("ptp_tlvs", ptp_tlvs),
    ("ptp_ethernet", ptp_ethernet),
    ("ntp_packet", ntp_packet),
    ("ntpv5_packet", ntpv5_packet),
    ("ntp_extension_fields", ntp_extension_fields),
    ("nts_ke_records", nts_ke_records),
];
