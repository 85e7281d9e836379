//! chat script tokens → [`Program`], the same bytecode `.atc` scripts compile to.
//!
//! A chat script has no branches except subexpects, and everything chat decides without the
//! modem (the ABORT list and its indexes after CLR_ABORT, the timeout in force, the limits,
//! `-E`/`-T`/`-U` substitution, where a long `\d` send runs out of time) depends only on the
//! tokens and the command line. So the compiler runs chat's bookkeeping itself, the way
//! `chat_expect()`/`chat_send()` would, and emits straight-line code: each expect is a wait
//! whose first arm is the expect string and whose other arms are the ABORT strings in force,
//! in index order (the matcher breaks ties by arm order, which is chat's expect-then-abort
//! order). Every way chat can end is spelled out as `Log`, `EndReport`, `Exit`.
//! What only the modem decides (REPORTs firing, echo) is left to the VM's monitor.

use std::collections::HashMap;
use std::time::Duration;

use super::escape::{c_str, clean, send_items, split_subexpects, SendItem, Subst};
use super::options::{atoi, DEFAULT_TIMEOUT};
use super::token::{Keyword, Tokens};
use crate::bytecode::pattern::{End, Pattern, Segment};
use crate::bytecode::{ArmInfo, Const, DurArg, LineEntry, Op, Program, WaitTable};
use crate::vm::monitor::visible;

/// chat's ABORT and REPORT tables hold this many strings.
pub const MAX_ABORTS: usize = 50;
pub const MAX_REPORTS: usize = 50;
/// ABORT and REPORT strings hold at most this many bytes (chat's `fail_buffer` is 50).
pub const MAX_ABORT_LEN: usize = 49;
/// The longest expect string chat accepts.
pub const MAX_EXPECT_LEN: usize = 1024;
/// chat's pause before each byte it writes.
pub const PACE: Duration = Duration::from_millis(10);
/// chat's `\p`.
pub const SHORT_PAUSE: Duration = Duration::from_millis(10);
/// chat's `\d`.
pub const DELAY: Duration = Duration::from_secs(1);
/// `tcsendbreak(fd, 0)` lasts between 0.25 and 0.5 s.
pub const BREAK: Duration = Duration::from_millis(250);
/// What "no timeout" (`-t 0`) becomes: longer than anything will run.
pub const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// chat's `@file` reads at most this much.
const AT_FILE_MAX: usize = 1023;

/// What the script is compiled with.
pub struct Config {
    /// `-e`.
    pub echo: bool,
    /// `-v`.
    pub verbose: bool,
    /// `-V`.
    pub show: bool,
    /// `-t` as given (0 or below: no timeout).
    pub timeout: i64,
    /// Pause 10 ms before each byte.
    pub pace: bool,
    pub subst: Subst,
    /// The script's name, for messages.
    pub name: String,
}

/// Compiles a tokenized script. Never fails: whatever chat would reject at some point
/// becomes code that logs chat's message and exits with its code at that point.
pub fn compile(tokens: &Tokens, config: &Config) -> Program {
    let mut c = Compiler {
        program: Program::default(),
        config,
        timeout: match config.timeout {
            t if t <= 0 => None,
            t => Some(t as u64),
        },
        aborts: Vec::new(),
        reports: Vec::new(),
        keyword: None,
        consts: HashMap::new(),
        patterns: HashMap::new(),
        abort_arms: Vec::new(),
        done: false,
    };
    c.program.files = vec![config.name.clone()];
    c.emit(Op::MaskInput(0x7F));
    if config.verbose || config.show {
        c.emit(Op::Trace { show: config.show, log: config.verbose });
    }
    if config.echo {
        c.emit(Op::Echo(true));
    }
    let mut sending = false;
    for token in &tokens.tokens {
        if c.done {
            break;
        }
        c.line(token.line);
        if sending {
            c.chat_send(&token.text);
        } else {
            c.chat_expect(&token.text);
        }
        sending = !sending;
    }
    if !c.done {
        match &tokens.error {
            Some(message) => c.fatal(1, message.as_bytes()),
            None => {
                c.emit(Op::EndReport);
                c.emit(Op::Halt);
            }
        }
    }
    c.abort_stubs();
    c.program
}

struct Compiler<'a> {
    program: Program,
    config: &'a Config,
    /// Seconds; `None` for no timeout.
    timeout: Option<u64>,
    /// The ABORT strings in force, cleaned, in index order.
    aborts: Vec<Vec<u8>>,
    /// The REPORT strings added and not cleared, for the limit.
    reports: Vec<Vec<u8>>,
    /// The keyword waiting for its argument.
    keyword: Option<Keyword>,
    consts: HashMap<Vec<u8>, u32>,
    patterns: HashMap<Vec<u8>, u32>,
    /// Wait arms that go to the code for ABORT string `.2` at index `.3`, patched at the end.
    abort_arms: Vec<(usize, usize, Vec<u8>, usize)>,
    /// The script has ended (a fatal error); later tokens are never reached.
    done: bool,
}

impl Compiler<'_> {
    fn emit(&mut self, op: Op) -> usize {
        self.program.code.push(op);
        self.program.code.len() - 1
    }

    fn pc(&self) -> u32 {
        self.program.code.len() as u32
    }

    fn line(&mut self, line: u32) {
        let pc = self.pc();
        if self.program.lines.last().map_or(true, |e| e.line != line) {
            self.program.lines.push(LineEntry { pc, file: 0, line });
        }
    }

    fn konst(&mut self, bytes: &[u8]) -> u32 {
        if let Some(&k) = self.consts.get(bytes) {
            return k;
        }
        let k = self.program.consts.len() as u32;
        self.program.consts.push(Const::Str(bytes.to_vec()));
        self.consts.insert(bytes.to_vec(), k);
        k
    }

    fn pattern(&mut self, bytes: &[u8]) -> u32 {
        if let Some(&p) = self.patterns.get(bytes) {
            return p;
        }
        let p = self.program.patterns.len() as u32;
        self.program.patterns.push(Pattern {
            segments: vec![Segment::Literal(bytes.to_vec())],
            line_start: false,
            end: End::Here,
            numeric: None,
        });
        self.program.pattern_text.push(String::from_utf8_lossy(&visible(bytes)).into_owned());
        self.patterns.insert(bytes.to_vec(), p);
        p
    }

    /// A line chat always logs (syslog at info level, stderr with `-s`).
    fn log(&mut self, line: &[u8]) {
        let message = self.konst(line);
        self.emit(Op::Log { message, error: false });
    }

    /// A line chat logs only with `-v`.
    fn vlog(&mut self, line: &[u8]) {
        if self.config.verbose {
            self.log(line);
        }
    }

    /// chat's `fatal()`: an error message, then the end.
    fn fatal(&mut self, code: u8, message: &[u8]) {
        let message = self.konst(message);
        self.emit(Op::Log { message, error: true });
        self.emit(Op::EndReport);
        self.emit(Op::Exit(code));
        self.done = true;
    }

    fn clean(&self, s: &[u8], sending: bool) -> super::escape::Cleaned {
        clean(s, sending, &self.config.subst)
    }

    fn within(&self) -> Duration {
        self.timeout.map_or(FOREVER, Duration::from_secs)
    }

    // ------------------------------------------------------------ chat_expect()

    fn chat_expect(&mut self, s: &[u8]) {
        if let Some(k) = Keyword::parse(s) {
            self.keyword = Some(k);
            return;
        }
        let pieces = split_subexpects(s);
        let mut to_got = Vec::new();
        let mut to_end = Vec::new();
        let mut k = 0;
        loop {
            let Some(Some(expect)) = pieces.get(k).cloned() else {
                // Nothing left to expect: success without a match.
                to_end.push(self.emit(Op::Jump(0)));
                break;
            };
            let reply = pieces.get(k + 1).cloned().flatten();
            let expect = self.clean(&expect, false).bytes;
            self.vlog(&[b"expect (", visible(&expect).as_slice(), b")"].concat());
            if expect.len() > MAX_EXPECT_LEN {
                self.log(b"expect string is too long");
                self.log(b"Failed");
                self.emit(Op::EndReport);
                self.emit(Op::Exit(1));
                self.done = true;
                break;
            }
            if expect.is_empty() {
                self.vlog(b"got it");
                to_end.push(self.emit(Op::Jump(0)));
                break;
            }
            let w = self.wait(&expect);
            to_got.push(w);
            self.emit(Op::Expect(w as u32));
            // Timed out: chat sends the sub-send, if any, and tries the next expect.
            self.program.waits[w].timeout_target = Some(self.pc());
            self.vlog(b"alarm");
            let Some(reply) = reply else {
                self.log(b"Failed");
                self.emit(Op::EndReport);
                self.emit(Op::Exit(3));
                break;
            };
            self.put(&reply);
            if self.done {
                break;
            }
            k += 2;
        }
        let got = self.pc();
        for w in to_got {
            self.program.waits[w].arms[0].target = got;
        }
        self.vlog(b" -- got it\n");
        let end = self.pc();
        for at in to_end {
            self.program.code[at] = Op::Jump(end);
        }
    }

    /// A wait for `expect` with the ABORT strings in force.
    fn wait(&mut self, expect: &[u8]) -> usize {
        let w = self.program.waits.len();
        let mut arms = vec![ArmInfo { pattern: self.pattern(expect), captures: Vec::new(), target: 0 }];
        for (index, abort) in self.aborts.clone().into_iter().enumerate() {
            // An empty ABORT string matches as soon as any byte is read.
            let patterns: Vec<Vec<u8>> =
                if abort.is_empty() { (0u8..=0x7F).map(|b| vec![b]).collect() } else { vec![abort.clone()] };
            for p in patterns {
                self.abort_arms.push((w, arms.len(), abort.clone(), index));
                arms.push(ArmInfo { pattern: self.pattern(&p), captures: Vec::new(), target: 0 });
            }
        }
        self.program.waits.push(WaitTable {
            arms,
            timeout_target: None,
            within: Some(DurArg::Fixed(self.within())),
            idle: None,
            watch_handlers: false,
        });
        w
    }

    /// The code run when ABORT string `abort` (at `index`) matched, shared by every wait.
    fn abort_stubs(&mut self) {
        let mut stubs: HashMap<(Vec<u8>, usize), u32> = HashMap::new();
        for (w, arm, abort, index) in std::mem::take(&mut self.abort_arms) {
            let target = match stubs.get(&(abort.clone(), index)) {
                Some(&t) => t,
                None => {
                    let t = self.pc();
                    self.vlog(b" -- failed");
                    self.log(&[b"Failed (", c_str(&abort), b")"].concat());
                    self.emit(Op::EndReport);
                    self.emit(Op::Exit(4 + index as u8));
                    stubs.insert((abort, index), t);
                    t
                }
            };
            self.program.waits[w].arms[arm].target = target;
        }
    }

    // ------------------------------------------------------------ chat_send()

    fn chat_send(&mut self, s: &[u8]) {
        let Some(keyword) = self.keyword.take() else {
            self.put(s);
            return;
        };
        match keyword {
            Keyword::Say => {
                let text = self.clean(s, true).bytes;
                let k = self.konst(c_str(&text));
                self.emit(Op::Const(k));
                self.emit(Op::SayRaw);
            }
            Keyword::Hangup => {
                self.emit(Op::IgnoreHangup(s == b"OFF"));
            }
            Keyword::Echo => {
                self.emit(Op::Echo(s == b"ON"));
            }
            Keyword::Abort => {
                if self.aborts.len() >= MAX_ABORTS {
                    return self.fatal(2, b"Too many ABORT strings");
                }
                let Some(s1) = self.limited(s, "ABORT") else {
                    return;
                };
                self.aborts.push(s1);
                self.vlog(&[b"abort on (", visible(s).as_slice(), b")"].concat());
            }
            Keyword::ClrAbort => {
                let Some(s1) = self.limited(s, "CLR_ABORT") else {
                    return;
                };
                // chat's loop bound shrinks as it deletes, so later duplicates may survive.
                let old = std::mem::take(&mut self.aborts);
                let mut slots: Vec<Option<Vec<u8>>> = old.into_iter().map(Some).collect();
                let mut live = slots.len();
                let mut i = 0;
                while i < live {
                    if slots[i].as_deref() == Some(s1.as_slice()) {
                        slots[i] = None;
                        live -= 1;
                        self.vlog(&[b"clear abort on (", visible(s).as_slice(), b")"].concat());
                    }
                    i += 1;
                }
                self.aborts = slots.into_iter().flatten().collect();
            }
            Keyword::Report => {
                if self.reports.len() >= MAX_REPORTS {
                    return self.fatal(2, b"Too many REPORT strings");
                }
                let Some(s1) = self.limited(s, "REPORT") else {
                    return;
                };
                let k = self.konst(&s1);
                self.reports.push(s1);
                self.emit(Op::Report(k));
                self.vlog(&[b"report (", visible(s).as_slice(), b")"].concat());
            }
            Keyword::ClrReport => {
                let Some(s1) = self.limited(s, "REPORT") else {
                    return;
                };
                let before = self.reports.len();
                self.reports.retain(|r| *r != s1);
                for _ in self.reports.len()..before {
                    self.vlog(&[b"clear report (", visible(s).as_slice(), b")"].concat());
                }
                let k = self.konst(&s1);
                self.emit(Op::ClearReport(k));
            }
            Keyword::Timeout => {
                let t = atoi(&self.clean(s, false).bytes);
                let t = if t <= 0 { DEFAULT_TIMEOUT } else { t };
                self.timeout = Some(t as u64);
                self.vlog(format!("timeout set to {t} seconds").as_bytes());
            }
        }
    }

    /// An ABORT/REPORT argument cleaned and checked against chat's limits; `None` after a
    /// fatal error.
    fn limited(&mut self, s: &[u8], what: &str) -> Option<Vec<u8>> {
        let s1 = self.clean(s, false).bytes;
        let s1 = c_str(&s1).to_vec();
        if s1.len() > s.len() || s1.len() > MAX_ABORT_LEN {
            let message = [format!("Illegal or too-long {what} string ('").as_bytes(), &visible(s), b"')"].concat();
            self.fatal(1, &message);
            return None;
        }
        Some(s1)
    }

    /// chat's plain send (`put_string()`), with `EOT`, `BREAK` and `@file`.
    fn put(&mut self, s: &[u8]) {
        let mut s = s.to_vec();
        if let Some(path) = s.strip_prefix(b"@").filter(|p| !p.is_empty()) {
            let start = path.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(path.len());
            let path = String::from_utf8_lossy(&path[start..]).into_owned();
            // Only what chat reads is read: `@/dev/zero` must not read forever.
            let read = std::fs::File::open(&path).and_then(|f| {
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(f, AT_FILE_MAX as u64), &mut data).map(|_| data)
            });
            match read {
                Ok(mut data) => {
                    if data.last() == Some(&b'\n') {
                        data.pop();
                    }
                    s = c_str(&data).to_vec();
                }
                Err(e) => {
                    let message = format!("{path} -- open failed: {}", os_error_text(&e));
                    return self.fatal(1, message.as_bytes());
                }
            }
        }
        let s: &[u8] = match s.as_slice() {
            b"EOT" => b"^D\\c",
            b"BREAK" => b"\\K\\c",
            other => other,
        };
        let cleaned = self.clean(s, true);
        if cleaned.quiet {
            self.vlog(b"send (??????)");
        } else {
            self.vlog(&[b"send (", visible(c_str(&cleaned.bytes)).as_slice(), b")"].concat());
        }
        // chat arms one alarm for the whole send; it fires at the timeout and then every
        // second (interrupting a sleep, logging `alarm`), and the next byte is not written.
        // Sleeps are counted here; a write the modem does not take (XOFF) is cut at run time.
        self.emit(Op::Alarm(self.timeout.map(Duration::from_secs)));
        let mut clock =
            SendClock { elapsed: Duration::ZERO, next_alarm: self.timeout.map(Duration::from_secs), alarmed: false };
        let mut run = Vec::new();
        let mut timed_out = false;
        for item in send_items(&cleaned.bytes) {
            match item {
                SendItem::Byte(b) => {
                    if clock.alarmed {
                        timed_out = true;
                        break;
                    }
                    run.push(b);
                    if clock.sleep(PACE) {
                        self.write(&mut run);
                        self.vlog(b"alarm");
                    }
                }
                SendItem::Delay | SendItem::Pause => {
                    self.write(&mut run);
                    let d = if item == SendItem::Delay { DELAY } else { SHORT_PAUSE };
                    self.emit(Op::Pause(d));
                    if clock.sleep(d) {
                        self.vlog(b"alarm");
                    }
                }
                SendItem::Break => {
                    self.write(&mut run);
                    self.emit(Op::TryBreak(BREAK));
                }
            }
        }
        self.write(&mut run);
        if timed_out {
            self.vlog(b" -- write timed out");
            self.fatal(1, b"Failed");
        }
    }

    fn write(&mut self, run: &mut Vec<u8>) {
        if run.is_empty() {
            return;
        }
        let k = self.konst(run);
        run.clear();
        self.emit(Op::Const(k));
        let pace = self.config.pace.then_some(PACE);
        self.emit(Op::Send { raw: true, pace });
    }
}

/// Where a send is on chat's clock, for its alarm.
struct SendClock {
    elapsed: Duration,
    /// When the alarm fires next; `None` without a timeout.
    next_alarm: Option<Duration>,
    alarmed: bool,
}

impl SendClock {
    /// Sleeps `d`; true when the alarm fired (and cut the sleep short).
    fn sleep(&mut self, d: Duration) -> bool {
        let end = self.elapsed + d;
        match self.next_alarm {
            Some(at) if at <= end => {
                self.elapsed = at;
                self.next_alarm = Some(at + Duration::from_secs(1));
                self.alarmed = true;
                true
            }
            _ => {
                self.elapsed = end;
                false
            }
        }
    }
}

/// An OS error as C's `%m` prints it ("No such file or directory").
pub fn os_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::token::{from_args, tokenize};

    fn config() -> Config {
        Config {
            echo: false,
            verbose: false,
            show: false,
            timeout: 45,
            pace: true,
            subst: Subst::default(),
            name: "test".into(),
        }
    }

    fn waits(script: &str) -> Program {
        compile(&tokenize(script.as_bytes()), &config())
    }

    #[test]
    fn aborts_follow_the_expect_in_index_order_after_clr_abort() {
        let p = waits("ABORT A1 ABORT A2 ABORT A3 CLR_ABORT A1 '' AT OK ''");
        let w = &p.waits[0];
        assert_eq!(w.arms.len(), 3);
        let exit_of = |arm: &ArmInfo| {
            p.code[arm.target as usize..].iter().find_map(|op| match op {
                Op::Exit(c) => Some(*c),
                _ => None,
            })
        };
        assert_eq!(exit_of(&w.arms[2]), Some(5));
    }

    #[test]
    fn clr_abort_leaves_a_later_duplicate() {
        let p = waits("ABORT A1 ABORT A1 CLR_ABORT A1 OK ''");
        assert_eq!(p.waits[0].arms.len(), 2);
    }

    #[test]
    fn the_51st_abort_is_fatal() {
        let script: String = (0..51).map(|i| format!("ABORT a{i}\n")).collect();
        let p = waits(&script);
        assert!(p.waits.is_empty());
        assert!(p.code.contains(&Op::Exit(2)));
    }

    #[test]
    fn a_long_delay_send_is_cut_by_the_timeout() {
        let mut c = config();
        c.timeout = 1;
        let p = compile(&from_args(&[b"".to_vec(), b"a\\d\\db".to_vec()]), &c);
        let sent: Vec<&Const> = p
            .code
            .iter()
            .filter_map(|op| match op {
                Op::Const(k) => p.consts.get(*k as usize),
                _ => None,
            })
            .collect();
        assert_eq!(sent, vec![&Const::Str(b"a".to_vec())]);
        assert!(p.code.contains(&Op::Exit(1)));
    }
}
