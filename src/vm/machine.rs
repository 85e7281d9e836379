//! The machine: runs a [`Program`] one effect at a time.
//!
//! The machine never performs I/O and never sleeps. [`Machine::resume`] runs instructions
//! until one needs the outside world and returns it as an [`Effect`]; the driver performs it
//! and calls `resume` again with the [`Reply`] and the current time. Bytes from the modem are
//! handed in with [`Machine::feed`] whenever they arrive. Time is whatever the driver says it
//! is, so tests run hours of timeouts on virtual time.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use super::effect::{Control, Effect, ExitStatus, Failure, Reply};
use super::matcher::{Active, PatternSet, Scan, Scanner};
use super::monitor::Monitor;
use super::redact::{self, Redactor, SecretText};
use super::value::Value;
use crate::bytecode::{DurArg, Op, Program, VarRef};
use crate::lang::literal::{escape_bytes, format_duration};

/// The opcodes of the chat(8) front end, kept apart from the language's.
mod chat;
mod debug;
mod frames;
mod transaction;
mod wait;

use transaction::Txn;
pub use transaction::{MAX_LINE, REFUSED};

pub use debug::{main_end, Pending};

/// The default deadline of an `expect` before any `timeout` statement.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Input kept while no wait consumes it; beyond this the oldest bytes are dropped.
pub const MAX_PENDING_INPUT: usize = 64 * 1024;
/// The longest string a script can build: far beyond any AT command or reply, and a bound
/// on memory whatever the script does (`"{s}{s}"` in a loop doubles a string each time).
pub const MAX_STRING: usize = 64 * 1024;
/// How many recent bytes (as shown, secrets masked) are kept for failure messages.
const RECENT: usize = 80;
/// How often `wait carrier` polls the carrier line.
const CARRIER_POLL: Duration = Duration::from_millis(50);
/// Instructions run without an effect before the driver gets a turn (an empty wait): a
/// few milliseconds of work, so a signal is seen at once.
const YIELD_EVERY: u32 = 1 << 16;
/// `EndReport` waits at most this long for each further byte of a report line (chat's `alarm(1)`).
const REPORT_TAIL_SILENCE: Duration = Duration::from_secs(1);

/// Why a machine could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupError {
    /// The program failed to build its matcher.
    Patterns { reason: String },
    /// A required param has no value.
    MissingParam { name: String },
    /// A value was given for a name that is not a param.
    UnknownParam { name: String },
    /// A param that is a duration (its default is one, or the script waits that long, itself
    /// or through a procedure it passes the param to) was given something else. `shown` is
    /// the value, or `***` for a secret param; `why` says where the script uses it as one.
    NotADuration { name: String, shown: String, why: String },
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Patterns { reason } => write!(f, "bad pattern table: {reason}"),
            SetupError::MissingParam { name } => {
                write!(f, "param `{name}` needs a value: give it with `-D {name}=VALUE`")
            }
            SetupError::UnknownParam { name } => write!(f, "the script has no param `{name}`"),
            SetupError::NotADuration { name, shown, why } => write!(
                f,
                "param `{name}` is a duration ({why}), but was given `{shown}`: give a number \
                 of seconds or a duration such as `500ms`, `30s`, `2m`"
            ),
        }
    }
}

impl std::error::Error for SetupError {}

/// A step of the script that the transcript shows (`-v`, `--log`).
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A wait began: what it waits for, until when.
    Waiting { at: String, patterns: Vec<String>, deadline: Option<Duration> },
    /// A pattern matched.
    Matched { at: String, pattern: String, by_handler: bool },
    /// A wait reached its deadline.
    TimedOut { at: String, after: Duration },
    /// A retry block starts another attempt.
    Attempt { at: String, attempt: u32 },
    /// A `command`'s information arm matched, then no final result code came for `after`.
    NoFinal { at: String, command: String, after: Duration },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Main,
    Call,
    /// Running a handler's action; `Resume` goes back to the interrupted wait.
    Handler,
}

/// One entry of the call stack: the main script, a procedure call or a handler action.
#[derive(Debug, Clone)]
struct CallFrame {
    kind: FrameKind,
    return_pc: usize,
    locals_base: usize,
    /// Depths of the other stacks when the frame was entered, restored when it leaves.
    stack_height: usize,
    handler_depth: usize,
    scope_depth: usize,
    retry_depth: usize,
    timeout: Duration,
    /// For a handler frame: the wait to resume, or `None` to go on at `return_pc`.
    resume: Option<Wait>,
}

#[derive(Debug, Clone, Copy)]
struct ActiveHandler {
    handler: u32,
    /// The frame whose variables the handler's action uses.
    locals_base: usize,
}

#[derive(Debug, Clone)]
struct RetryState {
    table: u32,
    /// The `within` budget, resolved when the block started.
    budget: Option<Duration>,
    attempt: u32,
    first_start: Duration,
    attempt_start: Duration,
    frame_depth: usize,
    stack_height: usize,
    handler_depth: usize,
    scope_depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitKind {
    /// `Expect(w)` at `pc`.
    Expect(u32),
    /// `sleep`: handlers watched, input kept for the next expect.
    Sleep,
    /// Guard time, `hangup` pauses, the pause between retry attempts without handlers.
    Pause,
    /// The pause before the next attempt of a retry block (handlers watched).
    RetryPause,
    /// `wait carrier`.
    Carrier,
    /// `EndReport`: the rest of a report line, before exiting.
    ReportTail,
}

#[derive(Debug, Clone)]
struct Wait {
    kind: WaitKind,
    /// The instruction to go on at when the wait ends normally.
    next_pc: usize,
    /// The instruction that started the wait (for messages).
    pc: usize,
    started: Duration,
    deadline: Option<Duration>,
    idle: Option<Duration>,
    last_input: Duration,
    watch_handlers: bool,
    /// Matcher ids in priority order, and who owns each.
    ids: Vec<u32>,
    owners: Vec<Owner>,
    /// For `wait carrier`: when to ask again.
    next_poll: Duration,
    /// For `Transact`: the transaction's state; the wait reads lines, not a byte stream.
    txn: Option<Box<Txn>>,
    /// For `Await`: a final result code nothing takes ends the wait at once.
    strict: bool,
    /// For `Await`: the line begun in input already scanned.
    line: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Arm(usize),
    Handler(usize),
}

#[derive(Debug)]
enum State {
    Running,
    Waiting(Wait),
    /// An effect was handed out; its reply decides what comes next.
    Pending(PendingReply),
    Done(ExitStatus),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingReply {
    /// Any success goes on at the next instruction.
    Plain,
    /// `DropDtrOr`: an unsupported DTR jumps to the fallback.
    DropDtr { fallback: usize },
    /// A carrier query inside `wait carrier`.
    Carrier,
    /// A failure is ignored (`TryBreak`).
    IgnoreFailure,
}

/// The virtual machine. See the module documentation.
pub struct Machine {
    /// Shared by every machine running the same program: many sessions of one script
    /// keep one copy of the code and of the compiled patterns.
    program: Arc<Program>,
    set: Arc<PatternSet>,
    scanner: Scanner,
    /// Bytes from the modem not yet consumed by a wait.
    input: Vec<u8>,
    /// How much of `input` the current wait has already scanned.
    scanned: usize,
    input_arrived: bool,
    /// The last bytes received, as they may be shown.
    recent: VecDeque<u8>,
    /// What of the conversation may be shown: follows the echo of secrets sent.
    redactor: Redactor,
    pending_echo: Option<Vec<u8>>,
    stack: Vec<Value>,
    globals: Vec<Value>,
    locals: Vec<Value>,
    frames: Vec<CallFrame>,
    handlers: Vec<ActiveHandler>,
    scopes: Vec<usize>,
    retries: Vec<RetryState>,
    pc: usize,
    state: State,
    numeric: bool,
    /// Escape character (S2), line terminator (S3), guard time in fiftieths (S12).
    s2: u8,
    s3: u8,
    s12: u32,
    notes: Vec<Note>,
    last_failure: Option<ExitStatus>,
    /// The failure being handled is a `retry` action or statement: if no attempt is left,
    /// its message says how many there were.
    retry_requested: bool,
    /// A `wait carrier` parked while the driver answers `QueryCarrier`.
    carrier_wait: Option<Wait>,
    /// chat(8) programs: what happens to consumed input besides matching (see `monitor`).
    monitor: Option<Monitor>,
    /// Every received byte is ANDed with this (`MaskInput`).
    input_mask: u8,
    /// SIGHUP is to be ignored (`IgnoreHangup`).
    ignore_hangup: bool,
    /// Vendor final result codes declared by `DeclareFinal`.
    finals: Vec<Vec<u8>>,
    /// The modem said CONNECT and has not lost the carrier since: its lines are data.
    online: bool,
    /// The last line sent dials with a `;` at its end: a voice call (V.250 §6.3.1: the
    /// modem returns to command state after dialing), so its CONNECT does not go online.
    voice_dial: bool,
    /// The last line sent, as shown (a secret's bytes as `***`), for a `command`'s messages.
    last_sent: Vec<u8>,
    /// How much input was waiting when the last line was sent: none of it answers it.
    sent_mark: Option<usize>,
}

impl Machine {
    /// Prepares `program` to run with the given param values (`-D name=value`, environment).
    pub fn new(program: impl Into<Arc<Program>>, params: &IndexMap<String, String>) -> Result<Machine, SetupError> {
        let program = program.into();
        let set = Arc::new(Self::patterns(&program)?);
        Machine::with_patterns(program, set, params)
    }

    /// Compiles the matcher of `program`, for [`Machine::with_patterns`].
    pub fn patterns(program: &Program) -> Result<PatternSet, SetupError> {
        PatternSet::new(&program.patterns).map_err(|e| SetupError::Patterns { reason: e.to_string() })
    }

    /// Like [`Machine::new`], with the matcher [`Machine::patterns`] compiled for this same
    /// program: machines of one script share it instead of each compiling its own.
    pub fn with_patterns(
        program: Arc<Program>,
        set: Arc<PatternSet>,
        params: &IndexMap<String, String>,
    ) -> Result<Machine, SetupError> {
        for name in params.keys() {
            let known = program.globals.iter().any(|g| g.param.is_some() && &g.name == name);
            if !known {
                return Err(SetupError::UnknownParam { name: name.clone() });
            }
        }
        // Checked before anything runs, so a wrong value stops the script before its first
        // byte rather than when the line using it is reached.
        let mut durations = vec![None; program.globals.len()];
        for (slot, why) in crate::bytecode::duration_globals(&program) {
            if let Some(d) = durations.get_mut(slot) {
                *d = Some(why.describe(&program));
            }
        }
        for (slot, g) in program.globals.iter().enumerate() {
            let (Some(param), Some(given)) = (&g.param, params.get(&g.name)) else { continue };
            let default = param.default.and_then(|k| program.consts.get(k as usize));
            let why = match (default, durations[slot].take()) {
                (_, Some(used)) => used,
                (Some(crate::bytecode::program::Const::Duration(d)), None) => {
                    format!("its default is `{}`", format_duration(*d))
                }
                _ => continue,
            };
            if Value::Str(given.as_bytes().to_vec()).as_duration().is_none() {
                let shown = if param.secret { "***".to_string() } else { given.clone() };
                return Err(SetupError::NotADuration { name: g.name.clone(), shown, why });
            }
        }
        let mut globals = vec![Value::Unset; program.globals.len()];
        for (slot, g) in program.globals.iter().enumerate() {
            let Some(param) = &g.param else { continue };
            let value = match (params.get(&g.name), param.default) {
                (Some(v), _) => Value::Str(v.as_bytes().to_vec()),
                (None, Some(k)) => program.consts.get(k as usize).map(Value::from).unwrap_or_default(),
                (None, None) => return Err(SetupError::MissingParam { name: g.name.clone() }),
            };
            globals[slot] = param_value(value, param.secret);
        }
        let main = CallFrame {
            kind: FrameKind::Main,
            return_pc: 0,
            locals_base: 0,
            stack_height: 0,
            handler_depth: 0,
            scope_depth: 0,
            retry_depth: 0,
            timeout: DEFAULT_TIMEOUT,
            resume: None,
        };
        Ok(Machine {
            program,
            set,
            scanner: Scanner::new(),
            input: Vec::new(),
            scanned: 0,
            input_arrived: false,
            recent: VecDeque::with_capacity(RECENT),
            redactor: Redactor::new(),
            pending_echo: None,
            stack: Vec::new(),
            globals,
            locals: Vec::new(),
            frames: vec![main],
            handlers: Vec::new(),
            scopes: Vec::new(),
            retries: Vec::new(),
            pc: 0,
            state: State::Running,
            numeric: false,
            s2: b'+',
            s3: b'\r',
            s12: 50,
            notes: Vec::new(),
            last_failure: None,
            retry_requested: false,
            carrier_wait: None,
            monitor: None,
            input_mask: 0xFF,
            ignore_hangup: false,
            finals: Vec::new(),
            online: false,
            voice_dial: false,
            last_sent: Vec::new(),
            sent_mark: None,
        })
    }

    /// The program being run.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The instruction about to run (or the wait in progress).
    pub fn pc(&self) -> usize {
        match &self.state {
            State::Waiting(w) => w.pc,
            _ => self.pc,
        }
    }

    /// Transcript notes since the last call.
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    /// Hands the machine bytes that arrived from the modem. Returns what a transcript may
    /// show of them: the echo of a secret sent shows as `***`, and bytes that may be part
    /// of one are held back (shown by a later call, or by [`Machine::flush_shown`]).
    pub fn feed<'a>(&mut self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        if bytes.is_empty() {
            return std::borrow::Cow::Borrowed(bytes);
        }
        let start = self.input.len();
        self.input.extend_from_slice(bytes);
        if self.input_mask != 0xFF {
            let mask = self.input_mask;
            self.input[start..].iter_mut().for_each(|b| *b &= mask);
        }
        self.input_arrived = true;
        if self.input.len() > MAX_PENDING_INPUT {
            let excess = self.input.len() - MAX_PENDING_INPUT;
            self.input.drain(..excess);
            self.scanned = self.scanned.saturating_sub(excess);
        }
        let shown = self.redactor.received(bytes);
        self.remember(&shown);
        shown
    }

    /// Whatever [`Machine::feed`] still holds back, settled (a secret under way shows as
    /// `***`): for the end of a run.
    pub fn flush_shown(&mut self) -> Vec<u8> {
        let shown = self.redactor.flush();
        self.remember(&shown);
        shown
    }

    /// Keeps the last [`RECENT`] bytes shown, for messages.
    fn remember(&mut self, shown: &[u8]) {
        let tail = &shown[shown.len().saturating_sub(RECENT)..];
        let keep = RECENT - tail.len();
        let drop = self.recent.len().saturating_sub(keep);
        self.recent.drain(..drop);
        self.recent.extend(tail);
    }

    /// Runs until the next effect. `reply` answers the previous effect (`Reply::Ok` at first).
    pub fn resume(&mut self, now: Duration, reply: Reply) -> Effect {
        if let Some(effect) = self.take_reply(now, reply) {
            return effect;
        }
        let mut steps = 0u32;
        loop {
            match &self.state {
                State::Done(outcome) => return Effect::Done(outcome.clone()),
                State::Pending(_) => {
                    // A reply was expected but the driver resumed without one; treat as done.
                    self.state = State::Running;
                }
                State::Waiting(_) => match self.poll_wait(now) {
                    Some(effect) => return effect,
                    None => continue,
                },
                State::Running => {
                    if let Some(effect) = self.step(now) {
                        return effect;
                    }
                    // Code that loops without a wait or a write (nested `retry N times` that
                    // fail at once, a `.atcb` that jumps to itself) would keep the driver
                    // from ever seeing a signal: hand it a turn now and then. Running on
                    // after an empty wait changes nothing for the script.
                    steps += 1;
                    if steps == YIELD_EVERY {
                        return Effect::Wait { until: Some(now) };
                    }
                }
            }
        }
    }

    fn take_reply(&mut self, now: Duration, reply: Reply) -> Option<Effect> {
        let State::Pending(pending) = self.state else {
            if let Reply::Failed(failure) = reply {
                return Some(self.port_failure(failure));
            }
            return None;
        };
        self.state = State::Running;
        match (pending, reply) {
            (PendingReply::DropDtr { fallback }, Reply::Failed(Failure { unsupported: true, .. })) => {
                self.pc = fallback;
            }
            (PendingReply::IgnoreFailure, Reply::Failed(_)) => {}
            (_, Reply::Failed(failure)) => return Some(self.port_failure(failure)),
            (PendingReply::Carrier, Reply::Carrier(up)) => {
                if let Some(mut wait) = self.carrier_wait.take() {
                    if up {
                        self.pc = wait.next_pc;
                    } else {
                        wait.next_poll = now + CARRIER_POLL;
                        self.state = State::Waiting(wait);
                    }
                }
            }
            _ => {}
        }
        None
    }

    fn port_failure(&mut self, failure: Failure) -> Effect {
        // A port's message names the port and the OS error; a replay's shows what the
        // script wrote, its secret bytes as `***` (`Port::secret_in_next_write`).
        let message = format!("{}: {}", self.here(self.pc), failure.message);
        self.finish(ExitStatus { code: 2, message: Some(message) })
    }

    fn finish(&mut self, outcome: ExitStatus) -> Effect {
        self.state = State::Done(outcome.clone());
        Effect::Done(outcome)
    }

    /// `file:line` of instruction `pc`.
    fn here(&self, pc: usize) -> String {
        match self.program.location(pc) {
            Some((file, line)) => format!("{file}:{line}"),
            None => format!("pc {pc}"),
        }
    }

    /// The last bytes received, for a message: as shown (secrets masked, including one
    /// whose echo is still under way), escaped.
    fn recent_text(&self) -> String {
        let mut bytes: Vec<u8> = self.recent.iter().copied().collect();
        bytes.extend(self.redactor.held_view());
        escape_bytes(&bytes[bytes.len().saturating_sub(RECENT)..])
    }

    // ------------------------------------------------------------ instructions

    fn frame(&self) -> &CallFrame {
        // The main frame is never popped, so there is always one.
        &self.frames[self.frames.len() - 1]
    }

    fn pop(&mut self) -> Value {
        self.stack.pop().unwrap_or_default()
    }

    fn runtime_error(&mut self, message: String) -> Effect {
        let message = format!("{}: {}", self.here(self.pc), message);
        self.finish(ExitStatus { code: 1, message: Some(message) })
    }

    fn load(&self, var: VarRef) -> Option<&Value> {
        match var {
            VarRef::Global(g) => self.globals.get(g as usize),
            VarRef::Local(l) => self.locals.get(self.frame().locals_base + l as usize),
        }
    }

    fn store(&mut self, var: VarRef, value: Value) {
        let slot = match var {
            VarRef::Global(g) => self.globals.get_mut(g as usize),
            VarRef::Local(l) => {
                let base = self.frame().locals_base;
                self.locals.get_mut(base + l as usize)
            }
        };
        if let Some(slot) = slot {
            *slot = value;
        }
    }

    fn var_name(&self, var: VarRef) -> String {
        match var {
            VarRef::Global(g) => self.program.globals.get(g as usize).map(|g| g.name.clone()),
            VarRef::Local(l) => self
                .program
                .procs
                .iter()
                .filter(|p| (p.entry as usize) <= self.pc)
                .max_by_key(|p| p.entry)
                .and_then(|p| p.local_names.get(l as usize).cloned()),
        }
        .unwrap_or_else(|| "?".into())
    }

    /// Runs one instruction. Returns an effect when the driver must act.
    fn step(&mut self, now: Duration) -> Option<Effect> {
        let Some(op) = self.program.code.get(self.pc).cloned() else {
            return Some(self.finish(ExitStatus::success()));
        };
        let pc = self.pc;
        self.pc += 1;
        match op {
            Op::Const(k) => {
                let v = self.program.consts.get(k as usize).map(Value::from).unwrap_or_default();
                self.stack.push(v);
            }
            Op::Load(var) => match self.load(var) {
                Some(Value::Unset) | None => {
                    self.pc = pc;
                    let name = self.var_name(var);
                    return Some(self.runtime_error(format!(
                        "`{name}` has no value here (the pattern that captures it has not matched)"
                    )));
                }
                Some(v) => {
                    let v = v.clone();
                    self.stack.push(v);
                }
            },
            Op::Store(var) => {
                let v = self.pop();
                self.store(var, v);
            }
            Op::Concat(n) => {
                let at = self.stack.len().saturating_sub(n as usize);
                let pieces: Vec<Value> = self.stack.drain(at..).collect();
                let length: usize = pieces.iter().map(Value::byte_len).sum();
                if length > MAX_STRING {
                    let message =
                        format!("a string longer than {} KiB, the longest a script can build", MAX_STRING / 1024);
                    return Some(self.runtime_error(message));
                }
                self.stack.push(Value::concat(pieces));
            }
            Op::Compare(op) => {
                let b = self.pop();
                let a = self.pop();
                self.stack.push(Value::Int(a.compare(&b, op) as i64));
            }
            Op::Not => {
                let v = self.pop();
                self.stack.push(Value::Int(!v.is_truthy() as i64));
            }
            Op::JumpIfFalse(t) => {
                if !self.pop().is_truthy() {
                    self.pc = t as usize;
                }
            }
            Op::Jump(t) => self.pc = t as usize,
            Op::Pop => {
                self.pop();
            }
            Op::Send { raw, pace } => {
                let value = self.pop();
                let secret = value.secret_spans();
                let mut bytes = value.to_bytes();
                self.last_sent = redact::mask(&bytes, &secret);
                self.sent_mark = Some(self.input.len());
                if !raw {
                    self.voice_dial = transaction::is_voice_dial(&bytes);
                    self.track_command(&bytes);
                    bytes.push(self.s3);
                    self.pending_echo = Some(bytes.clone());
                }
                // From here on the modem's echo of the secret bytes is masked.
                self.redactor.sent(&bytes, &secret);
                return Some(self.pending(Effect::Write { bytes, pace, secret }));
            }
            Op::SendEscape => {
                self.online = false;
                let bytes = vec![self.s2; 3];
                return Some(self.pending(Effect::Write { bytes, pace: None, secret: Default::default() }));
            }
            Op::Expect(w) => self.start_expect(w, pc, now),
            Op::Await(w) => {
                self.start_expect(w, pc, now);
                if let State::Waiting(wait) = &mut self.state {
                    wait.strict = true;
                }
            }
            Op::Transact { w, settle } => self.start_transact(w, settle, pc, now),
            Op::DeclareFinal(k) => {
                let text = self.const_text(k).into_bytes();
                if !self.finals.contains(&text) {
                    self.finals.push(text);
                }
            }
            Op::Sleep(d) => {
                let d = match self.dur(d) {
                    Ok(d) => d,
                    Err(e) => return Some(e),
                };
                // A retry's `within` is a total budget: a sleep in its body (a back-off
                // between attempts, as in `hayes.dial`) ends when the budget does, so a long
                // pause never carries the block far past it.
                let budget_end =
                    self.retries.iter().filter_map(|r| r.budget.map(|b| r.first_start.saturating_add(b))).min();
                let end = budget_end.map_or(now.saturating_add(d), |b| now.saturating_add(d).min(b.max(now)));
                self.start_wait(WaitKind::Sleep, pc, now, Some(end), true)
            }
            Op::Guard => {
                let guard = Duration::from_millis(u64::from(self.s12) * 20);
                self.start_wait(WaitKind::Pause, pc, now, Some(now + guard), false)
            }
            Op::Pause(d) => self.start_wait(WaitKind::Pause, pc, now, Some(now + d), false),
            Op::SetTimeout(d) => {
                let d = match self.dur(d) {
                    Ok(d) => d,
                    Err(e) => return Some(e),
                };
                if let Some(f) = self.frames.last_mut() {
                    f.timeout = d;
                }
            }
            Op::Numeric(on) => self.numeric = on,
            Op::AddHandler(h) => {
                let locals_base = self.frame().locals_base;
                self.handlers.push(ActiveHandler { handler: h, locals_base });
            }
            Op::ScopeEnter => self.scopes.push(self.handlers.len()),
            Op::ScopeExit => {
                if let Some(depth) = self.scopes.pop() {
                    self.handlers.truncate(depth);
                }
            }
            Op::Resume => return self.resume_handler(now),
            Op::RetryBegin(r) => {
                let Some(table) = self.program.retries.get(r as usize).cloned() else {
                    return Some(self.runtime_error(format!("no retry table {r}")));
                };
                let budget = match table.within.map(|d| self.dur(d)).transpose() {
                    Ok(b) => b,
                    Err(e) => return Some(e),
                };
                self.retries.push(RetryState {
                    table: r,
                    budget,
                    attempt: 1,
                    first_start: now,
                    attempt_start: now,
                    frame_depth: self.frames.len(),
                    stack_height: self.stack.len(),
                    handler_depth: self.handlers.len(),
                    scope_depth: self.scopes.len(),
                });
                self.pc = table.body as usize;
            }
            Op::RetryEnd => {
                if let Some(r) = self.retries.pop() {
                    self.handlers.truncate(r.handler_depth);
                    self.scopes.truncate(r.scope_depth);
                }
            }
            Op::RetryNow { code, message } => {
                let text = self.const_text(message);
                let message = format!("{}: {text}", self.here(pc));
                self.retry_requested = true;
                return self.fail(now, ExitStatus { code, message: Some(message) });
            }
            Op::Dtr(on) => {
                self.online &= on;
                return Some(self.pending(Effect::Control(Control::Dtr(on))));
            }
            Op::DropDtrOr(fallback) => {
                self.online = false;
                self.state = State::Pending(PendingReply::DropDtr { fallback: fallback as usize });
                return Some(Effect::Control(Control::Dtr(false)));
            }
            Op::Rts(on) => return Some(self.pending(Effect::Control(Control::Rts(on)))),
            Op::Break(d) => return Some(self.pending(Effect::Control(Control::Break(d)))),
            Op::Baud(b) => return Some(self.pending(Effect::Control(Control::Baud(b)))),
            Op::Flush => {
                self.input.clear();
                self.scanned = 0;
                return Some(self.pending(Effect::Control(Control::DiscardInput)));
            }
            Op::WaitCarrier(d) => {
                let d = match d.map(|d| self.dur(d)).transpose() {
                    Ok(d) => d,
                    Err(e) => return Some(e),
                };
                let deadline = now + d.unwrap_or(self.frame().timeout);
                self.start_wait(WaitKind::Carrier, pc, now, Some(deadline), true);
            }
            Op::Say => {
                let text = String::from_utf8_lossy(&self.pop().shown()).into_owned();
                return Some(Effect::Say(text));
            }
            Op::Print => {
                let text = String::from_utf8_lossy(&self.pop().shown()).into_owned();
                return Some(Effect::Print(text));
            }
            Op::Fail { code, message } => {
                let text = if message {
                    String::from_utf8_lossy(&self.pop().shown()).into_owned()
                } else {
                    "failed".to_string()
                };
                let message = format!("{}: {text}", self.here(pc));
                return self.fail(now, ExitStatus { code, message: Some(message) });
            }
            Op::Exit(code) => {
                let message = (code != 0).then(|| format!("{}: exit {code}", self.here(pc)));
                return Some(self.finish(ExitStatus { code, message }));
            }
            Op::Call(p) => return self.call(p),
            Op::Return { value } => {
                let v = if value { self.pop() } else { Value::Str(Vec::new()) };
                return self.return_from_proc(v);
            }
            Op::Halt => return Some(self.finish(ExitStatus::success())),
            Op::MaskInput(_)
            | Op::Trace { .. }
            | Op::Echo(_)
            | Op::Report(_)
            | Op::ClearReport(_)
            | Op::EndReport
            | Op::Log { .. }
            | Op::SayRaw
            | Op::IgnoreHangup(_)
            | Op::TryBreak(_)
            | Op::Alarm(_) => return self.chat_op(op, pc, now),
        }
        None
    }

    /// The value of a duration operand; a variable that holds no duration is a script error.
    fn dur(&mut self, d: DurArg) -> Result<Duration, Effect> {
        match d {
            DurArg::Fixed(d) => Ok(d),
            DurArg::Var(var) => match self.load(var).and_then(Value::as_duration) {
                Some(d) => Ok(d),
                None => {
                    self.pc = self.pc.saturating_sub(1);
                    let name = self.var_name(var);
                    Err(self.runtime_error(format!("`{name}` does not hold a duration")))
                }
            },
        }
    }

    fn pending(&mut self, effect: Effect) -> Effect {
        self.state = State::Pending(PendingReply::Plain);
        effect
    }

    fn const_text(&self, k: u32) -> String {
        self.program
            .consts
            .get(k as usize)
            .map(|c| String::from_utf8_lossy(&Value::from(c).to_bytes()).into_owned())
            .unwrap_or_default()
    }

    /// Follows what a line sent to the modem changes: V0/V1 (numeric results), Z and &F
    /// (back to defaults), S2/S3/S12.
    fn track_command(&mut self, line: &[u8]) {
        let upper: Vec<u8> = line.to_ascii_uppercase();
        let Some(body) = upper.strip_prefix(b"AT") else { return };
        let mut i = 0;
        let mut quoted = false;
        while i < body.len() {
            let c = body[i];
            if c == b'"' {
                quoted = !quoted;
            }
            if quoted {
                i += 1;
                continue;
            }
            // Extended commands (`+CMGF=1`) run to the next `;`: nothing to track inside.
            if c == b'+' {
                while i < body.len() && body[i] != b';' {
                    i += 1;
                }
                continue;
            }
            let next = body.get(i + 1).copied();
            match (c, next) {
                (b'V', Some(b'0')) => self.numeric = true,
                (b'V', Some(b'1')) | (b'V', None) => self.numeric = false,
                (b'Z', _) => self.reset_registers(),
                (b'&', Some(b'F')) => {
                    self.reset_registers();
                    i += 1;
                }
                (b'&', Some(_)) => i += 1,
                (b'S', _) => {
                    let rest = &body[i + 1..];
                    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                    if rest.get(digits) == Some(&b'=') {
                        let value_digits = rest[digits + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                        let reg = std::str::from_utf8(&rest[..digits]).ok().and_then(|s| s.parse::<u32>().ok());
                        let value = std::str::from_utf8(&rest[digits + 1..digits + 1 + value_digits])
                            .ok()
                            .and_then(|s| s.parse::<u32>().ok());
                        if let (Some(reg), Some(value)) = (reg, value) {
                            match reg {
                                2 => self.s2 = value.min(255) as u8,
                                3 => self.s3 = value.min(127) as u8,
                                12 => self.s12 = value.min(255),
                                _ => {}
                            }
                        }
                        i += 1 + digits + value_digits;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn reset_registers(&mut self) {
        self.numeric = false;
        self.s2 = b'+';
        self.s3 = b'\r';
        self.s12 = 50;
    }
}

/// A param's value as the machine holds it: a secret one remembers that all of it is secret.
fn param_value(value: Value, secret: bool) -> Value {
    if secret {
        Value::Secret(SecretText::whole(value.to_bytes()))
    } else {
        value
    }
}
