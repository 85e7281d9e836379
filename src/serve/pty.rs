//! A pseudo-terminal for `atchat sim --pty`: the sim holds the master, clients open the
//! slave path like a serial port.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// An open pty pair. The slave stays open here too, so a client closing it does not make
/// the master fail (EIO) and the next client finds the modem as it was.
#[derive(Debug)]
pub struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
    path: String,
}

impl Pty {
    /// Opens a pty pair in raw mode with a non-blocking master.
    pub fn open() -> io::Result<Pty> {
        let (mut master, mut slave): (libc::c_int, libc::c_int) = (-1, -1);
        // SAFETY: openpty writes two descriptors; the name/termios/winsize pointers may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: openpty succeeded, so both descriptors are open and owned by nobody else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut name = [0 as libc::c_char; 128];
        // SAFETY: the buffer is writable for its whole length.
        let rc = unsafe { libc::ttyname_r(slave.as_raw_fd(), name.as_mut_ptr(), name.len()) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        // SAFETY: ttyname_r succeeded and wrote a NUL-terminated string into `name`.
        let path = unsafe { CStr::from_ptr(name.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        // Raw mode, so bytes pass unchanged even before a client sets its own termios.
        // SAFETY: termios is plain data, filled by tcgetattr before use.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(slave.as_raw_fd(), &mut t) == 0 {
                libc::cfmakeraw(&mut t);
                libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t);
            }
            let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
            if flags < 0
                || libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Pty {
            master,
            slave,
            path,
        })
    }

    /// The slave's path (`/dev/pts/N`), what clients open.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The master descriptor the sim reads and writes.
    pub fn master(&self) -> RawFd {
        self.master.as_raw_fd()
    }

    /// The output speed the client last set on the slave, if it is a standard one: the
    /// pty cannot carry modem lines, but the baud rate a client picks is visible.
    pub fn baud(&self) -> Option<u32> {
        // SAFETY: termios is plain data, filled by tcgetattr before use.
        let speed = unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(self.slave.as_raw_fd(), &mut t) != 0 {
                return None;
            }
            libc::cfgetospeed(&t)
        };
        const SPEEDS: &[(libc::speed_t, u32)] = &[
            (libc::B300, 300),
            (libc::B1200, 1200),
            (libc::B2400, 2400),
            (libc::B4800, 4800),
            (libc::B9600, 9600),
            (libc::B19200, 19200),
            (libc::B38400, 38400),
            (libc::B57600, 57600),
            (libc::B115200, 115_200),
            (libc::B230400, 230_400),
            (libc::B460800, 460_800),
            (libc::B921600, 921_600),
        ];
        SPEEDS
            .iter()
            .find(|(s, _)| *s == speed)
            .map(|(_, baud)| *baud)
    }
}
