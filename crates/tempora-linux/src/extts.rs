//! External timestamps of a PTP hardware clock (`linux/ptp_clock.h`): a
//! pin set to the external-timestamp function (`PTP_PIN_SETFUNC`), a
//! channel's edge timestamps switched on and off (`PTP_EXTTS_REQUEST`),
//! and the `struct ptp_extts_event` records the kernel queues for them,
//! read from the PHC's character device. This is what a PPS wired into a
//! NIC's SMA or header pin needs (linuxptp's `ts2phc`).
//!
//! Only the system calls are here: the records are handed on as bytes and
//! decoded, checked and paired in `tempora_refclock::extts` (safe, fuzzed
//! code). The device is opened non-blocking: [`ExttsDevice::fd`] goes into
//! a [`Poller`](crate::Poller), and [`ExttsDevice::read`] returns `None`
//! when nothing is queued.
//!
//! The `*2` ioctls (`PTP_EXTTS_REQUEST2`, `PTP_PIN_SETFUNC2`, Linux 5.7+),
//! which check that reserved fields are zero and honour
//! `PTP_STRICT_FLAGS`, are tried first; the original ones where the kernel
//! does not know them (`ENOTTY`), without the strict flag, which they do
//! not accept.

use std::ffi::CString;
use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::sys;

/// `PTP_ENABLE_FEATURE`: enable (rather than disable) the channel.
pub const PTP_ENABLE_FEATURE: libc::c_uint = 1 << 0;
/// `PTP_RISING_EDGE`: timestamp rising edges.
pub const PTP_RISING_EDGE: libc::c_uint = 1 << 1;
/// `PTP_FALLING_EDGE`: timestamp falling edges.
pub const PTP_FALLING_EDGE: libc::c_uint = 1 << 2;
/// `PTP_STRICT_FLAGS`: the driver must honour the edge flags or refuse
/// (`PTP_EXTTS_REQUEST2` only).
pub const PTP_STRICT_FLAGS: libc::c_uint = 1 << 3;

/// The size of one `struct ptp_extts_event` record as `read(2)` returns it.
pub const EXTTS_EVENT_SIZE: usize = mem::size_of::<libc::ptp_extts_event>();

/// Records read at most per [`ExttsDevice::read`] call with a buffer of
/// [`READ_BUFFER`] bytes.
const READ_EVENTS: usize = 16;
/// A read buffer size that holds whole records.
pub const READ_BUFFER: usize = READ_EVENTS * EXTTS_EVENT_SIZE;

/// Which edges of the input signal are timestamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExttsEdge {
    /// Rising edges (a PPS's usual on-time edge).
    Rising,
    /// Falling edges.
    Falling,
    /// Both.
    Both,
}

impl ExttsEdge {
    fn flags(self) -> libc::c_uint {
        match self {
            ExttsEdge::Rising => PTP_RISING_EDGE,
            ExttsEdge::Falling => PTP_FALLING_EDGE,
            ExttsEdge::Both => PTP_RISING_EDGE | PTP_FALLING_EDGE,
        }
    }
}

/// The counts of `struct ptp_clock_caps` that external timestamps need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExttsCaps {
    /// `n_ext_ts`: external timestamp channels.
    pub n_ext_ts: u32,
    /// `n_pins`: programmable pins (0: the channels have fixed inputs and
    /// no pin needs setting).
    pub n_pins: u32,
}

/// A PHC opened for external timestamps.
#[derive(Debug)]
pub struct ExttsDevice {
    fd: OwnedFd,
    path: String,
    caps: ExttsCaps,
    enabled: Option<u32>,
}

impl ExttsDevice {
    /// Opens the PHC at `path` (`/dev/ptpN`) read-write and non-blocking,
    /// and reads its capabilities (`PTP_CLOCK_GETCAPS`), which also tells
    /// a PHC from another device.
    pub fn open(path: &str) -> io::Result<ExttsDevice> {
        let c = CString::new(path)
            .map_err(|_| sys::invalid(format!("PHC path {path:?} contains NUL")))?;
        let flags = libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC;
        // SAFETY: `c` is a valid NUL-terminated path for the call.
        let fd = sys::cvt(unsafe { libc::open(c.as_ptr(), flags) })
            .map_err(|e| sys::context(e, format!("cannot open PTP hardware clock {path}")))?;
        // SAFETY: `fd` was just returned by open(2) and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let caps = read_caps(fd.as_fd()).map_err(|e| {
            sys::context(
                e,
                format!("{path} is not a PTP hardware clock (PTP_CLOCK_GETCAPS)"),
            )
        })?;
        Ok(ExttsDevice {
            fd,
            path: path.to_owned(),
            caps,
            enabled: None,
        })
    }

    /// The path it was opened at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Its external-timestamp capabilities.
    pub fn caps(&self) -> ExttsCaps {
        self.caps
    }

    /// The descriptor to poll for readable events.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Sets pin `pin` to the external-timestamp function on `channel`
    /// (`PTP_PIN_SETFUNC` with `PTP_PF_EXTTS`).
    pub fn set_pin_extts(&self, pin: u32, channel: u32) -> io::Result<()> {
        self.check_channel(channel)?;
        if pin >= self.caps.n_pins {
            return Err(sys::invalid(format!(
                "{}: pin {pin} out of range ({} pins)",
                self.path, self.caps.n_pins
            )));
        }
        // SAFETY: ptp_pin_desc is plain old data; zeroes are valid.
        let mut desc: libc::ptp_pin_desc = unsafe { mem::zeroed() };
        desc.index = pin;
        desc.func = libc::PTP_PF_EXTTS;
        desc.chan = channel;
        let what = format!(
            "{}: PTP_PIN_SETFUNC pin {pin} to EXTTS channel {channel}",
            self.path
        );
        self.ioctl_v2_or_v1(
            libc::PTP_PIN_SETFUNC2,
            libc::PTP_PIN_SETFUNC,
            &mut desc,
            &what,
        )
    }

    /// Switches timestamps of `edge` on for `channel` (`PTP_EXTTS_REQUEST2`
    /// with `PTP_ENABLE_FEATURE` and `PTP_STRICT_FLAGS`, or
    /// `PTP_EXTTS_REQUEST` without the strict flag). Dropping the device
    /// switches them off again.
    pub fn enable(&mut self, channel: u32, edge: ExttsEdge) -> io::Result<()> {
        self.check_channel(channel)?;
        let flags = PTP_ENABLE_FEATURE | edge.flags();
        self.request(channel, flags)?;
        self.enabled = Some(channel);
        Ok(())
    }

    /// Switches the enabled channel's timestamps off (nothing if none is).
    pub fn disable(&mut self) -> io::Result<()> {
        if let Some(channel) = self.enabled.take() {
            self.request(channel, 0)?;
        }
        Ok(())
    }

    /// Reads queued event records into `buf` (give it [`READ_BUFFER`]
    /// bytes; only a whole number of records is asked for, as older
    /// kernels refuse other sizes): the byte count, or `None` if none are
    /// queued. Older kernels ignore `O_NONBLOCK` on a PHC and would block
    /// in `read(2)`, so a zero-timeout `poll(2)` comes first.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let len = buf.len() - buf.len() % EXTTS_EVENT_SIZE;
        if len == 0 {
            return Err(sys::invalid("EXTTS read buffer smaller than one event"));
        }
        if !self.queued()? {
            return Ok(None);
        }
        // SAFETY: `buf` is live and writable for `len` ≤ `buf.len()` bytes.
        let ret = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), len) };
        match sys::cvt_size(ret) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(sys::context(
                e,
                format!("reading events from {}", self.path),
            )),
        }
    }

    /// Whether an event is queued (`poll(2)` with a zero timeout).
    fn queued(&self) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one live pollfd, and the count says one.
        let n = sys::cvt(unsafe { libc::poll(&mut pfd, 1, 0) })
            .map_err(|e| sys::context(e, format!("polling {}", self.path)))?;
        Ok(n > 0 && pfd.revents & libc::POLLIN != 0)
    }

    fn check_channel(&self, channel: u32) -> io::Result<()> {
        if channel >= self.caps.n_ext_ts {
            return Err(sys::invalid(format!(
                "{}: external timestamp channel {channel} out of range ({} channels)",
                self.path, self.caps.n_ext_ts
            )));
        }
        Ok(())
    }

    /// `PTP_EXTTS_REQUEST2`, or `PTP_EXTTS_REQUEST` without the strict
    /// flag.
    fn request(&self, channel: u32, flags: libc::c_uint) -> io::Result<()> {
        let mut req = libc::ptp_extts_request {
            index: channel,
            flags: flags | if flags == 0 { 0 } else { PTP_STRICT_FLAGS },
            rsv: [0; 2],
        };
        let what = format!(
            "{}: PTP_EXTTS_REQUEST channel {channel} flags {flags:#x}",
            self.path
        );
        match self.ioctl(libc::PTP_EXTTS_REQUEST2, &mut req) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTTY) => {
                req.flags = flags;
                self.ioctl(libc::PTP_EXTTS_REQUEST, &mut req)
            }
            r => r,
        }
        .map_err(|e| sys::context(e, what))
    }

    /// The `*2` ioctl, or the original one where the kernel lacks it.
    fn ioctl_v2_or_v1<T>(
        &self,
        v2: libc::Ioctl,
        v1: libc::Ioctl,
        arg: &mut T,
        what: &str,
    ) -> io::Result<()> {
        match self.ioctl(v2, arg) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTTY) => self.ioctl(v1, arg),
            r => r,
        }
        .map_err(|e| sys::context(e, what))
    }

    /// `ioctl(fd, request, arg)` for the PTP ioctls that take one struct.
    fn ioctl<T>(&self, request: libc::Ioctl, arg: &mut T) -> io::Result<()> {
        // SAFETY: every caller passes the struct its request is defined
        // with in linux/ptp_clock.h (the request encodes its size), live
        // and exclusively borrowed for the call.
        sys::cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), request, arg as *mut T) }).map(|_| ())
    }
}

impl Drop for ExttsDevice {
    fn drop(&mut self) {
        // Best effort: the channel is also released when the last
        // descriptor of the PHC is closed on kernels that track it.
        let _ = self.disable();
    }
}

/// `PTP_CLOCK_GETCAPS` on `fd`.
fn read_caps(fd: BorrowedFd<'_>) -> io::Result<ExttsCaps> {
    // SAFETY: ptp_clock_caps is plain old data; zeroes are valid.
    let mut caps: libc::ptp_clock_caps = unsafe { mem::zeroed() };
    // SAFETY: PTP_CLOCK_GETCAPS writes one ptp_clock_caps into `caps`,
    // which is live and of that size.
    sys::cvt(unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            libc::PTP_CLOCK_GETCAPS,
            &mut caps as *mut libc::ptp_clock_caps,
        )
    })?;
    Ok(ExttsCaps {
        n_ext_ts: u32::try_from(caps.n_ext_ts).unwrap_or(0),
        n_pins: u32::try_from(caps.n_pins).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests;
