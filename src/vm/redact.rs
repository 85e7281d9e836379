//! Secrets in what atchat shows: transcripts (`-v`), logs (`--log`), messages, the REPL.
//!
//! A `secret param`'s value must never be shown, and text that merely contains the same
//! characters must never be masked: a PIN `1` must not turn `100` into `***00`, nor a PIN
//! `1234` the number `+15551234` into `+1555***`. So masking follows the bytes a secret
//! *produced*, never its text:
//!
//! - A value remembers which of its bytes came from a secret ([`SecretText`]). Interpolation,
//!   `let`, procedure arguments and return values carry that along; `say`, `fail` and
//!   `:vars` show those bytes as `***`.
//! - A `send` knows exactly which bytes of its line are secret ([`Spans`]); the transcript
//!   shows them as `***`.
//! - A modem in E1 echoes the line back, in as many reads as it likes. The [`Redactor`]
//!   follows the expected echo byte by byte across reads and shows the echoed secret bytes
//!   as one `***`. Bytes that may be the start of an echoed secret are held back until that
//!   is settled, so no output (nor the "last bytes received" of a message) ever shows part
//!   of a secret.
//!
//! Everything that shows the conversation (`-v`, `--log`, the REPL, a recording) takes the
//! bytes from here: a write's as [`mask`] shows them with the spans of `Effect::Write`, and
//! the bytes received as `Machine::feed` returns them. Nothing masks by searching for a
//! secret's text.
//!
//! How an echo is recognised: it is the line just sent, byte for byte, arriving within
//! [`ECHO_WINDOW`] bytes of the send. A line with at least [`MIN_CONTEXT`] plain bytes before
//! its first secret byte (`AT+CPIN=`) is recognised anywhere in that window; a line that
//! starts with the secret (`send password`) only at the start of a line or as the first
//! byte after the send, so a PIN `1234` is not looked for inside `+15551234`. A secret whose
//! echo arrived whole is masked, whatever follows. One that arrived in part and then
//! diverged is masked when the plain bytes before it had matched (it was the echo, damaged);
//! without them the bytes were only text that starts the same way, and are shown as they
//! are. Bytes still undecided when the run ends are masked.
//!
//! Not covered: a capture. If a pattern captures the modem's echo of a secret, the captured
//! value is plain text (the matcher skips the echo of the command just sent, so this takes
//! a pattern written to capture it).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;

/// What a secret shows as.
pub const MASK: &[u8] = b"***";

/// An echo is looked for only in this many bytes received after its line was sent: a modem
/// echoes as it reads, so what comes later is not the echo.
pub const ECHO_WINDOW: u64 = 1024;

/// Plain bytes needed before a line's first secret byte for its echo to be recognised
/// anywhere (`AT` is enough); with fewer, only at the start of a line.
pub const MIN_CONTEXT: usize = 2;

/// Lines with secrets whose echo is followed at once; an older one is given up.
const MAX_ECHOES: usize = 8;

/// Partial echoes followed at once (a line like `ATATAT{pin}` can be under way at several
/// offsets); more are not started.
const MAX_ATTEMPTS: usize = 64;

/// Which bytes of a string came from a secret: sorted, disjoint, non-empty ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans(Vec<Range<usize>>);

impl Spans {
    /// All of a string of `len` bytes (nothing for an empty one).
    pub fn whole(len: usize) -> Spans {
        let mut spans = Spans::default();
        spans.push(0..len);
        spans
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ranges(&self) -> &[Range<usize>] {
        &self.0
    }

    /// Whether byte `i` is secret.
    pub fn contains(&self, i: usize) -> bool {
        self.0.iter().any(|r| r.contains(&i))
    }

    /// Adds a range that starts at or after the end of every range so far; touching ranges
    /// merge, so two secrets side by side show as one `***`.
    pub fn push(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(last) if last.end >= range.start => last.end = last.end.max(range.end),
            _ => self.0.push(range),
        }
    }

    /// Adds `other`'s ranges moved `offset` bytes on: `other` describes a string appended at
    /// `offset`.
    pub fn append(&mut self, other: &Spans, offset: usize) {
        for r in &other.0 {
            self.push(r.start + offset..r.end + offset);
        }
    }
}

/// `bytes` with each secret range replaced by `***`.
pub fn mask(bytes: &[u8], spans: &Spans) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for r in spans.ranges() {
        let start = r.start.clamp(at, bytes.len());
        let end = r.end.clamp(start, bytes.len());
        out.extend_from_slice(&bytes[at..start]);
        if end > start {
            out.extend_from_slice(MASK);
        }
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// A string some of whose bytes came from a secret param. Its `Debug` form shows the
/// secret bytes as `***`, so no `{:?}` can leak them.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText {
    bytes: Vec<u8>,
    spans: Spans,
}

impl SecretText {
    pub fn new(bytes: Vec<u8>, spans: Spans) -> SecretText {
        SecretText { bytes, spans }
    }

    /// A string that is secret as a whole (a secret param's value).
    pub fn whole(bytes: Vec<u8>) -> SecretText {
        let spans = Spans::whole(bytes.len());
        SecretText { bytes, spans }
    }

    /// The real bytes, to send or compare; never to show.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn spans(&self) -> &Spans {
        &self.spans
    }

    /// What may be shown: the secret bytes as `***`.
    pub fn shown(&self) -> Vec<u8> {
        mask(&self.bytes, &self.spans)
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SecretText").field(&String::from_utf8_lossy(&self.shown())).finish()
    }
}

/// A line sent with secret bytes, whose echo may still come.
#[derive(Debug)]
struct Echo {
    id: u64,
    line: Vec<u8>,
    secret: Vec<bool>,
    /// Plain bytes before the first secret one.
    context: usize,
    /// Stream offset of the first byte received after the line was sent.
    sent_at: u64,
}

impl Echo {
    /// Whether an echo may begin with the byte at stream offset `at`.
    fn may_start(&self, at: u64, line_start: bool) -> bool {
        let in_window = at >= self.sent_at && at - self.sent_at < ECHO_WINDOW;
        in_window && (self.context >= MIN_CONTEXT || line_start || at == self.sent_at)
    }
}

/// An echo under way: `matched` bytes of echo `echo`, from stream offset `start`.
#[derive(Debug, Clone, Copy)]
struct Attempt {
    echo: u64,
    start: u64,
    matched: usize,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The whole line arrived.
    Complete,
    /// A byte differed from the line.
    Diverged,
    /// Nothing more will be known (the run is over, or the echo was given up).
    Unknown,
}

/// Follows the echo of lines sent with secrets through the bytes received, and turns them
/// into what may be shown. See the module documentation.
#[derive(Debug, Default)]
pub struct Redactor {
    echoes: Vec<Echo>,
    attempts: Vec<Attempt>,
    /// Bytes received but not shown yet, and whether each is to be masked.
    held: VecDeque<(u8, bool)>,
    /// Stream offset of `held[0]`: every byte before it was shown.
    held_from: u64,
    /// Stream offset of the next byte received.
    next: u64,
    /// The last byte received ended a line (or nothing came yet).
    line_start: bool,
    /// The last byte shown was masked: a masked run shows as one `***`.
    last_masked: bool,
    next_id: u64,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor { line_start: true, ..Redactor::default() }
    }

    /// A line is being written to the modem; `secret` says which of its bytes are secret.
    /// Their echo is looked for from the next byte received on. (What may be shown of the
    /// line itself is [`mask`]`(line, secret)`.)
    pub fn sent(&mut self, line: &[u8], secret: &Spans) {
        if secret.is_empty() || line.is_empty() {
            return;
        }
        let flags: Vec<bool> = (0..line.len()).map(|i| secret.contains(i)).collect();
        let context = flags.iter().take_while(|s| !**s).count();
        if context < line.len() {
            self.next_id += 1;
            self.echoes.push(Echo {
                id: self.next_id,
                line: line.to_vec(),
                secret: flags,
                context,
                sent_at: self.next,
            });
            if self.echoes.len() > MAX_ECHOES {
                let oldest = self.echoes[0].id;
                self.give_up(oldest);
            }
        }
    }

    /// Bytes arrived from the modem; returns what may be shown of them now (possibly
    /// less than arrived: the rest is held until it is known whether it is a secret).
    pub fn received<'a>(&mut self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if self.echoes.is_empty() && self.held.is_empty() {
            // Nothing to follow: the common case costs nothing.
            self.next += bytes.len() as u64;
            self.held_from = self.next;
            if let Some(&last) = bytes.last() {
                self.line_start = is_eol(last);
                self.last_masked = false;
            }
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len());
        for &b in bytes {
            self.byte(b);
            self.release(&mut out);
        }
        Cow::Owned(out)
    }

    /// What is held back, as it would be shown if nothing more came (secret bytes under way
    /// masked). For messages; changes nothing.
    pub fn held_view(&self) -> Vec<u8> {
        let mut masked: Vec<bool> = self.held.iter().map(|&(_, m)| m).collect();
        for a in &self.attempts {
            if let Some(e) = self.echo(a.echo) {
                for (i, _) in e.secret.iter().enumerate().take(a.matched).filter(|(_, s)| **s) {
                    if let Some(m) =
                        (a.start + i as u64).checked_sub(self.held_from).and_then(|k| masked.get_mut(k as usize))
                    {
                        *m = true;
                    }
                }
            }
        }
        let mut out = Vec::new();
        let mut last = self.last_masked;
        for (&(b, _), m) in self.held.iter().zip(masked) {
            push_shown(&mut out, &mut last, b, m);
        }
        out
    }

    /// Settles everything held (secret bytes under way are masked) and returns it: the run
    /// is over, or about to wait for the user.
    pub fn flush(&mut self) -> Vec<u8> {
        while let Some(a) = self.attempts.pop() {
            self.settle(a, End::Unknown);
        }
        let mut out = Vec::new();
        self.release(&mut out);
        out
    }

    fn echo(&self, id: u64) -> Option<&Echo> {
        self.echoes.iter().find(|e| e.id == id)
    }

    fn byte(&mut self, b: u8) {
        let at = self.next;
        self.next += 1;
        self.held.push_back((b, false));
        let mut diverged = Vec::new();
        let mut completed = Vec::new();
        for mut a in std::mem::take(&mut self.attempts) {
            let Some(e) = self.echo(a.echo) else { continue };
            if e.line.get(a.matched) != Some(&b) {
                diverged.push(a);
                continue;
            }
            a.matched += 1;
            if a.matched == e.line.len() {
                completed.push(a);
            } else {
                self.attempts.push(a);
            }
        }
        for a in diverged {
            self.settle(a, End::Diverged);
        }
        for a in completed {
            self.complete(a);
        }
        let starts: Vec<u64> =
            self.echoes.iter().filter(|e| e.line[0] == b && e.may_start(at, self.line_start)).map(|e| e.id).collect();
        for id in starts {
            if self.attempts.len() >= MAX_ATTEMPTS {
                break;
            }
            let a = Attempt { echo: id, start: at, matched: 1 };
            if self.echo(id).is_some_and(|e| e.line.len() == 1) {
                self.complete(a);
            } else {
                self.attempts.push(a);
            }
        }
        self.line_start = is_eol(b);
        // An echo past its window with nothing under way will not come any more.
        let attempts = &self.attempts;
        self.echoes.retain(|e| at - e.sent_at.min(at) < ECHO_WINDOW || attempts.iter().any(|a| a.echo == e.id));
    }

    /// The whole line arrived: its secret bytes are masked and the echo is done.
    fn complete(&mut self, a: Attempt) {
        self.settle(a, End::Complete);
        let others: Vec<Attempt> = self.attempts.iter().filter(|o| o.echo == a.echo).copied().collect();
        self.attempts.retain(|o| o.echo != a.echo);
        for o in others {
            self.settle(o, End::Diverged);
        }
        self.echoes.retain(|e| e.id != a.echo);
    }

    /// Gives up echo `id` (too many lines sent since): what is under way is masked.
    fn give_up(&mut self, id: u64) {
        let under_way: Vec<Attempt> = self.attempts.iter().filter(|a| a.echo == id).copied().collect();
        self.attempts.retain(|a| a.echo != id);
        for a in under_way {
            self.settle(a, End::Unknown);
        }
        self.echoes.retain(|e| e.id != id);
    }

    /// Marks the secret bytes of an ended attempt that are to be masked (module doc).
    fn settle(&mut self, a: Attempt, end: End) {
        let Some(e) = self.echo(a.echo) else { return };
        let matched = a.matched.min(e.line.len());
        let damaged_echo = e.context >= MIN_CONTEXT;
        let mut marks = Vec::new();
        let mut i = 0;
        while i < matched {
            if !e.secret[i] {
                i += 1;
                continue;
            }
            let run_end = (i..e.line.len()).find(|&k| !e.secret[k]).unwrap_or(e.line.len());
            let whole = run_end <= matched;
            if whole || end != End::Diverged || damaged_echo {
                marks.extend(i..run_end.min(matched));
            }
            i = run_end;
        }
        for k in marks {
            let Some(idx) = (a.start + k as u64).checked_sub(self.held_from) else {
                continue;
            };
            if let Some(slot) = self.held.get_mut(idx as usize) {
                slot.1 = true;
            }
        }
    }

    /// Shows what is held before the first byte still undecided.
    fn release(&mut self, out: &mut Vec<u8>) {
        let undecided = self
            .attempts
            .iter()
            .filter_map(|a| {
                let e = self.echo(a.echo)?;
                (a.matched > e.context).then_some(a.start + e.context as u64)
            })
            .min()
            .unwrap_or(self.next);
        while self.held_from < undecided {
            let Some((b, masked)) = self.held.pop_front() else {
                break;
            };
            push_shown(out, &mut self.last_masked, b, masked);
            self.held_from += 1;
        }
    }
}

fn is_eol(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// Appends a byte as shown: a masked run becomes one `***`.
fn push_shown(out: &mut Vec<u8>, last_masked: &mut bool, b: u8, masked: bool) {
    if masked {
        if !*last_masked {
            out.extend_from_slice(MASK);
        }
    } else {
        out.push(b);
    }
    *last_masked = masked;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `line` with the secret `secret` in place of `{}`, and its spans.
    fn line(template: &str, secret: &str) -> (Vec<u8>, Spans) {
        let (head, tail) = template.split_once("{}").unwrap();
        let mut spans = Spans::default();
        spans.push(head.len()..head.len() + secret.len());
        (format!("{head}{secret}{tail}").into_bytes(), spans)
    }

    /// What is shown of `pieces` received one after the other, then the end of the run.
    fn shown(r: &mut Redactor, pieces: &[&[u8]]) -> String {
        let mut out = Vec::new();
        for p in pieces {
            out.extend_from_slice(&r.received(p));
        }
        out.extend(r.flush());
        String::from_utf8_lossy(&out).into_owned()
    }

    fn sent(template: &str, secret: &str) -> Redactor {
        let mut r = Redactor::new();
        let (bytes, spans) = line(template, secret);
        r.sent(&bytes, &spans);
        r
    }

    #[test]
    fn spans_mask_each_secret_once_and_merge_neighbours() {
        let mut s = Spans::default();
        s.push(2..4);
        s.append(&Spans::whole(2), 4);
        s.push(8..9);
        assert_eq!(s.ranges(), &[2..6, 8..9]);
        assert_eq!(mask(b"AT1234,x5;", &s), b"AT***,x***;");
        assert_eq!(mask(b"AT", &s), b"AT", "ranges past the end are ignored");
        assert!(Spans::whole(0).is_empty());
    }

    #[test]
    fn secret_text_debug_never_shows_the_secret() {
        let mut spans = Spans::default();
        spans.push(3..7);
        let t = SecretText::new(b"pinSEKR!".to_vec(), spans);
        assert_eq!(format!("{t:?}"), "SecretText(\"pin***!\")");
        assert_eq!(t.bytes(), b"pinSEKR!");
    }

    #[test]
    fn a_line_without_secrets_arms_nothing() {
        let mut r = Redactor::new();
        r.sent(b"ATI\r", &Spans::default());
        assert!(r.echoes.is_empty());
        assert!(matches!(r.received(b"ATI\r"), Cow::Borrowed(_)));
    }

    #[test]
    fn echo_in_one_read_or_in_pieces_of_any_size_is_masked() {
        let echo = b"AT+CPIN=SEK\"RET9876\r\r\nOK\r\n";
        for size in 1..=echo.len() {
            let mut r = sent("AT+CPIN={}\r", "SEK\"RET9876");
            let pieces: Vec<&[u8]> = echo.chunks(size).collect();
            assert_eq!(shown(&mut r, &pieces), "AT+CPIN=***\r\r\nOK\r\n", "pieces of {size}");
        }
    }

    #[test]
    fn nothing_of_a_secret_is_shown_before_its_echo_is_settled() {
        let mut r = sent("AT+CPIN={}\r", "9876");
        assert_eq!(&*r.received(b"AT+CPIN=98"), b"AT+CPIN=");
        assert_eq!(r.held_view(), b"***");
        assert_eq!(&*r.received(b"76\r"), b"***\r");
        assert!(r.held_view().is_empty());
    }

    #[test]
    fn echo_after_other_output_is_still_found() {
        let mut r = sent("AT+CPIN={}\r", "9876");
        assert_eq!(
            shown(&mut r, &[b"\r\nRING\r\nAT+CP", b"IN=9876\r\r\nOK\r\n"]),
            "\r\nRING\r\nAT+CPIN=***\r\r\nOK\r\n"
        );
        let mut r = sent("AT+CPIN={}\r", "9876");
        assert_eq!(shown(&mut r, &[b"noiseAT+CPIN=9876\r"]), "noiseAT+CPIN=***\r", "context finds it mid-line");
    }

    #[test]
    fn unrelated_text_is_never_masked() {
        // pin=1: `100`, and text after the echo, stay as they are.
        let mut r = sent("AT+CPIN={}\r", "1");
        assert_eq!(shown(&mut r, &[b"AT+CPIN=1\r\r\nOK 100 10.000\r\n"]), "AT+CPIN=***\r\r\nOK 100 10.000\r\n");
        // No echo at all (E0): nothing is masked.
        let mut r = sent("AT+CPIN={}\r", "1234");
        assert_eq!(
            shown(&mut r, &[b"\r\n+CLIP: \"+15551234\",145\r\n1234 is not it\r\n"]),
            "\r\n+CLIP: \"+15551234\",145\r\n1234 is not it\r\n"
        );
    }

    #[test]
    fn a_line_that_starts_with_the_secret_is_matched_only_at_a_line_start() {
        let mut r = sent("{}\r", "1234");
        assert_eq!(shown(&mut r, &[b"+15551234\r\n"]), "+15551234\r\n");
        let mut r = sent("{}\r", "1234");
        assert_eq!(shown(&mut r, &[b"\r\nxx\r\n1234\r"]), "\r\nxx\r\n***\r");
        let mut r = sent("{}\r", "1234");
        assert_eq!(shown(&mut r, &[b"1", b"234\r\n$ "]), "***\r\n$ ", "the first byte after the send");
    }

    #[test]
    fn a_partial_match_without_context_is_text_and_with_context_a_damaged_echo() {
        // `send password` and the host prints `12x`: not the echo of `1234`.
        let mut r = sent("{}\r", "1234");
        assert_eq!(shown(&mut r, &[b"12", b"x\r\n"]), "12x\r\n");
        // `AT+CPIN=12` then garbage: the echo of the PIN, damaged: masked.
        let mut r = sent("AT+CPIN={}\r", "1234");
        assert_eq!(shown(&mut r, &[b"AT+CPIN=12", b"x\r\n"]), "AT+CPIN=***x\r\n");
        // A whole secret echoed is masked even if the rest of the line differs.
        let mut r = sent("{}\r", "1234");
        assert_eq!(shown(&mut r, &[b"1234\n"]), "***\n");
    }

    #[test]
    fn undecided_bytes_are_masked_when_the_run_ends() {
        let mut r = sent("{}\r", "SEKRET");
        assert_eq!(&*r.received(b"SEK"), b"");
        assert_eq!(r.held_view(), b"***");
        assert_eq!(r.flush(), b"***");
    }

    #[test]
    fn the_echo_is_looked_for_only_near_the_send() {
        let mut r = sent("AT+CPIN={}\r", "1234");
        let filler = vec![b'.'; ECHO_WINDOW as usize];
        assert_eq!(&*r.received(&filler), &filler[..]);
        assert_eq!(shown(&mut r, &[b"AT+CPIN=1234\r"]), "AT+CPIN=1234\r");
        assert!(r.echoes.is_empty());
    }

    #[test]
    fn two_secrets_in_a_line_and_two_lines_in_flight() {
        let mut r = Redactor::new();
        r.sent(b"AT+CPWD=\"SC\",1111,2222\r", &{
            let mut s = Spans::default();
            s.push(13..17);
            s.push(18..22);
            s
        });
        let (second, s2) = line("AT+CPIN={}\r", "9999");
        r.sent(&second, &s2);
        assert_eq!(
            shown(&mut r, &[b"AT+CPWD=\"SC\",11", b"11,2222\r\r\nOK\r\nAT+CPIN=99", b"99\r"]),
            "AT+CPWD=\"SC\",***,***\r\r\nOK\r\nAT+CPIN=***\r"
        );
    }

    #[test]
    fn memory_stays_bounded_whatever_arrives() {
        let mut r = Redactor::new();
        for _ in 0..100 {
            let (bytes, spans) = line("{}\r", "AAAAAAAA");
            r.sent(&bytes, &spans);
        }
        assert!(r.echoes.len() <= MAX_ECHOES);
        let flood = vec![b'A'; 100_000];
        let out = r.received(&flood).into_owned();
        assert!(r.attempts.len() <= MAX_ATTEMPTS);
        assert!(r.held.len() <= 9, "held {}", r.held.len());
        assert!(out.len() < flood.len());
    }
}
