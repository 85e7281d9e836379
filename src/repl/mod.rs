//! `atchat repl` and `atchat run --debug`: a bench tool for talking to a modem.
//!
//! A line starting with `AT` is sent as it is and its reply shown as it arrives, timestamped
//! and classified; any statement of the language runs live in one session that keeps its
//! variables and handlers ([`session`]); `:` commands load a script and debug it
//! ([`debugger`]), show state, save the session as a script; `:term` passes keys straight to
//! the modem and back ([`passthrough`]). Entries come from rustyline on a terminal or line by
//! line from a pipe ([`editor`]). Between entries the loop listens to the modem, and when it
//! speaks the session's `on` handlers get a look at once ([`session::Entry::idle`]). The modem is driven through
//! [`crate::driver::run_watched`], so Ctrl-C stops a wait, not the REPL.

pub mod debugger;
pub mod editor;
pub mod passthrough;
pub mod session;
pub mod session_recording;
pub mod table;
pub mod transcript;

/// A line on stderr. A stderr that cannot be written must not end the session with a panic.
macro_rules! stderr_line {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;

use crate::bytecode::Program;
use crate::driver::{self, Stopped, Watch};
use crate::lang::literal::{escape_bytes, format_duration, quote};
use crate::port::{self, Port, PortError, PortSpec, SerialOptions};
use crate::vm::{Control, Machine, Value};
use debugger::{Debuggee, StopAt};
use editor::{Input, Reader};
use passthrough::{Action, Keys, RawStdin};
use session::{Ended, Entry, Session};
use session_recording::SessionRecording;
use transcript::{Class, Lines, Style};

/// How long the loop listens to the modem between looks at the keyboard.
const IDLE_SLICE: Duration = Duration::from_millis(50);
/// The same in terminal mode, where each key waits at most this long to be sent.
const TERMINAL_SLICE: Duration = Duration::from_millis(10);

/// How to start the REPL.
#[derive(Default)]
pub struct Options {
    /// The modem, as `--port` takes it; `None` until `:port`.
    pub port: Option<String>,
    pub serial: SerialOptions,
    /// `atchat run --debug FILE`: load this script, stopped before its first line.
    pub debug: Option<PathBuf>,
    /// Params for the debugged script.
    pub params: IndexMap<String, String>,
}

/// Runs the REPL until `:quit`, Ctrl-D, the end of the piped input, SIGTERM or SIGHUP.
/// Returns the process exit code.
pub fn run(options: Options) -> u8 {
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut reader = if tty {
        match Reader::terminal(editor::history_path(), color) {
            Ok(r) => r,
            Err(e) => {
                stderr_line!("atchat: {e}; reading lines without editing");
                Reader::pipe()
            }
        }
    } else {
        Reader::pipe()
    };
    let session = match Session::new(std::env::current_dir().ok()) {
        Ok(s) => s,
        Err(e) => {
            stderr_line!("atchat: {}", e.message);
            return 1;
        }
    };
    let mut repl = Repl {
        session,
        debuggee: None,
        port: None,
        port_name: None,
        serial: options.serial,
        out: Out::new(Style { color }, port::monotonic_now()),
        buf: vec![0u8; 4096],
        tty,
    };
    driver::install_signal_handlers();
    if let Some(spec) = &options.port {
        if let Err(e) = repl.open(spec) {
            stderr_line!("atchat: {e}");
            return 2;
        }
    }
    if let Some(file) = &options.debug {
        if repl.port.is_none() {
            // The script may name its port; `--port` wins.
            let named = Debuggee::load(file, options.params.clone()).ok().and_then(|d| d.program.port);
            if let Some(spec) = named {
                if let Err(e) = repl.open(&spec) {
                    stderr_line!("atchat: {e}");
                    return 2;
                }
            }
        }
        match Debuggee::load(file, options.params.clone()) {
            Ok(d) => repl.debuggee = Some(d),
            Err(e) => {
                let _ = write!(std::io::stderr(), "{e}");
                return 1;
            }
        }
        repl.debug(StopAt::AnyLine);
    } else if tty {
        repl.out.print("atchat repl: AT lines go to the modem, statements run live; :help for more".into());
    }
    loop {
        let prompt = repl.prompt();
        reader.ask(&prompt);
        let input = loop {
            repl.out.prompting = reader.prompting();
            // The entry's prompt, or the continuation prompt inside a block.
            repl.out.prompt = reader.shown();
            if let Some(input) = reader.next(Duration::ZERO) {
                break input;
            }
            match driver::take_signal() {
                Some(libc::SIGINT) | None => {}
                Some(_) => return repl.quit(0),
            }
            repl.listen();
        };
        repl.out.prompting = false;
        match input {
            Input::Eof => return repl.quit(0),
            Input::Interrupted => continue,
            Input::Line(text) => {
                if let Flow::Quit = repl.handle(&text) {
                    return repl.quit(0);
                }
            }
        }
    }
}

/// What the loop does after an entry.
enum Flow {
    Go,
    Quit,
}

/// Where output goes, in what form.
struct Out {
    style: Style,
    lines: Lines,
    origin: Duration,
    hex: bool,
    log: Option<Box<dyn Write>>,
    /// `:record FILE`: the transcript being written.
    record: Option<SessionRecording>,
    /// A prompt is being edited (in raw mode): output goes above it.
    prompting: bool,
    prompt: String,
}

impl Out {
    fn new(style: Style, origin: Duration) -> Out {
        Out {
            style,
            lines: Lines::default(),
            origin,
            hex: false,
            log: None,
            record: None,
            prompting: false,
            prompt: String::new(),
        }
    }

    fn print(&mut self, text: String) {
        let mut stdout = std::io::stdout().lock();
        if self.prompting {
            // Clear the prompt line, print, draw the prompt again; what was typed comes back
            // with the next key (rustyline redraws the whole line then).
            let _ = write!(stdout, "\r\x1b[K{text}\r\n{}", self.prompt);
        } else {
            let _ = writeln!(stdout, "{text}");
        }
        let _ = stdout.flush();
    }

    fn at(&self, now: Duration) -> f64 {
        now.saturating_sub(self.origin).as_secs_f64()
    }

    /// A JSON line like `--log` writes: `{"t":1.2,"kind":"recv","text":"OK"}`.
    fn log(&mut self, at: f64, kind: &str, text: &str) {
        if let Some(log) = &mut self.log {
            let line = serde_json::json!({ "t": at, "kind": kind, "text": text });
            // A log that cannot be written must not stop the session.
            let _ = writeln!(log, "{line}");
        }
    }

    fn show_lines(&mut self, at: f64, found: Vec<(Class, String)>) {
        for (class, text) in found {
            self.log(at, class.label(), &text);
            let line = self.style.line(at, class, &text);
            self.print(line);
        }
    }
}

/// [`Watch`] for one run: prints everything, stops where asked.
struct Watching<'a> {
    out: &'a mut Out,
    stop: StopAt,
    breaks: &'a BTreeSet<u32>,
}

impl Watch for Watching<'_> {
    fn sent(&mut self, now: Duration, bytes: &[u8]) {
        let at = self.out.at(now);
        self.out.lines.sent(bytes);
        self.out.log(at, "send", &escape_bytes(bytes));
        if let Some(r) = &mut self.out.record {
            r.sent(now, bytes);
        }
        let line = self.out.style.sent(at, bytes);
        self.out.print(line);
        if self.out.hex {
            for l in transcript::hex_dump(bytes) {
                self.out.print(l);
            }
        }
    }

    fn received(&mut self, now: Duration, bytes: &[u8]) {
        let at = self.out.at(now);
        if let Some(r) = &mut self.out.record {
            r.received(now, bytes);
        }
        if self.out.hex {
            for l in transcript::hex_dump(bytes) {
                self.out.print(l);
            }
        }
        let found = self.out.lines.received(bytes);
        self.out.show_lines(at, found);
    }

    fn said(&mut self, now: Duration, text: &str) {
        let at = self.out.at(now);
        self.out.log(at, "say", text);
        if let Some(r) = &mut self.out.record {
            r.said(now, text);
        }
        let line = self.out.style.note(at, '!', text);
        self.out.print(line);
    }

    /// A result, as the script would print it: the text alone on stdout (where the REPL
    /// writes everything), not a labelled transcript line.
    fn printed(&mut self, now: Duration, text: &str) {
        let at = self.out.at(now);
        self.out.log(at, "print", text);
        self.out.print(text.to_string());
    }

    fn control(&mut self, now: Duration, control: Control) {
        let at = self.out.at(now);
        if let Some(r) = &mut self.out.record {
            r.control(now, control);
        }
        let text = match control {
            Control::Dtr(on) => format!("dtr {}", on_off(on)),
            Control::Rts(on) => format!("rts {}", on_off(on)),
            Control::Break(d) => format!("break {}", format_duration(d)),
            Control::Baud(b) => format!("baud {b}"),
            Control::DiscardInput => "flush".to_string(),
            Control::WriteDeadline(_) => "alarm".to_string(),
        };
        self.out.log(at, "control", &text);
        let line = self.out.style.note(at, '=', &text);
        self.out.print(line);
    }

    fn stop_before(&mut self, program: &Program, pc: usize, depth: usize) -> bool {
        self.stop.stops(program, pc, depth, self.breaks)
    }
}

/// Bytes to the screen as they are, in terminal mode.
fn raw_out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// The REPL's state.
struct Repl {
    session: Session,
    debuggee: Option<Debuggee>,
    port: Option<Box<dyn Port>>,
    port_name: Option<String>,
    serial: SerialOptions,
    out: Out,
    buf: Vec<u8>,
    /// Whether stdin and stdout are a terminal (`:term` needs one).
    tty: bool,
}

const HELP: &str = "\
AT...               send the line to the modem; the reply is shown classified
any statement       runs live: send, expect, on, let, proc, if, sleep, say, ...
+++                 escape to command mode (guard time, +++, guard time, OK)
:load FILE [N=V..]  load a script to debug (params as NAME=VALUE)
:run                run the loaded script from its start, stopping at breakpoints
:break [LINE|clear] set a breakpoint on a line of the loaded script; list them
:step  :next        run to the next statement (:next steps over procedure calls)
:continue           run to the next breakpoint or the end
:vars  :pending     variables; what is awaited, until when, and the handlers in force
:disasm             the bytecode of the loaded script (else of the session)
:hex on|off         show the bytes sent and received in hex too
:log FILE|off       write everything shown to FILE as JSON lines
:save FILE          write the session so far as a script
:record FILE        record the session from now on as --record does (replay:FILE plays
                    it back); :record alone stops and says where it went
:dtr on|off  :rts on|off  :break-signal [DUR]   modem control lines
:port P             use another modem (a device, tcp://, rfc2217://, sim:hayes, sim:gsm)
:term               terminal mode: keys go to the modem as typed (after CONNECT, the far
                    end); Ctrl-T q comes back to the prompt, Ctrl-T ? lists the other keys
:help  :quit        this text; leave (Ctrl-D too). Ctrl-C stops a wait.";

impl Repl {
    fn prompt(&self) -> String {
        match &self.debuggee {
            Some(d) if d.running() => "atchat (debug)> ".into(),
            _ => "atchat> ".into(),
        }
    }

    fn message(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        for line in text.trim_end().lines() {
            self.out.print(line.to_string());
        }
    }

    /// Opens the port `spec`, closing the current one first (a serial device's lock is
    /// released before another is taken).
    fn open(&mut self, spec: &str) -> Result<(), PortError> {
        self.port = None;
        self.port_name = None;
        let parsed: PortSpec = spec.parse()?;
        self.port = Some(port::open(&parsed, &self.serial)?);
        self.port_name = Some(spec.to_string());
        Ok(())
    }

    /// Listens to the modem for a moment while the user types: unsolicited codes show up.
    fn listen(&mut self) {
        let Some(mut port) = self.port.take() else {
            std::thread::sleep(IDLE_SLICE);
            return;
        };
        let breaks = BTreeSet::new();
        let mut buf = std::mem::take(&mut self.buf);
        let debugging = matches!(
            &self.debuggee,
            Some(Debuggee { vm: Some(vm), .. }) if vm.outcome().is_none()
        );
        let result = {
            let vm = match &mut self.debuggee {
                Some(Debuggee { vm: Some(vm), .. }) if debugging => vm,
                _ => &mut self.session.vm,
            };
            let mut watch = Watching { out: &mut self.out, stop: StopAt::Never, breaks: &breaks };
            driver::poll_watched(Some(vm), port.as_mut(), &mut watch, &mut buf, IDLE_SLICE)
        };
        self.buf = buf;
        match result {
            Ok(n) => {
                self.port = Some(port);
                // A handler fires when its line arrives, not at the next entry: the session
                // waits for no time, which runs the handlers the new input matches.
                if n > 0 && !debugging && self.session.vm.handler_count() > 0 {
                    self.run(&Entry::idle());
                }
            }
            Err(e) => {
                self.message(format!("error: {e}; the port is closed (:port P opens another)"));
                self.port_name = None;
            }
        }
    }

    fn quit(&mut self, code: u8) -> u8 {
        self.stop_recording();
        // Dropping the port releases it (and its lock).
        self.port = None;
        if let Some(log) = &mut self.out.log {
            let _ = log.flush();
        }
        code
    }

    fn handle(&mut self, text: &str) -> Flow {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Flow::Go;
        }
        let at = self.out.at(port::monotonic_now());
        self.out.log(at, "input", trimmed);
        if let Some(command) = trimmed.strip_prefix(':') {
            return self.command(command);
        }
        self.entry(text);
        Flow::Go
    }

    /// Runs an entry in the session.
    fn entry(&mut self, text: &str) {
        self.run(&Entry::new(text));
    }

    /// Runs `entry` in the session: a typed one, or the REPL's own wait while idle.
    fn run(&mut self, entry: &Entry) {
        let Some(mut port) = self.port.take() else {
            self.message("error: no port open; `:port P` opens one (a device, tcp://host:port, sim:hayes)");
            return;
        };
        if let Err(rejected) = self.session.start(entry) {
            self.port = Some(port);
            self.message(rejected.message);
            return;
        }
        self.out.lines.numeric = self.session.vm.numeric();
        let breaks = BTreeSet::new();
        let mut watch = Watching { out: &mut self.out, stop: StopAt::Never, breaks: &breaks };
        let stopped = driver::run_watched(&mut self.session.vm, port.as_mut(), &mut watch, false);
        self.port = Some(port);
        self.flush_lines();
        let outcome = match stopped {
            Stopped::Done(o) => Some(o),
            Stopped::Paused | Stopped::Interrupted => None,
        };
        let result = self.out.lines.last_result.clone().filter(|_| entry.at.is_some());
        match self.session.finish(entry, outcome, result.as_deref()) {
            Ended::Completed => {}
            Ended::Dropped(o) if !entry.keep => {
                let what = o.message.unwrap_or_else(|| format!("exit {}", o.code));
                self.message(format!("{what} (exit {}, in a handler)", o.code));
            }
            Ended::Dropped(o) => {
                let what = o.message.unwrap_or_else(|| format!("exit {}", o.code));
                self.message(format!("{what} (exit {}; the entry is not kept in the session)", o.code));
            }
        }
    }

    /// Shows what is left of a line without its end (a prompt, say).
    fn flush_lines(&mut self) {
        let at = self.out.at(port::monotonic_now());
        let found = self.out.lines.flush();
        self.out.show_lines(at, found);
    }

    fn command(&mut self, command: &str) -> Flow {
        let (name, arg) = command.split_once(char::is_whitespace).unwrap_or((command, ""));
        let arg = arg.trim();
        match name {
            "quit" | "q" | "exit" => return Flow::Quit,
            "help" | "h" | "?" => self.message(HELP),
            "load" => self.load(arg),
            "run" => {
                if let Some(d) = &mut self.debuggee {
                    if let Err(e) = d.start() {
                        self.message(format!("error: {e}"));
                        return Flow::Go;
                    }
                }
                self.debug(StopAt::Breakpoints);
            }
            "step" | "s" => self.debug(StopAt::AnyLine),
            "next" | "n" => {
                let depth = self.debuggee.as_ref().and_then(|d| d.vm.as_ref()).map_or(1, |vm| vm.depth());
                self.debug(StopAt::Depth(depth));
            }
            "continue" | "c" => self.debug(StopAt::Breakpoints),
            "break" | "b" => self.breakpoint(arg),
            "vars" => self.vars(),
            "pending" => self.pending(),
            "disasm" => {
                let program = match &self.debuggee {
                    Some(d) => d.program.clone(),
                    None => self.session.vm.program().clone(),
                };
                self.message(crate::bytecode::disassembler::disassemble(&program));
            }
            "hex" => match arg {
                "on" | "off" => self.out.hex = arg == "on",
                _ => self.message("usage: :hex on|off"),
            },
            "log" => self.log(arg),
            "save" => self.save(arg),
            "record" => self.record(arg),
            "dtr" | "rts" => match arg {
                "on" | "off" => self.entry(&format!("{name} {arg}")),
                _ => self.message(format!("usage: :{name} on|off")),
            },
            "break-signal" => self.entry(&format!("break {arg}")),
            "term" => return self.terminal(),
            "port" => {
                if arg.is_empty() {
                    let name = self.port_name.clone().unwrap_or_else(|| "no port open".into());
                    self.message(name);
                } else if let Err(e) = {
                    // A transcript is of one modem: another port ends it.
                    self.stop_recording();
                    self.open(arg)
                } {
                    self.message(format!("error: {e}"));
                } else {
                    self.message(format!("port {arg} open"));
                }
            }
            other => self.message(format!("error: no command `:{other}`; :help lists them")),
        }
        Flow::Go
    }

    /// `:term`: keys to the modem as typed, its bytes to the screen as they come, until
    /// Ctrl-T q (see [`passthrough`]). What passes is not classified, not fed to the session
    /// (its handlers do not see it) and goes to `:log` as `send`/`recv`.
    fn terminal(&mut self) -> Flow {
        if !self.tty {
            self.message("error: :term needs a terminal (stdin and stdout)");
            return Flow::Go;
        }
        if self.port.is_none() {
            self.message("error: no port open; `:port P` opens one");
            return Flow::Go;
        }
        self.flush_lines();
        self.message(
            "terminal mode: keys go to the modem as typed; Ctrl-T q returns to the prompt, Ctrl-T ? lists the keys",
        );
        let raw = match RawStdin::enter() {
            Ok(raw) => raw,
            Err(e) => {
                self.message(format!("error: cannot make the terminal raw: {e}"));
                return Flow::Go;
            }
        };
        let Some(mut port) = self.port.take() else {
            return Flow::Go;
        };
        let mut keys = Keys::default();
        let mut typed = [0u8; 1024];
        let mut flow = Flow::Go;
        let mut failure = None;
        'mode: loop {
            if let Some(signal) = driver::take_signal() {
                if signal != libc::SIGINT {
                    flow = Flow::Quit;
                    break;
                }
            }
            let n = match raw.read(&mut typed, 0) {
                Ok(n) => n,
                // The terminal is gone: nobody is left to type.
                Err(_) => {
                    flow = Flow::Quit;
                    break;
                }
            };
            for action in keys.feed(&typed[..n]) {
                let done = match action {
                    Action::Send(bytes) => {
                        let now = port.now();
                        let at = self.out.at(now);
                        self.out.log(at, "send", &escape_bytes(&bytes));
                        if let Some(r) = &mut self.out.record {
                            r.sent(now, &bytes);
                        }
                        port.write_all(&bytes)
                    }
                    Action::Command(passthrough::Command::Quit) => break 'mode,
                    Action::Command(passthrough::Command::Break) => {
                        let (now, length) = (port.now(), Duration::from_millis(250));
                        if let Some(r) = &mut self.out.record {
                            r.control(now, Control::Break(length));
                        }
                        port.send_break(length)
                    }
                    Action::Command(passthrough::Command::Help) => {
                        raw_out(passthrough::HELP.as_bytes());
                        Ok(())
                    }
                };
                if let Err(e) = done {
                    failure = Some(e);
                    break 'mode;
                }
            }
            match port.read(&mut self.buf, TERMINAL_SLICE) {
                Ok(0) => {}
                Ok(n) => {
                    let now = port.now();
                    let at = self.out.at(now);
                    self.out.log(at, "recv", &escape_bytes(&self.buf[..n]));
                    if let Some(r) = &mut self.out.record {
                        r.received(now, &self.buf[..n]);
                    }
                    raw_out(&self.buf[..n]);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(raw);
        // The modem's last line may not have ended: the prompt starts on a line of its own.
        self.out.print(String::new());
        match failure {
            Some(e) => {
                self.port_name = None;
                self.message(format!("error: {e}; the port is closed (:port P opens another)"));
            }
            None => {
                self.port = Some(port);
                self.message("back at the prompt (:term returns to the modem)");
            }
        }
        flow
    }

    fn load(&mut self, arg: &str) {
        let mut words = arg.split_whitespace();
        let Some(file) = words.next() else {
            self.message("usage: :load FILE [NAME=VALUE ...]");
            return;
        };
        let mut params = IndexMap::new();
        for w in words {
            match w.split_once('=') {
                Some((k, v)) => {
                    params.insert(k.to_string(), v.to_string());
                }
                None => {
                    self.message(format!("error: `{w}` is not NAME=VALUE"));
                    return;
                }
            }
        }
        match Debuggee::load(Path::new(file), params) {
            Ok(d) => {
                let lines = d.sources.files.first().map_or(0, |f| f.text.lines().count());
                self.debuggee = Some(d);
                self.message(format!("loaded {file} ({lines} lines): :break LINE, :step or :run"));
            }
            Err(e) => self.message(e),
        }
    }

    /// Runs the loaded script until it stops as `stop` says; starts it if needed.
    fn debug(&mut self, stop: StopAt) {
        let Some(d) = &mut self.debuggee else {
            self.message("error: no script loaded; :load FILE");
            return;
        };
        if d.vm.as_ref().map_or(true, |vm| vm.outcome().is_some()) {
            if let Err(e) = d.start() {
                self.message(format!("error: {e}"));
                return;
            }
        }
        let Some(mut port) = self.port.take() else {
            self.message("error: no port open; `:port P` opens one");
            return;
        };
        let Some(vm) = d.vm.as_mut() else { return };
        self.out.lines.numeric = vm.numeric();
        let mut watch = Watching { out: &mut self.out, stop, breaks: &d.breaks };
        let stopped = driver::run_watched(vm, port.as_mut(), &mut watch, d.paused);
        self.port = Some(port);
        d.paused = stopped == Stopped::Paused;
        let location = d.location().unwrap_or_default();
        self.flush_lines();
        match stopped {
            Stopped::Paused => self.message(format!("stopped at {location}")),
            Stopped::Interrupted => self.message(format!("interrupted at {location}; :continue goes on")),
            Stopped::Done(o) => {
                let what = o.message.map(|m| format!(": {m}")).unwrap_or_default();
                self.message(format!("script ended with exit {}{what}", o.code));
            }
        }
    }

    fn breakpoint(&mut self, arg: &str) {
        let Some(d) = &mut self.debuggee else {
            self.message("error: no script loaded; :load FILE");
            return;
        };
        if arg.is_empty() {
            let list: Vec<String> = d.breaks.iter().map(u32::to_string).collect();
            let text =
                if list.is_empty() { "no breakpoints".to_string() } else { format!("breakpoints: {}", list.join(" ")) };
            self.message(text);
            return;
        }
        if arg == "clear" {
            d.breaks.clear();
            self.message("breakpoints cleared");
            return;
        }
        let (remove, number) = match arg.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, arg),
        };
        let Ok(line) = number.parse::<u32>() else {
            self.message("usage: :break LINE, :break -LINE, :break clear");
            return;
        };
        if remove {
            d.breaks.remove(&line);
            self.message(format!("breakpoint at line {line} removed"));
        } else if d.has_statement(line) {
            d.breaks.insert(line);
            self.message(format!("breakpoint at line {line}"));
        } else {
            let file = d.file.display().to_string();
            self.message(format!("error: no statement starts on line {line} of {file}"));
        }
    }

    /// The machine `:vars` and `:pending` look at: the debugged script once started.
    fn inspected(&self) -> &Machine {
        match &self.debuggee {
            Some(Debuggee { vm: Some(vm), .. }) => vm,
            _ => &self.session.vm,
        }
    }

    fn vars(&mut self) {
        let vars = self.inspected().variables();
        if vars.is_empty() {
            self.message("no variables");
        }
        for (name, value) in vars {
            let shown = match value {
                Value::Unset => "(no value)".to_string(),
                Value::Int(i) => i.to_string(),
                Value::Duration(d) => format_duration(d),
                Value::Str(s) => quote(&s),
                Value::Secret(s) => quote(&s.shown()),
            };
            self.message(format!("{name} = {shown}"));
        }
    }

    fn pending(&mut self) {
        let now = self.port.as_ref().map_or_else(port::monotonic_now, |p| p.now());
        let vm = self.inspected();
        let handlers = vm.handlers_in_force();
        let mut text = String::new();
        match vm.awaiting() {
            Some(p) => {
                let patterns: Vec<String> = p
                    .patterns
                    .iter()
                    .map(|(t, by_handler)| if *by_handler { format!("{t} (on)") } else { t.clone() })
                    .collect();
                let deadline = match p.deadline {
                    Some(d) if d > now => {
                        format!(", {} left", format_duration(Duration::from_millis((d - now).as_millis() as u64)))
                    }
                    Some(_) => ", deadline passed".to_string(),
                    None => String::new(),
                };
                let idle = p.idle.map(|i| format!(", idle {}", format_duration(i))).unwrap_or_default();
                let what = if patterns.is_empty() { String::new() } else { format!(": {}", patterns.join(" | ")) };
                text.push_str(&format!("line {}: {}{what}{deadline}{idle}\n", p.line, p.kind));
            }
            None => text.push_str("nothing awaited\n"),
        }
        if !handlers.is_empty() {
            text.push_str(&format!("handlers in force: {}\n", handlers.join(", ")));
        }
        self.message(text);
    }

    fn log(&mut self, arg: &str) {
        if arg.is_empty() || arg == "off" {
            self.out.log = None;
            self.message("log off");
            return;
        }
        match std::fs::File::create(arg) {
            Ok(f) => {
                self.out.log = Some(Box::new(std::io::LineWriter::new(f)));
                self.message(format!("logging to {arg}"));
            }
            Err(e) => self.message(format!("error: cannot write `{arg}`: {e}")),
        }
    }

    fn save(&mut self, arg: &str) {
        if arg.is_empty() {
            self.message("usage: :save FILE");
            return;
        }
        let script = self.session.script(self.port_name.as_deref());
        match std::fs::write(arg, script) {
            Ok(()) => self.message(format!("saved {} entries to {arg}", self.session.saved.len())),
            Err(e) => self.message(format!("error: cannot write `{arg}`: {e}")),
        }
    }

    /// `:record FILE` starts a transcript of the session from now on; `:record` alone stops
    /// it (and says where it went, or that nothing is being recorded).
    fn record(&mut self, arg: &str) {
        if arg.is_empty() {
            if self.out.record.is_none() {
                self.message("not recording; `:record FILE` starts");
            }
            self.stop_recording();
            return;
        }
        if let Some(r) = &self.out.record {
            let path = r.path().display().to_string();
            self.message(format!("error: already recording to {path}; `:record` stops it"));
            return;
        }
        let Some(port) = &self.port else {
            self.message("error: no port open; `:port P` opens one, then `:record FILE`");
            return;
        };
        match SessionRecording::start(Path::new(arg), &port.recorded_name(), port.now()) {
            Ok(r) => {
                self.out.record = Some(r);
                self.message(format!("recording to {arg}; `:record` stops (play it back with --port replay:{arg})"));
            }
            Err(e) => self.message(format!("error: cannot write `{arg}`: {e}")),
        }
    }

    /// Ends the transcript being written, if any, and says where it went.
    fn stop_recording(&mut self) {
        let Some(r) = self.out.record.take() else { return };
        let now = self.port.as_ref().map_or_else(port::monotonic_now, |p| p.now());
        match r.stop(now) {
            Ok(path) => self.message(format!("recorded to {}", path.display())),
            Err(e) => self.message(format!("error: the recording is incomplete: {e}")),
        }
    }
}
