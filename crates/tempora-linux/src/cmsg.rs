//! Control messages (`cmsg(3)`) read from and written to plain byte buffers,
//! in safe code: the kernel's layout is `struct cmsghdr { size_t len; int
//! level; int type; }` followed by the data, each message aligned to
//! `sizeof(long)`.

use std::mem;

const ALIGN: usize = mem::size_of::<usize>();
/// `CMSG_ALIGN(sizeof(struct cmsghdr))`.
const HDR: usize = align(mem::size_of::<usize>() + 8);

const fn align(n: usize) -> usize {
    (n + ALIGN - 1) & !(ALIGN - 1)
}

/// `CMSG_SPACE(n)`: the room a message with `n` data bytes takes.
pub(crate) const fn space(n: usize) -> usize {
    HDR + align(n)
}

/// `CMSG_LEN(n)`: the `cmsg_len` of a message with `n` data bytes.
pub(crate) const fn len(n: usize) -> usize {
    HDR + n
}

/// A control buffer aligned for `struct cmsghdr`.
#[repr(C, align(8))]
pub(crate) struct CmsgBuffer(pub(crate) [u8; 512]);

impl CmsgBuffer {
    /// A zeroed buffer.
    pub(crate) fn new() -> Self {
        CmsgBuffer([0; 512])
    }
}

/// One control message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cmsg<'a> {
    /// `cmsg_level`.
    pub(crate) level: i32,
    /// `cmsg_type`.
    pub(crate) ty: i32,
    /// The data (`cmsg_len` − header).
    pub(crate) data: &'a [u8],
}

/// The control messages in `control` (the first `msg_controllen` bytes of
/// the buffer); stops at the first malformed header.
pub(crate) fn parse(control: &[u8]) -> impl Iterator<Item = Cmsg<'_>> {
    let mut rest = control;
    std::iter::from_fn(move || {
        let hdr = rest.get(..HDR)?;
        let (len_bytes, tail) = hdr.split_at(ALIGN);
        let msg_len = usize::from_ne_bytes(len_bytes.try_into().ok()?);
        let level = i32::from_ne_bytes(tail.get(..4)?.try_into().ok()?);
        let ty = i32::from_ne_bytes(tail.get(4..8)?.try_into().ok()?);
        if msg_len < HDR || msg_len > rest.len() {
            rest = &[];
            return None;
        }
        let data = rest.get(HDR..msg_len)?;
        rest = rest.get(align(msg_len)..).unwrap_or(&[]);
        Some(Cmsg { level, ty, data })
    })
}

/// Writes one control message with `data` at the start of `buf`; returns
/// the bytes used (`CMSG_SPACE`), or `None` if it does not fit.
pub(crate) fn write(buf: &mut [u8], level: i32, ty: i32, data: &[u8]) -> Option<usize> {
    let total = space(data.len());
    let out = buf.get_mut(..total)?;
    out.fill(0);
    out[..ALIGN].copy_from_slice(&len(data.len()).to_ne_bytes());
    out[ALIGN..ALIGN + 4].copy_from_slice(&level.to_ne_bytes());
    out[ALIGN + 4..ALIGN + 8].copy_from_slice(&ty.to_ne_bytes());
    out[HDR..HDR + data.len()].copy_from_slice(data);
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libc_macros() {
        for n in [0usize, 1, 4, 8, 12, 16, 48] {
            let c = n as libc::c_uint;
            // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic.
            let (s, l) = unsafe { (libc::CMSG_SPACE(c), libc::CMSG_LEN(c)) };
            assert_eq!(space(n), s as usize);
            assert_eq!(len(n), l as usize);
        }
        assert_eq!(HDR, mem::size_of::<libc::cmsghdr>());
    }

    #[test]
    fn round_trip_and_malformed_input() {
        let mut buf = CmsgBuffer::new();
        let a = write(&mut buf.0, 1, 81, &7u32.to_ne_bytes()).unwrap();
        let b = write(&mut buf.0[a..], 0, 11, &[1, 2, 3, 4, 5]).unwrap();
        let msgs: Vec<_> = parse(&buf.0[..a + b]).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].level, 1);
        assert_eq!(msgs[0].ty, 81);
        assert_eq!(msgs[0].data, 7u32.to_ne_bytes());
        assert_eq!(msgs[1].data, [1, 2, 3, 4, 5]);
        // Truncated or nonsense input ends the walk without panicking.
        for cut in 0..a + b {
            let _ = parse(&buf.0[..cut]).count();
        }
        let mut junk = [0xffu8; 64];
        assert_eq!(parse(&junk).count(), 0);
        junk[..ALIGN].copy_from_slice(&1usize.to_ne_bytes());
        assert_eq!(parse(&junk).count(), 0);
        assert!(write(&mut [0u8; 8], 1, 1, &[0; 4]).is_none());
    }
}
