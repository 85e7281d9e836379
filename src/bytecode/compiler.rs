//! Checked AST → [`Program`].
//!
//! The compiler trusts the checker (`crate::check`) for everything a user can get wrong; what
//! it still finds (an unknown name in unchecked input) it reports as a [`CompileError`]
//! instead of panicking.

use std::collections::HashMap;
use std::time::Duration;

use super::opcode::{Comparison, DurArg, Op, VarRef};
use super::pattern::{End, Pattern as MatchPattern, Segment};
use super::program::*;
use crate::lang::result_code;
use crate::syntax::ast::*;
use crate::syntax::scope::{assigned_names, Names};
use crate::syntax::Sources;

/// Default duration of `break` without a duration.
pub const DEFAULT_BREAK: Duration = Duration::from_millis(250);
/// How long `hangup` holds DTR low (V.250 needs more than S25, 0.05 s by default).
pub const HANGUP_DTR_LOW: Duration = Duration::from_millis(500);
/// How long a `command` without `settle` awaits its final result code once an information
/// arm has matched: the silence after which a modem that sends no final (Wavecom's
/// `+CPIN: READY`) is taken to have answered.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(1);
/// How long `hangup` waits after raising DTR before discarding what the modem said.
pub const HANGUP_SETTLE: Duration = Duration::from_millis(200);

/// Something the checker should have caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub file: String,
    pub span: Span,
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for CompileError {}

/// Compiles a loaded script and its modules. Every file must have parsed.
pub fn compile(sources: &Sources) -> Result<Program, CompileError> {
    let mut c = Compiler::new(sources)?;
    c.declare()?;
    c.program.files = sources.files.iter().map(|f| f.name.clone()).collect();
    // A module's `final` declarations (`stdlib/gsm.atc`'s vendor finals) hold for the whole
    // program, so they are emitted first; the procs are the rest of a module's code.
    c.frame = None;
    for file in 1..c.scripts.len() {
        c.file = file;
        let finals: Vec<Stmt> =
            c.scripts[file].stmts.iter().filter(|s| matches!(s.kind, StmtKind::Final(_))).cloned().collect();
        c.stmts(&finals)?;
    }
    // The main script first, so its handlers get the lowest indexes.
    c.file = 0;
    let main = c.scripts[0];
    c.stmts(&main.stmts)?;
    c.emit(Op::Halt);
    for file in 0..c.scripts.len() {
        c.file = file;
        for stmt in &c.scripts[file].stmts {
            if let StmtKind::Proc { name, params, body } = &stmt.kind {
                c.proc_body(name, params, body, stmt.span)?;
            }
        }
    }
    c.emit_deferred()?;
    Ok(c.program)
}

/// Where an arm's or a handler's action sits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ActionSite {
    /// An expect arm: after the action, go on after the expect (`end`). `pattern` is the
    /// arm's pattern (an index into `patterns`), `None` for the `timeout` arm.
    Arm { end: u32, pattern: Option<u32> },
    /// A handler: after the action, `Resume`.
    Handler { index: u32 },
}

/// The local slots of the procedure being compiled, by name.
struct LocalSlots {
    slots: HashMap<String, u16>,
}

struct Deferred {
    handler: u32,
    file: usize,
    frame: Option<HashMap<String, u16>>,
    action: Action,
    fail_message: String,
}

struct Compiler<'a> {
    scripts: Vec<&'a Script>,
    sources: &'a Sources,
    line_starts: Vec<Vec<usize>>,
    program: Program,
    file: usize,
    /// Locals of the procedure being compiled; `None` at top level.
    frame: Option<LocalSlots>,
    /// (file, name) → global slot.
    globals: HashMap<(usize, String), u16>,
    /// (file, name) → procedure index.
    procs: HashMap<(usize, String), u32>,
    consts: HashMap<ConstKey, u32>,
    patterns: HashMap<MatchPatternKey, u32>,
    deferred: Vec<Deferred>,
}

#[derive(Hash, PartialEq, Eq)]
enum ConstKey {
    Str(Vec<u8>),
    Int(i64),
    Duration(Duration),
}

/// What makes two matcher patterns the same, so equal patterns share one table entry. (The
/// matcher's `Pattern` is not `Hash`; its fields and variants are all named here, so a new one
/// does not compile until it is added.)
#[derive(Hash, PartialEq, Eq)]
struct MatchPatternKey {
    segments: Vec<Option<Vec<u8>>>,
    line_start: bool,
    end: u8,
    numeric: Option<Vec<u8>>,
}

impl MatchPatternKey {
    fn of(pattern: &MatchPattern) -> MatchPatternKey {
        let MatchPattern { segments, line_start, end, numeric } = pattern;
        MatchPatternKey {
            segments: segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(bytes) => Some(bytes.clone()),
                    Segment::Capture => None,
                })
                .collect(),
            line_start: *line_start,
            end: match end {
                End::Here => 0,
                End::LineEnd => 1,
                End::RestOfLine => 2,
            },
            numeric: numeric.clone(),
        }
    }
}

impl<'a> Compiler<'a> {
    fn new(sources: &'a Sources) -> Result<Compiler<'a>, CompileError> {
        let mut scripts = Vec::new();
        for f in &sources.files {
            match &f.script {
                Ok(s) => scripts.push(s),
                Err(e) => return Err(CompileError { file: f.name.clone(), span: e.span, message: e.message() }),
            }
        }
        if scripts.is_empty() {
            return Err(CompileError { file: String::new(), span: Span::default(), message: "no script".into() });
        }
        let line_starts = sources
            .files
            .iter()
            .map(|f| std::iter::once(0).chain(f.text.match_indices('\n').map(|(i, _)| i + 1)).collect())
            .collect();
        Ok(Compiler {
            scripts,
            sources,
            line_starts,
            program: Program::default(),
            file: 0,
            frame: None,
            globals: HashMap::new(),
            procs: HashMap::new(),
            consts: HashMap::new(),
            patterns: HashMap::new(),
            deferred: Vec::new(),
        })
    }

    fn error(&self, span: Span, message: impl Into<String>) -> CompileError {
        CompileError { file: self.sources.files[self.file].name.clone(), span, message: message.into() }
    }

    fn line_of(&self, span: Span) -> u32 {
        let starts = &self.line_starts[self.file];
        starts.partition_point(|&s| s <= span.start) as u32
    }

    // ------------------------------------------------------------ declarations

    /// Assigns every global and procedure its index before any code is emitted, so calls and
    /// names can refer forward.
    fn declare(&mut self) -> Result<(), CompileError> {
        for file in 0..self.scripts.len() {
            let script = self.scripts[file];
            let module = self.module_prefix(file);
            for stmt in &script.stmts {
                match &stmt.kind {
                    StmtKind::Proc { name, params, .. } => {
                        let index = self.program.procs.len() as u32;
                        self.procs.insert((file, name.text.clone()), index);
                        self.program.procs.push(ProcInfo {
                            name: format!("{module}{}", name.text),
                            entry: 0,
                            params: params.len() as u16,
                            locals: 0,
                            local_names: Vec::new(),
                        });
                    }
                    StmtKind::Param { name, default, secret } if file == 0 => {
                        let default = match default {
                            Some(e) => Some(self.literal(e)?),
                            None => None,
                        };
                        let slot = self.global(file, &name.text);
                        self.program.globals[slot as usize].param = Some(ParamInfo { default, secret: *secret });
                    }
                    _ => {}
                }
            }
            let mut names = Names::default();
            for stmt in &script.stmts {
                if !matches!(stmt.kind, StmtKind::Proc { .. }) {
                    assigned_names(stmt, &mut names);
                }
            }
            for n in names.into_vec() {
                self.global(file, &n);
            }
        }
        Ok(())
    }

    fn module_prefix(&self, file: usize) -> String {
        if file == 0 {
            return String::new();
        }
        // The name the module was `use`d by.
        for f in &self.sources.files {
            if let Some(u) = f.uses.iter().find(|u| u.file == Some(file)) {
                return format!("{}.", u.module);
            }
        }
        String::new()
    }

    fn global(&mut self, file: usize, name: &str) -> u16 {
        if let Some(&slot) = self.globals.get(&(file, name.to_string())) {
            return slot;
        }
        let slot = self.program.globals.len() as u16;
        let prefix = self.module_prefix(file);
        self.program.globals.push(GlobalInfo { name: format!("{prefix}{name}"), param: None });
        self.globals.insert((file, name.to_string()), slot);
        slot
    }

    fn resolve(&self, name: &Name) -> Result<VarRef, CompileError> {
        if let Some(frame) = &self.frame {
            if let Some(&slot) = frame.slots.get(&name.text) {
                return Ok(VarRef::Local(slot));
            }
        }
        match self.globals.get(&(self.file, name.text.clone())) {
            Some(&slot) => Ok(VarRef::Global(slot)),
            None => Err(self.error(name.span, format!("unknown name `{}`", name.text))),
        }
    }

    fn resolve_proc(&self, call: &Call) -> Result<u32, CompileError> {
        let file = match &call.module {
            None => Some(self.file),
            Some(m) => self.sources.files[self.file].uses.iter().find(|u| u.module == m.text).and_then(|u| u.file),
        };
        file.and_then(|f| self.procs.get(&(f, call.name.text.clone())).copied())
            .ok_or_else(|| self.error(call.span, format!("unknown procedure `{}`", call.name.text)))
    }

    // ------------------------------------------------------------ emitting

    fn pc(&self) -> u32 {
        self.program.code.len() as u32
    }

    fn emit(&mut self, op: Op) -> u32 {
        self.program.code.push(op);
        self.pc() - 1
    }

    fn mark_line(&mut self, span: Span) {
        let entry = LineEntry { pc: self.pc(), file: self.file as u16, line: self.line_of(span) };
        match self.program.lines.last_mut() {
            Some(last) if last.pc == entry.pc => *last = entry,
            _ => self.program.lines.push(entry),
        }
    }

    fn patch(&mut self, at: u32, target: u32) {
        match &mut self.program.code[at as usize] {
            Op::Jump(t) | Op::JumpIfFalse(t) | Op::DropDtrOr(t) => *t = target,
            _ => {}
        }
    }

    fn constant(&mut self, value: Const) -> u32 {
        let key = match &value {
            Const::Str(s) => ConstKey::Str(s.clone()),
            Const::Int(i) => ConstKey::Int(*i),
            Const::Duration(d) => ConstKey::Duration(*d),
        };
        if let Some(&k) = self.consts.get(&key) {
            return k;
        }
        let k = self.program.consts.len() as u32;
        self.program.consts.push(value);
        self.consts.insert(key, k);
        k
    }

    fn str_const(&mut self, s: &str) -> u32 {
        self.constant(Const::Str(s.as_bytes().to_vec()))
    }

    fn literal(&mut self, e: &Expr) -> Result<u32, CompileError> {
        let value = match e {
            Expr::Str(s) => match s.as_literal() {
                Some(bytes) => Const::Str(bytes),
                None => return Err(self.error(s.span, "a default must be a constant")),
            },
            Expr::Int(i) => Const::Int(i.value.ok_or_else(|| self.error(i.span, "number too large"))?),
            Expr::Duration(d) => Const::Duration(d.value.ok_or_else(|| self.error(d.span, "bad duration"))?),
            other => return Err(self.error(other.span(), "a default must be a constant")),
        };
        Ok(self.constant(value))
    }

    fn duration(&self, d: &DurationLit) -> Result<Duration, CompileError> {
        d.value.ok_or_else(|| self.error(d.span, format!("bad duration `{}`", d.text)))
    }

    fn dur_arg(&self, d: &DurationValue) -> Result<DurArg, CompileError> {
        match d {
            DurationValue::Lit(l) => Ok(DurArg::Fixed(self.duration(l)?)),
            DurationValue::Var(n) => Ok(DurArg::Var(self.resolve(n)?)),
        }
    }

    fn int(&self, i: &IntLit) -> Result<i64, CompileError> {
        i.value.ok_or_else(|| self.error(i.span, "number too large"))
    }

    fn code(&self, i: &IntLit, low: i64) -> Result<u8, CompileError> {
        let v = self.int(i)?;
        if (low..=255).contains(&v) {
            Ok(v as u8)
        } else {
            Err(self.error(i.span, format!("exit code must be between {low} and 255")))
        }
    }

    // ------------------------------------------------------------ statements

    fn stmts(&mut self, stmts: &[Stmt]) -> Result<(), CompileError> {
        for s in stmts {
            self.stmt(s)?;
        }
        Ok(())
    }

    /// A block inside a procedure or the main script; opens a handler scope if it declares
    /// handlers.
    fn block(&mut self, block: &Block) -> Result<(), CompileError> {
        let scoped = block.stmts.iter().any(|s| matches!(s.kind, StmtKind::On(_)));
        if scoped {
            self.emit(Op::ScopeEnter);
        }
        self.stmts(&block.stmts)?;
        if scoped {
            self.emit(Op::ScopeExit);
        }
        Ok(())
    }

    fn stmt(&mut self, stmt: &Stmt) -> Result<(), CompileError> {
        self.mark_line(stmt.span);
        match &stmt.kind {
            StmtKind::Use(_) | StmtKind::Param { .. } | StmtKind::Proc { .. } => {}
            StmtKind::Port(s) => {
                if self.file == 0 && self.frame.is_none() {
                    self.program.port = s.as_literal().map(|b| String::from_utf8_lossy(&b).into_owned());
                }
            }
            StmtKind::Let { name, value } => {
                self.expr(value)?;
                let var = self.resolve(name)?;
                self.emit(Op::Store(var));
            }
            StmtKind::Timeout(d) => {
                let d = self.dur_arg(d)?;
                self.emit(Op::SetTimeout(d));
            }
            StmtKind::Results { numeric } => {
                self.emit(Op::Numeric(*numeric));
            }
            StmtKind::Return(value) => {
                if let Some(v) = value {
                    self.expr(v)?;
                }
                self.emit(Op::Return { value: value.is_some() });
            }
            StmtKind::Send { value, raw, pace } => {
                self.expr(value)?;
                let pace = match pace {
                    Some(p) => Some(self.duration(p)?),
                    None => None,
                };
                self.emit(Op::Send { raw: *raw, pace });
            }
            StmtKind::Expect(e) => self.expect(e, stmt.span, None)?,
            StmtKind::Command { value, raw, pace, expect } => {
                self.expr(value)?;
                let pace = match pace {
                    Some(p) => Some(self.duration(p)?),
                    None => None,
                };
                self.emit(Op::Send { raw: *raw, pace });
                let settle = match &expect.settle {
                    Some(d) => self.dur_arg(d)?,
                    None => DurArg::Fixed(DEFAULT_SETTLE),
                };
                self.expect(expect, stmt.span, Some(settle))?;
            }
            StmtKind::Final(s) => {
                let k = self.constant(Const::Str(s.text_bytes()));
                self.emit(Op::DeclareFinal(k));
            }
            StmtKind::On(h) => self.handler(h, stmt.span)?,
            StmtKind::Retry(r) => self.retry(r)?,
            StmtKind::RetryNow => {
                // The machine adds how many attempts there were; the location names the line.
                let message = self.str_const("still retrying");
                self.emit(Op::RetryNow { code: 4, message });
            }
            StmtKind::If { cond, then, otherwise } => {
                self.cond(cond)?;
                let jf = self.emit(Op::JumpIfFalse(0));
                self.block(then)?;
                match otherwise {
                    None => {
                        let here = self.pc();
                        self.patch(jf, here);
                    }
                    Some(other) => {
                        let j = self.emit(Op::Jump(0));
                        let here = self.pc();
                        self.patch(jf, here);
                        self.block(other)?;
                        let end = self.pc();
                        self.patch(j, end);
                    }
                }
            }
            StmtKind::Dtr(on) => {
                self.emit(Op::Dtr(*on));
            }
            StmtKind::Rts(on) => {
                self.emit(Op::Rts(*on));
            }
            StmtKind::Break(d) => {
                let d = match d {
                    Some(d) => self.duration(d)?,
                    None => DEFAULT_BREAK,
                };
                self.emit(Op::Break(d));
            }
            StmtKind::Hangup => self.hangup(),
            StmtKind::Escape => {
                self.escape(false);
            }
            StmtKind::WaitCarrier(d) => {
                let d = match d {
                    Some(d) => Some(self.dur_arg(d)?),
                    None => None,
                };
                self.emit(Op::WaitCarrier(d));
            }
            StmtKind::Baud(b) => {
                let v = self.int(b)?;
                let baud = u32::try_from(v).map_err(|_| self.error(b.span, "baud out of range"))?;
                self.emit(Op::Baud(baud));
            }
            StmtKind::Flush => {
                self.emit(Op::Flush);
            }
            StmtKind::Sleep(d) => {
                let d = self.dur_arg(d)?;
                self.emit(Op::Sleep(d));
            }
            StmtKind::Say(e) => {
                self.expr(e)?;
                self.emit(Op::Say);
            }
            StmtKind::Print(e) => {
                self.expr(e)?;
                self.emit(Op::Print);
            }
            StmtKind::Fail { code, message } => {
                let code = match code {
                    Some(c) => self.code(c, 4)?,
                    None => 4,
                };
                if let Some(m) = message {
                    self.expr(m)?;
                }
                self.emit(Op::Fail { code, message: message.is_some() });
            }
            StmtKind::Exit(c) => {
                let code = self.code(c, 0)?;
                self.emit(Op::Exit(code));
            }
            StmtKind::Call(call) => {
                self.call(call)?;
                self.emit(Op::Pop);
            }
        }
        Ok(())
    }

    fn proc_body(&mut self, name: &Name, params: &[ProcParam], body: &Block, span: Span) -> Result<(), CompileError> {
        let index = self.procs[&(self.file, name.text.clone())];
        let mut slots = HashMap::new();
        let mut local_names = Vec::new();
        for p in params {
            slots.entry(p.name.text.clone()).or_insert_with(|| {
                local_names.push(p.name.text.clone());
                (local_names.len() - 1) as u16
            });
        }
        let mut assigned = Names::default();
        for s in &body.stmts {
            assigned_names(s, &mut assigned);
        }
        for n in assigned.into_vec() {
            slots.entry(n.clone()).or_insert_with(|| {
                local_names.push(n);
                (local_names.len() - 1) as u16
            });
        }
        let entry = self.pc();
        self.frame = Some(LocalSlots { slots });
        self.mark_line(span);
        self.stmts(&body.stmts)?;
        self.emit(Op::Return { value: false });
        self.frame = None;
        let info = &mut self.program.procs[index as usize];
        info.entry = entry;
        info.locals = local_names.len() as u16;
        info.local_names = local_names;
        Ok(())
    }

    fn call(&mut self, call: &Call) -> Result<(), CompileError> {
        let index = self.resolve_proc(call)?;
        let target_file = match &call.module {
            None => self.file,
            Some(m) => self.sources.files[self.file]
                .uses
                .iter()
                .find(|u| u.module == m.text)
                .and_then(|u| u.file)
                .unwrap_or(self.file),
        };
        let params = self.scripts[target_file]
            .stmts
            .iter()
            .find_map(|s| match &s.kind {
                StmtKind::Proc { name, params, .. } if name.text == call.name.text => Some(params.clone()),
                _ => None,
            })
            .unwrap_or_default();
        // Bind positional arguments, then named ones, then defaults.
        let mut bound: Vec<Option<&Expr>> = vec![None; params.len()];
        let mut positional = 0;
        for arg in &call.args {
            let slot = match &arg.name {
                None => {
                    positional += 1;
                    positional - 1
                }
                Some(n) => params
                    .iter()
                    .position(|p| p.name.text == n.text)
                    .ok_or_else(|| self.error(n.span, format!("no parameter `{}`", n.text)))?,
            };
            match bound.get_mut(slot) {
                Some(b) => *b = Some(&arg.value),
                None => return Err(self.error(call.span, "too many arguments")),
            }
        }
        for (i, p) in params.iter().enumerate() {
            match (bound[i], &p.default) {
                (Some(e), _) => self.expr(e)?,
                (None, Some(d)) => {
                    let saved = self.file;
                    self.file = target_file;
                    let k = self.literal(d);
                    self.file = saved;
                    self.emit(Op::Const(k?));
                }
                (None, None) => return Err(self.error(call.span, format!("missing argument `{}`", p.name.text))),
            }
        }
        self.emit(Op::Call(index));
        Ok(())
    }

    fn expr(&mut self, e: &Expr) -> Result<(), CompileError> {
        match e {
            Expr::Str(s) => self.string(s)?,
            Expr::Int(i) => {
                let v = self.int(i)?;
                let k = self.constant(Const::Int(v));
                self.emit(Op::Const(k));
            }
            Expr::Duration(d) => {
                let v = self.duration(d)?;
                let k = self.constant(Const::Duration(v));
                self.emit(Op::Const(k));
            }
            Expr::Var(n) => {
                let var = self.resolve(n)?;
                self.emit(Op::Load(var));
            }
            Expr::Call(c) => self.call(c)?,
        }
        Ok(())
    }

    fn string(&mut self, s: &StringLit) -> Result<(), CompileError> {
        if let Some(bytes) = s.as_literal() {
            let k = self.constant(Const::Str(bytes));
            self.emit(Op::Const(k));
            return Ok(());
        }
        for part in &s.parts {
            match part {
                StrPart::Text(t) => {
                    let k = self.constant(Const::Str(t.clone()));
                    self.emit(Op::Const(k));
                }
                StrPart::Hole(n) => {
                    let var = self.resolve(n)?;
                    self.emit(Op::Load(var));
                }
            }
        }
        self.emit(Op::Concat(s.parts.len() as u16));
        Ok(())
    }

    fn cond(&mut self, c: &Cond) -> Result<(), CompileError> {
        match c {
            Cond::Compare { left, op, right } => {
                self.expr(left)?;
                self.expr(right)?;
                self.emit(Op::Compare(match op {
                    CompareOp::Eq => Comparison::Eq,
                    CompareOp::Ne => Comparison::Ne,
                    CompareOp::Lt => Comparison::Lt,
                    CompareOp::Le => Comparison::Le,
                    CompareOp::Gt => Comparison::Gt,
                    CompareOp::Ge => Comparison::Ge,
                }));
            }
            Cond::Truthy(e) => {
                // Double negation turns any value into 0 or 1.
                self.expr(e)?;
                self.emit(Op::Not);
                self.emit(Op::Not);
            }
            Cond::Not(inner) => {
                self.cond(inner)?;
                self.emit(Op::Not);
            }
            Cond::And(a, b) => {
                self.cond(a)?;
                let jf = self.emit(Op::JumpIfFalse(0));
                self.cond(b)?;
                let j = self.emit(Op::Jump(0));
                let f = self.pc();
                self.patch(jf, f);
                let zero = self.constant(Const::Int(0));
                self.emit(Op::Const(zero));
                let end = self.pc();
                self.patch(j, end);
            }
            Cond::Or(a, b) => {
                self.cond(a)?;
                self.emit(Op::Not);
                let jt = self.emit(Op::JumpIfFalse(0));
                self.cond(b)?;
                let j = self.emit(Op::Jump(0));
                let t = self.pc();
                self.patch(jt, t);
                let one = self.constant(Const::Int(1));
                self.emit(Op::Const(one));
                let end = self.pc();
                self.patch(j, end);
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ waits and handlers

    /// The pattern index of `p`, and the variables its captures go to.
    fn pattern(&mut self, p: &Pattern) -> Result<(u32, Vec<VarRef>), CompileError> {
        self.pattern_in(p, false)
    }

    /// `pattern`, for a `command`'s arm when `command`: there a capture may start the
    /// pattern, which then takes the line from its start. The VM hands such arms each line
    /// after a `\n`, so that `\n` is the literal the matcher needs first.
    fn pattern_in(&mut self, p: &Pattern, command: bool) -> Result<(u32, Vec<VarRef>), CompileError> {
        let (compiled, text, holes) = match p {
            Pattern::Code { name, .. } => (code_pattern(name), name.clone(), Vec::new()),
            Pattern::Text(s) => {
                let mut segments = Vec::new();
                let mut holes = Vec::new();
                if command && matches!(s.parts.first(), Some(StrPart::Hole(_))) {
                    segments.push(Segment::Literal(b"\n".to_vec()));
                }
                for part in &s.parts {
                    match part {
                        StrPart::Text(t) => segments.push(Segment::Literal(t.clone())),
                        StrPart::Hole(n) => {
                            segments.push(Segment::Capture);
                            holes.push(n.clone());
                        }
                    }
                }
                let text = self.sources.files[self.file].text.get(s.span.start..s.span.end).unwrap_or("").to_string();
                (MatchPattern { segments, line_start: false, end: End::Here, numeric: None }, text, holes)
            }
        };
        let mut captures = Vec::new();
        for h in &holes {
            captures.push(self.resolve(h)?);
        }
        let key = MatchPatternKey::of(&compiled);
        let index = match self.patterns.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.program.patterns.len() as u32;
                self.program.patterns.push(compiled);
                self.program.pattern_text.push(text);
                self.patterns.insert(key, i);
                i
            }
        };
        Ok((index, captures))
    }

    /// An `expect` (`settle` is `None`: `Await`) or the wait of a `command` (`Transact`).
    fn expect(&mut self, e: &Expect, span: Span, settle: Option<DurArg>) -> Result<(), CompileError> {
        let mut table = WaitTable {
            within: match &e.within {
                Some(d) => Some(self.dur_arg(d)?),
                None => None,
            },
            idle: match &e.idle {
                Some(d) => Some(self.dur_arg(d)?),
                None => None,
            },
            watch_handlers: true,
            ..WaitTable::default()
        };
        let mut arm_patterns = Vec::new();
        for arm in &e.arms {
            arm_patterns.push(self.pattern_in(&arm.pattern, settle.is_some())?);
        }
        let w = self.program.waits.len() as u32;
        self.program.waits.push(WaitTable::default());
        // A wait for typed text (a capture, a bare result code) knows what a final result code
        // is; one for quoted literals only is a substring search, exactly as chat(8) does.
        let typed = e.arms.iter().any(|a| match &a.pattern {
            Pattern::Code { .. } => true,
            Pattern::Text(s) => s.parts.iter().any(|p| matches!(p, StrPart::Hole(_))),
        });
        match settle {
            Some(settle) => self.emit(Op::Transact { w, settle }),
            None if typed => self.emit(Op::Await(w)),
            None => self.emit(Op::Expect(w)),
        };
        // Arms whose action is `ignore` go straight to the end; patch them once it is known.
        let mut jumps = Vec::new();
        // An `on timeout` handler goes on at the instruction after `Expect`: that must lead
        // to the end, not into the first arm's action.
        let has_actions =
            e.arms.iter().map(|a| &a.action).chain(e.on_timeout.iter()).any(|a| a.kind != ActionKind::Ignore);
        if has_actions {
            jumps.push(self.emit(Op::Jump(0)));
        }
        let mut to_end = Vec::new();
        for (i, arm) in e.arms.iter().enumerate() {
            let (pattern, captures) = arm_patterns[i].clone();
            let target = if arm.action.kind == ActionKind::Ignore {
                to_end.push(table.arms.len());
                0
            } else {
                let t = self.pc();
                self.action(&arm.action, ActionSite::Arm { end: 0, pattern: Some(pattern) }, &mut jumps, span)?;
                t
            };
            table.arms.push(ArmInfo { pattern, captures, target });
        }
        let mut timeout_to_end = false;
        if let Some(action) = &e.on_timeout {
            if action.kind == ActionKind::Ignore {
                timeout_to_end = true;
            } else {
                table.timeout_target = Some(self.pc());
                self.action(action, ActionSite::Arm { end: 0, pattern: None }, &mut jumps, span)?;
            }
        }
        let end = self.pc();
        for j in jumps {
            self.patch(j, end);
        }
        for i in to_end {
            table.arms[i].target = end;
        }
        if timeout_to_end {
            table.timeout_target = Some(end);
        }
        self.program.waits[w as usize] = table;
        Ok(())
    }

    /// Emits an action. Arm actions that fall through push their final `Jump` into `jumps`.
    fn action(
        &mut self,
        action: &Action,
        site: ActionSite,
        jumps: &mut Vec<u32>,
        span: Span,
    ) -> Result<(), CompileError> {
        let line = self.line_of(span);
        let default_code = match site {
            ActionSite::Handler { index } => 4u32.saturating_add(index).min(255) as u8,
            ActionSite::Arm { .. } => 4,
        };
        let finish = |c: &mut Compiler, jumps: &mut Vec<u32>| match site {
            ActionSite::Arm { .. } => jumps.push(c.emit(Op::Jump(0))),
            ActionSite::Handler { .. } => {
                c.emit(Op::Resume);
            }
        };
        match &action.kind {
            ActionKind::Fail { code, message } => {
                let code = match code {
                    Some(c) => self.code(c, 4)?,
                    None => default_code,
                };
                match message {
                    Some(m) => self.expr(m)?,
                    None => {
                        let what = self.describe_site(site, line);
                        let k = self.str_const(&what);
                        self.emit(Op::Const(k));
                    }
                }
                self.emit(Op::Fail { code, message: true });
            }
            ActionKind::Retry => {
                // The message shown when the attempts run out; the machine adds how many
                // there were (`still `BUSY` after 4 attempts`).
                let what = self.retried(site);
                let message = self.str_const(&what);
                self.emit(Op::RetryNow { code: default_code, message });
            }
            ActionKind::Ignore => finish(self, jumps),
            ActionKind::Exit(c) => {
                let code = self.code(c, 0)?;
                self.emit(Op::Exit(code));
            }
            ActionKind::Say(e) => {
                self.expr(e)?;
                self.emit(Op::Say);
                finish(self, jumps);
            }
            ActionKind::Print(e) => {
                self.expr(e)?;
                self.emit(Op::Print);
                finish(self, jumps);
            }
            ActionKind::Block(b) => {
                self.block(b)?;
                finish(self, jumps);
            }
        }
        Ok(())
    }

    fn describe_site(&self, site: ActionSite, line: u32) -> String {
        match site {
            ActionSite::Handler { index } => {
                let h = &self.program.handlers[index as usize];
                match h.pattern {
                    Some(p) => format!("`{}` (handler on line {line})", self.program.pattern_text[p as usize]),
                    None => format!("timeout (handler on line {line})"),
                }
            }
            ActionSite::Arm { .. } => format!("failed on line {line}"),
        }
    }

    /// What a `retry` action retries, as the start of the message when the attempts run
    /// out: "still `BUSY`", "still timing out".
    fn retried(&self, site: ActionSite) -> String {
        let pattern = match site {
            ActionSite::Handler { index } => self.program.handlers[index as usize].pattern,
            ActionSite::Arm { pattern, .. } => pattern,
        };
        match pattern.and_then(|p| self.program.pattern_text.get(p as usize)) {
            Some(text) => format!("still `{text}`"),
            None => "still timing out".to_string(),
        }
    }

    fn handler(&mut self, h: &Handler, span: Span) -> Result<(), CompileError> {
        let (pattern, captures) = match &h.pattern {
            Some(p) => {
                let (i, c) = self.pattern(p)?;
                (Some(i), c)
            }
            None => (None, Vec::new()),
        };
        let index = self.program.handlers.len() as u32;
        self.program.handlers.push(HandlerInfo { pattern, captures, target: 0 });
        let line = self.line_of(span);
        let what = self.describe_site(ActionSite::Handler { index }, line);
        self.deferred.push(Deferred {
            handler: index,
            file: self.file,
            frame: self.frame.as_ref().map(|f| f.slots.clone()),
            action: h.action.clone(),
            fail_message: what,
        });
        self.emit(Op::AddHandler(index));
        Ok(())
    }

    /// Handler actions are emitted after all other code: they run only when a handler fires.
    fn emit_deferred(&mut self) -> Result<(), CompileError> {
        let mut i = 0;
        // Handler blocks may declare handlers of their own, which adds to the list.
        while i < self.deferred.len() {
            let d = std::mem::replace(
                &mut self.deferred[i],
                Deferred {
                    handler: 0,
                    file: 0,
                    frame: None,
                    action: Action { kind: ActionKind::Ignore, span: Span::default() },
                    fail_message: String::new(),
                },
            );
            self.file = d.file;
            self.frame = d.frame.map(|slots| LocalSlots { slots });
            let target = self.pc();
            self.program.handlers[d.handler as usize].target = target;
            self.mark_line(d.action.span);
            let _ = d.fail_message;
            let mut jumps = Vec::new();
            self.action(&d.action, ActionSite::Handler { index: d.handler }, &mut jumps, d.action.span)?;
            i += 1;
        }
        self.frame = None;
        Ok(())
    }

    fn retry(&mut self, r: &Retry) -> Result<(), CompileError> {
        let table = RetryTable {
            times: match &r.times {
                Some(t) => Some(u32::try_from(self.int(t)?).map_err(|_| self.error(t.span, "bad count"))?),
                None => None,
            },
            every: match &r.every {
                Some(d) => Some(self.duration(d)?),
                None => None,
            },
            within: match &r.within {
                Some(d) => Some(self.dur_arg(d)?),
                None => None,
            },
            body: 0,
            end: 0,
        };
        let index = self.program.retries.len() as u32;
        self.program.retries.push(table);
        self.emit(Op::RetryBegin(index));
        let body = self.pc();
        // The retry record restores the handler depth on every attempt and at the end, so the
        // body needs no scope of its own.
        self.stmts(&r.body.stmts)?;
        self.emit(Op::RetryEnd);
        let end = self.pc();
        let t = &mut self.program.retries[index as usize];
        t.body = body;
        t.end = end;
        Ok(())
    }

    /// `escape`: guard time, `+++`, guard time, then OK. Inside `hangup` a missing OK is fine
    /// (the modem may already be in command mode).
    fn escape(&mut self, tolerate_silence: bool) {
        self.emit(Op::Guard);
        self.emit(Op::SendEscape);
        self.emit(Op::Guard);
        let (ok, _) = self.pattern(&Pattern::Code { name: "OK".into(), span: Span::default() }).unwrap_or((0, vec![]));
        let w = self.program.waits.len() as u32;
        let at = self.emit(Op::Expect(w));
        let end = at + 1;
        self.program.waits.push(WaitTable {
            arms: vec![ArmInfo { pattern: ok, captures: vec![], target: end }],
            timeout_target: tolerate_silence.then_some(end),
            within: None,
            idle: None,
            // The `escape` statement reacts to NO CARRIER like any wait; inside `hangup` the
            // line is being dropped on purpose, so handlers are not watched.
            watch_handlers: !tolerate_silence,
        });
    }

    /// `hangup`: drop DTR for half a second; where the port has no DTR, escape and `ATH`.
    fn hangup(&mut self) {
        let drop = self.emit(Op::DropDtrOr(0));
        self.emit(Op::Pause(HANGUP_DTR_LOW));
        self.emit(Op::Dtr(true));
        self.emit(Op::Pause(HANGUP_SETTLE));
        let skip = self.emit(Op::Jump(0));
        let fallback = self.pc();
        self.patch(drop, fallback);
        self.escape(true);
        let ath = self.str_const("ATH");
        self.emit(Op::Const(ath));
        self.emit(Op::Send { raw: false, pace: None });
        let (ok, _) = self.pattern(&Pattern::Code { name: "OK".into(), span: Span::default() }).unwrap_or((0, vec![]));
        let w = self.program.waits.len() as u32;
        let at = self.emit(Op::Expect(w));
        self.program.waits.push(WaitTable {
            arms: vec![ArmInfo { pattern: ok, captures: vec![], target: at + 1 }],
            timeout_target: None,
            within: None,
            idle: None,
            watch_handlers: false,
        });
        let end = self.pc();
        self.patch(skip, end);
        self.emit(Op::Flush);
    }
}

/// The matcher pattern of a bare result code: a whole line, optionally followed by ` ...` or
/// `: ...` (`CONNECT 9600`, `+CME ERROR: 10`), and its numeric form.
pub fn code_pattern(name: &str) -> MatchPattern {
    let numeric = result_code::named(name).and_then(|c| c.number).map(|n| n.as_bytes().to_vec());
    MatchPattern {
        segments: vec![Segment::Literal(name.as_bytes().to_vec())],
        line_start: true,
        end: End::RestOfLine,
        numeric,
    }
}
