//! # tempora-bytes
//!
//! Bounds-checked, big-endian ("network byte order") readers and writers over
//! byte slices, shared by Tempora's wire codecs. Every access is checked, so
//! no decoder or encoder built on them can panic on its input; failures are
//! reported in the codec's own error type through [`CodecError`].
#![no_std]
#![forbid(unsafe_code)]

use core::marker::PhantomData;

/// How a codec's error type represents the cursors' failures.
pub trait CodecError {
    /// The input ended: `needed` bytes were required, `available` were there.
    fn truncated(needed: usize, available: usize) -> Self;
    /// The output buffer is too small: `needed` bytes, `available` there.
    fn buffer_too_small(needed: usize, available: usize) -> Self;
    /// A value does not fit its field (e.g. a 48-bit field).
    fn value_out_of_range() -> Self;
}

/// Reads fields front to back from a borrowed buffer.
#[derive(Debug)]
pub struct Reader<'a, E> {
    buf: &'a [u8],
    pos: usize,
    _error: PhantomData<fn() -> E>,
}

impl<E> Clone for Reader<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Reader<'_, E> {}

impl<'a, E: CodecError> Reader<'a, E> {
    /// Starts reading at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            _error: PhantomData,
        }
    }

    /// Offset of the next byte from the start of the buffer.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Number of bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The bytes not read yet (does not consume them).
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Takes the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], E> {
        let available = self.buf.len();
        let end = self
            .pos
            .checked_add(n)
            .ok_or(E::truncated(usize::MAX, available))?;
        let out = self
            .buf
            .get(self.pos..end)
            .ok_or(E::truncated(end, available))?;
        self.pos = end;
        Ok(out)
    }

    /// Takes the next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], E> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, E> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    /// Reads a signed byte.
    pub fn i8(&mut self) -> Result<i8, E> {
        Ok(i8::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, E> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `i16`.
    pub fn i16(&mut self) -> Result<i16, E> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, E> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `i32`.
    pub fn i32(&mut self) -> Result<i32, E> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian 48-bit unsigned integer.
    pub fn u48(&mut self) -> Result<u64, E> {
        let b: [u8; 6] = self.array()?;
        Ok(u64::from_be_bytes([
            0, 0, b[0], b[1], b[2], b[3], b[4], b[5],
        ]))
    }

    /// Reads a big-endian `i64`.
    pub fn i64(&mut self) -> Result<i64, E> {
        Ok(i64::from_be_bytes(self.array()?))
    }
}

/// Writes fields front to back into a caller's buffer.
#[derive(Debug)]
pub struct Writer<'a, E> {
    buf: &'a mut [u8],
    pos: usize,
    _error: PhantomData<fn() -> E>,
}

impl<'a, E: CodecError> Writer<'a, E> {
    /// Starts writing at the beginning of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer {
            buf,
            pos: 0,
            _error: PhantomData,
        }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Fails unless the buffer holds at least `needed` bytes in all.
    pub fn ensure(&self, needed: usize) -> Result<(), E> {
        if self.buf.len() < needed {
            Err(E::buffer_too_small(needed, self.buf.len()))
        } else {
            Ok(())
        }
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, data: &[u8]) -> Result<(), E> {
        let available = self.buf.len();
        let end = self
            .pos
            .checked_add(data.len())
            .ok_or(E::buffer_too_small(usize::MAX, available))?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(E::buffer_too_small(end, available))?;
        dst.copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    /// Appends `n` zero bytes.
    pub fn zeros(&mut self, n: usize) -> Result<(), E> {
        let available = self.buf.len();
        let end = self
            .pos
            .checked_add(n)
            .ok_or(E::buffer_too_small(usize::MAX, available))?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(E::buffer_too_small(end, available))?;
        dst.fill(0);
        self.pos = end;
        Ok(())
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> Result<(), E> {
        self.bytes(&[v])
    }

    /// Appends a signed byte.
    pub fn i8(&mut self, v: i8) -> Result<(), E> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u16`.
    pub fn u16(&mut self, v: u16) -> Result<(), E> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `i16`.
    pub fn i16(&mut self, v: i16) -> Result<(), E> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> Result<(), E> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `i32`.
    pub fn i32(&mut self, v: i32) -> Result<(), E> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian 48-bit unsigned integer; larger values are refused.
    pub fn u48(&mut self, v: u64) -> Result<(), E> {
        if v >> 48 != 0 {
            return Err(E::value_out_of_range());
        }
        let b = v.to_be_bytes();
        self.bytes(&[b[2], b[3], b[4], b[5], b[6], b[7]])
    }

    /// Appends a big-endian `i64`.
    pub fn i64(&mut self, v: i64) -> Result<(), E> {
        self.bytes(&v.to_be_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum TestError {
        Truncated(usize, usize),
        TooSmall(usize, usize),
        Range,
    }

    impl CodecError for TestError {
        fn truncated(needed: usize, available: usize) -> Self {
            TestError::Truncated(needed, available)
        }
        fn buffer_too_small(needed: usize, available: usize) -> Self {
            TestError::TooSmall(needed, available)
        }
        fn value_out_of_range() -> Self {
            TestError::Range
        }
    }

    #[test]
    fn reads_big_endian_and_stops_at_the_end() {
        let data = [0x01, 0x02, 0x03, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x00];
        let mut r = Reader::<TestError>::new(&data);
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.i8(), Ok(3));
        assert_eq!(r.i16(), Ok(-2));
        assert_eq!(r.rest(), &[0, 0, 1, 0]);
        assert_eq!(r.u48(), Err(TestError::Truncated(11, 9)));
        assert_eq!(r.u32(), Ok(0x100));
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.u8(), Err(TestError::Truncated(10, 9)));
        assert_eq!(
            r.bytes(usize::MAX),
            Err(TestError::Truncated(usize::MAX, 9))
        );
    }

    #[test]
    fn writes_big_endian_and_refuses_overflow() {
        let mut buf = [0xaa; 10];
        let mut w = Writer::<TestError>::new(&mut buf);
        w.u48(0x0102_0304_0506).unwrap();
        assert_eq!(w.u48(1 << 48), Err(TestError::Range));
        w.zeros(2).unwrap();
        assert_eq!(w.u32(7), Err(TestError::TooSmall(12, 10)));
        w.i16(-1).unwrap();
        assert_eq!(w.position(), 10);
        assert_eq!(w.ensure(11), Err(TestError::TooSmall(11, 10)));
        assert_eq!(buf, [1, 2, 3, 4, 5, 6, 0, 0, 0xff, 0xff]);
    }
}
