//! The abstract syntax tree of an `.atc` script.
//!
//! Every node that a diagnostic can point at carries a [`Span`]. The tree is what the parser
//! saw, nothing more: names are not resolved and durations are kept as written, so the
//! checker can report every mistake with its exact position.

use std::time::Duration;

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// A parsed file: its statements in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub stmts: Vec<Stmt>,
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A statement with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// Every statement of the language (docs/language.md shows each).
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `use hayes`
    Use(Name),
    /// `[secret] param name [= default]`
    Param { name: Name, default: Option<Expr>, secret: bool },
    /// `let name = value`
    Let { name: Name, value: Expr },
    /// `timeout 5s`
    Timeout(DurationValue),
    /// `results numeric|verbose`
    Results { numeric: bool },
    /// `port "/dev/ttyUSB0"`
    Port(StringLit),
    /// `proc name(params) { body }`
    Proc { name: Name, params: Vec<ProcParam>, body: Block },
    /// `return [value]`
    Return(Option<Expr>),
    /// `send [raw] [pace DUR] value`
    Send { value: Expr, raw: bool, pace: Option<DurationLit> },
    /// `expect ...`
    Expect(Expect),
    /// `command [raw] [pace DUR] value [expect ...] [within DUR] [settle DUR]`: a command
    /// as a transaction. `expect` holds its arms (none for a bare `command`) and limits.
    Command { value: Expr, raw: bool, pace: Option<DurationLit>, expect: Expect },
    /// `final "COMMAND NOT SUPPORT"`: a vendor's final result code (a refusal).
    Final(StringLit),
    /// `on PATTERN ACTION` / `on timeout ACTION`
    On(Handler),
    /// `retry N times every DUR within DUR { body }`
    Retry(Retry),
    /// `retry`: restart the enclosing retry block.
    RetryNow,
    /// `if cond { } else { }`
    If { cond: Cond, then: Block, otherwise: Option<Block> },
    /// `dtr on|off`
    Dtr(bool),
    /// `rts on|off`
    Rts(bool),
    /// `break [DUR]`
    Break(Option<DurationLit>),
    /// `hangup`
    Hangup,
    /// `escape`
    Escape,
    /// `wait carrier [within DUR]`
    WaitCarrier(Option<DurationValue>),
    /// `baud N`
    Baud(IntLit),
    /// `flush`
    Flush,
    /// `sleep DUR`
    Sleep(DurationValue),
    /// `say value`
    Say(Expr),
    /// `print value`: a result on stdout
    Print(Expr),
    /// `fail [CODE] [value]`
    Fail { code: Option<IntLit>, message: Option<Expr> },
    /// `exit CODE`
    Exit(IntLit),
    /// `proc_name(args)` or `module.proc_name(args)`
    Call(Call),
}

/// `{ statements }`
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

/// One parameter of a `proc`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcParam {
    pub name: Name,
    pub default: Option<Expr>,
}

/// An `expect` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// One arm per pattern; `expect OK` has one arm whose action is `ignore`.
    pub arms: Vec<Arm>,
    /// The `timeout => action` arm, if any.
    pub on_timeout: Option<Action>,
    pub within: Option<DurationValue>,
    pub idle: Option<DurationValue>,
    /// `settle DUR`, allowed on a `command` only.
    pub settle: Option<DurationValue>,
}

/// `pattern => action`
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub pattern: Pattern,
    pub action: Action,
}

/// What an expect waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// `"CONNECT {rate}"`: a literal substring with captures.
    Text(StringLit),
    /// `NO CARRIER`: a result code, matched as a whole line.
    Code { name: String, span: Span },
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Text(s) => s.span,
            Pattern::Code { span, .. } => *span,
        }
    }
}

/// An `on` handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// `None` for `on timeout`.
    pub pattern: Option<Pattern>,
    pub action: Action,
}

/// What a handler or an arm does when it fires.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
}

/// The kinds of [`Action`].
#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    Fail { code: Option<IntLit>, message: Option<Expr> },
    Retry,
    Ignore,
    Exit(IntLit),
    Say(Expr),
    Print(Expr),
    Block(Block),
}

/// A `retry` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    pub times: Option<IntLit>,
    pub every: Option<DurationLit>,
    pub within: Option<DurationValue>,
    pub body: Block,
}

/// A condition of an `if`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// `a == b`, `rssi < 10`
    Compare {
        left: Expr,
        op: CompareOp,
        right: Expr,
    },
    /// A value on its own: true unless empty, `0` or unset.
    Truthy(Expr),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(StringLit),
    Int(IntLit),
    Duration(DurationLit),
    Var(Name),
    Call(Call),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Str(s) => s.span,
            Expr::Int(i) => i.span,
            Expr::Duration(d) => d.span,
            Expr::Var(n) => n.span,
            Expr::Call(c) => c.span,
        }
    }
}

/// `hayes.reset()`, `dial(number, attempts: 5)`
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// `hayes` in `hayes.reset()`.
    pub module: Option<Name>,
    pub name: Name,
    pub args: Vec<Argument>,
    pub span: Span,
}

/// One argument of a call: positional, or `name: value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    pub name: Option<Name>,
    pub value: Expr,
}

/// A string literal: literal bytes and `{name}` holes, escapes already decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    pub parts: Vec<StrPart>,
    pub span: Span,
}

impl StringLit {
    /// The text parts joined, the holes left out (a final result code's text).
    pub fn text_bytes(&self) -> Vec<u8> {
        self.parts
            .iter()
            .flat_map(|p| match p {
                StrPart::Text(t) => t.clone(),
                StrPart::Hole(_) => Vec::new(),
            })
            .collect()
    }

    /// The literal bytes, if the string has no holes.
    pub fn as_literal(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                StrPart::Text(bytes) => out.extend_from_slice(bytes),
                StrPart::Hole(_) => return None,
            }
        }
        Some(out)
    }
}

/// A piece of a [`StringLit`].
#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Text(Vec<u8>),
    /// `{name}`: interpolation in values, a capture in patterns.
    Hole(Name),
}

/// An integer as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntLit {
    /// `None` when the digits do not fit in an `i64` (the checker reports it).
    pub value: Option<i64>,
    pub span: Span,
}

/// A duration as written: `500ms`, `1.5s`.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationLit {
    /// `None` when the unit is unknown or the number too large (the checker reports it).
    pub value: Option<Duration>,
    pub text: String,
    pub span: Span,
}

/// A duration where a name may stand instead (`within limit`).
#[derive(Debug, Clone, PartialEq)]
pub enum DurationValue {
    Lit(DurationLit),
    Var(Name),
}

impl DurationValue {
    pub fn span(&self) -> Span {
        match self {
            DurationValue::Lit(d) => d.span,
            DurationValue::Var(n) => n.span,
        }
    }
}
