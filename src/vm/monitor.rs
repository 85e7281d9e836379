//! chat(8)'s view of the input: what happens to each byte an expect consumes, besides matching.
//!
//! chat reads the modem one byte at a time and, for each byte, echoes it (`-e`, `ECHO ON`),
//! shows it (`-V`), logs it as text lines (`-v`) and checks its REPORT triggers, before it
//! looks at the expect string and the ABORT strings. The matcher does the matching; the
//! [`Monitor`] does the rest, on exactly the bytes the expect consumed, in the same order.
//! It performs no I/O: what it would write is queued as [`Output`] for the driver.

/// Longest report line (trigger plus the rest of the line), as in chat since 2023.
pub const REPORT_MAX: usize = 4096 - 21;
/// chat formats log lines into a 1024-byte buffer; longer lines are cut.
pub const LOG_LINE_MAX: usize = 1023;
/// A received-text log line is cut every this many bytes, as chat does.
const LOG_CHUNK: usize = 80;
/// REPORT triggers are at most 49 bytes; this much of an expect's input is enough to match them.
const WINDOW: usize = 64;

/// Something chat-compatible programs write outside the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes for stderr, exactly as they are (SAY, echo, `-V`).
    Stderr(Vec<u8>),
    /// A log line (chat's syslog messages, also on stderr with `-s`); `error` for fatal ones.
    Log { line: Vec<u8>, error: bool },
    /// A REPORT line: the trigger and the rest of its line; the driver adds the date.
    Report(Vec<u8>),
}

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    show: bool,
    log: bool,
    echo: bool,
    /// Echo wrote text without a newline since the last one.
    need_lf: bool,
    /// Received text not logged yet (`-v`).
    pending: Vec<u8>,
    /// The end of what the current expect has read, for REPORT triggers.
    window: Vec<u8>,
    /// REPORT triggers in order; `None` once fired.
    reports: Vec<Option<Vec<u8>>>,
    /// The report line being gathered.
    gathering: Option<Vec<u8>>,
    out: Vec<Output>,
}

impl Monitor {
    /// Sets `-V` (show) and `-v` (log).
    pub fn trace(&mut self, show: bool, log: bool) {
        self.show = show;
        self.log = log;
    }

    /// `ECHO ON` / `ECHO OFF`.
    pub fn set_echo(&mut self, on: bool) {
        self.echo = on;
    }

    /// `REPORT s`.
    pub fn add_report(&mut self, trigger: Vec<u8>) {
        self.reports.push(Some(trigger));
    }

    /// `CLR_REPORT s`: chat crashes here when a trigger has already fired; a fired trigger is
    /// simply gone, so only live ones are removed.
    pub fn clear_report(&mut self, trigger: &[u8]) {
        self.reports.retain(|r| r.as_deref() != Some(trigger));
    }

    /// A log line (formatted by the caller).
    pub fn log_line(&mut self, line: &[u8], error: bool) {
        let line = line[..line.len().min(LOG_LINE_MAX)].to_vec();
        self.out.push(Output::Log { line, error });
    }

    /// Raw bytes for stderr.
    pub fn stderr(&mut self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.out.push(Output::Stderr(bytes));
        }
    }

    /// An expect starts: chat reads each expect into a fresh buffer.
    pub fn start_expect(&mut self) {
        self.window.clear();
        self.pending.clear();
    }

    /// One byte consumed by an expect, in chat's order: echo, log, show, REPORT.
    pub fn byte(&mut self, c: u8) {
        if self.echo {
            match c {
                b'\r' => {}
                b'\n' => {
                    self.stderr(b"\n".to_vec());
                    self.need_lf = false;
                }
                _ => {
                    self.stderr(character(c));
                    self.need_lf = true;
                }
            }
        }
        if self.log {
            if c == b'\n' {
                let line = visible(&std::mem::take(&mut self.pending));
                self.log_line(&line, false);
            } else {
                self.pending.push(c);
                if self.pending.len() >= LOG_CHUNK {
                    let line = visible(&std::mem::take(&mut self.pending));
                    self.log_line(&line, false);
                }
            }
        }
        if self.show {
            match c {
                b'\n' => self.stderr(b"\n".to_vec()),
                b'\r' => {}
                _ => self.stderr(character(c)),
            }
        }
        self.window.push(c);
        if self.window.len() > 2 * WINDOW {
            self.window.drain(..WINDOW);
        }
        match &mut self.gathering {
            None => {
                let fired = self.reports.iter_mut().find(|r| r.as_ref().is_some_and(|t| self.window.ends_with(t)));
                if let Some(slot) = fired {
                    self.gathering = slot.take();
                }
            }
            Some(line) => {
                if is_control(c) {
                    self.end_report();
                } else if line.len() < REPORT_MAX {
                    line.push(c);
                }
            }
        }
    }

    /// The expect (or an abort) matched: log the text read since the last log line.
    pub fn matched(&mut self) {
        if self.log && !self.pending.is_empty() {
            let line = visible(&std::mem::take(&mut self.pending));
            self.log_line(&line, false);
        }
    }

    /// Whether a report line is being gathered.
    pub fn gathering(&self) -> bool {
        self.gathering.is_some()
    }

    /// A byte read while finishing a report before exit; true when the line is complete.
    pub fn tail_byte(&mut self, c: u8) -> bool {
        let Some(line) = &mut self.gathering else {
            return true;
        };
        if is_control(c) || line.len() >= REPORT_MAX {
            return true;
        }
        line.push(c);
        false
    }

    /// Writes the report line being gathered, if any.
    pub fn end_report(&mut self) {
        if let Some(line) = self.gathering.take() {
            self.out.push(Output::Report(line));
        }
    }

    /// Ends an echoed line with a newline if one is owed (chat does this when it exits).
    pub fn end_echo(&mut self) {
        if self.need_lf {
            self.stderr(b"\n".to_vec());
            self.need_lf = false;
        }
    }

    /// What was written since the last call.
    pub fn take(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }
}

fn is_control(c: u8) -> bool {
    c < 0x20 || c == 0x7F
}

/// chat's `character()`: one byte as echo and `-V` show it (`^X`, `^?`, `M-` for high bytes).
pub fn character(c: u8) -> Vec<u8> {
    let mut out = Vec::new();
    if c & 0x80 != 0 {
        out.extend_from_slice(b"M-");
    }
    let c = c & 0x7F;
    match c {
        0..=31 => out.extend_from_slice(&[b'^', c + b'@']),
        127 => out.extend_from_slice(b"^?"),
        _ => out.push(c),
    }
    out
}

/// chat's `%v` format: control bytes as `^X` (a tab stays), high bytes with `M-`.
pub fn visible(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        let mut c = b;
        if c >= 0x80 {
            out.extend_from_slice(b"M-");
            c -= 0x80;
        }
        if c < 0x20 || c == 0x7F {
            if c == b'\t' {
                out.push(c);
            } else {
                out.extend_from_slice(&[b'^', c ^ 0x40]);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_gathers_the_rest_of_the_line_once() {
        let mut m = Monitor::default();
        m.add_report(b"CONNECT".to_vec());
        m.start_expect();
        for &b in b"CONNECT 9600\r\nCONNECT 1\r" {
            m.byte(b);
        }
        assert_eq!(m.take(), vec![Output::Report(b"CONNECT 9600".to_vec())]);
    }

    #[test]
    fn echo_drops_cr_and_owes_a_newline() {
        let mut m = Monitor::default();
        m.set_echo(true);
        for &b in b"a\r\x01" {
            m.byte(b);
        }
        m.end_echo();
        let bytes: Vec<u8> = m
            .take()
            .into_iter()
            .flat_map(|o| match o {
                Output::Stderr(b) => b,
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(bytes, b"a^A\n");
    }

    #[test]
    fn visible_matches_chat() {
        assert_eq!(visible(b"AT\r\t\x7f\x81"), b"AT^M\t^?M-^A");
    }
}
