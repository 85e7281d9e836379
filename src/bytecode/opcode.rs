//! The instruction set. Every opcode is documented where it is declared; the disassembler
//! (`atchat disasm`) prints them by the names used here.
//!
//! The machine has a value stack for expressions, a call stack of frames (each with its
//! local variable slots), a handler stack (the `on` handlers in force) and a retry stack (the
//! `retry` blocks being run). Jump targets are indexes into [`super::Program::code`].

use std::time::Duration;

/// Where a variable lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarRef {
    /// A top-level name of the main script or a module: params, `let`s, captures.
    Global(u16),
    /// A slot in the current procedure's frame: its parameters first, then its locals.
    Local(u16),
}

/// A duration operand: fixed at compile time, or read from a variable at run time
/// (`within limit`). A variable holding an integer counts seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurArg {
    Fixed(Duration),
    Var(VarRef),
}

/// How `Compare` compares its two operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Push constant `k`.
    Const(u32),
    /// Push the value of a variable; a variable never assigned is a runtime error.
    Load(VarRef),
    /// Pop a value into a variable.
    Store(VarRef),
    /// Pop `n` values and push their concatenation as a string (interpolation).
    Concat(u16),
    /// Pop `b`, pop `a`, push 1 if `a <op> b` else 0. Integers (and strings holding
    /// integers) compare as numbers, other strings as bytes.
    Compare(Comparison),
    /// Pop a value, push 1 if it is falsy (empty, `0`), else 0.
    Not,
    /// Pop a value; jump to the target if it is falsy.
    JumpIfFalse(u32),
    /// Jump to the target.
    Jump(u32),
    /// Discard the top of the stack.
    Pop,

    /// Pop a string and write it to the modem: with the line terminator (S3, CR) unless
    /// `raw`, one byte per `pace` if given. A line send also arms echo suppression.
    Send { raw: bool, pace: Option<Duration> },
    /// Write the escape sequence: three times the escape character (S2, `+`), no terminator.
    SendEscape,
    /// Wait for one of the patterns of wait table `w` (see [`super::WaitTable`]): on a match,
    /// store its captures and jump to the arm's target; on timeout jump to the table's timeout
    /// target, else let an `on timeout` handler act, else fail with exit code 3.
    Expect(u32),
    /// Sleep for the duration, watching the handlers in force.
    Sleep(DurArg),
    /// Sleep for the escape guard time (S12 fiftieths of a second) without watching handlers.
    Guard,
    /// Sleep for the duration without watching handlers (inside `hangup`).
    Pause(Duration),
    /// Set the default deadline of expects without `within`, until the end of the current
    /// procedure.
    SetTimeout(DurArg),
    /// Declare whether the modem answers in numeric (ATV0) result codes.
    Numeric(bool),

    /// Make handler `h` active until the end of the enclosing scope.
    AddHandler(u32),
    /// Open a handler scope (a block that declares handlers).
    ScopeEnter,
    /// Close the innermost handler scope, deactivating the handlers added in it.
    ScopeExit,
    /// End of a handler action: resume the wait it interrupted (a pattern handler), or go on
    /// after the wait (a timeout handler).
    Resume,

    /// Start retry block `r` (see [`super::RetryTable`]); its body follows.
    RetryBegin(u32),
    /// The retry body completed: leave the block.
    RetryEnd,
    /// Restart the innermost retry block now, as a failure with exit code `code` and message
    /// constant `message` (what propagates when attempts run out).
    RetryNow { code: u8, message: u32 },

    /// Raise or drop DTR.
    Dtr(bool),
    /// Drop DTR; where the port has no DTR, jump to the target instead (the `hangup`
    /// fallback: escape and ATH).
    DropDtrOr(u32),
    /// Raise or drop RTS.
    Rts(bool),
    /// Send a break of the duration.
    Break(Duration),
    /// Change the line speed.
    Baud(u32),
    /// Discard unread input.
    Flush,
    /// Wait until the modem asserts carrier (DCD), watching handlers; the deadline is the
    /// duration, or the default timeout.
    WaitCarrier(Option<DurArg>),

    /// Pop a string and print it on stderr.
    Say,
    /// Fail with exit code `code`; the message is popped from the stack if `message`.
    /// Caught by the innermost retry block.
    Fail { code: u8, message: bool },
    /// Stop now with exit code `code`; not caught by retry blocks.
    Exit(u8),

    /// Call procedure `p`; its arguments are on the stack in parameter order.
    Call(u32),
    /// Return from the current procedure, pushing the popped value (if `value`) or an empty
    /// string for the caller.
    Return { value: bool },
    /// End of the main script: success.
    Halt,

    // ------------------------------------------------------------ chat(8) front end
    // What scripts compiled by `crate::chat` need beyond the language: chat's view of the
    // input (7-bit, echoed, logged, REPORTed) and its raw stderr. See `crate::vm::monitor`.
    /// AND every byte received from now on with the mask (chat strips input to 7 bits: 0x7F).
    MaskInput(u8),
    /// Watch the bytes expects consume from now on: copy them to stderr in chat's visible
    /// form (`show`, chat's `-V`), and log them as text lines (`log`, chat's `-v`).
    Trace { show: bool, log: bool },
    /// Turn echo of consumed bytes to stderr on or off (chat's `-e` and `ECHO ON/OFF`).
    Echo(bool),
    /// Add constant `k` to the REPORT triggers: when it ends the input an expect has read,
    /// the rest of that line is reported. Each trigger fires at most once.
    Report(u32),
    /// Remove the REPORT triggers equal to constant `k` that have not fired.
    ClearReport(u32),
    /// Before exiting: finish a REPORT line still being gathered (reading until a control
    /// byte or one second of silence), and end an echoed line with a newline.
    EndReport,
    /// Write constant `message` (bytes) as a log line; `error` lines are fatal messages.
    Log { message: u32, error: bool },
    /// Pop a string and write it to stderr exactly as it is, nothing added (chat's SAY).
    SayRaw,
    /// Ignore SIGHUP (`true`, chat's `HANGUP OFF`) or let it stop the script (`false`).
    IgnoreHangup(bool),
    /// Send a break of the duration; a port that cannot is no error (chat ignores
    /// `tcsendbreak`'s result).
    TryBreak(Duration),
    /// chat's `alarm(timeout)` at the start of a send: a write the port cannot take (XOFF or
    /// CTS holding the line, a peer not reading) fails once the duration has passed from now;
    /// `None` (chat's `-t 0`) lets it wait until the line frees or a signal comes. A port
    /// that cannot is no error; it keeps its own stall limit.
    Alarm(Option<Duration>),
}
