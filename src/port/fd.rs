//! The file-descriptor plumbing shared by the serial, stdio and TCP ports: reads with a
//! deadline, writes that cannot hang forever, and the tty ioctls for modem control.
//!
//! Everything here works on a raw descriptor that the caller owns and keeps open; passing a
//! closed or wrong descriptor gives `EBADF`, never undefined behaviour.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::PortError;

/// How long a write may make no progress before it is an error. A modem holding CTS low
/// under RTS/CTS flow control, or a peer that stopped reading, must not hang atchat.
pub(crate) const WRITE_STALL_LIMIT: Duration = Duration::from_secs(10);

/// Waits until `fd` is readable or `events` report trouble, for at most `timeout`.
/// Returns the `revents`, or 0 when the time ran out.
///
/// A read's wait (`POLLIN`) lets [`super::wake::WAKE_SIGNAL`] through and ends early, as if
/// the time had run out, when it or another signal arrives: the caller then looks at why (a
/// stop, SIGTERM). A write's wait goes on.
fn poll_once(fd: RawFd, events: libc::c_short, timeout: Duration) -> io::Result<libc::c_short> {
    let reading = events == libc::POLLIN;
    let mask = super::wake::wait_mask();
    let mut pfd = libc::pollfd { fd, events, revents: 0 };
    let deadline = Instant::now().checked_add(timeout);
    loop {
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => timeout,
        };
        // ppoll takes nanoseconds, so a 10 ms timeout is 10 ms and not "up to the next tick".
        let ts = libc::timespec {
            tv_sec: left.as_secs().min(i32::MAX as u64) as libc::time_t,
            tv_nsec: left.subsec_nanos() as libc::c_long,
        };
        let mask = if reading { &mask as *const libc::sigset_t } else { std::ptr::null() };
        // SAFETY: one valid pollfd, a valid timespec, a valid signal set or none.
        let n = unsafe { libc::ppoll(&mut pfd, 1, &ts, mask) };
        if n >= 0 {
            return Ok(if n == 0 { 0 } else { pfd.revents });
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
        if reading {
            return Ok(0);
        }
    }
}

/// One `ppoll` for `events`, for at most `timeout` (`None`: no limit), that a signal ends
/// with `Interrupted`: the driver then stops on the signal before anything else happens.
fn poll_interruptible(fd: RawFd, events: libc::c_short, timeout: Option<Duration>) -> io::Result<libc::c_short> {
    let mut pfd = libc::pollfd { fd, events, revents: 0 };
    let ts = timeout.map(|left| libc::timespec {
        tv_sec: left.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: left.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: one valid pollfd, a valid timespec or none, no signal mask.
    let n = unsafe { libc::ppoll(&mut pfd, 1, ts_ptr, std::ptr::null()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(if n == 0 { 0 } else { pfd.revents })
}

/// Reads what is available on `fd` within `timeout`: `Ok(0)` when nothing came, an error
/// as soon as the other end is gone (hang-up, EOF, EIO), so a vanished device is noticed
/// on the next read instead of being mistaken for silence.
pub(crate) fn read_timeout(fd: RawFd, buf: &mut [u8], timeout: Duration, port: &str) -> Result<usize, PortError> {
    if buf.is_empty() {
        return Ok(0);
    }
    let io_err = |source| PortError::Io { port: port.to_string(), op: "read", source };
    let deadline = Instant::now().checked_add(timeout);
    loop {
        let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
        let revents = poll_once(fd, libc::POLLIN, left).map_err(io_err)?;
        if revents == 0 {
            return Ok(0);
        }
        if revents & libc::POLLNVAL != 0 {
            return Err(io_err(io::Error::from_raw_os_error(libc::EBADF)));
        }
        // On POLLHUP/POLLERR read anyway: it returns the data still buffered, or the OS error
        // (EIO on a pty whose master closed, on an unplugged USB adapter) that names the cause.
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            return Ok(n as usize);
        }
        if n == 0 {
            // A tty reads 0 after a hang-up; say so, since "closed by the other end" would
            // hide that the device itself went away.
            if revents & libc::POLLHUP != 0 && is_hung_up_tty(fd) {
                return Err(io_err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the line hung up (POLLHUP: the device was unplugged, the other side of \
                     the pty closed, or carrier dropped without CLOCAL)",
                )));
            }
            return Err(PortError::Closed { port: port.to_string() });
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock if revents & (libc::POLLHUP | libc::POLLERR) != 0 => {
                return Err(PortError::Closed { port: port.to_string() })
            }
            // A spurious wake-up: another reader took the bytes. Wait out the rest.
            io::ErrorKind::WouldBlock => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(0);
                }
            }
            _ => return Err(io_err(err)),
        }
    }
}

/// How long a write may wait for the descriptor to take bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteWait {
    /// Fail once nothing could be written for this long.
    Stall(Duration),
    /// Fail at this time on the monotonic clock ([`super::monotonic_now`]), as chat's alarm
    /// does; a signal ends the wait.
    Until(Duration),
    /// Wait until the descriptor takes bytes, or a signal comes (chat's `-t 0`).
    Forever,
}

/// Writes all of `bytes` to `fd`, failing if the descriptor accepts nothing for
/// [`WRITE_STALL_LIMIT`].
pub(crate) fn write_all(fd: RawFd, bytes: &[u8], port: &str) -> Result<(), PortError> {
    write_all_waiting(fd, bytes, port, WriteWait::Stall(WRITE_STALL_LIMIT))
}

/// Writes all of `bytes` to `fd`, waiting for it as `wait` says.
pub(crate) fn write_all_waiting(fd: RawFd, mut bytes: &[u8], port: &str, wait: WriteWait) -> Result<(), PortError> {
    let io_err = |source| PortError::Io { port: port.to_string(), op: "write", source };
    while !bytes.is_empty() {
        let revents = match wait {
            WriteWait::Stall(limit) => poll_once(fd, libc::POLLOUT, limit),
            WriteWait::Until(at) => {
                let left = at.saturating_sub(super::monotonic_now());
                poll_interruptible(fd, libc::POLLOUT, Some(left))
            }
            WriteWait::Forever => poll_interruptible(fd, libc::POLLOUT, None),
        }
        .map_err(io_err)?;
        if revents == 0 {
            return Err(io_err(match wait {
                WriteWait::Stall(limit) => io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "nothing could be written for {} s (flow control holding, or the other \
                         end stopped reading)",
                        limit.as_secs()
                    ),
                ),
                _ => io::Error::new(io::ErrorKind::TimedOut, super::WRITE_TIMED_OUT),
            }));
        }
        if revents & libc::POLLNVAL != 0 {
            return Err(io_err(io::Error::from_raw_os_error(libc::EBADF)));
        }
        // SAFETY: bytes is valid for bytes.len() bytes.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n >= 0 {
            bytes = &bytes[n as usize..];
            continue;
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock => {}
            _ if err.raw_os_error() == Some(libc::EPIPE) => return Err(PortError::Closed { port: port.to_string() }),
            _ => return Err(io_err(err)),
        }
    }
    Ok(())
}

/// Reads and drops what is already buffered on `fd` without waiting, for descriptors that
/// have no `tcflush`. Bounded, so a peer that never stops sending cannot keep us here.
pub(crate) fn drain(fd: RawFd, port: &str) -> Result<(), PortError> {
    let mut buf = [0u8; 4096];
    for _ in 0..64 {
        if read_timeout(fd, &mut buf, Duration::ZERO, port)? == 0 {
            break;
        }
    }
    Ok(())
}

/// Makes `fd` non-blocking so a write never sleeps past the stall limit inside the kernel.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain fcntl calls on an integer descriptor.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether `fd` is a terminal that hung up. The kernel swaps a hung-up tty's operations for
/// stubs whose ioctls fail with EIO, so `isatty` fails with EIO rather than ENOTTY.
fn is_hung_up_tty(fd: RawFd) -> bool {
    is_tty(fd) || io::Error::last_os_error().raw_os_error() == Some(libc::EIO)
}

/// Whether `fd` is a terminal.
pub(crate) fn is_tty(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// Turns the error of a modem-control ioctl into a port error: "this kind of device cannot do
/// that" (ENOTTY, EINVAL, ENOIOCTLCMD) is [`PortError::Unsupported`] with the reason spelled
/// out, anything else an I/O failure.
pub(crate) fn control_error(port: &str, op: &'static str, err: io::Error) -> PortError {
    const ENOIOCTLCMD: i32 = 515;
    let reason = match err.raw_os_error() {
        Some(libc::ENOTTY) => {
            format!("{err} (ENOTTY: not a serial line with modem control lines; a pseudo-terminal has none)")
        }
        Some(libc::EINVAL) => format!("{err} (EINVAL: the driver does not offer this)"),
        Some(ENOIOCTLCMD) => format!("{err} (the driver does not offer this)"),
        _ => return PortError::Io { port: port.to_string(), op, source: err },
    };
    PortError::Unsupported { port: port.to_string(), op, reason }
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The modem status and control bits (`TIOCM_*`).
pub(crate) fn modem_bits(fd: RawFd) -> io::Result<libc::c_int> {
    let mut bits: libc::c_int = 0;
    // SAFETY: TIOCMGET writes one c_int.
    check(unsafe { libc::ioctl(fd, libc::TIOCMGET, &mut bits) })?;
    Ok(bits)
}

/// Sets (`on`) or clears one modem control bit (`TIOCM_DTR`, `TIOCM_RTS`).
pub(crate) fn set_modem_bit(fd: RawFd, bit: libc::c_int, on: bool) -> io::Result<()> {
    let request = if on { libc::TIOCMBIS } else { libc::TIOCMBIC };
    // SAFETY: TIOCMBIS/TIOCMBIC read one c_int.
    check(unsafe { libc::ioctl(fd, request, &bit) })
}

/// Holds the line in break for `duration`.
///
/// A pseudo-terminal silently accepts a break and does nothing, so the modem status is read
/// first: a device without modem lines gets the same clear `Unsupported` as for DTR.
pub(crate) fn send_break(fd: RawFd, duration: Duration) -> io::Result<()> {
    modem_bits(fd)?;
    // SAFETY: TIOCSBRK/TIOCCBRK take no argument.
    check(unsafe { libc::ioctl(fd, libc::TIOCSBRK) })?;
    super::sleep_unless_signalled(duration);
    check(unsafe { libc::ioctl(fd, libc::TIOCCBRK) })
}

/// Discards bytes received but not read.
pub(crate) fn flush_input(fd: RawFd) -> io::Result<()> {
    // SAFETY: tcflush on an integer descriptor.
    check(unsafe { libc::tcflush(fd, libc::TCIFLUSH) })
}

/// Changes only the line speed of the terminal on `fd`, leaving every other setting alone.
pub(crate) fn set_baud(fd: RawFd, baud: u32) -> io::Result<()> {
    let speed = speed_constant(baud)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{baud} is not a standard line speed")))?;
    let mut tio = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: tcgetattr fills the termios on success; it is used only then.
    check(unsafe { libc::tcgetattr(fd, tio.as_mut_ptr()) })?;
    let mut tio = unsafe { tio.assume_init() };
    // SAFETY: cfset*speed only write into the termios.
    check(unsafe { libc::cfsetispeed(&mut tio, speed) })?;
    check(unsafe { libc::cfsetospeed(&mut tio, speed) })?;
    // TCSADRAIN: bytes already queued go out at the old speed.
    check(unsafe { libc::tcsetattr(fd, libc::TCSADRAIN, &tio) })
}

fn speed_constant(baud: u32) -> Option<libc::speed_t> {
    Some(match baud {
        50 => libc::B50,
        75 => libc::B75,
        110 => libc::B110,
        134 => libc::B134,
        150 => libc::B150,
        200 => libc::B200,
        300 => libc::B300,
        600 => libc::B600,
        1200 => libc::B1200,
        1800 => libc::B1800,
        2400 => libc::B2400,
        4800 => libc::B4800,
        9600 => libc::B9600,
        19200 => libc::B19200,
        38400 => libc::B38400,
        57600 => libc::B57600,
        115200 => libc::B115200,
        230400 => libc::B230400,
        460800 => libc::B460800,
        500000 => libc::B500000,
        576000 => libc::B576000,
        921600 => libc::B921600,
        1000000 => libc::B1000000,
        1152000 => libc::B1152000,
        1500000 => libc::B1500000,
        2000000 => libc::B2000000,
        2500000 => libc::B2500000,
        3000000 => libc::B3000000,
        3500000 => libc::B3500000,
        4000000 => libc::B4000000,
        _ => return None,
    })
}
