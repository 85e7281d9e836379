//! `--port -`: the modem on stdin and stdout, the way pppd runs a connect program.
//!
//! pppd opens, locks and configures the tty itself and hands it over as fd 0 and fd 1, so
//! this port changes nothing about it (no termios changes except an explicit `baud`, no
//! O_NONBLOCK, which would leak into pppd's shared file description). Modem control works
//! on fd 0 when it is a tty.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::fd;
use super::{Port, PortError};

/// The name stdio ports get in messages.
pub const STDIO_NAME: &str = "stdin/stdout";

/// A modem reached through one descriptor for reading and one for writing.
pub struct StdioPort {
    name: String,
    read: OwnedFd,
    write: OwnedFd,
    /// How long a write may wait for the other end.
    wait: fd::WriteWait,
    /// Whether `write` is the process's own stdout (`--port -`), which `print` must leave
    /// to the modem.
    stdout: bool,
}

impl StdioPort {
    /// The process's own stdin and stdout. They are duplicated, so dropping the port leaves
    /// fds 0 and 1 open for whoever else needs them.
    pub fn stdio() -> Result<StdioPort, PortError> {
        let dup = |fd: RawFd| {
            // SAFETY: dup of a descriptor we only read the number of; the new one is ours.
            let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
            if new < 0 {
                return Err(PortError::Open { port: STDIO_NAME.to_string(), source: std::io::Error::last_os_error() });
            }
            // SAFETY: `new` is a fresh descriptor owned by nobody else.
            Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(new) })
        };
        let mut port = StdioPort::from_fds(dup(0)?, dup(1)?, STDIO_NAME);
        port.stdout = true;
        Ok(port)
    }

    /// A port reading from `read` and writing to `write` (often the same tty, duplicated).
    /// Modem control goes to `read`, which pppd makes the serial tty.
    pub fn from_fds(read: OwnedFd, write: OwnedFd, name: &str) -> StdioPort {
        StdioPort {
            name: name.to_string(),
            read,
            write,
            wait: fd::WriteWait::Stall(fd::WRITE_STALL_LIMIT),
            stdout: false,
        }
    }

    fn tty_fd(&self, op: &'static str) -> Result<RawFd, PortError> {
        let fd = self.read.as_raw_fd();
        if fd::is_tty(fd) {
            Ok(fd)
        } else {
            Err(PortError::Unsupported {
                port: self.name.clone(),
                op,
                reason: "stdin is not a terminal (a pipe or socket has no modem control lines; \
                         pppd passes the serial tty as stdin)"
                    .into(),
            })
        }
    }

    fn control(&self, op: &'static str, f: impl FnOnce(RawFd) -> std::io::Result<()>) -> Result<(), PortError> {
        let fd = self.tty_fd(op)?;
        f(fd).map_err(|e| fd::control_error(&self.name, op, e))
    }
}

impl Port for StdioPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn owns_stdout(&self) -> bool {
        self.stdout
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        fd::write_all_waiting(self.write.as_raw_fd(), bytes, &self.name, self.wait)
    }

    fn set_write_deadline(&mut self, deadline: Option<Duration>) -> Result<(), PortError> {
        self.wait = match deadline {
            Some(at) => fd::WriteWait::Until(at),
            None => fd::WriteWait::Forever,
        };
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        fd::read_timeout(self.read.as_raw_fd(), buf, timeout, &self.name)
    }

    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        let op = if on { "raise DTR" } else { "drop DTR" };
        self.control(op, |fd| fd::set_modem_bit(fd, libc::TIOCM_DTR, on))
    }

    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        let op = if on { "raise RTS" } else { "drop RTS" };
        self.control(op, |fd| fd::set_modem_bit(fd, libc::TIOCM_RTS, on))
    }

    fn send_break(&mut self, duration: Duration) -> Result<(), PortError> {
        self.control("send a break", |fd| fd::send_break(fd, duration))
    }

    fn carrier(&mut self) -> Result<bool, PortError> {
        let op = "read carrier (DCD)";
        let fd = self.tty_fd(op)?;
        fd::modem_bits(fd).map(|bits| bits & libc::TIOCM_CAR != 0).map_err(|e| fd::control_error(&self.name, op, e))
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        let op = "set the line speed";
        let fd = self.tty_fd(op)?;
        fd::set_baud(fd, baud).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidInput => {
                PortError::Unsupported { port: self.name.clone(), op, reason: e.to_string() }
            }
            _ => fd::control_error(&self.name, op, e),
        })
    }

    fn discard_input(&mut self) -> Result<(), PortError> {
        let fd = self.read.as_raw_fd();
        if fd::is_tty(fd) {
            return self.control("discard input", fd::flush_input);
        }
        // A pipe or socket has no input queue to flush; drain what is already there.
        fd::drain(fd, &self.name)
    }
}
