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

use std::time::Duration;

use super::flow::{flow, len32};
use super::opcode::{DurArg, Op, Operand, VarRef};
use super::pattern::Pattern;
use super::program::{Const, Program};
use crate::lang::literal::MAX_DURATION;

pub use super::verify_error::{Site, Table, VerifyError};

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
                self.p.patterns.get(i as usize).map_or(0, Pattern::capture_count)
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
            if let Some(problem) = pattern.problem() {
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
        if last.falls_through() {
            return Err(VerifyError::FallsOffEnd { pc: len32(p.code.len() - 1), op: last.name() });
        }
        for (pc, op) in p.code.iter().enumerate() {
            let pc = len32(pc);
            let site = Site::Pc(pc);
            for operand in op.operands() {
                match operand {
                    Operand::Constant(k) => self.index(Table::Constant, k, site)?,
                    Operand::Var(v) | Operand::DurArg(DurArg::Var(v)) | Operand::Within(Some(DurArg::Var(v))) => {
                        self.var(v, site, Some(pc), self.max_locals)?
                    }
                    Operand::Duration(d) | Operand::Pace(Some(d)) => self.duration(d, site)?,
                    Operand::DurArg(DurArg::Fixed(d)) | Operand::Within(Some(DurArg::Fixed(d))) => {
                        self.duration(d, site)?
                    }
                    Operand::Target(t) => self.index(Table::Code, t, site)?,
                    Operand::Wait(w) => self.index(Table::Wait, w, site)?,
                    Operand::Handler(h) => self.index(Table::Handler, h, site)?,
                    Operand::Proc(f) => self.index(Table::Procedure, f, site)?,
                    Operand::Retry(r) => {
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
        }
        Ok(())
    }
}
