//! Pseudo-terminals for tests: the test plays the modem on the master side.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A pseudo-terminal: the test plays the modem on `master`; `path` is the slave device.
pub struct Pty {
    pub master: std::fs::File,
    pub path: PathBuf,
}

/// A fresh pty pair `(master, slave)`, both close-on-exec.
#[track_caller]
pub fn open_pair() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors; no name buffer, termios or winsize given.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // openpty does not set close-on-exec: without it a spawned atchat would inherit the
    // master and the pty could never hang up.
    // SAFETY: fcntl on descriptors we own.
    unsafe {
        libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(slave, libc::F_SETFD, libc::FD_CLOEXEC);
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

impl Pty {
    #[track_caller]
    pub fn new() -> Pty {
        let (master, slave) = open_pair();
        let master = std::fs::File::from(master);
        let path = std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd())).expect("slave pty path");
        // Only our port holds the slave open, so closing the master is the only way it dies.
        drop(slave);
        Pty { master, path }
    }

    /// A fresh descriptor on the slave, for ports built from descriptors.
    #[track_caller]
    pub fn open_slave(&self) -> OwnedFd {
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&self.path).expect("open slave pty");
        // The test reads bytes exactly as sent; no line discipline in the way.
        // SAFETY: cfmakeraw/tcsetattr on a termios read from this descriptor.
        unsafe {
            let mut tio = std::mem::zeroed::<libc::termios>();
            assert_eq!(libc::tcgetattr(file.as_raw_fd(), &mut tio), 0);
            libc::cfmakeraw(&mut tio);
            assert_eq!(libc::tcsetattr(file.as_raw_fd(), libc::TCSANOW, &tio), 0);
        }
        file.into()
    }

    /// Reads from the modem side until `want` has arrived or two seconds passed.
    #[track_caller]
    pub fn expect(&mut self, want: &[u8]) {
        let got = read_until(
            &mut |buf: &mut [u8]| {
                if poll_in(self.master.as_raw_fd(), Duration::from_millis(50)) {
                    self.master.read(buf).unwrap_or(0)
                } else {
                    0
                }
            },
            want,
        );
        assert_eq!(got, want, "the modem side got {:?}", String::from_utf8_lossy(&got));
    }
}

/// The test plays the modem on `pty`: answers `AT\r` with OK.
#[track_caller]
pub fn answer_at(pty: &mut Pty) {
    pty.expect(b"AT\r");
    pty.master.write_all(b"\r\nOK\r\n").unwrap();
}

pub fn poll_in(fd: i32, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as i32) == 1 }
}

/// Collects bytes from `read` until they end with `want`, for at most two seconds.
pub fn read_until(read: &mut dyn FnMut(&mut [u8]) -> usize, want: &[u8]) -> Vec<u8> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !got.ends_with(want) && start.elapsed() < Duration::from_secs(2) {
        let n = read(&mut buf);
        got.extend_from_slice(&buf[..n]);
    }
    got
}
