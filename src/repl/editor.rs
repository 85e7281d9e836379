//! Where entries come from: rustyline on a terminal (history, completion, hints,
//! highlighting, multi-line blocks), or plain lines from a pipe.
//!
//! Either way the reading happens on its own thread and lines arrive on a channel, so the
//! REPL's loop keeps listening to the modem (and shows unsolicited codes) while the user types.
//!
//! rustyline's `ExternalPrinter` is not used: with one in place, rustyline 15 waits in
//! `select` before looking at input it has already buffered, so pasted or typed-ahead text
//! stalls after its first character. Output that arrives during a prompt is printed above it
//! instead, and the prompt drawn again (see `Out::print`).

use std::borrow::Cow;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::session::{is_at_line, open_braces};
use super::table;

/// What the reader thread hands the REPL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// An entry: one line, or several when a block was open.
    Line(String),
    /// Ctrl-C at the prompt: the line typed so far is dropped.
    Interrupted,
    /// Ctrl-D or the end of the pipe.
    Eof,
}

/// The `:` commands, for completion.
pub const COMMANDS: &[&str] = &[
    ":load",
    ":run",
    ":break",
    ":step",
    ":next",
    ":continue",
    ":vars",
    ":pending",
    ":disasm",
    ":hex",
    ":log",
    ":save",
    ":dtr",
    ":rts",
    ":break-signal",
    ":port",
    ":help",
    ":quit",
];

/// Reads entries on a thread. See the module documentation.
pub struct Reader {
    lines: Receiver<Input>,
    /// Terminal only: each prompt sent makes the thread read one entry.
    prompts: Option<Sender<String>>,
    /// Whether the thread is showing a prompt now.
    prompting: bool,
}

impl Reader {
    /// Lines from stdin, no editing: blocks are gathered until their braces close.
    pub fn pipe() -> Reader {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            let mut entry = String::new();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                entry.push_str(&line);
                entry.push('\n');
                if open_braces(&entry) > 0 {
                    continue;
                }
                if tx.send(Input::Line(std::mem::take(&mut entry))).is_err() {
                    return;
                }
            }
            if !entry.trim().is_empty() {
                let _ = tx.send(Input::Line(entry));
            }
            let _ = tx.send(Input::Eof);
        });
        Reader {
            lines: rx,
            prompts: None,
            prompting: false,
        }
    }

    /// rustyline on the terminal, with the history in `history` (created if missing).
    pub fn terminal(history: Option<PathBuf>, color: bool) -> Result<Reader, String> {
        let (tx, rx) = channel();
        let (prompt_tx, prompt_rx) = channel::<String>();
        let (setup_tx, setup_rx) = channel();
        std::thread::spawn(move || {
            // List completion, as in bash: Tab completes what is common, Tab again lists
            // the candidates with their hints.
            let config = Config::builder()
                .auto_add_history(false)
                .completion_type(CompletionType::List)
                .max_history_size(5000)
                .map(|b| b.build());
            let editor = config.and_then(Editor::<EntryHelper, DefaultHistory>::with_config);
            let mut editor = match editor {
                Ok(e) => e,
                Err(e) => {
                    let _ = setup_tx.send(Err(format!("cannot start line editing: {e}")));
                    return;
                }
            };
            editor.set_helper(Some(EntryHelper { color }));
            if let Some(path) = &history {
                // A missing history file is the first run, not an error.
                let _ = editor.load_history(path);
            }
            if setup_tx.send(Ok(())).is_err() {
                return;
            }
            for prompt in prompt_rx {
                let input = match editor.readline(&prompt) {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            let _ = editor.add_history_entry(line.as_str());
                            if let Some(path) = &history {
                                // Saved at once so a crash or a kill keeps the history.
                                let _ = editor.history_mut().save(path);
                            }
                        }
                        Input::Line(line)
                    }
                    Err(ReadlineError::Interrupted) => Input::Interrupted,
                    Err(_) => Input::Eof,
                };
                let eof = input == Input::Eof;
                if tx.send(input).is_err() || eof {
                    return;
                }
            }
        });
        setup_rx
            .recv()
            .map_err(|_| "the line editor stopped".to_string())??;
        Ok(Reader {
            lines: rx,
            prompts: Some(prompt_tx),
            prompting: false,
        })
    }

    /// Shows `prompt` (on a terminal) and starts reading the next entry.
    pub fn ask(&mut self, prompt: &str) {
        if self.prompting {
            return;
        }
        if let Some(p) = &self.prompts {
            self.prompting = p.send(prompt.to_string()).is_ok();
        }
    }

    /// The next entry, if one comes within `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Option<Input> {
        match self.lines.recv_timeout(timeout) {
            Ok(input) => {
                self.prompting = false;
                Some(input)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Input::Eof),
        }
    }

    /// Whether a prompt is shown and being edited now.
    pub fn prompting(&self) -> bool {
        self.prompting
    }
}

/// `~/.local/state/atchat/history` (or under `$XDG_STATE_HOME`), its folder created.
pub fn history_path() -> Option<PathBuf> {
    let state = match std::env::var_os("XDG_STATE_HOME").filter(|s| !s.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".local/state"),
    };
    let dir = state.join("atchat");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history"))
}

/// Completion, hints, highlighting and block continuation for the prompt.
pub struct EntryHelper {
    color: bool,
}

/// A hint shown after the cursor, never inserted by accepting it.
pub struct Note(String);

impl Hint for Note {
    fn display(&self) -> &str {
        &self.0
    }
    fn completion(&self) -> Option<&str> {
        None
    }
}

impl Completer for EntryHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let typed = &line[..pos];
        if typed.starts_with(':') && !typed.contains(' ') {
            let found = COMMANDS.iter().filter(|c| c.starts_with(typed));
            return Ok((
                0,
                found
                    .map(|c| Pair {
                        display: c.to_string(),
                        replacement: format!("{c} "),
                    })
                    .collect(),
            ));
        }
        let indent = typed.len() - typed.trim_start().len();
        if !is_at_line(typed.trim_start()) {
            return Ok((pos, Vec::new()));
        }
        // The command being typed is the last one on the line: after a `;`, or all of it.
        let start = typed.rfind(';').map_or(indent, |i| i + 1);
        let word = &typed[start..];
        let (prefix, strip) = if start == indent {
            (word.to_string(), 0)
        } else {
            (format!("AT{word}"), 2)
        };
        let pairs = table::complete(&prefix)
            .into_iter()
            .map(|c| Pair {
                display: format!("{:<12} {}", c.name, c.hint),
                replacement: c.name[strip..].to_string(),
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for EntryHelper {
    type Hint = Note;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<Note> {
        if pos < line.len() || !is_at_line(line.trim_start()) {
            return None;
        }
        let last = line.rsplit(';').next().unwrap_or(line).trim_start();
        let command = if line.contains(';') && !is_at_line(last) {
            format!("AT{last}")
        } else {
            last.to_string()
        };
        table::describe(&command).map(|c| Note(format!("   # {}", c.hint)))
    }
}

impl Highlighter for EntryHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight(line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Validator for EntryHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        if open_braces(ctx.input()) > 0 {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Helper for EntryHelper {}

/// Language keywords, highlighted at the prompt.
const KEYWORDS: &[&str] = &[
    "use", "secret", "param", "let", "timeout", "results", "port", "proc", "return", "send", "raw",
    "pace", "expect", "within", "idle", "on", "fail", "retry", "ignore", "times", "every", "if",
    "else", "and", "or", "not", "dtr", "rts", "break", "hangup", "escape", "wait", "carrier",
    "baud", "flush", "sleep", "say", "exit",
];

/// ANSI colours for an entry: AT lines cyan, `:` commands magenta; in statements keywords
/// blue, strings green, result codes yellow, comments dim. Same display width as the input.
pub fn highlight(text: &str) -> String {
    let trimmed = text.trim_start();
    if is_at_line(trimmed) {
        return format!("\x1b[36m{text}\x1b[0m");
    }
    if trimmed.starts_with(':') {
        return format!("\x1b[35m{text}\x1b[0m");
    }
    let mut out = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                out.push_str(&format!("\x1b[2m{}\x1b[0m", &text[i..end]));
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            '"' => {
                let mut end = text.len();
                let mut escaped = false;
                for (j, d) in text[i + 1..].char_indices() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' || d == '\n' {
                        end = i + 1 + j + d.len_utf8();
                        break;
                    }
                }
                out.push_str(&format!("\x1b[32m{}\x1b[0m", &text[i..end]));
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '+' => {
                let end = text[i..]
                    .find(|d: char| !(d.is_ascii_alphanumeric() || d == '_' || d == '+'))
                    .map_or(text.len(), |n| i + n);
                let word = &text[i..end];
                let color = if KEYWORDS.contains(&word) {
                    Some("34")
                } else if word.len() > 1
                    && word
                        .chars()
                        .all(|d| d.is_ascii_uppercase() || d == '+' || d.is_ascii_digit())
                {
                    Some("33")
                } else {
                    None
                };
                match color {
                    Some(code) => out.push_str(&format!("\x1b[{code}m{word}\x1b[0m")),
                    None => out.push_str(word),
                }
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut in_escape = false;
        for c in s.chars() {
            match (in_escape, c) {
                (false, '\x1b') => in_escape = true,
                (true, 'm') => in_escape = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn highlighting_keeps_the_text() {
        for text in [
            "send \"AT{x}\" # hi",
            "on RING {\n  say \"r\"\n}",
            "ATS7=60",
            ":load x",
            "expect +CME ERROR",
            "é \"unterminated",
        ] {
            assert_eq!(strip(&highlight(text)), text);
        }
        assert!(highlight("send \"x\"").contains("\x1b[34msend"));
    }
}
