//! A small `poll(2)` wrapper (no epoll: clknetsim simulates poll and
//! select only).
//!
//! Every registered descriptor is watched for input (`POLLIN`) and for a
//! pending error queue entry: Linux reports one as `POLLERR`, and as
//! `POLLPRI` too on sockets with SO_SELECT_ERR_QUEUE (which this crate's
//! timestamping sockets set, and which is how clknetsim reports it). Either
//! one shows as [`Readiness::error_queue`]: a transmit timestamp is waiting.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// How long [`Poller::wait`] may block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timeout {
    /// Return at once.
    Zero,
    /// Block at most this long (rounded up to whole milliseconds).
    After(std::time::Duration),
    /// Block until something is ready.
    Never,
}

impl From<std::time::Duration> for Timeout {
    fn from(d: std::time::Duration) -> Self {
        Timeout::After(d)
    }
}

impl From<Option<std::time::Duration>> for Timeout {
    fn from(d: Option<std::time::Duration>) -> Self {
        d.map_or(Timeout::Never, Timeout::After)
    }
}

/// A negative duration means "at once".
impl From<tempora_clock::Duration> for Timeout {
    fn from(d: tempora_clock::Duration) -> Self {
        let nanos = d.nanos();
        if nanos <= 0 {
            Timeout::Zero
        } else {
            let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
            let sub = (nanos % 1_000_000_000) as u32;
            Timeout::After(std::time::Duration::new(secs, sub))
        }
    }
}

impl Timeout {
    /// The `poll(2)` timeout argument: milliseconds rounded up (so a wait
    /// never ends before the deadline and never spins), capped at `i32::MAX`;
    /// −1 for `Never`.
    pub fn as_poll_millis(self) -> libc::c_int {
        match self {
            Timeout::Zero => 0,
            Timeout::Never => -1,
            Timeout::After(d) => {
                let ms = d.as_nanos().div_ceil(1_000_000);
                libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
            }
        }
    }
}

/// What `poll` reported for one descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Readiness {
    /// The descriptor.
    pub fd: RawFd,
    /// Data can be read (`POLLIN`).
    pub readable: bool,
    /// The error queue has an entry, normally a transmit timestamp
    /// (`POLLERR` or `POLLPRI`).
    pub error_queue: bool,
    /// The peer hung up (`POLLHUP`).
    pub hangup: bool,
    /// The descriptor is not open (`POLLNVAL`): deregister it.
    pub invalid: bool,
}

/// A set of descriptors to wait on.
#[derive(Debug, Default, Clone)]
pub struct Poller {
    fds: Vec<libc::pollfd>,
}

impl Poller {
    /// An empty set.
    pub fn new() -> Self {
        Poller::default()
    }

    /// Adds `fd` (a no-op if it is already there). The poller does not own
    /// it: deregister it before closing it.
    pub fn register(&mut self, fd: &impl AsRawFd) {
        self.register_raw(fd.as_raw_fd());
    }

    /// Adds a raw descriptor (a no-op if it is already there, or negative).
    pub fn register_raw(&mut self, fd: RawFd) {
        if fd < 0 || self.fds.iter().any(|p| p.fd == fd) {
            return;
        }
        self.fds.push(libc::pollfd {
            fd,
            events: libc::POLLIN | libc::POLLPRI,
            revents: 0,
        });
    }

    /// Removes `fd`; whether it was there.
    pub fn deregister(&mut self, fd: RawFd) -> bool {
        let before = self.fds.len();
        self.fds.retain(|p| p.fd != fd);
        self.fds.len() != before
    }

    /// The number of registered descriptors.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// Whether none is registered.
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }

    /// Waits until a descriptor is ready or `timeout` passes; returns the
    /// ready ones (empty on timeout, and when a signal interrupted the wait:
    /// the caller's loop recomputes its deadline anyway).
    pub fn wait(&mut self, timeout: impl Into<Timeout>) -> io::Result<Vec<Readiness>> {
        let ms = timeout.into().as_poll_millis();
        for p in &mut self.fds {
            p.revents = 0;
        }
        let nfds = libc::nfds_t::try_from(self.fds.len())
            .map_err(|_| crate::sys::invalid("too many descriptors for poll"))?;
        // SAFETY: `self.fds` is a live, writable array of `nfds` pollfds.
        let ret = unsafe { libc::poll(self.fds.as_mut_ptr(), nfds, ms) };
        if ret < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(Vec::new())
            } else {
                Err(e)
            };
        }
        Ok(self
            .fds
            .iter()
            .filter(|p| p.revents != 0)
            .map(|p| Readiness {
                fd: p.fd,
                readable: p.revents & libc::POLLIN != 0,
                error_queue: p.revents & (libc::POLLERR | libc::POLLPRI) != 0,
                hangup: p.revents & libc::POLLHUP != 0,
                invalid: p.revents & libc::POLLNVAL != 0,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::time::{Duration, Instant};

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
        crate::sys::cvt(unsafe { libc::pipe(fds.as_mut_ptr()) }).unwrap();
        // SAFETY: both descriptors are fresh and owned by nothing else.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    #[test]
    fn timeouts_round_up_and_saturate() {
        assert_eq!(Timeout::Zero.as_poll_millis(), 0);
        assert_eq!(Timeout::Never.as_poll_millis(), -1);
        assert_eq!(Timeout::from(Duration::from_micros(1)).as_poll_millis(), 1);
        assert_eq!(Timeout::from(Duration::from_millis(5)).as_poll_millis(), 5);
        assert_eq!(
            Timeout::from(Duration::from_secs(u64::MAX)).as_poll_millis(),
            i32::MAX
        );
        assert_eq!(Timeout::from(None).as_poll_millis(), -1);
        assert_eq!(
            Timeout::from(tempora_clock::Duration::from_nanos(-5)),
            Timeout::Zero
        );
        assert_eq!(
            Timeout::from(tempora_clock::Duration::from_micros(1500)).as_poll_millis(),
            2
        );
        assert_eq!(
            Timeout::from(tempora_clock::Duration::MAX).as_poll_millis(),
            i32::MAX
        );
    }

    #[test]
    fn reports_readable_and_times_out() {
        let (r, w) = pipe();
        let mut p = Poller::new();
        p.register(&r);
        p.register(&r);
        assert_eq!(p.len(), 1);
        let start = Instant::now();
        assert!(p.wait(Duration::from_millis(20)).unwrap().is_empty());
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(
            // SAFETY: writes one byte from a live buffer to a live pipe.
            unsafe { libc::write(w.as_raw_fd(), b"x".as_ptr().cast(), 1) },
            1
        );
        let ready = p.wait(Timeout::Never).unwrap();
        assert_eq!(ready.len(), 1);
        assert!(ready[0].readable && !ready[0].error_queue);
        assert_eq!(ready[0].fd, r.as_raw_fd());
        drop(w);
        assert!(p.deregister(r.as_raw_fd()));
        assert!(!p.deregister(r.as_raw_fd()));
        assert!(p.is_empty());
        assert!(p.wait(Timeout::Zero).unwrap().is_empty());
    }
}
