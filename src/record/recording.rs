//! A transcript parsed: [`Recording::parse`] reads the text format described in
//! [`super`], line by line, and says which line is wrong and why.

use std::fmt;
use std::time::Duration;

use super::{MASK, VERSION_LINE};
use crate::lang::literal::{decode_escape, escape_bytes, format_duration, parse_duration};

/// More events than this is not a session with a modem; the limit keeps a hostile file
/// from taking memory out of proportion to its size.
pub const MAX_EVENTS: usize = 200_000;

/// A transcript: the port it was recorded on and its events in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recording {
    /// The `port` line: the port the session ran on, for messages.
    pub port: Option<String>,
    pub entries: Vec<Entry>,
}

/// One event and where it is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line number (from 1), for messages.
    pub line: usize,
    /// Time since the start of the session.
    pub at: Duration,
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The host wrote these bytes (`>`).
    Write { data: Vec<Piece>, result: Result<(), Refusal> },
    /// The host operated a line of the port.
    Action { action: Action, result: Result<(), Refusal> },
    /// The modem sent these bytes (`<`), or the read failed (`< failed "..."`).
    Read(Result<Vec<u8>, String>),
    /// What the port said of carrier (DCD) from now on.
    Carrier(Result<bool, Refusal>),
    /// The session ended here, with this exit code if known.
    End { exit: Option<u8> },
}

/// Recorded data: bytes, and the places a secret was masked (`***`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Bytes(Vec<u8>),
    Masked,
}

/// A modem-control operation of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Dtr(bool),
    Rts(bool),
    Break(Duration),
    Baud(u32),
    /// Input was discarded: the port's business, the modem sees nothing of it.
    Flush,
}

/// An operation the port refused (`unsupported "..."`) or failed at (`failed "..."`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The port cannot do this at all, as opposed to failing at it.
    pub unsupported: bool,
    pub message: String,
}

/// A line that is not a transcript line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

impl fmt::Display for Action {
    /// As a transcript line (and the language) writes it: `dtr off`, `break 250ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on_off = |on: bool| if on { "on" } else { "off" };
        match self {
            Action::Dtr(on) => write!(f, "dtr {}", on_off(*on)),
            Action::Rts(on) => write!(f, "rts {}", on_off(*on)),
            Action::Break(d) => write!(f, "break {}", format_duration(*d)),
            Action::Baud(b) => write!(f, "baud {b}"),
            Action::Flush => f.write_str("flush"),
        }
    }
}

/// Data as a transcript writes it: `"AT+CPIN=\"***\"\r"`.
pub fn show_pieces(data: &[Piece]) -> String {
    let mut out = String::from("\"");
    for piece in data {
        match piece {
            Piece::Bytes(b) => out.push_str(&escape_bytes(b)),
            Piece::Masked => out.push_str(MASK),
        }
    }
    out.push('"');
    out
}

impl Event {
    /// The event in a few words, for messages: `the write "ATZ\r"`, `dtr off`.
    pub fn describe(&self) -> String {
        match self {
            Event::Write { data, .. } => format!("the write {}", show_pieces(data)),
            Event::Action { action, .. } => format!("`{action}`"),
            Event::Read(Ok(bytes)) => format!("the modem's \"{}\"", escape_bytes(bytes)),
            Event::Read(Err(_)) => "a failed read".to_string(),
            Event::Carrier(Ok(up)) => format!("carrier {}", if *up { "on" } else { "off" }),
            Event::Carrier(Err(_)) => "a failed carrier query".to_string(),
            Event::End { .. } => "the end of the session".to_string(),
        }
    }

    /// Whether the host did this (it is compared on replay), as opposed to the modem.
    pub fn is_host(&self) -> bool {
        matches!(self, Event::Write { .. } | Event::Action { .. })
    }
}

impl Recording {
    /// Parses a transcript. The first line must be [`VERSION_LINE`].
    pub fn parse(text: &[u8]) -> Result<Recording, ParseError> {
        let mut recording = Recording::default();
        let mut last = Duration::ZERO;
        for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = index + 1;
            let err = |message: String| ParseError { line, message };
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let Ok(raw) = std::str::from_utf8(raw) else {
                return Err(err("this line is not UTF-8 text; bytes are written as \\xNN inside \"...\"".into()));
            };
            if line == 1 {
                check_version(raw).map_err(err)?;
                continue;
            }
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if let Some(name) = trimmed.strip_prefix("port ") {
                if recording.port.is_some() {
                    return Err(err("a second `port` line; a transcript is one session on one port".into()));
                }
                recording.port = Some(name.trim().to_string());
                continue;
            }
            if recording.entries.len() >= MAX_EVENTS {
                return Err(err(format!("more than {MAX_EVENTS} events: split the session into several transcripts")));
            }
            let mut cursor = Cursor { rest: trimmed };
            let at = match cursor.time().map_err(err)? {
                Some(at) if at < last => {
                    return Err(err(format!(
                        "the time {:.3} is before {:.3} on an earlier line",
                        at.as_secs_f64(),
                        last.as_secs_f64()
                    )))
                }
                Some(at) => at,
                None => last,
            };
            last = at;
            let event = cursor.event().map_err(err)?;
            recording.entries.push(Entry { line, at, event });
        }
        Ok(recording)
    }
}

fn check_version(first: &str) -> Result<(), String> {
    let first = first.trim_start_matches('\u{feff}').trim_end();
    if first == VERSION_LINE {
        return Ok(());
    }
    match first.strip_prefix("atchat transcript ") {
        Some(v) => Err(format!("this is a version {v} transcript; this atchat reads `{VERSION_LINE}`")),
        None => Err(format!("the first line must be `{VERSION_LINE}`; this does not look like a transcript")),
    }
}

/// What is left of a line being parsed.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// The next word, up to a space (empty at the end of the line).
    fn word(&mut self) -> &'a str {
        self.skip_space();
        let end = self.rest.find(char::is_whitespace).unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        word
    }

    /// A leading time in seconds (`12.345`), if the line has one.
    fn time(&mut self) -> Result<Option<Duration>, String> {
        self.skip_space();
        let end = self.rest.find(char::is_whitespace).unwrap_or(self.rest.len());
        let word = &self.rest[..end];
        if !word.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(None);
        }
        let valid = word.chars().all(|c| c.is_ascii_digit() || c == '.') && word.matches('.').count() <= 1;
        let seconds = word.parse::<f64>().ok().filter(|s| valid && s.is_finite() && *s <= 366.0 * 86400.0);
        let Some(seconds) = seconds else {
            return Err(format!("`{word}` is not a time in seconds such as 12.345"));
        };
        self.rest = &self.rest[end..];
        Ok(Some(Duration::from_secs_f64(seconds)))
    }

    fn event(&mut self) -> Result<Event, String> {
        let word = self.word();
        let event = match word {
            ">" => {
                let data = self.string("`>` needs the bytes written, e.g. > \"ATZ\\r\"")?;
                Event::Write { data, result: self.result()? }
            }
            "<" => {
                self.skip_space();
                if self.rest.starts_with('"') {
                    Event::Read(Ok(flatten(self.string("")?)))
                } else if self.word() == "failed" {
                    Event::Read(Err(self.message()?))
                } else {
                    return Err("`<` needs the bytes received, e.g. < \"\\r\\nOK\\r\\n\"".into());
                }
            }
            "dtr" | "rts" => {
                let on = match self.word() {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("`{word}` takes on or off, not `{other}`")),
                };
                let action = if word == "dtr" { Action::Dtr(on) } else { Action::Rts(on) };
                Event::Action { action, result: self.result()? }
            }
            "break" => {
                let text = self.word();
                let Some(d) = parse_duration(text) else {
                    return Err(format!("`break` takes a duration such as 250ms, not `{text}`"));
                };
                Event::Action { action: Action::Break(d), result: self.result()? }
            }
            "baud" => {
                let text = self.word();
                let Some(baud) = text.parse::<u32>().ok().filter(|b| *b > 0) else {
                    return Err(format!("`baud` takes a line speed such as 9600, not `{text}`"));
                };
                Event::Action { action: Action::Baud(baud), result: self.result()? }
            }
            "flush" => Event::Action { action: Action::Flush, result: self.result()? },
            "carrier" => match self.word() {
                "on" => Event::Carrier(Ok(true)),
                "off" => Event::Carrier(Ok(false)),
                "failed" => Event::Carrier(Err(Refusal { unsupported: false, message: self.message()? })),
                "unsupported" => Event::Carrier(Err(Refusal { unsupported: true, message: self.message()? })),
                other => {
                    return Err(format!(
                        "`carrier` takes on, off, failed \"...\" or unsupported \"...\", not `{other}`"
                    ))
                }
            },
            "end" => {
                let exit = match self.word() {
                    "" => None,
                    "exit" => {
                        let text = self.word();
                        match text.parse::<u8>() {
                            Ok(code) => Some(code),
                            Err(_) => return Err(format!("`end exit` takes an exit code 0-255, not `{text}`")),
                        }
                    }
                    other => return Err(format!("`end` takes `exit CODE` or nothing, not `{other}`")),
                };
                Event::End { exit }
            }
            "" => return Err("a time needs an event after it".into()),
            other => {
                return Err(format!(
                    "`{other}` is not an event; lines are `>` (written), `<` (received), dtr, rts, \
                     break, baud, flush, carrier or end, after an optional time"
                ))
            }
        };
        let left = self.word();
        if !left.is_empty() {
            return Err(format!("unexpected `{left}` at the end of the line"));
        }
        Ok(event)
    }

    /// `failed "MESSAGE"` or `unsupported "MESSAGE"` after a host action, if there.
    fn result(&mut self) -> Result<Result<(), Refusal>, String> {
        self.skip_space();
        let save = self.rest;
        let unsupported = match self.word() {
            "failed" => false,
            "unsupported" => true,
            _ => {
                self.rest = save;
                return Ok(Ok(()));
            }
        };
        Ok(Err(Refusal { unsupported, message: self.message()? }))
    }

    /// A quoted message (a failure's text).
    fn message(&mut self) -> Result<String, String> {
        let pieces = self.string("a failure needs its message in quotes, e.g. failed \"closed\"")?;
        Ok(String::from_utf8_lossy(&flatten(pieces)).into_owned())
    }

    /// A quoted string of data: escapes as in the language, `***` for masked bytes.
    fn string(&mut self, missing: &str) -> Result<Vec<Piece>, String> {
        self.skip_space();
        let Some(mut rest) = self.rest.strip_prefix('"') else {
            return Err(missing.to_string());
        };
        let mut pieces = Vec::new();
        let mut bytes = Vec::new();
        loop {
            // Masked text may have eaten into an escape (`\***`): it is masked all the same.
            let masked = rest.strip_prefix(MASK).or_else(|| rest.strip_prefix('\\').and_then(|r| r.strip_prefix(MASK)));
            if let Some(after) = masked {
                if !bytes.is_empty() {
                    pieces.push(Piece::Bytes(std::mem::take(&mut bytes)));
                }
                if pieces.last() != Some(&Piece::Masked) {
                    pieces.push(Piece::Masked);
                }
                rest = after;
                continue;
            }
            let Some(c) = rest.chars().next() else {
                return Err("the string has no closing `\"`".into());
            };
            match c {
                '"' => {
                    rest = &rest[1..];
                    break;
                }
                '\\' => {
                    let Some((byte, len)) = decode_escape(rest) else {
                        let shown: String = rest.chars().take(4).collect();
                        return Err(format!("unknown escape `{shown}`; use \\r \\n \\t \\\\ \\\" \\0 \\e or \\xNN"));
                    };
                    bytes.push(byte);
                    rest = &rest[len..];
                }
                c => {
                    bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        if !bytes.is_empty() {
            pieces.push(Piece::Bytes(bytes));
        }
        if rest.starts_with(|c: char| !c.is_whitespace()) {
            return Err("a string must be followed by a space or the end of the line".into());
        }
        self.rest = rest;
        Ok(pieces)
    }
}

/// Data as plain bytes: a masked place stays `***` (the modem's echo of a secret).
fn flatten(pieces: Vec<Piece>) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Bytes(b) => out.extend(b),
            Piece::Masked => out.extend_from_slice(MASK.as_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Recording, ParseError> {
        Recording::parse(format!("{VERSION_LINE}\n{body}").as_bytes())
    }

    #[test]
    fn every_kind_of_line() {
        let r = parse(concat!(
            "# a comment\n",
            "port /dev/ttyUSB0\n",
            "   0.000 > \"AT+CPIN=\\\"***\\\"\\r\"\n",
            "   0.004 < \"AT+CPIN=\\\"***\\\"\\r\\r\\nOK\\r\\n\"\n",
            "         dtr off unsupported \"a pty has no DTR\"\n",
            "   1.5 break 250ms\n",
            "   2 baud 9600\n",
            "flush\n",
            "   3.000 carrier on\n",
            "   4.000 < failed \"`/dev/ttyUSB0` was closed by the other end\"\n",
            "   5.000 end exit 2\n",
        ))
        .unwrap();
        assert_eq!(r.port.as_deref(), Some("/dev/ttyUSB0"));
        let events: Vec<_> = r.entries.iter().map(|e| (e.line, e.at.as_millis(), e.event.clone())).collect();
        assert_eq!(
            events,
            [
                (
                    4,
                    0,
                    Event::Write {
                        data: vec![Piece::Bytes(b"AT+CPIN=\"".to_vec()), Piece::Masked, Piece::Bytes(b"\"\r".to_vec())],
                        result: Ok(())
                    }
                ),
                (5, 4, Event::Read(Ok(b"AT+CPIN=\"***\"\r\r\nOK\r\n".to_vec()))),
                (
                    6,
                    4,
                    Event::Action {
                        action: Action::Dtr(false),
                        result: Err(Refusal { unsupported: true, message: "a pty has no DTR".into() })
                    }
                ),
                (7, 1500, Event::Action { action: Action::Break(Duration::from_millis(250)), result: Ok(()) }),
                (8, 2000, Event::Action { action: Action::Baud(9600), result: Ok(()) }),
                (9, 2000, Event::Action { action: Action::Flush, result: Ok(()) }),
                (10, 3000, Event::Carrier(Ok(true))),
                (11, 4000, Event::Read(Err("`/dev/ttyUSB0` was closed by the other end".into()))),
                (12, 5000, Event::End { exit: Some(2) }),
            ]
        );
    }

    #[test]
    fn masked_text_that_ate_an_escape_is_still_masked() {
        let r = parse("> \"AT\\***\\r\"\n").unwrap();
        let Event::Write { data, .. } = &r.entries[0].event else { panic!() };
        assert_eq!(data, &[Piece::Bytes(b"AT".to_vec()), Piece::Masked, Piece::Bytes(b"\r".to_vec())]);
    }

    #[test]
    fn windows_line_ends_and_a_byte_order_mark_are_fine() {
        let text = format!("\u{feff}{VERSION_LINE}\r\n> \"AT\\r\"\r\n");
        assert_eq!(Recording::parse(text.as_bytes()).unwrap().entries.len(), 1);
    }

    #[test]
    fn mistakes_name_their_line() {
        for (body, line, part) in [
            ("> ATZ\n", 2, "needs the bytes"),
            ("> \"ATZ\\r\n", 2, "no closing"),
            ("# ok\n< \"\\q\"\n", 3, "unknown escape"),
            ("1.0 > \"A\"\n0.5 > \"B\"\n", 3, "before"),
            ("1e3 > \"A\"\n", 2, "not a time"),
            ("dtr maybe\n", 2, "on or off"),
            ("break forever\n", 2, "duration"),
            ("baud 0\n", 2, "line speed"),
            ("send \"AT\"\n", 2, "not an event"),
            ("> \"AT\" extra\n", 2, "unexpected `extra`"),
            ("> \"AT\"x\n", 2, "followed by a space"),
            ("end exit 300\n", 2, "0-255"),
            ("carrier maybe\n", 2, "carrier"),
            ("port a\nport b\n", 3, "second `port`"),
            ("2.0\n", 2, "needs an event"),
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.line, line, "{body:?}: {e}");
            assert!(e.message.contains(part), "{body:?}: {e}");
        }
    }

    #[test]
    fn the_version_line_comes_first() {
        let e = Recording::parse(b"> \"AT\\r\"\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains(VERSION_LINE), "{e}");
        let e = Recording::parse(b"atchat transcript 7\n").unwrap_err();
        assert!(e.message.contains("version 7"), "{e}");
        let e = Recording::parse(b"").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn bytes_that_are_not_text_are_refused_with_their_line() {
        let mut text = format!("{VERSION_LINE}\n> \"AT\\r\"\n").into_bytes();
        text.extend_from_slice(b"< \"\xff\xfe\"\n");
        let e = Recording::parse(&text).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("UTF-8"), "{e}");
    }

    #[test]
    fn the_number_of_events_is_bounded() {
        let body = "< \"x\"\n".repeat(MAX_EVENTS + 1);
        let e = parse(&body).unwrap_err();
        assert_eq!(e.line, MAX_EVENTS + 2);
        assert!(e.message.contains("more than"), "{e}");
    }
}
