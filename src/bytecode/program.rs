//! A compiled program: code plus the tables the code refers to by index.

use std::time::Duration;

use super::opcode::{DurArg, Op, VarRef};
use super::pattern::Pattern;

/// A constant value.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Str(Vec<u8>),
    Int(i64),
    Duration(Duration),
}

/// Everything the VM needs to run a script; what `atchat compile` writes to a `.atcb` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub code: Vec<Op>,
    pub consts: Vec<Const>,
    /// Every pattern of the program; the matcher is built from all of them once.
    pub patterns: Vec<Pattern>,
    /// How each pattern was written (`NO CARRIER`, `"CONNECT {rate}"`), for messages.
    pub pattern_text: Vec<String>,
    pub waits: Vec<WaitTable>,
    pub handlers: Vec<HandlerInfo>,
    pub retries: Vec<RetryTable>,
    pub procs: Vec<ProcInfo>,
    pub globals: Vec<GlobalInfo>,
    /// Source positions: `(first pc, file, line)`, sorted by pc.
    pub lines: Vec<LineEntry>,
    /// File names, for messages.
    pub files: Vec<String>,
    /// The port named by a `port "..."` statement, used when `--port` is not given.
    pub port: Option<String>,
}

/// The arms and limits of one wait (`Expect`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WaitTable {
    pub arms: Vec<ArmInfo>,
    /// Where to go on timeout; `None` fails with exit code 3 (or lets `on timeout` act).
    pub timeout_target: Option<u32>,
    /// Total deadline; `None` uses the default timeout in force.
    pub within: Option<DurArg>,
    /// Longest silence allowed between bytes.
    pub idle: Option<DurArg>,
    /// Whether the `on` handlers in force are watched (not for the waits inside `hangup`).
    pub watch_handlers: bool,
}

/// One arm of a wait.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmInfo {
    /// Index into [`Program::patterns`].
    pub pattern: u32,
    /// Where each capture of the pattern is stored, in order.
    pub captures: Vec<VarRef>,
    /// Where to go after the match.
    pub target: u32,
}

/// One `on` handler. Its index in [`Program::handlers`] is its declaration order, which
/// breaks ties and gives a bare `fail` its exit code (4 + index).
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerInfo {
    /// `None` for `on timeout`.
    pub pattern: Option<u32>,
    pub captures: Vec<VarRef>,
    /// The first instruction of the action, which ends with `Resume` (or fails, retries, exits).
    pub target: u32,
}

/// The limits of one `retry` block.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryTable {
    /// Attempts in all, counting the first; `None` for no limit.
    pub times: Option<u32>,
    /// Attempts start at least this far apart.
    pub every: Option<Duration>,
    /// No attempt starts after this budget, counted from the first.
    pub within: Option<DurArg>,
    /// The first instruction of the body.
    pub body: u32,
    /// The instruction after the block.
    pub end: u32,
}

/// A procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcInfo {
    /// `hayes.reset` or `dial`.
    pub name: String,
    pub entry: u32,
    pub params: u16,
    /// Slots in all, parameters included.
    pub locals: u16,
    /// Names of the slots, for the debugger and messages.
    pub local_names: Vec<String>,
}

/// A top-level variable.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalInfo {
    /// `number`, or `hayes.x` for a module's variable.
    pub name: String,
    /// Set when this global is a `param` of the main script.
    pub param: Option<ParamInfo>,
}

/// How a `param` gets its value.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// Constant index of the default; `None` makes the param required.
    pub default: Option<u32>,
    /// Never printed: transcripts and messages show `***`.
    pub secret: bool,
}

/// Maps code to source lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineEntry {
    pub pc: u32,
    pub file: u16,
    pub line: u32,
}

impl Program {
    /// The source position of instruction `pc`: `(file name, line)`.
    pub fn location(&self, pc: usize) -> Option<(&str, u32)> {
        let i = self.lines.partition_point(|e| e.pc as usize <= pc);
        let entry = self.lines.get(i.checked_sub(1)?)?;
        Some((self.files.get(entry.file as usize)?.as_str(), entry.line))
    }

    /// The source line of instruction `pc`, 0 when unknown.
    pub fn line(&self, pc: usize) -> u32 {
        self.location(pc).map_or(0, |(_, l)| l)
    }
}
