//! [`Program`] → a readable listing: what `atchat disasm`, the REPL's `:disasm` and the
//! compile golden tests (`tests/data/compile/*.dis`) show.
//!
//! The listing is stable: the same program always gives the same text, and nothing in it
//! depends on the machine or the time. It starts with the tables a reader needs to follow the
//! code (files, port, globals, procedures), then one instruction per line:
//!
//! ```text
//!    12  dial.atc:21  Expect 2  within 60s  handlers watched
//!                       "CONNECT {rate}" → 13, captures rate (global 3)
//!                       timeout → on timeout handler, else exit 3
//! ```
//!
//! The pc, the source position when it changes, the opcode by its name in
//! [`super::opcode::Op`], and the operands made readable by their kind ([`Operand`]):
//! constants by value (strings quoted, control bytes escaped), variables by name, jump targets
//! by pc, and the tables an instruction refers to (wait arms, handlers, retry limits) spelled
//! out. Operands are separated by two spaces, except that a pace follows `raw` after one and
//! a `Popped` text is appended as it is. Procedure entries and handler actions get a label
//! line. Secret params' defaults show as `***`.
//!
//! The disassembler never panics, even on a program that does not verify: an index out of
//! range shows as `#N?`.

use std::fmt::Write as _;

use super::flow::{flow, CodeOwner};
use super::opcode::{Comparison, DurArg, Op, Operand, VarRef};
use super::program::{Const, Program};
use crate::lang::literal::{format_duration as duration, quote};

/// The whole listing: header tables, then the code.
pub fn disassemble(program: &Program) -> String {
    let mut out = String::new();
    header(program, &mut out);
    code(program, &mut out);
    out
}

/// One instruction with its operands, on one line (without the details that
/// [`disassemble`] prints under `Expect`): what the debugger shows for the current pc.
pub fn instruction(program: &Program, pc: usize) -> String {
    let frames = flow(program).states;
    match program.code.get(pc) {
        Some(op) => Listing { program, frames: &frames }.op(pc, op),
        None => format!("pc {pc} is past the end of the code"),
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// Text from the program (names, pattern texts) with control characters escaped, so a
/// hostile file cannot break the listing's lines.
fn printable(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(s, "\\x{:02x}", u32::from(c));
        } else {
            s.push(c);
        }
    }
    s
}

fn constant(c: &Const) -> String {
    match c {
        Const::Str(s) => quote(s),
        Const::Int(i) => i.to_string(),
        Const::Duration(d) => duration(*d),
    }
}

fn header(p: &Program, out: &mut String) {
    out.push_str("files:\n");
    for (i, f) in p.files.iter().enumerate() {
        let _ = writeln!(out, "  {i}  {}", printable(f));
    }
    if let Some(port) = &p.port {
        let _ = writeln!(out, "port: {}", quote(port.as_bytes()));
    }
    out.push_str(if p.globals.is_empty() { "globals: none\n" } else { "globals:\n" });
    let width = p.globals.iter().map(|g| printable(&g.name).chars().count()).max().unwrap_or(0);
    for (i, g) in p.globals.iter().enumerate() {
        let name = printable(&g.name);
        let _ = write!(out, "  {i}  {name}");
        if let Some(param) = &g.param {
            let pad = width - name.chars().count();
            let _ = write!(out, "{:pad$}  {}param, ", "", if param.secret { "secret " } else { "" });
            match param.default {
                None => out.push_str("required"),
                Some(_) if param.secret => out.push_str("default ***"),
                Some(k) => {
                    let _ = write!(out, "default {}", p.consts.get(k as usize).map_or(format!("#{k}?"), constant));
                }
            }
        }
        out.push('\n');
    }
    out.push_str(if p.procs.is_empty() { "procs: none\n" } else { "procs:\n" });
    let width = p.procs.iter().map(|f| printable(&f.name).chars().count()).max().unwrap_or(0);
    for (i, f) in p.procs.iter().enumerate() {
        let name = printable(&f.name);
        let pad = width - name.chars().count();
        let _ = write!(out, "  {i}  {name}{:pad$}  entry {}  params {}  locals {}", "", f.entry, f.params, f.locals);
        if !f.local_names.is_empty() {
            let names: Vec<String> = f.local_names.iter().map(|n| printable(n)).collect();
            let _ = write!(out, " ({})", names.join(", "));
        }
        out.push('\n');
    }
}

fn code(p: &Program, out: &mut String) {
    let frames = flow(p).states;
    let listing = Listing { program: p, frames: &frames };
    let mut labels: Vec<(u32, String)> = Vec::new();
    for (i, f) in p.procs.iter().enumerate() {
        labels.push((f.entry, format!("proc {} ({i})", printable(&f.name))));
    }
    for (i, h) in p.handlers.iter().enumerate() {
        labels.push((h.target, format!("handler {i} ({})", listing.handler_trigger(h.pattern))));
    }
    labels.sort_by_key(|(pc, _)| *pc);
    let locations: Vec<String> = (0..p.code.len())
        .map(|pc| p.location(pc).map_or(String::new(), |(f, l)| format!("{}:{l}", printable(f))))
        .collect();
    let width = locations.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let pc_width = p.code.len().saturating_sub(1).to_string().len().max(4);
    let indent = pc_width + 2 + width + 2 + 2;
    out.push_str("code:\n");
    let mut last_location = "";
    let mut next_label = 0;
    for (pc, op) in p.code.iter().enumerate() {
        while let Some((at, label)) = labels.get(next_label) {
            if *at as usize > pc {
                break;
            }
            if *at as usize == pc {
                let _ = writeln!(out, "{label}:");
            }
            next_label += 1;
        }
        let location = if locations[pc] != last_location { locations[pc].as_str() } else { "" };
        last_location = &locations[pc];
        let line = format!("{pc:>pc_width$}  {location:width$}  {}", listing.op(pc, op));
        out.push_str(line.trim_end());
        out.push('\n');
        for detail in listing.details(pc, op) {
            let _ = writeln!(out, "{:indent$}{detail}", "");
        }
    }
    for (at, label) in &labels[next_label..] {
        let _ = writeln!(out, "{label}: (at {at}, past the end of the code)");
    }
}

struct Listing<'a> {
    program: &'a Program,
    frames: &'a [Option<(CodeOwner, u32)>],
}

impl Listing<'_> {
    fn var(&self, pc: Option<usize>, v: VarRef) -> String {
        let p = self.program;
        match v {
            VarRef::Global(g) => match p.globals.get(usize::from(g)) {
                Some(info) => format!("{} (global {g})", printable(&info.name)),
                None => format!("global #{g}?"),
            },
            VarRef::Local(l) => {
                let name = pc
                    .and_then(|pc| self.frames.get(pc).copied().flatten())
                    .and_then(|(frame, _)| match frame {
                        CodeOwner::Proc(f) => p.procs.get(f as usize),
                        _ => None,
                    })
                    .and_then(|f| f.local_names.get(usize::from(l)));
                match name {
                    Some(n) => format!("{} (local {l})", printable(n)),
                    None => format!("local {l}"),
                }
            }
        }
    }

    /// A duration operand: `5s`, or the variable it is read from.
    fn dur_arg(&self, pc: Option<usize>, d: DurArg) -> String {
        match d {
            DurArg::Fixed(d) => duration(d),
            DurArg::Var(v) => self.var(pc, v),
        }
    }

    fn vars(&self, pc: Option<usize>, vars: &[VarRef]) -> String {
        if vars.is_empty() {
            return String::new();
        }
        let names: Vec<String> = vars.iter().map(|v| self.var(pc, *v)).collect();
        format!(", captures {}", names.join(", "))
    }

    fn pattern(&self, i: u32) -> String {
        match self.program.pattern_text.get(i as usize) {
            Some(t) => printable(t),
            None => format!("pattern #{i}?"),
        }
    }

    fn handler_trigger(&self, pattern: Option<u32>) -> String {
        match pattern {
            Some(i) => self.pattern(i),
            None => "timeout".to_string(),
        }
    }

    fn constant(&self, k: u32) -> String {
        self.program.consts.get(k as usize).map_or(format!("#{k}?"), constant)
    }

    fn op(&self, pc: usize, op: &Op) -> String {
        let mut s = op.name().to_string();
        let mut operands = String::new();
        for operand in op.operands() {
            let text = self.operand(pc, operand);
            if text.is_empty() {
                continue;
            }
            if !operands.is_empty() {
                operands.push_str(match operand {
                    Operand::Pace(_) => " ",
                    Operand::Popped(..) => "",
                    _ => "  ",
                });
            }
            operands.push_str(&text);
        }
        if !operands.is_empty() {
            s.push(' ');
            s.push_str(&operands);
        }
        s
    }

    /// One operand, shown by its kind (see [`Operand`]); empty for an unset flag or option.
    fn operand(&self, pc: usize, operand: Operand) -> String {
        let p = self.program;
        match operand {
            Operand::Constant(k) => self.constant(k),
            Operand::Var(v) => self.var(Some(pc), v),
            Operand::Values(n) => n.to_string(),
            Operand::Comparison(c) => match c {
                Comparison::Eq => "==",
                Comparison::Ne => "!=",
                Comparison::Lt => "<",
                Comparison::Le => "<=",
                Comparison::Gt => ">",
                Comparison::Ge => ">=",
            }
            .to_string(),
            Operand::Target(t) => t.to_string(),
            Operand::Wait(w) => match p.waits.get(w as usize) {
                Some(t) => {
                    let mut s = w.to_string();
                    if let Some(d) = t.within {
                        let _ = write!(s, "  within {}", self.dur_arg(Some(pc), d));
                    }
                    if let Some(d) = t.idle {
                        let _ = write!(s, "  idle {}", self.dur_arg(Some(pc), d));
                    }
                    s.push_str(if t.watch_handlers { "  handlers watched" } else { "  handlers not watched" });
                    s
                }
                None => format!("#{w}?"),
            },
            Operand::Handler(h) => match p.handlers.get(h as usize) {
                Some(info) => format!(
                    "{h}  {} → {}{}",
                    self.handler_trigger(info.pattern),
                    info.target,
                    self.vars(Some(pc), &info.captures)
                ),
                None => format!("#{h}?"),
            },
            Operand::Retry(r) => match p.retries.get(r as usize) {
                Some(t) => {
                    let mut s = format!("{r}  times ");
                    match t.times {
                        Some(n) => {
                            let _ = write!(s, "{n}");
                        }
                        None => s.push_str("unlimited"),
                    }
                    if let Some(d) = t.every {
                        let _ = write!(s, "  every {}", duration(d));
                    }
                    if let Some(d) = t.within {
                        let _ = write!(s, "  within {}", self.dur_arg(Some(pc), d));
                    }
                    let _ = write!(s, "  body {}  end {}", t.body, t.end);
                    s
                }
                None => format!("#{r}?"),
            },
            Operand::Proc(f) => match p.procs.get(f as usize) {
                Some(info) => format!("{} (proc {f})", printable(&info.name)),
                None => format!("#{f}?"),
            },
            Operand::Duration(d) => duration(d),
            Operand::DurArg(d) => self.dur_arg(Some(pc), d),
            Operand::Within(d) => d.map_or(String::new(), |d| format!("within {}", self.dur_arg(Some(pc), d))),
            Operand::Pace(d) => d.map_or(String::new(), |d| format!("pace {}", duration(d))),
            Operand::Deadline(d) => d.map_or_else(|| "never".to_string(), duration),
            Operand::OnOff(on) => on_off(on).to_string(),
            Operand::Switch(name, on) => format!("{name} {}", on_off(on)),
            Operand::Flag(text, set) | Operand::Popped(text, set) => (if set { text } else { "" }).to_string(),
            Operand::Rate(n) => n.to_string(),
            Operand::ExitCode(code) => code.to_string(),
            Operand::FailCode(code) => format!("exit {code}"),
            Operand::Mask(mask) => format!("0x{mask:02X}"),
        }
    }

    /// The lines printed under an instruction: a wait's arms and timeout.
    fn details(&self, pc: usize, op: &Op) -> Vec<String> {
        let Some(w) = op.operands().into_iter().find_map(|o| match o {
            Operand::Wait(w) => Some(w),
            _ => None,
        }) else {
            return Vec::new();
        };
        let Some(t) = self.program.waits.get(w as usize) else {
            return Vec::new();
        };
        let mut lines: Vec<String> = t
            .arms
            .iter()
            .map(|arm| format!("{} → {}{}", self.pattern(arm.pattern), arm.target, self.vars(Some(pc), &arm.captures)))
            .collect();
        lines.push(match t.timeout_target {
            Some(target) => format!("timeout → {target}"),
            None => "timeout → on timeout handler, else exit 3".to_string(),
        });
        lines
    }
}
