//! The live session: every entry typed at the prompt runs on one machine that keeps its
//! variables, handlers, timeout and modem state from entry to entry.
//!
//! The session is one script that grows at the end. An entry is appended to the text, the
//! whole text is checked and compiled, and the machine continues on the new program where
//! the previous one ended (see [`Machine::continue_with`], which explains why that is sound).
//! An entry that fails, exits or is interrupted is dropped from the text again, so the text
//! is always a script that ran to its end; `:save` writes it out.
//!
//! Nobody sees that script: a mistake is shown in the lines of the entry alone, and the
//! compiled program's line table is renamed so that a failure says `<input>:2` (line 2 of the
//! entry running) or names the earlier entry it comes from.

use std::path::PathBuf;

use indexmap::IndexMap;

use crate::bytecode::compiler;
use crate::bytecode::program::LineEntry;
use crate::bytecode::Program;
use crate::check::{self, CheckOptions};
use crate::diagnostics;
use crate::lang::literal::quote;
use crate::lang::result_code::{Kind, RESULT_CODES};
use crate::syntax::Sources;
use crate::vm::machine::main_end;
use crate::vm::{ExitStatus, Machine};

/// The name the session's script goes by while it is checked and compiled. Messages never
/// show it: they name the entry being run [`INPUT`], or an earlier entry by its first line.
pub const NAME: &str = "<repl>";
/// The name of the entry being run in messages: `<input>:2:5` is line 2 of what was typed.
pub const INPUT: &str = "<input>";
/// How long an AT line waits for its final result code; dialing and answering get longer.
const AT_WAIT: &str = "10s";
const AT_WAIT_CALL: &str = "60s";

/// One entry as `:save` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The text, or `None` when the entry did not complete (saved as a comment).
    pub text: String,
    pub completed: bool,
}

/// An entry ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What the user typed.
    pub input: String,
    /// What goes into the session's script.
    pub code: String,
    /// For an AT line: the command, to save it with the reply it got.
    pub at: Option<String>,
    /// Whether the entry joins the session (and `:save`) when it completes: `false` for the
    /// wait the REPL runs by itself while idle, so that handlers fire as their line arrives.
    pub keep: bool,
}

impl Entry {
    /// An entry from what the user typed: an AT command line becomes `send` plus a wait for
    /// any final result code; `+++` becomes `escape`; anything else is a statement.
    pub fn new(input: &str) -> Entry {
        let line = input.trim();
        let at = is_at_line(line);
        let code = if line == "+++" {
            "escape".to_string()
        } else if at {
            at_code(line)
        } else {
            input.trim_end().to_string()
        };
        Entry { input: input.to_string(), code, at: at.then(|| line.to_string()), keep: true }
    }

    /// The entry the REPL runs by itself when the modem speaks while nobody types and `on`
    /// handlers are in force: a wait of no time, which runs the handlers whose patterns the
    /// new input matches and leaves the rest unread for the next `expect`.
    pub fn idle() -> Entry {
        Entry { input: String::new(), code: "sleep 0s".to_string(), at: None, keep: false }
    }

    /// The entry as `:save` writes it, given the result code its AT line got.
    pub fn saved(&self, result: Option<&str>) -> String {
        // The code, not the input: `+++` is typed but `escape` is what runs and checks.
        let Some(line) = &self.at else {
            return self.code.clone();
        };
        let (send, wait) = at_parts(line);
        match result {
            Some(code) if wait == AT_WAIT => format!("{send}\nexpect {code}"),
            Some(code) => format!("{send}\nexpect {code} within {wait}"),
            None => format!("{send}\n# (no final result code within {wait})"),
        }
    }
}

/// Whether `line` is sent to the modem as it is: it starts with `AT` (any case) and is not a
/// call of a procedure whose name starts with `at`.
pub fn is_at_line(line: &str) -> bool {
    let starts = line.len() >= 2 && line[..2].eq_ignore_ascii_case("AT");
    (starts && !line.contains('(')) || line == "A/"
}

/// `send "ATI"` (or `send raw "A/"`) and how long to wait for its reply.
fn at_parts(line: &str) -> (String, &'static str) {
    let upper = line.to_ascii_uppercase();
    let call = ["ATD", "ATA", "ATO"].iter().any(|p| upper.starts_with(p));
    let raw = if line == "A/" { "raw " } else { "" };
    let send = format!("send {raw}{}", quote(line.as_bytes()));
    (send, if call { AT_WAIT_CALL } else { AT_WAIT })
}

/// An AT line's code: send it, then wait for any final or intermediate result code, or the
/// SMS prompt.
fn at_code(line: &str) -> String {
    let (send, wait) = at_parts(line);
    let mut code = format!("{send}\nexpect {{\n");
    let replies = RESULT_CODES
        .iter()
        .filter(|c| matches!(c.kind, Some(Kind::Final | Kind::Intermediate)))
        .map(|c| c.text.to_string());
    for arm in replies.chain([quote(b"> ")]) {
        code.push_str(&format!("    {arm} => ignore\n"));
    }
    code.push_str(&format!("    timeout => say \"no final result code within {wait}\"\n}} within {wait}"));
    code
}

/// Why an entry could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Rendered diagnostics, or a one-line reason.
    pub message: String,
}

/// How a finished entry ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It ran to its end: it stays in the session.
    Completed,
    /// It failed, exited or was interrupted: dropped from the session's script.
    Dropped(ExitStatus),
}

/// The session. See the module documentation.
pub struct Session {
    /// The script so far: every completed entry.
    text: String,
    /// Where modules the session `use`s are looked for besides the stdlib.
    dir: Option<PathBuf>,
    /// Where the completed script's code ends, and how many handlers it leaves in force.
    end: usize,
    handlers: usize,
    /// The candidate text of the entry being run.
    running: Option<String>,
    /// Where each kept entry starts in `text` (lines before it) and its first line, to name
    /// it in messages.
    starts: Vec<(u32, String)>,
    /// Everything typed, for `:save`.
    pub saved: Vec<Saved>,
    pub vm: Machine,
}

impl Session {
    /// An empty session; modules are looked for in `dir`, then the stdlib.
    pub fn new(dir: Option<PathBuf>) -> Result<Session, Rejected> {
        let sources = Sources::from_text(NAME, "", dir.as_deref());
        let program = compiler::compile(&sources).map_err(|e| Rejected { message: e.to_string() })?;
        let vm = Machine::new(program, &IndexMap::new()).map_err(|e| Rejected { message: e.to_string() })?;
        Ok(Session {
            text: String::new(),
            dir,
            end: 0,
            handlers: 0,
            running: None,
            starts: Vec::new(),
            saved: Vec::new(),
            vm,
        })
    }

    /// The session's script so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Checks and compiles `entry` after the session's script and makes the machine ready to
    /// run it (with [`crate::driver::run_watched`]); then call [`Session::finish`].
    pub fn start(&mut self, entry: &Entry) -> Result<(), Rejected> {
        let candidate = format!("{}{}\n", self.text, entry.code);
        let sources = Sources::from_text(NAME, &candidate, self.dir.as_deref());
        let errors = check::check(&sources, &CheckOptions { params: None });
        if !errors.is_empty() {
            // Shown in the lines that were typed, not in the session's hidden script.
            return Err(Rejected {
                message: diagnostics::render_plain_from(&sources, &errors, self.text.len(), INPUT),
            });
        }
        let mut program = compiler::compile(&sources).map_err(|e| Rejected {
            message: diagnostics::render_report_plain(&diagnostics::compile_report(&sources, &e)),
        })?;
        self.relabel(&mut program);
        self.vm.continue_with(program, self.end, self.handlers).map_err(|e| Rejected { message: format!("{e}\n") })?;
        self.running = Some(candidate);
        Ok(())
    }

    /// Renames the lines of `program` after what was typed, so that a runtime message says
    /// `<input>:2` (line 2 of the entry being run) or names the earlier entry a handler or a
    /// procedure came from, never a line of the session's script nobody typed.
    fn relabel(&self, program: &mut Program) {
        let entry_start = self.text.lines().count() as u32;
        let file_of = |name: String, files: &mut Vec<String>| -> u16 {
            if let Some(i) = files.iter().position(|f| *f == name) {
                return i as u16;
            }
            files.push(name);
            (files.len() - 1) as u16
        };
        for i in 0..program.lines.len() {
            let LineEntry { file, line, .. } = program.lines[i];
            if file != 0 {
                continue;
            }
            let (name, first) = if line > entry_start {
                (INPUT.to_string(), entry_start)
            } else {
                // The last entry starting at or before the line holds it.
                let k = self.starts.partition_point(|(s, _)| *s < line).saturating_sub(1);
                match self.starts.get(k) {
                    Some((s, text)) => (format!("<entry `{text}`>"), *s),
                    None => continue,
                }
            };
            let index = file_of(name, &mut program.files);
            program.lines[i].file = index;
            program.lines[i].line = line - first;
        }
    }

    /// Records how the entry started by [`Session::start`] ended. `result` is the final
    /// result code an AT line got, for `:save`.
    pub fn finish(&mut self, entry: &Entry, outcome: Option<ExitStatus>, result: Option<&str>) -> Ended {
        let candidate = self.running.take().unwrap_or_else(|| self.text.clone());
        // Only the `Halt` at the very end means the entry ran to its end: `exit 0` is success
        // too but leaves code after it that the next entry cannot follow.
        let halted = self.vm.pc() == main_end(self.vm.program()) + 1;
        let ended = match outcome {
            Some(o) if o.code == 0 && halted => Ended::Completed,
            Some(o) => Ended::Dropped(o),
            None => Ended::Dropped(ExitStatus { code: 2, message: Some("interrupted".into()) }),
        };
        if !entry.keep {
            return ended;
        }
        match &ended {
            Ended::Completed => {
                let first = entry.input.trim().lines().next().unwrap_or("");
                self.starts.push((self.text.lines().count() as u32, short(first)));
                self.text = candidate;
                self.end = main_end(self.vm.program());
                self.handlers = self.vm.handler_count();
                self.saved.push(Saved { text: entry.saved(result), completed: true });
            }
            Ended::Dropped(_) => self.saved.push(Saved { text: entry.saved(result), completed: false }),
        }
        ended
    }

    /// The session as a script: a header, the port, then each entry; entries that did not
    /// complete are kept as comments.
    pub fn script(&self, port: Option<&str>) -> String {
        let mut out = String::from("# A session saved by `atchat repl`.\n");
        if let Some(port) = port {
            out.push_str(&format!("port {}\n", quote(port.as_bytes())));
        }
        for saved in &self.saved {
            if saved.completed {
                out.push_str(&saved.text);
                out.push('\n');
            } else {
                out.push_str("# did not complete:\n");
                for line in saved.text.lines() {
                    out.push_str(&format!("#   {line}\n"));
                }
            }
        }
        out
    }
}

/// The first line of an entry, cut to fit in a message.
fn short(line: &str) -> String {
    const MAX: usize = 24;
    match line.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// How many `{` are still open in `text`, outside strings and comments: an entry with an
/// open block continues on the next line.
pub fn open_braces(text: &str) -> i32 {
    let mut depth = 0;
    for line in text.lines() {
        let mut in_string = false;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                '#' if !in_string => break,
                '{' if !in_string => depth += 1,
                '}' if !in_string => depth -= 1,
                _ => {}
            }
        }
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_lines_and_statements() {
        assert!(is_at_line("ATI"));
        assert!(is_at_line("at+cmgf=1"));
        assert!(!is_at_line("attach()"));
        assert!(!is_at_line("send \"ATI\""));
        let e = Entry::new("AT+CMGS=\"123\"");
        assert!(e.code.starts_with("send \"AT+CMGS=\\\"123\\\"\"\nexpect {"), "{}", e.code);
        assert_eq!(e.saved(Some("\"> \"")), "send \"AT+CMGS=\\\"123\\\"\"\nexpect \"> \"");
        assert_eq!(Entry::new("ATDT5551234").saved(Some("CONNECT")), "send \"ATDT5551234\"\nexpect CONNECT within 60s");
        assert_eq!(Entry::new("+++").code, "escape");
    }

    #[test]
    fn braces_outside_strings_and_comments() {
        assert_eq!(open_braces("on RING {"), 1);
        assert_eq!(open_braces("send \"{x}\" # {"), 0);
        assert_eq!(open_braces("retry 3 times {\n  expect OK\n}"), 0);
        assert_eq!(open_braces("say \"\\\"{\""), 0);
    }
}
