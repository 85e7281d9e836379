//! Commands as transactions (`Transact`), and what native `expect`s (`Await`) know of final
//! result codes.
//!
//! A transaction reads the modem's answer one line at a time, because V.250 answers are
//! lines: information text, then exactly one final result code (V.250 §5.7.1). Each line is
//! the echo of the command, a final result code, or information text (some of it
//! unsolicited: RING, +CMTI). Arms and handlers are matched against a line on its own,
//! framed as `\r\n LINE \r\n`, so a capture never takes a final result code. The one pattern
//! that spans a line break is `"HEAD\n{name}"`: a line that HEAD matches is held, and the line
//! after it, whatever it says, is the last capture (27.005 §3.4.2/§3.4.3: `+CMGL:` and `+CMGR:`
//! headers, each followed by the message text, which may read `OK` or be empty).

use super::*;
use crate::bytecode::pattern::Segment;
use crate::lang::result_code::{self, Kind};

/// The longest line a transaction frames; a longer one is cut there (memory stays bounded
/// whatever the modem sends).
pub const MAX_LINE: usize = 1024;

/// What a `Transact` wait knows besides the arms.
#[derive(Debug, Clone, Default)]
pub(super) struct Txn {
    /// How long the final is awaited, in silence, once an information arm has matched.
    pub settle: Duration,
    /// The echo still to be skipped: the command line as sent, without its terminator.
    pub echo: Option<Vec<u8>>,
    /// The first information arm that matched, and its captures.
    pub info: Option<(usize, Vec<Vec<u8>>)>,
    /// The command, as messages show it.
    pub command: String,
    /// A line that the head of a `"HEAD\n{name}"` pattern matched: the next line completes it.
    pub held: Option<Vec<u8>>,
    /// The line-end bytes read since the last line (at most a few): two line ends in a row
    /// mean an empty line, which is the text of a held header (an empty message).
    pub breaks: Vec<u8>,
}

/// How a line ends a command, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Final {
    /// `OK`, `CONNECT ...`, the SMS prompt `> `.
    Success,
    /// `ERROR`, `NO CARRIER`, `+CME ERROR: n`, a declared vendor final, ...
    Refusal,
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &line[start..end]
}

impl Machine {
    /// Starts `Transact`: the command line was just sent.
    pub(super) fn start_transact(&mut self, w: u32, settle: DurArg, pc: usize, now: Duration) {
        let settle = match self.dur(settle) {
            Ok(d) => d,
            Err(_) => return,
        };
        let echo = self.pending_echo.take().map(|e| trim(&e).to_vec());
        // `last_sent` is already as shown: a secret's bytes are `***`.
        let command = String::from_utf8_lossy(trim(&self.last_sent)).into_owned();
        // What the modem said before the command was sent cannot be its answer (an earlier
        // command's echo and OK): only its unsolicited lines (RING, +CMTI) stay, for the
        // handlers, and a line still arriving.
        let stale = self.sent_mark.take().unwrap_or(0).min(self.input.len());
        let mut kept = Vec::new();
        let (before, after) = self.input.split_at(stale);
        for line in before.split_inclusive(|&b| b == b'\r' || b == b'\n') {
            let text = String::from_utf8_lossy(trim(line)).into_owned();
            let complete = line.ends_with(b"\r") || line.ends_with(b"\n");
            if !complete || result_code::classify(&text) == Some(Kind::Unsolicited) {
                kept.extend_from_slice(line);
            }
        }
        kept.extend_from_slice(after);
        self.input = kept;
        self.start_expect(w, pc, now);
        if let State::Waiting(wait) = &mut self.state {
            wait.txn = Some(Box::new(Txn { settle, echo, command, ..Txn::default() }));
        }
    }

    /// Whether `text` (one trimmed line) is a final result code, and which kind.
    fn final_of(&self, text: &str) -> Option<Final> {
        if self.online {
            // In data mode far-end text is data; only the carrier's loss is the modem's.
            let lost = text == "NO CARRIER" || (self.numeric && text == "3");
            return lost.then_some(Final::Refusal);
        }
        if text == ">" {
            return Some(Final::Success);
        }
        let code = if self.numeric { result_code::numbered(text) } else { None };
        if let Some(code) = code.or_else(|| result_code::of_line(text)) {
            return match code.kind {
                Some(Kind::Final) if code.text == "OK" => Some(Final::Success),
                Some(Kind::Final) => Some(Final::Refusal),
                Some(Kind::Intermediate) => Some(Final::Success),
                _ => None,
            };
        }
        let declared = self.finals.iter().any(|f| {
            text.as_bytes()
                .strip_prefix(f.as_slice())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(b":") || rest.starts_with(b" "))
        });
        declared.then_some(Final::Refusal)
    }

    /// Matches pattern `id` against one line on its own; the captures if it matches.
    pub(super) fn match_line(&self, id: u32, line: &[u8]) -> Option<Vec<Vec<u8>>> {
        let mut framed = Vec::with_capacity(line.len() + 4);
        framed.extend_from_slice(b"\r\n");
        framed.extend_from_slice(line);
        framed.extend_from_slice(b"\r\n");
        let mut scanner = Scanner::new();
        let active = Active::new(&self.set, &[id]);
        match scanner.scan(&self.set, &active, self.numeric, &framed) {
            Scan::Match { captures, .. } => Some(captures),
            Scan::NoMatch => None,
        }
    }

    /// Whether pattern `id` is written for a final result code (`OK`, `"+CME ERROR: {n}"`,
    /// `"CONNECT {rate}"`, a declared final): such an arm is tried on finals only, the
    /// others on information lines only.
    fn is_final_pattern(&self, id: u32) -> bool {
        let Some(p) = self.set.get(id) else { return false };
        if let Some(n) = &p.numeric {
            if result_code::numbered(&String::from_utf8_lossy(n)).is_some() {
                return true;
            }
        }
        match p.segments.first() {
            Some(Segment::Literal(first)) => {
                let text = String::from_utf8_lossy(trim(first)).into_owned();
                let text = text.trim_end_matches(':').trim_end();
                !text.is_empty()
                    && (self.final_of(text).is_some()
                        || result_code::named(text)
                            .is_some_and(|c| c.kind != Some(Kind::Unsolicited) && c.kind.is_some()))
            }
            _ => false,
        }
    }

    /// Whether pattern `id` starts with a capture (written `"{model}"`): it takes a whole line.
    fn is_lone_capture(&self, id: u32) -> bool {
        self.set.get(id).is_some_and(|p| matches!(p.segments.first(), Some(Segment::Literal(l)) if l == b"\n"))
    }

    /// Takes the next complete, non-blank line from the input, and whether an empty line came
    /// before it (`breaks`: the line ends read since the last line, kept across reads).
    fn take_line(&mut self, breaks: &mut Vec<u8>) -> Option<(Vec<u8>, bool)> {
        loop {
            let end = self.input.iter().position(|&b| b == b'\r' || b == b'\n');
            let (line, used) = match end {
                Some(i) => (self.input[..i].to_vec(), i + 1),
                None if self.input.len() > MAX_LINE => (self.input[..MAX_LINE].to_vec(), MAX_LINE),
                None => return None,
            };
            let ending = self.input.get(used - 1).copied().filter(|&b| b == b'\r' || b == b'\n');
            self.input.drain(..used);
            if !trim(&line).is_empty() {
                // `\r\n` (or a lone `\r` or `\n`) ends a line; a second line end is an empty line.
                let lf = breaks.iter().filter(|&&b| b == b'\n').count();
                let blank = lf >= 2 || (lf == 0 && breaks.len() >= 2);
                breaks.clear();
                breaks.extend(ending);
                return Some((line, blank));
            }
            if breaks.len() < 8 {
                breaks.extend(ending);
            }
        }
    }

    /// Checks a transaction in progress against new input and the clock.
    pub(super) fn poll_transact(&mut self, mut wait: Wait, now: Duration) -> Option<Effect> {
        if self.input_arrived {
            wait.last_input = now;
            self.input_arrived = false;
        }
        let mut breaks = wait.txn.as_mut().map(|t| std::mem::take(&mut t.breaks)).unwrap_or_default();
        while let Some((line, blank)) = self.take_line(&mut breaks) {
            if let Some(done) = self.transact_line(&mut wait, line, blank, now) {
                return done;
            }
        }
        if let Some(txn) = wait.txn.as_mut() {
            txn.breaks = breaks;
        }
        // The SMS prompt ends no line: `\r\n> ` and the modem waits for the text.
        if trim(&self.input) == b">" && self.input.ends_with(b" ") {
            self.input.clear();
            return self.transact_final(wait, b">".to_vec(), ">".into(), Final::Success, now);
        }
        let txn = wait.txn.as_ref()?;
        let settled = txn.info.as_ref().map(|_| wait.last_input + txn.settle);
        let until = [wait.deadline, wait.idle.map(|i| wait.last_input + i), settled].into_iter().flatten().min();
        if let Some(until) = until.filter(|&u| now >= u) {
            if settled.is_some_and(|s| now >= s) {
                return self.transact_settled(wait, now);
            }
            return self.wait_over(wait, now, until);
        }
        self.state = State::Waiting(wait);
        Some(Effect::Wait { until })
    }

    /// One line of a transaction's answer. `Some` when it ended the wait (the state is set).
    fn transact_line(&mut self, wait: &mut Wait, line: Vec<u8>, blank: bool, now: Duration) -> Option<Option<Effect>> {
        let txn = wait.txn.as_mut()?;
        if let Some(head) = txn.held.take() {
            // The line after a held header is its text, whatever it says; an empty line before
            // this one was the text, and this line is read as usual.
            if !blank {
                return self.next_line_taken(wait, &head, &line);
            }
            if let Some(done) = self.next_line_taken(wait, &head, b"") {
                // A handler took the empty text: this line is read when the wait resumes.
                let mut back = line;
                back.push(b'\r');
                self.input.splice(0..0, back);
                return Some(done);
            }
        }
        let txn = wait.txn.as_mut()?;
        if let Some(echo) = txn.echo.take() {
            if trim(&line) == echo.as_slice() {
                return None;
            }
        }
        let text = String::from_utf8_lossy(trim(&line)).into_owned();
        if let Some(kind) = self.final_of(&text) {
            return Some(self.transact_final(wait.clone(), line, text, kind, now));
        }
        if self.holds(wait, &line, &text) {
            if let Some(txn) = wait.txn.as_mut() {
                txn.held = Some(line);
            }
            return None;
        }
        let arms = self.arms_of(wait);
        // An arm that names the line's start first, then the `on` handlers (URCs), then a
        // lone capture, which never takes a line that is a known unsolicited code.
        for (i, &id) in arms.iter().enumerate() {
            if self.is_final_pattern(id) || self.is_lone_capture(id) {
                continue;
            }
            if let Some(captures) = self.match_line(id, &line) {
                self.info_matched(wait, i, id, captures);
                return None;
            }
        }
        if let Some(effect) = self.transact_handler(wait, &line) {
            return Some(effect);
        }
        if result_code::classify(&text) != Some(Kind::Unsolicited) {
            for (i, &id) in arms.iter().enumerate() {
                if !self.is_lone_capture(id) {
                    continue;
                }
                if let Some(captures) = self.match_line(id, &line) {
                    self.info_matched(wait, i, id, captures);
                    return None;
                }
            }
        }
        None
    }

    /// Whether pattern `id` is written `"HEAD\n{name}"`: its last capture is the line after
    /// the one HEAD matches. (A lone capture, `"{line}"`, compiles to `\n` and a capture.)
    fn takes_next_line(&self, id: u32) -> bool {
        let Some(p) = self.set.get(id) else { return false };
        match p.segments.as_slice() {
            [Segment::Literal(l), Segment::Capture] => l.len() > 1 && l.ends_with(b"\n"),
            [.., Segment::Literal(l), Segment::Capture] => l.ends_with(b"\n"),
            _ => false,
        }
    }

    /// The captures of `"HEAD\n{name}"` pattern `id` if HEAD matches `head`, the last one
    /// `next` (the line after it, trimmed: it is taken whole, at most a line's length).
    fn match_head(&self, id: u32, head: &[u8], next: &[u8]) -> Option<Vec<Vec<u8>>> {
        if !self.takes_next_line(id) || self.is_final_pattern(id) {
            return None;
        }
        // Any text stands for the next line: a trailing capture takes whatever it is.
        let probe = [head, b"\n-"].concat();
        let mut captures = self.match_line(id, &probe)?;
        *captures.last_mut()? = trim(next).to_vec();
        Some(captures)
    }

    /// Whether `line` (information text) is the head of a `"HEAD\n{name}"` arm or handler of
    /// the wait: then it is held for the line after it. A lone head (`"{a}\n{b}"`) never
    /// holds an unsolicited line.
    fn holds(&self, wait: &Wait, line: &[u8], text: &str) -> bool {
        let unsolicited = result_code::classify(text) == Some(Kind::Unsolicited);
        wait.ids
            .iter()
            .any(|&id| (!unsolicited || !self.is_lone_capture(id)) && self.match_head(id, line, b"").is_some())
    }

    /// The line after a held header: the first arm, else the first handler, whose HEAD matches
    /// the header takes both. `Some` when a handler ended the wait.
    fn next_line_taken(&mut self, wait: &mut Wait, head: &[u8], next: &[u8]) -> Option<Option<Effect>> {
        for (i, &id) in self.arms_of(wait).iter().enumerate() {
            if let Some(captures) = self.match_head(id, head, next) {
                self.info_matched(wait, i, id, captures);
                return None;
            }
        }
        self.first_handler_acts(wait, |m, id| m.match_head(id, head, next))
    }

    /// The patterns of the wait's arms, in order.
    fn arms_of(&self, wait: &Wait) -> Vec<u32> {
        wait.ids.iter().zip(&wait.owners).filter(|(_, o)| matches!(o, Owner::Arm(_))).map(|(&i, _)| i).collect()
    }

    fn info_matched(&mut self, wait: &mut Wait, arm: usize, id: u32, captures: Vec<Vec<u8>>) {
        let Some(txn) = wait.txn.as_mut() else { return };
        if txn.info.is_none() {
            txn.info = Some((arm, captures));
            let at = self.here(wait.pc);
            self.notes.push(Note::Matched { at, pattern: self.pattern_text(id), by_handler: false });
        }
    }

    /// Lets the first `on` handler that matches `line` act; `Some` if one did.
    fn transact_handler(&mut self, wait: &Wait, line: &[u8]) -> Option<Option<Effect>> {
        self.first_handler_acts(wait, |m, id| m.match_line(id, line))
    }

    /// Runs the first of the wait's `on` handlers whose pattern `matches` gives captures
    /// for, the wait to resume after it; `Some` if one did.
    fn first_handler_acts(
        &mut self,
        wait: &Wait,
        matches: impl Fn(&Machine, u32) -> Option<Vec<Vec<u8>>>,
    ) -> Option<Option<Effect>> {
        let (owner, id, captures) = wait.ids.iter().zip(&wait.owners).find_map(|(&id, o)| match o {
            Owner::Handler(h) => matches(self, id).map(|c| (*h, id, c)),
            Owner::Arm(_) => None,
        })?;
        let h = self.handlers.get(owner).copied()?;
        let at = self.here(wait.pc);
        self.notes.push(Note::Matched { at, pattern: self.pattern_text(id), by_handler: true });
        Some(self.run_handler(h, captures, Some(wait.clone()), wait.next_pc))
    }

    /// The final result code `text` ended the transaction.
    fn transact_final(
        &mut self,
        wait: Wait,
        line: Vec<u8>,
        text: String,
        kind: Final,
        now: Duration,
    ) -> Option<Effect> {
        let WaitKind::Expect(w) = wait.kind else { return None };
        let txn = wait.txn.clone().unwrap_or_default();
        let arms = self.arms_of(&wait);
        if (text.starts_with("CONNECT") || (self.numeric && text == "1")) && !self.voice_dial {
            self.online = true;
        } else if text == "NO CARRIER" {
            self.online = false;
        }
        for (i, &id) in arms.iter().enumerate() {
            if !self.is_final_pattern(id) {
                continue;
            }
            if let Some(captures) = self.match_line(id, &line) {
                let at = self.here(wait.pc);
                self.notes.push(Note::Matched { at, pattern: self.pattern_text(id), by_handler: false });
                // An information line that matched keeps its captures: `"{model}" => ignore`
                // with `OK => ignore` reads text the modem may or may not send (ATI).
                if let Some((info, captures)) = txn.info.clone() {
                    self.store_captures(w, info, captures);
                }
                return self.take_arm(w, i, captures);
            }
        }
        let here = self.here(wait.pc);
        let command = &txn.command;
        // Numeric codes are named too: `ERROR (4)`.
        let text = match result_code::numbered(&text).filter(|_| self.numeric) {
            Some(code) => format!("{} ({text})", code.text),
            None => text,
        };
        match kind {
            Final::Success => {
                if let Some((i, captures)) = txn.info {
                    return self.take_arm(w, i, captures);
                }
                let wanted: Vec<String> = arms
                    .iter()
                    .filter(|&&id| !self.is_final_pattern(id))
                    .map(|&id| format!("`{}`", self.pattern_text(id).trim_matches('"')))
                    .collect();
                if wanted.is_empty() {
                    self.notes.push(Note::Matched { at: here, pattern: text, by_handler: false });
                    self.pc = wait.next_pc;
                    return None;
                }
                let message = format!("{here}: `{command}` answered {text} without {}", wanted.join(" or "));
                self.pc = wait.pc;
                self.fail(now, ExitStatus { code: REFUSED, message: Some(message) })
            }
            Final::Refusal => {
                // A handler for the code acts first; if its action ends normally, the script
                // has accepted the refusal and goes on after the command.
                let handler = wait.ids.iter().zip(&wait.owners).find_map(|(&id, o)| match o {
                    Owner::Handler(h) => self.match_line(id, &line).map(|c| (*h, id, c)),
                    Owner::Arm(_) => None,
                });
                if let Some((h, id, captures)) = handler {
                    let h = self.handlers.get(h).copied()?;
                    self.notes.push(Note::Matched { at: here, pattern: self.pattern_text(id), by_handler: true });
                    return self.run_handler(h, captures, None, wait.next_pc);
                }
                let message = format!("{here}: `{command}` was refused: {text}");
                self.pc = wait.pc;
                self.fail(now, ExitStatus { code: REFUSED, message: Some(message) })
            }
        }
    }

    /// An information arm matched and the modem then fell silent for `settle` without a
    /// final result code (Wavecom's `+CPIN: READY`): the arm's answer stands.
    fn transact_settled(&mut self, wait: Wait, now: Duration) -> Option<Effect> {
        let WaitKind::Expect(w) = wait.kind else { return None };
        let txn = wait.txn.clone().unwrap_or_default();
        let (i, captures) = txn.info?;
        let at = self.here(wait.pc);
        let after = now.saturating_sub(wait.last_input);
        self.notes.push(Note::NoFinal { at, command: txn.command, after });
        self.take_arm(w, i, captures)
    }

    /// Goes to arm `i` of wait table `w`, storing its captures.
    fn take_arm(&mut self, w: u32, i: usize, captures: Vec<Vec<u8>>) -> Option<Effect> {
        let target = self.program.waits.get(w as usize).and_then(|t| t.arms.get(i))?.target;
        self.store_captures(w, i, captures);
        self.pc = target as usize;
        None
    }

    /// Stores the captures of arm `i` of wait table `w` in its variables.
    fn store_captures(&mut self, w: u32, i: usize, captures: Vec<Vec<u8>>) {
        let Some(arm) = self.program.waits.get(w as usize).and_then(|t| t.arms.get(i)) else { return };
        let vars = arm.captures.clone();
        for (var, value) in vars.iter().zip(captures) {
            self.store(*var, Value::Str(value));
        }
    }

    // ------------------------------------------------------------ Await

    /// Scans the input for an `Await`, up to one line that matters at a time: a final
    /// result code that no pattern of the wait takes ends it, and `CONNECT` / `NO CARRIER`
    /// change whether the modem is online once they are consumed. `Some` when the wait
    /// ended (the state is set).
    pub(super) fn scan_await(&mut self, wait: &mut Wait, now: Duration) -> Option<Option<Effect>> {
        while self.scanned < self.input.len() {
            let (n, event) = self.next_event(wait);
            let stop = (self.scanned + n).min(self.input.len());
            let active = Active::new(&self.set, &wait.ids);
            let scan = self.scanner.scan(&self.set, &active, self.numeric, &self.input[self.scanned..stop]);
            match scan {
                Scan::Match { pattern, consumed, captures } => {
                    if let Some((LineEvent::Online(on), at)) = &event {
                        if consumed > *at {
                            self.online = *on;
                        }
                    }
                    let end = (self.scanned + consumed).min(self.input.len());
                    self.observe(self.scanned, end, true);
                    self.input.drain(..end);
                    self.scanned = 0;
                    if self.binds_final(&captures) {
                        let text = captures
                            .iter()
                            .map(|c| String::from_utf8_lossy(trim(c)).into_owned())
                            .find(|c| self.final_of(c).is_some())
                            .unwrap_or_default();
                        return Some(self.await_refused(wait.clone(), &text, now));
                    }
                    return Some(self.matched(wait.clone(), pattern, captures, now));
                }
                Scan::NoMatch => {
                    self.observe(self.scanned, stop, false);
                    match event {
                        Some((LineEvent::Refused(text), _)) => {
                            self.input.drain(..stop);
                            self.scanned = 0;
                            return Some(self.await_refused(wait.clone(), &text, now));
                        }
                        Some((LineEvent::Online(on), _)) => self.online = on,
                        None => {}
                    }
                    self.scanned = stop;
                }
            }
        }
        // An expect consumes what it read, as chat does.
        self.input.clear();
        self.scanned = 0;
        None
    }

    /// Walks the unscanned input to the end of the first line that matters to an `Await`
    /// (see [`LineEvent`]): how many bytes up to and including it, and the event with the
    /// offset where its line starts. `wait.line` carries a line begun in an earlier read.
    fn next_event(&self, wait: &mut Wait) -> (usize, Option<(LineEvent, usize)>) {
        let start = self.scanned;
        let mut line_at = 0;
        for i in start..self.input.len() {
            let b = self.input[i];
            if b != b'\r' && b != b'\n' {
                if wait.line.is_empty() {
                    line_at = i - start;
                }
                if wait.line.len() < MAX_LINE {
                    wait.line.push(b);
                }
                continue;
            }
            let line = std::mem::take(&mut wait.line);
            let text = String::from_utf8_lossy(trim(&line)).into_owned();
            let Some(_) = self.final_of(&text) else { continue };
            let n = i + 1 - start;
            if !self.online && text.starts_with("CONNECT") && !self.voice_dial {
                return (n, Some((LineEvent::Online(true), line_at)));
            }
            let claimed =
                wait.ids.iter().any(|&id| self.match_line(id, &line).is_some_and(|caps| !self.binds_final(&caps)));
            if !claimed {
                return (n, Some((LineEvent::Refused(text), line_at)));
            }
            if self.online {
                // Only NO CARRIER is a result code online: the carrier is gone.
                return (n, Some((LineEvent::Online(false), line_at)));
            }
        }
        (self.input.len() - start, None)
    }

    /// Whether a capture holds a whole final result code: it never binds one as data.
    pub(super) fn binds_final(&self, captures: &[Vec<u8>]) -> bool {
        captures.iter().any(|c| {
            let text = String::from_utf8_lossy(trim(c));
            !text.is_empty() && self.final_of(&text).is_some()
        })
    }

    /// `Await` got the final result code `text` that nothing it waits for takes.
    pub(super) fn await_refused(&mut self, wait: Wait, text: &str, now: Duration) -> Option<Effect> {
        let arms: Vec<String> = self.arms_of(&wait).iter().map(|&i| self.pattern_text(i)).collect();
        let message = format!("{}: got {text} while waiting for {}", self.here(wait.pc), arms.join(" or "));
        self.pc = wait.pc;
        self.fail(now, ExitStatus { code: REFUSED, message: Some(message) })
    }
}

/// A line that changes how an `Await` goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LineEvent {
    /// A final result code nothing takes: the wait ends with it.
    Refused(String),
    /// `CONNECT` (online) or, online, `NO CARRIER` (back in command mode).
    Online(bool),
}

/// The exit code of a command the modem refused, or of a final result code that ended an
/// `expect` at once, when no arm or handler took it.
pub const REFUSED: u8 = 4;

/// Whether `line` (as sent, without its terminator) dials a voice call: `ATD...;`. V.250
/// §6.3.1: a dial string ending in `;` returns the modem to command state after dialing,
/// so a `CONNECT` answering it (ZTE and Qualcomm report an answered voice call so) is not
/// the start of data: the modem still takes commands.
pub(super) fn is_voice_dial(line: &[u8]) -> bool {
    let upper = line.trim_ascii().to_ascii_uppercase();
    upper.starts_with(b"ATD") && upper.ends_with(b";")
}
