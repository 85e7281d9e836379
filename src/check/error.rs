//! Every mistake the checker reports: message, stable code, label and help, in one place.

use std::fmt;

use crate::syntax::ast::Span;

/// One mistake found by [`check`](super::check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    /// Index into [`Sources::files`](crate::syntax::Sources::files).
    pub file: usize,
    /// What the mistake is about; empty and meaningless when [`CheckErrorKind::located`] is
    /// false.
    pub span: Span,
    pub kind: CheckErrorKind,
}

/// The kinds of mistakes, one variant each. `Display` gives the lowercase message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckErrorKind {
    /// A file that does not parse, in the words of `explain`; a help only where there is
    /// something specific to say.
    Syntax { message: String, help: Option<String> },
    /// A name that nothing visible assigns.
    UnknownName { name: String, suggestion: Option<String> },
    /// A call of a procedure that does not exist (in this file, or in the named module).
    UnknownProc { name: String, module: Option<String>, suggestion: Option<String> },
    /// `mod.proc()` where the file has no `use mod`.
    UnknownCallModule { module: String, suggestion: Option<String> },
    /// `dial(numbr: "1")`
    UnknownArgument { proc: String, name: String, suggestion: Option<String> },
    /// More positional arguments than the procedure has parameters.
    TooManyArguments { proc: String, expected: usize, given: usize },
    /// A parameter without a default that the call does not give.
    MissingArgument { proc: String, name: String },
    /// The same parameter given twice (by position and name, or by name twice).
    DuplicateArgument { proc: String, name: String },
    /// `use NAME` with no `NAME.atc` beside the script and none in the stdlib.
    UnknownModule { module: String, suggestion: Option<String> },
    /// `NAME.atc` beside the script exists but cannot be read: larger than the limit for
    /// scripts, not UTF-8, no permission.
    UnreadableModule { module: String, reason: String },
    /// Blocks, parentheses and `else if` nested deeper than the parser's limit.
    TooDeep { limit: usize },
    /// A module that `use`s itself through others: `a` → `b` → `a`.
    ImportCycle { chain: Vec<String> },
    /// `use m` twice in one file.
    DuplicateUse { module: String, first: Span },
    /// `param` anywhere but the top level of the main script.
    MisplacedParam { name: String, place: Place },
    /// A default that is not a string, integer or duration written out.
    NonConstantDefault { name: String },
    /// `param x` twice.
    DuplicateParam { name: String, first: Span },
    /// `proc p` twice in one file.
    DuplicateProc { name: String, first: Span },
    /// `proc p(a, a)`
    DuplicateProcParam { proc: String, name: String, first: Span },
    /// `use` or `proc` inside a block.
    NestedDeclaration { keyword: &'static str },
    /// `port` anywhere but the top level of the main script.
    MisplacedPort,
    /// A statement other than `proc`, `use`, `let` at the top level of a module.
    ModuleStatement { statement: String },
    /// `5x`
    UnknownDurationUnit { text: String, unit: String },
    /// More than a year.
    DurationTooLong { text: String },
    /// `within 0s` and friends.
    ZeroDuration { clause: &'static str, text: String },
    /// Digits that do not fit in 64 bits.
    IntegerTooLarge { text: String },
    /// `retry 0 times`
    ZeroRetries,
    /// `retry N times` with N over 4294967295.
    TooManyRetries { text: String },
    /// `baud 0` or a rate over 4294967295.
    BadBaud { text: String },
    /// `exit` outside 0–255.
    ExitCodeRange { text: String },
    /// `fail CODE` outside 4–255.
    FailCodeRange { text: String },
    /// A bare pattern that is not a known result code.
    UnknownResultCode { name: String, suggestion: Option<String> },
    /// `expect ""`
    EmptyPattern,
    /// `"{x} OK"`
    LeadingCapture { name: String },
    /// `"{a}{b}"`
    AdjacentCaptures { first: String, second: String },
    /// `retry` outside a retry block; `handler` when it is a handler's action.
    RetryOutsideBlock { handler: bool },
    /// `return` outside a procedure.
    ReturnOutsideProc,
    /// Statements after one that never falls through.
    Unreachable { after: &'static str, terminator: Span },
    /// Two `timeout =>` arms in one expect.
    DuplicateTimeoutArm { first: Span },
    /// `"\q"`, `"\x4"`
    UnknownEscape { escape: String },
    /// `settle DUR` on a plain `expect`.
    SettleOutsideCommand,
    /// A `command` arm with `\r` or `\n` in it, other than the `\n` of `"HEAD\n{name}"`:
    /// arms see one line, without its ending.
    LineBreakInCommandArm,
    /// `final "..."` that is empty, captures, or is already a result code.
    BadFinal { text: String, reason: &'static str },
    /// An arm an earlier arm of the same wait always takes first.
    ShadowedArm { first: Span },
    /// A required param that was not given (`-D name=value` or the environment).
    MissingParam { name: String },
    /// A given param that the script does not declare.
    UnknownParam { name: String, suggestion: Option<String> },
}

/// Where a misplaced `param` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Inside a `proc`.
    Proc,
    /// At the top level of a module.
    Module,
    /// Inside a block (`retry`, `if`, a handler).
    Block,
}

/// Every code [`CheckErrorKind::code`] can return, for tests and documentation.
pub const CODES: &[&str] = &[
    "atchat::syntax",
    "atchat::unknown-name",
    "atchat::unknown-proc",
    "atchat::unknown-call-module",
    "atchat::unknown-argument",
    "atchat::too-many-arguments",
    "atchat::missing-argument",
    "atchat::duplicate-argument",
    "atchat::unknown-module",
    "atchat::unreadable-module",
    "atchat::too-deep",
    "atchat::import-cycle",
    "atchat::duplicate-use",
    "atchat::misplaced-param",
    "atchat::non-constant-default",
    "atchat::duplicate-param",
    "atchat::duplicate-proc",
    "atchat::duplicate-proc-param",
    "atchat::nested-declaration",
    "atchat::misplaced-port",
    "atchat::module-statement",
    "atchat::duration-unit",
    "atchat::duration-too-long",
    "atchat::zero-duration",
    "atchat::integer-too-large",
    "atchat::zero-retries",
    "atchat::too-many-retries",
    "atchat::bad-baud",
    "atchat::exit-code",
    "atchat::fail-code",
    "atchat::unknown-result-code",
    "atchat::empty-pattern",
    "atchat::leading-capture",
    "atchat::adjacent-captures",
    "atchat::retry-outside-block",
    "atchat::return-outside-proc",
    "atchat::unreachable",
    "atchat::duplicate-timeout-arm",
    "atchat::unknown-escape",
    "atchat::settle-outside-command",
    "atchat::line-break-in-command-arm",
    "atchat::bad-final",
    "atchat::shadowed-arm",
    "atchat::missing-param",
    "atchat::unknown-param",
];

impl CheckErrorKind {
    /// The stable diagnostic code, e.g. `atchat::unknown-name`.
    pub fn code(&self) -> &'static str {
        use CheckErrorKind as K;
        match self {
            K::Syntax { .. } => "atchat::syntax",
            K::UnknownName { .. } => "atchat::unknown-name",
            K::UnknownProc { .. } => "atchat::unknown-proc",
            K::UnknownCallModule { .. } => "atchat::unknown-call-module",
            K::UnknownArgument { .. } => "atchat::unknown-argument",
            K::TooManyArguments { .. } => "atchat::too-many-arguments",
            K::MissingArgument { .. } => "atchat::missing-argument",
            K::DuplicateArgument { .. } => "atchat::duplicate-argument",
            K::UnknownModule { .. } => "atchat::unknown-module",
            K::UnreadableModule { .. } => "atchat::unreadable-module",
            K::TooDeep { .. } => "atchat::too-deep",
            K::ImportCycle { .. } => "atchat::import-cycle",
            K::DuplicateUse { .. } => "atchat::duplicate-use",
            K::MisplacedParam { .. } => "atchat::misplaced-param",
            K::NonConstantDefault { .. } => "atchat::non-constant-default",
            K::DuplicateParam { .. } => "atchat::duplicate-param",
            K::DuplicateProc { .. } => "atchat::duplicate-proc",
            K::DuplicateProcParam { .. } => "atchat::duplicate-proc-param",
            K::NestedDeclaration { .. } => "atchat::nested-declaration",
            K::MisplacedPort => "atchat::misplaced-port",
            K::ModuleStatement { .. } => "atchat::module-statement",
            K::UnknownDurationUnit { .. } => "atchat::duration-unit",
            K::DurationTooLong { .. } => "atchat::duration-too-long",
            K::ZeroDuration { .. } => "atchat::zero-duration",
            K::IntegerTooLarge { .. } => "atchat::integer-too-large",
            K::ZeroRetries => "atchat::zero-retries",
            K::TooManyRetries { .. } => "atchat::too-many-retries",
            K::BadBaud { .. } => "atchat::bad-baud",
            K::ExitCodeRange { .. } => "atchat::exit-code",
            K::FailCodeRange { .. } => "atchat::fail-code",
            K::UnknownResultCode { .. } => "atchat::unknown-result-code",
            K::EmptyPattern => "atchat::empty-pattern",
            K::LeadingCapture { .. } => "atchat::leading-capture",
            K::AdjacentCaptures { .. } => "atchat::adjacent-captures",
            K::RetryOutsideBlock { .. } => "atchat::retry-outside-block",
            K::ReturnOutsideProc => "atchat::return-outside-proc",
            K::Unreachable { .. } => "atchat::unreachable",
            K::DuplicateTimeoutArm { .. } => "atchat::duplicate-timeout-arm",
            K::UnknownEscape { .. } => "atchat::unknown-escape",
            K::SettleOutsideCommand => "atchat::settle-outside-command",
            K::LineBreakInCommandArm => "atchat::line-break-in-command-arm",
            K::BadFinal { .. } => "atchat::bad-final",
            K::ShadowedArm { .. } => "atchat::shadowed-arm",
            K::MissingParam { .. } => "atchat::missing-param",
            K::UnknownParam { .. } => "atchat::unknown-param",
        }
    }

    /// Whether the error points into a file. Only [`CheckErrorKind::UnknownParam`] does not: it
    /// comes from the command line.
    pub fn located(&self) -> bool {
        !matches!(self, CheckErrorKind::UnknownParam { .. })
    }

    /// The short text under the caret.
    pub fn label(&self) -> String {
        use CheckErrorKind as K;
        match self {
            K::Syntax { .. } => "here".into(),
            K::UnknownName { .. } => "not assigned anywhere visible".into(),
            K::UnknownProc { .. } => "no such procedure".into(),
            K::UnknownCallModule { .. } => "not a module used by this file".into(),
            K::UnknownArgument { .. } => "no such parameter".into(),
            K::TooManyArguments { expected, .. } => {
                format!("takes {}", plural(*expected, "argument"))
            }
            K::MissingArgument { name, .. } => format!("`{name}` not given"),
            K::DuplicateArgument { .. } => "given again here".into(),
            K::UnknownModule { .. } => "no such module".into(),
            K::UnreadableModule { .. } => "cannot be read".into(),
            K::TooDeep { limit } => format!("more than {limit} levels deep"),
            K::ImportCycle { .. } => "closes the cycle".into(),
            K::DuplicateUse { .. } => "used again here".into(),
            K::MisplacedParam { .. } => "not allowed here".into(),
            K::NonConstantDefault { .. } => "not a constant".into(),
            K::DuplicateParam { .. } | K::DuplicateProc { .. } | K::DuplicateProcParam { .. } => {
                "declared again here".into()
            }
            K::NestedDeclaration { .. } | K::MisplacedPort | K::ModuleStatement { .. } => "not allowed here".into(),
            K::UnknownDurationUnit { unit, .. } => format!("unknown unit `{unit}`"),
            K::DurationTooLong { .. } => "more than a year".into(),
            K::ZeroDuration { .. } => "zero".into(),
            K::IntegerTooLarge { .. } => "too large".into(),
            K::ZeroRetries => "zero attempts".into(),
            K::TooManyRetries { .. } => "too many".into(),
            K::BadBaud { .. } => "not a baud rate".into(),
            K::ExitCodeRange { .. } => "not in 0–255".into(),
            K::FailCodeRange { .. } => "not in 4–255".into(),
            K::UnknownResultCode { .. } => "not a result code".into(),
            K::EmptyPattern => "matches nothing".into(),
            K::LeadingCapture { .. } => "capture at the start".into(),
            K::AdjacentCaptures { .. } => "two captures in a row".into(),
            K::RetryOutsideBlock { .. } => "not inside a retry block".into(),
            K::ReturnOutsideProc => "not inside a procedure".into(),
            K::Unreachable { .. } => "never runs".into(),
            K::DuplicateTimeoutArm { .. } => "second timeout arm".into(),
            K::UnknownEscape { .. } => "unknown escape".into(),
            K::SettleOutsideCommand => "not a `command`".into(),
            K::LineBreakInCommandArm => "never in a line".into(),
            K::BadFinal { reason, .. } => (*reason).into(),
            K::ShadowedArm { .. } => "never matches".into(),
            K::MissingParam { .. } => "required, no default".into(),
            K::UnknownParam { .. } => String::new(),
        }
    }

    /// A second place worth showing (the first declaration, the statement that ends a block).
    pub fn related(&self) -> Option<(Span, &'static str)> {
        use CheckErrorKind as K;
        match self {
            K::DuplicateUse { first, .. } => Some((*first, "first used here")),
            K::DuplicateParam { first, .. } | K::DuplicateProc { first, .. } | K::DuplicateProcParam { first, .. } => {
                Some((*first, "first declared here"))
            }
            K::Unreachable { terminator, .. } => Some((*terminator, "control never gets past this")),
            K::DuplicateTimeoutArm { first, .. } => Some((*first, "first timeout arm")),
            K::ShadowedArm { first } => Some((*first, "takes every line first")),
            _ => None,
        }
    }

    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        use CheckErrorKind as K;
        let did_you_mean = |s: &Option<String>| s.as_ref().map(|s| format!("did you mean `{s}`?"));
        Some(match self {
            K::Syntax { help, .. } => return help.clone(),
            K::UnknownName { name, suggestion } => did_you_mean(suggestion).unwrap_or_else(|| {
                format!("assign it first (`let {name} = ...`), capture it in a pattern (`\"{{{name}}}\"`) or declare it (`param {name}`)")
            }),
            K::UnknownProc { name, module, suggestion } => did_you_mean(suggestion).unwrap_or_else(|| match module {
                Some(m) => format!("module `{m}` has no `proc {name}`"),
                None => format!("declare it with `proc {name}(...) {{ ... }}` at the top level of this file, or call it through its module (`module.{name}()`)"),
            }),
            K::UnknownCallModule { module, suggestion } => did_you_mean(suggestion)
                .unwrap_or_else(|| format!("add `use {module}` at the top of this file")),
            K::UnknownArgument { proc, suggestion, .. } => did_you_mean(suggestion)
                .unwrap_or_else(|| format!("see the parameters in the declaration of `{proc}`")),
            K::TooManyArguments { proc, .. } => format!("remove the extra arguments, or add parameters to `proc {proc}`"),
            K::MissingArgument { name, .. } => format!("pass it by position or by name (`{name}: ...`), or give the parameter a default"),
            K::DuplicateArgument { name, .. } => format!("give `{name}` once, by position or by name"),
            K::UnknownModule { module, suggestion } => did_you_mean(suggestion).unwrap_or_else(|| {
                format!("put `{module}.atc` beside the script; the bundled modules are {}", stdlib_list())
            }),
            K::UnreadableModule { module, .. } => format!("`{module}.atc` beside the script is used instead of any bundled module of that name: make it readable UTF-8, with the script and its other modules at most {} together, or remove it", crate::input::SCRIPT.size_text()),
            K::TooDeep { .. } => "move the inner part into a `proc`, or join conditions with `and` and `or`".into(),
            K::ImportCycle { .. } => "modules must form a tree: move the shared procedures into a module of their own".into(),
            K::DuplicateUse { .. } => "remove the second `use`".into(),
            K::MisplacedParam { place, .. } => match place {
                Place::Proc => "use a procedure parameter instead: `proc name(value) { ... }`".into(),
                Place::Module => "declare the param in the main script and pass it to the module's procedures".into(),
                Place::Block => "move the `param` to the top level of the script".into(),
            },
            K::NonConstantDefault { .. } => "write the default out: a string without `{...}`, a number or a duration".into(),
            K::DuplicateParam { .. } | K::DuplicateProcParam { .. } => "rename or remove one of them".into(),
            K::DuplicateProc { .. } => "rename or remove one of them: calls would be ambiguous".into(),
            K::NestedDeclaration { keyword } => format!("move `{keyword}` to the top level of the file"),
            K::MisplacedPort => "put `port` at the top level of the main script, or pass `--port`".into(),
            K::ModuleStatement { .. } => "a module holds only `proc`, `use`, `let` and `final`: move the statement into a procedure".into(),
            K::UnknownDurationUnit { .. } => "units are `ms`, `s`, `m` and `h`: `500ms`, `5s`, `1m`".into(),
            K::DurationTooLong { .. } => "durations are limited to a year; did you mean a smaller unit?".into(),
            K::ZeroDuration { clause, .. } => match *clause {
                "timeout" => "a zero timeout fails every expect at once; give a positive duration".into(),
                "every" => "remove `every` to retry at once, or give a positive pause".into(),
                "settle" => "remove `settle` for the default (1s), or give a positive duration".into(),
                _ => format!("remove `{clause}` for no limit, or give a positive duration"),
            },
            K::IntegerTooLarge { .. } => "numbers must fit in 64 bits".into(),
            K::ZeroRetries => "`retry N times` needs at least 1 attempt".into(),
            K::TooManyRetries { .. } => "use `within DUR` for a long-running retry instead of a huge count".into(),
            K::BadBaud { .. } => "give the line speed in bits per second, e.g. `baud 115200`".into(),
            K::ExitCodeRange { .. } => "exit codes are 0–255".into(),
            K::FailCodeRange { .. } => "0 means success, 1 a bad invocation, 2 an I/O error and 3 a timeout; `fail` codes are 4–255".into(),
            K::UnknownResultCode { name, suggestion } => did_you_mean(suggestion).unwrap_or_else(|| {
                format!("quote it to match the text anywhere (`\"{name}\"`); bare result codes are {}", result_code_list())
            }),
            K::EmptyPattern => "an empty pattern matches at once; remove the expect or write what to wait for".into(),
            K::LeadingCapture { .. } => "a capture needs literal text before it to anchor it: `\"+CSQ: {rssi}\"`".into(),
            K::AdjacentCaptures { first, .. } => format!("put the text that separates them between the captures: `\"{{{first}}},{{...}}\"`"),
            K::RetryOutsideBlock { handler: true } => "put the handler inside the retry block: `retry 3 times { on BUSY retry ... }`".into(),
            K::RetryOutsideBlock { handler: false } => "`retry` restarts the enclosing `retry N times { ... }` block; use `fail` to give up".into(),
            K::ReturnOutsideProc => "use `exit 0` to end the script".into(),
            K::Unreachable { after, .. } => format!("remove the unreachable statements, or move them before `{after}`"),
            K::DuplicateTimeoutArm { .. } => "keep one `timeout =>` arm: only one can run".into(),
            K::SettleOutsideCommand => "`settle` bounds how long a `command` awaits its final result code after an information line; a plain `expect` has `within` and `idle`".into(),
            K::LineBreakInCommandArm => "a `command`'s arms are matched against one line at a time, without its line ending: write `\"{line}\"` for a whole line, or end the pattern with `\\n{name}` to take the line after the one it matches".into(),
            K::BadFinal { .. } => "declare the vendor's line as the modem sends it, e.g. `final \"COMMAND NOT SUPPORT\"`; the V.250 and 27.007 finals are known already".into(),
            K::ShadowedArm { .. } => "remove this arm, or make the earlier one more specific".into(),
            K::UnknownEscape { .. } => "escapes are `\\r \\n \\t \\\\ \\\" \\{ \\} \\0 \\e` and `\\xNN`; write `\\\\` for a backslash".into(),
            K::MissingParam { name } => format!("give it with `-D {name}=VALUE` or the environment, or declare a default (`param {name} = \"...\"`)"),
            K::UnknownParam { suggestion, .. } => did_you_mean(suggestion)
                .unwrap_or_else(|| "remove it, or declare it in the script with `param`".into()),
        })
    }
}

/// A help chosen from what would have fitted, where the parser stopped at `keyword`; `None`
/// when nothing specific can be said.
pub(super) fn syntax_help(expected: &[String], keyword: Option<&str>) -> Option<String> {
    let mentions = |what: &str| expected.iter().any(|e| e.contains(what));
    Some(if let Some(k) = keyword.filter(|_| mentions("name") || mentions("argument") || mentions("parameter")) {
        format!("`{k}` is a keyword and cannot be used as a name; choose another name")
    } else if mentions("times") {
        "retry clauses take literal values: `retry 3 times every 30s within 5m { ... }`".into()
    } else if mentions("a value") {
        "text goes in double quotes (`send \"ATZ\"`); names are lowercase".into()
    } else if mentions("a duration") {
        "durations need a unit: `500ms`, `5s`, `1m`, `2h`".into()
    } else if mentions("a pattern") {
        "a pattern is a quoted string (`\"CONNECT {rate}\"`) or an uppercase result code (`OK`, `NO CARRIER`)".into()
    } else {
        return None;
    })
}

fn stdlib_list() -> String {
    let names: Vec<String> = crate::syntax::loader::STDLIB.iter().map(|(n, _)| format!("`{n}`")).collect();
    names.join(", ")
}

fn result_code_list() -> String {
    let mut names: Vec<String> = crate::lang::result_code::words().map(|n| format!("`{n}`")).collect();
    names.push("codes starting with `+`".into());
    names.join(", ")
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

impl fmt::Display for CheckErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CheckErrorKind as K;
        match self {
            K::Syntax { message, .. } => write!(f, "syntax error: {message}"),
            K::UnknownName { name, .. } => write!(f, "unknown name `{name}`"),
            K::UnknownProc { name, module: Some(m), .. } => {
                write!(f, "unknown procedure `{m}.{name}`")
            }
            K::UnknownProc { name, module: None, .. } => write!(f, "unknown procedure `{name}`"),
            K::UnknownCallModule { module, .. } => write!(f, "unknown module `{module}`"),
            K::UnknownArgument { proc, name, .. } => {
                write!(f, "`{proc}` has no parameter `{name}`")
            }
            K::TooManyArguments { proc, expected, given } => {
                write!(f, "too many arguments: `{proc}` takes {}, {given} given", plural(*expected, "argument"))
            }
            K::MissingArgument { proc, name } => {
                write!(f, "missing argument `{name}` in call of `{proc}`")
            }
            K::DuplicateArgument { proc, name } => {
                write!(f, "argument `{name}` of `{proc}` given twice")
            }
            K::UnknownModule { module, .. } => write!(f, "unknown module `{module}`"),
            K::UnreadableModule { module, reason } => {
                write!(f, "module `{module}` cannot be read: {reason}")
            }
            K::TooDeep { limit } => {
                write!(f, "blocks, parentheses and `else if` are nested more than {limit} levels deep")
            }
            K::ImportCycle { chain } => {
                let chain: Vec<String> = chain.iter().map(|m| format!("`{m}`")).collect();
                write!(f, "import cycle: {}", chain.join(" → "))
            }
            K::DuplicateUse { module, .. } => write!(f, "module `{module}` is used twice"),
            K::MisplacedParam { name, place } => {
                let place = match place {
                    Place::Proc => "inside a procedure",
                    Place::Module => "in a module",
                    Place::Block => "inside a block",
                };
                write!(f, "`param {name}` {place}: params belong at the top level of the main script")
            }
            K::NonConstantDefault { name } => {
                write!(f, "the default of `{name}` must be a constant")
            }
            K::DuplicateParam { name, .. } => write!(f, "param `{name}` is declared twice"),
            K::DuplicateProc { name, .. } => write!(f, "procedure `{name}` is declared twice"),
            K::DuplicateProcParam { proc, name, .. } => {
                write!(f, "procedure `{proc}` has two parameters named `{name}`")
            }
            K::NestedDeclaration { keyword } => {
                write!(f, "`{keyword}` is only allowed at the top level of a file")
            }
            K::MisplacedPort => {
                write!(f, "`port` is only allowed at the top level of the main script")
            }
            K::ModuleStatement { statement } => {
                write!(f, "{statement} is not allowed at the top level of a module")
            }
            K::UnknownDurationUnit { text, unit } => {
                write!(f, "unknown unit `{unit}` in duration `{text}`")
            }
            K::DurationTooLong { text } => write!(f, "duration `{text}` is too long"),
            K::ZeroDuration { clause, text } => write!(f, "`{clause} {text}` makes no sense"),
            K::IntegerTooLarge { text } => write!(f, "number `{text}` is too large"),
            K::ZeroRetries => write!(f, "`retry 0 times` never runs its block"),
            K::TooManyRetries { text } => write!(f, "retry count `{text}` is too large"),
            K::BadBaud { text } => write!(f, "`baud {text}` is not a usable line speed"),
            K::ExitCodeRange { text } => write!(f, "exit code `{text}` is out of range"),
            K::FailCodeRange { text } => write!(f, "`fail` code `{text}` is out of range"),
            K::UnknownResultCode { name, .. } => write!(f, "unknown result code `{name}`"),
            K::EmptyPattern => write!(f, "empty pattern"),
            K::LeadingCapture { name } => {
                write!(f, "pattern begins with the capture `{{{name}}}`")
            }
            K::AdjacentCaptures { first, second } => {
                write!(f, "captures `{{{first}}}` and `{{{second}}}` have nothing between them")
            }
            K::RetryOutsideBlock { .. } => write!(f, "`retry` outside a retry block"),
            K::ReturnOutsideProc => write!(f, "`return` outside a procedure"),
            K::Unreachable { after, .. } => write!(f, "unreachable code after `{after}`"),
            K::DuplicateTimeoutArm { .. } => write!(f, "expect has two `timeout` arms"),
            K::UnknownEscape { escape } => write!(f, "unknown escape `{escape}`"),
            K::SettleOutsideCommand => write!(f, "`settle` applies to a `command` only"),
            K::LineBreakInCommandArm => {
                write!(f, "a `command` arm holds a line break only as `\\n{{name}}` at its end")
            }
            K::BadFinal { text, .. } => write!(f, "`final \"{text}\"` cannot be a final result code"),
            K::ShadowedArm { .. } => write!(f, "this arm can never match"),
            K::MissingParam { name } => write!(f, "missing required param `{name}`"),
            K::UnknownParam { name, .. } => write!(f, "unknown param `{name}`"),
        }
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for CheckError {}
