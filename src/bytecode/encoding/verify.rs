//! The verifier: what a [`Program`] must satisfy before the VM runs it.
//!
//! # What is verified
//!
//! - **Tables.** Every index stored in a table is in range: the pattern of each wait arm and
//!   handler, each target (arm, timeout, handler, retry body and end, procedure entry) is an
//!   instruction of the program, each param default a constant, each line entry's file a file.
//!   There is one pattern text per pattern, one name per procedure slot, no more parameters
//!   than slots, and line entries are sorted by pc.
//! - **Durations.** None is longer than the language allows ([`MAX_DURATION`], a year):
//!   constants, operands, wait and retry tables. Deadlines are computed from them.
//! - **Patterns.** Each has at least one segment, starts with a literal, has no empty literal
//!   and no two captures in a row, and no empty numeric form. Each arm and
//!   handler stores exactly as many variables as its pattern captures.
//! - **Instructions.** Every operand is in range: constants, globals, waits, handlers, retry
//!   tables, procedures, jump targets (an instruction, not one past the end). The code is not
//!   empty and its last instruction does not fall through (`Halt`, `Return`, `Jump`, `Exit`,
//!   `Fail`, `Resume` or `RetryNow`). A `RetryBegin` is immediately followed by its table's
//!   body, and its table's end comes right after a `RetryEnd`.
//! - **Flow.** An abstract interpretation follows every path from the main script (pc 0), each
//!   procedure entry and each handler action (from the `AddHandler` that installs it), keeping
//!   the height of the value stack and the frame the code runs in. It checks that no
//!   instruction pops more values than the stack holds, that every path reaching an instruction
//!   arrives with the same height, and that each `Local` slot (in an operand, a capture or a
//!   duration read from a variable) exists in the frame: none in the main script, the
//!   procedure's slots inside a procedure, the fewest of them where code is reached from
//!   several frames. Code no path reaches is only checked against the largest frame of the
//!   program.
//!
//! # What the VM still relies on
//!
//! A procedure and a handler action start with an empty stack of their own; an `Expect`
//! continues at its arms' targets, its timeout target, or (after an `on timeout` handler) the
//! next instruction, all with the stack it had. When a retry block restarts, the VM cuts the
//! stack back to the height it had at `RetryBegin`. Not verified: that `ScopeEnter` and
//! `ScopeExit` pair up, that `Return` is only reached inside a procedure and `Resume` only in a
//! handler action, that `RetryNow` runs inside a retry block, that a variable is assigned
//! before it is read, and the values' types (a `Send` of an integer is a runtime matter).

use std::collections::VecDeque;
use std::time::Duration;

use crate::bytecode::disassembler::op_name;
use crate::bytecode::opcode::{DurArg, Op, VarRef};
use crate::bytecode::program::{Const, Program};
use crate::lang::literal::{format_duration, MAX_DURATION};
use crate::vm::matcher::{Pattern, Segment};

/// A table of the program, or its code, that an index points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Constant,
    Pattern,
    Wait,
    Handler,
    Retry,
    Procedure,
    Global,
    File,
    /// An instruction: the index is a jump target or an entry point.
    Code,
}

impl Table {
    fn singular(self) -> &'static str {
        match self {
            Table::Constant => "constant",
            Table::Pattern => "pattern",
            Table::Wait => "wait table",
            Table::Handler => "handler",
            Table::Retry => "retry table",
            Table::Procedure => "procedure",
            Table::Global => "global",
            Table::File => "file",
            Table::Code => "instruction",
        }
    }
}

/// Where in a program a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// An instruction's operand.
    Pc(u32),
    /// A constant.
    Constant(u32),
    /// A wait table, or one of its arms.
    Wait { wait: u32, arm: Option<u32> },
    Handler(u32),
    Retry(u32),
    Procedure(u32),
    Global(u32),
    Line(u32),
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Site::Pc(pc) => write!(f, "at pc {pc}"),
            Site::Constant(k) => write!(f, "in constant {k}"),
            Site::Wait { wait, arm: Some(arm) } => write!(f, "in arm {arm} of wait table {wait}"),
            Site::Wait { wait, arm: None } => write!(f, "in wait table {wait}"),
            Site::Handler(h) => write!(f, "in handler {h}"),
            Site::Retry(r) => write!(f, "in retry table {r}"),
            Site::Procedure(p) => write!(f, "in procedure {p}"),
            Site::Global(g) => write!(f, "in global {g}"),
            Site::Line(l) => write!(f, "in line entry {l}"),
        }
    }
}

/// Why a pattern cannot be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternProblem {
    NoSegments,
    StartsWithCapture,
    EmptyLiteral,
    /// Two captures in a row: nothing would tell where the first one ends.
    AdjacentCaptures,
    EmptyNumeric,
}

impl std::fmt::Display for PatternProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PatternProblem::NoSegments => "it has no segments",
            PatternProblem::StartsWithCapture => "it starts with a capture, not a literal",
            PatternProblem::EmptyLiteral => "it has an empty literal segment",
            PatternProblem::AdjacentCaptures => "it has two captures in a row",
            PatternProblem::EmptyNumeric => "its numeric form is empty",
        })
    }
}

/// Why a program may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// No instructions at all.
    EmptyCode,
    /// The last instruction would go on to an instruction that does not exist.
    FallsOffEnd { pc: u32, op: &'static str },
    /// An index past the end of its table.
    OutOfRange { table: Table, index: u32, site: Site, len: usize },
    /// A `Local` slot the frame running the code does not have.
    LocalOutOfRange { slot: u16, site: Site, pc: Option<u32>, locals: u16 },
    /// A pattern the matcher cannot use.
    BadPattern { pattern: u32, problem: PatternProblem },
    /// `pattern_text` and `patterns` differ in length.
    PatternTextCount { patterns: usize, texts: usize },
    /// An arm or handler stores a different number of captures than its pattern makes.
    CaptureCount { site: Site, pattern: Option<u32>, expected: usize, found: usize },
    /// A procedure with more parameters than slots.
    ParamsExceedLocals { procedure: u32, params: u16, locals: u16 },
    /// A procedure whose slot names do not match its slot count.
    LocalNames { procedure: u32, locals: u16, names: usize },
    /// Line entries not sorted by pc.
    LinesUnsorted { entry: u32 },
    /// A line entry past the end of the code.
    LinePastEnd { entry: u32, pc: u32, len: usize },
    /// A `RetryBegin` whose table does not describe the code around it.
    RetryLayout { pc: u32, retry: u32, body: u32, end: u32 },
    /// An instruction pops more values than the stack holds.
    StackUnderflow { pc: u32, op: &'static str, needs: u32, has: u32 },
    /// Two paths reach an instruction with different stack heights.
    StackMismatch { pc: u32, first: u32, second: u32 },
    /// A duration longer than the language allows ([`MAX_DURATION`]).
    DurationTooLong { site: Site, duration: Duration },
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use VerifyError::*;
        match self {
            EmptyCode => write!(f, "program has no instructions"),
            FallsOffEnd { pc, op } => {
                write!(f, "code ends with `{op}` at pc {pc}, which would run past the last instruction")
            }
            OutOfRange { table: Table::Code, index, site, len } => write!(
                f,
                "target {index} out of range {site} (program has {})",
                plural(*len, "instruction")
            ),
            OutOfRange { table, index, site, len } => write!(
                f,
                "{} index {index} out of range {site} (program has {})",
                table.singular(),
                plural(*len, table.singular())
            ),
            LocalOutOfRange { slot, site, pc, locals } => {
                write!(f, "local slot {slot} out of range {site}")?;
                if let (Some(pc), false) = (pc, matches!(site, Site::Pc(_))) {
                    write!(f, " used at pc {pc}")?;
                }
                if *locals == 0 {
                    write!(f, " (the code there has no local slots)")
                } else {
                    write!(f, " (the frame there has {})", plural(usize::from(*locals), "slot"))
                }
            }
            BadPattern { pattern, problem } => write!(f, "pattern {pattern} is invalid: {problem}"),
            PatternTextCount { patterns, texts } => write!(
                f,
                "program has {} but {}",
                plural(*patterns, "pattern"),
                plural(*texts, "pattern text")
            ),
            CaptureCount { site, pattern: Some(p), expected, found } => write!(
                f,
                "{site}: pattern {p} makes {} but {} given",
                plural(*expected, "capture"),
                if *found == 1 { "1 variable is".to_string() } else { format!("{found} variables are") }
            ),
            CaptureCount { site, pattern: None, found, .. } => {
                write!(f, "{site}: a timeout handler captures nothing but {found} variables are given")
            }
            ParamsExceedLocals { procedure, params, locals } => write!(
                f,
                "procedure {procedure} has {} but only {}",
                plural(usize::from(*params), "parameter"),
                plural(usize::from(*locals), "slot")
            ),
            LocalNames { procedure, locals, names } => write!(
                f,
                "procedure {procedure} has {} but {}",
                plural(usize::from(*locals), "slot"),
                plural(*names, "slot name")
            ),
            LinesUnsorted { entry } => write!(f, "line entry {entry} is not sorted by pc"),
            LinePastEnd { entry, pc, len } => write!(
                f,
                "line entry {entry} starts at pc {pc}, past the end of the code ({})",
                plural(*len, "instruction")
            ),
            RetryLayout { pc, retry, body, end } => write!(
                f,
                "retry table {retry} (body {body}, end {end}) does not fit the `RetryBegin` at pc {pc}: \
                 the body must follow it and the end must come right after a `RetryEnd`"
            ),
            StackUnderflow { pc, op, needs, has } => write!(
                f,
                "stack underflow at pc {pc}: `{op}` pops {} but the stack holds {has}",
                plural(*needs as usize, "value")
            ),
            StackMismatch { pc, first, second } => write!(
                f,
                "stack height at pc {pc} is {first} on one path and {second} on another"
            ),
            DurationTooLong { site, duration } => write!(
                f,
                "duration {} {site} is longer than a script may wait (at most a year, {} days)",
                format_duration(*duration),
                MAX_DURATION.as_secs() / 86400
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Checks everything listed in this module's documentation; returns the first problem found.
/// Never panics, whatever the program holds.
pub fn verify(program: &Program) -> Result<(), VerifyError> {
    Checker { p: program, max_locals: program.procs.iter().map(|p| p.locals).max().unwrap_or(0) }.run()
}

struct Checker<'a> {
    p: &'a Program,
    /// The largest frame of any procedure: the bound for code no path reaches.
    max_locals: u16,
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Checker<'_> {
    fn run(&self) -> Result<(), VerifyError> {
        self.tables()?;
        self.code()?;
        let flow = flow(self.p);
        match flow.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn index(&self, table: Table, index: u32, site: Site) -> Result<(), VerifyError> {
        let p = self.p;
        let len = match table {
            Table::Constant => p.consts.len(),
            Table::Pattern => p.patterns.len(),
            Table::Wait => p.waits.len(),
            Table::Handler => p.handlers.len(),
            Table::Retry => p.retries.len(),
            Table::Procedure => p.procs.len(),
            Table::Global => p.globals.len(),
            Table::File => p.files.len(),
            Table::Code => p.code.len(),
        };
        if (index as usize) < len {
            Ok(())
        } else {
            Err(VerifyError::OutOfRange { table, index, site, len })
        }
    }

    /// A variable reference, with locals bounded by `locals`.
    fn var(&self, var: VarRef, site: Site, pc: Option<u32>, locals: u16) -> Result<(), VerifyError> {
        match var {
            VarRef::Global(g) => self.index(Table::Global, u32::from(g), site),
            VarRef::Local(slot) if slot < locals => Ok(()),
            VarRef::Local(slot) => Err(VerifyError::LocalOutOfRange { slot, site, pc, locals }),
        }
    }

    fn captures(&self, pattern: Option<u32>, captures: &[VarRef], site: Site) -> Result<(), VerifyError> {
        let expected = match pattern {
            Some(i) => {
                self.index(Table::Pattern, i, site)?;
                self.p.patterns.get(i as usize).map_or(0, capture_count)
            }
            None => 0,
        };
        if captures.len() != expected {
            return Err(VerifyError::CaptureCount { site, pattern, expected, found: captures.len() });
        }
        for &c in captures {
            self.var(c, site, None, self.max_locals)?;
        }
        Ok(())
    }

    fn duration(&self, d: Duration, site: Site) -> Result<(), VerifyError> {
        if d <= MAX_DURATION {
            Ok(())
        } else {
            Err(VerifyError::DurationTooLong { site, duration: d })
        }
    }

    /// A duration operand: fixed ones are held to the limit, variables are read at run time
    /// (the VM holds them to it too).
    fn dur_arg(&self, d: DurArg, site: Site) -> Result<(), VerifyError> {
        match d {
            DurArg::Fixed(d) => self.duration(d, site),
            DurArg::Var(_) => Ok(()),
        }
    }

    fn tables(&self) -> Result<(), VerifyError> {
        let p = self.p;
        for (k, c) in p.consts.iter().enumerate() {
            if let Const::Duration(d) = c {
                self.duration(*d, Site::Constant(len32(k)))?;
            }
        }
        if p.pattern_text.len() != p.patterns.len() {
            return Err(VerifyError::PatternTextCount { patterns: p.patterns.len(), texts: p.pattern_text.len() });
        }
        for (i, pattern) in p.patterns.iter().enumerate() {
            if let Some(problem) = pattern_problem(pattern) {
                return Err(VerifyError::BadPattern { pattern: len32(i), problem });
            }
        }
        for (w, wait) in p.waits.iter().enumerate() {
            let w = len32(w);
            for (a, arm) in wait.arms.iter().enumerate() {
                let site = Site::Wait { wait: w, arm: Some(len32(a)) };
                self.captures(Some(arm.pattern), &arm.captures, site)?;
                self.index(Table::Code, arm.target, site)?;
            }
            let site = Site::Wait { wait: w, arm: None };
            if let Some(t) = wait.timeout_target {
                self.index(Table::Code, t, site)?;
            }
            for d in [wait.within, wait.idle].into_iter().flatten() {
                self.dur_arg(d, site)?;
                if let DurArg::Var(v) = d {
                    self.var(v, site, None, self.max_locals)?;
                }
            }
        }
        for (h, handler) in p.handlers.iter().enumerate() {
            let site = Site::Handler(len32(h));
            self.captures(handler.pattern, &handler.captures, site)?;
            self.index(Table::Code, handler.target, site)?;
        }
        for (r, retry) in p.retries.iter().enumerate() {
            let site = Site::Retry(len32(r));
            self.index(Table::Code, retry.body, site)?;
            self.index(Table::Code, retry.end, site)?;
            if let Some(every) = retry.every {
                self.duration(every, site)?;
            }
            if let Some(within) = retry.within {
                self.dur_arg(within, site)?;
            }
            if let Some(DurArg::Var(v)) = retry.within {
                self.var(v, site, None, self.max_locals)?;
            }
        }
        for (i, proc) in p.procs.iter().enumerate() {
            let procedure = len32(i);
            self.index(Table::Code, proc.entry, Site::Procedure(procedure))?;
            if proc.params > proc.locals {
                return Err(VerifyError::ParamsExceedLocals { procedure, params: proc.params, locals: proc.locals });
            }
            if proc.local_names.len() != usize::from(proc.locals) {
                return Err(VerifyError::LocalNames { procedure, locals: proc.locals, names: proc.local_names.len() });
            }
        }
        for (g, global) in p.globals.iter().enumerate() {
            if let Some(k) = global.param.as_ref().and_then(|param| param.default) {
                self.index(Table::Constant, k, Site::Global(len32(g)))?;
            }
        }
        let mut last_pc = 0;
        for (i, line) in p.lines.iter().enumerate() {
            let entry = len32(i);
            self.index(Table::File, u32::from(line.file), Site::Line(entry))?;
            if line.pc < last_pc {
                return Err(VerifyError::LinesUnsorted { entry });
            }
            if line.pc as usize > p.code.len() {
                return Err(VerifyError::LinePastEnd { entry, pc: line.pc, len: p.code.len() });
            }
            last_pc = line.pc;
        }
        Ok(())
    }

    fn code(&self) -> Result<(), VerifyError> {
        let p = self.p;
        let Some(last) = p.code.last() else {
            return Err(VerifyError::EmptyCode);
        };
        if falls_through(last) {
            return Err(VerifyError::FallsOffEnd { pc: len32(p.code.len() - 1), op: op_name(last) });
        }
        for (pc, op) in p.code.iter().enumerate() {
            let pc = len32(pc);
            let site = Site::Pc(pc);
            match *op {
                Op::Send { pace: Some(d), .. } | Op::Pause(d) | Op::Break(d) | Op::TryBreak(d) => {
                    self.duration(d, site)?
                }
                Op::Sleep(d) | Op::SetTimeout(d) | Op::WaitCarrier(Some(d)) => self.dur_arg(d, site)?,
                _ => {}
            }
            match *op {
                Op::Const(k)
                | Op::RetryNow { message: k, .. }
                | Op::Report(k)
                | Op::ClearReport(k)
                | Op::Log { message: k, .. } => self.index(Table::Constant, k, site)?,
                Op::Load(v)
                | Op::Store(v)
                | Op::Sleep(DurArg::Var(v))
                | Op::SetTimeout(DurArg::Var(v))
                | Op::WaitCarrier(Some(DurArg::Var(v))) => self.var(v, site, Some(pc), self.max_locals)?,
                Op::JumpIfFalse(t) | Op::Jump(t) | Op::DropDtrOr(t) => self.index(Table::Code, t, site)?,
                Op::Expect(w) => self.index(Table::Wait, w, site)?,
                Op::AddHandler(h) => self.index(Table::Handler, h, site)?,
                Op::Call(f) => self.index(Table::Procedure, f, site)?,
                Op::RetryBegin(r) => {
                    self.index(Table::Retry, r, site)?;
                    let t = &p.retries[r as usize];
                    let after_retry_end = t
                        .end
                        .checked_sub(1)
                        .and_then(|i| p.code.get(i as usize))
                        .is_some_and(|op| *op == Op::RetryEnd);
                    if t.body != pc.saturating_add(1) || t.end <= t.body || !after_retry_end {
                        return Err(VerifyError::RetryLayout { pc, retry: r, body: t.body, end: t.end });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The variables `op` reads or writes, directly or through the table it refers to, each with
/// where it is named.
fn op_vars(program: &Program, op: &Op, pc: u32) -> Vec<(VarRef, Site)> {
    let here = Site::Pc(pc);
    match op {
        Op::Load(v)
        | Op::Store(v)
        | Op::Sleep(DurArg::Var(v))
        | Op::SetTimeout(DurArg::Var(v))
        | Op::WaitCarrier(Some(DurArg::Var(v))) => vec![(*v, here)],
        Op::Expect(w) => {
            let Some(t) = program.waits.get(*w as usize) else {
                return Vec::new();
            };
            let mut vars = Vec::new();
            for (a, arm) in t.arms.iter().enumerate() {
                let site = Site::Wait { wait: *w, arm: Some(len32(a)) };
                vars.extend(arm.captures.iter().map(|v| (*v, site)));
            }
            for d in [t.within, t.idle].into_iter().flatten() {
                if let DurArg::Var(v) = d {
                    vars.push((v, Site::Wait { wait: *w, arm: None }));
                }
            }
            vars
        }
        Op::AddHandler(h) => program
            .handlers
            .get(*h as usize)
            .map_or(Vec::new(), |info| info.captures.iter().map(|v| (*v, Site::Handler(*h))).collect()),
        Op::RetryBegin(r) => match program.retries.get(*r as usize).and_then(|t| t.within) {
            Some(DurArg::Var(v)) => vec![(v, Site::Retry(*r))],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// How many captures a pattern makes.
pub(crate) fn capture_count(pattern: &Pattern) -> usize {
    pattern.segments.iter().filter(|s| matches!(s, Segment::Capture)).count()
}

fn pattern_problem(pattern: &Pattern) -> Option<PatternProblem> {
    match pattern.segments.first() {
        None => return Some(PatternProblem::NoSegments),
        Some(Segment::Capture) => return Some(PatternProblem::StartsWithCapture),
        Some(Segment::Literal(_)) => {}
    }
    if pattern.segments.iter().any(|s| matches!(s, Segment::Literal(l) if l.is_empty())) {
        return Some(PatternProblem::EmptyLiteral);
    }
    if pattern.segments.windows(2).any(|w| matches!(w, [Segment::Capture, Segment::Capture])) {
        return Some(PatternProblem::AdjacentCaptures);
    }
    if pattern.numeric.as_ref().is_some_and(|n| n.is_empty()) {
        return Some(PatternProblem::EmptyNumeric);
    }
    None
}

/// Whether execution can go on to the next instruction after `op`.
pub(crate) fn falls_through(op: &Op) -> bool {
    !matches!(
        op,
        Op::Halt | Op::Return { .. } | Op::Jump(_) | Op::Exit(_) | Op::Fail { .. } | Op::Resume | Op::RetryNow { .. }
    )
}

/// The frame an instruction runs in, as far as the flow analysis can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// The main script: no local slots.
    Main,
    /// Procedure `p`.
    Proc(u32),
    /// Reached from several frames; only the fewest slots among them are safe.
    Several { locals: u16 },
}

impl Frame {
    fn locals(self, program: &Program) -> u16 {
        match self {
            Frame::Main => 0,
            Frame::Proc(p) => program.procs.get(p as usize).map_or(0, |p| p.locals),
            Frame::Several { locals } => locals,
        }
    }

    fn join(self, other: Frame, program: &Program) -> Frame {
        if self == other {
            self
        } else {
            Frame::Several { locals: self.locals(program).min(other.locals(program)) }
        }
    }
}

/// The result of the flow analysis: per instruction, the frame and stack height it runs with
/// (`None` where no path reaches), and the first problem found.
pub(crate) struct Flow {
    pub states: Vec<Option<(Frame, u32)>>,
    pub error: Option<VerifyError>,
}

/// `(values popped, values pushed)` by `op`.
fn stack_effect(op: &Op, program: &Program) -> (u32, u32) {
    match op {
        Op::Const(_) | Op::Load(_) => (0, 1),
        Op::Store(_) | Op::JumpIfFalse(_) | Op::Pop | Op::Send { .. } | Op::Say | Op::SayRaw => (1, 0),
        Op::Concat(n) => (u32::from(*n), 1),
        Op::Compare(_) => (2, 1),
        Op::Not => (1, 1),
        Op::Fail { message, .. } => (u32::from(*message), 0),
        Op::Return { value } => (u32::from(*value), 0),
        Op::Call(p) => (program.procs.get(*p as usize).map_or(0, |p| u32::from(p.params)), 1),
        _ => (0, 0),
    }
}

/// Follows every path through the code (see the module documentation). Works on any program:
/// out-of-range indexes are skipped, so the disassembler can use it on unverified input.
pub(crate) fn flow(program: &Program) -> Flow {
    let code = &program.code;
    let mut flow = Flow { states: vec![None; code.len()], error: None };
    let mut queue = VecDeque::new();
    let visit = |flow: &mut Flow, queue: &mut VecDeque<usize>, pc: u32, frame: Frame, height: u32| {
        let Some(state) = flow.states.get_mut(pc as usize) else {
            return;
        };
        match state {
            None => {
                *state = Some((frame, height));
                queue.push_back(pc as usize);
            }
            Some((old_frame, old_height)) => {
                if *old_height != height {
                    let e = VerifyError::StackMismatch { pc, first: *old_height, second: height };
                    flow.error.get_or_insert(e);
                    return;
                }
                let joined = old_frame.join(frame, program);
                if joined != *old_frame {
                    *old_frame = joined;
                    queue.push_back(pc as usize);
                }
            }
        }
    };
    if !code.is_empty() {
        visit(&mut flow, &mut queue, 0, Frame::Main, 0);
    }
    for (i, proc) in program.procs.iter().enumerate() {
        visit(&mut flow, &mut queue, proc.entry, Frame::Proc(len32(i)), 0);
    }
    while let Some(pc) = queue.pop_front() {
        let (Some(op), Some(Some((frame, height)))) = (code.get(pc), flow.states.get(pc).copied()) else {
            continue;
        };
        let pc32 = len32(pc);
        let locals = frame.locals(program);
        let local_error = |var: &VarRef, site: Site| match *var {
            VarRef::Local(slot) if slot >= locals => {
                Some(VerifyError::LocalOutOfRange { slot, site, pc: Some(pc32), locals })
            }
            _ => None,
        };
        let mut problem = op_vars(program, op, pc32).into_iter().find_map(|(v, site)| local_error(&v, site));
        let (pops, pushes) = stack_effect(op, program);
        if pops > height {
            problem.get_or_insert(VerifyError::StackUnderflow { pc: pc32, op: op_name(op), needs: pops, has: height });
        }
        if let Some(e) = problem {
            flow.error.get_or_insert(e);
            continue;
        }
        let after = height - pops + pushes;
        if falls_through(op) {
            visit(&mut flow, &mut queue, pc32.saturating_add(1), frame, after);
        }
        match op {
            Op::Jump(t) | Op::JumpIfFalse(t) | Op::DropDtrOr(t) => visit(&mut flow, &mut queue, *t, frame, after),
            Op::Expect(w) => {
                if let Some(t) = program.waits.get(*w as usize) {
                    for arm in &t.arms {
                        visit(&mut flow, &mut queue, arm.target, frame, after);
                    }
                    if let Some(target) = t.timeout_target {
                        visit(&mut flow, &mut queue, target, frame, after);
                    }
                }
            }
            Op::AddHandler(h) => {
                if let Some(handler) = program.handlers.get(*h as usize) {
                    visit(&mut flow, &mut queue, handler.target, frame, 0);
                }
            }
            _ => {}
        }
    }
    flow
}
