//! Why a [`super::Program`] may not run: the verifier's errors, and the places and tables they
//! name. Shared by the verifier's table checks and the flow analysis.

use std::time::Duration;

use super::pattern::PatternProblem;
use crate::lang::literal::{format_duration, MAX_DURATION};

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
    Wait {
        wait: u32,
        arm: Option<u32>,
    },
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
            OutOfRange { table: Table::Code, index, site, len } => {
                write!(f, "target {index} out of range {site} (program has {})", plural(*len, "instruction"))
            }
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
            PatternTextCount { patterns, texts } => {
                write!(f, "program has {} but {}", plural(*patterns, "pattern"), plural(*texts, "pattern text"))
            }
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
            StackMismatch { pc, first, second } => {
                write!(f, "stack height at pc {pc} is {first} on one path and {second} on another")
            }
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
