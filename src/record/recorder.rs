//! Writes a transcript as a session goes, one line per event, so a session that ends
//! abruptly still leaves everything up to that moment on disk.
//!
//! The recorder writes what it is given: the driver hands it data and messages already
//! masked by the code that masks `-v` and `--log` ([`crate::driver::Transcript`]), so the
//! three never differ in what they hide.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use super::recording::{Action, Refusal};
use super::VERSION_LINE;
use crate::lang::literal::escape_bytes;

/// A transcript being written.
pub struct Recorder {
    out: Box<dyn Write>,
    /// Comment lines for the top, until [`Recorder::begin`] writes them.
    header: Vec<String>,
    /// The first write error: recording stops there, the session goes on, and the caller
    /// hears of it at the end ([`Recorder::finish`]).
    error: Option<io::Error>,
    /// The last carrier state written: only changes are recorded, not every poll.
    carrier: Option<String>,
}

impl Recorder {
    /// A transcript to be written on `out`, with `header` as its first comment lines (the
    /// command that ran, the script's params). Nothing is written before [`Recorder::begin`].
    pub fn new(out: Box<dyn Write>, header: Vec<String>) -> Recorder {
        Recorder { out, header, error: None, carrier: None }
    }

    /// Creates (or truncates) the file at `path` for a transcript.
    pub fn create(path: &Path, header: Vec<String>) -> io::Result<Recorder> {
        let file = std::fs::File::create(path)?;
        Ok(Recorder::new(Box::new(io::LineWriter::new(file)), header))
    }

    /// The header lines given to [`Recorder::new`], for the caller to mask.
    pub fn take_header(&mut self) -> Vec<String> {
        std::mem::take(&mut self.header)
    }

    /// Writes the top of the transcript: the version line, `header` as comments, the port.
    pub fn begin(&mut self, port: &str, header: &[String]) {
        self.line(VERSION_LINE.to_string());
        for comment in header {
            self.line(format!("# {}", one_line(comment)));
        }
        self.line(format!("port {}", one_line(port)));
    }

    fn line(&mut self, text: String) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = writeln!(self.out, "{text}") {
            self.error = Some(e);
        }
    }

    fn event(&mut self, at: Duration, text: String) {
        self.line(format!("{:>9.3} {text}", at.as_secs_f64()));
    }

    /// The host wrote bytes; `shown` is them as `escape_bytes` writes them, masked.
    pub fn wrote(&mut self, at: Duration, shown: &str, result: Result<(), &Refusal>) {
        self.event(at, format!("> \"{shown}\"{}", outcome(result)));
    }

    /// The modem sent bytes; `shown` as for [`Recorder::wrote`].
    pub fn received(&mut self, at: Duration, shown: &str) {
        self.event(at, format!("< \"{shown}\""));
    }

    /// A read or a write failed: the port is gone; `message` is masked.
    pub fn read_failed(&mut self, at: Duration, message: &str) {
        self.event(at, format!("< failed {}", quoted(message)));
    }

    /// The host operated a line of the port.
    pub fn action(&mut self, at: Duration, action: Action, result: Result<(), &Refusal>) {
        self.event(at, format!("{action}{}", outcome(result)));
    }

    /// What the port said of carrier; written only when it differs from the last answer.
    pub fn carrier(&mut self, at: Duration, state: Result<bool, &Refusal>) {
        let text = match state {
            Ok(true) => "carrier on".to_string(),
            Ok(false) => "carrier off".to_string(),
            Err(r) => format!("carrier{}", outcome(Err(r))),
        };
        if self.carrier.as_deref() != Some(text.as_str()) {
            self.carrier = Some(text.clone());
            self.event(at, text);
        }
    }

    /// A note for the reader (what the script waited for, what it said): a comment line
    /// with the time, ignored on replay.
    pub fn comment(&mut self, at: Duration, text: &str) {
        self.line(format!("# {:>7.3} {}", at.as_secs_f64(), one_line(text)));
    }

    /// The session is over: the `end` line, then the outcome as the keys the transcript
    /// test runner reads (`# exit:`, `# message:`), so a recording is a test case as it is.
    pub fn end(&mut self, at: Duration, exit: u8, message: Option<&str>) {
        self.event(at, format!("end exit {exit}"));
        self.line(format!("# exit: {exit}"));
        if let Some(m) = message {
            self.line(format!("# message: {}", one_line(m)));
        }
    }

    /// Flushes; the first error met while recording, if any.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }
}

fn outcome(result: Result<(), &Refusal>) -> String {
    match result {
        Ok(()) => String::new(),
        Err(r) => format!(" {} {}", if r.unsupported { "unsupported" } else { "failed" }, quoted(&r.message)),
    }
}

fn quoted(message: &str) -> String {
    format!("\"{}\"", escape_bytes(message.as_bytes()))
}

/// Comments and names stay on their line.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::record::recording::{Event, Piece, Recording};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn what_it_writes_parses_back() {
        let out = Shared::default();
        let mut r = Recorder::new(Box::new(out.clone()), vec!["atchat run x.atc\nsecond line".into()]);
        let header = r.take_header();
        r.begin("sim:hayes", &header);
        let ms = Duration::from_millis;
        r.wrote(ms(0), "AT+CPIN=\\\"***\\\"\\r", Ok(()));
        r.received(ms(4), "\\r\\nOK\\r\\n");
        let refusal = Refusal { unsupported: true, message: "a pty has no \"DTR\"".into() };
        r.action(ms(10), Action::Dtr(false), Err(&refusal));
        r.action(ms(510), Action::Break(ms(250)), Ok(()));
        r.carrier(ms(600), Ok(true));
        r.carrier(ms(700), Ok(true));
        r.comment(ms(700), "t.atc:3: waiting for OK");
        r.read_failed(ms(800), "closed");
        r.end(ms(900), 2, Some("t.atc:4: closed"));
        r.finish().unwrap();
        let text = String::from_utf8(out.0.borrow().clone()).unwrap();
        assert!(text.starts_with("atchat transcript 1\n# atchat run x.atc second line\nport sim:hayes\n"), "{text}");
        assert_eq!(text.matches("carrier on").count(), 1, "only changes are written:\n{text}");
        assert!(text.contains("# exit: 2\n# message: t.atc:4: closed\n"), "{text}");
        let parsed = Recording::parse(text.as_bytes()).unwrap();
        let events: Vec<Event> = parsed.entries.into_iter().map(|e| e.event).collect();
        assert_eq!(
            events,
            [
                Event::Write {
                    data: vec![Piece::Bytes(b"AT+CPIN=\"".to_vec()), Piece::Masked, Piece::Bytes(b"\"\r".to_vec())],
                    result: Ok(())
                },
                Event::Read(Ok(b"\r\nOK\r\n".to_vec())),
                Event::Action { action: Action::Dtr(false), result: Err(refusal) },
                Event::Action { action: Action::Break(ms(250)), result: Ok(()) },
                Event::Carrier(Ok(true)),
                Event::Read(Err("closed".into())),
                Event::End { exit: Some(2) },
            ]
        );
    }

    #[test]
    fn a_failing_file_stops_recording_and_reports_at_the_end() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut r = Recorder::new(Box::new(Full), Vec::new());
        r.begin("sim:hayes", &[]);
        r.wrote(Duration::ZERO, "AT\\r", Ok(()));
        assert_eq!(r.finish().unwrap_err().to_string(), "disk full");
    }
}
