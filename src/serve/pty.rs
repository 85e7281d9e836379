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
        let rc =
            unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: openpty succeeded, so both descriptors are open and owned by nobody else.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut name = [0 as libc::c_char; 128];
        // SAFETY: the buffer is writable for its whole length.
        let rc = unsafe { libc::ttyname_r(slave.as_raw_fd(), name.as_mut_ptr(), name.len()) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        // SAFETY: ttyname_r succeeded and wrote a NUL-terminated string into `name`.
        let path = unsafe { CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
        // Raw mode, so bytes pass unchanged even before a client sets its own termios.
        // SAFETY: termios is plain data, filled by tcgetattr before use.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(slave.as_raw_fd(), &mut t) == 0 {
                libc::cfmakeraw(&mut t);
                libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t);
            }
            let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
            if flags < 0 || libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Pty { master, slave, path })
    }

    /// The slave's path (`/dev/pts/N`), what clients open.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The master descriptor the sim reads and writes.
    pub fn master(&self) -> RawFd {
        self.master.as_raw_fd()
    }

    /// The output speed the client last set on the slave: the pty cannot carry modem lines,
    /// but the baud rate a client picks is visible. Read with `TCGETS2`, whose `c_ospeed`
    /// holds the rate however it was set: with a `Bxxx` constant (the kernel fills
    /// `c_ospeed` from it) or with `BOTHER` and any rate, as the `serialport` crate, hence
    /// `atchat run --baud`, sets every speed on Linux. The old `c_cflag` field then says only
    /// `BOTHER`, which is why it is the fallback, where `TCGETS2` does not exist.
    pub fn baud(&self) -> Option<u32> {
        #[cfg(target_os = "linux")]
        if let Some(speed) = ospeed(self.slave.as_raw_fd()) {
            return Some(speed);
        }
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
        SPEEDS.iter().find(|(s, _)| *s == speed).map(|(_, baud)| *baud)
    }
}

/// The output speed of the tty `fd` from `TCGETS2` (`c_ospeed`); `None` if the call fails
/// or the speed is 0 (`B0`, "hang up", which a pty cannot do: the last rate stays).
#[cfg(target_os = "linux")]
fn ospeed(fd: RawFd) -> Option<u32> {
    // SAFETY: termios2 is plain data; TCGETS2 fills it on success and it is only read then.
    let t = unsafe {
        let mut t: libc::termios2 = std::mem::zeroed();
        if libc::ioctl(fd, libc::TCGETS2, &mut t) != 0 {
            return None;
        }
        t
    };
    (t.c_ospeed != 0).then_some(t.c_ospeed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets `baud` on `fd` the way the `serialport` crate does on Linux: `BOTHER` in
    /// `c_cflag` and the rate in `c_ispeed`/`c_ospeed`, through `TCSETS2`.
    #[cfg(target_os = "linux")]
    fn set_bother(fd: RawFd, baud: u32) {
        // SAFETY: termios2 read by TCGETS2 from this descriptor, edited, written back.
        unsafe {
            let mut t: libc::termios2 = std::mem::zeroed();
            assert_eq!(libc::ioctl(fd, libc::TCGETS2, &mut t), 0);
            t.c_cflag &= !libc::CBAUD;
            t.c_cflag |= libc::BOTHER;
            t.c_ispeed = baud;
            t.c_ospeed = baud;
            assert_eq!(libc::ioctl(fd, libc::TCSETS2, &t), 0);
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_speed_set_with_bother_is_seen() {
        let pty = Pty::open().unwrap();
        // What a client opening the slave does; another descriptor on the same tty.
        let client = std::fs::OpenOptions::new().read(true).write(true).open(pty.path()).unwrap();
        set_bother(client.as_raw_fd(), 9600);
        assert_eq!(pty.baud(), Some(9600));
        // A rate no Bxxx constant names reaches the sim as it is.
        set_bother(client.as_raw_fd(), 250_000);
        assert_eq!(pty.baud(), Some(250_000));
    }

    #[test]
    fn a_speed_set_with_a_b_constant_is_seen() {
        let pty = Pty::open().unwrap();
        let client = std::fs::OpenOptions::new().read(true).write(true).open(pty.path()).unwrap();
        // SAFETY: termios read from this descriptor, edited, written back.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(client.as_raw_fd(), &mut t), 0);
            libc::cfsetspeed(&mut t, libc::B57600);
            assert_eq!(libc::tcsetattr(client.as_raw_fd(), libc::TCSANOW, &t), 0);
        }
        assert_eq!(pty.baud(), Some(57600));
    }
}
