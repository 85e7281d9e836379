//! A serial device (`/dev/ttyUSB0`, `/dev/ttyS0`, a pty) opened through the `serialport`
//! crate, locked and opened exclusively.
//!
//! The crate configures the line (speed, framing, flow control, raw mode) and takes the
//! exclusive open (TIOCEXCL plus `flock`). Reading, writing and modem control go through
//! [`super::fd`] on the same descriptor, because the crate's errors drop the errno: atchat must
//! tell "a pty has no DTR" (ENOTTY) from an I/O failure, and "the device vanished" (EIO,
//! POLLHUP) from a timeout.
//!
//! The line settings (termios) found on the device are put back when the port is dropped, at
//! the end of a run and after a signal, as chat and minicom do: atchat leaves a device the way
//! it found it, not in raw mode.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serialport::SerialPort as _;

use super::fd;
use super::lock::LockFile;
use super::spec::{DataBits, FlowControl, Parity, SerialOptions, StopBits};
use super::{Port, PortError};

/// An open serial device.
pub struct SerialPort {
    name: String,
    // Declared before the lock so the device is closed before its lock file is removed.
    tty: serialport::TTYPort,
    /// The settings the device had before the crate changed them; restored on drop.
    found: Option<libc::termios>,
    _lock: Option<LockFile>,
}

/// How long closing waits for written bytes to leave before restoring the settings (which
/// may change the speed); a line held by flow control must not keep atchat from exiting.
const DRAIN_ON_CLOSE: Duration = Duration::from_millis(500);

impl SerialPort {
    /// Opens `path` with the line settings in `opts`, taking a UUCP lock in `lock_dir` first
    /// (no lock if that directory does not exist). The port is named `path` as given.
    pub fn open(path: &Path, opts: &SerialOptions, lock_dir: &Path) -> Result<SerialPort, PortError> {
        let name = path.display().to_string();
        if opts.baud == 0 {
            return Err(PortError::BadSpec {
                spec: name,
                reason: "the line speed must be positive (try --baud 115200)".into(),
            });
        }
        let lock = LockFile::acquire(lock_dir, path, &name)?;
        // The crate changes the settings as it opens the device, so they are read first, on a
        // descriptor of our own kept open until the crate's is: closing it then is not the
        // last close, which (with HUPCL) would drop DTR and hang up the modem.
        let probe = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
            .open(path)
            .ok()
            .map(OwnedFd::from);
        let found = probe.as_ref().and_then(|fd| termios(fd.as_raw_fd()));
        let tty = serialport::new(name.as_str(), opts.baud)
            .data_bits(match opts.data_bits {
                DataBits::Five => serialport::DataBits::Five,
                DataBits::Six => serialport::DataBits::Six,
                DataBits::Seven => serialport::DataBits::Seven,
                DataBits::Eight => serialport::DataBits::Eight,
            })
            .parity(match opts.parity {
                Parity::None => serialport::Parity::None,
                Parity::Odd => serialport::Parity::Odd,
                Parity::Even => serialport::Parity::Even,
            })
            .stop_bits(match opts.stop_bits {
                StopBits::One => serialport::StopBits::One,
                StopBits::Two => serialport::StopBits::Two,
            })
            .flow_control(match opts.flow {
                FlowControl::None => serialport::FlowControl::None,
                FlowControl::RtsCts => serialport::FlowControl::Hardware,
                FlowControl::XonXoff => serialport::FlowControl::Software,
            })
            .open_native()
            .map_err(|e| open_error(&name, e))?;
        drop(probe);
        // The crate leaves the descriptor blocking; a blocking write under flow control could
        // outlast any timeout, so writes wait in poll instead.
        fd::set_nonblocking(tty.as_raw_fd()).map_err(|source| PortError::Open { port: name.clone(), source })?;
        Ok(SerialPort { name, tty, found, _lock: lock })
    }

    fn raw(&self) -> RawFd {
        self.tty.as_raw_fd()
    }

    fn control(&self, op: &'static str, result: io::Result<()>) -> Result<(), PortError> {
        result.map_err(|e| fd::control_error(&self.name, op, e))
    }
}

/// The settings of the terminal on `fd`, if it is one.
fn termios(fd: RawFd) -> Option<libc::termios> {
    let mut tio = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: tcgetattr fills the termios on success; it is only read then.
    (unsafe { libc::tcgetattr(fd, tio.as_mut_ptr()) } == 0).then(|| unsafe { tio.assume_init() })
}

impl Drop for SerialPort {
    fn drop(&mut self) {
        let Some(found) = self.found else { return };
        let fd = self.raw();
        // Let what was written leave at the speed it was written at, for a moment at most.
        let start = Instant::now();
        loop {
            let mut queued: libc::c_int = 0;
            // SAFETY: TIOCOUTQ writes one int.
            let ok = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut queued) } == 0;
            if !ok || queued == 0 || start.elapsed() >= DRAIN_ON_CLOSE {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // SAFETY: a termios read from this very device. Nothing to do if it fails: the
        // device may be gone (unplugged).
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &found) };
    }
}

/// The crate reports a device already opened exclusively (EBUSY from TIOCEXCL, or a held
/// `flock`) as `NoDevice`; everything else is an ordinary open failure.
fn open_error(name: &str, e: serialport::Error) -> PortError {
    if e.kind() == serialport::ErrorKind::NoDevice {
        return PortError::Locked {
            port: name.to_string(),
            holder: format!("another program that opened it exclusively ({})", e.description),
        };
    }
    PortError::Open { port: name.to_string(), source: e.into() }
}

impl Port for SerialPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        fd::write_all(self.raw(), bytes, &self.name)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        fd::read_timeout(self.raw(), buf, timeout, &self.name)
    }

    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        let op = if on { "raise DTR" } else { "drop DTR" };
        self.control(op, fd::set_modem_bit(self.raw(), libc::TIOCM_DTR, on))
    }

    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        let op = if on { "raise RTS" } else { "drop RTS" };
        self.control(op, fd::set_modem_bit(self.raw(), libc::TIOCM_RTS, on))
    }

    fn send_break(&mut self, duration: Duration) -> Result<(), PortError> {
        self.control("send a break", fd::send_break(self.raw(), duration))
    }

    fn carrier(&mut self) -> Result<bool, PortError> {
        fd::modem_bits(self.raw())
            .map(|bits| bits & libc::TIOCM_CAR != 0)
            .map_err(|e| fd::control_error(&self.name, "read carrier (DCD)", e))
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        if baud == 0 {
            return Err(PortError::Unsupported {
                port: self.name.clone(),
                op: "set the line speed",
                reason: "0 is not a line speed (to hang up, drop DTR)".into(),
            });
        }
        // Through the crate: it uses termios2 on Linux, so non-standard rates work too.
        self.tty.set_baud_rate(baud).map_err(|e| PortError::Io {
            port: self.name.clone(),
            op: "set the line speed",
            source: e.into(),
        })
    }

    fn discard_input(&mut self) -> Result<(), PortError> {
        self.control("discard input", fd::flush_input(self.raw()))
    }
}
