//! The REPL's transcript: what the modem says, split into lines, each labelled in the light
//! of the command last sent (echo, information text, or a result code by its
//! [`result_code::Kind`]) and shown with a timestamp.

use crate::lang::literal::{escape_bytes, quote};

/// Bytes as the transcript shows them: control bytes made visible (`\r`, `\x1b`) and a
/// backslash doubled, but quotes as they are, since a shown line is not a literal to be read
/// back: `+CMTI: "SM",1`, not `+CMTI: \"SM\",1`.
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b == b'"' {
            out.push('"');
        } else {
            out.push_str(&escape_bytes(&[b]));
        }
    }
    out
}

/// Whether `line` is the escape sequence: three of the same character that is not a letter
/// or digit (`+++`, or whatever S2 makes it). Its `OK` is its final result code.
fn is_escape(line: &[u8]) -> bool {
    matches!(line, [a, b, c] if a == b && b == c && !a.is_ascii_alphanumeric() && a.is_ascii_graphic())
}
use crate::lang::result_code::{self, Kind};

/// The class of a line from the modem (V.250 §5.7, 27.007 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Ends a command: `OK`, `ERROR`, `NO CARRIER`, `BUSY`, `+CME ERROR: 10`, ...
    Final,
    /// `CONNECT 9600` (the modem goes online) or the SMS prompt `> `.
    Intermediate,
    /// Not a reply to anything: `RING`, `+CMTI: "SM",3`, `+CREG: 1`, carrier lost.
    Unsolicited,
    /// The reply's information text (`+CSQ: 20,99`, `Hayes ...`).
    Info,
    /// The modem echoing the command line (E1).
    Echo,
}

impl Class {
    /// The word shown before the line.
    pub fn label(self) -> &'static str {
        match self {
            Class::Final => "final",
            Class::Intermediate => "inter",
            Class::Unsolicited => "urc",
            Class::Info => "info",
            Class::Echo => "echo",
        }
    }
}

/// Splits the modem's bytes into lines and classifies them. It remembers the command line
/// last sent (to recognise its echo, and whether a `+NAME:` line answers it) and whether the
/// modem answers in numeric form.
#[derive(Debug, Default)]
pub struct Lines {
    partial: Vec<u8>,
    /// The command line awaiting its final result code, upper case, without the terminator.
    command: Option<String>,
    echo_seen: bool,
    /// The last final or intermediate code seen for the command line (`OK`, `CONNECT`, `> `).
    pub last_result: Option<String>,
    /// Whether the modem answers in numeric form (`0\r` for OK): followed from `ATV0`,
    /// `ATV1`, `ATZ`, `AT&F` sent, and set from the machine's view before each run.
    pub numeric: bool,
}

impl Lines {
    /// Notes bytes written to the modem: a line that starts with `AT`, or the escape
    /// sequence `+++`, is a command awaiting a reply.
    pub fn sent(&mut self, bytes: &[u8]) {
        if is_escape(bytes) {
            self.command = Some(String::from_utf8_lossy(bytes).into_owned());
            self.echo_seen = false;
            self.last_result = None;
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        let line = text.trim_end_matches(['\r', '\n']);
        // `A/` repeats the last command line: its reply is that command's.
        if line.len() >= 2 && line[..2].eq_ignore_ascii_case("AT") || line.eq_ignore_ascii_case("A/") {
            let upper = line.to_ascii_uppercase();
            // The reply to this very line comes in the new form already.
            let basic = upper.split('+').next().unwrap_or("");
            if basic.contains("V0") {
                self.numeric = true;
            } else if basic.contains("V1") || basic.contains('Z') || basic.contains("&F") {
                self.numeric = false;
            }
            self.command = Some(upper);
            self.echo_seen = false;
            self.last_result = None;
        }
    }

    /// Takes bytes from the modem; returns the complete lines in them, classified. A `> `
    /// prompt (no line end follows it) counts as a line.
    pub fn received(&mut self, bytes: &[u8]) -> Vec<(Class, String)> {
        let numeric = self.numeric;
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                self.end_line(numeric, &mut out);
            } else {
                self.partial.push(b);
                if self.partial == b"> " {
                    self.end_line(numeric, &mut out);
                }
            }
        }
        out
    }

    /// Whatever is left without a line end (at the end of a run), classified.
    pub fn flush(&mut self) -> Vec<(Class, String)> {
        let numeric = self.numeric;
        let mut out = Vec::new();
        self.end_line(numeric, &mut out);
        out
    }

    fn end_line(&mut self, numeric: bool, out: &mut Vec<(Class, String)>) {
        if self.partial.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.partial);
        let class = self.classify(&String::from_utf8_lossy(&bytes), numeric);
        let text = visible(&bytes);
        out.push((class, text));
    }

    /// The class of one line, given what was last sent.
    pub fn classify(&mut self, line: &str, numeric: bool) -> Class {
        let trimmed = line.trim();
        let upper = trimmed.to_ascii_uppercase();
        if let Some(command) = &self.command {
            if !self.echo_seen && upper == *command {
                self.echo_seen = true;
                return Class::Echo;
            }
        }
        let code = match result_code::numbered(trimmed) {
            Some(c) if numeric => c.text,
            _ => trimmed,
        };
        let awaiting = self.command.is_some();
        match result_code::classify(code) {
            Some(Kind::Final) if awaiting => {
                self.command = None;
                self.last_result = result_code::of_line(code).map(|c| c.text.to_string());
                Class::Final
            }
            // `NO CARRIER` out of the blue: the carrier was lost.
            Some(Kind::Final) => Class::Unsolicited,
            Some(Kind::Intermediate) => {
                if awaiting {
                    self.command = None;
                    self.last_result = Some(if code == ">" { quote(b"> ") } else { "CONNECT".into() });
                }
                Class::Intermediate
            }
            Some(Kind::Unsolicited) => {
                // `+CREG: 0,1` answers `AT+CREG?`; the same line unasked is unsolicited.
                let head = result_code::head(code);
                let asked = head.starts_with('+') && self.command.as_ref().is_some_and(|c| c.contains(head));
                if asked {
                    Class::Info
                } else {
                    Class::Unsolicited
                }
            }
            None => Class::Info,
        }
    }
}

/// Terminal colours, only when output is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Wraps `text` in the ANSI colour `code` when colours are on.
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// `   1.234 < final  OK`
    pub fn line(self, at: f64, class: Class, text: &str) -> String {
        let color = match class {
            Class::Final if text.contains("ERROR") || text.starts_with("NO ") || text == "BUSY" => "31",
            Class::Final => "32",
            Class::Intermediate => "36",
            Class::Unsolicited => "33",
            Class::Info => "0",
            Class::Echo => "2",
        };
        let label = format!("{:<5}", class.label());
        format!(
            "{} < {} {}",
            self.paint("2", &format!("{at:>8.3}")),
            self.paint(color, &label),
            self.paint(color, text)
        )
    }

    /// `   1.230 > ATI`
    pub fn sent(self, at: f64, bytes: &[u8]) -> String {
        let body = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        format!("{} > {}", self.paint("2", &format!("{at:>8.3}")), self.paint("1", &visible(body)))
    }

    /// A `say`, a control operation or a debugger message.
    pub fn note(self, at: f64, mark: char, text: &str) -> String {
        format!("{} {mark} {}", self.paint("2", &format!("{at:>8.3}")), self.paint("35", text))
    }
}

/// `0000  41 54 49 0d  ATI.` for `:hex on`.
pub fn hex_dump(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String =
                chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect();
            format!("         {:04x}  {:<48} {ascii}", i * 16, hex.join(" "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(lines: &mut Lines, bytes: &[u8]) -> Vec<(Class, String)> {
        lines.received(bytes)
    }

    #[test]
    fn a_reply_is_echo_info_then_final() {
        let mut l = Lines::default();
        l.sent(b"ATI\r");
        let got = classes(&mut l, b"ATI\r\r\nHayes\r\n\r\nOK\r\n");
        assert_eq!(got, vec![(Class::Echo, "ATI".into()), (Class::Info, "Hayes".into()), (Class::Final, "OK".into())]);
        assert_eq!(l.last_result.as_deref(), Some("OK"));
    }

    #[test]
    fn unsolicited_codes_and_asked_ones() {
        let mut l = Lines::default();
        assert_eq!(classes(&mut l, b"\r\nRING\r\n+CMTI: \"SM\",3\r\n")[1].0, Class::Unsolicited);
        l.sent(b"AT+CREG?\r");
        let got = classes(&mut l, b"\r\n+CREG: 0,1\r\n\r\nOK\r\n");
        assert_eq!(got[0].0, Class::Info);
        assert_eq!(
            classes(&mut l, b"\r\n+CREG: 5\r\nNO CARRIER\r\n"),
            vec![(Class::Unsolicited, "+CREG: 5".into()), (Class::Unsolicited, "NO CARRIER".into())]
        );
    }

    #[test]
    fn errors_connect_prompt_and_numeric() {
        let mut l = Lines::default();
        l.sent(b"AT+CPIN?\r");
        assert_eq!(classes(&mut l, b"\r\n+CME ERROR: 10\r\n")[0].0, Class::Final);
        assert_eq!(l.last_result.as_deref(), Some("+CME ERROR"));
        l.sent(b"ATDT5551234\r");
        assert_eq!(classes(&mut l, b"\r\nCONNECT 9600\r\n")[0].0, Class::Intermediate);
        l.sent(b"AT+CMGS=\"123\"\r");
        assert_eq!(classes(&mut l, b"\r\n> "), vec![(Class::Intermediate, "> ".into())]);
        l.sent(b"ATV0\r");
        assert_eq!(l.received(b"0\r"), vec![(Class::Final, "0".into())]);
        assert_eq!(l.last_result.as_deref(), Some("OK"));
        assert_eq!(classes(&mut l, b"TOKEN\r\n")[0].0, Class::Info);
    }

    #[test]
    fn the_ok_after_the_escape_is_its_final_code() {
        let mut l = Lines::default();
        l.sent(b"+++");
        assert_eq!(classes(&mut l, b"\r\nOK\r\n"), vec![(Class::Final, "OK".into())]);
        // Without the escape just sent, an OK out of the blue is not a reply to anything.
        assert_eq!(classes(&mut l, b"OK\r\n")[0].0, Class::Unsolicited);
        assert!(!is_escape(b"AAA") && !is_escape(b"++") && is_escape(b"---"));
        l.sent(b"A/");
        assert_eq!(classes(&mut l, b"A/\r\nOK\r\n"), vec![(Class::Echo, "A/".into()), (Class::Final, "OK".into())]);
    }

    #[test]
    fn lines_show_quotes_as_they_are() {
        let mut l = Lines::default();
        assert_eq!(classes(&mut l, b"+CMTI: \"SM\",1\r\n"), vec![(Class::Unsolicited, "+CMTI: \"SM\",1".into())]);
        assert_eq!(visible(b"a\\b\x1b\"\r"), "a\\\\b\\x1b\"\\r");
        assert_eq!(Style { color: false }.sent(0.0, b"AT+CMGS=\"123\"\r"), "   0.000 > AT+CMGS=\"123\"");
    }
}
