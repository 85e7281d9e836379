//! The instruction set. Every opcode is declared once, in the table below, with its number
//! in the binary form, its operands and their kinds, and its documentation; the disassembler
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

/// The Rust type of an operand kind: what the table's fields hold and the binary form stores.
macro_rules! operand_type {
    (Constant) => { u32 };
    (Var) => { VarRef };
    (Values) => { u16 };
    (Comparison) => { Comparison };
    (Target) => { u32 };
    (Wait) => { u32 };
    (Handler) => { u32 };
    (Retry) => { u32 };
    (Proc) => { u32 };
    (Duration) => { Duration };
    (DurArg) => { DurArg };
    (Within) => { Option<DurArg> };
    (Pace) => { Option<Duration> };
    (Deadline) => { Option<Duration> };
    (OnOff) => { bool };
    (Switch $label:tt) => { bool };
    (Flag $word:tt) => { bool };
    (Popped $text:tt) => { bool };
    (Rate) => { u32 };
    (ExitCode) => { u8 };
    (FailCode) => { u8 };
    (Mask) => { u8 };
}

/// An operand's value (`field`, a reference) as an [`Operand`] of its kind.
macro_rules! operand_view {
    ($kind:ident ($text:literal), $field:ident) => {
        Operand::$kind($text, *$field)
    };
    ($kind:ident, $field:ident) => {
        Operand::$kind(*$field)
    };
}

/// `_`, for a field a pattern ignores.
macro_rules! wild {
    ($field:ident) => {
        _
    };
}

/// Whether execution goes on to the next instruction: yes unless marked `no_fallthrough`.
macro_rules! falls_through {
    () => {
        true
    };
    (no_fallthrough) => {
        false
    };
}

/// Declares [`Op`] and derives from the table everything that depends on the opcode alone.
macro_rules! opcodes {
    ($(
        $(#[$doc:meta])*
        $code:literal $name:ident
        $( ( $($tf:ident : $tk:ident $(($ta:literal))?),* ) )?
        $( { $($sf:ident : $sk:ident $(($sa:literal))?),* } )?
        => $pops:literal -> $pushes:literal $(, $stop:ident)?;
    )*) => {
        /// One instruction.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Op {
            $(
                $(#[$doc])*
                $name
                $( ( $( operand_type!($tk $(($ta))?) ),* ) )?
                $( { $( $sf: operand_type!($sk $(($sa))?) ),* } )?,
            )*
        }

        impl Op {
            /// What the table declares for this instruction's opcode.
            pub fn info(&self) -> &'static OpInfo {
                match self {
                    $(
                        Op::$name $( ( $( wild!($tf) ),* ) )? $( { $( $sf: _ ),* } )? => &OpInfo {
                            code: $code,
                            name: stringify!($name),
                            pops: $pops,
                            pushes: $pushes,
                            falls_through: falls_through!($($stop)?),
                        },
                    )*
                }
            }

            /// The operands, in the order the table declares (and the binary form stores) them.
            pub fn operands(&self) -> Vec<Operand> {
                match self {
                    $(
                        Op::$name $( ( $($tf),* ) )? $( { $($sf),* } )? => vec![
                            $($( operand_view!($tk $(($ta))?, $tf) ),*)?
                            $($( operand_view!($sk $(($sa))?, $sf) ),*)?
                        ],
                    )*
                }
            }

            /// Writes the opcode, then the operands.
            pub(crate) fn encode<W: OperandWriter>(&self, w: &mut W) {
                w.u8(self.code());
                match self {
                    $(
                        Op::$name $( ( $($tf),* ) )? $( { $($sf),* } )? => {
                            $($( Field::write($tf, w); )*)?
                            $($( Field::write($sf, w); )*)?
                        }
                    )*
                }
            }

            /// Reads the operands of the instruction with opcode `code`; `None` for a byte that
            /// is no opcode.
            #[deny(unreachable_patterns)]
            pub(crate) fn decode<R: OperandReader>(code: u8, r: &mut R) -> Result<Option<Op>, R::Error> {
                Ok(Some(match code {
                    $(
                        $code => Op::$name
                            $( ( $( <operand_type!($tk $(($ta))?) as Field>::read(r)? ),* ) )?
                            $( { $( $sf: <operand_type!($sk $(($sa))?) as Field>::read(r)? ),* } )?,
                    )*
                    _ => return Ok(None),
                }))
            }
        }
    };
}

// The opcode table. Each line declares one opcode:
//
//     /// What it does.
//     0xNN Name(field: Kind, ...) => pops -> pushes;
//
// - `0xNN` is its number in the binary form (`.atcb`): never reuse or renumber one within a
//   format version. A repeated number does not compile.
// - The fields are its operands, in the order the binary form stores them; a `Name { .. }`
//   declares named fields. Each field's [`Operand`] kind gives its Rust type, and from it its
//   encoding; what the verifier checks; where the flow analysis goes next; and how the
//   disassembler shows it.
// - `pops -> pushes` counts the values the instruction takes from and leaves on the stack,
//   besides those its operands imply (a `Values` count, a set `Popped` flag, a `Proc`'s
//   arguments). `, no_fallthrough` marks an instruction after which execution never goes
//   on to the next one.
//
// Adding an opcode therefore touches this table, the VM's execution (`crate::vm::machine`)
// and the compiler's emission, and nothing else. Only a new operand kind also needs
// `Operand`, `operand_type!`, and the verifier, flow analysis and disassembler cases of that
// kind.
opcodes! {
    /// Push constant `k`.
    0x00 Const(k: Constant) => 0 -> 1;
    /// Push the value of a variable; a variable never assigned is a runtime error.
    0x01 Load(var: Var) => 0 -> 1;
    /// Pop a value into a variable.
    0x02 Store(var: Var) => 1 -> 0;
    /// Pop `n` values and push their concatenation as a string (interpolation).
    0x03 Concat(n: Values) => 0 -> 1;
    /// Pop `b`, pop `a`, push 1 if `a <op> b` else 0. Integers (and strings holding
    /// integers) compare as numbers, other strings as bytes.
    0x04 Compare(op: Comparison) => 2 -> 1;
    /// Pop a value, push 1 if it is falsy (empty, `0`), else 0.
    0x05 Not => 1 -> 1;
    /// Pop a value; jump to the target if it is falsy.
    0x06 JumpIfFalse(target: Target) => 1 -> 0;
    /// Jump to the target.
    0x07 Jump(target: Target) => 0 -> 0, no_fallthrough;
    /// Discard the top of the stack.
    0x08 Pop => 1 -> 0;

    /// Pop a string and write it to the modem: with the line terminator (S3, CR) unless
    /// `raw`, one byte per `pace` if given. A line send also arms echo suppression.
    0x10 Send { raw: Flag("raw"), pace: Pace } => 1 -> 0;
    /// Write the escape sequence: three times the escape character (S2, `+`), no terminator.
    0x11 SendEscape => 0 -> 0;
    /// Wait for one of the patterns of wait table `w` (see [`super::WaitTable`]): on a match,
    /// store its captures and jump to the arm's target; on timeout jump to the table's timeout
    /// target, else let an `on timeout` handler act, else fail with exit code 3.
    0x12 Expect(w: Wait) => 0 -> 0;
    /// Sleep for the duration, watching the handlers in force.
    0x13 Sleep(duration: DurArg) => 0 -> 0;
    /// Sleep for the escape guard time (S12 fiftieths of a second) without watching handlers.
    0x14 Guard => 0 -> 0;
    /// Sleep for the duration without watching handlers (inside `hangup`).
    0x15 Pause(duration: Duration) => 0 -> 0;
    /// Set the default deadline of expects without `within`, until the end of the current
    /// procedure.
    0x16 SetTimeout(duration: DurArg) => 0 -> 0;
    /// Declare whether the modem answers in numeric (ATV0) result codes.
    0x17 Numeric(on: OnOff) => 0 -> 0;
    /// Take the whole answer to the command line just sent (a `command`), one line at a
    /// time, using wait table `w`: the echo is skipped; a final result code (V.250, 27.007,
    /// or one declared by `DeclareFinal`) or the SMS prompt `> ` ends it. An arm that matches
    /// the final jumps to its target; a success final (`OK`, `CONNECT`, `> `) goes to the
    /// information arm that matched a line before it, else on to the next instruction, or
    /// fails if the table has information arms and none matched; a refusal (`ERROR`, ...)
    /// with no arm goes to an `on` handler for it, else fails with exit code 4. Lines an
    /// arm does not take go to the `on` handlers (URCs). Once an information arm has
    /// matched, the final is awaited for `settle` of silence at most. Lines longer than
    /// `MAX_LINE` are cut.
    0x18 Transact { w: Wait, settle: DurArg } => 0 -> 0;
    /// Declare constant `k` a final result code (a refusal) for the `Transact` and `Await`
    /// that follow: a vendor's `COMMAND NOT SUPPORT`.
    0x19 DeclareFinal(k: Constant) => 0 -> 0;
    /// `Expect` for native scripts: a capture never binds a final result code, and a final
    /// result code that no arm or handler takes ends the wait at once (exit code 4), unless
    /// the modem is online (after `CONNECT`, only `NO CARRIER` is a result code). chat(8)
    /// scripts keep `Expect`, whose substring semantics are chat's.
    0x1a Await(w: Wait) => 0 -> 0;

    /// Make handler `h` active until the end of the enclosing scope.
    0x20 AddHandler(h: Handler) => 0 -> 0;
    /// Open a handler scope (a block that declares handlers).
    0x21 ScopeEnter => 0 -> 0;
    /// Close the innermost handler scope, deactivating the handlers added in it.
    0x22 ScopeExit => 0 -> 0;
    /// End of a handler action: resume the wait it interrupted (a pattern handler), or go on
    /// after the wait (a timeout handler).
    0x23 Resume => 0 -> 0, no_fallthrough;

    /// Start retry block `r` (see [`super::RetryTable`]); its body follows.
    0x28 RetryBegin(r: Retry) => 0 -> 0;
    /// The retry body completed: leave the block.
    0x29 RetryEnd => 0 -> 0;
    /// Restart the innermost retry block now, as a failure with exit code `code` and message
    /// constant `message` (what propagates when attempts run out).
    0x2a RetryNow { code: FailCode, message: Constant } => 0 -> 0, no_fallthrough;

    /// Raise or drop DTR.
    0x30 Dtr(on: OnOff) => 0 -> 0;
    /// Drop DTR; where the port has no DTR, jump to the target instead (the `hangup`
    /// fallback: escape and ATH).
    0x31 DropDtrOr(target: Target) => 0 -> 0;
    /// Raise or drop RTS.
    0x32 Rts(on: OnOff) => 0 -> 0;
    /// Send a break of the duration.
    0x33 Break(duration: Duration) => 0 -> 0;
    /// Change the line speed.
    0x34 Baud(rate: Rate) => 0 -> 0;
    /// Discard unread input.
    0x35 Flush => 0 -> 0;
    /// Wait until the modem asserts carrier (DCD), watching handlers; the deadline is the
    /// duration, or the default timeout.
    0x36 WaitCarrier(within: Within) => 0 -> 0;

    /// Pop a string and print it on stderr.
    0x40 Say => 1 -> 0;
    /// Pop a string and print it on stdout: a result for a shell pipeline. The driver sends
    /// it to stderr instead where stdout is the modem line (`--port -`).
    0x43 Print => 1 -> 0;
    /// Fail with exit code `code`; the message is popped from the stack if `message`.
    /// Caught by the innermost retry block.
    0x41 Fail { code: FailCode, message: Popped(", message from the stack") } => 0 -> 0, no_fallthrough;
    /// Stop now with exit code `code`; not caught by retry blocks.
    0x42 Exit(code: ExitCode) => 0 -> 0, no_fallthrough;

    /// Call procedure `p`; its arguments are on the stack in parameter order.
    0x48 Call(p: Proc) => 0 -> 1;
    /// Return from the current procedure, pushing the popped value (if `value`) or an empty
    /// string for the caller.
    0x49 Return { value: Popped("value") } => 0 -> 0, no_fallthrough;
    /// End of the main script: success.
    0x4a Halt => 0 -> 0, no_fallthrough;

    // ------------------------------------------------------------ chat(8) front end
    // What scripts compiled by `crate::chat` need beyond the language: chat's view of the
    // input (7-bit, echoed, logged, REPORTed) and its raw stderr. See `crate::vm::monitor`.
    /// AND every byte received from now on with the mask (chat strips input to 7 bits: 0x7F).
    0x50 MaskInput(mask: Mask) => 0 -> 0;
    /// Watch the bytes expects consume from now on: copy them to stderr in chat's visible
    /// form (`show`, chat's `-V`), and log them as text lines (`log`, chat's `-v`).
    0x51 Trace { show: Switch("show"), log: Switch("log") } => 0 -> 0;
    /// Turn echo of consumed bytes to stderr on or off (chat's `-e` and `ECHO ON/OFF`).
    0x52 Echo(on: OnOff) => 0 -> 0;
    /// Add constant `k` to the REPORT triggers: when it ends the input an expect has read,
    /// the rest of that line is reported. Each trigger fires at most once.
    0x53 Report(k: Constant) => 0 -> 0;
    /// Remove the REPORT triggers equal to constant `k` that have not fired.
    0x54 ClearReport(k: Constant) => 0 -> 0;
    /// Before exiting: finish a REPORT line still being gathered (reading until a control
    /// byte or one second of silence), and end an echoed line with a newline.
    0x55 EndReport => 0 -> 0;
    /// Write constant `message` (bytes) as a log line; `error` lines are fatal messages.
    0x56 Log { message: Constant, error: Flag("error") } => 0 -> 0;
    /// Pop a string and write it to stderr exactly as it is, nothing added (chat's SAY).
    0x57 SayRaw => 1 -> 0;
    /// Ignore SIGHUP (`true`, chat's `HANGUP OFF`) or let it stop the script (`false`).
    0x58 IgnoreHangup(on: OnOff) => 0 -> 0;
    /// Send a break of the duration; a port that cannot is no error (chat ignores
    /// `tcsendbreak`'s result).
    0x59 TryBreak(duration: Duration) => 0 -> 0;
    /// chat's `alarm(timeout)` at the start of a send: a write the port cannot take (XOFF or
    /// CTS holding the line, a peer not reading) fails once the duration has passed from now;
    /// none (chat's `-t 0`) lets it wait until the line frees or a signal comes. A port that
    /// cannot is no error; it keeps its own stall limit.
    0x5a Alarm(deadline: Deadline) => 0 -> 0;
}

/// One operand of an instruction, by kind: what it means, and so how it is encoded (its
/// Rust type), verified, followed by the flow analysis and shown by the disassembler.
/// [`Op::operands`] lists an instruction's operands in the order the table declares them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    /// Index of a constant; shown by its value.
    Constant(u32),
    /// A variable read or written; shown by name.
    Var(VarRef),
    /// How many values the instruction pops.
    Values(u16),
    /// Shown `==`, `<` and so on.
    Comparison(Comparison),
    /// An instruction the code may jump to.
    Target(u32),
    /// Index of a wait table: the instruction goes on at its arms' and timeout targets, and
    /// stores into its arms' captures.
    Wait(u32),
    /// Index of a handler: its action may start from here, with a stack of its own.
    Handler(u32),
    /// Index of a retry table, whose body must follow the instruction.
    Retry(u32),
    /// Index of a procedure; its arguments are popped.
    Proc(u32),
    /// Shown as a script writes it: `250ms`, `5s`.
    Duration(Duration),
    /// A duration, or the variable it is read from at run time.
    DurArg(DurArg),
    /// A deadline, or the default one; shown `within 5s` when given.
    Within(Option<DurArg>),
    /// The time between two bytes sent, if paced; shown `pace 5ms`.
    Pace(Option<Duration>),
    /// How long from now a thing may take, or no limit; shown `5s` or `never`.
    Deadline(Option<Duration>),
    /// Shown `on` or `off`.
    OnOff(bool),
    /// A named switch, shown `name on` or `name off`.
    Switch(&'static str, bool),
    /// A flag, shown as its word when set.
    Flag(&'static str, bool),
    /// When set, the instruction pops one more value; shown as its text, appended as it is.
    Popped(&'static str, bool),
    /// A line speed, in bits per second.
    Rate(u32),
    /// An exit code, shown as a number.
    ExitCode(u8),
    /// The exit code of a failure, shown `exit 4`.
    FailCode(u8),
    /// A byte mask, shown in hex.
    Mask(u8),
}

/// What the table says about an opcode, apart from its operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    /// The opcode: the instruction's first byte in the binary form.
    pub code: u8,
    /// The name, as declared in [`Op`].
    pub name: &'static str,
    /// Values popped and pushed, besides those the operands imply (see [`Operand`]).
    pub pops: u32,
    pub pushes: u32,
    /// Whether execution can go on to the next instruction.
    pub falls_through: bool,
}

impl Op {
    /// The opcode: the instruction's first byte in the binary form.
    pub fn code(&self) -> u8 {
        self.info().code
    }

    /// The name of the opcode, as declared in [`Op`].
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// Whether execution can go on to the next instruction after this one.
    pub fn falls_through(&self) -> bool {
        self.info().falls_through
    }
}

/// The binary form's reader, as far as operands need it: `super::encoding` implements it and
/// defines the byte layout of each type.
pub(crate) trait OperandReader {
    type Error;
    fn u8(&mut self) -> Result<u8, Self::Error>;
    fn u16(&mut self) -> Result<u16, Self::Error>;
    fn u32(&mut self) -> Result<u32, Self::Error>;
    fn bool(&mut self) -> Result<bool, Self::Error>;
    fn duration(&mut self) -> Result<Duration, Self::Error>;
    fn var(&mut self) -> Result<VarRef, Self::Error>;
    fn dur_arg(&mut self) -> Result<DurArg, Self::Error>;
    fn comparison(&mut self) -> Result<Comparison, Self::Error>;
    fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T, Self::Error>) -> Result<Option<T>, Self::Error>;
}

/// The binary form's writer, as far as operands need it; see [`OperandReader`].
pub(crate) trait OperandWriter {
    fn u8(&mut self, v: u8);
    fn u16(&mut self, v: u16);
    fn u32(&mut self, v: u32);
    fn bool(&mut self, v: bool);
    fn duration(&mut self, d: Duration);
    fn var(&mut self, v: VarRef);
    fn dur_arg(&mut self, d: DurArg);
    fn comparison(&mut self, c: Comparison);
    fn option<T>(&mut self, v: &Option<T>, write: impl FnOnce(&mut Self, &T));
}

/// A type an operand can have, read and written through the binary form's reader and writer.
trait Field: Sized {
    fn read<R: OperandReader>(r: &mut R) -> Result<Self, R::Error>;
    fn write<W: OperandWriter>(&self, w: &mut W);
}

macro_rules! field {
    ($($t:ty => $method:ident),* $(,)?) => {$(
        impl Field for $t {
            fn read<R: OperandReader>(r: &mut R) -> Result<Self, R::Error> {
                r.$method()
            }
            fn write<W: OperandWriter>(&self, w: &mut W) {
                w.$method(*self)
            }
        }
    )*};
}

field! {
    u8 => u8,
    u16 => u16,
    u32 => u32,
    bool => bool,
    Duration => duration,
    VarRef => var,
    DurArg => dur_arg,
    Comparison => comparison,
}

impl<T: Field> Field for Option<T> {
    fn read<R: OperandReader>(r: &mut R) -> Result<Self, R::Error> {
        r.option(T::read)
    }
    fn write<W: OperandWriter>(&self, w: &mut W) {
        w.option(self, |w, v| v.write(w))
    }
}
