//! The statement walk of one file: placement, names, calls, literals, patterns, control flow.
//!
//! Name resolution follows the compiler exactly (`crate::bytecode::compiler`): a procedure
//! sees its parameters, the names its body assigns (`let`, captures) and the globals of its own
//! file; the top level sees the params and the names assigned outside procedures. Order does
//! not matter: a name assigned anywhere in scope is known everywhere in it. A `let` or capture
//! may reuse the name of a param: at the top level it overwrites the param, in a procedure it
//! makes a local that hides it. Both are deliberate, so neither is reported.

use std::collections::HashMap;
use std::time::Duration;

use super::error::{CheckError, CheckErrorKind as K, Place};
use super::text::{bad_escapes, suggest, timeout_arms};
use crate::lang::literal::duration_unit;
use crate::lang::result_code::{self, is_result_code};
use crate::syntax::ast::*;
use crate::syntax::scope::{assigned_names, Names};
use crate::syntax::Sources;

/// The top-level procedures of one file: name and parameters, in order, with an index by name
/// (the first of duplicates) so that checking many calls to many procedures stays linear.
pub(super) struct ProcTable<'a> {
    list: Vec<(&'a str, &'a [ProcParam])>,
    by_name: HashMap<&'a str, usize>,
}

impl<'a> ProcTable<'a> {
    fn new(list: Vec<(&'a str, &'a [ProcParam])>) -> ProcTable<'a> {
        let mut by_name = HashMap::with_capacity(list.len());
        for (i, (name, _)) in list.iter().enumerate() {
            by_name.entry(*name).or_insert(i);
        }
        ProcTable { list, by_name }
    }

    /// The parameters of the first procedure called `name`.
    fn params(&self, name: &str) -> Option<&'a [ProcParam]> {
        self.by_name.get(name).map(|&i| self.list[i].1)
    }

    fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.list.iter().map(|(n, _)| *n)
    }
}

/// The top-level procedures of every file; `None` for a file that did not parse.
pub(super) fn proc_tables(sources: &Sources) -> Vec<Option<ProcTable<'_>>> {
    sources
        .files
        .iter()
        .map(|f| {
            f.script.as_ref().ok().map(|script| {
                ProcTable::new(
                    script
                        .stmts
                        .iter()
                        .filter_map(|s| match &s.kind {
                            StmtKind::Proc { name, params, .. } => Some((name.text.as_str(), params.as_slice())),
                            _ => None,
                        })
                        .collect(),
                )
            })
        })
        .collect()
}

/// Whether a statement is a declaration rather than code (never unreachable).
fn is_declaration(kind: &StmtKind) -> bool {
    matches!(kind, StmtKind::Proc { .. } | StmtKind::Use(_) | StmtKind::Param { .. })
}

/// The keyword of a statement that never falls through.
fn terminator(kind: &StmtKind) -> Option<&'static str> {
    match kind {
        StmtKind::Fail { .. } => Some("fail"),
        StmtKind::Exit(_) => Some("exit"),
        StmtKind::RetryNow => Some("retry"),
        StmtKind::Return(_) => Some("return"),
        _ => None,
    }
}

/// How a statement is named in "not allowed in a module" messages.
fn describe(kind: &StmtKind) -> String {
    let keyword = match kind {
        StmtKind::Call(_) => return "a procedure call".into(),
        StmtKind::RetryNow | StmtKind::Retry(_) => "retry",
        StmtKind::Use(_) => "use",
        StmtKind::Param { .. } => "param",
        StmtKind::Let { .. } => "let",
        StmtKind::Timeout(_) => "timeout",
        StmtKind::Results { .. } => "results",
        StmtKind::Port(_) => "port",
        StmtKind::Proc { .. } => "proc",
        StmtKind::Return(_) => "return",
        StmtKind::Send { .. } => "send",
        StmtKind::Expect(_) => "expect",
        StmtKind::Command { .. } => "command",
        StmtKind::Final(_) => "final",
        StmtKind::On(_) => "on",
        StmtKind::If { .. } => "if",
        StmtKind::Dtr(_) => "dtr",
        StmtKind::Rts(_) => "rts",
        StmtKind::Break(_) => "break",
        StmtKind::Hangup => "hangup",
        StmtKind::Escape => "escape",
        StmtKind::WaitCarrier(_) => "wait carrier",
        StmtKind::Baud(_) => "baud",
        StmtKind::Flush => "flush",
        StmtKind::Sleep(_) => "sleep",
        StmtKind::Say(_) => "say",
        StmtKind::Print(_) => "print",
        StmtKind::Fail { .. } => "fail",
        StmtKind::Exit(_) => "exit",
    };
    format!("`{keyword}`")
}

/// Checks one parsed file.
pub(super) struct FileChecker<'a> {
    sources: &'a Sources,
    procs: &'a [Option<ProcTable<'a>>],
    file: usize,
    text: &'a str,
    globals: Names,
    /// Params and assigned names of the procedure being walked.
    locals: Option<Names>,
    retry_depth: usize,
    errors: Vec<CheckError>,
}

impl<'a> FileChecker<'a> {
    /// Walks `script`, file `file` of `sources`, and returns what it found.
    pub(super) fn run(
        sources: &'a Sources,
        procs: &'a [Option<ProcTable<'a>>],
        file: usize,
        script: &'a Script,
    ) -> Vec<CheckError> {
        let mut globals = Names::default();
        for stmt in &script.stmts {
            match &stmt.kind {
                // Params outside the main script are reported as misplaced; knowing their
                // names spares the user a second error at every use.
                StmtKind::Param { name, .. } => globals.push(&name.text),
                StmtKind::Proc { .. } => {}
                _ => assigned_names(stmt, &mut globals),
            }
        }
        let mut checker = FileChecker {
            sources,
            procs,
            file,
            text: &sources.files[file].text,
            globals,
            locals: None,
            retry_depth: 0,
            errors: Vec::new(),
        };
        checker.duplicates(script);
        checker.stmts(&script.stmts, true);
        checker.errors
    }

    fn error(&mut self, span: Span, kind: K) {
        self.errors.push(CheckError { file: self.file, span, kind });
    }

    /// The first line of a statement: enough to point at without drawing a whole block.
    fn head(&self, span: Span) -> Span {
        let text = self.text.get(span.start..span.end).unwrap_or("");
        let line = text.split('\n').next().unwrap_or("").trim_end();
        Span::new(span.start, span.start + line.len())
    }

    fn slice(&self, span: Span) -> String {
        self.text.get(span.start..span.end).unwrap_or("").to_string()
    }

    /// Duplicate top-level procs, and duplicate params of the main script.
    fn duplicates(&mut self, script: &Script) {
        let mut procs: HashMap<&str, Span> = HashMap::new();
        let mut params: HashMap<&str, Span> = HashMap::new();
        for stmt in &script.stmts {
            match &stmt.kind {
                StmtKind::Proc { name, .. } => match procs.get(name.text.as_str()) {
                    Some(&first) => self.error(name.span, K::DuplicateProc { name: name.text.clone(), first }),
                    None => {
                        procs.insert(&name.text, name.span);
                    }
                },
                StmtKind::Param { name, .. } if self.file == 0 => match params.get(name.text.as_str()) {
                    Some(&first) => self.error(name.span, K::DuplicateParam { name: name.text.clone(), first }),
                    None => {
                        params.insert(&name.text, name.span);
                    }
                },
                _ => {}
            }
        }
    }

    // ------------------------------------------------------------ statements

    fn stmts(&mut self, stmts: &[Stmt], top: bool) {
        let mut ended: Option<(&'static str, Span)> = None;
        for stmt in stmts {
            if let Some((after, terminator)) = ended {
                if !is_declaration(&stmt.kind) {
                    let span = self.head(stmt.span);
                    self.error(span, K::Unreachable { after, terminator });
                    ended = None;
                }
            } else if let Some(after) = terminator(&stmt.kind) {
                ended = Some((after, self.head(stmt.span)));
            }
            self.placement(stmt, top);
            self.stmt(stmt);
        }
    }

    fn placement(&mut self, stmt: &Stmt, top: bool) {
        let module_top = top && self.file != 0;
        let head = self.head(stmt.span);
        match &stmt.kind {
            StmtKind::Use(_) if !top => self.error(head, K::NestedDeclaration { keyword: "use" }),
            StmtKind::Proc { .. } if !top => self.error(head, K::NestedDeclaration { keyword: "proc" }),
            StmtKind::Param { name, .. } if !top || self.file != 0 => {
                let place = if module_top {
                    Place::Module
                } else if self.locals.is_some() {
                    Place::Proc
                } else {
                    Place::Block
                };
                self.error(head, K::MisplacedParam { name: name.text.clone(), place });
            }
            StmtKind::Port(_) if !top || self.file != 0 => self.error(head, K::MisplacedPort),
            StmtKind::Final(_) if !top => self.error(head, K::NestedDeclaration { keyword: "final" }),
            StmtKind::Use(_)
            | StmtKind::Proc { .. }
            | StmtKind::Let { .. }
            | StmtKind::Param { .. }
            | StmtKind::Final(_)
            | StmtKind::Port(_) => {}
            kind if module_top => self.error(head, K::ModuleStatement { statement: describe(kind) }),
            _ => {}
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Use(_) | StmtKind::Results { .. } => {}
            StmtKind::Dtr(_) | StmtKind::Rts(_) | StmtKind::Hangup | StmtKind::Escape | StmtKind::Flush => {}
            StmtKind::Param { name, default, .. } => {
                if let Some(d) = default {
                    self.default(name, d);
                }
            }
            StmtKind::Let { value, .. } => self.expr(value),
            StmtKind::Timeout(d) => self.nonzero_value("timeout", d),
            StmtKind::Port(s) => self.escapes(s),
            StmtKind::Proc { name, params, body } => self.proc(name, params, body),
            StmtKind::Return(value) => {
                if self.locals.is_none() {
                    let span = self.head(stmt.span);
                    self.error(span, K::ReturnOutsideProc);
                }
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::Send { value, pace, .. } => {
                self.expr(value);
                if let Some(p) = pace {
                    self.duration(p);
                }
            }
            StmtKind::Expect(e) => {
                if let Some(d) = &e.settle {
                    let span = match d {
                        DurationValue::Lit(d) => d.span,
                        DurationValue::Var(n) => n.span,
                    };
                    self.error(span, K::SettleOutsideCommand);
                }
                self.expect(e, stmt.span, false)
            }
            StmtKind::Command { value, pace, expect, .. } => {
                self.expr(value);
                if let Some(p) = pace {
                    self.duration(p);
                }
                self.command_arms(expect);
                if let Some(d) = &expect.settle {
                    self.nonzero_value("settle", d);
                }
                self.expect(expect, stmt.span, true)
            }
            StmtKind::Final(s) => self.final_code(s),
            StmtKind::On(h) => {
                if let Some(p) = &h.pattern {
                    self.pattern(p);
                }
                self.action(&h.action, true);
            }
            StmtKind::Retry(r) => self.retry(r),
            StmtKind::RetryNow => {
                if self.retry_depth == 0 {
                    let span = self.head(stmt.span);
                    self.error(span, K::RetryOutsideBlock { handler: false });
                }
            }
            StmtKind::If { cond, then, otherwise } => {
                self.cond(cond);
                self.stmts(&then.stmts, false);
                if let Some(other) = otherwise {
                    self.stmts(&other.stmts, false);
                }
            }
            StmtKind::Break(d) => {
                if let Some(d) = d {
                    self.duration(d);
                }
            }
            StmtKind::WaitCarrier(d) => {
                if let Some(d) = d {
                    self.nonzero_value("within", d);
                }
            }
            StmtKind::Baud(b) => {
                if let Some(v) = self.int(b) {
                    if v == 0 || u32::try_from(v).is_err() {
                        let text = self.slice(b.span);
                        self.error(b.span, K::BadBaud { text });
                    }
                }
            }
            StmtKind::Sleep(d) => match d {
                DurationValue::Lit(d) => {
                    self.duration(d);
                }
                DurationValue::Var(n) => self.read(n),
            },
            StmtKind::Say(e) | StmtKind::Print(e) => self.expr(e),
            StmtKind::Fail { code, message } => self.fail(code.as_ref(), message.as_ref()),
            StmtKind::Exit(code) => self.exit_code(code),
            StmtKind::Call(c) => self.call(c),
        }
    }

    fn proc(&mut self, name: &Name, params: &[ProcParam], body: &Block) {
        let mut locals = Names::default();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for p in params {
            match seen.get(p.name.text.as_str()) {
                Some(&first) => self.error(
                    p.name.span,
                    K::DuplicateProcParam { proc: name.text.clone(), name: p.name.text.clone(), first },
                ),
                None => {
                    seen.insert(&p.name.text, p.name.span);
                    locals.push(&p.name.text);
                }
            }
            if let Some(d) = &p.default {
                self.default(&p.name, d);
            }
        }
        for s in &body.stmts {
            assigned_names(s, &mut locals);
        }
        let saved_locals = self.locals.replace(locals);
        let saved_depth = std::mem::replace(&mut self.retry_depth, 0);
        self.stmts(&body.stmts, false);
        self.locals = saved_locals;
        self.retry_depth = saved_depth;
    }

    /// What only a `command`'s arms must respect: they see one line at a time, and a lone
    /// capture takes any line.
    fn command_arms(&mut self, e: &Expect) {
        let mut lone: Option<Span> = None;
        let mut seen: HashMap<String, Span> = HashMap::new();
        for arm in &e.arms {
            let span = arm.pattern.span();
            let Pattern::Text(s) = &arm.pattern else {
                if let Pattern::Code { name, .. } = &arm.pattern {
                    if let Some(&first) = seen.get(name) {
                        self.error(span, K::ShadowedArm { first });
                    }
                    seen.insert(name.clone(), span);
                }
                continue;
            };
            let breaks =
                s.parts.iter().any(|p| matches!(p, StrPart::Text(t) if t.contains(&b'\r') || t.contains(&b'\n')));
            if breaks && !takes_next_line(s) {
                self.error(span, K::LineBreakInCommandArm);
            }
            let text = self.slice(span);
            if let Some(&first) = seen.get(&text) {
                self.error(span, K::ShadowedArm { first });
            } else if let (Some(first), Some(StrPart::Hole(_))) = (lone, s.parts.first()) {
                // Two lone captures: the first takes every information line.
                if !self.is_code_text(s) {
                    self.error(span, K::ShadowedArm { first });
                }
            }
            seen.insert(text, span);
            if matches!(s.parts.first(), Some(StrPart::Hole(_))) && lone.is_none() {
                lone = Some(span);
            }
        }
    }

    /// Whether a quoted pattern starts with a result code's text (`"+CME ERROR: {n}"`).
    fn is_code_text(&self, s: &StringLit) -> bool {
        match s.parts.first() {
            Some(StrPart::Text(t)) => {
                let text = String::from_utf8_lossy(t);
                result_code::of_line(text.trim_end_matches([' ', ':'])).is_some()
            }
            _ => false,
        }
    }

    fn final_code(&mut self, s: &StringLit) {
        self.escapes(s);
        let text = self.slice(s.span).trim_matches('"').to_string();
        let reason = if s.parts.iter().any(|p| matches!(p, StrPart::Hole(_))) {
            Some("a capture")
        } else {
            let bytes = s.text_bytes();
            let line = String::from_utf8_lossy(&bytes);
            if line.trim().is_empty() {
                Some("empty")
            } else if bytes.iter().any(|b| *b == b'\r' || *b == b'\n') {
                Some("a line break")
            } else if result_code::classify(line.trim()).is_some() {
                Some("already a result code")
            } else {
                None
            }
        };
        if let Some(reason) = reason {
            self.error(s.span, K::BadFinal { text, reason });
        }
    }

    /// An `expect`'s arms and limits, or a `command`'s (`command`: a lone capture is allowed).
    fn expect(&mut self, e: &Expect, span: Span, command: bool) {
        for arm in &e.arms {
            self.pattern_in(&arm.pattern, command);
            self.action(&arm.action, false);
        }
        if let Some(a) = &e.on_timeout {
            self.action(a, false);
        }
        if let Some(d) = &e.within {
            self.nonzero_value("within", d);
        }
        if let Some(d) = &e.idle {
            self.nonzero_value("idle", d);
        }
        let arms = timeout_arms(self.text, span);
        if let Some((&first, rest)) = arms.split_first() {
            for &again in rest {
                self.error(again, K::DuplicateTimeoutArm { first });
            }
        }
    }

    fn retry(&mut self, r: &Retry) {
        if let Some(t) = &r.times {
            if let Some(v) = self.int(t) {
                if v == 0 {
                    self.error(t.span, K::ZeroRetries);
                } else if u32::try_from(v).is_err() {
                    let text = self.slice(t.span);
                    self.error(t.span, K::TooManyRetries { text });
                }
            }
        }
        if let Some(d) = &r.every {
            self.nonzero("every", d);
        }
        if let Some(d) = &r.within {
            self.nonzero_value("within", d);
        }
        self.retry_depth += 1;
        self.stmts(&r.body.stmts, false);
        self.retry_depth -= 1;
    }

    fn action(&mut self, action: &Action, handler: bool) {
        match &action.kind {
            ActionKind::Fail { code, message } => self.fail(code.as_ref(), message.as_ref()),
            ActionKind::Retry => {
                if self.retry_depth == 0 {
                    self.error(action.span, K::RetryOutsideBlock { handler });
                }
            }
            ActionKind::Ignore => {}
            ActionKind::Exit(code) => self.exit_code(code),
            ActionKind::Say(e) | ActionKind::Print(e) => self.expr(e),
            ActionKind::Block(b) => self.stmts(&b.stmts, false),
        }
    }

    fn fail(&mut self, code: Option<&IntLit>, message: Option<&Expr>) {
        if let Some(c) = code {
            if let Some(v) = self.int(c) {
                if !(4..=255).contains(&v) {
                    let text = self.slice(c.span);
                    self.error(c.span, K::FailCodeRange { text });
                }
            }
        }
        if let Some(m) = message {
            self.expr(m);
        }
    }

    fn exit_code(&mut self, code: &IntLit) {
        if let Some(v) = self.int(code) {
            if !(0..=255).contains(&v) {
                let text = self.slice(code.span);
                self.error(code.span, K::ExitCodeRange { text });
            }
        }
    }

    // ------------------------------------------------------------ values

    /// A param or proc param default: a literal, checked like any other.
    fn default(&mut self, name: &Name, value: &Expr) {
        match value {
            Expr::Str(s) if s.as_literal().is_some() => self.escapes(s),
            Expr::Int(i) => {
                self.int(i);
            }
            Expr::Duration(d) => {
                self.duration(d);
            }
            other => self.error(other.span(), K::NonConstantDefault { name: name.text.clone() }),
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Str(s) => {
                self.escapes(s);
                for part in &s.parts {
                    if let StrPart::Hole(n) = part {
                        self.read(n);
                    }
                }
            }
            Expr::Int(i) => {
                self.int(i);
            }
            Expr::Duration(d) => {
                self.duration(d);
            }
            Expr::Var(n) => self.read(n),
            Expr::Call(c) => self.call(c),
        }
    }

    fn cond(&mut self, c: &Cond) {
        match c {
            Cond::Compare { left, right, .. } => {
                self.expr(left);
                self.expr(right);
            }
            Cond::Truthy(e) => self.expr(e),
            Cond::Not(inner) => self.cond(inner),
            Cond::And(a, b) | Cond::Or(a, b) => {
                self.cond(a);
                self.cond(b);
            }
        }
    }

    fn read(&mut self, name: &Name) {
        if self.locals.as_ref().is_some_and(|l| l.contains(&name.text)) || self.globals.contains(&name.text) {
            return;
        }
        let locals = self.locals.iter().flat_map(Names::iter);
        let suggestion = suggest(&name.text, locals.chain(self.globals.iter()).map(String::as_str));
        self.error(name.span, K::UnknownName { name: name.text.clone(), suggestion });
    }

    fn escapes(&mut self, s: &StringLit) {
        for (escape, span) in bad_escapes(self.text, s.span) {
            self.error(span, K::UnknownEscape { escape });
        }
    }

    fn int(&mut self, i: &IntLit) -> Option<i64> {
        if i.value.is_none() {
            let text = self.slice(i.span);
            self.error(i.span, K::IntegerTooLarge { text });
        }
        i.value
    }

    fn duration(&mut self, d: &DurationLit) -> Option<Duration> {
        if d.value.is_none() {
            let split = d.text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(d.text.len());
            let unit = &d.text[split..];
            let kind = if duration_unit(unit).is_some() {
                K::DurationTooLong { text: d.text.clone() }
            } else {
                K::UnknownDurationUnit { text: d.text.clone(), unit: unit.to_string() }
            };
            self.error(d.span, kind);
        }
        d.value
    }

    /// A duration that may also be a name (`within limit`): the name must be known.
    fn nonzero_value(&mut self, clause: &'static str, d: &DurationValue) {
        match d {
            DurationValue::Lit(d) => self.nonzero(clause, d),
            DurationValue::Var(n) => self.read(n),
        }
    }

    fn nonzero(&mut self, clause: &'static str, d: &DurationLit) {
        if self.duration(d) == Some(Duration::ZERO) {
            self.error(d.span, K::ZeroDuration { clause, text: d.text.clone() });
        }
    }

    fn pattern(&mut self, p: &Pattern) {
        self.pattern_in(p, false)
    }

    /// Checks a pattern; in a `command`'s arm (`command`), a capture may start it: it then
    /// takes the line from its start.
    fn pattern_in(&mut self, p: &Pattern, command: bool) {
        match p {
            Pattern::Code { name, span } => {
                if !is_result_code(name) {
                    let suggestion = suggest(name, result_code::words());
                    self.error(*span, K::UnknownResultCode { name: name.clone(), suggestion });
                }
            }
            Pattern::Text(s) => {
                self.escapes(s);
                match s.parts.first() {
                    None => self.error(s.span, K::EmptyPattern),
                    Some(StrPart::Hole(_)) if command => {}
                    Some(StrPart::Hole(n)) => self.error(n.span, K::LeadingCapture { name: n.text.clone() }),
                    Some(StrPart::Text(_)) => {}
                }
                for pair in s.parts.windows(2) {
                    if let [StrPart::Hole(a), StrPart::Hole(b)] = pair {
                        self.error(
                            Span::new(a.span.start, b.span.end),
                            K::AdjacentCaptures { first: a.text.clone(), second: b.text.clone() },
                        );
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------ calls

    fn call(&mut self, call: &Call) {
        for arg in &call.args {
            self.expr(&arg.value);
        }
        let uses = &self.sources.files[self.file].uses;
        let target = match &call.module {
            None => self.file,
            Some(m) => match uses.iter().find(|u| u.module == m.text) {
                // An unknown `use` is reported where it is written.
                Some(u) => match u.file {
                    Some(f) => f,
                    None => return,
                },
                None => {
                    let suggestion = suggest(&m.text, uses.iter().map(|u| u.module.as_str()));
                    self.error(m.span, K::UnknownCallModule { module: m.text.clone(), suggestion });
                    return;
                }
            },
        };
        // A module that did not parse has its syntax error reported already.
        let Some(Some(table)) = self.procs.get(target) else {
            return;
        };
        let proc = match &call.module {
            Some(m) => format!("{}.{}", m.text, call.name.text),
            None => call.name.text.clone(),
        };
        let Some(params) = table.params(&call.name.text) else {
            let suggestion = suggest(&call.name.text, table.names());
            let module = call.module.as_ref().map(|m| m.text.clone());
            self.error(call.name.span, K::UnknownProc { name: call.name.text.clone(), module, suggestion });
            return;
        };
        let given = call.args.iter().filter(|a| a.name.is_none()).count();
        let mut bound = vec![false; params.len()];
        let mut positional = 0;
        for arg in &call.args {
            let start = arg.name.as_ref().map_or(arg.value.span().start, |n| n.span.start);
            let span = Span::new(start, arg.value.span().end);
            let slot = match &arg.name {
                None => {
                    positional += 1;
                    if positional > params.len() {
                        if positional == params.len() + 1 {
                            self.error(span, K::TooManyArguments { proc: proc.clone(), expected: params.len(), given });
                        }
                        continue;
                    }
                    positional - 1
                }
                Some(n) => match params.iter().position(|p| p.name.text == n.text) {
                    Some(slot) => slot,
                    None => {
                        let suggestion = suggest(&n.text, params.iter().map(|p| p.name.text.as_str()));
                        self.error(n.span, K::UnknownArgument { proc: proc.clone(), name: n.text.clone(), suggestion });
                        continue;
                    }
                },
            };
            if bound[slot] {
                self.error(span, K::DuplicateArgument { proc: proc.clone(), name: params[slot].name.text.clone() });
            }
            bound[slot] = true;
        }
        for (p, given) in params.iter().zip(&bound) {
            if !given && p.default.is_none() {
                self.error(call.span, K::MissingArgument { proc: proc.clone(), name: p.name.text.clone() });
            }
        }
    }
}

/// Whether a `command` arm's pattern is written `"HEAD\n{name}"`: the one line break it holds
/// comes just before a last capture, which takes the line after the one HEAD matches (a
/// 27.005 `+CMGR:` header, then the message text). That is the only line break an arm may
/// hold: arms otherwise see one line, without its ending.
pub(crate) fn takes_next_line(s: &StringLit) -> bool {
    let [head @ .., StrPart::Text(t), StrPart::Hole(_)] = s.parts.as_slice() else { return false };
    let Some(before) = t.strip_suffix(b"\n") else { return false };
    let clean = |b: &[u8]| !b.contains(&b'\r') && !b.contains(&b'\n');
    let head_clean = head.iter().all(|p| match p {
        StrPart::Text(t) => clean(t),
        StrPart::Hole(_) => true,
    });
    head_clean && clean(before) && (!before.is_empty() || !head.is_empty())
}
