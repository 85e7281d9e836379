//! `replay:FILE`: a transcript played back as the modem (docs/record-replay.md).
//!
//! The script's writes and line operations are compared, in order, with the host's in the
//! recording; after each match the modem's recorded bytes that follow are delivered at
//! their recorded offsets from it, on virtual time, so a replay takes no real time and
//! always goes the same way. Where the script does something else, or waits for the modem
//! when the recording has nothing more from it, the port fails with
//! [`PortError::Diverged`], naming the transcript line and what it expected; it stays
//! failed from then on.
//!
//! What is tolerated: a line terminator (CR, LF or CR LF) at the end of a recorded write
//! matches any of them; a masked secret (`***`) matches whatever the script wrote there;
//! `flush` is not compared (the modem never sees it); the timing of the script's own
//! actions is not compared, only their order and content.

use std::collections::VecDeque;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use super::{Port, PortError};
use crate::record::recording::show_pieces;
use crate::record::{Action, Event, Piece, Recording, Refusal};

/// A transcript larger than this is refused before it is read: a session with a modem is
/// kilobytes, and memory stays bounded whatever file is named.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Longest silence the script may wait through while the recording expects the script to
/// act next: past it the script is waiting for something the modem never sent.
pub const MAX_SILENCE: Duration = Duration::from_secs(3600);

/// How far past the recording's `end` the script may still wait: times in a transcript
/// are rounded to the millisecond.
const END_GRACE: Duration = Duration::from_millis(10);

/// The most bytes a masked secret stands for, so a write that never matches is caught.
const MAX_MASKED: usize = 4096;

/// Longest data shown in a message.
const SHOWN: usize = 100;

/// Recorded data as the replay compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Bytes(Vec<u8>),
    /// Whatever the script wrote where a secret was masked.
    Any,
    /// The line terminator at the end of a write: one or more CR or LF.
    LineEnd,
}

/// How far the bytes written so far match an expected write.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    /// All of it, using this many bytes.
    Matched(usize),
    /// A beginning of it so far.
    NeedMore,
    /// It differs at this byte of what was written.
    Mismatch(usize),
}

/// The transcript being played.
#[derive(Debug)]
pub struct ReplayPort {
    name: String,
    recording: Recording,
    /// The recorded writes as compared: `parts[i]` for `recording.entries[i]`.
    parts: Vec<Vec<Part>>,
    now: Duration,
    /// The next entry not yet matched or scheduled.
    next: usize,
    /// Recorded time → replay time, set by the last matched host action.
    shift_from: Duration,
    shift_to: Duration,
    /// Modem events due at a replay time, in order (entry indices).
    scheduled: VecDeque<(Duration, usize)>,
    /// Delivered, not yet read.
    pending: Vec<u8>,
    carrier: Option<Result<bool, Refusal>>,
    /// Bytes written toward the expected write.
    written: Vec<u8>,
    /// For each byte of `written`, whether a secret produced it: messages show it as `***`.
    written_secret: Vec<bool>,
    /// For the bytes the script is about to write ([`Port::secret_in_next_write`]).
    upcoming_secret: VecDeque<bool>,
    /// The last write matched up to its line terminator: more CR/LF belong to it.
    absorb_line_end: bool,
    /// When the modem or the script last did something, for [`MAX_SILENCE`].
    active_at: Duration,
    /// The recording's `end`, once reached.
    ended_at: Option<Duration>,
    /// How many host actions were matched.
    played: usize,
    /// Set once the script diverged or the recorded port failed: every call fails so.
    failure: Option<Broken>,
}

/// Why a replay cannot go on.
#[derive(Debug, Clone)]
enum Broken {
    /// The script did something else than the recording.
    Diverged { line: usize, message: String },
    /// The recorded port failed here.
    Gone(String),
}

impl ReplayPort {
    /// Reads and parses the transcript at `path`. A file that is not a transcript, or is too
    /// large, is [`PortError::BadSpec`] naming the line that is wrong.
    pub fn open(path: &Path) -> Result<ReplayPort, PortError> {
        let name = format!("replay:{}", path.display());
        let bad = |reason: String| PortError::BadSpec { spec: name.clone(), reason };
        let too_large = || {
            bad(format!(
                "the transcript is larger than {} MiB; a session with a modem is far smaller",
                MAX_FILE / (1024 * 1024)
            ))
        };
        let file = std::fs::File::open(path).map_err(|source| PortError::Open { port: name.clone(), source })?;
        // The size first, so a huge file is refused without reading it; the limit on the
        // read covers what has no size (a pipe, a device).
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE {
            return Err(too_large());
        }
        let mut text = Vec::with_capacity(size as usize);
        file.take(MAX_FILE + 1).read_to_end(&mut text).map_err(|source| PortError::Io {
            port: name.clone(),
            op: "read",
            source,
        })?;
        if text.len() as u64 > MAX_FILE {
            return Err(too_large());
        }
        let recording =
            Recording::parse(&text).map_err(|e| bad(format!("{}:{}: {}", path.display(), e.line, e.message)))?;
        Ok(ReplayPort::new(name, recording))
    }

    /// A port playing `recording`, called `name` in messages.
    pub fn new(name: String, recording: Recording) -> ReplayPort {
        let parts = recording
            .entries
            .iter()
            .map(|e| match &e.event {
                Event::Write { data, .. } => compared(data),
                _ => Vec::new(),
            })
            .collect();
        let mut port = ReplayPort {
            name,
            recording,
            parts,
            now: Duration::ZERO,
            next: 0,
            shift_from: Duration::ZERO,
            shift_to: Duration::ZERO,
            scheduled: VecDeque::new(),
            pending: Vec::new(),
            carrier: None,
            written: Vec::new(),
            written_secret: Vec::new(),
            upcoming_secret: VecDeque::new(),
            absorb_line_end: false,
            active_at: Duration::ZERO,
            ended_at: None,
            played: 0,
            failure: None,
        };
        port.schedule_modem_events();
        port
    }

    /// The host actions the script has not played yet: how many, and the first one's line
    /// and description. `None` when the script did all the recording did.
    pub fn unplayed(&self) -> Option<(usize, usize, String)> {
        let mut rest = self.recording.entries[self.next.min(self.recording.entries.len())..]
            .iter()
            .filter(|e| e.event.is_host() && !is_flush(&e.event));
        let first = rest.next()?;
        Some((1 + rest.count(), first.line, first.event.describe()))
    }

    /// How many host actions the script matched.
    pub fn played(&self) -> usize {
        self.played
    }

    /// Recorded time `at` on the replay clock.
    fn replay_time(&self, at: Duration) -> Duration {
        (at + self.shift_to).saturating_sub(self.shift_from)
    }

    /// Schedules the modem's events up to the next host action (which waits for the
    /// script). `flush` lines are passed over: they are not compared.
    fn schedule_modem_events(&mut self) {
        while let Some(entry) = self.recording.entries.get(self.next) {
            if is_flush(&entry.event) {
                self.next += 1;
                continue;
            }
            if entry.event.is_host() {
                break;
            }
            let after = self.scheduled.back().map_or(self.now, |(t, _)| *t);
            let due = self.replay_time(entry.at).max(self.now).max(after);
            self.scheduled.push_back((due, self.next));
            self.next += 1;
        }
    }

    /// Delivers the modem events due by now.
    fn release_due(&mut self) -> Result<(), PortError> {
        while let Some(&(due, index)) = self.scheduled.front() {
            if due > self.now {
                break;
            }
            self.scheduled.pop_front();
            self.active_at = self.now;
            let entry = &self.recording.entries[index];
            match &entry.event {
                Event::Read(Ok(bytes)) => self.pending.extend_from_slice(bytes),
                Event::Read(Err(message)) => {
                    let message = format!("{message} (as recorded at line {})", entry.line);
                    return Err(self.fail(Broken::Gone(message)));
                }
                Event::Carrier(state) => self.carrier = Some(state.clone()),
                Event::End { .. } => self.ended_at = Some(due),
                Event::Write { .. } | Event::Action { .. } => {}
            }
        }
        Ok(())
    }

    /// The error a broken port gives, every time.
    fn broken(&self, broken: &Broken) -> PortError {
        match broken {
            Broken::Diverged { line, message } => {
                PortError::Diverged { port: self.name.clone(), line: *line, message: message.clone() }
            }
            Broken::Gone(message) => {
                PortError::Io { port: self.name.clone(), op: "read", source: std::io::Error::other(message.clone()) }
            }
        }
    }

    /// Breaks the port for good; the error to return now.
    fn fail(&mut self, broken: Broken) -> PortError {
        let error = self.broken(&broken);
        self.failure = Some(broken);
        error
    }

    fn check(&self) -> Result<(), PortError> {
        match &self.failure {
            None => Ok(()),
            Some(broken) => Err(self.broken(broken)),
        }
    }

    fn diverge(&mut self, line: usize, message: String) -> PortError {
        self.fail(Broken::Diverged { line, message })
    }

    /// The line of the last entry, for divergences past the end.
    fn last_line(&self) -> usize {
        self.recording.entries.last().map_or(1, |e| e.line)
    }

    /// A host action was matched: the clocks line up on it, what the modem answered is
    /// scheduled.
    fn host_matched(&mut self) {
        let entry = &self.recording.entries[self.next];
        self.shift_from = entry.at;
        self.shift_to = self.now;
        self.next += 1;
        self.played += 1;
        self.active_at = self.now;
        self.schedule_modem_events();
    }

    /// What the script did instead of the next recorded host action, as a divergence.
    fn unexpected(&mut self, did: String) -> PortError {
        match self.recording.entries.get(self.next) {
            Some(entry) => {
                let (line, expected) = (entry.line, entry.event.describe());
                self.diverge(line, format!("the script {did} where the recording has {expected}"))
            }
            None => {
                let line = self.last_line();
                self.diverge(line, format!("the script {did} after the recording's last event (line {line})"))
            }
        }
    }

    /// Matches one line operation of the script against the recording.
    fn act(&mut self, action: Action, op: &'static str) -> Result<(), PortError> {
        self.check()?;
        self.release_due()?;
        self.absorb_line_end = false;
        if !self.written.is_empty() {
            let so_far = self.shown_written();
            return Err(self.unexpected(format!("did `{action}` in the middle of a write (so far \"{so_far}\")")));
        }
        let result = match self.recording.entries.get(self.next).map(|e| &e.event) {
            Some(Event::Action { action: recorded, result }) if *recorded == action => result.clone(),
            _ => return Err(self.unexpected(format!("did `{action}`"))),
        };
        let line = self.recording.entries[self.next].line;
        self.host_matched();
        result.map_err(|refusal| self.refused(op, &refusal, line))
    }

    /// A recorded refusal, as the port gave it then.
    fn refused(&self, op: &'static str, refusal: &Refusal, line: usize) -> PortError {
        let reason = format!("{} (as recorded at line {line})", refusal.message);
        if refusal.unsupported {
            PortError::Unsupported { port: self.name.clone(), op, reason }
        } else {
            PortError::Io { port: self.name.clone(), op, source: std::io::Error::other(reason) }
        }
    }

    /// Compares what was written so far with the next recorded write; on a match the write
    /// is played and what is left over goes on to the write after it.
    fn match_written(&mut self) -> Result<(), PortError> {
        while !self.written.is_empty() {
            let index = self.next;
            match self.recording.entries.get(index).map(|e| &e.event) {
                Some(Event::Write { .. }) => {}
                _ => {
                    let did = format!("wrote \"{}\"", self.shown_written());
                    self.clear_written();
                    return Err(self.unexpected(did));
                }
            }
            match progress(&self.parts[index], &self.written) {
                Progress::NeedMore => return Ok(()),
                Progress::Mismatch(at) => {
                    let entry = &self.recording.entries[index];
                    let Event::Write { data, .. } = &entry.event else { unreachable!() };
                    let message = format!(
                        "the script wrote \"{}\" where the recording has {} (they differ from byte {})",
                        self.shown_written(),
                        show_pieces(data),
                        at + 1
                    );
                    let line = entry.line;
                    self.clear_written();
                    return Err(self.diverge(line, message));
                }
                Progress::Matched(used) => {
                    self.written.drain(..used);
                    self.written_secret.drain(..used.min(self.written_secret.len()));
                    let entry = &self.recording.entries[index];
                    let (line, result) = match &entry.event {
                        Event::Write { result, .. } => (entry.line, result.clone()),
                        _ => unreachable!(),
                    };
                    self.absorb_line_end = self.parts[index].last() == Some(&Part::LineEnd);
                    self.host_matched();
                    if let Err(refusal) = result {
                        self.clear_written();
                        return Err(self.refused("write", &refusal, line));
                    }
                    self.skip_line_end();
                }
            }
        }
        Ok(())
    }

    /// CR/LF after a write whose line terminator matched belong to that terminator, unless
    /// the next recorded write starts with one itself.
    fn skip_line_end(&mut self) {
        if !self.absorb_line_end {
            return;
        }
        let next_starts_eol = match self.parts.get(self.next).and_then(|p| p.first()) {
            Some(Part::LineEnd) => true,
            Some(Part::Bytes(b)) => b.first().is_some_and(|c| is_eol(*c)),
            _ => false,
        };
        if next_starts_eol {
            self.absorb_line_end = false;
            return;
        }
        let eol = self.written.iter().take_while(|b| is_eol(**b)).count();
        self.written.drain(..eol);
        self.written_secret.drain(..eol.min(self.written_secret.len()));
        if !self.written.is_empty() {
            self.absorb_line_end = false;
        }
    }

    fn clear_written(&mut self) {
        self.written.clear();
        self.written_secret.clear();
    }

    /// What was written toward the expected write, for a message: escaped, a secret's bytes
    /// as `***`, cut short.
    fn shown_written(&self) -> String {
        let mut pieces: Vec<Piece> = Vec::new();
        for (i, &b) in self.written.iter().enumerate() {
            let secret = self.written_secret.get(i).copied().unwrap_or(false);
            match (pieces.last_mut(), secret) {
                (Some(Piece::Masked), true) => {}
                (_, true) => pieces.push(Piece::Masked),
                (Some(Piece::Bytes(bytes)), false) => bytes.push(b),
                (_, false) => pieces.push(Piece::Bytes(vec![b])),
            }
        }
        let text = show_pieces(&pieces);
        cut(&text[1..text.len() - 1])
    }

    /// The first carrier state the recording gives from here on: before the first answer
    /// recorded is due, the port reports that answer.
    fn carrier_ahead(&self) -> Option<Result<bool, Refusal>> {
        let from = self.scheduled.front().map_or(self.next, |(_, i)| *i);
        self.recording.entries[from.min(self.recording.entries.len())..].iter().find_map(|e| match &e.event {
            Event::Carrier(state) => Some(state.clone()),
            _ => None,
        })
    }
}

impl Port for ReplayPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn secret_in_next_write(&mut self, len: usize, secret: &[Range<usize>]) {
        self.upcoming_secret = (0..len).map(|i| secret.iter().any(|r| r.contains(&i))).collect();
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        self.check()?;
        self.release_due()?;
        self.active_at = self.now;
        self.written.extend_from_slice(bytes);
        let secret = bytes.iter().map(|_| self.upcoming_secret.pop_front().unwrap_or(false));
        self.written_secret.extend(secret.collect::<Vec<_>>());
        self.skip_line_end();
        self.match_written()
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PortError> {
        self.check()?;
        let deadline = self.now.saturating_add(timeout);
        loop {
            self.release_due()?;
            if !self.pending.is_empty() || buf.is_empty() {
                let n = buf.len().min(self.pending.len());
                buf[..n].copy_from_slice(&self.pending[..n]);
                self.pending.drain(..n);
                return Ok(n);
            }
            if let Some(&(due, _)) = self.scheduled.front() {
                if due <= deadline {
                    self.now = self.now.max(due);
                    continue;
                }
                self.now = deadline;
                return Ok(0);
            }
            if let Some(entry) = self.recording.entries.get(self.next) {
                // The modem stays silent until the script acts: its wait may well time out,
                // as it did when recorded. Waiting without end is a divergence.
                if self.now.saturating_sub(self.active_at) >= MAX_SILENCE {
                    let (line, expected) = (entry.line, entry.event.describe());
                    let message = format!(
                        "the script waited over an hour for the modem, which is silent until the \
                         script does what the recording does next: {expected}"
                    );
                    return Err(self.diverge(line, message));
                }
                self.now = deadline;
                return Ok(0);
            }
            // Nothing more from the modem, ever; waiting is allowed up to the recorded end.
            if let Some(end) = self.ended_at.map(|e| e + END_GRACE).filter(|e| self.now < *e) {
                self.now = deadline.min(end);
                return Ok(0);
            }
            // Named by the modem's last bytes: what the script waits for should follow them.
            let line = self
                .recording
                .entries
                .iter()
                .rev()
                .find(|e| matches!(e.event, Event::Read(_)))
                .map_or_else(|| self.last_line(), |e| e.line);
            let message = "the script waits for the modem, but the recording has nothing more from it \
                           after this line"
                .to_string();
            return Err(self.diverge(line, message));
        }
    }

    fn set_dtr(&mut self, on: bool) -> Result<(), PortError> {
        self.act(Action::Dtr(on), "set DTR")
    }

    fn set_rts(&mut self, on: bool) -> Result<(), PortError> {
        self.act(Action::Rts(on), "set RTS")
    }

    fn send_break(&mut self, duration: Duration) -> Result<(), PortError> {
        self.act(Action::Break(duration), "send a break")?;
        // A break occupies the line for its duration, as on a real port.
        self.now = self.now.saturating_add(duration);
        Ok(())
    }

    fn carrier(&mut self) -> Result<bool, PortError> {
        self.check()?;
        self.release_due()?;
        match self.carrier.clone().or_else(|| self.carrier_ahead()) {
            Some(Ok(up)) => Ok(up),
            Some(Err(refusal)) => {
                let line =
                    self.recording.entries.iter().find(|e| matches!(e.event, Event::Carrier(_))).map_or(0, |e| e.line);
                Err(self.refused("read carrier (DCD)", &refusal, line))
            }
            None => {
                let line = self.recording.entries.get(self.next).map_or_else(|| self.last_line(), |e| e.line);
                Err(self
                    .diverge(line, "the script asks for carrier (DCD), but the recording has no `carrier` line".into()))
            }
        }
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), PortError> {
        self.act(Action::Baud(baud), "set the line speed")
    }

    fn discard_input(&mut self) -> Result<(), PortError> {
        self.check()?;
        self.release_due()?;
        self.pending.clear();
        Ok(())
    }

    fn now(&self) -> Duration {
        self.now
    }

    fn pause(&mut self, duration: Duration) {
        self.now = self.now.saturating_add(duration);
    }

    fn closing_note(&self) -> Option<String> {
        if self.failure.is_some() {
            return None;
        }
        let (count, line, first) = self.unplayed()?;
        let plural = if count == 1 { "" } else { "s" };
        Some(format!(
            "`{}`: the script ended before the recording did: {count} recorded host action{plural} \
             not played, from line {line} ({first})",
            self.name
        ))
    }
}

fn is_eol(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn is_flush(event: &Event) -> bool {
    matches!(event, Event::Action { action: Action::Flush, .. })
}

/// Text for a message, cut short.
fn cut(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// A recorded write as compared: its final CR/LF run becomes [`Part::LineEnd`].
fn compared(data: &[Piece]) -> Vec<Part> {
    let mut parts: Vec<Part> = data
        .iter()
        .map(|p| match p {
            Piece::Bytes(b) => Part::Bytes(b.clone()),
            Piece::Masked => Part::Any,
        })
        .collect();
    if let Some(Part::Bytes(last)) = parts.last_mut() {
        let eol = last.iter().rev().take_while(|b| is_eol(**b)).count();
        if eol > 0 {
            last.truncate(last.len() - eol);
            if last.is_empty() {
                parts.pop();
            }
            parts.push(Part::LineEnd);
        }
    }
    parts
}

/// How far `data` matches `parts`. A masked part takes the fewest bytes that let the rest
/// match from there (at most [`MAX_MASKED`]).
fn progress(parts: &[Part], data: &[u8]) -> Progress {
    let mut i = 0;
    for (p, part) in parts.iter().enumerate() {
        match part {
            Part::Bytes(lit) => {
                let avail = &data[i..];
                if let Some(k) = avail.iter().zip(lit).position(|(a, b)| a != b) {
                    return Progress::Mismatch(i + k);
                }
                if avail.len() < lit.len() {
                    return Progress::NeedMore;
                }
                i += lit.len();
            }
            Part::LineEnd => {
                let run = data[i..].iter().take_while(|b| is_eol(**b)).count();
                if run == 0 {
                    return if i == data.len() { Progress::NeedMore } else { Progress::Mismatch(i) };
                }
                i += run;
            }
            Part::Any => {
                let start = i;
                let found = match parts.get(p + 1) {
                    // Masked bytes at the very end: whatever this write brought.
                    None => (i < data.len()).then_some(data.len()),
                    Some(Part::Bytes(lit)) => {
                        // The first place the literal after it starts; a beginning of it at
                        // the end of `data` may yet become it.
                        let mut at = None;
                        for j in i..=data.len() {
                            let tail = &data[j..];
                            if tail.starts_with(lit) {
                                at = Some(j);
                                break;
                            }
                            if lit.starts_with(tail) && !tail.is_empty() {
                                break;
                            }
                        }
                        at
                    }
                    Some(Part::LineEnd) => data[i..].iter().position(|b| is_eol(*b)).map(|k| i + k),
                    Some(Part::Any) => Some(i),
                };
                match found {
                    Some(j) if j - start <= MAX_MASKED => i = j,
                    Some(_) => return Progress::Mismatch(start + MAX_MASKED),
                    None if data.len() - start > MAX_MASKED => return Progress::Mismatch(start + MAX_MASKED),
                    None => return Progress::NeedMore,
                }
            }
        }
    }
    Progress::Matched(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(body: &str) -> ReplayPort {
        let text = format!("{}\n{body}", crate::record::VERSION_LINE);
        ReplayPort::new("replay:t".into(), Recording::parse(text.as_bytes()).unwrap())
    }

    fn read_all(p: &mut ReplayPort, timeout: Duration) -> Result<Vec<u8>, PortError> {
        let mut buf = [0u8; 256];
        let n = p.read(&mut buf, timeout)?;
        Ok(buf[..n].to_vec())
    }

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn parts_of_a_write() {
        assert_eq!(compared(&[Piece::Bytes(b"ATZ\r\n".to_vec())]), [Part::Bytes(b"ATZ".to_vec()), Part::LineEnd]);
        assert_eq!(compared(&[Piece::Bytes(b"\r".to_vec())]), [Part::LineEnd]);
        assert_eq!(compared(&[Piece::Bytes(b"+++".to_vec())]), [Part::Bytes(b"+++".to_vec())]);
    }

    #[test]
    fn matching_tolerates_line_ends_and_masks() {
        let w = |s: &[u8]| compared(&[Piece::Bytes(s.to_vec())]);
        assert_eq!(progress(&w(b"ATZ\r"), b"ATZ\r"), Progress::Matched(4));
        assert_eq!(progress(&w(b"ATZ\r"), b"ATZ\r\n"), Progress::Matched(5));
        assert_eq!(progress(&w(b"ATZ\r\n"), b"ATZ\n"), Progress::Matched(4));
        assert_eq!(progress(&w(b"ATZ\r"), b"AT"), Progress::NeedMore);
        assert_eq!(progress(&w(b"ATZ\r"), b"ATZ"), Progress::NeedMore);
        assert_eq!(progress(&w(b"ATZ\r"), b"ATI\r"), Progress::Mismatch(2));
        assert_eq!(progress(&w(b"ATZ\r"), b"ATZX"), Progress::Mismatch(3));
        let pin = compared(&[Piece::Bytes(b"AT+CPIN=\"".to_vec()), Piece::Masked, Piece::Bytes(b"\"\r".to_vec())]);
        assert_eq!(progress(&pin, b"AT+CPIN=\"1234\"\r"), Progress::Matched(15));
        assert_eq!(progress(&pin, b"AT+CPIN=\"12"), Progress::NeedMore);
        assert_eq!(progress(&pin, b"AT+CPIN=\"1234\""), Progress::NeedMore);
        assert_eq!(progress(&pin, b"AT+CPIN=\"1234\"X"), Progress::Mismatch(14));
        assert_eq!(progress(&pin, b"AT+CPIN=\"\"\r"), Progress::Matched(11));
        let huge = [b"AT+CPIN=\"".as_slice(), &[b'1'; MAX_MASKED + 10]].concat();
        assert!(matches!(progress(&pin, &huge), Progress::Mismatch(_)));
        let tail = compared(&[Piece::Bytes(b"pass ".to_vec()), Piece::Masked]);
        assert_eq!(progress(&tail, b"pass "), Progress::NeedMore);
        assert_eq!(progress(&tail, b"pass word"), Progress::Matched(9));
    }

    #[test]
    fn replies_come_at_their_recorded_offsets_on_virtual_time() {
        let mut p = port("5.000 > \"ATZ\\r\"\n5.000 < \"ATZ\\r\"\n5.250 < \"\\r\\nOK\\r\\n\"\n");
        p.pause(SEC);
        p.write_all(b"ATZ\r").unwrap();
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"ATZ\r");
        assert_eq!(p.now(), SEC);
        assert_eq!(read_all(&mut p, Duration::from_millis(100)).unwrap(), b"");
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"\r\nOK\r\n");
        assert_eq!(p.now(), Duration::from_millis(1250));
        assert!(p.unplayed().is_none());
    }

    #[test]
    fn a_write_may_come_in_pieces_and_with_another_terminator() {
        let mut p = port("> \"AT&F\\r\"\n< \"OK\"\n> \"ATI\\r\"\n< \"56000\"\n");
        for b in b"AT&F\r\n" {
            p.write_all(&[*b]).unwrap();
        }
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"OK");
        p.write_all(b"ATI\n").unwrap();
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"56000");
        assert_eq!(p.played(), 2);
    }

    #[test]
    fn two_recorded_writes_may_come_in_one() {
        let mut p = port("> \"ATZ\\r\"\n< \"A\"\n> \"ATI\\r\"\n< \"B\"\n");
        p.write_all(b"ATZ\rATI\r").unwrap();
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"AB");
    }

    #[test]
    fn a_different_write_diverges_naming_line_and_both_writes() {
        let mut p = port("# dial\n1.0 > \"ATDT5559999\\r\"\n1.1 < \"CONNECT\"\n");
        let e = p.write_all(b"ATDT5551234\r").unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, PortError::Diverged { line: 3, .. }), "{e:?}");
        assert!(text.contains("ATDT5551234\\r") && text.contains("ATDT5559999\\r"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        // And it stays failed.
        assert!(matches!(read_all(&mut p, SEC), Err(PortError::Diverged { line: 3, .. })));
        assert!(p.closing_note().is_none());
    }

    #[test]
    fn waiting_past_the_recording_diverges() {
        let mut p = port("> \"AT+CPIN?\\r\"\n< \"\\r\\n+CPIN: READY\\r\\n\"\n");
        p.write_all(b"AT+CPIN?\r").unwrap();
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"\r\n+CPIN: READY\r\n");
        let e = read_all(&mut p, SEC).unwrap_err();
        assert!(e.to_string().contains("nothing more from it"), "{e}");
        assert!(matches!(e, PortError::Diverged { line: 3, .. }), "{e:?}");
    }

    #[test]
    fn waiting_is_allowed_until_the_recorded_end() {
        let mut p = port("0 > \"AT\\r\"\n10.000 end exit 3\n");
        p.write_all(b"AT\r").unwrap();
        for _ in 0..200 {
            assert_eq!(read_all(&mut p, Duration::from_millis(50)).unwrap(), b"");
        }
        assert_eq!(p.now(), Duration::from_secs(10));
        assert!(read_all(&mut p, SEC).is_ok(), "the grace after `end`");
        assert!(matches!(read_all(&mut p, SEC), Err(PortError::Diverged { .. })));
    }

    #[test]
    fn silence_before_the_scripts_next_write_is_just_silence() {
        let mut p = port("0 > \"ATDT1\\r\"\n60.000 > \"\\r\"\n60.010 < \"NO CARRIER\"\n");
        p.write_all(b"ATDT1\r").unwrap();
        assert_eq!(read_all(&mut p, Duration::from_secs(45)).unwrap(), b"");
        p.write_all(b"\r").unwrap();
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"NO CARRIER");
        assert_eq!(p.now(), Duration::from_millis(45_010));
    }

    #[test]
    fn endless_silence_is_a_divergence() {
        let mut p = port("> \"AT\\r\"\n> \"ATI\\r\"\n");
        p.write_all(b"AT\r").unwrap();
        let mut result = Ok(Vec::new());
        for _ in 0..100 {
            result = read_all(&mut p, Duration::from_secs(60));
            if result.is_err() {
                break;
            }
        }
        let e = result.unwrap_err();
        assert!(e.to_string().contains("over an hour") && e.to_string().contains("ATI"), "{e}");
    }

    #[test]
    fn line_operations_are_compared_and_recorded_refusals_replayed() {
        let mut p =
            port("dtr off unsupported \"a pty has no DTR\"\nflush\n> \"+++\"\n1.0 < \"OK\"\nbreak 250ms\nbaud 9600\n");
        let e = p.set_dtr(false).unwrap_err();
        assert!(matches!(e, PortError::Unsupported { .. }), "{e:?}");
        assert!(e.to_string().contains("a pty has no DTR (as recorded at line 2)"), "{e}");
        p.write_all(b"+++").unwrap();
        assert_eq!(read_all(&mut p, Duration::from_secs(2)).unwrap(), b"OK");
        p.send_break(Duration::from_millis(250)).unwrap();
        assert_eq!(p.now(), Duration::from_millis(1250));
        let e = p.set_baud(115_200).unwrap_err();
        assert!(e.to_string().contains("`baud 9600`") && e.to_string().contains("`baud 115200`"), "{e}");
    }

    #[test]
    fn a_write_where_a_line_operation_is_recorded_diverges() {
        let mut p = port("dtr off\n");
        let e = p.write_all(b"ATH\r").unwrap_err();
        assert!(e.to_string().contains("`dtr off`") && e.to_string().contains("ATH"), "{e}");
        let mut p = port("> \"AT\\r\"\n");
        p.write_all(b"AT\r").unwrap();
        let e = p.write_all(b"ATI\r").unwrap_err();
        assert!(e.to_string().contains("after the recording's last event"), "{e}");
    }

    #[test]
    fn carrier_follows_the_recording() {
        let mut p = port("0 > \"ATD1\\r\"\n0.5 carrier off\n2.0 < \"CONNECT\"\n2.0 carrier on\n");
        assert!(!p.carrier().unwrap(), "before the first answer is due, that answer");
        p.write_all(b"ATD1\r").unwrap();
        assert_eq!(read_all(&mut p, SEC).unwrap(), b"");
        assert!(!p.carrier().unwrap());
        assert_eq!(read_all(&mut p, Duration::from_secs(5)).unwrap(), b"CONNECT");
        assert!(p.carrier().unwrap());
        let e = port("> \"AT\\r\"\n").carrier().unwrap_err();
        assert!(e.to_string().contains("no `carrier` line"), "{e}");
    }

    #[test]
    fn a_recorded_read_failure_is_replayed() {
        let mut p = port("> \"AT\\r\"\n1.0 < failed \"`/dev/ttyUSB0` was closed by the other end\"\n");
        p.write_all(b"AT\r").unwrap();
        let e = read_all(&mut p, Duration::from_secs(2)).unwrap_err();
        assert!(e.to_string().contains("closed by the other end (as recorded at line 3)"), "{e}");
        assert!(p.write_all(b"AT\r").is_err(), "the port stays gone");
    }

    #[test]
    fn the_closing_note_names_what_was_not_played() {
        let mut p = port("> \"AT\\r\"\n< \"OK\"\n> \"ATI\\r\"\n> \"ATH\\r\"\n");
        p.write_all(b"AT\r").unwrap();
        let note = p.closing_note().unwrap();
        assert!(note.contains("2 recorded host actions") && note.contains("line 4"), "{note}");
    }
}
