//! The Roughtime message (RFC 10049 §4): a header of the number of pairs
//! N, N-1 offsets and N tags (uint32, little-endian), then the values.
//!
//! [`Message::decode`] borrows its input, checks the whole header once
//! (offsets multiples of four, ascending and inside the message; tags
//! strictly ascending, so none repeats) and never panics. Offsets are
//! determined by the values' lengths, so a message that decodes encodes
//! back ([`Builder`]) to exactly its bytes.

use alloc::vec::Vec;

use crate::error::Error;
use crate::tag::Tag;

/// Reads the little-endian uint32 at `pos` (RFC 10049 §4.1.1).
pub(crate) fn read_u32(bytes: &[u8], pos: usize) -> Result<u32, Error> {
    let end = pos.checked_add(4).ok_or(Error::TooLarge)?;
    let word = bytes.get(pos..end).ok_or(Error::Truncated {
        needed: end,
        available: bytes.len(),
    })?;
    let mut b = [0u8; 4];
    b.copy_from_slice(word);
    Ok(u32::from_le_bytes(b))
}

/// A decoded message borrowing its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    bytes: &'a [u8],
    count: usize,
}

impl<'a> Message<'a> {
    /// Decodes and checks a message (RFC 10049 §4.2).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        let count = read_u32(bytes, 0)?;
        if bytes.len() % 4 != 0 {
            return Err(Error::Misaligned(bytes.len()));
        }
        // Each pair takes 8 header bytes (4 + 4*(N-1) + 4*N = 8*N).
        let n = usize::try_from(count).map_err(|_| Error::TooManyTags(count))?;
        if n == 0 {
            return match bytes.len() {
                4 => Ok(Message { bytes, count: 0 }),
                len => Err(Error::TrailingBytes(len - 4)),
            };
        }
        if n > bytes.len() / 8 {
            return Err(Error::TooManyTags(count));
        }
        let msg = Message { bytes, count: n };
        msg.check_offsets()?;
        msg.check_tags()?;
        Ok(msg)
    }

    fn values_len(&self) -> usize {
        self.bytes.len() - 8 * self.count
    }

    fn check_offsets(&self) -> Result<(), Error> {
        let mut previous = 0u32;
        for i in 1..self.count {
            let offset = read_u32(self.bytes, 4 * i)?;
            if offset % 4 != 0 {
                return Err(Error::OffsetMisaligned(offset));
            }
            if offset < previous || offset as usize > self.values_len() {
                return Err(Error::OffsetOutOfRange(offset));
            }
            previous = offset;
        }
        Ok(())
    }

    fn check_tags(&self) -> Result<(), Error> {
        let mut previous: Option<Tag> = None;
        for i in 0..self.count {
            let tag = self.tag_at(i);
            if previous.is_some_and(|p| p >= tag) {
                return Err(Error::TagsNotSorted(tag));
            }
            previous = Some(tag);
        }
        Ok(())
    }

    /// The `i`th tag; `i < count` (checked by `decode`).
    fn tag_at(&self, i: usize) -> Tag {
        Tag(read_u32(self.bytes, 4 * self.count + 4 * i).unwrap_or(0))
    }

    /// The `i`th value's start in the values section; `i <= count`.
    fn offset_at(&self, i: usize) -> usize {
        match i {
            0 => 0,
            i if i == self.count => self.values_len(),
            i => read_u32(self.bytes, 4 * i).unwrap_or(0) as usize,
        }
    }

    /// The `i`th value.
    fn value_at(&self, i: usize) -> &'a [u8] {
        let base = 8 * self.count;
        let (start, end) = (self.offset_at(i), self.offset_at(i + 1));
        self.bytes.get(base + start..base + end).unwrap_or(&[])
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the message has no pairs.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The bytes the message was decoded from.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The value of `tag`, if present (binary search: tags are sorted).
    pub fn get(&self, tag: Tag) -> Option<&'a [u8]> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.tag_at(mid).cmp(&tag) {
                core::cmp::Ordering::Less => lo = mid + 1,
                core::cmp::Ordering::Greater => hi = mid,
                core::cmp::Ordering::Equal => return Some(self.value_at(mid)),
            }
        }
        None
    }

    /// The value of `tag`, or [`Error::MissingTag`].
    pub fn require(&self, tag: Tag) -> Result<&'a [u8], Error> {
        self.get(tag).ok_or(Error::MissingTag(tag))
    }

    /// The value of `tag` as a uint32 (RFC 10049 §4.1.1).
    pub fn u32(&self, tag: Tag) -> Result<u32, Error> {
        let v = self.require(tag)?;
        let b: [u8; 4] = v
            .try_into()
            .map_err(|_| Error::BadLength { tag, len: v.len() })?;
        Ok(u32::from_le_bytes(b))
    }

    /// The value of `tag` as a uint64 (RFC 10049 §4.1.2).
    pub fn u64(&self, tag: Tag) -> Result<u64, Error> {
        let v = self.require(tag)?;
        let b: [u8; 8] = v
            .try_into()
            .map_err(|_| Error::BadLength { tag, len: v.len() })?;
        Ok(u64::from_le_bytes(b))
    }

    /// The value of `tag`, which must be `N` bytes long.
    pub fn fixed<const N: usize>(&self, tag: Tag) -> Result<&'a [u8; N], Error> {
        let v = self.require(tag)?;
        v.try_into()
            .map_err(|_| Error::BadLength { tag, len: v.len() })
    }

    /// The value of `tag` decoded as a nested message (SREP, CERT, DELE).
    pub fn nested(&self, tag: Tag) -> Result<Message<'a>, Error> {
        Message::decode(self.require(tag)?)
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (Tag, &'a [u8])> + '_ {
        (0..self.count).map(|i| (self.tag_at(i), self.value_at(i)))
    }
}

impl core::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut map = f.debug_map();
        for (tag, value) in self.iter() {
            map.entry(&tag, &value.len());
        }
        map.finish()
    }
}

/// Builds a message from (tag, value) pairs in any order; encodes them
/// sorted (RFC 10049 §4.2).
#[derive(Debug, Clone, Default)]
pub struct Builder<'v> {
    pairs: Vec<(Tag, &'v [u8])>,
}

impl<'v> Builder<'v> {
    /// An empty message.
    pub fn new() -> Self {
        Builder { pairs: Vec::new() }
    }

    /// Adds a pair (a repeated tag is an error at encoding).
    pub fn add(mut self, tag: Tag, value: &'v [u8]) -> Self {
        self.pairs.push((tag, value));
        self
    }

    /// Adds a pair in place.
    pub fn push(&mut self, tag: Tag, value: &'v [u8]) {
        self.pairs.push((tag, value));
    }

    /// The encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        8 * self.pairs.len() + self.pairs.iter().map(|(_, v)| v.len()).sum::<usize>()
    }

    /// Encodes the message.
    pub fn encode(mut self) -> Result<Vec<u8>, Error> {
        self.pairs.sort_by_key(|(t, _)| *t);
        for w in self.pairs.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::TagsNotSorted(w[1].0));
            }
        }
        if let Some((t, _)) = self.pairs.iter().find(|(_, v)| v.len() % 4 != 0) {
            return Err(Error::ValueMisaligned(*t));
        }
        let len = self.encoded_len();
        u32::try_from(len).map_err(|_| Error::TooLarge)?;
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&(self.pairs.len() as u32).to_le_bytes());
        let mut offset = 0usize;
        for (i, (_, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&(offset as u32).to_le_bytes());
            }
            offset += v.len();
        }
        for (t, _) in &self.pairs {
            out.extend_from_slice(&t.to_bytes());
        }
        for (_, v) in &self.pairs {
            out.extend_from_slice(v);
        }
        Ok(out)
    }
}

/// Re-encodes a decoded message (the identity on its bytes).
pub fn reencode(msg: &Message<'_>) -> Result<Vec<u8>, Error> {
    let mut b = Builder::new();
    for (t, v) in msg.iter() {
        b.push(t, v);
    }
    b.encode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample() -> Vec<u8> {
        Builder::new()
            .add(Tag::NONC, &[7; 32])
            .add(Tag::VER, &[1, 0, 0, 0])
            .add(Tag::TYPE, &[0; 4])
            .encode()
            .unwrap()
    }

    #[test]
    fn encodes_sorted_with_offsets() {
        let b = sample();
        assert_eq!(&b[0..4], &[3, 0, 0, 0]);
        assert_eq!(&b[4..8], &[4, 0, 0, 0]); // NONC after the 4-byte VER
        assert_eq!(&b[8..12], &[36, 0, 0, 0]); // TYPE after 4 + 32
        assert_eq!(&b[12..16], b"VER\0");
        assert_eq!(&b[16..20], b"NONC");
        assert_eq!(&b[20..24], b"TYPE");
        assert_eq!(b.len(), 24 + 40);
    }

    #[test]
    fn decodes_and_reencodes_byte_exact() {
        let b = sample();
        let m = Message::decode(&b).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(Tag::NONC), Some(&[7u8; 32][..]));
        assert_eq!(m.u32(Tag::VER), Ok(1));
        assert_eq!(m.u32(Tag::TYPE), Ok(0));
        assert_eq!(m.get(Tag::SIG), None);
        assert_eq!(m.require(Tag::SIG), Err(Error::MissingTag(Tag::SIG)));
        assert_eq!(reencode(&m).unwrap(), b);
    }

    #[test]
    fn empty_and_single() {
        let e = Builder::new().encode().unwrap();
        assert_eq!(e, [0, 0, 0, 0]);
        assert!(Message::decode(&e).unwrap().is_empty());
        assert_eq!(
            Message::decode(&[0, 0, 0, 0, 1, 2, 3, 4]),
            Err(Error::TrailingBytes(4))
        );
        let one = Builder::new().add(Tag::PAD, &[]).encode().unwrap();
        assert_eq!(one.len(), 8);
        let m = Message::decode(&one).unwrap();
        assert_eq!(m.get(Tag::PAD), Some(&[][..]));
    }

    #[test]
    fn rejects_malformed() {
        assert!(matches!(
            Message::decode(&[1, 0]),
            Err(Error::Truncated { .. })
        ));
        assert_eq!(Message::decode(&[0, 0, 0, 0, 0]), Err(Error::Misaligned(5)));
        assert_eq!(
            Message::decode(&[2, 0, 0, 0, 0, 0, 0, 0]),
            Err(Error::TooManyTags(2))
        );
        let mut b = sample();
        b[4] = 2; // misaligned offset
        assert_eq!(Message::decode(&b), Err(Error::OffsetMisaligned(2)));
        let mut b = sample();
        b[4] = 40; // second offset (36) now below the first
        assert_eq!(Message::decode(&b), Err(Error::OffsetOutOfRange(36)));
        let mut b = sample();
        b[8] = 200; // past the end
        assert_eq!(Message::decode(&b), Err(Error::OffsetOutOfRange(200)));
        let mut b = sample();
        b[12..16].copy_from_slice(b"TYPE"); // VER slot now TYPE: repeated
        assert_eq!(Message::decode(&b), Err(Error::TagsNotSorted(Tag::NONC)));
        let mut b = sample();
        b[20..24].copy_from_slice(b"NONC"); // repeated tag
        assert_eq!(Message::decode(&b), Err(Error::TagsNotSorted(Tag::NONC)));
        assert_eq!(
            Message::decode(&[0xff, 0xff, 0xff, 0xff]),
            Err(Error::TooManyTags(u32::MAX))
        );
    }

    #[test]
    fn typed_values_check_lengths() {
        let b = Builder::new()
            .add(Tag::MIDP, &[1, 0, 0, 0])
            .encode()
            .unwrap();
        let m = Message::decode(&b).unwrap();
        assert_eq!(
            m.u64(Tag::MIDP),
            Err(Error::BadLength {
                tag: Tag::MIDP,
                len: 4
            })
        );
        assert_eq!(m.u32(Tag::MIDP), Ok(1));
        assert!(m.fixed::<32>(Tag::MIDP).is_err());
    }

    #[test]
    fn encoder_rejects_repeats_and_misaligned_values() {
        let r = Builder::new()
            .add(Tag::SIG, &[])
            .add(Tag::SIG, &[])
            .encode();
        assert_eq!(r, Err(Error::TagsNotSorted(Tag::SIG)));
        let r = Builder::new().add(Tag::SIG, &[1, 2, 3]).encode();
        assert_eq!(r, Err(Error::ValueMisaligned(Tag::SIG)));
    }

    #[test]
    fn unknown_tags_are_kept() {
        let b = Builder::new()
            .add(Tag::from_bytes(*b"ABCD"), &[9; 8])
            .add(Tag::NONC, &[1; 4])
            .encode()
            .unwrap();
        let m = Message::decode(&b).unwrap();
        let tags: Vec<Tag> = m.iter().map(|(t, _)| t).collect();
        // Sorted as uint32: "NONC" (0x434e4f4e) before "ABCD" (0x44434241).
        assert_eq!(tags, vec![Tag::NONC, Tag::from_bytes(*b"ABCD")]);
        assert_eq!(reencode(&m).unwrap(), b);
    }
}
