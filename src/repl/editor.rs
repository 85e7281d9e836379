//! Where entries come from: rustyline on a terminal (history, completion, hints,
//! highlighting, blocks over several lines with a continuation prompt), or plain lines from
//! a pipe.
//!
//! Keys typed while an entry runs are kept for the next prompt, as shells do: the terminal
//! holds what is typed between prompts, and rustyline (with its `buffer-redux` feature) keeps
//! what it read past the end of one line for the next.
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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::session::{is_at_line, open_braces};
use super::table;
use crate::lang::result_code;

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

/// The prompt of the lines after the first of an entry whose block is still open; as wide
/// as `atchat> `.
pub const CONTINUATION: &str = "   ...> ";

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
    ":term",
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
    /// The prompt on the screen (the first line's, or [`CONTINUATION`]), to draw it again
    /// below output that arrives meanwhile.
    shown: Arc<Mutex<String>>,
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
        Reader { lines: rx, prompts: None, prompting: false, shown: Arc::default() }
    }

    /// rustyline on the terminal, with the history in `history` (created if missing).
    pub fn terminal(history: Option<PathBuf>, color: bool) -> Result<Reader, String> {
        let (tx, rx) = channel();
        let (prompt_tx, prompt_rx) = channel::<String>();
        let (setup_tx, setup_rx) = channel();
        let shown: Arc<Mutex<String>> = Arc::default();
        let shown_by_thread = Arc::clone(&shown);
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
                let input = read_entry(&mut editor, &prompt, &shown_by_thread);
                if let Input::Line(entry) = &input {
                    if !entry.trim().is_empty() {
                        // A block is one history entry: Up brings all of it back.
                        let _ = editor.add_history_entry(entry.as_str());
                        if let Some(path) = &history {
                            // Saved at once so a crash or a kill keeps the history.
                            let _ = editor.history_mut().save(path);
                        }
                    }
                }
                let eof = input == Input::Eof;
                if tx.send(input).is_err() || eof {
                    return;
                }
            }
        });
        setup_rx.recv().map_err(|_| "the line editor stopped".to_string())??;
        Ok(Reader { lines: rx, prompts: Some(prompt_tx), prompting: false, shown })
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

    /// The prompt on the screen now: the entry's, or [`CONTINUATION`] inside a block.
    pub fn shown(&self) -> String {
        self.shown.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Reads one entry: a line, and while a block is open the lines that close it, each after
/// the continuation prompt (Python's `...`). Ctrl-C drops the whole entry; so does Ctrl-D
/// inside a block (it leaves only at the first prompt).
fn read_entry(editor: &mut Editor<EntryHelper, DefaultHistory>, prompt: &str, shown: &Mutex<String>) -> Input {
    let mut entry = String::new();
    loop {
        let this = if entry.is_empty() { prompt } else { CONTINUATION };
        if let Ok(mut s) = shown.lock() {
            *s = this.to_string();
        }
        match editor.readline(this) {
            Ok(line) => {
                if !entry.is_empty() {
                    entry.push('\n');
                }
                entry.push_str(&line);
                if open_braces(&entry) <= 0 {
                    return Input::Line(entry);
                }
            }
            Err(ReadlineError::Interrupted) => return Input::Interrupted,
            Err(ReadlineError::Eof) if !entry.is_empty() => return Input::Interrupted,
            Err(_) => return Input::Eof,
        }
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

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let typed = &line[..pos];
        if typed.starts_with(':') && !typed.contains(' ') {
            let found = COMMANDS.iter().filter(|c| c.starts_with(typed));
            return Ok((0, found.map(|c| Pair { display: c.to_string(), replacement: format!("{c} ") }).collect()));
        }
        let indent = typed.len() - typed.trim_start().len();
        if !is_at_line(typed.trim_start()) {
            let (start, words) = complete_statement(typed);
            let pairs = words
                .into_iter()
                .map(|(word, what)| Pair { display: format!("{word:<12} {what}"), replacement: format!("{word} ") })
                .collect();
            return Ok((start, pairs));
        }
        // The command being typed is the last one on the line: after a `;`, or all of it.
        let start = typed.rfind(';').map_or(indent, |i| i + 1);
        let word = &typed[start..];
        let (prefix, strip) = if start == indent { (word.to_string(), 0) } else { (format!("AT{word}"), 2) };
        let pairs = table::complete(&prefix)
            .into_iter()
            .map(|c| Pair { display: format!("{:<12} {}", c.name, c.hint), replacement: c.name[strip..].to_string() })
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
        let command = if line.contains(';') && !is_at_line(last) { format!("AT{last}") } else { last.to_string() };
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

// Every line is accepted as it is: an open block goes on at the continuation prompt
// (`read_entry`), where rustyline's multi-line editing would show no prompt at all.
impl Validator for EntryHelper {}

impl Helper for EntryHelper {}

/// The words that begin a statement, with what the statement does: Tab at the start of a
/// statement offers them.
pub const STATEMENTS: &[(&str, &str)] = &[
    ("baud", "set the port's speed"),
    ("break", "send a break"),
    ("command", "send a command and wait for its final result code"),
    ("dtr", "set DTR on or off"),
    ("escape", "guard time, +++, guard time, expect OK"),
    ("exit", "end with an exit code"),
    ("expect", "wait for a pattern or one of several arms"),
    ("fail", "end with a failure"),
    ("final", "declare a vendor's final result code"),
    ("flush", "discard unread input"),
    ("hangup", "drop DTR, or escape and ATH"),
    ("if", "run a block on a condition"),
    ("let", "assign a variable"),
    ("on", "a handler watched during every wait"),
    ("param", "a value given with -D or the environment"),
    ("print", "print a result on stdout"),
    ("proc", "define a procedure"),
    ("results", "verbose or numeric result codes"),
    ("retry", "run a block again on failure"),
    ("return", "leave a procedure"),
    ("rts", "set RTS on or off"),
    ("say", "print a message on stderr"),
    ("secret", "a param never shown in transcripts"),
    ("send", "send text (CR appended)"),
    ("sleep", "wait without reading"),
    ("timeout", "the default deadline of each expect"),
    ("use", "load a module (hayes, gsm)"),
    ("wait", "wait carrier: wait for DCD"),
];

/// Completions of a statement being typed: `(where the word starts, candidates with what
/// each is)`. The word at the start of a statement (after `{`, `}` or `;` too) is a
/// statement's keyword; after `expect`, `on` and `final`-like words a result code; after
/// `use` a stdlib module.
pub fn complete_statement(typed: &str) -> (usize, Vec<(String, String)>) {
    let statement_start = typed.rfind(['{', '}', ';', '\n']).map_or(0, |i| i + 1);
    let word_start =
        typed.rfind(|c: char| c.is_whitespace() || "{};".contains(c)).map_or(0, |i| i + 1).max(statement_start);
    let word = &typed[word_start..];
    let statement = &typed[statement_start..];
    let keyword = statement.split_whitespace().next().unwrap_or("");
    // A result code may have a space in it (`NO CARRIER`): after `expect` or `on`, the
    // word is everything after the keyword.
    let after_keyword = statement.trim_start().get(keyword.len()..).unwrap_or("");
    let code = after_keyword.trim_start();
    let code_start = typed.len() - code.len();
    let is_code = |t: &str| t.chars().all(|c| c.is_ascii_uppercase() || c == ' ' || c == '+');
    if keyword == word && word_start >= statement_start {
        let words = STATEMENTS
            .iter()
            .filter(|(w, _)| w.starts_with(word))
            .map(|(w, what)| (w.to_string(), what.to_string()))
            .collect();
        return (word_start, words);
    }
    let words: Vec<(String, String)> = match keyword {
        "expect" | "on" if after_keyword.starts_with(' ') && is_code(code) => {
            let codes = result_code::RESULT_CODES.iter().map(|c| (c.text, kind_text(c.kind)));
            // A handler is as often for what the modem says unasked.
            let unsolicited = result_code::UNSOLICITED
                .iter()
                .filter(|u| keyword == "on" && result_code::is_result_code(u))
                .filter(|u| !result_code::RESULT_CODES.iter().any(|c| c.text == **u))
                .map(|u| (*u, "unsolicited result code"));
            let found = codes
                .chain(unsolicited)
                .filter(|(text, _)| text.starts_with(code))
                .map(|(text, what)| (text.to_string(), what.to_string()))
                .collect();
            return (code_start, found);
        }
        "use" if word_start > statement_start => crate::syntax::loader::STDLIB
            .iter()
            .filter(|(m, _)| m.starts_with(word))
            .map(|(m, _)| (m.to_string(), "stdlib module".to_string()))
            .collect(),
        _ => Vec::new(),
    };
    (word_start, words)
}

/// What a result code is, for the completion list.
fn kind_text(kind: Option<result_code::Kind>) -> &'static str {
    match kind {
        Some(result_code::Kind::Final) => "final result code",
        Some(result_code::Kind::Intermediate) => "intermediate result code",
        Some(result_code::Kind::Unsolicited) => "unsolicited result code",
        None => "result code",
    }
}

/// Language keywords, highlighted at the prompt.
const KEYWORDS: &[&str] = &[
    "use", "secret", "param", "let", "timeout", "results", "port", "proc", "return", "send", "raw", "pace", "expect",
    "within", "idle", "on", "fail", "retry", "ignore", "times", "every", "if", "else", "and", "or", "not", "dtr",
    "rts", "break", "hangup", "escape", "wait", "carrier", "baud", "flush", "sleep", "say", "print", "exit",
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
                    && word.chars().all(|d| d.is_ascii_uppercase() || d == '+' || d.is_ascii_digit())
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

    fn words(typed: &str) -> (usize, Vec<String>) {
        let (start, found) = complete_statement(typed);
        (start, found.into_iter().map(|(w, _)| w).collect())
    }

    #[test]
    fn statements_complete_where_a_statement_starts() {
        assert_eq!(words("se"), (0, vec!["secret".to_string(), "send".to_string()]));
        assert_eq!(words("ex").1, ["exit", "expect"]);
        assert_eq!(words("com").1, ["command"]);
        // After `{` or `;` a new statement starts; inside one, a keyword is not offered.
        assert_eq!(words("on RING { sa"), (10, vec!["say".to_string()]));
        assert_eq!(words("say \"x\"; fl").1, ["flush"]);
        assert_eq!(words("say s").1, Vec::<String>::new());
        // After `expect` and `on`: result codes; after `use`: the stdlib's modules.
        assert_eq!(words("expect NO").1, ["NO CARRIER", "NO DIALTONE", "NO ANSWER", "NO DIAL TONE"]);
        assert_eq!(words("expect NO C"), (7, vec!["NO CARRIER".to_string()]));
        assert_eq!(words("on +CME").1, ["+CME ERROR"]);
        assert!(words("expect \"NO").1.is_empty());
        assert!(words("on +CM").1.contains(&"+CMTI".to_string()));
        assert!(!words("expect +CM").1.contains(&"+CMTI".to_string()));
        assert_eq!(words("use g"), (4, vec!["gsm".to_string()]));
    }

    #[test]
    fn every_statement_keyword_is_offered() {
        let grammar = include_str!("../../grammar/atchat.pest");
        for (word, _) in STATEMENTS {
            assert!(grammar.contains(&format!("kw_{word} ")), "{word} is not a keyword of the grammar");
        }
    }
}
