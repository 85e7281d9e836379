//! The names a scope assigns: the globals of a script and the locals of a procedure, in the
//! order slots are numbered in. The checker resolves names with them and the compiler numbers
//! slots with them, so the two agree on what is in scope.

use std::collections::HashSet;

use super::ast::*;

/// Names in the order they were first added, each once. The set makes adding and looking up
/// constant-time, so a script with thousands of names is not checked or compiled in quadratic
/// time; the list keeps the order slots are numbered in.
#[derive(Debug, Clone, Default)]
pub struct Names {
    list: Vec<String>,
    set: HashSet<String>,
}

impl Names {
    /// Adds `name` unless it is there already.
    pub fn push(&mut self, name: &str) {
        if !self.set.contains(name) {
            self.set.insert(name.to_string());
            self.list.push(name.to_string());
        }
    }

    /// Whether `name` was added.
    pub fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// The names in the order they were first added.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.list.iter()
    }

    /// The names in the order they were first added.
    pub fn into_vec(self) -> Vec<String> {
        self.list
    }
}

/// Names a statement assigns (`let`, captures in patterns), in order, without descending into
/// procedures.
pub fn assigned_names(stmt: &Stmt, out: &mut Names) {
    match &stmt.kind {
        StmtKind::Let { name, .. } => out.push(&name.text),
        StmtKind::Expect(e) | StmtKind::Command { expect: e, .. } => {
            for arm in &e.arms {
                pattern_holes(&arm.pattern, out);
            }
            for a in e.arms.iter().map(|a| &a.action).chain(e.on_timeout.iter()) {
                action_names(a, out);
            }
        }
        StmtKind::On(h) => {
            if let Some(p) = &h.pattern {
                pattern_holes(p, out);
            }
            action_names(&h.action, out);
        }
        StmtKind::Retry(r) => {
            for s in &r.body.stmts {
                assigned_names(s, out);
            }
        }
        StmtKind::If { then, otherwise, .. } => {
            for s in then.stmts.iter().chain(otherwise.iter().flat_map(|b| b.stmts.iter())) {
                assigned_names(s, out);
            }
        }
        _ => {}
    }
}

fn action_names(action: &Action, out: &mut Names) {
    if let ActionKind::Block(b) = &action.kind {
        for s in &b.stmts {
            assigned_names(s, out);
        }
    }
}

/// The holes of a pattern capture into the names they name.
fn pattern_holes(p: &Pattern, out: &mut Names) {
    if let Pattern::Text(s) = p {
        for part in &s.parts {
            if let StrPart::Hole(n) = part {
                out.push(&n.text);
            }
        }
    }
}
