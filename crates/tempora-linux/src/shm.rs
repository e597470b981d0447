//! The NTP shared-memory segment (ntpd's driver 28, as gpsd writes it):
//! System V shared memory attached read-write (the reader clears `valid`).
//! What the bytes mean is `tempora_refclock::shm`'s business; this module
//! only attaches, copies and writes the one word the handshake needs.

use std::io;

/// The length of `struct shmTime` on 64-bit Linux.
pub const SEGMENT_LEN: usize = 96;

/// An attached segment; detached on drop.
#[derive(Debug)]
pub struct ShmSegment {
    base: *mut u8,
}

impl ShmSegment {
    /// Attaches the existing segment with `key` (at least
    /// [`SEGMENT_LEN`] bytes). `NotFound` when no writer has created it.
    pub fn attach(key: u32) -> io::Result<ShmSegment> {
        // SAFETY: shmget takes plain integers and touches no memory of ours.
        let id = unsafe { libc::shmget(key as libc::key_t, SEGMENT_LEN, 0) };
        if id < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: attaching at an address of the kernel's choice maps new
        // pages and touches none of ours.
        let base = unsafe { libc::shmat(id, std::ptr::null(), 0) };
        if base as isize == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(ShmSegment {
            base: base.cast::<u8>(),
        })
    }

    /// A copy of the segment's bytes, read one by one as volatile (the
    /// writer changes them under us), and the `count` word at
    /// `count_offset` read again after the copy: what
    /// `tempora_refclock::shm::read` needs for its handshake.
    pub fn snapshot(&self, count_offset: usize) -> ([u8; SEGMENT_LEN], i32) {
        let mut copy = [0u8; SEGMENT_LEN];
        for (i, b) in copy.iter_mut().enumerate() {
            // SAFETY: `base` maps at least SEGMENT_LEN bytes (shmget
            // checked the size) for as long as `self` lives; i < SEGMENT_LEN.
            *b = unsafe { std::ptr::read_volatile(self.base.add(i)) };
        }
        (copy, self.read_i32(count_offset))
    }

    /// Writes 0 to the 32-bit word at `offset` (the `valid` flag).
    pub fn clear_word(&self, offset: usize) {
        if offset + 4 > SEGMENT_LEN || offset % 4 != 0 {
            return;
        }
        // SAFETY: in bounds (checked above) and 4-byte aligned (shmat maps
        // page-aligned memory; the offset is a multiple of 4).
        unsafe { std::ptr::write_volatile(self.base.add(offset).cast::<i32>(), 0) };
    }

    fn read_i32(&self, offset: usize) -> i32 {
        if offset + 4 > SEGMENT_LEN || offset % 4 != 0 {
            return 0;
        }
        // SAFETY: in bounds and aligned, as in `clear_word`.
        unsafe { std::ptr::read_volatile(self.base.add(offset).cast::<i32>()) }
    }
}

impl Drop for ShmSegment {
    fn drop(&mut self) {
        // SAFETY: `base` came from shmat and is detached once, here.
        unsafe { libc::shmdt(self.base.cast::<libc::c_void>()) };
    }
}
