//! The one loop where the VM and a port meet.
//!
//! The driver performs each [`Effect`] of the [`Machine`] on a [`Port`], hands bytes from
//! the port to the machine, writes the transcript (`-v`, `--log`, `--record`) and turns
//! signals into a clean stop. It runs on the port's clock, so on the virtual-time simulator
//! (or a replay) a script with a 60 s timeout finishes at once.

pub mod progress;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::lang::literal::{escape_bytes, format_duration};
use crate::port::{Port, PortError, STOP_SIGNAL};
use crate::record::{Action, Recorder, Refusal};
use crate::vm::monitor::Output;
use crate::vm::redact;
use crate::vm::{Control, Effect, ExitStatus, Failure, Machine, Note, Reply};
pub use progress::Progress;

/// Longest single read of a watched run (the REPL, the debugger): keeps it responsive to
/// Ctrl-C. [`run`] needs no slice: a signal or a stop wakes its waits (`port::wake`).
const READ_SLICE: Duration = Duration::from_millis(50);
/// Longest single wait of [`run`] when the script sets no deadline: long enough to cost
/// nothing, short enough that no timeout arithmetic overflows.
const IDLE_WAIT: Duration = Duration::from_secs(3600);
/// Most bytes read at a time: more than a modem sends between two reads at any line speed.
const CHUNK: usize = 4 * 1024;
/// What [`run`]'s read buffer starts at: a modem's replies between two reads are a few
/// dozen bytes, and every session of a bank keeps one buffer (docs/performance.md, bank
/// figures). A read that fills it doubles it, up to [`CHUNK`].
const FIRST_CHUNK: usize = 256;

extern "C" fn on_signal(signal: libc::c_int) {
    STOP_SIGNAL.store(signal, Ordering::SeqCst);
    // Every session waiting for its modem looks at the flag now, not at its deadline.
    crate::port::wake::wake_all();
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
    /// A transcript to replay (`--record FILE`): every byte each way, line operations,
    /// carrier, with their times; masked like the rest.
    pub record: Option<Recorder>,
    /// Collected `say` output and messages, when not printing (tests, the REPL).
    pub capture: Option<Vec<String>>,
    /// Where chat-style output goes (`Machine::take_output`): SAY, echo, logs, reports.
    /// Without one, it is written to stderr.
    pub sink: Option<Box<dyn FnMut(Output)>>,
    /// On SIGINT/SIGTERM/SIGHUP, stop without dropping DTR (chat never touches the lines).
    pub keep_lines_on_stop: bool,
    /// The port this transcript is about, when several sessions share stderr and the log
    /// (`run --port A --port B`): it leads each `-v` and `say` line and is the `port` of
    /// each JSON line.
    pub label: Option<String>,
    /// Why stderr could not be written (`say`, `-v`): the run stops with exit 2.
    stderr_failed: Option<std::io::Error>,
    /// Why stdout could not be written (`print`): the run stops with exit 2.
    stdout_failed: Option<std::io::Error>,
    /// Copy `say` lines (and, with `verbose`, the transcript) to syslog (`--syslog`).
    pub syslog: bool,
    /// The progress line on stderr while a wait runs (`atchat run` on a terminal): erased
    /// before any other line is written there. Only for a port on the wall clock: on
    /// virtual time a wait would be cut into redraw ticks that take no time.
    pub progress: Option<Progress>,
}

/// Opens syslog as chat(8) does (facility LOCAL2, with the pid) under the ident `atchat`.
pub fn open_syslog() {
    // SAFETY: a static identifier; openlog keeps the pointer.
    unsafe { libc::openlog(c"atchat".as_ptr(), libc::LOG_PID, libc::LOG_LOCAL2) };
}

/// One line to syslog (already masked); NUL bytes, which C strings cannot hold, become `?`.
pub fn syslog(priority: libc::c_int, text: &str) {
    let Ok(text) = std::ffi::CString::new(text.replace('\0', "?")) else { return };
    // SAFETY: a constant format and a NUL-terminated argument.
    unsafe { libc::syslog(priority, c"%s".as_ptr(), text.as_ptr()) };
}

impl Transcript {
    /// A transcript that only collects `say` output, for tests.
    pub fn capturing() -> Transcript {
        Transcript { capture: Some(Vec::new()), ..Transcript::default() }
    }

    /// Whether anything records events; callers skip formatting when nothing does.
    fn enabled(&self) -> bool {
        self.verbose || self.log.is_some() || self.record.is_some()
    }

    /// One line of the transcript. Secrets never reach here: the machine masks what came
    /// from one in what it says, writes and reads (`vm::redact`).
    fn event(&mut self, at: Duration, kind: &str, text: String) {
        self.event_of(at, kind, text, None);
    }

    /// Bytes sent or received: escaped (`ATZ\r`) for people and recordings; in the JSON log
    /// the bytes themselves, escaped once by JSON (`"ATZ\r"` there means a carriage return).
    fn bytes_event(&mut self, at: Duration, kind: &str, bytes: &[u8]) {
        if !self.enabled() {
            return;
        }
        let raw = self.log.is_some().then(|| log_text(bytes));
        self.event_of(at, kind, escape_bytes(bytes), raw);
    }

    /// One line of the transcript; `raw` is what the JSON log shows of it when that is not
    /// `text` (see `bytes_event`).
    fn event_of(
        &mut self,
        at: Duration,
        kind: &str,
        text: String,
        raw: Option<serde_json::Map<String, serde_json::Value>>,
    ) {
        if !self.enabled() {
            return;
        }
        if let Some(record) = &mut self.record {
            match kind {
                "send" => record.wrote(at, &text, Ok(())),
                "recv" => record.received(at, &text),
                // Recorded with its outcome once performed (`performed`).
                "control" => {}
                _ => record.comment(at, &text),
            }
        }
        if self.verbose {
            let arrow = match kind {
                "send" => ">",
                "recv" => "<",
                "say" => "!",
                _ => "=",
            };
            match self.label.clone() {
                Some(label) => self.stderr_line(format_args!("{label}: {:>9.3} {arrow} {text}", at.as_secs_f64())),
                None => self.stderr_line(format_args!("{:>9.3} {arrow} {text}", at.as_secs_f64())),
            }
            if self.syslog {
                syslog(libc::LOG_INFO, &format!("{arrow} {text}"));
            }
        }
        if let Some(log) = &mut self.log {
            let mut line = serde_json::Map::new();
            line.insert("t".into(), at.as_secs_f64().into());
            line.insert("kind".into(), kind.into());
            match raw {
                Some(fields) => line.extend(fields),
                None => {
                    line.insert("text".into(), text.into());
                }
            }
            if let Some(label) = &self.label {
                line.insert("port".into(), label.as_str().into());
            }
            let line = serde_json::Value::Object(line);
            // A log that cannot be written must not stop the modem script.
            let _ = writeln!(log, "{line}");
        }
    }

    fn say(&mut self, at: Duration, text: String) {
        self.message(at, "say", &text);
        match &mut self.capture {
            Some(lines) => lines.push(text),
            None => self.stderr_labelled(&text),
        }
    }

    /// A `say` or `print` (`kind`) where syslog, the recording and the JSON log keep it.
    fn message(&mut self, at: Duration, kind: &str, text: &str) {
        if self.syslog {
            syslog(libc::LOG_NOTICE, text);
        }
        if let Some(record) = &mut self.record {
            record.comment(at, &format!("{kind}: {text}"));
        }
        if let Some(log) = &mut self.log {
            let mut line = serde_json::json!({ "t": at.as_secs_f64(), "kind": kind, "text": text });
            if let Some(label) = &self.label {
                line["port"] = label.as_str().into();
            }
            let _ = writeln!(log, "{line}");
        }
    }

    /// A `print`: the text on stdout, led by the port's name and a tab in a bank
    /// (`PORT<TAB>text`) so each line says which modem it is about. Where stdout is the
    /// modem line (`--port -`, pppd's connect program) the text would go to the modem: it
    /// goes to stderr instead, as a `say` does. With `-v` it also appears in the transcript
    /// on stderr, where it fell between the lines sent and received.
    fn print(&mut self, at: Duration, text: String, stdout_is_modem: bool) {
        self.message(at, "print", &text);
        if let Some(lines) = &mut self.capture {
            lines.push(format!("print: {text}"));
            return;
        }
        if stdout_is_modem {
            self.stderr_labelled(&text);
            return;
        }
        if self.verbose {
            self.stderr_labelled(&format!("{:>9.3} ! print: {text}", at.as_secs_f64()));
        }
        let line = match &self.label {
            Some(label) => format!("{label}\t{text}\n"),
            None => format!("{text}\n"),
        };
        // stdout is often the same terminal as stderr: no result after a progress line.
        self.clear_progress();
        if self.stdout_failed.is_none() {
            if let Err(e) = write_stdout_line(line.as_bytes()) {
                self.stdout_failed = Some(e);
            }
        }
    }

    /// The top of the recording: its header (whose maker already wrote a secret param as
    /// `***`) and the port's name as the port says a recording may show it.
    fn begin(&mut self, port: &str) {
        if let Some(record) = &mut self.record {
            let header = record.take_header();
            record.begin(port, &header);
        }
    }

    /// A line operation and how the port took it, for the recording.
    fn performed(&mut self, at: Duration, control: Control, reply: &Reply) {
        if self.record.is_none() {
            return;
        }
        let Some(action) = recorded_action(control) else { return };
        let refusal = self.refusal(reply);
        if let Some(record) = &mut self.record {
            record.action(at, action, refusal.as_ref().map_or(Ok(()), Err));
        }
    }

    /// What the port said of carrier, for the recording.
    fn carrier(&mut self, at: Duration, reply: &Reply) {
        let refusal = self.refusal(reply);
        if let Some(record) = &mut self.record {
            match (reply, refusal) {
                (Reply::Carrier(up), _) => record.carrier(at, Ok(*up)),
                (_, Some(refusal)) => record.carrier(at, Err(&refusal)),
                _ => {}
            }
        }
    }

    /// A line on stderr, led by the port's name in a bank (`PORT: text`).
    fn stderr_labelled(&mut self, text: &str) {
        match self.label.clone() {
            Some(label) => self.stderr_line(format_args!("{label}: {text}")),
            None => self.stderr_line(format_args!("{text}")),
        }
    }

    /// A line on stderr; the first failure is kept for [`run`] to stop on.
    fn stderr_line(&mut self, line: std::fmt::Arguments) {
        self.clear_progress();
        if self.stderr_failed.is_none() {
            if let Err(e) = writeln!(std::io::stderr(), "{line}") {
                self.stderr_failed = Some(e);
            }
        }
    }

    /// The port failed reading or writing (it is gone), for the recording.
    fn port_failed(&mut self, at: Duration, reply: &Reply) {
        if let Some(refusal) = self.refusal(reply) {
            if let Some(record) = &mut self.record {
                record.read_failed(at, &refusal.message);
            }
        }
    }

    /// A failed reply as the recording writes it. A port's message names the port and the
    /// OS error: no value of the script is in it.
    fn refusal(&self, reply: &Reply) -> Option<Refusal> {
        match reply {
            Reply::Failed(f) if self.record.is_some() => {
                Some(Refusal { unsupported: f.unsupported, message: f.message.clone() })
            }
            _ => None,
        }
    }

    /// The run is over: the recording's `end` line.
    fn ended(&mut self, at: Duration, outcome: &ExitStatus) {
        // The machine wrote the message with secrets already masked (`Value::shown`).
        let message = outcome.message.clone();
        if let Some(record) = &mut self.record {
            record.end(at, outcome.code, message.as_deref());
        }
    }

    /// What the port has to say at the end (a replay the script left unfinished): on
    /// stderr, or collected as `note: ...`.
    fn closing_note(&mut self, note: String) {
        match &mut self.capture {
            Some(lines) => lines.push(format!("note: {note}")),
            None => self.stderr_line(format_args!("atchat: {note}")),
        }
    }

    /// Chat-style output: to the sink, else to stderr as it is.
    fn output(&mut self, out: Output) {
        if let Some(sink) = &mut self.sink {
            sink(out);
            return;
        }
        self.clear_progress();
        let mut err = std::io::stderr().lock();
        // Like chat, a failing stderr does not stop the script.
        let _ = match out {
            Output::Stderr(bytes) => err.write_all(&bytes),
            Output::Log { line, .. } | Output::Report(line) => err.write_all(&line).and_then(|()| err.write_all(b"\n")),
        };
    }

    /// Erases the progress line, if one is drawn: another line is about to be written.
    fn clear_progress(&mut self) {
        if let Some(progress) = &mut self.progress {
            progress.clear();
        }
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
            Note::NoFinal { at, command, after } => format!(
                "{at}: `{command}` sent no final result code ({} of silence after its answer)",
                format_duration(after)
            ),
        };
        self.event(at, "note", text);
    }
}

/// Runs `vm` to the end on `port`. The outcome's code is the process exit code.
pub fn run(vm: &mut Machine, port: &mut dyn Port, transcript: &mut Transcript) -> ExitStatus {
    run_until(vm, port, transcript, &AtomicBool::new(false))
}

/// [`run`], which also ends, hanging up as on a signal, once `stop` is set (by another
/// thread: a bank of ports stopping at the first failure, an embedding program shutting
/// down): whoever sets it then calls `port::wake::wake_all()` to end the wait in progress.
///
/// A wait blocks in the port for its whole length: a session waiting a minute for its modem
/// uses no CPU.
pub fn run_until(vm: &mut Machine, port: &mut dyn Port, transcript: &mut Transcript, stop: &AtomicBool) -> ExitStatus {
    let _wakeable = crate::port::wake::register();
    transcript.begin(&port.recorded_name());
    let start = port.now();
    let outcome = run_from(vm, port, transcript, start, stop);
    // Before the closing note, and the message the caller prints.
    transcript.clear_progress();
    transcript.ended(port.now().saturating_sub(start), &outcome);
    if let Some(note) = port.closing_note() {
        transcript.closing_note(note);
    }
    outcome
}

fn run_from(
    vm: &mut Machine,
    port: &mut dyn Port,
    transcript: &mut Transcript,
    start: Duration,
    stop: &AtomicBool,
) -> ExitStatus {
    let mut reply = Reply::Ok;
    let mut buf = vec![0u8; FIRST_CHUNK];
    loop {
        if stop.load(Ordering::SeqCst) {
            return hang_up(port, "stopped: another session failed".to_string());
        }
        // Output the user asked for (`say`, `print`, `-v`) that cannot be written is an I/O
        // error.
        if let Some(e) = transcript.stderr_failed.take() {
            let message = format!("cannot write to standard error: {e}");
            return ExitStatus { code: 2, message: Some(message) };
        }
        if let Some(e) = transcript.stdout_failed.take() {
            let message = format!("cannot write to standard output: {e}");
            return ExitStatus { code: 2, message: Some(message) };
        }
        // Read, not taken: every session of a bank stops on the one signal.
        let signal = STOP_SIGNAL.load(Ordering::SeqCst);
        if signal != 0 && !(signal == libc::SIGHUP && vm.ignores_hangup()) {
            flush_received(vm, transcript, port.now() - start);
            if transcript.keep_lines_on_stop {
                return ExitStatus { code: 2, message: Some(signal_name(signal).to_string()) };
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
        // When the progress line is next due, if it is on and a wait runs: the wait is cut
        // there. Without it a wait blocks for its whole length.
        let redraw = transcript.progress.as_mut().and_then(|p| p.tick(vm.awaiting().as_ref(), now));
        reply = match effect {
            Effect::Done(outcome) => {
                flush_received(vm, transcript, now - start);
                return outcome;
            }
            Effect::Say(text) => {
                transcript.say(now - start, text);
                Reply::Ok
            }
            Effect::Print(text) => {
                transcript.print(now - start, text, port.owns_stdout());
                Reply::Ok
            }
            Effect::Write { bytes, pace, secret } => {
                if transcript.enabled() {
                    transcript.bytes_event(now - start, "send", &redact::mask(&bytes, &secret));
                }
                port.secret_in_next_write(bytes.len(), secret.ranges());
                let ignores_hangup = vm.ignores_hangup();
                let stop = || stop_requested(ignores_hangup);
                match paced_write(port, &bytes, pace, stop, |port, t| {
                    read_into(vm, port, &mut buf, t, transcript, start)
                }) {
                    Ok(()) => Reply::Ok,
                    Err(e) => {
                        let reply = failed(e);
                        transcript.port_failed(port.now().saturating_sub(start), &reply);
                        reply
                    }
                }
            }
            Effect::Wait { until } => {
                let timeout = until.map_or(IDLE_WAIT, |u| u.saturating_sub(now).min(IDLE_WAIT));
                let timeout = redraw.map_or(timeout, |r| r.min(timeout));
                match read_into(vm, port, &mut buf, timeout, transcript, start) {
                    Ok(()) => Reply::Ok,
                    Err(e) => {
                        let reply = failed(e);
                        transcript.port_failed(port.now().saturating_sub(start), &reply);
                        reply
                    }
                }
            }
            Effect::QueryCarrier => {
                let reply = match port.carrier() {
                    Ok(up) => Reply::Carrier(up),
                    Err(e) => failed(e),
                };
                transcript.carrier(now - start, &reply);
                reply
            }
            Effect::Control(control) => {
                transcript.event(now - start, "control", format!("{control:?}"));
                let reply = perform(port, control);
                transcript.performed(now - start, control, &reply);
                reply
            }
        };
    }
}

/// Writes one whole line to stdout under its lock and flushes it, so the lines of a bank's
/// sessions never interleave and a reader (a shell's `$(...)`, a pipe) gets each result as
/// it comes. Fails on a full disk (ENOSPC) or a reader gone (EPIPE; SIGPIPE is ignored).
fn write_stdout_line(line: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(line)?;
    out.flush()
}

/// What the JSON log shows of bytes: `text`, the bytes as UTF-8 (one JSON escaping, so a
/// reader gets the modem's text back with any JSON parser); when they are not valid UTF-8
/// (a Latin-1 byte, line noise) the text has U+FFFD in their place and `hex` holds the
/// exact bytes.
fn log_text(bytes: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    fields.insert("text".into(), String::from_utf8_lossy(bytes).into_owned().into());
    if std::str::from_utf8(bytes).is_err() {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        fields.insert("hex".into(), hex.into());
    }
    fields
}

/// Reads once (up to `timeout`) and feeds what arrived to the machine. A read that fills
/// `buf` doubles it (up to [`CHUNK`]) for the next one: a burst costs a few more reads, and a
/// session that never sees one keeps a small buffer.
fn read_into(
    vm: &mut Machine,
    port: &mut dyn Port,
    buf: &mut Vec<u8>,
    timeout: Duration,
    transcript: &mut Transcript,
    start: Duration,
) -> Result<(), PortError> {
    let n = port.read(buf, timeout)?;
    if n == buf.len() && n < CHUNK {
        buf.resize((n * 2).min(CHUNK), 0);
    }
    if n > 0 {
        let shown = vm.feed(&buf[..n]);
        if transcript.enabled() && !shown.is_empty() {
            transcript.bytes_event(port.now() - start, "recv", &shown);
        }
    }
    Ok(())
}

/// The end of a run: what the machine still held back of the bytes received (a secret's
/// echo under way) goes to the transcript, masked.
fn flush_received(vm: &mut Machine, transcript: &mut Transcript, at: Duration) {
    let rest = vm.flush_shown();
    if !rest.is_empty() {
        transcript.bytes_event(at, "recv", &rest);
    }
}

/// Whether a signal asks to stop (SIGHUP not, while it is ignored). Leaves the signal for
/// the loop, which stops the run.
fn stop_requested(ignores_hangup: bool) -> bool {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => false,
        libc::SIGHUP => !ignores_hangup,
        _ => true,
    }
}

/// Writes `bytes`, one at a time with a pause if paced; `wait(port, timeout)` reads what
/// arrives meanwhile so it is kept for the script. A paced write can take minutes, so
/// between bytes and every [`READ_SLICE`] of a pause it asks `stop()`, and gives up the
/// rest of the line when a signal came: the caller then stops as it does for any signal.
fn paced_write(
    port: &mut dyn Port,
    bytes: &[u8],
    pace: Option<Duration>,
    stop: impl Fn() -> bool,
    mut wait: impl FnMut(&mut dyn Port, Duration) -> Result<(), PortError>,
) -> Result<(), PortError> {
    let Some(pace) = pace.filter(|p| !p.is_zero()) else {
        return port.write_all(bytes);
    };
    for byte in bytes {
        if stop() {
            return Ok(());
        }
        port.write_all(std::slice::from_ref(byte))?;
        let until = port.now().saturating_add(pace);
        loop {
            let now = port.now();
            if now >= until || stop() {
                break;
            }
            wait(port, (until - now).min(READ_SLICE))?;
        }
    }
    Ok(())
}

/// Performs a modem-control effect.
fn perform(port: &mut dyn Port, control: Control) -> Reply {
    let result = match control {
        Control::Dtr(on) => port.set_dtr(on),
        Control::Rts(on) => port.set_rts(on),
        Control::Break(d) => port.send_break(d),
        Control::Baud(b) => port.set_baud(b),
        Control::DiscardInput => port.discard_input(),
        Control::WriteDeadline(deadline) => port.set_write_deadline(deadline),
    };
    match result {
        Ok(()) => Reply::Ok,
        Err(e) => failed(e),
    }
}

/// The VM's view of a port error: its message, and whether the port cannot do this at all.
fn failed(error: PortError) -> Reply {
    Reply::Failed(Failure { unsupported: matches!(error, PortError::Unsupported { .. }), message: error.to_string() })
}

/// SIGINT/SIGTERM/SIGHUP: drop DTR (hang up) where the port can, then exit 2.
fn stop_on_signal(port: &mut dyn Port, signal: i32) -> ExitStatus {
    hang_up(port, format!("stopped by {}", signal_name(signal)))
}

/// Drops DTR (hangs up) where the port can, then ends with exit 2 and `message`.
fn hang_up(port: &mut dyn Port, message: String) -> ExitStatus {
    if std::env::var_os("ATCHAT_NO_HANGUP_ON_SIGNAL").is_none() && port.set_dtr(false).is_ok() {
        port.pause(crate::bytecode::compiler::HANGUP_DTR_LOW);
        let _ = port.set_dtr(true);
    }
    ExitStatus { code: 2, message: Some(message) }
}

// ---------------------------------------------------------------- watched runs (REPL, debugger)

/// What the REPL and the step debugger see of a run as it happens, and where it stops.
pub trait Watch {
    /// Bytes were written to the modem (`now` is the port's clock), as they may be shown:
    /// secret bytes as `***`.
    fn sent(&mut self, now: Duration, bytes: &[u8]);
    /// Bytes arrived from the modem, as they may be shown: the echo of a secret as `***`.
    fn received(&mut self, now: Duration, bytes: &[u8]);
    /// The script said something.
    fn said(&mut self, now: Duration, text: &str);
    /// The script printed a result (`print`).
    fn printed(&mut self, now: Duration, text: &str);
    /// A modem-control operation was performed.
    fn control(&mut self, now: Duration, control: Control);
    /// Whether to stop before instruction `pc` at call depth `depth` (a breakpoint, a step).
    fn stop_before(&mut self, program: &crate::bytecode::Program, pc: usize, depth: usize) -> bool;
}

/// Why [`run_watched`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The run is over.
    Done(ExitStatus),
    /// [`Watch::stop_before`] asked to stop; running again continues from there.
    Paused,
    /// Ctrl-C (SIGINT, after [`install_signal_handlers`]): the machine is left as it was, in
    /// the middle of a wait perhaps.
    Interrupted,
}

/// Runs `vm` on `port` until it ends, `watch` stops it, or Ctrl-C. Reads are sliced to
/// [`READ_SLICE`], so Ctrl-C is noticed within that time even during a 60 s wait. SIGTERM and
/// SIGHUP end the run as in [`run`]. `resumed` says the previous run stopped with
/// [`Stopped::Paused`]: the instruction it stopped before is then run without asking again.
pub fn run_watched(vm: &mut Machine, port: &mut dyn Port, watch: &mut dyn Watch, resumed: bool) -> Stopped {
    let mut reply = Reply::Ok;
    let mut buf = vec![0u8; CHUNK];
    let mut first = resumed;
    loop {
        match STOP_SIGNAL.swap(0, Ordering::SeqCst) {
            0 => {}
            libc::SIGINT => return Stopped::Interrupted,
            signal => return Stopped::Done(stop_on_signal(port, signal)),
        }
        let now = port.now();
        let mut stop = |program: &crate::bytecode::Program, pc: usize, depth: usize| {
            if std::mem::take(&mut first) {
                return false;
            }
            watch.stop_before(program, pc, depth)
        };
        let Some(effect) = vm.resume_until(now, std::mem::replace(&mut reply, Reply::Ok), &mut stop) else {
            return Stopped::Paused;
        };
        // Only the very first instruction of a resumed run skips the check.
        first = false;
        vm.take_notes();
        reply = match effect {
            Effect::Done(outcome) => return Stopped::Done(outcome),
            Effect::Say(text) => {
                watch.said(now, &text);
                Reply::Ok
            }
            Effect::Print(text) => {
                watch.printed(now, &text);
                Reply::Ok
            }
            Effect::Write { bytes, pace, secret } => {
                watch.sent(now, &redact::mask(&bytes, &secret));
                port.secret_in_next_write(bytes.len(), secret.ranges());
                let stop = || STOP_SIGNAL.load(Ordering::SeqCst) != 0;
                match paced_write(port, &bytes, pace, stop, |port, t| {
                    poll_watched(Some(&mut *vm), port, watch, &mut buf, t).map(|_| ())
                }) {
                    Ok(()) => Reply::Ok,
                    Err(e) => failed(e),
                }
            }
            Effect::Wait { until } => {
                let timeout = until.map_or(READ_SLICE, |u| u.saturating_sub(now).min(READ_SLICE));
                match poll_watched(Some(vm), port, watch, &mut buf, timeout) {
                    Ok(_) => Reply::Ok,
                    Err(e) => failed(e),
                }
            }
            Effect::QueryCarrier => match port.carrier() {
                Ok(up) => Reply::Carrier(up),
                Err(e) => failed(e),
            },
            Effect::Control(control) => {
                watch.control(now, control);
                perform(port, control)
            }
        };
    }
}

/// Reads once, up to `timeout`: what arrives goes to `vm` if given (the REPL listens for
/// unsolicited codes between entries this way) and to `watch`, as the machine says it may
/// be shown (a secret's echo masked). Returns how many bytes came.
pub fn poll_watched(
    vm: Option<&mut Machine>,
    port: &mut dyn Port,
    watch: &mut dyn Watch,
    buf: &mut [u8],
    timeout: Duration,
) -> Result<usize, PortError> {
    let n = port.read(buf, timeout)?;
    if n > 0 {
        let now = port.now();
        let shown = match vm {
            Some(vm) => vm.feed(&buf[..n]),
            None => std::borrow::Cow::Borrowed(&buf[..n]),
        };
        if !shown.is_empty() {
            watch.received(now, &shown);
        }
    }
    Ok(n)
}

/// The signal (SIGINT, SIGTERM, SIGHUP) that arrived since the last call, if any, once
/// [`install_signal_handlers`] routed them here. The REPL asks between entries.
pub fn take_signal() -> Option<i32> {
    match STOP_SIGNAL.swap(0, Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// What a recording keeps of a line operation; `None` for what the modem sees nothing of:
/// how long a write may wait is the port's business (chat's alarm), and a replay has
/// nothing to check it against.
pub fn recorded_action(control: Control) -> Option<Action> {
    Some(match control {
        Control::Dtr(on) => Action::Dtr(on),
        Control::Rts(on) => Action::Rts(on),
        Control::Break(d) => Action::Break(d),
        Control::Baud(b) => Action::Baud(b),
        Control::DiscardInput => Action::Flush,
        Control::WriteDeadline(_) => return None,
    })
}
