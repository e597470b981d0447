//! Bounds-checked big-endian readers and writers over byte slices.
//!
//! All network byte order (RFC 5905 §7.3 "all fields are in network byte
//! order"); every access is checked so decoding never panics.

use super::Error;

/// A forward-only reader over a borrowed buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Current offset from the start of the buffer.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Takes the next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(Error::Truncated {
            needed: usize::MAX,
            available: self.buf.len(),
        })?;
        let out = self.buf.get(self.pos..end).ok_or(Error::Truncated {
            needed: end,
            available: self.buf.len(),
        })?;
        self.pos = end;
        Ok(out)
    }

    /// Takes the next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let b = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `u16`.
    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }
}

/// A forward-only writer into a mutable buffer.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// Starts writing at the beginning of `buf`.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Fails with [`Error::BufferTooSmall`] unless `needed` bytes fit.
    pub(crate) fn ensure(&self, needed: usize) -> Result<(), Error> {
        if self.buf.len() < needed {
            Err(Error::BufferTooSmall {
                needed,
                available: self.buf.len(),
            })
        } else {
            Ok(())
        }
    }

    /// Bytes written so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Appends raw bytes.
    pub(crate) fn bytes(&mut self, data: &[u8]) -> Result<(), Error> {
        let end = self
            .pos
            .checked_add(data.len())
            .ok_or(Error::BufferTooSmall {
                needed: usize::MAX,
                available: self.buf.len(),
            })?;
        let available = self.buf.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(Error::BufferTooSmall {
                needed: end,
                available,
            })?;
        dst.copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    /// Appends `n` zero bytes.
    pub(crate) fn zeros(&mut self, n: usize) -> Result<(), Error> {
        for _ in 0..n {
            self.u8(0)?;
        }
        Ok(())
    }

    /// Appends one byte.
    pub(crate) fn u8(&mut self, v: u8) -> Result<(), Error> {
        self.bytes(&[v])
    }

    /// Appends a big-endian `u16`.
    pub(crate) fn u16(&mut self, v: u16) -> Result<(), Error> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u32`.
    pub(crate) fn u32(&mut self, v: u32) -> Result<(), Error> {
        self.bytes(&v.to_be_bytes())
    }
}

/// Rounds `n` up to a multiple of 4 (saturating at the largest multiple).
pub(crate) fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}
