//! The packet (RFC 10049 §5): the uint64 0x4d49544847554f52 ("ROUGHTIM"),
//! a uint32 length, then the message. The Google protocol sends the bare
//! message.

use alloc::vec::Vec;

use crate::error::Error;
use crate::message::read_u32;
use crate::version::Version;

/// The packet's magic (RFC 10049 §5).
pub const MAGIC: [u8; 8] = *b"ROUGHTIM";

/// Header bytes before the message: magic and length.
pub const HEADER_LEN: usize = 12;

/// Whether `packet` starts with the "ROUGHTIM" magic.
pub fn is_framed(packet: &[u8]) -> bool {
    packet.starts_with(&MAGIC)
}

/// The message inside a framed packet; its length field must match the
/// bytes that follow exactly.
pub fn unframe(packet: &[u8]) -> Result<&[u8], Error> {
    if packet.len() < HEADER_LEN {
        return Err(Error::Truncated {
            needed: HEADER_LEN,
            available: packet.len(),
        });
    }
    if !is_framed(packet) {
        return Err(Error::BadFraming);
    }
    let claimed = read_u32(packet, 8)?;
    let body = &packet[HEADER_LEN..];
    if claimed as usize != body.len() {
        return Err(Error::LengthMismatch {
            claimed,
            actual: body.len(),
        });
    }
    Ok(body)
}

/// The total length of the framed packet at the start of a stream (RFC
/// 10049 §5, TCP): `Ok(None)` until the 12 header bytes are there; an
/// error when they are not a Roughtime header.
pub fn stream_packet_len(stream: &[u8]) -> Result<Option<usize>, Error> {
    if stream.len() < HEADER_LEN {
        if !MAGIC.starts_with(&stream[..stream.len().min(8)]) {
            return Err(Error::BadFraming);
        }
        return Ok(None);
    }
    if !is_framed(stream) {
        return Err(Error::BadFraming);
    }
    let len = read_u32(stream, 8)? as usize;
    Ok(Some(HEADER_LEN.saturating_add(len)))
}

/// A message as a packet: framed, or bare for the Google protocol.
pub fn frame(version: Version, message: &[u8]) -> Result<Vec<u8>, Error> {
    if !version.params().framed {
        return Ok(message.to_vec());
    }
    let len = u32::try_from(message.len()).map_err(|_| Error::TooLarge)?;
    let mut out = Vec::with_capacity(HEADER_LEN + message.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(message);
    Ok(out)
}

/// The message inside a packet of `version` (bare for Google).
pub fn message_of(version: Version, packet: &[u8]) -> Result<&[u8], Error> {
    if version.params().framed {
        unframe(packet)
    } else {
        Ok(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_unframes() {
        let p = frame(Version::Rfc, &[0, 0, 0, 0]).unwrap();
        assert_eq!(&p[..8], b"ROUGHTIM");
        assert_eq!(&p[8..12], &[4, 0, 0, 0]);
        assert_eq!(
            u64::from_le_bytes(p[..8].try_into().unwrap()),
            0x4d49_5448_4755_4f52
        );
        assert_eq!(unframe(&p), Ok(&[0u8, 0, 0, 0][..]));
        assert_eq!(frame(Version::Google, &[0; 4]).unwrap(), [0; 4]);
    }

    #[test]
    fn stream_lengths() {
        assert_eq!(stream_packet_len(b""), Ok(None));
        assert_eq!(stream_packet_len(b"ROUGH"), Ok(None));
        assert_eq!(stream_packet_len(b"NOPE"), Err(Error::BadFraming));
        assert_eq!(stream_packet_len(b"ROUGHTIM\x08\0\0\0abcd"), Ok(Some(20)));
        assert_eq!(
            stream_packet_len(b"ROUGHTIX\x08\0\0\0"),
            Err(Error::BadFraming)
        );
    }

    #[test]
    fn rejects_bad_packets() {
        assert!(matches!(unframe(b"ROUGH"), Err(Error::Truncated { .. })));
        assert_eq!(unframe(b"ROUGHTIX\0\0\0\0"), Err(Error::BadFraming));
        assert_eq!(
            unframe(b"ROUGHTIM\x08\0\0\0abcd"),
            Err(Error::LengthMismatch {
                claimed: 8,
                actual: 4
            })
        );
        assert_eq!(
            unframe(b"ROUGHTIM\x00\0\0\0abcd"),
            Err(Error::LengthMismatch {
                claimed: 0,
                actual: 4
            })
        );
    }
}
