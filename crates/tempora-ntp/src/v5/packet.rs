//! An NTPv5 message (draft-ietf-ntp-ntpv5, "Message Format"): the
//! 48-octet [`Header`] and extension fields ([`Fields`]), decoded borrowed
//! and re-encoded byte for byte; and [`Builder`], which writes a message
//! field by field into a caller's buffer without allocating.

use super::draft::Draft;
use super::extension::{Field, FieldIter, Fields};
use super::fields::Extension;
use super::header::{Header, V5_HEADER_LEN};
use crate::wire::Error;

/// An NTPv5 message borrowing its extension fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packet<'a> {
    /// The header.
    pub header: Header,
    /// The extension fields, as on the wire.
    pub fields: Fields<'a>,
}

impl<'a> Packet<'a> {
    /// Decodes a UDP payload. Errors: those of [`Header::decode`] and
    /// [`Fields::new`].
    pub fn decode(buf: &'a [u8]) -> Result<Packet<'a>, Error> {
        let header = Header::decode(buf)?;
        let rest = buf.get(V5_HEADER_LEN..).unwrap_or_default();
        let fields = Fields::new(rest, V5_HEADER_LEN)?;
        Ok(Packet { header, fields })
    }

    /// Octets [`Packet::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        V5_HEADER_LEN.saturating_add(self.fields.as_bytes().len())
    }

    /// Encodes into the start of `buf`; returns the octets written.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut b = Builder::new(buf, &self.header)?;
        b.push_raw(self.fields.as_bytes())?;
        Ok(b.finish())
    }

    /// The fields with their offsets in the message.
    pub fn iter(&self) -> FieldIter<'a> {
        self.fields.iter()
    }

    /// The data of the first Draft Identification field (of any supported
    /// draft's type number), if any.
    pub fn draft_id(&self) -> Option<&'a [u8]> {
        self.iter()
            .find(|(_, f)| Draft::is_draft_id_type(f.field_type))
            .map(|(_, f)| f.data)
    }

    /// The draft the message identifies as, when it is one Tempora speaks.
    pub fn draft(&self) -> Option<Draft> {
        self.draft_id().and_then(Draft::from_id)
    }

    /// The fields typed under `draft`, with their offsets.
    pub fn extensions(
        &self,
        draft: Draft,
    ) -> impl Iterator<Item = (usize, Result<Extension<'a>, Error>)> + 'a {
        self.fields
            .iter()
            .map(move |(at, f)| (at, Extension::decode(f, draft)))
    }
}

/// Writes an NTPv5 message into a caller's buffer: the header, then each
/// field pushed, padded.
#[derive(Debug)]
pub struct Builder<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Builder<'b> {
    /// Starts a message with `header`. Errors: [`Error::BufferTooSmall`].
    pub fn new(buf: &'b mut [u8], header: &Header) -> Result<Self, Error> {
        let len = header.encode(buf)?;
        Ok(Builder { buf, len })
    }

    /// Continues a message of `len` octets already at the start of `buf`
    /// (e.g. written by [`super::V5Request::new`]), to append fields.
    /// Errors: [`Error::BufferTooSmall`] when `len` is shorter than a
    /// header or longer than `buf`.
    pub fn resume(buf: &'b mut [u8], len: usize) -> Result<Self, Error> {
        if len < V5_HEADER_LEN || len > buf.len() {
            return Err(Error::BufferTooSmall {
                needed: len.max(V5_HEADER_LEN),
                available: buf.len(),
            });
        }
        Ok(Builder { buf, len })
    }

    /// The rest of the buffer.
    fn tail(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.len..).unwrap_or_default()
    }

    /// Appends a typed field under `draft`.
    pub fn push(&mut self, ext: &Extension<'_>, draft: Draft) -> Result<&mut Self, Error> {
        let n = ext.encode(draft, self.tail())?;
        self.len = self.len.saturating_add(n);
        Ok(self)
    }

    /// Appends a raw field.
    pub fn push_field(&mut self, field: &Field<'_>) -> Result<&mut Self, Error> {
        let n = field.encode(self.tail())?;
        self.len = self.len.saturating_add(n);
        Ok(self)
    }

    /// Appends bytes that already are whole, padded fields.
    pub fn push_raw(&mut self, bytes: &[u8]) -> Result<&mut Self, Error> {
        let needed = self.len.saturating_add(bytes.len());
        let available = self.buf.len();
        let dst = self
            .tail()
            .get_mut(..bytes.len())
            .ok_or(Error::BufferTooSmall { needed, available })?;
        dst.copy_from_slice(bytes);
        self.len = needed;
        Ok(self)
    }

    /// Octets written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: the header is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The message written so far (for MACs over the prefix).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Finishes; returns the message length.
    pub fn finish(self) -> usize {
        self.len
    }
}
