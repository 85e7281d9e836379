//! Which globals (params among them) the program reads as a duration, and where: directly
//! (`sleep pause`, `within limit`) or by passing them to a procedure that does, however many
//! procedures deep. A run checks the values given for them before its first byte, so
//! `-D pause=abc` is refused at once rather than when a line deep in `hayes.dial` is reached.
//!
//! It works on the bytecode, not the AST, so a compiled `.atcb` program is checked the same
//! way as a script. The analysis only ever claims a use it has seen: an argument counts when
//! it is a bare variable (a `Load` straight before the call in the same basic block), and a
//! procedure parameter counts only if the procedure never assigns it (`let pause = ...` would
//! make the parameter's first value irrelevant). Anything less certain is left to the check
//! made when the line runs.

use super::flow::{flow, CodeOwner};
use super::opcode::{DurArg, Op, Operand, VarRef};
use super::program::Program;

/// Why a global is read as a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUse {
    /// Instruction `pc` reads it as a duration.
    Direct { pc: u32 },
    /// The call at `call` passes it to procedure `proc`, which (itself or through further
    /// calls) reads that parameter as a duration at instruction `pc`.
    Passed { call: u32, proc: u32, pc: u32 },
}

impl DurationUse {
    /// Where it is used, for messages: `used as one at dial.atc:3`, or `passed to
    /// `hayes.dial` at dial.atc:3, which uses it as one at hayes.atc:57`.
    pub fn describe(&self, program: &Program) -> String {
        let at = |pc: u32| match program.location(pc as usize) {
            Some((file, line)) => format!("{file}:{line}"),
            None => format!("instruction {pc}"),
        };
        match *self {
            DurationUse::Direct { pc } => format!("used as one at {}", at(pc)),
            DurationUse::Passed { call, proc, pc } => {
                let name = program.procs.get(proc as usize).map_or("?", |p| p.name.as_str());
                format!("passed to `{name}` at {}, which uses it as one at {}", at(call), at(pc))
            }
        }
    }
}

/// The variables `op` reads as a duration, directly or through the table it refers to.
fn duration_vars(program: &Program, op: &Op) -> Vec<VarRef> {
    let mut vars = Vec::new();
    let mut add = |d: Option<DurArg>| {
        if let Some(DurArg::Var(v)) = d {
            vars.push(v);
        }
    };
    for operand in op.operands() {
        match operand {
            Operand::DurArg(d) => add(Some(d)),
            Operand::Within(d) => add(d),
            Operand::Wait(w) => {
                if let Some(t) = program.waits.get(w as usize) {
                    add(t.within);
                    add(t.idle);
                }
            }
            Operand::Retry(r) => add(program.retries.get(r as usize).and_then(|t| t.within)),
            _ => {}
        }
    }
    vars
}

/// The variables `op` stores into: `Store`, and the captures of its wait or handler.
fn stored_vars(program: &Program, op: &Op) -> Vec<VarRef> {
    let mut vars = Vec::new();
    if let Op::Store(v) = op {
        vars.push(*v);
    }
    for operand in op.operands() {
        match operand {
            Operand::Wait(w) => {
                if let Some(t) = program.waits.get(w as usize) {
                    vars.extend(t.arms.iter().flat_map(|a| a.captures.iter().copied()));
                }
            }
            Operand::Handler(h) => {
                if let Some(info) = program.handlers.get(h as usize) {
                    vars.extend(info.captures.iter().copied());
                }
            }
            _ => {}
        }
    }
    vars
}

/// A call: at `pc`, procedure `proc`, each argument the variable it was loaded from if it was
/// a bare variable.
struct CallSite {
    pc: u32,
    owner: CodeOwner,
    proc: u32,
    args: Vec<Option<VarRef>>,
}

/// Every call whose owner the flow analysis knows, with its arguments' origins, found by
/// following the stack through each basic block (a jump target starts one with nothing known).
fn call_sites(program: &Program, states: &[Option<(CodeOwner, u32)>]) -> Vec<CallSite> {
    let code = &program.code;
    let mut starts = vec![false; code.len()];
    let mut mark = |t: u32| {
        if let Some(s) = starts.get_mut(t as usize) {
            *s = true;
        }
    };
    program.procs.iter().for_each(|p| mark(p.entry));
    program.handlers.iter().for_each(|h| mark(h.target));
    for op in code {
        for operand in op.operands() {
            match operand {
                Operand::Target(t) => mark(t),
                Operand::Wait(w) => {
                    if let Some(t) = program.waits.get(w as usize) {
                        t.arms.iter().for_each(|a| mark(a.target));
                        t.timeout_target.into_iter().for_each(&mut mark);
                    }
                }
                _ => {}
            }
        }
    }
    let mut calls = Vec::new();
    // The stack as far as this block has built it: each value's variable, if it was loaded
    // from one.
    let mut stack: Vec<Option<VarRef>> = Vec::new();
    let mut fell_through = false;
    for (pc, op) in code.iter().enumerate() {
        let Some(Some((owner, height))) = states.get(pc).copied() else {
            fell_through = false;
            continue;
        };
        if starts[pc] || !fell_through || stack.len() != height as usize {
            stack = vec![None; height as usize];
        }
        let (pops, pushes) = super::flow::stack_effect(op, program);
        let taken = stack.split_off(stack.len().saturating_sub(pops as usize));
        match op {
            Op::Load(v) => stack.push(Some(*v)),
            Op::Call(p) => {
                calls.push(CallSite { pc: super::flow::len32(pc), owner, proc: *p, args: taken });
                stack.push(None);
            }
            _ => stack.resize(stack.len() + pushes as usize, None),
        }
        fell_through = op.falls_through();
    }
    calls
}

/// Every global read as a duration, each once, with one use that shows it.
pub fn duration_globals(program: &Program) -> Vec<(usize, DurationUse)> {
    let states = flow(program).states;
    // Per procedure: its parameters' uses as a duration (the pc of the use), and which of
    // them the procedure assigns (those are never claimed).
    let mut params: Vec<Vec<Option<u32>>> = program.procs.iter().map(|p| vec![None; usize::from(p.params)]).collect();
    let mut assigned: Vec<Vec<bool>> = program.procs.iter().map(|p| vec![false; usize::from(p.params)]).collect();
    let mut globals: Vec<(usize, DurationUse)> = Vec::new();
    let note_global = |globals: &mut Vec<(usize, DurationUse)>, g: usize, why: DurationUse| {
        if !globals.iter().any(|(slot, _)| *slot == g) {
            globals.push((g, why));
        }
    };
    for (pc, op) in program.code.iter().enumerate() {
        let Some(Some((owner, _))) = states.get(pc).copied() else { continue };
        let pc = super::flow::len32(pc);
        for v in stored_vars(program, op) {
            if let (CodeOwner::Proc(p), VarRef::Local(slot)) = (owner, v) {
                if let Some(a) = assigned.get_mut(p as usize).and_then(|a| a.get_mut(usize::from(slot))) {
                    *a = true;
                }
            }
        }
        for v in duration_vars(program, op) {
            match (owner, v) {
                (_, VarRef::Global(g)) => note_global(&mut globals, usize::from(g), DurationUse::Direct { pc }),
                (CodeOwner::Proc(p), VarRef::Local(slot)) => {
                    if let Some(u) = params.get_mut(p as usize).and_then(|u| u.get_mut(usize::from(slot))) {
                        u.get_or_insert(pc);
                    }
                }
                _ => {}
            }
        }
    }
    for (p, a) in assigned.iter().enumerate() {
        for (slot, assigned) in a.iter().enumerate() {
            if *assigned {
                params[p][slot] = None;
            }
        }
    }
    // Through calls: a parameter passed on to one read as a duration is read as one. Each
    // round marks at least one more parameter or ends, so there are at most as many rounds as
    // parameters.
    let calls = call_sites(program, &states);
    let used = |params: &Vec<Vec<Option<u32>>>, call: &CallSite, i: usize| {
        params.get(call.proc as usize).and_then(|u| u.get(i).copied().flatten())
    };
    for _ in 0..=params.iter().map(Vec::len).sum::<usize>() {
        let mut changed = false;
        for call in &calls {
            let CodeOwner::Proc(q) = call.owner else { continue };
            for (i, arg) in call.args.iter().enumerate() {
                let (Some(VarRef::Local(slot)), Some(pc)) = (arg, used(&params, call, i)) else { continue };
                let slot = usize::from(*slot);
                let free = assigned.get(q as usize).and_then(|a| a.get(slot)) == Some(&false);
                if let Some(u) = params.get_mut(q as usize).and_then(|u| u.get_mut(slot)) {
                    if free && u.is_none() {
                        *u = Some(pc);
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    for call in &calls {
        for (i, arg) in call.args.iter().enumerate() {
            if let (Some(VarRef::Global(g)), Some(pc)) = (arg, used(&params, call, i)) {
                note_global(&mut globals, usize::from(*g), DurationUse::Passed { call: call.pc, proc: call.proc, pc });
            }
        }
    }
    globals
}
