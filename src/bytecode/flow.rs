//! The flow analysis: which frame each instruction runs in and how high the value stack is
//! there. The verifier uses it to reject programs that would underflow the stack or read a
//! local slot their frame lacks (see [`super::verify`]); the disassembler to name local slots.
//!
//! It follows every path from the main script (pc 0), each procedure entry and each handler
//! action (from the `AddHandler` that installs it), and works on any program: out-of-range
//! indexes are skipped, so it is safe on unverified input.

use std::collections::VecDeque;

use super::opcode::{DurArg, Op, Operand, VarRef};
use super::program::Program;
use super::verify_error::{Site, VerifyError};

pub(super) fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The variables `op` reads or writes, directly or through the table it refers to, each with
/// where it is named.
fn op_vars(program: &Program, op: &Op, pc: u32) -> Vec<(VarRef, Site)> {
    let mut vars = Vec::new();
    for operand in op.operands() {
        match operand {
            Operand::Var(v) | Operand::DurArg(DurArg::Var(v)) | Operand::Within(Some(DurArg::Var(v))) => {
                vars.push((v, Site::Pc(pc)));
            }
            Operand::Wait(w) => {
                let Some(t) = program.waits.get(w as usize) else {
                    continue;
                };
                for (a, arm) in t.arms.iter().enumerate() {
                    let site = Site::Wait { wait: w, arm: Some(len32(a)) };
                    vars.extend(arm.captures.iter().map(|v| (*v, site)));
                }
                for d in [t.within, t.idle].into_iter().flatten() {
                    if let DurArg::Var(v) = d {
                        vars.push((v, Site::Wait { wait: w, arm: None }));
                    }
                }
            }
            Operand::Handler(h) => {
                if let Some(info) = program.handlers.get(h as usize) {
                    vars.extend(info.captures.iter().map(|v| (*v, Site::Handler(h))));
                }
            }
            Operand::Retry(r) => {
                if let Some(DurArg::Var(v)) = program.retries.get(r as usize).and_then(|t| t.within) {
                    vars.push((v, Site::Retry(r)));
                }
            }
            _ => {}
        }
    }
    vars
}

/// Whose frame an instruction runs in, as far as the flow analysis can tell: the main
/// script's, a procedure's, or several of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CodeOwner {
    /// The main script: no local slots.
    Main,
    /// Procedure `p`.
    Proc(u32),
    /// Reached from several frames; only the fewest slots among them are safe.
    Several { locals: u16 },
}

impl CodeOwner {
    fn locals(self, program: &Program) -> u16 {
        match self {
            CodeOwner::Main => 0,
            CodeOwner::Proc(p) => program.procs.get(p as usize).map_or(0, |p| p.locals),
            CodeOwner::Several { locals } => locals,
        }
    }

    fn join(self, other: CodeOwner, program: &Program) -> CodeOwner {
        if self == other {
            self
        } else {
            CodeOwner::Several { locals: self.locals(program).min(other.locals(program)) }
        }
    }
}

/// The result of the flow analysis: per instruction, the frame and stack height it runs with
/// (`None` where no path reaches), and the first problem found.
pub(super) struct Flow {
    pub states: Vec<Option<(CodeOwner, u32)>>,
    pub error: Option<VerifyError>,
}

/// `(values popped, values pushed)` by `op`: what the opcode table declares, and what the
/// operands imply.
pub(super) fn stack_effect(op: &Op, program: &Program) -> (u32, u32) {
    let info = op.info();
    let mut pops = info.pops;
    for operand in op.operands() {
        pops += match operand {
            Operand::Values(n) => u32::from(n),
            Operand::Popped(_, set) => u32::from(set),
            Operand::Proc(p) => program.procs.get(p as usize).map_or(0, |p| u32::from(p.params)),
            _ => 0,
        };
    }
    (pops, info.pushes)
}

/// Follows every path through the code (see the module documentation).
pub(super) fn flow(program: &Program) -> Flow {
    let code = &program.code;
    let mut flow = Flow { states: vec![None; code.len()], error: None };
    let mut queue = VecDeque::new();
    let visit = |flow: &mut Flow, queue: &mut VecDeque<usize>, pc: u32, frame: CodeOwner, height: u32| {
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
        visit(&mut flow, &mut queue, 0, CodeOwner::Main, 0);
    }
    for (i, proc) in program.procs.iter().enumerate() {
        visit(&mut flow, &mut queue, proc.entry, CodeOwner::Proc(len32(i)), 0);
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
            problem.get_or_insert(VerifyError::StackUnderflow { pc: pc32, op: op.name(), needs: pops, has: height });
        }
        if let Some(e) = problem {
            flow.error.get_or_insert(e);
            continue;
        }
        let after = height - pops + pushes;
        if op.falls_through() {
            visit(&mut flow, &mut queue, pc32.saturating_add(1), frame, after);
        }
        for operand in op.operands() {
            match operand {
                Operand::Target(t) => visit(&mut flow, &mut queue, t, frame, after),
                Operand::Wait(w) => {
                    if let Some(t) = program.waits.get(w as usize) {
                        for arm in &t.arms {
                            visit(&mut flow, &mut queue, arm.target, frame, after);
                        }
                        if let Some(target) = t.timeout_target {
                            visit(&mut flow, &mut queue, target, frame, after);
                        }
                    }
                }
                Operand::Handler(h) => {
                    if let Some(handler) = program.handlers.get(h as usize) {
                        visit(&mut flow, &mut queue, handler.target, frame, 0);
                    }
                }
                _ => {}
            }
        }
    }
    flow
}
