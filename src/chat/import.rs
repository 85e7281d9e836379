//! `atchat import FILE.chat`: a chat script rewritten as a readable native script that
//! behaves the same (same outcome, same bytes to the modem).
//!
//! - The ABORT strings in force become arms of each expect, after the expect's own, with
//!   chat's exit codes (4 + index). Not `on` handlers: chat looks for ABORT strings only in
//!   what an expect reads, where a handler would also fire during a send's `\d` (a sleep);
//!   and CLR_ABORT removes strings and renumbers the rest, where a handler stays.
//! - Subexpects `a-b-c` become `expect { "a" => ignore  timeout => { send b; expect c } }`.
//! - `\T`, `\U` and (with `-E`) `$NAME` become params, interpolated where chat substituted.
//! - TIMEOUT becomes `timeout`; chat's default of 45 s is written out at the top. A timeout
//!   the language cannot write (over a year, or `-t 0`'s none at all) is refused: an
//!   [`ImportError`] rather than a script that behaves differently.
//! - Where chat gives up (a 51st ABORT or REPORT string, one too long), the script ends
//!   with chat's exit code at the same point.
//! - Sends are `send raw pace 10ms` with chat's CR written out: chat neither skips the
//!   modem's echo nor changes anything about the line but that.
//! - Comment lines are carried over. What has no native form (REPORT, ECHO, HANGUP, `@file`)
//!   is kept as a comment saying so.

use std::fmt::Write as _;

use super::compile::{MAX_ABORTS, MAX_ABORT_LEN, MAX_REPORTS};
use super::escape::{c_str, clean, send_items, split_subexpects, SendItem, Subst};
use super::options::{atoi, DEFAULT_TIMEOUT};
use super::token::{Keyword, Tokens};
use crate::lang::literal::quote_text;

/// What `\T` and `\U` are replaced by while importing, to be found again in cleaned strings.
const PHONE: &[u8] = b"\x01\x02T\x03";
const PHONE2: &[u8] = b"\x01\x02U\x03";
/// `$NAME` becomes `ENV_OPEN NAME ENV_CLOSE`.
const ENV_OPEN: &[u8] = b"\x01\x02$";
const ENV_CLOSE: u8 = 0x03;

/// The native language's keywords, which cannot name a param.
const KEYWORDS: &[&str] = &[
    "use", "secret", "param", "let", "timeout", "results", "port", "proc", "return", "send", "raw", "pace", "expect",
    "within", "idle", "on", "fail", "retry", "ignore", "times", "every", "if", "else", "and", "or", "not", "dtr",
    "rts", "break", "hangup", "escape", "wait", "baud", "flush", "sleep", "say", "print", "exit",
];

/// The param a `$NAME` of chat's environment becomes (for `ATCHAT_<param>`).
pub fn env_param(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.is_empty() || lower.starts_with(|c: char| c.is_ascii_digit()) || KEYWORDS.contains(&lower.as_str()) {
        format!("env_{lower}")
    } else {
        lower
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The script is run with `-E`: `$NAME` is an environment variable (a param).
    pub env: bool,
    /// The script's file name, for the header.
    pub name: String,
    /// chat's `-t` the script runs with (`None`: chat's default; 0 or below: no timeout).
    pub timeout: Option<i64>,
}

/// A chat script the native language cannot say the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The script's line (0: chat's command line).
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.message),
            line => write!(f, "line {line}: {}", self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// The longest timeout a native script can have, in seconds.
fn max_timeout() -> i64 {
    crate::lang::literal::MAX_DURATION.as_secs() as i64
}

struct Importer {
    out: String,
    params: Vec<String>,
    /// ABORT strings in force, in chat's index order.
    aborts: Vec<Vec<u8>>,
    /// The `timeout` in force, as the native script writes it (`45s`, a param's name).
    timeout: String,
    /// The procs written for expects under `ABORT ''`, one per distinct [`FirstByte`].
    first_byte_procs: Vec<FirstByte>,
    subst: Subst,
    /// Comments for params other than the usual ones.
    notes: Vec<(String, String)>,
    /// chat's `fatal()` at the last token: its message and exit code. Nothing after it runs.
    fatal: Option<(String, u8)>,
    /// REPORT strings in force: not imported, but chat gives up at the 51st.
    reports: Vec<Vec<u8>>,
    /// What cannot be imported.
    error: Option<ImportError>,
}

/// Text from the chat script (a comment line, a keyword's argument) as the text of a native
/// comment. chat's lines end at `\n` only; a `\r` inside one would end the native comment
/// and turn its rest into code, so control bytes are written escaped.
fn comment(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| if c.is_control() && c != '\t' { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// What an expect does at the first byte it reads while `ABORT ''` is in force, for each byte
/// value: `None` the expect is matched, `Some(code)` chat fails with that code. chat tries the
/// expect string first, then the ABORT strings in index order, at each byte; at the first
/// byte only the empty string and one-byte strings can match, and the empty one always does,
/// so the expect never reads a second byte.
type FirstByte = Vec<Option<usize>>;

/// Imports a tokenized chat script.
pub fn import(tokens: &Tokens, options: &ImportOptions) -> Result<String, ImportError> {
    let env: Option<super::escape::EnvLookup> = if options.env {
        Some(Box::new(|name: &str| Some([ENV_OPEN, name.as_bytes(), &[ENV_CLOSE]].concat())))
    } else {
        None
    };
    let subst = Subst { phone: Some(PHONE.to_vec()), phone2: Some(PHONE2.to_vec()), env };
    let mut im = Importer {
        out: String::new(),
        params: Vec::new(),
        aborts: Vec::new(),
        timeout: format!("{DEFAULT_TIMEOUT}s"),
        first_byte_procs: Vec::new(),
        subst,
        notes: Vec::new(),
        fatal: None,
        reports: Vec::new(),
        error: None,
    };
    let mut body = String::new();
    std::mem::swap(&mut im.out, &mut body);
    match options.timeout {
        None => {
            im.line(0, &format!("timeout {DEFAULT_TIMEOUT}s    # chat's default; `atchat chat -t N` would change it"))
        }
        Some(t) if t > 0 && t <= max_timeout() => {
            im.timeout = format!("{t}s");
            im.line(0, &format!("timeout {t}s    # chat -t {t}"))
        }
        Some(t) => {
            let what = if t > 0 { "longer than a year" } else { "no timeout at all" };
            return Err(ImportError {
                line: 0,
                message: format!(
                    "`-t {t}` is {what}, which a native script cannot have: the longest \
                     timeout is a year (`timeout {}h`)",
                    max_timeout() / 3600
                ),
            });
        }
    }
    let mut comments = tokens.comments.iter().peekable();
    let mut pending: Option<Keyword> = None;
    let mut sending = false;
    for (i, token) in tokens.tokens.iter().enumerate() {
        while let Some((_, text)) = comments.next_if(|(at, _)| *at <= i) {
            im.line(0, &comment(text));
        }
        let t = &token.text;
        if sending {
            match pending.take() {
                Some(k) => im.keyword(k, t, token.line),
                None => im.send(t, 0),
            }
        } else if let Some(k) = Keyword::parse(t) {
            pending = Some(k);
        } else {
            im.expect_chain(&split_subexpects(t), 0, 0);
        }
        sending = !sending;
        if im.fatal.is_some() || im.error.is_some() {
            break;
        }
    }
    if let Some(error) = im.error.take() {
        return Err(error);
    }
    if let Some((message, code)) = im.fatal.take() {
        im.line(0, &format!("# chat stops here: {message}"));
        im.line(0, &format!("exit {code}"));
    } else if let Some(error) = &tokens.error {
        im.line(0, &format!("# chat stops here: {error}"));
        im.line(0, "exit 1");
    }
    for (_, text) in comments {
        im.line(0, &comment(text));
    }
    let mut head = String::new();
    let name = comment(options.name.as_bytes());
    let _ = writeln!(head, "# Imported from {name} by `atchat import`.");
    let _ = writeln!(head, "# Runs like `atchat chat -f {name}`; differences: input is not stripped to 7 bits, and");
    let _ = writeln!(head, "# a send is not cut short by the timeout.");
    for p in &im.params {
        if let Some((_, note)) = im.notes.iter().find(|(n, _)| n == p) {
            let _ = writeln!(head, "param {p}{note}");
            continue;
        }
        let note = match p.as_str() {
            "phone" => "  # chat's -T; without it chat sends a bare T",
            "phone2" => "  # chat's -U; without it chat sends a bare U",
            _ => "  # from the environment (chat -E)",
        };
        let default = match p.as_str() {
            "phone" => "\"T\"",
            "phone2" => "\"U\"",
            _ => "\"\"",
        };
        let _ = writeln!(head, "param {p} = {default}{note}");
    }
    for (n, table) in im.first_byte_procs.iter().enumerate() {
        head.push_str(&first_byte_proc(n + 1, table));
    }
    Ok(head + &im.out)
}

impl Importer {
    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{}{text}", "    ".repeat(indent));
    }

    fn param(&mut self, name: &str) -> String {
        let name = match name {
            "phone" | "phone2" => name.to_string(),
            _ => env_param(name),
        };
        if !self.params.contains(&name) {
            self.params.push(name.clone());
        }
        name
    }

    /// A native string literal; markers become `{param}` interpolations when `interpolate`.
    fn literal(&mut self, bytes: &[u8], interpolate: bool) -> String {
        let mut s = String::from("\"");
        let mut text = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            let marker = if rest.starts_with(PHONE) {
                Some((PHONE.len(), "phone".to_string()))
            } else if rest.starts_with(PHONE2) {
                Some((PHONE2.len(), "phone2".to_string()))
            } else if rest.starts_with(ENV_OPEN) {
                let end = rest.iter().position(|&b| b == ENV_CLOSE).unwrap_or(rest.len() - 1);
                Some((end + 1, String::from_utf8_lossy(&rest[ENV_OPEN.len()..end]).into_owned()))
            } else {
                None
            };
            if let Some((len, name)) = marker {
                s.push_str(&quote_text(&std::mem::take(&mut text)));
                if interpolate {
                    let name = self.param(&name);
                    let _ = write!(s, "{{{name}}}");
                }
                i += len;
                continue;
            }
            text.push(bytes[i]);
            i += 1;
        }
        s.push_str(&quote_text(&text));
        s.push('"');
        s
    }

    fn keyword(&mut self, k: Keyword, arg: &[u8], line: u32) {
        let cleaned = clean(arg, false, &self.subst).bytes;
        // Only ever written inside comments.
        let raw = comment(arg);
        // chat's tables hold 50 strings; the 51st is fatal before its length is looked at.
        let full = match k {
            Keyword::Abort => (self.aborts.len() >= MAX_ABORTS).then_some("ABORT"),
            Keyword::Report => (self.reports.len() >= MAX_REPORTS).then_some("REPORT"),
            _ => None,
        };
        if let Some(what) = full {
            self.fatal = Some((format!("Too many {what} strings"), 2));
            return;
        }
        // chat's limit on the strings of these keywords (compile.rs `limited`): past it
        // chat stops with exit 1 before the string does anything.
        let limited = match k {
            Keyword::Abort => Some("ABORT"),
            Keyword::ClrAbort => Some("CLR_ABORT"),
            Keyword::Report | Keyword::ClrReport => Some("REPORT"),
            _ => None,
        };
        if let Some(what) = limited {
            let s1 = c_str(&cleaned);
            if s1.len() > arg.len() || s1.len() > MAX_ABORT_LEN {
                self.fatal = Some((format!("Illegal or too-long {what} string"), 1));
                return;
            }
        }
        match k {
            Keyword::Abort => {
                // Counted as chat counts it, empty or not.
                let cleaned = c_str(&cleaned).to_vec();
                self.aborts.push(cleaned.clone());
                let code = 4 + self.aborts.len() - 1;
                if cleaned.is_empty() {
                    self.line(
                        0,
                        &format!(
                            "# ABORT '': the expects below fail {code} at the first byte they read, whatever it is"
                        ),
                    );
                } else {
                    self.line(0, &format!("# ABORT {raw}: the expects below fail {code} on it"));
                }
            }
            Keyword::ClrAbort => {
                // chat's loop bound shrinks as it deletes (see compile.rs); copy that.
                let mut live = self.aborts.len();
                let mut slots: Vec<Option<Vec<u8>>> = self.aborts.drain(..).map(Some).collect();
                let mut i = 0;
                while i < live {
                    if slots[i].as_deref() == Some(cleaned.as_slice()) {
                        slots[i] = None;
                        live -= 1;
                    }
                    i += 1;
                }
                self.aborts = slots.into_iter().flatten().collect();
                self.line(0, &format!("# CLR_ABORT {raw}: later expects list the ABORT strings left"));
            }
            Keyword::Timeout => {
                let t = atoi(&cleaned);
                if cleaned.starts_with(ENV_OPEN) && cleaned.ends_with(&[ENV_CLOSE]) {
                    let name = String::from_utf8_lossy(&cleaned[ENV_OPEN.len()..cleaned.len() - 1]).into_owned();
                    let name = self.param(&name);
                    self.line(0, &format!("timeout {name}"));
                    self.timeout = name;
                } else if t > max_timeout() {
                    self.error = Some(ImportError {
                        line,
                        message: format!(
                            "`TIMEOUT {raw}` is longer than a year, which a native script cannot \
                             have: the longest timeout is a year (`timeout {}h`)",
                            max_timeout() / 3600
                        ),
                    });
                } else {
                    let t = if t <= 0 { DEFAULT_TIMEOUT } else { t };
                    self.line(0, &format!("timeout {t}s"));
                    self.timeout = format!("{t}s");
                }
            }
            Keyword::Say => {
                let mut text = clean(arg, true, &self.subst).bytes;
                // chat adds a CR; `say` ends the line itself.
                if text.last() == Some(&b'\r') {
                    text.pop();
                }
                if text.last() == Some(&b'\n') {
                    text.pop();
                }
                let text = self.literal(&text, true);
                self.line(0, &format!("say {text}"));
            }
            Keyword::Report | Keyword::ClrReport | Keyword::Echo | Keyword::Hangup => {
                // Not imported, but counted as chat counts them (its table holds 50).
                let s1 = c_str(&cleaned).to_vec();
                match k {
                    Keyword::Report => self.reports.push(s1),
                    Keyword::ClrReport => self.reports.retain(|r| *r != s1),
                    _ => {}
                }
                let name = format!("{k:?}").to_uppercase();
                self.line(0, &format!("# {name} {raw}: not imported (`atchat run -v` shows what the modem says)"));
            }
        }
    }

    fn send(&mut self, s: &[u8], indent: usize) {
        if s.first() == Some(&b'@') && s.len() > 1 {
            // chat reads the file when it gets here (often a FIFO fed by a helper); the
            // native script takes its contents as a param.
            let raw = comment(&s[1..]).trim_start().to_string();
            let name = format!("at_file{}", self.params.iter().filter(|p| p.starts_with("at_file")).count() + 1);
            self.params.push(name.clone());
            self.notes.push((name.clone(), format!("  # what chat's @{raw} would read")));
            self.line(indent, &format!("send raw pace 10ms \"{{{name}}}\\r\""));
            return;
        }
        let s: &[u8] = match s {
            b"EOT" => b"^D\\c",
            b"BREAK" => b"\\K\\c",
            other => other,
        };
        let cleaned = clean(s, true, &self.subst).bytes;
        let mut run = Vec::new();
        let flush = |im: &mut Importer, run: &mut Vec<u8>| {
            if !run.is_empty() {
                let text = im.literal(run, true);
                im.line(indent, &format!("send raw pace 10ms {text}"));
                run.clear();
            }
        };
        for item in send_items(&cleaned) {
            match item {
                SendItem::Byte(b) => run.push(b),
                SendItem::Delay => {
                    flush(self, &mut run);
                    self.line(indent, "sleep 1s");
                }
                SendItem::Pause => {
                    flush(self, &mut run);
                    self.line(indent, "sleep 10ms");
                }
                SendItem::Break => {
                    flush(self, &mut run);
                    self.line(indent, "break");
                }
            }
        }
        flush(self, &mut run);
    }

    /// `exp-send-exp-...` from piece `k` on.
    fn expect_chain(&mut self, pieces: &[Option<Vec<u8>>], k: usize, indent: usize) {
        let Some(Some(expect)) = pieces.get(k) else {
            return;
        };
        let cleaned = clean(expect, false, &self.subst).bytes;
        if cleaned.is_empty() {
            return;
        }
        let pattern = self.literal(&cleaned, false);
        let reply = pieces.get(k + 1).cloned().flatten();
        let aborts = self.aborts.clone();
        if aborts.iter().any(|a| a.is_empty()) {
            self.first_byte_expect(&cleaned, reply, pieces, k, indent);
            return;
        }
        if reply.is_none() && aborts.is_empty() {
            self.line(indent, &format!("expect {pattern}"));
            return;
        }
        self.line(indent, "expect {");
        // The expect's own arm first: at each byte chat tries the expect string before the
        // ABORT strings, and the first arm wins a tie.
        self.line(indent + 1, &format!("{pattern} => ignore"));
        for (i, a) in aborts.iter().enumerate() {
            let code = 4 + i;
            let p = self.literal(a, false);
            self.line(indent + 1, &format!("{p} => fail {code}"));
        }
        if let Some(reply) = reply {
            self.line(indent + 1, "timeout => {");
            self.send(&reply, indent + 2);
            self.expect_chain(pieces, k + 2, indent + 2);
            self.line(indent + 1, "}");
        }
        self.line(indent, "}");
    }

    /// An expect while `ABORT ''` is in force: it ends at the first byte it reads (see
    /// [`FirstByte`]), so it becomes a call of a proc that waits for one byte, written once
    /// for all the expects that act alike, rather than an arm for every byte in each expect.
    fn first_byte_expect(
        &mut self,
        expect: &[u8],
        reply: Option<Vec<u8>>,
        pieces: &[Option<Vec<u8>>],
        k: usize,
        indent: usize,
    ) {
        let table: FirstByte = (0..=255u8)
            .map(|b| {
                if expect == [b] {
                    return None;
                }
                self.aborts.iter().position(|a| a.is_empty() || a.as_slice() == [b]).map(|i| 4 + i)
            })
            .collect();
        let n = match self.first_byte_procs.iter().position(|t| *t == table) {
            Some(i) => i + 1,
            None => {
                self.first_byte_procs.push(table);
                self.first_byte_procs.len()
            }
        };
        let pattern = comment(&c_str(expect).iter().copied().filter(|&b| b > 3).collect::<Vec<u8>>());
        let call = format!("first_byte{n}({})", self.timeout);
        self.line(indent, &format!("# expect {pattern}"));
        match reply {
            None => self.line(indent, &format!("if {call} == \"timeout\" {{ exit 3 }}")),
            Some(reply) => {
                self.line(indent, &format!("if {call} == \"timeout\" {{"));
                self.send(&reply, indent + 1);
                self.expect_chain(pieces, k + 2, indent + 1);
                self.line(indent, "}");
            }
        }
    }
}

/// The proc for the expects under `ABORT ''` that act as `table` says: it waits up to `limit`
/// for one byte and fails with chat's code for it, or returns "timeout" or (the byte was the
/// expect string) "matched". Every byte value has an arm, 8-bit ones too: chat strips input
/// to 7 bits, and every byte aborts there.
fn first_byte_proc(n: usize, table: &FirstByte) -> String {
    let mut out = format!("# An expect under chat's ABORT '' ends at the first byte it reads: {}\n", describe(table));
    let _ = writeln!(out, "proc first_byte{n}(limit) {{");
    out.push_str("    expect {\n");
    let arms: Vec<String> = table
        .iter()
        .enumerate()
        .map(|(b, outcome)| {
            let p = format!("\"{}\"", quote_text(&[b as u8]));
            match outcome {
                None => format!("{p} => ignore"),
                Some(code) => format!("{p} => fail {code}"),
            }
        })
        .collect();
    for row in arms.chunks(8) {
        let _ = writeln!(out, "        {}", row.join("; "));
    }
    out.push_str("        timeout => { return \"timeout\" }\n");
    out.push_str("    } within limit\n");
    out.push_str("    return \"matched\"\n");
    out.push_str("}\n");
    out
}

/// `table` in words for the comment above its proc.
fn describe(table: &FirstByte) -> String {
    let mut codes: Vec<usize> = table.iter().flatten().copied().collect();
    codes.sort_unstable();
    codes.dedup();
    let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    let matched: Vec<String> = (0..=255u8).filter(|&b| table[b as usize].is_none()).map(|b| quote_text(&[b])).collect();
    let mut text = format!("exit {}", codes.join(" or "));
    if !matched.is_empty() {
        let _ = write!(text, ", unless it is \"{}\" (the expect string)", matched.join(""));
    }
    text
}
