//! Giving up privileges once everything is open: another user (keeping
//! only the capabilities asked for), no new privileges, and a system-call
//! allow-list (seccomp, built with Firecracker's `seccompiler`).

use std::collections::{BTreeMap, HashSet};
use std::io;

use caps::{CapSet, Capability};
use seccompiler::{SeccompAction, SeccompFilter, TargetArch};

use crate::account::User;
use crate::sys;

/// A capability the daemon may keep after start-up (capabilities(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keep {
    /// CAP_SYS_TIME: adjusting the system clock.
    SysTime,
    /// CAP_NET_BIND_SERVICE: binding ports below 1024.
    NetBindService,
    /// CAP_NET_RAW: opening raw (AF_PACKET) sockets.
    NetRaw,
}

impl Keep {
    fn capability(self) -> Capability {
        match self {
            Keep::SysTime => Capability::CAP_SYS_TIME,
            Keep::NetBindService => Capability::CAP_NET_BIND_SERVICE,
            Keep::NetRaw => Capability::CAP_NET_RAW,
        }
    }
}

fn caps_error(e: caps::errors::CapsError) -> io::Error {
    io::Error::other(format!("capabilities: {e}"))
}

/// Becomes `user` (its primary group, no supplementary groups) keeping
/// only `keep` of the capabilities, in every set: permitted, effective and
/// bounding; none inheritable or ambient. Must run as root. The user and
/// group change reaches every thread (the C library's setxid broadcast);
/// the capabilities are those of the calling thread, and of the threads it
/// starts later; threads started before lose all theirs with the change of
/// user.
pub fn become_user(user: User, keep: &[Keep]) -> io::Result<()> {
    let keep: HashSet<Capability> = keep.iter().map(|k| k.capability()).collect();
    // The bounding set first, while CAP_SETPCAP is still effective.
    for cap in caps::all() {
        if !keep.contains(&cap) {
            // A capability the running kernel does not know cannot be
            // dropped (EINVAL) and cannot be held either.
            let _ = caps::drop(None, CapSet::Bounding, cap);
        }
    }
    // SAFETY: prctl(PR_SET_KEEPCAPS) takes integers only.
    sys::cvt(unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) })?;
    // SAFETY: setgroups(0, NULL) clears the supplementary groups; no
    // pointer is read for an empty list.
    sys::cvt(unsafe { libc::setgroups(0, std::ptr::null()) })?;
    // SAFETY: setresgid/setresuid take integers only.
    sys::cvt(unsafe { libc::setresgid(user.gid, user.gid, user.gid) })?;
    // SAFETY: as above.
    sys::cvt(unsafe { libc::setresuid(user.uid, user.uid, user.uid) })?;
    // SAFETY: as for PR_SET_KEEPCAPS above.
    sys::cvt(unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) })?;
    limit_capabilities(&keep)
}

/// Keeps only `keep` in the calling thread's permitted and effective sets,
/// none inheritable or ambient.
fn limit_capabilities(keep: &HashSet<Capability>) -> io::Result<()> {
    caps::clear(None, CapSet::Ambient).map_err(caps_error)?;
    caps::clear(None, CapSet::Inheritable).map_err(caps_error)?;
    caps::set(None, CapSet::Permitted, keep).map_err(caps_error)?;
    caps::set(None, CapSet::Effective, keep).map_err(caps_error)?;
    Ok(())
}

/// Sets no-new-privileges (PR_SET_NO_NEW_PRIVS): nothing this process
/// executes gains privileges (set-user-ID bits, file capabilities).
pub fn no_new_privileges() -> io::Result<()> {
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS) takes integers only.
    sys::cvt(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })?;
    Ok(())
}

/// The system calls the daemon makes, in every configuration: memory and
/// threads, the timing loop's poll, sockets (UDP, TCP for NTS-KE, Unix,
/// AF_PACKET, netlink for interface lookups), files (frequency and key
/// files, certificates, the resolver's files), clocks and timers, signals.
const ALLOWED: &[libc::c_long] = &[
    // Memory, threads, the process.
    libc::SYS_brk,
    libc::SYS_mmap,
    libc::SYS_munmap,
    libc::SYS_mremap,
    libc::SYS_mprotect,
    libc::SYS_madvise,
    libc::SYS_membarrier,
    libc::SYS_futex,
    libc::SYS_set_robust_list,
    libc::SYS_get_robust_list,
    libc::SYS_rseq,
    libc::SYS_clone,
    libc::SYS_clone3,
    libc::SYS_set_tid_address,
    libc::SYS_exit,
    libc::SYS_exit_group,
    libc::SYS_sched_yield,
    libc::SYS_sched_getaffinity,
    libc::SYS_getpid,
    libc::SYS_gettid,
    libc::SYS_getppid,
    libc::SYS_getuid,
    libc::SYS_geteuid,
    libc::SYS_getgid,
    libc::SYS_getegid,
    libc::SYS_getresuid,
    libc::SYS_getresgid,
    libc::SYS_getrandom,
    libc::SYS_prlimit64,
    libc::SYS_getrlimit,
    libc::SYS_getrusage,
    libc::SYS_uname,
    libc::SYS_sysinfo,
    libc::SYS_prctl,
    libc::SYS_capget,
    libc::SYS_restart_syscall,
    // Signals.
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigprocmask,
    libc::SYS_rt_sigreturn,
    libc::SYS_sigaltstack,
    libc::SYS_tgkill,
    libc::SYS_kill,
    // Waiting, clocks and timers.
    libc::SYS_ppoll,
    libc::SYS_pselect6,
    libc::SYS_epoll_create1,
    libc::SYS_epoll_ctl,
    libc::SYS_epoll_pwait,
    libc::SYS_eventfd2,
    libc::SYS_pipe2,
    libc::SYS_nanosleep,
    libc::SYS_clock_nanosleep,
    libc::SYS_clock_gettime,
    libc::SYS_clock_getres,
    libc::SYS_gettimeofday,
    libc::SYS_clock_adjtime,
    libc::SYS_adjtimex,
    libc::SYS_clock_settime,
    libc::SYS_settimeofday,
    // Descriptors and files.
    libc::SYS_read,
    libc::SYS_write,
    libc::SYS_readv,
    libc::SYS_writev,
    libc::SYS_pread64,
    libc::SYS_pwrite64,
    libc::SYS_close,
    libc::SYS_dup,
    libc::SYS_dup3,
    libc::SYS_fcntl,
    libc::SYS_ioctl,
    libc::SYS_lseek,
    libc::SYS_fstat,
    libc::SYS_newfstatat,
    libc::SYS_statx,
    libc::SYS_statfs,
    libc::SYS_fstatfs,
    libc::SYS_openat,
    libc::SYS_faccessat,
    libc::SYS_faccessat2,
    libc::SYS_readlinkat,
    libc::SYS_getdents64,
    libc::SYS_getcwd,
    libc::SYS_mkdirat,
    libc::SYS_unlinkat,
    libc::SYS_renameat,
    libc::SYS_renameat2,
    libc::SYS_fsync,
    libc::SYS_fdatasync,
    libc::SYS_ftruncate,
    libc::SYS_fchmod,
    libc::SYS_fchmodat,
    // The NTP SHM reference clock (`crate::shm`).
    libc::SYS_shmget,
    libc::SYS_shmat,
    libc::SYS_shmdt,
    // Sockets.
    libc::SYS_socket,
    libc::SYS_socketpair,
    libc::SYS_bind,
    libc::SYS_listen,
    libc::SYS_connect,
    libc::SYS_accept,
    libc::SYS_accept4,
    libc::SYS_shutdown,
    libc::SYS_getsockname,
    libc::SYS_getpeername,
    libc::SYS_setsockopt,
    libc::SYS_getsockopt,
    libc::SYS_sendto,
    libc::SYS_recvfrom,
    libc::SYS_sendmsg,
    libc::SYS_recvmsg,
    libc::SYS_sendmmsg,
    libc::SYS_recvmmsg,
];

/// The x86-64 system calls that newer architectures have only in their
/// `*at` or `p*` forms.
#[cfg(target_arch = "x86_64")]
const ALLOWED_LEGACY: &[libc::c_long] = &[
    libc::SYS_poll,
    libc::SYS_select,
    libc::SYS_epoll_wait,
    libc::SYS_stat,
    libc::SYS_lstat,
    libc::SYS_open,
    libc::SYS_access,
    libc::SYS_readlink,
    libc::SYS_mkdir,
    libc::SYS_unlink,
    libc::SYS_rename,
    libc::SYS_chmod,
];
#[cfg(not(target_arch = "x86_64"))]
const ALLOWED_LEGACY: &[libc::c_long] = &[];

/// What a system call outside the list does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// The process is killed (SIGSYS), as chronyd's filter does.
    Kill,
    /// The call is made and logged by the kernel (for finding what a new
    /// configuration needs).
    Log,
}

/// Installs the allow-list on every thread of the process (seccomp's TSYNC),
/// with no-new-privileges (which seccomp requires without CAP_SYS_ADMIN).
pub fn install_seccomp(violation: Violation) -> io::Result<()> {
    let rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> = ALLOWED
        .iter()
        .chain(ALLOWED_LEGACY)
        .map(|&nr| (nr, Vec::new()))
        .collect();
    let arch = TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| io::Error::other(format!("seccomp: {e}")))?;
    let mismatch = match violation {
        Violation::Kill => SeccompAction::KillProcess,
        Violation::Log => SeccompAction::Log,
    };
    let filter = SeccompFilter::new(rules, mismatch, SeccompAction::Allow, arch)
        .map_err(|e| io::Error::other(format!("seccomp: {e}")))?;
    let program: seccompiler::BpfProgram = filter
        .try_into()
        .map_err(|e| io::Error::other(format!("seccomp: {e:?}")))?;
    seccompiler::apply_filter_all_threads(&program)
        .map_err(|e| io::Error::other(format!("seccomp: {e}")))
}
