//! A serial port for NMEA 0183 (IEC 61162-1 §5: 4800 baud by default,
//! 8 data bits, no parity, one stop bit): opened non-blocking, raw, at the
//! given speed, and never the controlling terminal.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The termios speed constant of `baud`, if it is one.
fn speed(baud: u32) -> Option<libc::speed_t> {
    Some(match baud {
        4800 => libc::B4800,
        9600 => libc::B9600,
        19_200 => libc::B19200,
        38_400 => libc::B38400,
        57_600 => libc::B57600,
        115_200 => libc::B115200,
        230_400 => libc::B230400,
        460_800 => libc::B460800,
        921_600 => libc::B921600,
        _ => return None,
    })
}

/// Opens `path` non-blocking, raw 8N1 at `baud`, ignoring modem lines.
/// A device that is no terminal (a FIFO, a file) is opened as it is.
pub fn open_serial(path: &Path, baud: u32) -> io::Result<File> {
    let speed = speed(baud).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no serial speed {baud}"),
        )
    })?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(path)?;
    let fd = file.as_raw_fd();
    // SAFETY: termios is plain old data; zeroes are valid.
    let mut tio: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr writes one termios into `tio`, live for the call.
    if unsafe { libc::tcgetattr(fd, &mut tio) } != 0 {
        // Not a terminal: read it as a byte stream.
        return Ok(file);
    }
    // SAFETY: cfmakeraw and cfsetspeed only modify `tio`.
    unsafe {
        libc::cfmakeraw(&mut tio);
        libc::cfsetspeed(&mut tio, speed);
    }
    tio.c_cflag |= libc::CLOCAL | libc::CREAD;
    // SAFETY: tcsetattr reads one termios from `tio`.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &tio) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_standard_speeds_are_accepted() {
        assert!(speed(9600).is_some());
        assert!(speed(1234).is_none());
        let e = open_serial(Path::new("/dev/null"), 1234).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        // /dev/null is no terminal: opened as it is.
        open_serial(Path::new("/dev/null"), 4800).unwrap();
    }
}
