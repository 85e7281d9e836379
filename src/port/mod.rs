//! Ports: the modem a script talks to, whether a device, a socket or the simulated modem
//! in-process. Besides `serve` (the simulator served to other programs), this is the only
//! code that opens a device or a socket.
//!
//! Every port implements [`Port`] and [`open`] opens any spec. The driver (`src/driver.rs`)
//! is the only caller; the VM never sees a port. A port also owns the clock the driver runs
//! on ([`Port::now`], [`Port::pause`]): real ports run on the monotonic wall clock, the
//! simulated modem can run on virtual time so tests of long timeouts take no real time.

pub mod sim;

use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A connection to a modem.
pub trait Port {
    /// The name the user gave for this port (`/dev/ttyUSB0`, `tcp://127.0.0.1:2000`,
    /// `sim:hayes`), used in every message about it.
    fn name(&self) -> &str;

    /// Write all of `bytes` to the modem.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError>;

    /// Wait up to `timeout` for bytes from the modem and read what is there into `buf`.
    ///
    /// Returns `Ok(0)` when the timeout passed with nothing to read (the clock has then
    /// advanced by `timeout`). A port that is gone (EOF, hang-up, unplugged) is
    /// [`PortError::Closed`] or [`PortError::Io`], never `Ok(0)` forever.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError>;

    /// Raise (`true`) or drop (`false`) DTR.
    fn set_dtr(&mut self, on: bool) -> Result<(), PortError>;

    /// Raise (`true`) or drop (`false`) RTS.
    fn set_rts(&mut self, on: bool) -> Result<(), PortError>;

    /// Send a break condition lasting `duration`.
    fn send_break(&mut self, duration: Duration) -> Result<(), PortError>;

    /// Whether the modem asserts carrier (DCD).
    fn carrier(&mut self) -> Result<bool, PortError>;

    /// Change the line speed.
    fn set_baud(&mut self, baud: u32) -> Result<(), PortError>;

    /// Discard input received but not yet read.
    fn discard_input(&mut self) -> Result<(), PortError>;

    /// From now on, a write the other end does not take fails at `deadline` on this port's
    /// clock, or (`None`) waits for ever, instead of after the port's own stall limit
    /// (chat's alarm around a send). Only stdin/stdout, chat's port, can.
    fn set_write_deadline(&mut self, deadline: Option<Duration>) -> Result<(), PortError> {
        let _ = deadline;
        Err(PortError::Unsupported {
            port: self.name().to_string(),
            op: "give writes a deadline",
            reason: "only stdin/stdout (chat's port) can".into(),
        })
    }

    /// Time since an arbitrary fixed origin. Real ports use the monotonic clock; a port
    /// on virtual time advances it in `read` and `pause`.
    fn now(&self) -> Duration {
        monotonic_now()
    }

    /// Lets `duration` pass on this port's clock without reading: a real port sleeps, a port
    /// on virtual time moves its clock on. Whatever the modem sends meanwhile is read later.
    fn pause(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    /// The next `len` bytes written (one line, in one or more [`Port::write_all`] calls) hold
    /// a secret's bytes at the offsets in `secret`. A port that shows what was written (a
    /// replay's divergence message) shows those as `***`; most show nothing and ignore it.
    fn secret_in_next_write(&mut self, len: usize, secret: &[Range<usize>]) {
        let _ = (len, secret);
    }

    /// The name as a recording (`--record`) shows it: without a secret the spec itself
    /// holds, such as the simulated SIM's PIN in `sim:gsm?pin=1234`. Most names hold none.
    fn recorded_name(&self) -> String {
        self.name().to_string()
    }

    /// Whether this port writes to the process's stdout (`--port -`): a `print` must not
    /// go there then, or the modem would receive it.
    fn owns_stdout(&self) -> bool {
        false
    }

    /// Something the user should hear when the run is over, such as a replay the script
    /// ended before the recording did. Most ports have nothing to say.
    fn closing_note(&self) -> Option<String> {
        None
    }
}

/// The reason of a write that failed at its deadline ([`Port::set_write_deadline`]).
pub const WRITE_TIMED_OUT: &str = "write timed out";

/// The signal (SIGINT, SIGTERM, SIGHUP) that asked the run to stop, or 0. The driver's
/// handler sets it and the driver's loop takes it; it lives here so that a port's own long
/// wait (a break, which a script may make an hour long) ends as soon as it is set.
pub static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// How often a long wait looks at [`STOP_SIGNAL`].
const STOP_POLL: Duration = Duration::from_millis(50);

/// Sleeps for `duration`, or until a signal asks to stop: for breaks, so SIGTERM does not
/// wait for them; the driver stops once the port returns. The flag is looked at every
/// [`STOP_POLL`], so a signal that came just before the sleep is not missed (as it would be
/// by one long `nanosleep`). A SIGHUP the script ignores cuts a break short too.
pub(crate) fn sleep_unless_signalled(duration: Duration) {
    sleep_until_flag(duration, &STOP_SIGNAL);
}

fn sleep_until_flag(duration: Duration, flag: &AtomicI32) {
    let start = Instant::now();
    while flag.load(Ordering::SeqCst) == 0 {
        let left = duration.saturating_sub(start.elapsed());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(STOP_POLL));
    }
}

/// Time on the process-wide monotonic clock, from the first call.
pub fn monotonic_now() -> Duration {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed()
}

/// What can go wrong on a port. Every variant names the port.
#[derive(Debug)]
pub enum PortError {
    /// The port could not be opened.
    Open { port: String, source: io::Error },
    /// Another process holds the port (UUCP lock file or exclusive open).
    Locked { port: String, holder: String },
    /// A read, write or control operation failed.
    Io { port: String, op: &'static str, source: io::Error },
    /// The other end went away (EOF, hang-up, device unplugged).
    Closed { port: String },
    /// The port cannot do this at all (a pty has no DTR, a TCP socket no break).
    Unsupported { port: String, op: &'static str, reason: String },
    /// The port specification itself is wrong.
    BadSpec { spec: String, reason: String },
    /// A replayed session (`replay:FILE`): the script did something other than the
    /// recording at transcript line `line`.
    Diverged { port: String, line: usize, message: String },
}

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortError::Open { port, source } => write!(f, "cannot open `{port}`: {source}"),
            PortError::Locked { port, holder } => write!(f, "`{port}` is in use by {holder}"),
            PortError::Io { port, op, source } => write!(f, "{op} on `{port}` failed: {source}"),
            PortError::Closed { port } => write!(f, "`{port}` was closed by the other end"),
            PortError::Unsupported { port, op, reason } => {
                write!(f, "`{port}` cannot {op}: {reason}")
            }
            PortError::BadSpec { spec, reason } => write!(f, "bad port `{spec}`: {reason}"),
            PortError::Diverged { port, line, message } => {
                write!(f, "`{port}` diverged from the recording at line {line}: {message}")
            }
        }
    }
}

impl std::error::Error for PortError {}

mod fd;
pub mod info;
pub mod lock;
pub mod replay;
pub mod rfc2217;
pub mod serial;
pub mod spec;
pub mod stdio;
pub mod tcp;
pub mod telnet;
pub mod wake;

pub use spec::{DataBits, FlowControl, OptionError, Parity, PortSpec, SerialOptions, StopBits};

/// Opens the port `spec` names. Serial line settings in `opts` apply to a device path (and
/// to the remote line of an RFC 2217 port); stdin/stdout is used as pppd set it up; a `sim:`
/// port is the simulated modem in-process, on the real clock; a `replay:` port plays a
/// transcript back on virtual time.
///
/// Devices are locked in `$ATCHAT_LOCK_DIR`, else `/var/lock`.
pub fn open(spec: &PortSpec, opts: &SerialOptions) -> Result<Box<dyn Port>, PortError> {
    let name = spec.to_string();
    match spec {
        PortSpec::Device(path) => boxed(|| serial::SerialPort::open(path, opts, &lock::lock_dir_from_env())),
        PortSpec::Stdio => boxed(stdio::StdioPort::stdio),
        PortSpec::Tcp { host, port } => boxed(|| tcp::TcpPort::connect(host, *port, &name)),
        PortSpec::Rfc2217 { host, port } => boxed(|| rfc2217::Rfc2217Port::connect(host, *port, &name, opts)),
        PortSpec::Sim(rest) => boxed(|| sim::SimPort::open(rest, sim::SimClock::Real)),
        PortSpec::Replay(path) => boxed(|| replay::ReplayPort::open(path)),
    }
}

/// Opens one kind of port and boxes it, in a frame of its own: inlined into [`open`], every
/// kind's port would sit in one frame together (5 KiB), on the stack of each session of a
/// bank, whose touched pages stay resident for the session's life.
#[inline(never)]
fn boxed<P: Port + 'static>(open: impl FnOnce() -> Result<P, PortError>) -> Result<Box<dyn Port>, PortError> {
    Ok(Box::new(open()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_cuts_a_sleep_short_even_one_asked_for_before_it_began() {
        static FLAG: AtomicI32 = AtomicI32::new(0);
        let sleeper = std::thread::spawn(|| {
            let start = Instant::now();
            sleep_until_flag(Duration::from_secs(3600), &FLAG);
            start.elapsed()
        });
        FLAG.store(libc::SIGTERM, Ordering::SeqCst);
        let slept = sleeper.join().unwrap();
        assert!(slept < Duration::from_secs(60), "slept {slept:?}");
        // Set before the sleep: it does not begin.
        let start = Instant::now();
        sleep_until_flag(Duration::from_secs(3600), &FLAG);
        assert!(start.elapsed() < Duration::from_secs(60));
        // Unset: the whole duration.
        FLAG.store(0, Ordering::SeqCst);
        let start = Instant::now();
        sleep_until_flag(Duration::from_millis(120), &FLAG);
        assert!(start.elapsed() >= Duration::from_millis(120));
    }
}
