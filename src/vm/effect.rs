//! What the VM asks of the driver, and what the driver tells it back.

use std::time::Duration;

use super::redact::Spans;

/// One thing for the driver to do before resuming the VM.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write the bytes to the modem, one byte every `pace` if given. `secret` says which
    /// bytes came from a secret: what shows the write shows those as `***` ([`super::redact::mask`]).
    Write { bytes: Vec<u8>, pace: Option<Duration>, secret: Spans },
    /// Read from the modem (feeding what arrives with `Machine::feed`) until input arrives
    /// or the time `until` comes; `None` waits for input only.
    Wait { until: Option<Duration> },
    /// Operate a modem control line or the port.
    Control(Control),
    /// Tell the VM (with `Reply::Carrier`) whether carrier (DCD) is up.
    QueryCarrier,
    /// Print a message for the user on stderr.
    Say(String),
    /// Print a result on stdout (`print`), for whoever runs the script: a shell capturing
    /// it, a pipeline. Where stdout is the modem line (`--port -`), on stderr instead.
    Print(String),
    /// The script is over.
    Done(ExitStatus),
}

/// Modem control operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Dtr(bool),
    Rts(bool),
    Break(Duration),
    Baud(u32),
    DiscardInput,
    /// Writes that cannot proceed fail at this time on the port's clock, or (`None`) wait
    /// for ever; see `Op::Alarm`.
    WriteDeadline(Option<Duration>),
}

/// The driver's answer to the last effect.
#[derive(Debug)]
pub enum Reply {
    /// Done (or nothing to report).
    Ok,
    /// The answer to `QueryCarrier`.
    Carrier(bool),
    /// The port failed while performing the effect.
    Failed(Failure),
}

/// What the VM needs to know of a port that failed: the driver turns the port's error into
/// this, so the VM never sees a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, naming the port, for the user.
    pub message: String,
    /// The port cannot do this at all (a pty has no DTR), as opposed to failing at it: a
    /// `hangup` then falls back to `+++` and `ATH` instead of ending the script.
    pub unsupported: bool,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatus {
    /// The exit code (docs/language.md, "Exit codes"): 0 success, 1 script error, 2 port error, 3 timeout,
    /// 4 and up `fail`.
    pub code: u8,
    /// What happened, for the user; `None` on success.
    pub message: Option<String>,
}

impl ExitStatus {
    pub fn success() -> ExitStatus {
        ExitStatus { code: 0, message: None }
    }
}
