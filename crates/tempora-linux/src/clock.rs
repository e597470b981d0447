//! Clocks: the system clock (CLOCK_REALTIME) and PTP hardware clocks
//! (`/dev/ptpN`), both disciplined with `clock_adjtime(2)`, and
//! [`RealtimeBase`], CLOCK_REALTIME as the base of a
//! [`VirtualClock`](tempora_clock::VirtualClock).
//!
//! Frequencies go to the kernel as `timex.freq` in "scaled ppm" (ppm ×
//! 2^16, so ppb × 65.536), steps as `ADJ_SETOFFSET | ADJ_NANO`, the TAI
//! offset as `ADJ_TAI`, and leap seconds as the `STA_INS`/`STA_DEL` status
//! bits (read, modify, write with `ADJ_STATUS`). A PHC's clock id is
//! `FD_TO_CLOCKID(fd)`; its offset to the system clock comes from the
//! `PTP_SYS_OFFSET_EXTENDED` ioctl (`PTP_SYS_OFFSET` on older drivers).

use std::ffi::CString;
use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

use tempora_clock::{BaseClock, Clock, ClockError, ClockInfo, Duration, LeapStatus, Time};

use crate::sys;
use crate::timestamping::timespec_to_time;

/// `FD_TO_CLOCKID(fd)` (linux/posix-timers.h): the dynamic clock id of an
/// open PHC character device, `(~fd << 3) | CLOCKFD` with `CLOCKFD` = 3.
pub const fn fd_to_clockid(fd: RawFd) -> libc::clockid_t {
    ((!fd) << 3) | 3
}

/// Parts per billion as `timex.freq` (scaled ppm: ppm × 2^16), rounded to
/// the nearest unit.
pub fn ppb_to_scaled_ppm(ppb: f64) -> libc::c_long {
    (ppb * 65.536).round() as libc::c_long
}

/// `timex.freq` (scaled ppm) as parts per billion.
pub fn scaled_ppm_to_ppb(freq: libc::c_long) -> f64 {
    freq as f64 / 65.536
}

/// `(seconds, nanoseconds)` with the nanoseconds in 0..10^9, the form
/// `ADJ_SETOFFSET | ADJ_NANO` wants (negative steps borrow a second); `None`
/// if the seconds do not fit `time_t`.
pub fn step_to_timeval(by: Duration) -> Option<(libc::time_t, libc::suseconds_t)> {
    let nanos = by.nanos();
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000);
    Some((
        libc::time_t::try_from(secs).ok()?,
        libc::suseconds_t::try_from(sub).ok()?,
    ))
}

/// Reads clock `id` with `clock_gettime(2)`.
// time_t and c_long are i32 on 32-bit targets: the conversions are not
// useless there.
#[allow(clippy::useless_conversion)]
pub fn read_clock(id: libc::clockid_t) -> io::Result<Time> {
    // SAFETY: timespec is plain old data; zeroes are valid.
    let mut ts: libc::timespec = unsafe { mem::zeroed() };
    // SAFETY: `ts` is a live, writable timespec.
    sys::cvt(unsafe { libc::clock_gettime(id, &mut ts) })?;
    timespec_to_time(i64::from(ts.tv_sec), i64::from(ts.tv_nsec)).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "clock_gettime: invalid nanoseconds",
        )
    })
}

/// CLOCK_REALTIME now.
pub(crate) fn realtime_now() -> io::Result<Time> {
    read_clock(libc::CLOCK_REALTIME)
}

fn clock_error(e: &io::Error) -> ClockError {
    ClockError::Os(e.raw_os_error().unwrap_or(0))
}

/// The kernel's timekeeping state of a clock, as `clock_adjtime` with no
/// modes reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelClockState {
    /// The frequency adjustment in effect, in ppb.
    pub frequency_ppb: f64,
    /// The largest frequency adjustment the kernel accepts (`tolerance`),
    /// in ppb.
    pub tolerance_ppb: f64,
    /// The `STA_*` status bits.
    pub status: i32,
    /// TAI − UTC in seconds, as the kernel knows it.
    pub tai_offset: i32,
    /// The `clock_adjtime` return value: `TIME_OK`, `TIME_INS`, …
    pub time_state: i32,
}

/// `clock_adjtime` on one clock id.
#[derive(Debug, Clone, Copy)]
struct Adjtime(libc::clockid_t);

impl Adjtime {
    fn call(self, tx: &mut libc::timex) -> io::Result<libc::c_int> {
        // SAFETY: `tx` is a live, writable timex for the whole call.
        sys::cvt(unsafe { libc::clock_adjtime(self.0, tx) })
    }

    fn timex(modes: libc::c_uint) -> libc::timex {
        // SAFETY: timex is plain old data; zeroes are valid.
        let mut tx: libc::timex = unsafe { mem::zeroed() };
        tx.modes = modes;
        tx
    }

    fn read(self) -> io::Result<KernelClockState> {
        let mut tx = Self::timex(0);
        let state = self.call(&mut tx)?;
        Ok(KernelClockState {
            frequency_ppb: scaled_ppm_to_ppb(tx.freq),
            tolerance_ppb: scaled_ppm_to_ppb(tx.tolerance),
            status: tx.status,
            tai_offset: tx.tai,
            time_state: state,
        })
    }

    fn set_frequency(self, ppb: f64) -> io::Result<()> {
        let mut tx = Self::timex(libc::ADJ_FREQUENCY);
        tx.freq = ppb_to_scaled_ppm(ppb);
        self.call(&mut tx).map(drop)
    }

    fn step(self, by: Duration) -> io::Result<()> {
        let (sec, nsec) =
            step_to_timeval(by).ok_or_else(|| sys::invalid(format!("step {by} out of range")))?;
        let mut tx = Self::timex(libc::ADJ_SETOFFSET | libc::ADJ_NANO);
        tx.time.tv_sec = sec;
        tx.time.tv_usec = nsec;
        self.call(&mut tx).map(drop)
    }

    fn set_leap(self, leap: LeapStatus) -> io::Result<()> {
        let mut tx = Self::timex(0);
        self.call(&mut tx)?;
        let bits = match leap {
            LeapStatus::None => 0,
            LeapStatus::Insert => libc::STA_INS,
            LeapStatus::Delete => libc::STA_DEL,
        };
        let status = (tx.status & !(libc::STA_INS | libc::STA_DEL)) | bits;
        let mut tx = Self::timex(libc::ADJ_STATUS);
        tx.status = status;
        self.call(&mut tx).map(drop)
    }

    fn set_tai(self, seconds: i32) -> io::Result<()> {
        let mut tx = Self::timex(libc::ADJ_TAI);
        tx.constant = libc::c_long::from(seconds);
        self.call(&mut tx).map(drop)
    }
}

fn check_frequency(ppb: f64, max_ppb: f64) -> Result<(), ClockError> {
    if ppb.is_finite() && ppb.abs() <= max_ppb {
        Ok(())
    } else {
        Err(ClockError::FrequencyOutOfRange {
            requested_ppb: if ppb.is_finite() {
                ppb as i64
            } else {
                i64::MAX
            },
            max_ppb: max_ppb as i64,
        })
    }
}

/// The Linux limit on the system clock's frequency adjustment (500 ppm),
/// used when the kernel reports no tolerance.
const DEFAULT_MAX_PPB: f64 = 500_000.0;

/// The system clock, CLOCK_REALTIME.
///
/// Adjusting it needs CAP_SYS_TIME and changes the machine's time: only the
/// daemon should, never a test.
#[derive(Debug, Clone)]
pub struct SystemClock {
    frequency_ppb: f64,
    max_ppb: f64,
}

impl SystemClock {
    /// The system clock, with the frequency adjustment and tolerance the
    /// kernel reports now (reading changes nothing).
    pub fn new() -> io::Result<SystemClock> {
        let state = Self::kernel_state()?;
        let max_ppb = if state.tolerance_ppb > 0.0 {
            state.tolerance_ppb
        } else {
            DEFAULT_MAX_PPB
        };
        Ok(SystemClock {
            frequency_ppb: state.frequency_ppb,
            max_ppb,
        })
    }

    /// The kernel's state of CLOCK_REALTIME (a read-only `clock_adjtime`).
    pub fn kernel_state() -> io::Result<KernelClockState> {
        Adjtime(libc::CLOCK_REALTIME)
            .read()
            .map_err(|e| sys::context(e, "clock_adjtime(CLOCK_REALTIME)"))
    }

    /// The current time, or why it could not be read.
    pub fn try_now(&self) -> io::Result<Time> {
        realtime_now()
    }
}

impl Clock for SystemClock {
    /// The current time ([`Time::EPOCH`] if CLOCK_REALTIME cannot be read,
    /// which Linux never refuses).
    fn now(&self) -> Time {
        realtime_now().unwrap_or(Time::EPOCH)
    }

    fn set_frequency(&mut self, ppb: f64) -> Result<(), ClockError> {
        check_frequency(ppb, self.max_ppb)?;
        Adjtime(libc::CLOCK_REALTIME)
            .set_frequency(ppb)
            .map_err(|e| clock_error(&e))?;
        self.frequency_ppb = ppb;
        Ok(())
    }

    fn frequency(&self) -> f64 {
        self.frequency_ppb
    }

    fn step(&mut self, by: Duration) -> Result<(), ClockError> {
        Adjtime(libc::CLOCK_REALTIME)
            .step(by)
            .map_err(|e| clock_error(&e))
    }

    fn set_leap(&mut self, leap: LeapStatus) -> Result<(), ClockError> {
        Adjtime(libc::CLOCK_REALTIME)
            .set_leap(leap)
            .map_err(|e| clock_error(&e))
    }

    fn set_tai_offset(&mut self, seconds: i32) -> Result<(), ClockError> {
        Adjtime(libc::CLOCK_REALTIME)
            .set_tai(seconds)
            .map_err(|e| clock_error(&e))
    }

    fn info(&self) -> ClockInfo {
        ClockInfo {
            name: "system",
            max_frequency_ppb: self.max_ppb as i64,
        }
    }
}

/// CLOCK_REALTIME as the base of a [`VirtualClock`](tempora_clock::VirtualClock):
/// read only, never adjusted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RealtimeBase;

impl BaseClock for RealtimeBase {
    /// CLOCK_REALTIME now ([`Time::EPOCH`] if it cannot be read).
    fn now(&self) -> Time {
        realtime_now().unwrap_or(Time::EPOCH)
    }
}

/// A PHC reading against the system clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhcOffset {
    /// PHC − CLOCK_REALTIME.
    pub offset: Duration,
    /// How long the chosen reading took (system after − before): the
    /// offset's uncertainty is half of it.
    pub delay: Duration,
    /// The system time at the middle of the reading.
    pub system_time: Time,
    /// The PHC's time in that reading.
    pub phc_time: Time,
}

/// The best of several `(system before, PHC, system after)` readings: the
/// one with the shortest non-negative delay. `None` if there is none.
pub fn best_sample(samples: &[(Time, Time, Time)]) -> Option<PhcOffset> {
    samples
        .iter()
        .filter(|(before, _, after)| after >= before)
        .min_by_key(|(before, _, after)| *after - *before)
        .map(|&(before, phc, after)| {
            let delay = after - before;
            let system_time = before + delay / 2;
            PhcOffset {
                offset: phc - system_time,
                delay,
                system_time,
                phc_time: phc,
            }
        })
}

fn ptp_time(t: &libc::ptp_clock_time) -> Option<Time> {
    timespec_to_time(t.sec, i64::from(t.nsec))
}

/// `struct ptp_clock_caps` (linux/ptp_clock.h).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct PtpClockCaps {
    max_adj: libc::c_int,
    n_alarm: libc::c_int,
    n_ext_ts: libc::c_int,
    n_per_out: libc::c_int,
    pps: libc::c_int,
    n_pins: libc::c_int,
    cross_timestamping: libc::c_int,
    adjust_phase: libc::c_int,
    max_phase_adj: libc::c_int,
    rsv: [libc::c_int; 11],
}

/// `PTP_CLOCK_GETCAPS`: `_IOR('=', 1, struct ptp_clock_caps)`.
const PTP_CLOCK_GETCAPS: libc::c_ulong =
    (2 << 30) | ((mem::size_of::<PtpClockCaps>() as libc::c_ulong) << 16) | (0x3d << 8) | 1;

/// Where the PHC names handed out as `&'static str` live (each distinct
/// path is leaked once).
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

/// A PTP hardware clock, `/dev/ptpN`.
///
/// Leap seconds and the TAI offset do not apply to a PHC (it counts TAI
/// without them, and the kernel's PTP clock driver refuses those modes):
/// [`Clock::set_leap`] and [`Clock::set_tai_offset`] only record them.
#[derive(Debug)]
pub struct PhcClock {
    fd: OwnedFd,
    id: libc::clockid_t,
    name: &'static str,
    max_ppb: f64,
    frequency_ppb: f64,
    leap: LeapStatus,
    tai_offset: i32,
}

impl PhcClock {
    /// Opens the PHC at `path` (e.g. `/dev/ptp0`) read-write and checks
    /// that it reads as a clock.
    pub fn open(path: &str) -> io::Result<PhcClock> {
        let what = || format!("PTP hardware clock {path}");
        let c =
            CString::new(path).map_err(|_| sys::invalid(format!("{}: contains NUL", what())))?;
        // SAFETY: `c` is a valid NUL-terminated path for the call. Plain
        // open(2), which clknetsim intercepts (std's File uses open64).
        let fd = sys::cvt(unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) })
            .map_err(|e| sys::context(e, format!("cannot open {}", what())))?;
        // SAFETY: `fd` was just returned by open(2) and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let id = fd_to_clockid(fd.as_raw_fd());
        read_clock(id)
            .map_err(|e| sys::context(e, format!("{} does not read as a clock", what())))?;
        let adj = Adjtime(id);
        let frequency_ppb = adj.read().map(|s| s.frequency_ppb).unwrap_or(0.0);
        let mut caps = PtpClockCaps::default();
        // SAFETY: PTP_CLOCK_GETCAPS writes one ptp_clock_caps into `caps`,
        // which is live and of that size.
        let ret = unsafe {
            libc::ioctl(
                fd.as_raw_fd(),
                PTP_CLOCK_GETCAPS as _,
                &mut caps as *mut PtpClockCaps,
            )
        };
        let max_ppb = if ret == 0 && caps.max_adj > 0 {
            f64::from(caps.max_adj)
        } else {
            DEFAULT_MAX_PPB
        };
        Ok(PhcClock {
            fd,
            id,
            name: intern(path),
            max_ppb,
            frequency_ppb,
            leap: LeapStatus::None,
            tai_offset: 0,
        })
    }

    /// Opens `/dev/ptp{index}` (the index from
    /// [`TsInfo::phc_index`](crate::timestamping::TsInfo::phc_index)).
    pub fn open_index(index: u32) -> io::Result<PhcClock> {
        Self::open(&format!("/dev/ptp{index}"))
    }

    /// Its clock id for `clock_gettime`/`clock_adjtime`.
    pub fn clock_id(&self) -> libc::clockid_t {
        self.id
    }

    /// The path it was opened at.
    pub fn path(&self) -> &'static str {
        self.name
    }

    /// The current PHC time, or why it could not be read.
    pub fn try_now(&self) -> io::Result<Time> {
        read_clock(self.id)
    }

    /// The kernel's state of the clock (a read-only `clock_adjtime`).
    pub fn kernel_state(&self) -> io::Result<KernelClockState> {
        Adjtime(self.id).read()
    }

    /// The offset to the system clock from `samples` (1..=25) readings:
    /// `PTP_SYS_OFFSET_EXTENDED`, or `PTP_SYS_OFFSET` where the driver lacks
    /// it; the reading with the shortest delay wins.
    pub fn sys_offset(&self, samples: u32) -> io::Result<PhcOffset> {
        let n = samples.clamp(1, libc::PTP_MAX_SAMPLES);
        match self.sys_offset_extended(n) {
            Err(e) if unsupported(&e) => self.sys_offset_basic(n),
            r => r,
        }
        .map_err(|e| sys::context(e, self.name))
    }

    /// The offset to the system clock as precisely as the driver can:
    /// `PTP_SYS_OFFSET_PRECISE` (a cross-timestamp by the hardware, no
    /// delay), else [`sys_offset`](Self::sys_offset) with `samples`.
    pub fn sys_offset_best(&self, samples: u32) -> io::Result<PhcOffset> {
        match self.sys_offset_precise() {
            Err(e) if unsupported(&e) => self.sys_offset(samples),
            r => r.map_err(|e| sys::context(e, self.name)),
        }
    }

    fn sys_offset_precise(&self) -> io::Result<PhcOffset> {
        // SAFETY: plain old data; zeroes are valid.
        let mut req: libc::ptp_sys_offset_precise = unsafe { mem::zeroed() };
        // SAFETY: the ioctl writes one ptp_sys_offset_precise, which `req`
        // is.
        sys::cvt(unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::PTP_SYS_OFFSET_PRECISE as _,
                &mut req as *mut libc::ptp_sys_offset_precise,
            )
        })?;
        let (Some(phc), Some(system)) = (ptp_time(&req.device), ptp_time(&req.sys_realtime)) else {
            return Err(no_samples(self.name));
        };
        Ok(PhcOffset {
            offset: phc - system,
            delay: Duration::ZERO,
            system_time: system,
            phc_time: phc,
        })
    }

    fn sys_offset_extended(&self, n: u32) -> io::Result<PhcOffset> {
        // SAFETY: plain old data; zeroes are valid (clockid 0 is
        // CLOCK_REALTIME).
        let mut req: libc::ptp_sys_offset_extended = unsafe { mem::zeroed() };
        req.n_samples = n;
        // SAFETY: the ioctl reads and writes one ptp_sys_offset_extended,
        // which `req` is.
        sys::cvt(unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::PTP_SYS_OFFSET_EXTENDED as _,
                &mut req as *mut libc::ptp_sys_offset_extended,
            )
        })?;
        let got = (req.n_samples.min(n) as usize).min(req.ts.len());
        let samples: Vec<_> = req.ts[..got]
            .iter()
            .filter_map(|t| Some((ptp_time(&t[0])?, ptp_time(&t[1])?, ptp_time(&t[2])?)))
            .collect();
        best_sample(&samples).ok_or_else(|| no_samples(self.name))
    }

    fn sys_offset_basic(&self, n: u32) -> io::Result<PhcOffset> {
        // SAFETY: plain old data; zeroes are valid.
        let mut req: libc::ptp_sys_offset = unsafe { mem::zeroed() };
        req.n_samples = n;
        // SAFETY: the ioctl reads and writes one ptp_sys_offset, which `req`
        // is.
        sys::cvt(unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::PTP_SYS_OFFSET as _,
                &mut req as *mut libc::ptp_sys_offset,
            )
        })?;
        let got = (req.n_samples.min(n) as usize).min((req.ts.len() - 1) / 2);
        let samples: Vec<_> = (0..got)
            .filter_map(|i| {
                Some((
                    ptp_time(&req.ts[2 * i])?,
                    ptp_time(&req.ts[2 * i + 1])?,
                    ptp_time(&req.ts[2 * i + 2])?,
                ))
            })
            .collect();
        best_sample(&samples).ok_or_else(|| no_samples(self.name))
    }
}

/// Whether an ioctl failed because the driver lacks it (its errno; the
/// PHC's name is added to the error after this decision).
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP | libc::ENOTTY | libc::EINVAL)
    )
}

fn no_samples(name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{name}: no valid PHC/system clock reading"),
    )
}

impl AsFd for PhcClock {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Clock for PhcClock {
    /// The PHC time ([`Time::EPOCH`] if it cannot be read; see
    /// [`PhcClock::try_now`]).
    fn now(&self) -> Time {
        read_clock(self.id).unwrap_or(Time::EPOCH)
    }

    fn set_frequency(&mut self, ppb: f64) -> Result<(), ClockError> {
        check_frequency(ppb, self.max_ppb)?;
        Adjtime(self.id)
            .set_frequency(ppb)
            .map_err(|e| clock_error(&e))?;
        self.frequency_ppb = ppb;
        Ok(())
    }

    fn frequency(&self) -> f64 {
        self.frequency_ppb
    }

    fn step(&mut self, by: Duration) -> Result<(), ClockError> {
        Adjtime(self.id).step(by).map_err(|e| clock_error(&e))
    }

    fn set_leap(&mut self, leap: LeapStatus) -> Result<(), ClockError> {
        self.leap = leap;
        Ok(())
    }

    fn set_tai_offset(&mut self, seconds: i32) -> Result<(), ClockError> {
        self.tai_offset = seconds;
        Ok(())
    }

    fn info(&self) -> ClockInfo {
        ClockInfo {
            name: self.name,
            max_frequency_ppb: self.max_ppb as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ids_of_phc_descriptors() {
        // FD_TO_CLOCKID: (~fd << 3) | 3, negative for every valid fd.
        assert_eq!(fd_to_clockid(3), -29);
        assert_eq!(fd_to_clockid(0), -5);
        assert_eq!(fd_to_clockid(10), (!10 << 3) | 3);
        for fd in [0, 1, 7, 1000, 1 << 20] {
            let id = fd_to_clockid(fd);
            assert!(id < 0);
            assert_eq!(id & 7, 3);
            assert_eq!(!(id >> 3), fd, "CLOCKID_TO_FD inverts it");
        }
    }

    #[test]
    fn frequency_units() {
        assert_eq!(ppb_to_scaled_ppm(1000.0), 65536);
        assert_eq!(ppb_to_scaled_ppm(-500_000.0), -32_768_000);
        assert_eq!(ppb_to_scaled_ppm(1.0), 66); // 65.536 rounds up
        assert_eq!(scaled_ppm_to_ppb(32_768_000), 500_000.0);
        assert!(check_frequency(500_000.0, 500_000.0).is_ok());
        assert_eq!(
            check_frequency(-600_000.0, 500_000.0),
            Err(ClockError::FrequencyOutOfRange {
                requested_ppb: -600_000,
                max_ppb: 500_000
            })
        );
        assert!(check_frequency(f64::NAN, 1.0).is_err());
        assert!(check_frequency(f64::INFINITY, 1.0).is_err());
    }

    #[test]
    fn steps_normalize_nanoseconds() {
        assert_eq!(
            step_to_timeval(Duration::from_millis(1500)),
            Some((1, 500_000_000))
        );
        assert_eq!(
            step_to_timeval(Duration::from_nanos(-1)),
            Some((-1, 999_999_999))
        );
        assert_eq!(step_to_timeval(Duration::from_secs(-2)), Some((-2, 0)));
        assert_eq!(step_to_timeval(Duration::ZERO), Some((0, 0)));
        assert_eq!(step_to_timeval(Duration::MAX), None);
    }

    #[test]
    fn best_sample_takes_the_shortest_reading() {
        let t = |ns: i128| Time::from_nanos(ns);
        let s = [
            (t(1000), t(6000), t(1400)),
            (t(2000), t(7050), t(2100)),
            (t(3000), t(1), t(2900)), // after < before: ignored
        ];
        let best = best_sample(&s).unwrap();
        assert_eq!(best.delay, Duration::from_nanos(100));
        assert_eq!(best.system_time, t(2050));
        assert_eq!(best.offset, Duration::from_nanos(5000));
        assert_eq!(best.phc_time, t(7050));
        assert!(best_sample(&[]).is_none());
        assert!(best_sample(&s[2..]).is_none());
    }

    #[test]
    fn reads_the_system_clock_without_adjusting_it() {
        let c = SystemClock::new().unwrap();
        let state = SystemClock::kernel_state().unwrap();
        assert!(state.tolerance_ppb >= 0.0);
        assert_eq!(c.info().name, "system");
        assert!(c.info().max_frequency_ppb > 0);
        let a = c.now();
        let b = RealtimeBase.now();
        assert!(b >= a);
        assert!(a > Time::from_secs_nanos(1_500_000_000, 0));
        assert_eq!(c.frequency(), state.frequency_ppb);
        // An out-of-range request is refused before the kernel is asked.
        let mut c = c;
        assert!(matches!(
            c.set_frequency(1e12),
            Err(ClockError::FrequencyOutOfRange { .. })
        ));
        assert!(c.set_frequency(f64::NAN).is_err());
    }

    #[test]
    fn a_virtual_clock_over_realtime() {
        let v = tempora_clock::VirtualClock::new(RealtimeBase, Duration::from_secs(5), 0.0);
        let e = v.error();
        assert!(
            (e - Duration::from_secs(5)).abs() < Duration::from_millis(1),
            "{e}"
        );
    }

    #[test]
    fn missing_phc_is_a_clear_error() {
        let e = PhcClock::open("/dev/ptp99").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let msg = e.to_string();
        assert!(
            msg.contains("/dev/ptp99") && msg.contains("PTP hardware clock"),
            "{msg}"
        );
        assert!(PhcClock::open_index(99).is_err());
        let e = PhcClock::open("/dev/null").unwrap_err();
        assert!(e.to_string().contains("does not read as a clock"), "{e}");
        assert_eq!(
            PhcClock::open("a\0b").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn phc_caps_ioctl_number() {
        // _IOR('=', 1, struct ptp_clock_caps): the value linux/ptp_clock.h
        // gives (80-byte struct).
        assert_eq!(mem::size_of::<PtpClockCaps>(), 80);
        assert_eq!(PTP_CLOCK_GETCAPS, 0x8050_3d01);
    }

    #[test]
    fn interned_names_are_shared() {
        let a = intern("/dev/ptp7");
        let b = intern(&String::from("/dev/ptp7"));
        assert!(std::ptr::eq(a, b));
    }
}
