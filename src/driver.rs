//! The one loop where the VM and a port meet.
//!
//! The driver performs each [`Effect`] of the [`Machine`] on a [`Port`], hands bytes from
//! the port to the machine, writes the transcript (`-v`, `--log`) and turns signals into a
//! clean stop. It runs on the port's clock, so on the virtual-time simulator a script with a
//! 60 s timeout finishes at once.

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use crate::port::{Port, PortError};
use crate::vm::value::{escape_bytes, format_duration};
use crate::vm::monitor::Output;
use crate::vm::{Control, Effect, Machine, Note, Outcome, Reply};

/// Longest single read: keeps the loop responsive to signals.
const READ_SLICE: Duration = Duration::from_millis(50);
/// Bytes read at a time.
const CHUNK: usize = 64 * 1024;

/// The signal that asked us to stop, or 0.
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    STOP_SIGNAL.store(signal, Ordering::SeqCst);
}

/// Routes SIGINT, SIGTERM and SIGHUP to a flag the driver checks, so a stop hangs up and
/// restores the port instead of killing the process mid-write.
pub fn install_signal_handlers() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(signal, on_signal as *const () as libc::sighandler_t);
        }
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Where the transcript goes.
#[derive(Default)]
pub struct Transcript {
    /// Human-readable lines on stderr (`-v`).
    pub verbose: bool,
    /// JSON lines (`--log FILE`).
    pub log: Option<Box<dyn Write>>,
    /// Collected `say` output and messages, when not printing (tests, the REPL).
    pub capture: Option<Vec<String>>,
    /// What the transcript must never show.
    secrets: Vec<Vec<u8>>,
    /// Where chat-style output goes (`Machine::take_output`): SAY, echo, logs, reports.
    /// Without one, it is written to stderr.
    pub sink: Option<Box<dyn FnMut(Output)>>,
    /// On SIGINT/SIGTERM/SIGHUP, stop without dropping DTR (chat never touches the lines).
    pub keep_lines_on_stop: bool,
}

impl Transcript {
    /// A transcript that only collects `say` output, for tests.
    pub fn capturing() -> Transcript {
        Transcript { capture: Some(Vec::new()), ..Transcript::default() }
    }

    fn mask(&self, text: String) -> String {
        let mut out = text;
        for s in &self.secrets {
            for form in [escape_bytes(s), String::from_utf8_lossy(s).into_owned()] {
                if !form.is_empty() {
                    out = out.replace(&form, "***");
                }
            }
        }
        out
    }

    /// Whether anything records events; callers skip formatting when nothing does.
    fn enabled(&self) -> bool {
        self.verbose || self.log.is_some()
    }

    fn event(&mut self, at: Duration, kind: &str, text: String) {
        if !self.enabled() {
            return;
        }
        let text = self.mask(text);
        if self.verbose {
            let arrow = match kind {
                "send" => ">",
                "recv" => "<",
                "say" => "!",
                _ => "=",
            };
            eprintln!("{:>9.3} {arrow} {text}", at.as_secs_f64());
        }
        if let Some(log) = &mut self.log {
            let line = serde_json::json!({ "t": at.as_secs_f64(), "kind": kind, "text": text });
            // A log that cannot be written must not stop the modem script.
            let _ = writeln!(log, "{line}");
        }
    }

    fn say(&mut self, at: Duration, text: String) {
        let text = self.mask(text);
        match &mut self.capture {
            Some(lines) => lines.push(text.clone()),
            None => eprintln!("{text}"),
        }
        if let Some(log) = &mut self.log {
            let line = serde_json::json!({ "t": at.as_secs_f64(), "kind": "say", "text": text });
            let _ = writeln!(log, "{line}");
        }
    }

    /// Chat-style output: to the sink, else to stderr as it is.
    fn output(&mut self, out: Output) {
        if let Some(sink) = &mut self.sink {
            sink(out);
            return;
        }
        let mut err = std::io::stderr().lock();
        // Like chat, a failing stderr does not stop the script.
        let _ = match out {
            Output::Stderr(bytes) => err.write_all(&bytes),
            Output::Log { line, .. } | Output::Report(line) => {
                err.write_all(&line).and_then(|()| err.write_all(b"\n"))
            }
        };
    }

    fn note(&mut self, at: Duration, note: Note) {
        if !self.enabled() {
            return;
        }
        let text = match note {
            Note::Waiting { at, patterns, deadline } => {
                let until = deadline.map(|d| format!(" until {:.3}", d.as_secs_f64())).unwrap_or_default();
                format!("{at}: waiting for {}{until}", patterns.join(" | "))
            }
            Note::Matched { at, pattern, by_handler } => {
                let by = if by_handler { " (handler)" } else { "" };
                format!("{at}: matched {pattern}{by}")
            }
            Note::TimedOut { at, after } => format!("{at}: timed out after {}", format_duration(after)),
            Note::Attempt { at, attempt } => format!("{at}: attempt {attempt}"),
        };
        self.event(at, "note", text);
    }
}

/// Runs `vm` to the end on `port`. The outcome's code is the process exit code.
pub fn run(vm: &mut Machine, port: &mut dyn Port, transcript: &mut Transcript) -> Outcome {
    transcript.secrets = vm.secrets().to_vec();
    let start = port.now();
    let mut reply = Reply::Ok;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let signal = STOP_SIGNAL.swap(0, Ordering::SeqCst);
        if signal != 0 && !(signal == libc::SIGHUP && vm.ignores_hangup()) {
            if transcript.keep_lines_on_stop {
                return Outcome { code: 2, message: Some(signal_name(signal).to_string()) };
            }
            return stop_on_signal(port, signal);
        }
        let now = port.now();
        let effect = vm.resume(now, std::mem::replace(&mut reply, Reply::Ok));
        for note in vm.take_notes() {
            transcript.note(now - start, note);
        }
        for out in vm.take_output() {
            transcript.output(out);
        }
        reply = match effect {
            Effect::Done(outcome) => return outcome,
            Effect::Say(text) => {
                transcript.say(now - start, text);
                Reply::Ok
            }
            Effect::Write { bytes, pace } => {
                if transcript.enabled() {
                    transcript.event(now - start, "send", escape_bytes(&bytes));
                }
                match write(vm, port, &bytes, pace, transcript, start, &mut buf) {
                    Ok(()) => Reply::Ok,
                    Err(e) => Reply::Failed(e),
                }
            }
            Effect::Wait { until } => {
                let timeout = match until {
                    Some(u) => u.saturating_sub(now).min(READ_SLICE),
                    None => READ_SLICE,
                };
                match read_into(vm, port, &mut buf, timeout, transcript, start) {
                    Ok(()) => Reply::Ok,
                    Err(e) => Reply::Failed(e),
                }
            }
            Effect::QueryCarrier => match port.carrier() {
                Ok(up) => Reply::Carrier(up),
                Err(e) => Reply::Failed(e),
            },
            Effect::Control(control) => {
                transcript.event(now - start, "control", format!("{control:?}"));
                let result = match control {
                    Control::Dtr(on) => port.set_dtr(on),
                    Control::Rts(on) => port.set_rts(on),
                    Control::Break(d) => port.send_break(d),
                    Control::Baud(b) => port.set_baud(b),
                    Control::DiscardInput => port.discard_input(),
                };
                match result {
                    Ok(()) => Reply::Ok,
                    Err(e) => Reply::Failed(e),
                }
            }
        };
    }
}

/// Reads once (up to `timeout`) and feeds what arrived to the machine.
fn read_into(
    vm: &mut Machine,
    port: &mut dyn Port,
    buf: &mut [u8],
    timeout: Duration,
    transcript: &mut Transcript,
    start: Duration,
) -> Result<(), PortError> {
    let n = port.read(buf, timeout)?;
    if n > 0 {
        let data = &buf[..n];
        if transcript.enabled() {
            transcript.event(port.now() - start, "recv", escape_bytes(data));
        }
        vm.feed(data);
    }
    Ok(())
}

/// Writes `bytes`, one at a time with a pause if paced; input arriving meanwhile is kept.
fn write(
    vm: &mut Machine,
    port: &mut dyn Port,
    bytes: &[u8],
    pace: Option<Duration>,
    transcript: &mut Transcript,
    start: Duration,
    buf: &mut [u8],
) -> Result<(), PortError> {
    let Some(pace) = pace.filter(|p| !p.is_zero()) else {
        return port.write_all(bytes);
    };
    for byte in bytes {
        port.write_all(std::slice::from_ref(byte))?;
        let until = port.now() + pace;
        loop {
            let now = port.now();
            if now >= until {
                break;
            }
            read_into(vm, port, buf, (until - now).min(READ_SLICE), transcript, start)?;
        }
    }
    Ok(())
}

/// SIGINT/SIGTERM/SIGHUP: drop DTR (hang up) where the port can, then exit 2.
fn stop_on_signal(port: &mut dyn Port, signal: i32) -> Outcome {
    if std::env::var_os("ATCHAT_NO_HANGUP_ON_SIGNAL").is_none() && port.set_dtr(false).is_ok() {
        std::thread::sleep(crate::bytecode::compiler::HANGUP_DTR_LOW);
        let _ = port.set_dtr(true);
    }
    Outcome { code: 2, message: Some(format!("stopped by {}", signal_name(signal))) }
}
