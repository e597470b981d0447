//! RFC 2783 PPS on Linux: `/dev/ppsN` and its `PPS_FETCH`,
//! `PPS_GETPARAMS` and `PPS_SETPARAMS` ioctls (`linux/pps.h`). The edges
//! are stamped by the kernel on CLOCK_REALTIME.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use tempora_clock::Time;

/// `struct pps_ktime` (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct PpsKtime {
    sec: i64,
    nsec: i32,
    flags: u32,
}

/// `struct pps_kinfo` (48 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct PpsKinfo {
    assert_sequence: u32,
    clear_sequence: u32,
    assert_tu: PpsKtime,
    clear_tu: PpsKtime,
    current_mode: libc::c_int,
}

/// `struct pps_fdata` (64 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct PpsFdata {
    info: PpsKinfo,
    timeout: PpsKtime,
}

/// `struct pps_kparams` (40 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct PpsKparams {
    api_version: libc::c_int,
    mode: libc::c_int,
    assert_off_tu: PpsKtime,
    clear_off_tu: PpsKtime,
}

/// `_IOWR('p', 0xa4, struct pps_fdata *)` (the size is a pointer's).
const PPS_FETCH: libc::c_ulong = 0xc008_70a4;
/// `_IOR('p', 0xa1, struct pps_kparams *)`.
const PPS_GETPARAMS: libc::c_ulong = 0x8008_70a1;
/// `_IOW('p', 0xa2, struct pps_kparams *)`.
const PPS_SETPARAMS: libc::c_ulong = 0x4008_70a2;
/// `PPS_CAPTUREASSERT`.
pub const CAPTURE_ASSERT: i32 = 0x01;
/// `PPS_CAPTURECLEAR`.
pub const CAPTURE_CLEAR: i32 = 0x02;

/// One fetch: both edges' sequence numbers and CLOCK_REALTIME stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpsFetch {
    /// The assert edge's sequence number.
    pub assert_sequence: u32,
    /// Its time.
    pub assert_time: Time,
    /// The clear edge's sequence number.
    pub clear_sequence: u32,
    /// Its time.
    pub clear_time: Time,
}

/// An open PPS device.
#[derive(Debug)]
pub struct PpsDevice {
    file: OwnedFd,
}

fn ktime(t: PpsKtime) -> Time {
    Time::from_secs_nanos(t.sec, u32::try_from(t.nsec).unwrap_or(0).min(999_999_999))
}

/// Plain open(2) of `path` with `flags` (close-on-exec), which clknetsim
/// intercepts for its simulated `/dev/pps0` (std's `File` uses open64).
fn open_device(path: &Path, flags: i32) -> io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: `c` is a valid NUL-terminated path for the call.
    let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by open(2) and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl PpsDevice {
    /// Opens `path` and asks for the `capture` edges (CAPTURE_ASSERT,
    /// CAPTURE_CLEAR); a device that refuses the parameters (read-only,
    /// or already set) is still used as it is.
    pub fn open(path: &Path, capture: i32) -> io::Result<PpsDevice> {
        let file =
            open_device(path, libc::O_RDWR).or_else(|_| open_device(path, libc::O_RDONLY))?;
        let dev = PpsDevice { file };
        let mut params = PpsKparams::default();
        // SAFETY: PPS_GETPARAMS writes one pps_kparams into `params`, which
        // lives for the call.
        let r = unsafe { libc::ioctl(dev.file.as_raw_fd(), PPS_GETPARAMS, &mut params) };
        if r == 0 && params.mode & capture != capture {
            params.mode |= capture;
            // A refusal (a device opened read-only) leaves its mode as it is.
            // SAFETY: PPS_SETPARAMS reads one pps_kparams from `params`.
            unsafe { libc::ioctl(dev.file.as_raw_fd(), PPS_SETPARAMS, &params) };
        }
        Ok(dev)
    }

    /// The latest edges, without waiting (a zero timeout).
    pub fn fetch(&self) -> io::Result<PpsFetch> {
        let mut data = PpsFdata::default();
        // SAFETY: PPS_FETCH reads the timeout from and writes the info into
        // one pps_fdata, which lives for the call.
        let r = unsafe { libc::ioctl(self.file.as_raw_fd(), PPS_FETCH, &mut data) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PpsFetch {
            assert_sequence: data.info.assert_sequence,
            assert_time: ktime(data.info.assert_tu),
            clear_sequence: data.info.clear_sequence,
            clear_time: ktime(data.info.clear_tu),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_structures_have_their_c_sizes() {
        // Checked against gcc's sizeof on x86-64 with linux/pps.h.
        assert_eq!(std::mem::size_of::<PpsKtime>(), 16);
        assert_eq!(std::mem::size_of::<PpsKinfo>(), 48);
        assert_eq!(std::mem::size_of::<PpsFdata>(), 64);
        assert_eq!(std::mem::size_of::<PpsKparams>(), 40);
    }

    #[test]
    fn a_missing_device_is_an_error() {
        assert!(PpsDevice::open(Path::new("/dev/pps-none"), CAPTURE_ASSERT).is_err());
    }
}
